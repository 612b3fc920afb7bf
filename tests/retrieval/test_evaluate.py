"""Recall@K and ranks checked against a brute-force reference implementation."""

from __future__ import annotations

import numpy as np

from autocompose.retrieval.evaluate import metrics_from_ranks, ranks_from_scores


def brute_force_rank(scores, gallery_rows, ref, target, allowed=None) -> list[int]:
    out = []
    for q in range(len(scores)):
        entries = []
        for j, row in enumerate(gallery_rows):
            if row == ref[q] or (allowed is not None and not allowed[q, j]):
                continue
            entries.append((scores[q, j], row))
        t_score = next(s for s, r in entries if r == target[q])
        out.append(1 + sum(1 for s, _ in entries if s > t_score))
    return out


def test_ranks_match_brute_force_with_reference_excluded_and_candidates():
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(500, 60, replace=False))
    q = 40
    ref = rng.choice(rows, q)
    target = np.array([rng.choice(rows[rows != r]) for r in ref])
    scores = rng.normal(size=(q, len(rows))).round(1)  # rounding makes ties happen
    ref_col = np.searchsorted(rows, ref)
    scores[np.arange(q), ref_col] = 10.0  # the reference would win if it were not excluded
    allowed = rng.random((q, len(rows))) < 0.5
    allowed[np.arange(q), np.searchsorted(rows, target)] = True
    for mask in (None, allowed):
        got = ranks_from_scores(scores, rows, ref, target, mask)
        assert got.tolist() == brute_force_rank(scores, rows, ref, target, mask)


def test_metrics_from_ranks():
    m = metrics_from_ranks(np.array([1, 2, 6, 11, 60]))
    assert m == {"R@1": 20.0, "R@5": 40.0, "R@10": 60.0, "R@50": 80.0, "mean_rank": 16.0, "median_rank": 6.0, "queries": 5}
