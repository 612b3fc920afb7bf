"""CMU motion capture as exponential-map CSV text (the human-motion-prediction subset).

Format (as specified by ``reference/forward_kinematics_cmu.py`` and ``data_utils_cmu.py``
beside the data, read as a spec): one frame per line, 117 comma-separated numbers at
120 Hz — the root position (x, y, z) then one exponential map (axis × angle, radians) for each of the 38 nodes of the CMU ASF
skeleton below, in node order. Node ``i`` sits at ``p_parent + offset_i · G_parent`` and
turns its children by ``G_i = R_i · G_parent`` (row-vector convention, ``R_i`` from
Rodrigues' formula). Offsets are in ASF length units (1/0.45 inch = 5.6444 cm); the root
position uses the same unit, so poses come out in metres after one scale. The spec's
plotting code multiplies the offsets by 70 and drops the root translation; we keep the
two consistent instead, and read the root position in file order (x, y, z): the spec's
``fkl`` reverses it, which would make runners travel sideways (travel is along +z, the
facing direction of the rest pose). The first line of every upstream file is a rest pose
(zero rotations, root position copied from line 2) and is skipped (``_is_rest_line``).
y is up and the rest pose faces +z with the left leg at +x, so
no axis change is needed.

Note: the spec's skeleton has a zero-length thorax, so CMU torsos are ~12 cm shorter
(pelvis → neck ≈ 0.32 m) than the full ASF; the canonical mapping keeps the spec.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.io.derive import assemble
from autocompose.poses.io.orient import UNIT_SCALES
from autocompose.poses.io.timeline import blend, face_forward_at_start, needed_frames
from autocompose.poses.sequence import PoseSequence

#: Native frame rate of the files.
CMU_FPS = 120.0

#: ASF length unit in metres.
CMU_UNIT_M = UNIT_SCALES["cmu"]

#: The 38 nodes of the spec's kinematic tree: (name, parent index, offset in ASF units).
#: A node is named after the ASF bone it rotates; ``*_end`` nodes only carry a position.
CMU_NODES: tuple[tuple[str, int, tuple[float, float, float]], ...] = (
    ("root", -1, (0.0, 0.0, 0.0)),
    ("lhipjoint", 0, (0.0, 0.0, 0.0)),
    ("lfemur", 1, (1.65674, -1.80282, 0.62477)),
    ("ltibia", 2, (2.5972, -7.13576, 0.0)),
    ("lfoot", 3, (2.49236, -6.8477, 0.0)),
    ("ltoes", 4, (0.19704, -0.54136, 2.14581)),
    ("ltoes_end", 5, (0.0, 0.0, 1.11249)),
    ("rhipjoint", 0, (0.0, 0.0, 0.0)),
    ("rfemur", 7, (-1.6107, -1.80282, 0.62476)),
    ("rtibia", 8, (-2.59502, -7.12977, 0.0)),
    ("rfoot", 9, (-2.4678, -6.78024, 0.0)),
    ("rtoes", 10, (-0.23024, -0.63258, 2.13368)),
    ("rtoes_end", 11, (0.0, 0.0, 1.11569)),
    ("lowerback", 0, (0.0, 0.0, 0.0)),
    ("upperback", 13, (0.01961, 2.0545, -0.14112)),
    ("thorax", 14, (0.01021, 2.06436, -0.05921)),
    ("lowerneck", 15, (0.0, 0.0, 0.0)),
    ("upperneck", 16, (0.00713, 1.56711, 0.14968)),
    ("head", 17, (0.03429, 1.56041, -0.10006)),
    ("head_end", 18, (0.01305, 1.6256, -0.05265)),
    ("lclavicle", 15, (0.0, 0.0, 0.0)),
    ("lhumerus", 20, (3.54205, 0.90436, -0.17364)),
    ("lradius", 21, (4.86513, 0.0, 0.0)),
    ("lwrist", 22, (3.35554, 0.0, 0.0)),
    ("lhand", 23, (0.0, 0.0, 0.0)),
    ("lfingers", 24, (0.66117, 0.0, 0.0)),
    ("lfingers_end", 25, (0.53306, 0.0, 0.0)),
    ("lthumb", 23, (0.0, 0.0, 0.0)),
    ("lthumb_end", 27, (0.5412, 0.0, 0.5412)),
    ("rclavicle", 15, (0.0, 0.0, 0.0)),
    ("rhumerus", 29, (-3.49802, 0.75994, -0.32616)),
    ("rradius", 30, (-5.02649, 0.0, 0.0)),
    ("rwrist", 31, (-3.36431, 0.0, 0.0)),
    ("rhand", 32, (0.0, 0.0, 0.0)),
    ("rfingers", 33, (-0.73041, 0.0, 0.0)),
    ("rfingers_end", 34, (-0.58887, 0.0, 0.0)),
    ("rthumb", 32, (0.0, 0.0, 0.0)),
    ("rthumb_end", 36, (-0.59786, 0.0, 0.59786)),
)
CMU_NODE_NAMES: tuple[str, ...] = tuple(n for n, _, _ in CMU_NODES)
CMU_VALUES = 3 + 3 * len(CMU_NODES)  # 117

#: Canonical joint → CMU node whose position it takes (head: see ``_HEAD``).
CMU_TO_CANONICAL: dict[str, str] = {
    "pelvis": "root",
    "left_hip": "lfemur",
    "left_knee": "ltibia",
    "left_ankle": "lfoot",
    "left_foot": "ltoes",
    "right_hip": "rfemur",
    "right_knee": "rtibia",
    "right_ankle": "rfoot",
    "right_foot": "rtoes",
    "spine1": "upperback",
    "spine3": "thorax",
    "neck": "upperneck",
    "left_shoulder": "lhumerus",
    "left_elbow": "lradius",
    "left_wrist": "lwrist",
    "right_shoulder": "rhumerus",
    "right_elbow": "rradius",
    "right_wrist": "rwrist",
}
#: The canonical head is the centre of the head: midway along the ASF head bone.
_HEAD = ("head", "head_end")


def value_name(column: int) -> str:
    """Human name of a value column, for error messages (``lfemur expmap[1]``)."""
    if column < 3:
        return f"root position[{column}]"
    node, k = divmod(column - 3, 3)
    return f"{CMU_NODE_NAMES[node]} expmap[{k}]" if node < len(CMU_NODES) else f"column {column}"


def read_expmap_csv(path: str | Path) -> np.ndarray:
    """The ``(T, 117)`` values of a file; errors name the line and the value."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise PoseFormatError(path, "file", "a readable CMU exponential-map text file", str(exc)) from exc
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise PoseFormatError(path, "frames", f"at least one line of {CMU_VALUES} comma-separated numbers", "an empty file")
    try:
        values = np.loadtxt(lines, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError:
        values = None
    if values is None or values.shape[1] != CMU_VALUES:
        for number, line in enumerate(lines, 1):
            cells = line.split(",")
            if len(cells) != CMU_VALUES:
                raise PoseFormatError(
                    path,
                    f"line {number}",
                    f"{CMU_VALUES} comma-separated values (3 root position + 38 × 3 expmap)",
                    f"{len(cells)} values (file truncated?)",
                )
            for col, cell in enumerate(cells):
                try:
                    float(cell)
                except ValueError:
                    raise PoseFormatError(path, f"line {number}, {value_name(col)}", "a number", repr(cell.strip())) from None
        raise PoseFormatError(path, "frames", f"{CMU_VALUES} numbers per line", "unreadable lines")  # pragma: no cover
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise PoseFormatError(path, f"line {row + 1}, {value_name(col)}", "a finite number", str(values[row, col]))
    return values


def expmap_to_matrix(r: np.ndarray) -> np.ndarray:
    """Rodrigues' formula for ``(..., 3)`` axis-angle vectors → ``(..., 3, 3)`` rotations."""
    theta = np.linalg.norm(r, axis=-1, keepdims=True)
    k = r / np.maximum(theta, np.finfo(np.float32).eps)
    x, y, z = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(x)
    skew = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1), np.stack([-y, x, zero], -1)], -2)
    s, c = np.sin(theta)[..., None], np.cos(theta)[..., None]
    return np.eye(3) + s * skew + (1.0 - c) * (skew @ skew)


def expmap_forward_kinematics(values: np.ndarray) -> np.ndarray:
    """World positions ``(T, 38, 3)`` in metres of every node, from ``(T, 117)`` values."""
    t = values.shape[0]
    root = values[:, :3]
    rot = expmap_to_matrix(values[:, 3:].reshape(t, len(CMU_NODES), 3))
    pos = np.zeros((t, len(CMU_NODES), 3))
    glob = np.zeros((t, len(CMU_NODES), 3, 3))
    for i, (_, parent, offset) in enumerate(CMU_NODES):
        if parent < 0:
            pos[:, i] = root + np.asarray(offset)
            glob[:, i] = rot[:, i]
        else:
            pos[:, i] = pos[:, parent] + np.einsum("j,tjk->tk", np.asarray(offset), glob[:, parent])
            glob[:, i] = rot[:, i] @ glob[:, parent]
    return pos * CMU_UNIT_M


def _is_rest_line(values: np.ndarray) -> bool:
    """Upstream files start with a rest pose: zero root rotation, then a jump in most values."""
    if len(values) < 2 or np.any(values[0, 3:6]):
        return False
    changed = np.count_nonzero(np.abs(values[1, 3:] - values[0, 3:]) > 1e-6)
    return bool(changed > (CMU_VALUES - 3) // 2 and np.count_nonzero(values[0, 3:]) <= 12)


def load_cmu_expmap(path: str | Path, fps: float = 30.0, subject: str | None = None) -> PoseSequence:
    """Load one CMU exponential-map file, resampled from 120 Hz to ``fps``, facing +z at frame 0."""
    path = Path(path)
    if not (np.isfinite(fps) and fps > 0):
        raise PoseFormatError(path, "fps", "a positive frame rate to resample to", repr(fps))
    values = read_expmap_csv(path)
    skipped = _is_rest_line(values)
    if skipped:
        values = values[1:]
    frames, pairs, w = needed_frames(np.arange(len(values)) / CMU_FPS, fps)
    world = blend(expmap_forward_kinematics(values[frames]), pairs, w)
    index = {n: i for i, n in enumerate(CMU_NODE_NAMES)}
    named = {canon: world[:, index[node]] for canon, node in CMU_TO_CANONICAL.items()}
    named["head"] = 0.5 * (world[:, index[_HEAD[0]]] + world[:, index[_HEAD[1]]])
    joints, mask, derived = assemble(path, named)
    joints, yaw = face_forward_at_start(joints)
    return PoseSequence(
        id=path.stem,
        subject=subject,
        fps=float(fps),
        joints=joints,
        source=str(path),
        joint_mask=mask,
        meta={
            "format": "cmu-expmap",
            "unit": "cmu",
            "scale": CMU_UNIT_M,
            "up_axis": "+y",
            "source_fps": CMU_FPS,
            "source_frames": len(values),
            "skipped_rest_line": skipped,
            "removed_yaw_deg": round(float(np.degrees(yaw)), 2),
            "derived": list(derived),
        },
    )
