"""The kinematic describer's output is pinned byte for byte against the pre-optimisation implementation.

``kinematic_golden.json`` was written by the original (unoptimised) code with
``python tests/describe/test_kinematic_golden.py --write``; any speed-up must keep every
description identical. Regenerate only when the describer's *wording* changes on purpose
(and bump ``KinematicDescriber.version``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from autocompose.describe import KinematicDescriber, describe_variants
from autocompose.pairs import MiningConfig, mine_pairs
from autocompose.poses.builtin import builtin_library
from autocompose.poses.skeleton import joint_index

GOLDEN = Path(__file__).with_name("kinematic_golden.json")
STEP = 15  # every 15th mined pair of the built-in library: ~200 pairs


def _digest(descs) -> str:
    blob = json.dumps([d.model_dump(mode="json") for d in descs], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def golden_outputs() -> list[dict]:
    """Texts and a digest of the full descriptions for seeded built-in pairs (also masked / variants)."""
    pairs = mine_pairs(builtin_library(), MiningConfig(seed=0))
    kin = KinematicDescriber()
    no_nose = np.ones(23, bool)
    no_nose[joint_index("nose")] = False
    no_feet = np.ones(23, bool)
    for j in ("left_foot", "right_foot"):
        no_feet[joint_index(j)] = False
    rng = np.random.default_rng(7)
    out: list[dict] = []
    chosen = [p for i, p in enumerate(pairs) if i % STEP == 0]
    for n, (_, a, b, m) in enumerate(chosen):
        i = n * STEP
        if n % 10 == 3:
            m = no_nose
        elif n % 10 == 7:
            m = no_feet
        if n % 5 == 1:  # unrelated poses: big turns and travel
            b = b @ np.array([[0.0, 0, -1], [0, 1, 0], [1, 0, 0]], np.float32) + np.float32([0.8, 0.0, -0.5])
        if n % 7 == 2:  # jitter: exercises amounts near thresholds
            b = (b + rng.normal(0, 0.03, b.shape)).astype(np.float32)
        descs = kin.describe(a, b, 3, m, seed=i)
        entry = {"pair": i, "texts": [d.text for d in descs], "sha256": _digest(descs)}
        if n % 4 == 0:
            variants = describe_variants(kin, a, b, k=3, mask=m, seed=i, variants=("mirror", "reverse"))
            entry["variants_sha256"] = _digest([d for v in variants.values() for d in v])
        out.append(entry)
    return out


def test_kinematic_output_is_identical_to_the_original_implementation():
    expected = json.loads(GOLDEN.read_text())
    got = golden_outputs()
    assert len(got) == len(expected) >= 200
    for e, g in zip(expected, got, strict=True):
        assert g == e, f"pair {e['pair']}: describer output changed\nexpected {e['texts']}\ngot      {g['texts']}"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.write_text(json.dumps(golden_outputs(), indent=1) + "\n")
