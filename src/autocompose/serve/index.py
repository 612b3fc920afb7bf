"""Gallery index: pose embeddings from a trained model in a faiss index, with the gallery ids.

``flat`` (exact inner product, the default), ``hnsw`` or ``ivf`` (approximate, for large
galleries; their recall against ``flat`` is measured by ``bench/bench_serve.py``). Poses are
added and removed by id without a rebuild (``IndexIDMap2``; HNSW cannot remove, so it
rebuilds). Saved as ``index.faiss`` + ``index.json`` in one folder, beside the model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import numpy as np

from autocompose.errors import AutocomposeError

IndexKind = Literal["flat", "hnsw", "ivf"]


def _faiss():
    import faiss

    return faiss


class GalleryIndex:
    """Normalised embeddings ``(N, D)`` searchable by inner product; string ids in insertion order."""

    def __init__(self, dim: int, kind: IndexKind = "flat", nlist: int = 1024, hnsw_m: int = 32) -> None:
        self.dim, self.kind, self.nlist, self.hnsw_m = dim, kind, nlist, hnsw_m
        self.ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._vectors = np.zeros((0, dim), np.float32)  # kept for rebuilds (HNSW) and IVF training
        self.index = self._new()

    def _new(self):
        faiss = _faiss()
        if self.kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        if self.kind == "hnsw":
            inner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efSearch = 64
            return faiss.IndexIDMap2(inner)
        if self.kind == "ivf":
            quantizer = faiss.IndexFlatIP(self.dim)
            inner = faiss.IndexIVFFlat(quantizer, self.dim, self.nlist, faiss.METRIC_INNER_PRODUCT)
            inner.nprobe = 16
            return faiss.IndexIDMap2(inner)
        raise AutocomposeError(f"unknown index kind {self.kind!r}; use flat, hnsw or ivf")

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, pose_id: object) -> bool:
        return pose_id in self._row_of

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Add poses (ids must be new); vectors are L2-normalised here."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dim):
            raise AutocomposeError(f"expected {len(ids)} vectors of size {self.dim}, got {vectors.shape}")
        dup = [i for i in ids if i in self._row_of][:3]
        if dup or len(set(ids)) != len(ids):
            raise AutocomposeError(f"pose ids already in the index or repeated: {dup}")
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        rows = np.arange(len(self.ids), len(self.ids) + len(ids), dtype=np.int64)
        self.ids.extend(ids)
        self._row_of.update(zip(ids, rows.tolist(), strict=True))
        self._vectors = np.concatenate([self._vectors, vectors])
        if self.kind == "ivf" and not self.index.is_trained:
            if len(self._vectors) < self.nlist:
                raise AutocomposeError(
                    f"an IVF index needs at least nlist={self.nlist} poses to train; use flat for {len(self._vectors)}"
                )
            self.index.train(self._vectors)
            self.index.add_with_ids(self._vectors, np.array([self._row_of[i] for i in self.ids if i in self._row_of], np.int64))
            return
        self.index.add_with_ids(vectors, rows)

    def remove(self, ids: list[str]) -> int:
        """Remove poses by id (unknown ids are ignored); returns how many were removed."""
        rows = [self._row_of.pop(i) for i in ids if i in self._row_of]
        if not rows:
            return 0
        if self.kind == "hnsw":  # HNSW cannot delete: rebuild from the kept vectors
            keep = np.array(sorted(self._row_of.values()), np.int64)
            self.index = self._new()
            if len(keep):
                self.index.add_with_ids(self._vectors[keep], keep)
        else:
            self.index.remove_ids(np.array(rows, np.int64))
        return len(rows)

    def search(self, queries: np.ndarray, k: int = 10) -> list[list[tuple[str, float]]]:
        """Top-``k`` (id, score) per query (fewer when the gallery is smaller)."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if queries.shape[1] != self.dim:
            raise AutocomposeError(f"query size {queries.shape[1]} does not match the index ({self.dim})")
        scores, rows = self.index.search(queries, min(k, max(len(self), 1)))
        return [
            [(self.ids[r], float(s)) for s, r in zip(srow, rrow, strict=True) if r >= 0]
            for srow, rrow in zip(scores, rows, strict=True)
        ]

    def save(self, folder: Path) -> Path:
        faiss = _faiss()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / ".index.faiss.tmp"
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, folder / "index.faiss")
        np.save(folder / ".vectors.tmp.npy", self._vectors)
        os.replace(folder / ".vectors.tmp.npy", folder / "vectors.npy")
        meta = {
            "dim": self.dim,
            "kind": self.kind,
            "nlist": self.nlist,
            "hnsw_m": self.hnsw_m,
            "ids": self.ids,
            "live": sorted(self._row_of),
        }
        (folder / ".index.json.tmp").write_text(json.dumps(meta))
        os.replace(folder / ".index.json.tmp", folder / "index.json")
        return folder

    @staticmethod
    def load(folder: Path) -> GalleryIndex:
        if not (folder / "index.json").exists():
            raise AutocomposeError(f"{folder} holds no gallery index (index.json); build one with `autocompose serve`")
        meta = json.loads((folder / "index.json").read_text())
        out = GalleryIndex(meta["dim"], meta["kind"], meta["nlist"], meta["hnsw_m"])
        out.index = _faiss().read_index(str(folder / "index.faiss"))
        out.ids = meta["ids"]
        live = set(meta["live"])
        out._row_of = {i: r for r, i in enumerate(out.ids) if i in live}
        out._vectors = np.load(folder / "vectors.npy")
        return out
