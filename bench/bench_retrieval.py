"""Benchmark: retrieval training time and query latency. Prints what it measured, never asserts.

Targets (issue 5): training the default model on ~10k pairs × k=3 in < 10 min on the 2-core
machine (text embedding included, cold cache); query encoding + search < 5 ms per query on a
100k-pose gallery.
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
from autocompose.retrieval.train import build_model, train


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


@torch.no_grad()
def bench_queries() -> None:
    torch.set_num_threads(2)
    frames = np.concatenate([s.joints for s in builtin_library()])
    rng = np.random.default_rng(0)
    gallery = np.concatenate([frames, mirror(frames), rotate_y(frames, 0.7)])[:100_000]
    gallery = gallery + rng.normal(0, 0.01, gallery.shape).astype(np.float32)
    mask = np.ones(gallery.shape[:2], bool)
    model = build_model(TrainConfig()).eval()
    t0 = time.perf_counter()
    g = torch.cat([model.pose.encode(gallery[i : i + 8192], mask[i : i + 8192]) for i in range(0, len(gallery), 8192)])
    print(f"gallery: {len(g)} poses encoded in {time.perf_counter() - t0:.1f} s; {g.element_size() * g.shape[1]} bytes per pose")
    encoders = {
        "torch (today)": SentenceEncoder().eval(),
        "onnx fp32": OnnxSentenceEncoder("onnx"),
        "onnx int8": OnnxSentenceEncoder("onnx-int8"),
    }
    texts = [
        "raise your left arm above your head and bend the right knee",
        "lean forward and lower both arms",
        "turn to the left",
    ]
    tops: dict[str, list[set[int]]] = {}
    for name, encoder in encoders.items():
        times, search_only, tops[name] = [], [], []
        for i in range(120):
            ref = gallery[i * 997 % len(gallery)][None]
            t0 = time.perf_counter()
            text = model.encode_text(encoder([texts[i % 3]]))
            q = model.compose(model.pose.encode(ref, mask[:1]), text)
            t1 = time.perf_counter()
            top = torch.topk(q @ g.t(), 10).indices
            t2 = time.perf_counter()
            assert len(top[0]) == 10
            times.append(t2 - t0)
            search_only.append(t2 - t1)
            tops[name].append(set(top[0].tolist()))
        times, search_only = np.array(times[5:]) * 1e3, np.array(search_only[5:]) * 1e3
        agree = np.mean([len(a & b) / 10 for a, b in zip(tops[name], tops["torch (today)"], strict=True)])
        print(
            f"query on a 100k gallery, top-10, 2 threads, text {name}: median {np.median(times):.1f} ms, "
            f"p95 {np.percentile(times, 95):.1f} ms (text encoding + composition + exact search; target < 5 ms); "
            f"search alone median {np.median(search_only):.2f} ms; top-10 overlap with torch {agree:.3f}"
        )
    encoder = encoders["onnx int8"]
    batch = [texts[i % 3] for i in range(64)]
    t0 = time.perf_counter()
    q = model.compose(model.pose.encode(gallery[:64], mask[:64]), model.encode_text(encoder(batch)))
    torch.topk(q @ g.t(), 10)
    print(f"batched (64 queries, onnx int8): {(time.perf_counter() - t0) * 1e3 / 64:.2f} ms per query")


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
    bench_text_embedding()
    bench_queries()
    with tempfile.TemporaryDirectory() as tmp:
        bench_runtime_recall(Path(tmp) / "recall")
        bench_training(Path(tmp))


if __name__ == "__main__":
    main()
