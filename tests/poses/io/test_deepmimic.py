import json

import numpy as np
import pytest

from autocompose.errors import PoseFormatError
from autocompose.poses.io.deepmimic import load_deepmimic
from autocompose.poses.skeleton import joint_index

# The humanoid3d layout: (name, type, parent, attach x/y/z); the character faces +x, its left at -z.
JOINTS = [
    ("root", "none", -1, (0, 0, 0)),
    ("chest", "spherical", 0, (0, 0.236, 0)),
    ("neck", "spherical", 1, (0, 0.224, 0)),
    ("right_hip", "spherical", 0, (0, 0, 0.085)),
    ("right_knee", "revolute", 3, (0, -0.42, 0)),
    ("right_ankle", "spherical", 4, (0, -0.41, 0)),
    ("right_shoulder", "spherical", 1, (-0.024, 0.24, 0.18)),
    ("right_elbow", "revolute", 6, (0, -0.27, 0)),
    ("right_wrist", "fixed", 7, (0, -0.26, 0)),
    ("left_hip", "spherical", 0, (0, 0, -0.085)),
    ("left_knee", "revolute", 9, (0, -0.42, 0)),
    ("left_ankle", "spherical", 10, (0, -0.41, 0)),
    ("left_shoulder", "spherical", 1, (-0.024, 0.24, -0.18)),
    ("left_elbow", "revolute", 12, (0, -0.27, 0)),
    ("left_wrist", "fixed", 13, (0, -0.26, 0)),
]
WIDTH = 1 + 7 + sum({"spherical": 4, "revolute": 1}.get(t, 0) for _, t, _, _ in JOINTS[1:])  # 44


def _write_character(folder):
    joints = [
        {"ID": i, "Name": n, "Type": t, "Parent": p, "AttachX": a[0], "AttachY": a[1], "AttachZ": a[2]}
        for i, (n, t, p, a) in enumerate(JOINTS)
    ]
    bodies = [
        {"Name": "neck", "AttachY": 0.175},
        {"Name": "left_ankle", "AttachX": 0.045, "AttachY": -0.0225, "Param0": 0.177, "Param1": 0.055},
    ]
    (folder / "characters").mkdir(parents=True)
    (folder / "characters" / "humanoid3d.txt").write_text(json.dumps({"Skeleton": {"Joints": joints}, "BodyDefs": bodies}))


def _frame(duration, root_y=0.88, left_elbow=0.0):
    values = [duration, 0.0, root_y, 0.0, 1.0, 0.0, 0.0, 0.0]
    for name, kind, _, _ in JOINTS[1:]:
        if kind == "spherical":
            values += [1.0, 0.0, 0.0, 0.0]
        elif kind == "revolute":
            values.append(left_elbow if name == "left_elbow" else 0.0)
    assert len(values) == WIDTH
    return values


def _write_motion(folder, frames, name="humanoid3d_test.txt"):
    (folder / "motions").mkdir(parents=True, exist_ok=True)
    path = folder / "motions" / name
    path.write_text(json.dumps({"Loop": "wrap", "Frames": frames}, indent=1))
    return path


def test_keyframes_geometry_facing_and_variable_durations(tmp_path):
    _write_character(tmp_path)
    # Durations 0.1 s then 0.05 s: 0.15 s at 30 fps → 5 frames; elbow bends from 0 to π/2 over the first 0.1 s.
    path = _write_motion(tmp_path, [_frame(0.1), _frame(0.05, left_elbow=np.pi / 2), _frame(0.0, left_elbow=np.pi / 2)])
    seq = load_deepmimic(path, fps=30)
    assert len(seq) == 5 and seq.fps == 30 and seq.missing_joints == ("nose",)
    j = seq.joints
    # Turned from facing +x to facing +z: the left hip (at -z in the file) is now at +x.
    np.testing.assert_allclose(j[0, joint_index("left_hip")] - j[0, joint_index("pelvis")], [0.085, 0, 0], atol=1e-6)
    np.testing.assert_allclose(j[0, joint_index("left_ankle"), 1], 0.88 - 0.83, atol=1e-6)
    np.testing.assert_allclose(j[0, joint_index("head"), 1], 0.88 + 0.236 + 0.224 + 0.175, atol=1e-6)
    assert j[0, joint_index("left_foot"), 2] > j[0, joint_index("left_ankle"), 2]  # toes forward (+z)
    np.testing.assert_allclose(j[0, joint_index("left_wrist"), 1], 0.88 + 0.236 + 0.24 - 0.53, atol=1e-6)
    forearm = j[:, joint_index("left_wrist")] - j[:, joint_index("left_elbow")]
    assert forearm[0, 1] == pytest.approx(-0.26, abs=1e-6)  # straight down
    # Frame 3 (t = 0.1 s) is the second keyframe: forearm bent 90° (about z in the file = about x here).
    assert abs(forearm[3, 1]) < 1e-6 and np.linalg.norm(forearm[3]) == pytest.approx(0.26, abs=1e-6)
    # Frame 1 (t = 1/30 s) is a third of the way: the elbow angle is interpolated (30°), the forearm keeps its length.
    assert np.linalg.norm(forearm[1]) == pytest.approx(0.26, abs=1e-6)
    cos = forearm[1] @ forearm[0] / 0.26**2
    assert np.degrees(np.arccos(cos)) == pytest.approx(30, abs=1e-3)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda text: text[: len(text) // 2], r"line \d+.*valid JSON"),
        (lambda text: text.replace('"Frames"', '"Frame"'), "'Frames'"),
    ],
)
def test_malformed_json_names_file_and_place(tmp_path, mutate, match):
    _write_character(tmp_path)
    path = _write_motion(tmp_path, [_frame(0.1), _frame(0.0)])
    path.write_text(mutate(path.read_text()))
    with pytest.raises(PoseFormatError, match=match) as info:
        load_deepmimic(path)
    assert "humanoid3d_test.txt" in str(info.value)


def test_bad_keyframe_names_frame_and_value(tmp_path):
    _write_character(tmp_path)
    short = _write_motion(tmp_path, [_frame(0.1), _frame(0.0)[:-3]], "humanoid3d_short.txt")
    with pytest.raises(PoseFormatError, match=r"Frames\[1\].*44 values.*found 41 values"):
        load_deepmimic(short)
    bad = _frame(0.0)
    bad[12] = "x"
    text = _write_motion(tmp_path, [_frame(0.1), bad], "humanoid3d_text.txt")
    with pytest.raises(PoseFormatError, match=r"Frames\[1\]\[12\] \(neck quaternion\[0\]\).*a finite number"):
        load_deepmimic(text)
    alone = tmp_path / "elsewhere" / "motions"
    alone.mkdir(parents=True)
    (alone / "m.txt").write_text(short.read_text())
    with pytest.raises(PoseFormatError, match=r"character.*humanoid3d\.txt"):
        load_deepmimic(alone / "m.txt")
