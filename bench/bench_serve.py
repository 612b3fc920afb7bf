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


BASELINE_REV = "7024e4e"  # today's configuration (before issue 14): one process, h11 + asyncio, threadpool handler
BASELINE_LAUNCH = """
import sys, uvicorn
from pathlib import Path
from autocompose.serve.app import create_app
from autocompose.serve.engine import SearchEngine
engine = SearchEngine(Path(sys.argv[1]), Path(sys.argv[2]), "flat", threads=1)
uvicorn.run(create_app(engine), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning", http="h11", loop="asyncio")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children (the uvicorn workers)."""
    total = _rss_mb(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _tree_rss_mb(int(child))
    return total


def _serve(cmd: list[str], env: dict[str, str], log: Path, port: int):
    import httpx

    server = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 300
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return server
        except httpx.TransportError:
            if server.poll() is not None or time.time() > deadline:
                server.kill()
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)


def _load(port: int, ids: list[str], clients: int, requests_per_client: int) -> tuple[float, np.ndarray]:
    """``clients`` concurrent httpx clients, each sending ``requests_per_client`` /search requests."""
    import httpx

    texts = ["raise both arms above your head", "bend your knees", "lean forward", "turn to the left", "lower the right arm"]
    latencies: list[float] = []

    async def client(c: int, http: httpx.AsyncClient) -> None:
        for r in range(requests_per_client):
            body = {"reference": {"id": ids[(c * 97 + r) % len(ids)]}, "text": texts[(c + r) % len(texts)], "k": 10}
            t0 = time.perf_counter()
            resp = await http.post(f"http://127.0.0.1:{port}/search", json=body)
            latencies.append(time.perf_counter() - t0)
            assert resp.status_code == 200, resp.text

    async def run() -> float:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
            t0 = time.perf_counter()
            await asyncio.gather(*(client(c, http) for c in range(clients)))
            return time.perf_counter() - t0

    wall = asyncio.run(run())
    return len(latencies) / wall, np.array(latencies) * 1e3


def bench_api(clients: int = 50, requests_per_client: int = 20, rounds: int = 3, workers: int = 2) -> None:
    """Today's server (git revision ``BASELINE_REV``) and the current one, alternately, ``rounds`` times,
    under the same load: the machine is shared, so the ratio is the figure to read."""
    import httpx

    from autocompose.data.build import BuildOptions
    from autocompose.data.builders import build_builtin
    from autocompose.pairs import MiningConfig
    from autocompose.retrieval.config import TrainConfig
    from autocompose.retrieval.train import train

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ds = build_builtin(None, BuildOptions(annotators=("kinematic",), k=1, mining=MiningConfig(max_per_sequence=10))).save(
            root / "ds"
        )
        train(TrainConfig(dataset=ds, out=root / "run", epochs=2), progress=False, log=lambda _: None)
        model = str(root / "run" / "best.pt")
        configs: dict[str, tuple[list[str], dict[str, str]]] = {}
        base = root / "baseline"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(repo), "archive", BASELINE_REV, "src"], capture_output=True, check=False)
        if archive.returncode == 0:
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
            env = {**os.environ, "PYTHONPATH": str(base / "src")}
            configs[f"today ({BASELINE_REV}: 1 process, h11/asyncio, handler in the thread pool)"] = (
                [sys.executable, "-c", BASELINE_LAUNCH, model, str(ds)],
                env,
            )
        else:
            print(f"no git revision {BASELINE_REV} here: today's configuration is not measured")
        env = {**os.environ, "PYTHONPATH": str(repo / "src")}
        cmd = [
            sys.executable,
            "-m",
            "autocompose.cli",
            "serve",
            "--model",
            model,
            "--gallery",
            str(ds),
            "--workers",
            str(workers),
        ]
        configs[f"now (--workers {workers}, httptools/uvloop, async handler)"] = (cmd, env)
        results: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in configs}
        for _ in range(rounds):
            for name, (cmd, env) in configs.items():
                port = _free_port()
                is_cli = "autocompose.cli" in cmd
                server = _serve([*cmd, "--port", str(port)] if is_cli else [*cmd, str(port)], env, root / "server.log", port)
                try:
                    ids = httpx.get(f"http://127.0.0.1:{port}/gallery?limit=500").json()["ids"]
                    gallery = httpx.get(f"http://127.0.0.1:{port}/version").json()["gallery"]
                    _load(port, ids, clients, 4)  # warm-up: every worker's text cache and code paths
                    rps, lat = _load(port, ids, clients, requests_per_client)
                    rss = _tree_rss_mb(server.pid)
                finally:
                    server.kill()
                    for child in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split():
                        os.kill(int(child), 9)
                    server.wait()
                results[name].append((rps, float(np.percentile(lat, 50)), float(np.percentile(lat, 99)), rss))
                print(
                    f"  {name}: {rps:.0f} req/s, p50 {np.percentile(lat, 50):.1f} ms, p99 {np.percentile(lat, 99):.1f} ms, "
                    f"RSS {rss:.0f} MB",
                    flush=True,
                )
        print(
            f"API /search, gallery {gallery} poses, {clients} concurrent clients x {requests_per_client} requests, "
            f"{rounds} rounds (median):"
        )
        medians = {name: np.median(np.array(rows), axis=0) for name, rows in results.items()}
        for name, (rps, p50, p99, rss) in medians.items():
            print(f"  {name}: {rps:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, RSS {rss:.0f} MB")
        if len(medians) == 2:
            (old, new) = medians.values()
            print(f"  throughput now / today: {new[0] / old[0]:.2f}x; p99 now / today: {new[2] / old[2]:.2f}x")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--poses", type=int, default=1_000_000, help="gallery size of the index benchmark")
    parser.add_argument("--rounds", type=int, default=3, help="API benchmark: alternating rounds of today's and the new server")
    parser.add_argument("--workers", type=int, default=2, help="API benchmark: worker processes of the new server")
    parser.add_argument("--only", choices=("index", "api"), help="run one of the two benchmarks")
    args = parser.parse_args()
    if args.only != "api":
        bench_index(args.poses)
    if args.only != "index":
        bench_api(rounds=args.rounds, workers=args.workers)


if __name__ == "__main__":
    main()
