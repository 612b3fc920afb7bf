import numpy as np
import pytest

from autocompose.errors import PoseFormatError
from autocompose.poses.io import load_bvh, load_sequence
from autocompose.poses.skeleton import joint_index
from tests.poses.io.bandai_rig import LEFT_ARM_UP, frame, write_bandai_bvh


def test_bandai_naming_is_detected_and_positions_are_canonical(tmp_path):
    path = write_bandai_bvh(tmp_path / "clip.bvh", [frame(), frame(LEFT_ARM_UP)])
    seq = load_sequence(path)
    assert seq.meta["mapping"] == "bandai" and seq.meta["unit"] == "cm" and seq.meta["up_axis"] == "+y"
    j = seq.joints
    # Hips' stale OFFSET (z = -427 cm) is ignored: its position channels are the translation.
    np.testing.assert_allclose(j[0, joint_index("pelvis")], [0, 0.9, 0], atol=1e-5)
    np.testing.assert_allclose(j[0, joint_index("left_hip")], [0.09, 0.85, 0], atol=1e-5)
    np.testing.assert_allclose(j[0, joint_index("right_hip")], [-0.09, 0.85, 0], atol=1e-5)
    np.testing.assert_allclose(j[0, joint_index("left_ankle")], [0.09, 0.03, 0], atol=1e-5)
    np.testing.assert_allclose(j[0, joint_index("left_foot")], [0.09, -0.02, 0.12], atol=1e-5)
    np.testing.assert_allclose(j[0, joint_index("left_wrist")], [0.68, 1.33, 0], atol=1e-5)
    np.testing.assert_allclose(j[0, joint_index("head")], [0, 1.43, 0], atol=1e-5)
    # Frame 1: left arm straight up from the shoulder.
    shoulder = j[1, joint_index("left_shoulder")]
    np.testing.assert_allclose(j[1, joint_index("left_wrist")] - shoulder, [0, 0.53, 0], atol=1e-5)
    assert j[1, joint_index("left_wrist"), 1] > j[1, joint_index("head"), 1] > j[1, joint_index("right_wrist"), 1]
    assert seq.missing_joints == ("nose",)


def test_bandai_truncated_file_names_file_and_field(tmp_path):
    path = write_bandai_bvh(tmp_path / "cut.bvh", [frame()] * 2, frame_count=5)
    with pytest.raises(PoseFormatError, match=r"cut\.bvh.*'MOTION'.*5 frame lines"):
        load_bvh(path)


def test_unknown_bvh_naming_lists_joints_and_mapping_option(tmp_path):
    path = write_bandai_bvh(tmp_path / "odd.bvh", [frame()])
    path.write_text(path.read_text().replace("UpperArm_", "Brachium_").replace("LowerArm_", "Antebrachium_"))
    with pytest.raises(PoseFormatError) as info:
        load_bvh(path)
    message = str(info.value)
    assert "odd.bvh" in message and "Brachium_L" in message and "Antebrachium_R" in message
    assert "mapping=" in message and "left_elbow" in message
