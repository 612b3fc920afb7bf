"""Answers obtained elsewhere: exported requests equal the live ones; imported answers take the live path."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from autocompose.cli import app
from autocompose.describe import KinematicDescriber
from autocompose.describe.mllm import MLLMConfig, annotate_pairs_mllm
from autocompose.describe.mllm.batch import AnswersFileError, ImportBackend, export_requests, read_answers
from autocompose.describe.run import load_annotations
from autocompose.describe.variants import variant_poses
from autocompose.poses.skeleton import swap_side_words

K = 2


def _cfg(**kw) -> MLLMConfig:
    return MLLMConfig(**{"model": "fake-vlm", "api_key_env": "AUTOCOMPOSE_TEST_KEY", "backoff_s": 0.0, **kw})


def _kinematic_answer(pairs, cid: str) -> str:
    pair_id, variant, _ = cid.split("|")
    i = next(i for i, p in enumerate(pairs.pairs) if p.id == pair_id)
    va, vb, vm = variant_poses(pairs.ref[i], pairs.tgt[i], pairs.mask[i], variant)
    ds = KinematicDescriber().describe(va, vb, K, vm)
    return json.dumps({"parts": ds[0].parts, "instructions": [d.text for d in ds]})


def _batch_line(cid: str, content: str) -> str:
    body = {"model": "fake-vlm-2025", "choices": [{"message": {"role": "assistant", "content": content}}]}
    body["usage"] = {"prompt_tokens": 900, "completion_tokens": 120}
    return json.dumps({"id": "batch_req_1", "custom_id": cid, "response": {"status_code": 200, "body": body}, "error": None})


def _keys(db) -> set[str]:
    with sqlite3.connect(db) as con:
        return {r[0] for r in con.execute("SELECT key FROM responses")}


def test_exported_requests_are_the_live_requests_and_imports_match_a_live_run(pairs, server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOCOMPOSE_TEST_KEY", "sk-x")
    live = annotate_pairs_mllm(pairs, _cfg(base_url=server.base_url), tmp_path / "live", k=K)
    requests = tmp_path / "requests.jsonl"
    n = export_requests(pairs, _cfg(), requests, K, inspect_dir=tmp_path / "inspect")
    lines = [json.loads(x) for x in requests.read_text().splitlines()]
    assert n == len(lines) == 4 * len(pairs) and {x["url"] for x in lines} == {"/v1/chat/completions"}
    assert sorted(json.dumps(x["body"], sort_keys=True) for x in lines) == sorted(
        json.dumps(b, sort_keys=True) for b in server.requests
    )
    assert len(list((tmp_path / "inspect").glob("*.png"))) == n and (tmp_path / "inspect" / "prompt.txt").exists()
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(_batch_line(x["custom_id"], _kinematic_answer(pairs, x["custom_id"])) + "\n" for x in lines))
    read = read_answers(answers)
    backend = ImportBackend(read, _cfg())
    imported = annotate_pairs_mllm(pairs, _cfg(max_retries=0), tmp_path / "imp", k=K, backend=backend)
    assert imported["pairs"] == live["pairs"] == len(pairs) and imported["this_run"]["requests"] == n
    assert imported["this_run"]["prompt_tokens"] == 900 * n and len(backend.used) == n
    got, want = (
        load_annotations(tmp_path / "imp" / "annotations.jsonl"),
        load_annotations(tmp_path / "live" / "annotations.jsonl"),
    )
    assert {p: r["variants"] for p, r in got.items()} == {p: r["variants"] for p, r in want.items()}
    assert _keys(tmp_path / "imp" / "cache.sqlite") == _keys(tmp_path / "live" / "cache.sqlite")  # same cache keys


def test_missing_swapped_malformed_and_errored_answers_become_failures(pairs, tmp_path):
    requests = tmp_path / "requests.jsonl"
    export_requests(pairs, _cfg(), requests, K)
    ids = [json.loads(x)["custom_id"] for x in requests.read_text().splitlines()]
    # a pair whose kinematic answer names a sided movement, so swapping its sides is detectable
    sided = next(c for c in ids[3:] if "left " in _kinematic_answer(pairs, c) or "right " in _kinematic_answer(pairs, c))
    rows = []
    for cid in ids:
        content = _kinematic_answer(pairs, cid)
        if cid == ids[0]:
            continue  # missing
        if cid == ids[1]:
            rows.append(json.dumps({"custom_id": cid, "content": content[:30]}))  # truncated JSON
        elif cid == ids[2]:
            rows.append(json.dumps({"custom_id": cid, "response": None, "error": {"code": "server_error", "message": "x"}}))
        elif cid == sided:
            swapped = json.loads(swap_side_words(content))
            swapped["parts"] = {swap_side_words(p.replace("_", " ")): s for p, s in swapped["parts"].items()}
            rows.append(json.dumps({"custom_id": cid, "content": json.dumps(swapped)}))
        else:
            rows.append(json.dumps({"custom_id": cid, "content": content}))
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(rows) + "\n")
    summary = annotate_pairs_mllm(
        pairs, _cfg(max_retries=0), tmp_path / "out", K, backend=ImportBackend(read_answers(answers), _cfg())
    )
    failures = {(f["pair_id"], f["variant"]): f["reason"] for f in map(json.loads, (tmp_path / "out" / "failures.jsonl").open())}
    by_id = {c: tuple(c.split("|")[:2]) for c in ids}
    assert "no imported answer" in failures[by_id[ids[0]]]
    assert "malformed JSON" in failures[by_id[ids[1]]]
    assert "batch error" in failures[by_id[ids[2]]]
    assert "sides look swapped" in failures[by_id[sided]]
    assert summary["pairs"] == len(pairs) - len({p for p, _ in failures}) and summary["this_run"]["retries"] == 0


def test_answers_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "a.jsonl"
    bad.write_text('{"custom_id": "p|original|0123456789abcdef", "content": "x"}\nnot json\n')
    with pytest.raises(AnswersFileError, match=r"a.jsonl:2: not JSON"):
        read_answers(bad)
    bad.write_text('{"custom_id": "p1", "content": "x"}\n')
    with pytest.raises(AnswersFileError, match=r"a.jsonl:1: field 'custom_id'"):
        read_answers(bad)


def test_cli_export_then_import_records_provenance(pairs, tmp_path):
    pairs.save(tmp_path / "pairs")
    runner = CliRunner()
    req = tmp_path / "req.jsonl"
    common = ["--model", "fake-vlm", "--k", str(K), "--variants", "mirror,reverse"]
    result = runner.invoke(
        app, ["annotate", str(tmp_path / "pairs"), "-o", str(tmp_path / "x"), *common, "--export-requests", str(req)]
    )
    assert result.exit_code == 0, result.output
    ids = [json.loads(x)["custom_id"] for x in req.read_text().splitlines()]
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"custom_id": c, "content": _kinematic_answer(pairs, c)}) + "\n" for c in ids))
    out = tmp_path / "ann"
    args = ["annotate", str(tmp_path / "pairs"), "-o", str(out), "--annotator", "import", "--answers", str(answers), *common]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    prov = summary["provenance"]
    assert (
        summary["pairs"] == len(pairs) and prov["source"] == "import" and prov["answers_used"] == len(ids) == prov["answers_read"]
    )
    assert prov["model"] == "fake-vlm" and prov["prompt_version"] == "v1" and prov["views"] == ["front"]
    other = runner.invoke(app, [*args[: -len(common)], "--model", "another", "--k", str(K), "-o", str(tmp_path / "ann2")])
    assert other.exit_code == 0 and json.loads((tmp_path / "ann2" / "summary.json").read_text())["pairs"] == 0
    assert "no imported answer" in (tmp_path / "ann2" / "failures.jsonl").read_text()
    missing = runner.invoke(app, ["annotate", str(tmp_path / "pairs"), "-o", str(out), "--annotator", "import"])
    assert missing.exit_code == 2 and "--answers" in missing.output
