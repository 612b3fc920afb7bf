"""A tiny BVH in the Bandai-Namco rig's naming and channel layout, written by the tests."""

from __future__ import annotations

from pathlib import Path

# (name, parent, offset in cm). The real rig's bones run along +x; this one is built upright
# so expected positions are easy to read. Like the real files, every joint has 6 channels
# whose positions hold the local translation, and Hips has a stale OFFSET far from it.
JOINTS: list[tuple[str, str | None, tuple[float, float, float]]] = [
    ("joint_Root", None, (0, 0, 0)),
    ("Hips", "joint_Root", (4.6, 91.5, -427.2)),
    ("Spine", "Hips", (0, 10, 0)),
    ("Chest", "Spine", (0, 15, 0)),
    ("Neck", "Chest", (0, 20, 0)),
    ("Head", "Neck", (0, 8, 0)),
]
for side, sx in (("L", 1), ("R", -1)):
    JOINTS += [
        (f"Shoulder_{side}", "Chest", (3 * sx, 18, 0)),
        (f"UpperArm_{side}", f"Shoulder_{side}", (12 * sx, 0, 0)),
        (f"LowerArm_{side}", f"UpperArm_{side}", (28 * sx, 0, 0)),
        (f"Hand_{side}", f"LowerArm_{side}", (25 * sx, 0, 0)),
    ]
for side, sx in (("L", 1), ("R", -1)):
    JOINTS += [
        (f"UpperLeg_{side}", "Hips", (9 * sx, -5, 0)),
        (f"LowerLeg_{side}", f"UpperLeg_{side}", (0, -42, 0)),
        (f"Foot_{side}", f"LowerLeg_{side}", (0, -40, 0)),
        (f"Toes_{side}", f"Foot_{side}", (0, -5, 12)),
    ]
HIPS_HEIGHT_CM = 90.0
LEAVES = {"Head", "Hand_L", "Hand_R", "Toes_L", "Toes_R"}


def _hierarchy(name: str, depth: int) -> list[str]:
    pad = "\t" * depth
    offset = next(o for n, _, o in JOINTS if n == name)
    kind = "ROOT" if depth == 0 else "JOINT"
    lines = [f"{pad}{kind} {name}", f"{pad}{{", f"{pad}\tOFFSET {' '.join(f'{v:g}' for v in offset)}"]
    lines.append(f"{pad}\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation ")
    for child, parent, _ in JOINTS:
        if parent == name:
            lines += _hierarchy(child, depth + 1)
    if name in LEAVES:
        lines += [f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET 0.0 0.0 0.0", f"{pad}\t}}"]
    lines.append(f"{pad}}}")
    return lines


def file_order() -> list[str]:
    """Joint names in the order their channels appear (depth-first, as written)."""
    order: list[str] = []

    def walk(name: str) -> None:
        order.append(name)
        for child, parent, _ in JOINTS:
            if parent == name:
                walk(child)

    walk("joint_Root")
    return order


def frame(rotations: dict[str, tuple[float, float, float]] | None = None, hips=(0.0, HIPS_HEIGHT_CM, 0.0)) -> list[float]:
    """One frame: per joint its translation then (Z, X, Y) rotation in degrees."""
    rotations = rotations or {}
    row: list[float] = []
    for name in file_order():
        offset = next(o for n, _, o in JOINTS if n == name)
        pos = hips if name == "Hips" else offset
        row += [*pos, *rotations.get(name, (0.0, 0.0, 0.0))]
    return row


def write_bandai_bvh(path: Path, frames: list[list[float]], frame_count: int | None = None) -> Path:
    body = "\n".join(" ".join(f"{v:g}" for v in r) for r in frames)
    count = len(frames) if frame_count is None else frame_count
    text = "\n".join(["HIERARCHY", *_hierarchy("joint_Root", 0), "MOTION", f"Frames:\t{count}", "Frame Time:\t0.0333333", body])
    path.write_text(text + "\n")
    return path


#: Left arm straight up (UpperArm_L: Zrotation +90 turns its +x bone to +y).
LEFT_ARM_UP = {"UpperArm_L": (90.0, 0.0, 0.0)}
