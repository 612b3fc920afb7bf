"""PoseFixCPR: PoseFix's pose pairs (AMASS poses) with its human and automatic modifiers.

Source layout (the PoseFix release, unzipped)::

    SOURCE/ids_2_dataset_sequence_and_frame_index_100k.json   pose id → [dataset, sequence path, frame]
    SOURCE/pair_id_2_pose_ids.json                             pair id (list index) → [pose A, pose B]
    SOURCE/{train,val,test}_{in,out}_sequence_pair_ids.json    pair ids per split and kind
    SOURCE/posefix_human_*.json        {pair id: text or [texts]}   human modifiers  → source "human"
    SOURCE/posefix_auto_*.json         {pair id: [texts]}           PoseFix rules    → source "posefix-auto"
    SOURCE/posefix_paraphrases_*.json  {pair id: [texts]}           LLM paraphrases  → source "posefix-paraphrases"

Joints come from AMASS, which ships SMPL parameters, not joints: compute joints with the SMPL-H
body model (e.g. PoseFix's own ``compute_coords`` step or ``human_body_prior``) and save one
``.npz`` per AMASS sequence with a ``joints`` array ``(T, 22+, 3)`` under ``--joints DIR`` at the
same relative path as the AMASS file (``DIR/CMU/10/10_05_poses.npz``). Frames index the AMASS
sequence as stored. PoseFix's own splits are used (they are by sequence); pairs are not re-mined.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from autocompose.data.build import BuildOptions, dataset_from_pairset
from autocompose.data.format import SPLIT_NAMES, CPRDataset, Descriptions
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import place_like
from autocompose.pairs.pairset import Pair, PairSet
from autocompose.poses.io.smpl import load_smpl_joints
from autocompose.poses.sequence import PoseSequence
from autocompose.poses.transforms import pose_difference

POSE_INFO = "ids_2_dataset_sequence_and_frame_index_100k.json"
PAIR_POSES = "pair_id_2_pose_ids.json"
TEXT_SOURCES = {"posefix_human_": "human", "posefix_auto_": "posefix-auto", "posefix_paraphrases_": "posefix-paraphrases"}


def _read(path: Path) -> Any:
    if not path.exists():
        raise AutocomposeError(f"{path} not found: posefix-cpr needs the unzipped PoseFix release as --source")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise AutocomposeError(f"{path}: invalid JSON at line {exc.lineno} ({exc.msg})") from exc


def _joint_file(joints_dir: Path, seq_path: str) -> Path:
    tried = [joints_dir / seq_path, (joints_dir / seq_path).with_suffix(".npz"), (joints_dir / seq_path).with_suffix(".npy")]
    for p in tried:
        if p.exists():
            return p
    raise AutocomposeError(
        f"no joints for AMASS sequence {seq_path!r}; looked for {', '.join(map(str, tried))} — "
        "save the SMPL-H joints of each AMASS sequence there (see `autocompose dataset build --help`)"
    )


def read_texts(source: Path) -> Descriptions:
    """Every PoseFix text file found, as description sources (original variant only)."""
    out: Descriptions = {}
    for prefix, name in TEXT_SOURCES.items():
        for path in sorted(source.glob(f"{prefix}*.json")):
            for pid, texts in _read(path).items():
                texts = [texts] if isinstance(texts, str) else list(texts)
                out.setdefault(name, {}).setdefault(f"posefix-{int(pid):06d}", {}).setdefault("original", []).extend(texts)
    return out


def build_posefix(
    source: Path | None,
    options: BuildOptions,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    joints_dir: Path | None = None,
) -> CPRDataset:
    """PoseFix pairs and texts, joints from ``joints_dir``, plus our offline annotators."""
    if source is None:
        raise AutocomposeError("posefix-cpr needs --source (the PoseFix release folder)")
    if joints_dir is None:
        raise AutocomposeError("posefix-cpr needs --joints: a folder of AMASS-derived joint files (see --help)")
    pose_info: dict[str, list[Any]] = _read(source / POSE_INFO)
    pair_poses: list[list[int]] = _read(source / PAIR_POSES)
    sequences: dict[str, PoseSequence] = {}

    def pose(pid: int) -> tuple[PoseSequence, int]:
        try:
            _, seq_path, frame = pose_info[str(pid)]
        except (KeyError, ValueError) as exc:
            raise AutocomposeError(f"{source / POSE_INFO}: pose {pid} missing or not [dataset, sequence, frame]") from exc
        if seq_path not in sequences:
            seq = load_smpl_joints(_joint_file(joints_dir, seq_path))
            parts = Path(seq_path).parts
            sequences[seq_path] = PoseSequence(
                id=seq_path,
                subject="/".join(parts[:2]),
                fps=seq.fps,
                joints=seq.joints,
                source=seq.source,
                joint_mask=seq.joint_mask,
                meta=seq.meta,
            )
        seq = sequences[seq_path]
        if not 0 <= int(frame) < len(seq):
            raise AutocomposeError(f"pose {pid}: frame {frame} is outside {seq_path} ({len(seq)} frames in {seq.source})")
        return seq, int(frame)

    pairs, refs, tgts, masks = [], [], [], []
    for split in SPLIT_NAMES:
        for kind in ("in", "out"):
            for pair_id in _read(source / f"{split}_{kind}_sequence_pair_ids.json"):
                (sa, fa), (sb, fb) = (pose(x) for x in pair_poses[int(pair_id)])
                a, b = sa.joints[fa], sb.joints[fb]
                if kind == "out":
                    b = place_like(b, a)
                mask = sa.joint_mask & sb.joint_mask
                diff = float(pose_difference(a, b, mask))
                pairs.append(
                    Pair(
                        f"posefix-{int(pair_id):06d}",
                        split,
                        "in_sequence" if kind == "in" else "cross_sequence",
                        sa.id,
                        fa,
                        sb.id,
                        fb,
                        round(diff, 5),
                    )
                )
                refs.append(a)
                tgts.append(b)
                masks.append(mask)
    if not pairs:
        raise AutocomposeError(f"{source}: the split files list no pairs")
    pairset = PairSet(pairs, np.stack(refs).astype(np.float32), np.stack(tgts).astype(np.float32), np.stack(masks))
    card = {
        "description": "PoseFixCPR: PoseFix pose pairs (AMASS) with human, PoseFix-automatic and autocompose descriptions.",
        "sources": [
            {
                "name": "PoseFix",
                "url": "https://europe.naverlabs.com/research/computer-vision/posefix/",
                "licence": "CC BY-NC-SA 4.0",
                "path": str(source),
            },
            {
                "name": "AMASS",
                "url": "https://amass.is.tue.mpg.de/",
                "licence": "AMASS licence (non-commercial research)",
                "path": str(joints_dir),
            },
        ],
        "licence": "CC BY-NC-SA 4.0 and the AMASS licence: non-commercial research only",
        "split_by": "PoseFix splits (by sequence)",
        "build": {"builder": "posefix-cpr"},
    }
    texts = read_texts(source)
    known = {p.id for p in pairs}
    texts = {s: {pid: v for pid, v in recs.items() if pid in known} for s, recs in texts.items()}
    return dataset_from_pairset("posefix-cpr", pairset, list(sequences.values()), options, card, texts, progress)
