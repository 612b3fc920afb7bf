"""PoseFix-style rule-based baseline: fixed 'paircodes' over joint coordinates, one template each.

Deliberately simpler than the kinematic describer, because it is the baseline AutoComPose
beats. The rules (thresholds follow PoseFix's automatic pipeline):

1. angle paircodes — elbow and knee flexion change binned at 18° / 45° / 80°
   (slightly / — / a lot): "bend|straighten the left elbow".
2. distance paircodes — hands apart/together, feet apart/together, each hand to the head,
   binned at 0.10 / 0.40 m.
3. relative-position paircodes — each wrist and ankle relative to the pelvis, per axis
   (x: left/right, y: higher/lower, z: forward/back), binned at 0.15 / 0.40 m: "move the
   right hand higher".
4. global rotation — whole-body yaw change of 20° to 150°: "turn left|right".
Non-rare codes (relative position) are skipped at random with probability 0.3; the kept
codes are aggregated (both hands doing the same → "both hands") and joined with random
connectives. Deterministic for a seed.
"""

from __future__ import annotations

import zlib

import numpy as np

from autocompose.describe.base import NO_CHANGE, Movement, TransitionDescription, Variant
from autocompose.poses.skeleton import BODY_PART_NAMES, joint_index
from autocompose.poses.transforms import facing_angle, normalise

J = joint_index
ANGLE_BINS = (18.0, 45.0, 80.0)
DIST_BINS = (0.10, 0.40)
POS_BINS = (0.15, 0.40)
SKIP_COMMON = 0.3
_CONNECTIVES = (", and ", ", then ", "; also ", " and ", ", while you ")


def _flex(p: np.ndarray, a: str, b: str, c: str) -> float:
    u, v = p[J(b)] - p[J(a)], p[J(c)] - p[J(b)]
    return float(np.degrees(np.arccos(np.clip(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9), -1, 1))))


def paircodes(a: np.ndarray, b: np.ndarray) -> list[tuple[str, Movement, str, bool]]:
    """Triggered codes: (template sentence, movement, part, is_rare)."""
    na, nb = normalise(a), normalise(b)
    codes: list[tuple[str, Movement, str, bool]] = []
    for side in ("left", "right"):
        for part, (x, y, z), noun in (
            (f"{side}_arm", ("shoulder", "elbow", "wrist"), "elbow"),
            (f"{side}_leg", ("hip", "knee", "ankle"), "knee"),
        ):
            d = _flex(nb, f"{side}_{x}", f"{side}_{y}", f"{side}_{z}") - _flex(na, f"{side}_{x}", f"{side}_{y}", f"{side}_{z}")
            if abs(d) >= ANGLE_BINS[0]:
                word = "slightly " if abs(d) < ANGLE_BINS[1] else "a lot, " if abs(d) >= ANGLE_BINS[2] else ""
                verb = "bend" if d > 0 else "straighten"
                codes.append(
                    (
                        f"{verb} {word}the {side} {noun}".replace(", the", " the"),
                        Movement(part=part, action=verb, amount=abs(d)),
                        part,
                        True,
                    )
                )
        for joint, part, noun in ((f"{side}_wrist", f"{side}_arm", "hand"), (f"{side}_ankle", f"{side}_leg", "foot")):
            delta = nb[J(joint)] - na[J(joint)]
            for axis, (pos, neg) in ((1, ("higher", "lower")), (2, ("forward", "back")), (0, ("to the left", "to the right"))):
                if abs(delta[axis]) >= POS_BINS[0]:
                    word = "much " if abs(delta[axis]) >= POS_BINS[1] else ""
                    where = pos if delta[axis] > 0 else neg
                    direction = {
                        "higher": "up",
                        "lower": "down",
                        "forward": "forward",
                        "back": "back",
                        "to the left": "left",
                        "to the right": "right",
                    }[where]
                    codes.append(
                        (
                            f"move the {side} {noun} {word}{where}",
                            Movement(part=part, action="move", direction=direction, amount=abs(float(delta[axis]))),
                            part,
                            False,
                        )
                    )
    for (j1, j2), label, part in (
        ((J("left_wrist"), J("right_wrist")), "hands", "left_arm"),
        ((J("left_ankle"), J("right_ankle")), "feet", "left_leg"),
    ):
        d = float(np.linalg.norm(nb[j1] - nb[j2]) - np.linalg.norm(na[j1] - na[j2]))
        if abs(d) >= DIST_BINS[0]:
            word = "far " if abs(d) >= DIST_BINS[1] else ""
            codes.append(
                (
                    f"move the {label} {word}{'apart' if d > 0 else 'closer together'}",
                    Movement(part=part, action="move", direction="out" if d > 0 else "in", amount=abs(d)),
                    part,
                    True,
                )
            )
    for side in ("left", "right"):
        d = float(np.linalg.norm(nb[J(f"{side}_wrist")] - nb[J("head")]) - np.linalg.norm(na[J(f"{side}_wrist")] - na[J("head")]))
        if d <= -DIST_BINS[0]:
            codes.append(
                (
                    f"bring the {side} hand towards the head",
                    Movement(part=f"{side}_arm", action="move", direction="in", amount=-d),
                    f"{side}_arm",
                    True,
                )
            )
    yaw = float(np.degrees(facing_angle(b) - facing_angle(a)))
    yaw = (yaw + 180) % 360 - 180
    if 20.0 <= abs(yaw) <= 150.0:
        direction = "left" if yaw > 0 else "right"
        codes.append(
            (
                f"turn {direction}",
                Movement(part="whole_body", action="turn", direction=direction, amount=abs(yaw)),
                "whole_body",
                True,
            )
        )
    return codes


class RuleBasedDescriber:
    """The PoseFix-style automatic baseline (see the module docstring)."""

    name = "rules"
    version = "1.0"

    def describe(
        self,
        a: np.ndarray,
        b: np.ndarray,
        k: int = 3,
        mask: np.ndarray | None = None,
        seed: int = 0,
        variant: Variant = "original",
    ) -> list[TransitionDescription]:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        codes = paircodes(a, b)
        out = []
        for i in range(k):
            rng = np.random.default_rng(zlib.crc32(f"rules/{seed}/{i}".encode()))
            kept = [c for c in codes if c[3] or rng.random() >= SKIP_COMMON] or codes[:1]
            parts = {p: NO_CHANGE for p in BODY_PART_NAMES}
            for sentence, _, part, _ in kept:
                parts[part] = sentence if parts[part] == NO_CHANGE else f"{parts[part]}; {sentence}"
            sentences = [c[0] for c in kept]
            if not sentences:
                text = "Keep the same pose."
            else:
                text = sentences[0]
                for s in sentences[1:]:
                    text += _CONNECTIVES[int(rng.integers(len(_CONNECTIVES)))] + s
                text = text[0].upper() + text[1:] + "."
            out.append(
                TransitionDescription(
                    parts=parts,
                    text=text,
                    movements=[c[1] for c in kept],
                    annotator=self.name,
                    annotator_version=self.version,
                    variant=variant,
                )
            )
        return out
