"""In-batch contrastive (InfoNCE) loss and AutoComPose's cycle-consistency loss."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def info_nce(
    query: torch.Tensor, targets: torch.Tensor, scale: torch.Tensor | float, extra: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy of ``scale · q·tᵀ`` with the diagonal as the positives (inputs L2-normalised);
    ``extra`` rows (hard negatives) are further candidates for every query, never positives."""
    candidates = targets if extra is None else torch.cat([targets, extra])
    logits = scale * query @ candidates.t()
    return F.cross_entropy(logits.float(), torch.arange(len(query), device=query.device))


def cycle_loss(composed: torch.Tensor, back_text: torch.Tensor, reference: torch.Tensor, compose, scale) -> torch.Tensor:
    """Compose the forward query with the opposite-direction text; it must retrieve the reference."""
    return info_nce(compose(composed, back_text), reference, scale)
