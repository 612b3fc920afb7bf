"""Parsing and validating MLLM answers into ``TransitionDescription``s.

The answer is read leniently (code fences, prose around the JSON, part names with spaces),
then validated strictly: every part known, exactly ``k`` non-empty instructions. Each part
statement is turned into ``Movement``s by a small lexicon, so the cycle and mirror checks of
the describe stage work on MLLM text too. Whether an answer mixed up left and right is
``autocompose.describe.mllm.sides``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from autocompose.describe.base import NO_CHANGE, Movement, TransitionDescription, Variant
from autocompose.poses.skeleton import BODY_PART_NAMES, BODY_PART_SWAP


class AnswerError(ValueError):
    """An answer that cannot be used; the message is the recorded failure reason."""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_LIMB_WORDS = (
    r"arms?|hands?|elbows?|shoulders?|wrists?|forearms?|palms?|fists?"
    r"|legs?|knees?|foot|feet|hips?|ankles?|thighs?|heels?|toes?|shins?"
)
_LIMB_NAME = re.compile(rf"\b(?:left|right|both|other|opposite) (?:{_LIMB_WORDS})\b")
_CLAUSE = re.compile(
    r"[,;:!?]|\.(?!\d)|\s{2,}|\band\b|\bwhile\b|\bthen\b|\bas you\b"
    r"|(?=\bwith (?:your |the |both |my )?(?:left|right|both|arms?|hands?|knees?|legs?|feet|elbows?)\b)"
)
_DIRECTION_WORDS = {
    "forward": r"\bforwards?\b|\bahead\b|\bin front\b|\bto the front\b|\btoward the front\b",
    "back": r"\bback(?:wards?)?\b|\bbehind\b|\btrail",
    "left": r"\bleft\b",
    "right": r"\bright\b",
    "up": r"\bup(?:wards?)?\b|\bhigher\b",
    "down": r"\bdown(?:wards?)?\b|\blower\b",
    "out": r"\bout(?:wards?)?\b|\bwider\b|\bapart\b|\bto the side\b|\bsideways\b|\buncross"
    r"|\baway from (?:the |your )?(?:body|torso|sides?|midline|hips?|other|chest)\b",
    "in": r"\binwards?\b|\bin$|\bcloser\b"
    r"|\bin\b(?=\s+(?:beside|next|toward|towards|to\b|close|so\b|under|line|and\b|your\b|about\b|a (?:bit|little)\b|slightly))"
    r"|\btogether\b|\btowards? (?:yourself|you)\b"
    r"|\bacross\b|\bcross(?:es|ed|ing)?\b|\bmidline\b|\bunder (?:the |your )?(?:body|hips?|pelvis|torso)\b"
    r"|\btowards? (?:the (?:body|other|midline)|your (?:body|chest|other))"
    r"|\b(?:beside|next to|close to|against) (?:your |the )?(?:body|torso|chest)\b",
}
_UP_PLACE = (
    r"\boverhead\b|\babove (?:your |the )?(?:head|shoulders?)\b|\b(?:shoulder|chest|head|face|eye|chin) (?:height|level)\b"
    r"|\b(?:to|towards?|at) the (?:ceiling|sky|roof)\b|\bin(?:to)? the air\b|\bup(?:wards?)?\b"
    r"|\blevel with (?:your |the )?(?:shoulders?|head|face|chest|eyes|chin)\b"
)
_RAISE = (
    r"\brais(?!ed)|\blift(?!ed)|\belevate|\bbring\b.*\bup\b|\bswing\b.*\bup\b|\brise\b"
    r"|\bstand up|\breach(?:es|ing)?\b|\bopen\b.*\bout\b|\bspread"
    r"|\bhold\b.*\bup\b|\bpoint\b|\bextend\b.*(?:\bup\b|\bforward|\bin front|\bto the side|\boverhead|\babove)|\bhigher\b"
)
_LOWER = (
    r"\blower|\bdrop|\bdroop|\bbring\b.*\bdown\b|\b(?:put|set)\b.*\bdown\b|\bsink|\blet\b.*\b(?:hang|fall|drop|down)\b|\bhang"
    r"|\brelax|(?<!out )\b(?:to|by|at|against|on) (?:your |the )?sides?\b|\brest\b|\breturn\b.*\bside|\bdown(?:wards?)?\b"
)
_BEND = r"\bbend|\bbent\b|\bflex|\bfold|\bcurl|\bcurv|\btuck|\bsoften|\bstay low\b|\bcrouch|\bsquat|\blunge|\bsink"
_STRAIGHTEN = r"\bstraighten|\bstraight\b|\bextend|\bunbend|\bstretch|\block\b|\breduc\w* (?:the )?bend|\bless bent\b"
_PLACE = (
    r"\btouch|\bmove|\bbring|\bplace|\bput\b|\bshift|\bswing|\bpull|\bpush|\bsweep|\bcross|\bdraw|\bslide|\btake\b|\bposition"
    r"|\bangle|\bdrift|\bopen\b|\bhave\b|\bset\b|\bkeep\b"
)
#: Where a hand is put, read as the arm movement that gets it there from a neutral stance:
#: hands to the head / face are raised, to the hips / waist / chest the elbow bends, to the
#: knees / thighs / floor the arm goes down.
_TARGET_WORDS: tuple[tuple[str, str], ...] = (
    (r"head|face|chin|ears?|forehead|neck|mouth|cheek", "raise"),
    (r"hips?|waist|chest|belly|stomach|navel|ribs", "bend"),
    (r"knees?|thighs?|shins?|ankles?|toes|feet|foot|floor(?! lamp)|ground", "lower"),
)
_HAND_TARGETS: tuple[tuple[str, str], ...] = tuple(
    (rf"\b(?:to|on|at|{'by|' if action != 'lower' else ''}near|beside|against|touch\w*)\b.*\b(?:{words})\b", action)
    for words, action in _TARGET_WORDS
)
#: The same targets a hand is only brought toward ('bring your hand toward your face'), read after the
#: arm's own directions ('angle the forearm inward toward the head' moves it in).
_TOWARD_TARGETS: tuple[tuple[str, str], ...] = tuple(
    (rf"\btowards?\b.*\b(?:{words})\b", action) for words, action in _TARGET_WORDS
)
#: An arm pointed, aimed or reached somewhere ('the elbow pointing at the lamp'), or brought or swung
#: toward something in the room ('swing your arm toward the table'): the limb held off the side.
_POINTING = r"\bpoint\w*|\baim\w*|\bdirected\b|\breach\w*|\belbows? (?:\w+ )*?fac(?:e|es|ing)\b"
_ROOM_TARGET = r"\btowards?\b|\bin the direction of\b|\b(?:point\w*|aim\w*|reach\w*) (?:at|to)\b"
_REACH_VERB = r"\bswing|\bbring|\bmove|\bstretch|\bextend|\bput\b|\btake\b"
_HAND_ORIENTATION = r"\bpalms?\b|\btwist|\brotat|\bturn|\bthumbs?\b|\bfingers?\b"
_DOWN_TARGET = r"\bdown|\b(?:floor|ground)\b(?! lamp)"
#: A palm that is moved, held or put somewhere is the hand ('move your left palm toward the stool').
_PALM_AS_HAND = re.compile(
    r"\b((?:mov|bring|put|plac|rais|lift|lower|drop|hold|rest|position)\w* (?:(?:your|the|both|left|right|my) )*)palm(s?)\b"
)
#: How the hand itself is turned ('with the palm facing down', 'fingers pointing at the lamp', 'the hands
#: face forward', 'turn your wrist'): a rotation the skeleton has no feature for. It is cut off an arm
#: clause before the clause is read, so only what the rest says of the arm counts ('hold the hand up
#: with the palm facing front' is a raise; 'your right palm facing down' alone is not read).
_FACES = r"fac(?:es|ing)|face(?= (?:up|down|out|in|forward|front|the|towards?|to|away|you|left|right))"
_HAND_WORDS_BEFORE = r"(?:\b(?:with|your|the|both|left|right|my|of|and)\s+)*"
_HAND_FACING = re.compile(
    _HAND_WORDS_BEFORE + r"\b(?:palms?|fingers?|finger ?tips|thumbs?|knuckles)\b"
    rf"(?=.*?\b(?:{_FACES}|point\w*|direct\w*|orient\w*|turn\w*|up(?:wards?)?|down(?:wards?)?|flat|open|spread"
    r"|curl\w*|parallel|towards?|forward|front|out(?:wards?)?|in(?:wards?)?|left|right)\b).*$"
    r"|" + _HAND_WORDS_BEFORE + r"\b(?:hands?|fists?) (?:(?:are|is|should|be|being|will|now|both|all|also) )*"
    rf"(?:{_FACES}|twisted|turned|rotated|oriented)\b.*$"
    r"|\b(?:turn|twist|rotat)\w* (?:\w+ ){0,2}?(?:hands?|wrists?|fists?)\b.*$"
)
#: Clauses that say where a limb points or faces (a rotation the measurement has no feature for).
_ORIENTATION = r"\bturn|\brotat|\btwist|\bpoint|\bfac(?:e|ing)\b|\bpalms?\b|\bangle of\b|\bdegrees?\b"
_LEG_LIFT = (
    r"\bkick|\bswing\b|\blift(?!ed)|\brais(?!ed)|\belevat|\bpick(?:s|ing)?\b.*\bup\b|\bbring\b.*\bup\b|\boff the (?:floor|ground)"
    r"|\bknee up\b|\bin the air\b|\babove the (?:floor|ground)"
)
#: A leg brought off the floor or up (not a heel or the toes: 'heel off the floor' is a rise onto the toes;
#: nor a knee: 'the knee an inch off the ground' is a kneel).
_LEG_UP = (
    r"\boff (?:of |o )?(?:the )?(?:floor|ground)\b|\b(?:up|away) from the (?:floor|ground)\b|\bon (?:the )?air\b"
    r"|\b(?:mov|bring|go|goes|come|comes|put|pick)\w*\b.*\bup(?:wards?)?\b"
)
_LOOK_UP = (
    r"\b(?:lift|raise)\b.*\bhead|\blook\b.*\bup|\bchin up|\b(?:raise|lift) (?:your |the )?chin|\bhead back|\btilt\b.*\bback"
    r"|\bceiling|\bsky|\bhead up(?:wards?)?\b|\bup(?:wards?)?\b"
)
_LOOK_DOWN = (
    r"\blook\b.*\bdown|\bchin down|\blower (?:your |the )?(?:chin|head)|\bdrop\b|\bhead forward"
    r"|\btilt\b.*\b(?:down|forward)|\bbow|\bnod|\bfloor|\bground|\btuck|\bdown(?:wards?)?\b"
)
_TORSO_UP = r"\barch|\blean\b.*\bback|\btilt\b.*\bback|\bupright\b|\bstraighten|\bsit up|\bstand tall|\bsquare|\braise|\blift"
_BODY_LOWER = (
    r"\bsquat|\bcrouch|\blower|\bsink|\bdrop|\bget low|\bstay low|\bbend down|\bkneel|\bduck|\bdip"
    r"|\bcome down|\bgo down"
)
_HOLD = re.compile(
    r"\b(?:keep|stay|remain|leave|hold|maintain|don'?t move|do not move)\b.*"
    r"\b(?:same|in place|where|as (?:it|they|before)|still|unchanged|steady|as is)\b"
)


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


#: Imperative verbs that decide an arm / leg clause when they open it ('lower the arm … with a slight
#: bend' is a lowering, whatever state words follow).
_ARM_LEAD: tuple[tuple[str, str], ...] = (
    ("raise", r"raise|lift"),
    ("lower", r"lower|drop"),
    ("bend", r"bend|fold|flex|curl"),
    ("straighten", r"straighten|unbend|lock"),
)
_LEG_LEAD: tuple[tuple[str, str], ...] = (
    ("lift", r"lift|raise|kick"),
    ("put_down", r"lower|drop"),
    ("bend", r"bend|flex"),
    ("straighten", r"straighten|lock"),
)
_STATE = re.compile(
    r"^(?:and |then )?(?:keep(?:ing)?|still|remain(?:ing)?|leav(?:e|ing))\b"
    r"(?!.*\b(?:more|further|farther|less|higher|lower|wider|closer|straighter|deeper)\b)"
)


def _lead_verb(c: str, table: tuple[tuple[str, str], ...]) -> str | None:
    """The action of the verb that opens a clause ('lower the …'), if it is one of ``table``'s."""
    c = re.sub(r"^(?:and|then|also|now|slowly|gently|slightly)\s+", "", c.strip())
    return next((action for action, verbs in table if re.match(rf"(?:{verbs})\b", c)), None)


_TO_LIMB = re.compile(
    r"\b(to|towards?|against|next to|beside|by|away from) (?:your |the )?(other|opposite|left|right) (?:"
    r"knee|foot|ankle|leg|calf|thigh|shin|hand|arm|elbow|wrist)"
)


def _direction(text: str, allowed: tuple[str, ...]) -> str | None:
    where = _LIMB_NAME.sub(" ", text)
    return next((d for d in allowed if _has(_DIRECTION_WORDS[d], where)), None)


def _limb_direction(part: str, c: str) -> str | None:
    """forward / back / out / in of a limb; the person's own left/right turned into out/in for that side,
    and a limb brought to (away from) the other side's limb ('left knee to the right knee') moving in (out)."""
    to_limb = _TO_LIMB.search(c)
    if to_limb and to_limb.group(2) in ("other", "opposite", "right" if part.startswith("left") else "left"):
        return "out" if to_limb.group(1) == "away from" else "in"
    d = _direction(c, ("forward", "back", "out", "in", "left", "right"))
    if d in ("left", "right"):
        return "out" if part.startswith(d) else "in"
    return d


def _arm_movement(part: str, c: str) -> tuple[str, str | None] | None:
    c = _HAND_FACING.sub("", _PALM_AS_HAND.sub(r"\1hand\2", c)).strip()
    if not c:
        return None
    lead = _lead_verb(c, _ARM_LEAD)
    if lead is not None:
        return lead, None
    if _has(r"\bbring\b.*\bup(?:wards?)?\b|\bswing\b.*\bup\b|\blift(?!ed)|\brais(?!ed)|\bopen\b.*\bout\b|\bspread", c):
        return "raise", None
    if _has(_STRAIGHTEN, c) and not _has(
        r"\b(?:extend|stretch)\b.*(?:\bup\b|\bforward|\bin front|\bto the side|\boverhead|\babove)", c
    ):
        return "straighten", None
    if _has(_BEND, c):
        return "bend", None
    if _has(_LOWER, c):
        return "lower", None
    if _has(_RAISE, c) or _has(_UP_PLACE, c):
        return "raise", None
    target = next((action for pattern, action in _HAND_TARGETS if _has(pattern, c)), None)
    if target is not None:
        return target, None
    d = _limb_direction(part, c)
    if d and (_has(_PLACE, c) or not _has(_ORIENTATION, c)):  # 'right hand forward': a placement without its verb
        return "move", d
    return _arm_pointing(c, d)


def _arm_pointing(c: str, d: str | None) -> tuple[str, str | None] | None:
    """An arm (hand, elbow) pointed or reached somewhere (``_POINTING``, ``_ROOM_TARGET``): pointed down
    it is lowered, back or in toward the body it moves that way, pointed or reached anywhere else
    (forward, out, at something in the room) it is raised off the side. Hand orientation gives nothing."""
    if _has(_HAND_ORIENTATION, c):
        return None
    if not (_has(_POINTING, c) and (d or _has(_ROOM_TARGET, c) or _has(_DOWN_TARGET, c))) and not (
        _has(_REACH_VERB, c) and _has(_ROOM_TARGET, c)
    ):
        return None
    target = next((action for pattern, action in _TOWARD_TARGETS if _has(pattern, c)), None)
    if target is not None:
        return target, None
    if _has(_DOWN_TARGET, c):
        return "lower", None
    if d in ("back", "in"):
        return "move", d
    return "raise", None


def _leg_movement(part: str, c: str) -> tuple[str, str | None] | None:
    lead = _lead_verb(c, _LEG_LEAD)
    if lead is not None:
        return lead, None
    if _has(_LEG_LIFT, c) or (_has(_LEG_UP, c) and not _has(r"\bheels?\b|\btoes?\b|\btip|\bknees?\b", c)):
        return "lift", None
    if _has(r"\bwiden|\bwider stance|\bspread\b", c):
        return "step", "out"
    if _has(r"\b(?:feet|legs) together\b|\bnarrow", c):
        return "step", "in"
    own = part.split("_")[0]
    if any(
        m.group(1) != own
        for m in re.finditer(
            r"\b(?:on|onto|against|touch\w*) (?:your |the )?(other|opposite|left|right) (?:knee|thigh|calf|shin)", c
        )
    ):
        return "lift", None  # 'place the left foot on the right knee': the foot leaves the floor
    if _has(
        r"\bstep|\bdraw|\bplace|\bslide|\bwalk|\btrail|\bshift|\bmove|\bput\b|\bbring|\bplant|\bangle|\bdrift|\bcross"
        r"|\buncross|\btouch|\bswivel|\bset\b|\bhave\b|\bkeep\b|\bjump",
        c,
    ) and not _has(r"\bdown\b|\bon the (?:floor|ground)\b", c):
        d = _limb_direction(part, c)
        if d or _has(r"\bstep", c):
            return "step", d
    if _has(_STRAIGHTEN, c):
        return "straighten", None
    if _has(_BEND, c):
        return "bend", None
    if _has(
        r"\blower|\bdrop|\b(?:put|set|bring|place|plant)\b.*\b(?:down|floor|ground)\b|\bback down\b|\bon the (?:floor|ground)"
        r"|\bplant|\bflat\b|\btouch\w* the (?:floor|ground)",
        c,
    ):
        return "put_down", None
    d = _limb_direction(part, c)
    if d and not _has(_ORIENTATION, c):  # 'right foot to the right': a placement without its verb
        return "step", d
    return None


def _clause_movement(part: str, c: str) -> tuple[str, str | None] | None:
    """(action, direction) of one clause about ``part``, in the kinematic describer's terms."""
    if part.endswith("_arm"):
        return _arm_movement(part, c)
    if part.endswith("_leg"):
        return _leg_movement(part, c)
    if part == "torso":
        if _has(r"\btwist|\brotate|\bturn|\bswivel|\bswing\w* (?:your |the )?(?:torso|upper body|chest|trunk)", c):
            return "twist", _direction(c, ("left", "right"))
        if _has(_TORSO_UP, c):
            return "lean", "back"
        if _has(r"\blower|\blean|\btip|\btilt|\bbend|\bhinge|\bhunch|\bround|\bfold|\bbow|\bcurl|\bcrunch|\bslouch", c):
            return "lean", _direction(c, ("forward", "back", "left", "right")) or "forward"
        if _has(r"\bmove|\bshift|\bbring|\bpush|\bpull|\bpress", c):
            d = _direction(c, ("forward", "back", "left", "right"))
            return ("lean", d) if d else None
    elif part == "head":
        over = re.search(r"\bover (?:your |the )?(left|right) shoulder", c)
        if over:
            return "turn", over.group(1)
        toward = re.search(r"\b(left|right) shoulder", c)
        if toward:
            return "tilt", toward.group(1)
        side = _direction(c, ("left", "right"))
        if side and _has(r"\btilt|\btip|\blean|\bcock", c):
            return "tilt", side
        if side:
            return "turn", side
        if _has(_LOOK_UP, c):
            return "look", "up"
        if _has(_LOOK_DOWN, c):
            return "look", "down"
        if _has(r"\b(?:look|gaze|head)\b.*\b(?:straight|ahead|forward)\b|\bface forward|\bhead up\b", c):
            return "look", "up"
        if _has(r"\b(?:upright|straighten)\b|\bto the front\b", c) and not _has(r"\barms?\b|\bhands?\b", c):
            return "look", "up"  # back to level, as 'look straight ahead'
        if _has(r"\bturn|\brotat|\bswivel|\bfac(?:e|ing)\b|\blook(?:ing)? (?:at|towards?)\b|\bpoint|\baim", c):
            return "turn", None  # toward something in the room: a head turn, its side unknown
    elif part == "whole_body":
        if _has(
            r"\bturn|\brotate|\bpivot|\bspin|\bfac(?:e|ing)\b|\b(?:body|hips|butt|bottom|pelvis)\b.*\b(?:point|aim)"
            r"|\bback (?:is |should be )?(?:facing |to(?:wards?)? )",
            c,
        ):
            return "turn", _direction(c, ("left", "right"))
        if _has(_BODY_LOWER, c) or _has(r"\bdown\b", c):
            return "lower", None
        if _has(r"\bweight\b", c) and _direction(c, ("left", "right")):
            return "move", _direction(c, ("left", "right"))
        if _has(
            r"\bstand up|\brise|\bstraighten up|\bstand\b.*\b(?:tall|upright|straight)|\bcome up|\bget up|\bpush up"
            r"|\bupright\b|\bstand(?:ing)? taller|\b(?:lift|spring|push) (?:yourself |your (?:whole |entire )?body )?up\b"
            r"|\boff the (?:floor|ground)\b",
            c,
        ):
            return "raise", None
        if _has(r"\bmove|\bwalk|\btravel|\bshift|\bstep|\bgo\b|\bjump|\bhop|\blunge|\bslide|\bbring", c) or _has(
            r"\b(?:swing|sway)\w*\b.*\bhips\b|\bhips\b.*\b(?:swung|swayed)\b", c
        ):
            return "move", _direction(c, ("forward", "back", "left", "right"))
    return None


#: Stance and weight phrases, whichever line or clause says them ('widen the stance', 'balance on the
#: left leg', 'take your weight onto it'); read into the leg and whole-body movements they imply.
_WIDEN = (
    r"\bwiden|\bwider (?:stance|base)|\b(?:feet|legs|stance)\b.*\b(?:apart|wider)\b|\b(?:spread|splay)\b.*\b(?:feet|legs)\b"
    r"|\bseparate (?:your |the |both )?(?:feet|legs)\b|\bgap between (?:your |the )?(?:feet|legs)\b"
)
_NARROW = (
    r"\bnarrow|\b(?:feet|legs|heels|ankles)\b.*\b(?:together|closer|meet|touch)|\b(?:shorter|smaller|closer) stance"
    r"|\bclose (?:the|your) stance|\btogether\b.*\b(?:feet|legs)\b|\bjoin (?:your |the |both )?(?:feet|legs)\b"
)
_ON_ONE_LEG = re.compile(
    r"(?<!from )\b(?:balanc\w*|stand\w*|hop\w*|perch\w*|support\w*|rest\w*)\b"
    r".*?\bon (?:the |your |just |only )*(left|right) (?:leg|foot)"
)
#: 'Switch the standing leg from left to right': the leg it switches to is the new standing leg.
_SWITCH_LEG = re.compile(
    r"\b(?:switch|swap|change)\w* (?:the |your )?(?:standing|supporting|support|weight-bearing) (?:leg|foot)\b"
    r".*?\bto (?:the |your )?(left|right)\b"
)
_WEIGHT_ONTO = re.compile(r"\bweight\b.*?\b(?:on|onto|over|into|to|through)\b (?:the |your )?(?:(left|right)\b|(it|this|that)\b)")
_BOTH_FEET = r"\bon both (?:feet|legs)\b|\bboth feet (?:on|to) the (?:floor|ground)\b|\bweight (?:even|equal|centred|centered)"


def _stance_claims(part: str, c: str) -> list[tuple[str, str, str | None]]:
    """(part, action, direction) of the stance and weight statements in one clause about ``part``.

    Widening / narrowing the stance steps both feet out / in (about a leg: that leg's, unless it says
    both); balancing or standing on one leg lifts the other and shifts the weight (the pelvis over
    that foot: a whole-body move to that side); taking the weight onto a leg ('it' = the line's own
    leg) shifts it to that side; standing on both feet puts a lifted foot down (either: the answer
    does not say which).
    """
    legs = ("left_leg", "right_leg")
    if part in legs and not _has(r"\bboth (?:feet|legs)\b", c):
        legs = (part,)  # a leg line: that leg
    if _has(_WIDEN, c):
        return [(leg, "step", "out") for leg in legs]
    if _has(_NARROW, c):
        return [(leg, "step", "in") for leg in legs]
    switch = _SWITCH_LEG.search(c)
    if switch:
        side = switch.group(1)
        other = BODY_PART_SWAP[f"{side}_leg"]
        return [(other, "lift", None), (f"{side}_leg", "put_down", None), ("whole_body", "move", side)]
    one = _ON_ONE_LEG.search(c)
    if one:
        side = one.group(1)
        return [(BODY_PART_SWAP[f"{side}_leg"], "lift", None), ("whole_body", "move", side)]
    weight = _WEIGHT_ONTO.search(c)
    if weight:
        side = weight.group(1) or (part.split("_")[0] if part.endswith("_leg") else None)
        return [("whole_body", "move", side)] if side else []
    if _has(_BOTH_FEET, c):
        return [(leg, "put_down", None) for leg in legs]
    return []


def _implies_straightening(part: str, action: str, c: str) -> bool:
    """A limb raised / lowered to a straight end state ('let the arm hang', 'lift the leg straight out'):
    the elbow or knee straightens too, unless the clause keeps it bent."""
    limb_moves = ("raise", "lower") if part.endswith("_arm") else ("lift", "put_down") if part.endswith("_leg") else ()
    return action in limb_moves and _has(r"\bhang|\bstraight\b|\bfully\b", c) and not _has(r"\bbent\b|\bbend", c)


def clause_claims(part: str, c: str) -> list[tuple[str, str, str | None]]:
    """Every (part, action, direction) one clause about ``part`` claims, in the kinematic describer's terms.

    The part's own lexicon (``_clause_movement``) first; a whole-body clause the whole-body lexicon
    cannot read is read as the torso's ('hunch forward'); stance and weight phrases of whole-body and
    leg clauses add the leg and whole-body movements they imply (``_stance_claims``).
    """
    out: list[tuple[str, str, str | None]] = []
    if part in ("whole_body", "left_leg", "right_leg"):
        out = _stance_claims(part, c)
    found = _clause_movement(part, c)
    if found is None and part in ("whole_body", "torso") and not out:  # 'hunch forward', 'have your back to …'
        other = "torso" if part == "whole_body" else "whole_body"
        found = _clause_movement(other, c)
        part = other if found else part
    if found is not None and not (out and part == "whole_body" and found[0] == "move"):  # 'shift the weight onto …': said above
        out.insert(0, (part, found[0], found[1]))
        if _implies_straightening(part, found[0], c):
            out.insert(1, (part, "straighten", None))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------- free text (FIXMYPOSE, instructions)
_SIDE = r"(?:(?P<side>left|right|both|other|opposite)\s+(?:of\s+(?:your|the)\s+)?)?"
_PART_WORDS = {
    "arm": r"arms?|hands?|elbows?|wrists?|fore\s?arms?|palms?|fists?|finger\s?tips?|fingers?|biceps?",
    "leg": r"legs?|knees?|foot|feet|ankles?|thighs?|heels?|toes?|shins?|calf|calves",
    "head": r"head|chin|neck|face|gaze|eyes|nose",
    "torso": r"torso|upper\s+body|chest|back(?=\s|$)|waist|trunk|spine|shoulders|upper\s+half",
    "whole_body": r"body|yourself|hips|pelvis|bottom|butt|weight|stance",
}
_PART_MENTION = re.compile(
    r"\b(?<!\d )(?<!half a )"  # not a length: '1.5 feet to the left', 'half a foot'
    + _SIDE
    + r"(?:(?:your|the|my)\s+)?(?:(?:whole|entire)\s+)?(?P<word>"
    + "|".join(f"(?P<{k}>{v})" for k, v in _PART_WORDS.items())
    + r")\b"
)
_FRAGMENT = re.compile(r"(?:in|to|at|from|close|by|on|above|below|near|towards?|so|until|about|up|down|out)\b")
_SHOULDER = re.compile(r"\b(left|right) shoulder\b")
#: A bare 'with your left foot' after a clause that names no limb ('take a step back'): the limb that does it.
_INSTRUMENT = re.compile(r"with (?:your |the |my )?(?:left |right |other |opposite )?(?:arm|hand|leg|foot|knee)s?")


def _mention_parts(m: re.Match[str], previous_side: str | None) -> list[str]:
    kind = next(k for k in _PART_WORDS if m.group(k))
    if kind in ("head", "torso", "whole_body"):
        return [kind]
    side = m.group("side")
    word = m.group("word")
    plural = (word.endswith("s") and not word.endswith(("ss", "us"))) or word == "feet"
    if side in ("left", "right"):
        return [f"{side}_{kind}"]
    if side in ("other", "opposite") and previous_side:
        return [f"{'right' if previous_side == 'left' else 'left'}_{kind}"]
    if side == "both" or plural:
        return [f"left_{kind}", f"right_{kind}"]
    return [f"left_{kind}", f"right_{kind}"]  # an unsided limb ("bend your knee"): either side


def clause_parts(clause: str, carried: list[str]) -> list[str]:
    """Body parts a free-text clause is about: its first part mention (the object of an imperative),
    or, for 'them'/'it' or no mention at all, the parts of the clause before."""
    side_before = next((p.split("_")[0] for p in carried if p.startswith(("left_", "right_"))), None)
    for m in _PART_MENTION.finditer(_SHOULDER.sub(lambda x: f"{x.group(1)} arm", clause) if "tilt" not in clause else clause):
        return _mention_parts(m, side_before)
    return list(carried) if carried else []


def text_clauses(text: str) -> list[str]:
    """Free text cut into clauses (sentence ends, commas, 'and', 'while', 'then', runs of spaces)."""
    return [c.strip() for c in _CLAUSE.split(text.lower()) if c and c.strip()]


def text_movements(text: str) -> list[tuple[str, list[Movement]]]:
    """(clause, movements) for every clause of free text (a FIXMYPOSE sentence, an instruction).

    Each clause is routed to the body parts it names (pronouns and part-less clauses inherit
    the previous clause's parts), then read with the same per-part lexicon as the part lines.
    Hold clauses ('keep your feet in place') give no movement.
    """
    out: list[tuple[str, list[Movement]]] = []
    carried: list[str] = []
    for c in text_clauses(text):
        instrument = bool(out) and _INSTRUMENT.fullmatch(c) is not None and _instrument_of(out[-1][0])
        if out and (_FRAGMENT.match(c) or (not out[-1][1] and not names_a_part(c)) or instrument):
            limb = clause_parts(c, [])
            c = out.pop()[0] + " and " + c  # a continuation of a clause that said nothing yet: read them together
            carried = limb if instrument else clause_parts(c, [])  # 'take a step back with your left foot': that foot
        parts = carried if instrument else clause_parts(c, carried)
        carried = parts
        moves: list[Movement] = []
        if not is_hold(c):
            for part in parts:
                for p, action, direction in clause_claims(part, c):
                    moves.append(Movement(part=p, action=action, direction=direction))  # type: ignore[arg-type]
        out.append((c, list(dict.fromkeys(moves))))
    return out


def _instrument_of(clause: str) -> bool:
    """Whether a bare 'with your left foot' after ``clause`` names the limb doing its movement: the clause
    moves (steps, reaches, swings, …) without naming an arm or a leg, and does not end in a comparison
    ('so that it is even | in line | level' + 'with your left leg')."""
    return (
        _has(r"\bstep|\bkick|\breach|\bwalk|\blunge|\bmove|\bpoint|\bswing|\bjump|\bhop|\bstomp|\bpivot", clause)
        and not any(m.group("arm") or m.group("leg") for m in _PART_MENTION.finditer(clause))
        and not _has(r"\b(?:even|line|level|equal|parallel|square|flush|aligned|same|together)$", clause)
    )


_ROTATION = re.compile(r"\bturn|\brotat|\btwist|\bpivot|\bswivel|\bpoint|\baim|\bdirected\b|\bfac(?:e|es|ing)\b|\bpalms?\b")


def says_orientation(clause: str) -> bool:
    """Whether a clause says how something is turned or where it points or faces ('turn your right foot
    out', 'palm facing the lamp'): of the clauses the lexicon cannot read, those are mostly rotations
    (of a foot, a knee, a hand) that the measurement has no feature for."""
    return _ROTATION.search(clause) is not None


def names_a_part(clause: str) -> bool:
    """Whether a clause names a body part (the clauses FIXMYPOSE coverage is measured on)."""
    return _PART_MENTION.search(clause) is not None


def is_hold(clause: str) -> bool:
    """A text that describes no change: 'keep / stay / leave … the same / in place / still', or clauses
    that all only state how something stays ('keeping the elbow bent'; no 'more', 'higher', …)."""
    return _HOLD.search(clause) is not None or (bool(clause.strip()) and not _movement_clauses(clause))


def _movement_clauses(text: str) -> list[str]:
    """The clauses of a (lower-case) text that may describe a movement: not those that only state how
    something stays ('keeping the elbow bent'), nor a 'with …' clause continuing such a statement."""
    out: list[str] = []
    state = False
    for c in (c.strip() for c in _CLAUSE.split(text)):
        state = bool(_STATE.match(c)) or (state and c.startswith("with "))
        if c and not state:
            out.append(c)
    return out


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


_SMALL = r"\bslight(?:ly)?\b|\ba (?:little|bit|touch)\b|\bsomewhat\b|\bgently\b|\ba tad\b|\bpartly\b|\bhalf"
_LARGE = (
    r"\bfully\b|\bdeep(?:ly)?\b|\ba lot\b|\bhigh\b|\ball the way\b|\bfar\b|\bstrongly\b|\bcompletely\b"
    r"|\bwide\b|\boverhead\b|\babove (?:your |the )?head\b|\bsharply\b"
)


def statement_movements(part: str, statement: str) -> list[Movement]:
    """Movements named in one part statement, clause by clause (empty for 'no change').

    A small lexicon in the kinematic describer's terms (raise/lower/bend/straighten for arms,
    lift/put down/step for legs, lean/twist for the torso, look/turn/tilt for the head,
    move/turn/lower/raise for the whole body); clauses it cannot read give nothing.
    """
    return list(line_claims(part, statement))


def line_claims(part: str, statement: str) -> dict[Movement, int]:
    """The movements of one part line (``clause_claims`` of each clause, stance phrases may name
    other parts), each with the amount its clause's words give: −1 small, 0 unsaid, +1 large."""
    s = statement.lower().strip()
    if not s or s.startswith(NO_CHANGE) or s in ("none", "unchanged", "n/a"):
        return {}
    out: dict[Movement, int] = {}
    for clause in _movement_clauses(s):
        amount = 1 if _has(_LARGE, clause) else -1 if _has(_SMALL, clause) else 0
        for p, action, direction in clause_claims(part, clause.strip()):
            out.setdefault(Movement(part=p, action=action, direction=direction), amount)  # type: ignore[arg-type]
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
    moves = list(dict.fromkeys(m for p, s in parts.items() for m in statement_movements(p, s)))
    return [
        TransitionDescription(
            parts=parts, text=t.strip(), movements=moves, annotator=annotator, annotator_version=version, variant=variant
        )
        for t in instructions[:k]
    ]
