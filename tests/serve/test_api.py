"""The HTTP API through httpx: results, validation (4xx, never 5xx), rendering, describe, page."""

from __future__ import annotations

import numpy as np
import pytest

from autocompose.poses.transforms import model_frame

TEXT = "raise both arms above your head"


def test_health_version_and_page(client):
    assert client.get("/health").json()["status"] == "ok"
    info = client.get("/version").json()
    assert info["gallery"] > 100 and info["index"] == "flat"
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text and "https://" not in page.text  # no CDN
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")


def test_search_by_id_and_by_joints_agree(client, engine):
    pid = engine.index.ids[7]
    by_id = client.post("/search", json={"reference": {"id": pid}, "text": TEXT, "k": 5}).json()["results"]
    assert len(by_id) == 5 and pid not in [r["id"] for r in by_id]  # the reference is not its own answer
    assert by_id == sorted(by_id, key=lambda r: -r["score"]) and by_id[0]["image_url"] == f"/poses/{by_id[0]['id']}.png"
    joints = engine.joints_of(pid)[0].tolist()
    by_joints = client.post("/search", json={"reference": {"joints": joints}, "text": TEXT, "k": 6}).json()["results"]
    assert [r["id"] for r in by_joints if r["id"] != pid][:5] == [r["id"] for r in by_id]
    # the engine's answer is the model's: compare with a brute-force ranking
    import torch

    j, m = engine.joints_of(pid)
    with torch.inference_mode():
        q = engine.model.compose(engine.model.pose.encode(j[None], m[None]), engine._text(TEXT)).numpy()[0]
    g = engine.encode_poses(engine.dataset.joints_of(engine.index.ids), engine._masks(engine.index.ids))
    order = [engine.index.ids[i] for i in np.argsort(-(g @ q)) if engine.index.ids[i] != pid][:5]
    assert [r["id"] for r in by_id] == order


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"reference": {"id": "nope"}, "text": TEXT}, 404, "no pose 'nope'"),
        ({"reference": {"joints": [[0, 0, 0]] * 5}, "text": TEXT}, 422, "23 rows of 3"),
        ({"reference": {"joints": [[0, 0, 1e5]] * 23}, "text": TEXT}, 422, "within"),
        ({"reference": {}, "text": TEXT}, 422, "exactly one"),
        ({"reference": {"id": "x", "joints": [[0, 0, 0]] * 23}, "text": TEXT}, 422, "exactly one"),
        ({"reference": {"joints": [[0, 0, 0]] * 23}, "text": "   "}, 422, "blank"),
        ({"reference": {"joints": [[0, 0, 0]] * 23}, "text": "x" * 501}, 422, "500"),
        ({"reference": {"joints": [[0, 0, 0]] * 23}, "text": TEXT, "k": 0}, 422, "greater than or equal to 1"),
        ({"reference": {"joints": [[0, 0, 0]] * 23}, "text": TEXT, "k": 1000}, 422, "less than or equal to 100"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client, body, status, message):
    resp = client.post("/search", json=body)
    assert resp.status_code == status, resp.text
    assert message in resp.text


def test_non_finite_joints_are_refused(client):
    row = "[0, 0, NaN]"
    body = '{"reference": {"joints": [' + ", ".join([row] * 23) + ']}, "text": "lift"}'
    resp = client.post("/search", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and "finite" in resp.text


def test_pose_images_describe_and_bvh_upload(client, engine, tmp_path):
    pid, other = engine.index.ids[0], engine.index.ids[40]
    png = client.get(f"/poses/{pid}.png?size=64")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.get("/poses/nope.png").status_code == 404
    desc = client.post("/describe", json={"a": {"id": pid}, "b": {"id": other}, "k": 2}).json()
    assert desc["annotator"] == "kinematic" and len(desc["descriptions"]) == 2 and desc["descriptions"][0]["text"]
    a, b = model_frame(engine.joints_of(pid)[0]), model_frame(engine.joints_of(other)[0])  # as the model sees them
    assert desc["descriptions"][0]["text"] == engine.annotator.describe(a, b, 2)[0].text
    assert client.post("/compare", json={"a": {"id": pid}, "b": {"id": other}}).content[:4] == b"\x89PNG"
    from tests.poses.test_io import _bvh_text, _zero_row  # a small valid Mixamo BVH, as the loader tests write it

    bvh = client.post(
        "/pose-from-bvh?frame=1", content=_bvh_text([_zero_row(), _zero_row()]), headers={"Content-Type": "text/plain"}
    )
    assert bvh.status_code == 200, bvh.text
    assert np.asarray(bvh.json()["joints"]).shape == (23, 3)
    bad = client.post("/pose-from-bvh", content="HIERARCHY\nnot really", headers={"Content-Type": "text/plain"})
    assert bad.status_code == 400 and "could not read the BVH" in bad.text
