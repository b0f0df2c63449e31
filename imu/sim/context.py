"""Mutable state shared while composing one session."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body import Body


@dataclass
class Ctx:
    """The person, the random generator, the spec, and the current resting posture."""

    body: Body
    rng: np.random.Generator
    spec: object  #: the SessionSpec
    posture: str  #: current posture name (see :mod:`imu.sim.postures`), "set" while in a set
    tremor_deg: float  #: this person's tremor amplitude in isometric holds (deg)
    sway_deg: float  #: slow sway amplitude in holds (deg)
