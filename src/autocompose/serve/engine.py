"""The search engine behind the service: a trained model, a gallery dataset and its index.

Pure library code (no HTTP): ``serve/app.py`` wraps it, tests and benchmarks call it directly.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from autocompose import __version__
from autocompose.data.format import CPRDataset
from autocompose.describe import get_annotator
from autocompose.errors import AutocomposeError
from autocompose.poses.skeleton import NUM_JOINTS
from autocompose.poses.transforms import model_frame
from autocompose.render import RenderStyle, render_pair, render_views
from autocompose.retrieval.text_onnx import text_encoder
from autocompose.retrieval.train import load_checkpoint
from autocompose.serve.index import GalleryIndex, IndexKind


class SearchEngine:
    """Encode (reference pose, text) queries and rank the gallery; render and describe poses."""

    def __init__(
        self,
        checkpoint: Path,
        dataset: Path,
        index_kind: IndexKind = "auto",
        annotator: str = "kinematic",
        split: str | None = None,
        threads: int | None = None,
        text_threads: int | None = None,
    ) -> None:
        """``threads`` sets torch's and faiss's thread counts (process-wide; ``autocompose serve`` uses 1,
        which suits a server answering many clients at once); None leaves them alone. ``text_threads``
        is the ONNX text encoder's intra-op thread count (None: as ``threads``, else torch's count).

        For the lowest single-query latency on 2 cores use ``threads=1, text_threads=2``: one pose and
        one composition are too small to gain from a second thread (a second one costs more in
        synchronisation than it saves, in torch and in faiss alike), MiniLM's layers are not
        (``bench/bench_retrieval.py --only queries``)."""
        if threads is not None:
            import faiss

            torch.set_num_threads(threads)
            faiss.omp_set_num_threads(threads)
        self.model, state = load_checkpoint(checkpoint)
        self.checkpoint = Path(checkpoint)
        self.dataset = CPRDataset.load(dataset)
        if self.dataset.poses.joints is None:
            raise AutocomposeError(f"dataset {self.dataset.name!r} is image-only; the pose search needs 3D joints")
        self.text_encoder = text_encoder(
            self.model.cfg.text_model == "minilm", self.model.cfg.text_runtime, text_threads if text_threads else threads
        )
        self.annotator = get_annotator(annotator)
        ids = self.dataset.galleries[split].poses if split else self.dataset.poses.ids
        folder = self.checkpoint.parent / f"index-{self.dataset.name}-{split or 'all'}-{index_kind}"
        try:
            self.index = GalleryIndex.load(folder, mmap=True)
            if self.index.requested != index_kind or len(self.index) != len(ids) or sorted(self.index.ids) != sorted(ids):
                raise AutocomposeError("stale index")
        except AutocomposeError:
            self.index = GalleryIndex(self.model.cfg.dim, index_kind)
            self.index.add(ids, self.encode_poses(self.dataset.joints_of(ids), self._masks(ids)))
            self.index.save(folder)
        self.index_folder = folder
        self._text_cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._png_cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.info = {
            "autocompose": __version__,
            "model": str(checkpoint),
            "dataset": self.dataset.name,
            "gallery": len(self.index),
        }
        self.info["index"] = self.index.kind  # the kind in use (`auto` resolves by gallery size)
        self.info["epoch"] = int(state.get("epoch", -1)) + 1

    # ------------------------------------------------------------------ encoding
    def _masks(self, ids: list[str]) -> np.ndarray:
        return self.dataset.poses.mask[[self.dataset.poses.index(i) for i in ids]]  # type: ignore[index]

    @torch.inference_mode()
    def encode_poses(self, joints: np.ndarray, masks: np.ndarray) -> np.ndarray:
        out = [self.model.pose.encode(joints[i : i + 4096], masks[i : i + 4096]) for i in range(0, len(joints), 4096)]
        return torch.cat(out).numpy() if out else np.zeros((0, self.model.cfg.dim), np.float32)

    @torch.inference_mode()
    def _text(self, text: str) -> torch.Tensor:
        with self._lock:
            hit = self._text_cache.get(text)
            if hit is not None:
                self._text_cache.move_to_end(text)
                return hit
        emb = self.model.encode_text(self.text_encoder([text]))
        with self._lock:
            self._text_cache[text] = emb
            while len(self._text_cache) > 4096:
                self._text_cache.popitem(last=False)
        return emb

    def joints_of(self, pose_id: str) -> tuple[np.ndarray, np.ndarray]:
        if pose_id not in self.dataset.poses:
            raise KeyError(pose_id)
        i = self.dataset.poses.index(pose_id)
        return self.dataset.poses.joints[i], self.dataset.poses.mask[i]  # type: ignore[index]

    # ------------------------------------------------------------------ queries
    @torch.inference_mode()
    def search(self, joints: np.ndarray, text: str, k: int = 10, exclude: str | None = None) -> list[tuple[str, float]]:
        """Top-``k`` gallery poses for reference ``joints`` ``(J, 3)`` changed as ``text`` says."""
        joints = np.asarray(joints, np.float32)
        if joints.shape != (NUM_JOINTS, 3) or not np.isfinite(joints).all():
            raise AutocomposeError(f"reference joints must be a finite ({NUM_JOINTS}, 3) array, got shape {joints.shape}")
        mask = self.joints_of(exclude)[1] if exclude else np.ones(NUM_JOINTS, bool)
        ref = self.model.pose.encode(joints[None], mask[None])
        q = self.model.compose(ref, self._text(text)).numpy()
        hits = self.index.search(q, k + (1 if exclude else 0))[0]
        return [(i, s) for i, s in hits if i != exclude][:k]

    @torch.inference_mode()
    def search_many(self, queries: list[tuple[np.ndarray, str, int, str | None]]) -> list[list[tuple[str, float]]]:
        """``search`` for several (joints, text, k, exclude) queries at once: one pose-encoder pass and
        one index search for all of them (the API batches concurrent requests through this)."""
        if not queries:
            return []
        joints = np.stack([np.asarray(q[0], np.float32) for q in queries])
        if joints.shape[1:] != (NUM_JOINTS, 3) or not np.isfinite(joints).all():
            raise AutocomposeError(f"reference joints must be finite ({NUM_JOINTS}, 3) arrays, got shape {joints.shape[1:]}")
        masks = np.stack([self.joints_of(q[3])[1] if q[3] else np.ones(NUM_JOINTS, bool) for q in queries])
        ref = self.model.pose.encode(joints, masks)
        texts = torch.cat([self._text(q[1]) for q in queries])
        composed = self.model.compose(ref, texts).numpy()
        rows = self.index.search(composed, max(q[2] for q in queries) + 1)
        return [[(i, s) for i, s in row if i != q[3]][: q[2]] for row, q in zip(rows, queries, strict=True)]

    def describe(self, a: np.ndarray, b: np.ndarray, k: int = 3) -> list[dict]:
        """Describe ``a`` → ``b`` as the model sees them (``model_frame``): a gallery pose's place and
        heading are unrelated to the reference's, so no turn or travel between them is narrated."""
        a, b = model_frame(a), model_frame(b)
        return [d.model_dump(mode="json", include={"text", "parts"}) for d in self.annotator.describe(a, b, k)]

    def render_png(self, pose_id: str, size: int = 256) -> bytes:
        key = f"{pose_id}@{size}"
        with self._lock:
            if key in self._png_cache:
                return self._png_cache[key]
        joints, mask = self.joints_of(pose_id)
        data = _png(render_views(joints, ("front",), RenderStyle(size=size), mask))
        with self._lock:
            self._png_cache[key] = data
            while len(self._png_cache) > 2048:
                self._png_cache.popitem(last=False)
        return data

    def render_pair_png(self, a: np.ndarray, b: np.ndarray, size: int = 256) -> bytes:
        """Front and side views of ``a`` and ``b`` in ``model_frame``: each panel frames both poses."""
        a, b = model_frame(a), model_frame(b)
        return _png(render_pair(a, b, ("front", "side"), RenderStyle(size=size), labels=("reference", "result")))

    def render_joints_png(self, joints: np.ndarray, size: int = 256) -> bytes:
        return _png(render_views(np.asarray(joints, np.float32), ("front",), RenderStyle(size=size)))


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
