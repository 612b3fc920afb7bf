"""Fast stick-figure rasteriser (Pillow): thick limbs in depth order, a head, a floor line.

Views are orthographic. ``front``: the camera stands in front of the person (on +z when
they face +z) — the person's left appears on the image's right, as when facing someone.
``side``: the camera is on the person's right (-x), so they face to the image's right.
Left limbs are drawn blue, right limbs orange, the centre line grey; the nose is a dot
on the head so the facing direction is visible. Masked joints are not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from autocompose.poses.skeleton import BONES, NUM_JOINTS, SIDE, joint_index

View = Literal["front", "side", "top"]
Colour = tuple[int, int, int]

_HEAD, _NOSE, _NECK = joint_index("head"), joint_index("nose"), joint_index("neck")
_FEET = [joint_index(n) for n in ("left_foot", "right_foot", "left_ankle", "right_ankle")]
# The neck→head bone is drawn as the head circle; the head→nose bone as the nose dot.
_DRAWN_BONES = tuple((p, c) for p, c in BONES if c not in (_HEAD, _NOSE))


@dataclass(frozen=True)
class RenderStyle:
    """Look of a render; the defaults read well at 256×256."""

    size: int = 256
    background: Colour = (250, 250, 247)
    left: Colour = (38, 110, 200)
    right: Colour = (230, 120, 30)
    centre: Colour = (90, 90, 90)
    floor: Colour = (175, 170, 160)
    limb_width_m: float = 0.055  # limb thickness in metres (scales with the view)
    margin: float = 0.08  # fraction of the image kept empty around the figure
    depth_shading: float = 0.35  # how much far limbs fade towards the background


def _project(joints: np.ndarray, view: View) -> tuple[np.ndarray, np.ndarray]:
    """Image-plane coordinates (u right, v up) and depth (larger = nearer the camera)."""
    x, y, z = joints[:, 0], joints[:, 1], joints[:, 2]
    if view == "front":
        return np.stack([x, y], -1), z
    if view == "side":
        return np.stack([z, y], -1), -x
    if view == "top":
        return np.stack([x, -z], -1), y
    raise ValueError(f"unknown view {view!r}; use front, side or top")


@dataclass(frozen=True)
class Frame:
    """World→pixel mapping shared by several poses so they are drawn at one scale."""

    centre_u: float
    centre_v: float
    pixels_per_m: float
    floor_v: float | None


def fit_frame(poses: np.ndarray, view: View, style: RenderStyle, masks: np.ndarray | None = None) -> Frame:
    """A frame that fits all ``poses`` (``(N, J, 3)``) with the style's margin; at least 2 m tall."""
    poses = np.asarray(poses, dtype=np.float32).reshape(-1, NUM_JOINTS, 3)
    mask = np.ones(NUM_JOINTS, bool) if masks is None else np.asarray(masks, bool).reshape(-1, NUM_JOINTS).all(0)
    uv = np.concatenate([_project(p[mask], view)[0] for p in poses])
    lo, hi = uv.min(0), uv.max(0)
    floor = float(poses[:, :, 1].min()) if view != "top" else None
    span = max(float((hi - lo).max()) + 0.3, 2.0 if view != "top" else 1.2)
    return Frame(
        centre_u=float((lo[0] + hi[0]) / 2),
        centre_v=float((lo[1] + hi[1]) / 2),
        pixels_per_m=style.size * (1 - 2 * style.margin) / span,
        floor_v=floor,
    )


def _shade(colour: Colour, background: Colour, amount: float) -> Colour:
    return tuple(int(c + (b - c) * amount) for c, b in zip(colour, background, strict=True))  # type: ignore[return-value]


def draw_pose(
    draw: ImageDraw.ImageDraw,
    joints: np.ndarray,
    view: View,
    frame: Frame,
    style: RenderStyle,
    offset: tuple[int, int] = (0, 0),
    mask: np.ndarray | None = None,
    size: tuple[int, int] | None = None,
) -> None:
    """Draw one pose into ``draw`` at ``offset`` within a panel of ``size`` pixels."""
    w, h = size or (style.size, style.size)
    uv, depth = _project(np.asarray(joints, dtype=np.float32), view)
    px = np.empty_like(uv)
    # pixel centres run 0..w-1, so the panel's mirror axis is (w - 1) / 2
    px[:, 0] = offset[0] + (w - 1) / 2 + (uv[:, 0] - frame.centre_u) * frame.pixels_per_m
    px[:, 1] = offset[1] + (h - 1) / 2 - (uv[:, 1] - frame.centre_v) * frame.pixels_per_m
    ok = np.ones(NUM_JOINTS, bool) if mask is None else np.asarray(mask, bool)
    width = max(2, round(style.limb_width_m * frame.pixels_per_m))
    if frame.floor_v is not None:
        fy = offset[1] + (h - 1) / 2 - (frame.floor_v - frame.centre_v) * frame.pixels_per_m
        draw.line([(offset[0] + 0.06 * w, fy + width / 2), (offset[0] + 0.94 * w, fy + width / 2)], fill=style.floor, width=2)
    dmin, dmax = float(depth.min()), float(depth.max())
    drange = max(dmax - dmin, 1e-6)
    items = []
    for p, c in _DRAWN_BONES:
        if ok[p] and ok[c]:
            items.append(((depth[p] + depth[c]) / 2, p, c))
    if ok[_HEAD]:
        items.append((depth[_HEAD], _HEAD, -1))
    items.sort()  # far first
    for d, p, c in items:
        fade = style.depth_shading * (dmax - d) / drange
        if c < 0:  # the head, with the neck and the nose dot
            r = 0.11 * frame.pixels_per_m
            hx, hy = px[_HEAD]
            colour = _shade(style.centre, style.background, fade)
            if ok[_NECK]:
                draw.line([tuple(px[_NECK]), (hx, hy)], fill=colour, width=width)
            draw.ellipse(
                [hx - r, hy - r, hx + r, hy + r],
                fill=_shade((235, 225, 210), style.background, fade),
                outline=colour,
                width=max(2, width // 2),
            )
            if ok[_NOSE]:
                nx, ny = px[_NOSE]
                nx, ny = hx + (nx - hx) * 0.85, hy + (ny - hy) * 0.85
                nr = max(2.0, 0.025 * frame.pixels_per_m)
                draw.ellipse([nx - nr, ny - nr, nx + nr, ny + nr], fill=colour)
            continue
        side = SIDE[c]
        colour = style.left if side > 0 else style.right if side < 0 else style.centre
        colour = _shade(colour, style.background, fade)
        a, b = tuple(px[p]), tuple(px[c])
        draw.line([a, b], fill=colour, width=width)
        r = width / 2
        for x, y in (a, b):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)


def render_pose(
    joints: np.ndarray,
    view: View = "front",
    style: RenderStyle | None = None,
    mask: np.ndarray | None = None,
    frame: Frame | None = None,
) -> Image.Image:
    """Render one pose ``(J, 3)`` to a square RGB image."""
    style = style or RenderStyle()
    joints = np.asarray(joints, dtype=np.float32)
    if joints.shape != (NUM_JOINTS, 3):
        raise ValueError(f"render_pose expects joints of shape ({NUM_JOINTS}, 3), got {joints.shape}")
    image = Image.new("RGB", (style.size, style.size), style.background)
    frame = frame or fit_frame(joints[None], view, style, mask)
    draw_pose(ImageDraw.Draw(image), joints, view, frame, style, mask=mask)
    return image


def render_views(
    joints: np.ndarray,
    views: tuple[View, ...] = ("front", "side"),
    style: RenderStyle | None = None,
    mask: np.ndarray | None = None,
) -> Image.Image:
    """Several views of one pose side by side."""
    style = style or RenderStyle()
    panels = [render_pose(joints, v, style, mask) for v in views]
    out = Image.new("RGB", (style.size * len(panels), style.size), style.background)
    for i, p in enumerate(panels):
        out.paste(p, (i * style.size, 0))
    return out
