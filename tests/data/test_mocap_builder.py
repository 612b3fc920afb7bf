"""The real-motion benchmark builder: leak-free splits, held-out contents, cross-dataset, cards."""

from __future__ import annotations

import pytest

from autocompose.data.build import BuildOptions
from autocompose.data.builders.mocap import build_mocap, held_out_contents, split_sequences
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import MiningConfig
from autocompose.poses.builtin import builtin_library


@pytest.fixture(scope="module")
def labelled():
    """Built-in clips dressed up as two collections with content labels (motion name = content)."""
    out = []
    for s in builtin_library(subjects=("s01", "s02", "s03")):
        coll = "bandai-namco" if s.subject in ("s01", "s02") else "cmu-expmap"
        content = s.id.rsplit("/", 1)[-1]
        out.append(s.with_joints(s.joints, meta={**s.meta, "collection": coll, "content": content}))
    return out


def test_held_out_contents_go_wholly_to_test_and_takes_never_straddle(labelled):
    held = held_out_contents(labelled, share=0.2, seed=0)
    assert set(held) == {"bandai-namco", "cmu-expmap"}
    n_contents = len({s.meta["content"] for s in labelled if s.meta["collection"] == "bandai-namco"})
    assert len(held["bandai-namco"]) == round(n_contents * 0.2)
    split = split_sequences(labelled, "motion", held_out=held)
    assert set(split) == {s.id for s in labelled}
    for s in labelled:
        if s.meta["content"] in held[s.meta["collection"]]:
            assert split[s.id] == "test"
    seen = {s.meta["content"] for s in labelled if split[s.id] == "train" and s.meta["collection"] == "bandai-namco"}
    assert not seen & set(held["bandai-namco"])
    assert held_out_contents(labelled, seed=0) == held  # stable for a seed
    assert held_out_contents(labelled, seed=1) != held


def test_cross_dataset_trains_on_one_collection_and_tests_on_the_others(labelled):
    split = split_sequences(labelled, "cross-dataset", train_on=("bandai-namco",))
    for s in labelled:
        if s.meta["collection"] == "bandai-namco":
            assert split[s.id] in ("train", "val")
        else:
            assert split[s.id] == "test"
    assert {"train", "val"} <= set(split.values())
    with pytest.raises(AutocomposeError, match="cross-dataset split needs"):
        split_sequences(labelled, "cross-dataset", train_on=("deepmimic",))


def test_build_mocap_records_licences_and_mines_within_splits(labelled):
    opts = BuildOptions(annotators=("kinematic",), k=1, variants=(), mining=MiningConfig(max_per_sequence=3, cross_fraction=0.2))
    ds = build_mocap(None, opts, plan="cross-dataset", sequences=labelled)
    assert ds.name == "real-cpr-xdata"
    names = {c.get("collection") for c in ds.card["sources"]}
    assert names == {"bandai-namco", "cmu-expmap"}
    assert all("CC BY-NC" in c["licence"] or "CMU" in c["licence"] for c in ds.card["sources"])
    assert any("Bandai Namco" in a for a in ds.card["attribution"])
    split_of_seq = {}
    for p in ds.pairs:
        for pose in (p.ref, p.tgt):
            seq = ds.poses.sequence[ds.poses.index(pose)]
            assert split_of_seq.setdefault(seq, p.split) == p.split  # a clip lives in one split only
    test_colls = {ds.poses.sequence[ds.poses.index(p.ref)].split("/")[0] for p in ds.split("test")}
    assert test_colls == {"builtin"}  # the built-in ids of the cmu-expmap stand-ins
    assert ds.card["queries"]["test"] == "kinematic"


def test_build_mocap_without_sources_says_what_to_give():
    with pytest.raises(AutocomposeError, match="--source"):
        build_mocap(None, BuildOptions())


def test_test_only_plan_puts_every_clip_in_test(labelled):
    assert set(split_sequences(labelled, "test-only").values()) == {"test"}
    with pytest.raises(AutocomposeError, match="unknown split plan"):
        split_sequences(labelled, "by-frame")  # type: ignore[arg-type]


def test_denser_training_pairs_leave_val_and_test_unchanged(labelled):
    from autocompose.data.builders.mocap import mine_split_densities

    mining = MiningConfig(max_per_sequence=2, cross_fraction=0.2)
    split = split_sequences(labelled, "cross-dataset")
    base = mine_split_densities(labelled, mining, split, 1.0)
    dense = mine_split_densities(labelled, mining, split, 3.0)

    def frames(ps, want):
        return [(p.ref_seq, p.ref_frame, p.tgt_seq, p.tgt_frame) for p in ps.pairs if p.split in want]

    assert frames(dense, {"val", "test"}) == frames(base, {"val", "test"})
    assert len(frames(dense, {"train"})) > 2 * len(frames(base, {"train"}))
    assert len({p.id for p in dense.pairs}) == len(dense.pairs)


def test_extra_training_sources_add_train_pairs_only(labelled):
    opts = BuildOptions(annotators=("kinematic",), k=1, variants=(), mining=MiningConfig(max_per_sequence=2, cross_fraction=0.2))
    base = build_mocap(None, opts, plan="cross-dataset", sequences=labelled)
    more = build_mocap(None, opts, plan="cross-dataset", sequences=labelled, extra_train=["builtin:s04"])
    for split in ("val", "test"):
        assert [(p.ref, p.tgt) for p in more.split(split)] == [(p.ref, p.tgt) for p in base.split(split)]
    extra = [p for p in more.split("train") if p.id.startswith("train-x")]
    assert extra and len(more.split("train")) == len(base.split("train")) + len(extra)
    assert all(more.poses.sequence[more.poses.index(p.ref)].startswith("builtin/s04") for p in extra)
    assert more.card["build"]["extra_train"] == ["builtin:s04"]
    with pytest.raises(AutocomposeError, match="repeats"):
        build_mocap(None, opts, plan="cross-dataset", sequences=labelled, extra_train=["builtin:s01"])
