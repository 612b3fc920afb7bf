"""`autocompose serve` starts the app over a trained checkpoint and a dataset."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _state(pid: int) -> str:
    try:
        return next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
    except (OSError, StopIteration):
        return "zombie (gone)"


def test_serve_command_starts_and_answers(trained):
    checkpoint, dataset = trained
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "autocompose.cli",
        "serve",
        "--model",
        str(checkpoint),
        "--gallery",
        str(dataset),
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read()  # type: ignore[union-attr]
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.TransportError:
                assert time.time() < deadline, "server did not start in 120 s"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        pid = httpx.get(f"http://127.0.0.1:{port}/random?seed=1").json()["id"]
        hits = httpx.post(f"http://127.0.0.1:{port}/search", json={"reference": {"id": pid}, "text": "lift the left leg", "k": 3})
        assert hits.status_code == 200 and len(hits.json()["results"]) == 3
        workers = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(workers) >= 2  # --workers defaults to 2 (plus multiprocessing's resource tracker)
    finally:
        proc.kill()  # even a SIGKILLed parent takes its workers with it (PR_SET_PDEATHSIG)
        proc.wait()
    deadline = time.time() + 20
    while any(Path(f"/proc/{w}").exists() and "zombie" not in _state(w) for w in workers) and time.time() < deadline:
        time.sleep(0.2)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and "zombie" not in _state(w)], "workers left running"
    bad = subprocess.run(
        [sys.executable, "-m", "autocompose.cli", "serve", "--model", "nope.pt", "--gallery", str(dataset)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "nope.pt" in bad.stderr + bad.stdout
