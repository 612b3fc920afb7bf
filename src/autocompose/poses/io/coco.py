"""COCO-format keypoint JSON (2D image keypoints), loaded as a flagged 2D sequence.

Each person annotation with keypoints becomes one frame, ordered by image id and then
annotation id. Image coordinates (x right, y down, pixels) become x right, y up, z = 0,
scaled per frame to a nominal 0.5 m torso (shoulder-mid to hip-mid) and centred on the
hips. Keypoints with visibility 0 get confidence 0. ``is_2d`` is set: depth is unknown.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.io.aistpp import COCO17, coco17_to_canonical
from autocompose.poses.sequence import PoseSequence
from autocompose.poses.skeleton import NUM_JOINTS, joint_index

NOMINAL_TORSO_M = 0.5


def load_coco_keypoints(path: str | Path, fps: float = 30.0) -> PoseSequence:
    """Load a COCO keypoints JSON (``annotations[*].keypoints`` = 17 × (x, y, v))."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoseFormatError(path, "file", "COCO keypoints JSON", f"unreadable ({exc})") from exc
    anns = doc.get("annotations") if isinstance(doc, dict) else None
    if not isinstance(anns, list):
        raise PoseFormatError(path, "annotations", "a list of person annotations", type(anns).__name__)
    images = {im.get("id"): im.get("file_name") for im in doc.get("images", []) if isinstance(im, dict)}
    rows, frames = [], []
    for i, ann in enumerate(anns):
        kp = ann.get("keypoints") if isinstance(ann, dict) else None
        if not isinstance(kp, list) or len(kp) != 51:
            raise PoseFormatError(
                path,
                f"annotations[{i}].keypoints",
                "51 numbers (17 × x, y, v)",
                f"{len(kp) if isinstance(kp, list) else type(kp).__name__}",
            )
        arr = np.asarray(kp, dtype=np.float64).reshape(17, 3)
        if not np.isfinite(arr).all():
            raise PoseFormatError(path, f"annotations[{i}].keypoints", "finite numbers", "NaN/inf")
        if (arr[:, 2] > 0).sum() == 0:
            continue
        rows.append((ann.get("image_id", 0), ann.get("id", i), arr))
    if not rows:
        raise PoseFormatError(path, "annotations", "at least one person with labelled keypoints", "none")
    rows.sort(key=lambda r: (r[0], r[1]))
    kp = np.stack([r[2] for r in rows])
    frames = [images.get(r[0], str(r[0])) for r in rows]
    xyz = np.zeros((len(rows), 17, 3), dtype=np.float32)
    xyz[..., 0] = kp[..., 0]
    xyz[..., 1] = -kp[..., 1]
    vis = (kp[..., 2] > 0).astype(np.float32)
    hips = (xyz[:, COCO17.index("left_hip")] + xyz[:, COCO17.index("right_hip")]) / 2
    shoulders = (xyz[:, COCO17.index("left_shoulder")] + xyz[:, COCO17.index("right_shoulder")]) / 2
    torso = np.linalg.norm(shoulders - hips, axis=-1)
    scale = np.where(torso > 1e-6, NOMINAL_TORSO_M / np.maximum(torso, 1e-6), 1.0)
    xyz = (xyz - hips[:, None]) * scale[:, None, None]
    joints, mask, derived = coco17_to_canonical(path, xyz)
    conf = np.ones((len(rows), NUM_JOINTS), dtype=np.float32)
    for coco_i, name in enumerate(COCO17):
        if "eye" not in name and "ear" not in name:
            conf[:, joint_index(name)] = vis[:, coco_i]
    return PoseSequence(
        id=path.stem,
        subject=None,
        fps=fps,
        joints=joints,
        source=str(path),
        joint_mask=mask,
        is_2d=True,
        confidence=conf,
        meta={"format": "coco", "frames": frames, "derived": list(derived)},
    )
