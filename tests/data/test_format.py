"""The on-disk CPR format: round trip, atomic replace, and validation errors that name the fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autocompose.data import CPRDataset, DatasetFormatError
from autocompose.data.format import SPLIT_NAMES


def test_round_trip_keeps_everything(tmp_path: Path, small_dataset):
    folder = small_dataset.save(tmp_path / "ds")
    back = CPRDataset.load(folder)
    assert back.pairs == small_dataset.pairs
    assert back.poses.ids == small_dataset.poses.ids
    np.testing.assert_array_equal(back.poses.joints, small_dataset.poses.joints)
    np.testing.assert_array_equal(back.poses.mask, small_dataset.poses.mask)
    assert back.descriptions == small_dataset.descriptions
    assert {s: g.poses for s, g in back.galleries.items()} == {s: g.poses for s, g in small_dataset.galleries.items()}
    card = json.loads((folder / "dataset.json").read_text())
    assert card["format"] == "autocompose-cpr" and card["counts"]["poses"] == len(back.poses)
    assert card["descriptions"]["kinematic"]["annotator_version"]
    assert card["queries"]["test"] == "kinematic"  # no human text in the built-in library


def test_built_in_dataset_is_leak_free_and_complete(small_dataset):
    subjects_of = {
        s: {small_dataset.poses.subject[small_dataset.poses.index(p.ref)] for p in small_dataset.split(s)} for s in SPLIT_NAMES
    }
    assert all(subjects_of.values())
    assert not (subjects_of["train"] & subjects_of["test"]) and not (subjects_of["val"] & subjects_of["test"])
    for split in SPLIT_NAMES:
        gallery = set(small_dataset.galleries[split].poses)
        assert all(p.tgt in gallery and p.ref in gallery for p in small_dataset.split(split))
    p = small_dataset.pairs[0]
    for source in ("kinematic", "rules"):
        assert set(small_dataset.descriptions[source][p.id]) == {"original", "mirrored", "reversed", "mirrored_reversed"}
        assert all(len(t) == 2 for t in small_dataset.descriptions[source][p.id].values())


def test_save_replaces_atomically_and_a_failed_save_keeps_the_old(tmp_path: Path, small_dataset, monkeypatch):
    folder = small_dataset.save(tmp_path / "ds")
    before = (folder / "pairs.jsonl").read_bytes()

    def boom(self, out):
        (out / "partial").write_text("x")
        raise OSError("disk full")

    monkeypatch.setattr(CPRDataset, "_write", boom)
    with pytest.raises(OSError, match="disk full"):
        small_dataset.save(folder)
    assert (folder / "pairs.jsonl").read_bytes() == before
    assert not (folder / "partial").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]  # no temporary folder left behind


def _corrupt(folder: Path, name: str, edit) -> None:
    path = folder / name
    path.write_text(edit(path.read_text()))


@pytest.mark.parametrize(
    ("name", "edit", "match"),
    [
        ("dataset.json", lambda s: s.replace('"autocompose-cpr"', '"other"'), r"dataset\.json: format"),
        ("dataset.json", lambda s: s[:-5], r"dataset\.json: line .*invalid JSON"),
        ("pairs.jsonl", lambda s: s.replace('"split": "test"', '"split": "holdout"', 1), r"unknown split 'holdout'"),
        ("pairs.jsonl", lambda s: s.replace('"tgt": "', '"tgt": "nope', 1), r"pose id 'nope.*is not in poses\.npz"),
        (
            "descriptions/rules.jsonl",
            lambda s: s.replace('"variant": "mirrored"', '"variant": "sideways"', 1),
            r"rules\.jsonl.*unknown variants",
        ),
        ("descriptions/rules.jsonl", lambda s: s.replace('"texts"', '"txt"', 1), r"rules\.jsonl: line 1"),
        ("galleries/test.json", lambda s: '{"poses": []}', r"target .* is not in the gallery"),
    ],
)
def test_malformed_folders_fail_with_file_field_and_fix(tmp_path: Path, small_dataset, name, edit, match):
    folder = small_dataset.save(tmp_path / "ds")
    _corrupt(folder, name, edit)
    with pytest.raises(DatasetFormatError, match=match):
        CPRDataset.load(folder)


def test_bad_joints_and_missing_files(tmp_path: Path, small_dataset):
    folder = small_dataset.save(tmp_path / "ds")
    with np.load(folder / "poses.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["joints"][3, 2, 1] = np.nan
    np.savez(folder / "poses.npz", **arrays)
    with pytest.raises(DatasetFormatError, match=r"poses\.npz: joints: non-finite"):
        CPRDataset.load(folder)
    (folder / "dataset.json").unlink()
    with pytest.raises(DatasetFormatError, match="autocompose dataset build"):
        CPRDataset.load(folder)
