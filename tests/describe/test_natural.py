"""The natural describer: named whole-body poses, salience, coarse turns, mirror and cycle consistency."""

import numpy as np
import pytest

from autocompose.describe import NaturalDescriber, cycle_check, describe_variants, get_annotator
from autocompose.describe.natural import statements
from autocompose.pairs import MiningConfig, mine_pairs
from autocompose.poses.skeleton import swap_side_words

NAT = NaturalDescriber()


def _seq(library, name: str):
    return next(s for s in library if s.id.endswith(f"/{name}"))


def _turned(pose: np.ndarray, degrees: float) -> np.ndarray:
    t = np.radians(degrees)  # about y, turning the person to their left (+z toward +x)
    rot = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]], np.float32)
    return pose @ rot.T


def test_squat_is_named_and_small_changes_are_dropped(library):
    seq = _seq(library, "squat")
    low = int(np.argmin(seq.joints[:, 0, 1]))
    a, b = seq.joints[0], seq.joints[low]
    texts = [d.text.lower() for d in NAT.describe(a, b, 3, seed=4)]
    assert all("squat" in t for t in texts), texts
    assert not any(w in t for t in texts for w in ("head", "degrees", "elbow"))
    back = [d.text.lower() for d in NAT.describe(b, a, 3, seed=4)]
    assert all(any(w in t for w in ("stand", "rise", "come up", "push up")) for t in back), back
    assert statements(a, b)[0].key == "gesture/squat/enter"


@pytest.mark.parametrize(("degrees", "words"), [(90, "turn"), (-90, "turn"), (180, "around")])
def test_whole_body_turns_in_coarse_words(library, degrees, words):
    a = _seq(library, "lateral_raise").joints[0]
    texts = [d.text.lower() for d in NAT.describe(a, _turned(a, degrees), 3)]
    assert all(words in t and "degree" not in t for t in texts), texts
    if abs(degrees) == 90:
        side = "left" if degrees > 0 else "right"
        assert any(side in t for t in texts), texts
    assert NAT.describe(a, _turned(a, 20), 1)[0].text.lower().startswith(("stay", "hold", "keep", "no change"))


def test_named_poses_of_the_library(library):
    said = {}
    for name in ("lunge", "front_kick", "stretch_overhead", "arm_wave", "toe_touch"):
        seq = _seq(library, name)
        texts = " ".join(
            d.text.lower() for i in range(0, len(seq.joints), 10) for d in NAT.describe(seq.joints[0], seq.joints[i], 1)
        )
        said[name] = texts
    assert "lunge" in said["lunge"]
    assert "kick" in said["front_kick"] or "knee" in said["front_kick"]
    assert any(w in said["stretch_overhead"] for w in ("overhead", "over your head", "straight up"))
    assert "wave" in said["arm_wave"] or "waving" in said["arm_wave"]
    assert any(w in said["toe_touch"] for w in ("bow", "fold forward", "bend forward", "crouch"))


def test_mirror_exact_cycle_consistent_deterministic_and_granular(library):
    pairs = mine_pairs(library[::4], MiningConfig(seed=1, max_per_sequence=3))
    assert get_annotator("natural").name == "natural"
    passed, n = 0, min(len(pairs), 60)
    for i in range(n):
        d = describe_variants(NAT, pairs.ref[i], pairs.tgt[i], 3, seed=i)
        for orig, mirrored in zip(d["original"], d["mirrored"], strict=True):
            assert mirrored.text == swap_side_words(orig.text)
            assert {m.key() for m in mirrored.movements} == {m.mirrored().key() for m in orig.movements}
        passed += cycle_check(d)[1]
        again = NAT.describe(pairs.ref[i], pairs.tgt[i], 3, seed=i)
        assert [x.text for x in again] == [x.text for x in d["original"]]
        normal, cue, detailed = (len(x.movements) for x in d["original"])  # phrasings 0, 1, 2
        assert cue <= normal <= detailed
    assert passed / n >= 0.9
