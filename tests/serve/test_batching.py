"""Concurrent /search requests are answered in batches with the same results as one by one."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from autocompose.errors import AutocomposeError
from autocompose.serve.app import SearchBatcher

TEXTS = ["raise both arms above your head", "bend your knees", "lean forward"]


def _queries(engine, n=12):
    ids = engine.index.ids
    return [(engine.joints_of(ids[i * 7])[0], TEXTS[i % 3], 3 + i % 4, ids[i * 7] if i % 2 else None) for i in range(n)]


def _same(a, b):
    assert [i for i, _ in a] == [i for i, _ in b]
    np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-5)


def test_search_many_matches_single_searches(engine):
    queries = _queries(engine)
    for got, (joints, text, k, exclude) in zip(engine.search_many(queries), queries, strict=True):
        want = engine.search(joints, text, k, exclude=exclude)
        assert len(got) == k and (exclude is None or exclude not in [i for i, _ in got])
        _same(got, want)


def test_batcher_answers_concurrent_requests_and_isolates_a_bad_one(engine):
    queries = _queries(engine)
    bad = (np.full((23, 3), np.nan, np.float32), "lift", 3, None)

    async def run():
        batcher = SearchBatcher(engine, max_batch=5)
        return await asyncio.gather(*(batcher.search(*q) for q in [*queries, bad]), return_exceptions=True)

    results = asyncio.run(run())
    assert isinstance(results[-1], AutocomposeError)
    for got, (joints, text, k, exclude) in zip(results[:-1], queries, strict=True):
        _same(got, engine.search(joints, text, k, exclude=exclude))
    with pytest.raises(AutocomposeError, match="finite"):
        engine.search_many([bad])
