"""The canonical skeleton: the one place that defines joints, bones, body parts and L/R swap.

Conventions used by the whole package
-------------------------------------
* A pose is a ``float32`` array of shape ``(J, 3)`` (a sequence: ``(T, J, 3)``), in
  **metres**, in a right-handed frame with **y up**; a person in canonical facing looks
  along **+z**, so their left side is at **+x** and their right side at **-x**.
* The joint order follows the first 22 joints of SMPL (so SMPL/AMASS joint arrays load
  without re-ordering) plus ``nose``, which gives the head its facing direction.
* "Left" and "right" always mean the person's own left and right.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

import numpy as np

JOINT_NAMES: Final[tuple[str, ...]] = (
    "pelvis",  # 0
    "left_hip",  # 1
    "right_hip",  # 2
    "spine1",  # 3  lower back
    "left_knee",  # 4
    "right_knee",  # 5
    "spine2",  # 6  mid back
    "left_ankle",  # 7
    "right_ankle",  # 8
    "spine3",  # 9  upper back / chest
    "left_foot",  # 10 toes
    "right_foot",  # 11
    "neck",  # 12
    "left_collar",  # 13
    "right_collar",  # 14
    "head",  # 15 centre of the head
    "left_shoulder",  # 16
    "right_shoulder",  # 17
    "left_elbow",  # 18
    "right_elbow",  # 19
    "left_wrist",  # 20
    "right_wrist",  # 21
    "nose",  # 22 gives the head's facing direction
)
NUM_JOINTS: Final[int] = len(JOINT_NAMES)
_INDEX: Final = MappingProxyType({name: i for i, name in enumerate(JOINT_NAMES)})

#: Parent of each joint (-1 for the root), in the order of ``JOINT_NAMES``.
PARENTS: Final[tuple[int, ...]] = (
    -1,
    0,
    0,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    9,
    9,
    12,
    13,
    14,
    16,
    17,
    18,
    19,
    15,
)

#: Bones drawn by the renderer and used for bone-length checks: (parent, child).
BONES: Final[tuple[tuple[int, int], ...]] = tuple((p, c) for c, p in enumerate(PARENTS) if p >= 0)


def joint_index(name: str) -> int:
    """Index of a canonical joint by name; raises ``KeyError`` listing valid names."""
    try:
        return _INDEX[name]
    except KeyError:
        raise KeyError(f"unknown joint {name!r}; canonical joints are: {', '.join(JOINT_NAMES)}") from None


def _swap_name(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


#: ``SWAP[i]`` is the index of joint i's left/right counterpart (itself for centre joints).
SWAP: Final[np.ndarray] = np.array([_INDEX[_swap_name(n)] for n in JOINT_NAMES], dtype=np.int64)
SWAP.setflags(write=False)

#: Which side each joint is on: +1 left, -1 right, 0 centre.
SIDE: Final[np.ndarray] = np.array(
    [1 if n.startswith("left_") else -1 if n.startswith("right_") else 0 for n in JOINT_NAMES],
    dtype=np.int8,
)
SIDE.setflags(write=False)

#: Body parts used by every later stage (descriptions, checks, prompts), with their joints.
BODY_PARTS: Final = MappingProxyType(
    {
        "head": ("neck", "head", "nose"),
        "torso": ("pelvis", "spine1", "spine2", "spine3", "neck", "left_collar", "right_collar"),
        "left_arm": ("left_shoulder", "left_elbow", "left_wrist"),
        "right_arm": ("right_shoulder", "right_elbow", "right_wrist"),
        "left_leg": ("left_hip", "left_knee", "left_ankle", "left_foot"),
        "right_leg": ("right_hip", "right_knee", "right_ankle", "right_foot"),
        # The whole body: orientation, height and position of the root.
        "whole_body": ("pelvis",),
    }
)
BODY_PART_NAMES: Final[tuple[str, ...]] = tuple(BODY_PARTS)

#: Left/right counterpart of each body part.
BODY_PART_SWAP: Final = MappingProxyType({p: _swap_name(p) for p in BODY_PARTS})

#: Pairs of words swapped when a description is mirrored (both directions are applied).
SIDE_WORDS: Final[tuple[tuple[str, str], ...]] = (("left", "right"), ("Left", "Right"), ("LEFT", "RIGHT"))


def swap_side_words(text: str) -> str:
    """Swap left/right words in ``text`` (whole words only, case kept).

    ``swap_side_words(swap_side_words(t)) == t`` for any text.
    """
    return _SIDE_WORD_PATTERN.sub(lambda m: _SIDE_WORD_TABLE[m.group(1)], text)


_SIDE_WORD_TABLE: Final = {w: v for a, b in SIDE_WORDS for w, v in ((a, b), (b, a))}
_SIDE_WORD_PATTERN: Final = re.compile(r"\b(" + "|".join(_SIDE_WORD_TABLE) + r")\b")
