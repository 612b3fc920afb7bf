"""Pure pose transforms: root-centring, facing canonicalisation, mirroring, differences.

All functions take ``(..., J, 3)`` float arrays in the canonical frame (metres, y up,
facing +z) and return new arrays; nothing is modified in place.
"""

from __future__ import annotations

import numpy as np

from autocompose.poses.skeleton import SWAP, joint_index

_PELVIS = joint_index("pelvis")
_LHIP, _RHIP = joint_index("left_hip"), joint_index("right_hip")
_LSHO, _RSHO = joint_index("left_shoulder"), joint_index("right_shoulder")


def root_centre(poses: np.ndarray, keep_height: bool = False) -> np.ndarray:
    """Move the pelvis to the origin (``keep_height`` keeps its y, so squats stay visible)."""
    poses = np.asarray(poses, dtype=np.float32)
    offset = poses[..., _PELVIS : _PELVIS + 1, :].copy()
    if keep_height:
        offset[..., 1] = 0.0
    return poses - offset


def facing_angle(poses: np.ndarray) -> np.ndarray:
    """Yaw (radians, about +y) of the body's facing direction; 0 means facing +z.

    The facing is the horizontal normal of the hip line and shoulder line averaged:
    ``left - right`` points to the person's left (+x when facing +z), and the facing is
    that vector turned 90° about y. Positive yaw turns the person towards +x (their left).
    """
    poses = np.asarray(poses, dtype=np.float64)
    across = (poses[..., _LHIP, :] - poses[..., _RHIP, :]) + (poses[..., _LSHO, :] - poses[..., _RSHO, :])
    # facing = across x up: for across = +x (facing +z) this gives x x y = +z.
    fx, fz = -across[..., 2], across[..., 0]
    return np.arctan2(fx, fz)


def rotation_y(angle: np.ndarray | float) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` about +y by ``angle`` radians (right-handed)."""
    angle = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    if angle.ndim == 0:  # one pose (the describer's case): same values, a third of the time
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]], dtype=np.float64)
    zero, one = np.zeros_like(c), np.ones_like(c)
    return np.stack([np.stack([c, zero, s], -1), np.stack([zero, one, zero], -1), np.stack([-s, zero, c], -1)], -2)


def rotate_y(poses: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
    """Rotate poses about the vertical axis through the origin by ``angle`` (per pose)."""
    rot = rotation_y(angle)
    out = np.einsum("...ij,...kj->...ki", rot, np.asarray(poses, dtype=np.float64))
    return out.astype(np.float32)


def canonicalise_facing(poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate each pose about y so it faces +z; returns ``(rotated, removed_yaw)``.

    ``rotate_y(rotated, removed_yaw)`` gives the input back (rotation about the origin,
    so root-centre first if the pose should turn in place).
    """
    yaw = facing_angle(poses)
    return rotate_y(poses, -yaw), yaw.astype(np.float32)


def normalise(poses: np.ndarray, canonical_facing: bool = True) -> np.ndarray:
    """Root-centred (pelvis at origin) and, by default, turned to face +z."""
    centred = root_centre(poses)
    if canonical_facing:
        centred, _ = canonicalise_facing(centred)
    return centred


def model_frame(poses: np.ndarray) -> np.ndarray:
    """The frame the retrieval model sees a pose in: pelvis over the origin (its height above the
    floor kept, so a squat stays a squat) and facing +z. Two poses from unrelated places and
    headings compare only by their body configuration here (no turn or travel between them).
    ``retrieval.encoders.pose_features`` builds its input in this frame."""
    return canonicalise_facing(root_centre(poses, keep_height=True))[0]


def mirror(poses: np.ndarray) -> np.ndarray:
    """Mirror left-right: negate x and swap left/right joints. ``mirror(mirror(p)) == p``."""
    poses = np.asarray(poses, dtype=np.float32)
    out = poses[..., SWAP, :].copy()
    out[..., 0] *= -1.0
    return out


def mirror_mask(mask: np.ndarray) -> np.ndarray:
    """The joint mask that goes with ``mirror`` (left and right availability swapped)."""
    return np.asarray(mask, dtype=bool)[..., SWAP]


def pose_difference(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Mean per-joint distance (metres) between poses after ``normalise``; broadcasts.

    This is the pose-space distance used by pair mining and gallery de-duplication.
    """
    na, nb = normalise(a), normalise(b)
    dist = np.linalg.norm(na - nb, axis=-1)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        return (dist * mask).sum(-1) / max(int(mask.sum()), 1)
    return dist.mean(-1)


def height_range(poses: np.ndarray) -> np.ndarray:
    """Vertical extent (metres) of each pose: a quick sanity number for units."""
    poses = np.asarray(poses)
    return poses[..., 1].max(-1) - poses[..., 1].min(-1)
