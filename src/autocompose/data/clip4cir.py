"""Export to and import from the CLIP4Cir / AutoComPose folder layout.

The paper's public training code reads::

    captions/{split}.json      [{reference, target, sents?, mllm?, reverse?, mirror?, mirror-reverse?, auto?, auto-reverse?}]
    image_splits/{split}.json  [image names]  (the split's gallery)
    images/{name}.png          one image per pose

``sents`` holds human (test-query) text; ``mllm``/``reverse``/``mirror``/``mirror-reverse``
the four AutoComPose variants of the generated text; ``auto``/``auto-reverse`` PoseFix's
rule-based text. The exporter renders each 3D pose (front view) or copies the source image;
the importer makes an image-modality dataset of any folder in this layout.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autocompose.data.format import SPLIT_NAMES, CPRDataset, CPRPair, Descriptions, Gallery, PoseTable
from autocompose.errors import AutocomposeError

#: our variant name → CLIP4Cir caption key, for generated text
VARIANT_KEYS = {"original": "mllm", "reversed": "reverse", "mirrored": "mirror", "mirrored_reversed": "mirror-reverse"}
#: PoseFix-style rule text keys
RULE_KEYS = {"original": "auto", "reversed": "auto-reverse"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _dump(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8") as fh:
        json.dump(obj, fh)
    os.replace(fh.name, path)


def export_clip4cir(
    ds: CPRDataset,
    out: Path,
    train_source: str,
    query_source: str | None = None,
    rule_source: str | None = None,
    image_size: int = 224,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write ``ds`` in the CLIP4Cir layout; returns counts per split.

    ``train_source``'s texts go to the variant keys (``sents`` when it is human text),
    ``query_source``'s original texts to ``sents`` (default: the card's test query source),
    ``rule_source``'s to ``auto``/``auto-reverse``.
    """
    for s in (train_source, query_source, rule_source):
        if s is not None and s not in ds.descriptions:
            raise AutocomposeError(f"dataset {ds.name!r} has no description source {s!r}; it has {ds.sources()}")
    query_source = query_source or ds.card.get("queries", {}).get("test")
    human_train = ds.card.get("descriptions", {}).get(train_source, {}).get("kind") == "human"
    counts = {}
    for split in SPLIT_NAMES:
        records = []
        for p in ds.split(split):
            rec: dict[str, Any] = {"reference": p.ref, "target": p.tgt, "pair_id": p.id}
            if human_train:
                rec["sents"] = ds.texts(train_source, p.id)
            else:
                for variant, key in VARIANT_KEYS.items():
                    if texts := ds.texts(train_source, p.id, variant):
                        rec[key] = texts
            if query_source and (texts := ds.texts(query_source, p.id)):
                rec["sents"] = texts
            if rule_source:
                for variant, key in RULE_KEYS.items():
                    if texts := ds.texts(rule_source, p.id, variant):
                        rec[key] = texts
            gal = ds.galleries.get(split)
            if gal and gal.candidates and p.id in gal.candidates:
                rec["img_set"] = gal.candidates[p.id]
            records.append(rec)
        if records:
            _dump(out / "captions" / f"{split}.json", records)
            _dump(out / "image_splits" / f"{split}.json", ds.galleries[split].poses if split in ds.galleries else [])
            counts[split] = len(records)
    _write_images(ds, out / "images", image_size, progress)
    return counts


def _write_images(ds: CPRDataset, folder: Path, size: int, progress: Callable[[int], None] | None) -> None:
    import shutil

    from autocompose.render.raster import RenderStyle, render_pose

    folder.mkdir(parents=True, exist_ok=True)
    style = RenderStyle(size=size)
    for i, pid in enumerate(ds.poses.ids):
        if ds.poses.joints is not None:
            dest = folder / f"{pid}.png"
            if not dest.exists():
                img = render_pose(ds.poses.joints[i], "front", style, ds.poses.mask[i])  # type: ignore[index]
                tmp = dest.with_name(f".{dest.name}.tmp.png")
                img.save(tmp)
                os.replace(tmp, dest)
        else:
            rel = ds.poses.image[i]
            if not rel or ds.root is None:
                raise AutocomposeError(f"pose {pid} has neither joints nor an image to export")
            shutil.copyfile(ds.root / rel, folder / f"{pid}{Path(rel).suffix}")
        if progress:
            progress(1)


def import_clip4cir(folder: Path, name: str | None = None) -> CPRDataset:
    """An image-modality dataset from a CLIP4Cir-layout folder (images are copied on save)."""
    caption_files = sorted((folder / "captions").glob("*.json"))
    if not caption_files:
        raise AutocomposeError(f"{folder}/captions/ has no {{split}}.json files: not a CLIP4Cir-layout folder")
    pairs: list[CPRPair] = []
    texts: Descriptions = {}
    names: set[str] = set()
    galleries: dict[str, Gallery] = {}
    for cap in caption_files:
        split = {"valid": "val", "dev": "val"}.get(cap.stem, cap.stem)
        if split not in SPLIT_NAMES:
            raise AutocomposeError(f"{cap}: split name {cap.stem!r} is not one of {SPLIT_NAMES} (or valid/dev)")
        records = json.loads(cap.read_text(encoding="utf-8"))
        for i, rec in enumerate(records):
            try:
                ref, tgt = str(rec["reference"]), str(rec["target"])
            except (KeyError, TypeError) as exc:
                raise AutocomposeError(f"{cap}: record {i} lacks 'reference'/'target'") from exc
            pid = str(rec.get("pair_id") or f"{split}-{i:06d}")
            pairs.append(CPRPair(pid, split, "imported", ref, tgt, None))
            names.update((ref, tgt))
            for key, (source, variant) in _KEY_SOURCES.items():
                if rec.get(key):
                    value = rec[key]
                    texts.setdefault(source, {}).setdefault(pid, {})[variant] = [value] if isinstance(value, str) else list(value)
            if rec.get("img_set"):
                galleries.setdefault(split, Gallery([], {})).candidates[pid] = [str(x) for x in rec["img_set"]]  # type: ignore[index]
        split_file = folder / "image_splits" / cap.name
        members = (
            json.loads(split_file.read_text())
            if split_file.exists()
            else sorted({x for p in pairs if p.split == split for x in (p.ref, p.tgt)})
        )
        gal = galleries.setdefault(split, Gallery([], {}))
        gal.poses = [str(x) for x in members]
        gal.candidates = gal.candidates or None
        names.update(gal.poses)
    image_sources: dict[str, Path] = {}
    image_of: dict[str, str] = {}
    for n in sorted(names):
        file = next(
            (folder / "images" / f"{n}{s}" for s in ("", *IMAGE_SUFFIXES) if (folder / "images" / f"{n}{s}").is_file()), None
        )
        if file is None:
            raise AutocomposeError(f"{folder}/images/ has no image for {n!r} (tried {', '.join(IMAGE_SUFFIXES)})")
        image_of[n] = f"images/{file.name}"
        image_sources[image_of[n]] = file
    order = sorted(names)
    table = PoseTable(
        ids=order,
        sequence=[""] * len(order),
        frame=[0] * len(order),
        subject=[""] * len(order),
        image=[image_of[n] for n in order],
    )
    card = {
        "description": f"Imported from the CLIP4Cir layout at {folder}.",
        "sources": [{"name": "CLIP4Cir-layout folder", "path": str(folder), "licence": "as the source"}],
        "licence": "as the source",
        "queries": {"train": sorted(texts), "test": "human" if "human" in texts else None},
        "descriptions": {s: {"kind": "human" if s == "human" else "imported"} for s in texts},
        "build": {"builder": "import-clip4cir"},
    }
    return CPRDataset(name or folder.name, "image", table, pairs, texts, galleries, card, image_sources=image_sources)


#: CLIP4Cir caption key → (our description source, variant)
_KEY_SOURCES = {
    "sents": ("human", "original"),
    **{key: ("imported-mllm", variant) for variant, key in VARIANT_KEYS.items()},
    **{key: ("imported-auto", variant) for variant, key in RULE_KEYS.items()},
}
