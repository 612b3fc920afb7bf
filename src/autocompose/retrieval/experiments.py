"""The paper's ablation as one command: the same model trained on different description sets,
evaluated on the same held-out test queries.

(a) rule-based baseline, (b) kinematic k=1, (c) kinematic k=3, (d) k=3 + mirror + reverse,
(e) (d) + cycle loss. (a)-(c) train on the original variant only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from autocompose.retrieval.config import TrainConfig
from autocompose.retrieval.evaluate import plot_recall
from autocompose.retrieval.train import train

ALL = ("original", "mirrored", "reversed", "mirrored_reversed")


def matrix_configs(base: TrainConfig, rules_source: str = "rules", generated_source: str = "kinematic") -> dict[str, TrainConfig]:
    def variant(name: str, **update: Any) -> TrainConfig:
        loss = base.loss.model_copy(update={"cycle": update.pop("cycle", False)})
        return base.model_copy(update={"out": Path(base.out) / name, "loss": loss, **update})

    return {
        "a_rules": variant("a_rules", train_source=rules_source, k=3, variants=("original",)),
        "b_k1": variant("b_k1", train_source=generated_source, k=1, variants=("original",)),
        "c_k3": variant("c_k3", train_source=generated_source, k=3, variants=("original",)),
        "d_k3_mirror_reverse": variant("d_k3_mirror_reverse", train_source=generated_source, k=3, variants=ALL),
        "e_d_plus_cycle": variant("e_d_plus_cycle", train_source=generated_source, k=3, variants=ALL, cycle=True),
    }


def run_matrix(base: TrainConfig, log: Callable[[str], None] = print, **kwargs: Any) -> dict[str, dict[str, Any]]:
    """Train every configuration (each resumable in its own folder) and plot their test recall."""
    results = {}
    for name, cfg in matrix_configs(base, **kwargs).items():
        log(f"== {name}: source={cfg.train_source} k={cfg.k} variants={','.join(cfg.variants)} cycle={cfg.loss.cycle}")
        results[name] = train(cfg, progress=False, log=log)
    plot_recall(results, Path(base.out) / "matrix_recall.png")
    return results
