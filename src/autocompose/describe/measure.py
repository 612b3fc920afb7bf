"""Per-body-part kinematic measurements of one pose and of the change between two poses.

Every annotator and check reads body-part changes from here (never recomputing angles):
the kinematic describer turns them into text, the cycle check and MLLM-answer
verification compare against them. Angles are degrees, distances metres.

Per-pose features are measured in the pose's own body frame (pelvis at the origin,
facing +z, left = +x), so a whole-body turn does not look like an arm movement; the
whole-body features (facing, root height above the floor, root position) are measured in
the world and expressed in the reference's body frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from autocompose.poses.skeleton import joint_index
from autocompose.poses.transforms import facing_angle, normalise

J = joint_index
_DOWN = np.array([0.0, -1.0, 0.0])


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    # bit-identical to degrees(arccos(clip(u·v / (|u| |v|)))) with np.linalg.norm (which is sqrt(x·x) for
    # 1-D float64), minus numpy's per-call overhead: the describer's speed target rests on this
    nu, nv = math.sqrt(u.dot(u)), math.sqrt(v.dot(v))
    if nu < 1e-9 or nv < 1e-9:
        return 0.0
    c = float(u.dot(v)) / (nu * nv)
    return float(np.degrees(np.arccos(-1.0 if c < -1.0 else 1.0 if c > 1.0 else c)))


def _wrap(deg: float) -> float:
    return float((deg + 180.0) % 360.0 - 180.0)


HAND_LEVELS = ("below the hips", "at the hips", "at the chest", "at shoulder height", "at head height", "above the head")


@dataclass(frozen=True)
class LimbState:
    """One arm or leg in the body frame."""

    flex: float  # elbow / knee flexion, 0 = straight
    elevation: float  # upper arm / thigh angle from hanging down (0) to straight up (180)
    forward: float  # horizontal reach of the end joint from its root, forward (m)
    outward: float  # … out to the person's side (m); negative = across the body
    height: float  # end joint height (m) relative to the pelvis
    level: int  # hands: index into HAND_LEVELS; legs: 1 if the foot is off the floor


@dataclass(frozen=True)
class PoseState:
    """All features of one pose that transition descriptions are made of."""

    arms: dict[str, LimbState]
    legs: dict[str, LimbState]
    lean_forward: float  # torso pitch from vertical, forward positive
    lean_left: float  # torso roll from vertical, to the person's left positive
    twist_left: float  # shoulders turned left relative to the hips
    head_turn_left: float | None  # None when the pose has no nose
    head_look_up: float | None
    head_tilt_left: float
    root_height: float  # pelvis above the lowest foot point (m)
    facing: float  # world yaw (degrees), turning left positive
    root_xz: np.ndarray  # world pelvis position on the floor plane
    #: the pose itself in the body frame (pelvis at the origin, facing +z, the person's left +x) and
    #: which joints it has: where a hand or foot ends up ('hand on the hip', 'foot off the floor')
    body: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)), compare=False, repr=False)
    body_mask: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), compare=False, repr=False)


def _yaw_of_line(v: np.ndarray) -> float:
    """Yaw (degrees, left-turn positive) of a left-pointing across-the-body vector."""
    return float(np.degrees(np.arctan2(-v[2], v[0])))


# joint rows, looked up once (pose_state runs twice per described pair: the describer's speed target)
_SIDES = (("left", 1.0, "right"), ("right", -1.0, "left"))
_ARM_ROWS = {s: (J(f"{s}_shoulder"), J(f"{s}_elbow"), J(f"{s}_wrist")) for s, _, _ in _SIDES}
_LEG_ROWS = {s: (J(f"{s}_hip"), J(f"{s}_knee"), J(f"{s}_ankle"), J(f"{o}_ankle")) for s, _, o in _SIDES}
_FEET = tuple(J(x) for x in ("left_foot", "right_foot", "left_ankle", "right_ankle"))
_PELVIS, _SPINE2, _NECK, _HEAD, _NOSE = (J(x) for x in ("pelvis", "spine2", "neck", "head", "nose"))
_LSHO, _RSHO, _LHIP, _RHIP = (J(x) for x in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))


def _hand_level(y: float, pelvis_y: float, spine2_y: float, shoulder_y: float, neck_y: float, head_y: float) -> int:
    """Index into ``HAND_LEVELS`` of a wrist at height ``y`` (body frame)."""
    if y < pelvis_y - 0.08:
        return 0
    if y < spine2_y:
        return 1
    if y < shoulder_y - 0.08:
        return 2
    if y < neck_y + 0.03:
        return 3
    return 4 if y < head_y + 0.1 else 5


def pose_state(pose: np.ndarray, mask: np.ndarray | None = None) -> PoseState:
    """Measure one pose ``(J, 3)`` (canonical frame); masked joints are not used."""
    mask = np.ones(len(pose), bool) if mask is None else np.asarray(mask, bool)
    n = normalise(pose).astype(np.float64)
    arms, legs = {}, {}
    feet = [row for row in _FEET if mask[row]]
    floor = float(pose[feet, 1].min()) if feet else float(pose[:, 1].min())
    pelvis_y, spine2_y, neck_y, head_y = n[_PELVIS][1], n[_SPINE2][1], n[_NECK][1], n[_HEAD][1]
    for side, sign, _ in _SIDES:
        i_sh, i_el, i_wr = _ARM_ROWS[side]
        sh, el, wr = n[i_sh], n[i_el], n[i_wr]
        reach = wr - sh
        y = wr[1]
        level = _hand_level(y, pelvis_y, spine2_y, sh[1], neck_y, head_y)
        upper = el - sh
        arms[side] = LimbState(
            _angle(upper, wr - el), _angle(upper, _DOWN), float(reach[2]), float(sign * reach[0]), float(y), level
        )
        i_hip, i_kn, i_an, i_other = _LEG_ROWS[side]
        hip, kn, an, other = n[i_hip], n[i_kn], n[i_an], n[i_other]
        lifted = int(pose[i_an, 1] - floor > 0.12 and an[1] - other[1] > 0.08)
        thigh = kn - hip
        legs[side] = LimbState(
            _angle(thigh, an - kn),
            _angle(thigh, _DOWN),
            float(an[2] - hip[2]),
            float(sign * (an[0] - hip[0])),
            float(an[1]),
            lifted,
        )
    spine = n[_NECK] - n[_PELVIS]
    shoulder_yaw = _yaw_of_line(n[_LSHO] - n[_RSHO])
    twist = _wrap(shoulder_yaw - _yaw_of_line(n[_LHIP] - n[_RHIP]))
    head_vec = n[_HEAD] - n[_NECK]
    turn = look = None
    if mask[_NOSE]:
        face = n[_NOSE] - n[_HEAD]
        turn = _wrap(float(np.degrees(np.arctan2(face[0], face[2]))) - shoulder_yaw)
        look = float(np.degrees(np.arctan2(face[1], np.hypot(face[0], face[2]))))
    lean_left = float(np.degrees(np.arctan2(spine[0], spine[1])))
    return PoseState(
        arms=arms,
        legs=legs,
        lean_forward=float(np.degrees(np.arctan2(spine[2], spine[1]))),
        lean_left=lean_left,
        twist_left=twist,
        head_turn_left=turn,
        head_look_up=look,
        head_tilt_left=float(np.degrees(np.arctan2(head_vec[0], head_vec[1]))) - lean_left,
        root_height=float(pose[_PELVIS, 1] - floor),
        facing=float(np.degrees(facing_angle(pose))),
        root_xz=pose[_PELVIS, [0, 2]].astype(np.float64),
        body=n,
        body_mask=mask,
    )


@dataclass(frozen=True)
class Change:
    """How pose B differs from pose A: ``a`` and ``b`` states plus whole-body deltas."""

    a: PoseState
    b: PoseState
    turn_left: float  # whole-body yaw change (degrees)
    move_forward: float  # root displacement in A's body frame (m)
    move_left: float


def measure(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> Change:
    """The change from pose ``a`` to pose ``b`` (both ``(J, 3)``, canonical frame)."""
    sa, sb = pose_state(a, mask), pose_state(b, mask)
    d = sb.root_xz - sa.root_xz
    yaw = np.radians(sa.facing)
    forward = float(d[0] * np.sin(yaw) + d[1] * np.cos(yaw))
    left = float(d[0] * np.cos(yaw) - d[1] * np.sin(yaw))
    return Change(sa, sb, _wrap(sb.facing - sa.facing), forward, left)


def limb_deltas(change: Change, side: str) -> dict[str, float]:
    """How one side's arm and leg changed (B − A), in the body frame: degrees and metres.

    Keys: ``arm_elevation``, ``arm_flex``, ``arm_forward``, ``arm_outward``, ``arm_height``,
    ``leg_elevation``, ``leg_flex``, ``foot_forward``, ``foot_outward``, ``foot_height`` (heights
    relative to the pelvis), and ``foot_lift``: the foot's height above the floor, which a squat
    (the pelvis dropping towards both feet) leaves unchanged.
    The side check compares these between the two sides (how each side moved, not only whether).
    """
    out: dict[str, float] = {}
    for limb, a, b in (("arm", change.a.arms[side], change.b.arms[side]), ("leg", change.a.legs[side], change.b.legs[side])):
        end = "arm" if limb == "arm" else "foot"
        out[f"{limb}_elevation"] = b.elevation - a.elevation
        out[f"{limb}_flex"] = b.flex - a.flex
        out[f"{end}_forward"] = b.forward - a.forward
        out[f"{end}_outward"] = b.outward - a.outward
        out[f"{end}_height"] = b.height - a.height
    a_leg, b_leg = change.a.legs[side], change.b.legs[side]
    out["foot_lift"] = (b_leg.height + change.b.root_height) - (a_leg.height + change.a.root_height)
    return out


def lateral_deltas(change: Change) -> dict[str, float]:
    """Changes that have a left/right direction, positive to the person's left (degrees, metres).

    ``weight_shift`` is how far the pelvis moved toward the left foot, relative to the feet (half
    the change of the ankles' spread to the right of the pelvis minus to its left): shifting the
    weight onto a leg moves the pelvis over that foot even when nothing travels.
    """
    a, b = change.a, change.b
    head_turn = 0.0 if a.head_turn_left is None or b.head_turn_left is None else b.head_turn_left - a.head_turn_left
    return {
        "torso_lean": b.lean_left - a.lean_left,
        "torso_twist": _wrap(b.twist_left - a.twist_left),
        "head_turn": _wrap(head_turn),
        "head_tilt": b.head_tilt_left - a.head_tilt_left,
        "body_turn": change.turn_left,
        "body_move": change.move_left,
        "weight_shift": ((b.legs["right"].outward - a.legs["right"].outward) - (b.legs["left"].outward - a.legs["left"].outward))
        / 2,
    }


@dataclass(frozen=True)
class BodyShape:
    """Whole-body shape features the natural describer names poses by (squat, kneel, hands on hips …).

    Body frame as ``pose_state`` (pelvis at the origin, facing +z, left = +x), except
    ``floor_y``, the world height of the lowest foot point (for hops and jumps).
    """

    knee_above_floor: dict[str, float]  # knee height above the lowest foot point (m)
    hand_to_hip: dict[str, float]  # wrist to the same-side hip (m)
    hand_forward: dict[str, float]  # wrist ahead of the pelvis (m)
    hands_apart: float  # wrist to wrist (m)
    feet_apart: float  # ankle to ankle, sideways (m)
    feet_stagger: float  # left ankle ahead of the right ankle (m); negative: right ahead
    floor_y: float


def body_shape(pose: np.ndarray, mask: np.ndarray | None = None) -> BodyShape:
    """Measure the whole-body shape of one pose ``(J, 3)`` (canonical frame)."""
    mask = np.ones(len(pose), bool) if mask is None else np.asarray(mask, bool)
    n = normalise(pose).astype(np.float64)
    feet = [J(x) for x in ("left_foot", "right_foot", "left_ankle", "right_ankle") if mask[J(x)]]
    floor = float(n[feet, 1].min()) if feet else float(n[:, 1].min())
    sides = ("left", "right")
    return BodyShape(
        knee_above_floor={s: float(n[J(f"{s}_knee"), 1] - floor) for s in sides},
        hand_to_hip={s: float(np.linalg.norm(n[J(f"{s}_wrist")] - n[J(f"{s}_hip")])) for s in sides},
        hand_forward={s: float(n[J(f"{s}_wrist"), 2] - n[J("pelvis"), 2]) for s in sides},
        hands_apart=float(np.linalg.norm(n[J("left_wrist")] - n[J("right_wrist")])),
        feet_apart=float(abs(n[J("left_ankle"), 0] - n[J("right_ankle"), 0])),
        feet_stagger=float(n[J("left_ankle"), 2] - n[J("right_ankle"), 2]),
        floor_y=float(np.asarray(pose, np.float64)[feet or list(range(len(pose))), 1].min()),
    )
