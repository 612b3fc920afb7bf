"""Gallery index: pose embeddings from a trained model in a faiss index, with the gallery ids.

Kinds: ``flat`` (exact inner product), ``hnsw`` or ``ivf`` (approximate), and ``auto`` (the
default): exact below ``EXACT_MAX`` poses, where a single top-10 query scans the whole gallery in
about 0.6 ms on one core, and an IVF index above it (``ivf_params``: about 4·√N lists, probed so
that recall@10 against exact stays ≥ 0.99; measured by ``bench/bench_serve.py``). At 100k poses
the exact scan alone takes 4.6 ms, the whole 5 ms budget of a query with its text encoding; IVF
takes 0.13 ms there at recall@10 0.998. An ``auto``
index that grows past ``EXACT_MAX`` through ``add`` converts itself to IVF.

The vectors live only inside faiss (about 1 KiB per pose at 256-d): when an index must be
rebuilt (HNSW cannot delete; ``auto`` growing into IVF), they are reconstructed from it. Poses
are added and removed by id; faiss ids are rows of ``ids``. Saved as ``index.faiss`` +
``index.json`` in one folder, beside the model; ``load(..., mmap=True)`` maps the vectors
instead of reading them, so several server processes share one copy in the page cache.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Literal

import numpy as np

from autocompose.errors import AutocomposeError

IndexKind = Literal["auto", "flat", "hnsw", "ivf"]
KINDS = ("auto", "flat", "hnsw", "ivf")
EXACT_MAX = 20_000  # `auto`: exact (flat) below this many poses, IVF from here on (bench/bench_serve.py --only index)
IVF_TRAIN_PER_LIST = 64  # k-means training sample: this many poses per list (faiss's own minimum is 39)


def _faiss():
    import faiss

    return faiss


def ivf_params(n: int) -> tuple[int, int]:
    """(nlist, nprobe) for an ``auto`` IVF index of ``n`` poses: nlist a power of two near 4·√n,
    nprobe = nlist / 128 but at least 16 (1M poses: 4,096 lists, 32 probed)."""
    nlist = 2 ** round(math.log2(max(4 * math.sqrt(max(n, 1)), 256)))
    nlist = min(nlist, 65_536)
    return nlist, max(16, nlist // 128)


class GalleryIndex:
    """Normalised embeddings ``(N, D)`` searchable by inner product; string ids in insertion order."""

    def __init__(self, dim: int, kind: IndexKind = "auto", nlist: int = 1024, hnsw_m: int = 32, nprobe: int = 16) -> None:
        if kind not in KINDS:
            raise AutocomposeError(f"unknown index kind {kind!r}; use one of {', '.join(KINDS)}")
        self.dim, self.requested, self.nlist, self.hnsw_m, self.nprobe = dim, kind, nlist, hnsw_m, nprobe
        self.kind: str = "flat" if kind == "auto" else kind  # the kind in use now
        self.ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self.index = self._new()

    def _new(self):
        faiss = _faiss()
        if self.kind == "flat":
            return faiss.IndexIDMap(faiss.IndexFlatIP(self.dim))
        if self.kind == "hnsw":
            inner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efSearch = 64
            return faiss.IndexIDMap(inner)
        quantizer = faiss.IndexFlatIP(self.dim)  # ivf: ids are native to IVF lists, no id map needed
        index = faiss.IndexIVFFlat(quantizer, self.dim, self.nlist, faiss.METRIC_INNER_PRODUCT)
        index.nprobe = self.nprobe  # (faiss's Python wrapper keeps the quantizer alive with the index)
        return index

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, pose_id: object) -> bool:
        return pose_id in self._row_of

    def _vectors_and_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live vector and its row, reconstructed from faiss (flat and HNSW only)."""
        faiss = _faiss()
        rows = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        vectors = self.index.index.reconstruct_n(0, self.index.ntotal) if len(rows) else np.zeros((0, self.dim), np.float32)
        return vectors, rows

    def _train_ivf(self, vectors: np.ndarray) -> None:
        sample = vectors
        cap = IVF_TRAIN_PER_LIST * self.nlist
        if len(vectors) > cap:  # k-means on a seeded sample: the build at 1M takes a fraction of the full-data time
            sample = vectors[np.sort(np.random.default_rng(0).choice(len(vectors), cap, replace=False))]
        self.index.train(np.ascontiguousarray(sample))

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Add poses (ids must be new); vectors are L2-normalised here."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dim):
            raise AutocomposeError(f"expected {len(ids)} vectors of size {self.dim}, got {vectors.shape}")
        dup = [i for i in ids if i in self._row_of][:3]
        if dup or len(set(ids)) != len(ids):
            raise AutocomposeError(f"pose ids already in the index or repeated: {dup}")
        if self.kind == "ivf" and not self.index.is_trained and len(ids) < self.nlist:
            raise AutocomposeError(
                f"an IVF index needs at least nlist={self.nlist} poses in its first batch to train, got {len(ids)}; "
                "use kind 'auto' or 'flat'"
            )
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        rows = np.arange(len(self.ids), len(self.ids) + len(ids), dtype=np.int64)
        if self.requested == "auto" and self.kind == "flat" and len(self) + len(ids) >= EXACT_MAX:
            old, old_rows = self._vectors_and_rows()
            self.kind = "ivf"
            self.nlist, self.nprobe = ivf_params(len(self) + len(ids))
            self.index = self._new()
            vectors, rows_all = np.concatenate([old, vectors]), np.concatenate([old_rows, rows])
            self._train_ivf(vectors)
            self.index.add_with_ids(vectors, rows_all)
        else:
            if self.kind == "ivf" and not self.index.is_trained:
                self._train_ivf(vectors)
            self.index.add_with_ids(vectors, rows)
        self.ids.extend(ids)
        self._row_of.update(zip(ids, rows.tolist(), strict=True))

    def remove(self, ids: list[str]) -> int:
        """Remove poses by id (unknown ids are ignored); returns how many were removed."""
        rows = [self._row_of.pop(i) for i in ids if i in self._row_of]
        if not rows:
            return 0
        if self.kind == "hnsw":  # HNSW cannot delete: rebuild from the vectors it holds
            vectors, old_rows = self._vectors_and_rows()
            keep = ~np.isin(old_rows, np.array(rows, np.int64))
            self.index = self._new()
            if keep.any():
                self.index.add_with_ids(np.ascontiguousarray(vectors[keep]), old_rows[keep])
        else:
            self.index.remove_ids(np.array(rows, np.int64))
        return len(rows)

    def search(self, queries: np.ndarray, k: int = 10) -> list[list[tuple[str, float]]]:
        """Top-``k`` (id, score) per query (fewer when the gallery is smaller)."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise AutocomposeError(f"query size {queries.shape[-1]} does not match the index ({self.dim})")
        scores, rows = self.index.search(queries, min(k, max(len(self), 1)))
        return [
            [(self.ids[r], float(s)) for s, r in zip(srow, rrow, strict=True) if r >= 0]
            for srow, rrow in zip(scores, rows, strict=True)
        ]

    def save(self, folder: Path) -> Path:
        """Write ``index.faiss`` and ``index.json`` atomically (each through a temporary file)."""
        faiss = _faiss()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / ".index.faiss.tmp"
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, folder / "index.faiss")
        meta = {
            "dim": self.dim,
            "requested": self.requested,
            "kind": self.kind,
            "nlist": self.nlist,
            "nprobe": self.nprobe,
            "hnsw_m": self.hnsw_m,
            "ids": self.ids,
            "live": sorted(self._row_of),
        }
        (folder / ".index.json.tmp").write_text(json.dumps(meta))
        os.replace(folder / ".index.json.tmp", folder / "index.json")
        return folder

    @staticmethod
    def load(folder: Path, mmap: bool = False) -> GalleryIndex:
        """Read a saved index; ``mmap`` maps the vectors read-only (shared between processes)."""
        if not (folder / "index.json").exists() or not (folder / "index.faiss").exists():
            raise AutocomposeError(
                f"{folder} holds no gallery index (index.json + index.faiss); build one with `autocompose serve`"
            )
        try:
            meta = json.loads((folder / "index.json").read_text())
            requested = meta.get("requested", meta["kind"])
            out = GalleryIndex(meta["dim"], requested, meta["nlist"], meta["hnsw_m"], meta.get("nprobe", 16))
        except (ValueError, KeyError, TypeError) as exc:
            raise AutocomposeError(
                f"{folder / 'index.json'}: unreadable index metadata ({exc}); delete the folder to rebuild it"
            ) from exc
        faiss = _faiss()
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        out.kind = meta["kind"]
        out.index = faiss.read_index(str(folder / "index.faiss"), flags)
        out.ids = meta["ids"]
        live = set(meta["live"])
        out._row_of = {i: r for r, i in enumerate(out.ids) if i in live}
        return out
