"""Hand-built pairs with known movements, mirror/reverse properties, phrasing, schema, resume."""

import json

import numpy as np
import pytest

from autocompose.describe import KinematicDescriber, RuleBasedDescriber, TransitionDescription, cycle_check, describe_variants
from autocompose.describe.run import annotate_pairs, keep_consistent, load_annotations
from autocompose.pairs import MiningConfig, mine_pairs
from autocompose.poses.builtin.body import BodyShape, forward_kinematics
from autocompose.poses.builtin.motions import STAND

KIN = KinematicDescriber()


def pose(**dofs: float) -> np.ndarray:
    values = {**STAND, **dofs}
    return forward_kinematics({k: np.array([v]) for k, v in values.items()}, BodyShape())[0]


def keys(a: np.ndarray, b: np.ndarray) -> set[tuple]:
    return {m.key() for m in KIN.describe(a, b, 1)[0].movements}


@pytest.mark.parametrize(
    ("change", "expected", "text_bits"),
    [
        ({"l_sh_elev": 175, "l_sh_azim": 20, "l_elbow": 5}, ("left_arm", "raise", None), ("left arm",)),
        ({"r_elbow": 110}, ("right_arm", "bend", None), ("right elbow",)),
        ({"r_knee": 70, "r_hip_elev": 10}, ("right_leg", "bend", None), ("right knee",)),
        (
            {"l_hip_elev": 100, "r_hip_elev": 100, "l_knee": 120, "r_knee": 120, "l_hip_azim": 10, "r_hip_azim": 10},
            ("whole_body", "lower", None),
            (),
        ),
        ({"spine_flex": 45}, ("torso", "lean", "forward"), ("forward",)),
        ({"neck_rot": -60}, ("head", "turn", "right"), ("right",)),
        ({"yaw": -90}, ("whole_body", "turn", "right"), ("right",)),
        ({"spine_lat": 30}, ("torso", "lean", "left"), ("left",)),
    ],
)
def test_known_movements_are_described_for_the_right_part_and_side(change, expected, text_bits):
    descs = KIN.describe(pose(), pose(**change), 3)
    assert expected in {m.key() for m in descs[0].movements}
    part = expected[0]
    assert descs[0].parts[part] != "no change"
    for bit in text_bits:
        assert bit in descs[0].parts[part] or bit in descs[0].text.lower()
    opposite = "right" if "left" in part else "left"
    assert not any(m.part == f"{opposite}_{part.split('_')[1]}" for m in descs[0].movements if part.endswith(("_arm", "_leg")))


def test_no_change_pairs_say_no_change():
    descs = KIN.describe(pose(), pose(l_elbow=STAND["l_elbow"] + 5), 3)
    assert all(d.movements == [] and set(d.parts.values()) == {"no change"} for d in descs)
    assert len({d.text for d in descs}) == 3


def test_phrasings_differ_and_are_deterministic():
    a, b = pose(), pose(l_sh_elev=170, r_knee=60, spine_flex=30)
    first, again = KIN.describe(a, b, 3, seed=4), KIN.describe(a, b, 3, seed=4)
    assert [d.text for d in first] == [d.text for d in again]
    assert len({d.text for d in first}) == 3
    assert KIN.describe(a, b, 3, seed=5)[0].text != first[0].text or KIN.describe(a, b, 3, seed=5)[1].text != first[1].text


def test_mirror_and_reverse_properties_on_library_pairs(library):
    pairs = mine_pairs(library[::4], MiningConfig(seed=3))
    assert len(pairs) > 100
    for i, (p, a, b, m) in enumerate(pairs):
        v = describe_variants(KIN, a, b, 3, m, seed=i)
        for original, mirrored in zip(v["original"], v["mirrored"], strict=True):
            swapped = original.side_swapped("mirrored")
            assert swapped.text == mirrored.text and swapped.parts == mirrored.parts
            assert sorted(map(str, swapped.movements)) == sorted(map(str, mirrored.movements))
        forward = {x.opposite_key() for x in v["original"][0].movements if x.part != "whole_body" or x.action != "move"}
        backward = {x.key() for x in v["reversed"][0].movements if x.part != "whole_body" or x.action != "move"}
        assert forward == backward, p.id


def test_cycle_check_fails_inconsistent_answers():
    a, b = pose(), pose(l_sh_elev=170)
    v = describe_variants(KIN, a, b, 1)
    assert cycle_check(v) == (1.0, True)
    v["reversed"] = KIN.describe(a, b, 1, variant="reversed")  # forward text again: not the opposite
    assert cycle_check(v) == (0.5, True)  # one of the two variant pairs is still consistent
    v["mirrored_reversed"] = v["mirrored"]
    score, passed = cycle_check(v)
    assert score == 0.0 and not passed


def test_schema_validates_and_rejects_bad_parts():
    d = KIN.describe(pose(), pose(r_elbow=100), 1)[0]
    back = TransitionDescription.model_validate_json(d.model_dump_json())
    assert back == d
    with pytest.raises(ValueError, match="unknown body parts"):
        TransitionDescription(parts={"tail": "wag"}, text="x", annotator="a", annotator_version="1")


def test_rules_baseline_is_a_working_annotator():
    descs = RuleBasedDescriber().describe(pose(), pose(l_sh_elev=170, r_knee=80), 3, seed=1)
    assert len(descs) == 3 and all(d.text for d in descs)
    assert any("left hand" in d.text and "higher" in d.text for d in descs)
    assert any("right knee" in d.text for d in descs)


def test_annotate_resumes_after_interruption(library, tmp_path):
    pairs = mine_pairs(library[:12], MiningConfig(seed=1))
    out = tmp_path / "ann.jsonl"
    full = annotate_pairs(pairs, KIN, tmp_path / "full.jsonl", k=2)
    stop_after = 7
    calls = {"n": 0}

    def crash(_: int) -> None:
        calls["n"] += 1
        if calls["n"] == stop_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        annotate_pairs(pairs, KIN, out, k=2, progress=crash)
    with out.open("a") as fh:
        fh.write('{"pair_id": "torn')  # a crash mid-write leaves a torn line
    assert len(load_annotations(tmp_path / "full.jsonl")) == len(pairs)
    resumed = annotate_pairs(pairs, KIN, out, k=2)
    assert resumed == full
    assert out.read_text() == (tmp_path / "full.jsonl").read_text()
    with pytest.raises(ValueError, match="would mix"):
        annotate_pairs(pairs, RuleBasedDescriber(), out, k=2)
    records = [json.loads(x) for x in out.read_text().splitlines()]
    kept, dropped = keep_consistent(records)
    assert len(kept) + dropped == len(records) and set(records[0]["variants"]) == {
        "original",
        "mirrored",
        "reversed",
        "mirrored_reversed",
    }
