"""The engine's front end: raw samples in any chunking -> motion signals on a fixed 50 Hz grid.

Per grid sample (all chunk-invariant: the filters keep their state between chunks):

- ``g``: unit gravity direction in the sensor frame (:class:`imu.orientation.GravityFilter`);
- ``speed_dps``: how fast the shin turns, deg/s (gyro magnitude, or the turning rate of ``g``
  without a gyroscope);
- ``jolt_g``: the accelerometer's high-frequency part, g (heel strikes, knocks);
- ``tremor``: the smoothed high-frequency energy of the gyro (deg/s RMS) or, without one, of the
  accelerometer (milli-g RMS): muscles holding a leg up shake, a leg resting on the floor does not;
- ``gap``: True where the grid point lies inside a filled gap of the input.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu.filters import GridResampler, StreamSos
from imu.orientation import GravityFilter

GRID_HZ = 50.0


@dataclass
class Block:
    """Motion signals for consecutive grid samples."""

    t: np.ndarray
    g: np.ndarray
    speed_dps: np.ndarray
    jolt_g: np.ndarray
    tremor: np.ndarray
    gap: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


class SignalFront:
    """Turns raw chunks into :class:`Block` segments; a new segment starts after each long gap."""

    def __init__(self, has_gyro: bool, max_fill_s: float = 5.0):
        self.has_gyro = has_gyro
        self.resampler = GridResampler(GRID_HZ, max_fill_s=max_fill_s)
        self._reset_filters()

    def _reset_filters(self) -> None:
        self.acc_lp = StreamSos(2, 3.0, GRID_HZ)
        self.gyro_lp = StreamSos(2, 6.0, GRID_HZ)
        self.tremor_lp = StreamSos(1, 1.0, GRID_HZ, channels=1)
        self.gravity = GravityFilter(GRID_HZ)
        self._g_prev: np.ndarray | None = None

    def __call__(self, t_s: np.ndarray, acc_g: np.ndarray, gyro_dps: np.ndarray | None) -> list[tuple[bool, Block]]:
        """Returns (follows_a_long_gap, block) pairs in time order."""
        x = acc_g if not self.has_gyro else np.hstack([acc_g, gyro_dps])
        gt, gx, gap, breaks = self.resampler(t_s, x)
        out = []
        bounds = [0, *breaks, len(gt)]
        for k in range(len(bounds) - 1):
            a, b = bounds[k], bounds[k + 1]
            if k > 0:
                self._reset_filters()
            if b > a:
                out.append((k > 0, self._block(gt[a:b], gx[a:b], gap[a:b])))
            elif k > 0:
                out.append((True, self._block(gt[a:a], gx[a:a], gap[a:a])))
        return out

    def _block(self, t: np.ndarray, x: np.ndarray, gap: np.ndarray) -> Block:
        acc = x[:, :3]
        acc_f = self.acc_lp(acc)
        jolt = np.linalg.norm(acc - acc_f, axis=1)
        if self.has_gyro:
            gyro = x[:, 3:6]
            gyro_f = self.gyro_lp(gyro)
            g = self.gravity(acc_f, gyro_f)
            speed = np.linalg.norm(gyro_f, axis=1)
            hf = np.linalg.norm(gyro - gyro_f, axis=1)
        else:
            g = self.gravity(acc_f, None)
            speed = self._turn_rate_dps(g)
            hf = jolt * 1000.0
        tremor = np.sqrt(np.maximum(self.tremor_lp((hf**2)[:, None])[:, 0], 0.0))
        return Block(t, g, speed, jolt, tremor, gap)

    def _turn_rate_dps(self, g: np.ndarray) -> np.ndarray:
        if len(g) == 0:
            return np.empty(0)
        prev = np.vstack([g[:1] if self._g_prev is None else self._g_prev[None, :], g[:-1]])
        self._g_prev = g[-1].copy()
        cosang = np.clip(np.einsum("ij,ij->i", prev, g), -1.0, 1.0)
        return np.degrees(np.arccos(cosang)) * GRID_HZ
