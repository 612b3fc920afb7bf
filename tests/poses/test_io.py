"""Every loader on small files written here, valid and malformed."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from autocompose.errors import PoseFormatError
from autocompose.poses.io import load_aistpp, load_bvh, load_coco_keypoints, load_sequence, load_smpl_joints
from autocompose.poses.io.aistpp import COCO17
from autocompose.poses.io.bvh import forward_kinematics, parse_bvh
from autocompose.poses.skeleton import JOINT_NAMES, joint_index

BODY12 = [n for n in COCO17 if "eye" not in n and "ear" not in n and n != "nose"]


def _coco17_from(seq_joints: np.ndarray) -> np.ndarray:
    """COCO-17 keypoints (T, 17, 3) from canonical joints, ears beside the head."""
    t = len(seq_joints)
    out = np.zeros((t, 17, 3))
    for i, name in enumerate(COCO17):
        if name in JOINT_NAMES:
            out[:, i] = seq_joints[:, joint_index(name)]
    head = seq_joints[:, joint_index("head")]
    for i, dx in (("left_eye", 0.03), ("right_eye", -0.03), ("left_ear", 0.07), ("right_ear", -0.07)):
        out[:, COCO17.index(i)] = head + np.array([dx, 0.0, 0.02 if "eye" in i else 0.0])
    return out


# ------------------------------------------------------------------ AIST++
def test_aistpp_loads_cm_y_down_and_names_the_dancer(tmp_path: Path, library):
    seq = library[3]
    kp = _coco17_from(seq.joints) * 100.0
    kp[..., 1:] *= -1  # y down, z back: a proper rotation of the world frame
    path = tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl"
    path.write_bytes(pickle.dumps({"keypoints3d_optim": kp, "keypoints3d": kp}))
    loaded = load_aistpp(path)
    assert loaded.subject == "d04" and loaded.fps == 60.0 and loaded.meta["genre"] == "BR"
    assert loaded.meta["up_axis"] == "-y"
    for name in BODY12:
        np.testing.assert_allclose(loaded.joints[:, joint_index(name)], seq.joints[:, joint_index(name)], atol=1e-4)
    assert not loaded.joint_mask[joint_index("left_foot")] and loaded.joint_mask[joint_index("pelvis")]
    assert "pelvis" in loaded.meta["derived"]


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"keypoints3d": np.zeros((10, 15, 3))}, r"keypoints3d.*\(T>0, 17, 3\)"),
        ({"something": 1}, "keypoints3d_optim"),
        ({"keypoints3d_optim": np.full((4, 17, 3), np.nan)}, "NaN/inf at frame 0"),
    ],
)
def test_aistpp_malformed_inputs_name_file_and_field(tmp_path: Path, payload, match):
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(payload))
    with pytest.raises(PoseFormatError, match=match) as info:
        load_aistpp(path)
    assert "bad.pkl" in str(info.value)


def test_aistpp_not_a_pickle(tmp_path: Path):
    path = tmp_path / "junk.pkl"
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(PoseFormatError, match=r"junk\.pkl"):
        load_aistpp(path)


# ------------------------------------------------------------------ SMPL / AMASS
@pytest.mark.parametrize("n_joints", [22, 24, 52])
def test_smpl_joints_z_up_load_and_rotate_to_y_up(tmp_path: Path, library, n_joints: int):
    seq = library[10]
    body = seq.joints[:, :22].astype(np.float64)
    extra = np.repeat(body[:, -2:], n_joints - 22, axis=1)[:, : n_joints - 22] if n_joints > 22 else np.zeros((len(body), 0, 3))
    arr = np.concatenate([body, extra], axis=1)
    zup = np.stack([arr[..., 0], -arr[..., 2], arr[..., 1]], -1)  # y-up → z-up (proper rotation)
    path = tmp_path / "subj7" / "clip.npz"
    path.parent.mkdir()
    np.savez(path, joints=zup, mocap_framerate=120.0)
    loaded = load_smpl_joints(path)
    assert loaded.meta["up_axis"] == "+z" and loaded.fps == 120.0 and loaded.subject == "subj7"
    np.testing.assert_allclose(loaded.joints[:, :22], seq.joints[:, :22], atol=1e-5)
    assert loaded.missing_joints == ("nose",)


def test_smpl_npy_and_errors(tmp_path: Path, library):
    good = tmp_path / "joints.npy"
    np.save(good, library[0].joints[:, :22])
    assert len(load_sequence(good)) == len(library[0])
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, joints=np.zeros((5, 17, 3)))
    with pytest.raises(PoseFormatError, match=r"wrong.npz.*joints.*J in \(22, 24, 52, 55\)"):
        load_smpl_joints(wrong)
    params = tmp_path / "amass_params.npz"
    np.savez(params, poses=np.zeros((5, 156)), trans=np.zeros((5, 3)))
    with pytest.raises(PoseFormatError, match="SMPL body model"):
        load_smpl_joints(params)
    cm = tmp_path / "cm.npz"
    np.savez(cm, joints=library[0].joints[:, :22] * 100)
    with pytest.raises(PoseFormatError, match="metres"):
        load_smpl_joints(cm)


# ------------------------------------------------------------------ COCO
def _coco_doc(kps: list[list[float]]) -> dict:
    return {
        "images": [{"id": i, "file_name": f"img{i}.jpg"} for i in range(len(kps))],
        "annotations": [{"id": i, "image_id": i, "keypoints": k} for i, k in enumerate(kps)],
    }


def test_coco_keypoints_become_a_flagged_2d_sequence(tmp_path: Path, library):
    pose = library[0].joints[0]
    kp = _coco17_from(pose[None])[0]
    flat = []
    for x, y, _ in kp * 200 + np.array([300, 0, 0]):
        flat += [float(x), float(500 - y), 2.0]
    flat[3 * COCO17.index("left_ankle") + 2] = 0  # one invisible keypoint
    path = tmp_path / "people.json"
    path.write_text(json.dumps(_coco_doc([flat, flat])))
    seq = load_coco_keypoints(path)
    assert seq.is_2d and len(seq) == 2 and np.all(seq.joints[..., 2] == 0)
    assert seq.confidence is not None and seq.confidence[0, joint_index("left_ankle")] == 0
    torso = np.linalg.norm(seq.joints[0, joint_index("neck")] - seq.joints[0, joint_index("pelvis")])
    assert abs(torso - 0.5) < 1e-3
    # the person's left stays on the left: left shoulder at larger x than right, as in 3D
    assert seq.joints[0, joint_index("left_shoulder"), 0] > seq.joints[0, joint_index("right_shoulder"), 0]
    assert seq.meta["frames"] == ["img0.jpg", "img1.jpg"]


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"annotations": [{"keypoints": [1, 2, 3]}]}, r"annotations\[0\].keypoints.*51 numbers"),
        ({"images": []}, "annotations"),
        ({"annotations": [{"keypoints": [0] * 51}]}, "at least one person"),
    ],
)
def test_coco_malformed(tmp_path: Path, doc, match):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(PoseFormatError, match=match):
        load_coco_keypoints(path)


# ------------------------------------------------------------------ BVH
MIXAMO_BVH = """HIERARCHY
ROOT mixamorig:Hips
{
  OFFSET 0 95 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT mixamorig:Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT mixamorig:Spine1 { OFFSET 0 12 0 CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT mixamorig:Spine2 { OFFSET 0 12 0 CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT mixamorig:Neck { OFFSET 0 18 0 CHANNELS 3 Zrotation Xrotation Yrotation
          JOINT mixamorig:Head { OFFSET 0 10 0 CHANNELS 3 Zrotation Xrotation Yrotation
            End Site { OFFSET 0 18 0 } } }
        JOINT mixamorig:LeftShoulder { OFFSET 5 15 0 CHANNELS 3 Zrotation Xrotation Yrotation
          JOINT mixamorig:LeftArm { OFFSET 12 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
            JOINT mixamorig:LeftForeArm { OFFSET 28 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
              JOINT mixamorig:LeftHand { OFFSET 25 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
                End Site { OFFSET 8 0 0 } } } } }
        JOINT mixamorig:RightShoulder { OFFSET -5 15 0 CHANNELS 3 Zrotation Xrotation Yrotation
          JOINT mixamorig:RightArm { OFFSET -12 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
            JOINT mixamorig:RightForeArm { OFFSET -28 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
              JOINT mixamorig:RightHand { OFFSET -25 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
                End Site { OFFSET -8 0 0 } } } } } } }
  }
  JOINT mixamorig:LeftUpLeg { OFFSET 9 -5 0 CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT mixamorig:LeftLeg { OFFSET 0 -42 0 CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT mixamorig:LeftFoot { OFFSET 0 -42 0 CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT mixamorig:LeftToeBase { OFFSET 0 -5 14 CHANNELS 3 Zrotation Xrotation Yrotation
          End Site { OFFSET 0 0 5 } } } } }
  JOINT mixamorig:RightUpLeg { OFFSET -9 -5 0 CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT mixamorig:RightLeg { OFFSET 0 -42 0 CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT mixamorig:RightFoot { OFFSET 0 -42 0 CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT mixamorig:RightToeBase { OFFSET 0 -5 14 CHANNELS 3 Zrotation Xrotation Yrotation
          End Site { OFFSET 0 0 5 } } } } }
}
MOTION
Frames: {frames}
Frame Time: 0.0333333
{rows}
"""
N_CHANNELS = 6 + 3 * 21


def _bvh_text(rows: list[list[float]], frames: int | None = None) -> str:
    body = "\n".join(" ".join(f"{v:g}" for v in r) for r in rows)
    return MIXAMO_BVH.replace("{frames}", str(len(rows) if frames is None else frames)).replace("{rows}", body)


def _zero_row() -> list[float]:
    return [0.0, 95.0, 0.0] + [0.0] * (N_CHANNELS - 3)


def test_bvh_rest_pose_forward_kinematics_and_mapping(tmp_path: Path):
    path = tmp_path / "rig.bvh"
    arm_down = _zero_row()
    # LeftArm is joint 7 in file order (Hips, Spine, Spine1, Spine2, Neck, Head, LeftShoulder, LeftArm):
    # channels start at 6 + 3 * 6; Zrotation -90 turns the arm from +x to pointing down.
    arm_down[6 + 3 * 6] = -90.0
    path.write_text(_bvh_text([_zero_row(), arm_down]))
    seq = load_bvh(path)
    assert seq.meta["mapping"] == "mixamo" and seq.meta["unit"] == "cm" and abs(seq.fps - 30) < 0.01
    j = seq.joints
    np.testing.assert_allclose(j[0, joint_index("left_elbow")] - j[0, joint_index("left_shoulder")], [0.28, 0, 0], atol=1e-5)
    np.testing.assert_allclose(j[1, joint_index("left_elbow")] - j[1, joint_index("left_shoulder")], [0, -0.28, 0], atol=1e-5)
    np.testing.assert_allclose(j[0, joint_index("pelvis")], [0, 0.95, 0], atol=1e-5)
    assert seq.joint_mask[joint_index("left_foot")] and not seq.joint_mask[joint_index("nose")]


def test_bvh_channel_order_is_respected(tmp_path: Path):
    clip_path = tmp_path / "order.bvh"
    row = _zero_row()
    row[3:6] = [90.0, 90.0, 0.0]  # Hips: Zrotation 90 then Xrotation 90 (Z·X, not X·Z)
    clip_path.write_text(_bvh_text([row]))
    world = forward_kinematics(parse_bvh(clip_path))
    spine = world[0, 1] - world[0, 0]  # offset (0, 10, 0) rotated by Rz(90)·Rx(90)
    np.testing.assert_allclose(spine, [0, 0, 10], atol=1e-6)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda t: t.replace("Frames: 3", "Frames: 5"), "5 frame lines"),
        (lambda t: t[: t.index("MOTION")], "MOTION"),
        (lambda t: t.rsplit("\n", 2)[0] + "\n1 2 3\n", r"values per frame|numbers per frame"),
        (lambda t: t.replace("OFFSET 0 10 0", "OFFSET 0 ten 0", 1), "Spine.OFFSET"),
        (lambda t: t.replace("Zrotation Xrotation Yrotation", "Zrotation Xrotation Wrotation", 1), "CHANNELS"),
        (lambda t: t.replace("mixamorig:LeftForeArm", "mixamorig:Tentacle"), "joint names"),
        (lambda t: t.replace("95 0 0 0", "95 0 nan 0", 1), "NaN/inf"),
    ],
)
def test_bvh_malformed_files_raise_clear_errors(tmp_path: Path, mutate, match):
    path = tmp_path / "broken.bvh"
    path.write_text(mutate(_bvh_text([_zero_row()] * 3)))
    with pytest.raises(PoseFormatError, match=match) as info:
        load_bvh(path)
    assert "broken.bvh" in str(info.value)


def test_bvh_custom_mapping_with_unknown_names_is_rejected(tmp_path: Path):
    path = tmp_path / "rig.bvh"
    path.write_text(_bvh_text([_zero_row()]))
    with pytest.raises(PoseFormatError, match="unknown joint names Nope"):
        load_bvh(path, mapping={"Nope": "pelvis"})
    with pytest.raises(PoseFormatError, match="canonical joint names"):
        load_bvh(path, mapping={"mixamorig:Hips": "tail"})


def test_load_sequence_dispatch_errors(tmp_path: Path):
    with pytest.raises(PoseFormatError, match="no such file"):
        load_sequence(tmp_path / "missing.bvh")
    odd = tmp_path / "pose.xyz"
    odd.write_text("")
    with pytest.raises(PoseFormatError, match="extension"):
        load_sequence(odd)
