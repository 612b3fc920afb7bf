"""SMPL / SMPL-H / SMPL-X / AMASS joint arrays (``.npz`` or ``.npy``), in metres.

The first 22 joints of every SMPL-family model are the canonical body joints in the same
order, so 22-, 24-, 52- and 55-joint arrays all load by taking the first 22. AMASS is
z-up; the up axis is detected (or given) and rotated to +y.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.io.derive import assemble, check_finite
from autocompose.poses.io.orient import UpAxis, to_y_up
from autocompose.poses.sequence import PoseSequence
from autocompose.poses.skeleton import JOINT_NAMES

SMPL_JOINT_COUNTS = (22, 24, 52, 55)
JOINT_KEYS = ("joints", "positions", "joint_positions", "jtr", "Jtr", "keypoints3d")
FPS_KEYS = ("mocap_framerate", "mocap_frame_rate", "fps", "frame_rate")


def load_smpl_joints(path: str | Path, key: str = "auto", fps: float | None = None, up: UpAxis = "auto") -> PoseSequence:
    """Load SMPL-family joint positions ``(T, J, 3)`` with J in 22/24/52/55."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise PoseFormatError(path, "file", "a .npz or .npy of joint positions", f"unreadable ({exc})") from exc
    found_fps = None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            keys = list(data.files)
            if key == "auto":
                key = next((k for k in JOINT_KEYS if k in keys), "")
                if not key:
                    hint = (
                        " (this looks like AMASS pose parameters: compute joints with the SMPL body model first)"
                        if "poses" in keys
                        else ""
                    )
                    raise PoseFormatError(path, "keys", f"one of {', '.join(JOINT_KEYS)}{hint}", ", ".join(keys))
            if key not in keys:
                raise PoseFormatError(path, key, "this key in the archive", ", ".join(keys))
            arr = np.asarray(data[key])
            for k in FPS_KEYS:
                if k in keys:
                    found_fps = float(np.asarray(data[k]).reshape(-1)[0])
                    break
    else:
        arr, key = np.asarray(data), "array"
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[1] not in SMPL_JOINT_COUNTS or arr.shape[0] == 0:
        raise PoseFormatError(path, key, f"array of shape (T>0, J, 3) with J in {SMPL_JOINT_COUNTS}", f"shape {arr.shape}")
    arr = arr.astype(np.float64)
    check_finite(path, key, arr)
    named = {name: arr[:, i].astype(np.float32) for i, name in enumerate(JOINT_NAMES[:22])}
    joints, mask, derived = assemble(path, named)
    joints, axis = to_y_up(path, joints, up)
    height = float(np.median(joints[..., 1].max(-1) - joints[..., 1].min(-1)))
    if height > 3.0:
        raise PoseFormatError(
            path, key, "joint positions in metres (body height about 1-2 m)", f"a body {height:.1f} units tall; convert to metres"
        )
    rate = fps or found_fps or 30.0
    return PoseSequence(
        id=path.stem,
        subject=path.parent.name or None,
        fps=rate,
        joints=joints,
        source=str(path),
        joint_mask=mask,
        meta={"format": "smpl", "key": key, "num_source_joints": int(arr.shape[1]), "up_axis": axis, "derived": list(derived)},
    )
