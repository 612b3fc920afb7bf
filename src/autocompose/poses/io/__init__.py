"""Loaders for the pose formats CPR users hold; ``load_sequence`` picks one by file type."""

from __future__ import annotations

from pathlib import Path

from autocompose.errors import PoseFormatError
from autocompose.poses.io.aistpp import load_aistpp
from autocompose.poses.io.bvh import load_bvh
from autocompose.poses.io.coco import load_coco_keypoints
from autocompose.poses.io.smpl import load_smpl_joints
from autocompose.poses.sequence import PoseSequence

LOADERS = {
    ".pkl": load_aistpp,
    ".bvh": load_bvh,
    ".json": load_coco_keypoints,
    ".npz": load_smpl_joints,
    ".npy": load_smpl_joints,
}


def load_sequence(path: str | Path) -> PoseSequence:
    """Load any supported file: ``.bvh``, AIST++ ``.pkl``, SMPL/AMASS joints ``.npz``/``.npy``, COCO ``.json``."""
    path = Path(path)
    if not path.exists():
        raise PoseFormatError(path, "path", "an existing file", "no such file")
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise PoseFormatError(path, "extension", f"one of {', '.join(LOADERS)}", repr(path.suffix))
    return loader(path)


__all__ = ["LOADERS", "load_aistpp", "load_bvh", "load_coco_keypoints", "load_sequence", "load_smpl_joints"]
