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


def test_auto_is_exact_when_small_and_turns_ivf_past_the_threshold(tmp_path, monkeypatch):
    import autocompose.serve.index as index_mod

    monkeypatch.setattr(index_mod, "EXACT_MAX", 3000)
    rng = np.random.default_rng(2)
    centres = rng.standard_normal((40, 16)).astype(np.float32)  # clustered, like pose embeddings
    x = (centres[rng.integers(40, size=6000)] + 0.3 * rng.standard_normal((6000, 16))).astype(np.float32)
    ids = [f"p{i}" for i in range(6000)]
    auto, exact = GalleryIndex(16), GalleryIndex(16, "flat")
    exact.add(ids, x)
    auto.add(ids[:2000], x[:2000])
    assert auto.kind == "flat"
    auto.remove(["p1"])
    auto.add(ids[2000:], x[2000:])  # crosses EXACT_MAX: rebuilt as IVF from the vectors faiss holds
    assert auto.kind == "ivf" and len(auto) == 5999 and auto.index.ntotal == 5999
    assert (auto.nlist, auto.nprobe) == index_mod.ivf_params(6000)
    exact.remove(["p1"])
    q = x[:200] + 0.05 * rng.standard_normal((200, 16)).astype(np.float32)
    recall = np.mean(
        [len({i for i, _ in a} & {i for i, _ in e}) / 10 for a, e in zip(auto.search(q, 10), exact.search(q, 10), strict=True)]
    )
    assert recall >= 0.99
    folder = auto.save(tmp_path / "idx")
    assert sorted(p.name for p in folder.iterdir()) == ["index.faiss", "index.json"]  # no second copy of the vectors
    back = GalleryIndex.load(folder, mmap=True)
    assert back.kind == "ivf" and back.requested == "auto" and back.search(q[:5], 10) == auto.search(q[:5], 10)


def test_ivf_params_grow_with_the_gallery():
    from autocompose.serve.index import ivf_params

    assert ivf_params(1_000_000) == (4096, 32)
    sizes = [ivf_params(n) for n in (10_000, 100_000, 1_000_000, 10_000_000)]
    assert sizes == sorted(sizes) and all(nprobe >= 16 for _, nprobe in sizes)


def test_hnsw_remove_rebuilds_from_the_index_itself():
    ids, x = _data(500, 16, seed=3)
    index = GalleryIndex(16, "hnsw")
    index.add(ids, x)
    assert not hasattr(index, "_vectors")  # no kept copy: vectors come back from faiss
    assert index.remove(["p3", "p9"]) == 2 and index.index.ntotal == 498
    assert index.search(x[10:11], 1)[0][0][0] == "p10"
    assert {"p3", "p9"}.isdisjoint(i for i, _ in index.search(x[3:4], 20)[0])


def test_unknown_kind_and_small_first_ivf_batch_are_refused():
    with pytest.raises(AutocomposeError, match="unknown index kind"):
        GalleryIndex(16, "lsh")  # type: ignore[arg-type]
    ids, x = _data(100, 16)
    index = GalleryIndex(16, "ivf", nlist=256)
    with pytest.raises(AutocomposeError, match="at least nlist=256"):
        index.add(ids, x)
    assert len(index) == 0 and index.ids == []  # nothing half-added
