"""Real-motion targets (issue 11): load time, benchmark build time, training time and the cross-dataset scores.

Targets: loading all shared collections <= 30 s; building the benchmark <= 3 min; training the
recommended model <= 20 min on 2 cores; cross-dataset (kinematic queries) R@10 >= 50 %,
soft10@10 >= 85 % and composed - reference-only >= 30 R@10 points. It prints what it measured.

    python bench/bench_real_motion.py --mocap ../shared/mocap --out /tmp/bench-real [--real-eval DATASET]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from autocompose.data.build import BuildOptions
from autocompose.data.builders.mocap import build_mocap
from autocompose.poses.mocap import load_collection
from autocompose.retrieval.experiments import RECOMMENDED_EXTRA_TRAIN, RECOMMENDED_REAL, real_motion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mocap", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "mocap")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-real-motion"))
    parser.add_argument("--real-eval", type=Path, action="append", default=[], help="extra evaluation dataset(s)")
    args = parser.parse_args()
    folders = [args.mocap / n for n in ("bandai-namco", "cmu-expmap", "deepmimic")]

    t0 = time.perf_counter()
    seqs = load_collection(args.mocap, progress=False)
    load_s = time.perf_counter() - t0
    print(f"load: {len(seqs)} clips, {sum(len(s) for s in seqs):,} frames in {load_s:.1f} s (target <= 30 s)")

    t0 = time.perf_counter()
    ds = build_mocap(folders, BuildOptions(), plan="cross-dataset", extra_train=RECOMMENDED_EXTRA_TRAIN)
    build_s = time.perf_counter() - t0
    data = args.out / "data" / "real-cpr-xdata"
    ds.save(data)
    print(f"build: cross-dataset benchmark, {len(ds.pairs)} pairs, in {build_s:.0f} s (target <= 180 s)")

    t0 = time.perf_counter()
    results = real_motion(folders, args.out, log=lambda _: None, evaluate_on=args.real_eval)
    train_s = time.perf_counter() - t0
    print(f"train + evaluate the recommended recipe {json.dumps(RECOMMENDED_REAL)}: {train_s / 60:.1f} min (target <= 20)")
    for name, m in results.items():
        ref = m.get("reference_only", {})
        print(
            f"{name}: R@1/5/10/50 = {m['R@1']}/{m['R@5']}/{m['R@10']}/{m['R@50']}, soft10@10 {m['soft10@10']}, "
            f"soft5@10 {m['soft5@10']}, reference-only R@10 {ref.get('R@10')}, nearest-pose R@10 "
            f"{m.get('nearest_pose', {}).get('R@10')} ({m['queries']} queries, gallery {m['gallery']})"
        )


if __name__ == "__main__":
    main()
