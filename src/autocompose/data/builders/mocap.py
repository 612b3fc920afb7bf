"""The real-motion CPR benchmark: pairs mined from real motion capture, split without leaks.

Any pose sources go in (collection folders such as ``../shared/mocap/bandai-namco`` or a fetched
copy, ``mocap:NAME``, BVH/AIST++/SMPL/COCO files or folders, ``builtin``). Two split plans:

* ``motion`` (default): every clip (take) goes wholly to one split, and where sequences carry a
  ``content`` label, a seeded share of the contents of each collection is **held out**: all
  their clips are test clips, an unseen-motion test (the card lists them). The other clips are
  split by take (70/15/15).
* ``cross-dataset``: train and val come from the ``--train-on`` collections (Bandai-Namco by
  default; val = 15 % of its takes), test from every other source (CMU + DeepMimic) — a model
  never sees the test collections' skeletons, performers or capture set-ups.
* ``test-only``: every clip is a test clip — an evaluation set such as the ``real-sample``
  clips, which no model may train on.

Pairs are mined within each split (``pairs.mining``), described by the offline annotators as
for the built-in benchmark, and the licence and attribution of every collection used are
recorded in the dataset card.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

from autocompose.data.build import BuildOptions, dataset_from_pairset
from autocompose.data.format import CPRDataset
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import MiningConfig, mine_pairs
from autocompose.pairs.pairset import PairSet
from autocompose.pairs.splits import assign_splits
from autocompose.poses.sequence import PoseSequence

SplitPlan = Literal["motion", "cross-dataset", "test-only"]

#: Share of each collection's content labels held out entirely for test in the ``motion`` plan.
HELD_OUT_SHARE = 0.2


def collection_of(seq: PoseSequence) -> str:
    """The collection a sequence comes from (``meta['collection']``, else its source kind)."""
    return str(seq.meta.get("collection") or seq.id.split("/", 1)[0])


def held_out_contents(sequences: Sequence[PoseSequence], share: float = HELD_OUT_SHARE, seed: int = 0) -> dict[str, list[str]]:
    """Per collection, the content labels whose clips all go to test (seeded, stable across machines).

    A collection with fewer than three labels holds nothing out (it could not keep a train set).
    """
    labels: dict[str, set[str]] = {}
    for s in sequences:
        if s.meta.get("content"):
            labels.setdefault(collection_of(s), set()).add(str(s.meta["content"]))
    out = {}
    for coll, names in sorted(labels.items()):
        if len(names) < 3:
            continue
        ordered = sorted(names, key=lambda n: (zlib.crc32(f"{seed}:{coll}:{n}".encode()), n))
        out[coll] = sorted(ordered[: max(1, round(len(names) * share))])
    return out


def split_sequences(
    sequences: Sequence[PoseSequence],
    plan: SplitPlan = "motion",
    train_on: Sequence[str] = ("bandai-namco",),
    held_out: dict[str, list[str]] | None = None,
    seed: int = 0,
) -> dict[str, str]:
    """Sequence id → split under ``plan`` (every take wholly in one split)."""
    if plan == "cross-dataset":
        train_side = [s for s in sequences if collection_of(s) in train_on]
        test_side = [s for s in sequences if collection_of(s) not in train_on]
        if not train_side or not test_side:
            found = sorted({collection_of(s) for s in sequences})
            raise AutocomposeError(
                f"the cross-dataset split needs sources from {list(train_on)} (train) and from another collection (test); "
                f"found {found}: add --source folders or change --train-on"
            )
        out = assign_splits(train_side, (0.85, 0.15, 0.0), "sequence", seed)
        out.update({s.id: "test" for s in test_side})
        return out
    if plan == "test-only":
        return {s.id: "test" for s in sequences}
    if plan != "motion":
        raise AutocomposeError(f"unknown split plan {plan!r}; use 'motion', 'cross-dataset' or 'test-only'")
    held = held_out if held_out is not None else {}
    unseen = {s.id for s in sequences if str(s.meta.get("content")) in held.get(collection_of(s), [])}
    rest = [s for s in sequences if s.id not in unseen]
    out = assign_splits(rest, (0.7, 0.15, 0.15), "sequence", seed) if rest else {}
    out.update({sid: "test" for sid in unseen})
    return out


def load_unique(sources: Sequence[str | Path], progress: bool = False) -> list[PoseSequence]:
    """Every sequence of every source; a sequence id that comes twice is an error naming it."""
    from autocompose.poses.sources import load_sources

    out = load_sources(sources, progress=progress)
    ids = [s.id for s in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise AutocomposeError(f"sources overlap: sequence ids {dup[:5]} come twice; give each folder once")
    return out


def collection_cards(sequences: Sequence[PoseSequence]) -> list[dict[str, object]]:
    """Licence and attribution of every collection the sequences come from (for the dataset card)."""
    from autocompose.poses.mocap import COLLECTIONS

    seen: dict[str, dict[str, object]] = {}
    for s in sequences:
        coll = collection_of(s)
        if coll in seen:
            continue
        info = COLLECTIONS.get(coll)
        if info is not None:
            seen[coll] = {
                "name": info.title,
                "collection": coll,
                "url": info.repository,
                "licence": info.licence,
                "licence_summary": info.licence_summary,
                "attribution": info.attribution,
            }
        else:
            seen[coll] = {"name": coll, "source": s.source, "licence": s.meta.get("licence", "see the source")}
    return list(seen.values())


def denser(mining: MiningConfig, density: float) -> MiningConfig:
    """``mining`` with references ``stride_s / density`` apart and ``density`` times the cap per clip."""
    return mining.model_copy(
        update={"stride_s": mining.stride_s / density, "max_per_sequence": round(mining.max_per_sequence * density)}
    )


def mine_split_densities(
    sequences: Sequence[PoseSequence],
    mining: MiningConfig,
    split_of: dict[str, str],
    train_density: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> PairSet:
    """Mine val/test with ``mining`` and train ``train_density`` times as densely.

    Denser training pairs (references ``stride_s / density`` apart, ``density`` times the cap
    per clip) add training data without changing the val and test pairs: those come from the
    same single mining call as at density 1, so every density shares one test set (and the
    committed query sets, which name test pairs by frames, still match).
    """
    base = mine_pairs(sequences, mining, progress, split_of=split_of)
    if train_density == 1.0:
        return base
    if train_density <= 0:
        raise AutocomposeError(f"train density must be positive, got {train_density}")
    train_of = {k: v for k, v in split_of.items() if v == "train"}
    parts = [base.subset([i for i, p in enumerate(base.pairs) if p.split != "train"])]
    if train_of:
        parts.append(mine_pairs([s for s in sequences if s.id in train_of], denser(mining, train_density), split_of=train_of))
    return PairSet.concat(parts, {**base.meta, "train_density": train_density})


def add_training_pairs(
    pairset: PairSet, extra: Sequence[PoseSequence], mining: MiningConfig, train_density: float = 1.0
) -> PairSet:
    """``pairset`` plus training pairs mined from ``extra`` sequences alone (val and test untouched).

    Extra training data (e.g. the built-in library next to real capture) never changes the
    benchmark's val and test pairs, so scores with and without it are comparable.
    """
    split_of = {s.id: "train" for s in extra}
    more = mine_pairs(list(extra), denser(mining, train_density), split_of=split_of)
    taken = {p.id for p in pairset.pairs}
    renamed = [replace(p, id=f"train-x{i:06d}") for i, p in enumerate(more.pairs)]
    if taken & {p.id for p in renamed}:  # pragma: no cover - ids of mine_pairs never start with train-x
        raise AutocomposeError("pair ids of the extra training pairs clash")
    more = PairSet(renamed, more.ref, more.tgt, more.mask, more.meta)
    return PairSet.concat([pairset, more], {**pairset.meta, "extra_train_pairs": len(renamed)})


def build_mocap(
    source: Sequence[Path] | Path | None,
    options: BuildOptions,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    plan: SplitPlan = "motion",
    train_on: Sequence[str] = ("bandai-namco",),
    sequences: Sequence[PoseSequence] | None = None,
    train_density: float = 1.0,
    extra_train: Sequence[Path | str] = (),
) -> CPRDataset:
    """Load the sources (or take ``sequences``), split by take / held-out content / collection, mine, describe."""
    if sequences is None:
        if not source:
            raise AutocomposeError(
                "mocap needs --source: one or more collection folders (e.g. ../shared/mocap/bandai-namco), "
                "mocap:NAME after `autocompose poses fetch NAME`, or pose files/folders"
            )
        sources = [source] if isinstance(source, Path) else list(source)
        sequences = load_unique(sources, progress=progress is not None)
    held = held_out_contents(sequences, seed=options.seed) if plan == "motion" else {}
    split_of = split_sequences(sequences, plan, train_on, held, options.seed)
    tick = progress("mine pairs", len(split_of)) if progress else None
    pairset = mine_split_densities(sequences, options.mining, split_of, train_density, tick)
    if extra_train:
        extra = load_unique(list(extra_train), progress=progress is not None)
        clash = {s.id for s in extra} & {s.id for s in sequences}
        if clash:
            raise AutocomposeError(f"--extra-train repeats sequences of --source: {sorted(clash)[:3]}")
        pairset = add_training_pairs(pairset, extra, options.mining, train_density)
        sequences = [*sequences, *extra]
        split_of = {**split_of, **{s.id: "train" for s in extra}}
    if not pairset.pairs:
        raise AutocomposeError("no pairs were mined from these sources (clips too short, or difference bounds too tight?)")
    colls = collection_cards(sequences)
    name = {"motion": "real-cpr", "cross-dataset": "real-cpr-xdata", "test-only": "real-eval"}[plan]
    per_split: dict[str, dict[str, int]] = {}
    for s in sequences:
        c = per_split.setdefault(split_of[s.id], {})
        c[collection_of(s)] = c.get(collection_of(s), 0) + 1
    card = {
        "description": (
            "Composed pose retrieval pairs mined from real motion capture "
            f"({len(sequences)} clips of {', '.join(sorted({collection_of(s) for s in sequences}))}); "
            + (
                "split by take, with held-out contents as an unseen-motion test."
                if plan == "motion"
                else "every clip is a test clip (evaluation only)."
                if plan == "test-only"
                else f"cross-dataset: train/val on {', '.join(train_on)}, test on the other collections."
            )
        ),
        "sources": colls,
        "licence": "; ".join(f"{c['name']}: {c['licence']}" for c in colls),
        "attribution": [c["attribution"] for c in colls if "attribution" in c],
        "split_by": f"take ({plan})",
        "build": {
            "builder": "mocap",
            "plan": plan,
            "train_on": list(train_on) if plan == "cross-dataset" else None,
            "held_out_contents": held,
            "train_density": train_density,
            "extra_train": [str(x) for x in extra_train],
            "clips_per_split": per_split,
            "sources": [str(s) for s in (source if isinstance(source, list | tuple) else [source])] if source else [],
        },
    }
    ds = dataset_from_pairset(name, pairset, sequences, options, card, progress=progress)
    attach_committed_queries(ds)
    return ds


def attach_committed_queries(ds: CPRDataset) -> int:
    """Attach the committed human-style query sets of this benchmark (``data/query_sets/``):
    ``NAME.human.jsonl`` on test pairs (the test queries) and, where there is one,
    ``NAME.val.human.jsonl`` on val pairs (early stopping and recipe choice on human-style text).

    The sets name pairs by frames; they match when the benchmark was built from the same
    collections with the default options (the pairs they were written for). Returns the test
    pairs matched.
    """
    from autocompose.data.query_sets import QUERY_SET_DIR, attach_query_set, read_query_set

    matched = {"test": 0, "val": 0}
    for split, name, key in (
        ("test", f"{ds.name}.human.jsonl", "human_query_set"),
        ("val", f"{ds.name}.val.human.jsonl", "human_val_query_set"),
    ):
        path = QUERY_SET_DIR / name
        if path.exists():
            matched[split] = attach_query_set(ds, read_query_set(path), split=split)
            ds.card["build"][key] = {"file": f"autocompose/data/query_sets/{name}", "pairs_matched": matched[split]}
    return matched["test"]
