"""The paper's ablation as one command: the same model trained on different description sets,
evaluated on the same held-out test queries, over several seeds with bootstrap intervals.

(a) rule-based baseline, (b) kinematic k=1, (c) kinematic k=3, (d) k=3 + mirror + reverse,
(e) (d) + cycle loss, and (f) MLLM text with all variants when the dataset has an ``mllm``
source covering the training pairs. (a)-(c) train on the original variant only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autocompose.retrieval.config import TrainConfig
from autocompose.retrieval.evaluate import plot_recall
from autocompose.retrieval.stats import bootstrap_ci, hits, paired_difference_ci
from autocompose.retrieval.train import train

ALL = ("original", "mirrored", "reversed", "mirrored_reversed")
#: (better arm, baseline arm, what the comparison asks)
COMPARISONS = (
    ("c_k3", "a_rules", "kinematic vs rule-based text"),
    ("c_k3", "b_k1", "k=3 vs k=1"),
    ("d_k3_mirror_reverse", "c_k3", "mirror + reverse vs without"),
    ("e_d_plus_cycle", "d_k3_mirror_reverse", "cycle loss vs without"),
)
METRICS = ("R@1", "R@10", "soft10@10")


def matrix_configs(
    base: TrainConfig, rules_source: str = "rules", generated_source: str = "kinematic", mllm_source: str | None = None
) -> dict[str, TrainConfig]:
    def variant(name: str, **update: Any) -> TrainConfig:
        loss = base.loss.model_copy(update={"cycle": update.pop("cycle", False)})
        return base.model_copy(update={"out": Path(base.out) / name, "loss": loss, **update})

    arms = {
        "a_rules": variant("a_rules", train_source=rules_source, k=3, variants=("original",)),
        "b_k1": variant("b_k1", train_source=generated_source, k=1, variants=("original",)),
        "c_k3": variant("c_k3", train_source=generated_source, k=3, variants=("original",)),
        "d_k3_mirror_reverse": variant("d_k3_mirror_reverse", train_source=generated_source, k=3, variants=ALL),
        "e_d_plus_cycle": variant("e_d_plus_cycle", train_source=generated_source, k=3, variants=ALL, cycle=True),
    }
    if mllm_source:
        arms["f_mllm"] = variant("f_mllm", train_source=mllm_source, k=3, variants=ALL)
    return arms


def summarise(per_seed: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per arm: mean and 95 % bootstrap interval of each metric (over queries and seeds), plus the
    reference-only baseline; and the paired differences the ablation asks about."""
    table: dict[str, Any] = {}
    hit_cache: dict[tuple[str, str], Any] = {}
    for arm, runs in per_seed.items():
        row: dict[str, Any] = {"seeds": len(runs), "queries": runs[0]["queries"], "gallery": runs[0]["gallery"]}
        for metric in METRICS:
            hit_cache[arm, metric] = hits([r["per_query"] for r in runs], metric)
            row[metric] = bootstrap_ci(hit_cache[arm, metric])
        if all("per_query" in r.get("reference_only", {}) for r in runs):
            row["reference_only R@10"] = bootstrap_ci(hits([r["reference_only"]["per_query"] for r in runs], "R@10"))
        table[arm] = row
    diffs = []
    for better, base, question in COMPARISONS:
        if better in per_seed and base in per_seed:
            for metric in ("R@1", "R@10"):
                d = paired_difference_ci(hit_cache[better, metric], hit_cache[base, metric])
                diffs.append({"comparison": question, "arms": f"{better} − {base}", "metric": metric, **d})
    return {"arms": table, "differences": diffs}


def plot_matrix(summary: dict[str, Any], path: Path) -> Path:
    """Bars of R@10 and soft10@10 per arm with their 95 % intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    arms = list(summary["arms"])
    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=110)
    width = 0.38
    for j, metric in enumerate(("R@10", "soft10@10")):
        mean = np.array([summary["arms"][a][metric]["mean"] for a in arms])
        lo = np.array([summary["arms"][a][metric]["lo"] for a in arms])
        hi = np.array([summary["arms"][a][metric]["hi"] for a in arms])
        x = np.arange(len(arms)) + (j - 0.5) * width
        ax.bar(x, mean, width, yerr=[mean - lo, hi - mean], capsize=3, label=metric)
    ref = [summary["arms"][a].get("reference_only R@10", {}).get("mean") for a in arms]
    if all(r is not None for r in ref):
        ax.scatter(np.arange(len(arms)) - 0.5 * width, ref, marker="_", s=300, color="k", label="reference-only R@10")
    ax.set_xticks(np.arange(len(arms)), arms, rotation=15, fontsize=8)
    ax.set_ylabel("% of test queries (95 % CI)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def run_matrix(
    base: TrainConfig,
    log: Callable[[str], None] = print,
    seeds: Sequence[int] = (0,),
    arms: Sequence[str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Train every arm for every seed (each resumable in ``OUT/ARM/seedN``), then summarise with intervals.

    Returns ``{"runs": {arm: [metrics per seed]}, "summary": …}``; ``OUT/matrix.json`` and
    ``OUT/matrix.png`` are written.
    """
    configs = matrix_configs(base, **kwargs)
    if arms:
        unknown = set(arms) - set(configs)
        if unknown:
            raise ValueError(f"unknown arms {sorted(unknown)}; choose from {sorted(configs)}")
        configs = {k: v for k, v in configs.items() if k in arms}
    runs: dict[str, list[dict[str, Any]]] = {}
    for name, cfg in configs.items():
        for seed in seeds:
            run = cfg.model_copy(update={"seed": seed, "out": Path(cfg.out) / f"seed{seed}"})
            variants = ",".join(cfg.variants)
            log(f"== {name} seed {seed}: source={cfg.train_source} k={cfg.k} variants={variants} cycle={cfg.loss.cycle}")
            runs.setdefault(name, []).append(train(run, progress=False, log=log))
    summary = summarise(runs)
    out = Path(base.out)
    plot_recall({name: r[0] for name, r in runs.items()}, out / "matrix_recall.png")
    plot_matrix(summary, out / "matrix.png")
    slim = {a: [{k: v for k, v in r.items() if k != "per_query"} for r in rs] for a, rs in runs.items()}
    (out / "matrix.json").write_text(json.dumps({"summary": summary, "runs": slim}, indent=2))
    return {"runs": runs, "summary": summary}


#: The recommended recipe for real motion, chosen on the cross-dataset benchmark's *val* split
#: (never on test or real-sample scores; README "Real-motion benchmark"): the size- and
#: proportion-invariant pose input, trained with the built-in library as extra training data.
RECOMMENDED_REAL: dict[str, Any] = {"model": {"pose_input": "bones"}}
RECOMMENDED_EXTRA_TRAIN: tuple[str, ...] = ("builtin",)


def real_motion(
    mocap: Sequence[Path],
    out: Path,
    log: Callable[[str], None] = print,
    overrides: dict[str, Any] | None = None,
    evaluate_on: Sequence[Path] = (),
    train_density: float = 1.0,
) -> dict[str, Any]:
    """Build the cross-dataset real-motion benchmark from local collection folders (once; the built-in
    library added as training data), train the
    recommended model on it and evaluate it on its test split (kinematic and human queries) and on
    any extra evaluation datasets (e.g. one built from ``real-sample`` with ``--split test-only``)."""
    import torch

    from autocompose.data.build import BuildOptions, plot_differences
    from autocompose.data.builders.mocap import build_mocap
    from autocompose.data.format import CPRDataset
    from autocompose.retrieval.evaluate import evaluate
    from autocompose.retrieval.train import TextTable, load_checkpoint

    data = out / "data" / "real-cpr-xdata"
    if not (data / "dataset.json").exists():
        log(f"building the cross-dataset benchmark from {', '.join(map(str, mocap))} → {data}")
        ds = build_mocap(
            list(mocap), BuildOptions(), plan="cross-dataset", train_density=train_density, extra_train=RECOMMENDED_EXTRA_TRAIN
        )
        ds.save(data)
        plot_differences(ds, data / "difference_histogram.png")
    cfg_data: dict[str, Any] = {"dataset": str(data), "out": str(out / "model"), "query_source": "kinematic"}
    for layer in (RECOMMENDED_REAL, overrides or {}):  # the recipe, then the caller's --set on top (section by section)
        for key, value in layer.items():
            cfg_data[key] = {**cfg_data.get(key, {}), **value} if isinstance(value, dict) else value
    cfg = TrainConfig.model_validate(cfg_data)
    results: dict[str, Any] = {"cross-dataset (kinematic queries)": train(cfg, progress=True, log=log)}
    model, _ = load_checkpoint(Path(cfg.out) / "best.pt")
    texts = TextTable(model, cfg, torch.device("cpu"))
    ds = CPRDataset.load(data)
    if "human" in ds.descriptions:
        results["cross-dataset (human-style queries)"] = evaluate(model, ds, "test", texts.embed, "human")
    for extra in evaluate_on:
        other = CPRDataset.load(extra)
        source = other.card.get("queries", {}).get("test") or "kinematic"
        results[f"{other.name} ({source} queries)"] = evaluate(model, other, "test", texts.embed, source)
    slim = {k: {kk: vv for kk, vv in v.items() if kk != "per_query"} for k, v in results.items()}
    (out / "results.json").write_text(json.dumps(slim, indent=2))
    return slim
