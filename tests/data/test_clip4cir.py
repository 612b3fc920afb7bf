"""CLIP4Cir / AutoComPose layout: export, then import, keeps pairs, texts per key and galleries."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from autocompose.data import CPRDataset
from autocompose.data.clip4cir import export_clip4cir, import_clip4cir


def test_export_writes_the_papers_layout(tmp_path: Path, small_dataset):
    out = tmp_path / "c4c"
    counts = export_clip4cir(small_dataset, out, "kinematic", rule_source="rules", image_size=64)
    assert counts == {s: len(small_dataset.split(s)) for s in ("train", "val", "test")}
    rec = json.loads((out / "captions" / "train.json").read_text())[0]
    pair = small_dataset.split("train")[0]
    assert (rec["reference"], rec["target"]) == (pair.ref, pair.tgt)
    assert rec["mllm"] == small_dataset.texts("kinematic", pair.id)
    assert rec["mirror-reverse"] == small_dataset.texts("kinematic", pair.id, "mirrored_reversed")
    assert rec["auto-reverse"] == small_dataset.texts("rules", pair.id, "reversed")
    assert rec["sents"] == small_dataset.texts("kinematic", pair.id)  # test-query source of the built-in set
    assert json.loads((out / "image_splits" / "test.json").read_text()) == small_dataset.galleries["test"].poses
    assert Image.open(out / "images" / f"{pair.ref}.png").size == (64, 64)
    assert len(list((out / "images").iterdir())) == len(small_dataset.poses)


def test_import_after_export_round_trips(tmp_path: Path, small_dataset):
    out = tmp_path / "c4c"
    export_clip4cir(small_dataset, out, "kinematic", query_source="rules", image_size=32)
    imported = CPRDataset.load(import_clip4cir(out, "again").save(tmp_path / "ds"))
    assert imported.modality == "image"
    assert sorted((p.id, p.split, p.ref, p.tgt) for p in imported.pairs) == sorted(
        (p.id, p.split, p.ref, p.tgt) for p in small_dataset.pairs
    )
    for p in small_dataset.pairs[:20]:
        assert imported.texts("human", p.id) == small_dataset.texts("rules", p.id)
        for variant in ("original", "mirrored", "reversed", "mirrored_reversed"):
            assert imported.texts("imported-mllm", p.id, variant) == small_dataset.texts("kinematic", p.id, variant)
    assert imported.galleries["val"].poses == small_dataset.galleries["val"].poses
    assert (imported.root / imported.poses.image[0]).exists()
