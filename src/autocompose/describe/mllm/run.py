"""Annotating a PairSet with an MLLM: async, bounded, cached, cost-accounted and resumable.

Per pair, every variant (original, mirrored, reversed, mirrored+reversed) is one request: the
rendered pair image plus the versioned prompt. Answers are parsed and validated; answers whose
sides contradict the measured movement (left and right mixed up) count as malformed. Malformed
answers and transient errors are retried; what still fails goes to ``failures.jsonl`` with the
reason and the last answer's raw text, and the pair is retried on the next run (with
``keep_rejected``, a pair whose rejected answers parsed also goes to ``rejected.jsonl``). A
pair is written to ``annotations.jsonl`` (the describe stage's record format, with the
cycle-consistency check) only when all its variants succeeded. Every accepted answer is cached
in SQLite the moment it arrives, so a re-run after ``kill -9`` pays for nothing it already received.
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
from autocompose.describe.mllm.parse import AnswerError, parse_answer
from autocompose.describe.mllm.prompt import answer_schema, load_prompt, messages_for, request_image
from autocompose.describe.mllm.sides import sides_swapped
from autocompose.describe.run import append_record, load_annotations, pair_record, resumable_ids, summarise
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
    """A request that failed every attempt; keeps the last answer that arrived.

    ``answer`` is that answer's raw text (None when no answer arrived); ``rejected`` its parsed
    descriptions when it parsed and only a check (the side check) rejected it.
    """

    def __init__(
        self, reason: str, attempts: int, answer: str | None = None, rejected: list[TransitionDescription] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason, self.attempts = reason, attempts
        self.answer, self.rejected = answer, rejected


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
        last_text: str | None = None
        last_descs: list[TransitionDescription] | None = None
        for attempt in range(1, self.cfg.max_retries + 2):
            if attempt > 1:
                self.stats.retries += 1
            text, descs = None, None
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
                last_text, last_descs = text, descs
                continue
            if self.cache is not None:
                self.cache.put(key, self.cfg.model, self.cfg.prompt_version, text, usage)
            return descs
        raise RequestFailed(reason, self.cfg.max_retries + 1, last_text, last_descs)

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
    keep_rejected: bool = False,
) -> None:
    done = resumable_ids(out / "annotations.jsonl", describer.name, k)
    describer.stats.done = sum(1 for p in pairset.pairs if p.id in done)
    window = asyncio.Semaphore(describer.cfg.max_in_flight * 2)  # pairs rendered ahead of the requests
    with (
        (out / "annotations.jsonl").open("a", encoding="utf-8") as ok_fh,
        (out / "failures.jsonl").open("a", encoding="utf-8") as bad_fh,
        (out / "rejected.jsonl").open("a", encoding="utf-8") if keep_rejected else open(os.devnull, "w") as rej_fh,
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
                        bad_fh,
                        {
                            "pair_id": pair.id,
                            "variant": v,
                            "reason": r.reason,
                            "attempts": r.attempts,
                            "answer": r.answer,
                            "at": time.time(),
                        },
                    )
                if keep_rejected:
                    _append_rejected(rej_fh, pair, describer, k, variants, results, cycle_threshold)
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


def _append_rejected(
    fh: Any, pair: Any, describer: MLLMDescriber, k: int, variants: list[Variant], results: list, cycle_threshold: float
) -> None:
    """The record of a pair a check rejected: accepted variants plus the rejected answers that parsed.

    Same format as ``annotations.jsonl`` (cycle check over the variants present), plus
    ``rejected`` (variant -> reason) and ``unusable`` (variants without usable text: no answer,
    provider error, unparsable answer). Nothing is written when no variant has text.
    """
    described: dict[Variant, list[TransitionDescription]] = {}
    rejected: dict[str, str] = {}
    unusable: list[str] = []
    for v, r in zip(variants, results, strict=True):
        if not isinstance(r, RequestFailed):
            described[v] = r
        elif r.rejected is not None:
            described[v], rejected[v] = r.rejected, r.reason
        else:
            unusable.append(v)
    if described:
        append_record(
            fh, {**pair_record(pair, describer, k, described, cycle_threshold), "rejected": rejected, "unusable": unusable}
        )


def annotate_pairs_mllm(
    pairset: PairSet,
    cfg: MLLMConfig,
    out: Path,
    k: int = 3,
    variants: Iterable[str] = ("mirror", "reverse"),
    cycle_threshold: float = 0.5,
    progress: Callable[[RunStats], None] | None = None,
    backend: ChatBackend | None = None,
    keep_rejected: bool = False,
) -> dict[str, Any]:
    """Annotate every pair not yet done into ``out/`` and return the summary (texts, cycle, tokens, cost).

    With ``keep_rejected`` the pairs a check rejected also go to ``out/rejected.jsonl`` (see
    ``_append_rejected``): for measuring what the checks buy, e.g. training on all answers.
    """
    out.mkdir(parents=True, exist_ok=True)
    cache = ResponseCache(out / "cache.sqlite")
    describer = MLLMDescriber(cfg, cache, backend)
    t0 = time.perf_counter()
    try:
        asyncio.run(_annotate(pairset, describer, out, k, selected_variants(variants), cycle_threshold, progress, keep_rejected))
    finally:
        cache.close()
    describer.stats.seconds = round(time.perf_counter() - t0, 2)
    run = {**asdict(describer.stats), "cost_usd": round(describer.stats.cost_usd, 4)}
    summary = {**summarise(out / "annotations.jsonl"), "pairs_total": len(pairset), "this_run": run, "model": cfg.model}
    if keep_rejected:
        summary["rejected_pairs"] = len(load_annotations(out / "rejected.jsonl"))
    history = out / "runs.jsonl"
    with history.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"at": time.time(), "model": cfg.model, "base_url": cfg.base_url, **run}) + "\n")
    return summary
