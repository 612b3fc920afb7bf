"""BVH motion capture of any hierarchy: parser, forward kinematics, name-based joint mapping.

The parser reads the HIERARCHY (joints, offsets, channels in any order, End Sites) and the
MOTION block, then forward kinematics turns channels into world positions:
``G_j = G_parent · R_j`` with ``R_j`` the product of the joint's rotation channels in the
order they are listed, and ``p_j = p_parent + G_parent · t_j``, where ``t_j`` is the
OFFSET, or the joint's own position channels when it has them (see ``position_mode``).

Source joints are mapped to canonical joints by name through a mapping table (``cmu``,
``mixamo`` — which also covers LAFAN1 and most game rigs — ``blender``, ``generic`` and
``bandai`` — the Bandai Namco Research Motiondataset: ``UpperArm_L``, ``LowerLeg_R``, …)
or a mapping the caller gives; ``auto`` picks the table that maps most required joints.
Names match case-insensitively, after dropping a namespace prefix such as ``mixamorig:``;
an End Site is named ``<parent>/end``. Units are guessed from the leg
length (see ``orient.guess_unit_scale``) unless ``scale`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.io.derive import REQUIRED_JOINTS, assemble, check_finite
from autocompose.poses.io.orient import UpAxis, guess_unit_scale, leg_length, to_y_up
from autocompose.poses.sequence import PoseSequence
from autocompose.poses.skeleton import JOINT_NAMES

PositionMode = Literal["auto", "absolute", "additive"]


def _sided(left: Mapping[str, str]) -> dict[str, str]:
    """Expand a table written for the left side to both sides."""
    out: dict[str, str] = {}
    for src, canon in left.items():
        out[src] = canon
        if "left" in canon:
            for a, b in (("Left", "Right"), ("left", "right"), (".L", ".R"), ("_L", "_R"), ("L", "R")):
                if a in src:
                    out[src.replace(a, b, 1)] = canon.replace("left", "right")
                    break
    return out


#: Source joint name → canonical joint, per rig family (only names that differ by side are
#: written for the left; the right is derived).
MAPPING_TABLES: dict[str, dict[str, str]] = {
    "mixamo": _sided(
        {
            "Hips": "pelvis",
            "Spine": "spine1",
            "Spine1": "spine2",
            "Spine2": "spine3",
            "Neck": "neck",
            "Head": "head",
            "LeftUpLeg": "left_hip",
            "LeftLeg": "left_knee",
            "LeftFoot": "left_ankle",
            "LeftToeBase": "left_foot",
            "LeftToe": "left_foot",
            "LeftShoulder": "left_collar",
            "LeftArm": "left_shoulder",
            "LeftForeArm": "left_elbow",
            "LeftHand": "left_wrist",
        }
    ),
    "cmu": _sided(
        {
            "Hips": "pelvis",
            "LowerBack": "spine1",
            "Spine": "spine2",
            "Spine1": "spine3",
            "Neck": "neck",
            "Head": "head",
            "LeftUpLeg": "left_hip",
            "LeftLeg": "left_knee",
            "LeftFoot": "left_ankle",
            "LeftToeBase": "left_foot",
            "LeftShoulder": "left_collar",
            "LeftArm": "left_shoulder",
            "LeftForeArm": "left_elbow",
            "LeftHand": "left_wrist",
        }
    ),
    "blender": _sided(
        {
            "pelvis": "pelvis",
            "spine.001": "spine2",
            "neck": "neck",
            "face": "head",
            "head": "head",
            "thigh.L": "left_hip",
            "shin.L": "left_knee",
            "foot.L": "left_ankle",
            "foot.L/end": "left_foot",
            "toe.L": "left_foot",
            "shoulder.L": "left_collar",
            "upper_arm.L": "left_shoulder",
            "forearm.L": "left_elbow",
            "forearm.L/end": "left_wrist",
            "hand.L": "left_wrist",
        }
    ),
    # Bandai Namco Research Motiondataset 1/2 (bones along +x, every joint has position
    # channels that hold its local translation: see TABLE_POSITION_MODE).
    "bandai": _sided(
        {
            "Hips": "pelvis",
            "Spine": "spine1",
            "Chest": "spine3",
            "Neck": "neck",
            "Head": "head",
            "Shoulder_L": "left_collar",
            "UpperArm_L": "left_shoulder",
            "LowerArm_L": "left_elbow",
            "Hand_L": "left_wrist",
            "UpperLeg_L": "left_hip",
            "LowerLeg_L": "left_knee",
            "Foot_L": "left_ankle",
            "Toes_L": "left_foot",
        }
    ),
    "generic": {
        **{n: n for n in JOINT_NAMES},
        **{n.replace("_", ""): n for n in JOINT_NAMES},
        **{
            ("l" if n.startswith("left") else "r") + n.split("_", 1)[1]: n
            for n in JOINT_NAMES
            if "_" in n and n.split("_")[0] in ("left", "right")
        },
        **{
            ("l_" if n.startswith("left") else "r_") + n.split("_", 1)[1]: n
            for n in JOINT_NAMES
            if "_" in n and n.split("_")[0] in ("left", "right")
        },
        "root": "pelvis",
        "hip": "pelvis",
        "chest": "spine3",
        "abdomen": "spine1",
    },
}


#: Position-channel handling a rig family needs when ``position_mode="auto"``. Bandai's
#: ``Hips`` OFFSET is a stale capture-space position (z ≈ -427 cm) while its position
#: channels hold the true local translation, which the per-joint heuristic misreads.
TABLE_POSITION_MODE: dict[str, PositionMode] = {"bandai": "absolute"}


@dataclass
class BvhJoint:
    name: str
    parent: int
    offset: np.ndarray
    channels: list[str] = field(default_factory=list)
    channel_start: int = 0
    is_end_site: bool = False


@dataclass
class BvhClip:
    """A parsed BVH file: hierarchy, per-frame channel values and frame time."""

    path: Path
    joints: list[BvhJoint]
    motion: np.ndarray  # (T, C)
    frame_time: float

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.joints]


def _norm(name: str) -> str:
    return name.split(":")[-1].strip().lower()


def parse_bvh(path: str | Path) -> BvhClip:
    """Parse a BVH file; a truncated or malformed file raises ``PoseFormatError`` naming the place."""
    path = Path(path)
    try:
        text = path.read_text(errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise PoseFormatError(path, "file", "a readable text BVH file", str(exc)) from exc
    head, sep, motion_text = text.partition("MOTION")
    if not sep:
        raise PoseFormatError(path, "MOTION", "a MOTION section after HIERARCHY", "none (file truncated?)")
    tokens = head.split()
    if not tokens or tokens[0] != "HIERARCHY":
        raise PoseFormatError(path, "HIERARCHY", "the file to start with HIERARCHY", repr(tokens[0]) if tokens else "empty file")
    joints: list[BvhJoint] = []
    stack: list[int] = []
    n_channels = 0
    i = 1

    def need(count: int, what: str) -> list[str]:
        if i + count > len(tokens):
            raise PoseFormatError(path, what, f"{count} more tokens", "end of hierarchy")
        return tokens[i : i + count]

    def floats(values: list[str], what: str) -> np.ndarray:
        try:
            return np.array([float(v) for v in values], dtype=np.float64)
        except ValueError:
            raise PoseFormatError(path, what, "numbers", " ".join(values)) from None

    pending_parent = -1
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("ROOT", "JOINT"):
            (name,) = need(2, tok)[1:]
            joints.append(BvhJoint(name=name, parent=pending_parent, offset=np.zeros(3)))
            i += 2
        elif tok == "End":
            parent = stack[-1] if stack else -1
            base = joints[parent].name if parent >= 0 else "root"
            joints.append(BvhJoint(name=f"{base}/end", parent=parent, offset=np.zeros(3), is_end_site=True))
            i += 2
        elif tok == "{":
            if not joints:
                raise PoseFormatError(path, "HIERARCHY", "ROOT before '{'", "'{'")
            stack.append(len(joints) - 1)
            pending_parent = len(joints) - 1
            i += 1
        elif tok == "}":
            if not stack:
                raise PoseFormatError(path, "HIERARCHY", "balanced braces", "an extra '}'")
            stack.pop()
            pending_parent = stack[-1] if stack else -1
            i += 1
        elif tok == "OFFSET":
            joints[-1].offset = floats(need(4, f"{joints[-1].name}.OFFSET")[1:], f"{joints[-1].name}.OFFSET")
            i += 4
        elif tok == "CHANNELS":
            count_tok = need(2, f"{joints[-1].name}.CHANNELS")[1]
            if not count_tok.isdigit():
                raise PoseFormatError(path, f"{joints[-1].name}.CHANNELS", "a channel count", count_tok)
            count = int(count_tok)
            chans = need(2 + count, f"{joints[-1].name}.CHANNELS")[2:]
            valid = {f"{a}{k}" for a in "XYZ" for k in ("position", "rotation")}
            bad = [c for c in chans if c not in valid]
            if bad:
                raise PoseFormatError(path, f"{joints[-1].name}.CHANNELS", "Xposition…Zrotation", ", ".join(bad))
            joints[-1].channels = chans
            joints[-1].channel_start = n_channels
            n_channels += count
            i += 2 + count
        else:
            raise PoseFormatError(path, "HIERARCHY", "ROOT, JOINT, End Site, OFFSET, CHANNELS or braces", repr(tok))
    if stack:
        raise PoseFormatError(path, "HIERARCHY", "balanced braces", f"{len(stack)} unclosed '{{' (file truncated?)")
    if not joints:
        raise PoseFormatError(path, "HIERARCHY", "at least one joint", "none")

    lines = [ln for ln in motion_text.strip().splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].startswith("Frames:") or not lines[1].startswith("Frame Time:"):
        raise PoseFormatError(path, "MOTION", "'Frames: N' and 'Frame Time: t' lines", "missing (file truncated?)")
    try:
        n_frames = int(lines[0].split(":")[1])
        frame_time = float(lines[1].split(":")[1])
    except ValueError:
        raise PoseFormatError(
            path, "MOTION", "integer frame count and numeric frame time", f"{lines[0]!r}, {lines[1]!r}"
        ) from None
    rows = lines[2:]
    if n_frames <= 0:
        raise PoseFormatError(path, "Frames", "at least one frame", str(n_frames))
    if len(rows) < n_frames:
        raise PoseFormatError(path, "MOTION", f"{n_frames} frame lines (as 'Frames:' says)", f"{len(rows)} (file truncated?)")
    try:
        motion = np.loadtxt(rows[:n_frames], dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise PoseFormatError(path, "MOTION", f"{n_channels} numbers per frame line", f"a malformed line ({exc})") from None
    if motion.shape[1] != n_channels:
        raise PoseFormatError(path, "MOTION", f"{n_channels} values per frame (sum of CHANNELS)", f"{motion.shape[1]}")
    check_finite(path, "MOTION", motion)
    if not (frame_time > 0):
        raise PoseFormatError(path, "Frame Time", "a positive number of seconds", str(frame_time))
    return BvhClip(path=path, joints=joints, motion=motion, frame_time=frame_time)


def _axis_rotation(axis: str, degrees: np.ndarray) -> np.ndarray:
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    if axis == "X":
        m = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == "Y":
        m = [[c, z, s], [z, o, z], [-s, z, c]]
    else:
        m = [[c, -s, z], [s, c, z], [z, z, o]]
    return np.stack([np.stack(r, -1) for r in m], -2)


def forward_kinematics(clip: BvhClip, position_mode: PositionMode = "auto") -> np.ndarray:
    """World positions ``(T, N, 3)`` of every BVH joint and End Site, in file units.

    ``position_mode`` says how a joint's position channels combine with its OFFSET:
    ``absolute`` (the channels are the local translation), ``additive`` (offset + channels)
    or ``auto``, which decides per joint: absolute when the channels' mean is nearer the
    offset than zero (LAFAN1, Blender children), else additive (Blender's root).
    """
    t = clip.motion.shape[0]
    n = len(clip.joints)
    pos = np.zeros((t, n, 3))
    rot = np.zeros((t, n, 3, 3))
    for j, joint in enumerate(clip.joints):
        local_rot = np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
        trans = np.broadcast_to(joint.offset, (t, 3)).copy()
        chan_pos = np.zeros((t, 3))
        has_pos = False
        for k, ch in enumerate(joint.channels):
            values = clip.motion[:, joint.channel_start + k]
            if ch.endswith("rotation"):
                local_rot = local_rot @ _axis_rotation(ch[0], values)
            else:
                chan_pos[:, "XYZ".index(ch[0])] = values
                has_pos = True
        if has_pos:
            mode = position_mode
            if mode == "auto":
                mean = chan_pos.mean(0)
                mode = "absolute" if np.linalg.norm(mean - joint.offset) <= np.linalg.norm(mean) else "additive"
            trans = chan_pos if mode == "absolute" else trans + chan_pos
        if joint.parent < 0:
            pos[:, j] = trans
            rot[:, j] = local_rot
        else:
            p = joint.parent
            pos[:, j] = pos[:, p] + np.einsum("tij,tj->ti", rot[:, p], trans)
            rot[:, j] = rot[:, p] @ local_rot
    return pos


def resolve_mapping(clip: BvhClip, mapping: str | Mapping[str, str] = "auto") -> tuple[str, dict[int, str]]:
    """Choose a mapping table (or use the given one); returns its name and index → canonical."""
    by_norm: dict[str, int] = {}
    for idx, joint in enumerate(clip.joints):
        by_norm.setdefault(_norm(joint.name), idx)

    def apply(table: Mapping[str, str]) -> dict[int, str]:
        out: dict[int, str] = {}
        for src, canon in table.items():
            idx = by_norm.get(_norm(src))
            if idx is not None and canon not in out.values():
                out[idx] = canon
        return out

    if isinstance(mapping, Mapping):
        unknown_targets = sorted(set(mapping.values()) - set(JOINT_NAMES))
        if unknown_targets:
            raise PoseFormatError(
                clip.path, "mapping", f"canonical joint names ({', '.join(JOINT_NAMES)})", ", ".join(unknown_targets)
            )
        absent = sorted(s for s in mapping if _norm(s) not in by_norm)
        if absent:
            raise PoseFormatError(
                clip.path,
                "mapping",
                f"joints that exist in the file ({', '.join(clip.names)})",
                f"unknown joint names {', '.join(absent)}",
            )
        return "custom", apply(mapping)
    if mapping != "auto":
        if mapping not in MAPPING_TABLES:
            raise PoseFormatError(clip.path, "mapping", f"one of auto, {', '.join(MAPPING_TABLES)}", repr(mapping))
        return mapping, apply(MAPPING_TABLES[mapping])
    scored = []
    for name, table in MAPPING_TABLES.items():
        got = apply(table)
        scored.append((sum(c in REQUIRED_JOINTS for c in got.values()), len(got), name, got))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return scored[0][2], scored[0][3]


def load_bvh(
    path: str | Path,
    mapping: str | Mapping[str, str] = "auto",
    scale: float | None = None,
    up: UpAxis = "auto",
    position_mode: PositionMode = "auto",
    subject: str | None = None,
) -> PoseSequence:
    """Load a BVH file as a canonical ``PoseSequence``.

    Args:
        mapping: ``auto`` (best-matching table), a table name, or ``{bvh_name: canonical}``.
        scale: file units → metres; ``None`` guesses from the leg length.
        up: the file's up axis, or ``auto`` (detected from the pelvis→neck direction).
    """
    clip = parse_bvh(path)
    table, index_map = resolve_mapping(clip, mapping)
    missing = [c for c in REQUIRED_JOINTS if c not in index_map.values()]
    if missing:
        raise PoseFormatError(
            clip.path,
            "joint names",
            f"joints mappable to {', '.join(missing)} (pass mapping={{bvh_name: canonical}} or --mapping FILE.json)",
            f"joints {', '.join(clip.names)} (best table: {table})",
        )
    if position_mode == "auto":
        position_mode = TABLE_POSITION_MODE.get(table, "auto")
    world = forward_kinematics(clip, position_mode)
    named = {canon: world[:, idx].astype(np.float32) for idx, canon in index_map.items()}
    joints, mask, derived = assemble(clip.path, named)
    if scale is None:
        unit, scale = guess_unit_scale(leg_length(joints))
    else:
        unit = "given"
    joints = joints * np.float32(scale)
    joints, axis = to_y_up(clip.path, joints, up)
    return PoseSequence(
        id=clip.path.stem,
        subject=subject,
        fps=1.0 / clip.frame_time,
        joints=joints,
        source=str(clip.path),
        joint_mask=mask,
        meta={
            "format": "bvh",
            "mapping": table,
            "unit": unit,
            "scale": float(scale),
            "up_axis": axis,
            "derived": list(derived),
            "bvh_joints": clip.names,
        },
    )
