"""Lexicon on real-sounding and human clauses (hand-labelled), non-movement text, the side check on
how each side moves, and the answer-quality report / side-eval commands."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from autocompose.cli import app
from autocompose.describe import KinematicDescriber
from autocompose.describe.mllm.parse import statement_movements, text_movements
from autocompose.describe.mllm.quality import load_verdicts, side_swap_eval
from autocompose.describe.variants import selected_variants, variant_poses
from autocompose.errors import AutocomposeError

# part line -> (action, direction) pairs, labelled by hand (phrasings a real model uses)
LABELLED_LINES = [
    ("left_arm", "Open the left arm out to the side", [("raise", None)]),
    (
        "right_arm",
        "Let the right arm hang down by your side",
        [("lower", None), ("straighten", None)],
    ),  # a hanging arm is straight
    ("left_arm", "Reach the left hand toward the ceiling", [("raise", None)]),
    ("right_arm", "Fold the right elbow", [("bend", None)]),
    ("left_arm", "Unbend the left elbow", [("straighten", None)]),
    ("right_arm", "Bring the right hand across toward your chest", [("move", "in")]),
    ("left_leg", "Let the left leg trail behind you", [("step", "back")]),
    ("right_leg", "Stay low with both knees bent", [("bend", None)]),
    ("left_leg", "Pick the left foot up off the floor", [("lift", None)]),
    ("right_leg", "Plant the right foot back on the floor", [("put_down", None)]),
    ("left_leg", "Widen your stance with the left foot", [("step", "out")]),
    ("right_leg", "Lock the right knee", [("straighten", None)]),
    ("torso", "Hinge forward at the hips", [("lean", "forward")]),
    ("torso", "Rotate the chest to the left", [("twist", "left")]),
    ("head", "Look over your right shoulder", [("turn", "right")]),
    ("head", "Drop your gaze to the floor", [("look", "down")]),
    ("whole_body", "Sink down into a squat", [("lower", None)]),
    ("whole_body", "Pivot to face your left", [("turn", "left")]),
    ("whole_body", "Come up to standing", [("raise", None)]),
]

# free-text clauses (FIXMYPOSE style) -> {(part, action, direction)}, labelled by hand
LABELLED_TEXT = [
    ("kick out the left foot", {("left_leg", "lift", None)}),
    ("bring your right arm down", {("right_arm", "lower", None)}),
    ("lean your upper body to the left", {("torso", "lean", "left")}),
    ("slightly bend both of your knees", {("left_leg", "bend", None), ("right_leg", "bend", None)}),
    ("turn your head to the left a little", {("head", "turn", "left")}),
    ("take both of your hands and extend them up", {("left_arm", "raise", None), ("right_arm", "raise", None)}),
    ("step your right foot out", {("right_leg", "step", "out")}),
    ("lift up your head", {("head", "look", "up")}),
    ("turn your body to the right", {("whole_body", "turn", "right")}),
]

NOT_MOVEMENTS = [
    "The picture shows two figures",
    "no change",
    "This is a stick figure of a person",
    "Keep the left arm in the same place",
    "The lighting is nice and the background is grey",
]


@pytest.mark.parametrize(("part", "line", "expected"), LABELLED_LINES)
def test_lexicon_reads_real_sounding_part_lines(part, line, expected):
    assert [(m.action, m.direction) for m in statement_movements(part, line)] == expected


@pytest.mark.parametrize(("text", "expected"), LABELLED_TEXT)
def test_free_text_clauses_are_routed_to_their_parts(text, expected):
    assert {(m.part, m.action, m.direction) for _, ms in text_movements(text) for m in ms} == expected


@pytest.mark.parametrize("text", NOT_MOVEMENTS)
def test_non_movement_text_yields_nothing(text):
    assert all(not ms for _, ms in text_movements(text))
    for part in ("left_arm", "right_leg", "torso", "head", "whole_body"):
        assert statement_movements(part, text) == [] or (part == "whole_body" and "keep" not in text.lower())


def test_side_swap_eval_on_builtin_pairs(pairs):
    answers = {}
    for pair, a, b, m in pairs:
        for v in selected_variants():
            va, vb, vm = variant_poses(a, b, m, v)
            answers[(pair.id, v)] = KinematicDescriber().describe(va, vb, 1, vm)[0]
    result = side_swap_eval(pairs, answers)
    assert result["answers"] == 4 * len(pairs) and result["sides_differ"] > 0
    assert result["caught"] >= 0.9 and result["rejected_correct"] <= 0.05
    assert result["caught"] >= result["presence_check_caught"]
    # a reader's verdicts: the rates over the answers it found correct, and its swaps' rejections
    swapped = {(pairs.pairs[0].id, "original"): "swapped"}
    correct = {(p.id, v): "correct" for p in pairs.pairs[1:] for v in selected_variants()}
    judged = side_swap_eval(pairs, answers, verdicts={**correct, **swapped})["judged"]
    assert judged["correct"]["answers"] + judged["labels"].get("swapped", 0) == judged["judged"] <= len(correct) + 1


def test_verdicts_file(tmp_path):
    path = tmp_path / "v.jsonl"
    lines = [
        '{"pair": "a", "variant": "original", "label": "correct"}',
        "",
        '{"pair_id": "b", "variant": "mirrored", "label": "unclear"}',
    ]
    path.write_text("\n".join(lines) + "\n")
    assert load_verdicts(path) == {("a", "original"): "correct", ("b", "mirrored"): "unclear"}
    path.write_text('{"pair": "a", "label": "correct"}\n')
    with pytest.raises(AutocomposeError, match=r"line 1.*variant"):
        load_verdicts(path)


def test_report_and_side_eval_commands(pairs, tmp_path):
    pairs.save(tmp_path / "pairs")
    runner = CliRunner()
    out = tmp_path / "ann"
    result = runner.invoke(app, ["annotate", str(tmp_path / "pairs"), "-o", str(out), "--k", "1"])
    assert result.exit_code == 0, result.output
    (out / "failures.jsonl").write_text(
        json.dumps({"pair_id": "nope", "variant": "original", "reason": "malformed answer: no JSON object in the answer"}) + "\n"
    )
    result = runner.invoke(app, ["mllm", "report", str(tmp_path / "pairs"), str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["answers_accepted"] == 4 * len(pairs) and report["failures"] == {"malformed": 1}
    assert report["format_success"] == round(1 - 1 / (4 * len(pairs) + 1), 4)
    assert report["lexicon"]["coverage"] >= 0.95 and report["recovery"]["recovery"] >= 0.9
    assert report["cycle"]["pass_rate"] >= 0.9 and report["mirror"]["mean"] >= 0.9
    side = runner.invoke(app, ["mllm", "side-eval", str(tmp_path / "pairs"), str(out / "annotations.jsonl")])
    assert side.exit_code == 0 and json.loads(side.output)["caught"] >= 0.9
    verdicts = tmp_path / "verdicts.jsonl"
    verdicts.write_text(
        "".join(json.dumps({"pair": p.id, "variant": "original", "label": "correct"}) + "\n" for p in pairs.pairs)
    )
    judged = runner.invoke(
        app, ["mllm", "side-eval", str(tmp_path / "pairs"), str(out / "annotations.jsonl"), "--verdicts", str(verdicts)]
    )
    assert judged.exit_code == 0, judged.output
    report = json.loads(judged.output)["judged"]
    assert report["labels"] == {"correct": report["judged"]} and report["correct"]["answers"] == report["judged"] > 0
    verdicts.write_text('{"pair": "x", "variant": "original", "label": "maybe"}\n')
    bad_verdict = runner.invoke(
        app, ["mllm", "side-eval", str(tmp_path / "pairs"), str(out / "annotations.jsonl"), "--verdicts", str(verdicts)]
    )
    assert bad_verdict.exit_code == 2 and "line 1" in bad_verdict.output and "label" in bad_verdict.output
    bad = runner.invoke(app, ["mllm", "report", str(tmp_path / "pairs"), str(tmp_path / "nothing")])
    assert bad.exit_code == 2 and "no such file" in bad.output
