"""AutoComPose's augmentations for any annotator: mirrored and reversed variants, cycle check."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from autocompose.describe.base import Annotator, TransitionDescription, Variant
from autocompose.poses.transforms import mirror, mirror_mask


def selected_variants(variants: Iterable[str] = ("mirror", "reverse")) -> list[Variant]:
    """The variants described for the augmentations asked: mirror and/or reverse (both: all four)."""
    wanted = set(variants)
    unknown = wanted - {"mirror", "reverse"}
    if unknown:
        raise ValueError(f"unknown variants {sorted(unknown)}; use mirror and/or reverse")
    out: list[Variant] = ["original"]
    if "mirror" in wanted:
        out.append("mirrored")
    if "reverse" in wanted:
        out.append("reversed")
    if wanted == {"mirror", "reverse"}:
        out.append("mirrored_reversed")
    return out


def variant_poses(
    a: np.ndarray, b: np.ndarray, mask: np.ndarray | None, variant: Variant
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The (reference, target, mask) a variant describes: mirrored flips both poses, reversed swaps them."""
    if variant in ("mirrored", "mirrored_reversed"):
        a, b, mask = mirror(a), mirror(b), None if mask is None else mirror_mask(mask)
    if variant in ("reversed", "mirrored_reversed"):
        a, b = b, a
    return a, b, mask


def describe_variants(
    annotator: Annotator,
    a: np.ndarray,
    b: np.ndarray,
    k: int,
    mask: np.ndarray | None = None,
    seed: int = 0,
    variants: Iterable[str] = ("mirror", "reverse"),
) -> dict[Variant, list[TransitionDescription]]:
    """Descriptions of the pair and of its mirrored / reversed / mirrored+reversed versions.

    Mirrored: both poses flipped left-right (x → −x, L/R joints swapped) and described
    again — a new description of the flipped pair, not word substitution. Reversed: B → A.
    """
    out: dict[Variant, list[TransitionDescription]] = {}
    for v in selected_variants(variants):
        va, vb, vm = variant_poses(a, b, mask, v)
        out[v] = annotator.describe(va, vb, k, vm, seed, v)
    return out


def cycle_consistency(forward: TransitionDescription, backward: TransitionDescription) -> float:
    """Share of movements whose opposite appears in the reversed description (1 = consistent).

    raise ↔ lower, bend ↔ straighten, lift ↔ put down, left ↔ right, forward ↔ back, up ↔ down,
    out ↔ in. Two 'no change' descriptions are consistent; one empty side is not.
    """
    fwd = {m.opposite_key() for m in forward.movements}
    bwd = {m.key() for m in backward.movements}
    if not fwd and not bwd:
        return 1.0
    return len(fwd & bwd) / len(fwd | bwd)


def cycle_check(described: dict[Variant, list[TransitionDescription]], threshold: float = 0.5) -> tuple[float, bool]:
    """Score of forward vs reversed (and mirrored vs mirrored+reversed); passes at ``threshold``."""
    scores = []
    for f, r in (("original", "reversed"), ("mirrored", "mirrored_reversed")):
        if f in described and r in described:
            scores.append(cycle_consistency(described[f][0], described[r][0]))  # type: ignore[index]
    score = float(np.mean(scores)) if scores else 1.0
    return score, score >= threshold
