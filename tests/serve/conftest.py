"""A tiny trained model and dataset, the engine over them, and an API client."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from autocompose.data.build import BuildOptions
from autocompose.data.builders import build_builtin
from autocompose.pairs import MiningConfig
from autocompose.retrieval.config import ModelConfig, TrainConfig
from autocompose.retrieval.train import train
from autocompose.serve.app import create_app
from autocompose.serve.engine import SearchEngine


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    os.environ.setdefault("AUTOCOMPOSE_CACHE", str(root / "cache"))
    options = BuildOptions(annotators=("kinematic",), k=1, mining=MiningConfig(max_per_sequence=3, stride_s=1.0))
    ds = build_builtin(None, options, subjects=("s01", "s02", "s03")).save(root / "ds")
    cfg = TrainConfig(
        dataset=ds, out=root / "run", epochs=3, batch_size=64, model=ModelConfig(dim=32, pose_hidden=64, combiner_hidden=64)
    )
    train(cfg, progress=False)
    return root / "run" / "best.pt", ds


@pytest.fixture(scope="session")
def engine(trained):
    return SearchEngine(*trained)


@pytest.fixture(scope="session")
def client(engine):
    return TestClient(create_app(engine))
