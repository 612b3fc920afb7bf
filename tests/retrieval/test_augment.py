"""Body-proportion augmentation and the proportion-invariant 'bones' pose input."""

from __future__ import annotations

import numpy as np

from autocompose.poses.builtin import builtin_library
from autocompose.poses.skeleton import BONES, joint_index
from autocompose.retrieval.augment import SEGMENTS, draw_factors, rebuild_with_proportions
from autocompose.retrieval.encoders import body_size, pose_feature_dim, pose_features


def _poses():
    return builtin_library(subjects=("s01",))[0].joints[::20]


def _bone_lengths(p):
    return np.stack([np.linalg.norm(p[:, c] - p[:, q], axis=-1) for q, c in BONES], -1)


def test_rebuild_scales_each_segment_and_keeps_feet_on_the_floor():
    poses = _poses()
    factors = draw_factors(len(poses), np.random.default_rng(0), proportions=0.2, scale=0.1)
    out = rebuild_with_proportions(poses, factors)
    ratio = _bone_lengths(out) / _bone_lengths(poses)
    expected = np.stack([factors[:, c] for _, c in BONES], -1)
    np.testing.assert_allclose(ratio, expected, rtol=1e-4)
    feet = [joint_index(j) for j in ("left_ankle", "right_ankle", "left_foot", "right_foot")]
    np.testing.assert_allclose(out[:, feet, 1].min(1), poses[:, feet, 1].min(1), atol=1e-5)
    left, right = joint_index("left_elbow"), joint_index("right_elbow")
    np.testing.assert_array_equal(factors[:, left], factors[:, right])  # one person: both arms alike
    assert len(SEGMENTS) == 9
    same = rebuild_with_proportions(poses, np.ones_like(factors))
    np.testing.assert_allclose(same, poses, atol=1e-6)


def test_bones_input_ignores_body_size_and_bone_lengths_in_its_direction_part():
    poses = _poses()
    mask = np.ones(poses.shape[:2], bool)
    f = pose_features(poses, mask, "bones")
    assert f.shape == (len(poses), pose_feature_dim("bones"))
    bigger = poses * 1.3  # the same pose, a taller person (feet still on the floor at y=0 scale)
    np.testing.assert_allclose(pose_features(bigger, mask, "bones"), f, atol=1e-4)
    np.testing.assert_allclose(body_size(bigger, mask), body_size(poses, mask) * 1.3, rtol=1e-5)
    factors = draw_factors(len(poses), np.random.default_rng(1), proportions=0.2, scale=0.0)
    stretched = rebuild_with_proportions(poses, factors)
    n_pos = poses.shape[1] * 3
    dirs, dirs2 = f[:, n_pos : n_pos + len(BONES) * 3], pose_features(stretched, mask, "bones")[:, n_pos : n_pos + len(BONES) * 3]
    # equal up to the facing estimate, which averages hip and shoulder lines whose widths changed
    np.testing.assert_allclose(dirs2, dirs, atol=0.02)
    assert not np.allclose(pose_features(stretched, mask, "joints"), pose_features(poses, mask, "joints"), atol=1e-3)


def test_missing_joints_zero_their_bones():
    poses = _poses()[:2]
    mask = np.ones(poses.shape[:2], bool)
    mask[:, joint_index("left_wrist")] = False
    f = pose_features(poses, mask, "bones")
    n_pos = poses.shape[1] * 3
    bone = next(i for i, (_, c) in enumerate(BONES) if c == joint_index("left_wrist"))
    assert np.all(f[:, n_pos + 3 * bone : n_pos + 3 * bone + 3] == 0)


def test_measures_input_appends_the_describers_measurements():
    from autocompose.describe.measure import pose_state
    from autocompose.retrieval.encoders import MEASURE_WIDTH

    poses = _poses()[:3]
    mask = np.ones(poses.shape[:2], bool)
    f = pose_features(poses, mask, "measures")
    assert f.shape == (3, pose_feature_dim("measures")) and f.shape[1] == pose_feature_dim("bones") + MEASURE_WIDTH
    np.testing.assert_allclose(f[:, : pose_feature_dim("bones")], pose_features(poses, mask, "bones"), atol=1e-6)
    assert f[0, pose_feature_dim("bones")] == np.float32(pose_state(poses[0]).arms["left"].flex / 180)
