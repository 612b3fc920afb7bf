import numpy as np

from autocompose.poses.skeleton import joint_index
from autocompose.poses.transforms import (
    canonicalise_facing,
    facing_angle,
    mirror,
    mirror_mask,
    normalise,
    pose_difference,
    root_centre,
    rotate_y,
)


def test_mirror_is_an_involution(random_poses):
    assert np.array_equal(mirror(mirror(random_poses)), random_poses)


def test_mirror_swaps_sides_and_negates_x(random_poses):
    m = mirror(random_poses)
    li, ri = joint_index("left_wrist"), joint_index("right_wrist")
    np.testing.assert_allclose(m[:, li, 0], -random_poses[:, ri, 0])
    np.testing.assert_allclose(m[:, li, 1:], random_poses[:, ri, 1:])


def test_mirror_keeps_bone_lengths(random_poses):
    """Bone (p, c) of the mirrored pose has the length of bone (swap p, swap c) of the original."""
    from autocompose.poses.skeleton import BONES, SWAP

    m = mirror(random_poses)
    for p, c in BONES:
        np.testing.assert_allclose(
            np.linalg.norm(m[:, p] - m[:, c], axis=-1),
            np.linalg.norm(random_poses[:, SWAP[p]] - random_poses[:, SWAP[c]], axis=-1),
            rtol=1e-5,
        )


def test_symmetric_pose_is_its_own_mirror(standing_pose):
    np.testing.assert_allclose(mirror(standing_pose), standing_pose, atol=1e-5)


def test_mirror_mask_swaps_availability():
    mask = np.ones(23, bool)
    mask[joint_index("left_foot")] = False
    mm = mirror_mask(mask)
    assert not mm[joint_index("right_foot")] and mm[joint_index("left_foot")]


def test_facing_canonicalisation_round_trip(standing_pose):
    turned = rotate_y(root_centre(standing_pose), 1.1)
    np.testing.assert_allclose(facing_angle(turned), 1.1, atol=1e-5)
    canon, yaw = canonicalise_facing(turned)
    np.testing.assert_allclose(facing_angle(canon), 0.0, atol=1e-5)
    np.testing.assert_allclose(rotate_y(canon, yaw), turned, atol=1e-5)


def test_facing_positive_yaw_turns_towards_the_left(standing_pose):
    # facing +z with left at +x: a small turn left moves the nose towards +x
    nose = joint_index("nose")
    turned = rotate_y(root_centre(standing_pose), 0.3)
    assert turned[nose, 0] > root_centre(standing_pose)[nose, 0]


def test_normalise_removes_position_and_facing(random_poses):
    moved = rotate_y(random_poses, 0.7) + np.array([3.0, 0.0, -2.0], np.float32)
    np.testing.assert_allclose(normalise(moved), normalise(random_poses), atol=1e-4)
    assert np.all(pose_difference(moved, random_poses) < 1e-4)
    assert np.allclose(normalise(random_poses)[:, joint_index("pelvis")], 0.0, atol=1e-6)
