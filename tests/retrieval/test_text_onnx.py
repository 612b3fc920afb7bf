"""The ONNX text encoder reproduces the torch MiniLM (fp32) or stays close to it (int8), in input order."""

from __future__ import annotations

import numpy as np
import pytest

from autocompose.retrieval.encoders import SentenceEncoder
from autocompose.retrieval.text_onnx import OnnxSentenceEncoder, onnx_model_path, text_encoder

TEXTS = [
    "Raise your left arm above your head and bend the right knee.",
    "Lean forward.",
    "Starting from the first pose, first squat down, then lower both arms to your side, and finally turn your head left.",
    "Stay as you are.",
    "step your right foot slightly backward while you also tilt your head to the left " * 8,  # > 64 tokens: truncated
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return SentenceEncoder().embed(TEXTS)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_fp32_onnx_equals_torch_and_keeps_input_order(reference):
    enc = OnnxSentenceEncoder("onnx")
    got = enc.embed(TEXTS, batch_size=2)  # length-sorted batches of 2: order must be restored
    assert got.shape == reference.shape and got.dtype == np.float32
    assert np.abs(got - reference).max() < 1e-4
    assert enc.name == "all-MiniLM-L6-v2"  # same embedding, same cache key
    np.testing.assert_allclose(enc([TEXTS[1]]).numpy()[0], got[1], atol=1e-5)


def test_int8_is_close_with_its_own_cache_key(reference):
    enc = text_encoder(True, "onnx-int8")
    got = enc.embed(TEXTS)
    assert 1 - _cos(got, reference).min() < 0.05
    assert enc.name != "all-MiniLM-L6-v2"
    assert enc.embed([]).shape == (0, 384)


def test_export_is_cached_and_written_atomically():
    path = onnx_model_path("onnx")
    mtime = path.stat().st_mtime_ns
    assert onnx_model_path("onnx").stat().st_mtime_ns == mtime
    assert not list(path.parent.glob("*.tmp.onnx"))


def test_checkpoints_from_before_text_runtime_load_with_the_equivalent_fp32_runtime(tmp_path):
    import torch

    from autocompose.retrieval.combiner import CPRModel
    from autocompose.retrieval.config import ModelConfig
    from autocompose.retrieval.train import load_checkpoint

    cfg = ModelConfig(dim=16, pose_hidden=16, combiner_hidden=16)
    old = {k: v for k, v in cfg.model_dump(mode="json").items() if k != "text_runtime"}
    torch.save({"model_config": old, "model": CPRModel(cfg).state_dict()}, tmp_path / "old.pt")
    assert load_checkpoint(tmp_path / "old.pt")[0].cfg.text_runtime == "onnx"
    new = cfg.model_copy(update={"text_runtime": "onnx-int8"}).model_dump(mode="json")
    torch.save({"model_config": new, "model": CPRModel(cfg).state_dict()}, tmp_path / "new.pt")
    assert load_checkpoint(tmp_path / "new.pt")[0].cfg.text_runtime == "onnx-int8"
    assert ModelConfig().text_runtime == "onnx-int8"
