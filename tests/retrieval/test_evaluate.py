"""Recall@K and ranks checked against a brute-force reference implementation."""

from __future__ import annotations

import numpy as np

from autocompose.retrieval.evaluate import canonical_distances, metrics_from_ranks, ranks_from_scores, soft_recall


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


def test_near_duplicates_of_the_target_do_not_count_against_it():
    rows = np.arange(5)
    scores = np.array([[0.1, 0.9, 0.8, 0.5, 0.2]])  # row 1 outscores the target (row 3)
    ref, target = np.array([0]), np.array([3])
    assert ranks_from_scores(scores, rows, ref, target).tolist() == [3]
    dup = np.array([[False, True, False, True, False]])  # row 1 is a near-duplicate of the target
    assert ranks_from_scores(scores, rows, ref, target, duplicates=dup).tolist() == [2]


def test_soft_recall_matches_brute_force():
    rng = np.random.default_rng(1)
    q, g = 30, 80
    scores = rng.normal(size=(q, g))
    scores[rng.random((q, g)) < 0.1] = -np.inf  # masked entries (reference, non-candidates) never count
    dist = rng.uniform(0, 0.3, size=(q, g))
    got = soft_recall(scores, dist, ks=(1, 5, 10), taus=(0.05, 0.1))
    for tau in (0.05, 0.1):
        for k in (1, 5, 10):
            hits = 0
            for i in range(q):
                order = [j for j in np.argsort(-scores[i], kind="stable") if np.isfinite(scores[i, j])][:k]
                hits += any(dist[i, j] <= tau for j in order)
            assert got[f"soft{round(tau * 100)}@{k}"] == round(hits / q * 100, 2)


def test_canonical_distances_ignore_position_facing_and_missing_joints():
    from autocompose.poses.builtin import builtin_library
    from autocompose.poses.transforms import rotate_y

    pose = builtin_library(subjects=("s01",))[0].joints[10]
    moved = rotate_y(pose, 2.0) + np.array([3.0, 0.0, -1.0], np.float32)
    other = pose.copy()
    other[20] += 0.5  # the left wrist far away, but missing in that pose
    joints = np.stack([pose, moved, other])
    mask = np.ones((3, len(pose)), bool)
    mask[2, 20] = False
    d = canonical_distances(joints, mask, np.array([0]), np.arange(3))
    assert d.shape == (1, 3)
    assert d[0, 0] == 0 and d[0, 1] < 1e-4 and d[0, 2] < 1e-4
    mask[2, 20] = True
    assert canonical_distances(joints, mask, np.array([0]), np.arange(3))[0, 2] > 0.01


def test_soft_positions_beyond_a_small_gallery_are_never_hits():
    from autocompose.retrieval.evaluate import soft_hit_positions

    scores = np.array([[0.9, 0.5, 0.1, -np.inf, 0.3]])
    far = np.full((1, 5), 0.5)
    assert soft_hit_positions(scores, far, (0.10,), 50)[0.10].tolist() == [51]  # no pose close: not a hit at any K <= 50
    near = far.copy()
    near[0, 4] = 0.0
    assert soft_hit_positions(scores, near, (0.10,), 50)[0.10].tolist() == [3]
