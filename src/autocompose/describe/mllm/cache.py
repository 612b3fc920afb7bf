"""On-disk response cache (SQLite): a re-run never pays for an answer it already received.

Keyed by a hash of (model, prompt version, request messages incl. images, parameters). Each
answer is committed as soon as it arrives, so a run killed with ``kill -9`` keeps every answer
it was given. Only answers that parsed are stored; malformed ones are retried next time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def cache_key(model: str, prompt_version: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    blob = json.dumps({"model": model, "prompt": prompt_version, "messages": messages, "params": params}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    """``get(key)`` → (answer text, usage dict) or None; ``put`` commits at once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS responses "
            "(key TEXT PRIMARY KEY, model TEXT, prompt TEXT, answer TEXT, usage TEXT, created REAL)"
        )

    def get(self, key: str) -> tuple[str, dict[str, int]] | None:
        row = self.db.execute("SELECT answer, usage FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def put(self, key: str, model: str, prompt: str, answer: str, usage: dict[str, int]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)",
            (key, model, prompt, answer, json.dumps(usage), time.time()),
        )

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self.db.close()
