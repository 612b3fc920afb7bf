"""Versioned prompt templates, the request images, and the JSON schema the answer must match."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from autocompose.describe.base import Variant
from autocompose.describe.variants import variant_poses
from autocompose.poses.skeleton import BODY_PART_NAMES
from autocompose.render import RenderStyle, render_pair
from autocompose.render.raster import View

DEFAULT_PROMPT = "v1"


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: str

    def render(self, k: int, views: tuple[str, ...]) -> tuple[str, str]:
        parts = ", ".join(p.replace("_", " ") for p in BODY_PART_NAMES)
        return self.system, self.user.format(k=k, parts=parts, views=", ".join(views))


def load_prompt(version: str = DEFAULT_PROMPT) -> PromptTemplate:
    """Read ``prompts/{version}.txt`` (a file shipped with the package)."""
    try:
        text = resources.files("autocompose.describe.mllm").joinpath("prompts", f"{version}.txt").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValueError(f"unknown prompt version {version!r} (no prompts/{version}.txt in autocompose.describe.mllm)") from exc
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        # lines before the first section are comments
    if set(sections) != {"system", "user"}:
        raise ValueError(f"prompt {version}: needs exactly '## system' and '## user' sections, found {sorted(sections)}")
    return PromptTemplate(version, "\n".join(sections["system"]).strip(), "\n".join(sections["user"]).strip())


def answer_schema(k: int) -> dict[str, Any]:
    """JSON schema for structured output (servers that support ``response_format: json_schema``)."""
    return {
        "type": "object",
        "properties": {
            "parts": {
                "type": "object",
                "properties": {p: {"type": "string"} for p in BODY_PART_NAMES},
                "required": list(BODY_PART_NAMES),
            },
            "instructions": {"type": "array", "items": {"type": "string"}, "minItems": k, "maxItems": k},
        },
        "required": ["parts", "instructions"],
    }


def request_image(
    a: np.ndarray,
    b: np.ndarray,
    variant: Variant,
    views: tuple[View, ...] = ("front",),
    size: int = 336,
    mask: np.ndarray | None = None,
) -> bytes:
    """PNG of the pair as the MLLM sees it: A | B; mirrored variants flip both, reversed ones swap them."""
    a, b, mask = variant_poses(a, b, mask, variant)
    image = render_pair(a, b, views, RenderStyle(size=size), mask=mask)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # level 1: encoding dominated the per-request cost
    return buf.getvalue()


def messages_for(template: PromptTemplate, k: int, views: tuple[str, ...], png: bytes) -> list[dict[str, Any]]:
    """OpenAI chat messages: system text, then the user text with the image as a base64 data URL."""
    system, user = template.render(k, views)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": [{"type": "text", "text": user}, {"type": "image_url", "image_url": {"url": url}}]},
    ]
