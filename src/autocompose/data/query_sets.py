"""Human-style query sets: pairs of real frames with free-form instructions written from renders.

A query set is a JSON Lines file that names each pair by its frames — ``(sequence id, frame)``
of the reference and target, never joint arrays — so it can be committed while the motion
capture it points into stays outside the repository. Each record carries its texts and their
provenance (who or which model wrote them, the brief, the render settings)::

    {"pair_id": "...", "reference": {"sequence": "...", "frame": 12}, "target": {...},
     "kind": "in_sequence", "texts": ["...", "..."],
     "writers": [{"writer": "...", "brief": "...", "render": {...}}]}

``select_pairs`` draws the pairs to annotate from a benchmark split, ``render_for_readers``
draws what a reader sees (start and end, front and side views, a legend for the person's own
left and right), and ``attach_query_set`` puts the texts into a freshly built benchmark as
its ``human`` description source and test queries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from autocompose.data.format import CPRDataset, CPRPair
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import place_like
from autocompose.render.raster import RenderStyle
from autocompose.render.sheets import render_pair

#: Where the committed query sets live (package data: frame references and texts only).
QUERY_SET_DIR = Path(__file__).resolve().parent / "query_sets"

#: What every reader is shown under the panels.
LEGEND = (
    "START = how the person stands now; END = the pose they should move into. "
    "Top row: front view (the person faces you, so their LEFT side is on the image's RIGHT). "
    "Bottom row: side view (seen from the person's right; they face the image's right). "
    "BLUE limbs = the person's own LEFT arm/leg; ORANGE = their own RIGHT arm/leg; grey = head and spine; "
    "a dot on the head, when drawn, is the nose."
)
RENDER_SETTINGS = {"views": ["front", "side"], "panel_px": 320, "labels": ["START", "END"], "legend": LEGEND}


@dataclass
class QueryRecord:
    """One annotated pair of a query set."""

    pair_id: str
    reference: tuple[str, int]
    target: tuple[str, int]
    kind: str
    texts: list[str] = field(default_factory=list)
    writers: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id,
            "reference": {"sequence": self.reference[0], "frame": self.reference[1]},
            "target": {"sequence": self.target[0], "frame": self.target[1]},
            "kind": self.kind,
            "texts": self.texts,
            "writers": self.writers,
        }


def frames_of(ds: CPRDataset, pair: CPRPair) -> tuple[tuple[str, int], tuple[str, int]]:
    """(sequence, frame) of a pair's reference and target."""
    r, t = ds.poses.index(pair.ref), ds.poses.index(pair.tgt)
    return (ds.poses.sequence[r], int(ds.poses.frame[r])), (ds.poses.sequence[t], int(ds.poses.frame[t]))


def select_pairs(ds: CPRDataset, split: str, n: int, seed: int = 0, min_difference: float = 0.0) -> list[CPRPair]:
    """``n`` pairs of ``split`` drawn at random (seeded), spread over the sequences they start in."""
    pool = [p for p in ds.split(split) if (p.difference or 0.0) >= min_difference]
    if len(pool) < n:
        raise AutocomposeError(f"{ds.name}: only {len(pool)} {split} pairs qualify, {n} asked")
    rng = np.random.default_rng(seed)
    by_seq: dict[str, list[CPRPair]] = {}
    for p in rng.permutation(len(pool)):
        pair = pool[int(p)]
        by_seq.setdefault(frames_of(ds, pair)[0][0], []).append(pair)
    out: list[CPRPair] = []
    while len(out) < n:  # round-robin over sequences so no clip dominates
        for seq in sorted(by_seq, key=lambda s: rng.random()):
            if by_seq[seq] and len(out) < n:
                out.append(by_seq[seq].pop())
    return out


def pair_poses(ds: CPRDataset, pair: CPRPair) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference, target and common mask as a describer sees them (cross-sequence targets re-placed)."""
    assert ds.poses.joints is not None and ds.poses.mask is not None
    r, t = ds.poses.index(pair.ref), ds.poses.index(pair.tgt)
    a, b = ds.poses.joints[r], ds.poses.joints[t]
    if pair.kind != "in_sequence":
        b = place_like(b, a)
    return a, b, ds.poses.mask[r] & ds.poses.mask[t]


def render_for_readers(ds: CPRDataset, pair: CPRPair) -> Image.Image:
    """Start and end, front and side views, the left/right legend under them (``RENDER_SETTINGS``)."""
    a, b, mask = pair_poses(ds, pair)
    style = RenderStyle(size=int(RENDER_SETTINGS["panel_px"]))  # type: ignore[call-overload]
    return render_pair(a, b, ("front", "side"), style, labels=("START", "END"), caption=LEGEND, mask=mask)


def read_query_set(path: Path) -> list[QueryRecord]:
    """Records of a query-set file; errors name the line and field."""
    out = []
    for ln, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            out.append(
                QueryRecord(
                    rec["pair_id"],
                    (rec["reference"]["sequence"], int(rec["reference"]["frame"])),
                    (rec["target"]["sequence"], int(rec["target"]["frame"])),
                    rec.get("kind", "in_sequence"),
                    [str(t) for t in rec["texts"]],
                    list(rec.get("writers", [])),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise AutocomposeError(f"{path}: line {ln}: not a query-set record ({exc!r})") from None
    return out


def write_query_set(records: Sequence[QueryRecord], path: Path) -> Path:
    """Write records atomically, one JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)
    return path


def attach_query_set(ds: CPRDataset, records: Sequence[QueryRecord], source: str = "human", split: str = "test") -> int:
    """Put the records' texts into ``ds`` as ``source`` on its matching ``split`` pairs.

    A record matches a pair with the same reference and target frames. Records whose frames
    are not a pair of the split are skipped (a benchmark built from other data or options).
    Texts already in ``source`` for other pairs are kept, so a test set and a val set can both be
    attached. Attached to ``test``, the texts become the test queries; attached to ``val``, they
    are what training stops early on and what a recipe is chosen by (``train.val_query_source``).
    Returns how many records matched.
    """
    index = {frames_of(ds, p): p for p in ds.split(split)}
    texts: dict[str, dict[str, list[str]]] = {}
    writers: dict[str, int] = {}
    for rec in records:
        pair = index.get((rec.reference, rec.target))
        if pair is None or not rec.texts:
            continue
        texts[pair.id] = {"original": list(rec.texts)}
        for w in rec.writers:
            key = f"{w.get('writer', '?')} | {w.get('brief', '?')}"
            writers[key] = writers.get(key, 0) + 1
    if texts:
        merged = ds.descriptions.setdefault(source, {})
        merged.update(texts)
        if split == "test":
            ds.card.setdefault("queries", {})["test"] = source
        entry = ds.card.setdefault("descriptions", {}).setdefault(source, {})
        by_split = {**entry.get("pairs_by_split", {}), split: len(texts)}
        written_by = dict(entry.get("written_by", {}))
        for key, n in writers.items():
            written_by[key] = written_by.get(key, 0) + n
        entry.update(
            {
                "kind": "human-style",
                "pairs": len(merged),
                "pairs_by_split": by_split,
                "written_by": written_by,
                "render": {k: v for k, v in RENDER_SETTINGS.items()},
                "note": "free-form instructions written by multimodal LLM readers from renders of each pair only "
                "(no project-generated text shown); see the query-set file for per-pair provenance",
            }
        )
    return len(texts)


def render_batch(ds: CPRDataset, split: str, n: int, out: Path, seed: int = 0, prefix: str | None = None) -> list[dict[str, Any]]:
    """Render ``n`` selected pairs for readers into ``out`` and write ``out/manifest.json`` (frames, not poses)."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for i, pair in enumerate(select_pairs(ds, split, n, seed)):
        key = f"{prefix or ds.name}-{i:03d}"
        render_for_readers(ds, pair).save(out / f"{key}.png")
        ref, tgt = frames_of(ds, pair)
        manifest.append(
            {"key": key, "dataset": ds.name, "pair_id": pair.id, "kind": pair.kind, "reference": list(ref), "target": list(tgt)}
        )
    (out / "manifest.json").write_text(json.dumps({"render": RENDER_SETTINGS, "pairs": manifest}, indent=1))
    return manifest


def collect_answers(
    manifest: Sequence[dict[str, Any]], answers: dict[str, list[str]], writer: dict[str, Any]
) -> list[QueryRecord]:
    """Query records for the manifest's pairs from one reader's answers (``key`` → texts)."""
    by_key = {m["key"]: m for m in manifest}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise AutocomposeError(f"answers for unknown render keys {unknown[:5]}; collect them with the manifest they came from")
    out = []
    for key, texts in answers.items():
        m = by_key[key]
        clean = [t.strip() for t in texts if isinstance(t, str) and t.strip()]
        if not clean:
            raise AutocomposeError(f"answer {key!r} has no text")
        out.append(
            QueryRecord(
                m["pair_id"],
                (m["reference"][0], int(m["reference"][1])),
                (m["target"][0], int(m["target"][1])),
                m.get("kind", "in_sequence"),
                clean,
                [{**writer, "texts": len(clean), "render": "RENDER_SETTINGS of autocompose.data.query_sets"}],
            )
        )
    return out


def merge_records(records: Sequence[QueryRecord]) -> list[QueryRecord]:
    """One record per pair: texts and writers of records naming the same frames joined, in order."""
    merged: dict[tuple[tuple[str, int], tuple[str, int]], QueryRecord] = {}
    for r in records:
        key = (r.reference, r.target)
        if key in merged:
            merged[key].texts.extend(r.texts)
            merged[key].writers.extend(r.writers)
        else:
            merged[key] = QueryRecord(r.pair_id, r.reference, r.target, r.kind, list(r.texts), list(r.writers))
    return list(merged.values())
