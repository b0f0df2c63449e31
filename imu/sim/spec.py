"""What to simulate: the session spec (exercise, sets, sensor, rests). Units: s, Hz, g, deg/s, deg."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_REST_KINDS = ("lie_still", "sit_up", "bend_knees", "stand", "walk", "fidget")


@dataclass(frozen=True)
class SetSpec:
    """One set: rep style (see :data:`imu.sim.STYLES`) and number of reps of the sensed leg."""

    style: str = "textbook"
    reps: int = 10
    exercise: str | None = None  #: overrides the session's exercise for this set


@dataclass
class SessionSpec:
    """A simulated session. Every random choice derives from ``seed``.

    Ranges are ``(low, high)`` drawn once per session (noise levels) or per rest (``rest_s``).
    Set noise/bias/scale to zero for an ideal sensor (:meth:`ideal`).

    Tremor: 8-12 Hz tremor of ``a`` degrees at radius ``r`` accelerates the sensor by
    ``a * (2 pi f)^2 * r``: 0.1 deg at 10 Hz and 0.9 m is already 0.6 g (and 6 dps), far above real
    enhanced physiological tremor of a held leg (~0.01-0.05 g). The default amplitudes give that.
    """

    exercise: str = "lying-leg-raise"
    sets: list = field(default_factory=lambda: [SetSpec()])
    rate_hz: float = 100.0  #: output data rate, any float (25-200 Hz intended)
    gyro: bool = True  #: False: no gx, gy, gz columns
    seed: int = 0
    t0: float = 0.0  #: time of the first sample (s)
    rest_s: tuple = (20.0, 120.0)  #: target duration of each rest (before, between and after sets)
    rest_kinds: tuple = DEFAULT_REST_KINDS  #: movements used in rests (each occurs at least once)
    restrap: float = 0.0  #: probability (True = 1) that the sensor is re-strapped in a rest between sets
    mounting: np.ndarray | None = None  #: 3x3 sensor -> shin rotation; None: uniformly random
    acc_noise_g: tuple = (0.003, 0.02)  #: white noise std per sample
    gyro_noise_dps: tuple = (0.1, 1.0)
    acc_bias_g: float = 0.03  #: max |constant bias| per axis
    gyro_bias_dps: float = 2.0
    scale_error: float = 0.03  #: max |scale error| per axis (fraction)
    jitter_s: float = 0.0  #: std of the reported timestamps' jitter (s)
    tremor_deg: tuple = (0.002, 0.008)  #: 8-12 Hz tremor amplitude in holds (deg; see the note above)
    sway_deg: tuple = (0.5, 1.0)  #: 0.2-0.5 Hz sway amplitude in holds
    name: str = ""

    def ideal(self) -> "SessionSpec":
        """The same session with a perfect sensor (no noise, bias, scale error or jitter)."""
        from dataclasses import replace
        return replace(self, acc_noise_g=(0.0, 0.0), gyro_noise_dps=(0.0, 0.0), acc_bias_g=0.0,
                       gyro_bias_dps=0.0, scale_error=0.0, jitter_s=0.0)
