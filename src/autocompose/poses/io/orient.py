"""Bringing a source's axes and units to the canonical frame (metres, y up, right-handed)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.skeleton import joint_index

UpAxis = Literal["auto", "+y", "-y", "+z", "-z", "+x", "-x"]

# Proper rotations (det = +1) taking the named axis to +y, so handedness is kept.
_TO_Y_UP: dict[str, np.ndarray] = {
    "+y": np.eye(3),
    "-y": np.array([[1, 0, 0], [0, -1, 0], [0, 0, -1]]),
    "+z": np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]]),
    "-z": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]),
    "+x": np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]]),
    "-x": np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 1]]),
}


def detect_up_axis(joints: np.ndarray) -> str:
    """The signed axis along which the body mostly extends from pelvis to neck.

    Works for any recording in which the person is mostly upright (standing, dancing,
    walking); pass the axis explicitly for clips of people lying down.
    """
    v = (joints[:, joint_index("neck")] - joints[:, joint_index("pelvis")]).mean(0)
    axis = int(np.argmax(np.abs(v)))
    return ("+" if v[axis] >= 0 else "-") + "xyz"[axis]


def to_y_up(source: str | Path, joints: np.ndarray, up: UpAxis = "auto") -> tuple[np.ndarray, str]:
    """Rotate joints so that ``up`` becomes +y; returns the joints and the axis used."""
    axis = detect_up_axis(joints) if up == "auto" else up
    if axis not in _TO_Y_UP:
        raise PoseFormatError(source, "up axis", "one of auto, +y, -y, +z, -z, +x, -x", repr(up))
    rot = _TO_Y_UP[axis].astype(np.float32)
    return np.einsum("ij,tkj->tki", rot, joints).astype(np.float32), axis


#: Candidate unit scales to metres, tried by ``guess_unit_scale``.
UNIT_SCALES: dict[str, float] = {"m": 1.0, "dm": 0.1, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu": 0.056444}

#: Typical adult leg length (hip to ankle) in metres, used to guess units.
TYPICAL_LEG_M = 0.8


def guess_unit_scale(leg_length: float) -> tuple[str, float]:
    """Pick the unit whose scale brings the hip→ankle length nearest 0.8 m (log distance)."""
    if not np.isfinite(leg_length) or leg_length <= 0:
        return "m", 1.0
    name = min(UNIT_SCALES, key=lambda u: abs(np.log(leg_length * UNIT_SCALES[u] / TYPICAL_LEG_M)))
    return name, UNIT_SCALES[name]


def leg_length(joints: np.ndarray) -> float:
    """Mean hip→knee→ankle length over frames and both legs, in the joints' own units."""
    total = 0.0
    for side in ("left", "right"):
        hip, knee, ankle = (joints[:, joint_index(f"{side}_{j}")] for j in ("hip", "knee", "ankle"))
        total += float(np.mean(np.linalg.norm(knee - hip, axis=-1) + np.linalg.norm(ankle - knee, axis=-1)))
    return total / 2
