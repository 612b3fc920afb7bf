"""Answer parsing: lenient reading, strict validation, movements from part statements, side check."""

from __future__ import annotations

import json

import pytest

from autocompose.describe import KinematicDescriber
from autocompose.describe.mllm.parse import AnswerError, extract_json, parse_answer, statement_movements
from autocompose.describe.mllm.prompt import answer_schema, load_prompt

GOOD = {
    "parts": {"left arm": "Raise the left arm overhead", "right_leg": "Bend the right knee slightly"},
    "instructions": ["a", "b"],
}


def test_lenient_json_extraction():
    assert extract_json("Sure!\n```json\n" + json.dumps(GOOD) + "\n```\nanything") == GOOD
    assert extract_json("prefix " + json.dumps(GOOD) + " suffix") == GOOD
    with pytest.raises(AnswerError, match="malformed JSON"):
        extract_json(json.dumps(GOOD)[:40])
    with pytest.raises(AnswerError, match="no JSON object"):
        extract_json("I cannot help with that")


def test_strict_validation_and_movements():
    ds = parse_answer(json.dumps(GOOD), 2, "mllm:x", "prompt-v1", "original")
    assert [d.text for d in ds] == ["a", "b"] and ds[0].parts["left_arm"] == "Raise the left arm overhead"
    assert ds[0].parts["head"] == "no change"
    assert {(m.part, m.action) for m in ds[0].movements} == {("left_arm", "raise"), ("right_leg", "bend")}
    with pytest.raises(AnswerError, match="2 instructions, 3 asked"):
        parse_answer(json.dumps(GOOD), 3, "m", "v", "original")
    with pytest.raises(AnswerError, match="unknown body part 'tail'"):
        parse_answer(json.dumps({**GOOD, "parts": {"tail": "wag"}}), 2, "m", "v", "original")
    with pytest.raises(AnswerError, match="instructions"):
        parse_answer(json.dumps({"parts": {}, "instructions": ["", "x"]}), 2, "m", "v", "original")


@pytest.mark.parametrize(
    ("part", "statement", "expected"),
    [
        ("left_arm", "Lower the left arm to the side", [("lower", None)]),
        ("right_arm", "Bend the right elbow and raise the right arm overhead", [("bend", None), ("raise", None)]),
        ("right_leg", "Straighten the right knee", [("straighten", None)]),
        ("left_leg", "Put the left foot down", [("put_down", None)]),
        ("left_leg", "Step the left foot forward", [("step", "forward")]),
        ("torso", "Arch your back", [("lean", "back")]),
        ("torso", "Rotate your upper body to the right", [("twist", "right")]),
        ("head", "Raise your chin", [("look", "up")]),
        ("head", "Tilt your head toward your left shoulder", [("tilt", "left")]),
        ("whole_body", "Turn to the left", [("turn", "left")]),
        ("whole_body", "Squat down", [("lower", None)]),
        ("head", "no change", []),
    ],
)
def test_statement_lexicon(part, statement, expected):
    assert [(m.action, m.direction) for m in statement_movements(part, statement)] == expected


def test_lexicon_reads_the_kinematic_vocabulary(library):
    """Movements read back from the kinematic describer's part statements match its own movements."""
    from autocompose.pairs import MiningConfig, mine_pairs

    pairs = mine_pairs(library[:60], MiningConfig(seed=1))
    found = total = extra = 0
    for i in range(0, len(pairs), 3):
        for d in KinematicDescriber().describe(pairs.ref[i], pairs.tgt[i], 3, pairs.mask[i], seed=i):
            read = {m.key() for p, s in d.parts.items() for m in statement_movements(p, s)}
            truth = {m.key() for m in d.movements}
            found, total, extra = found + len(read & truth), total + len(truth), extra + len(read - truth)
    assert total > 300 and found / total >= 0.95 and extra / total <= 0.05


def test_prompt_states_the_side_convention_and_schema_asks_for_k():
    tpl = load_prompt("v1")
    _, user = tpl.render(3, ("front",))
    assert "PERSON'S OWN left" in user and "exactly 3 strings" in user and "left arm" in user
    assert answer_schema(5)["properties"]["instructions"]["minItems"] == 5
    with pytest.raises(ValueError, match="unknown prompt version"):
        load_prompt("v999")
