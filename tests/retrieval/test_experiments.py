"""`autocompose train`, `evaluate` and `experiment matrix` end to end on a tiny dataset."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from autocompose.cli import app
from autocompose.retrieval.config import TrainConfig
from autocompose.retrieval.experiments import matrix_configs

runner = CliRunner()
TINY = [
    "--set",
    "epochs=2",
    "--set",
    "batch_size=64",
    "--set",
    "model.dim=32",
    "--set",
    "model.pose_hidden=64",
    "--set",
    "model.combiner_hidden=64",
]


def test_matrix_configs_follow_the_papers_table(tmp_path):
    runs = matrix_configs(TrainConfig(out=tmp_path))
    assert list(runs) == ["a_rules", "b_k1", "c_k3", "d_k3_mirror_reverse", "e_d_plus_cycle"]
    assert runs["a_rules"].train_source == "rules" and runs["b_k1"].k == 1 and runs["c_k3"].variants == ("original",)
    assert len(runs["d_k3_mirror_reverse"].variants) == 4 and not runs["d_k3_mirror_reverse"].loss.cycle
    assert runs["e_d_plus_cycle"].loss.cycle and runs["e_d_plus_cycle"].out == tmp_path / "e_d_plus_cycle"


def test_train_then_evaluate_from_the_cli(tiny_dataset_dir, tmp_path):
    cfg = tmp_path / "exp.json"
    cfg.write_text(json.dumps({"dataset": str(tiny_dataset_dir), "out": str(tmp_path / "run"), "loss": {"cycle": True}}))
    result = runner.invoke(app, ["train", str(cfg), *TINY])
    assert result.exit_code == 0, result.output
    assert "R@10" in result.output
    written = json.loads((tmp_path / "run" / "config.json").read_text())
    assert written["epochs"] == 2 and written["loss"]["cycle"] is True and written["model"]["dim"] == 32
    ev = runner.invoke(
        app,
        [
            "evaluate",
            str(tmp_path / "run" / "best.pt"),
            str(tiny_dataset_dir),
            "--query-source",
            "rules",
            "--out",
            str(tmp_path / "ev"),
        ],
    )
    assert ev.exit_code == 0, ev.output
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["query_source"] == "rules" and 0 <= metrics["R@1"] <= metrics["R@50"] <= 100
    bad = runner.invoke(app, ["train", "--set", "nonsense"])
    assert bad.exit_code == 2 and "key=value" in bad.output


def test_experiment_matrix_prints_one_table_with_intervals(tiny_dataset_dir, tmp_path):
    result = runner.invoke(
        app,
        [
            "experiment",
            "matrix",
            "--set",
            f"dataset={tiny_dataset_dir}",
            "--set",
            f"out={tmp_path / 'm'}",
            "--seeds",
            "0,1",
            *TINY,
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads((tmp_path / "m" / "matrix.json").read_text())
    arms = out["summary"]["arms"]
    assert set(arms) == {"a_rules", "b_k1", "c_k3", "d_k3_mirror_reverse", "e_d_plus_cycle"}
    assert all(len(out["runs"][a]) == 2 and arms[a]["seeds"] == 2 for a in arms)
    assert all(m["queries"] == arms["a_rules"]["queries"] for m in arms.values())  # the same held-out queries
    for row in arms.values():
        assert row["R@10"]["lo"] <= row["R@10"]["mean"] <= row["R@10"]["hi"]
        assert "reference_only R@10" in row
    comparisons = {d["comparison"] for d in out["summary"]["differences"]}
    assert {"kinematic vs rule-based text", "mirror + reverse vs without", "cycle loss vs without"} <= comparisons
    assert (tmp_path / "m" / "matrix.png").exists() and (tmp_path / "m" / "matrix_recall.png").exists()
    assert "cycle loss vs without" in result.output


def test_real_motion_recipe_is_a_valid_config_and_the_command_documents_itself(tmp_path):
    from autocompose.retrieval.experiments import RECOMMENDED_REAL

    cfg = TrainConfig.model_validate({"dataset": str(tmp_path), **RECOMMENDED_REAL})
    assert cfg.model.pose_input in ("bones", "measures", "joints")
    result = runner.invoke(app, ["experiment", "real-motion", "--help"])
    assert result.exit_code == 0 and "cross-dataset" in result.output
    missing = runner.invoke(app, ["experiment", "real-motion", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "nope" in missing.output
