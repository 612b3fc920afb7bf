"""Bootstrap confidence intervals over queries (and seeds) for Recall@K and soft recall.

Every query of a test set is one draw; a 95 % interval comes from resampling the queries with
replacement (the same resampled queries for every seed and every arm, so comparisons are
paired). Seeds are averaged inside each resample, so the interval covers both query sampling
and training noise as far as the seeds show it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autocompose.errors import AutocomposeError


def hits(per_query: Sequence[dict[str, list[int]]], metric: str = "R@10") -> np.ndarray:
    """(seeds, queries) bool hits of ``metric`` (``R@K`` or ``soft10@K``) from each seed's ``per_query``."""
    kind, k = metric.split("@")
    key = {"R": "rank", "soft10": "soft10_position"}.get(kind)
    if key is None:
        raise AutocomposeError(f"unknown metric {metric!r}; use R@K or soft10@K")
    rows = [np.asarray(pq[key]) <= int(k) for pq in per_query]
    if len({len(r) for r in rows}) != 1:
        raise AutocomposeError("seeds were evaluated on different query sets; cannot pair them")
    return np.stack(rows)


def bootstrap_ci(hit: np.ndarray, n: int = 2000, seed: int = 0, level: float = 0.95) -> dict[str, float]:
    """Mean (%) over seeds and queries with its bootstrap interval; ``hit`` is (seeds, queries)."""
    hit = np.atleast_2d(hit).astype(np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, hit.shape[1], size=(n, hit.shape[1]))
    draws = hit[:, idx].mean(axis=(0, 2)) * 100
    lo, hi = np.percentile(draws, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return {"mean": round(float(hit.mean() * 100), 2), "lo": round(float(lo), 2), "hi": round(float(hi), 2)}


def paired_difference_ci(a: np.ndarray, b: np.ndarray, n: int = 2000, seed: int = 0, level: float = 0.95) -> dict[str, float]:
    """(a − b) in points with a paired bootstrap interval over the same queries; each is (seeds, queries)."""
    a, b = np.atleast_2d(a).astype(np.float64), np.atleast_2d(b).astype(np.float64)
    if a.shape[1] != b.shape[1]:
        raise AutocomposeError("the two arms were evaluated on different query sets")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.shape[1], size=(n, a.shape[1]))
    draws = (a[:, idx].mean(axis=(0, 2)) - b[:, idx].mean(axis=(0, 2))) * 100
    lo, hi = np.percentile(draws, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return {"diff": round(float((a.mean() - b.mean()) * 100), 2), "lo": round(float(lo), 2), "hi": round(float(hi), 2)}
