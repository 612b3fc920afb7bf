"""A parametric human body driven by named joint angles, with joint limits and FK.

Angles are in degrees. Limb directions use a swing parametrisation that reads like a
coach's instructions: ``*_elev`` is how far a limb is raised from hanging straight down
(0 = down, 90 = horizontal, 180 = straight up) and ``*_azim`` the direction it is raised
in (0 = forward, 90 = out to the side, negative = across the body). A limb swung
*backwards* takes a negative elevation with azimuth 0, never azimuth 180: flipping the
azimuth would also turn the limb's own frame, so a bent elbow or knee would suddenly
point the other way. Backward raises are limited to 35° for the hip; the arm's range
runs on past straight up (180°) to -180° so arm circles stay continuous.
Conventions match ``poses.skeleton``: metres, y up, facing +z, left = +x.

Degrees of freedom (``DOF_LIMITS`` gives the range each is clipped to):
  root   ``tx tz`` (m), ``lift`` (m, airborne height), ``yaw`` (turn left +), ``pitch``
         (tilt forward +), ``roll`` (lean left +)
  spine  ``spine_flex`` (bend forward +), ``spine_lat`` (bend left +), ``spine_twist``
         (upper body turns left +), spread over three vertebra joints
  neck   ``neck_flex`` (look down +), ``neck_lat`` (tilt left +), ``neck_rot`` (turn left +)
  per side ``l_``/``r_``: ``sh_elev sh_azim sh_twist elbow hip_elev hip_azim hip_twist knee ankle``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from autocompose.poses.skeleton import NUM_JOINTS, joint_index

SIDES = ("l", "r")
LIMB_DOFS = ("sh_elev", "sh_azim", "sh_twist", "elbow", "hip_elev", "hip_azim", "hip_twist", "knee", "ankle")

#: Anatomical range of motion (degrees; metres for translations) each DOF is clipped to.
DOF_LIMITS: dict[str, tuple[float, float]] = {
    "tx": (-50.0, 50.0),
    "tz": (-50.0, 50.0),
    "lift": (0.0, 1.0),
    "yaw": (-1e4, 1e4),
    "pitch": (-30.0, 90.0),
    "roll": (-30.0, 30.0),
    "spine_flex": (-30.0, 95.0),
    "spine_lat": (-40.0, 40.0),
    "spine_twist": (-50.0, 50.0),
    "neck_flex": (-50.0, 60.0),
    "neck_lat": (-40.0, 40.0),
    "neck_rot": (-75.0, 75.0),
    **{
        f"{s}_{d}": lim
        for s in SIDES
        for d, lim in {
            "sh_elev": (-180.0, 180.0),
            "sh_azim": (-60.0, 180.0),
            "sh_twist": (-90.0, 90.0),
            "elbow": (0.0, 150.0),
            "hip_elev": (-35.0, 125.0),
            "hip_azim": (-40.0, 120.0),
            "hip_twist": (-40.0, 40.0),
            "knee": (0.0, 150.0),
            "ankle": (-30.0, 50.0),
        }.items()
    },
}
DOF_NAMES: tuple[str, ...] = tuple(DOF_LIMITS)


def hip_elevation_limit(azim: np.ndarray) -> np.ndarray:
    """Maximum thigh elevation for a raise direction: 125° forward, 70° sideways, 45° at 120°."""
    a = np.clip(np.abs(np.asarray(azim, dtype=np.float64)), 0, 120)
    return np.interp(a, [0.0, 90.0, 120.0], [125.0, 70.0, 45.0])


def clip_to_limits(dofs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Clip every DOF to its range (hip elevation also to its direction-dependent limit)."""
    out = {k: np.clip(np.asarray(v, dtype=np.float64), *DOF_LIMITS[k]) for k, v in dofs.items()}
    for s in SIDES:
        if f"{s}_hip_elev" in out:
            azim = out.get(f"{s}_hip_azim", np.zeros_like(out[f"{s}_hip_elev"]))
            out[f"{s}_hip_elev"] = np.minimum(out[f"{s}_hip_elev"], hip_elevation_limit(azim))
    return out


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths of one subject, in metres (derived from height and proportions)."""

    height: float = 1.72
    hip_half_width: float = 0.095
    shoulder_half_width: float = 0.19
    thigh: float = 0.42
    shin: float = 0.42
    upper_arm: float = 0.29
    forearm: float = 0.26

    @staticmethod
    def from_height(height: float, build: float = 0.0, arm_ratio: float = 1.0, leg_ratio: float = 1.0) -> BodyShape:
        """Typical adult proportions; ``build`` in [-1, 1] narrows/widens hips and shoulders."""
        return BodyShape(
            height=height,
            hip_half_width=0.055 * height * (1 + 0.08 * build),
            shoulder_half_width=0.112 * height * (1 + 0.08 * build),
            thigh=0.245 * height * leg_ratio,
            shin=0.246 * height * leg_ratio,
            upper_arm=0.172 * height * arm_ratio,
            forearm=0.150 * height * arm_ratio,
        )


def _rx(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _ry(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _rz(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def _apply(rot: np.ndarray, vec: np.ndarray) -> np.ndarray:
    return np.einsum("tij,...j->ti", rot, vec) if vec.ndim == 1 else np.einsum("tij,tj->ti", rot, vec)


def _swing(elev: np.ndarray, azim: np.ndarray, twist: np.ndarray, side: str) -> np.ndarray:
    """Limb rotation: raise ``elev`` degrees in direction ``azim``, then twist about the limb."""
    sign = 1.0 if side == "l" else -1.0
    return _ry(sign * azim) @ _rx(-elev) @ _ry(sign * twist)


def forward_kinematics(dofs: Mapping[str, np.ndarray], shape: BodyShape, grounded: bool = True) -> np.ndarray:
    """Canonical joints ``(T, J, 3)`` for DOF curves (missing DOFs are 0; clipped to limits).

    With ``grounded`` the body is lifted so the lowest foot point touches y = 0, plus
    ``lift`` (for jumps).
    """
    t = len(next(iter(dofs.values())))
    d = clip_to_limits({k: dofs.get(k, np.zeros(t)) for k in DOF_NAMES})
    h = shape.height
    out = np.zeros((t, NUM_JOINTS, 3))
    put = lambda name, value: out.__setitem__((slice(None), joint_index(name)), value)  # noqa: E731
    get = lambda name: out[:, joint_index(name)]  # noqa: E731

    root_rot = _ry(d["yaw"]) @ _rx(d["pitch"]) @ _rz(-d["roll"])
    put("pelvis", np.stack([d["tx"], np.full(t, 0.55 * h), d["tz"]], -1))
    spine_rot = _ry(d["spine_twist"] / 3) @ _rx(d["spine_flex"] / 3) @ _rz(-d["spine_lat"] / 3)
    g = root_rot
    for name, rise in (("spine1", 0.065), ("spine2", 0.08), ("spine3", 0.07)):
        parent = "pelvis" if name == "spine1" else f"spine{int(name[-1]) - 1}"
        put(name, get(parent) + _apply(g, np.array([0.0, rise * h, 0.0])))
        g = g @ spine_rot
    chest = g
    put("neck", get("spine3") + _apply(chest, np.array([0.0, 0.125 * h, -0.01 * h])))
    head_rot = chest @ _ry(d["neck_rot"]) @ _rx(d["neck_flex"]) @ _rz(-d["neck_lat"])
    put("head", get("neck") + _apply(head_rot, np.array([0.0, 0.075 * h, 0.01 * h])))
    put("nose", get("head") + _apply(head_rot, np.array([0.0, -0.01 * h, 0.06 * h])))
    for s, sign, name in (("l", 1.0, "left"), ("r", -1.0, "right")):
        put(f"{name}_collar", get("spine3") + _apply(chest, np.array([sign * 0.02 * h, 0.1 * h, -0.005 * h])))
        put(
            f"{name}_shoulder",
            get(f"{name}_collar")
            + _apply(chest, np.array([sign * (shape.shoulder_half_width - 0.02 * h), -0.01 * h, -0.005 * h])),
        )
        upper = chest @ _swing(d[f"{s}_sh_elev"], d[f"{s}_sh_azim"], d[f"{s}_sh_twist"], s)
        put(f"{name}_elbow", get(f"{name}_shoulder") + _apply(upper, np.array([0.0, -shape.upper_arm, 0.0])))
        fore = upper @ _rx(-d[f"{s}_elbow"])
        put(f"{name}_wrist", get(f"{name}_elbow") + _apply(fore, np.array([0.0, -shape.forearm, 0.0])))
        put(f"{name}_hip", get("pelvis") + _apply(root_rot, np.array([sign * shape.hip_half_width, -0.02 * h, 0.0])))
        thigh = root_rot @ _swing(d[f"{s}_hip_elev"], d[f"{s}_hip_azim"], d[f"{s}_hip_twist"], s)
        put(f"{name}_knee", get(f"{name}_hip") + _apply(thigh, np.array([0.0, -shape.thigh, 0.0])))
        shin = thigh @ _rx(d[f"{s}_knee"])
        put(f"{name}_ankle", get(f"{name}_knee") + _apply(shin, np.array([0.0, -shape.shin, 0.0])))
        foot = shin @ _rx(d[f"{s}_ankle"])
        put(f"{name}_foot", get(f"{name}_ankle") + _apply(foot, np.array([0.0, -0.035 * h, 0.075 * h])))
    if grounded:
        ankle_height = 0.039 * h
        lowest = np.min(
            np.stack(
                [
                    get("left_foot")[:, 1],
                    get("right_foot")[:, 1],
                    get("left_ankle")[:, 1] - ankle_height,
                    get("right_ankle")[:, 1] - ankle_height,
                ],
                -1,
            ),
            -1,
        )
        out[..., 1] += (d["lift"] - lowest)[:, None]
    return out.astype(np.float32)
