"""Stance / weight / placement phrases of real answers and FIXMYPOSE, and the FIXMYPOSE dev /
held-out split (the side check itself: ``test_sides.py``)."""

from __future__ import annotations

import json

import pytest

from autocompose.describe.mllm.parse import is_hold, says_orientation, statement_movements, text_movements
from autocompose.describe.mllm.quality import FIXMYPOSE_HALVES, fixmypose_coverage, fixmypose_half

# part line -> {(part, action, direction)}: every phrase maps to a measured movement
STANCE_LINES = [
    ("whole_body", "Narrow the stance slightly", {("left_leg", "step", "in"), ("right_leg", "step", "in")}),
    ("whole_body", "Widen your stance", {("left_leg", "step", "out"), ("right_leg", "step", "out")}),
    ("whole_body", "Stand with the feet closer together", {("left_leg", "step", "in"), ("right_leg", "step", "in")}),
    ("left_leg", "Widen the stance with this foot", {("left_leg", "step", "out")}),
    ("whole_body", "Shift your weight onto the left leg", {("whole_body", "move", "left")}),
    (
        "right_leg",
        "Plant the right foot and take your weight on it",
        {("right_leg", "put_down", None), ("whole_body", "move", "right")},
    ),
    ("whole_body", "Balance on the right leg", {("left_leg", "lift", None), ("whole_body", "move", "right")}),
    ("whole_body", "Stand evenly on both feet", {("left_leg", "put_down", None), ("right_leg", "put_down", None)}),
    ("left_leg", "Let the left leg trail behind you", {("left_leg", "step", "back")}),
    ("whole_body", "Stay low in a crouch", {("whole_body", "lower", None)}),
    ("whole_body", "Stand slightly taller", {("whole_body", "raise", None)}),
    ("whole_body", "Hunch forward slightly", {("torso", "lean", "forward")}),
    ("left_arm", "Open the left arm out to the side", {("left_arm", "raise", None)}),
    ("right_arm", "Bring the right hand to the hip", {("right_arm", "bend", None)}),
    ("left_arm", "Touch the left hand to your forehead", {("left_arm", "raise", None)}),
    ("left_arm", "Let the left hand drift slightly outward", {("left_arm", "move", "out")}),
    ("left_arm", "Extend the left arm straight out to the side", {("left_arm", "raise", None), ("left_arm", "straighten", None)}),
    ("right_arm", "Lower the right arm from the raised diagonal down to your side", {("right_arm", "lower", None)}),
    ("right_arm", "Lower the right arm to hang by the side with a slight bend", {("right_arm", "lower", None)}),
    ("left_leg", "Lower the raised left leg to the floor", {("left_leg", "put_down", None)}),
    ("left_leg", "Draw the left foot in under the body", {("left_leg", "step", "in")}),
    ("left_leg", "Reduce the bend in the left knee", {("left_leg", "straighten", None)}),
    ("left_arm", "Lower the left hand, keeping the elbow bent", {("left_arm", "lower", None)}),
    (
        "whole_body",
        "Switch the standing leg from right to left",
        {("right_leg", "lift", None), ("left_leg", "put_down", None), ("whole_body", "move", "left")},
    ),
    ("right_leg", "Bring the right foot in under the hip", {("right_leg", "step", "in")}),
]

# FIXMYPOSE-style clauses -> {(part, action, direction)}
STANCE_TEXT = [
    ("right foot to the right", {("right_leg", "step", "out")}),
    ("touch your left knee to your right knee", {("left_leg", "step", "in")}),
    ("balance your entire weight on your right leg", {("left_leg", "lift", None), ("whole_body", "move", "right")}),
    ("place your left foot on your right knee", {("left_leg", "lift", None)}),
    ("put your right hand on your right knee", {("right_arm", "lower", None)}),
    ("have your back to the window", {("whole_body", "turn", None)}),
    ("move your head down very slightly", {("head", "look", "down")}),
    ("you need to elevate your legs", {("left_leg", "lift", None), ("right_leg", "lift", None)}),
    ("have your hands on your side", {("left_arm", "lower", None), ("right_arm", "lower", None)}),
    ("right arm level with your shoulder", {("right_arm", "raise", None)}),
    ("turn your head to face the lamp", {("head", "turn", None)}),
    ("move your right arm next to your body", {("right_arm", "move", "in")}),
    ("slide your right foot away from your left foot", {("right_leg", "step", "out")}),
    ("raise your upper body up", {("torso", "lean", "back")}),
    ("bring your right elbow upwards a couple of inches", {("right_arm", "raise", None)}),
    ("bring your left hand beside your thigh", {("left_arm", "lower", None)}),
    ("raising your right hand", {("right_arm", "raise", None)}),
    ("move your left foot in about an inch", {("left_leg", "step", "in")}),
    ("your gaze should be straight ahead", {("head", "look", "up")}),
    ("touch your left fingertips to your hips", {("left_arm", "bend", None)}),
    ("bring the left leg up so your foot is touching your right knee", {("left_leg", "lift", None)}),
    ("your left foot should be touching the floor", {("left_leg", "put_down", None)}),
    (
        "shift from balancing on the right leg to standing on both feet",
        {("left_leg", "put_down", None), ("right_leg", "put_down", None)},
    ),
]


@pytest.mark.parametrize(("part", "line", "expected"), STANCE_LINES)
def test_stance_weight_and_placement_lines(part, line, expected):
    assert {(m.part, m.action, m.direction) for m in statement_movements(part, line)} == expected


@pytest.mark.parametrize(("text", "expected"), STANCE_TEXT)
def test_stance_weight_and_placement_clauses(text, expected):
    assert {(m.part, m.action, m.direction) for _, ms in text_movements(text) for m in ms} == expected


# a limb pointed, reached or swung somewhere, and the head / body pointed: clause -> {(part, action, direction)}
POINTING_TEXT = [
    ("point your left arm toward the window", {("left_arm", "raise", None)}),
    ("your right elbow should be pointing at the bookshelf", {("right_arm", "raise", None)}),
    ("your left hand should be reaching towards the door", {("left_arm", "raise", None)}),
    ("swing your right arm in the direction of the sofa", {("right_arm", "raise", None)}),
    ("move your left hand towards the mirror", {("left_arm", "raise", None)}),
    ("with your elbows pointing behind you", {("left_arm", "move", "back"), ("right_arm", "move", "back")}),
    ("your right elbow should point downward", {("right_arm", "lower", None)}),
    ("with your left elbow pointing at the floor lamp", {("left_arm", "raise", None)}),
    ("your hands should point to the ceiling", {("left_arm", "raise", None), ("right_arm", "raise", None)}),
    ("bring your right hand towards your mouth", {("right_arm", "raise", None)}),
    ("bring your elbows in towards yourself", {("left_arm", "move", "in"), ("right_arm", "move", "in")}),
    ("your head should be pointing toward the door", {("head", "turn", None)}),
    ("your hips should point away from the desk", {("whole_body", "turn", None)}),
    ("bring your head upright", {("head", "look", "up")}),
    ("swing your hips to the right", {("whole_body", "move", "right")}),
    ("swing your upper body to the left", {("torso", "twist", "left")}),
    # a bare 'with your … foot' names the limb of a clause that named none
    ("take a step back with your left foot", {("left_leg", "step", "back")}),
    ("step out to the side, with the right leg", {("right_leg", "step", "out")}),
    # a leg off the floor or up, legs joined or apart
    ("pick your right leg off of the ground", {("right_leg", "lift", None)}),
    ("bring your left leg upwards", {("left_leg", "lift", None)}),
    ("your right heel should come up from the floor", set()),
    ("separate your feet", {("left_leg", "step", "out"), ("right_leg", "step", "out")}),
    ("join your legs", {("left_leg", "step", "in"), ("right_leg", "step", "in")}),
    # a decimal point ends no clause, and a length in feet is no foot
    ("move your right hand 1.5 feet to the right", {("right_arm", "move", "out")}),
    ("push your whole body up by 1.5 feet", {("whole_body", "raise", None)}),
    # the hand's own orientation is cut off; what the clause says of the arm still counts
    ("hold your left hand up with the palm facing the door", {("left_arm", "raise", None)}),
    ("put your right hand by your chest with the palm facing down", {("right_arm", "bend", None)}),
    ("move your left palm towards the cupboard", {("left_arm", "raise", None)}),
]

# the hand's orientation only: not an arm movement the skeleton measures, so not read
HAND_ORIENTATION_TEXT = [
    "your right palm should be facing the cupboard",
    "with your left palm facing down",
    "turn your right hand to face the door",
    "the fingers of your left hand pointing at the ceiling",
    "your hands should be facing each other",
]


@pytest.mark.parametrize(("text", "expected"), POINTING_TEXT)
def test_pointing_and_reaching_clauses(text, expected):
    assert {(m.part, m.action, m.direction) for _, ms in text_movements(text) for m in ms} == expected


@pytest.mark.parametrize("text", HAND_ORIENTATION_TEXT)
def test_hand_orientation_is_not_read_as_an_arm_movement(text):
    assert [ms for _, ms in text_movements(text)] == [[]]
    assert says_orientation(text)


@pytest.mark.parametrize(
    ("part", "line", "expected"),
    [
        ("left_arm", "Angle the left forearm slightly inward toward the head", {("left_arm", "move", "in")}),
        ("right_arm", "Raise the right arm with the palm facing forward", {("right_arm", "raise", None)}),
        ("right_arm", "Bring the right hand toward the hip", {("right_arm", "bend", None)}),
        ("left_arm", "Point the left elbow outward", {("left_arm", "raise", None)}),
    ],
)
def test_pointing_part_lines(part, line, expected):
    assert {(m.part, m.action, m.direction) for m in statement_movements(part, line)} == expected


@pytest.mark.parametrize("line", ["Keep the wide stance", "keeping the elbow bent with the hand at chest level"])
def test_state_statements_are_holds(line):
    assert is_hold(line.lower())
    assert statement_movements("whole_body", line) == [] and statement_movements("left_arm", line) == []


def test_fixmypose_split_is_stable_and_complete(tmp_path):
    items = [{"uid": f"{i}_1_2_3_4", "sents": [f"raise your left arm {i}", f"bend your right knee {i}"]} for i in range(40)]
    (tmp_path / "valid_NC.json").write_text(json.dumps(items))
    report = fixmypose_coverage(tmp_path)
    halves = report["halves"]
    assert set(halves) == set(FIXMYPOSE_HALVES)
    expected = {h: 2 * sum(fixmypose_half(it["uid"]) == h for it in items) for h in FIXMYPOSE_HALVES}
    assert {h: halves[h]["sentences"] for h in halves} == expected and all(n > 0 for n in expected.values())
    assert halves["dev"]["clauses"] + halves["heldout"]["clauses"] == report["clauses"] == 80
    assert all(0 <= h.get("unread_orientation", 0) <= h["clauses"] - h["covered"] for h in halves.values())
    # fixed by SHA-1 of the uid, not by Python's per-process salted hash: these never change
    assert [fixmypose_half(u) for u in ("7_20_1_12_1", "6_9_5_16_2", "10_7_3_1_0")] == ["heldout", "dev", "heldout"]
