"""A small built-in CPR dataset shared by the data tests (three subjects: one per split)."""

from __future__ import annotations

import pytest

from autocompose.data.build import BuildOptions
from autocompose.data.builders import build_builtin
from autocompose.pairs import MiningConfig

SMALL = BuildOptions(k=2, mining=MiningConfig(max_per_sequence=6, stride_s=1.0))


@pytest.fixture(scope="module")
def small_dataset():
    return build_builtin(None, SMALL, subjects=("s01", "s02", "s03"))
