"""The CLIP4Cir-style Combiner and the composed-retrieval model around it.

Combiner(i, t): project both (ReLU, dropout), concatenate, a hidden layer; a gate
λ = σ(MLP(concat)) mixes the inputs; output = N(W·hidden + λ·t + (1−λ)·i). The ``sum``
composition N(i + t) is stage 1 of the paper's two-stage schedule.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from autocompose.retrieval.config import ModelConfig
from autocompose.retrieval.encoders import PoseEncoder, SentenceEncoder, TextHead


class Combiner(nn.Module):
    def __init__(self, dim: int, hidden: int = 512, dropout: float = 0.5) -> None:
        super().__init__()
        self.text_proj = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.pose_proj = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.hidden = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.out = nn.Linear(hidden, dim)
        self.gate = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1), nn.Sigmoid()
        )

    def forward(self, pose: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        joint = torch.cat([self.pose_proj(pose), self.text_proj(text)], dim=-1)
        lam = self.gate(joint)
        return F.normalize(self.out(self.hidden(joint)) + lam * text + (1 - lam) * pose, dim=-1)


Composition = Literal["combiner", "sum"]


class CPRModel(nn.Module):
    """Pose encoder + text branch + Combiner, with a learned temperature."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.pose = PoseEncoder(cfg.dim, cfg.pose_hidden, cfg.pose_blocks, cfg.dropout, cfg.pose_input)
        self.text_head = TextHead(cfg.dim, cfg.dropout)
        self.combiner = Combiner(cfg.dim, cfg.combiner_hidden, 0.5)
        self.logit_scale = nn.Parameter(torch.tensor(float(np.log(1 / cfg.init_temperature))))
        self.sentence: SentenceEncoder | None = None
        if cfg.text_mode == "finetune":
            self.sentence = SentenceEncoder(pretrained=cfg.text_model == "minilm")
        self.composition: Composition = "combiner"

    def encode_text(self, emb: torch.Tensor | None = None, texts: list[str] | None = None) -> torch.Tensor:
        """From cached embeddings (frozen mode) or raw texts (finetune mode)."""
        if texts is not None:
            if self.sentence is None:
                raise ValueError("raw texts need text_mode='finetune' (or embed them first)")
            emb = self.sentence(texts)
        assert emb is not None
        return self.text_head(emb)

    def compose(self, pose: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        if self.composition == "sum":
            return F.normalize(pose + text, dim=-1)
        return self.combiner(pose, text)

    def scale(self) -> torch.Tensor:
        return self.logit_scale.clamp(max=float(np.log(100.0))).exp()
