"""Render: pose → image on the CPU (single poses, labelled pairs, contact sheets)."""

from autocompose.render.raster import RenderStyle, render_pose, render_views
from autocompose.render.sheets import contact_sheet, render_pair

__all__ = ["RenderStyle", "contact_sheet", "render_pair", "render_pose", "render_views"]
