"""Where gravity points in the sensor's frame, and the leg angle it gives.

The strap can sit in any orientation, so nothing here assumes an axis points anywhere. Every leg-lift
variation rotates the shin about a horizontal axis (hip or knee), so the gravity direction seen by the
sensor sweeps an arc; the leg angle is how far along that arc it has moved from the set's resting
position.

Gravity is estimated by a complementary filter: the low-passed accelerometer direction, corrected at
high frequency by the gyroscope (``dg/dt = -omega x g`` in the sensor frame). The filter is written as
a linear recurrence over whole arrays (``scipy.signal.lfilter``) so it runs at millions of samples a
second: the gyro increment is taken about the accelerometer direction, a first-order linearisation that
a second pass about the filtered direction makes accurate. Without a gyroscope the low-passed
accelerometer direction is used as it is (accurate when the leg is slow or still; the leg's own
acceleration tilts it by up to ~10 deg during a fast swing).
"""
from __future__ import annotations

import numpy as np
from scipy import signal


def unit(v: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > 0)


class GravityFilter:
    """Streaming complementary filter: accelerometer (g) + gyroscope (deg/s) -> unit gravity vector.

    ``tau_s`` is the crossover time constant: below ``1 / (2 pi tau_s)`` Hz the accelerometer wins.
    """

    def __init__(self, rate_hz: float, tau_s: float = 0.5):
        self.dt = 1.0 / rate_hz
        self.alpha = float(np.exp(-self.dt / tau_s))
        self._zi: list[np.ndarray | None] = [None, None]

    def _pass(self, i: int, g_acc: np.ndarray, g_about: np.ndarray, omega_rad: np.ndarray) -> np.ndarray:
        a = self.alpha
        drive = a * (-np.cross(omega_rad, g_about) * self.dt) + (1.0 - a) * g_acc
        if self._zi[i] is None:
            self._zi[i] = (a * g_acc[0])[None, :]
        out, self._zi[i] = signal.lfilter([1.0], [1.0, -a], drive, axis=0, zi=self._zi[i])
        return out

    def __call__(self, acc_g: np.ndarray, gyro_dps: np.ndarray | None) -> np.ndarray:
        g_acc = unit(acc_g)
        if gyro_dps is None or len(acc_g) == 0:
            return g_acc
        omega = np.radians(gyro_dps)
        first = unit(self._pass(0, g_acc, g_acc, omega))
        return unit(self._pass(1, g_acc, first, omega))


def tilt_deg(g: np.ndarray, home: np.ndarray) -> np.ndarray:
    """Unsigned angle (deg) between each gravity direction and the home direction."""
    return np.degrees(np.arccos(np.clip(g @ home, -1.0, 1.0)))


def leg_angle_deg(g: np.ndarray, home: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Signed angle (deg) of rotation about ``axis`` that takes ``home`` to each gravity direction.

    Positive in the direction of the set's lifts (the axis is chosen so); out-of-plane tilt is ignored.
    """
    s = np.cross(home, g) @ axis
    c = g @ home
    return np.degrees(np.arctan2(s, c))


def plane_axis(home: np.ndarray, peak: np.ndarray) -> np.ndarray | None:
    """Unit rotation axis taking ``home`` towards ``peak`` (None if they are too close to tell)."""
    n = np.cross(home, peak)
    norm = np.linalg.norm(n)
    return None if norm < np.sin(np.radians(1.0)) else n / norm


def out_of_plane_deg(g: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Tilt (deg) of each gravity direction out of the plane of motion."""
    return np.degrees(np.arcsin(np.clip(g @ axis, -1.0, 1.0)))
