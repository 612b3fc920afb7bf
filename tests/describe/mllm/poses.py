"""Hand-built poses and answers for the side-check and lexicon tests."""

from __future__ import annotations

import numpy as np

from autocompose.describe.base import NO_CHANGE, TransitionDescription
from autocompose.poses.builtin.body import BodyShape, forward_kinematics
from autocompose.poses.builtin.motions import STAND
from autocompose.poses.skeleton import BODY_PART_NAMES


def pose(**dofs: float) -> np.ndarray:
    """The built-in body standing relaxed, with the given degrees of freedom changed (``l_sh_elev=90``)."""
    values = {**STAND, **dofs}
    return forward_kinematics({k: np.array([v]) for k, v in values.items()}, BodyShape())[0]


def answer(**parts: str) -> TransitionDescription:
    """An answer with the given part lines ('no change' for the others)."""
    full = {p: parts.get(p, NO_CHANGE) for p in BODY_PART_NAMES}
    return TransitionDescription(parts=full, text="x", movements=[], annotator="test", annotator_version="0", variant="original")
