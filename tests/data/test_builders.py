"""Each benchmark builder on a small source tree in the real format, written here."""

from __future__ import annotations

import io
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autocompose.data import CPRDataset
from autocompose.data.build import BuildOptions, plot_differences, statistics
from autocompose.data.builders import build_aistpp, build_fixmypose, build_posefix
from autocompose.errors import AutocomposeError
from autocompose.pairs import MiningConfig
from tests.poses.test_io import _coco17_from

FAST = BuildOptions(annotators=("kinematic",), k=1, mining=MiningConfig(max_per_sequence=4))


# ------------------------------------------------------------------ AIST++
def _aist_tree(root: Path, library) -> list[str]:
    (root / "keypoints3d").mkdir(parents=True)
    names = []
    for i, seq in enumerate(library[:8]):
        name = f"gBR_sBM_cAll_d{i % 4 + 1:02d}_mBR{i}_ch0{i % 3 + 1}"
        kp = _coco17_from(seq.joints[::2]) * 100.0  # cm, y up
        (root / "keypoints3d" / f"{name}.pkl").write_bytes(pickle.dumps({"keypoints3d_optim": kp}))
        names.append(name)
    (root / "ignore_list.txt").write_text(names[-1] + "\n")
    (root / "splits").mkdir()
    for split, chunk in (("train", names[:4]), ("val", names[4:5]), ("test", names[5:7])):
        (root / "splits" / f"crossmodal_{split}.txt").write_text("\n".join(chunk) + "\n")
    return names


def test_aist_cpr_by_dancer_and_official_splits(tmp_path: Path, library):
    names = _aist_tree(tmp_path / "aist", library)
    ds = build_aistpp(tmp_path / "aist", FAST)
    seqs = set(ds.poses.sequence)
    assert seqs <= set(names[:-1]) and ds.card["build"]["sequences"] == 7  # ignore list honoured
    dancers = {s: {ds.poses.subject[ds.poses.index(p.ref)] for p in ds.split(s)} for s in ("train", "val", "test")}
    assert not (dancers["train"] & dancers["test"])
    official = build_aistpp(tmp_path / "aist", FAST, official=True)
    split_of = {p.split: set() for p in official.pairs}
    for p in official.pairs:
        split_of[p.split].add(official.poses.sequence[official.poses.index(p.ref)])
    assert split_of["test"] <= set(names[5:7]) and split_of["train"] <= set(names[:4])
    assert official.card["sources"][0]["name"] == "AIST++" and official.card["build"]["official_splits"]
    assert CPRDataset.load(official.save(tmp_path / "out")).pairs == official.pairs


def test_aist_cpr_missing_folder_says_what_is_needed(tmp_path: Path):
    with pytest.raises(AutocomposeError, match="keypoints3d/"):
        build_aistpp(tmp_path, FAST)


# ------------------------------------------------------------------ PoseFix
def _posefix_tree(root: Path, joints_root: Path, library) -> None:
    root.mkdir()
    info, seq_paths = {}, []
    for i, seq in enumerate(library[:6]):
        rel = f"CMU/{i // 2 + 1:02d}/{i:02d}_01_poses.npz"
        z_up = seq.joints[:, :22][..., [0, 2, 1]] * np.array([1, -1, 1])  # AMASS is z-up
        (joints_root / rel).parent.mkdir(parents=True, exist_ok=True)
        np.savez(joints_root / rel, joints=z_up, mocap_framerate=30.0)
        seq_paths.append(rel)
        for f in range(0, 60, 20):
            info[str(len(info))] = ["AMASS", rel, f]
    pairs = [[0, 1], [1, 2], [3, 4], [6, 7], [9, 10], [12, 13], [0, 3], [15, 16]]
    (root / "ids_2_dataset_sequence_and_frame_index_100k.json").write_text(json.dumps(info))
    (root / "pair_id_2_pose_ids.json").write_text(json.dumps(pairs))
    splits = {"train_in": [0, 1, 2, 3], "train_out": [6], "val_in": [4], "val_out": [], "test_in": [5, 7], "test_out": []}
    for name, ids in splits.items():
        (root / f"{name}_sequence_pair_ids.json").write_text(json.dumps(ids))
    (root / "posefix_human_6157.json").write_text(
        json.dumps({"5": "Raise your left arm.", "7": ["Bend the knees.", "Squat a bit."]})
    )
    (root / "posefix_auto_135305.json").write_text(json.dumps({str(i): [f"auto text {i}"] for i in range(8)}))


def test_posefix_cpr_keeps_pairs_splits_and_texts(tmp_path: Path, library):
    _posefix_tree(tmp_path / "posefix", tmp_path / "joints", library)
    ds = build_posefix(tmp_path / "posefix", FAST, joints_dir=tmp_path / "joints")
    assert {p.id: p.split for p in ds.pairs}["posefix-000005"] == "test"
    assert {p.id: p.kind for p in ds.pairs}["posefix-000006"] == "cross_sequence"
    assert ds.texts("human", "posefix-000007") == ["Bend the knees.", "Squat a bit."]
    assert ds.texts("posefix-auto", "posefix-000002") == ["auto text 2"]
    assert ds.card["queries"]["test"] == "human" and ds.card["descriptions"]["posefix-auto"]["kind"] == "rules"
    pose = ds.poses.index(ds.pairs[0].ref)
    np.testing.assert_allclose(ds.poses.joints[pose, :22], library[0].joints[0, :22], atol=1e-5)  # z-up turned to y-up
    assert len(ds.texts("kinematic", "posefix-000000", "mirrored")) == 1
    CPRDataset.load(ds.save(tmp_path / "out"))


def test_posefix_cpr_names_the_missing_joint_file(tmp_path: Path, library):
    _posefix_tree(tmp_path / "posefix", tmp_path / "joints", library)
    (tmp_path / "joints" / "CMU/01/00_01_poses.npz").unlink()
    with pytest.raises(AutocomposeError, match=r"CMU/01/00_01_poses"):
        build_posefix(tmp_path / "posefix", FAST, joints_dir=tmp_path / "joints")


# ------------------------------------------------------------------ FIXMYPOSE
def test_fixmypose_image_dataset_round_trips(tmp_path: Path):
    src = tmp_path / "fmp"
    (src / "imgs" / "room1").mkdir(parents=True)
    for i in range(6):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(src / "imgs" / "room1" / f"{i:03d}.png")
    img = lambda i: f"imgs/room1/{i:03d}.png"  # noqa: E731
    (src / "train_en.json").write_text(json.dumps([{"img0": img(0), "img1": img(1), "sents": ["move your arm up"]}]))
    (src / "valid_en.json").write_text(json.dumps([{"img0": img(2), "img1": img(3), "sents": "bend"}]))
    (src / "test_en.json").write_text(json.dumps([{"img0": img(4), "img1": img(5), "sents": ["turn left", "rotate"]}]))
    ds = build_fixmypose(src, FAST)
    assert ds.modality == "image" and sorted(p.split for p in ds.pairs) == ["test", "train", "val"]
    back = CPRDataset.load(ds.save(tmp_path / "out"))
    assert back.poses.joints is None
    test = back.split("test")[0]
    assert back.texts("human", test.id) == ["turn left", "rotate"]
    stored = Image.open(back.root / back.poses.image[back.poses.index(test.tgt)])
    assert stored.getpixel((0, 0)) == (200, 0, 0)
    (src / "test_en.json").write_text(json.dumps([{"a": 1}]))
    with pytest.raises(AutocomposeError, match=r"test_en\.json: record 0 has none of the keys"):
        build_fixmypose(src, FAST)


def test_statistics_and_histogram(tmp_path: Path, small_dataset):
    stats = statistics(small_dataset)
    assert stats["pairs"]["train"] == len(small_dataset.split("train"))
    assert 0.06 <= stats["difference_m"]["test"]["median"] <= 0.45  # inside the mining bounds
    png = plot_differences(small_dataset, tmp_path / "h.png")
    assert Image.open(png).size[0] > 300


FIXMYPOSE_REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixmypose"


def _real_image_names(files: list[Path]) -> set[str]:
    names = set()
    for f in files:
        for rec in json.loads(f.read_text()):
            names |= {Path(v).name for k, v in rec.items() if k.startswith(("img", "trg"))}
    return names


@pytest.mark.skipif(not (FIXMYPOSE_REAL / "valid_ret_NC.json").exists(), reason="needs ../shared/fixmypose beside the repo")
def test_fixmypose_real_release_with_stand_in_images(tmp_path: Path):
    files = sorted(FIXMYPOSE_REAL.glob("valid*_NC.json"))
    src = tmp_path / "fmp"
    (src / "annotations").mkdir(parents=True)
    for f in files:
        (src / "annotations" / f.name).write_bytes(f.read_bytes())
    names = sorted(_real_image_names(files))
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(buf, format="PNG")
    for i, name in enumerate(names):  # stand-ins, spread over sub-folders as an unzipped release would be
        folder = src / "images" / ("yoga" if i % 2 else "other")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(buf.getvalue())
    missing = names[7]
    kept = next(src.rglob(missing)).read_bytes()
    next(src.rglob(missing)).unlink()
    with pytest.raises(AutocomposeError, match=rf"1 images .*{re.escape(missing)} \(valid"):
        build_fixmypose(src, FAST)
    (src / "images" / "yoga" / missing).write_bytes(kept)

    ds = build_fixmypose(src, FAST)
    ret = json.loads((FIXMYPOSE_REAL / "valid_ret_NC.json").read_text())
    plain = sum(len(json.loads(f.read_text())) for f in files if "_ret" not in f.name)
    assert len(ds.pairs) == plain + len(ret) and {p.split for p in ds.pairs} == {"val"}
    assert sum(len(t["original"]) for t in ds.descriptions["human"].values()) == 4560  # the README's count
    gal = ds.galleries["val"]
    assert gal.candidates is not None and len(gal.candidates) == len(ret)
    # retrieval queries, in file order: target = trg{ans_idx}, candidates = trg0…trg9 (ids end with the file name)
    for pair, rec in zip([p for p in ds.pairs if p.id in gal.candidates], ret, strict=True):
        assert pair.tgt.endswith(Path(rec[f"trg{rec['ans_idx']}"]).stem)
        assert pair.ref.endswith(Path(rec["img0"]).stem)
        want = list(dict.fromkeys(Path(rec[f"trg{j}"]).stem for j in range(10)))
        assert [c.rsplit("-", 1)[1] for c in gal.candidates[pair.id]] == want
        assert ds.texts("human", pair.id) == rec["sents"]
    assert len(ds.poses.ids) == len(names)
    back = CPRDataset.load(ds.save(tmp_path / "out"))
    assert back.galleries["val"].candidates == gal.candidates
