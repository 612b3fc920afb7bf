"""AIST-CPR: composed-pose-retrieval pairs from AIST++ dance (``keypoints3d`` pickles).

Source layout (as downloaded from the AIST++ site)::

    SOURCE/keypoints3d/*.pkl              one COCO-17 3D pickle per sequence
    SOURCE/splits/crossmodal_{train,val,test}.txt   optional official split lists
    SOURCE/ignore_list.txt                optional sequences to skip (AIST++ marks bad fits)

Pairs are frames of the same dance (and, by the mining option, of other dances of the same
split), as in the paper. By default the split is by dancer (leak-free by subject);
``official_splits`` uses AIST++'s crossmodal lists instead — those are split by music, so a
dancer can appear in train and test. AIST++ has no human pair text: training text comes from
the annotators, and human test text, when you have it, is added from a CLIP4Cir caption file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from autocompose.data.build import BuildOptions, dataset_from_pairset
from autocompose.data.format import CPRDataset
from autocompose.errors import AutocomposeError
from autocompose.pairs.mining import mine_pairs
from autocompose.poses.io.aistpp import load_aistpp

_SPLIT_FILES = {"train": "crossmodal_train.txt", "val": "crossmodal_val.txt", "test": "crossmodal_test.txt"}


def _names(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def official_splits(source: Path) -> dict[str, str]:
    """Sequence name → split from ``splits/crossmodal_*.txt``."""
    out: dict[str, str] = {}
    for split, name in _SPLIT_FILES.items():
        path = source / "splits" / name
        if not path.exists():
            raise AutocomposeError(
                f"{path} not found: official AIST++ splits need splits/{name} (or build without --official-splits)"
            )
        out.update((n, split) for n in _names(path))
    return out


def build_aistpp(
    source: Path | None,
    options: BuildOptions,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    official: bool = False,
    limit: int | None = None,
) -> CPRDataset:
    """Load every keypoints3d pickle (minus the ignore list), mine pairs, describe, build galleries."""
    if source is None or not (source / "keypoints3d").is_dir():
        raise AutocomposeError(f"aist-cpr needs --source pointing at the AIST++ folder that holds keypoints3d/ (got {source})")
    ignore = set(_names(source / "ignore_list.txt"))
    files = sorted(p for p in (source / "keypoints3d").glob("*.pkl") if p.stem not in ignore)[:limit]
    if not files:
        raise AutocomposeError(f"{source / 'keypoints3d'} has no .pkl sequences (after the ignore list)")
    sequences = [load_aistpp(p) for p in tqdm(files, desc="load AIST++", unit="seq", disable=progress is None)]
    split_of = official_splits(source) if official else None
    pairset = mine_pairs(sequences, options.mining, split_of=split_of)
    card = {
        "description": "AIST-CPR: composed pose retrieval pairs from AIST++ dance sequences (keypoints3d).",
        "sources": [
            {
                "name": "AIST++",
                "url": "https://google.github.io/aistplusplus_dataset/",
                "licence": "CC BY 4.0",
                "path": str(source),
            }
        ],
        "licence": "CC BY 4.0 (AIST++ annotations); check the AIST Dance Video Database terms for the videos",
        "split_by": pairset.meta.get("split_by"),
        "build": {"builder": "aist-cpr", "official_splits": official, "sequences": len(sequences), "ignored": len(ignore)},
    }
    return dataset_from_pairset("aist-cpr", pairset, sequences, options, card, progress=progress)
