"""Compositions for people and MLLMs: labelled A/B pairs (optionally mirrored) and contact sheets."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from autocompose.poses.transforms import mirror, mirror_mask
from autocompose.render.raster import RenderStyle, View, draw_pose, fit_frame


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def render_pair(
    a: np.ndarray,
    b: np.ndarray,
    views: Sequence[View] = ("front",),
    style: RenderStyle | None = None,
    mirrored: bool = False,
    labels: tuple[str, str] = ("A", "B"),
    caption: str | None = None,
    mask: np.ndarray | None = None,
) -> Image.Image:
    """Reference A and target B side by side at one shared scale, labelled; one row per view.

    ``mirrored`` flips both poses left-right (x → −x with left/right joints swapped), the
    AutoComPose mirror augmentation. A ``caption`` is wrapped under the panels.
    """
    style = style or RenderStyle()
    if mirrored:
        a, b = mirror(a), mirror(b)
        mask = None if mask is None else mirror_mask(mask)
    s = style.size
    cap_lines = textwrap.wrap(caption, width=max(20, int(2 * s / 7.2))) if caption else []
    cap_h = 8 + 17 * len(cap_lines) if cap_lines else 0
    image = Image.new("RGB", (2 * s, s * len(views) + cap_h), style.background)
    draw = ImageDraw.Draw(image)
    font = _font(max(12, s // 12))
    for row, view in enumerate(views):
        frame = fit_frame(np.stack([a, b]), view, style, mask)
        for col, pose in enumerate((a, b)):
            draw_pose(draw, pose, view, frame, style, offset=(col * s, row * s), mask=mask)
            if row == 0:
                draw.text((col * s + 8, 4), labels[col], fill=(20, 20, 20), font=font)
            if len(views) > 1 and col == 0:
                draw.text((col * s + 8, row * s + s - 18), view, fill=(120, 120, 120), font=_font(11))
        draw.line([(s, row * s + 6), (s, row * s + s - 6)], fill=(210, 205, 195), width=1)
    small = _font(13)
    for i, line in enumerate(cap_lines):
        draw.text((8, len(views) * s + 4 + 17 * i), line, fill=(30, 30, 30), font=small)
    return image


def render_row(
    cells: Sequence[Image.Image],
    caption: str = "",
    size: int = 150,
    labels: Sequence[str] = ("reference", "#1", "#2", "#3", "#4", "#5"),
) -> Image.Image:
    """Images in one labelled row with a wrapped caption underneath (e.g. a query and its results)."""
    lines = textwrap.wrap(caption, width=max(20, int(len(cells) * size / 7.2))) if caption else []
    image = Image.new("RGB", (len(cells) * size, size + (8 + 17 * len(lines) if lines else 0)), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for i, cell in enumerate(cells):
        image.paste(cell.resize((size, size)), (i * size, 0))
        if i < len(labels):
            draw.text((i * size + 6, 4), labels[i], fill=(20, 20, 20), font=_font(12))
    for i, line in enumerate(lines):
        draw.text((6, size + 4 + 17 * i), line, fill=(30, 30, 30), font=_font(13))
    return image


def contact_sheet(
    images: Sequence[Image.Image], columns: int = 3, background: tuple[int, int, int] = (255, 255, 255), gap: int = 8
) -> Image.Image:
    """Tile images in a grid (rows as tall as their tallest image)."""
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    columns = max(1, min(columns, len(images)))
    rows = [images[i : i + columns] for i in range(0, len(images), columns)]
    cell_w = max(im.width for im in images)
    heights = [max(im.height for im in row) for row in rows]
    sheet = Image.new("RGB", (columns * cell_w + (columns + 1) * gap, sum(heights) + (len(rows) + 1) * gap), background)
    y = gap
    for row, h in zip(rows, heights, strict=True):
        for c, im in enumerate(row):
            sheet.paste(im, (gap + c * (cell_w + gap), y))
        y += h + gap
    return sheet
