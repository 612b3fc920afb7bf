"""A few mined pairs and a running fake OpenAI-compatible server that knows their images."""

from __future__ import annotations

import pytest

from autocompose.pairs import MiningConfig, PairSet, mine_pairs
from autocompose.poses.builtin import builtin_library
from tests.describe.mllm.fake_server import FakeMLLM


def first_pairs(n: int) -> PairSet:
    full = mine_pairs(builtin_library(subjects=("s01", "s02", "s03")), MiningConfig(max_per_sequence=1, seed=3))
    return PairSet(full.pairs[:n], full.ref[:n], full.tgt[:n], full.mask[:n], {})


@pytest.fixture(scope="module")
def pairs() -> PairSet:
    return first_pairs(6)


@pytest.fixture()
def server(pairs):
    with FakeMLLM() as fake:
        for _, a, b, m in pairs:
            fake.register(a, b, m)
        yield fake
