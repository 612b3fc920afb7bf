"""Bring-your-own test set: pairs file → human queries, gallery rules, errors naming line and field."""

from __future__ import annotations

import json

import pytest

from autocompose.data.build import BuildOptions
from autocompose.data.builders.custom import build_custom
from autocompose.data.format import CPRDataset
from autocompose.errors import AutocomposeError

SQUAT = "builtin/s01/squat"
WAVE = "builtin/s01/wave"


def _write(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def _pair(ref=(SQUAT, 0), tgt=(SQUAT, 40), texts=("squat down",), **extra):
    return {
        "reference": {"sequence": ref[0], "frame": ref[1]},
        "target": {"sequence": tgt[0], "frame": tgt[1]},
        "texts": list(texts),
        **extra,
    }


OPTS = BuildOptions(annotators=("kinematic",), k=1, variants=())


def test_pairs_become_human_test_queries_with_an_every_nth_gallery(tmp_path):
    pairs = _write(
        tmp_path / "pairs.jsonl",
        [_pair(id="a", texts=("squat down", "baja en cuclillas")), _pair((WAVE, 5), (SQUAT, 60), ("wave, then squat",))],
    )
    ds = build_custom(["builtin:s01"], OPTS, pairs_file=pairs, gallery="every:30")
    ds.save(tmp_path / "ds")
    ds = CPRDataset.load(tmp_path / "ds")
    assert [p.split for p in ds.pairs] == ["test", "test"]
    assert ds.texts("human", "a") == ["squat down", "baja en cuclillas"]
    assert ds.card["queries"]["test"] == "human"
    assert ds.pairs[1].kind == "cross_sequence"
    gallery = set(ds.galleries["test"].poses)
    assert {p.ref for p in ds.pairs} | {p.tgt for p in ds.pairs} <= gallery
    assert len(gallery) > 20  # every 30th frame of every s01 clip
    assert ds.texts("kinematic", "a")  # the offline describer's text is kept for comparison


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{not json", "line 2: not JSON"),
        (_pair(ref=("nope", 0)), "line 2: reference.sequence: unknown sequence 'nope'"),
        (_pair(tgt=(SQUAT, 99999)), "line 2: target.frame must be an integer"),
        (_pair(texts=()), "line 2: field 'texts'"),
        ({"reference": {"frame": 1}, "texts": ["x"]}, "line 2: field 'reference'"),
        (_pair(id="a"), "line 2: field 'id': 'a' is used twice"),
    ],
)
def test_bad_pairs_files_name_the_line_and_field(tmp_path, record, message):
    pairs = _write(tmp_path / "pairs.jsonl", [_pair(id="a"), record])
    with pytest.raises(AutocomposeError, match=message.replace("(", r"\(").replace("[", r"\[")):
        build_custom(["builtin:s01"], OPTS, pairs_file=pairs, gallery="targets")


def test_gallery_spec_errors(tmp_path):
    pairs = _write(tmp_path / "pairs.jsonl", [_pair()])
    with pytest.raises(AutocomposeError, match="every:N"):
        build_custom(["builtin:s01"], OPTS, pairs_file=pairs, gallery="every:0")


def test_cross_clip_targets_are_described_as_placed_like_the_reference(tmp_path):
    from autocompose.describe import get_annotator
    from autocompose.pairs.mining import place_like
    from autocompose.poses.builtin import builtin_library

    walk = "builtin/s01/walk"  # frame 130 is far along the walk and turned: unplaced, it would read "pivot … move forward"
    pairs = _write(tmp_path / "pairs.jsonl", [_pair((WAVE, 5), (walk, 130), ("step back with the left foot",), id="x")])
    ds = build_custom(["builtin:s01"], OPTS, pairs_file=pairs, gallery="targets")
    clips = {s.id: s for s in builtin_library(subjects=("s01",))}
    a = clips[WAVE].joints[5]
    b = place_like(clips[walk].joints[130], a)
    expected = get_annotator("kinematic").describe(a, b, k=1, seed=0)[0].text
    assert ds.texts("kinematic", "x") == [expected]
    assert "pivot" not in expected.lower() and "long way" not in expected.lower()
