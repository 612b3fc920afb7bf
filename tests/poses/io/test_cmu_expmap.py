import numpy as np
import pytest

from autocompose.errors import PoseFormatError
from autocompose.poses.io.cmu_expmap import CMU_NODE_NAMES, CMU_UNIT_M, CMU_VALUES, expmap_to_matrix, load_cmu_expmap
from autocompose.poses.skeleton import joint_index


def _line(root=(0.0, 16.0, 0.0), expmaps: dict[str, tuple[float, float, float]] | None = None) -> str:
    values = np.zeros(CMU_VALUES)
    values[:3] = root
    for name, r in (expmaps or {}).items():
        i = CMU_NODE_NAMES.index(name)
        values[3 + 3 * i : 6 + 3 * i] = r
    return ",".join(f"{v:g}" for v in values)


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_expmap_rotation_is_rodrigues():
    r = expmap_to_matrix(np.array([0.0, 0.0, np.pi / 2]))
    np.testing.assert_allclose(r @ [1.0, 0, 0], [0, 1, 0], atol=1e-12)


def test_rest_pose_geometry_resampling_and_rest_line(tmp_path):
    rest = ",".join(["1"] * 3 + ["0"] * (CMU_VALUES - 3))  # upstream files start with a rest line
    bent = {n: (0.01, 0.01, 0.01) for n in CMU_NODE_NAMES[1:]}  # most values differ from the rest line
    # 9 frames at 120 Hz, root walking +z by 1 ASF unit per frame.
    lines = [rest] + [_line(root=(0.0, 16.0, float(k)), expmaps=bent) for k in range(9)]
    seq = load_cmu_expmap(_write(tmp_path / "walking_1.txt", lines), fps=30)
    assert seq.meta["skipped_rest_line"] and seq.fps == 30 and len(seq) == 3  # 8/120 s → t = 0, 1/30, 2/30
    j = seq.joints
    travel = np.linalg.norm((j[:, joint_index("pelvis")] - j[0, joint_index("pelvis")])[:, [0, 2]], axis=-1)
    np.testing.assert_allclose(travel, [0, 4 * CMU_UNIT_M, 8 * CMU_UNIT_M], atol=1e-5)  # frames 0, 4, 8 of 120 Hz
    np.testing.assert_allclose(j[0, joint_index("pelvis"), 1], 16 * CMU_UNIT_M, atol=1e-5)
    leg = (np.hypot(2.5972, 7.13576) + np.hypot(2.49236, 6.8477)) * CMU_UNIT_M  # bone lengths survive FK
    got = np.linalg.norm(j[0, joint_index("left_knee")] - j[0, joint_index("left_hip")]) + np.linalg.norm(
        j[0, joint_index("left_ankle")] - j[0, joint_index("left_knee")]
    )
    assert got == pytest.approx(leg, abs=1e-5) and 0.8 < leg < 0.9
    assert j[0, joint_index("left_hip"), 0] > 0 > j[0, joint_index("right_hip"), 0]  # left at +x
    assert j[0, joint_index("left_foot"), 2] > j[0, joint_index("left_ankle"), 2]  # toes point +z (facing)
    assert j[0, joint_index("head"), 1] > j[0, joint_index("neck"), 1] > j[0, joint_index("pelvis"), 1]


def test_expmap_turns_the_arm(tmp_path):
    # lhumerus's rotation turns the upper arm (its child's offset, along +x); the spec's row-vector
    # convention (offset · R) makes +π/2 about z take +x to -y: the arm hangs down.
    lines = [_line(), _line(expmaps={"lhumerus": (0.0, 0.0, np.pi / 2)})]
    j = load_cmu_expmap(_write(tmp_path / "arm.txt", lines), fps=120).joints
    upper = j[:, joint_index("left_elbow")] - j[:, joint_index("left_shoulder")]
    # (the clip is turned to face +z, which the rig's slight asymmetry makes a 0.85° turn)
    np.testing.assert_allclose(upper[0] / np.linalg.norm(upper[0]), [1, 0, 0], atol=0.02)
    np.testing.assert_allclose(upper[1] / np.linalg.norm(upper[1]), [0, -1, 0], atol=0.02)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (lambda: [_line(), _line()[:-40]], r"line 2.*117 comma-separated values"),
        (lambda: [_line(), _line().replace(",0,", ",x,", 1)], r"line 2, root position\[2\].*a number.*'x'"),
        (lambda: [_line(), "nan," + _line().split(",", 1)[1]], r"line 2, root position\[0\].*finite"),
        (lambda: [], "empty file"),
    ],
)
def test_malformed_files_name_line_and_value(tmp_path, text, match):
    path = _write(tmp_path / "bad.txt", text())
    with pytest.raises(PoseFormatError, match=match) as info:
        load_cmu_expmap(path)
    assert "bad.txt" in str(info.value)
