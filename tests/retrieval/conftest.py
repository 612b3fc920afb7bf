"""A small built-in dataset on disk and a private text-embedding cache for the retrieval tests."""

from __future__ import annotations

import os

import pytest

from autocompose.data.build import BuildOptions
from autocompose.data.builders import build_builtin
from autocompose.pairs import MiningConfig


@pytest.fixture(scope="session", autouse=True)
def _embedding_cache(tmp_path_factory):
    old = os.environ.get("AUTOCOMPOSE_CACHE")
    os.environ["AUTOCOMPOSE_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("AUTOCOMPOSE_CACHE", None)
    else:
        os.environ["AUTOCOMPOSE_CACHE"] = old


@pytest.fixture(scope="session")
def tiny_dataset_dir(tmp_path_factory):
    options = BuildOptions(annotators=("kinematic", "rules"), k=2, mining=MiningConfig(max_per_sequence=3, stride_s=1.0))
    ds = build_builtin(None, options, subjects=("s01", "s02", "s03"))
    return ds.save(tmp_path_factory.mktemp("ds") / "tiny-cpr")
