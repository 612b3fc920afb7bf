import numpy as np

from autocompose.poses.builtin import SUBJECTS, builtin_library, motion_names
from autocompose.poses.builtin.body import DOF_LIMITS, BodyShape, clip_to_limits, forward_kinematics
from autocompose.poses.skeleton import BONES, joint_index


def test_library_size_and_coverage(library):
    assert len(library) >= 50
    assert sum(len(s) for s in library) >= 10_000
    assert len({s.subject for s in library}) == len(SUBJECTS) >= 3
    assert {s.meta["category"] for s in library} == {"everyday", "fitness", "dance"}
    assert len({s.id for s in library}) == len(library)
    assert len(motion_names()) * len(SUBJECTS) == len(library)


def test_library_is_deterministic_and_seeded():
    a = builtin_library(seed=3, subjects=("s01",))
    b = builtin_library(seed=3, subjects=("s01",))
    c = builtin_library(seed=4, subjects=("s01",))
    assert all(np.array_equal(x.joints, y.joints) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x.joints, y.joints) for x, y in zip(a, c, strict=True))


def test_bone_lengths_are_constant_within_a_sequence(library):
    for seq in library[::7]:
        for p, c in BONES:
            length = np.linalg.norm(seq.joints[:, p] - seq.joints[:, c], axis=-1)
            assert length.std() < 1e-3, (seq.id, p, c)


def test_people_stand_on_the_floor_with_plausible_heights(library):
    for seq in library:
        feet = seq.joints[:, [joint_index("left_foot"), joint_index("right_foot")], 1]
        assert feet.min() > -0.01
        head = seq.joints[:, joint_index("head"), 1]
        assert 0.4 < np.median(head) < 2.0
        speed = np.linalg.norm(np.diff(seq.joints, axis=0), axis=-1) * seq.fps
        assert speed.max() < 12.0, seq.id  # m/s: fast limbs, but no joint jumps


def test_joint_limits_are_enforced():
    clipped = clip_to_limits(
        {
            "l_elbow": np.array([200.0, -20.0]),
            "r_hip_elev": np.array([-80.0, 120.0, 120.0]),
            "r_hip_azim": np.array([0.0, 0.0, 90.0]),
        }
    )
    assert clipped["l_elbow"].tolist() == [DOF_LIMITS["l_elbow"][1], 0.0]
    # hips extend backwards (negative elevation) much less than they flex forwards or abduct
    assert clipped["r_hip_elev"].tolist() == [-35.0, 120.0, 70.0]


def test_swing_parametrisation_points_limbs_where_named():
    dofs = {
        "l_sh_elev": np.array([90.0, 90.0, 180.0]),
        "l_sh_azim": np.array([0.0, 90.0, 0.0]),
        "r_hip_elev": np.array([90.0, 0.0, 0.0]),
        "r_hip_azim": np.array([0.0, 0.0, 0.0]),
    }
    j = forward_kinematics(dofs, BodyShape(), grounded=False)
    arm = j[:, joint_index("left_wrist")] - j[:, joint_index("left_shoulder")]
    assert arm[0, 2] > 0.5 and arm[1, 0] > 0.5 and arm[2, 1] > 0.5  # forward, out to the left (+x), up
    thigh = j[0, joint_index("right_knee")] - j[0, joint_index("right_hip")]
    assert thigh[2] > 0.35  # right knee raised forward
