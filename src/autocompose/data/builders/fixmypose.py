"""FIXMYPOSE: image pairs of rendered characters with human correction text (image modality).

Source layout: one JSON list per split (``train*.json``, ``val*.json`` / ``valid*.json``,
``test*.json``) anywhere under SOURCE, plus the images they name. Each record names the
reference image, the target image and its texts; the keys accepted are listed in
``REF_KEYS``, ``TGT_KEYS`` and ``TEXT_KEYS`` (the first present wins), so the original release
and its common re-packagings load alike.

The real release (``valid_NC.json``, ``valid_seen_NC.json``, ``valid_ret_NC.json``) needs two
more rules:

* image paths are absolute paths of the authors' machine. A path is looked up next to the
  JSON, then under SOURCE, then **by file name** anywhere under SOURCE; every image still
  missing is listed in one error.
* a retrieval record has no target key: its ten candidates are ``trg0`` … ``trg9`` and the
  answer is ``trg{ans_idx}``. It becomes a pair whose target is the answer, with the ten
  candidates as that query's candidate list (``galleries/{split}.json`` ``candidates``).

FIXMYPOSE has no 3D joints: the dataset is image-only and trains through the image-encoder
path. As in the paper, each split's gallery is every image of that split; retrieval queries
rank only their candidates.
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
CANDIDATE_KEYS = tuple(f"trg{i}" for i in range(10))
ANSWER_KEY = "ans_idx"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
_SPLIT_OF_PREFIX = {"train": "train", "val": "val", "valid": "val", "dev": "val", "test": "test"}
_MAX_LISTED = 10


def image_pose_id(rel: str) -> str:
    """File-name-safe pose id from an image's relative path (extension dropped)."""
    return safe_id(str(Path(rel).with_suffix("")))


def _pick(rec: dict[str, Any], keys: tuple[str, ...], path: Path, i: int) -> Any:
    for k in keys:
        if k in rec:
            return rec[k]
    raise AutocomposeError(f"{path}: record {i} has none of the keys {keys}; found {sorted(rec)}")


class _ImageResolver:
    """Finds a record's image: as written, relative to the JSON or SOURCE, else by file name."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self._by_name: dict[str, list[Path]] | None = None
        self.missing: dict[str, str] = {}  # file name -> first "json: record i" that names it

    def _index(self) -> dict[str, list[Path]]:
        if self._by_name is None:
            self._by_name = {}
            for f in sorted(self.source.rglob("*")):
                if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file():
                    self._by_name.setdefault(f.name, []).append(f)
        return self._by_name

    def resolve(self, rel: str, path: Path, i: int) -> tuple[str, Path] | None:
        """(pose id, file) of an image path from ``path``'s record ``i``; None (and noted) when absent."""
        for c in (path.parent / rel, self.source / rel):
            if not Path(rel).is_absolute() and c.exists():
                return image_pose_id(rel), c
        name = Path(rel.replace("\\", "/")).name
        found = self._index().get(name, [])
        if len(found) > 1:
            shown = ", ".join(str(f.relative_to(self.source)) for f in found[:3])
            raise AutocomposeError(
                f"{path}: record {i}: image {rel!r} is ambiguous: {len(found)} files named {name!r} under "
                f"{self.source} ({shown}); keep one copy of each image under --source"
            )
        if not found:
            self.missing.setdefault(name, f"{path.name}: record {i}")
            return None
        return image_pose_id(str(found[0].relative_to(self.source))), found[0]

    def raise_if_missing(self) -> None:
        if not self.missing:
            return
        listed = "; ".join(f"{n} ({where})" for n, where in list(self.missing.items())[:_MAX_LISTED])
        more = f" and {len(self.missing) - _MAX_LISTED} more" if len(self.missing) > _MAX_LISTED else ""
        raise AutocomposeError(
            f"{self.source}: {len(self.missing)} images named by the JSON files were not found (searched by path, "
            f"then by file name under the folder tree): {listed}{more}. Put FIXMYPOSE's images (any sub-folder) "
            f"under --source"
        )


def _targets(rec: dict[str, Any], path: Path, i: int) -> tuple[Any, list[Any] | None]:
    """The target image path and, for a retrieval record, its candidate image paths."""
    if any(k in rec for k in TGT_KEYS):
        return _pick(rec, TGT_KEYS, path, i), None
    if ANSWER_KEY in rec and CANDIDATE_KEYS[0] in rec:
        cands = [rec[k] for k in CANDIDATE_KEYS if k in rec]
        ans = rec[ANSWER_KEY]
        if not isinstance(ans, int) or not 0 <= ans < len(cands):
            raise AutocomposeError(
                f"{path}: record {i}: {ANSWER_KEY}={ans!r} is not the index of one of its {len(cands)} candidates "
                f"trg0…trg{len(cands) - 1}; fix the record or drop it"
            )
        return cands[ans], cands
    raise AutocomposeError(
        f"{path}: record {i} has none of the target keys {TGT_KEYS} and no retrieval candidates "
        f"({CANDIDATE_KEYS[0]}… with {ANSWER_KEY}); found {sorted(rec)}"
    )


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
    candidates: dict[str, dict[str, list[str]]] = {}
    resolver = _ImageResolver(source)
    for path in sorted(source.rglob("*.json")):
        prefix = re.split(r"[_.\-]", path.name, maxsplit=1)[0].lower()
        split = _SPLIT_OF_PREFIX.get(prefix)
        if split is None:
            continue
        records = json.loads(path.read_text())
        if not isinstance(records, list):
            raise AutocomposeError(f"{path}: expected a JSON list of pair records, found {type(records).__name__}")
        for i, rec in enumerate(records):
            ref = _pick(rec, REF_KEYS, path, i)
            tgt, cands = _targets(rec, path, i)
            ends = [resolver.resolve(str(x), path, i) for x in (ref, tgt, *(cands or []))]
            for end in ends:
                if end is not None:
                    dest = f"images/{end[0]}{end[1].suffix.lower()}"
                    ids.setdefault(end[0], dest)
                    image_sources[dest] = end[1]
            sents = _pick(rec, TEXT_KEYS, path, i)
            if any(e is None for e in ends):
                continue  # reported, with every other missing image, after the scan
            pair_id = f"{split}-{len(pairs):06d}"
            pairs.append(CPRPair(pair_id, split, "imported", ends[0][0], ends[1][0], None))  # type: ignore[index]
            texts["human"][pair_id] = {"original": [sents] if isinstance(sents, str) else list(sents)}
            if cands is not None:
                candidates.setdefault(split, {})[pair_id] = list(dict.fromkeys(e[0] for e in ends[2:]))  # type: ignore[index]
    resolver.raise_if_missing()
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
        members = {x for p in pairs if p.split == split for x in (p.ref, p.tgt)}
        members |= {x for cands in candidates.get(split, {}).values() for x in cands}
        if members:
            galleries[split] = Gallery(sorted(members), candidates.get(split))
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
