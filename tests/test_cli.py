import json

from typer.testing import CliRunner

from autocompose.cli import app
from autocompose.data import CPRDataset

runner = CliRunner()


def test_help_on_every_command():
    for args in ([], ["poses"], ["pairs"], ["render"], ["pairs", "mine"], ["poses", "info"], ["demo"], ["dataset", "build"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage" in result.output


def test_poses_info_json():
    result = runner.invoke(app, ["poses", "info", "builtin:s01", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) > 20 and rows[0]["subject"] == "s01" and rows[0]["format"] == "builtin"


def test_render_and_errors(tmp_path):
    out = tmp_path / "p.png"
    result = runner.invoke(app, ["render", "builtin:s02", "--frame", "10", "-o", str(out), "--sequence", "builtin/s02/squat"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    bad = runner.invoke(app, ["render", str(tmp_path / "nope.bvh")])
    assert bad.exit_code == 2 and "no such file" in bad.output
    oob = runner.invoke(app, ["render", "builtin:s02", "--frame", "100000", "-o", str(out)])
    assert oob.exit_code == 2 and "out of range" in oob.output


def test_pairs_mine_writes_a_pair_folder(tmp_path):
    out = tmp_path / "pairs"
    result = runner.invoke(app, ["pairs", "mine", "builtin:s01,s02,s03", "-o", str(out), "--seed", "2"])
    assert result.exit_code == 0, result.output
    lines = (out / "pairs.jsonl").read_text().splitlines()
    assert len(lines) > 100 and {json.loads(x)["split"] for x in lines} == {"train", "val", "test"}


def test_demo_writes_sheets(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--pairs-shown", "3", "--no-train"])
    assert result.exit_code == 0, result.output
    for name in ("library.png", "pairs.png", "pairs_mirrored.png", "pairs/pairs.jsonl"):
        assert (tmp_path / "d" / name).exists()


def test_dataset_build_info_annotate_add_and_export(tmp_path):
    ds = tmp_path / "ds"
    args = ["dataset", "build", "builtin", "-o", str(ds), "--subjects", "s01,s02,s03", "--annotators", "rules", "--k", "1"]
    result = runner.invoke(app, [*args, "--max-per-sequence", "3"])
    assert result.exit_code == 0, result.output
    assert "test" in result.output and (ds / "difference_histogram.png").exists()
    info = runner.invoke(app, ["dataset", "info", str(ds)])
    assert info.exit_code == 0 and "rules" in info.output
    # annotate the dataset's own pairs, then add that run as a new source
    ann = runner.invoke(app, ["annotate", str(ds), "-o", str(tmp_path / "ann"), "--k", "1"])
    assert ann.exit_code == 0, ann.output
    jsonl = str(tmp_path / "ann" / "annotations.jsonl")
    add = runner.invoke(app, ["dataset", "add-descriptions", str(ds), jsonl, "--source", "kin"])
    assert add.exit_code == 0, add.output
    loaded = CPRDataset.load(ds)
    assert set(loaded.descriptions) == {"rules", "kin"} and loaded.card["descriptions"]["kin"]["kind"] == "mllm"
    pid = loaded.pairs[0].id
    assert len(loaded.texts("kin", pid, "mirrored_reversed")) == 1
    # several annotation files merge (e.g. annotations.jsonl + rejected.jsonl); --cycle-pass-only drops failing pairs
    records = [json.loads(x) for x in (tmp_path / "ann" / "annotations.jsonl").read_text().splitlines()]
    records[-1]["cycle_pass"] = False
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in records[:2]))
    second.write_text("".join(json.dumps(r) + "\n" for r in records[2:]))
    merged = ["dataset", "add-descriptions", str(ds), str(first), str(second)]
    assert runner.invoke(app, [*merged, "--source", "all"]).exit_code == 0
    add = runner.invoke(app, [*merged, "--source", "verified", "--cycle-pass-only"])
    assert add.exit_code == 0, add.output
    loaded = CPRDataset.load(ds)
    assert set(loaded.descriptions["all"]) == {r["pair_id"] for r in records}
    assert set(loaded.descriptions["verified"]) == {r["pair_id"] for r in records[:-1]}
    assert loaded.card["descriptions"]["verified"]["cycle_pass_only"] and len(loaded.card["descriptions"]["all"]["from"]) == 2
    # --fill-from: the annotated pairs keep their own texts, every other pair and variant takes the fallback's
    add = runner.invoke(app, ["dataset", "add-descriptions", str(ds), str(first), "--source", "mixed", "--fill-from", "rules"])
    assert add.exit_code == 0, add.output
    loaded = CPRDataset.load(ds)
    own, other = records[0]["pair_id"], records[-1]["pair_id"]
    assert (
        loaded.texts("mixed", own, "original") == loaded.texts("kin", own, "original") != loaded.texts("rules", own, "original")
    )
    assert loaded.texts("mixed", other, "original") == loaded.texts("rules", other, "original")
    assert set(loaded.descriptions["mixed"]) == {p.id for p in loaded.pairs if p.id in loaded.descriptions["rules"]}
    assert loaded.card["descriptions"]["mixed"]["filled_from"]["source"] == "rules"
    bad = runner.invoke(app, ["dataset", "add-descriptions", str(ds), str(first), "--source", "x", "--fill-from", "nonesuch"])
    assert bad.exit_code != 0 and "nonesuch" in bad.output
    exp = runner.invoke(app, ["dataset", "export-clip4cir", str(ds), "-o", str(tmp_path / "c"), "--train-source", "kin"])
    assert exp.exit_code == 0, exp.output
    bad = runner.invoke(app, ["dataset", "build", "nonesuch", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "available" in bad.output


def test_poses_fetch_from_dir_shows_licence_and_info_reads_it(tmp_path, monkeypatch):
    from tests.poses.test_mocap import _bandai_copy

    monkeypatch.setenv("AUTOCOMPOSE_CACHE", str(tmp_path / "cache"))
    source = _bandai_copy(tmp_path / "copy")
    result = runner.invoke(app, ["poses", "fetch", "bandai-namco", "--from", str(source)])
    assert result.exit_code == 0, result.output
    assert "CC BY-NC 4.0" in result.output and "Kobayashi" in result.output
    assert (tmp_path / "cache" / "mocap" / "bandai-namco" / "collection.json").is_file()
    info = runner.invoke(app, ["poses", "info", "mocap:bandai-namco", "--json"])
    assert info.exit_code == 0, info.output
    rows = json.loads(info.output)
    assert {r["content"] for r in rows} == {"walk", "raise-up-left-hand"} and rows[0]["collection"] == "bandai-namco"
    bad = runner.invoke(app, ["poses", "fetch", "deepmimic", "--from", str(source)])
    assert bad.exit_code == 2 and "look like a deepmimic folder" in " ".join(bad.output.split())
