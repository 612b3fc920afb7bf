"""Train/val/test assignment by subject (or by sequence): never by frame, so no leakage."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Literal

from autocompose.poses.sequence import PoseSequence

SPLITS: tuple[str, ...] = ("train", "val", "test")
SplitBy = Literal["auto", "subject", "sequence"]


def split_groups(sequences: Sequence[PoseSequence], by: SplitBy = "auto") -> tuple[str, dict[str, str]]:
    """The grouping actually used and each sequence's group key.

    ``auto`` groups by subject when every sequence has one and there are at least three
    subjects (one per split), else by sequence.
    """
    subjects = {s.subject for s in sequences}
    if by == "auto":
        by = "subject" if None not in subjects and len(subjects) >= 3 else "sequence"
    if by == "subject" and None in subjects:
        missing = [s.id for s in sequences if s.subject is None][:5]
        raise ValueError(f"split by subject needs a subject on every sequence; none on {missing}")
    return by, {s.id: (s.subject if by == "subject" else s.id) for s in sequences}  # type: ignore[misc]


def assign_splits(
    sequences: Sequence[PoseSequence],
    ratios: tuple[float, float, float] = (0.7, 0.15, 0.15),
    by: SplitBy = "auto",
    seed: int = 0,
) -> dict[str, str]:
    """Map every sequence id to ``train``/``val``/``test``; all of a group goes to one split.

    Groups are ordered by a seeded hash (stable across runs and machines) and cut by
    ``ratios``; with at least three groups, val and test get at least one each.
    """
    if len(ratios) != 3 or min(ratios) < 0 or sum(ratios) <= 0:
        raise ValueError(f"ratios must be three non-negative numbers (train, val, test), got {ratios}")
    ids = [s.id for s in sequences]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise ValueError(f"sequence ids must be unique; duplicated: {dup}")
    _, group_of = split_groups(sequences, by)
    groups = sorted(set(group_of.values()), key=lambda g: (zlib.crc32(f"{seed}:{g}".encode()), g))
    n = len(groups)
    total = sum(ratios)
    n_val = round(n * ratios[1] / total)
    n_test = round(n * ratios[2] / total)
    if n >= 3:
        n_val = max(n_val, 1 if ratios[1] > 0 else 0)
        n_test = max(n_test, 1 if ratios[2] > 0 else 0)
    n_train = max(n - n_val - n_test, 0)
    split_of_group = {}
    for i, g in enumerate(groups):
        split_of_group[g] = "train" if i < n_train else "val" if i < n_train + n_val else "test"
    return {sid: split_of_group[group_of[sid]] for sid in ids}
