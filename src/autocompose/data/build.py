"""Assembling a CPRDataset from sequences and pairs: pose table, descriptions, galleries, stats.

Every builder (built-in, AIST++, PoseFix, FIXMYPOSE) ends here, so pose ids, gallery rules
and the statistics printed after a build are the same for all of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from autocompose.data.format import SPLIT_NAMES, CPRDataset, CPRPair, Descriptions, Gallery, PoseTable, safe_id
from autocompose.describe import get_annotator
from autocompose.describe.base import VARIANTS
from autocompose.describe.variants import describe_variants
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import MiningConfig
from autocompose.pairs.pairset import PairSet
from autocompose.poses.sequence import PoseSequence

#: description source name → kind, for the card
SOURCE_KINDS = {
    "human": "human",
    "kinematic": "kinematic",
    "rules": "rules",
    "posefix-auto": "rules",
    "posefix-paraphrases": "mllm",
}


class BuildOptions(BaseModel):
    """Choices every builder shares (``autocompose dataset build --help`` lists them)."""

    annotators: tuple[str, ...] = Field(("kinematic", "rules"), description="offline annotators run on every pair")
    k: int = Field(3, ge=1, le=10, description="phrasings per pair and variant")
    variants: tuple[str, ...] = Field(("mirror", "reverse"), description="AutoComPose augmentations to describe")
    query_source: str = Field("human", description="description source used as test queries (falls back to the first annotator)")
    gallery: str = Field("split", description="'split': every pose of the split's pairs; 'targets': only target poses")
    mining: MiningConfig = Field(default_factory=MiningConfig)
    seed: int = 0


def pose_id(sequence: str, frame: int) -> str:
    """Stable, URL- and file-name-safe id of one frame of one sequence."""
    return safe_id(f"{sequence}_f{frame:06d}")


def pose_table(keys: Iterable[tuple[str, int]], sequences: Mapping[str, PoseSequence]) -> PoseTable:
    """Deduplicated table of the (sequence, frame) poses, in first-seen order."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        raise AutocomposeError("no poses to store: the build produced no pairs (loosen the mining bounds?)")
    seqs = [sequences[s] for s, _ in unique]
    return PoseTable(
        ids=[pose_id(s, f) for s, f in unique],
        sequence=[s for s, _ in unique],
        frame=[f for _, f in unique],
        subject=[q.subject or "" for q in seqs],
        joints=np.stack([q.joints[f] for q, (_, f) in zip(seqs, unique, strict=True)]).astype(np.float32),
        mask=np.stack([q.joint_mask for q in seqs]),
    )


def galleries_for(pairs: Sequence[CPRPair], rule: str = "split") -> dict[str, Gallery]:
    """Per split: the de-duplicated poses its queries rank (all poses of its pairs, or targets only)."""
    if rule not in ("split", "targets"):
        raise ValueError(f"gallery rule must be 'split' or 'targets', got {rule!r}")
    out = {}
    for split in SPLIT_NAMES:
        ids: dict[str, None] = {}
        for p in pairs:
            if p.split == split:
                if rule == "split":
                    ids[p.ref] = None
                ids[p.tgt] = None
        if ids:
            out[split] = Gallery(sorted(ids))
    return out


def describe_pairset(
    pairset: PairSet,
    annotator_name: str,
    k: int,
    variants: Iterable[str],
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, dict[str, list[str]]]:
    """Texts per pair id and variant from one offline annotator (pairs described as mined)."""
    annotator = get_annotator(annotator_name)
    out: dict[str, dict[str, list[str]]] = {}
    for i, (pair, a, b, mask) in enumerate(pairset):
        described = describe_variants(annotator, a, b, k, mask, seed + i, variants)
        out[pair.id] = {v: [d.text for d in ds] for v, ds in described.items()}
        if progress:
            progress(1)
    return out


def descriptions_from_annotations(path: Path, cycle_pass_only: bool = False) -> dict[str, dict[str, list[str]]]:
    """Texts per pair and variant from an ``autocompose annotate`` JSONL (any annotator, MLLM too).

    Records that failed the cycle-consistency check keep their texts unless ``cycle_pass_only``.
    """
    out: dict[str, dict[str, list[str]]] = {}
    for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if cycle_pass_only and not rec["cycle_pass"]:
                continue
            out[rec["pair_id"]] = {v: [d["text"] for d in ds] for v, ds in rec["variants"].items() if v in VARIANTS}
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise AutocomposeError(
                f"{path}: line {ln}: not an annotation record ({exc!r}); write it with `autocompose annotate`"
            ) from exc
    return out


def fill_descriptions(
    texts: dict[str, dict[str, list[str]]], fallback: dict[str, dict[str, list[str]]]
) -> tuple[dict[str, dict[str, list[str]]], int]:
    """``texts`` with every (pair, variant) it lacks taken from ``fallback``, and how many were taken.

    E.g. MLLM answers for some training pairs and the kinematic describer's text for the rest (and
    for val, so early stopping has queries), as one training source."""
    out = {pid: dict(variants) for pid, variants in texts.items()}
    filled = 0
    for pid, variants in fallback.items():
        for variant, vtexts in variants.items():
            if vtexts and not out.get(pid, {}).get(variant):
                out.setdefault(pid, {})[variant] = list(vtexts)
                filled += 1
    return out, filled


def dataset_from_pairset(
    name: str,
    pairset: PairSet,
    sequences: Sequence[PoseSequence],
    options: BuildOptions,
    card: dict[str, Any],
    extra_descriptions: Descriptions | None = None,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> CPRDataset:
    """Poses from the original frames, pairs, offline descriptions and galleries."""
    by_id = {s.id: s for s in sequences}
    pairs = [
        CPRPair(p.id, p.split, p.kind, pose_id(p.ref_seq, p.ref_frame), pose_id(p.tgt_seq, p.tgt_frame), p.difference)
        for p in pairset.pairs
    ]
    table = pose_table((key for p in pairset.pairs for key in ((p.ref_seq, p.ref_frame), (p.tgt_seq, p.tgt_frame))), by_id)
    descriptions: Descriptions = dict(extra_descriptions or {})
    for ann in options.annotators:
        tick = progress(f"describe ({ann})", len(pairset)) if progress else None
        descriptions[ann] = describe_pairset(pairset, ann, options.k, options.variants, options.seed, tick)
    query = (
        options.query_source if options.query_source in descriptions else options.annotators[0] if options.annotators else None
    )
    full_card = {
        **card,
        "build": {**card.get("build", {}), "options": options.model_dump(mode="json")},
        "queries": {"train": sorted(descriptions), "test": query},
        "descriptions": {
            s: {
                "kind": SOURCE_KINDS.get(s, "mllm"),
                **({"annotator_version": get_annotator(s).version} if s in options.annotators else {}),
            }
            for s in descriptions
        },
    }
    return CPRDataset(name, "pose3d", table, pairs, descriptions, galleries_for(pairs, options.gallery), full_card)


def statistics(ds: CPRDataset) -> dict[str, Any]:
    """Counts plus the pose-difference distribution per split (for the printed summary)."""
    stats: dict[str, Any] = ds.counts()
    diffs = {s: [p.difference for p in ds.split(s) if p.difference is not None] for s in SPLIT_NAMES}
    stats["difference_m"] = {
        s: {"mean": round(float(np.mean(d)), 4), "median": round(float(np.median(d)), 4)} for s, d in diffs.items() if d
    }
    return stats


def plot_differences(ds: CPRDataset, path: Path) -> Path | None:
    """Histogram of pose differences per split, saved as PNG (None when no pair has one)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    diffs = {s: [p.difference for p in ds.split(s) if p.difference is not None] for s in SPLIT_NAMES}
    if not any(diffs.values()):
        return None
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    bins = np.linspace(0, max(max(d) for d in diffs.values() if d), 30)
    for split, d in diffs.items():
        if d:
            ax.hist(d, bins=bins, alpha=0.55, label=f"{split} ({len(d)})")
    ax.set_xlabel("pose difference (mean per-joint distance, m)")
    ax.set_ylabel("pairs")
    ax.set_title(f"{ds.name}: reference → target difference")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
