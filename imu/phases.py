"""Phase boundaries of one rep from its leg-angle trace.

A controlled limb movement follows a minimum-jerk profile closely, so each ramp (up and down) is
fitted with one: ``theta(t) = a + (b - a) * mj((t - t_start) / T)`` with
``mj(x) = 10x^3 - 15x^4 + 6x^5``. The fit uses the samples between 10 % and 90 % of the ramp, where the
signal is well above the noise, and extrapolates to where the movement really starts and stops (a plain
threshold would put both ends late, by a tenth of the ramp or more). The fitted start and stop are the
phase boundaries; a rep without a top hold has its top and lowering moments at the turning point.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu import lean_numpy
from imu.filters import interp
from imu.orientation import norm

MIN_BAND_SPAN = 0.2  #: a ramp is fitted only when its samples in the 10-90 % band span this share of it
MIN_HOLD_SAMPLES = 3  #: a top hold of at least this many samples gives the angle the rep reached
_MJ_X = np.linspace(0.0, 1.0, 2001)
_MJ_Y = 10 * _MJ_X**3 - 15 * _MJ_X**4 + 6 * _MJ_X**5


def minimum_jerk(x: np.ndarray) -> np.ndarray:
    """Normalised minimum-jerk position profile on [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return 10 * x**3 - 15 * x**4 + 6 * x**5


@dataclass(frozen=True)
class RepTiming:
    """Phase boundaries (s) and range of motion of one rep."""

    start_s: float
    top_s: float
    lower_s: float
    end_s: float
    rom_deg: float
    bottom_deg: float
    top_deg: float
    end_deg: float
    peak_up_dps: float
    peak_down_dps: float
    peak_accel_g: float = 0.0  #: the ankle's own acceleration during the rep, g (see :func:`peak_accel_g`)
    lever_m: float | None = None  #: distance from the axis the shin turned about to the sensor (m; acc-only fits)
    from_down_deg: float | None = None  #: ... and its direction (:class:`imu.ramp_fit.LeverFit`; acc-only fits)


def fit_ramp(t: np.ndarray, theta: np.ndarray, lo: float, hi: float) -> tuple[float, float] | None:
    """Fits a minimum-jerk ramp from level ``lo`` to ``hi`` (either direction) to a monotone stretch.

    Returns (t_start, duration) or None when too few samples lie inside the 10-90 % band, or when they
    cover less than ``MIN_BAND_SPAN`` of it (a stretch held flat across a gap in the data, the ramp itself
    lost in it: a line through one level is no fit, and float noise decided what it gave).
    """
    if hi == lo:
        return None
    frac = (theta - lo) / (hi - lo)
    band = (frac > 0.1) & (frac < 0.9)
    in_band = frac[band]
    if len(in_band) < 2 or in_band.max() - in_band.min() < MIN_BAND_SPAN:  # (np.ptp's max - min)
        return None
    tau = interp(in_band, _MJ_Y, _MJ_X)
    slope, intercept = _line_fit(tau, t[band])
    if not np.isfinite(slope) or slope <= 0:
        return None
    return float(intercept), float(slope)


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept of ``y`` over ``x``: ``np.polyfit(x, y, 1)`` in closed form
    (about the means, so large clock values lose no precision), without its per-call overhead."""
    x_mean, y_mean = float(x.sum()) / len(x), float(y.sum()) / len(y)  # (ndarray.mean's sum and division)
    dx = x - x_mean
    sxx = float(dx @ dx)
    if sxx == 0.0:  # all at one x: no line (fit_ramp's band span rules this out)
        return float("nan"), float("nan")
    slope = float(dx @ (y - y_mean)) / sxx
    return slope, y_mean - slope * x_mean


def _crossing(t: np.ndarray, theta: np.ndarray, level: float) -> float:
    """Time of the first crossing of ``level`` (linear interpolation); t[0] if none."""
    above = theta >= level
    idx = (above[1:] != above[:-1]).nonzero()[0]
    if len(idx) == 0:
        return float(t[0])
    i = idx[0]
    f = (level - theta[i]) / (theta[i + 1] - theta[i])
    return float(t[i] + f * (t[i + 1] - t[i]))


def rep_phases(t: np.ndarray, theta: np.ndarray, speed_dps: np.ndarray, i_peak: int,
               bottom_deg: float, end_deg: float, end_by_s: float | None = None) -> RepTiming:
    """Phase boundaries of one rep.

    ``t, theta`` cover the rep from a little before it leaves the bottom to a little after it is back;
    ``speed_dps`` is the signed angular speed about the set's axis (deg/s, positive upwards);
    ``i_peak`` indexes the highest point; ``bottom_deg``/``end_deg`` are the resting levels before and
    after the rep; ``end_by_s`` is the latest the down ramp may end (s; ``t[-1]`` when None or
    earlier): the fitted ramp may extrapolate past the last sample up to it.
    """
    peak = float(theta[i_peak])
    # Top level: the median of the stretch the leg spends above 70 % of the way to its highest point,
    # robust against tremor and against an overshoot at the start of the hold.
    high = (theta >= bottom_deg + 0.7 * (peak - bottom_deg)).nonzero()[0]
    if len(high) == 0:  # the peak lies below the given resting level (a guessed one): no range
        high = np.array([i_peak])
    top = lean_numpy.median(theta[high[0] : high[-1] + 1])
    rom = top - bottom_deg
    up_t, up_th = t[: i_peak + 1], theta[: i_peak + 1]
    dn_t, dn_th = t[i_peak:], theta[i_peak:]
    # Use the monotone stretch of each ramp nearest the top: the last rise before the peak, the first
    # fall after it.
    up_fit = fit_ramp(*_last_rise(up_t, up_th, bottom_deg, top), bottom_deg, top)
    dn_fit = fit_ramp(*_first_fall(dn_t, dn_th, top, end_deg), top, end_deg)
    t_peak = float(t[i_peak])
    if up_fit is None:
        start = _crossing(up_t, up_th, bottom_deg + 0.5 * rom)
        top_s = t_peak
    else:
        start, top_s = up_fit[0], up_fit[0] + up_fit[1]
    if dn_fit is None:
        lower = t_peak
        end = _crossing(dn_t, -dn_th, -(end_deg + 0.5 * (top - end_deg)))
    else:
        lower, end = dn_fit[0], dn_fit[0] + dn_fit[1]
    top_s = min(top_s, t_peak) if lower <= t_peak else top_s
    lower = max(lower, t_peak) if top_s >= t_peak else lower
    if top_s > lower:  # no hold: both at the turning point
        top_s = lower = t_peak
    start = max(start, float(t[0]))
    end = min(end, float(t[-1]) if end_by_s is None else max(end_by_s, float(t[-1])))
    start, end = min(start, top_s), max(end, lower)
    up_mask = (t >= start) & (t <= top_s)
    dn_mask = (t >= lower) & (t <= end)
    peak_up = float(speed_dps[up_mask].max()) if up_mask.any() else float(speed_dps[: i_peak + 1].max())
    peak_down = float(-speed_dps[dn_mask].min()) if dn_mask.any() else float(-speed_dps[i_peak:].min())
    return RepTiming(start, top_s, lower, end, rom, bottom_deg, top, end_deg, max(peak_up, 0.0), max(peak_down, 0.0))


def held_top_deg(t: np.ndarray, theta: np.ndarray, top_s: float, lower_s: float) -> float | None:
    """The angle (deg) the leg held at the top: the median of ``theta`` over the top hold, from
    ``top_s`` to ``lower_s``; None when fewer than ``MIN_HOLD_SAMPLES`` lie in it (the rep turned at its
    peak). The ramps' fits take the median of everything above 70 % of the peak, which also takes in
    the ramps' upper ends and reads the top a degree or two low (suite: range MAE 2.23 -> 1.88 deg)."""
    hold = (t >= top_s) & (t <= lower_s)
    return lean_numpy.median(theta[hold]) if hold.sum() >= MIN_HOLD_SAMPLES else None


def peak_accel_g(acc_g: np.ndarray) -> float:
    """How hard the leg was thrown (g): how far the low-passed acceleration's magnitude left 1 g,
    the 90th percentile over the rep (a knock or a single noisy sample does not count).

    A controlled rep keeps the ankle's own acceleration well under 1 g; a leg swung up or dropped
    reaches one to several g (its tangential and centripetal acceleration), which the accelerometer
    sees with or without a gyroscope.
    """
    if len(acc_g) == 0:
        return 0.0
    return lean_numpy.percentile(np.abs(norm(acc_g) - 1.0), 90)


def _last_rise(t: np.ndarray, theta: np.ndarray, lo: float, hi: float):
    """The up ramp: from the last time theta was at or below 10 % to its first arrival at 90 %."""
    if hi == lo:
        return t, theta
    frac = (theta - lo) / (hi - lo)
    low = (frac <= 0.1).nonzero()[0]
    i0 = low[-1] if len(low) else 0
    high = (frac[i0:] >= 0.9).nonzero()[0]
    i1 = i0 + high[0] + 1 if len(high) else len(theta)
    return t[i0:i1], theta[i0:i1]


def _first_fall(t: np.ndarray, theta: np.ndarray, hi: float, lo: float):
    """The down ramp: from the last time theta was at or above 90 % to its first arrival at 10 %."""
    if hi == lo:
        return t, theta
    frac = (theta - lo) / (hi - lo)
    low = (frac <= 0.1).nonzero()[0]
    i1 = low[0] + 1 if len(low) else len(theta)
    high = (frac[:i1] >= 0.9).nonzero()[0]
    i0 = high[-1] if len(high) else 0
    return t[i0:i1], theta[i0:i1]
