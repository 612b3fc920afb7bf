"""Parsing and validating MLLM answers into ``TransitionDescription``s; checking their sides.

The answer is read leniently (code fences, prose around the JSON, part names with spaces),
then validated strictly: every part known, exactly ``k`` non-empty instructions. Each part
statement is turned into ``Movement``s by a small lexicon, so the cycle and mirror checks of
the describe stage work on MLLM text too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from autocompose.describe.base import NO_CHANGE, Movement, TransitionDescription, Variant
from autocompose.describe.kinematic import movements as measured_movements
from autocompose.describe.measure import measure
from autocompose.poses.skeleton import BODY_PART_NAMES, BODY_PART_SWAP


class AnswerError(ValueError):
    """An answer that cannot be used; the message is the recorded failure reason."""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_LIMB_NAME = re.compile(r"\b(?:left|right|both|other) (?:arm|hand|elbow|shoulder|leg|knee|foot|feet|hip|ankle|wrist|thigh)s?\b")
_CLAUSE = re.compile(r",|;|\band\b|\bwhile\b|\bthen\b")
_DIRECTION_WORDS = {
    "forward": r"\bforwards?\b|\bahead\b|\bfront\b",
    "back": r"\bback(?:wards?)?\b|\bbehind\b",
    "left": r"\bleft\b",
    "right": r"\bright\b",
    "up": r"\bup(?:wards?)?\b",
    "down": r"\bdown(?:wards?)?\b",
    "out": r"\bout(?:wards?)?\b|\bwider\b|\baway from\b",
    "in": r"\bin(?:wards?)?\b|\bcloser\b|\btowards? the (?:body|other)\b",
}
_RAISE = r"\braise|\blift|\bbring\b.*\bup\b|\bswing\b.*\bup\b|\brise\b|\bstand up"
_LOWER = r"\blower|\bdrop|\bbring\b.*\bdown\b|\b(?:put|set)\b.*\bdown\b|\bsink"
_BEND = r"\bbend|\bflex"
_STRAIGHTEN = r"\bstraighten|\bextend|\bunbend|\bstretch\b.*\bout\b"


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def _direction(text: str, allowed: tuple[str, ...]) -> str | None:
    where = _LIMB_NAME.sub(" ", text)
    return next((d for d in allowed if _has(_DIRECTION_WORDS[d], where)), None)


def _clause_movement(part: str, c: str) -> tuple[str, str | None] | None:
    """(action, direction) of one clause about ``part``, in the kinematic describer's terms."""
    if part.endswith("_arm"):
        for pattern, action in ((_STRAIGHTEN, "straighten"), (_BEND, "bend"), (_RAISE, "raise"), (_LOWER, "lower")):
            if _has(pattern, c):
                return action, None
    elif part.endswith("_leg"):
        if _has(r"\bstep|\bplace|\bmove|\bslide|\bwalk", c) and not _has(r"\bdown\b", c):
            return "step", _direction(c, ("forward", "back", "out", "in"))
        for pattern, action in ((_STRAIGHTEN, "straighten"), (_BEND, "bend"), (_RAISE, "lift"), (_LOWER, "put_down")):
            if _has(pattern, c):
                return action, None
    elif part == "torso":
        if _has(r"\btwist|\brotate|\bturn", c):
            return "twist", _direction(c, ("left", "right"))
        if _has(r"\blean|\barch|\btip|\btilt|\bbend|\bhinge", c):
            return "lean", "back" if _has(r"\barch", c) else _direction(c, ("forward", "back", "left", "right"))
    elif part == "head":
        toward = re.search(r"\b(left|right) shoulder", c)
        if toward:
            return "tilt", toward.group(1)
        side = _direction(c, ("left", "right"))
        if side and _has(r"\btilt|\btip|\blean", c):
            return "tilt", side
        if side:
            return "turn", side
        if _has(r"\blook up|\bchin up|\braise (?:your |the )?chin|\bhead back|\btilt (?:your |the )?head back", c):
            return "look", "up"
        if _has(r"\blook down|\bchin down|\blower (?:your |the )?chin|\bdrop (?:your |the )?head|\bhead forward", c):
            return "look", "down"
    elif part == "whole_body":
        if _has(r"\bturn|\brotate|\bpivot", c):
            return "turn", _direction(c, ("left", "right"))
        if _has(r"\bsquat|\bcrouch|\blower (?:your )?(?:hips|body)|\bsink", c):
            return "lower", None
        if _has(r"\bstand up|\brise|\bstraighten up", c):
            return "raise", None
        if _has(r"\bmove|\bwalk|\btravel|\bshift|\bstep|\bgo\b", c):
            return "move", _direction(c, ("forward", "back", "left", "right"))
    return None


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (inside a code fence or bare)."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start = candidate.find("{")
    if start < 0:
        raise AnswerError("no JSON object in the answer")
    try:
        obj, _ = json.JSONDecoder().raw_decode(candidate[start:])
    except json.JSONDecodeError as exc:
        raise AnswerError(f"malformed JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(obj, dict):
        raise AnswerError("the JSON answer is not an object")
    return obj


def _part_name(name: str) -> str | None:
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    return key if key in BODY_PART_NAMES else None


def statement_movements(part: str, statement: str) -> list[Movement]:
    """Movements named in one part statement, clause by clause (empty for 'no change').

    A small lexicon in the kinematic describer's terms (raise/lower/bend/straighten for arms,
    lift/put down/step for legs, lean/twist for the torso, look/turn/tilt for the head,
    move/turn/lower/raise for the whole body); clauses it cannot read give nothing.
    """
    s = statement.lower().strip()
    if not s or s.startswith(NO_CHANGE) or s in ("none", "unchanged", "n/a"):
        return []
    out: list[Movement] = []
    for clause in _CLAUSE.split(s):
        found = _clause_movement(part, clause.strip())
        if found and (found[0], found[1]) not in {(m.action, m.direction) for m in out}:
            out.append(Movement(part=part, action=found[0], direction=found[1]))  # type: ignore[arg-type]
    return out


def parse_answer(text: str, k: int, annotator: str, version: str, variant: Variant) -> list[TransitionDescription]:
    """``k`` validated descriptions from an answer, or ``AnswerError`` naming what is wrong."""
    obj = extract_json(text)
    raw_parts = obj.get("parts")
    if not isinstance(raw_parts, dict):
        raise AnswerError("'parts' missing or not an object")
    parts: dict[str, str] = {}
    for name, statement in raw_parts.items():
        key = _part_name(str(name))
        if key is None:
            raise AnswerError(f"unknown body part {name!r} in 'parts'")
        parts[key] = str(statement).strip() or NO_CHANGE
    instructions = obj.get("instructions")
    if not isinstance(instructions, list) or not all(isinstance(x, str) and x.strip() for x in instructions):
        raise AnswerError("'instructions' missing or not a list of non-empty strings")
    if len(instructions) < k:
        raise AnswerError(f"{len(instructions)} instructions, {k} asked")
    moves = [m for p, s in parts.items() for m in statement_movements(p, s)]
    return [
        TransitionDescription(
            parts=parts, text=t.strip(), movements=moves, annotator=annotator, annotator_version=version, variant=variant
        )
        for t in instructions[:k]
    ]


_SIDED = [p for p in BODY_PART_NAMES if p.startswith(("left_", "right_"))]


def side_check(desc: TransitionDescription, a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> tuple[int, int]:
    """(agreeing, swapped): sided parts the answer moves that the measurement moves on the same
    side, and on the other side. ``swapped > agreeing`` means the answer mixed up left and right."""
    said = {p for p, s in desc.parts.items() if p in _SIDED and statement_movements(p, s)}
    moved = {m.part for m in measured_movements(measure(a, b, mask)) if m.part in _SIDED}
    return len(said & moved), len({BODY_PART_SWAP[p] for p in said} & moved)
