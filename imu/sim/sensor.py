"""The sensor: sampling at the output data rate and its errors (noise, bias, scale, timestamp jitter).

Units: acc in g, gyro in deg/s, times in seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACC_RANGE_G = 16.0
GYRO_RANGE_DPS = 2000.0


@dataclass(frozen=True)
class SensorErrors:
    """Per-session sensor errors: measured = scale * true + bias + noise (per axis)."""

    acc_noise_g: float
    gyro_noise_dps: float
    acc_bias_g: np.ndarray
    gyro_bias_dps: np.ndarray
    acc_scale: np.ndarray
    gyro_scale: np.ndarray


def draw_errors(spec, rng: np.random.Generator) -> SensorErrors:
    """Draw the errors of one session from the ranges in a :class:`~imu.sim.spec.SessionSpec`."""
    return SensorErrors(
        acc_noise_g=rng.uniform(*spec.acc_noise_g), gyro_noise_dps=rng.uniform(*spec.gyro_noise_dps),
        acc_bias_g=rng.uniform(-1, 1, 3) * spec.acc_bias_g, gyro_bias_dps=rng.uniform(-1, 1, 3) * spec.gyro_bias_dps,
        acc_scale=1 + rng.uniform(-1, 1, 3) * spec.scale_error, gyro_scale=1 + rng.uniform(-1, 1, 3) * spec.scale_error,
    )


def boxcar_sample(tg: np.ndarray, x: np.ndarray, ts: np.ndarray, width: float) -> np.ndarray:
    """Mean of ``x`` (N, C) sampled on the uniform grid ``tg`` over [ts - width/2, ts + width/2]: the
    sensor's decimation (anti-alias) filter at the output rate 1/``width``."""
    h = tg[1] - tg[0]
    c = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(0.5 * (x[1:] + x[:-1]) * h, axis=0)])
    lo, hi = ts - width / 2, ts + width / 2
    return np.column_stack([(np.interp(hi, tg, c[:, k]) - np.interp(lo, tg, c[:, k])) / width
                            for k in range(x.shape[1])])


def apply_errors(acc: np.ndarray, gyro: np.ndarray | None, err: SensorErrors, rng: np.random.Generator):
    """Measured acc (g) and gyro (deg/s) from the true ones, clipped to the sensor's ranges."""
    n = len(acc)
    acc = acc * err.acc_scale + err.acc_bias_g + err.acc_noise_g * rng.standard_normal((n, 3))
    acc = np.clip(acc, -ACC_RANGE_G, ACC_RANGE_G)
    if gyro is not None:
        gyro = gyro * err.gyro_scale + err.gyro_bias_dps + err.gyro_noise_dps * rng.standard_normal((n, 3))
        gyro = np.clip(gyro, -GYRO_RANGE_DPS, GYRO_RANGE_DPS)
    return acc, gyro


def timestamps(n: int, rate_hz: float, jitter_s: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """True sample instants (uniform, from 0) and reported timestamps (with Gaussian jitter of std
    ``jitter_s``, clipped so they stay strictly increasing)."""
    true = np.arange(n) / rate_hz
    if jitter_s <= 0:
        return true, true.copy()
    j = np.clip(rng.normal(0, jitter_s, n), -0.45 / rate_hz, 0.45 / rate_hz)
    return true, true + j
