"""Training samples the AutoComPose way, from a CPR dataset.

Each epoch, for every training pair: a variant drawn uniformly among the enabled ones that
have text, a caption uniformly among its first k; mirrored variants use the mirrored poses,
reversed ones swap reference and target. With the cycle loss a second caption T' is drawn
from the opposite-direction variant (original ↔ reversed, mirrored ↔ mirrored_reversed). With
hard negatives, each pair also brings other training poses of its target's clip (``clip_negatives``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from autocompose.data.format import CPRDataset
from autocompose.errors import AutocomposeError
from autocompose.poses.transforms import mirror, mirror_mask
from autocompose.retrieval.augment import draw_factors, rebuild_with_proportions
from autocompose.retrieval.config import AugmentConfig
from autocompose.retrieval.encoders import PoseInput, pose_features

OPPOSITE = {"original": "reversed", "reversed": "original", "mirrored": "mirrored_reversed", "mirrored_reversed": "mirrored"}


@dataclass
class Batch:
    ref: np.ndarray  # (B,) row into the pose feature table (mirrored rows offset by P)
    tgt: np.ndarray
    text: np.ndarray  # (B,) row into the text table
    back_text: np.ndarray  # (B,) opposite-direction text, -1 when none
    negatives: np.ndarray | None = None  # (B, m) extra negative pose rows from each target's clip


@dataclass
class TrainingData:
    features: np.ndarray  # (2P, F): poses, then their mirrors
    texts: list[str]  # unique texts used
    ref: np.ndarray  # (N,) pose rows of the training pairs
    tgt: np.ndarray
    options: list[dict[str, list[int]]]  # per pair: variant -> text rows (first k)
    joints: np.ndarray | None = None  # (2P, J, 3) poses then mirrors, kept for on-the-fly augmentation
    mask: np.ndarray | None = None  # (2P, J)
    kind: PoseInput = "joints"
    clip_rows: list[np.ndarray] | None = None  # per pose row < P: hard-negative rows of its clip (``clip_negatives``)

    @staticmethod
    def build(
        ds: CPRDataset, split: str, source: str, k: int, variants: tuple[str, ...], kind: PoseInput = "joints"
    ) -> TrainingData:
        if ds.poses.joints is None:
            raise AutocomposeError(f"dataset {ds.name!r} is image-only; the pose model needs 3D joints")
        if source not in ds.descriptions:
            raise AutocomposeError(f"dataset {ds.name!r} has no description source {source!r}; it has {ds.sources()}")
        joints, mask = ds.poses.joints, ds.poses.mask
        joints2 = np.concatenate([joints, mirror(joints)])
        mask2 = np.concatenate([mask, mirror_mask(mask)])
        feats = pose_features(joints2, mask2, kind)
        table: dict[str, int] = {}
        refs, tgts, options = [], [], []
        for p in ds.split(split):
            opts = {}
            for v in variants:
                texts = ds.texts(source, p.id, v)[:k]
                if texts:
                    opts[v] = [table.setdefault(t, len(table)) for t in texts]
            if opts:
                refs.append(ds.poses.index(p.ref))
                tgts.append(ds.poses.index(p.tgt))
                options.append(opts)
        if not options:
            raise AutocomposeError(f"no {split} pair of {ds.name!r} has {source!r} text for variants {variants}")
        return TrainingData(feats, list(table), np.array(refs), np.array(tgts), options, joints2, mask2, kind)

    def augmented_features(self, ref: np.ndarray, tgt: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator):
        """Features of a batch's references and targets with one proportion draw per pair."""
        factors = draw_factors(len(ref), rng, cfg.proportions, cfg.scale)
        return self._proportioned_features(ref, factors), self._proportioned_features(tgt, factors)

    def augmented_rows(self, rows: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
        """Features of single poses (hard negatives), each with its own proportion draw."""
        return self._proportioned_features(rows, draw_factors(len(rows), rng, cfg.proportions, cfg.scale))

    def _proportioned_features(self, rows: np.ndarray, factors: np.ndarray) -> np.ndarray:
        if self.joints is None or self.mask is None:
            raise AutocomposeError("augmentation needs the training poses (build TrainingData with joints)")
        return pose_features(rebuild_with_proportions(self.joints[rows], factors), self.mask[rows], self.kind)

    def clip_negatives(self, ds: CPRDataset, min_distance: float) -> None:
        """For every training pose, the other training poses of its clip (sequence) at least
        ``min_distance`` (m, mean per-joint, pelvis-centred and facing-canonical) from it: the poses a
        gallery holds beside a target, which a random batch rarely contains. Closer ones are left out:
        they are the target for every purpose (the evaluation's near-duplicate rule)."""
        from autocompose.retrieval.evaluate import canonical_distances

        n_p = len(self.features) // 2
        assert ds.poses.joints is not None and ds.poses.mask is not None
        train_rows = np.unique(np.concatenate([self.ref, self.tgt]))
        sequence = np.asarray(ds.poses.sequence)
        rows: list[np.ndarray] = [np.zeros(0, np.int64) for _ in range(n_p)]
        for seq in np.unique(sequence[train_rows]):
            members = train_rows[sequence[train_rows] == seq]
            if len(members) < 2:
                continue
            far = canonical_distances(ds.poses.joints, ds.poses.mask, members, members) >= min_distance
            for i, row in enumerate(members):
                rows[int(row)] = members[far[i]]
        self.clip_rows = rows

    def __len__(self) -> int:
        return len(self.options)

    def batches(
        self, batch_size: int, seed: int, epoch: int, rank: int = 0, world: int = 1, negatives: int = 0
    ) -> Iterator[Batch]:
        """One epoch of batches, deterministic for (seed, epoch); rank/world shard it for DDP. With
        ``negatives`` (and ``clip_negatives`` run), each pair brings that many poses of its target's
        clip (mirrored with it; the target itself where its clip has none far enough)."""
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(len(self))
        n_p = len(self.features) // 2
        per_rank = len(order) // world
        order = order[rank * per_rank : (rank + 1) * per_rank]
        for start in range(0, len(order) - 1, batch_size):
            idx = order[start : start + batch_size]
            if len(idx) < 2:
                break
            ref, tgt, text, back, negs = [], [], [], [], []
            for i in idx:
                opts = self.options[i]
                v = list(opts)[rng.integers(len(opts))]
                a, b = (self.tgt[i], self.ref[i]) if "reversed" in v else (self.ref[i], self.tgt[i])
                off = n_p if "mirrored" in v else 0
                ref.append(a + off)
                tgt.append(b + off)
                text.append(opts[v][rng.integers(len(opts[v]))])
                opp = opts.get(OPPOSITE[v])
                back.append(opp[rng.integers(len(opp))] if opp else -1)
                if negatives and self.clip_rows is not None:
                    pool = self.clip_rows[b]
                    drawn = pool[rng.integers(len(pool), size=negatives)] if len(pool) else np.full(negatives, b)
                    negs.append(drawn + off)
            neg = np.stack(negs) if negs else None
            yield Batch(np.array(ref), np.array(tgt), np.array(text), np.array(back), neg)
