"""Pose sources by name: what every command's SOURCE argument (and every builder's --source) can be.

A source is a pose file (``.bvh``, AIST++ ``.pkl``, SMPL/AMASS ``.npz``/``.npy``, COCO ``.json``),
a folder of them, ``builtin`` / ``builtin:s01,s02`` (the procedural library), ``real-sample``
(three real clips fetched into the cache; evaluation only), a motion-capture collection folder
(``bandai-namco``, ``cmu-expmap``, ``deepmimic``, or a folder holding several), or ``mocap:NAME``
(a collection fetched with ``autocompose poses fetch NAME``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autocompose.errors import AutocomposeError
from autocompose.poses.sequence import PoseSequence


def load_sources(sources: Sequence[str | Path], progress: bool = False) -> list[PoseSequence]:
    """Every sequence of every source (see the module docstring for what a source can be)."""
    from autocompose.poses.builtin import builtin_library
    from autocompose.poses.io import LOADERS, load_sequence
    from autocompose.poses.mocap import COLLECTIONS, cache_root, find_collections, load_collection
    from autocompose.poses.real_sample import fetch_real_sample

    out: list[PoseSequence] = []
    for src in map(str, sources):
        if src == "builtin" or src.startswith("builtin:"):
            subjects = tuple(src.split(":", 1)[1].split(",")) if ":" in src else None
            out.extend(builtin_library(subjects=subjects))
        elif src == "real-sample":
            out.extend(load_sequence(p) for p in fetch_real_sample())
        elif src.startswith("mocap:"):
            name = src.split(":", 1)[1]
            if name not in COLLECTIONS:
                raise AutocomposeError(f"{src}: unknown collection; known: {', '.join(COLLECTIONS)}")
            folder = cache_root() / name
            if not folder.is_dir():
                raise AutocomposeError(f"{src}: not fetched yet; run `autocompose poses fetch {name}` (or with --from DIR)")
            out.extend(load_collection(folder, name=name, progress=progress))
        elif Path(src).is_dir() and find_collections(src):
            out.extend(load_collection(src, progress=progress))
        else:
            path = Path(src)
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in LOADERS) if path.is_dir() else [path]
            if not files:
                raise AutocomposeError(f"{src}: no pose files found (looked for {', '.join(LOADERS)})")
            out.extend(load_sequence(f) for f in files)
    return out
