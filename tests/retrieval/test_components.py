"""Shapes and gradients of every component; the losses on toy models with known answers."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from autocompose.poses.skeleton import NUM_JOINTS
from autocompose.poses.transforms import mirror, mirror_mask, rotate_y
from autocompose.retrieval.combiner import Combiner, CPRModel
from autocompose.retrieval.config import ModelConfig
from autocompose.retrieval.encoders import TEXT_WIDTH, PoseEncoder, pose_features
from autocompose.retrieval.losses import cycle_loss, info_nce


def test_pose_features_are_facing_and_position_invariant(random_poses):
    mask = np.ones(random_poses.shape[:2], bool)
    moved = rotate_y(random_poses, 1.1) + np.array([2.0, 0.0, -3.0], np.float32)
    np.testing.assert_allclose(pose_features(moved, mask), pose_features(random_poses, mask), atol=1e-4)
    f = pose_features(random_poses, mask)
    assert f.shape == (len(random_poses), NUM_JOINTS * 4) and f.dtype == np.float32
    assert not np.allclose(pose_features(mirror(random_poses), mirror_mask(mask)), f)


def test_shapes_and_gradients_reach_every_trainable_part():
    torch.manual_seed(0)
    model = CPRModel(ModelConfig(dim=32, pose_hidden=64, combiner_hidden=64))
    feats = torch.randn(8, NUM_JOINTS * 4)
    emb = torch.randn(8, TEXT_WIDTH)
    pose, text = model.pose(feats), model.encode_text(emb)
    assert pose.shape == text.shape == (8, 32)
    torch.testing.assert_close(pose.norm(dim=-1), torch.ones(8))
    composed = model.compose(pose, text)
    assert composed.shape == (8, 32)
    info_nce(composed, model.pose(torch.randn(8, NUM_JOINTS * 4)), model.scale()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_combiner_gate_mixes_inputs_and_output_is_normalised():
    comb = Combiner(16, 32, dropout=0.0).eval()
    i, t = F.normalize(torch.randn(4, 16), dim=-1), F.normalize(torch.randn(4, 16), dim=-1)
    out = comb(i, t)
    torch.testing.assert_close(out.norm(dim=-1), torch.ones(4))
    assert not torch.allclose(out, comb(i, F.normalize(torch.randn(4, 16), dim=-1)))  # the text matters


def test_info_nce_prefers_matching_pairs():
    x = F.normalize(torch.randn(16, 8), dim=-1)
    assert info_nce(x, x, 50.0) < info_nce(x, x.roll(1, 0), 50.0)


def test_cycle_loss_is_zero_for_a_perfect_model_and_positive_otherwise():
    refs = torch.eye(6)  # orthonormal reference embeddings
    back_texts = refs.clone()  # a perfect model: composing with T' lands exactly on the reference

    def perfect(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return t

    composed = F.normalize(torch.randn(6, 6), dim=-1)
    assert cycle_loss(composed, back_texts, refs, perfect, 100.0) < 1e-20
    wrong = cycle_loss(composed, back_texts.roll(1, 0), refs, perfect, 100.0)
    assert wrong > 10.0
    assert cycle_loss(composed, back_texts, refs, lambda x, t: x, 100.0) > 0.0


def test_pose_encoder_builds_with_random_weights_and_is_deterministic_for_a_seed():
    torch.manual_seed(3)
    a = PoseEncoder(16, 32)
    torch.manual_seed(3)
    b = PoseEncoder(16, 32)
    x = torch.randn(2, NUM_JOINTS * 4)
    torch.testing.assert_close(a.eval()(x), b.eval()(x))


class _CountingEncoder:
    """Stands in for a sentence encoder: deterministic vectors, counts what it embeds."""

    name = "counting"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts, progress=None):
        self.seen += list(texts)
        return np.stack([np.full(TEXT_WIDTH, len(t), np.float32) for t in texts])


def test_embedding_cache_survives_a_corrupt_file_and_leaves_no_temporaries(tmp_path):
    import pytest

    from autocompose.retrieval.encoders import cached_embeddings

    enc = _CountingEncoder()
    first = cached_embeddings(enc, ["a", "bb"], tmp_path)
    assert enc.seen == ["a", "bb"]
    assert cached_embeddings(enc, ["bb", "a"], tmp_path)[0, 0] == 2 and enc.seen == ["a", "bb"]  # served from the cache
    (tmp_path / "counting.npz").write_bytes(b"PK\x03\x04 cut short by a crash")
    with pytest.warns(UserWarning, match="unreadable"):
        again = cached_embeddings(enc, ["a", "bb"], tmp_path)
    np.testing.assert_array_equal(again, first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counting.npz"]


def test_info_nce_extra_negatives_only_add_candidates():
    x = F.normalize(torch.randn(8, 8), dim=-1)
    far = -x  # the opposite of every query: adds almost nothing
    near = x + 0.01 * torch.randn(8, 8)  # near-copies of the positives: a much harder task
    base = info_nce(x, x, 20.0)
    assert base <= info_nce(x, x, 20.0, F.normalize(far, dim=-1)) < info_nce(x, x, 20.0, F.normalize(near, dim=-1))
