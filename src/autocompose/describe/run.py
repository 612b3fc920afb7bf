"""Annotating a PairSet into JSONL: one record per pair, resumable, crash-safe, with a summary.

Each finished pair is appended as one line and flushed, so a crash loses at most the pair
being written; on re-run, pairs already in the file are skipped and a torn last line is cut.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from autocompose.describe.base import Annotator
from autocompose.describe.variants import cycle_check, describe_variants
from autocompose.pairs.pairset import Pair, PairSet

_WORD = re.compile(r"[a-z]+")


def _done_ids(path: Path) -> set[str]:
    """Ids already written; a torn (unterminated or unparsable) last line is truncated away."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    keep = data if data.endswith(b"\n") else data[: data.rfind(b"\n") + 1]
    ids = set()
    good = 0
    for line in keep.splitlines(keepends=True):
        try:
            ids.add(json.loads(line)["pair_id"])
            good += len(line)
        except (json.JSONDecodeError, KeyError):
            break
    if good != len(data):
        with path.open("r+b") as fh:
            fh.truncate(good)
    return ids


def resumable_ids(out_file: Path, annotator: str, k: int) -> set[str]:
    """Pair ids already in ``out_file`` (torn last line cut); refuses a file of another annotator or k."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    done = _done_ids(out_file)
    if done:
        first = json.loads(out_file.open(encoding="utf-8").readline())
        if (first["annotator"], first["k"]) != (annotator, k):
            raise ValueError(
                f"{out_file} holds annotator={first['annotator']} k={first['k']}; resuming with annotator={annotator} "
                f"k={k} would mix them — write to another folder"
            )
    return done


def pair_record(pair: Pair, annotator: Annotator, k: int, described: dict, cycle_threshold: float) -> dict[str, Any]:
    """The JSONL record of one described pair (the same for every annotator)."""
    score, passed = cycle_check(described, cycle_threshold)
    return {
        "pair_id": pair.id,
        "split": pair.split,
        "ref": f"{pair.ref_seq}#{pair.ref_frame}",
        "tgt": f"{pair.tgt_seq}#{pair.tgt_frame}",
        "annotator": annotator.name,
        "annotator_version": annotator.version,
        "k": k,
        "cycle_score": round(score, 4),
        "cycle_pass": passed,
        "variants": {
            v: [d.model_dump(mode="json", exclude={"variant", "annotator", "annotator_version"}) for d in ds]
            for v, ds in described.items()
        },
    }


def append_record(fh: Any, record: dict[str, Any]) -> None:
    """One line, flushed and synced: a crash loses at most the line being written."""
    fh.write(json.dumps(record) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def annotate_pairs(
    pairset: PairSet,
    annotator: Annotator,
    out_file: Path,
    k: int = 3,
    variants: Iterable[str] = ("mirror", "reverse"),
    seed: int = 0,
    cycle_threshold: float = 0.5,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Describe every pair not yet in ``out_file`` and return the summary of the whole file."""
    done = resumable_ids(out_file, annotator.name, k)
    variants = tuple(variants)
    with out_file.open("a", encoding="utf-8") as fh:
        for i, (pair, a, b, mask) in enumerate(pairset):
            if pair.id in done:
                if progress:
                    progress(1)
                continue
            described = describe_variants(annotator, a, b, k, mask, seed + i, variants)
            append_record(fh, pair_record(pair, annotator, k, described, cycle_threshold))
            if progress:
                progress(1)
    return summarise(out_file)


def summarise(path: Path) -> dict[str, Any]:
    """Pairs, texts, mean words per text, vocabulary size and cycle-consistency pass rate."""
    pairs = texts = words = passed = 0
    vocab: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        pairs += 1
        passed += bool(rec["cycle_pass"])
        for descs in rec["variants"].values():
            for d in descs:
                tokens = _WORD.findall(d["text"].lower())
                texts += 1
                words += len(tokens)
                vocab.update(tokens)
    return {
        "pairs": pairs,
        "texts": texts,
        "mean_words": round(words / max(texts, 1), 2),
        "vocabulary": len(vocab),
        "cycle_pass_rate": round(passed / max(pairs, 1), 4),
    }


def load_annotations(path: Path) -> dict[str, dict[str, Any]]:
    """Records by pair id."""
    return {json.loads(x)["pair_id"]: json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()}


def keep_consistent(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The cycle-consistency filter: records that pass, and how many were dropped."""
    kept = [r for r in records if r["cycle_pass"]]
    return kept, len(records) - len(kept)
