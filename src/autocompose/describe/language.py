"""Language distance between two sets of pose-change texts: how close a describer's wording is to people's.

Compares GENERATED texts (a describer's or an MLLM's) with REFERENCE texts (human ones) on
three axes:

* **embedding** — with any sentence embedder (the CLI passes MiniLM, the text branch the
  models use): when the two sets share pair ids, the mean cosine of each generated text to
  the reference texts of the *same* pair; always, distribution-level scores: the cosine of
  the two centroids and the mean nearest-reference cosine of the generated texts;
* **vocabulary** — sizes, Jaccard overlap, the share of generated word tokens that never
  occur in the reference (out-of-reference-vocabulary rate), the top words of each;
* **length** — words per text: mean, quantiles, and a histogram PNG of both sets.

Inputs (``load_texts``): ``annotations.jsonl`` from ``autocompose annotate``, a dataset's
``descriptions/{source}.jsonl`` (or the dataset folder plus a source name), FIXMYPOSE's
release JSON files (a file or a folder of them). Only the ``original`` variant is used.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autocompose.errors import AutocomposeError

Embed = Callable[[Sequence[str]], np.ndarray]
TextSet = dict[str, list[str]]  # pair id → texts

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
#: function words left out of the top-word lists (they are counted everywhere else)
STOPWORDS = frozenset(
    "a an and the your you to of in on at with from by for up down so as is are it its that this then while "
    "both into out over about be keep".split()
)
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
MAX_TEXTS = 2000  # embedding scores use at most this many texts per side (seeded sample; embedding is the slow part)


def words(text: str) -> list[str]:
    """Lower-case word tokens of a text."""
    return _WORD.findall(text.lower())


# ------------------------------------------------------------------ loading
def _from_records(path: Path, records: list[Any]) -> TextSet:
    out: TextSet = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise AutocomposeError(f"{path}: record {i + 1} is {type(rec).__name__}, expected a JSON object")
        if "variants" in rec:  # annotations.jsonl of `autocompose annotate`
            texts = [d["text"] for d in rec["variants"].get("original", [])]
            key = str(rec["pair_id"])
        elif "texts" in rec:  # descriptions/{source}.jsonl
            if rec.get("variant", "original") != "original":
                continue
            texts, key = list(rec["texts"]), str(rec["pair_id"])
        elif "sents" in rec:  # FIXMYPOSE release
            sents = rec["sents"]
            texts = [sents] if isinstance(sents, str) else list(sents)
            key = str(rec.get("uid", f"{path.stem}-{i}"))
            if key in out:  # the same pose pair in two files (e.g. retrieval and captioning)
                key = f"{path.stem}-{key}"
        else:
            raise AutocomposeError(
                f"{path}: record {i + 1} has none of 'variants' (annotations.jsonl), 'texts' (descriptions/*.jsonl) "
                f"or 'sents' (FIXMYPOSE); found keys {sorted(rec)}"
            )
        texts = [t.strip() for t in texts if isinstance(t, str) and t.strip()]
        if texts:
            out.setdefault(key, []).extend(texts)
    return out


def load_texts(path: str | Path, source: str | None = None) -> TextSet:
    """Texts per pair id from an annotations/descriptions JSONL, FIXMYPOSE JSON(s) or a dataset folder."""
    path = Path(path)
    if path.is_dir() and (path / "descriptions").is_dir():
        available = sorted(p.stem for p in (path / "descriptions").glob("*.jsonl"))
        if source is None or source not in available:
            raise AutocomposeError(
                f"{path} is a dataset folder: name its description source with --source ({', '.join(available)})"
            )
        path = path / "descriptions" / f"{source}.jsonl"
    if path.is_dir():
        files = sorted(path.glob("*.json")) + sorted(path.glob("*.jsonl"))
        if not files:
            raise AutocomposeError(f"{path}: no .json or .jsonl files to read texts from")
        out: TextSet = {}
        for f in files:
            for key, texts in load_texts(f).items():
                out.setdefault(key if key not in out else f"{f.stem}-{key}", []).extend(texts)
        return out
    if not path.is_file():
        raise AutocomposeError(f"{path}: no such file; pass annotations.jsonl, descriptions/SOURCE.jsonl or FIXMYPOSE JSON")
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        records = []
        for n, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise AutocomposeError(f"{path}:{n}: not valid JSON ({e.msg}); fix or delete the line") from None
        return _from_records(path, records)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise AutocomposeError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, list):
        raise AutocomposeError(f"{path}: expected a JSON list of records, found {type(data).__name__}")
    return _from_records(path, data)


# ------------------------------------------------------------------ measures
def length_stats(texts: Sequence[str]) -> dict[str, float]:
    """Words per text: count, mean and quantiles."""
    n = np.array([len(words(t)) for t in texts], float)
    if not len(n):
        return {"texts": 0}
    out = {"texts": len(n), "mean": round(float(n.mean()), 2)}
    out.update({f"q{int(q * 100)}": float(np.quantile(n, q)) for q in QUANTILES})
    return out


def vocabulary(generated: Sequence[str], reference: Sequence[str], top: int = 15) -> dict[str, Any]:
    """Vocabulary sizes, overlap, out-of-reference-vocabulary rate and top content words."""
    g = Counter(w for t in generated for w in words(t))
    r = Counter(w for t in reference for w in words(t))
    gv, rv = set(g), set(r)
    tokens = sum(g.values())
    return {
        "generated_size": len(gv),
        "reference_size": len(rv),
        "shared": len(gv & rv),
        "jaccard": round(len(gv & rv) / max(len(gv | rv), 1), 4),
        "oov_rate": round(sum(c for w, c in g.items() if w not in rv) / max(tokens, 1), 4),
        "reference_coverage": round(sum(c for w, c in r.items() if w in gv) / max(sum(r.values()), 1), 4),
        "generated_top": [w for w, _ in Counter({w: c for w, c in g.items() if w not in STOPWORDS}).most_common(top)],
        "reference_top": [w for w, _ in Counter({w: c for w, c in r.items() if w not in STOPWORDS}).most_common(top)],
    }


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def embedding_scores(
    generated: TextSet, reference: TextSet, embed: Embed, seed: int = 0, max_texts: int = MAX_TEXTS
) -> dict[str, Any]:
    """Paired (same pair id) and distribution-level cosine similarities."""
    gen = [t for ts in generated.values() for t in ts]
    ref = [t for ts in reference.values() for t in ts]
    rng = np.random.default_rng(seed)
    gs = sorted(rng.choice(len(gen), max_texts, replace=False)) if len(gen) > max_texts else range(len(gen))
    rs = sorted(rng.choice(len(ref), max_texts, replace=False)) if len(ref) > max_texts else range(len(ref))
    shared = sorted(set(generated) & set(reference))
    if len(shared) > max_texts // 2:
        shared = sorted(rng.choice(shared, max_texts // 2, replace=False).tolist())
    needed = sorted({gen[i] for i in gs} | {ref[i] for i in rs} | {t for k in shared for t in generated[k] + reference[k]})
    vectors = dict(zip(needed, _unit(embed(needed)), strict=True))
    eg = np.stack([vectors[gen[i]] for i in gs])
    er = np.stack([vectors[ref[i]] for i in rs])
    sim = eg @ er.T
    out: dict[str, Any] = {
        "centroid_cosine": round(float((_unit(eg.mean(0, keepdims=True)) @ _unit(er.mean(0, keepdims=True)).T)[0, 0]), 4),
        "nearest_reference_mean": round(float(sim.max(1).mean()), 4),
        "nearest_generated_mean": round(float(sim.max(0).mean()), 4),
        "texts_embedded": {"generated": len(gs), "reference": len(rs)},
        "shared_pairs": len(shared),
    }
    if shared:
        per_pair = [
            float(np.mean(np.stack([vectors[t] for t in generated[k]]) @ np.stack([vectors[t] for t in reference[k]]).T))
            for k in shared
        ]
        # the same measure against a different pair's reference: what "unrelated" scores
        shift = [
            float(
                np.mean(
                    np.stack([vectors[t] for t in generated[k]])
                    @ np.stack([vectors[t] for t in reference[shared[(i + 1) % len(shared)]]]).T
                )
            )
            for i, k in enumerate(shared)
        ]
        out["paired_cosine"] = round(float(np.mean(per_pair)), 4)
        out["unpaired_cosine"] = round(float(np.mean(shift)), 4) if len(shared) > 1 else None
    return out


def compare(generated: TextSet, reference: TextSet, embed: Embed | None = None, max_texts: int = MAX_TEXTS) -> dict[str, Any]:
    """The full report: sizes, vocabulary, lengths and (with ``embed``) embedding similarity."""
    if not generated or not reference:
        raise AutocomposeError(f"nothing to compare: {len(generated)} generated and {len(reference)} reference pairs with text")
    gen = [t for ts in generated.values() for t in ts]
    ref = [t for ts in reference.values() for t in ts]
    report: dict[str, Any] = {
        "pairs": {"generated": len(generated), "reference": len(reference), "shared": len(set(generated) & set(reference))},
        "length": {"generated": length_stats(gen), "reference": length_stats(ref)},
        "vocabulary": vocabulary(gen, ref),
    }
    if embed is not None:
        report["embedding"] = embedding_scores(generated, reference, embed, max_texts=max_texts)
    return report


def plot_lengths(
    generated: TextSet, reference: TextSet, path: Path, labels: tuple[str, str] = ("generated", "reference")
) -> Path:
    """Histogram of words per text of both sets (density), written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = [len(words(t)) for ts in generated.values() for t in ts]
    r = [len(words(t)) for ts in reference.values() for t in ts]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    bins = np.arange(0, max(g + r + [1]) + 3, 2)
    ax.hist(g, bins=bins, alpha=0.55, density=True, label=f"{labels[0]} ({len(g)} texts)")
    ax.hist(r, bins=bins, alpha=0.55, density=True, label=f"{labels[1]} ({len(r)} texts)")
    ax.set_xlabel("words per text")
    ax.set_ylabel("share of texts")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path
