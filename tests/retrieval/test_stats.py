"""Bootstrap intervals: coverage of the mean, paired differences, metric parsing."""

from __future__ import annotations

import numpy as np
import pytest

from autocompose.errors import AutocomposeError
from autocompose.retrieval.stats import bootstrap_ci, hits, paired_difference_ci


def test_hits_reads_ranks_and_soft_positions():
    pq = [{"rank": [1, 5, 11, 60], "soft10_position": [1, 2, 3, 51]}]
    assert hits(pq, "R@10").tolist() == [[True, True, False, False]]
    assert hits(pq, "soft10@50").tolist() == [[True, True, True, False]]
    with pytest.raises(AutocomposeError, match="unknown metric"):
        hits(pq, "P@10")
    with pytest.raises(AutocomposeError, match="different query sets"):
        hits([*pq, {"rank": [1], "soft10_position": [1]}], "R@10")


def test_bootstrap_interval_contains_the_mean_and_narrows_with_more_queries():
    rng = np.random.default_rng(0)
    small = bootstrap_ci(rng.random((2, 100)) < 0.4)
    large = bootstrap_ci(rng.random((2, 4000)) < 0.4)
    for ci in (small, large):
        assert ci["lo"] <= ci["mean"] <= ci["hi"]
    assert large["hi"] - large["lo"] < small["hi"] - small["lo"]
    assert abs(large["mean"] - 40) < 3


def test_paired_difference_sees_a_real_gain_and_not_a_null_one():
    rng = np.random.default_rng(1)
    base = rng.random((3, 2000)) < 0.3
    better = base | (rng.random((3, 2000)) < 0.2)
    gain = paired_difference_ci(better, base)
    assert gain["lo"] > 0
    same = paired_difference_ci(base, base.copy())
    assert same["diff"] == 0 and same["lo"] <= 0 <= same["hi"]
