"""Answers obtained elsewhere (e.g. a provider's Batch API): export the exact requests, import the answers.

``export_requests`` writes, for every pair × variant, the request the OpenAI backend would send
(OpenAI Batch API JSONL: ``custom_id``, ``method``, ``url``, ``body``), with the image rendered by
``prompt.request_image`` and the messages by ``prompt.messages_for``. Each ``custom_id`` is
``PAIR_ID|VARIANT|KEY16``, where KEY16 starts the response-cache key of that request, so an
answer can be matched to its request without the pair folder and a request exported with other
settings (model, prompt, views, size, k, structured output) can never be answered by it.

``ImportBackend`` is a ``ChatBackend`` that answers from such a file: ``annotate_pairs_mllm`` runs
unchanged over it (cache under the live cache key, parsing, validation, side check, variants,
cycle check, failures, summary). Two answer formats are read: the Batch API output
(``response.body.choices[0].message.content``) and a plain ``{"custom_id", "content"}`` line.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autocompose.describe.mllm.cache import cache_key
from autocompose.describe.mllm.client import MLLMConfig, RetryableError
from autocompose.describe.mllm.prompt import load_prompt, messages_for, request_image
from autocompose.describe.variants import selected_variants
from autocompose.errors import AutocomposeError
from autocompose.pairs.pairset import PairSet

BATCH_URL = "/v1/chat/completions"
_KEY_CHARS = 16


class AnswersFileError(AutocomposeError, ValueError):
    """An answers file that cannot be read; the message names the file, line and the fix."""


def custom_id(pair_id: str, variant: str, key: str) -> str:
    """``PAIR_ID|VARIANT|KEY16``: readable, unique, and bound to the exact request."""
    return f"{pair_id}|{variant}|{key[:_KEY_CHARS]}"


def request_params(cfg: MLLMConfig, k: int) -> dict[str, Any]:
    """The sampling / structured-output parameters the live backend sends (``MLLMDescriber._params``)."""
    from autocompose.describe.mllm.run import MLLMDescriber

    return MLLMDescriber(cfg, None, ImportBackend({}, cfg))._params(k)


def iter_requests(pairset: PairSet, cfg: MLLMConfig, k: int, variants: Iterable[str]) -> Iterable[tuple[str, str, bytes, dict]]:
    """(pair id, variant, PNG, Batch API request line) for every pair × variant, in pair order."""
    template = load_prompt(cfg.prompt_version)
    params = request_params(cfg, k)
    chosen = selected_variants(variants)
    for pair, a, b, mask in pairset:
        for v in chosen:
            png = request_image(a, b, v, cfg.views, cfg.image_size, mask)  # type: ignore[arg-type]
            messages = messages_for(template, k, cfg.views, png)
            key = cache_key(cfg.model, cfg.prompt_version, messages, params)
            line = {
                "custom_id": custom_id(pair.id, v, key),
                "method": "POST",
                "url": BATCH_URL,
                "body": {"model": cfg.model, "messages": messages, **params},
            }
            yield pair.id, v, png, line


def export_requests(
    pairset: PairSet,
    cfg: MLLMConfig,
    path: Path,
    k: int = 3,
    variants: Iterable[str] = ("mirror", "reverse"),
    inspect_dir: Path | None = None,
    progress: Any = None,
) -> int:
    """Write the Batch API JSONL (atomically) and, optionally, each PNG plus the prompt text; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if inspect_dir is not None:
        inspect_dir.mkdir(parents=True, exist_ok=True)
        system, user = load_prompt(cfg.prompt_version).render(k, cfg.views)
        (inspect_dir / "prompt.txt").write_text(f"## system\n{system}\n## user\n{user}\n", encoding="utf-8")
    n = 0
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as fh:
        try:
            for pair_id, v, png, line in iter_requests(pairset, cfg, k, variants):
                fh.write(json.dumps(line) + "\n")
                if inspect_dir is not None:
                    (inspect_dir / f"{_safe(pair_id)}__{v}.png").write_bytes(png)
                n += 1
                if progress is not None:
                    progress(1)
        except BaseException:
            fh.close()
            os.unlink(fh.name)
            raise
    os.replace(fh.name, path)
    return n


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


@dataclass
class ImportedAnswer:
    """One answer line: the text (or the provider's error), its usage and the model that served it."""

    custom_id: str
    text: str | None
    usage: dict[str, int] = field(default_factory=dict)
    served_model: str | None = None
    error: str | None = None


def read_answers(path: Path) -> dict[str, ImportedAnswer]:
    """Answers by custom id, from Batch API output lines or ``{"custom_id", "content"}`` lines."""
    if not path.is_file():
        raise AnswersFileError(f"{path}: no such answers file (pass the Batch API output JSONL with --answers)")
    out: dict[str, ImportedAnswer] = {}
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise AnswersFileError(f"{path}:{no}: not JSON ({exc.msg}); each line must be one JSON object") from exc
        cid = obj.get("custom_id") if isinstance(obj, dict) else None
        if not isinstance(cid, str) or cid.count("|") < 2:
            raise AnswersFileError(
                f"{path}:{no}: field 'custom_id' missing or not PAIR|VARIANT|KEY (found {cid!r}); "
                "use the custom ids written by --export-requests"
            )
        out[cid] = _answer(path, no, cid, obj)
    return out


def _answer(path: Path, no: int, cid: str, obj: dict[str, Any]) -> ImportedAnswer:
    if "content" in obj:
        if not isinstance(obj["content"], str):
            raise AnswersFileError(f"{path}:{no}: field 'content' must be the answer text (a string)")
        return ImportedAnswer(cid, obj["content"], _usage(obj.get("usage")), obj.get("model"))
    if obj.get("error"):
        return ImportedAnswer(cid, None, error=f"batch error: {json.dumps(obj['error'])[:200]}")
    response = obj.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("body"), dict):
        raise AnswersFileError(
            f"{path}:{no}: neither 'content' nor 'response.body' found; expected Batch API output or {{custom_id, content}}"
        )
    body, status = response["body"], response.get("status_code", 200)
    if status != 200:
        return ImportedAnswer(cid, None, error=f"batch error: status {status} {json.dumps(body)[:200]}")
    try:
        text = body["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError) as exc:
        raise AnswersFileError(f"{path}:{no}: field 'response.body.choices[0].message.content' missing") from exc
    return ImportedAnswer(cid, text, _usage(body.get("usage")), body.get("model"))


def _usage(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    return {k: int(raw[k]) for k in ("prompt_tokens", "completion_tokens") if isinstance(raw.get(k), int)}


class ImportBackend:
    """A ``ChatBackend`` answering each request from imported answers, matched by request key.

    A request without an answer (or with a provider error) raises ``RetryableError``, which the
    annotator records in ``failures.jsonl`` (run it with ``max_retries=0``: the answer is fixed).
    """

    def __init__(self, answers: dict[str, ImportedAnswer], cfg: MLLMConfig) -> None:
        self.cfg = cfg
        self.by_key = {cid.rsplit("|", 1)[1]: a for cid, a in answers.items()}
        self.used: set[str] = set()

    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[str, dict[str, int]]:
        key = cache_key(self.cfg.model, self.cfg.prompt_version, messages, params)[:_KEY_CHARS]
        answer = self.by_key.get(key)
        if answer is None:
            raise RetryableError(
                f"no imported answer for request key {key} (answers exported with another model, prompt, views, "
                "image size, k or structured option? export again with the options of this run)"
            )
        self.used.add(key)
        if answer.text is None:
            raise RetryableError(answer.error or "batch error")
        return answer.text, answer.usage

    async def aclose(self) -> None:
        return None


def import_provenance(path: Path, answers: dict[str, ImportedAnswer], backend: ImportBackend, cfg: MLLMConfig) -> dict:
    """Where the answers came from and how they were asked for: recorded in ``summary.json``."""
    return {
        "source": "import",
        "answers_file": str(path.resolve()),
        "answers_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "answers_read": len(answers),
        "answers_used": len(backend.used),
        "answers_unused": len(answers) - len(backend.used),
        "provider_errors": sum(a.error is not None for a in answers.values()),
        "served_models": dict(Counter(a.served_model for a in answers.values() if a.served_model)),
        **request_settings(cfg),
    }


def request_settings(cfg: MLLMConfig) -> dict[str, Any]:
    """The settings that decide what the model was shown (part of every run's provenance)."""
    return {
        "model": cfg.model,
        "prompt_version": cfg.prompt_version,
        "views": list(cfg.views),
        "image_size": cfg.image_size,
        "structured": cfg.structured,
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
    }
