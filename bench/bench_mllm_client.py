"""Benchmark: the MLLM client against a local OpenAI-compatible server with a fixed 50 ms latency.

Targets (issue 4): with 32 in-flight slots the client keeps >= 95% of them busy (>= 30
concurrent on average) and its own overhead is < 2 ms per request. The server runs in its own
process, so the client's CPU time per request is its overhead. Two runs: (A) the client alone
(SDK, HTTP, JSON, answer parsing and validation, cache key) with the pair image rendered once,
(B) the full path, rendering and PNG-encoding a new image per request, in a thread (before) or
in render-worker processes (``MLLMConfig.render_workers``). Prints, never asserts.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import autocompose.describe.mllm.run as mllm_run
from autocompose.describe.mllm import MLLMConfig, MLLMDescriber
from autocompose.describe.mllm.prompt import request_image
from autocompose.poses.builtin import builtin_library

ROOT = Path(__file__).resolve().parents[1]


async def _run(cfg: MLLMConfig, pose, n: int) -> None:
    describer = MLLMDescriber(cfg)
    try:
        await asyncio.gather(*(describer.describe_async(pose, pose, 1, None, "original") for _ in range(n)))
    finally:
        await describer.backend.aclose()


def _stats(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url.replace("/v1", "/stats")).read())


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label: str, url: str, cfg: MLLMConfig, pose, n: int, server_pid: int) -> None:
    asyncio.run(_run(cfg, pose, 64))  # warm up
    before = _stats(url)
    server_cpu0 = _cpu_of(server_pid)
    cpu0, t0 = time.process_time(), time.perf_counter()
    asyncio.run(_run(cfg, pose, n))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    busy = (_stats(url)["busy_time"] - before["busy_time"]) / wall
    server_cpu = _cpu_of(server_pid) - server_cpu0
    server_cpu = _cpu_of(server_pid) - server_cpu0
    slots = cfg.max_in_flight
    print(
        f"{label}: {n} requests in {wall:.2f} s ({n / wall:.0f}/s); mean concurrency at the server {busy:.1f} of {slots} "
        f"({busy / slots:.0%}, target >= 95%); client CPU {cpu / n * 1e3:.2f} ms per request (target < 2 ms); "
        f"the Python test server used {server_cpu / wall:.0%} of a core"
    )


def main(n: int = 3000, slots: int = 32) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.describe.mllm.fake_server", "0.05"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        pose = builtin_library(subjects=("s01",))[0].joints[0]
        cfg = MLLMConfig(model="bench", base_url=url, api_key_env="UNSET_KEY_FOR_BENCH", max_in_flight=slots, structured="none")
        png = request_image(pose, pose, "original")
        real_render = mllm_run.request_image
        mllm_run.request_image = lambda *a, **k: png
        measure("(A) client alone", url, cfg.model_copy(update={"render_workers": 0}), pose, n, server.pid)
        mllm_run.request_image = real_render
        measure(
            "(B) full path, rendering in a thread (before)",
            url,
            cfg.model_copy(update={"render_workers": 0}),
            pose,
            n,
            server.pid,
        )
        for workers in (1, 2):
            label = f"(B) full path, rendering in {workers} worker process{'es' if workers > 1 else ''}"
            measure(label, url, cfg.model_copy(update={"render_workers": workers}), pose, n, server.pid)
        t1 = time.perf_counter()
        for _ in range(200):
            request_image(pose, pose, "original")
        print(f"rendering + PNG-encoding one 672x336 request image: {(time.perf_counter() - t1) / 200 * 1e3:.2f} ms")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
