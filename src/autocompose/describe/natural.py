"""The natural describer: instructions worded the way people give them (a coach, not a checklist).

Built on the same measurements as the kinematic describer (``measure.measure`` and
``kinematic.movements``), it differs in what it says and how:

* **whole-body vocabulary** — the target's shape and the change are matched against named
  poses (``GESTURES``): squat, crouch, lunge, kneel, kick, knee lift, hop/jump, punch, reach,
  wave, guard, bow, arms overhead, arms out (T-pose), hands on hips. A named pose absorbs the
  limb movements it explains ("squat down" instead of "bend both knees … lower the hips").
  Leaving a named pose is said as such ("stand up out of the squat").
* **salience** — every statement gets a size (degrees / 90, metres / 0.4, named poses a
  bonus); the largest comes first and a statement is dropped when it is under
  ``KEEP_RATIO`` of the largest (no head tilt next to a squat).
* **turns and travel as people notice them** — whole-body turns under 40° are not mentioned,
  larger ones in coarse words ("turn to your left", "turn around"), never degrees; travel is
  said only when a foot really stepped ("take a step forward") or both feet left the floor.
* **granularity and paraphrase** — phrasing ``i`` of ``k`` is a short cue (the top statement),
  a normal instruction (top two) or a detailed one (up to four), each from several wordings,
  chosen by a seeded generator: deterministic for a seed.

Mirror-consistent: the order of statements never depends on the side and every wording
choice is seeded with side-free content, so the mirrored pair gets the side-swapped text.
``movements`` of each description are the measured movements its text covers, so the
cycle-consistency check of ``variants`` applies unchanged.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from autocompose.describe.base import NO_CHANGE, Movement, TransitionDescription, Variant, as_sentence
from autocompose.describe.kinematic import movements as kinematic_movements
from autocompose.describe.measure import BodyShape, Change, PoseState, body_shape, measure
from autocompose.poses.skeleton import BODY_PART_NAMES

KEEP_RATIO = 0.45  # a statement smaller than this share of the largest one is dropped
MIN_SALIENCE = 0.22  # … and so is anything smaller than this on its own
GESTURE_BONUS = 0.35  # a named pose outranks the limb movements of the same size
TURN_MIN, TURN_AROUND = 40.0, 135.0  # degrees of whole-body turn: noticed, "turn around"
HOP_MIN = 0.08  # metres the lowest foot rises for a hop / jump
GRANULARITY = ("normal", "cue", "detailed")  # phrasing i uses GRANULARITY[i % 3]
_MAX_ITEMS = {"cue": 1, "normal": 2, "detailed": 4}
_OTHER = {"left": "right", "right": "left"}


@dataclass
class _Pose:
    """Everything one pose is judged by."""

    state: PoseState
    shape: BodyShape


@dataclass
class Statement:
    """One thing to say: wordings (with ``{side}``/``{other}`` slots), size, and what it covers."""

    key: str  # side-free identity, for ordering and seeding
    wordings: list[str]
    salience: float
    side: str | None = None  # the person's side the wording names, if any
    covers: list[Movement] = field(default_factory=list)

    def text(self, rng: np.random.Generator) -> str:
        w = self.wordings[int(rng.integers(len(self.wordings)))]
        return w.format(side=self.side or "", other=_OTHER.get(self.side or "", ""))


# ------------------------------------------------------------------ named poses
def _squat(p: _Pose) -> bool:
    legs = p.state.legs
    return min(legs["left"].flex, legs["right"].flex) >= 60 and p.state.lean_forward < 40


def _crouch(p: _Pose) -> bool:
    legs = p.state.legs
    return min(legs["left"].flex, legs["right"].flex) >= 50 and p.state.lean_forward >= 40


def _lunge_side(p: _Pose) -> str | None:
    st = p.shape.feet_stagger
    if abs(st) < 0.45:
        return None
    front = "left" if st > 0 else "right"
    legs = p.state.legs
    return front if legs[front].flex >= 40 and not legs[front].level else None  # the back heel may be up


def _kneel_side(p: _Pose) -> str | None:
    low = min(("left", "right"), key=lambda s: p.shape.knee_above_floor[s])
    return low if p.shape.knee_above_floor[low] < 0.15 else None


def _kick_side(p: _Pose) -> str | None:
    for s in ("left", "right"):
        leg = p.state.legs[s]
        if leg.level and leg.elevation >= 45 and leg.flex < 45:
            return s
    return None


def _knee_lift_side(p: _Pose) -> str | None:
    for s in ("left", "right"):
        leg = p.state.legs[s]
        if leg.level and leg.elevation >= 50 and leg.flex >= 60:
            return s
    return None


def _arm_straight_forward(p: _Pose, s: str) -> bool:
    arm = p.state.arms[s]
    return arm.flex < 35 and 2 <= arm.level <= 4 and arm.forward >= 0.35


def _guard(p: _Pose) -> bool:
    arms = p.state.arms
    return all(arms[s].flex >= 80 and 2 <= arms[s].level <= 4 and p.shape.hand_forward[s] > 0.1 for s in ("left", "right"))


def _punch_side(p: _Pose) -> str | None:
    for s in ("left", "right"):
        other = p.state.arms[_OTHER[s]]
        if _arm_straight_forward(p, s) and other.flex >= 70 and other.level >= 2:
            return s
    return None


def _reach_side(p: _Pose) -> str | None:
    for s in ("left", "right"):
        if _arm_straight_forward(p, s) and not _arm_straight_forward(p, _OTHER[s]):
            return s
    return None


def _wave_side(p: _Pose) -> str | None:
    for s in ("left", "right"):
        arm, other = p.state.arms[s], p.state.arms[_OTHER[s]]
        if arm.level >= 4 and 35 <= arm.flex <= 130 and arm.outward > 0.05 and other.level <= 1:
            return s
    return None


def _overhead(p: _Pose) -> bool:
    return p.state.arms["left"].level == 5 and p.state.arms["right"].level == 5


def _arms_out(p: _Pose) -> bool:
    arms = p.state.arms
    return all(65 <= arms[s].elevation <= 115 and arms[s].flex < 35 and arms[s].outward >= 0.4 for s in ("left", "right"))


def _hands_on_hips(p: _Pose) -> bool:
    arms = p.state.arms
    return all(p.shape.hand_to_hip[s] < 0.16 and arms[s].flex >= 50 for s in ("left", "right"))


def _bow(p: _Pose) -> bool:
    return p.state.lean_forward >= 40 and max(p.state.legs["left"].flex, p.state.legs["right"].flex) < 35


@dataclass(frozen=True)
class Gesture:
    """A named pose: how to detect it, what it explains, how to say entering and leaving it."""

    name: str
    detect: Callable[[_Pose], bool | str | None]  # True, or the side doing it, when the pose shows it
    parts: tuple[str, ...]  # body parts whose movements it explains ('{side}_arm' for the doing side)
    enter: tuple[str, ...]
    leave: tuple[str, ...]


GESTURES: tuple[Gesture, ...] = (
    Gesture(
        "kneel",
        _kneel_side,
        ("left_leg", "right_leg", "whole_body", "torso"),
        ("kneel down on your {side} knee", "go down onto your {side} knee", "drop to one knee, the {side} one"),
        ("get up off your {side} knee", "stand up from kneeling", "rise from the kneel"),
    ),
    Gesture(
        "lunge",
        _lunge_side,
        ("left_leg", "right_leg", "whole_body"),
        (
            "lunge forward with your {side} leg",
            "step into a lunge, {side} foot forward",
            "drop into a lunge with the {side} knee bent in front",
        ),
        ("come up out of the lunge", "bring your feet back together from the lunge", "push back up from the lunge"),
    ),
    Gesture(
        "squat",
        _squat,
        ("left_leg", "right_leg", "whole_body"),
        ("squat down", "drop into a squat", "sink down into a squat", "bend your knees and squat low"),
        ("stand up out of the squat", "rise up from the squat", "come up to standing", "push up out of the squat"),
    ),
    Gesture(
        "crouch",
        _crouch,
        ("left_leg", "right_leg", "whole_body", "torso", "head"),
        ("crouch down", "crouch low, leaning over your knees", "get down into a crouch"),
        ("come up out of the crouch", "stand up from the crouch", "rise from your crouch"),
    ),
    Gesture(
        "kick",
        _kick_side,
        ("{side}_leg",),
        ("kick your {side} leg out", "kick with your {side} foot", "swing your {side} leg up in a kick"),
        ("bring your {side} leg back down", "put your {side} foot back down", "lower the {side} leg from the kick"),
    ),
    Gesture(
        "knee_lift",
        _knee_lift_side,
        ("{side}_leg",),
        ("lift your {side} knee up high", "bring your {side} knee up", "raise your {side} knee toward your chest"),
        ("put your {side} foot back down", "lower your {side} knee", "bring your {side} leg back down"),
    ),
    Gesture(
        "guard",
        _guard,
        ("left_arm", "right_arm"),
        ("bring your hands up into a guard", "put your fists up", "raise your hands up in front of your face like a boxer"),
        ("drop your guard", "lower your fists", "let your hands down from the guard"),
    ),
    Gesture(
        "punch",
        _punch_side,
        ("left_arm", "right_arm"),
        ("punch forward with your {side} fist", "throw a {side} punch", "jab straight ahead with your {side} hand"),
        ("pull your {side} fist back", "bring your {side} arm back from the punch", "draw your {side} hand back in"),
    ),
    Gesture(
        "wave",
        _wave_side,
        ("left_arm", "right_arm"),
        ("wave with your {side} hand", "raise your {side} hand to wave", "lift your {side} hand up as if waving hello"),
        ("stop waving and drop your {side} hand", "bring your {side} hand down", "lower your {side} hand"),
    ),
    Gesture(
        "reach",
        _reach_side,
        ("{side}_arm",),
        (
            "reach forward with your {side} arm",
            "stretch your {side} arm out in front of you",
            "reach out ahead with your {side} hand",
        ),
        ("pull your {side} arm back in", "bring your {side} arm back", "draw your {side} hand back toward you"),
    ),
    Gesture(
        "overhead",
        _overhead,
        ("left_arm", "right_arm"),
        ("raise both arms overhead", "reach both arms up over your head", "put your arms straight up"),
        ("bring both arms down from overhead", "lower your arms", "drop your arms down"),
    ),
    Gesture(
        "arms_out",
        _arms_out,
        ("left_arm", "right_arm"),
        ("stretch your arms out to the sides", "open your arms wide into a T", "hold both arms straight out to the side"),
        ("bring your arms in from the sides", "drop your arms from the T", "lower your outstretched arms"),
    ),
    Gesture(
        "hands_on_hips",
        _hands_on_hips,
        ("left_arm", "right_arm"),
        ("put your hands on your hips", "place both hands on your hips", "rest your hands on your hips"),
        ("take your hands off your hips", "let go of your hips", "drop your hands from your hips"),
    ),
    Gesture(
        "bow",
        _bow,
        ("torso", "head"),
        ("bow forward", "bend forward at the waist", "fold forward from the hips"),
        ("straighten up from the bow", "stand tall again", "come up out of the bend"),
    ),
)
_EXCLUSIVE = {  # a named pose found earlier in GESTURES rules out these later ones
    "kneel": ("lunge", "squat", "crouch"),
    "lunge": ("squat", "crouch"),
    "squat": ("crouch",),
    "punch": ("reach",),
}


def _detected(p: _Pose) -> dict[str, str | None]:
    """Named poses this pose shows: name → side (None for two-sided ones)."""
    out: dict[str, str | None] = {}
    for g in GESTURES:
        hit = g.detect(p)
        if hit and not any(earlier in out for earlier, blocked in _EXCLUSIVE.items() if g.name in blocked):
            out[g.name] = hit if isinstance(hit, str) else None
    return out


# ------------------------------------------------------------------ limb statements
def _size(m: Movement) -> float:
    if m.part == "whole_body" and m.action in ("raise", "lower", "move"):
        return m.amount / 0.4
    if m.action == "step":
        return m.amount / 0.4
    scale = {"head": 0.5, "torso": 0.9}.get(m.part, 1.0)
    return scale * m.amount / 90.0


_LIMB_WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("arm", "raise"): ("raise {who} arm{dir}", "lift {who} arm{dir}", "bring {who} arm up{dir}"),
    ("arm", "lower"): ("lower {who} arm", "drop {who} arm down", "bring {who} arm down"),
    ("arm", "bend"): ("bend {who} elbow", "bend {who} arm", "fold {who} arm in"),
    ("arm", "straighten"): ("straighten {who} arm", "extend {who} arm", "stretch {who} arm out"),
    ("leg", "lift"): ("lift {who} leg{dir}", "raise {who} leg{dir}", "swing {who} leg up{dir}"),
    ("leg", "put_down"): ("lower {who} leg", "put {who} foot down", "bring {who} leg back down"),
    ("leg", "bend"): ("bend {who} knee", "bend {who} knee", "soften {who} knee"),
    ("leg", "straighten"): ("straighten {who} leg", "lock out {who} knee", "straighten {who} knee"),
    ("leg", "step"): ("step {who} foot{dir}", "move {who} foot{dir}", "take a step{dir} with {who} foot"),
}
_DIR_WORDS = {
    "raise": {"forward": " in front of you", "side": " out to the side", "back": " behind you", "overhead": " over your head"},
    "lift": {"forward": " forward", "side": " out to the side", "back": " behind you"},
    "step": {"forward": " forward", "back": " back", "out": " out wide", "in": " in"},
}
_PLURAL = {"arm": "arms", "leg": "legs", "elbow": "elbows", "knee": "knees", "foot": "feet"}
_FIXED: dict[tuple[str, str, str | None], tuple[str, ...]] = {
    ("torso", "lean", "forward"): ("lean forward", "tip forward", "lean your upper body forward"),
    ("torso", "lean", "back"): ("lean back", "lean backward", "arch back a little"),
    ("torso", "lean", "left"): ("lean to your left", "bend sideways to the left", "tilt your body to the left"),
    ("torso", "lean", "right"): ("lean to your right", "bend sideways to the right", "tilt your body to the right"),
    ("torso", "twist", "left"): ("twist to your left", "rotate your upper body to the left", "turn your chest to the left"),
    ("torso", "twist", "right"): ("twist to your right", "rotate your upper body to the right", "turn your chest to the right"),
    ("head", "turn", "left"): ("look to your left", "turn your head left", "glance over to your left"),
    ("head", "turn", "right"): ("look to your right", "turn your head right", "glance over to your right"),
    ("head", "look", "up"): ("look up", "lift your chin", "tilt your head back"),
    ("head", "look", "down"): ("look down", "drop your chin", "look at the floor"),
    ("head", "tilt", "left"): ("tilt your head to the left", "tip your head toward your left shoulder", "cock your head left"),
    ("head", "tilt", "right"): (
        "tilt your head to the right",
        "tip your head toward your right shoulder",
        "cock your head right",
    ),
    ("whole_body", "lower", None): ("bend your knees and sink down", "lower your hips", "get lower"),
    ("whole_body", "raise", None): ("stand up taller", "rise up", "straighten your legs and come up"),
}


def _limb_statement(moves: list[Movement]) -> Statement:
    """One or two (left + right, same action) movements as a plain statement."""
    m = moves[0]
    size = float(np.mean([_size(x) for x in moves]))
    if m.part in ("torso", "head", "whole_body"):
        key = f"{m.part}/{m.action}/{'lateral' if m.direction in ('left', 'right') else m.direction}"
        words = _FIXED[(m.part, m.action, m.direction)]
        side = m.direction if m.direction in ("left", "right") else None
        if side:  # wordings name the direction, so they are written with {side}
            words = tuple(w.replace(side, "{side}") for w in words)
        return Statement(key, list(words), size, side, list(moves))
    kind = m.part.split("_")[1]
    both = len(moves) == 2
    words = []
    for w in _LIMB_WORDS[(kind, m.action)]:
        t = w.replace("{dir}", _DIR_WORDS.get(m.action, {}).get(m.direction or "", ""))
        if both:
            for noun, plural in _PLURAL.items():
                t = t.replace("{who} " + noun, "both " + plural)
        words.append(t.replace("{who}", "your {side}"))
    key = f"{kind}/{m.action}/{m.direction}/{'both' if both else 'one'}"
    return Statement(key, words, size, None if both else m.part.split("_")[0], list(moves))


def _turn_statement(change: Change, covers: list[Movement]) -> Statement | None:
    deg = abs(change.turn_left)
    if deg < TURN_MIN:
        return None
    side = "left" if change.turn_left > 0 else "right"
    if deg >= TURN_AROUND:
        words = ["turn around", "turn all the way around", "turn to face the other way"]
    else:
        words = ["turn to your {side}", "turn and face your {side}", "rotate your whole body to the {side}"]
    return Statement("whole_body/turn", words, 0.9 + deg / 180.0, side, covers)


def _travel_statement(change: Change, moves: list[Movement], hopped: bool) -> Statement | None:
    """Travel only when a foot stepped (or the person jumped): 'take a step forward'."""
    travel = [m for m in moves if m.part == "whole_body" and m.action == "move"]
    if not travel or not (hopped or any(m.action == "step" for m in moves)):
        return None
    m = travel[0]
    direction = {"forward": "forward", "back": "back", "left": "to your {side}", "right": "to your {side}"}[
        m.direction or "forward"
    ]
    side = m.direction if m.direction in ("left", "right") else None
    many = m.amount >= 1.0
    words = [f"take a few steps {direction}", f"walk {direction}"] if many else [f"take a step {direction}", f"step {direction}"]
    key = f"whole_body/move/{'lateral' if side else m.direction}"
    covers = [m, *(x for x in moves if x.action == "step")]
    return Statement(key, words, m.amount / 0.5, side, covers)


def statements(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> list[Statement]:
    """Every statement a person could make about the change from ``a`` to ``b``, most salient first."""
    change = measure(a, b, mask)
    moves = kinematic_movements(change)
    pa, pb = _Pose(change.a, body_shape(a, mask)), _Pose(change.b, body_shape(b, mask))
    before, after = _detected(pa), _detected(pb)
    used: set[int] = set()
    out: list[Statement] = []
    hop = body_shape(b, mask).floor_y - body_shape(a, mask).floor_y
    for g in GESTURES:
        entering, leaving = g.name in after and g.name not in before, g.name in before and g.name not in after
        if not (entering or leaving):
            continue
        side = after[g.name] if entering else before[g.name]
        parts = {p.replace("{side}", side or "") for p in g.parts}
        covered = [i for i, m in enumerate(moves) if m.part in parts and i not in used]
        if not covered:
            continue  # the pose did not really change there (the measurement is at a threshold)
        used.update(covered)
        size = max(_size(moves[i]) for i in covered) + GESTURE_BONUS
        out.append(
            Statement(
                f"gesture/{g.name}/{'enter' if entering else 'leave'}",
                list(g.enter if entering else g.leave),
                size,
                side,
                [moves[i] for i in covered],
            )
        )
    if abs(hop) >= HOP_MIN:
        words = (
            ["jump up", "hop up off the floor", "spring up into a jump"]
            if hop > 0
            else ["land back on the floor", "come down from the jump"]
        )
        out.append(Statement(f"hop/{'up' if hop > 0 else 'down'}", words, 0.6 + abs(hop) / 0.3, None, []))
    turn_moves = [i for i, m in enumerate(moves) if m.part == "whole_body" and m.action == "turn"]
    used.update(turn_moves)
    turn = _turn_statement(change, [moves[i] for i in turn_moves if abs(change.turn_left) >= TURN_MIN])
    if turn:
        out.append(turn)
    travel = _travel_statement(change, [m for i, m in enumerate(moves) if i not in used], abs(hop) >= HOP_MIN)
    if travel:
        out.append(travel)
    used.update(i for i, m in enumerate(moves) if m.part == "whole_body" and m.action == "move")
    if travel:
        used.update(i for i, m in enumerate(moves) if m.action == "step")
    rest = [m for i, m in enumerate(moves) if i not in used]
    taken: set[int] = set()
    for i, m in enumerate(rest):
        if i in taken:
            continue
        twin = next(
            (
                j
                for j, o in enumerate(rest)
                if j > i
                and j not in taken
                and o.part != m.part
                and o.part.endswith(m.part[-4:])
                and m.part.endswith(("_arm", "_leg"))
                and o.action == m.action
                and o.direction == m.direction
            ),
            None,
        )
        taken.add(i)
        if twin is not None:
            taken.add(twin)
        out.append(_limb_statement([m] if twin is None else [m, rest[twin]]))
    return sorted(out, key=lambda s: (-round(s.salience, 1), s.key))


def select(stmts: list[Statement], granularity: str) -> list[Statement]:
    """The statements a person would say at this granularity: the largest, then those not dwarfed by it."""
    if not stmts:
        return []
    top = stmts[0].salience
    keep = [s for s in stmts if s.salience >= max(MIN_SALIENCE, KEEP_RATIO * top)] or stmts[:1]
    return keep[: _MAX_ITEMS[granularity]]


# ------------------------------------------------------------------ sentences
_OPENERS = ("", "", "", "now ", "next, ")
_JOINERS = (" and ", ", then ", " while you ", ", and ")
_NOTHING = ("Stay as you are.", "Hold the pose.", "Keep still; nothing changes.", "No change, hold it there.")


def _compose(clauses: list[str], granularity: str, rng: np.random.Generator) -> str:
    if granularity == "cue":
        return as_sentence(clauses[0])
    opener = _OPENERS[int(rng.integers(len(_OPENERS)))]
    if len(clauses) == 1:
        return as_sentence(opener + clauses[0])
    if granularity == "normal" or len(clauses) == 2:
        return as_sentence(opener + clauses[0] + _JOINERS[int(rng.integers(len(_JOINERS)))] + clauses[1])
    head = as_sentence(opener + clauses[0] + _JOINERS[int(rng.integers(2))] + clauses[1])
    tail = ["also " + c for c in clauses[2:3]] + clauses[3:]
    return head + " " + as_sentence(" and ".join(tail))


class NaturalDescriber:
    """Human-style pose-transition instructions (see the module docstring)."""

    name = "natural"
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
        stmts = statements(a, b, mask)
        out: list[TransitionDescription] = []
        seen: set[str] = set()
        for i in range(k):
            granularity = GRANULARITY[i % len(GRANULARITY)]
            chosen = select(stmts, granularity)
            for attempt in range(4):
                content = "|".join(s.key for s in chosen)  # side-free, so the mirrored pair draws the same
                desc = self._one(chosen, granularity, f"{seed}/{i}/{attempt}/{content}", variant)
                if desc.text not in seen:
                    break
            seen.add(desc.text)
            out.append(desc)
        return out

    def _one(self, chosen: list[Statement], granularity: str, tag: str, variant: Variant) -> TransitionDescription:
        rng = np.random.default_rng(zlib.crc32(tag.encode()))
        if not chosen:
            text = _NOTHING[int(rng.integers(len(_NOTHING)))]
        else:
            # each wording is seeded by side-free content: mirrored pairs get mirrored words
            clauses = [s.text(np.random.default_rng(zlib.crc32(f"{tag}/{s.key}".encode()))) for s in chosen]
            text = _compose(clauses, granularity, rng)
        moves = [m for s in chosen for m in s.covers]
        parts = {p: NO_CHANGE for p in BODY_PART_NAMES}
        for s in chosen:
            statement = s.text(np.random.default_rng(0))
            for part in dict.fromkeys(m.part for m in s.covers):
                parts[part] = statement if parts[part] == NO_CHANGE else f"{parts[part]}; {statement}"
        return TransitionDescription(
            parts=parts, text=text, movements=moves, annotator=self.name, annotator_version=self.version, variant=variant
        )
