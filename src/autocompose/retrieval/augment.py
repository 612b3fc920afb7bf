"""Body-proportion augmentation: the same motion on people (and skeletons) of other proportions.

Real collections differ in who was captured and in how their rigs place joints (hip width,
spine joints, shoulder height). Training poses are rebuilt along the canonical kinematic tree
with every segment's length scaled by a random factor (the left and right segment alike), and
the whole body by another; the feet keep their height above the floor. A pair's reference and
target get the same factors, since they are one person.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import numpy as np

from autocompose.poses.skeleton import JOINT_NAMES, PARENTS, joint_index

#: Segment name → the child joints whose bone (parent → child) it scales.
SEGMENTS: Final = MappingProxyType(
    {
        "hip_width": ("left_hip", "right_hip"),
        "spine": ("spine1", "spine2", "spine3"),
        "neck": ("neck", "head", "nose"),
        "shoulder_width": ("left_collar", "right_collar", "left_shoulder", "right_shoulder"),
        "upper_arm": ("left_elbow", "right_elbow"),
        "forearm": ("left_wrist", "right_wrist"),
        "thigh": ("left_knee", "right_knee"),
        "shin": ("left_ankle", "right_ankle"),
        "foot": ("left_foot", "right_foot"),
    }
)
_SEGMENT_OF: Final = np.full(len(JOINT_NAMES), -1, np.int64)
for _i, _joints in enumerate(SEGMENTS.values()):
    _SEGMENT_OF[[joint_index(j) for j in _joints]] = _i
_FEET: Final = [joint_index(j) for j in ("left_ankle", "right_ankle", "left_foot", "right_foot")]
if any(p >= c for c, p in enumerate(PARENTS) if p >= 0):  # pragma: no cover - guards the rebuild order below
    raise AssertionError("rebuild_with_proportions needs parents listed before their children")


def draw_factors(n: int, rng: np.random.Generator, proportions: float, scale: float) -> np.ndarray:
    """(n, J) per-joint bone-length factors: a segment factor times a whole-body factor."""
    seg = rng.uniform(1 - proportions, 1 + proportions, size=(n, len(SEGMENTS)))
    body = rng.uniform(1 - scale, 1 + scale, size=(n, 1))
    per_joint = np.where(_SEGMENT_OF[None] >= 0, seg[:, np.maximum(_SEGMENT_OF, 0)], 1.0)
    return (per_joint * body).astype(np.float32)


def rebuild_with_proportions(joints: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Poses ``(N, J, 3)`` with each bone (parent → joint j) scaled by ``factors[:, j]``.

    The pelvis stays where it is, then the whole pose is moved vertically so its lowest foot
    joint is as high as before (the person still stands on the floor).
    """
    joints = np.asarray(joints, np.float32)
    out = joints.copy()
    for child, parent in enumerate(PARENTS):
        if parent >= 0:
            out[:, child] = out[:, parent] + (joints[:, child] - joints[:, parent]) * factors[:, child, None]
    lift = joints[:, _FEET, 1].min(1) - out[:, _FEET, 1].min(1)
    out[..., 1] += lift[:, None]
    return out
