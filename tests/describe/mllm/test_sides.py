"""The side check (``describe.mllm.sides``): how each side moves and where each hand and foot ends
up, weighed on hand-built pairs; swapped copies score exactly the negative;
the check on built-in pairs and the kinematic describer's own answers."""

from __future__ import annotations

import numpy as np
import pytest

from autocompose.describe import KinematicDescriber
from autocompose.describe.measure import lateral_deltas, measure
from autocompose.describe.mllm.sides import PLACES, SideEvidence, side_evidence, side_score, sides_move_differently, sides_swapped
from autocompose.poses.skeleton import joint_index
from autocompose.poses.transforms import mirror
from tests.describe.mllm.poses import answer, pose


def test_swapped_arms_caught_correct_accepted():
    """Left arm rises, right arm lowers: both arms move, so only HOW each moves tells the sides apart."""
    a, b = pose(l_sh_elev=60, r_sh_elev=60), pose(l_sh_elev=150, r_sh_elev=12)
    right = answer(left_arm="Raise the left arm up overhead", right_arm="Lower the right arm down to your side")
    wrong = right.side_swapped("original")
    assert wrong.parts["left_arm"].startswith("Lower")
    assert side_score(right, measure(a, b)) > 0 > side_score(wrong, measure(a, b))
    assert not sides_swapped(right, a, b) and sides_swapped(wrong, a, b)
    # the same answer on the reversed pair (left arm lowers, right rises) is the swapped one
    assert sides_swapped(right, b, a) and not sides_swapped(wrong, b, a)


def test_swap_flips_the_sign_of_each_claim():
    a, b = pose(l_sh_elev=60, r_sh_elev=60, r_elbow=12), pose(l_sh_elev=150, r_sh_elev=12, r_elbow=90)
    right = answer(left_arm="Raise the left arm", right_arm="Lower the right arm and bend the right elbow")
    scores = {(e.part, e.action): e.score for e in side_evidence(right, measure(a, b))}
    swapped = {
        (e.part.replace("right", "@").replace("left", "right").replace("@", "left"), e.action): e.score
        for e in side_evidence(right.side_swapped("original"), measure(a, b))
    }
    assert set(scores) == set(swapped) == {("left_arm", "raise"), ("right_arm", "lower"), ("right_arm", "bend")}
    assert all(scores[k] > 0 and swapped[k] == -scores[k] for k in scores)


def test_both_sides_claimed_only_amount_words_decide():
    """Both arms rise, the left far more: 'slightly' on the wrong side is a swap, no amount words no evidence."""
    a, b = pose(l_sh_elev=20, r_sh_elev=20), pose(l_sh_elev=150, r_sh_elev=55)
    right = answer(left_arm="Raise the left arm high overhead", right_arm="Raise the right arm slightly")
    assert not sides_swapped(right, a, b) and sides_swapped(right.side_swapped("original"), a, b)
    plain = answer(left_arm="Raise the left arm", right_arm="Raise the right arm")
    assert side_score(plain, measure(a, b)) == 0.0


def test_weight_shift_is_weighed_by_the_pelvis_over_the_feet():
    a = pose()
    b = a.copy()
    legs = [joint_index(j) for j in ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_foot", "right_foot")]
    upper = [i for i in range(len(a)) if i not in legs]
    b[upper, 0] += 0.08  # everything above the knees moves to the person's left (+x), the feet stay
    assert lateral_deltas(measure(a, b))["weight_shift"] > 0.05
    right = answer(whole_body="Shift your weight onto the left leg")
    assert side_score(right, measure(a, b)) >= 1.0
    assert sides_swapped(right.side_swapped("original"), a, b) and not sides_swapped(right, a, b)


def test_a_limb_said_not_to_move_is_weighed_against_its_mirror():
    a, b = pose(r_elbow=12), pose(r_elbow=100, l_elbow=14)
    right = answer(right_arm="Bend the right elbow")  # left arm: no change
    still = [e for e in side_evidence(right, measure(a, b)) if e.action == "still"]
    assert [(e.part, e.score > 0) for e in still] == [("left_arm", True)]
    swapped = [e for e in side_evidence(right.side_swapped("original"), measure(a, b)) if e.action == "still"]
    assert [(e.part, e.score) for e in swapped] == [("right_arm", -still[0].score)]
    assert sides_swapped(right.side_swapped("original"), a, b) and not sides_swapped(right, a, b)
    # nothing said about either side moving: no 'still' evidence at all
    assert not [e for e in side_evidence(answer(torso="Lean forward"), measure(a, b)) if e.action == "still"]


def test_swap_is_the_exact_negative_when_the_hand_height_decides():
    """'Raise the left arm' of a hand brought up by bending the elbow (the upper arm barely moves) is
    supported by the hand's height, on either side alike: its swapped copy scores exactly the negative."""
    a, b = pose(l_elbow=10, r_sh_elev=40), pose(l_elbow=130, l_sh_elev=20, r_sh_elev=12)
    right = answer(left_arm="Raise the left arm", right_arm="Lower the right arm")
    change = measure(a, b)
    assert side_score(right, change) >= 1.0
    assert side_score(right.side_swapped("original"), change) == -side_score(right, change)
    assert sides_swapped(right.side_swapped("original"), a, b) and not sides_swapped(right, a, b)


def test_a_foot_lifted_in_a_squat_is_measured_from_the_floor():
    """A built-in squat with the left thigh raised: both feet rise towards the dropping pelvis, so the
    feet's heights above the pelvis would credit 'raise the left leg' to the right one; measured from
    the floor, the describer's own (correct) answer in every variant is accepted."""
    from autocompose.describe import KinematicDescriber
    from autocompose.describe.mllm.prompt import variant_poses
    from autocompose.pairs import MiningConfig, mine_pairs
    from autocompose.poses.builtin import builtin_library

    pairs = mine_pairs(builtin_library(subjects=("s01", "s02", "s03")), MiningConfig(max_per_sequence=1, seed=3))
    _, a, b, m = next(x for i, x in enumerate(pairs) if i == 8)
    for variant in ("original", "mirrored", "reversed", "mirrored_reversed"):
        va, vb, vm = variant_poses(a, b, m, variant)
        said = KinematicDescriber().describe(va, vb, 1, vm)[0]
        assert any(e.action in ("lift", "put_down") for e in side_evidence(said, measure(va, vb, vm)))
        assert not sides_swapped(said, va, vb, vm), (variant, said.parts)


def test_kinematic_answer_on_a_builtin_wave_is_accepted_and_its_swap_rejected(library):
    seq = next(s for s in library if s.id.endswith("s01/wave"))
    a, b = seq.joints[0], seq.joints[len(seq) // 3]
    desc = KinematicDescriber().describe(a, b, 1)[0]
    wrong = desc.side_swapped("original")
    assert side_score(desc, measure(a, b)) > 0 > side_score(wrong, measure(a, b))
    assert not sides_swapped(desc, a, b) and sides_swapped(wrong, a, b)
    # the mirrored pair is what the swapped text describes
    assert side_score(wrong, measure(mirror(a), mirror(b))) == side_score(desc, measure(a, b))


def test_builtin_pairs_whose_sides_differ_are_checked_both_ways(pairs):
    seen = 0
    for _, a, b, m in pairs:
        if not sides_move_differently(measure(a, b, m)):
            continue
        desc = KinematicDescriber().describe(a, b, 1, m)[0]
        seen += 1
        assert not sides_swapped(desc, a, b, m) and sides_swapped(desc.side_swapped("original"), a, b, m)
    assert seen >= 1


@pytest.mark.parametrize(
    ("line_part", "line", "place"),
    [
        ("left_arm", "Raise the left arm overhead", "overhead"),
        ("left_arm", "Bring the left hand up to the face", "head"),
        ("left_arm", "Lift the left arm out to the side at shoulder height", "shoulder height"),
        ("left_arm", "Put the left hand on the chest", "chest"),
    ],
)
def test_where_a_hand_ends_up_is_weighed_on_the_end_pose(line_part, line, place):
    """The left hand ends high beside the head, the right one hangs: every place said of the left
    hand fits it better than the right hand (in the end pose), and the swapped line the reverse."""
    a = pose(l_sh_elev=10, r_sh_elev=10)
    b = {
        "overhead": pose(l_sh_elev=175, r_sh_elev=10),
        "head": pose(l_sh_elev=100, l_elbow=150, r_sh_elev=10),
        "shoulder height": pose(l_sh_elev=90, r_sh_elev=10),
        "chest": pose(l_sh_elev=30, l_sh_azim=0, l_elbow=140, r_sh_elev=10),
    }[place]
    right = answer(**{line_part: line})
    found = [e for e in side_evidence(right, measure(a, b)) if e.action == f"at:{place}"]
    assert len(found) == 1 and found[0].score > 0.5, found
    flipped = [e for e in side_evidence(right.side_swapped("original"), measure(a, b)) if e.action == f"at:{place}"]
    assert [e.score for e in flipped] == [-found[0].score]
    assert place in PLACES["arm"]


def test_a_from_phrase_is_weighed_on_the_start_pose():
    """'Lower the right hand from the face': the right hand is at the face in the START pose."""
    a, b = pose(r_sh_elev=100, r_elbow=150), pose()
    said = answer(right_arm="Lower the right hand from the face to your side")
    at_head = [e for e in side_evidence(said, measure(a, b)) if e.action == "at:head"]
    assert len(at_head) == 1 and at_head[0].score > 0.5
    assert not sides_swapped(said, a, b) and sides_swapped(said.side_swapped("original"), a, b)


def test_a_foot_off_the_floor_and_the_weight_on_the_other_leg():
    a = pose()
    b = pose(l_hip_elev=60, l_knee=70)  # the left knee comes up: the left foot leaves the floor
    said = answer(left_leg="Lift the left foot off the floor", whole_body="Balance on the right leg")
    lifted = [e.score for e in side_evidence(said, measure(a, b)) if e.action == "at:off the floor"]
    assert lifted and lifted[0] > 1.0
    assert not sides_swapped(said, a, b) and sides_swapped(said.side_swapped("original"), a, b)


def test_no_place_evidence_for_a_limb_taken_away_or_a_missing_joint():
    a, b = pose(l_sh_elev=100, l_elbow=150), pose()
    said = answer(left_arm="Take the left hand away from the face")
    assert not [e for e in side_evidence(said, measure(a, b)) if e.action.startswith("at:")]
    mask = np.ones(len(a), bool)
    mask[joint_index("right_wrist")] = False  # the other hand is unknown: nothing to compare with
    said = answer(left_arm="Raise the left arm overhead")
    assert not [e for e in side_evidence(said, measure(a, pose(l_sh_elev=175), mask)) if e.action.startswith("at:")]


def test_evidence_is_clipped():
    assert SideEvidence("left_arm", "at:overhead", None, 3.0, 0.0).score == 2.0
    assert SideEvidence("left_arm", "raise", None, 0.0, 3.0).score == -2.0
