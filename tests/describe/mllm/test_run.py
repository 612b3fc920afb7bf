"""The MLLM annotator against a local fake server: requests, parsing, retries, failures, cache,
concurrency, resume after kill -9, and no API key in any output."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time

from autocompose.describe import KinematicDescriber
from autocompose.describe.mllm import MLLMConfig, MLLMDescriber, annotate_pairs_mllm
from autocompose.describe.run import load_annotations
from autocompose.describe.variants import variant_poses
from tests.describe.mllm.conftest import first_pairs
from tests.describe.mllm.fake_server import FakeMLLM

KEY = "sk-test-secret-4f9a1c"


def _cfg(server: FakeMLLM, **kw) -> MLLMConfig:
    base = {
        "model": "fake-vlm",
        "base_url": server.base_url,
        "api_key_env": "AUTOCOMPOSE_TEST_KEY",
        "backoff_s": 0.01,
        "price_in": 2.5,
        "price_out": 10.0,
    }
    return MLLMConfig(**{**base, **kw})


def test_requests_parsing_and_records_match_the_kinematic_truth(pairs, server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOCOMPOSE_TEST_KEY", KEY)
    summary = annotate_pairs_mllm(pairs, _cfg(server), tmp_path, k=2)
    assert summary["pairs"] == len(pairs) and summary["this_run"]["requests"] == 4 * len(pairs)
    body = server.requests[0]
    assert body["model"] == "fake-vlm" and body["response_format"]["type"] == "json_schema"
    image = body["messages"][1]["content"][1]["image_url"]["url"]
    assert image.startswith("data:image/png;base64,") and base64.b64decode(image.split(",", 1)[1])[:4] == b"\x89PNG"
    assert "PERSON'S OWN left" in body["messages"][1]["content"][0]["text"]
    assert server.headers[0]["authorization"] == f"Bearer {KEY}"
    records = load_annotations(tmp_path / "annotations.jsonl")
    pair, a, b, m = next(iter(pairs))
    rec = records[pair.id]
    assert (
        set(rec["variants"]) == {"original", "mirrored", "reversed", "mirrored_reversed"} and rec["annotator"] == "mllm:fake-vlm"
    )
    for variant, descs in rec["variants"].items():
        va, vb, vm = variant_poses(a, b, m, variant)
        truth = KinematicDescriber().describe(va, vb, 2, vm)
        assert [d["text"] for d in descs] == [t.text for t in truth]
    assert rec["cycle_pass"]
    run = summary["this_run"]
    assert run["cost_usd"] == round((run["prompt_tokens"] * 2.5 + run["completion_tokens"] * 10.0) / 1e6, 4) > 0
    for path in tmp_path.rglob("*"):  # the key is never written anywhere
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_transient_errors_and_malformed_answers_are_retried(pairs, server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOCOMPOSE_TEST_KEY", KEY)
    server.faults = ["429", "500", "truncated", "wrong_sides", "prose", "timeout"]
    summary = annotate_pairs_mllm(pairs, _cfg(server, timeout_s=0.5, max_in_flight=1), tmp_path, k=2)
    run = summary["this_run"]
    assert summary["pairs"] == len(pairs) and run["failed"] == 0
    assert run["retries"] == 5  # prose is parsed leniently; the other five faults each cost one retry
    assert not (tmp_path / "failures.jsonl").read_text()


def test_exhausted_retries_are_recorded_with_the_reason_then_redone(pairs, server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOCOMPOSE_TEST_KEY", KEY)
    _, a, b, m = next(iter(pairs))
    server.poison(a, b, m, "mirrored", ["truncated"] * 2)
    summary = annotate_pairs_mllm(pairs, _cfg(server, max_retries=1), tmp_path, k=2)
    failures = [json.loads(x) for x in (tmp_path / "failures.jsonl").read_text().splitlines()]
    assert (
        len(failures) == 1
        and failures[0]["reason"].startswith("malformed answer: malformed JSON")
        and failures[0]["attempts"] == 2
    )
    assert summary["pairs"] == len(pairs) - 1 and summary["this_run"]["failed"] == 1
    again = annotate_pairs_mllm(pairs, _cfg(server), tmp_path, k=2)
    assert again["pairs"] == len(pairs)
    assert again["this_run"]["requests"] == 1 and again["this_run"]["cached"] == 3  # only the failed variant is paid again


def test_rerun_is_served_from_the_cache(pairs, server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOCOMPOSE_TEST_KEY", KEY)
    annotate_pairs_mllm(pairs, _cfg(server), tmp_path, k=2)
    first = (tmp_path / "annotations.jsonl").read_text()
    (tmp_path / "annotations.jsonl").unlink()
    n = len(server.requests)
    again = annotate_pairs_mllm(pairs, _cfg(server), tmp_path, k=2)
    assert len(server.requests) == n and again["this_run"]["cached"] == 4 * len(pairs) and again["this_run"]["cost_usd"] == 0
    assert sorted(first.splitlines()) == sorted((tmp_path / "annotations.jsonl").read_text().splitlines())


def test_concurrency_limit_is_respected(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOCOMPOSE_TEST_KEY", KEY)
    pairs = first_pairs(8)
    with FakeMLLM(latency_s=0.05) as server:
        for _, a, b, m in pairs:
            server.register(a, b, m)
        summary = annotate_pairs_mllm(pairs, _cfg(server, max_in_flight=3), tmp_path, k=1)
    assert server.peak == 3 and summary["this_run"]["peak_in_flight"] == 3


def test_sync_annotator_interface(pairs, server, monkeypatch):
    monkeypatch.setenv("AUTOCOMPOSE_TEST_KEY", KEY)
    _, a, b, m = next(iter(pairs))
    ds = MLLMDescriber(_cfg(server)).describe(a, b, 3, m)
    assert [d.text for d in ds] == [t.text for t in KinematicDescriber().describe(a, b, 3, m)]


def test_resume_after_kill_loses_nothing_and_pays_nothing_twice(tmp_path):
    pairs = first_pairs(24)
    pairs.save(tmp_path / "pairs")
    out = tmp_path / "ann"
    env = {**os.environ, "AUTOCOMPOSE_TEST_KEY": KEY}
    with FakeMLLM(latency_s=0.05) as server:
        for _, a, b, m in pairs:
            server.register(a, b, m)
        args = [
            sys.executable,
            "-m",
            "autocompose.cli",
            "annotate",
            str(tmp_path / "pairs"),
            "-o",
            str(out),
            "--annotator",
            "openai",
        ]
        args += [
            "--model",
            "fake-vlm",
            "--base-url",
            server.base_url,
            "--api-key-env",
            "AUTOCOMPOSE_TEST_KEY",
            "--k",
            "1",
            "--max-in-flight",
            "4",
        ]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while sum(server.answered.values()) < 40 and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = sum(server.answered.values())
        assert 40 <= killed_at < 4 * len(pairs)
        done_before = len(load_annotations(out / "annotations.jsonl")) if (out / "annotations.jsonl").exists() else 0
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert len(load_annotations(out / "annotations.jsonl")) == len(pairs) > done_before
    repeats = sum(n - 1 for n in server.answered.values())
    assert repeats <= 4  # at most the requests in flight at the kill are paid twice
    assert len(server.answered) == 4 * len(pairs)
    for path in out.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_keep_rejected_writes_side_rejected_answers_and_leaves_unparsable_ones_out(pairs, tmp_path):
    from autocompose.describe.mllm.batch import ImportBackend, export_requests, read_answers
    from autocompose.poses.skeleton import swap_side_words
    from tests.describe.mllm.test_batch import K, _kinematic_answer
    from tests.describe.mllm.test_batch import _cfg as _import_cfg

    requests = tmp_path / "requests.jsonl"
    export_requests(pairs, _import_cfg(), requests, K)
    ids = [json.loads(x)["custom_id"] for x in requests.read_text().splitlines()]
    truncated = ids[0]
    sided = next(c for c in ids[4:] if "left " in _kinematic_answer(pairs, c) or "right " in _kinematic_answer(pairs, c))
    rows = []
    for cid in ids:
        content = _kinematic_answer(pairs, cid)
        if cid == truncated:
            content = content[:30]
        elif cid == sided:
            swapped = json.loads(swap_side_words(content))
            swapped["parts"] = {swap_side_words(p.replace("_", " ")): s for p, s in swapped["parts"].items()}
            content = json.dumps(swapped)
        rows.append(json.dumps({"custom_id": cid, "content": content}))
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    summary = annotate_pairs_mllm(
        pairs, _import_cfg(max_retries=0), out, K, backend=ImportBackend(read_answers(answers), _import_cfg()), keep_rejected=True
    )
    failures = {(f["pair_id"], f["variant"]): f for f in map(json.loads, (out / "failures.jsonl").open())}
    t_pair, t_var = truncated.split("|")[:2]
    s_pair, s_var = sided.split("|")[:2]
    assert failures[(t_pair, t_var)]["answer"] == _kinematic_answer(pairs, truncated)[:30]  # the raw text is kept
    assert "sides look swapped" in failures[(s_pair, s_var)]["reason"] and failures[(s_pair, s_var)]["answer"]
    rejected = load_annotations(out / "rejected.jsonl")
    accepted = load_annotations(out / "annotations.jsonl")
    assert summary["rejected_pairs"] == len(rejected) == 2 and not set(rejected) & set(accepted)
    # the side-rejected answer is kept with its pair's accepted variants
    rec = rejected[s_pair]
    assert set(rec["variants"]) == {"original", "mirrored", "reversed", "mirrored_reversed"} and rec["unusable"] == []
    assert "sides look swapped" in rec["rejected"][s_var] and "cycle_pass" in rec
    assert "right" in json.dumps(rec["variants"][s_var]) or "left" in json.dumps(rec["variants"][s_var])
    # the unparsable answer has no text: its variant stays out, the pair's accepted variants stay in
    rec = rejected[t_pair]
    assert t_var not in rec["variants"] and rec["unusable"] == [t_var] and rec["rejected"] == {}
    # without the option nothing is written beside the failures
    plain = tmp_path / "plain"
    annotate_pairs_mllm(pairs, _import_cfg(max_retries=0), plain, K, backend=ImportBackend(read_answers(answers), _import_cfg()))
    assert not (plain / "rejected.jsonl").exists()
