"""Benchmark: retrieval training time and query latency. Prints what it measured, never asserts.

Targets (issue 5): training the default model on ~10k pairs × k=3 in < 10 min on the 2-core
machine (text embedding included, cold cache); query encoding + search < 5 ms per query on a
100k-pose gallery (issue 14: end to end through ``SearchEngine.search``, text encoder included,
every text different so the text cache never answers).

    python bench/bench_retrieval.py                  # everything (about 10 min on 2 cores)
    python bench/bench_retrieval.py --only queries   # single-query latency on a 100k gallery
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from autocompose.data.build import BuildOptions
from autocompose.data.builders import build_builtin
from autocompose.describe import KinematicDescriber, describe_variants
from autocompose.pairs import MiningConfig, mine_pairs
from autocompose.poses.builtin import builtin_library
from autocompose.poses.transforms import mirror, rotate_y
from autocompose.retrieval.config import TrainConfig
from autocompose.retrieval.encoders import SentenceEncoder
from autocompose.retrieval.text_onnx import OnnxSentenceEncoder
from autocompose.retrieval.train import train


def _encoders() -> dict:
    return {
        "torch (today)": SentenceEncoder().eval(),
        "onnx fp32": OnnxSentenceEncoder("onnx"),
        "onnx int8": OnnxSentenceEncoder("onnx-int8"),
    }


def _cos_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1 - (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def _top10_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean overlap of each text's 10 nearest texts (cosine) under embeddings a and b."""

    def top(e: np.ndarray) -> np.ndarray:
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        s = e @ e.T
        np.fill_diagonal(s, -2)
        return np.argsort(-s, axis=1)[:, :10]

    ta, tb = top(a), top(b)
    return float(np.mean([len(set(x) & set(y)) / 10 for x, y in zip(ta, tb, strict=True)]))


@torch.no_grad()
def bench_text_embedding(n: int = 1500, repeats: int = 2) -> None:
    """Training-time text embedding: today's torch path vs ONNX fp32 / int8, same texts, same run."""
    torch.set_num_threads(2)
    kin = KinematicDescriber()
    texts: list[str] = []
    for i, (_, a, b, m) in enumerate(mine_pairs(builtin_library(), MiningConfig(seed=0))):
        for descs in describe_variants(kin, a, b, 3, m, seed=i).values():
            texts += [d.text for d in descs]
    texts = sorted(set(texts), key=lambda t: hashlib.sha1(t.encode()).hexdigest())[:n]  # cache order: not by length
    words = np.mean([len(t.split()) for t in texts])
    encoders = {
        "torch (today)": SentenceEncoder().eval(),
        "onnx fp32": OnnxSentenceEncoder("onnx"),
        "onnx int8": OnnxSentenceEncoder("onnx-int8"),
    }
    rates: dict[str, list[float]] = {k: [] for k in encoders}
    embs: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for name, enc in encoders.items():
            t0 = time.perf_counter()
            embs[name] = enc.embed(texts)
            rates[name].append(len(texts) / (time.perf_counter() - t0))
    ref = embs["torch (today)"]
    print(f"text embedding, {len(texts)} kinematic texts ({words:.1f} words), 2 threads, best of {repeats}:")
    for name in encoders:
        d = _cos_dist(embs[name], ref)
        print(
            f"  {name}: {max(rates[name]):.0f} texts/s ({max(rates[name]) / max(rates['torch (today)']):.2f}x today); "
            f"cosine distance to torch max {d.max():.2e} mean {d.mean():.2e}; "
            f"top-10 neighbour agreement {_top10_agreement(embs[name], ref):.3f}"
        )


def bench_training(work: Path) -> None:
    os.environ["AUTOCOMPOSE_CACHE"] = str(work / "cache")  # cold text-embedding cache
    t0 = time.perf_counter()
    mining = MiningConfig(max_per_sequence=90, stride_s=0.25, cross_fraction=0.3)
    ds = build_builtin(None, BuildOptions(annotators=("kinematic",), k=3, mining=mining))
    folder = ds.save(work / "big-cpr")
    n_train = len(ds.split("train"))
    print(f"dataset: {len(ds.pairs)} pairs ({n_train} train), {len(ds.poses)} poses, built in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    metrics = train(TrainConfig(dataset=folder, out=work / "run", k=3), progress=False, log=lambda s: None)
    secs = time.perf_counter() - t0
    print(
        f"training: {n_train} train pairs x k=3 x 4 variants, {metrics['epochs_run']} epochs, {secs:.0f} s with text embedding "
        f"(target < 600 s); test R@1/5/10/50 = {metrics['R@1']}/{metrics['R@5']}/{metrics['R@10']}/{metrics['R@50']}"
    )


def _distinct_texts(n: int) -> list[str]:
    """``n`` different transition texts (so no query is answered from the engine's text cache)."""
    verbs = ["raise", "lower", "bend", "straighten", "swing", "lift", "stretch", "drop"]
    parts = ["left arm", "right arm", "left knee", "right knee", "both arms", "head", "torso", "left leg", "right leg"]
    extras = ["", " slightly", " above your head", " to the side", " forward", " and lean back", " and turn to the left"]
    texts = [f"{v} your {p}{e}" for e in extras for p in parts for v in verbs]
    return texts[:n]


def bench_queries(work: Path, n_gallery: int = 100_000, n_queries: int = 200) -> None:
    """Single queries end to end through ``SearchEngine.search`` (the path ``/search`` takes): text
    encoding (every text different: no cache hits), pose encoding, composition and the gallery index,
    on a ``n_gallery``-pose gallery: the default ``auto`` index against an exact flat one, per text
    runtime and thread count."""
    import faiss

    from autocompose.data.format import PoseTable
    from autocompose.retrieval.text_onnx import text_encoder
    from autocompose.serve.engine import SearchEngine

    os.environ["AUTOCOMPOSE_CACHE"] = str(work / "cache")
    ds = build_builtin(None, BuildOptions(annotators=("kinematic",), k=1, mining=MiningConfig(max_per_sequence=10)))
    small = ds.save(work / "small")
    train(TrainConfig(dataset=small, out=work / "run", epochs=1), progress=False, log=lambda _: None)
    frames = np.concatenate([s.joints for s in builtin_library()])
    rng = np.random.default_rng(0)
    extra = n_gallery - len(ds.poses.ids)
    pool = np.concatenate([frames, mirror(frames), rotate_y(frames, 0.7)])
    joints = pool[rng.integers(len(pool), size=extra)] + rng.normal(0, 0.01, (extra, *frames.shape[1:])).astype(np.float32)
    t = ds.poses
    ds.poses = PoseTable(
        ids=[*t.ids, *(f"bench-{i:06d}" for i in range(extra))],
        sequence=[*t.sequence, *(["bench"] * extra)],
        frame=[*t.frame, *range(extra)],
        subject=[*t.subject, *(["bench"] * extra)],
        joints=np.concatenate([t.joints, joints]),
        mask=np.concatenate([t.mask, np.ones(joints.shape[:2], bool)]),
    )
    folder = ds.save(work / "gallery")
    texts = _distinct_texts(n_queries)
    refs = [pool[(i * 997) % len(pool)] for i in range(n_queries)]
    tops: dict[str, list[set[str]]] = {}
    for kind in ("flat", "auto"):
        t0 = time.perf_counter()
        engine = SearchEngine(work / "run" / "best.pt", folder, kind)
        print(f"{kind} index over {len(engine.index):,} poses ({engine.index.kind}) built in {time.perf_counter() - t0:.0f} s")
        for runtime in ("torch", "onnx", "onnx-int8"):
            for threads, text_threads in ((1, 1), (1, 2), (2, 2)):
                torch.set_num_threads(threads)
                faiss.omp_set_num_threads(threads)
                engine.text_encoder = text_encoder(True, runtime, text_threads)
                engine._text_cache.clear()
                engine.search(refs[0], "warm up the encoders", 10)
                times, text_ms, found = [], [], []
                for ref, text in zip(refs, texts, strict=True):
                    t0 = time.perf_counter()
                    hits = engine.search(ref, text, 10)
                    times.append(time.perf_counter() - t0)
                    found.append({i for i, _ in hits})
                for text in texts[:50]:
                    t0 = time.perf_counter()
                    engine.text_encoder([text + " again"])
                    text_ms.append(time.perf_counter() - t0)
                config = f"{runtime} {threads}/{text_threads}"
                tops[f"{kind} {config}"] = found
                ms = np.array(times) * 1e3
                exact = tops.get(f"flat {config}", found)
                overlap = np.mean([len(a & b) / 10 for a, b in zip(found, exact, strict=True)])
                vs_torch = np.mean(
                    [len(a & b) / 10 for a, b in zip(found, tops[f"{kind} torch {threads}/{text_threads}"], strict=True)]
                )
                print(
                    f"  {kind:4s} text {runtime:9s} threads torch+faiss {threads} / text {text_threads}: single query "
                    f"p50 {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms (target p50 < 5 ms); text encoding "
                    f"alone p50 {np.median(text_ms) * 1e3:.2f} ms; top-10 overlap with exact {overlap:.3f}, with torch text "
                    f"{vs_torch:.3f}",
                    flush=True,
                )


def bench_runtime_recall(work: Path) -> None:
    """Same data, same seed: a model trained and queried with each text runtime; test Recall@K side by side."""
    from autocompose.retrieval.config import ModelConfig

    os.environ["AUTOCOMPOSE_CACHE"] = str(work / "cache")
    mining = MiningConfig(max_per_sequence=12, stride_s=0.5)
    ds = build_builtin(None, BuildOptions(annotators=("kinematic",), k=1, mining=mining))
    folder = ds.save(work / "small-cpr")
    for runtime in ("onnx", "onnx-int8"):
        t0 = time.perf_counter()
        cfg = TrainConfig(dataset=folder, out=work / f"run-{runtime}", k=1, epochs=20, model=ModelConfig(text_runtime=runtime))
        m = train(cfg, progress=False, log=lambda s: None)
        print(
            f"text runtime {runtime} (onnx = the torch embedding): {len(ds.split('train'))} train pairs, "
            f"{time.perf_counter() - t0:.0f} s incl. embedding; test R@1/5/10/50 = {m['R@1']}/{m['R@5']}/{m['R@10']}/{m['R@50']}"
        )


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("text", "queries", "recall", "training"), help="run one part")
    parser.add_argument("--gallery", type=int, default=100_000, help="gallery size of the single-query benchmark")
    only = (args := parser.parse_args()).only
    if only in (None, "text"):
        bench_text_embedding()
    with tempfile.TemporaryDirectory() as tmp:
        if only in (None, "queries"):
            bench_queries(Path(tmp) / "queries", args.gallery)
        if only in (None, "recall"):
            bench_runtime_recall(Path(tmp) / "recall")
        if only in (None, "training"):
            bench_training(Path(tmp))


if __name__ == "__main__":
    main()
