"""Side check and lexicon on real motion (Bandai-Namco BVH in ../shared/mocap): issue 13 items 2-3.

Mines pairs from real clips, describes every pair × variant with the kinematic describer and
with a paraphraser written in a coach's words (stand-ins for correct MLLM answers), swaps the
sides of every answer and reports the side check's caught / wrongly-rejected rates on pairs
whose sides move differently (new check and the former presence-only check), the lexicon
coverage of the paraphrased part lines, movement recovery and FIXMYPOSE clause coverage.

    PYTHONPATH=src python bench/bench_side_check.py [--clips 60] [--pairs 120]
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from pathlib import Path

import numpy as np

from autocompose.describe import KinematicDescriber
from autocompose.describe.base import Movement, TransitionDescription
from autocompose.describe.kinematic import movements
from autocompose.describe.measure import measure
from autocompose.describe.mllm.parse import statement_movements
from autocompose.describe.mllm.quality import fixmypose_coverage, lexicon_coverage, movement_recovery, side_swap_eval
from autocompose.describe.variants import selected_variants, variant_poses
from autocompose.pairs import MiningConfig, mine_pairs
from autocompose.poses.io.bvh import load_bvh

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
#: Bandai-Namco rig → canonical joints (passed explicitly; a proper loader is another change)
BANDAI = {
    "Hips": "pelvis", "Spine": "spine1", "Chest": "spine3", "Neck": "neck", "Head": "head",
    **{f"{b}_{s}": f"{side}_{c}" for s, side in (("L", "left"), ("R", "right")) for b, c in (
        ("Shoulder", "collar"), ("UpperArm", "shoulder"), ("LowerArm", "elbow"), ("Hand", "wrist"),
        ("UpperLeg", "hip"), ("LowerLeg", "knee"), ("Foot", "ankle"), ("Toes", "foot"))},
}  # fmt: skip

# a coach's phrasing, different from the kinematic describer's, per measured movement
_COACH: dict[tuple[str, str, str | None], list[str]] = {
    ("arm", "raise", "side"): ["Open the {s} arm out to the side", "Spread the {s} arm out wide", "Lift the {s} arm sideways"],
    ("arm", "raise", "forward"): [
        "Reach the {s} arm forward",
        "Bring the {s} hand up in front of you",
        "Raise the {s} arm ahead",
    ],
    ("arm", "raise", "overhead"): ["Stretch the {s} arm up above your head", "Reach the {s} hand toward the ceiling"],
    ("arm", "raise", "back"): ["Swing the {s} arm up behind you", "Lift the {s} arm back"],
    ("arm", "lower", None): ["Let the {s} arm hang down by your side", "Drop the {s} hand to your hip", "Relax the {s} arm down"],
    ("arm", "bend", None): ["Fold the {s} elbow", "Bend at the {s} elbow", "Curl the {s} forearm up"],
    ("arm", "straighten", None): ["Let the {s} arm go straight", "Unbend the {s} elbow", "Extend the {s} arm fully"],
    ("leg", "lift", None): ["Pick the {s} foot up off the floor", "Kick the {s} leg up", "Bring the {s} knee up"],
    ("leg", "put_down", None): ["Plant the {s} foot back on the floor", "Set the {s} foot down", "Lower the {s} leg"],
    ("leg", "bend", None): ["Sink into the {s} knee", "Soften the {s} knee", "Stay low with the {s} knee bent"],
    ("leg", "straighten", None): ["Lock the {s} knee", "Straighten through the {s} leg", "Push the {s} knee straight"],
    ("leg", "step", "forward"): ["Take a step forward with the {s} foot", "Step the {s} foot ahead"],
    ("leg", "step", "back"): ["Let the {s} leg trail behind you", "Step the {s} foot back"],
    ("leg", "step", "out"): ["Widen your stance with the {s} foot", "Slide the {s} foot out to the side"],
    ("leg", "step", "in"): ["Bring the {s} foot in closer to the other one", "Draw the {s} foot in"],
    ("torso", "lean", "forward"): ["Hinge forward at the hips", "Tip the chest forward"],
    ("torso", "lean", "back"): ["Lean back a little", "Arch the upper back"],
    ("torso", "lean", "left"): ["Tilt the torso to your left", "Side-bend to the left"],
    ("torso", "lean", "right"): ["Tilt the torso to your right", "Side-bend to the right"],
    ("torso", "twist", "left"): ["Rotate the chest to the left", "Twist the upper body left"],
    ("torso", "twist", "right"): ["Rotate the chest to the right", "Twist the upper body right"],
    ("head", "turn", "left"): ["Look over your left shoulder", "Turn the head to your left"],
    ("head", "turn", "right"): ["Look over your right shoulder", "Turn the head to your right"],
    ("head", "look", "up"): ["Lift your gaze upward", "Tip the chin up"],
    ("head", "look", "down"): ["Drop your gaze to the floor", "Look down at your feet"],
    ("head", "tilt", "left"): ["Tip the head toward your left shoulder"],
    ("head", "tilt", "right"): ["Tip the head toward your right shoulder"],
    ("whole_body", "lower", None): ["Sink down into a squat", "Stay low with both knees bent", "Drop your hips down"],
    ("whole_body", "raise", None): ["Come up to standing", "Rise up tall"],
    ("whole_body", "turn", "left"): ["Pivot to face your left", "Turn your whole body to the left"],
    ("whole_body", "turn", "right"): ["Pivot to face your right", "Turn your whole body to the right"],
    ("whole_body", "move", "forward"): ["Travel forward a few steps", "Walk ahead"],
    ("whole_body", "move", "back"): ["Walk backward", "Move back a step or two"],
    ("whole_body", "move", "left"): ["Shift over to your left", "Travel to the left"],
    ("whole_body", "move", "right"): ["Shift over to your right", "Travel to the right"],
}


def coach_answer(moves: list[Movement], seed: int, variant: str) -> TransitionDescription:
    """A hand-written-style answer for measured movements (the stand-in for a real model)."""
    parts = {}
    for m in moves:
        kind = m.part.split("_")[-1] if m.part.endswith(("_arm", "_leg")) else m.part
        options = _COACH[(kind, m.action, m.direction if m.action != "lift" else None)]
        side = m.part.split("_")[0]
        line = options[zlib.crc32(f"{seed}/{m.part}/{m.action}".encode()) % len(options)].format(s=side)
        parts[m.part] = line if m.part not in parts else f"{parts[m.part]}, and {line[0].lower()}{line[1:]}"
    text = ". ".join(parts.values()) or "Stay as you are."
    return TransitionDescription(
        parts=parts, text=text, movements=moves, annotator="coach", annotator_version="1", variant=variant
    )  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=60)
    ap.add_argument("--pairs", type=int, default=120)
    args = ap.parse_args()
    root = SHARED / "mocap" / "bandai-namco"
    files = sorted(root.glob("dataset-*/data/*.bvh"))
    step = max(1, len(files) // args.clips)
    t0 = time.perf_counter()
    seqs = []
    for i, f in enumerate(files[::step][: args.clips]):
        s = load_bvh(f, mapping=BANDAI, subject=f"s{i % 6}")
        seqs.append(s)
    pairs = mine_pairs(seqs, MiningConfig(seed=0, max_per_sequence=4))
    idx = np.linspace(0, len(pairs) - 1, min(args.pairs, len(pairs))).astype(int)
    from autocompose.pairs import PairSet

    pairs = PairSet([pairs.pairs[i] for i in idx], pairs.ref[idx], pairs.tgt[idx], pairs.mask[idx], {})
    kin, coach = {}, {}
    for n, (pair, a, b, m) in enumerate(pairs):
        for v in selected_variants():
            va, vb, vm = variant_poses(a, b, m, v)
            kin[(pair.id, v)] = KinematicDescriber().describe(va, vb, 1, vm, seed=n)[0]
            moves = movements(measure(va, vb, vm))
            coach[(pair.id, v)] = coach_answer(moves, n, v)
    coach = {  # the coach's movements are what the lexicon reads from its lines, not the measured truth
        k: d.model_copy(update={"movements": [x for p, s in d.parts.items() for x in statement_movements(p, s)]})
        for k, d in coach.items()
    }
    out = {
        "clips": len(seqs),
        "pairs": len(pairs),
        "answers_per_source": len(kin),
        "side_check_kinematic": side_swap_eval(pairs, kin, examples=2),
        "side_check_coach": side_swap_eval(pairs, coach, examples=3),
        "lexicon_coach": lexicon_coverage(coach),
        "recovery_coach": {k: v for k, v in movement_recovery(pairs, coach, examples=3).items()},
        "fixmypose": {k: v for k, v in fixmypose_coverage(SHARED / "fixmypose", examples=0).items() if k != "unread_examples"},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
