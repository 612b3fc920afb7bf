"""Bring your own test set: hand-annotated pairs of frames of your own pose files become a CPR benchmark.

Inputs:

* pose sources (``--source``, repeatable; anything ``poses.sources`` reads);
* a pairs file (``--pairs``, JSON Lines), one pair per line::

      {"id": "p1", "reference": {"sequence": "clips/squat.bvh", "frame": 10},
       "target": {"sequence": "clips/squat.bvh", "frame": 55},
       "texts": ["squat down and raise both arms", "bajar en cuclillas"]}

  ``sequence`` is a sequence id, a source file path, or a file name (without suffix);
  ``id`` is optional (line number otherwise); ``texts`` any number, any language;
* a gallery (``--gallery``): ``every:N`` (every Nth frame of every source, the default
  ``every:15``), ``targets`` (targets and references only) or a JSON Lines file of
  ``{"sequence": …, "frame": …}``. Every pair's reference and target are always in it.

The texts become the ``human`` description source and the test queries, so
``autocompose evaluate CKPT DATASET`` scores a model on text someone wrote. Offline
annotators still describe each pair (so you can compare their wording with yours).
Errors name the file, the line and the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autocompose.data.build import BuildOptions, dataset_from_pairset, pose_id, pose_table
from autocompose.data.builders.mocap import collection_cards, load_unique
from autocompose.data.format import CPRDataset, Gallery, safe_id
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import place_like
from autocompose.pairs.pairset import Pair, PairSet
from autocompose.poses.sequence import PoseSequence
from autocompose.poses.transforms import pose_difference


class SequenceIndex:
    """Finds a sequence by id, by source path or by file name."""

    def __init__(self, sequences: Sequence[PoseSequence]) -> None:
        self.sequences = list(sequences)
        self.by_key: dict[str, PoseSequence | None] = {}
        for s in sequences:
            keys = {s.id}
            if s.source:
                path = Path(s.source.split(":", 1)[-1])
                keys |= {str(path), str(path.resolve()) if path.exists() else str(path), path.name, path.stem}
            for k in keys:
                # a file name shared by two sequences is ambiguous: remember that, refuse it when asked
                self.by_key[k] = None if k in self.by_key and self.by_key[k] is not s else s

    def find(self, key: str, where: str) -> PoseSequence:
        candidates = [key]
        if Path(key).exists():
            candidates.append(str(Path(key).resolve()))
        for k in candidates:
            if k in self.by_key:
                found = self.by_key[k]
                if found is None:
                    raise AutocomposeError(f"{where}: sequence {key!r} is ambiguous (several sources have that name); use its id")
                return found
        some = ", ".join(s.id for s in self.sequences[:5])
        raise AutocomposeError(
            f"{where}: unknown sequence {key!r}; use a sequence id, a source file path or its file name (ids: {some}, …)"
        )


def _frame_ref(rec: dict[str, Any], key: str, index: SequenceIndex, where: str) -> tuple[PoseSequence, int]:
    value = rec.get(key)
    if not isinstance(value, dict) or "sequence" not in value or "frame" not in value:
        raise AutocomposeError(f'{where}: field {key!r} must be {{"sequence": ID_OR_FILE, "frame": N}}, got {value!r}')
    seq = index.find(str(value["sequence"]), f"{where}: {key}.sequence")
    frame = value["frame"]
    if isinstance(frame, bool) or not isinstance(frame, int) or not 0 <= frame < len(seq):
        raise AutocomposeError(f"{where}: {key}.frame must be an integer in 0..{len(seq) - 1} for {seq.id}, got {frame!r}")
    return seq, frame


def read_pairs_file(path: Path, index: SequenceIndex) -> tuple[list[Pair], dict[str, list[str]]]:
    """Pairs (all in the test split) and their texts, validated line by line."""
    if not path.is_file():
        raise AutocomposeError(f"{path}: pairs file not found (JSON Lines, one pair per line; see `dataset build --help`)")
    pairs: list[Pair] = []
    texts: dict[str, list[str]] = {}
    for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}: line {ln}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AutocomposeError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(rec, dict):
            raise AutocomposeError(f"{where}: a pair must be a JSON object, got {type(rec).__name__}")
        ref_seq, ref_frame = _frame_ref(rec, "reference", index, where)
        tgt_seq, tgt_frame = _frame_ref(rec, "target", index, where)
        raw = rec.get("texts")
        if not isinstance(raw, list) or not raw or not all(isinstance(t, str) and t.strip() for t in raw):
            raise AutocomposeError(f"{where}: field 'texts' must be a non-empty list of non-empty strings, got {raw!r}")
        pid = safe_id(str(rec.get("id", f"pair-{ln:06d}")))
        if pid in texts:
            raise AutocomposeError(f"{where}: field 'id': {pid!r} is used twice")
        mask = ref_seq.joint_mask & tgt_seq.joint_mask
        diff = float(pose_difference(ref_seq.joints[ref_frame], tgt_seq.joints[tgt_frame], mask))
        kind = "in_sequence" if ref_seq.id == tgt_seq.id else "cross_sequence"
        pairs.append(Pair(pid, "test", kind, ref_seq.id, ref_frame, tgt_seq.id, tgt_frame, round(diff, 5)))  # type: ignore[arg-type]
        texts[pid] = [t.strip() for t in raw]
    if not pairs:
        raise AutocomposeError(f"{path}: no pairs (the file is empty)")
    return pairs, texts


def gallery_frames(spec: str, sequences: Sequence[PoseSequence], index: SequenceIndex) -> list[tuple[str, int]]:
    """(sequence id, frame) of the gallery named by ``spec`` (pairs' poses are added by the caller)."""
    if spec == "targets":
        return []
    if spec.startswith("every:"):
        try:
            step = int(spec.split(":", 1)[1])
        except ValueError:
            step = 0
        if step < 1:
            raise AutocomposeError(f"gallery {spec!r}: use every:N with N a positive integer (e.g. every:15)")
        return [(s.id, f) for s in sequences for f in range(0, len(s), step)]
    path = Path(spec)
    if not path.is_file():
        raise AutocomposeError(f"gallery {spec!r}: use every:N, targets, or a JSON Lines file of {{sequence, frame}}")
    out = []
    for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AutocomposeError(f"{path}: line {ln}: not JSON ({exc.msg})") from None
            seq, frame = _frame_ref({"pose": rec}, "pose", index, f"{path}: line {ln}")
            out.append((seq.id, frame))
    return out


def build_custom(
    source: Sequence[Path] | Path | None,
    options: BuildOptions,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    pairs_file: Path | None = None,
    gallery: str = "every:15",
    name: str = "custom-cpr",
) -> CPRDataset:
    """A test-only benchmark from your pose files, your pairs and your texts (the ``human`` queries)."""
    if not source:
        raise AutocomposeError("custom needs --source (your pose files or folders) and --pairs FILE.jsonl")
    if pairs_file is None:
        raise AutocomposeError("custom needs --pairs FILE.jsonl: one {reference, target, texts} object per line")
    sources = [source] if isinstance(source, Path) else list(source)
    sequences = load_unique(sources, progress=progress is not None)
    index = SequenceIndex(sequences)
    pairs, texts = read_pairs_file(Path(pairs_file), index)
    by_id = {s.id: s for s in sequences}
    refs = np.stack([by_id[p.ref_seq].joints[p.ref_frame] for p in pairs])
    # as mining does: a target from another clip is re-placed at the reference's position and facing,
    # so the describers do not narrate the turn and travel between two recordings
    tgts = np.stack([by_id[p.tgt_seq].joints[p.tgt_frame] for p in pairs])
    for i, p in enumerate(pairs):
        if p.kind == "cross_sequence":
            tgts[i] = place_like(tgts[i], refs[i])
    masks = np.stack([by_id[p.ref_seq].joint_mask & by_id[p.tgt_seq].joint_mask for p in pairs])
    pairset = PairSet(pairs, refs.astype(np.float32), tgts.astype(np.float32), masks, {"split_by": "given (test only)"})
    card = {
        "description": f"Hand-annotated composed pose retrieval test set from {pairs_file} ({len(pairs)} pairs).",
        "sources": collection_cards([by_id[k] for k in dict.fromkeys([p.ref_seq for p in pairs] + [p.tgt_seq for p in pairs])]),
        "licence": "as the pose sources and the pairs file",
        "split_by": "given (every pair is a test pair)",
        "build": {"builder": "custom", "pairs": str(pairs_file), "gallery": gallery, "sources": [str(s) for s in sources]},
    }
    human = {pid: {"original": t} for pid, t in texts.items()}
    opts = options.model_copy(update={"query_source": "human"})
    ds = dataset_from_pairset(name, pairset, sequences, opts, card, extra_descriptions={"human": human}, progress=progress)
    extra = gallery_frames(gallery, sequences, index)
    keys = list(dict.fromkeys([(s, f) for p in pairs for s, f in ((p.ref_seq, p.ref_frame), (p.tgt_seq, p.tgt_frame))] + extra))
    ds.poses = pose_table(keys, by_id)
    ds.galleries = {"test": Gallery(sorted({pose_id(s, f) for s, f in keys}))}
    ds.card["descriptions"]["human"] = {"kind": "human", "written_by": "the pairs file", "file": str(pairs_file)}
    return ds
