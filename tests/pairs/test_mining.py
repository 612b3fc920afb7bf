import numpy as np
import pytest
from pydantic import ValidationError

from autocompose.pairs import MiningConfig, PairSet, mine_pairs
from autocompose.poses.transforms import pose_difference


@pytest.fixture(scope="module")
def mined(library):
    cfg = MiningConfig(min_diff=0.08, max_diff=0.3, min_gap_s=0.5, max_gap_s=2.0, seed=5)
    return cfg, library, mine_pairs(library, cfg)


def test_bounds_are_respected(mined):
    cfg, library, ps = mined
    seqs = {s.id: s for s in library}
    assert len(ps) > 500
    for p, a, b, m in ps:
        assert cfg.min_diff <= p.difference <= cfg.max_diff
        assert abs(float(pose_difference(a, b, m)) - p.difference) < 1e-3  # stored poses match the record
        if p.kind == "in_sequence":
            gap = abs(p.tgt_frame - p.ref_frame) / seqs[p.ref_seq].fps
            assert cfg.min_gap_s - 1e-6 <= gap <= cfg.max_gap_s + 1e-6
            assert p.ref_seq == p.tgt_seq
            np.testing.assert_array_equal(b, seqs[p.tgt_seq].joints[p.tgt_frame])
        else:
            assert p.ref_seq != p.tgt_seq


def test_no_pair_crosses_splits(mined):
    _, library, ps = mined
    split_of = {sid: info["split"] for sid, info in ps.meta["sequences"].items()}
    kinds = {p.kind for p in ps.pairs}
    assert kinds == {"in_sequence", "cross_sequence"}
    for p in ps.pairs:
        assert split_of[p.ref_seq] == split_of[p.tgt_seq] == p.split
    subjects = {s.id: s.subject for s in library}
    test_subjects = {subjects[p.ref_seq] for p in ps.pairs if p.split == "test"}
    train_subjects = {subjects[p.ref_seq] for p in ps.pairs if p.split == "train"}
    assert not test_subjects & train_subjects


def test_cross_sequence_target_is_placed_at_the_reference(mined):
    _, _, ps = mined
    from autocompose.poses.transforms import facing_angle

    for p, a, b, _ in ps:
        if p.kind == "cross_sequence":
            np.testing.assert_allclose(a[0, [0, 2]], b[0, [0, 2]], atol=1e-4)
            assert abs(np.angle(np.exp(1j * (facing_angle(a) - facing_angle(b))))) < 1e-3


def test_mining_is_deterministic(library):
    cfg = MiningConfig(seed=9)
    a, b = mine_pairs(library[:20], cfg), mine_pairs(library[:20], cfg)
    assert a.pairs == b.pairs and np.array_equal(a.tgt, b.tgt)


def test_save_load_round_trip(mined, tmp_path):
    _, _, ps = mined
    ps.save(tmp_path / "p")
    back = PairSet.load(tmp_path / "p")
    assert back.pairs == ps.pairs and np.array_equal(back.ref, ps.ref) and back.meta["split_by"] == "subject"
    assert not list((tmp_path / "p").glob(".*"))  # no temporary files left behind


def test_invalid_config_is_explained():
    with pytest.raises(ValidationError, match="min_diff"):
        MiningConfig(min_diff=0.5, max_diff=0.2)
