"""Training: seeded, resumable (a checkpoint every epoch), early stopping on val R@10,
CPU by default, CUDA + mixed precision when available, DDP under ``torchrun``.

Layout of ``cfg.out``: ``config.json`` (resolved), ``last.pt`` and ``best.pt`` (model,
optimiser, epoch, history, RNG state), ``history.json``, ``metrics.json`` (test split, best
checkpoint) and ``recall.png``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from autocompose import __version__
from autocompose.data.format import CPRDataset
from autocompose.errors import AutocomposeError
from autocompose.retrieval.combiner import CPRModel
from autocompose.retrieval.config import TrainConfig
from autocompose.retrieval.data import Batch, TrainingData
from autocompose.retrieval.encoders import cached_embeddings
from autocompose.retrieval.evaluate import evaluate, plot_recall
from autocompose.retrieval.losses import cycle_loss, info_nce
from autocompose.retrieval.text_onnx import text_encoder


class TrainStep(nn.Module):
    """The loss of one batch as a module, so DDP can wrap it."""

    def __init__(self, model: CPRModel, cfg: TrainConfig) -> None:
        super().__init__()
        self.model, self.cfg = model, cfg

    def forward(
        self, ref: torch.Tensor, tgt: torch.Tensor, text: torch.Tensor, back: torch.Tensor | None, neg: torch.Tensor | None = None
    ) -> torch.Tensor:
        m = self.model
        r, t = m.pose(ref), m.pose(tgt)
        composed = m.compose(r, text)
        scale = m.scale()
        loss = info_nce(composed, t, scale, None if neg is None else m.pose(neg))
        if self.cfg.loss.cycle and back is not None:
            w = self.cfg.loss.cycle_weight
            loss = (1 - w) * loss + w * cycle_loss(composed, back, r, m.compose, scale)
        return loss


class TextTable:
    """Text features for training and evaluation: cached sentence embeddings (frozen) or live encoding."""

    def __init__(self, model: CPRModel, cfg: TrainConfig, device: torch.device, progress: bool = False) -> None:
        self.model, self.device = model, device
        pretrained = cfg.model.text_model == "minilm"
        self.encoder = None if model.sentence is not None else text_encoder(pretrained, cfg.model.text_runtime)
        self.progress = progress

    def embed(self, texts: list[str]) -> torch.Tensor:
        """384-d embeddings (frozen mode) or sentence-encoder outputs with gradients (finetune)."""
        if self.model.sentence is not None:
            return self.model.sentence(texts)
        bar = tqdm(total=len(texts), desc="embed texts", unit="text", disable=not self.progress or len(texts) < 2000, leave=False)
        emb = cached_embeddings(self.encoder, texts, progress=bar.update)  # type: ignore[arg-type]
        bar.close()
        return torch.from_numpy(emb).to(self.device)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _dist() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (torch.distributed.get_rank() if world > 1 else 0), world


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _set_stage(model: CPRModel, cfg: TrainConfig, epoch: int) -> str:
    """two-stage: encoders with sum composition, then only the Combiner; joint: everything."""
    if cfg.schedule == "joint":
        model.composition = "combiner"
        stage = "joint"
    elif epoch < cfg.stage1_epochs:
        model.composition, stage = "sum", "stage1"
    else:
        model.composition, stage = "combiner", "stage2"
    for name, p in model.named_parameters():
        if stage == "stage1":
            p.requires_grad = not name.startswith("combiner.")
        elif stage == "stage2":
            p.requires_grad = name.startswith("combiner.") or name == "logit_scale"
        else:
            p.requires_grad = True
    return stage


def build_model(cfg: TrainConfig) -> CPRModel:
    torch.manual_seed(cfg.seed)
    return CPRModel(cfg.model)


def train(
    cfg: TrainConfig, progress: bool = True, stop_after: int | None = None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Train (or resume) the run in ``cfg.out``; returns the final metrics.

    ``stop_after`` ends the run after that many epochs in this call (tests use it to simulate
    a killed run); a later call resumes from ``last.pt``.
    """
    cfg = cfg.validated()
    rank, world = _dist()
    device = resolve_device(cfg.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    amp = cfg.amp and device.type == "cuda"
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ds = CPRDataset.load(cfg.dataset)
    query_source = cfg.query_source or ds.card.get("queries", {}).get("test") or cfg.train_source
    val_source = val_query_source(ds, query_source, cfg.train_source)
    data = TrainingData.build(ds, "train", cfg.train_source, cfg.k, cfg.variants, cfg.model.pose_input)
    if cfg.hard_negatives:
        data.clip_negatives(ds, cfg.hard_negative_min_m)
    model = build_model(cfg).to(device)
    texts = TextTable(model, cfg, device, progress and rank == 0)
    frozen = model.sentence is None
    table = texts.embed(data.texts) if frozen else None
    feats = torch.from_numpy(data.features).to(device)
    head_params = [p for n, p in model.named_parameters() if not n.startswith("sentence.")]
    groups = [{"params": head_params, "lr": cfg.lr}]
    if not frozen:
        groups.append({"params": list(model.sentence.parameters()), "lr": cfg.text_lr})  # type: ignore[union-attr]
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    start, best, bad_epochs, history = 0, -1.0, 0, []
    last = out / "last.pt"
    if last.exists():
        state = torch.load(last, map_location=device, weights_only=False)
        if state["config"] != cfg.model_dump(mode="json", exclude={"epochs", "out", "device", "patience"}):
            raise AutocomposeError(f"{last} was written with another config; use a new --out or delete it to start over")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        start, best, bad_epochs, history = state["epoch"] + 1, state["best"], state["bad_epochs"], state["history"]
        log(f"resuming {out} at epoch {start}")
    step = TrainStep(model, cfg)
    runner: nn.Module = step
    if world > 1:
        runner = nn.parallel.DistributedDataParallel(step, find_unused_parameters=True)
    if rank == 0:
        (out / "config.json").write_text(json.dumps({**cfg.model_dump(mode="json"), "autocompose": __version__}, indent=2))

    def text_batch(rows: np.ndarray) -> torch.Tensor:
        if frozen:
            return model.encode_text(table[torch.from_numpy(rows).to(device)])  # type: ignore[index]
        return model.encode_text(texts=[data.texts[i] for i in rows])

    aug_rng = np.random.default_rng([cfg.seed, start, rank])

    def run_epoch(epoch: int) -> float:
        total, n = 0.0, 0
        batches = list(data.batches(cfg.batch_size, cfg.seed, epoch, rank, world, cfg.hard_negatives))
        for b in tqdm(
            batches, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", disable=not progress or rank != 0, leave=False
        ):
            loss = _step(b)
            total, n = total + loss, n + 1
        return total / max(n, 1)

    def _poses(b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        if not cfg.augment.active:
            return feats[torch.from_numpy(b.ref).to(device)], feats[torch.from_numpy(b.tgt).to(device)]
        ref, tgt = data.augmented_features(b.ref, b.tgt, cfg.augment, aug_rng)
        return torch.from_numpy(ref).to(device), torch.from_numpy(tgt).to(device)

    def _negatives(rows: np.ndarray) -> torch.Tensor:
        flat = rows.reshape(-1)
        if not cfg.augment.active:
            return feats[torch.from_numpy(flat).to(device)]
        return torch.from_numpy(data.augmented_rows(flat, cfg.augment, aug_rng)).to(device)

    def _step(b: Batch) -> float:
        has_back = cfg.loss.cycle and bool((b.back_text >= 0).all())
        ref, tgt = _poses(b)
        with torch.autocast(device.type, enabled=amp):
            loss = runner(
                ref,
                tgt,
                text_batch(b.text),
                text_batch(b.back_text) if has_back else None,
                None if b.negatives is None else _negatives(b.negatives),
            )
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return float(loss.detach())

    done = 0
    for epoch in range(start, cfg.epochs):
        stage = _set_stage(model, cfg, epoch)
        t0 = time.perf_counter()
        model.train()
        loss = run_epoch(epoch)
        if rank == 0:
            val = evaluate(model, ds, "val", texts.embed, val_source, device, baselines=False)
            improved = val["R@10"] > best
            best, bad_epochs = (val["R@10"], 0) if improved else (best, bad_epochs + 1)
            history.append(
                {"epoch": epoch + 1, "stage": stage, "loss": round(loss, 4), "seconds": round(time.perf_counter() - t0, 2), **val}
            )
            state = {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "epoch": epoch,
                "best": best,
                "bad_epochs": bad_epochs,
                "history": history,
                "torch_rng": torch.get_rng_state(),
                "config": cfg.model_dump(mode="json", exclude={"epochs", "out", "device", "patience"}),
                "model_config": cfg.model.model_dump(mode="json"),
                "composition": model.composition,
            }
            _atomic_save(state, last)
            if improved:
                _atomic_save(state, out / "best.pt")
            (out / "history.json").write_text(json.dumps(history, indent=2))
            if progress:
                secs = history[-1]["seconds"]
                log(f"epoch {epoch + 1}: {stage} loss {loss:.4f}  val R@1 {val['R@1']:.1f}  R@10 {val['R@10']:.1f}  ({secs} s)")
        done += 1
        if bad_epochs >= cfg.patience:
            if progress:
                log(f"early stop: no better val R@10 for {cfg.patience} epochs")
            break
        if stop_after is not None and done >= stop_after:
            return {"stopped_after": done}
    if rank != 0:
        return {}
    best_model, _ = load_checkpoint(out / "best.pt", device)
    metrics = evaluate(best_model, ds, "test", texts.embed, query_source, device, per_query=True)
    metrics.update(train_source=cfg.train_source, val_query_source=val_source, epochs_run=len(history), best_val_R10=best)
    if cfg.train_source != query_source and cfg.train_source in ds.descriptions:  # in-domain check beside it
        other = evaluate(best_model, ds, "test", texts.embed, cfg.train_source, device)
        metrics["also"] = {cfg.train_source: {k: v for k, v in other.items() if k != "per_query"}}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    plot_recall({f"test ({cfg.train_source} → {query_source})": metrics}, out / "recall.png")
    return metrics


def val_query_source(ds: CPRDataset, query_source: str, train_source: str) -> str:
    """The source of the val queries for early stopping: the test query source when val pairs have
    its text, else the training source (human query sets often cover the test split only)."""
    has = ds.descriptions.get(query_source, {})
    if any(p.id in has for p in ds.split("val")):
        return query_source
    return train_source


def load_checkpoint(path: Path, device: torch.device | str = "cpu") -> tuple[CPRModel, dict[str, Any]]:
    """A trained model (eval mode) and its checkpoint state."""
    from autocompose.retrieval.config import ModelConfig

    if not Path(path).exists():
        raise AutocomposeError(f"checkpoint {path} not found (train with `autocompose train CONFIG`)")
    state = torch.load(path, map_location=device, weights_only=False)
    # checkpoints from before text_runtime existed were trained on torch embeddings: fp32 ONNX reproduces them
    model = CPRModel(ModelConfig.model_validate({"text_runtime": "onnx", **state["model_config"]})).to(device)
    model.load_state_dict(state["model"])
    model.composition = state.get("composition", "combiner")
    model.eval()
    return model, state
