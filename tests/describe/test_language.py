"""Language distance: loading every input form, the measures on known texts, the CLI on FIXMYPOSE."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autocompose.cli import app
from autocompose.describe.language import compare, load_texts, plot_lengths, words
from autocompose.errors import AutocomposeError

FIXMYPOSE = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixmypose"


def _bag(texts):
    """A toy embedder: word counts over a fixed vocabulary (cosine = word overlap)."""
    vocab = sorted({w for t in texts for w in words(t)})
    out = np.zeros((len(texts), len(vocab) + 1))
    for i, t in enumerate(texts):
        for w in words(t):
            out[i, vocab.index(w)] += 1
    out[:, -1] = 1e-3
    return out


def test_loads_annotations_descriptions_and_fixmypose(tmp_path: Path):
    ann = tmp_path / "annotations.jsonl"
    ann.write_text(
        json.dumps({"pair_id": "p1", "variants": {"original": [{"text": "Squat down."}], "mirrored": [{"text": "x"}]}}) + "\n"
    )
    desc = tmp_path / "ds" / "descriptions"
    desc.mkdir(parents=True)
    (desc / "human.jsonl").write_text(
        json.dumps({"pair_id": "p1", "variant": "original", "texts": ["bend your knees", "sit low"]})
        + "\n"
        + json.dumps({"pair_id": "p1", "variant": "reversed", "texts": ["stand"]})
        + "\n"
    )
    fmp = tmp_path / "valid_NC.json"
    fmp.write_text(json.dumps([{"uid": "u1", "img0": "/x/a.png", "img1": "/x/b.png", "sents": ["raise your arm", "lift it"]}]))
    assert load_texts(ann) == {"p1": ["Squat down."]}
    assert load_texts(tmp_path / "ds", "human") == {"p1": ["bend your knees", "sit low"]}
    assert load_texts(fmp) == {"u1": ["raise your arm", "lift it"]}
    with pytest.raises(AutocomposeError, match="--source"):
        load_texts(tmp_path / "ds")
    (tmp_path / "bad.jsonl").write_text('{"pair_id": "p1", "texts": ["a"]}\n{oops\n')
    with pytest.raises(AutocomposeError, match=r"bad\.jsonl:2"):
        load_texts(tmp_path / "bad.jsonl")


def test_measures_on_known_texts(tmp_path: Path):
    ref = {"p1": ["raise your left arm high"], "p2": ["bend both knees and squat"]}
    same = compare(ref, ref, _bag)
    assert same["embedding"]["paired_cosine"] == pytest.approx(1.0, abs=1e-3)
    assert same["embedding"]["unpaired_cosine"] < 0.5
    assert same["vocabulary"]["jaccard"] == 1.0 and same["vocabulary"]["oov_rate"] == 0.0
    gen = {"p1": ["lift the left arm"], "p2": ["crouch"]}
    report = compare(gen, ref, _bag)
    v = report["vocabulary"]
    assert v["generated_size"] == 5 and v["shared"] == 2 and v["jaccard"] == pytest.approx(2 / 13, abs=1e-4)
    assert v["oov_rate"] == pytest.approx(3 / 5)
    assert report["length"]["generated"]["mean"] == 2.5 and report["length"]["reference"]["q50"] == 5.0
    assert 0 < report["embedding"]["paired_cosine"] < 1
    png = plot_lengths(gen, ref, tmp_path / "len.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.skipif(not (FIXMYPOSE / "valid_NC.json").exists(), reason="needs ../shared/fixmypose beside the repo")
def test_cli_against_fixmypose(tmp_path: Path):
    ann = tmp_path / "annotations.jsonl"
    ann.write_text(json.dumps({"pair_id": "p1", "variants": {"original": [{"text": "Raise your left arm."}]}}) + "\n")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["describe", "compare-language", str(ann), str(FIXMYPOSE), "--no-embed", "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["length"]["reference"]["texts"] == 4560 and report["vocabulary"]["oov_rate"] == 0.0
    bad = CliRunner().invoke(app, ["describe", "compare-language", str(tmp_path / "nope.jsonl"), str(FIXMYPOSE)])
    assert bad.exit_code == 2
