"""Resampling joint positions onto a common frame rate, and facing +z at a clip's start.

Shared by the motion-capture loaders whose sources run at other rates (CMU at 120 Hz) or
with variable frame durations (DeepMimic keyframes), so every collection arrives at one fps.

Resampling is done on **joint positions after forward kinematics**, linearly between the
two source frames around each output time. At the collections' rates (≥ 30 Hz source,
30 fps output) this differs from slerping the rotations by well under a millimetre of
bone-length change per frame, and it keeps one code path for every format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autocompose.errors import PoseFormatError
from autocompose.poses.transforms import facing_angle, rotate_y


def output_times(duration_s: float, fps: float) -> np.ndarray:
    """Times ``0, 1/fps, …`` up to and including ``duration_s`` (at least one frame)."""
    n = int(np.floor(duration_s * fps + 1e-3)) + 1  # tolerate rounded frame times (BVH 0.0333333)
    return np.arange(n, dtype=np.float64) / fps


def bracket(source_times: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output time: the source frames before/after it and the blend weight.

    ``source_times`` must be non-decreasing; output times beyond it are clamped.
    """
    idx = np.searchsorted(source_times, times, side="right") - 1
    idx = np.clip(idx, 0, len(source_times) - 1)
    nxt = np.minimum(idx + 1, len(source_times) - 1)
    span = source_times[nxt] - source_times[idx]
    w = np.where(span > 0, (times - source_times[idx]) / np.where(span > 0, span, 1.0), 0.0)
    return idx, nxt, np.clip(w, 0.0, 1.0)


def needed_frames(source_times: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct source frames a resample to ``fps`` reads, and how to blend them.

    Returns ``(frames, pairs, w)``: ``frames`` are the sorted source frame indices to run
    forward kinematics on, ``pairs`` ``(N, 2)`` index into ``frames``, ``w`` ``(N,)`` is
    the weight of the second. Skipping the frames that are
    never read makes 120 Hz → 30 fps four times cheaper.
    """
    times = output_times(float(source_times[-1] - source_times[0]), fps) + source_times[0]
    lo, hi, w = bracket(source_times, times)
    frames, inverse = np.unique(np.concatenate([lo, hi]), return_inverse=True)
    pairs = inverse.reshape(2, -1).T
    return frames, pairs, w


def blend(positions: np.ndarray, pairs: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Linear blend of ``positions[pairs[:, 0]]`` and ``positions[pairs[:, 1]]`` by ``w``."""
    a, b = positions[pairs[:, 0]], positions[pairs[:, 1]]
    return (a + (b - a) * w[:, None, None]).astype(np.float32)


def resample_uniform(source: str | Path, joints: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Resample ``(T, J, 3)`` joints recorded at ``fps_in`` to ``fps_out`` (linear)."""
    if not (np.isfinite(fps_out) and fps_out > 0):
        raise PoseFormatError(source, "fps", "a positive frame rate to resample to", repr(fps_out))
    if abs(fps_in - fps_out) < 1e-3 * fps_out:  # BVH frame times are rounded (0.0333333)
        return joints
    frames, pairs, w = needed_frames(np.arange(len(joints)) / fps_in, fps_out)
    return blend(joints[frames], pairs, w)


def face_forward_at_start(joints: np.ndarray) -> tuple[np.ndarray, float]:
    """Turn a clip about the vertical axis through its first pelvis so frame 0 faces +z.

    Returns the turned joints and the removed yaw (radians). The pelvis keeps its height
    and its horizontal start position; the rest of the clip moves rigidly with frame 0.
    """
    yaw = float(facing_angle(joints[0]))
    pivot = joints[0, 0].copy()
    pivot[1] = 0.0
    turned = rotate_y(joints - pivot, -yaw) + pivot
    return turned.astype(np.float32), yaw
