"""Build the built-in library: every motion recipe performed by every built-in subject.

Deterministic: the same ``seed`` gives bit-identical sequences. Each subject has its own
body shape, tempo, movement amplitude, lead side and a small smooth postural sway.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from autocompose.poses.builtin.body import BodyShape, forward_kinematics
from autocompose.poses.builtin.motions import MOTIONS, MotionContext
from autocompose.poses.sequence import PoseSequence

LIBRARY_VERSION = "1"
FPS = 30.0


@dataclass(frozen=True)
class Subject:
    id: str
    height: float
    build: float
    tempo: float
    amplitude: float
    lead: str


SUBJECTS: tuple[Subject, ...] = (
    Subject("s01", 1.62, -0.6, 1.00, 0.95, "r"),
    Subject("s02", 1.85, 0.7, 0.90, 1.00, "r"),
    Subject("s03", 1.71, 0.0, 1.15, 1.05, "l"),
    Subject("s04", 1.56, -0.9, 1.05, 0.90, "r"),
    Subject("s05", 1.78, 0.4, 0.85, 0.92, "l"),
    Subject("s06", 1.92, 0.9, 1.10, 1.08, "r"),
)


def motion_names() -> list[str]:
    """``category/name`` of every recipe."""
    return [f"{cat}/{name}" for cat, recipes in MOTIONS.items() for name in recipes]


def _sway(rng: np.random.Generator, n: int, fps: float, degrees: float) -> np.ndarray:
    """Smooth low-frequency noise (a few degrees): the small postural drift of a real person."""
    knots = max(2, int(n / fps / 0.7) + 2)
    values = rng.normal(0.0, degrees, knots)
    return np.interp(np.linspace(0, knots - 1, n), np.arange(knots), values)


_SWAY_DOFS = {
    "spine_flex": 2.0,
    "spine_lat": 1.5,
    "spine_twist": 2.0,
    "neck_flex": 3.0,
    "neck_rot": 3.0,
    "l_sh_elev": 2.5,
    "r_sh_elev": 2.5,
    "l_elbow": 3.0,
    "r_elbow": 3.0,
}


def perform(subject: Subject, category: str, name: str, seed: int = 0, fps: float = FPS) -> PoseSequence:
    """One subject performing one recipe."""
    key = zlib.crc32(f"{seed}/{subject.id}/{category}/{name}".encode())
    rng = np.random.default_rng(key)
    ctx = MotionContext(fps=fps, tempo=subject.tempo, amplitude=subject.amplitude, lead=subject.lead, rng=rng)
    dofs = MOTIONS[category][name](ctx)
    n = len(next(iter(dofs.values())))
    for dof, deg in _SWAY_DOFS.items():
        dofs[dof] = dofs.get(dof, np.zeros(n)) + _sway(rng, n, fps, deg)
    shape = BodyShape.from_height(subject.height, subject.build)
    joints = forward_kinematics(dofs, shape)
    return PoseSequence(
        id=f"builtin/{subject.id}/{name}",
        subject=subject.id,
        fps=fps,
        joints=joints,
        source="builtin",
        meta={
            "format": "builtin",
            "category": category,
            "motion": name,
            "library_version": LIBRARY_VERSION,
            "height_m": subject.height,
        },
    )


@lru_cache(maxsize=4)
def _cached(seed: int, subjects: tuple[str, ...]) -> tuple[PoseSequence, ...]:
    chosen = [s for s in SUBJECTS if s.id in subjects]
    return tuple(perform(s, cat, name, seed) for s in chosen for cat, recipes in MOTIONS.items() for name in recipes)


def builtin_library(seed: int = 0, subjects: tuple[str, ...] | None = None) -> list[PoseSequence]:
    """Every recipe by every subject (or the given subject ids), in a stable order."""
    ids = tuple(s.id for s in SUBJECTS) if subjects is None else tuple(subjects)
    unknown = sorted(set(ids) - {s.id for s in SUBJECTS})
    if unknown:
        raise KeyError(f"unknown built-in subjects {unknown}; available: {[s.id for s in SUBJECTS]}")
    return list(_cached(seed, ids))
