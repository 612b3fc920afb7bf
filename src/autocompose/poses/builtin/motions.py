"""Motion recipes: keyframed and cyclic joint-angle curves for everyday, fitness and dance moves.

A recipe is a function ``(MotionContext) -> dict[str, np.ndarray]`` of DOF curves (see
``body``); ``library`` runs every recipe for every subject with that subject's tempo,
amplitude and handedness, adds small smooth sway and clips to joint limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Pose = Mapping[str, float]

#: Relaxed standing: arms hanging slightly away from the body, elbows a little bent.
STAND: dict[str, float] = {
    "l_sh_elev": 8.0,
    "r_sh_elev": 8.0,
    "l_sh_azim": 80.0,
    "r_sh_azim": 80.0,
    "l_elbow": 12.0,
    "r_elbow": 12.0,
    "l_hip_elev": 3.0,
    "r_hip_elev": 3.0,
    "l_hip_azim": 90.0,
    "r_hip_azim": 90.0,
    "l_knee": 3.0,
    "r_knee": 3.0,
}

_NEGATE_ON_MIRROR = ("yaw", "roll", "tx", "spine_lat", "spine_twist", "neck_lat", "neck_rot")


def mirror_pose(pose: Pose) -> dict[str, float]:
    """The same pose done with the other side (l_ ↔ r_, lateral angles negated)."""
    out: dict[str, float] = {}
    for k, v in pose.items():
        if k.startswith("l_"):
            out["r_" + k[2:]] = v
        elif k.startswith("r_"):
            out["l_" + k[2:]] = v
        else:
            out[k] = -v if k in _NEGATE_ON_MIRROR else v
    return out


@dataclass(frozen=True)
class MotionContext:
    """What a recipe may vary on: frame rate, subject style and a seeded generator."""

    fps: float
    tempo: float  # > 1 is faster
    amplitude: float  # scales how far limbs move away from rest
    lead: str  # "l" or "r": the side a one-sided move starts with
    rng: np.random.Generator

    def seconds(self, s: float) -> float:
        return s / self.tempo

    def jitter(self, value: float, spread: float) -> float:
        return float(value + self.rng.uniform(-spread, spread))

    def side(self, pose: Pose) -> dict[str, float]:
        """``pose`` as written for the left side, turned to this subject's lead side."""
        return dict(pose) if self.lead == "l" else mirror_pose(pose)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * x * (x * (6 * x - 15) + 10)  # minimum-jerk-like easing


def keyframes(ctx: MotionContext, keys: Sequence[tuple[float, Pose]], base: Pose = STAND) -> dict[str, np.ndarray]:
    """Ease between key poses at the given seconds (each key completes ``base``).

    A key's amplitude is scaled by ``ctx.amplitude`` relative to ``base``; times are
    divided by ``ctx.tempo``.
    """
    times = np.array([ctx.seconds(t) for t, _ in keys])
    n = round(times[-1] * ctx.fps) + 1
    clock = np.arange(n) / ctx.fps
    names = sorted(set(base) | {k for _, p in keys for k in p})
    out = {}
    for name in names:
        b = base.get(name, 0.0)
        values = np.array(
            [b + (p.get(name, b) - b) * (ctx.amplitude if name not in ("yaw", "tx", "tz") else 1.0) for _, p in keys]
        )
        idx = np.clip(np.searchsorted(times, clock, side="right") - 1, 0, len(times) - 2)
        span = np.maximum(times[idx + 1] - times[idx], 1e-9)
        frac = _smoothstep(np.clip((clock - times[idx]) / span, 0, 1))
        out[name] = values[idx] + (values[idx + 1] - values[idx]) * frac
    return out


def repeat(keys: Sequence[tuple[float, Pose]], times: int, period: float) -> list[tuple[float, Pose]]:
    """Repeat a key list (times relative to 0) ``times`` times, one every ``period`` seconds."""
    return [(t + i * period, p) for i in range(times) for t, p in keys]


def alternate(ctx: MotionContext, pose: Pose, reps: int, period: float, rest: Pose = STAND) -> list[tuple[float, Pose]]:
    """Do ``pose`` with the lead side, back to ``rest``, then the other side, ``reps`` times."""
    first = ctx.side(pose)
    second = mirror_pose(first)
    keys: list[tuple[float, Pose]] = [(0.0, rest)]
    for i in range(reps):
        t0 = i * 2 * period
        keys += [(t0 + 0.45 * period, first), (t0 + period, rest), (t0 + 1.45 * period, second), (t0 + 2 * period, rest)]
    return keys


# ---------------------------------------------------------------- everyday
def walk(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Walk forward, turn around, walk back, with opposite arm swing."""
    dur = ctx.seconds(ctx.jitter(9.0, 1.0))
    n = int(dur * ctx.fps)
    t = np.arange(n) / ctx.fps
    freq = 0.9 * ctx.tempo
    phase = 2 * np.pi * freq * t
    stride = 0.65 * ctx.amplitude
    turn_at = n // 2
    yaw = np.where(np.arange(n) < turn_at, 0.0, 180.0)
    turn = slice(turn_at - int(0.6 * ctx.fps), turn_at + int(0.6 * ctx.fps))
    yaw[turn] = np.linspace(0, 180, len(yaw[turn]))
    speed = np.where(np.abs(np.gradient(yaw)) > 1e-6, 0.15, 1.0) * stride * freq * 2
    heading = np.radians(yaw)
    d: dict[str, np.ndarray] = {
        "yaw": yaw,
        "tz": np.cumsum(speed * np.cos(heading)) / ctx.fps,
        "tx": np.cumsum(speed * np.sin(heading)) / ctx.fps,
    }
    for s, off in (("l", 0.0), ("r", np.pi)):
        d[f"{s}_hip_elev"] = 25 * ctx.amplitude * np.sin(phase + off)  # negative: swung back
        d[f"{s}_hip_azim"] = np.full(n, 5.0)
        d[f"{s}_knee"] = 8 + 45 * ctx.amplitude * np.clip(np.sin(phase + off - 1.2), 0, None) ** 2
        d[f"{s}_sh_elev"] = 3 - 20 * ctx.amplitude * np.sin(phase + off)
        d[f"{s}_sh_azim"] = np.full(n, 15.0)
        d[f"{s}_elbow"] = 15 + 10 * np.clip(np.sin(phase + off + np.pi), 0, None)
    d["spine_twist"] = 5 * np.sin(phase)
    d["spine_flex"] = np.full(n, 4.0)
    return d


def wave(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Raise one hand and wave hello, then wave with both hands."""
    up = ctx.side({"l_sh_elev": 150, "l_sh_azim": 70, "l_elbow": 35, "neck_rot": 10})
    keys: list[tuple[float, Pose]] = [(0.0, STAND), (0.8, up)]
    for i in range(4):
        keys.append((1.1 + 0.3 * i, {**up, ("l_sh_azim" if ctx.lead == "l" else "r_sh_azim"): 70 + (25 if i % 2 else -10)}))
    both = {"l_sh_elev": 160, "r_sh_elev": 160, "l_sh_azim": 60, "r_sh_azim": 60, "l_elbow": 25, "r_elbow": 25}
    keys += [
        (2.6, STAND),
        (3.4, both),
        (3.7, {**both, "l_sh_azim": 90, "r_sh_azim": 90}),
        (4.0, both),
        (4.3, {**both, "l_sh_azim": 90, "r_sh_azim": 90}),
        (5.2, STAND),
    ]
    return keyframes(ctx, keys)


def reach_up(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Reach up to a high shelf with one hand, then the other, rising onto the toes."""
    reach = {
        "l_sh_elev": 170,
        "l_sh_azim": 20,
        "l_elbow": 5,
        "spine_lat": -8,
        "neck_flex": -25,
        "l_ankle": 30,
        "r_ankle": 30,
        "lift": 0.0,
    }
    return keyframes(ctx, alternate(ctx, reach, 2, 1.6))


def pick_up(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Bend down to pick something up from the floor, twice: once stooping, once squatting."""
    stoop = {
        "spine_flex": 70,
        "pitch": 20,
        "l_sh_elev": 75,
        "r_sh_elev": 75,
        "l_sh_azim": 0,
        "r_sh_azim": 0,
        "l_knee": 20,
        "r_knee": 20,
        "l_hip_elev": 15,
        "r_hip_elev": 15,
        "l_hip_azim": 0,
        "r_hip_azim": 0,
        "neck_flex": -10,
    }
    crouch = {
        "spine_flex": 35,
        "l_hip_elev": 100,
        "r_hip_elev": 100,
        "l_hip_azim": 10,
        "r_hip_azim": 10,
        "l_knee": 125,
        "r_knee": 125,
        "l_ankle": -20,
        "r_ankle": -20,
        "l_sh_elev": 55,
        "r_sh_elev": 55,
        "l_sh_azim": 0,
        "r_sh_azim": 0,
        "l_elbow": 20,
        "r_elbow": 20,
    }
    hold = {**STAND, "l_sh_elev": 30, "r_sh_elev": 30, "l_sh_azim": 0, "r_sh_azim": 0, "l_elbow": 80, "r_elbow": 80}
    return keyframes(
        ctx,
        [
            (0, STAND),
            (1.3, stoop),
            (1.8, stoop),
            (3.0, hold),
            (3.6, STAND),
            (4.9, crouch),
            (5.4, crouch),
            (6.7, hold),
            (7.3, STAND),
        ],
    )


def look_around(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Turn the head and upper body to look left, right, up and down."""
    return keyframes(
        ctx,
        [
            (0, STAND),
            (1.0, {"neck_rot": 65, "spine_twist": 20}),
            (2.0, STAND),
            (3.0, {"neck_rot": -65, "spine_twist": -20}),
            (4.0, STAND),
            (4.9, {"neck_flex": -40}),
            (5.8, {"neck_flex": 45}),
            (6.7, {"neck_lat": 30}),
            (7.5, {"neck_lat": -30}),
            (8.3, STAND),
        ],
    )


def sit_stand(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Sit down on an (unseen) chair with hands on thighs, and stand up again."""
    sit = {
        "l_hip_elev": 85,
        "r_hip_elev": 85,
        "l_hip_azim": 8,
        "r_hip_azim": 8,
        "l_knee": 90,
        "r_knee": 90,
        "spine_flex": 10,
        "l_sh_elev": 40,
        "r_sh_elev": 40,
        "l_sh_azim": 5,
        "r_sh_azim": 5,
        "l_elbow": 45,
        "r_elbow": 45,
    }
    lean = {**sit, "spine_flex": 40, "l_sh_elev": 60, "r_sh_elev": 60}
    return keyframes(
        ctx, [(0, STAND), (0.8, {"spine_flex": 25}), (1.8, lean), (2.3, sit), (4.5, sit), (5.2, lean), (6.2, STAND), (7.0, STAND)]
    )


def phone_call(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Lift a phone to the ear, talk with a few head tilts and a free-hand gesture."""
    ear = ctx.side({"l_sh_elev": 45, "l_sh_azim": 30, "l_elbow": 145, "neck_lat": 12})
    gesture = {**ear, **ctx.side({"r_sh_elev": 40, "r_sh_azim": 30, "r_elbow": 80})}
    return keyframes(
        ctx, [(0, STAND), (1.0, ear), (2.2, gesture), (3.0, ear), (3.8, {**gesture, "neck_flex": 15}), (4.8, ear), (5.8, STAND)]
    )


def stretch_overhead(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Stretch both arms overhead, lean to each side, then stretch arms forward."""
    up = {"l_sh_elev": 175, "r_sh_elev": 175, "l_sh_azim": 10, "r_sh_azim": 10, "l_elbow": 5, "r_elbow": 5, "neck_flex": -15}
    forward = {"l_sh_elev": 90, "r_sh_elev": 90, "l_sh_azim": 0, "r_sh_azim": 0, "l_elbow": 0, "r_elbow": 0, "spine_flex": 15}
    return keyframes(
        ctx,
        [
            (0, STAND),
            (1.2, up),
            (2.0, {**up, "spine_lat": 25}),
            (2.8, up),
            (3.6, {**up, "spine_lat": -25}),
            (4.4, up),
            (5.6, forward),
            (6.4, forward),
            (7.4, STAND),
        ],
    )


# ---------------------------------------------------------------- fitness
def squat(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Bodyweight squats with arms raised forward for balance."""
    depth = ctx.jitter(95, 15)
    down = {
        "l_hip_elev": depth,
        "r_hip_elev": depth,
        "l_hip_azim": 15,
        "r_hip_azim": 15,
        "l_knee": depth + 20,
        "r_knee": depth + 20,
        "l_ankle": -20,
        "r_ankle": -20,
        "spine_flex": 30,
        "l_sh_elev": 90,
        "r_sh_elev": 90,
        "l_sh_azim": 0,
        "r_sh_azim": 0,
        "l_elbow": 5,
        "r_elbow": 5,
    }
    keys = [(0.0, STAND), *repeat([(1.0, down), (2.0, STAND)], 4, 2.0)]
    return keyframes(ctx, keys)


def lunge(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Forward lunges, alternating legs, hands on hips."""
    hands = {"l_sh_elev": 25, "r_sh_elev": 25, "l_sh_azim": 110, "r_sh_azim": 110, "l_elbow": 110, "r_elbow": 110}
    rest = {**STAND, **hands}
    down = {
        **hands,
        "l_hip_elev": 80,
        "l_hip_azim": 0,
        "l_knee": 85,
        "r_hip_elev": -25,
        "r_hip_azim": 0,
        "r_knee": 95,
        "r_ankle": 40,
    }
    return keyframes(ctx, alternate(ctx, down, 2, 1.8, rest=rest), base=rest)


def jumping_jacks(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Jumping jacks: jump feet apart with arms overhead, and back."""
    out_pose = {
        "l_sh_elev": 170,
        "r_sh_elev": 170,
        "l_sh_azim": 90,
        "r_sh_azim": 90,
        "l_elbow": 10,
        "r_elbow": 10,
        "l_hip_elev": 22,
        "r_hip_elev": 22,
        "l_hip_azim": 90,
        "r_hip_azim": 90,
        "l_knee": 10,
        "r_knee": 10,
    }
    air = {"lift": 0.12, "l_ankle": 35, "r_ankle": 35}
    keys: list[tuple[float, Pose]] = [(0.0, STAND)]
    for i in range(8):
        t0 = 0.6 + i * 0.8
        keys += [(t0, {**air, **({} if i % 2 else out_pose)}), (t0 + 0.4, out_pose if i % 2 == 0 else STAND)]
    keys.append((keys[-1][0] + 0.8, STAND))
    return keyframes(ctx, keys)


def side_bend(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Standing side bends with the opposite arm arching overhead."""
    bend = {
        "spine_lat": -35,
        "l_sh_elev": 165,
        "l_sh_azim": 100,
        "l_elbow": 15,
        "r_sh_elev": 15,
        "r_sh_azim": 90,
        "l_hip_elev": 12,
        "r_hip_elev": 12,
        "neck_lat": -10,
    }
    return keyframes(ctx, alternate(ctx, bend, 2, 2.2))


def toe_touch(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Bend forward to touch the toes with straight legs, then reach up."""
    down = {
        "spine_flex": 90,
        "pitch": 35,
        "l_sh_elev": 95,
        "r_sh_elev": 95,
        "l_sh_azim": 0,
        "r_sh_azim": 0,
        "l_elbow": 0,
        "r_elbow": 0,
        "neck_flex": -20,
        "l_knee": 0,
        "r_knee": 0,
    }
    up = {"l_sh_elev": 175, "r_sh_elev": 175, "l_sh_azim": 20, "r_sh_azim": 20, "l_elbow": 0, "r_elbow": 0, "spine_flex": -10}
    return keyframes(ctx, [(0.0, STAND), *repeat([(1.4, down), (2.2, down), (3.4, up), (4.0, STAND)], 2, 4.0)])


def high_knees(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Running in place bringing the knees up to hip height, arms pumping."""
    dur = ctx.seconds(ctx.jitter(6.0, 1.0))
    n = int(dur * ctx.fps)
    t = np.arange(n) / ctx.fps
    phase = 2 * np.pi * 1.2 * ctx.tempo * t
    ramp = np.clip(t / 0.8, 0, 1) * np.clip((t[-1] - t) / 0.8, 0, 1)
    d: dict[str, np.ndarray] = {"spine_flex": 8 * ramp}
    for s, off in (("l", 0.0), ("r", np.pi)):
        lift = np.clip(np.sin(phase + off), 0, None) * ramp * ctx.amplitude
        d[f"{s}_hip_elev"] = 3 + 90 * lift
        d[f"{s}_hip_azim"] = 90 - 85 * np.clip(lift / 0.2, 0, 1)
        d[f"{s}_knee"] = 3 + 100 * lift
        d[f"{s}_sh_elev"] = 8 - 35 * np.sin(phase + off) * ramp * ctx.amplitude
        d[f"{s}_sh_azim"] = np.full(n, 10.0)
        d[f"{s}_elbow"] = 12 + 78 * ramp
    d["lift"] = 0.05 * np.abs(np.sin(phase)) * ramp
    return d


def shoulder_press(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Overhead press: hands from shoulder height (goal-post arms) to straight up."""
    bottom = {"l_sh_elev": 90, "r_sh_elev": 90, "l_sh_azim": 80, "r_sh_azim": 80, "l_elbow": 95, "r_elbow": 95}
    top = {"l_sh_elev": 172, "r_sh_elev": 172, "l_sh_azim": 80, "r_sh_azim": 80, "l_elbow": 5, "r_elbow": 5}
    return keyframes(ctx, [(0.0, STAND), (1.0, bottom), *repeat([(1.8, top), (2.6, bottom)], 4, 1.6), (8.0, STAND)])


def lateral_raise(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Lateral raises to shoulder height, then front raises."""
    side = {"l_sh_elev": 90, "r_sh_elev": 90, "l_sh_azim": 90, "r_sh_azim": 90, "l_elbow": 10, "r_elbow": 10}
    front = {"l_sh_elev": 95, "r_sh_elev": 95, "l_sh_azim": 0, "r_sh_azim": 0, "l_elbow": 5, "r_elbow": 5}
    return keyframes(
        ctx, [(0.0, STAND), *repeat([(1.0, side), (2.0, STAND)], 3, 2.0), *repeat([(7.0, front), (8.0, STAND)], 2, 2.0)]
    )


def front_kick(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Martial-arts front kicks from a guard stance, alternating legs."""
    guard = {
        **STAND,
        "l_sh_elev": 40,
        "r_sh_elev": 40,
        "l_sh_azim": 10,
        "r_sh_azim": 10,
        "l_elbow": 120,
        "r_elbow": 120,
        "l_knee": 15,
        "r_knee": 15,
    }
    chamber = {**guard, "l_hip_elev": 90, "l_hip_azim": 0, "l_knee": 110, "spine_flex": -5}
    kick = {**guard, "l_hip_elev": 95, "l_hip_azim": 0, "l_knee": 5, "l_ankle": 30, "spine_flex": -10}
    first, first_k = ctx.side(chamber), ctx.side(kick)
    second, second_k = mirror_pose(first), mirror_pose(first_k)
    return keyframes(
        ctx,
        [
            (0, STAND),
            (0.6, guard),
            (1.2, first),
            (1.5, first_k),
            (1.9, first),
            (2.4, guard),
            (3.0, second),
            (3.3, second_k),
            (3.7, second),
            (4.2, guard),
            (5.0, STAND),
        ],
        base=STAND,
    )


def torso_twist(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Standing torso twists with arms held out at shoulder height."""
    arms = {
        "l_sh_elev": 88,
        "r_sh_elev": 88,
        "l_sh_azim": 90,
        "r_sh_azim": 90,
        "l_elbow": 5,
        "r_elbow": 5,
        "l_hip_elev": 14,
        "r_hip_elev": 14,
        "l_knee": 10,
        "r_knee": 10,
    }
    left = {**arms, "spine_twist": 45, "neck_rot": 25}
    return keyframes(
        ctx,
        [(0, STAND), (0.8, arms)]
        + [(1.6 + i * 1.6, left if i % 2 == 0 else mirror_pose(left)) for i in range(4)]
        + [(8.0, arms), (8.8, STAND)],
    )


def arm_circles(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Big forward arm circles with both arms, then one arm at a time."""
    dur = ctx.seconds(8.0)
    n = int(dur * ctx.fps)
    t = np.arange(n) / ctx.fps
    phase = 2 * np.pi * 0.5 * ctx.tempo * t
    ramp = np.clip(t / 0.8, 0, 1) * np.clip((t[-1] - t) / 0.8, 0, 1)
    d: dict[str, np.ndarray] = {}
    half = n // 2
    # the arm's angle from hanging down, going forward, over the top and down behind:
    # elevation 0 → 180, then continuing as -180 → 0 (the same directions, see body.py)
    angle = np.degrees(phase) % 360.0
    circle = np.where(angle <= 180.0, angle, angle - 360.0)
    for s in ("l", "r"):
        active = (np.ones(n) if s == ctx.lead else (np.arange(n) < half).astype(float)) * ramp
        d[f"{s}_sh_elev"] = 8 + (circle - 8) * active
        d[f"{s}_sh_azim"] = 25 * active + 80 * (1 - active)
        d[f"{s}_elbow"] = np.full(n, 8.0)
    return d


# ---------------------------------------------------------------- dance
def disco_point(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Disco: point up across the body, then down to the hip, with a hip sway and step."""
    up = {
        "l_sh_elev": 155,
        "l_sh_azim": 60,
        "l_elbow": 0,
        "r_sh_elev": 30,
        "r_sh_azim": 100,
        "r_elbow": 100,
        "roll": 6,
        "l_hip_elev": 15,
        "l_hip_azim": 90,
        "l_knee": 15,
        "neck_rot": 25,
        "neck_flex": -15,
    }
    down = {**up, "l_sh_elev": 35, "l_sh_azim": -20, "roll": -6, "neck_rot": -10, "neck_flex": 15, "l_hip_elev": 3}
    a, b = ctx.side(up), ctx.side(down)
    keys: list[tuple[float, Pose]] = [(0, STAND), *repeat([(0.5, a), (1.0, b)], 4, 1.0)]
    keys += [*repeat([(4.5, mirror_pose(a)), (5.0, mirror_pose(b))], 3, 1.0), (8.0, STAND)]
    return keyframes(ctx, keys)


def arm_wave(ctx: MotionContext) -> dict[str, np.ndarray]:
    """A travelling arm wave from one hand to the other, arms out to the sides."""
    dur = ctx.seconds(7.0)
    n = int(dur * ctx.fps)
    t = np.arange(n) / ctx.fps
    ramp = np.clip(t / 0.8, 0, 1) * np.clip((t[-1] - t) / 0.8, 0, 1)
    phase = 2 * np.pi * 0.7 * ctx.tempo * t
    lag = 0.0 if ctx.lead == "l" else np.pi
    d: dict[str, np.ndarray] = {"spine_lat": 8 * np.sin(phase) * ramp, "roll": 3 * np.sin(phase) * ramp}
    for s, off in (("l", lag), ("r", np.pi - lag)):
        d[f"{s}_sh_elev"] = 8 + (82 + 25 * np.sin(phase + off)) * ramp
        d[f"{s}_sh_azim"] = 80 + 10 * ramp
        d[f"{s}_elbow"] = 12 + 55 * np.clip(np.sin(phase + off + 1.0), 0, None) * ramp
        d[f"{s}_sh_twist"] = 30 * np.sin(phase + off) * ramp
    return d


def step_touch(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Step-touch side to side with a clap above the head on every touch."""
    step = {
        "l_hip_elev": 20,
        "l_hip_azim": 90,
        "r_hip_elev": 5,
        "roll": 5,
        "tx": 0.25,
        "l_sh_elev": 150,
        "r_sh_elev": 150,
        "l_sh_azim": 35,
        "r_sh_azim": 35,
        "l_elbow": 40,
        "r_elbow": 40,
    }
    mid = {
        "l_knee": 20,
        "r_knee": 20,
        "l_hip_elev": 12,
        "r_hip_elev": 12,
        "l_hip_azim": 10,
        "r_hip_azim": 10,
        "l_sh_elev": 40,
        "r_sh_elev": 40,
        "l_sh_azim": 60,
        "r_sh_azim": 60,
        "l_elbow": 70,
        "r_elbow": 70,
    }
    a = ctx.side(step)
    keys: list[tuple[float, Pose]] = [(0, STAND)]
    for i in range(6):
        keys += [(0.5 + i * 1.0, mid), (1.0 + i * 1.0, a if i % 2 == 0 else mirror_pose(a))]
    return keyframes(ctx, [*keys, (7.0, STAND)])


def spin(ctx: MotionContext) -> dict[str, np.ndarray]:
    """A full turn on the spot with arms opening out, then a turn the other way with arms up."""
    out_pose = {
        "l_sh_elev": 90,
        "r_sh_elev": 90,
        "l_sh_azim": 90,
        "r_sh_azim": 90,
        "l_elbow": 10,
        "r_elbow": 10,
        "l_ankle": 25,
        "r_ankle": 25,
    }
    up = {"l_sh_elev": 165, "r_sh_elev": 165, "l_sh_azim": 45, "r_sh_azim": 45, "l_elbow": 30, "r_elbow": 30}
    direction = 1.0 if ctx.lead == "l" else -1.0
    return keyframes(
        ctx,
        [
            (0, STAND),
            (0.8, {**out_pose, "yaw": 0}),
            (2.2, {**out_pose, "yaw": 360 * direction}),
            (2.8, {"yaw": 360 * direction}),
            (3.6, {**up, "yaw": 360 * direction}),
            (5.0, {**up, "yaw": 0}),
            (5.8, {"yaw": 0}),
        ],
    )


def hip_sway(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Hips swaying side to side with hands behind the head, knees soft."""
    hands = {
        "l_sh_elev": 150,
        "r_sh_elev": 150,
        "l_sh_azim": 100,
        "r_sh_azim": 100,
        "l_elbow": 130,
        "r_elbow": 130,
        "l_knee": 15,
        "r_knee": 15,
        "l_hip_elev": 10,
        "r_hip_elev": 10,
    }
    left = {**hands, "roll": 8, "spine_lat": -12, "l_hip_elev": 14, "r_knee": 30}
    keys: list[tuple[float, Pose]] = [(0, STAND), (0.8, hands)]
    keys += [(1.4 + 0.6 * i, left if i % 2 == 0 else mirror_pose(left)) for i in range(9)]
    return keyframes(ctx, [*keys, (keys[-1][0] + 0.8, hands), (keys[-1][0] + 1.6, STAND)])


def ymca(ctx: MotionContext) -> dict[str, np.ndarray]:
    """The Y, M, C and A arm shapes, each held for a beat."""
    y = {"l_sh_elev": 155, "r_sh_elev": 155, "l_sh_azim": 60, "r_sh_azim": 60, "l_elbow": 0, "r_elbow": 0}
    m = {"l_sh_elev": 130, "r_sh_elev": 130, "l_sh_azim": 85, "r_sh_azim": 85, "l_elbow": 145, "r_elbow": 145}
    c = {"l_sh_elev": 140, "l_sh_azim": 110, "l_elbow": 50, "r_sh_elev": 60, "r_sh_azim": 120, "r_elbow": 40, "spine_lat": 15}
    a = {"l_sh_elev": 165, "r_sh_elev": 165, "l_sh_azim": -10, "r_sh_azim": -10, "l_elbow": 20, "r_elbow": 20}
    seq = [y, m, ctx.side(c), a]
    keys: list[tuple[float, Pose]] = [(0, STAND)]
    for rep in range(2):
        for i, p in enumerate(seq):
            t0 = 0.6 + (rep * 4 + i) * 0.9
            keys += [(t0, p), (t0 + 0.45, p)]
    return keyframes(ctx, [*keys, (keys[-1][0] + 0.9, STAND)])


def tree_pose(ctx: MotionContext) -> dict[str, np.ndarray]:
    """Yoga tree pose on each leg: foot to the inner knee, hands at the chest then overhead."""
    tree = {
        "l_hip_elev": 50,
        "l_hip_azim": 100,
        "l_hip_twist": 30,
        "l_knee": 140,
        "l_sh_elev": 30,
        "r_sh_elev": 30,
        "l_sh_azim": -10,
        "r_sh_azim": -10,
        "l_elbow": 130,
        "r_elbow": 130,
    }
    tall = {**tree, "l_sh_elev": 175, "r_sh_elev": 175, "l_sh_azim": 5, "r_sh_azim": 5, "l_elbow": 10, "r_elbow": 10}
    a, b = ctx.side(tree), ctx.side(tall)
    return keyframes(
        ctx,
        [
            (0, STAND),
            (1.2, a),
            (2.2, b),
            (3.6, b),
            (4.4, a),
            (5.4, STAND),
            (6.6, mirror_pose(a)),
            (7.6, mirror_pose(b)),
            (9.0, mirror_pose(b)),
            (9.8, mirror_pose(a)),
            (10.8, STAND),
        ],
    )


MotionRecipe = Callable[[MotionContext], dict[str, np.ndarray]]

#: Every recipe, by category. Names are stable: they become sequence ids.
MOTIONS: dict[str, dict[str, MotionRecipe]] = {
    "everyday": {
        "walk": walk,
        "wave": wave,
        "reach_up": reach_up,
        "pick_up": pick_up,
        "look_around": look_around,
        "sit_stand": sit_stand,
        "phone_call": phone_call,
        "stretch_overhead": stretch_overhead,
    },
    "fitness": {
        "squat": squat,
        "lunge": lunge,
        "jumping_jacks": jumping_jacks,
        "side_bend": side_bend,
        "toe_touch": toe_touch,
        "high_knees": high_knees,
        "shoulder_press": shoulder_press,
        "lateral_raise": lateral_raise,
        "front_kick": front_kick,
        "torso_twist": torso_twist,
        "arm_circles": arm_circles,
    },
    "dance": {
        "disco_point": disco_point,
        "arm_wave": arm_wave,
        "step_touch": step_touch,
        "spin": spin,
        "hip_sway": hip_sway,
        "ymca": ymca,
        "tree_pose": tree_pose,
    },
}
