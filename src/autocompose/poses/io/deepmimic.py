"""DeepMimic motion clips: JSON keyframes on the 15-joint ``humanoid3d`` character.

A motion file is ``{"Loop": ..., "Frames": [[duration, root x, y, z, root quaternion
w, x, y, z, then per joint in character order: 4 quaternion values (spherical joints) or
1 angle in radians about the joint's z axis (revolute knees and elbows)], ...]}``; fixed
joints (the wrists) have no values. The character file (``characters/humanoid3d.txt``)
gives each joint's parent and its offset from the parent (``AttachX/Y/Z``, metres);
forward kinematics is ``G_j = G_parent · R_j``, ``p_j = p_parent + G_parent · attach_j``.
The world is y up with the character facing +x, so every clip is turned to face +z at its
first frame (``timeline.face_forward_at_start``).

Frame durations vary (1/30 s in most clips, 1/16 s in the backflip), so keyframes are
resampled to the requested fps **before** forward kinematics: quaternions by slerp, knee
and elbow angles and the root position linearly. (Blending positions after FK, as the
CMU loader does at 120 Hz, shortens bones by up to 10 cm in the 16 Hz flips.)

Joints the character lacks: the head centre is the neck's body sphere (``BodyDefs``,
``neck`` attach, 0.175 m above the neck joint), the toes are the front of the foot box
(``BodyDefs`` of the ankle: 3/4 of the way to its front, at its sole); the nose is masked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.io.derive import assemble
from autocompose.poses.io.timeline import bracket, face_forward_at_start, output_times
from autocompose.poses.sequence import PoseSequence

#: Values per joint type in a keyframe.
VALUES_PER_TYPE = {"none": 7, "spherical": 4, "revolute": 1, "fixed": 0}

#: Character joint → canonical joint (same name unless listed here).
DEEPMIMIC_TO_CANONICAL = {"root": "pelvis", "chest": "spine2", "neck": "neck"}


@dataclass(frozen=True)
class Character:
    """The joints of a DeepMimic character file, in ID order."""

    path: Path
    names: tuple[str, ...]
    parents: tuple[int, ...]
    types: tuple[str, ...]
    offsets: np.ndarray  # (N, 3) metres
    head_offset: np.ndarray  # in the neck frame
    toe_offset: np.ndarray  # in the ankle frame

    @property
    def frame_width(self) -> int:
        """Values per keyframe, duration included."""
        return 1 + sum(VALUES_PER_TYPE[t] for t in self.types)

    def value_name(self, column: int) -> str:
        """Which joint and value a keyframe column holds (for error messages)."""
        if column == 0:
            return "duration"
        start = 1
        for name, kind in zip(self.names, self.types, strict=True):
            width = VALUES_PER_TYPE[kind]
            if column < start + width:
                k = column - start
                if kind == "none":
                    return f"{name} {'position' if k < 3 else 'quaternion'}[{k if k < 3 else k - 3}]"
                return f"{name} {'quaternion' if kind == 'spherical' else 'angle'}[{k}]"
            start += width
        return f"column {column}"


def _read_json(path: Path, what: str) -> dict:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise PoseFormatError(path, "file", f"a readable DeepMimic {what} JSON file", str(exc)) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PoseFormatError(path, f"line {exc.lineno}", "valid JSON", f"{exc.msg} (file truncated?)") from None
    if not isinstance(data, dict):
        raise PoseFormatError(path, "top level", "a JSON object", type(data).__name__)
    return data


def _number(path: Path, field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise PoseFormatError(path, field, "a finite number", repr(value))
    return float(value)


def load_character(path: str | Path) -> Character:
    """Read a character file (``Skeleton.Joints`` and ``BodyDefs``)."""
    path = Path(path)
    data = _read_json(path, "character")
    joints = data.get("Skeleton", {}).get("Joints") if isinstance(data.get("Skeleton"), dict) else None
    if not isinstance(joints, list) or not joints:
        raise PoseFormatError(path, "Skeleton.Joints", "a list of joints", repr(type(joints).__name__))
    names, parents, types, offsets = [], [], [], []
    for i, joint in enumerate(joints):
        where = f"Skeleton.Joints[{i}]"
        if not isinstance(joint, dict):
            raise PoseFormatError(path, where, "an object", type(joint).__name__)
        for key in ("Name", "Type", "Parent"):
            if key not in joint:
                raise PoseFormatError(path, f"{where}.{key}", "a value", "nothing")
        if joint["Type"] not in VALUES_PER_TYPE:
            raise PoseFormatError(path, f"{where}.Type", f"one of {', '.join(VALUES_PER_TYPE)}", repr(joint["Type"]))
        parent = int(_number(path, f"{where}.Parent", joint["Parent"]))
        if not -1 <= parent < i:
            raise PoseFormatError(path, f"{where}.Parent", f"-1 or an earlier joint (0..{i - 1})", str(parent))
        for key in ("AttachThetaX", "AttachThetaY", "AttachThetaZ"):
            if _number(path, f"{where}.{key}", joint.get(key, 0.0)) != 0.0:
                raise PoseFormatError(path, f"{where}.{key}", "0 (rotated attachments are not supported)", str(joint[key]))
        names.append(str(joint["Name"]))
        parents.append(parent)
        types.append(joint["Type"])
        offsets.append([_number(path, f"{where}.Attach{a}", joint.get(f"Attach{a}", 0.0)) for a in "XYZ"])
    bodies = {b.get("Name"): b for b in data.get("BodyDefs", []) if isinstance(b, dict)}
    neck, ankle = bodies.get("neck", {}), bodies.get("left_ankle", {})
    head = np.array([0.0, float(neck.get("AttachY", 0.175)), 0.0])
    length, height = float(ankle.get("Param0", 0.177)), float(ankle.get("Param1", 0.055))
    toe = np.array(
        [float(ankle.get("AttachX", 0.045)) + 0.75 * length / 2, float(ankle.get("AttachY", -0.0225)) - height / 2, 0.0]
    )
    needed = {
        "root",
        "neck",
        *(f"{s}_{j}" for s in ("left", "right") for j in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")),
    }
    absent = sorted(needed - set(names))
    if absent:
        raise PoseFormatError(
            path, "Skeleton.Joints", f"the humanoid joints {', '.join(sorted(needed))}", f"no {', '.join(absent)}"
        )
    return Character(path, tuple(names), tuple(parents), tuple(types), np.array(offsets), head, toe)


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """``(..., 4)`` quaternions (w, x, y, z), normalised here → ``(..., 3, 3)``."""
    q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
    w, x, y, z = (q[..., i] for i in range(4))
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def _z_rotation(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(angle), np.zeros_like(angle)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def read_keyframes(path: str | Path, character: Character) -> tuple[np.ndarray, str | None]:
    """The ``(T, width)`` keyframe table and the ``Loop`` mode; errors name frame and value."""
    path = Path(path)
    data = _read_json(path, "motion")
    frames = data.get("Frames")
    if not isinstance(frames, list) or not frames:
        raise PoseFormatError(path, "Frames", "a non-empty list of keyframes", repr(frames)[:60])
    width = character.frame_width
    table = np.empty((len(frames), width))
    for k, frame in enumerate(frames):
        if not isinstance(frame, list) or len(frame) != width:
            found = f"{len(frame)} values" if isinstance(frame, list) else type(frame).__name__
            raise PoseFormatError(
                path, f"Frames[{k}]", f"{width} values (duration + root 7 + joints of {character.path.name})", found
            )
        for c, value in enumerate(frame):
            table[k, c] = _number(path, f"Frames[{k}][{c}] ({character.value_name(c)})", value)
        if table[k, 0] < 0:
            raise PoseFormatError(path, f"Frames[{k}][0] (duration)", "a duration ≥ 0 s", str(table[k, 0]))
    loop = data.get("Loop")
    return table, loop if isinstance(loop, str) else None


def keyframe_forward_kinematics(table: np.ndarray, character: Character) -> np.ndarray:
    """World positions ``(T, N + 2, 3)``: every character joint, then head centre and left/right toes."""
    t, n = len(table), len(character.names)
    pos = np.zeros((t, n, 3))
    glob = np.zeros((t, n, 3, 3))
    col = 1
    for j, (kind, parent) in enumerate(zip(character.types, character.parents, strict=True)):
        if kind == "none":
            local_pos, local_rot = table[:, col : col + 3], quaternion_to_matrix(table[:, col + 3 : col + 7])
        else:
            local_pos = np.broadcast_to(character.offsets[j], (t, 3))
            if kind == "spherical":
                local_rot = quaternion_to_matrix(table[:, col : col + 4])
            elif kind == "revolute":
                local_rot = _z_rotation(table[:, col])
            else:
                local_rot = np.broadcast_to(np.eye(3), (t, 3, 3))
        col += VALUES_PER_TYPE[kind]
        if parent < 0:
            pos[:, j], glob[:, j] = local_pos + (character.offsets[j] if kind != "none" else 0.0), local_rot
        else:
            pos[:, j] = pos[:, parent] + np.einsum("tij,tj->ti", glob[:, parent], local_pos)
            glob[:, j] = glob[:, parent] @ local_rot
    index = {name: i for i, name in enumerate(character.names)}
    extra = [pos[:, index["neck"]] + glob[:, index["neck"]] @ character.head_offset]
    for side in ("left", "right"):
        a = index[f"{side}_ankle"]
        extra.append(pos[:, a] + glob[:, a] @ character.toe_offset)
    return np.concatenate([pos, np.stack(extra, 1)], 1)


def slerp(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation of ``(N, 4)`` unit quaternions by weights ``(N,)`` (shortest arc)."""
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
    dot = (a * b).sum(-1)
    b = np.where(dot[:, None] < 0, -b, b)
    dot = np.abs(dot).clip(-1.0, 1.0)
    theta = np.arccos(dot)
    sin = np.sin(theta)
    near = sin < 1e-6
    wa = np.where(near, 1.0 - w, np.sin((1.0 - w) * theta) / np.where(near, 1.0, sin))
    wb = np.where(near, w, np.sin(w * theta) / np.where(near, 1.0, sin))
    return wa[:, None] * a + wb[:, None] * b


def resample_keyframes(table: np.ndarray, character: Character, fps: float) -> np.ndarray:
    """Keyframes at their own durations → rows at ``fps`` (slerp rotations, lerp the rest)."""
    times = np.concatenate([[0.0], np.cumsum(table[:-1, 0])])
    lo, hi, w = bracket(times, output_times(float(times[-1]), fps))
    a, b = table[lo], table[hi]
    out = a + (b - a) * w[:, None]
    out[:, 0] = 1.0 / fps
    col = 1
    for kind in character.types:
        quat = (col + 3, col + 7) if kind == "none" else (col, col + 4) if kind == "spherical" else None
        if quat is not None:
            out[:, quat[0] : quat[1]] = slerp(a[:, quat[0] : quat[1]], b[:, quat[0] : quat[1]], w)
        col += VALUES_PER_TYPE[kind]
    return out


def default_character(motion: Path) -> Path:
    """``characters/humanoid3d.txt`` beside the ``motions/`` folder holding ``motion``."""
    return motion.resolve().parent.parent / "characters" / "humanoid3d.txt"


def load_deepmimic(
    path: str | Path, fps: float = 30.0, character: str | Path | None = None, subject: str | None = None
) -> PoseSequence:
    """Load a DeepMimic motion clip resampled to ``fps``, facing +z at its first frame."""
    path = Path(path)
    if not (np.isfinite(fps) and fps > 0):
        raise PoseFormatError(path, "fps", "a positive frame rate to resample to", repr(fps))
    char_path = Path(character) if character is not None else default_character(path)
    if not char_path.exists():
        raise PoseFormatError(path, "character", f"the character file at {char_path} (pass character=PATH)", "no such file")
    char = load_character(char_path)
    table, loop = read_keyframes(path, char)
    world = keyframe_forward_kinematics(resample_keyframes(table, char, fps), char).astype(np.float32)
    n = len(char.names)
    named = {
        DEEPMIMIC_TO_CANONICAL.get(name, name): world[:, i]
        for i, name in enumerate(char.names)
        if "wrist" in name
        or name in DEEPMIMIC_TO_CANONICAL
        or any(name.endswith(j) for j in ("hip", "knee", "ankle", "shoulder", "elbow"))
    }
    named["head"] = world[:, n]
    named["left_foot"], named["right_foot"] = world[:, n + 1], world[:, n + 2]
    joints, mask, derived = assemble(path, named)
    joints, yaw = face_forward_at_start(joints)
    return PoseSequence(
        id=path.stem,
        subject=subject,
        fps=float(fps),
        joints=joints,
        source=str(path),
        joint_mask=mask,
        meta={
            "format": "deepmimic",
            "unit": "m",
            "up_axis": "+y",
            "character": str(char_path),
            "keyframes": len(table),
            "loop": loop,
            "removed_yaw_deg": round(float(np.degrees(yaw)), 2),
            "derived": [*derived, "head", "left_foot", "right_foot"],
        },
    )
