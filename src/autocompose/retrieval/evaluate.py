"""Recall@K, soft recall and baselines over a split's gallery (reference excluded, candidates honoured).

Each query is (reference pose, one text); every original-variant text of the query source is
a query. The score is the cosine similarity of the composed query with each gallery pose; the
reference is removed from its own ranking; a per-query candidate list, when the benchmark
defines one, restricts the ranking. Rank = 1 + number of gallery poses scored strictly higher.

Ambiguity-aware parts (reported beside every Recall@K):

* **Near-duplicates.** Gallery poses within ``DUPLICATE_M`` (2 cm mean per-joint distance,
  pelvis-centred and facing-canonical) of the target are indistinguishable from it: they do not
  count against the target's rank (rule documented in ``docs/evaluation.md``).
* **Soft recall@K (τ)**: a query is a hit when any of its top-K poses lies within τ (5 cm and
  10 cm) of the target in that same canonical frame — "the model found the right pose, maybe not
  the exact frame".
* **reference_only**: the same model ranking the gallery by its pose embedding of the reference
  alone (text ignored); **nearest_pose**: model-free, the gallery ranked by canonical pose distance
  to the reference. The gap between the composed score and these is what the text contributes.
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
from autocompose.poses.transforms import normalise
from autocompose.retrieval.combiner import CPRModel

KS = (1, 5, 10, 50)
#: soft-recall radii (metres, mean per-joint distance, pelvis-centred and facing-canonical)
SOFT_TAUS = (0.05, 0.10)
#: gallery poses this close to the target count as the target (metres, same distance)
DUPLICATE_M = 0.02


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
    scores: np.ndarray,
    gallery_rows: np.ndarray,
    ref: np.ndarray,
    target: np.ndarray,
    allowed: np.ndarray | None = None,
    duplicates: np.ndarray | None = None,
) -> np.ndarray:
    """Rank of each query's target; ``scores`` (Q, G), ``allowed`` optional (Q, G) bool mask.

    ``duplicates`` (Q, G) bool marks gallery poses that are near-duplicates of the query's
    target: they never count against it.
    """
    return target_ranks(masked_scores(scores, gallery_rows, ref, allowed), gallery_rows, target, duplicates)


def target_ranks(
    masked: np.ndarray, gallery_rows: np.ndarray, target: np.ndarray, duplicates: np.ndarray | None = None
) -> np.ndarray:
    """``ranks_from_scores`` on scores already passed through ``masked_scores`` (no copy is made)."""
    col = np.searchsorted(gallery_rows, target) if np.all(np.diff(gallery_rows) > 0) else None
    if col is None or not np.all(gallery_rows[np.minimum(col, len(gallery_rows) - 1)] == target):
        raise AutocomposeError("a query's target is not in the gallery")
    above = masked > masked[np.arange(len(masked)), col][:, None]
    if duplicates is not None:
        above &= ~duplicates  # the target itself is never above itself
    return 1 + above.sum(1)


def masked_scores(scores: np.ndarray, gallery_rows: np.ndarray, ref: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """A float64 copy of ``scores`` with the reference and disallowed candidates at -inf."""
    scores = scores.astype(np.float64).copy()
    scores[gallery_rows[None, :] == ref[:, None]] = -np.inf  # the reference never competes
    if allowed is not None:
        scores[~allowed] = -np.inf
    return scores


def canonical_distances(
    joints: np.ndarray, mask: np.ndarray, rows: np.ndarray, gallery_rows: np.ndarray, chunk: int = 256
) -> np.ndarray:
    """(len(rows), G) mean per-joint distance (m) between poses, pelvis-centred and facing +z.

    Joints missing in either pose are left out of the mean.
    """
    canon = normalise(joints[gallery_rows])
    gmask = mask[gallery_rows].astype(np.float32)
    out = np.empty((len(rows), len(gallery_rows)), np.float32)
    for i in range(0, len(rows), chunk):
        r = rows[i : i + chunk]
        q = normalise(joints[r])
        both = mask[r].astype(np.float32)[:, None, :] * gmask[None]
        d = np.linalg.norm(q[:, None] - canon[None], axis=-1)
        out[i : i + chunk] = (d * both).sum(-1) / np.maximum(both.sum(-1), 1)
    return out


def soft_hit_positions(
    scores: np.ndarray, target_dist: np.ndarray, taus: Sequence[float] = SOFT_TAUS, kmax: int = max(KS)
) -> dict[float, np.ndarray]:
    """Per τ, (Q,) 1-based position of the first of the top-``kmax`` poses within τ of the target.

    ``kmax + 1`` means none of the top ``kmax`` is (so ``position <= k`` is a hit for any k up to
    ``kmax``, however small the gallery). ``scores`` are already masked (reference and
    non-candidates at -inf, never hits); ``target_dist`` is (Q, G) canonical distance from each
    query's target to every gallery pose.
    """
    n = min(kmax, scores.shape[1])
    top = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.take_along_axis(scores, top, 1).argsort(1)[:, ::-1]
    top = np.take_along_axis(top, order, 1)
    valid = np.isfinite(np.take_along_axis(scores, top, 1))
    dist = np.where(valid, np.take_along_axis(target_dist, top, 1), np.inf)
    out = {}
    for tau in taus:
        close = dist <= tau
        out[tau] = np.where(close.any(1), close.argmax(1) + 1, kmax + 1)
    return out


def soft_metrics(positions: dict[float, np.ndarray], ks: Sequence[int] = KS) -> dict[str, float]:
    """``soft{τ in cm}@K`` (%) from ``soft_hit_positions``."""
    return {f"soft{round(tau * 100)}@{k}": round(float((pos <= k).mean() * 100), 2) for tau, pos in positions.items() for k in ks}


def soft_recall(
    scores: np.ndarray, target_dist: np.ndarray, ks: Sequence[int] = KS, taus: Sequence[float] = SOFT_TAUS
) -> dict[str, float]:
    """Soft recall@K: share of queries with a top-K pose within τ of the target (inputs as ``soft_hit_positions``)."""
    return soft_metrics(soft_hit_positions(scores, target_dist, taus, max(ks)), ks)


def metrics_from_ranks(ranks: np.ndarray, ks: Sequence[int] = KS) -> dict[str, float]:
    out = {f"R@{k}": round(float((ranks <= k).mean() * 100), 2) for k in ks}
    out.update(mean_rank=round(float(ranks.mean()), 2), median_rank=float(np.median(ranks)), queries=len(ranks))
    return out


def scored_metrics(
    scores: np.ndarray,
    rows: np.ndarray,
    q: Queries,
    allowed: np.ndarray | None,
    target_dist: np.ndarray,
    ks: Sequence[int] = KS,
    per_query: bool = False,
) -> dict[str, Any]:
    """Recall@K (near-duplicates of the target forgiven) and soft recall for one score matrix.

    ``per_query`` adds each query's rank and first soft (10 cm) hit position, for bootstrap
    confidence intervals over queries (``retrieval.stats``).
    """
    masked = masked_scores(scores, rows, q.ref, allowed)
    ranks = target_ranks(masked, rows, q.target, target_dist <= DUPLICATE_M)
    positions = soft_hit_positions(masked, target_dist, SOFT_TAUS, max(ks))
    out: dict[str, Any] = {**metrics_from_ranks(ranks, ks), **soft_metrics(positions, ks)}
    if per_query:
        out["per_query"] = {"rank": ranks.astype(int).tolist(), "soft10_position": positions[0.10].astype(int).tolist()}
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
    baselines: bool = True,
    per_query: bool = False,
) -> dict[str, Any]:
    """Metrics of ``model`` on ``split`` with ``source`` texts as queries.

    With ``baselines`` the result also holds ``reference_only`` and ``nearest_pose`` (text
    ignored), each with the same Recall@K and soft recall.
    """
    was = model.training
    model.eval()
    gallery = ds.galleries.get(split)
    if gallery is None:
        raise AutocomposeError(f"dataset {ds.name!r} has no {split} gallery")
    if ds.poses.joints is None:
        raise AutocomposeError(f"dataset {ds.name!r} is image-only; the pose model needs 3D joints")
    q = queries_for(ds, split, source)
    rows = np.array(sorted(ds.poses.index(p) for p in gallery.poses))
    g = model.pose.encode(ds.poses.joints[rows], ds.poses.mask[rows])
    ref = model.pose.encode(ds.poses.joints[q.ref], ds.poses.mask[q.ref])
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
    targets, inverse = np.unique(q.target, return_inverse=True)
    target_dist = canonical_distances(ds.poses.joints, ds.poses.mask, targets, rows)[inverse]
    out = {**scored_metrics(scores, rows, q, allowed, target_dist, ks, per_query), "split": split, "query_source": source}
    out.update(gallery=len(rows), duplicate_m=DUPLICATE_M)
    if baselines:
        ref_scores = (ref @ g.t()).float().cpu().numpy()
        out["reference_only"] = scored_metrics(ref_scores, rows, q, allowed, target_dist, ks, per_query)
        refs, ref_inverse = np.unique(q.ref, return_inverse=True)
        near = -canonical_distances(ds.poses.joints, ds.poses.mask, refs, rows)[ref_inverse]
        out["nearest_pose"] = scored_metrics(near, rows, q, allowed, target_dist, ks, per_query)
    model.train(was)
    return out


def metrics_row(m: dict[str, Any]) -> dict[str, Any]:
    """The columns every results table shows: composed R@K, soft@10 (10 cm), and the baselines' R@10."""
    ref, near = m.get("reference_only", {}), m.get("nearest_pose", {})
    return {
        "R@1": m.get("R@1", "-"),
        "R@5": m.get("R@5", "-"),
        "R@10": m.get("R@10", "-"),
        "R@50": m.get("R@50", "-"),
        "soft10@10": m.get("soft10@10", "-"),
        "ref-only R@10": ref.get("R@10", "-"),
        "nearest R@10": near.get("R@10", "-"),
        "queries": m.get("queries", "-"),
        "gallery": m.get("gallery", "-"),
    }


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
