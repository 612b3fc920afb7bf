"""Shared fixtures: small real-format files written by the tests themselves."""

from __future__ import annotations

import numpy as np
import pytest

from autocompose.poses.builtin import builtin_library
from autocompose.poses.builtin.body import BodyShape, forward_kinematics
from autocompose.poses.builtin.motions import STAND


@pytest.fixture(scope="session")
def library():
    return builtin_library()


@pytest.fixture(scope="session")
def standing_pose() -> np.ndarray:
    """A left-right symmetric standing pose (J, 3)."""
    return forward_kinematics({k: np.array([v]) for k, v in STAND.items()}, BodyShape())[0]


@pytest.fixture()
def random_poses(library) -> np.ndarray:
    frames = np.concatenate([s.joints for s in library[:30]])
    return frames[np.random.default_rng(1).choice(len(frames), 64, replace=False)]
