"""Benchmark: the gallery index and the HTTP API. Prints what it measured, never asserts.

Targets (issue 7): 1M-pose gallery, top-10: < 10 ms per query on 2 cores with exact recall
for the flat index; API p99 latency under 50 concurrent clients on loopback; memory per pose.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from autocompose.serve.index import GalleryIndex


def _pose_embeddings(n: int) -> np.ndarray:
    """``n`` pose embeddings: library frames (and their mirrors) with per-joint jitter, through the
    default pose encoder (random weights: the index only needs realistic structure, not a trained model)."""
    import torch

    from autocompose.poses.builtin import builtin_library
    from autocompose.poses.transforms import mirror
    from autocompose.retrieval.config import TrainConfig
    from autocompose.retrieval.encoders import pose_features
    from autocompose.retrieval.train import build_model

    frames = np.concatenate([s.joints for s in builtin_library()])
    frames = np.concatenate([frames, mirror(frames)])
    rng = np.random.default_rng(0)
    model = build_model(TrainConfig()).eval()
    mask = np.ones((8192, frames.shape[1]), bool)
    out = []
    with torch.inference_mode():
        for start in range(0, n, 8192):
            m = min(8192, n - start)
            poses = frames[rng.integers(len(frames), size=m)] + rng.normal(0, 0.02, (m, *frames.shape[1:])).astype(np.float32)
            out.append(model.pose(torch.from_numpy(pose_features(poses, mask[:m]))).numpy())
    return np.concatenate(out)


def bench_index(n: int = 1_000_000) -> None:
    import faiss

    faiss.omp_set_num_threads(2)
    t0 = time.perf_counter()
    x = _pose_embeddings(n + 200)
    x, queries = x[:n], x[n:]
    print(f"encoded {n:,} jittered library poses in {time.perf_counter() - t0:.0f} s")
    ids = [f"p{i}" for i in range(n)]
    dim = x.shape[1]
    exact_top = None
    for kind in ("flat", "ivf", "hnsw"):
        size = n if kind != "hnsw" else n // 5  # an HNSW build of 1M x 256 takes too long on 2 cores: 200k
        rss0 = _rss_mb(os.getpid())
        index = GalleryIndex(dim, kind, nlist=4096)
        t0 = time.perf_counter()
        index.add(ids[:size], x[:size])
        build = time.perf_counter() - t0
        per_pose = (_rss_mb(os.getpid()) - rss0) * 2**20 / size
        index.search(queries[:5], 10)
        t0 = time.perf_counter()
        got = [index.search(q[None], 10)[0] for q in queries]
        per_query = (time.perf_counter() - t0) / len(queries) * 1e3
        top = [{i for i, _ in row} for row in got]
        if kind == "flat":
            exact_top = top
        if size == n:
            truth = exact_top
        else:  # exact answers within the smaller gallery
            truth = [{f"p{j}" for j in np.argsort(-(x[:size] @ q))[:10]} for q in queries]
        recall = np.mean([len(a & b) / 10 for a, b in zip(top, truth, strict=True)])  # type: ignore[arg-type]
        print(
            f"{kind:5s} {size:,} x {dim}: build {build:.1f} s, {per_query:.2f} ms per single query (top-10, 2 threads), "
            f"recall@10 vs exact {recall:.3f}, memory {per_pose:.0f} B/pose (vectors, index and the kept copy for rebuilds)"
        )
        del index


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_api(clients: int = 50, requests_per_client: int = 20) -> None:
    import httpx

    from autocompose.data.build import BuildOptions
    from autocompose.data.builders import build_builtin
    from autocompose.pairs import MiningConfig
    from autocompose.retrieval.config import TrainConfig
    from autocompose.retrieval.train import train

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ds = build_builtin(None, BuildOptions(annotators=("kinematic",), k=1, mining=MiningConfig(max_per_sequence=10))).save(
            root / "ds"
        )
        train(TrainConfig(dataset=ds, out=root / "run", epochs=2), progress=False, log=lambda _: None)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # the server in its own process, as deployed: the load generator must not share its GIL
        cmd = [sys.executable, "-m", "autocompose.cli", "serve", "--model", str(root / "run" / "best.pt"), "--gallery", str(ds)]
        log = (root / "server.log").open("w")
        server = subprocess.Popen([*cmd, "--port", str(port)], stdout=log, stderr=log)
        deadline = time.time() + 300
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                if server.poll() is not None or time.time() > deadline:
                    server.kill()
                    raise RuntimeError(f"the server did not start: {(root / 'server.log').read_text()[-2000:]}") from None
                time.sleep(0.2)
        ids = httpx.get(f"http://127.0.0.1:{port}/gallery?limit=500").json()["ids"]
        gallery = httpx.get(f"http://127.0.0.1:{port}/version").json()["gallery"]
        texts = ["raise both arms above your head", "bend your knees", "lean forward", "turn to the left", "lower the right arm"]
        latencies: list[float] = []

        async def client(c: int, http: httpx.AsyncClient) -> None:
            for r in range(requests_per_client):
                body = {"reference": {"id": ids[(c * 97 + r) % len(ids)]}, "text": texts[(c + r) % len(texts)], "k": 10}
                t0 = time.perf_counter()
                resp = await http.post(f"http://127.0.0.1:{port}/search", json=body)
                latencies.append(time.perf_counter() - t0)
                assert resp.status_code == 200

        async def run() -> float:
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
                t0 = time.perf_counter()
                await asyncio.gather(*(client(c, http) for c in range(clients)))
                return time.perf_counter() - t0

        try:
            wall = asyncio.run(run())
            rss = _rss_mb(server.pid)
        finally:
            server.kill()
        lat = np.array(latencies) * 1e3
        print(
            f"API /search, {clients} concurrent clients, {len(lat)} requests, gallery {gallery} poses (flat): "
            f"{len(lat) / wall:.0f} requests/s, p50 {np.percentile(lat, 50):.1f} ms, p99 {np.percentile(lat, 99):.1f} ms; "
            f"server RSS {rss:.0f} MB (model, MiniLM, dataset, index)"
        )


def main() -> None:
    bench_index()
    bench_api()


if __name__ == "__main__":
    main()
