"""Rules that build a canonical pose from the joints a source format provides.

Every loader hands over the joints it has, by canonical name; this module fills the rest
by the documented rules below, or masks them, so all formats agree on one skeleton.

Derivation rules (applied only when the source lacks the joint):

==============  =====================================================================
joint           rule
==============  =====================================================================
pelvis          midpoint of left_hip and right_hip
neck            midpoint of left_shoulder and right_shoulder
spine1/2/3      pelvis→neck at 25 % / 50 % / 75 % (each only if missing)
left_collar     neck→left_shoulder at 40 % (right_collar likewise)
head            midpoint of left_ear and right_ear when ears are given (COCO);
                else neck + 0.9·(neck − spine3) direction scaled to 0.2 m (masked)
nose            masked when absent; placeholder = head + 0.1 m along the facing
left_foot       masked when absent; placeholder = the ankle (right_foot likewise)
==============  =====================================================================

Required (a file without them is rejected): hips, knees, ankles, shoulders, elbows, wrists.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.skeleton import JOINT_NAMES, NUM_JOINTS, joint_index

REQUIRED_JOINTS: tuple[str, ...] = (
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
)


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return a + (b - a) * t


def assemble(
    source: str | Path,
    named: Mapping[str, np.ndarray],
    ears: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Canonical ``(T, J, 3)`` joints, ``(J,)`` mask and the names of derived joints.

    ``named`` maps canonical joint names to ``(T, 3)`` arrays; unknown names are an error.
    """
    unknown = sorted(set(named) - set(JOINT_NAMES))
    if unknown:
        raise PoseFormatError(source, "joint names", f"canonical joint names ({', '.join(JOINT_NAMES)})", ", ".join(unknown))
    missing = [n for n in REQUIRED_JOINTS if n not in named]
    if missing:
        raise PoseFormatError(source, "joints", f"the required joints {', '.join(REQUIRED_JOINTS)}", f"no {', '.join(missing)}")
    t = next(iter(named.values())).shape[0]
    out = np.zeros((t, NUM_JOINTS, 3), dtype=np.float32)
    mask = np.zeros(NUM_JOINTS, dtype=bool)
    for name, value in named.items():
        value = np.asarray(value, dtype=np.float32)
        if value.shape != (t, 3):
            raise PoseFormatError(source, name, f"array of shape ({t}, 3)", f"shape {value.shape}")
        out[:, joint_index(name)] = value
        mask[joint_index(name)] = True
    derived: list[str] = []

    def have(name: str) -> bool:
        return bool(mask[joint_index(name)])

    def put(name: str, value: np.ndarray, real: bool = True) -> None:
        out[:, joint_index(name)] = value
        mask[joint_index(name)] = real
        if real:
            derived.append(name)

    def get(name: str) -> np.ndarray:
        return out[:, joint_index(name)]

    if not have("pelvis"):
        put("pelvis", _lerp(get("left_hip"), get("right_hip"), 0.5))
    if not have("neck"):
        put("neck", _lerp(get("left_shoulder"), get("right_shoulder"), 0.5))
    for name, frac in (("spine1", 0.25), ("spine2", 0.5), ("spine3", 0.75)):
        if not have(name):
            put(name, _lerp(get("pelvis"), get("neck"), frac))
    for side in ("left", "right"):
        if not have(f"{side}_collar"):
            put(f"{side}_collar", _lerp(get("neck"), get(f"{side}_shoulder"), 0.4))
    if not have("head"):
        if ears is not None:
            put("head", _lerp(np.asarray(ears[0], np.float32), np.asarray(ears[1], np.float32), 0.5))
        else:
            up = get("neck") - get("spine3")
            up /= np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-6)
            put("head", get("neck") + 0.2 * up, real=False)
    if not have("nose"):
        across = get("left_shoulder") - get("right_shoulder")
        facing = np.stack([-across[:, 2], np.zeros(t, np.float32), across[:, 0]], -1)
        facing /= np.maximum(np.linalg.norm(facing, axis=-1, keepdims=True), 1e-6)
        put("nose", get("head") + 0.1 * facing, real=False)
    for side in ("left", "right"):
        if not have(f"{side}_foot"):
            put(f"{side}_foot", get(f"{side}_ankle"), real=False)
    return out, mask, tuple(derived)


def check_finite(source: str | Path, field: str, array: np.ndarray) -> None:
    """Raise a ``PoseFormatError`` naming the first frame with NaN or inf."""
    bad = ~np.isfinite(array)
    if bad.any():
        frame = int(np.argwhere(bad)[0][0])
        raise PoseFormatError(source, field, "finite numbers", f"NaN/inf at frame {frame}")
