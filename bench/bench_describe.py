"""Benchmark: kinematic describer throughput, k = 3, one core (target >= 2,000 pairs/s). Prints, never asserts.

Each annotator describes the same 3,058 mined built-in pairs ``--repeats`` times on one pinned core;
the best repeat is the code's own speed (as ``timeit`` reports it: interference from other processes
only ever slows a repeat down), the median shows how steady the machine was.

    python bench/bench_describe.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from autocompose.describe import KinematicDescriber, RuleBasedDescriber
from autocompose.pairs import MiningConfig, mine_pairs
from autocompose.poses.builtin import builtin_library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="passes over the pairs per annotator")
    repeats = parser.parse_args().repeats
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    pairs = mine_pairs(builtin_library(), MiningConfig(seed=0))
    for annotator in (KinematicDescriber(), RuleBasedDescriber()):
        rates, cpu_rates = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            for i, (_, a, b, m) in enumerate(pairs):
                annotator.describe(a, b, 3, m, seed=i)
            rates.append(len(pairs) / (time.perf_counter() - t0))
            cpu_rates.append(len(pairs) / (time.process_time() - c0))
        print(
            f"{annotator.name}: best {max(rates):.0f} pairs/s, median {np.median(rates):.0f} "
            f"(per CPU-second: best {max(cpu_rates):.0f}, median {np.median(cpu_rates):.0f}), k=3 on one core, "
            f"{len(pairs)} pairs x {repeats} repeats (target for kinematic >= 2000)",
            flush=True,
        )


if __name__ == "__main__":
    main()
