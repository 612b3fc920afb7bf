"""Checks over the whole shared copy of the real collections (``<repo>/../shared/mocap``)."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from autocompose.poses.mocap import load_collection
from autocompose.poses.skeleton import BONES, joint_index
from autocompose.poses.transforms import facing_angle

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "mocap"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared/mocap beside the repository")

J = joint_index
LOCOMOTION = {"walk", "run", "dash", "walking", "running", "jog"}


@pytest.fixture(scope="module")
def seqs():
    return load_collection(SHARED, progress=False)


def test_every_file_loads_once_with_unique_ids(seqs):
    counts = Counter(s.meta["collection"] for s in seqs)
    files = {
        "bandai-namco": len(list((SHARED / "bandai-namco").glob("dataset-*/data/*.bvh"))),
        "cmu-expmap": len(list((SHARED / "cmu-expmap").glob("*/*/*.txt"))),
        "deepmimic": len(list((SHARED / "deepmimic" / "motions").glob("humanoid3d_*.txt"))),
    }
    assert counts == files and files["bandai-namco"] >= 300
    assert len({s.id for s in seqs}) == len(seqs)
    assert all(s.fps == 30 and len(s) > 0 and s.meta["licence"] and s.meta["content"] for s in seqs)


def test_bone_lengths_are_sane_and_rigid(seqs):
    for s in seqs:
        bones = [(p, c) for p, c in BONES if s.joint_mask[p] and s.joint_mask[c]]
        lengths = np.stack([np.linalg.norm(s.joints[:, c] - s.joints[:, p], axis=-1) for p, c in bones], 1)
        assert lengths.max() < 0.6, s.id
        # Bones of a rigid skeleton keep their length (resampling blends positions: allow 1 cm);
        # joints derived by interpolation (e.g. spine2 between pelvis and neck) need not.
        derived = {J(n) for n in s.meta.get("derived", []) if n not in ("head", "left_foot", "right_foot")}
        rigid = [i for i, (p, c) in enumerate(bones) if p not in derived and c not in derived]
        assert (lengths[:, rigid].max(0) - lengths[:, rigid].min(0)).max() < 0.01, s.id
        leg = np.median(
            lengths[:, bones.index((J("left_hip"), J("left_knee")))] + lengths[:, bones.index((J("left_knee"), J("left_ankle")))]
        )
        assert 0.7 < leg < 0.95, (s.id, leg)


def test_feet_near_the_floor_and_upright(seqs):
    feet = [J("left_ankle"), J("right_ankle"), J("left_foot"), J("right_foot")]
    for s in seqs:
        low = s.joints[:, feet, 1].min(1)
        assert -0.1 < np.percentile(low, 10) < 0.15, (s.id, np.percentile(low, 10))
        assert s.joints[:, :, 1].min() > -0.15, s.id
        if s.meta["collection"] != "deepmimic":  # DeepMimic has flips, rolls and crawls
            assert np.median(s.joints[:, J("head"), 1] - s.joints[:, J("pelvis"), 1]) > 0.25, s.id  # upright (sad styles stoop)


def test_locomotion_travels_the_way_the_person_faces(seqs):
    """Left/right and facing together: a swapped side would make walkers move backwards."""
    checked = 0
    for s in seqs:
        if s.meta["content"] not in LOCOMOTION or len(s) < 20:
            continue
        pelvis = s.joints[:, J("pelvis")]
        step = pelvis[10:] - pelvis[:-10]
        yaw = facing_angle(s.joints[:-10])
        facing = np.stack([np.sin(yaw), np.cos(yaw)], -1)
        speed = np.linalg.norm(step[:, [0, 2]], axis=-1)
        moving = speed > 0.1  # > 0.3 m/s
        along = (step[:, [0, 2]] * facing).sum(-1)[moving] / speed[moving]
        assert moving.sum() > 5 and np.median(along) > 0.8, (s.id, np.median(along))
        assert abs(np.degrees(yaw[0])) < 1.0, s.id  # turned to face +z at the start
        checked += 1
    assert checked >= 40


@pytest.mark.parametrize("side", ["left", "right"])
def test_bandai_raise_up_hand_raises_that_hand(seqs, side):
    other = "right" if side == "left" else "left"
    clips = [s for s in seqs if s.meta["content"] == f"raise-up-{side}-hand"]
    assert len(clips) >= 10
    above_head = 0
    for s in clips:
        raised = s.joints[:, J(f"{side}_wrist"), 1]
        lowered = s.joints[:, J(f"{other}_wrist"), 1]
        peak = int(np.argmax(raised - lowered))
        assert raised[peak] - lowered[peak] > 0.4, (s.id, raised[peak] - lowered[peak])
        above_head += raised[peak] > s.joints[peak, J("head"), 1]
    assert above_head >= 0.7 * len(clips), f"{above_head}/{len(clips)} above the head"
