"""PoseSequence: a validated clip of canonical poses with its provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.skeleton import JOINT_NAMES, NUM_JOINTS


@dataclass(frozen=True)
class PoseSequence:
    """A clip of poses on the canonical skeleton.

    Attributes:
        id: unique, stable identifier (e.g. the file stem or ``builtin/s01/squat``).
        subject: performer identifier when known (used for leak-free splits), else ``None``.
        fps: frames per second.
        joints: ``float32 (T, J, 3)`` in metres, y up (see ``poses.skeleton``).
        source: where it came from (format and path, or ``builtin``).
        joint_mask: ``bool (J,)``; ``False`` marks joints the source lacks (their values are
            placeholders and must not be measured or drawn).
        is_2d: ``True`` for image keypoints lifted to z = 0 (COCO); depth is unknown.
        confidence: optional ``float32 (T, J)`` per-frame keypoint confidence in [0, 1].
        meta: free-form provenance (labels, genre, original joint names, unit scale, …).
    """

    id: str
    subject: str | None
    fps: float
    joints: np.ndarray
    source: str
    joint_mask: np.ndarray = field(default_factory=lambda: np.ones(NUM_JOINTS, dtype=bool))
    is_2d: bool = False
    confidence: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = self.source or self.id
        joints = np.asarray(self.joints)
        if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or joints.shape[0] == 0:
            raise PoseFormatError(where, "joints", f"array of shape (T>0, {NUM_JOINTS}, 3)", f"shape {joints.shape}")
        mask = np.asarray(self.joint_mask, dtype=bool)
        if mask.shape != (NUM_JOINTS,):
            raise PoseFormatError(where, "joint_mask", f"bool array of shape ({NUM_JOINTS},)", f"shape {mask.shape}")
        joints = joints.astype(np.float32, copy=False)
        bad = ~np.isfinite(joints[:, mask])
        if bad.any():
            frame = int(np.argwhere(bad)[0][0])
            raise PoseFormatError(where, "joints", "finite coordinates", f"NaN/inf at frame {frame}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise PoseFormatError(where, "fps", "a positive number", repr(self.fps))
        if self.confidence is not None:
            conf = np.asarray(self.confidence, dtype=np.float32)
            if conf.shape != joints.shape[:2]:
                raise PoseFormatError(where, "confidence", f"shape {joints.shape[:2]}", f"shape {conf.shape}")
            object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "joints", joints)
        object.__setattr__(self, "joint_mask", mask)

    def __len__(self) -> int:
        return int(self.joints.shape[0])

    @property
    def num_frames(self) -> int:
        return len(self)

    @property
    def duration_s(self) -> float:
        return len(self) / self.fps

    @property
    def missing_joints(self) -> tuple[str, ...]:
        return tuple(n for n, ok in zip(JOINT_NAMES, self.joint_mask, strict=True) if not ok)

    def frame(self, index: int) -> np.ndarray:
        """One pose ``(J, 3)``; raises ``IndexError`` naming the valid range."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"{self.id}: frame {index} out of range 0..{len(self) - 1}")
        return self.joints[index]

    def with_joints(self, joints: np.ndarray, **changes: Any) -> PoseSequence:
        """A copy with new joints (and any other field changed)."""
        values = {
            "id": self.id,
            "subject": self.subject,
            "fps": self.fps,
            "joints": joints,
            "source": self.source,
            "joint_mask": self.joint_mask,
            "is_2d": self.is_2d,
            "confidence": self.confidence,
            "meta": dict(self.meta),
        }
        values.update(changes)
        return PoseSequence(**values)
