import numpy as np
from PIL import Image

from autocompose.poses.transforms import mirror
from autocompose.render import RenderStyle, contact_sheet, render_pair, render_pose, render_views


def _ink(image: Image.Image, style: RenderStyle) -> np.ndarray:
    arr = np.asarray(image).astype(int)
    return np.abs(arr - np.array(style.background)).sum(-1) > 30


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Share of ink pixels of each mask within one pixel of the other's (rasters differ by ±1 px)."""

    def grow(m: np.ndarray) -> np.ndarray:
        out = m.copy()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                out |= np.roll(np.roll(m, dy, 0), dx, 1)
        return out

    return min((a & grow(b)).sum() / a.sum(), (b & grow(a)).sum() / b.sum())


def test_render_is_not_blank_and_has_the_requested_size(random_poses):
    style = RenderStyle(size=200)
    image = render_pose(random_poses[0], style=style)
    assert image.size == (200, 200)
    ink = _ink(image, style)
    assert 0.02 < ink.mean() < 0.5


def test_symmetric_pose_renders_mirror_symmetric(standing_pose):
    style = RenderStyle()
    ink = _ink(render_pose(standing_pose, style=style), style)
    assert _overlap(ink, ink[:, ::-1]) > 0.99
    assert _overlap(ink, np.roll(ink, 12, axis=1)) < 0.9  # the check can fail: a shifted figure does


def test_left_and_right_are_drawn_in_their_colours(standing_pose):
    style = RenderStyle()
    arr = np.asarray(render_pose(standing_pose, style=style)).astype(int)
    left = arr[..., 2] - arr[..., 0] > 60  # blue-ish (left limbs, possibly depth-faded)
    right = arr[..., 0] - arr[..., 2] > 60  # orange-ish (right limbs)
    assert left.sum() > 100 and right.sum() > 100
    cols = np.arange(arr.shape[1])
    # front view: the person's left appears on the image's right
    assert cols[left.any(0)].mean() > arr.shape[1] / 2 > cols[right.any(0)].mean()


def test_mirrored_render_is_the_flipped_image(random_poses):
    style = RenderStyle()
    pose = random_poses[3]
    a = _ink(render_pose(pose, style=style), style)
    b = _ink(render_pose(mirror(pose), style=style), style)
    assert _overlap(a, b[:, ::-1]) > 0.98


def test_pair_sheet_views_and_masks(random_poses):
    style = RenderStyle(size=128)
    mask = np.ones(23, bool)
    mask[[10, 11, 22]] = False
    pair = render_pair(random_poses[0], random_poses[1], ("front", "side"), style, caption="raise the left arm", mask=mask)
    assert pair.size[0] == 256 and pair.size[1] > 256
    assert render_views(random_poses[0], ("front", "side", "top"), style).size == (384, 128)
    sheet = contact_sheet([pair, pair, pair], columns=2)
    assert sheet.size[0] > 2 * 256
