"""The public real motion-capture collections: what they are, how to fetch and load them.

Three collections are known (``COLLECTIONS``): the Bandai-Namco Research Motiondataset
(BVH), the CMU subset in exponential-map text used by human-motion prediction, and the
DeepMimic keyframe clips. ``fetch_collection`` puts one into the user cache (downloaded
from its upstream GitHub repository, or copied from a local folder), atomically, with its
licence and attribution in ``collection.json``; ``load_collection`` reads a collection
folder into canonical ``PoseSequence`` s at one frame rate, with stable ids and labels.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

from autocompose.errors import AutocomposeError, PoseFormatError
from autocompose.poses.io.bvh import load_bvh
from autocompose.poses.io.cmu_expmap import load_cmu_expmap
from autocompose.poses.io.deepmimic import default_character, load_deepmimic
from autocompose.poses.io.timeline import face_forward_at_start, resample_uniform
from autocompose.poses.sequence import PoseSequence

#: Name of the card written beside fetched data.
CARD_NAME = "collection.json"


@dataclass(frozen=True)
class MocapCollection:
    """One public collection: where it lives upstream, its licence and its format.

    ``files`` lists ``(upstream path prefix, local path prefix, file-name pattern)``: the
    upstream files under the prefix whose names match the pattern are stored under the
    local prefix (the layout ``load_collection`` reads, same as ``../shared/mocap``).
    """

    name: str
    title: str
    repository: str
    files: tuple[tuple[str, str, str], ...]
    licence: str
    licence_summary: str
    attribution: str
    format: str
    native_fps: str

    @property
    def archive_url(self) -> str:
        """The repository's default-branch source archive (a tar.gz from GitHub)."""
        return f"{self.repository}/archive/HEAD.tar.gz"

    def card(self) -> dict[str, object]:
        """What ``collection.json`` records: everything above plus the archive URL."""
        return {**asdict(self), "archive_url": self.archive_url}


COLLECTIONS: Mapping[str, MocapCollection] = MappingProxyType(
    {
        "bandai-namco": MocapCollection(
            name="bandai-namco",
            title="Bandai-Namco Research Motiondataset 1 and 2",
            repository="https://github.com/BandaiNamcoResearchInc/Bandai-Namco-Research-Motiondataset",
            files=(
                ("dataset/Bandai-Namco-Research-Motiondataset-1/", "dataset-1/", "*"),
                ("dataset/Bandai-Namco-Research-Motiondataset-2/", "dataset-2/", "*"),
            ),
            licence="CC BY-NC 4.0",
            licence_summary="Share and adapt with attribution; non-commercial use only.",
            attribution=(
                'Bandai Namco Research Inc., "Motion Capture Dataset for Practical Use of AI-based Motion Editing '
                'and Stylization" (Kobayashi et al., 2023, arXiv 2306.08861), CC BY-NC 4.0.'
            ),
            format=(
                "BVH at 30 fps, 22-joint rig (joint_Root, Hips, Spine, Chest, Neck, Head, Shoulder_L, UpperArm_L, "
                "LowerArm_L, Hand_L, UpperLeg_L, LowerLeg_L, Foot_L, Toes_L, same _R), cm; a .json of content/style "
                "label ids per clip, names in cfg/content_label.txt and cfg/style_label.txt"
            ),
            native_fps="30",
        ),
        "cmu-expmap": MocapCollection(
            name="cmu-expmap",
            title="CMU Graphics Lab Motion Capture Database, human-motion-prediction subset",
            repository="https://github.com/chaneyddtt/Convolutional-Sequence-to-Sequence-Model-for-Human-Dynamics",
            files=(("data/cmu_mocap/train/", "train/", "*.txt"), ("data/cmu_mocap/test/", "test/", "*.txt")),
            licence="CMU mocap terms (data); MIT (upstream code)",
            licence_summary=(
                "Free for use in research projects; may be included in commercially-sold products, but not resold directly."
            ),
            attribution="CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu), funded by NSF EIA-0196217.",
            format=(
                "CSV text at 120 Hz, one frame per line: root position (3) + exponential maps of the 38-node CMU ASF "
                "skeleton (114); train/ and test/ by action"
            ),
            native_fps="120",
        ),
        "deepmimic": MocapCollection(
            name="deepmimic",
            title="DeepMimic humanoid3d motion clips",
            repository="https://github.com/xbpeng/DeepMimic",
            files=(
                ("data/motions/", "motions/", "humanoid3d_*.txt"),
                ("data/characters/", "characters/", "humanoid3d.txt"),
                ("LICENSE", "LICENSE", "LICENSE"),
            ),
            licence="MIT",
            licence_summary="Use, copy, modify and distribute with the copyright and permission notice.",
            attribution="X. B. Peng et al., DeepMimic (SIGGRAPH 2018), MIT.",
            format=(
                "JSON keyframes with variable durations: root position + quaternion, then per joint a quaternion "
                "(spherical) or an angle (knees, elbows), on the 15-joint character characters/humanoid3d.txt"
            ),
            native_fps="variable (about 30)",
        ),
    }
)


# ---------------------------------------------------------------------------- detection


def _is_bandai_dataset(folder: Path) -> bool:
    return (folder / "cfg" / "content_label.txt").is_file() and any((folder / "data").glob("*.bvh"))


def _bandai_datasets(root: Path) -> list[Path]:
    if _is_bandai_dataset(root):
        return [root]
    return sorted(d for d in root.iterdir() if d.is_dir() and _is_bandai_dataset(d)) if root.is_dir() else []


def _cmu_files(root: Path) -> list[Path]:
    return sorted(p for split in ("train", "test") for p in (root / split).glob("*/*.txt"))


def _deepmimic_files(root: Path) -> list[Path]:
    return sorted((root / "motions").glob("humanoid3d_*.txt"))


def detect_collection(root: str | Path) -> str:
    """Which collection ``root`` holds (by its ``collection.json``, else by its layout)."""
    root = Path(root)
    card = root / CARD_NAME
    if card.is_file():
        try:
            name = json.loads(card.read_text()).get("name")
        except (OSError, json.JSONDecodeError, AttributeError):
            name = None
        if name in COLLECTIONS:
            return str(name)
    if _bandai_datasets(root):
        return "bandai-namco"
    if _cmu_files(root):
        return "cmu-expmap"
    if _deepmimic_files(root):
        return "deepmimic"
    raise AutocomposeError(
        f"{root}: not a motion-capture collection folder (expected dataset-*/data/*.bvh + cfg/ for bandai-namco, "
        f"train|test/<action>/*.txt for cmu-expmap, motions/humanoid3d_*.txt for deepmimic); "
        f"get one with `autocompose poses fetch NAME`"
    )


def find_collections(root: str | Path) -> dict[str, Path]:
    """Collections in ``root`` itself or in its direct subfolders (e.g. ``../shared/mocap``)."""
    root = Path(root)
    try:
        return {detect_collection(root): root}
    except AutocomposeError:
        pass
    found: dict[str, Path] = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        try:
            found.setdefault(detect_collection(sub), sub)
        except AutocomposeError:
            continue
    return found


# ---------------------------------------------------------------------------- loading


def _labels(path: Path, dataset: str) -> list[str]:
    prefix = f"{dataset}_"
    return [ln.strip().removeprefix(prefix) for ln in path.read_text().splitlines() if ln.strip()]


def _bandai_jobs(root: Path) -> list[tuple[str, Path, dict[str, object]]]:
    jobs = []
    for ds in _bandai_datasets(root):
        name = ds.name
        contents, styles = _labels(ds / "cfg" / "content_label.txt", name), _labels(ds / "cfg" / "style_label.txt", name)
        for bvh in sorted((ds / "data").glob("*.bvh")):
            label_file = bvh.with_suffix(".json")
            try:
                ids = json.loads(label_file.read_text())
                content, style = contents[int(ids["content"])], styles[int(ids["style"])]
            except FileNotFoundError:
                raise PoseFormatError(label_file, "file", "the clip's label file beside the BVH", "no such file") from None
            except json.JSONDecodeError as exc:
                raise PoseFormatError(label_file, f"line {exc.lineno}", "valid JSON", exc.msg) from None
            except (KeyError, ValueError, TypeError, IndexError):
                raise PoseFormatError(
                    label_file,
                    "content/style",
                    f"integer ids into cfg/content_label.txt (0..{len(contents) - 1}) and cfg/style_label.txt "
                    f"(0..{len(styles) - 1})",
                    label_file.read_text()[:80],
                ) from None
            take = bvh.stem.rsplit("_", 1)[-1]
            meta = {"dataset": name, "content": content, "style": style, "take": take}
            jobs.append((f"bandai-namco/{name}/{bvh.stem}", bvh, meta))
    return jobs


def _cmu_jobs(root: Path) -> list[tuple[str, Path, dict[str, object]]]:
    jobs = []
    for p in _cmu_files(root):
        split, action = p.parent.parent.name, p.parent.name
        jobs.append(
            (f"cmu-expmap/{split}/{action}/{p.stem}", p, {"split": split, "content": action, "style": None, "take": p.stem})
        )
    return jobs


def _deepmimic_jobs(root: Path) -> list[tuple[str, Path, dict[str, object]]]:
    return [
        (f"deepmimic/{p.stem}", p, {"content": p.stem.removeprefix("humanoid3d_"), "style": None, "take": p.stem})
        for p in _deepmimic_files(root)
    ]


_JOBS: dict[str, Callable[[Path], list[tuple[str, Path, dict[str, object]]]]] = {
    "bandai-namco": _bandai_jobs,
    "cmu-expmap": _cmu_jobs,
    "deepmimic": _deepmimic_jobs,
}


def load_collection_file(name: str, path: str | Path, fps: float = 30.0) -> PoseSequence:
    """Load one file of collection ``name`` at ``fps`` (no labels; see ``load_collection``)."""
    path = Path(path)
    if name == "bandai-namco":
        seq = load_bvh(path, mapping="bandai", scale=0.01, up="+y")
        joints, yaw = face_forward_at_start(resample_uniform(path, seq.joints, seq.fps, fps))
        meta = {**seq.meta, "unit": "cm", "source_fps": seq.fps, "removed_yaw_deg": round(math.degrees(yaw), 2)}
        return seq.with_joints(joints, fps=float(fps), meta=meta)
    if name == "cmu-expmap":
        return load_cmu_expmap(path, fps)
    if name == "deepmimic":
        return load_deepmimic(path, fps, default_character(path))
    raise AutocomposeError(f"unknown collection {name!r}; known: {', '.join(COLLECTIONS)}")


def _load_job(args: tuple[str, str, Path, dict[str, object], float]) -> PoseSequence:
    name, seq_id, path, labels, fps = args
    seq = load_collection_file(name, path, fps)
    info = COLLECTIONS[name]
    meta = {
        **seq.meta,
        "collection": name,
        **labels,
        "licence": info.licence,
        "attribution": info.attribution,
    }
    return seq.with_joints(seq.joints, id=seq_id, subject=seq_id, meta=meta)


def load_collection(
    root: str | Path,
    fps: float = 30.0,
    *,
    progress: bool = True,
    name: str | None = None,
    workers: int | None = None,
) -> list[PoseSequence]:
    """Load every clip of a collection folder as canonical sequences at ``fps``.

    ``root`` is a collection folder (``detect_collection``; or say which with ``name``), one
    Bandai dataset folder, or a folder holding several collections (all are loaded). Each
    sequence gets a stable unique ``id`` (``bandai-namco/dataset-2/<clip>``,
    ``cmu-expmap/<split>/<action>/<file>``, ``deepmimic/<clip>``), ``subject`` = that id
    (performers are not identified per clip), and ``meta`` with ``collection``,
    ``content``, ``style`` (Bandai only, else ``None``), ``take``, ``licence`` and
    ``attribution``. ``workers`` processes load files in parallel (default: up to 2).
    """
    root = Path(root)
    if not root.exists():
        raise AutocomposeError(f"{root}: no such folder; get a collection with `autocompose poses fetch NAME`")
    if name is not None:
        if name not in COLLECTIONS:
            raise AutocomposeError(f"unknown collection {name!r}; known: {', '.join(COLLECTIONS)}")
        found = {name: root}
    else:
        found = find_collections(root)
        if not found:
            detect_collection(root)  # raises the explanatory error
    jobs = [(n, seq_id, path, labels, float(fps)) for n, folder in found.items() for seq_id, path, labels in _JOBS[n](folder)]
    if not jobs:
        raise AutocomposeError(f"{root}: no clips of {', '.join(found)} found")
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc=f"loading {', '.join(found)}", unit="clip", disable=not progress)
    try:
        if workers <= 1 or len(jobs) < 8:
            out = []
            for job in jobs:
                out.append(_load_job(job))
                bar.update()
        else:
            with ProcessPoolExecutor(workers) as pool:
                out = []
                for seq in pool.map(_load_job, jobs, chunksize=8):
                    out.append(seq)
                    bar.update()
    finally:
        bar.close()
    return out


# ---------------------------------------------------------------------------- fetching


def cache_root() -> Path:
    """``$AUTOCOMPOSE_CACHE/mocap`` (default ``~/.cache/autocompose/mocap``), beside ``real-sample/``."""
    return Path(os.environ.get("AUTOCOMPOSE_CACHE", Path.home() / ".cache" / "autocompose")) / "mocap"


def _local_name(info: MocapCollection, rel: str) -> str | None:
    """Where an upstream file (path relative to the repository root) goes, or ``None``."""
    for upstream, local, pattern in info.files:
        if rel == upstream or (upstream.endswith("/") and rel.startswith(upstream)):
            if fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pattern):
                return local + rel[len(upstream) :] if upstream.endswith("/") else local
    return None


def _copy_tree(info: MocapCollection, source: Path, staging: Path) -> int:
    """Copy a local copy (upstream repository layout, or already the collection layout)."""
    if info.name not in find_collections(source):
        raise AutocomposeError(f"{source}: does not look like a {info.name} folder (layout: {info.format})")
    found = find_collections(source)[info.name]
    count = 0
    for path in sorted(found.rglob("*")):
        if path.is_file() and path.name != CARD_NAME:
            target = staging / path.relative_to(found)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            count += 1
    return count


def _download(info: MocapCollection, staging: Path, url: str, timeout: float) -> int:
    """Stream the repository's source archive and extract only the collection's files."""
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except (urllib.error.URLError, OSError) as exc:
        raise AutocomposeError(
            f"could not download {info.name} from {url} ({exc}); offline? pass a local copy with "
            f"`autocompose poses fetch {info.name} --from DIR`"
        ) from exc
    count = 0
    with response, tarfile.open(fileobj=response, mode="r|gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            rel = member.name.split("/", 1)[1] if "/" in member.name else member.name  # drop "<repo>-<ref>/"
            local = _local_name(info, rel)
            if local is None or ".." in Path(local).parts:
                continue
            data = tar.extractfile(member)
            if data is None:
                continue
            target = staging / local
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                shutil.copyfileobj(data, out)
            count += 1
    return count


def fetch_collection(
    name: str,
    dest: str | Path | None = None,
    from_dir: str | Path | None = None,
    *,
    url: str | None = None,
    timeout: float = 60.0,
    force: bool = False,
) -> Path:
    """Put collection ``name`` into ``dest`` (default ``cache_root()/name``) and return it.

    With ``from_dir`` the files are copied from a local copy (the upstream repository or a
    collection folder such as ``../shared/mocap/deepmimic``); otherwise the upstream
    source archive is downloaded (``url`` overrides it, e.g. for a mirror). Everything is
    written into a temporary folder beside ``dest`` that replaces it only when complete,
    so a failure or Ctrl-C leaves no half-written collection. ``collection.json`` records
    the licence, attribution and origin. An existing complete copy is kept unless ``force``.
    """
    if name not in COLLECTIONS:
        raise AutocomposeError(f"unknown collection {name!r}; known: {', '.join(COLLECTIONS)}")
    info = COLLECTIONS[name]
    dest = Path(dest) if dest is not None else cache_root() / name
    if (dest / CARD_NAME).is_file() and not force:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        if from_dir is not None:
            source = Path(from_dir)
            if not source.is_dir():
                raise AutocomposeError(f"{source}: --from must be an existing folder holding a copy of {name}")
            count = _copy_tree(info, source, staging)
            origin = str(source.resolve())
        else:
            origin = url or info.archive_url
            count = _download(info, staging, origin, timeout)
        if count == 0 or name not in find_collections(staging):
            raise AutocomposeError(f"{origin}: held no {name} files in the expected layout ({info.format})")
        card = {**info.card(), "origin": origin, "files": count}
        (staging / CARD_NAME).write_text(json.dumps(card, indent=2) + "\n")
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            dest.rename(old)
        staging.rename(dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest
