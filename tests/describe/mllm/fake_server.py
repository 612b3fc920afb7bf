"""A local OpenAI-compatible chat-completions server for tests and benchmarks (127.0.0.1 only).

It answers from the kinematic describer's description of the pair it is sent: the test
registers the request images it will send (PNG bytes → poses), the server decodes the image
from the request, looks the pair up and describes it. Faults can be switched on: 429s, 500s,
timeouts, truncated JSON, swapped sides, a fixed latency.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from autocompose.describe import KinematicDescriber
from autocompose.describe.mllm.prompt import request_image
from autocompose.describe.variants import selected_variants, variant_poses
from autocompose.poses.skeleton import swap_side_words


class FakeMLLM:
    def __init__(self, latency_s: float = 0.0, canned: str | None = None) -> None:
        self.registry: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}
        self.latency_s = latency_s
        self.canned = canned  # fixed answer (benchmarks)
        self.faults: list[str] = []  # consumed one per request: "429", "500", "timeout", "truncated", "wrong_sides", "prose"
        self.poisoned: dict[str, list[str]] = {}  # image hash -> faults for that image, consumed in order
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.answered = Counter()  # image hash -> answers sent
        self.in_flight = 0
        self.peak = 0
        self.busy_time = 0.0  # integral of in-flight over time (for utilisation)
        self._last = time.perf_counter()
        self.lock = threading.Lock()
        self.describer = KinematicDescriber()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeMLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def register(self, a, b, mask=None, variants=("mirror", "reverse"), views=("front",), size=336) -> None:
        for v in selected_variants(variants):
            png = request_image(a, b, v, views, size, mask)
            self.registry[hashlib.sha256(png).hexdigest()] = variant_poses(a, b, mask, v)

    def poison(self, a, b, mask, variant, faults: list[str], views=("front",), size=336) -> None:
        """Answer the requests for this pair variant with ``faults`` first (e.g. ["truncated"] * 2)."""
        self.poisoned[hashlib.sha256(request_image(a, b, variant, views, size, mask)).hexdigest()] = list(faults)

    def _tick(self, delta: int) -> None:
        with self.lock:
            now = time.perf_counter()
            self.busy_time += self.in_flight * (now - self._last)
            self._last = now
            self.in_flight += delta
            self.peak = max(self.peak, self.in_flight)

    def answer(self, body: dict) -> tuple[int, dict, dict]:
        """(status, json body, extra headers) for one request."""
        with self.lock:
            self.requests.append(body)
            fault = self.faults.pop(0) if self.faults else None
        if fault == "429":
            return 429, {"error": {"message": "rate limited", "type": "rate_limit"}}, {"retry-after": "0.01"}
        if fault == "500":
            return 500, {"error": {"message": "boom", "type": "server_error"}}, {}
        if fault == "timeout":
            time.sleep(1.5)
        if self.canned is not None:
            content = self.canned
        else:
            url = body["messages"][1]["content"][1]["image_url"]["url"]
            png = base64.b64decode(url.split(",", 1)[1])
            key = hashlib.sha256(png).hexdigest()
            if key not in self.registry:
                return 400, {"error": {"message": "unknown image", "type": "invalid_request"}}, {}
            a, b, mask = self.registry[key]
            with self.lock:
                if self.poisoned.get(key):
                    fault = self.poisoned[key].pop(0)
            k = (
                body["response_format"]["json_schema"]["schema"]["properties"]["instructions"]["minItems"]
                if "response_format" in body
                else 3
            )
            ds = self.describer.describe(a, b, k, mask)
            answer = {"parts": ds[0].parts, "instructions": [d.text for d in ds]}
            if fault == "wrong_sides":
                answer = json.loads(swap_side_words(json.dumps(answer)))
                answer["parts"] = {
                    p.replace("left", "@").replace("right", "left").replace("@", "right"): s for p, s in answer["parts"].items()
                }
            content = json.dumps(answer)
            if fault == "truncated":
                content = content[: len(content) // 2]
            if fault == "prose":
                content = "Sure! Here is the description:\n```json\n" + content + "\n```"
            with self.lock:
                self.answered[key] += 1
        usage = {"prompt_tokens": 1000, "completion_tokens": 150, "total_tokens": 1150}
        resp = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": usage,
        }
        return 200, resp, {}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle + delayed ACK would add ~40 ms

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with fake.lock:
                    data = json.dumps({"peak": fake.peak, "busy_time": fake.busy_time, "requests": len(fake.requests)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                fake._tick(+1)
                try:
                    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    with fake.lock:
                        fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                    if fake.latency_s:
                        time.sleep(fake.latency_s)
                    status, payload, extra = fake.answer(body)
                finally:
                    fake._tick(-1)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


if __name__ == "__main__":  # a standalone server for the benchmark: prints its URL, serves until killed
    import sys

    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
    canned = json.dumps({"parts": {}, "instructions": ["Stay as you are."]})
    with FakeMLLM(latency_s=latency, canned=canned) as fake:
        print(fake.base_url, flush=True)
        threading.Event().wait()
