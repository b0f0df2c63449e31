"""Ideal IMU signals from a sensor's world trajectory.

World frame: z up, gravity ``-G`` along z. The accelerometer measures specific force
``f = R^T (a_world - g_world) / G`` in g (reads +1 g "up" at rest); the gyro measures the angular
velocity in the sensor frame, deg/s. ``R`` rotates sensor coordinates into the world.
"""
from __future__ import annotations

import numpy as np

#: Standard gravity, m/s^2.
G = 9.80665


def imu_signals(R: np.ndarray, p: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Specific force (g) and angular velocity (deg/s), both in the sensor frame, from the sensor
    orientation ``R`` (N, 3, 3) and position ``p`` (N, 3, metres) on a uniform grid of step ``h`` s.

    Acceleration is the central second difference of ``p``; the body rate is the skew part of
    ``R^T dR/dt`` (central difference). Both are O(h^2) accurate.
    """
    a = np.empty_like(p)
    a[1:-1] = (p[2:] - 2.0 * p[1:-1] + p[:-2]) / (h * h)
    a[0], a[-1] = a[1], a[-2]
    a[:, 2] += G
    acc = np.einsum("nji,nj->ni", R, a) / G
    dR = np.empty_like(R)
    dR[1:-1] = (R[2:] - R[:-2]) / (2.0 * h)
    dR[0], dR[-1] = dR[1], dR[-2]
    W = np.einsum("nji,njk->nik", R, dR)
    w = 0.5 * np.stack([W[:, 2, 1] - W[:, 1, 2], W[:, 0, 2] - W[:, 2, 0], W[:, 1, 0] - W[:, 0, 1]], axis=1)
    return acc, np.degrees(w)
