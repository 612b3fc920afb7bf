"""FIXMYPOSE: image pairs of rendered characters with human correction text (image modality).

Source layout: one JSON list per split (``train*.json``, ``val*.json`` / ``valid*.json``,
``test*.json``) anywhere under SOURCE, plus the images they name (paths relative to the JSON's
folder or to SOURCE). Each record names the reference image, the target image and its texts;
the keys accepted are listed in ``REF_KEYS``, ``TGT_KEYS`` and ``TEXT_KEYS`` (the first present
wins), so the original release and its common re-packagings load alike. FIXMYPOSE has no 3D
joints: the dataset is image-only and trains through the image-encoder path. As in the paper,
each split's gallery is every image of that split (full-gallery ranking).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autocompose.data.build import BuildOptions
from autocompose.data.format import SPLIT_NAMES, CPRDataset, CPRPair, Descriptions, Gallery, PoseTable, safe_id
from autocompose.errors import AutocomposeError

REF_KEYS = ("img0", "image0", "img_a", "reference", "source_image", "ref")
TGT_KEYS = ("img1", "image1", "img_b", "target", "target_image", "tgt")
TEXT_KEYS = ("sents", "sentences", "descriptions", "texts", "text", "caption")
_SPLIT_OF_PREFIX = {"train": "train", "val": "val", "valid": "val", "dev": "val", "test": "test"}


def image_pose_id(rel: str) -> str:
    """File-name-safe pose id from an image's relative path (extension dropped)."""
    return safe_id(str(Path(rel).with_suffix("")))


def _pick(rec: dict[str, Any], keys: tuple[str, ...], path: Path, i: int) -> Any:
    for k in keys:
        if k in rec:
            return rec[k]
    raise AutocomposeError(f"{path}: record {i} has none of the keys {keys}; found {sorted(rec)}")


def build_fixmypose(
    source: Path | None,
    options: BuildOptions,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> CPRDataset:
    """Image-only CPR dataset from FIXMYPOSE's split JSON files and images."""
    if source is None or not source.is_dir():
        raise AutocomposeError(f"fixmypose needs --source: the folder with its split JSON files and images (got {source})")
    ids: dict[str, str] = {}  # pose id -> image rel path (dataset side)
    image_sources: dict[str, Path] = {}
    pairs: list[CPRPair] = []
    texts: Descriptions = {"human": {}}
    for path in sorted(source.rglob("*.json")):
        prefix = re.split(r"[_.\-]", path.name, maxsplit=1)[0].lower()
        split = _SPLIT_OF_PREFIX.get(prefix)
        if split is None:
            continue
        records = json.loads(path.read_text())
        if not isinstance(records, list):
            raise AutocomposeError(f"{path}: expected a JSON list of pair records, found {type(records).__name__}")
        for i, rec in enumerate(records):
            ends = []
            for keys in (REF_KEYS, TGT_KEYS):
                rel = str(_pick(rec, keys, path, i))
                file = next((c for c in (path.parent / rel, source / rel) if c.exists()), None)
                if file is None:
                    raise AutocomposeError(f"{path}: record {i}: image {rel!r} not found next to the JSON or under {source}")
                pid = image_pose_id(rel)
                dest = f"images/{pid}{file.suffix.lower()}"
                ids.setdefault(pid, dest)
                image_sources[dest] = file
                ends.append(pid)
            sents = _pick(rec, TEXT_KEYS, path, i)
            pair_id = f"{split}-{len(pairs):06d}"
            pairs.append(CPRPair(pair_id, split, "imported", ends[0], ends[1], None))
            texts["human"][pair_id] = {"original": [sents] if isinstance(sents, str) else list(sents)}
    if not pairs:
        raise AutocomposeError(f"{source}: no train*/val*/valid*/test*.json pair files found")
    order = sorted(ids)
    table = PoseTable(
        ids=order,
        sequence=[str(Path(ids[p]).parent) for p in order],
        frame=[0] * len(order),
        subject=[""] * len(order),
        image=[ids[p] for p in order],
    )
    galleries = {}
    for split in SPLIT_NAMES:
        members = sorted({x for p in pairs if p.split == split for x in (p.ref, p.tgt)})
        if members:
            galleries[split] = Gallery(members)
    card = {
        "description": "FIXMYPOSE pose-correction image pairs with human text (image modality).",
        "sources": [
            {
                "name": "FIXMYPOSE",
                "url": "https://fixmypose-unc.github.io/",
                "licence": "see the FIXMYPOSE release terms",
                "path": str(source),
            }
        ],
        "licence": "as the FIXMYPOSE release",
        "split_by": "FIXMYPOSE's own split files",
        "queries": {"train": ["human"], "test": "human"},
        "descriptions": {"human": {"kind": "human"}},
        "build": {"builder": "fixmypose", "options": options.model_dump(mode="json")},
    }
    return CPRDataset("fixmypose", "image", table, pairs, texts, galleries, card, image_sources=image_sources)
