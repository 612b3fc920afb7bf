"""Human-style query sets: selection, renders for readers, collecting answers, attaching them as queries."""

from __future__ import annotations

import json

import pytest

from autocompose.data.query_sets import (
    attach_query_set,
    collect_answers,
    merge_records,
    read_query_set,
    render_batch,
    select_pairs,
    write_query_set,
)
from autocompose.errors import AutocomposeError


def test_render_collect_attach_round_trip(small_dataset, tmp_path):
    ds = small_dataset
    manifest = render_batch(ds, "test", 4, tmp_path / "renders", seed=3)
    assert len(manifest) == 4 and all((tmp_path / "renders" / f"{m['key']}.png").exists() for m in manifest)
    assert json.loads((tmp_path / "renders" / "manifest.json").read_text())["render"]["views"] == ["front", "side"]
    first = {m["key"]: [f"reader one says {i}"] for i, m in enumerate(manifest)}
    second = {manifest[0]["key"]: ["reader two says hi", "and a cue"]}
    records = merge_records(
        collect_answers(manifest, first, {"writer": "w1", "brief": "coach"})
        + collect_answers(manifest, second, {"writer": "w2", "brief": "casual"})
    )
    assert len(records) == 4 and records[0].texts == ["reader one says 0", "reader two says hi", "and a cue"]
    path = write_query_set(records, tmp_path / "set.jsonl")
    back = read_query_set(path)
    assert [r.texts for r in back] == [r.texts for r in records]
    before = set(ds.descriptions)
    assert attach_query_set(ds, back) == 4
    assert ds.card["queries"]["test"] == "human" and "human" in set(ds.descriptions) - before
    ids = {m["pair_id"] for m in manifest}
    assert set(ds.descriptions["human"]) == ids
    assert ds.card["descriptions"]["human"]["written_by"] == {"w1 | coach": 4, "w2 | casual": 1}
    del ds.descriptions["human"]
    del ds.card["descriptions"]["human"]


def test_selection_is_seeded_and_spread_over_clips(small_dataset):
    a = select_pairs(small_dataset, "test", 6, seed=1)
    assert [p.id for p in a] == [p.id for p in select_pairs(small_dataset, "test", 6, seed=1)]
    assert len({p.id for p in a}) == 6
    with pytest.raises(AutocomposeError, match="only"):
        select_pairs(small_dataset, "test", 10**6)


def test_answers_for_unknown_keys_or_empty_are_refused(small_dataset, tmp_path):
    manifest = render_batch(small_dataset, "test", 1, tmp_path, seed=0)
    with pytest.raises(AutocomposeError, match="unknown render keys"):
        collect_answers(manifest, {"nope": ["x"]}, {})
    with pytest.raises(AutocomposeError, match="no text"):
        collect_answers(manifest, {manifest[0]["key"]: ["  "]}, {})
    (tmp_path / "bad.jsonl").write_text('{"pair_id": 1}\n')
    with pytest.raises(AutocomposeError, match="line 1"):
        read_query_set(tmp_path / "bad.jsonl")


def test_a_val_set_and_a_test_set_are_both_kept_and_val_drives_early_stopping(small_dataset, tmp_path):
    from autocompose.retrieval.train import val_query_source

    ds = small_dataset
    ds.card.get("descriptions", {}).pop("human", None)
    card_before = json.loads(json.dumps(ds.card))
    try:
        sets = {}
        for split in ("val", "test"):
            manifest = render_batch(ds, split, 2, tmp_path / split, seed=0)
            sets[split] = collect_answers(
                manifest, {m["key"]: [f"{split} text"] for m in manifest}, {"writer": "w", "brief": split}
            )
        assert val_query_source(ds, "human", "kinematic") == "kinematic"  # no human val text yet
        assert attach_query_set(ds, sets["val"], split="val") == 2
        assert ds.card.get("queries", {}).get("test") == card_before.get("queries", {}).get("test")  # not the test queries
        assert attach_query_set(ds, sets["test"], split="test") == 2
        assert len(ds.descriptions["human"]) == 4 and ds.card["queries"]["test"] == "human"
        entry = ds.card["descriptions"]["human"]
        assert entry["pairs_by_split"] == {"val": 2, "test": 2} and entry["written_by"] == {"w | val": 2, "w | test": 2}
        assert val_query_source(ds, "human", "kinematic") == "human"
    finally:
        ds.descriptions.pop("human", None)
        ds.card.clear()
        ds.card.update(card_before)


def test_the_builder_attaches_a_benchmarks_committed_test_and_val_sets(small_dataset, tmp_path, monkeypatch):
    from autocompose.data import query_sets
    from autocompose.data.builders.mocap import attach_committed_queries

    ds = small_dataset
    ds.card.get("descriptions", {}).pop("human", None)
    card_before = json.loads(json.dumps(ds.card))
    try:
        for split, name in (("test", f"{ds.name}.human.jsonl"), ("val", f"{ds.name}.val.human.jsonl")):
            manifest = render_batch(ds, split, 2, tmp_path / split, seed=1)
            recs = collect_answers(manifest, {m["key"]: [f"a {split} text"] for m in manifest}, {"writer": "w", "brief": "b"})
            write_query_set(recs, tmp_path / "sets" / name)
        monkeypatch.setattr(query_sets, "QUERY_SET_DIR", tmp_path / "sets")
        ds.card.setdefault("build", {})
        assert attach_committed_queries(ds) == 2
        assert (
            ds.card["build"]["human_query_set"]["pairs_matched"] == ds.card["build"]["human_val_query_set"]["pairs_matched"] == 2
        )
        split_of = {p.id: p.split for p in ds.pairs}
        assert {split_of[pid] for pid in ds.descriptions["human"]} == {"val", "test"}
    finally:
        ds.descriptions.pop("human", None)
        ds.card.clear()
        ds.card.update(card_before)
