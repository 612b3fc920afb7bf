"""Chat backends for the MLLM annotator, with bounded concurrency, rate limits and retries.

``OpenAIBackend`` speaks the OpenAI chat-completions protocol through the official ``openai``
SDK, so it works with OpenAI, vLLM, SGLang, Ollama and llama.cpp servers (``base_url``).
``HFLocalBackend`` runs a local Hugging Face vision-language model (``transformers``), loaded
only when asked. ``Limiter`` bounds requests in flight and requests/tokens per minute; retries
back off exponentially on 429, 5xx, timeouts and connection errors.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, Field

from autocompose.errors import AutocomposeError

#: USD per 1M input / output tokens (list prices when written; override with --price-in/--price-out)
DEFAULT_PRICES = {"gpt-4o": (2.50, 10.00), "gpt-4o-mini": (0.15, 0.60), "gpt-4.1": (2.00, 8.00), "gpt-4.1-mini": (0.40, 1.60)}


class MLLMConfig(BaseModel):
    """How to reach the model and how hard to push it (``autocompose annotate --help``)."""

    backend: str = Field("openai", description="openai (any OpenAI-compatible server) or hf-local")
    model: str = Field("gpt-4o", description="model name on the server, or a local model folder for hf-local")
    base_url: str | None = Field(
        None, description="server URL, e.g. http://localhost:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama)"
    )
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the API key (never written anywhere)")
    prompt_version: str = "v1"
    views: tuple[str, ...] = ("front",)
    image_size: int = Field(336, ge=64)
    temperature: float = Field(0.7, ge=0)
    max_tokens: int = Field(700, ge=16)
    structured: str = Field("json_schema", description="json_schema, json_object or none (lenient parsing either way)")
    max_in_flight: int = Field(8, ge=1)
    render_workers: int = Field(
        1,
        ge=0,
        description=(
            "processes that render and PNG-encode request images, off the event loop and its GIL "
            "(0: a thread of this process, which competes with the client for the GIL)"
        ),
    )
    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: float | None = Field(None, gt=0)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(5, ge=0, description="retries on 429/5xx/timeouts, and on malformed answers")
    backoff_s: float = Field(1.0, ge=0, description="first backoff; doubles each retry (with jitter), capped at 30 s")
    price_in: float | None = Field(None, description="USD per 1M input tokens (default: known list price of the model)")
    price_out: float | None = Field(None, description="USD per 1M output tokens")

    def prices(self) -> tuple[float, float]:
        known = DEFAULT_PRICES.get(self.model, (0.0, 0.0))
        return (
            self.price_in if self.price_in is not None else known[0],
            self.price_out if self.price_out is not None else known[1],
        )


class RetryableError(Exception):
    """A transient failure (429, 5xx, timeout, connection): retried with backoff."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ChatBackend(Protocol):
    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[str, dict[str, int]]:
        """Answer text and usage ``{prompt_tokens, completion_tokens}``; transient errors raise ``RetryableError``."""
        ...

    async def aclose(self) -> None:
        """Release connections (called at the end of every event loop that used the backend)."""
        ...


@dataclass
class Limiter:
    """Bounded in-flight requests plus sliding-window requests/tokens per minute."""

    max_in_flight: int
    rpm: float | None = None
    tpm: float | None = None
    _sem: asyncio.Semaphore = field(init=False)
    _stamps: deque = field(default_factory=deque)  # (time, tokens)
    in_flight: int = 0
    peak: int = 0
    _tokens: int = 0

    def __post_init__(self) -> None:
        self._sem = asyncio.Semaphore(self.max_in_flight)

    async def __aenter__(self) -> Limiter:
        await self._sem.acquire()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.in_flight -= 1
        self._sem.release()

    async def admit(self, tokens: int) -> None:
        """Wait until one more request of ``tokens`` fits the per-minute budgets (free when there are none)."""
        if self.rpm is None and self.tpm is None:
            return
        while True:
            now = time.monotonic()
            while self._stamps and now - self._stamps[0][0] > 60:
                _, old = self._stamps.popleft()
                self._tokens -= old
            if (self.rpm is None or len(self._stamps) < self.rpm) and (
                self.tpm is None or self._tokens + tokens <= self.tpm or not self._stamps
            ):
                self._stamps.append((now, tokens))
                self._tokens += tokens
                return
            await asyncio.sleep(max(0.01, 60 - (now - self._stamps[0][0])))


class OpenAIBackend:
    """Any OpenAI-compatible chat-completions server through the official SDK."""

    def __init__(self, cfg: MLLMConfig) -> None:
        key = os.environ.get(cfg.api_key_env)
        if not key:
            if cfg.base_url is None:
                raise AutocomposeError(f"no API key: set the environment variable {cfg.api_key_env} (or --api-key-env NAME)")
            key = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) accept any key
        self._key, self.cfg = key, cfg
        self._client: Any = None
        self._loop: Any = None
        self.model = cfg.model

    def _client_for_loop(self) -> Any:
        """One SDK client per event loop (its connection pool belongs to the loop that made it).

        The SDK talks HTTP through its aiohttp transport (``openai[aiohttp]``): with 32 requests in
        flight, the default httpx pool spent a third of the client's CPU choosing a connection for
        each request (``bench/bench_mllm_client.py``: 1.97 → 1.57 ms of client CPU per request)."""
        from openai import AsyncOpenAI, DefaultAioHttpClient

        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = AsyncOpenAI(
                api_key=self._key,
                base_url=self.cfg.base_url,
                max_retries=0,
                timeout=self.cfg.timeout_s,
                http_client=DefaultAioHttpClient(timeout=self.cfg.timeout_s),
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.close()
        self._client = None

    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[str, dict[str, int]]:
        import openai

        client = self._client_for_loop()
        try:
            # the SDK's low-level post: same auth, errors and HTTP handling as chat.completions.create, without
            # its per-request TypedDict transform of the (large, base64-image) body (~2 ms a request) and its
            # pydantic ChatCompletion model (~0.3 ms): the answer is read from the JSON in `_answer_of`
            resp = await client.post(
                "/chat/completions", cast_to=dict, body={"model": self.model, "messages": messages, **params}
            )
        except openai.RateLimitError as exc:
            raise RetryableError("429 rate limited", _retry_after(exc)) from exc
        except openai.APITimeoutError as exc:
            raise RetryableError("timeout") from exc
        except openai.APIConnectionError as exc:
            raise RetryableError(f"connection error ({exc})") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code in (408, 409):
                raise RetryableError(f"server error {exc.status_code}", _retry_after(exc)) from exc
            raise AutocomposeError(f"the server refused the request: {exc.status_code} {exc.message}") from exc
        return _answer_of(resp)


def _answer_of(body: Any) -> tuple[str, dict[str, int]]:
    """The first choice's message text and the token usage of a chat-completions JSON response."""
    try:
        text = body["choices"][0]["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise RetryableError(f"malformed chat completion (no choices[0].message): {str(body)[:200]}") from exc
    if not isinstance(text, str):
        raise RetryableError(f"malformed chat completion: message content is {type(text).__name__}, not text")
    usage = body.get("usage") or {}
    tokens = {k: int(usage[k]) for k in ("prompt_tokens", "completion_tokens") if isinstance(usage.get(k), int)}
    return text, tokens


def _retry_after(exc: Any) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value else None
    except (AttributeError, ValueError):
        return None


class HFLocalBackend:
    """A local Hugging Face vision-language model (``AutoModelForImageTextToText``), loaded on first use.

    ``model`` is a local folder with the weights and processor (no hub download). Requests run
    one at a time in a worker thread; ``max_in_flight`` above 1 only queues them.
    """

    def __init__(self, cfg: MLLMConfig) -> None:
        from pathlib import Path

        if not Path(cfg.model).is_dir():
            raise AutocomposeError(f"hf-local needs --model pointing at a local model folder; {cfg.model!r} is not a folder")
        self.path = cfg.model
        self._model = self._processor = None
        self._lock = asyncio.Lock()

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self._processor = AutoProcessor.from_pretrained(self.path)
        self._model = AutoModelForImageTextToText.from_pretrained(self.path, torch_dtype="auto")

    def _generate(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[str, dict[str, int]]:
        import base64
        import io

        from PIL import Image

        if self._model is None:
            self._load()
        converted, images = [], []
        for m in messages:
            content = m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]
            parts = []
            for c in content:
                if c["type"] == "image_url":
                    images.append(Image.open(io.BytesIO(base64.b64decode(c["image_url"]["url"].split(",", 1)[1]))))
                    parts.append({"type": "image"})
                else:
                    parts.append(c)
            converted.append({"role": m["role"], "content": parts})
        proc = self._processor
        prompt = proc.apply_chat_template(converted, add_generation_prompt=True)  # type: ignore[union-attr]
        inputs = proc(text=prompt, images=images, return_tensors="pt").to(self._model.device)  # type: ignore[union-attr,operator]
        out = self._model.generate(  # type: ignore[union-attr]
            **inputs,
            max_new_tokens=params.get("max_tokens", 700),
            do_sample=params.get("temperature", 0) > 0,
            temperature=params.get("temperature"),
        )
        new = out[0, inputs["input_ids"].shape[1] :]
        text = proc.decode(new, skip_special_tokens=True)  # type: ignore[union-attr]
        return text, {"prompt_tokens": int(inputs["input_ids"].shape[1]), "completion_tokens": len(new)}

    async def aclose(self) -> None:
        return None

    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[str, dict[str, int]]:
        async with self._lock:
            return await asyncio.to_thread(self._generate, messages, {k: v for k, v in params.items() if k != "response_format"})


def make_backend(cfg: MLLMConfig) -> ChatBackend:
    if cfg.backend == "openai":
        return OpenAIBackend(cfg)
    if cfg.backend == "hf-local":
        return HFLocalBackend(cfg)
    raise AutocomposeError(f"unknown MLLM backend {cfg.backend!r}; use openai or hf-local")


def backoff(cfg: MLLMConfig, attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): Retry-After if given, else exponential with jitter."""
    if retry_after is not None:
        return min(retry_after, 60.0)
    return min(30.0, cfg.backoff_s * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
