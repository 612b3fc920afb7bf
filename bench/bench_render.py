"""Benchmark: single-pose rendering speed at 256×256 on one core (target ≥ 200 poses/s).

Run: ``make bench`` or ``python bench/bench_render.py [--n 2000] [--size 256]``. Prints what
it measured; it does not assert.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from autocompose.poses.builtin import builtin_library
from autocompose.render import RenderStyle, render_pair, render_pose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="poses to render")
    parser.add_argument("--size", type=int, default=256, help="image size in pixels")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the target says
    frames = np.concatenate([s.joints for s in builtin_library()])
    poses = frames[np.random.default_rng(0).choice(len(frames), size=args.n)]
    style = RenderStyle(size=args.size)
    render_pose(poses[0], style=style)  # warm-up
    t0 = time.perf_counter()
    for p in poses:
        render_pose(p, style=style).tobytes()
    single = args.n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    n_pairs = args.n // 4
    for i in range(n_pairs):
        render_pair(poses[2 * i], poses[2 * i + 1], ("front", "side"), style)
    pairs = n_pairs / (time.perf_counter() - t0)
    print(f"render_pose {args.size}x{args.size}, 1 core: {single:.0f} poses/s (target >= 200)")
    print(f"render_pair front+side {args.size}px panels: {pairs:.0f} pairs/s")


if __name__ == "__main__":
    main()
