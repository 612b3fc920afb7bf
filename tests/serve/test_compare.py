"""The "why it matched" comparison tells the truth: poses compared in the model's frame (no turn or
travel between unrelated gallery poses), and the side view frames both figures."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from autocompose.poses.transforms import model_frame, rotate_y
from autocompose.render import RenderStyle
from autocompose.retrieval.encoders import pose_features

WHOLE_BODY_TRAVEL = ("turn", "rotate", "pivot", "move", "walk", "travel", "shift")


def _two_sequences(engine) -> tuple[str, str]:
    """Two gallery poses from different sequences."""
    ids = engine.index.ids
    a = ids[0]
    seq = a.rsplit("_f", 1)[0]
    return a, next(i for i in ids if i.rsplit("_f", 1)[0] != seq)


def _moved(joints: np.ndarray, yaw_deg: float, shift: tuple[float, float]) -> np.ndarray:
    """The same pose turned about its pelvis and carried to another place on the floor."""
    pelvis = joints[0].copy()
    pelvis[1] = 0.0
    out = rotate_y(joints - pelvis, np.radians(yaw_deg)) + pelvis
    return (out + np.array([shift[0], 0.0, shift[1]], np.float32)).astype(np.float32)


def test_model_frame_is_the_frame_pose_features_use():
    rng = np.random.default_rng(0)
    joints = rotate_y(rng.normal(0, 0.3, (4, 23, 3)) + np.array([2.0, 1.0, -3.0]), np.radians([10.0, 70.0, -120.0, 180.0]))
    feats = pose_features(joints, np.ones((4, 23), bool))[:, : 23 * 3].reshape(4, 23, 3)
    np.testing.assert_allclose(feats, model_frame(joints), atol=1e-5)


def test_describe_narrates_no_turn_or_travel_between_unrelated_poses(client, engine):
    a_id, b_id = _two_sequences(engine)
    a, b = engine.joints_of(a_id)[0], engine.joints_of(b_id)[0]
    far = _moved(b, 180.0, (3.0, 4.0))  # facing the other way, 5 m away
    # the raw describer would narrate the heading and place (so this test can fail)
    raw = " ".join(d.text for d in engine.annotator.describe(a, far, 3))
    assert any(w in raw for w in WHOLE_BODY_TRAVEL), raw
    body = {"a": {"id": a_id}, "b": {"joints": far.tolist()}, "k": 3}
    got = client.post("/describe", json=body).json()["descriptions"]
    for d in got:
        whole = d["parts"].get("whole_body", "")
        assert not any(w in whole for w in WHOLE_BODY_TRAVEL), d
    # and the text is the same as for the pose where it stands in the gallery
    same = client.post("/describe", json={"a": {"id": a_id}, "b": {"id": b_id}, "k": 3}).json()["descriptions"]
    assert [d["text"] for d in got] == [d["text"] for d in same]


def _figure_boxes(png: bytes, size: int, row: int) -> list[tuple[int, int, int, int]]:
    """Bounding box (x0, y0, x1, y1) of the drawn figure in each half of one view row."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    panel_rows = image[row * size : (row + 1) * size]
    ink = np.abs(panel_rows - np.array(RenderStyle().background)).sum(-1) > 60
    ink[: size // 8] = False  # the labels
    ink[-size // 8 :] = False  # the view name
    boxes = []
    for col in range(2):
        part = ink[:, col * size + 4 : (col + 1) * size - 4]
        ys, xs = np.nonzero(part)
        assert len(ys), f"nothing drawn in panel {col} of row {row}"
        boxes.append((int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())))
    return boxes


def test_side_view_frames_both_poses(client, engine):
    a_id, b_id = _two_sequences(engine)
    far = _moved(engine.joints_of(b_id)[0], 90.0, (0.5, 6.0))  # 6 m further along the side view's axis
    size = 220
    png = client.post(f"/compare?size={size}", json={"a": {"id": a_id}, "b": {"joints": far.tolist()}}).content
    for row in (0, 1):  # front, side
        for x0, y0, x1, y1 in _figure_boxes(png, size, row):
            assert y1 - y0 >= 0.35 * size, (row, (x0, y0, x1, y1))  # a standing figure fills a good share
            centre = (x0 + x1) / 2
            assert 0.2 * size < centre < 0.8 * size, (row, (x0, y0, x1, y1))  # near the middle, not at an edge
