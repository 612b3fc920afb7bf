"""The faiss gallery index against brute force; add/remove without rebuild; save/load."""

from __future__ import annotations

import numpy as np
import pytest

from autocompose.errors import AutocomposeError
from autocompose.serve.index import GalleryIndex


def _data(n=2000, d=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    return [f"p{i}" for i in range(n)], x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_index_is_exact_and_supports_add_remove(tmp_path):
    ids, x = _data()
    index = GalleryIndex(16)
    index.add(ids[:1500], x[:1500])
    index.add(ids[1500:], x[1500:])
    q = x[:5] + 0.05
    brute = np.argsort(-(q / np.linalg.norm(q, axis=1, keepdims=True)) @ x.T, axis=1)[:, :10]
    got = index.search(q, 10)
    assert [[i for i, _ in row] for row in got] == [[ids[j] for j in row] for row in brute]
    assert index.remove(["p0", "p1", "nope"]) == 2 and len(index) == 1998
    assert all(i not in {"p0", "p1"} for i, _ in index.search(x[:2], 5)[0])
    back = GalleryIndex.load(index.save(tmp_path / "idx"))
    assert back.search(q, 10) == index.search(q, 10) and len(back) == 1998
    with pytest.raises(AutocomposeError, match="already in the index"):
        index.add(["p5"], x[5:6])


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_indexes_have_high_recall(kind):
    ids, x = _data(4000, 16, seed=1)
    exact, approx = GalleryIndex(16), GalleryIndex(16, kind, nlist=32)
    exact.add(ids, x)
    approx.add(ids, x)
    q = x[:100] + 0.1
    recall = np.mean(
        [len({i for i, _ in a} & {i for i, _ in e}) / 10 for a, e in zip(approx.search(q, 10), exact.search(q, 10), strict=True)]
    )
    assert recall >= 0.9
    approx.remove(["p3"])
    assert "p3" not in {i for i, _ in approx.search(x[3:4], 10)[0]}
