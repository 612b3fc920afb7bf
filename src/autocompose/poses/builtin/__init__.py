"""The built-in motion library: procedural, anatomically limited human motion (licence-free)."""

from autocompose.poses.builtin.library import LIBRARY_VERSION, SUBJECTS, builtin_library, motion_names

__all__ = ["LIBRARY_VERSION", "SUBJECTS", "builtin_library", "motion_names"]
