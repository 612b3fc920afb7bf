"""Typed errors raised by the library; only the CLI turns them into exit codes."""

from __future__ import annotations

from pathlib import Path


class AutocomposeError(Exception):
    """Base class of every error the library raises on purpose."""


class PoseFormatError(AutocomposeError, ValueError):
    """A pose file or array is malformed.

    The message always names the file (or array), the field, what was expected and
    what was found, so the user can fix the input without reading our code.
    """

    def __init__(self, source: str | Path, field: str, expected: str, found: str) -> None:
        self.source = str(source)
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"{self.source}: field '{field}': expected {expected}, found {found}")
