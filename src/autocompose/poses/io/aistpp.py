"""AIST++ ``keypoints3d`` pickles: COCO-17 3D keypoints in centimetres at 60 fps.

A file (e.g. ``gBR_sBM_cAll_d04_mBR0_ch01.pkl``) holds a dict with ``keypoints3d_optim``
and/or ``keypoints3d``, each ``(T, 17, 3)``. The dancer id (``d04``) becomes the subject,
so splits by subject keep a dancer out of two splits.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.io.derive import assemble, check_finite
from autocompose.poses.io.orient import UpAxis, to_y_up
from autocompose.poses.sequence import PoseSequence

#: COCO-17 keypoint order, shared by AIST++ and COCO JSON.
COCO17: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
#: COCO-17 keypoints that are canonical joints as they are (eyes and ears are used by rules).
COCO_TO_CANONICAL: dict[str, str] = {n: n for n in COCO17 if "eye" not in n and "ear" not in n}

AISTPP_FPS = 60.0
_NAME = re.compile(
    r"^g(?P<genre>[A-Z]{2})_s(?P<situation>[A-Za-z]+)_c(?P<camera>\w+?)_d(?P<dancer>\d+)_m(?P<music>\w+?)_ch(?P<choreo>\d+)$"
)


def coco17_to_canonical(source: str | Path, kp: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Map ``(T, 17, 3)`` COCO keypoints to canonical joints (head from the ears)."""
    named = {canon: kp[:, COCO17.index(coco)] for coco, canon in COCO_TO_CANONICAL.items()}
    ears = (kp[:, COCO17.index("left_ear")], kp[:, COCO17.index("right_ear")])
    return assemble(source, named, ears=ears)


def load_aistpp(path: str | Path, key: str = "auto", up: UpAxis = "auto") -> PoseSequence:
    """Load one AIST++ keypoints3d pickle (``key``: ``keypoints3d_optim``, ``keypoints3d`` or auto)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = pickle.load(fh)
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
        raise PoseFormatError(path, "file", "an AIST++ keypoints3d pickle", f"unreadable data ({exc})") from exc
    if not isinstance(data, dict):
        raise PoseFormatError(path, "file", "a dict with 'keypoints3d_optim' or 'keypoints3d'", type(data).__name__)
    if key == "auto":
        key = next((k for k in ("keypoints3d_optim", "keypoints3d") if k in data), "")
        if not key:
            raise PoseFormatError(path, "keys", "'keypoints3d_optim' or 'keypoints3d'", ", ".join(map(str, data)) or "no keys")
    elif key not in data:
        raise PoseFormatError(path, key, "this key in the pickle", ", ".join(map(str, data)))
    kp = np.asarray(data[key], dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (17, 3) or kp.shape[0] == 0:
        raise PoseFormatError(path, key, "array of shape (T>0, 17, 3) (COCO-17, cm)", f"shape {kp.shape}")
    check_finite(path, key, kp)
    joints, mask, derived = coco17_to_canonical(path, (kp / 100.0).astype(np.float32))
    joints, axis = to_y_up(path, joints, up)
    match = _NAME.match(path.stem)
    meta = {"format": "aistpp", "key": key, "up_axis": axis, "derived": list(derived)}
    if match:
        meta.update(genre=match["genre"], music=match["music"], choreography=match["choreo"])
    return PoseSequence(
        id=path.stem,
        subject=f"d{match['dancer']}" if match else None,
        fps=AISTPP_FPS,
        joints=joints,
        source=str(path),
        joint_mask=mask,
        meta=meta,
    )
