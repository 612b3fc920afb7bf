import http.server
import io
import json
import tarfile
import threading

import pytest

from autocompose.errors import AutocomposeError
from autocompose.poses.mocap import COLLECTIONS, detect_collection, fetch_collection, load_collection
from autocompose.poses.skeleton import joint_index
from tests.poses.io.bandai_rig import LEFT_ARM_UP, frame, write_bandai_bvh


def _bandai_copy(root):
    """A two-clip Bandai dataset-2 folder in the upstream layout."""
    ds = root / "dataset-2"
    (ds / "data").mkdir(parents=True)
    (ds / "cfg").mkdir()
    (ds / "cfg" / "content_label.txt").write_text("dataset-2_walk\ndataset-2_raise-up-left-hand")
    (ds / "cfg" / "style_label.txt").write_text("dataset-2_active\ndataset-2_elderly")
    for stem, content, style, rows in (
        ("dataset-2_walk_elderly_001", 0, 1, [frame(), frame()]),
        ("dataset-2_raise-up-left-hand_active_002", 1, 0, [frame(), frame(LEFT_ARM_UP)]),
    ):
        write_bandai_bvh(ds / "data" / f"{stem}.bvh", rows)
        (ds / "data" / f"{stem}.json").write_text(json.dumps({"content": content, "style": style}))
    return root


def test_collections_registry_has_licence_and_attribution():
    assert set(COLLECTIONS) == {"bandai-namco", "cmu-expmap", "deepmimic"}
    for info in COLLECTIONS.values():
        assert info.repository.startswith("https://github.com/") and info.licence and info.attribution and info.format


def test_load_collection_ids_labels_and_meta(tmp_path):
    root = _bandai_copy(tmp_path / "bandai")
    assert detect_collection(root) == "bandai-namco"
    seqs = load_collection(root, fps=60, progress=False)
    by_id = {s.id: s for s in seqs}
    clip = by_id["bandai-namco/dataset-2/dataset-2_raise-up-left-hand_active_002"]
    assert clip.subject == clip.id and clip.fps == 60 and len(clip) == 3  # 2 frames at 30 fps → 3 at 60
    assert clip.meta["collection"] == "bandai-namco" and clip.meta["content"] == "raise-up-left-hand"
    assert clip.meta["style"] == "active" and clip.meta["take"] == "002" and clip.meta["licence"] == "CC BY-NC 4.0"
    assert "Bandai Namco" in clip.meta["attribution"]
    assert by_id["bandai-namco/dataset-2/dataset-2_walk_elderly_001"].meta["style"] == "elderly"
    assert clip.joints[-1, joint_index("left_wrist"), 1] > clip.joints[-1, joint_index("head"), 1]


def test_bad_label_file_is_named(tmp_path):
    root = _bandai_copy(tmp_path / "bandai")
    (root / "dataset-2" / "data" / "dataset-2_walk_elderly_001.json").write_text('{"content": 7, "style": 0}')
    with pytest.raises(AutocomposeError, match=r"dataset-2_walk_elderly_001\.json.*content/style.*0\.\.1"):
        load_collection(root, progress=False)


def test_not_a_collection_says_how_to_get_one(tmp_path):
    with pytest.raises(AutocomposeError, match="autocompose poses fetch"):
        load_collection(tmp_path, progress=False)


def test_fetch_from_dir_is_complete_and_records_licence(tmp_path):
    source = _bandai_copy(tmp_path / "copy")
    dest = fetch_collection("bandai-namco", dest=tmp_path / "cache" / "bandai-namco", from_dir=source)
    card = json.loads((dest / "collection.json").read_text())
    assert card["licence"] == "CC BY-NC 4.0" and "Kobayashi" in card["attribution"] and card["files"] == 6
    assert len(load_collection(dest, progress=False)) == 2
    assert sorted(p.name for p in dest.parent.iterdir()) == ["bandai-namco"]


def _serve(payload: bytes | None):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if payload is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/archive.tar.gz"


def _upstream_archive(tmp_path) -> bytes:
    """A DeepMimic-like repository archive: only humanoid3d files are kept."""
    from tests.poses.io.test_deepmimic import _frame, _write_character, _write_motion

    repo = tmp_path / "repo"
    _write_character(repo / "data")
    _write_motion(repo / "data", [_frame(0.1), _frame(0.0)])
    _write_motion(repo / "data", [_frame(0.1), _frame(0.0)], "dog3d_walk.txt")
    (repo / "LICENSE").write_text("MIT")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(repo, arcname="DeepMimic-abc123")
    return buf.getvalue()


def test_fetch_downloads_archive_over_http(tmp_path):
    server, url = _serve(_upstream_archive(tmp_path))
    try:
        dest = fetch_collection("deepmimic", dest=tmp_path / "cache" / "deepmimic", url=url, timeout=10)
    finally:
        server.shutdown()
    assert sorted(p.name for p in (dest / "motions").iterdir()) == ["humanoid3d_test.txt"]
    assert json.loads((dest / "collection.json").read_text())["origin"] == url
    seqs = load_collection(dest, progress=False)
    assert [s.id for s in seqs] == ["deepmimic/humanoid3d_test"] and seqs[0].meta["licence"] == "MIT"


@pytest.mark.parametrize("payload", [None, b"not a tar archive"])
def test_failed_fetch_leaves_nothing_behind(tmp_path, payload):
    server, url = _serve(payload)
    cache = tmp_path / "cache"
    try:
        with pytest.raises((AutocomposeError, tarfile.TarError)) as info:
            fetch_collection("deepmimic", dest=cache / "deepmimic", url=url, timeout=10)
    finally:
        server.shutdown()
    if payload is None:
        assert "--from DIR" in str(info.value)
    assert list(cache.iterdir()) == []
