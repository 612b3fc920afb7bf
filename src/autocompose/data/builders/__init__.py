"""Benchmark builders by name: ``autocompose dataset build NAME --source PATH``."""

from __future__ import annotations

from autocompose.data.builders.aistpp import build_aistpp
from autocompose.data.builders.builtin import build_builtin
from autocompose.data.builders.custom import build_custom
from autocompose.data.builders.fixmypose import build_fixmypose
from autocompose.data.builders.mocap import build_mocap
from autocompose.data.builders.posefix import build_posefix

BUILDERS = {
    "builtin": build_builtin,
    "aist-cpr": build_aistpp,
    "posefix-cpr": build_posefix,
    "fixmypose": build_fixmypose,
    "mocap": build_mocap,
    "custom": build_custom,
}

__all__ = ["BUILDERS", "build_aistpp", "build_builtin", "build_custom", "build_fixmypose", "build_mocap", "build_posefix"]
