"""The simulated person's dimensions and the leg pose representation. Units: metres and degrees.

A :class:`Pose` is the state of the sensed leg segment at one instant: the shin's orientation
``Rz(beta) Ry(-psi) Rx(rho)`` and the sensor position ``pivot + r * unit(beta, psi + delta)``. ``psi`` is
the elevation of the shin's long axis (knee -> ankle) above the horizontal: 0 lying flat, +90 pointing
straight up, -90 hanging/standing. It is the truth angle :attr:`SimSession.angle_deg`. The pivot is the
joint the exercise rotates about (hip or knee); ``delta`` is the constant angle between the shin axis
and the pivot -> sensor line (non-zero for bent-knee movements pivoting at the hip).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .rotations import unit


@dataclass(frozen=True)
class Body:
    """Dimensions of one simulated person (drawn per session by :func:`draw_body`)."""

    thigh_m: float  #: hip joint -> knee joint
    shin_m: float  #: knee joint -> sensor (ankle strap)
    roll_deg: float  #: natural external rotation of the leg lying on the back
    side: int  #: +1 / -1: the side the person rolls to (side-lying, prone)
    hip_z: dict  #: hip-joint height above the floor per lying posture (supine, side, prone, plank)
    rest_z: dict  #: sensor height when the leg rests on the floor/other leg, per lying posture
    stand_z: float  #: sensor height when standing
    box_knee_z: float  #: knee-joint height when seated on the box
    hang_clear_m: float  #: sensor height above the floor when hanging from the bar
    swing_m: float  #: hands (bar) -> hip distance, the radius of the body swing when hanging
    reach: float = 0.5  #: where this person's full range of motion lies within an exercise's range (0-1)

    @property
    def leg_m(self) -> float:
        """Hip joint -> sensor along a straight leg."""
        return self.thigh_m + self.shin_m


def draw_body(rng: np.random.Generator) -> Body:
    thigh, shin = rng.uniform(0.42, 0.50), rng.uniform(0.36, 0.45)
    stand_z = rng.uniform(0.07, 0.10)
    return Body(
        thigh_m=thigh, shin_m=shin, roll_deg=rng.uniform(-15, 15), side=int(rng.choice([-1, 1])),
        hip_z={"supine": rng.uniform(0.09, 0.12), "side": rng.uniform(0.22, 0.30),
               "prone": rng.uniform(0.10, 0.14), "plank": rng.uniform(0.35, 0.50)},
        rest_z={"supine": rng.uniform(0.06, 0.09), "side": rng.uniform(0.12, 0.17),
                "prone": rng.uniform(0.05, 0.08), "plank": rng.uniform(0.10, 0.15)},
        stand_z=stand_z, box_knee_z=stand_z + shin + rng.uniform(0.0, 0.05),
        hang_clear_m=rng.uniform(0.15, 0.40), swing_m=rng.uniform(0.85, 1.1), reach=rng.uniform(0.0, 1.0),
    )


@dataclass(frozen=True)
class Pose:
    """Leg pose (see the module docstring). Angles in degrees, lengths in metres."""

    beta: float  #: heading of the shin's horizontal direction (deg from world +x toward +y)
    psi: float  #: elevation of the shin's long axis above the horizontal (deg)
    rho: float  #: roll of the shin about its long axis (deg)
    pivot: tuple  #: (x, y, z) of the joint the leg rotates about (m)
    r: float  #: pivot -> sensor distance (m)
    delta: float = 0.0  #: angle between the shin axis and the pivot -> sensor line (deg)

    FIELDS = ("beta", "psi", "rho", "px", "py", "pz", "r", "delta")

    def vec(self) -> np.ndarray:
        return np.array([self.beta, self.psi, self.rho, *self.pivot, self.r, self.delta], float)

    @classmethod
    def from_vec(cls, v) -> "Pose":
        v = [float(x) for x in v]
        return cls(v[0], v[1], v[2], (v[3], v[4], v[5]), v[6], v[7])

    def sensor(self) -> np.ndarray:
        """Sensor position in the world (m)."""
        return np.asarray(self.pivot) + self.r * unit(self.beta, self.psi + self.delta)

    def but(self, **kw) -> "Pose":
        return replace(self, **kw)

    def shifted(self, dx: float, dy: float, dz: float = 0.0) -> "Pose":
        x, y, z = self.pivot
        return replace(self, pivot=(x + dx, y + dy, z + dz))

    def repivot(self, pivot) -> "Pose":
        """Same physical pose described about another pivot in the leg's plane (r and delta recomputed)."""
        v = self.sensor() - np.asarray(pivot, float)
        h = v[0] * np.cos(np.radians(self.beta)) + v[1] * np.sin(np.radians(self.beta))
        elev = np.degrees(np.arctan2(v[2], h))
        return replace(self, pivot=tuple(float(x) for x in pivot), r=float(np.hypot(h, v[2])),
                       delta=float(elev - self.psi))


def two_link(thigh: float, shin: float, thigh_deg: float, shin_deg: float) -> tuple[float, float]:
    """Hip -> sensor distance (m) and elevation (deg) of a leg with the given thigh and shin elevations."""
    h = thigh * np.cos(np.radians(thigh_deg)) + shin * np.cos(np.radians(shin_deg))
    v = thigh * np.sin(np.radians(thigh_deg)) + shin * np.sin(np.radians(shin_deg))
    return float(np.hypot(h, v)), float(np.degrees(np.arctan2(v, h)))


def wrap180(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0
