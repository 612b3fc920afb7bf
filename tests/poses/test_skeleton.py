import numpy as np
import pytest

from autocompose.poses.skeleton import (
    BODY_PART_SWAP,
    BODY_PARTS,
    BONES,
    JOINT_NAMES,
    NUM_JOINTS,
    PARENTS,
    SIDE,
    SWAP,
    joint_index,
    swap_side_words,
)


def test_swap_table_is_an_involution_that_pairs_left_with_right():
    assert np.array_equal(SWAP[SWAP], np.arange(NUM_JOINTS))
    for i, name in enumerate(JOINT_NAMES):
        other = JOINT_NAMES[SWAP[i]]
        if name.startswith("left_"):
            assert other == "right_" + name[5:]
        elif name.startswith("right_"):
            assert other == "left_" + name[6:]
        else:
            assert other == name
        assert SIDE[SWAP[i]] == -SIDE[i]


def test_tree_is_rooted_and_parents_come_first():
    assert PARENTS[0] == -1
    assert all(0 <= p < c for c, p in enumerate(PARENTS) if c > 0)
    assert len(BONES) == NUM_JOINTS - 1


def test_body_parts_cover_known_joints_and_swap():
    for part, joints in BODY_PARTS.items():
        for j in joints:
            joint_index(j)
        assert BODY_PART_SWAP[BODY_PART_SWAP[part]] == part
    assert BODY_PART_SWAP["left_arm"] == "right_arm"


def test_unknown_joint_name_lists_valid_names():
    with pytest.raises(KeyError, match="canonical joints are"):
        joint_index("left_tail")


def test_side_words_swap_whole_words_only():
    text = "Raise the Left arm, bend the right knee; LEFT leg leftover"
    swapped = swap_side_words(text)
    assert swapped == "Raise the Right arm, bend the left knee; RIGHT leg leftover"
    assert swap_side_words(swapped) == text
