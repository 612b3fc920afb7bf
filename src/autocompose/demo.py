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


def run_demo(
    out: Path, pairs_shown: int = 12, use_real_sample: bool = False, seed: int = 0, progress: Callable[[], Progress] | None = None
) -> dict[str, Any]:
    """Write ``library.png``, ``pairs.png``, ``pairs_mirrored.png`` and ``pairs/`` under ``out``."""
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
    return {
        "sequences": len(sequences),
        "frames": sum(len(s) for s in sequences),
        "subjects": len({s.subject for s in sequences}),
        "pairs": f"{len(pairset)} (train {counts.get('train', 0)}, val {counts.get('val', 0)}, test {counts.get('test', 0)})",
        "wrote": ", ".join(str(out / n) for n in ("library.png", "pairs.png", "pairs_mirrored.png", "pairs/")),
    }
