"""Training on built-in data: it learns (seeded, real assertion), resumes exactly, writes its outputs."""

from __future__ import annotations

import json

import torch

from autocompose.data import CPRDataset
from autocompose.retrieval.config import LossConfig, ModelConfig, TrainConfig
from autocompose.retrieval.evaluate import evaluate
from autocompose.retrieval.train import TextTable, build_model, load_checkpoint, train

SMALL = ModelConfig(dim=64, pose_hidden=128, combiner_hidden=128)


def _cfg(ds, out, **kw) -> TrainConfig:
    return TrainConfig(dataset=ds, out=out, model=SMALL, batch_size=64, epochs=kw.pop("epochs", 6), patience=50, **kw)


def test_training_beats_the_untrained_model(tiny_dataset_dir, tmp_path):
    cfg = _cfg(tiny_dataset_dir, tmp_path / "run", loss=LossConfig(cycle=True), epochs=10)
    metrics = train(cfg, progress=False)
    untrained = build_model(cfg)
    ds = CPRDataset.load(tiny_dataset_dir)
    before = evaluate(untrained, ds, "test", TextTable(untrained, cfg, torch.device("cpu")).embed, "kinematic")
    assert metrics["queries"] == before["queries"] > 50
    assert metrics["R@10"] >= before["R@10"] + 10.0, (before, metrics)
    for name in ("config.json", "last.pt", "best.pt", "history.json", "metrics.json", "recall.png"):
        assert (tmp_path / "run" / name).exists(), name
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history) == 10 and history[-1]["loss"] < history[0]["loss"]


def test_resume_after_a_kill_gives_the_same_model(tiny_dataset_dir, tmp_path):
    straight = _cfg(tiny_dataset_dir, tmp_path / "a", epochs=3)
    train(straight, progress=False)
    killed = _cfg(tiny_dataset_dir, tmp_path / "b", epochs=3)
    assert train(killed, progress=False, stop_after=2) == {"stopped_after": 2}
    train(killed, progress=False)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=False)
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=False)
    assert a["epoch"] == b["epoch"] == 2
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key


def test_two_stage_trains_encoders_then_only_the_combiner(tiny_dataset_dir, tmp_path):
    cfg = _cfg(tiny_dataset_dir, tmp_path / "two", schedule="two-stage", epochs=2, stage1_epochs=1)
    train(cfg, progress=False, stop_after=1)
    after_stage1 = torch.load(tmp_path / "two" / "last.pt", weights_only=False)
    assert after_stage1["composition"] == "sum"
    train(cfg, progress=False)
    final = torch.load(tmp_path / "two" / "last.pt", weights_only=False)
    assert final["composition"] == "combiner"
    for key, value in after_stage1["model"].items():
        changed = not torch.equal(value, final["model"][key])
        assert changed == (key.startswith("combiner.") or key == "logit_scale"), key
    model, _ = load_checkpoint(tmp_path / "two" / "last.pt")
    assert model.composition == "combiner" and not model.training


def test_clip_negatives_are_train_poses_of_the_same_clip_far_enough_from_the_target(tiny_dataset_dir):
    import numpy as np

    from autocompose.retrieval.data import TrainingData
    from autocompose.retrieval.evaluate import canonical_distances

    ds = CPRDataset.load(tiny_dataset_dir)
    data = TrainingData.build(ds, "train", "kinematic", 1, ("original", "mirrored"))
    data.clip_negatives(ds, 0.05)
    assert data.clip_rows is not None
    train_rows = set(np.concatenate([data.ref, data.tgt]).tolist())
    seq = np.asarray(ds.poses.sequence)
    checked = 0
    for row in sorted(train_rows):
        neg = data.clip_rows[row]
        assert set(neg.tolist()) <= train_rows and row not in set(neg.tolist())
        assert (seq[neg] == seq[row]).all()
        if len(neg):
            assert (canonical_distances(ds.poses.joints, ds.poses.mask, np.array([row]), neg) >= 0.05).all()
            checked += 1
    assert checked > 0
    n_p = len(data.features) // 2
    batch = next(data.batches(16, seed=0, epoch=0, negatives=3))
    assert batch.negatives is not None and batch.negatives.shape == (len(batch.tgt), 3)
    # each pair's negatives come from its target's clip, on the same (mirrored or not) side as the target
    for t, negs in zip(batch.tgt, batch.negatives, strict=True):
        assert ((negs >= n_p) == (t >= n_p)).all() and (seq[negs % n_p] == seq[t % n_p]).all()
    assert next(data.batches(16, seed=0, epoch=0)).negatives is None


def test_training_with_hard_negatives_learns(tiny_dataset_dir, tmp_path):
    cfg = _cfg(tiny_dataset_dir, tmp_path / "hard", hard_negatives=2, epochs=8)
    metrics = train(cfg, progress=False)
    untrained = build_model(cfg)
    ds = CPRDataset.load(tiny_dataset_dir)
    before = evaluate(untrained, ds, "test", TextTable(untrained, cfg, torch.device("cpu")).embed, "kinematic")
    assert metrics["R@10"] >= before["R@10"] + 10.0, (before, metrics)


def test_hard_negatives_with_proportion_augmentation_train(tiny_dataset_dir, tmp_path):
    from autocompose.retrieval.config import AugmentConfig

    cfg = _cfg(tiny_dataset_dir, tmp_path / "hard-aug", hard_negatives=2, augment=AugmentConfig(proportions=0.1), epochs=2)
    metrics = train(cfg, progress=False)
    history = json.loads((tmp_path / "hard-aug" / "history.json").read_text())
    assert len(history) == 2 and all(h["loss"] > 0 for h in history) and metrics["queries"] > 0
