"""Mining reference/target pairs, in-sequence and cross-sequence, within each split.

Differences are measured after ``poses.transforms.normalise`` (root-centred, facing +z),
as the mean per-joint distance in metres over joints valid in both poses.

* In-sequence: references every ``stride_s`` seconds; for each, a few targets at a
  frame gap in [``min_gap_s``, ``max_gap_s``]; one whose difference is within
  [``min_diff``, ``max_diff``] is kept.
* Cross-sequence: for sampled references, the nearest poses of *other* sequences of the
  same split (never another split) within the difference bounds; one of the
  ``neighbours`` nearest is kept. The target is re-placed at the reference's root
  position and facing, because two recordings share no world frame.

Deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field, model_validator

from autocompose.pairs.pairset import Pair, PairSet
from autocompose.pairs.splits import SPLITS, SplitBy, assign_splits, split_groups
from autocompose.poses.sequence import PoseSequence
from autocompose.poses.skeleton import joint_index
from autocompose.poses.transforms import facing_angle, normalise, rotate_y

_PELVIS = joint_index("pelvis")


class MiningConfig(BaseModel):
    """Options of ``mine_pairs`` (all documented in ``autocompose pairs mine --help``)."""

    stride_s: float = Field(0.5, gt=0, description="seconds between candidate reference frames")
    min_gap_s: float = Field(0.3, ge=0, description="smallest frame gap for in-sequence pairs (s)")
    max_gap_s: float = Field(3.0, gt=0, description="largest frame gap for in-sequence pairs (s)")
    min_diff: float = Field(0.06, ge=0, description="smallest pose difference kept (m, mean per joint)")
    max_diff: float = Field(0.45, gt=0, description="largest pose difference kept (m, mean per joint)")
    tries: int = Field(6, ge=1, description="target candidates tried per reference")
    cross_fraction: float = Field(0.3, ge=0, le=1, description="share of pairs that are cross-sequence")
    neighbours: int = Field(5, ge=1, description="cross-sequence target drawn among this many nearest")
    max_per_sequence: int = Field(40, ge=1, description="cap on in-sequence pairs per sequence")
    split_by: SplitBy = "auto"
    ratios: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0

    @model_validator(mode="after")
    def _bounds(self) -> MiningConfig:
        if self.min_gap_s > self.max_gap_s:
            raise ValueError(f"min_gap_s ({self.min_gap_s}) must not exceed max_gap_s ({self.max_gap_s})")
        if self.min_diff >= self.max_diff:
            raise ValueError(f"min_diff ({self.min_diff}) must be below max_diff ({self.max_diff})")
        return self


def _difference(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(a - b, axis=-1)
    return (d * mask).sum(-1) / np.maximum(mask.sum(-1), 1)


def place_like(target: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Move and turn ``target`` so its root and facing match ``reference`` (height kept)."""
    centred = target.copy()
    centred[:, [0, 2]] -= target[_PELVIS, [0, 2]]
    turned = rotate_y(centred, facing_angle(reference) - facing_angle(target))
    turned[:, [0, 2]] += reference[_PELVIS, [0, 2]]
    return turned


def mine_pairs(
    sequences: Sequence[PoseSequence],
    config: MiningConfig | None = None,
    progress: Callable[[int], None] | None = None,
    split_of: Mapping[str, str] | None = None,
) -> PairSet:
    """Mine pairs from ``sequences``; ``progress(n)`` is called as sequences are done.

    ``split_of`` (sequence id → split) replaces the by-subject assignment, e.g. with a
    dataset's official split files; sequences it does not list are left out.
    """
    cfg = config or MiningConfig()
    if split_of is not None:
        sequences = [s for s in sequences if s.id in split_of]
        bad = sorted(set(split_of.values()) - set(SPLITS))
        if bad:
            raise ValueError(f"split_of names unknown splits {bad}; use {SPLITS}")
    if not sequences:
        raise ValueError("mine_pairs needs at least one sequence")
    rng = np.random.default_rng(cfg.seed)
    if split_of is None:
        split_of = assign_splits(sequences, cfg.ratios, cfg.split_by, cfg.seed)
        grouping, _ = split_groups(sequences, cfg.split_by)
    else:
        grouping = "given"
    pairs: list[Pair] = []
    refs: list[np.ndarray] = []
    tgts: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    # per split: candidate frames for cross-sequence mining
    pools: dict[str, list[tuple[int, int]]] = {s: [] for s in SPLITS}

    def add(kind: str, seq_a: PoseSequence, fa: int, seq_b: PoseSequence, fb: int, diff: float, tgt: np.ndarray) -> None:
        split = split_of[seq_a.id]
        pairs.append(Pair(f"{split}-{len(pairs):06d}", split, kind, seq_a.id, fa, seq_b.id, fb, round(float(diff), 5)))  # type: ignore[arg-type]
        refs.append(seq_a.joints[fa])
        tgts.append(tgt)
        masks.append(seq_a.joint_mask & seq_b.joint_mask)

    for si, seq in enumerate(sequences):
        stride = max(1, round(cfg.stride_s * seq.fps))
        lo, hi = max(1, round(cfg.min_gap_s * seq.fps)), max(1, round(cfg.max_gap_s * seq.fps))
        norm = normalise(seq.joints)
        starts = np.arange(0, len(seq), stride)
        pools[split_of[seq.id]].extend((si, int(f)) for f in starts)
        kept = 0
        for fa in rng.permutation(starts):
            if kept >= cfg.max_per_sequence:
                break
            gaps = rng.integers(lo, hi + 1, size=cfg.tries) * rng.choice([-1, 1], size=cfg.tries)
            cand = np.unique(fa + gaps)
            cand = cand[(cand >= 0) & (cand < len(seq))]  # out-of-range targets are dropped, not clipped
            if cand.size == 0:
                continue
            diff = _difference(norm[fa][None], norm[cand], seq.joint_mask[None])
            ok = np.flatnonzero((diff >= cfg.min_diff) & (diff <= cfg.max_diff))
            if ok.size:
                pick = int(rng.choice(ok))
                add("in_sequence", seq, int(fa), seq, int(cand[pick]), diff[pick], seq.joints[cand[pick]])
                kept += 1
        if progress:
            progress(1)

    n_in = len(pairs)
    want_cross = round(n_in * cfg.cross_fraction / max(1e-9, 1 - cfg.cross_fraction)) if cfg.cross_fraction < 1 else n_in
    for split in SPLITS:
        pool = pools[split]
        if len({si for si, _ in pool}) < 2:
            continue
        share = sum(1 for p in pairs[:n_in] if p.split == split) / max(n_in, 1)
        n_want = round(want_cross * share)
        seq_idx = np.array([si for si, _ in pool])
        frames = np.array([f for _, f in pool])
        feats = np.stack([normalise(sequences[si].joints[f]) for si, f in pool])
        valid = np.stack([sequences[si].joint_mask for si, _ in pool])
        for qi in rng.permutation(len(pool))[: n_want * 2]:
            if n_want <= 0:
                break
            common = valid & valid[qi]
            diff = _difference(feats[qi][None], feats, common)
            ok = (seq_idx != seq_idx[qi]) & (diff >= cfg.min_diff) & (diff <= cfg.max_diff)
            cand = np.flatnonzero(ok)
            if cand.size == 0:
                continue
            nearest = cand[np.argsort(diff[cand])[: cfg.neighbours]]
            ti = int(rng.choice(nearest))
            a, b = sequences[seq_idx[qi]], sequences[seq_idx[ti]]
            tgt = place_like(b.joints[frames[ti]], a.joints[frames[qi]])
            add("cross_sequence", a, int(frames[qi]), b, int(frames[ti]), diff[ti], tgt)
            n_want -= 1

    meta = {
        "config": cfg.model_dump(),
        "split_by": grouping,
        "sequences": {
            s.id: {"split": split_of[s.id], "subject": s.subject, "frames": len(s), "fps": s.fps, "source": s.source}
            for s in sequences
        },
    }
    if not pairs:
        from autocompose.poses.skeleton import NUM_JOINTS

        empty = np.zeros((0, NUM_JOINTS, 3), np.float32)
        return PairSet([], empty, empty.copy(), np.zeros((0, NUM_JOINTS), bool), meta)
    return PairSet(pairs, np.stack(refs).astype(np.float32), np.stack(tgts).astype(np.float32), np.stack(masks), meta)
