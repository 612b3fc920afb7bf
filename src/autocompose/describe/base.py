"""The describe-stage interface: structured transition descriptions and the Annotator protocol."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from autocompose.poses.skeleton import BODY_PART_NAMES, swap_side_words

Variant = Literal["original", "mirrored", "reversed", "mirrored_reversed"]
VARIANTS: tuple[Variant, ...] = ("original", "mirrored", "reversed", "mirrored_reversed")
NO_CHANGE = "no change"


def as_sentence(text: str) -> str:
    """``text`` stripped, capitalised and ended with a full stop (unless it already has one)."""
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


Action = Literal[
    "raise", "lower", "bend", "straighten", "lean", "twist", "turn", "look", "tilt", "step", "move", "lift", "put_down"
]
Direction = Literal["left", "right", "forward", "back", "up", "down", "out", "in", "side", "overhead"]

_OPPOSITE_ACTION = {
    "raise": "lower",
    "lower": "raise",
    "bend": "straighten",
    "straighten": "bend",
    "lift": "put_down",
    "put_down": "lift",
}
_OPPOSITE_DIRECTION = {
    "left": "right",
    "right": "left",
    "forward": "back",
    "back": "forward",
    "up": "down",
    "down": "up",
    "out": "in",
    "in": "out",
}
_MIRROR_DIRECTION = {"left": "right", "right": "left"}


class Movement(BaseModel):
    """One machine-readable movement: what the cycle and mirror checks compare."""

    model_config = ConfigDict(frozen=True)

    part: str
    action: Action
    direction: Direction | None = None
    amount: float = Field(0.0, description="degrees or metres, by action")

    @field_validator("part")
    @classmethod
    def _known_part(cls, v: str) -> str:
        if v not in BODY_PART_NAMES:
            raise ValueError(f"unknown body part {v!r}; expected one of {BODY_PART_NAMES}")
        return v

    @field_validator("amount")
    @classmethod
    def _rounded(cls, v: float) -> float:
        return round(float(v), 2)  # two decimals: mirror-exact despite float noise in the joints

    def key(self) -> tuple[str, str, str | None]:
        """Identity for checks: a raise/lift's direction is detail, not identity."""
        return (self.part, self.action, None if self.action in ("raise", "lift") else self.direction)

    def mirrored(self) -> Movement:
        part = self.part.replace("left", "@").replace("right", "left").replace("@", "right")
        return self.model_copy(update={"part": part, "direction": _MIRROR_DIRECTION.get(self.direction or "", self.direction)})

    def opposite_key(self) -> tuple[str, str, str | None]:
        """The key the reversed transition should produce for this movement."""
        if self.action in _OPPOSITE_ACTION:
            opposite = _OPPOSITE_ACTION[self.action]
            return (self.part, opposite, None if opposite in ("raise", "lift", "lower", "put_down") else self.direction)
        return (self.part, self.action, _OPPOSITE_DIRECTION.get(self.direction or "", self.direction))


class TransitionDescription(BaseModel):
    """A validated description of the change from reference A to target B."""

    parts: dict[str, str] = Field(description="body part → short movement statement or 'no change'")
    text: str = Field(min_length=1, description="the fluent instruction built from the parts")
    movements: list[Movement] = Field(default_factory=list)
    annotator: str
    annotator_version: str
    variant: Variant = "original"

    @field_validator("parts")
    @classmethod
    def _all_parts(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(BODY_PART_NAMES))
        if unknown:
            raise ValueError(f"unknown body parts {unknown}; expected {BODY_PART_NAMES}")
        return {p: (v.get(p) or NO_CHANGE).strip() or NO_CHANGE for p in BODY_PART_NAMES}

    def side_swapped(self, variant: Variant) -> TransitionDescription:
        """Left/right words and parts swapped (what a mirrored description should equal)."""
        parts = {
            p.replace("left", "@").replace("right", "left").replace("@", "right"): swap_side_words(s)
            for p, s in self.parts.items()
        }
        return self.model_copy(
            update={
                "parts": parts,
                "text": swap_side_words(self.text),
                "movements": [m.mirrored() for m in self.movements],
                "variant": variant,
            }
        )


class Annotator(Protocol):
    """Anything that describes pose pairs: kinematic, rule-based, MLLM (images in, JSON out)."""

    name: str
    version: str

    def describe(
        self,
        a: np.ndarray,
        b: np.ndarray,
        k: int = 3,
        mask: np.ndarray | None = None,
        seed: int = 0,
        variant: Variant = "original",
    ) -> list[TransitionDescription]:
        """``k`` differently phrased descriptions of the change from pose ``a`` to pose ``b``."""
        ...
