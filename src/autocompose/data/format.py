"""The on-disk CPR dataset: poses, pairs, descriptions per source and variant, galleries, card.

One folder per dataset (documented in ``docs/dataset-format.md``)::

    dataset.json                 card: name, modality, sources, licences, counts, build options
    poses.npz                    ids, sequence, frame, subject, joints (P,J,3) f32, mask (P,J), image
    pairs.jsonl                  {id, split, kind, ref, tgt, difference}; ref/tgt are pose ids
    descriptions/{source}.jsonl  {pair_id, variant, texts: [...]} per pair and variant
    galleries/{split}.json       {"poses": [...], "candidates": {pair_id: [...]}?}
    images/                      optional renders or source images (paths in poses.npz)

Joints are in the canonical skeleton (``poses.skeleton``), metres, y up, in each pose's own
recording frame; models normalise them. Image-only datasets (FIXMYPOSE, imports from the
CLIP4Cir layout) have no joints and an image path per pose. ``save`` writes a whole new folder
beside the target and renames it into place, so a crash never leaves a half-written dataset.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from autocompose.describe.base import VARIANTS
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import place_like
from autocompose.pairs.pairset import Pair, PairSet
from autocompose.poses.skeleton import JOINT_NAMES, NUM_JOINTS

FORMAT_NAME = "autocompose-cpr"
FORMAT_VERSION = 1
SPLIT_NAMES = ("train", "val", "test")
Modality = Literal["pose3d", "image"]
SourceKind = Literal["human", "rules", "kinematic", "mllm", "imported"]


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_id(text: str) -> str:
    """A pose/pair id usable as a file name and in a URL path: other characters become '-'."""
    return _UNSAFE.sub("-", text).strip("-.") or "-"


class DatasetFormatError(AutocomposeError, ValueError):
    """A CPR dataset folder is malformed; the message names the file, the field and the fix."""

    def __init__(self, path: str | Path, field: str, problem: str, fix: str) -> None:
        self.path, self.field = str(path), field
        super().__init__(f"{path}: {field}: {problem} — {fix}")


@dataclass(frozen=True)
class CPRPair:
    """One query: reference pose id + target pose id, in one split."""

    id: str
    split: str
    kind: str  # in_sequence | cross_sequence | imported
    ref: str
    tgt: str
    difference: float | None = None


@dataclass
class PoseTable:
    """All poses of a dataset; ``joints``/``mask`` are None for image-only datasets."""

    ids: list[str]
    sequence: list[str]
    frame: list[int]
    subject: list[str]
    joints: np.ndarray | None = None  # (P, J, 3) float32
    mask: np.ndarray | None = None  # (P, J) bool
    image: list[str] = field(default_factory=list)  # relative path or "" per pose

    def __post_init__(self) -> None:
        n = len(self.ids)
        if not self.image:
            self.image = [""] * n
        for name in ("sequence", "frame", "subject", "image"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"PoseTable.{name} has {len(getattr(self, name))} entries for {n} poses")
        if (self.joints is None) != (self.mask is None):
            raise ValueError("PoseTable needs both joints and mask, or neither")
        if self.joints is not None and (self.joints.shape != (n, NUM_JOINTS, 3) or self.mask.shape != (n, NUM_JOINTS)):  # type: ignore[union-attr]
            raise ValueError(f"PoseTable joints {self.joints.shape} / mask {self.mask.shape} do not fit {n} poses")  # type: ignore[union-attr]
        self._index = {pid: i for i, pid in enumerate(self.ids)}
        if len(self._index) != n:
            dup = [k for k, c in Counter(self.ids).items() if c > 1][:5]
            raise ValueError(f"pose ids must be unique; duplicated: {dup}")

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, pose_id: str) -> int:
        return self._index[pose_id]

    def __contains__(self, pose_id: object) -> bool:
        return pose_id in self._index


# descriptions[source][pair_id][variant] -> texts
Descriptions = dict[str, dict[str, dict[str, list[str]]]]


@dataclass
class Gallery:
    """The poses ranked for a split's queries; optional per-query candidate subsets."""

    poses: list[str]
    candidates: dict[str, list[str]] | None = None


@dataclass
class CPRDataset:
    """A composed-pose-retrieval benchmark in memory; ``save``/``load`` for the folder format."""

    name: str
    modality: Modality
    poses: PoseTable
    pairs: list[CPRPair]
    descriptions: Descriptions
    galleries: dict[str, Gallery]
    card: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None  # folder loaded from (images are relative to it)
    image_sources: dict[str, Path] = field(default_factory=dict)  # image path -> file to copy, before the first save

    # ------------------------------------------------------------------ queries
    def split(self, name: str) -> list[CPRPair]:
        return [p for p in self.pairs if p.split == name]

    def sources(self) -> list[str]:
        return sorted(self.descriptions)

    def texts(self, source: str, pair_id: str, variant: str = "original") -> list[str]:
        return self.descriptions.get(source, {}).get(pair_id, {}).get(variant, [])

    def joints_of(self, pose_ids: list[str]) -> np.ndarray:
        if self.poses.joints is None:
            raise AutocomposeError(f"dataset {self.name!r} is image-only ({self.modality}); it has no joints")
        return self.poses.joints[[self.poses.index(p) for p in pose_ids]]

    def to_pairset(self) -> PairSet:
        """The pairs as a ``PairSet`` (cross-sequence targets re-placed like their reference),
        so any annotator — the MLLM one included — can describe a built dataset."""
        t = self.poses
        ref = self.joints_of([p.ref for p in self.pairs])
        tgt = self.joints_of([p.tgt for p in self.pairs])
        mask = t.mask[[t.index(p.ref) for p in self.pairs]] & t.mask[[t.index(p.tgt) for p in self.pairs]]  # type: ignore[index]
        for i, p in enumerate(self.pairs):
            if p.kind == "cross_sequence":
                tgt[i] = place_like(tgt[i], ref[i])
        pairs = [
            Pair(
                p.id,
                p.split,
                p.kind,
                t.sequence[t.index(p.ref)],
                t.frame[t.index(p.ref)],
                t.sequence[t.index(p.tgt)],
                t.frame[t.index(p.tgt)],
                p.difference if p.difference is not None else float("nan"),
            )  # type: ignore[arg-type]
            for p in self.pairs
        ]
        return PairSet(pairs, ref, tgt, mask, {"dataset": self.name})

    def counts(self) -> dict[str, Any]:
        per_split = Counter(p.split for p in self.pairs)
        texts = {s: sum(len(t) for variants in recs.values() for t in variants.values()) for s, recs in self.descriptions.items()}
        return {
            "poses": len(self.poses),
            "pairs": {s: per_split.get(s, 0) for s in SPLIT_NAMES},
            "pair_kinds": dict(Counter(p.kind for p in self.pairs)),
            "gallery": {s: len(g.poses) for s, g in self.galleries.items()},
            "texts": texts,
        }

    def validate(self, where: str | Path = "<dataset>") -> None:
        """Raise ``DatasetFormatError`` on any dangling id, unknown split/variant or missing target."""
        seen: set[str] = set()
        for p in self.pairs:
            if p.split not in SPLIT_NAMES:
                raise DatasetFormatError(
                    where, f"pairs.jsonl pair {p.id} split", f"unknown split {p.split!r}", f"use one of {SPLIT_NAMES}"
                )
            if p.id in seen:
                raise DatasetFormatError(
                    where, "pairs.jsonl id", f"pair id {p.id!r} appears twice", "give every pair a unique id"
                )
            seen.add(p.id)
            for end in ("ref", "tgt"):
                if getattr(p, end) not in self.poses:
                    raise DatasetFormatError(
                        where,
                        f"pairs.jsonl pair {p.id} {end}",
                        f"pose id {getattr(p, end)!r} is not in poses.npz",
                        "add the pose or drop the pair",
                    )
        for source, recs in self.descriptions.items():
            for pid, variants in recs.items():
                if pid not in seen:
                    raise DatasetFormatError(
                        where,
                        f"descriptions/{source}.jsonl",
                        f"pair id {pid!r} is not in pairs.jsonl",
                        "remove the record or add the pair",
                    )
                bad = set(variants) - set(VARIANTS)
                if bad:
                    raise DatasetFormatError(
                        where, f"descriptions/{source}.jsonl pair {pid}", f"unknown variants {sorted(bad)}", f"use {VARIANTS}"
                    )
        for split, gal in self.galleries.items():
            missing = [x for x in gal.poses if x not in self.poses][:3]
            if missing:
                raise DatasetFormatError(
                    where, f"galleries/{split}.json", f"pose ids {missing} not in poses.npz", "rebuild the gallery"
                )
            members = set(gal.poses)
            for p in self.split(split):
                pool = set(gal.candidates[p.id]) if gal.candidates and p.id in gal.candidates else members
                if p.tgt not in pool:
                    raise DatasetFormatError(
                        where,
                        f"galleries/{split}.json",
                        f"target {p.tgt!r} of pair {p.id} is not in the gallery",
                        "every target must be rankable",
                    )

    # ------------------------------------------------------------------ disk
    def save(self, folder: str | Path) -> Path:
        """Write the dataset atomically: build ``folder`` beside itself, then swap it in.

        Images are copied from ``image_sources`` or else from the folder it was loaded from.
        """
        folder = Path(folder).resolve()
        self.validate(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            self._write(tmp)
            if folder.exists():
                old = folder.with_name(f".{folder.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                folder.rename(old)
                tmp.rename(folder)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.root = folder
        self.image_sources = {}
        return folder

    def _write(self, out: Path) -> None:
        t = self.poses
        arrays: dict[str, np.ndarray] = {
            "ids": np.array(t.ids, dtype=str),
            "sequence": np.array(t.sequence, dtype=str),
            "frame": np.array(t.frame, dtype=np.int64),
            "subject": np.array(t.subject, dtype=str),
            "image": np.array(t.image, dtype=str),
        }
        if t.joints is not None:
            arrays["joints"] = t.joints.astype(np.float32)
            arrays["mask"] = t.mask.astype(bool)  # type: ignore[union-attr]
        np.savez_compressed(out / "poses.npz", **arrays)
        (out / "pairs.jsonl").write_text("".join(json.dumps(asdict(p)) + "\n" for p in self.pairs), encoding="utf-8")
        (out / "descriptions").mkdir()
        for source, recs in self.descriptions.items():
            lines = [
                json.dumps({"pair_id": pid, "variant": v, "texts": texts})
                for pid, variants in recs.items()
                for v, texts in variants.items()
            ]
            (out / "descriptions" / f"{source}.jsonl").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        (out / "galleries").mkdir()
        for split, gal in self.galleries.items():
            body: dict[str, Any] = {"poses": gal.poses}
            if gal.candidates:
                body["candidates"] = gal.candidates
            (out / "galleries" / f"{split}.json").write_text(json.dumps(body), encoding="utf-8")
        for rel in (p for p in t.image if p):
            src = self.image_sources.get(rel) or (self.root / rel if self.root else None)
            if src is None or not src.exists():
                raise AutocomposeError(
                    f"image {rel!r} of dataset {self.name!r} not found (looked at {src}); give its file in image_sources"
                )
            dst = out / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        card = {
            **self.card,
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "modality": self.modality,
            "skeleton": list(JOINT_NAMES) if t.joints is not None else None,
            "counts": self.counts(),
        }
        (out / "dataset.json").write_text(json.dumps(card, indent=2, default=str), encoding="utf-8")

    @staticmethod
    def load(folder: str | Path) -> CPRDataset:
        """Read and validate a dataset folder; every problem is a ``DatasetFormatError``."""
        folder = Path(folder)
        card_path = folder / "dataset.json"
        if not card_path.exists():
            raise DatasetFormatError(
                folder, "dataset.json", "missing", "build one with `autocompose dataset build NAME -o FOLDER`"
            )
        card = _read_json(card_path)
        if card.get("format") != FORMAT_NAME:
            raise DatasetFormatError(card_path, "format", f"is {card.get('format')!r}", f"expected {FORMAT_NAME!r}")
        if card.get("format_version", 0) > FORMAT_VERSION:
            raise DatasetFormatError(
                card_path,
                "format_version",
                f"{card['format_version']} is newer than this autocompose ({FORMAT_VERSION})",
                "upgrade autocompose",
            )
        modality = card.get("modality")
        if modality not in ("pose3d", "image"):
            raise DatasetFormatError(card_path, "modality", f"is {modality!r}", "use 'pose3d' or 'image'")
        poses = _read_poses(folder / "poses.npz")
        pairs = []
        for ln, line in enumerate(_lines(folder / "pairs.jsonl"), 1):
            try:
                pairs.append(CPRPair(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise DatasetFormatError(
                    folder / "pairs.jsonl", f"line {ln}", str(exc), "each line is {id, split, kind, ref, tgt, difference}"
                ) from exc
        descriptions: Descriptions = {}
        for path in sorted((folder / "descriptions").glob("*.jsonl")):
            recs: dict[str, dict[str, list[str]]] = {}
            for ln, line in enumerate(_lines(path), 1):
                try:
                    rec = json.loads(line)
                    texts = rec["texts"]
                    if not isinstance(texts, list) or not all(isinstance(x, str) for x in texts):
                        raise TypeError("texts must be a list of strings")
                    recs.setdefault(rec["pair_id"], {})[rec["variant"]] = texts
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise DatasetFormatError(
                        path, f"line {ln}", repr(exc), "each line is {pair_id, variant, texts: [...]}"
                    ) from exc
            descriptions[path.stem] = recs
        galleries = {}
        for path in sorted((folder / "galleries").glob("*.json")):
            body = _read_json(path)
            if not isinstance(body.get("poses"), list):
                raise DatasetFormatError(path, "poses", "missing or not a list", "list the gallery's pose ids")
            galleries[path.stem] = Gallery(body["poses"], body.get("candidates"))
        ds = CPRDataset(card.get("name", folder.name), modality, poses, pairs, descriptions, galleries, card, folder)
        ds.validate(folder)
        return ds


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetFormatError(path, "file", "missing", "rebuild the dataset") from exc
    except json.JSONDecodeError as exc:
        raise DatasetFormatError(path, f"line {exc.lineno}", f"invalid JSON ({exc.msg})", "fix or rebuild the file") from exc


def _lines(path: Path) -> list[str]:
    if not path.exists():
        raise DatasetFormatError(path, "file", "missing", "rebuild the dataset")
    return [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _read_poses(path: Path) -> PoseTable:
    if not path.exists():
        raise DatasetFormatError(path, "file", "missing", "rebuild the dataset")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise DatasetFormatError(path, "file", f"unreadable ({exc})", "rebuild the dataset") from exc
    for key in ("ids", "sequence", "frame", "subject", "image"):
        if key not in arrays:
            raise DatasetFormatError(path, key, "array missing", "rebuild the dataset")
    joints = arrays.get("joints")
    if joints is not None:
        if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
            raise DatasetFormatError(
                path, "joints", f"shape {joints.shape}", f"expected (P, {NUM_JOINTS}, 3) in the canonical skeleton"
            )
        if not np.isfinite(joints).all():
            raise DatasetFormatError(path, "joints", "non-finite values", "drop or repair those poses")
    try:
        return PoseTable(
            ids=arrays["ids"].tolist(),
            sequence=arrays["sequence"].tolist(),
            frame=arrays["frame"].astype(int).tolist(),
            subject=arrays["subject"].tolist(),
            joints=None if joints is None else joints.astype(np.float32),
            mask=arrays.get("mask"),
            image=arrays["image"].tolist(),
        )
    except ValueError as exc:
        raise DatasetFormatError(path, "arrays", str(exc), "rebuild the dataset") from exc
