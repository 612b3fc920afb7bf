"""Recall@K and rank statistics over a split's gallery (reference excluded, candidates honoured).

Each query is (reference pose, one text); every original-variant text of the query source is
a query. The score is the cosine similarity of the composed query with each gallery pose; the
reference is removed from its own ranking; a per-query candidate list, when the benchmark
defines one, restricts the ranking. Rank = 1 + number of gallery poses scored strictly higher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from autocompose.data.format import CPRDataset
from autocompose.errors import AutocomposeError
from autocompose.retrieval.combiner import CPRModel
from autocompose.retrieval.encoders import pose_features

KS = (1, 5, 10, 50)


@dataclass
class Queries:
    ref: np.ndarray  # (Q,) gallery-independent pose rows
    target: np.ndarray  # (Q,) pose rows
    texts: list[str]
    pair_ids: list[str]


def queries_for(ds: CPRDataset, split: str, source: str, first_only: bool = False) -> Queries:
    if source not in ds.descriptions:
        raise AutocomposeError(f"dataset {ds.name!r} has no query source {source!r}; it has {ds.sources()}")
    ref, tgt, texts, ids = [], [], [], []
    for p in ds.split(split):
        for t in ds.texts(source, p.id)[: 1 if first_only else None]:
            ref.append(ds.poses.index(p.ref))
            tgt.append(ds.poses.index(p.tgt))
            texts.append(t)
            ids.append(p.id)
    if not texts:
        raise AutocomposeError(f"no {split} query of {ds.name!r} has {source!r} text")
    return Queries(np.array(ref), np.array(tgt), texts, ids)


def ranks_from_scores(
    scores: np.ndarray, gallery_rows: np.ndarray, ref: np.ndarray, target: np.ndarray, allowed: np.ndarray | None = None
) -> np.ndarray:
    """Rank of each query's target; ``scores`` (Q, G), ``allowed`` optional (Q, G) bool mask."""
    scores = scores.astype(np.float64).copy()
    scores[gallery_rows[None, :] == ref[:, None]] = -np.inf  # the reference never competes
    if allowed is not None:
        scores[~allowed] = -np.inf
    col = np.searchsorted(gallery_rows, target) if np.all(np.diff(gallery_rows) > 0) else None
    if col is None or not np.all(gallery_rows[np.minimum(col, len(gallery_rows) - 1)] == target):
        raise AutocomposeError("a query's target is not in the gallery")
    tgt_score = scores[np.arange(len(scores)), col]
    return 1 + (scores > tgt_score[:, None]).sum(1)


def metrics_from_ranks(ranks: np.ndarray, ks: Sequence[int] = KS) -> dict[str, float]:
    out = {f"R@{k}": round(float((ranks <= k).mean() * 100), 2) for k in ks}
    out.update(mean_rank=round(float(ranks.mean()), 2), median_rank=float(np.median(ranks)), queries=len(ranks))
    return out


@torch.no_grad()
def evaluate(
    model: CPRModel,
    ds: CPRDataset,
    split: str,
    text_embed: Callable[[list[str]], torch.Tensor],
    source: str,
    device: torch.device | str = "cpu",
    ks: Sequence[int] = KS,
) -> dict[str, Any]:
    """Metrics of ``model`` on ``split`` with ``source`` texts as queries."""
    was = model.training
    model.eval()
    gallery = ds.galleries.get(split)
    if gallery is None:
        raise AutocomposeError(f"dataset {ds.name!r} has no {split} gallery")
    q = queries_for(ds, split, source)
    rows = np.array(sorted(ds.poses.index(p) for p in gallery.poses))
    feats = torch.from_numpy(pose_features(ds.poses.joints[rows], ds.poses.mask[rows])).to(device)  # type: ignore[index]
    g = model.pose(feats)
    ref = model.pose(torch.from_numpy(pose_features(ds.poses.joints[q.ref], ds.poses.mask[q.ref])).to(device))  # type: ignore[index]
    composed = []
    for i in range(0, len(q.texts), 1024):
        composed.append(model.compose(ref[i : i + 1024], model.encode_text(text_embed(q.texts[i : i + 1024]))))
    scores = (torch.cat(composed) @ g.t()).float().cpu().numpy()
    allowed = None
    if gallery.candidates:
        pos = {r: j for j, r in enumerate(rows)}
        allowed = np.zeros(scores.shape, bool)
        for i, pid in enumerate(q.pair_ids):
            cand = gallery.candidates.get(pid)
            if cand is None:
                allowed[i] = True
            else:
                allowed[i, [pos[ds.poses.index(c)] for c in cand]] = True
    ranks = ranks_from_scores(scores, rows, q.ref, q.target, allowed)
    model.train(was)
    return {**metrics_from_ranks(ranks, ks), "split": split, "query_source": source, "gallery": len(rows)}


def plot_recall(results: dict[str, dict[str, Any]], path: Path, ks: Sequence[int] = KS) -> Path:
    """Recall@K curves, one line per named result."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5), dpi=110)
    for name, m in results.items():
        ax.plot(ks, [m[f"R@{k}"] for k in ks], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xticks(list(ks), [str(k) for k in ks])
    ax.set_xlabel("K")
    ax.set_ylabel("Recall@K (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
