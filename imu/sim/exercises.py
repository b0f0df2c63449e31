"""The exercises: posture, pivot, resting/bottom elevation, top, range of motion (degrees, metres).

Every exercise rotates the leg about a horizontal axis through a pivot (hip, or knee for the seated
leg raise). Angles are shin elevations ``psi`` (see :mod:`imu.sim.body`). ``direction`` = +1 when a rep
moves the leg up from the set's resting position, -1 when it moves down (heel-tap: home at the top).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body import Body, Pose
from .postures import bent_pose

ALL_STYLES = ("textbook", "slow_eccentric", "brisk", "swung", "partial", "feet_rested", "fatigue")
_NO_REST = tuple(s for s in ALL_STYLES if s != "feet_rested")


@dataclass(frozen=True)
class ExerciseDef:
    """Static description of one exercise (ranges are (low, high) drawn per set)."""

    slug: str
    kind: str  #: geometry: straight | bent | heel_tap | side | prone | plank | hanging | seated
    base: str  #: resting posture before and after a set (see :mod:`imu.sim.postures`)
    styles: tuple  #: applicable rep styles
    hover_deg: tuple = (5.0, 12.0)  #: set's resting position above the floor-contact angle
    rom_deg: tuple = (70.0, 90.0)  #: full range of motion
    top_deg: tuple | None = None  #: absolute top angle (overrides rom_deg when given)
    knee_flex_deg: tuple = (0.0, 0.0)  #: knee flexion (180 - knee angle) for bent-knee movements
    direction: int = 1
    alternating: bool = False  #: the other leg works every other rep (this leg hovers meanwhile)
    continuous: bool = False  #: flutter kicks: no holds, fast by design (never "rushed")
    top_hold_scale: float = 1.0
    max_alpha: float = 70.0  #: peak angular acceleration the person can produce (rad/s^2)
    radius_m: str = ""  #: documentation: pivot -> sensor distance

    @property
    def floor_top(self) -> bool:
        """The rep's far end is a touch of the floor (heel-tap)."""
        return self.direction < 0


def _ex(*a, **k) -> ExerciseDef:
    return ExerciseDef(*a, **k)


EXERCISES: dict[str, ExerciseDef] = {e.slug: e for e in [
    _ex("lying-leg-raise", "straight", "supine", ALL_STYLES, top_deg=(80, 95), radius_m="hip, 0.78-0.95"),
    _ex("single-leg-raise", "straight", "supine", ALL_STYLES, top_deg=(80, 95), radius_m="hip, 0.78-0.95"),
    _ex("bent-knee-raise", "bent", "knees_bent", ALL_STYLES, rom_deg=(45, 70), knee_flex_deg=(80, 100),
        max_alpha=100.0, radius_m="hip, 0.55-0.7 (bent knee)"),
    _ex("heel-tap", "heel_tap", "knees_bent", _NO_REST, knee_flex_deg=(78, 100), direction=-1,
        top_hold_scale=0.25, max_alpha=100.0, radius_m="hip, 0.55-0.7 (tabletop)"),
    _ex("alternating-leg-lift", "straight", "supine", ALL_STYLES, top_deg=(80, 95), alternating=True,
        radius_m="hip, 0.78-0.95"),
    _ex("side-leg-lift", "side", "side", ALL_STYLES, hover_deg=(3, 8), rom_deg=(30, 50), radius_m="hip, 0.78-0.95"),
    _ex("reverse-leg-lift", "prone", "prone", ALL_STYLES, hover_deg=(2, 5), rom_deg=(15, 30),
        radius_m="hip, 0.78-0.95"),
    _ex("plank-leg-lift", "plank", "prone", _NO_REST, hover_deg=(0.5, 2), rom_deg=(15, 30),
        radius_m="hip, 0.78-0.95"),
    _ex("hanging-leg-raise", "hanging", "standing", _NO_REST, rom_deg=(70, 95), radius_m="hip, 0.78-0.95"),
    _ex("flutter-kick", "straight", "supine", ("textbook", "partial", "fatigue"), hover_deg=(15, 30),
        rom_deg=(15, 35), continuous=True, radius_m="hip, 0.78-0.95"),
    _ex("seated-leg-raise", "seated", "seated_box", _NO_REST, rom_deg=(60, 90), max_alpha=150.0,
        radius_m="knee, 0.36-0.45"),
]}


@dataclass(frozen=True)
class SetGeometry:
    """Geometry of one set: the pose at any elevation, the floor-contact angle, home and full ROM."""

    exercise: ExerciseDef
    base: Pose  #: a pose on the set's rotation (beta, rho, pivot, r, delta)
    floor: float | None  #: psi where the leg rests on the floor (heel-tap: the tap); None if no floor
    home: float  #: psi of the set's resting position (hover / tabletop / hanging)
    full_rom: float  #: full range of motion of this set (deg, positive)

    def pose(self, psi: float) -> Pose:
        return self.base.but(psi=float(psi))

    def target(self, frac: float) -> float:
        """psi at the far end of a rep covering ``frac`` of the full ROM."""
        return self.home + self.exercise.direction * self.full_rom * frac


def _floor_psi(p: Pose, sensor_z: float) -> float:
    """psi at which the sensor is at height ``sensor_z`` (pose rotating about its pivot)."""
    elev = np.degrees(np.arcsin(np.clip((sensor_z - p.pivot[2]) / p.r, -1, 1)))
    return float(elev - p.delta)


def _reach(span: tuple, body: Body, rng: np.random.Generator) -> float:
    """A value in ``span`` where this person reaches: the same from set to set, within +/-3 %."""
    lo, hi = span
    return (lo + (hi - lo) * body.reach) * rng.uniform(0.97, 1.03)


def set_geometry(ex: ExerciseDef, body: Body, cur: Pose, rng: np.random.Generator) -> SetGeometry:
    """Draw one set's geometry for a person resting in ``ex.base`` posture at pose ``cur``.

    The person's full range of motion is a property of the person (``body.reach``), so it stays about
    the same from set to set of a session; where the leg hovers and how the body lies vary per set.
    """
    u = rng.uniform
    floor = None
    if ex.kind in ("straight", "side", "prone", "plank"):
        key = {"straight": "supine"}.get(ex.kind, ex.kind)
        hz = body.hip_z[key]
        base = Pose(cur.beta, cur.psi, cur.rho, (cur.pivot[0], cur.pivot[1], hz), body.leg_m)
        floor = _floor_psi(base, body.rest_z[key])
        home = floor + u(*ex.hover_deg)
        if ex.continuous:
            rom = _reach(ex.rom_deg, body, rng)
            home = max(floor + 3.0, u(*ex.hover_deg) - rom / 2)
        else:
            rom = _reach(ex.top_deg, body, rng) - home if ex.top_deg else _reach(ex.rom_deg, body, rng)
    elif ex.kind in ("bent", "heel_tap"):
        flex = u(*ex.knee_flex_deg)
        base = bent_pose(body, cur.beta, cur.rho, (cur.pivot[0], cur.pivot[1], body.hip_z["supine"]), -flex, flex)
        floor = _floor_psi(base, body.rest_z["supine"])
        if ex.kind == "bent":
            home, rom = floor + u(*ex.hover_deg), _reach(ex.rom_deg, body, rng)
        else:  # tabletop: thigh ~vertical, the tap is the floor contact
            home = u(85, 95) - flex
            home = float(np.clip(home, floor + 40, floor + 70))
            rom = home - floor
    elif ex.kind == "hanging":
        s = cur.sensor()
        hip = (s[0], s[1], body.stand_z + body.hang_clear_m + body.leg_m)
        base = Pose(cur.beta, -90.0, cur.rho, tuple(float(v) for v in hip), body.leg_m)
        home, rom = -90 + u(-2, 4), _reach(ex.rom_deg, body, rng)
    elif ex.kind == "seated":
        base = cur
        home = -90 + u(-2, 8)
        rom = min(_reach(ex.rom_deg, body, rng), 5 - home)
    else:
        raise ValueError(ex.kind)
    return SetGeometry(ex, base, floor, float(home), float(rom))
