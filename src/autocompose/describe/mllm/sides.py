"""The side check: did an answer mix up the person's left and right?

A real model often names the wrong side (it reads the image's left as the person's). The check
weighs every claim of the answer that says something about one side against how each side of the
pair actually moved, and sums the evidence:

- **movement claims** ('raise the left arm', 'step the right foot back', 'twist to the left'):
  the named limb's measured change in the claimed direction against the same change of the other
  limb, or the lateral movement against its mirror image (``measure.limb_deltas``, ``lateral_deltas``);
- **still claims**: a limb said not to move while the answer moves its mirror;
- **where a hand or foot ends up** ('hand on the hip', 'arm overhead', 'foot off the floor', 'weight
  on the left leg'): the named limb's end (or, in a 'from …' phrase, start) position against the
  other limb's (``PLACES``).

Each piece of evidence is in units of the kinematic describer's thresholds, clipped, and
swapping the answer's sides negates it exactly. An answer is rejected when its summed evidence
favours the swapped reading by at least ``SIDE_REJECT``. (Weighting kinds of claims by how reliably
they pointed to the right side on real answers was tried: fitted on the development answers, it
changed nothing on held-out ones, so every claim counts alike.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autocompose.describe.base import NO_CHANGE, Movement, TransitionDescription
from autocompose.describe.kinematic import THRESHOLDS
from autocompose.describe.measure import Change, PoseState, lateral_deltas, limb_deltas, measure
from autocompose.describe.mllm.parse import line_claims
from autocompose.poses.skeleton import BODY_PART_NAMES, BODY_PART_SWAP, joint_index

_SIDED = [p for p in BODY_PART_NAMES if p.startswith(("left_", "right_"))]

#: Per claimed limb movement: (measured feature of ``measure.limb_deltas``, sign that supports the
#: claim, one unit = the kinematic describer's threshold for that feature).
_LIMB_EVIDENCE: dict[tuple[str, str, str | None], tuple[str, float, float]] = {
    ("arm", "raise", None): ("arm_elevation", 1.0, THRESHOLDS["arm_elev"]),
    ("arm", "lower", None): ("arm_elevation", -1.0, THRESHOLDS["arm_elev"]),
    ("arm", "bend", None): ("arm_flex", 1.0, THRESHOLDS["flex"]),
    ("arm", "straighten", None): ("arm_flex", -1.0, THRESHOLDS["flex"]),
    ("arm", "move", "forward"): ("arm_forward", 1.0, THRESHOLDS["step"]),
    ("arm", "move", "back"): ("arm_forward", -1.0, THRESHOLDS["step"]),
    ("arm", "move", "out"): ("arm_outward", 1.0, THRESHOLDS["step"]),
    ("arm", "move", "in"): ("arm_outward", -1.0, THRESHOLDS["step"]),
    ("leg", "lift", None): ("leg_elevation", 1.0, THRESHOLDS["leg_elev"]),
    ("leg", "put_down", None): ("leg_elevation", -1.0, THRESHOLDS["leg_elev"]),
    ("leg", "bend", None): ("leg_flex", 1.0, THRESHOLDS["flex"]),
    ("leg", "straighten", None): ("leg_flex", -1.0, THRESHOLDS["flex"]),
    ("leg", "step", "forward"): ("foot_forward", 1.0, THRESHOLDS["step"]),
    ("leg", "step", "back"): ("foot_forward", -1.0, THRESHOLDS["step"]),
    ("leg", "step", "out"): ("foot_outward", 1.0, THRESHOLDS["step"]),
    ("leg", "step", "in"): ("foot_outward", -1.0, THRESHOLDS["step"]),
}
#: A second measurement that also supports a claim on the named side (the better of the two counts):
#: people say "raise/lift the arm" when the hand comes up, even when the upper arm barely moves.
_ALSO_EVIDENCE: dict[tuple[str, str], tuple[str, float, float]] = {
    ("arm", "raise"): ("arm_height", 1.0, 0.1),
    ("arm", "lower"): ("arm_height", -1.0, 0.1),
    ("leg", "lift"): ("foot_lift", 1.0, 0.1),
    ("leg", "put_down"): ("foot_lift", -1.0, 0.1),
}
#: One unit of ``weight_shift`` (m): the pelvis moving this far over one foot is a clear weight shift
#: (the describer has no threshold for it: it never says 'shift your weight').
WEIGHT_SHIFT_UNIT = 0.05
#: Claimed movements with a left/right direction: (feature of ``measure.lateral_deltas``, unit) pairs;
#: the best-supported reading counts ('move to the left' is a step of the whole body or a weight shift).
_LATERAL_EVIDENCE: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {
    ("torso", "lean"): (("torso_lean", THRESHOLDS["side_lean"]),),
    ("torso", "twist"): (("torso_twist", THRESHOLDS["twist"]),),
    ("head", "turn"): (("head_turn", THRESHOLDS["head_turn"]),),
    ("head", "tilt"): (("head_tilt", THRESHOLDS["head_tilt"]),),
    ("whole_body", "turn"): (("body_turn", THRESHOLDS["turn"]),),
    ("whole_body", "move"): (("body_move", THRESHOLDS["move"]), ("weight_shift", WEIGHT_SHIFT_UNIT)),
}
#: When both sides claim the same movement, the named sides count only if they differ by this much.
SIDE_MARGIN = 0.5
#: One claim's evidence is clipped to ± this many threshold units, so one large movement cannot outvote the rest.
SIDE_CLIP = 2.0


@dataclass(frozen=True)
class SideEvidence:
    """One claim weighed on both sides: support in threshold units, as named and mirrored.

    ``action`` is the claimed movement ('raise', 'step', …), ``still`` for a limb said not to move,
    or ``at:<place>`` for where a hand or foot ends up (``PLACES``).
    """

    part: str
    action: str
    direction: str | None
    named: float
    other: float

    @property
    def score(self) -> float:
        """How much better the named side fits than the other (threshold units, clipped to ±``SIDE_CLIP``);
        the swapped reading of the same claim scores the negative."""
        return float(np.clip(self.named - self.other, -SIDE_CLIP, SIDE_CLIP))


def _sided_claims(desc: TransitionDescription) -> dict[Movement, int]:
    """The movements of the answer's part lines that say something about one side, with their amount
    words (``line_claims``; the first line wins). Left out: a line's claims about both sides of another
    part at once ('widen the stance' steps both feet out), which say nothing about which side is which."""
    out: dict[Movement, int] = {}
    for part, statement in desc.parts.items():
        claims = line_claims(part, statement)
        for m, amount in claims.items():
            if m.part != part and m.mirrored() in claims and m.mirrored() != m:
                continue
            out.setdefault(m, amount)
    return out


def _movement_evidence(claims: dict[Movement, int], change: Change, limbs: dict[str, dict[str, float]]) -> list[SideEvidence]:
    """Evidence of the movement claims ('raise the left arm', 'twist to the left'); ``limbs`` are
    both sides' ``limb_deltas``."""
    lateral = lateral_deltas(change)
    amounts = {(m.part, m.action, m.direction): a for m, a in claims.items()}
    out: list[SideEvidence] = []
    for m in claims:
        part = m.part
        if part in _SIDED:
            side, limb = part.split("_")
            rule = _LIMB_EVIDENCE.get((limb, m.action, m.direction if m.action in ("move", "step") else None))
            if rule is None:
                continue
            feature, sign, unit = rule
            other = "right" if side == "left" else "left"
            named, mirrored = sign * limbs[side][feature] / unit, sign * limbs[other][feature] / unit
            alt = _ALSO_EVIDENCE.get((limb, m.action))
            if alt is not None:  # 'raise the arm' is also said of a hand brought up by bending the elbow
                f2, s2, u2 = alt  # either side's support is the better of its two measurements, so that a
                named = max(named, s2 * limbs[side][f2] / u2)  # swapped claim scores exactly the negative
                mirrored = max(mirrored, s2 * limbs[other][f2] / u2)
            twin = amounts.get((BODY_PART_SWAP[part], m.action, m.direction))
            if twin is not None:  # both sides claim it: only the amounts the answer gives can tell them apart
                said = amounts[(part, m.action, m.direction)] - twin
                if said == 0 or abs(named - mirrored) < SIDE_MARGIN:
                    named = mirrored = 0.0
                elif (said > 0) != (named > mirrored):
                    named, mirrored = min(named, mirrored), max(named, mirrored)
                else:
                    named, mirrored = max(named, mirrored), min(named, mirrored)
        elif (part, m.action) in _LATERAL_EVIDENCE and m.direction in ("left", "right"):
            sign = 1.0 if m.direction == "left" else -1.0
            values = [sign * lateral[feature] / unit for feature, unit in _LATERAL_EVIDENCE[(part, m.action)]]
            named, mirrored = max(values), max(-v for v in values)
        else:
            continue
        out.append(SideEvidence(part, m.action, m.direction, round(named, 3), round(mirrored, 3)))
    return out


def _limb_motion(deltas: dict[str, float], limb: str) -> float:
    """How much one arm or leg moved: its largest change among the side check's features, in threshold units."""
    rules = {(f, u) for (kind, _, _), (f, _, u) in _LIMB_EVIDENCE.items() if kind == limb}
    return max(abs(deltas[f]) / u for f, u in rules)


def _still_evidence(
    desc: TransitionDescription, limbs: dict[str, dict[str, float]], claims: dict[Movement, int]
) -> list[SideEvidence]:
    """'No change' of a limb whose mirror the answer says moves, weighed like a claim: supported by how
    little the named limb moved, against how little the other one did (action ``still``)."""
    out: list[SideEvidence] = []
    for part in _SIDED:
        mirror = BODY_PART_SWAP[part]
        if not desc.parts.get(part, NO_CHANGE).lower().startswith(NO_CHANGE) or not any(m.part == mirror for m in claims):
            continue
        side, limb = part.split("_")
        named, other = -_limb_motion(limbs[side], limb), -_limb_motion(limbs[mirror.split("_")[0]], limb)
        out.append(SideEvidence(part, "still", None, round(named, 3), round(other, 3)))
    return out


# ---------------------------------------------------------------- where a hand or foot ends up
_J = joint_index
_SIGN = {"left": 1.0, "right": -1.0}

#: A place feature: (pose state, side) → how well that side's hand or foot is at the place, in
#: units (bigger = better), or None when a joint it needs is missing.
PlaceFeature = Callable[[PoseState, str], "float | None"]


def _joints(state: PoseState, *names: str) -> list[np.ndarray] | None:
    rows = [_J(n) for n in names]
    if not len(state.body) or not all(state.body_mask[r] for r in rows):
        return None
    return [state.body[r] for r in rows]


def _hand(*others: str, fn: Callable[..., float]) -> PlaceFeature:
    def feature(state: PoseState, side: str) -> float | None:
        names = [f"{side}_wrist", f"{side}_shoulder", *(o.replace("{side}", side) for o in others)]
        got = _joints(state, *names)
        return None if got is None else float(fn(_SIGN[side], *got))

    return feature


def _foot(fn: Callable[..., float]) -> PlaceFeature:
    def feature(state: PoseState, side: str) -> float | None:
        got = _joints(state, f"{side}_ankle", f"{side}_hip")
        return None if got is None else float(fn(_SIGN[side], state.legs[side].height + state.root_height, *got))

    return feature


def _dist(u: np.ndarray, v: np.ndarray) -> float:
    """Distance in the frontal plane (depth ignored): a hand held out in front of the face is 'at the
    face' in a front view, and that is what a reader of the image says."""
    return float(np.hypot(u[0] - v[0], u[1] - v[1]))


#: Places an answer puts a hand (arm lines) or foot (leg lines) at, in the order they are looked
#: for (a phrase found is removed before the next is looked for): (name, pattern, feature). Units:
#: 0.1–0.15 m, the size of a clearly visible difference in a hand's or foot's position.
_ARM_PLACES: tuple[tuple[str, str, PlaceFeature], ...] = (
    (
        "overhead",
        r"\boverhead\b|\b(?:above|over) (?:the |your )?head\b",
        _hand("head", fn=lambda s, w, sh, h: (w[1] - h[1]) / 0.15),
    ),
    (
        "head",
        r"\b(?:face|chin|mouth|forehead|ears?|temple|cheek|head)\b",
        _hand("head", fn=lambda s, w, sh, h: -_dist(w, h) / 0.15),
    ),
    ("shoulder height", r"\bshoulder (?:height|level)\b", _hand(fn=lambda s, w, sh: -abs(w[1] - sh[1]) / 0.1)),
    ("chest height", r"\bchest (?:height|level)\b", _hand("spine3", fn=lambda s, w, sh, c: -abs(w[1] - c[1]) / 0.1)),
    (
        "across",
        r"\bacross (?:the |your )?(?:chest|body|front|torso|face)\b",
        _hand(fn=lambda s, w, sh: -s * (w[0] - sh[0]) / 0.15),
    ),
    ("chest", r"\bchest\b", _hand("spine3", fn=lambda s, w, sh, c: -_dist(w, c) / 0.15)),
    ("waist height", r"\b(?:waist|hip) (?:height|level)\b", _hand("spine1", fn=lambda s, w, sh, c: -abs(w[1] - c[1]) / 0.1)),
    ("hip", r"\b(?:hip|hips|waist)\b", _hand("{side}_hip", fn=lambda s, w, sh, h: -_dist(w, h) / 0.15)),
    ("out to the side", r"\bout to (?:the |your )?side\b|\bout sideways\b", _hand(fn=lambda s, w, sh: s * (w[0] - sh[0]) / 0.15)),
    ("behind", r"\bbehind (?:the |your )?(?:back|body)\b", _hand(fn=lambda s, w, sh: -(w[2] - sh[2]) / 0.15)),
    ("in front", r"\bin front\b", _hand(fn=lambda s, w, sh: (w[2] - sh[2]) / 0.15)),
)
_LEG_PLACES: tuple[tuple[str, str, PlaceFeature], ...] = (
    ("off the floor", r"\boff the (?:floor|ground)\b|\bin the air\b", _foot(lambda s, lift, a, h: lift / 0.05)),
    (
        "on the floor",  # not 'closer to the floor': a foot only on its way down
        r"(?<!closer )(?<!toward )(?<!towards )\b(?:on|onto|to) the (?:floor|ground)\b|\bflat\b",
        _foot(lambda s, lift, a, h: -lift / 0.05),
    ),
    (
        "weight",
        r"\b(?:take|takes|taking|bear|bearing|support|supporting|carry|carrying|put|putting|shift|shifting)"
        r"(?: all| most| more)?(?: of)? (?:the |your )?weight\b|\bbalance on\b|\bstand on\b",
        _foot(lambda s, lift, a, h: -abs(a[0]) / 0.05),
    ),
    ("in front", r"\bin front\b", _foot(lambda s, lift, a, h: (a[2] - h[2]) / 0.1)),
    ("behind", r"\bbehind\b", _foot(lambda s, lift, a, h: -(a[2] - h[2]) / 0.1)),
    ("out to the side", r"\bout to (?:the |your )?side\b", _foot(lambda s, lift, a, h: s * (a[0] - h[0]) / 0.1)),
)
#: Every place the check knows, by limb: what the docs and tests refer to.
PLACES = {"arm": tuple(name for name, _, _ in _ARM_PLACES), "leg": tuple(name for name, _, _ in _LEG_PLACES)}
#: How well the pelvis is over one foot: the leg place 'weight', also read from whole-body lines.
_WEIGHT_FEATURE = next(feature for name, _, feature in _LEG_PLACES if name == "weight")
#: A whole-body line that puts the weight on one leg ('balance on the left leg', 'weight onto the right foot').
_WEIGHT_ON = re.compile(
    r"\b(?:weight|balance|balancing|stand|standing)\b[\w ]*?\b(?:on|onto|over) (?:the |your )?(left|right) (?:leg|foot)\b"
)
#: A 'from …' phrase, or a hand taken 'off the hip': where the movement starts (judged on the start pose).
_FROM = re.compile(r"(?<!away )\b(?:from|off)\b(.*?)(?=\bto\b|,|\band\b|$)")
#: Lines that take a limb away from a place or the weight off it: no place evidence.
_AWAY = re.compile(r"\baway from\b|\bweight off\b|\boff (?:the|this|that) (?:leg|foot)\b")


def _places_in(text: str, table: tuple[tuple[str, str, PlaceFeature], ...]) -> list[tuple[str, PlaceFeature]]:
    found = []
    for name, pattern, feature in table:
        m = re.search(pattern, text)
        if m:
            found.append((name, feature))
            text = text[: m.start()] + " " + text[m.end() :]
    return found


def _place_item(
    part: str, name: str, feature: PlaceFeature, state: PoseState, side: str, direction: str | None = None
) -> SideEvidence | None:
    other = "right" if side == "left" else "left"
    named, mirrored = feature(state, side), feature(state, other)
    if named is None or mirrored is None:
        return None
    return SideEvidence(part, f"at:{name}", direction, round(named, 3), round(mirrored, 3))


def _place_evidence(desc: TransitionDescription, change: Change) -> list[SideEvidence]:
    """Evidence of where the answer puts a hand or foot: in a 'from …' phrase on the start pose,
    elsewhere on the end pose; and a whole-body line's 'weight on the left leg' on the end pose."""
    out: list[SideEvidence | None] = []
    for part, line in desc.parts.items():
        text = line.lower()
        if text.startswith(NO_CHANGE):
            continue
        if part in _SIDED and not _AWAY.search(text):
            side, limb = part.split("_")
            table = _ARM_PLACES if limb == "arm" else _LEG_PLACES
            start = _FROM.search(text) if limb == "arm" or "from" in text else None
            segments = [(text, change.b)]
            if start is not None:  # the 'from …' phrase on the start pose, the rest on the end pose
                segments = [(start.group(1), change.a), (text[: start.start()] + " " + text[start.end() :], change.b)]
            for segment, state in segments:
                out += [_place_item(part, name, feature, state, side) for name, feature in _places_in(segment, table)]
        elif part == "whole_body":
            out += [
                _place_item(part, "weight", _WEIGHT_FEATURE, change.b, m.group(1), m.group(1)) for m in _WEIGHT_ON.finditer(text)
            ]
    return [e for e in out if e is not None]


def side_evidence(desc: TransitionDescription, change: Change) -> list[SideEvidence]:
    """Every claim of the answer's part lines that says something about one side, weighed against how
    each side moved (movement claims, still limbs, places); swapping the answer negates every score."""
    claims = _sided_claims(desc)
    limbs = {side: limb_deltas(change, side) for side in ("left", "right")}
    return _movement_evidence(claims, change, limbs) + _still_evidence(desc, limbs, claims) + _place_evidence(desc, change)


# ---------------------------------------------------------------- the decision
#: An answer looks side-swapped when its summed evidence favours the swapped reading by at least this
#: many threshold units: a margin, so that an answer with a few loose claims is not rejected.
SIDE_REJECT = 1.0


def side_score(desc: TransitionDescription, change: Change) -> float:
    """Summed evidence (``SideEvidence.score``) that the answer's sides are as named: positive when
    the named sides fit the measurement better than the swapped ones; swapping the answer negates it."""
    return round(sum(e.score for e in side_evidence(desc, change)), 3)


def sides_swapped(desc: TransitionDescription, a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> bool:
    """Whether the answer mixed up left and right: its ``side_score`` is at most −``SIDE_REJECT``."""
    return side_score(desc, measure(a, b, mask)) <= -SIDE_REJECT


def sides_move_differently(change: Change) -> bool:
    """Whether a pair's two sides move differently, so that a left/right swap is visible at all.

    True when, for some limb feature (arm or thigh elevation, elbow or knee flexion, foot
    forward / outward), the left and right changes differ by at least the kinematic describer's
    threshold for it, or a left/right movement (side lean, twist, head turn or tilt, body turn,
    sideways move) reaches its threshold.
    """
    left, right = limb_deltas(change, "left"), limb_deltas(change, "right")
    units = {
        "arm_elevation": THRESHOLDS["arm_elev"],
        "arm_flex": THRESHOLDS["flex"],
        "leg_elevation": THRESHOLDS["leg_elev"],
        "leg_flex": THRESHOLDS["flex"],
        "foot_forward": THRESHOLDS["step"],
        "foot_outward": THRESHOLDS["step"],
    }
    if any(abs(left[f] - right[f]) >= u for f, u in units.items()):
        return True
    lateral = lateral_deltas(change)
    return any(abs(lateral[f]) >= u for rules in _LATERAL_EVIDENCE.values() for f, u in rules if f != "weight_shift")
