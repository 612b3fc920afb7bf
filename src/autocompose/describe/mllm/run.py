"""Annotating a PairSet with an MLLM: async, bounded, cached, cost-accounted and resumable.

Per pair, every variant (original, mirrored, reversed, mirrored+reversed) is one request: the
rendered pair image plus the versioned prompt. Answers are parsed and validated; answers whose
sides contradict the measured movement (left and right mixed up) count as malformed. Malformed
answers and transient errors are retried; what still fails goes to ``failures.jsonl`` with the
reason, and the pair is retried on the next run. A pair is written to ``annotations.jsonl``
(the describe stage's record format, with the cycle-consistency check) only when all its
variants succeeded. Every accepted answer is cached in SQLite the moment it arrives, so a
re-run after ``kill -9`` pays for nothing it already received.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autocompose.describe.base import TransitionDescription, Variant
from autocompose.describe.mllm.cache import ResponseCache, cache_key
from autocompose.describe.mllm.client import ChatBackend, Limiter, MLLMConfig, RetryableError, backoff, make_backend
from autocompose.describe.mllm.parse import AnswerError, parse_answer, sides_swapped
from autocompose.describe.mllm.prompt import answer_schema, load_prompt, messages_for, request_image
from autocompose.describe.run import append_record, pair_record, resumable_ids, summarise
from autocompose.describe.variants import selected_variants, variant_poses
from autocompose.pairs.pairset import PairSet


@dataclass
class RunStats:
    """What the progress bar shows and ``summary.json`` keeps."""

    done: int = 0
    failed: int = 0
    cached: int = 0
    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    peak_in_flight: int = 0
    seconds: float = 0.0


class RequestFailed(Exception):
    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason, self.attempts = reason, attempts


_POOLS: dict[int, ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _exit_with_parent(parent: int) -> None:
    """In a render worker: end when the client process is gone (even after ``kill -9``), never linger."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def render_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool for request images, shared by every describer in this process (started once, shut at exit).

    Rendering + PNG encoding (~4 ms of Python per image) inside the client's process held the GIL
    the event loop needs, so the client could not keep its request slots busy.
    """
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = _POOLS[workers] = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_exit_with_parent, initargs=(os.getpid(),)
            )
            atexit.register(pool.shutdown, wait=True, cancel_futures=True)
        return pool


class MLLMDescriber:
    """Turns (pose pair, variant) into validated descriptions through a chat backend."""

    def __init__(self, cfg: MLLMConfig, cache: ResponseCache | None = None, backend: ChatBackend | None = None) -> None:
        self.cfg = cfg
        self.name = f"mllm:{cfg.model}"
        self.version = f"prompt-{cfg.prompt_version}"
        self.template = load_prompt(cfg.prompt_version)
        self.backend = backend or make_backend(cfg)
        self.cache = cache
        self.stats = RunStats()
        self.limiter: Limiter | None = None
        self._prices = cfg.prices()

    def _params(self, k: int) -> dict[str, Any]:
        params: dict[str, Any] = {"temperature": self.cfg.temperature, "max_tokens": self.cfg.max_tokens}
        if self.cfg.structured == "json_schema":
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "pose_transition", "schema": answer_schema(k)},
            }
        elif self.cfg.structured == "json_object":
            params["response_format"] = {"type": "json_object"}
        return params

    async def _render(self, a: np.ndarray, b: np.ndarray, mask: np.ndarray | None, variant: Variant) -> bytes:
        """The request image, rendered in the render-worker processes (or a thread when ``render_workers`` is 0)."""
        args = (a, b, variant, self.cfg.views, self.cfg.image_size, mask)
        if self.cfg.render_workers == 0:
            return await asyncio.to_thread(request_image, *args)  # type: ignore[arg-type]
        return await asyncio.get_running_loop().run_in_executor(render_pool(self.cfg.render_workers), request_image, *args)

    async def describe_async(
        self, a: np.ndarray, b: np.ndarray, k: int, mask: np.ndarray | None, variant: Variant
    ) -> list[TransitionDescription]:
        """Descriptions of ``variant`` of the pair (a, b); raises ``RequestFailed`` after the retries."""
        if self.limiter is None:
            self.limiter = Limiter(self.cfg.max_in_flight, self.cfg.requests_per_minute, self.cfg.tokens_per_minute)
        png = await self._render(a, b, mask, variant)
        messages = messages_for(self.template, k, self.cfg.views, png)
        params = self._params(k)
        key = cache_key(self.cfg.model, self.cfg.prompt_version, messages, params)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.stats.cached += 1
            return parse_answer(hit[0], k, self.name, self.version, variant)
        va, vb, vm = variant_poses(a, b, mask, variant)  # what the side check measures
        reason = "no attempt"
        for attempt in range(1, self.cfg.max_retries + 2):
            if attempt > 1:
                self.stats.retries += 1
            try:
                async with self.limiter:
                    self.stats.peak_in_flight = max(self.stats.peak_in_flight, self.limiter.in_flight)
                    await self.limiter.admit(self.cfg.max_tokens + 1200)
                    self.stats.requests += 1
                    text, usage = await self.backend.complete(messages, params)
                self._account(usage)
                descs = parse_answer(text, k, self.name, self.version, variant)
                if sides_swapped(descs[0], va, vb, vm):
                    raise AnswerError("sides look swapped (the sided claims fit the other side clearly better)")
            except RetryableError as exc:
                reason = str(exc)
                await asyncio.sleep(backoff(self.cfg, attempt, exc.retry_after))
                continue
            except AnswerError as exc:
                reason = f"malformed answer: {exc}"
                continue
            if self.cache is not None:
                self.cache.put(key, self.cfg.model, self.cfg.prompt_version, text, usage)
            return descs
        raise RequestFailed(reason, self.cfg.max_retries + 1)

    def _account(self, usage: dict[str, int]) -> None:
        p, c = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        self.stats.prompt_tokens += p
        self.stats.completion_tokens += c
        self.stats.cost_usd += (p * self._prices[0] + c * self._prices[1]) / 1e6

    def describe(
        self,
        a: np.ndarray,
        b: np.ndarray,
        k: int = 3,
        mask: np.ndarray | None = None,
        seed: int = 0,
        variant: Variant = "original",
    ) -> list[TransitionDescription]:
        """The synchronous ``Annotator`` interface (one request; ``seed`` is unused by servers)."""

        async def once() -> list[TransitionDescription]:
            try:
                return await self.describe_async(a, b, k, mask, variant)
            finally:
                self.limiter = None  # bound to this event loop
                await self.backend.aclose()

        try:
            return asyncio.run(once())
        except RequestFailed as exc:
            raise AnswerError(f"{self.name}: {exc.reason} after {exc.attempts} attempts") from exc


async def _annotate(
    pairset: PairSet,
    describer: MLLMDescriber,
    out: Path,
    k: int,
    variants: list[Variant],
    cycle_threshold: float,
    progress: Callable[[RunStats], None] | None,
) -> None:
    done = resumable_ids(out / "annotations.jsonl", describer.name, k)
    describer.stats.done = sum(1 for p in pairset.pairs if p.id in done)
    window = asyncio.Semaphore(describer.cfg.max_in_flight * 2)  # pairs rendered ahead of the requests
    with (
        (out / "annotations.jsonl").open("a", encoding="utf-8") as ok_fh,
        (out / "failures.jsonl").open("a", encoding="utf-8") as bad_fh,
    ):

        async def one(i: int) -> None:
            pair, a, b, mask = pairset.pairs[i], pairset.ref[i], pairset.tgt[i], pairset.mask[i]
            async with window:
                results = await asyncio.gather(
                    *(describer.describe_async(a, b, k, mask, v) for v in variants), return_exceptions=True
                )
            failures = [(v, r) for v, r in zip(variants, results, strict=True) if isinstance(r, BaseException)]
            if failures:
                for v, r in failures:
                    if not isinstance(r, RequestFailed):
                        raise r
                    append_record(
                        bad_fh, {"pair_id": pair.id, "variant": v, "reason": r.reason, "attempts": r.attempts, "at": time.time()}
                    )
                describer.stats.failed += 1
            else:
                described = dict(zip(variants, results, strict=True))
                append_record(ok_fh, pair_record(pair, describer, k, described, cycle_threshold))  # type: ignore[arg-type]
                describer.stats.done += 1
            if progress:
                progress(describer.stats)

        try:
            await asyncio.gather(*(one(i) for i, p in enumerate(pairset.pairs) if p.id not in done))
        finally:
            describer.limiter = None
            await describer.backend.aclose()


def annotate_pairs_mllm(
    pairset: PairSet,
    cfg: MLLMConfig,
    out: Path,
    k: int = 3,
    variants: Iterable[str] = ("mirror", "reverse"),
    cycle_threshold: float = 0.5,
    progress: Callable[[RunStats], None] | None = None,
    backend: ChatBackend | None = None,
) -> dict[str, Any]:
    """Annotate every pair not yet done into ``out/`` and return the summary (texts, cycle, tokens, cost)."""
    out.mkdir(parents=True, exist_ok=True)
    cache = ResponseCache(out / "cache.sqlite")
    describer = MLLMDescriber(cfg, cache, backend)
    t0 = time.perf_counter()
    try:
        asyncio.run(_annotate(pairset, describer, out, k, selected_variants(variants), cycle_threshold, progress))
    finally:
        cache.close()
    describer.stats.seconds = round(time.perf_counter() - t0, 2)
    run = {**asdict(describer.stats), "cost_usd": round(describer.stats.cost_usd, 4)}
    summary = {**summarise(out / "annotations.jsonl"), "pairs_total": len(pairset), "this_run": run, "model": cfg.model}
    history = out / "runs.jsonl"
    with history.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"at": time.time(), "model": cfg.model, "base_url": cfg.base_url, **run}) + "\n")
    return summary
