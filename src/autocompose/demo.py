"""The demo pipeline behind ``autocompose demo``: library → pairs → rendered sheets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress

from autocompose.describe import KinematicDescriber, describe_variants
from autocompose.pairs import MiningConfig, mine_pairs
from autocompose.poses.builtin import builtin_library
from autocompose.poses.sequence import PoseSequence
from autocompose.render import RenderStyle, contact_sheet, render_pair, render_views
from autocompose.render.sheets import render_row as render_pair_row


def run_demo(
    out: Path,
    pairs_shown: int = 12,
    use_real_sample: bool = False,
    seed: int = 0,
    progress: Callable[[], Progress] | None = None,
    train_model: bool = True,
    epochs: int = 20,
) -> dict[str, Any]:
    """Write ``library.png``, ``pairs.png``, ``pairs_mirrored.png`` and ``pairs/`` under ``out``;
    with ``train_model``, also the built-in benchmark (``dataset/``), a trained model (``run/``)
    and ``retrieval.png`` (test queries with their top-3 results)."""
    out.mkdir(parents=True, exist_ok=True)
    sequences: list[PoseSequence] = builtin_library(seed=seed)
    if use_real_sample:
        from autocompose.poses.io import load_sequence
        from autocompose.poses.real_sample import fetch_real_sample

        sequences = sequences + [load_sequence(p) for p in fetch_real_sample()]
    style = RenderStyle(size=220)
    # one frame from the middle of every motion of one subject: what the library holds
    first_subject = sequences[0].subject
    overview = [
        render_views(s.joints[len(s) // 2], ("front",), style, s.joint_mask) for s in sequences if s.subject == first_subject
    ]
    contact_sheet(overview, columns=7).save(out / "library.png")

    pairset = mine_pairs(sequences, MiningConfig(seed=seed))
    pairset.save(out / "pairs")
    rng = np.random.default_rng(seed)
    shown = rng.choice(len(pairset), size=min(pairs_shown, len(pairset)), replace=False)
    describer = KinematicDescriber()
    images, mirrored = [], []
    bar = progress() if progress else None
    task = bar.add_task("rendering pairs", total=2 * len(shown)) if bar else None
    if bar:
        bar.start()
    try:
        for i in shown:
            p, a, b, m = pairset.pairs[i], pairset.ref[i], pairset.tgt[i], pairset.mask[i]
            where = f"{p.ref_seq}#{p.ref_frame} -> {p.tgt_seq}#{p.tgt_frame} ({p.kind}, {p.split}, diff {p.difference:.2f} m)"
            described = describe_variants(describer, a, b, 2, m, seed=int(i), variants=("mirror",))
            caption = " / ".join(d.text for d in described["original"]) + "  [" + where + "]"
            images.append(render_pair(a, b, ("front", "side"), style, caption=caption, mask=m))
            mirrored.append(
                render_pair(a, b, ("front",), style, mirrored=True, caption="mirrored: " + described["mirrored"][0].text, mask=m)
            )
            if bar and task is not None:
                bar.advance(task, 2)
    finally:
        if bar:
            bar.stop()
    contact_sheet(images, columns=3).save(out / "pairs.png")
    contact_sheet(mirrored, columns=3).save(out / "pairs_mirrored.png")
    counts = pairset.counts()
    summary: dict[str, Any] = {}
    if train_model:
        summary = _train_and_show(out, seed, epochs, style)
    return {
        "sequences": len(sequences),
        "frames": sum(len(s) for s in sequences),
        "subjects": len({s.subject for s in sequences}),
        "pairs": f"{len(pairset)} (train {counts.get('train', 0)}, val {counts.get('val', 0)}, test {counts.get('test', 0)})",
        "wrote": ", ".join(str(out / n) for n in ("library.png", "pairs.png", "pairs_mirrored.png", "pairs/")),
        **summary,
    }


def _train_and_show(out: Path, seed: int, epochs: int, style: RenderStyle) -> dict[str, Any]:
    """Build the built-in benchmark, train the default model, draw test queries with their top-3."""
    from autocompose.data.build import BuildOptions
    from autocompose.data.builders import build_builtin
    from autocompose.retrieval.config import LossConfig, TrainConfig
    from autocompose.retrieval.train import train
    from autocompose.serve.engine import SearchEngine

    ds = build_builtin(None, BuildOptions(seed=seed))
    folder = ds.save(out / "dataset")
    cfg = TrainConfig(dataset=folder, out=out / "run", epochs=epochs, loss=LossConfig(cycle=True), seed=seed)
    metrics = train(cfg, progress=False, log=lambda _: None)
    engine = SearchEngine(out / "run" / "best.pt", folder, split="test")  # the same query path as `autocompose serve`
    gallery = ds.galleries["test"].poses
    rows = []
    small = RenderStyle(size=150)
    for pair in ds.split("test")[:: max(1, len(ds.split("test")) // 4)][:4]:
        text = ds.texts("kinematic", pair.id)[0]
        ref_joints = engine.joints_of(pair.ref)[0]
        top = [pose_id for pose_id, _ in engine.search(ref_joints, text, 3, exclude=pair.ref)]
        cells = [render_views(ref_joints, ("front",), small)]
        cells += [render_views(engine.joints_of(t)[0], ("front",), small) for t in top]
        label = f"query: {text} | target rank in top-3: {top.index(pair.tgt) + 1 if pair.tgt in top else 'no'}"
        rows.append(render_pair_row(cells, label, small.size))
    contact_sheet(rows, columns=1).save(out / "retrieval.png")
    return {
        "benchmark": f"{len(ds.pairs)} pairs, test gallery {len(gallery)} poses → {folder}",
        "retrieval (test, kinematic queries)": "  ".join(f"{k} {metrics[k]}" for k in ("R@1", "R@5", "R@10", "R@50"))
        + f"  soft10@10 {metrics['soft10@10']}  |  reference-only R@10 {metrics['reference_only']['R@10']}"
        + f"  nearest-pose R@10 {metrics['nearest_pose']['R@10']}",
        "model": f"{out / 'run' / 'best.pt'}; examples in {out / 'retrieval.png'}",
        "search it in a browser": f"autocompose serve --model {out / 'run' / 'best.pt'} --gallery {folder}",
    }
