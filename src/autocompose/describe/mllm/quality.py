"""Answer-quality measurements of an MLLM run (format, lexicon coverage, recovery, cycle, mirror, side check).

Everything is measured through the project's own parser and checks, re-reading the stored part
lines with the current lexicon, so a lexicon or check fix can be measured on old answers without
asking the model again. ``side_swap_eval`` makes left/right-swapped copies of answers and counts
how many the side check catches, on pairs whose two sides move differently.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from autocompose.describe.base import NO_CHANGE, TransitionDescription
from autocompose.describe.kinematic import movements as measured_movements
from autocompose.describe.measure import measure
from autocompose.describe.mllm.parse import (
    AnswerError,
    is_hold,
    names_a_part,
    parse_answer,
    says_orientation,
    statement_movements,
    text_movements,
)
from autocompose.describe.mllm.sides import SIDE_REJECT, side_score, sides_move_differently
from autocompose.describe.variants import cycle_consistency, variant_poses
from autocompose.errors import AutocomposeError
from autocompose.pairs.pairset import PairSet
from autocompose.poses.skeleton import BODY_PART_SWAP

Answers = dict[tuple[str, str], TransitionDescription]


def _reparsed(d: dict[str, Any], annotator: str, version: str, variant: str) -> TransitionDescription:
    moves = list(dict.fromkeys(m for p, s in d["parts"].items() for m in statement_movements(p, s)))
    return TransitionDescription(
        parts=d["parts"], text=d["text"], movements=moves, annotator=annotator, annotator_version=version, variant=variant
    )


def load_answers(path: Path, k: int = 1) -> tuple[Answers, Counter]:
    """Answers by (pair id, variant) from ``annotations.jsonl`` or an answers JSONL (custom ids).

    Returns the parsed answers and a counter of answers that did not parse (by reason).
    """
    if not path.is_file():
        raise AutocomposeError(f"{path}: no such file (pass annotations.jsonl or an answers JSONL)")
    out: Answers = {}
    bad: Counter = Counter()
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        rec = json.loads(line)
        if "variants" in rec:
            for v, descs in rec["variants"].items():
                out[(rec["pair_id"], v)] = _reparsed(descs[0], rec["annotator"], rec["annotator_version"], v)
            continue
        from autocompose.describe.mllm.batch import _answer

        answer = _answer(path, no, rec.get("custom_id", ""), rec)
        pair_id, variant, _ = answer.custom_id.split("|")
        if answer.text is None:
            bad["provider error"] += 1
            continue
        try:
            out[(pair_id, variant)] = parse_answer(answer.text, k, "mllm", "import", variant)[0]  # type: ignore[arg-type]
        except AnswerError as exc:
            bad[str(exc).split(" (")[0]] += 1
    return out, bad


def _pair_index(pairset: PairSet) -> dict[str, int]:
    return {p.id: i for i, p in enumerate(pairset.pairs)}


def _poses(pairset: PairSet, index: dict[str, int], pair_id: str, variant: str):
    i = index[pair_id]
    return variant_poses(pairset.ref[i], pairset.tgt[i], pairset.mask[i], variant)  # type: ignore[arg-type]


def lexicon_coverage(answers: Answers, examples: int = 10) -> dict[str, Any]:
    """Share of part lines describing a change from which the lexicon reads >= 1 movement."""
    lines = covered = 0
    missed: list[str] = []
    for desc in answers.values():
        for part, statement in desc.parts.items():
            if statement.lower().startswith(NO_CHANGE) or is_hold(statement.lower()):
                continue
            lines += 1
            if statement_movements(part, statement):
                covered += 1
            elif len(missed) < examples:
                missed.append(f"{part}: {statement}")
    return {"lines": lines, "covered": covered, "coverage": round(covered / max(lines, 1), 4), "unread_examples": missed}


#: The two halves of FIXMYPOSE for lexicon work: clauses of the "dev" half may be read while
#: extending the lexicon, the "heldout" half only measured (``fixmypose_half``).
FIXMYPOSE_HALVES = ("dev", "heldout")


def fixmypose_half(uid: str) -> str:
    """The half a FIXMYPOSE annotation belongs to: SHA-1 of its ``uid``, even first byte = "dev".

    Stable across runs, machines and file order (not Python's salted ``hash``); every sentence
    of one annotation falls in the same half, and no sentence of the release occurs under two uids.
    """
    return FIXMYPOSE_HALVES[hashlib.sha1(uid.encode("utf-8")).digest()[0] % 2]


def fixmypose_coverage(folder: Path, examples: int = 15) -> dict[str, Any]:
    """Lexicon coverage of the clauses of FIXMYPOSE's human sentences (``*.json``, fields ``uid``, ``sents``),
    overall and per half (``fixmypose_half``: develop on "dev", report "heldout" as the honest figure).

    Counted clauses name a body part and are not holds ('keep your feet in place'); a clause is
    covered when the free-text reader extracts at least one movement from it. Unread clauses that say
    how something is turned or where it points or faces (``says_orientation``: foot, knee and hand
    rotations the measurement has no feature for) are counted per half as ``unread_orientation``;
    they stay uncovered. Unread examples are taken from the dev half only.
    """
    files = sorted(folder.glob("*.json"))
    if not files:
        raise AutocomposeError(f"{folder}: no FIXMYPOSE *.json files (expected e.g. valid_NC.json with 'sents')")
    seen: set[str] = set()
    counts = {h: Counter() for h in FIXMYPOSE_HALVES}
    missed: list[str] = []
    for f in files:
        for item in json.loads(f.read_text(encoding="utf-8")):
            half = fixmypose_half(str(item["uid"]))
            for sent in item.get("sents", []):
                if sent in seen:
                    continue
                seen.add(sent)
                counts[half]["sentences"] += 1
                for clause, moves in text_movements(sent):
                    if not names_a_part(clause) or is_hold(clause):
                        continue
                    counts[half]["clauses"] += 1
                    if moves:
                        counts[half]["covered"] += 1
                        continue
                    counts[half]["unread_orientation"] += says_orientation(clause)
                    if half == "dev" and len(missed) < examples:
                        missed.append(clause)
    total = sum(counts.values(), Counter())
    return {
        "sentences": len(seen),
        "clauses": total["clauses"],
        "covered": total["covered"],
        "coverage": round(total["covered"] / max(total["clauses"], 1), 4),
        "halves": {h: {**dict(c), "coverage": round(c["covered"] / max(c["clauses"], 1), 4)} for h, c in counts.items()},
        "unread_examples": missed,
    }


def movement_recovery(pairset: PairSet, answers: Answers, examples: int = 10) -> dict[str, Any]:
    """Share of measured movements (kinematic thresholds) that the answer's part lines name, plus
    the answer's claims the measurement does not find, with examples of both."""
    index = _pair_index(pairset)
    measured_n = recovered = claimed_n = confirmed = 0
    disagreements: list[dict[str, Any]] = []
    for (pair_id, variant), desc in answers.items():
        if pair_id not in index:
            continue
        a, b, m = _poses(pairset, index, pair_id, variant)
        truth = {mv.key(): mv for mv in measured_movements(measure(a, b, m))}
        said = {mv.key() for mv in desc.movements}
        measured_n, recovered = measured_n + len(truth), recovered + len(set(truth) & said)
        claimed_n, confirmed = claimed_n + len(said), confirmed + len(said & set(truth))
        missed, extra = sorted(set(truth) - said, key=str), sorted(said - set(truth), key=str)
        if (missed or extra) and len(disagreements) < examples:
            disagreements.append(
                {
                    "pair": pair_id,
                    "variant": variant,
                    "measured_not_said": [f"{p} {a_} {d or ''} ({truth[(p, a_, d)].amount:g})".strip() for p, a_, d in missed],
                    "said_not_measured": [" ".join(x for x in k if x) for k in extra],
                    "parts": {p: s for p, s in desc.parts.items() if s != NO_CHANGE},
                }
            )
    return {
        "measured": measured_n,
        "recovered": recovered,
        "recovery": round(recovered / max(measured_n, 1), 4),
        "claimed": claimed_n,
        "claims_confirmed": round(confirmed / max(claimed_n, 1), 4),
        "disagreements": disagreements,
    }


def cycle_and_mirror(answers: Answers, threshold: float = 0.5) -> dict[str, Any]:
    """Cycle consistency (forward vs reversed answers) and mirror consistency (the original
    answer's movements mirrored vs the mirrored answer's), each as mean score and pass rate."""
    cycle: list[float] = []
    mirror: list[float] = []
    pairs = {p for p, _ in answers}
    for p in pairs:
        for f, r in (("original", "reversed"), ("mirrored", "mirrored_reversed")):
            if (p, f) in answers and (p, r) in answers:
                cycle.append(cycle_consistency(answers[(p, f)], answers[(p, r)]))
        for o, m in (("original", "mirrored"), ("reversed", "mirrored_reversed")):
            if (p, o) in answers and (p, m) in answers:
                want = {mv.mirrored().key() for mv in answers[(p, o)].movements}
                got = {mv.key() for mv in answers[(p, m)].movements}
                mirror.append(1.0 if not want and not got else len(want & got) / len(want | got))

    def stats(xs: list[float]) -> dict[str, Any]:
        return {"n": len(xs), "mean": round(float(np.mean(xs)), 4) if xs else None, "pass_rate": _rate(xs, threshold)}

    return {"cycle": stats(cycle), "mirror": stats(mirror), "threshold": threshold}


def _rate(xs: list[float], threshold: float) -> float | None:
    return round(sum(x >= threshold for x in xs) / len(xs), 4) if xs else None


def presence_side_check(desc: TransitionDescription, a: np.ndarray, b: np.ndarray, mask: np.ndarray | None) -> tuple[int, int]:
    """The former side check, kept to compare against: only WHICH sided parts move."""
    sided = {p for p in desc.parts if p.startswith(("left_", "right_"))}
    said = {p for p in sided if statement_movements(p, desc.parts[p])}
    moved = {mv.part for mv in measured_movements(measure(a, b, mask)) if mv.part in sided}
    return len(said & moved), len({BODY_PART_SWAP[p] for p in said} & moved)


def presence_sides_swapped(desc: TransitionDescription, a: np.ndarray, b: np.ndarray, mask: np.ndarray | None) -> bool:
    """The former decision: more said-to-move parts whose mirror moved than that moved themselves."""
    ok, bad = presence_side_check(desc, a, b, mask)
    return bad > ok


def load_verdicts(path: Path) -> dict[tuple[str, str], str]:
    """Blind left/right verdicts on answers: ``{(pair id, variant): 'correct' | 'swapped' | 'unclear'}``.

    One JSON object per line with ``pair`` (or ``pair_id``), ``variant`` and ``label``: whether a reader
    of the rendered pair, shown the answer and its side-swapped copy in random order, picked the
    answer (``correct``), the copy (``swapped``) or neither (``unclear``).
    """
    out: dict[tuple[str, str], str] = {}
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            label = str(rec["label"])
            if label not in ("correct", "swapped", "unclear"):
                raise ValueError(f"label {label!r} is not correct, swapped or unclear")
            out[(str(rec.get("pair", rec.get("pair_id"))), str(rec["variant"]))] = label
        except (json.JSONDecodeError, KeyError, ValueError) as exc:
            raise AutocomposeError(f"{path}: line {no}: not a verdict ({exc}); fields: pair, variant, label") from None
    return out


def _rates(scores: list[float], threshold: float) -> dict[str, Any]:
    x = np.asarray(scores, dtype=float)
    n = len(x)
    return {
        "answers": n,
        "caught": round(float((x >= threshold).mean()), 4) if n else None,  # the swapped copy scores −x
        "rejected_correct": round(float((x <= -threshold).mean()), 4) if n else None,
    }


def side_swap_eval(
    pairset: PairSet, answers: Answers, verdicts: dict[tuple[str, str], str] | None = None, examples: int = 5
) -> dict[str, Any]:
    """Caught swaps and rejected correct answers of the side check, on pairs whose sides move differently.

    Every answer is checked as given and as a left/right-swapped copy (``side_swapped``: words and
    parts). A swapped copy's score is exactly the negative of the answer's, so an answer scoring at
    least ``SIDE_REJECT`` means its swap is caught, and one scoring at most −``SIDE_REJECT`` is
    rejected. Rates are over answers of pairs where ``sides_move_differently``, beside the former
    presence-only check. With
    ``verdicts`` (``load_verdicts``), the rates are also given over the answers a blind reader found
    correct, and the rejections over those it found swapped.
    """
    index = _pair_index(pairset)
    n_all = 0
    scores: dict[tuple[str, str], float] = {}
    presence = Counter()
    missed: list[dict[str, Any]] = []
    for (pair_id, variant), desc in answers.items():
        if pair_id not in index:
            continue
        a, b, m = _poses(pairset, index, pair_id, variant)
        n_all += 1
        change = measure(a, b, m)
        if not sides_move_differently(change):
            continue
        score = scores[(pair_id, variant)] = side_score(desc, change)
        presence["caught"] += presence_sides_swapped(desc.side_swapped(variant), a, b, m)  # type: ignore[arg-type]
        presence["rejected"] += presence_sides_swapped(desc, a, b, m)
        if score < SIDE_REJECT and len(missed) < examples:
            missed.append(
                {
                    "pair": pair_id,
                    "variant": variant,
                    "score": score,
                    "parts": {p: s for p, s in desc.parts.items() if s != NO_CHANGE},
                }
            )
    n = len(scores)
    out: dict[str, Any] = {
        "answers": n_all,
        "sides_differ": n,
        **{k: v for k, v in _rates(list(scores.values()), SIDE_REJECT).items() if k != "answers"},
        "presence_check_caught": round(presence["caught"] / max(n, 1), 4),
        "presence_check_rejected_correct": round(presence["rejected"] / max(n, 1), 4),
    }
    if verdicts is not None:
        judged = {k: v for k, v in verdicts.items() if k in scores}
        swapped = [scores[k] for k, v in judged.items() if v == "swapped"]
        out["judged"] = {
            "judged": len(judged),
            "labels": dict(Counter(judged.values())),
            "correct": _rates([scores[k] for k, v in judged.items() if v == "correct"], SIDE_REJECT),
            "swapped_rejected": round(float(np.mean([x <= -SIDE_REJECT for x in swapped])), 4) if swapped else None,
        }
    out["uncaught_examples"] = missed
    return out


def failure_counts(out: Path, done: set[str]) -> Counter:
    """Latest failure reason per (pair, variant) of pairs that never succeeded, grouped by kind."""
    path = out / "failures.jsonl"
    latest: dict[tuple[str, str], str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                f = json.loads(line)
                if f["pair_id"] not in done:
                    latest[(f["pair_id"], f["variant"])] = f["reason"]
    kinds: Counter = Counter()
    for reason in latest.values():
        if "sides look swapped" in reason:
            kinds["side_rejected"] += 1
        elif reason.startswith("malformed answer"):
            kinds["malformed"] += 1
        elif "no imported answer" in reason:
            kinds["missing"] += 1
        else:
            kinds["other"] += 1
    return kinds


def quality_report(pairset: PairSet, out: Path, fixmypose: Path | None = None) -> dict[str, Any]:
    """Everything above for an ``autocompose annotate`` output folder (and FIXMYPOSE, if given)."""
    answers, _ = load_answers(out / "annotations.jsonl")
    done = {p for p, _ in answers}
    variants = {v for _, v in answers}
    fails = failure_counts(out, done)
    ok = len(answers)
    attempted = ok + sum(fails.values())
    report: dict[str, Any] = {
        "pairs_annotated": len(done),
        "answers_accepted": ok,
        "failures": dict(fails),
        "format_success": round(
            (attempted - fails["malformed"] - fails["missing"] - fails["other"]) / max(attempted - fails["missing"], 1), 4
        ),
        "variants": sorted(variants),
        "lexicon": lexicon_coverage(answers),
        "recovery": movement_recovery(pairset, answers),
        **cycle_and_mirror(answers),
        "side_check": side_swap_eval(pairset, answers),
    }
    if fixmypose is not None:
        report["fixmypose_lexicon"] = fixmypose_coverage(fixmypose)
    return report
