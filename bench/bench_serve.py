"""Benchmark: the gallery index and the HTTP API. Prints what it measured, never asserts.

Targets (issue 14): on a 1M-pose gallery a single top-10 query p50 < 5 ms on 2 cores with
recall@10 >= 0.99 against exact, <= 1.2 KB per pose at 256-d, the build measured; the API under
50 concurrent clients on loopback: p99 < 150 ms and >= 2x today's throughput. Each figure is
printed beside today's configuration, measured in the same run (the machine is shared).

    python bench/bench_serve.py                 # both (about 10 min on 2 cores)
    python bench/bench_serve.py --only index --poses 1000000 [--hnsw 200000]
    python bench/bench_serve.py --only api --rounds 3 --workers 2
"""

from __future__ import annotations

import asyncio
import gc
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
            out.append(model.pose.encode(poses, mask[:m]).numpy())
    return np.concatenate(out)


def _query_times(index: GalleryIndex, queries: np.ndarray) -> tuple[np.ndarray, list[set[str]]]:
    """Per-query latency (ms) of single top-10 queries, and the ids each returned."""
    index.search(queries[:5], 10)
    times, tops = [], []
    for q in queries:
        t0 = time.perf_counter()
        row = index.search(q[None], 10)[0]
        times.append((time.perf_counter() - t0) * 1e3)
        tops.append({i for i, _ in row})
    return np.array(times), tops


def _recall(got: list[set[str]], truth: list[set[str]]) -> float:
    return float(np.mean([len(a & b) / 10 for a, b in zip(got, truth, strict=True)]))


def bench_index(n: int = 1_000_000, hnsw: int = 0) -> None:
    """Today's exact flat index against ``auto`` (IVF above ``EXACT_MAX``) on one ``n``-pose gallery:
    build time, memory per pose (RSS growth: faiss plus the id tables), single-query latency, recall@10."""
    import faiss

    from autocompose.serve.index import EXACT_MAX, ivf_params

    faiss.omp_set_num_threads(2)
    t0 = time.perf_counter()
    x = _pose_embeddings(n + 200)
    x, queries = x[:n], x[n:]
    queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    print(
        f"encoded {n:,} jittered library poses in {time.perf_counter() - t0:.0f} s; "
        f"{len(queries)} single top-10 queries, 2 threads"
    )
    ids = [f"p{i}" for i in range(n)]
    dim = x.shape[1]

    def build(kind: str, size: int) -> tuple[GalleryIndex, float, float]:
        gc.collect()
        rss0 = _rss_mb(os.getpid())
        index = GalleryIndex(dim, kind)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        index.add(ids[:size], x[:size])
        seconds = time.perf_counter() - t0
        gc.collect()
        return index, seconds, (_rss_mb(os.getpid()) - rss0) * 2**20 / size

    flat, seconds, per_pose = build("flat", n)
    times, exact = _query_times(flat, queries)
    print(
        f"today  flat {n:,} x {dim}: build {seconds:.1f} s, "
        f"p50 {np.median(times):.2f} ms, p99 {np.percentile(times, 99):.2f} ms, "
        f"recall@10 1 (exact); memory {per_pose:.0f} B/pose + {4 * dim} B/pose for the copy it kept for rebuilds"
    )
    del flat
    index, seconds, per_pose = build("auto", n)
    times, got = _query_times(index, queries)
    print(
        f"now    auto {n:,} x {dim} -> {index.kind} (exact below {EXACT_MAX:,}; nlist {index.nlist}, nprobe {index.nprobe}): "
        f"build {seconds:.1f} s, p50 {np.median(times):.2f} ms, p99 {np.percentile(times, 99):.2f} ms, "
        f"recall@10 {_recall(got, exact):.3f}; memory {per_pose:.0f} B/pose (no kept copy)"
    )
    if index.kind == "ivf":
        for nprobe in (8, 16, 32, 64):
            index.index.nprobe = nprobe
            times, got = _query_times(index, queries)
            print(f"       nprobe {nprobe:3d}: p50 {np.median(times):.2f} ms, recall@10 {_recall(got, exact):.3f}")
        index.index.nprobe = ivf_params(n)[1]
        faiss.omp_set_num_threads(1)
        times, _ = _query_times(index, queries)
        print(f"       1 thread (as each server worker runs): p50 {np.median(times):.2f} ms")
        faiss.omp_set_num_threads(2)
    del index
    if hnsw:
        index, seconds, per_pose = build("hnsw", hnsw)
        times, got = _query_times(index, queries)
        truth = [{f"p{j}" for j in np.argsort(-(x[:hnsw] @ q))[:10]} for q in queries]
        print(
            f"       hnsw {hnsw:,} (M {index.hnsw_m}, efSearch 64): build {seconds:.1f} s, p50 {np.median(times):.2f} ms, "
            f"recall@10 {_recall(got, truth):.3f}; memory {per_pose:.0f} B/pose"
        )


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


def _tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the uvicorn workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _tree_cpu_s(int(child))
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


def _stop(server: subprocess.Popen) -> None:
    """Stop a server and its worker processes (children looked up before the parent goes)."""
    children = [int(c) for task in Path(f"/proc/{server.pid}/task").iterdir() for c in (task / "children").read_text().split()]
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    for child in children:
        try:
            os.kill(child, 9)
        except ProcessLookupError:
            pass


def _bodies(ids: list[str], clients: int, requests_per_client: int) -> list[list[bytes]]:
    """Each client's /search request bodies: gallery references by id and five transition texts."""
    import json

    texts = ["raise both arms above your head", "bend your knees", "lean forward", "turn to the left", "lower the right arm"]
    return [
        [
            json.dumps({"reference": {"id": ids[(c * 97 + r) % len(ids)]}, "text": texts[(c + r) % len(texts)], "k": 10}).encode()
            for r in range(requests_per_client)
        ]
        for c in range(clients)
    ]


async def _raw_client(port: int, bodies: list[bytes], latencies: list[float]) -> None:
    """One keep-alive HTTP/1.1 connection sending ``bodies`` one after another: pre-encoded requests and
    a minimal response parser (status line, Content-Length, body), so that the load generator costs a
    few tens of microseconds per request and the server, not the client, is what gets measured."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for body in bodies:
            request = (
                b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                None,
            )
            if length is None:
                raise RuntimeError(f"the server answered without a Content-Length: {head[:300]!r}")
            payload = await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"/search answered {status}: {payload[:300]!r}")
    finally:
        writer.close()


async def _httpx_client(port: int, bodies: list[bytes], latencies: list[float], http) -> None:
    """The same requests through httpx (the load generator of the first measurements; it costs a few
    milliseconds of CPU per request, so on 2 cores it, not the server, sets the throughput)."""
    import httpx

    for body in bodies:
        t0 = time.perf_counter()
        try:
            resp = await http.post(f"http://127.0.0.1:{port}/search", content=body, headers={"Content-Type": "application/json"})
        except (httpx.ReadError, httpx.RemoteProtocolError):  # a keep-alive connection the server just closed
            resp = await http.post(f"http://127.0.0.1:{port}/search", content=body, headers={"Content-Type": "application/json"})
        latencies.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            raise RuntimeError(f"/search answered {resp.status_code}: {resp.text[:300]}")


def _load(
    port: int, ids: list[str], clients: int, requests_per_client: int, generator: str = "raw"
) -> tuple[float, np.ndarray, float]:
    """``clients`` concurrent clients, each sending ``requests_per_client`` /search requests on its own
    connection. Returns requests/s, latencies (ms) and the load generator's CPU ms per request."""
    import httpx

    bodies = _bodies(ids, clients, requests_per_client)
    latencies: list[float] = []

    async def run() -> float:
        t0 = time.perf_counter()
        if generator == "raw":
            await asyncio.gather(*(_raw_client(port, b, latencies) for b in bodies))
        else:
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
                await asyncio.gather(*(_httpx_client(port, b, latencies, http) for b in bodies))
        return time.perf_counter() - t0

    cpu0 = time.process_time()
    wall = _run_loop(run)
    cpu_ms = (time.process_time() - cpu0) / len(latencies) * 1e3
    return len(latencies) / wall, np.array(latencies) * 1e3, cpu_ms


def _run_loop(coro_fn) -> float:
    """Run the load on uvloop when it is installed (it is a dependency of the server), else asyncio."""
    try:
        import uvloop

        return uvloop.run(coro_fn())
    except ImportError:
        return asyncio.run(coro_fn())


def bench_api(
    clients: int = 50, requests_per_client: int = 20, rounds: int = 3, workers: int = 2, generator: str = "raw"
) -> None:
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
        results: dict[str, list[tuple[float, float, float, float, float]]] = {name: [] for name in configs}
        for _ in range(rounds):
            for name, (cmd, env) in configs.items():
                port = _free_port()
                is_cli = "autocompose.cli" in cmd
                server = _serve([*cmd, "--port", str(port)] if is_cli else [*cmd, str(port)], env, root / "server.log", port)
                try:
                    ids = httpx.get(f"http://127.0.0.1:{port}/gallery?limit=500").json()["ids"]
                    gallery = httpx.get(f"http://127.0.0.1:{port}/version").json()["gallery"]
                    _load(port, ids, clients, 4, generator)  # warm-up: every worker's text cache and code paths
                    cpu0 = _tree_cpu_s(server.pid)
                    rps, lat, client_ms = _load(port, ids, clients, requests_per_client, generator)
                    cpu_ms = (_tree_cpu_s(server.pid) - cpu0) / len(lat) * 1e3
                    rss = _tree_rss_mb(server.pid)
                except Exception:
                    print((root / "server.log").read_text()[-3000:])
                    raise
                finally:
                    _stop(server)
                results[name].append((rps, float(np.percentile(lat, 50)), float(np.percentile(lat, 99)), rss, cpu_ms))
                print(
                    f"  {name}: {rps:.0f} req/s, p50 {np.percentile(lat, 50):.1f} ms, p99 {np.percentile(lat, 99):.1f} ms, "
                    f"RSS {rss:.0f} MB, server CPU {cpu_ms:.2f} ms/request (load generator {client_ms:.2f})",
                    flush=True,
                )
        print(
            f"API /search, gallery {gallery} poses, {clients} concurrent clients ({generator} HTTP/1.1 keep-alive) x "
            f"{requests_per_client} requests, "
            f"{rounds} rounds (median):"
        )
        medians = {name: np.median(np.array(rows), axis=0) for name, rows in results.items()}
        for name, (rps, p50, p99, rss, cpu_ms) in medians.items():
            print(f"  {name}: {rps:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, RSS {rss:.0f} MB, CPU {cpu_ms:.2f} ms/request")
        if len(medians) == 2:
            (old, new) = medians.values()
            print(
                f"  now / today: throughput {new[0] / old[0]:.2f}x, p99 {new[2] / old[2]:.2f}x, "
                f"server CPU per request {new[4] / old[4]:.2f}x"
            )


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--poses", type=int, default=1_000_000, help="gallery size of the index benchmark")
    parser.add_argument("--hnsw", type=int, default=0, help="also build an HNSW index of this many poses")
    parser.add_argument("--rounds", type=int, default=3, help="API benchmark: alternating rounds of today's and the new server")
    parser.add_argument("--workers", type=int, default=2, help="API benchmark: worker processes of the new server")
    parser.add_argument("--only", choices=("index", "api"), help="run one of the two benchmarks")
    parser.add_argument("--requests", type=int, default=20, help="API benchmark: requests per client")
    parser.add_argument(
        "--generator",
        choices=("raw", "httpx"),
        default="raw",
        help="API benchmark load generator: raw (pre-encoded HTTP/1.1, ~0.1 ms CPU per request) or httpx (several ms: "
        "on 2 cores it saturates before the server does)",
    )
    args = parser.parse_args()
    if args.only != "api":
        bench_index(args.poses, args.hnsw)
    if args.only != "index":
        bench_api(requests_per_client=args.requests, rounds=args.rounds, workers=args.workers, generator=args.generator)


if __name__ == "__main__":
    main()
