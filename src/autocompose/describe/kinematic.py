"""The kinematic describer: the embedded default annotator (offline, fast, deterministic).

It reads the change between two poses from ``measure`` and writes ``k`` descriptions
whose wording, order, granularity and sentence structure differ. Changes smaller than
these thresholds are ignored (not worth telling a person):

==========================  ===========  ============================================
movement                    threshold    statement
==========================  ===========  ============================================
elbow / knee flexion        20°          bend / straighten
upper arm elevation         25°          raise (forward, to the side, back, overhead) / lower
thigh elevation             20°          lift the leg (forward, sideways, back) / lower
foot on the floor           0.15 m       step forward / back / out / in
pelvis height               0.10 m       squat down (lower the hips) / stand up
torso pitch, roll, twist    15°/12°/20°  lean forward/back, lean left/right, twist
head turn / up-down / tilt  25°/15°/15°  turn, look up/down, tilt
whole-body turn             30°          turn left / right (degrees given)
whole-body displacement     0.30 m       move forward / back / left / right
==========================  ===========  ============================================

Magnitude words: under 35° (0.25 m) "slightly", over 70° (0.6 m) "a lot" (or a stronger
verb). Describing the mirrored pair gives exactly the left/right-swapped description,
because phrasing choices depend only on the seed and the order of movements never
depends on the side.
"""

from __future__ import annotations

import zlib

import numpy as np

from autocompose.describe.base import NO_CHANGE, Movement, TransitionDescription, Variant, as_sentence
from autocompose.describe.measure import Change, LimbState, measure
from autocompose.poses.skeleton import BODY_PART_NAMES

THRESHOLDS = {
    "flex": 20.0,
    "arm_elev": 25.0,
    "leg_elev": 20.0,
    "step": 0.15,
    "hips": 0.10,
    "lean": 15.0,
    "side_lean": 12.0,
    "twist": 20.0,
    "head_turn": 25.0,
    "head_look": 15.0,
    "head_tilt": 15.0,
    "turn": 30.0,
    "move": 0.30,
}


def _limb_direction(state: LimbState) -> str:
    fwd, out = state.forward, state.outward
    if abs(fwd) < 0.08 and abs(out) < 0.08:
        return "down"
    if out >= abs(fwd):
        return "side"
    if -out > abs(fwd):
        return "in"
    return "forward" if fwd > 0 else "back"


def movements(change: Change) -> list[Movement]:
    """The movements a person would be told about, by body part (thresholds above)."""
    t = THRESHOLDS
    out: list[Movement] = []
    a, b = change.a, change.b
    for side in ("left", "right"):
        part = f"{side}_arm"
        ea, eb = a.arms[side], b.arms[side]
        d_elev = eb.elevation - ea.elevation
        if abs(d_elev) >= t["arm_elev"]:
            if d_elev > 0:
                direction = "overhead" if eb.level == 5 else {"side": "side", "back": "back"}.get(_limb_direction(eb), "forward")
                out.append(Movement(part=part, action="raise", direction=direction, amount=d_elev))
            else:
                out.append(Movement(part=part, action="lower", amount=-d_elev))
        d_flex = eb.flex - ea.flex
        if abs(d_flex) >= t["flex"]:
            out.append(Movement(part=part, action="bend" if d_flex > 0 else "straighten", direction=None, amount=abs(d_flex)))
        part = f"{side}_leg"
        la, lb = a.legs[side], b.legs[side]
        d_elev = lb.elevation - la.elevation
        if abs(d_elev) >= t["leg_elev"]:
            if d_elev > 0:
                direction = {"side": "side", "back": "back"}.get(_limb_direction(lb), "forward")
                out.append(Movement(part=part, action="lift", direction=direction, amount=d_elev))
            else:
                out.append(Movement(part=part, action="put_down", amount=-d_elev))
        d_flex = lb.flex - la.flex
        if abs(d_flex) >= t["flex"]:
            out.append(Movement(part=part, action="bend" if d_flex > 0 else "straighten", amount=abs(d_flex)))
        if not la.level and not lb.level and abs(d_elev) < t["leg_elev"]:
            dz, dx = lb.forward - la.forward, lb.outward - la.outward
            if max(abs(dz), abs(dx)) >= t["step"]:
                direction = ("forward" if dz > 0 else "back") if abs(dz) >= abs(dx) else ("out" if dx > 0 else "in")
                out.append(Movement(part=part, action="step", direction=direction, amount=float(np.hypot(dz, dx))))
    d_pitch = b.lean_forward - a.lean_forward
    if abs(d_pitch) >= t["lean"]:
        out.append(Movement(part="torso", action="lean", direction="forward" if d_pitch > 0 else "back", amount=abs(d_pitch)))
    d_roll = b.lean_left - a.lean_left
    if abs(d_roll) >= t["side_lean"]:
        out.append(Movement(part="torso", action="lean", direction="left" if d_roll > 0 else "right", amount=abs(d_roll)))
    d_twist = b.twist_left - a.twist_left
    if abs(d_twist) >= t["twist"]:
        out.append(Movement(part="torso", action="twist", direction="left" if d_twist > 0 else "right", amount=abs(d_twist)))
    if a.head_turn_left is not None and b.head_turn_left is not None:
        d = b.head_turn_left - a.head_turn_left
        if abs(d) >= t["head_turn"]:
            out.append(Movement(part="head", action="turn", direction="left" if d > 0 else "right", amount=abs(d)))
    if a.head_look_up is not None and b.head_look_up is not None:
        d = b.head_look_up - a.head_look_up
        if abs(d) >= t["head_look"]:
            out.append(Movement(part="head", action="look", direction="up" if d > 0 else "down", amount=abs(d)))
    d = b.head_tilt_left - a.head_tilt_left
    if abs(d) >= t["head_tilt"]:
        out.append(Movement(part="head", action="tilt", direction="left" if d > 0 else "right", amount=abs(d)))
    d = b.root_height - a.root_height
    if abs(d) >= t["hips"]:
        out.append(Movement(part="whole_body", action="lower" if d < 0 else "raise", amount=abs(d)))
    if abs(change.turn_left) >= t["turn"]:
        out.append(
            Movement(
                part="whole_body",
                action="turn",
                direction="left" if change.turn_left > 0 else "right",
                amount=abs(change.turn_left),
            )
        )
    dist = float(np.hypot(change.move_forward, change.move_left))
    if dist >= t["move"]:
        if abs(change.move_forward) >= abs(change.move_left):
            direction = "forward" if change.move_forward > 0 else "back"
        else:
            direction = "left" if change.move_left > 0 else "right"
        out.append(Movement(part="whole_body", action="move", direction=direction, amount=dist))
    return out


# ------------------------------------------------------------------ phrasing
_PART_ORDER = {"whole_body": 0, "torso": 1, "head": 2, "left_arm": 3, "right_arm": 3, "left_leg": 4, "right_leg": 4}
_LIMB = {
    ("arm", "raise"): "arm",
    ("arm", "lower"): "arm",
    ("arm", "bend"): "elbow",
    ("arm", "straighten"): "arm",
    ("leg", "lift"): "leg",
    ("leg", "put_down"): "leg",
    ("leg", "bend"): "knee",
    ("leg", "straighten"): "leg",
    ("leg", "step"): "foot",
}
_VERBS = {
    "raise": ["raise", "lift", "bring up"],
    "lower": ["lower", "drop", "bring down"],
    "bend": ["bend", "flex", "bend"],
    "straighten": ["straighten", "extend", "stretch out"],
    "lift": ["lift", "raise", "swing up"],
    "put_down": ["lower", "put down", "bring down"],
    "step": ["step", "move", "place"],
}
_RAISE_DIR = {
    "forward": ["forward", "in front of you", "to the front"],
    "side": ["out to the side", "sideways", "to the side"],
    "back": ["backward", "behind you", "back"],
    "overhead": ["above your head", "overhead", "up over your head"],
    None: [""],
}
_STEP_DIR = {
    "forward": ["forward", "ahead", "to the front"],
    "back": ["back", "backward", "behind you"],
    "out": ["outward", "out to the side", "wider"],
    "in": ["inward", "closer to the other foot", "in"],
}
_FIXED = {
    ("torso", "lean", "forward"): ["lean forward", "bend forward at the waist", "tip your upper body forward"],
    ("torso", "lean", "back"): ["lean back", "arch back", "straighten up and lean backward"],
    ("torso", "lean", "left"): ["lean to the left", "bend sideways to the left", "tilt your torso left"],
    ("torso", "lean", "right"): ["lean to the right", "bend sideways to the right", "tilt your torso right"],
    ("torso", "twist", "left"): ["twist your torso to the left", "rotate your upper body left", "turn your shoulders left"],
    ("torso", "twist", "right"): ["twist your torso to the right", "rotate your upper body right", "turn your shoulders right"],
    ("head", "turn", "left"): ["turn your head to the left", "look to your left", "rotate your head left"],
    ("head", "turn", "right"): ["turn your head to the right", "look to your right", "rotate your head right"],
    ("head", "look", "up"): ["look up", "tilt your head back", "raise your chin"],
    ("head", "look", "down"): ["look down", "lower your chin", "drop your head forward"],
    ("head", "tilt", "left"): ["tilt your head to the left", "lean your head toward your left shoulder", "tip your head left"],
    ("head", "tilt", "right"): [
        "tilt your head to the right",
        "lean your head toward your right shoulder",
        "tip your head right",
    ],
    ("whole_body", "lower", None): ["squat down", "lower your hips", "bend down into a crouch"],
    ("whole_body", "raise", None): ["stand up", "rise up", "straighten up to standing"],
    ("whole_body", "turn", "left"): ["turn to your left", "rotate your whole body left", "pivot to the left"],
    ("whole_body", "turn", "right"): ["turn to your right", "rotate your whole body right", "pivot to the right"],
    ("whole_body", "move", "forward"): ["move forward", "walk forward", "travel ahead"],
    ("whole_body", "move", "back"): ["move back", "walk backward", "step back"],
    ("whole_body", "move", "left"): ["move to your left", "shift to the left", "travel left"],
    ("whole_body", "move", "right"): ["move to your right", "shift to the right", "travel right"],
}
_AMOUNT = {
    "raise": ("slightly", "high"),
    "lower": ("slightly", "all the way"),
    "bend": ("slightly", "deeply"),
    "straighten": ("a little", "fully"),
    "lift": ("slightly", "high"),
    "put_down": ("a little", "all the way"),
    "step": ("slightly", "far"),
    "lean": ("slightly", "a lot"),
    "twist": ("slightly", "strongly"),
    "turn": ("slightly", "a long way"),
    "look": ("slightly", "far"),
    "tilt": ("slightly", "strongly"),
    "move": ("a little", "a long way"),
}


def _amount_word(m: Movement, rng: np.random.Generator) -> str:
    small, big = _AMOUNT[m.action]
    metres = m.action in ("step", "move") or (m.part == "whole_body" and m.action in ("raise", "lower"))
    lo, hi = (0.25, 0.6) if metres else (35.0, 70.0)
    return small if m.amount < lo else big if m.amount > hi else ""


def _gerund(phrase: str) -> str:
    verb, _, rest = phrase.partition(" ")
    if verb.endswith("e") and verb not in ("see",):
        ing = verb[:-1] + "ing"
    elif verb in ("step", "put", "drop", "tip", "squat", "flex"):
        ing = verb + ("" if verb == "flex" else verb[-1]) + "ing"
    else:
        ing = verb + "ing"
    return (ing + " " + rest).strip()


def _phrase(m: Movement, rng: np.random.Generator, both: bool, possessive: str, with_amount: bool = True) -> str:
    """One imperative clause, e.g. 'raise your left arm high above your head'."""
    if m.part in ("torso", "head", "whole_body"):
        text = _FIXED[(m.part, m.action, m.direction)][int(rng.integers(3))]
        if m.part == "whole_body" and m.action == "turn" and rng.random() < 0.5:
            text += f" by about {int(round(m.amount / 15.0) * 15)} degrees"
        word = _amount_word(m, rng) if with_amount else ""
        return f"{text} {word}".strip() if word and m.action != "turn" else text
    limb_kind = m.part.split("_")[1]
    noun = _LIMB[(limb_kind, m.action)]
    if both:
        noun = {"foot": "feet", "knee": "knees"}.get(noun, noun + "s")
        target = f"both {noun}"
    else:
        target = f"{possessive} {m.part.split('_')[0]} {noun}"
    verb = _VERBS[m.action][int(rng.integers(3))]
    amount = _amount_word(m, rng) if with_amount else ""
    if m.action in ("raise",):
        direction = _RAISE_DIR[m.direction][int(rng.integers(len(_RAISE_DIR[m.direction])))]
    elif m.action == "lift":
        direction = {"forward": "forward", "side": "out to the side", "back": "behind you"}.get(m.direction or "", "")
    elif m.action == "step":
        direction = _STEP_DIR[m.direction or "forward"][int(rng.integers(3))]
    elif m.action in ("lower", "put_down"):
        direction = ["", "to your side" if limb_kind == "arm" else "to the floor", "down"][int(rng.integers(3))]
        direction = "" if verb.endswith("down") and direction == "down" else direction
    else:
        direction = ""
    if " " in verb:  # phrasal verbs: "bring up your left arm" → "bring your left arm up"
        head, particle = verb.split(" ", 1)
        return " ".join(x for x in (head, target, particle, amount, direction) if x)
    return " ".join(x for x in (verb, target, amount, direction) if x)


def _join(clauses: list[str], rng: np.random.Generator) -> str:
    if len(clauses) == 1:
        return clauses[0]
    conj = ["and", "and", "while you also"][int(rng.integers(3))]
    return ", ".join(clauses[:-1]) + f" {conj} " + clauses[-1]


class KinematicDescriber:
    """Describes pose pairs from their 3D joints (see the module docstring)."""

    name = "kinematic"
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
        moves = movements(measure(a, b, mask))
        return self.from_movements(moves, k, seed, variant)

    def from_movements(
        self, moves: list[Movement], k: int, seed: int = 0, variant: Variant = "original"
    ) -> list[TransitionDescription]:
        # side-independent order: body region, then larger movements first, then action/direction names
        moves = sorted(moves, key=lambda m: (_PART_ORDER[m.part], -round(m.amount, 1), m.action, m.direction or ""))
        groups = self._merge_sides(moves)
        out: list[TransitionDescription] = []
        seen: set[str] = set()
        for i in range(k):
            for attempt in range(4):
                rng = np.random.default_rng(zlib.crc32(f"{seed}/{i}/{attempt}".encode()))
                desc = self._one(groups, moves, rng, style=(i + attempt) % 4, variant=variant)
                if desc.text not in seen:
                    break
            seen.add(desc.text)
            out.append(desc)
        return out

    @staticmethod
    def _merge_sides(moves: list[Movement]) -> list[tuple[Movement, bool]]:
        """Pairs of left/right limbs doing the same thing become one 'both' movement."""
        used: set[int] = set()
        groups: list[tuple[Movement, bool]] = []
        for i, m in enumerate(moves):
            if i in used:
                continue
            if m.part.endswith(("_arm", "_leg")):
                twin = next(
                    (
                        j
                        for j, o in enumerate(moves)
                        if j > i
                        and j not in used
                        and o.part != m.part
                        and o.part.split("_")[1] == m.part.split("_")[1]
                        and o.action == m.action
                        and o.direction == m.direction
                        and 0.5 <= o.amount / max(m.amount, 1e-6) <= 2.0
                    ),
                    None,
                )
                if twin is not None:
                    used.add(twin)
                    groups.append((m.model_copy(update={"amount": (m.amount + moves[twin].amount) / 2}), True))
                    continue
            groups.append((m, False))
        return groups

    def _one(
        self, groups: list[tuple[Movement, bool]], moves: list[Movement], rng: np.random.Generator, style: int, variant: Variant
    ) -> TransitionDescription:
        possessive = "your" if rng.random() < 0.7 else "the"
        rng_tag = int(rng.integers(1 << 30))
        parts: dict[str, str] = {p: NO_CHANGE for p in BODY_PART_NAMES}
        for m in moves:
            # seeded by side-free content, so mirror-image movements get mirror-image statements
            lateral = {"left": "lateral", "right": "lateral"}.get(m.direction or "", m.direction)
            side_free = f"{m.part.split('_')[-1]}/{m.action}/{lateral}/{m.amount}/{rng_tag}"
            clause = _phrase(m, np.random.default_rng(zlib.crc32(side_free.encode())), both=False, possessive="the")
            parts[m.part] = clause if parts[m.part] == NO_CHANGE else f"{parts[m.part]} and {clause}"
        if not groups:
            text = [
                "Keep the same pose.",
                "Hold the pose; nothing changes.",
                "Stay as you are.",
                "No change: keep the pose exactly as it is.",
            ][style]
        elif style == 0:  # one imperative list sentence, in body order
            text = as_sentence(_join([_phrase(m, rng, both, possessive) for m, both in groups], rng))
        elif style == 1:  # several short sentences, largest movement first
            ordered = sorted(groups, key=lambda g: -g[0].amount if g[0].part != "whole_body" else -1e9)
            text = " ".join(as_sentence(_phrase(m, rng, both, possessive)) for m, both in ordered)
        elif style == 2:  # coarse: no magnitudes, the main movement plus 'while …ing' the rest
            clauses = [_phrase(m, rng, both, possessive, with_amount=False) for m, both in groups]
            rest = [_gerund(c) for c in clauses[1:]]
            tail = rest[0] if len(rest) == 1 else ", ".join(rest[:-1]) + " and " + rest[-1] if rest else ""
            text = as_sentence(clauses[0] if not rest else f"{clauses[0]} while {tail}")
        else:  # a sequence: 'Starting from the first pose, first …, then …, and finally …'
            clauses = [_phrase(m, rng, both, possessive) for m, both in groups]
            opener = ["Starting from the first pose, ", "To reach the target, ", "From the reference pose, "][
                int(rng.integers(3))
            ]
            if len(clauses) == 1:
                text = as_sentence(opener + clauses[0])
            else:
                middle = ", then ".join(clauses[1:-1])
                text = as_sentence(
                    opener + "first " + clauses[0] + (", then " + middle if middle else "") + ", and finally " + clauses[-1]
                )
        # what TransitionDescription's validators would produce (parts already complete, in order, non-empty),
        # built without re-validating: validation was a fifth of the describer's time
        parts = {p: parts[p].strip() or NO_CHANGE for p in BODY_PART_NAMES}
        return TransitionDescription.model_construct(
            parts=parts, text=text, movements=list(moves), annotator=self.name, annotator_version=self.version, variant=variant
        )
