"""PairSet: mined pairs with their poses, saved as a folder (pairs.jsonl + poses.npz + meta.json).

The folder is self-contained — later stages (describe, dataset) need no access to the
source motion files. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.skeleton import NUM_JOINTS

PairKind = Literal["in_sequence", "cross_sequence"]


@dataclass(frozen=True)
class Pair:
    """One reference → target pair; frames index into the named sequences."""

    id: str
    split: str
    kind: PairKind
    ref_seq: str
    ref_frame: int
    tgt_seq: str
    tgt_frame: int
    difference: float  # mean per-joint distance after normalisation, metres


@dataclass
class PairSet:
    """Pairs plus their reference/target joints (world frame; see ``mining`` for cross pairs)."""

    pairs: list[Pair]
    ref: np.ndarray  # (N, J, 3) float32
    tgt: np.ndarray  # (N, J, 3) float32
    mask: np.ndarray  # (N, J) bool: joints valid in both poses
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.pairs)
        for name, arr, shape in (
            ("ref", self.ref, (n, NUM_JOINTS, 3)),
            ("tgt", self.tgt, (n, NUM_JOINTS, 3)),
            ("mask", self.mask, (n, NUM_JOINTS)),
        ):
            if np.shape(arr) != shape:
                raise PoseFormatError("PairSet", name, f"shape {shape}", f"shape {np.shape(arr)}")

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[tuple[Pair, np.ndarray, np.ndarray, np.ndarray]]:
        for i, p in enumerate(self.pairs):
            yield p, self.ref[i], self.tgt[i], self.mask[i]

    def split(self, name: str) -> PairSet:
        return self.subset([i for i, p in enumerate(self.pairs) if p.split == name])

    def subset(self, indices: list[int]) -> PairSet:
        """The pairs at ``indices``, in that order (meta copied)."""
        return PairSet(
            [self.pairs[i] for i in indices], self.ref[indices], self.tgt[indices], self.mask[indices], dict(self.meta)
        )

    @staticmethod
    def concat(parts: list[PairSet], meta: dict[str, Any]) -> PairSet:
        """One PairSet of ``parts`` in order (pair ids must already be distinct)."""
        return PairSet(
            [p for part in parts for p in part.pairs],
            np.concatenate([part.ref for part in parts]),
            np.concatenate([part.tgt for part in parts]),
            np.concatenate([part.mask for part in parts]),
            meta,
        )

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.pairs:
            out[p.split] = out.get(p.split, 0) + 1
        return out

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(folder / "pairs.jsonl", "".join(json.dumps(asdict(p)) + "\n" for p in self.pairs).encode())
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as fh:
            np.savez_compressed(fh, ref=self.ref, tgt=self.tgt, mask=self.mask)
        os.replace(fh.name, folder / "poses.npz")
        _atomic_write(folder / "meta.json", json.dumps(self.meta, indent=2, default=str).encode())
        return folder

    @staticmethod
    def load(folder: str | Path) -> PairSet:
        folder = Path(folder)
        for name in ("pairs.jsonl", "poses.npz"):
            if not (folder / name).exists():
                raise PoseFormatError(folder, name, "a pair folder written by `autocompose pairs mine`", f"no {name}")
        pairs = []
        for ln, line in enumerate((folder / "pairs.jsonl").read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                pairs.append(Pair(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise PoseFormatError(folder / "pairs.jsonl", f"line {ln}", "a JSON pair record", str(exc)) from exc
        with np.load(folder / "poses.npz") as data:
            ref, tgt, mask = data["ref"], data["tgt"], data["mask"]
        meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").exists() else {}
        return PairSet(pairs, ref, tgt, mask, meta)


def _atomic_write(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as fh:
        fh.write(data)
    os.replace(fh.name, path)
