"""A controlled rep's phase times and range from the accelerometer alone, the leg's own acceleration included.

Without a gyroscope the leg angle is gravity's direction in the accelerometer's (low-passed) reading.
While the shin speeds up and slows down about the hip or knee, its tangential and centripetal
acceleration (tenths of a g on a 2 s straight-leg raise) turn that reading away from gravity: the angle
lags the leg as it leaves a level and leads it as it arrives, and the low-pass filter delays all of it.
A minimum-jerk ramp fitted to that angle (:mod:`imu.phases`) starts a tenth to half a second late and is
up to a third too short; where the leg turns without a rest (a flutter kick's ends), even the levels are off.

Here the rep is fitted to the readings themselves, through the model :mod:`imu.swing` explains,

    f(t) = k u(phi) - phi''(t) J q - phi'(t)^2 q        (g, in the plane of motion)

with the angle ``phi(t)`` the rep's two minimum-jerk ramps (bottom -> top -> end), ``q`` the lever
(fixed in the sensor frame), ``k`` the sensor's scale, and the model passed through the engine's own
low-pass filter. ``k`` and ``q`` enter linearly and are solved for at every step; the four ramp times and
the three levels are the non-linear unknowns, started from the plain fit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imu import lean_numpy
from imu.filters import lfilter_core, lfilter_zi
from imu.swing import G_MPS2, LEVER_M, levenberg_marquardt

MAX_RMS_G = 0.3  #: the model fits a controlled rep's readings to within this (g, RMS), or the plain fit stays
MAX_SHIFT_S = 0.8  #: a boundary the readings move further than this from the plain fit's is not trusted
MIN_RAMP_S = 0.15  #: the shortest ramp the model is fitted with
SETTLING_S = 0.15  #: the readings' first this long are not fitted: the filter's state there is the past's
_MAX_EVALUATIONS = 20
_STEP_S = 1e-4  #: finite-difference step of the Jacobian (s, rad)
_RIDGE = 1e-9 * np.diag([0.0, 1.0, 1.0])  # (the lever is unseen with the ramps out of view)
_TOL = 1e-3  #: the fit stops when a step changes the unknowns by less than this share of them


@dataclass(frozen=True)
class RampFit:
    """The fitted boundaries (s), levels (rad) and how well the model fits (see the module docstring)."""

    start_s: float
    top_s: float
    lower_s: float
    end_s: float
    bottom_rad: float
    top_rad: float
    end_rad: float
    rms_g: float
    lever_m: float
    from_down_deg: float = float("nan")  #: where the sensor sits from the axis at the bottom (see :class:`LeverFit`)


@dataclass(frozen=True)
class LeverFit:
    """The lever a movement turned about (:func:`lever_fit`): how far the sensor sat from the axis (m) and in which
    direction, as the angle (deg) of the line from the axis to the sensor from straight down at the movement's
    start: about 0 where the shin hangs from the axis (seated knee extension, hanging raise), about 90 where the leg
    lies level with it (lying, side-lying and prone lifts), 130-160 where the ankle starts above the hip (heel taps
    from a tabletop)."""

    lever_m: float
    from_down_deg: float


def from_down_deg(qx: float, qy: float, rest_rad: float) -> float:
    """Angle (deg) of the lever ``(qx, qy)`` (from the axis to the sensor, in the plane of motion) from straight
    down, with gravity's reading (which points up) at the angle ``rest_rad`` in that plane."""
    length = math.hypot(qx, qy)
    if length == 0.0:
        return float("nan")
    return math.degrees(math.acos(min(1.0, max(-1.0, -(qx * math.cos(rest_rad) + qy * math.sin(rest_rad)) / length))))


def _mj(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum-jerk position, speed and acceleration on the unit ramp (clipped outside [0, 1])."""
    x = x.clip(0.0, 1.0)
    x2 = x * x
    return x2 * x * (10 - 15 * x + 6 * x2), 30 * x2 * (1 - x) ** 2, 60 * x * (1 - x) * (1 - 2 * x)


def _fit_weights(t_s: np.ndarray, weights: np.ndarray | None) -> np.ndarray | None:
    """Each reading's weight in a fit (``weights``, default 1; 0 for lost data), 0 over the first ``SETTLING_S``
    after ``t_s[0]`` (the filter's state there is the past's); None when they add up to under 10 readings."""
    w = (np.ones(len(t_s)) if weights is None else np.asarray(weights, float)).copy()
    w[t_s - t_s[0] < SETTLING_S] = 0.0
    return None if w.sum() < 10 else w


def rep_ramps_fit(t_s: np.ndarray, acc_2d_g: np.ndarray, levels_rad: tuple[float, float, float],
                  guess_s: tuple[float, float, float, float], sos: np.ndarray,
                  weights: np.ndarray | None = None) -> RampFit | None:
    """The rep's boundaries (start, top, lower, end; s) and levels fitted to its low-passed in-plane
    readings ``acc_2d_g`` (n, 2; g, gravity's angle measured from the first axis) at evenly spaced times
    ``t_s`` from a little before the rep. ``levels_rad``: the plain fit's angles at the bottom, the top
    and the end; ``guess_s``: its boundaries; ``sos``: the low-pass filter the readings went through (one
    second-order section); ``weights`` (n,): 0 for readings not to fit (lost data). None when the model
    does not fit (a swing, a knock, too few readings), moves a boundary implausibly far or needs a lever longer
    than a leg's; a lever shorter than any hip's or knee's is returned (:func:`about_sensor`)."""
    n = len(t_s)
    w = _fit_weights(t_s, weights)
    if w is None:
        return None
    w = w[:, None]
    fx, fy = acc_2d_g[:, :1], acc_2d_g[:, 1:]
    b, a = sos[0, :3], sos[0, 3:]
    zi = lfilter_zi(b, a)[None, :, None]
    g0, g1, g2, g3 = guess_s
    tt = (t_s - g0)[:, None]  # times from the guessed start: the start times below are too

    def solve(xs):
        """Weighted residuals (n, 2, m) and linear coefficients (k, qx, qy) (3, m) for m unknown vectors
        ``xs`` (m, 7): start, up ramp, lowering start, down ramp (s), and the offsets of the bottom, top
        and end levels from the plain fit's (rad)."""
        t0, up, t1, down = xs[:, 0], np.maximum(xs[:, 1], MIN_RAMP_S), xs[:, 2], np.maximum(xs[:, 3], MIN_RAMP_S)
        bottom, top, end = (lv + xs[:, 4 + i] for i, lv in enumerate(levels_rad))
        p1, v1, a1 = _mj((tt - t0) / up)
        p2, v2, a2 = _mj((tt - t1) / down)
        phi = bottom + (top - bottom) * p1 + (end - top) * p2
        omega = (top - bottom) * v1 / up + (end - top) * v2 / down
        alpha = (top - bottom) * a1 / up**2 + (end - top) * a2 / down**2
        raw = np.empty((4,) + phi.shape)  # (4, n, m)
        np.cos(phi, out=raw[0])
        np.sin(phi, out=raw[1])
        raw[2] = alpha
        np.multiply(omega, omega, out=raw[3])
        rest = np.zeros((4, 1, len(xs)))  # the filter starts settled at the bottom level
        rest[0, 0], rest[1, 0] = np.cos(bottom), np.sin(bottom)
        ux, uy, al, om2 = lfilter_core(b, a, raw, 1, zi * rest)[0]
        # the model k u + qx c1 + qy c2, with -alpha J q - omega^2 q = qx (-om2, -al) + qy (al, -om2), J the +90 deg
        # turn: its normal equations in closed form (c1 and c2 are orthogonal and of one length)
        n11 = (w * (al * al + om2 * om2)).sum(0)
        n01 = (w * (-ux * om2 - uy * al)).sum(0)
        n02 = (w * (ux * al - uy * om2)).sum(0)
        normal = np.array([[(w * (ux * ux + uy * uy)).sum(0), n01, n02], [n01, n11, 0 * n11], [n02, 0 * n11, n11]])
        rhs = np.array([(w * (fx * ux + fy * uy)).sum(0), (w * (-fx * om2 - fy * al)).sum(0),
                        (w * (fx * al - fy * om2)).sum(0)])
        coef = np.linalg.solve(normal.transpose(2, 0, 1) + _RIDGE, rhs.T[:, :, None])[:, :, 0].T  # (3, m)
        k, qx, qy = coef
        rx = fx - (k * ux - qx * om2 + qy * al)
        ry = fy - (k * uy - qx * al - qy * om2)
        return np.stack([rx * w, ry * w], 1), coef

    coefs = {}  # the linear coefficients (3,) at each x the residuals were taken at (the fit's is wanted at the end)

    def residuals(x):
        r, coef = solve(x[None, :])
        coefs[x.tobytes()] = coef[:, 0]
        return r.ravel()

    def jacobian(x):
        r = solve(np.vstack([x, x + _STEP_S * np.eye(7)]))[0].reshape(2 * n, 8)
        return (r[:, 1:] - r[:, :1]) / _STEP_S

    x0 = np.zeros(7)
    x0[:4] = 0.0, max(g1 - g0, MIN_RAMP_S), g2 - g0, max(g3 - g2, MIN_RAMP_S)
    x, r = levenberg_marquardt(residuals, jacobian, x0, _MAX_EVALUATIONS, tol=_TOL)
    if not np.isfinite(x).all():
        return None
    _, qx, qy = coefs[x.tobytes()] if x.tobytes() in coefs else solve(x[None, :])[1][:, 0]
    t0, up, t1, down = g0 + x[0], max(x[1], MIN_RAMP_S), g0 + x[2], max(x[3], MIN_RAMP_S)
    fit = RampFit(float(t0), float(t0 + up), float(t1), float(t1 + down),
                  *(float(lv + dx) for lv, dx in zip(levels_rad, x[4:])),
                  rms_g=float(np.sqrt(np.sum(r**2) / max(1.0, float(w.sum())))),
                  lever_m=float(np.hypot(qx, qy) * G_MPS2),
                  from_down_deg=from_down_deg(float(qx), float(qy), float(levels_rad[0] + x[4])))
    moved = max(abs(fit.start_s - g0), abs(fit.top_s - g1), abs(fit.lower_s - g2), abs(fit.end_s - g3))
    if fit.rms_g > MAX_RMS_G or moved > MAX_SHIFT_S or fit.lever_m > LEVER_M[1]:
        return None
    return fit


def about_sensor(fit: RampFit) -> bool:
    """Whether the readings fitted (:func:`rep_ramps_fit`) a turn about an axis nearer the sensor than any hip or knee
    (``LEVER_M``): the shin turned about the ankle, as when the knees bend with the heel on the floor. Such a fit
    says where the axis was, but refines no rep's times or range: with no lever to speak of, the model is the
    tilt's own."""
    return fit.lever_m < LEVER_M[0]


def lever_fit(t_s: np.ndarray, acc_2d_g: np.ndarray, phi_rad: np.ndarray, sos: np.ndarray,
              weights: np.ndarray | None = None) -> LeverFit | None:
    """The lever (:class:`LeverFit`: the distance from the axis the shin turns about to the sensor, m, and its
    direction) of a movement whose angle ``phi_rad`` (gravity's in the plane of motion, per reading) is known,
    as with a gyroscope: the model of the module docstring with ``phi`` given, so ``k`` and ``q`` are a linear
    least-squares fit to
    the low-passed in-plane readings ``acc_2d_g`` (n, 2; g) at evenly spaced times ``t_s`` from a little
    before the movement. Bending the knees with the heels on the floor turns the shin about the ankle
    (a lever of centimetres), a straight-leg raise about the hip. None if too few readings to tell."""
    return lever_fits(t_s, acc_2d_g, phi_rad, sos, [(0, len(t_s))], weights)[0]


def lever_fits(t_s: np.ndarray, acc_2d_g: np.ndarray, phi_rad: np.ndarray, sos: np.ndarray,
               spans: list[tuple[int, int]], weights: np.ndarray | None = None) -> list[LeverFit | None]:
    """:func:`lever_fit` of each span ``(a, b)`` (indices into the readings) of one movement: a rep's way up and its way
    down, say. The model is filtered once, from the readings' start: a later span's starts with the filter's state
    there."""
    omega = lean_numpy.gradient(phi_rad, t_s)
    alpha = lean_numpy.gradient(omega, t_s)
    b, a = sos[0, :3], sos[0, 3:]
    raw = np.stack([np.cos(phi_rad), np.sin(phi_rad), alpha, omega * omega])
    rest = np.array([np.cos(phi_rad[0]), np.sin(phi_rad[0]), 0.0, 0.0])[:, None]
    ux, uy, al, om2 = lfilter_core(b, a, raw, 1, lfilter_zi(b, a)[None, :] * rest)[0]
    fits = []
    for i, j in spans:
        w = _fit_weights(t_s[i:j], None if weights is None else weights[i:j])
        if w is None:
            fits.append(None)
            continue
        # f = k u + qx (-om2, -al) + qy (al, -om2): the same normal equations as rep_ramps_fit's
        cols = np.stack([np.concatenate([ux[i:j], uy[i:j]]), np.concatenate([-om2[i:j], -al[i:j]]),
                         np.concatenate([al[i:j], -om2[i:j]])], 1)
        weighted = cols * np.concatenate([w, w])[:, None]
        y = np.concatenate([acc_2d_g[i:j, 0], acc_2d_g[i:j, 1]])
        coef = lean_numpy.solve3(cols.T @ weighted, weighted.T @ y)
        if coef is None:
            fits.append(None)
            continue
        fits.append(LeverFit(math.hypot(coef[1], coef[2]) * G_MPS2, from_down_deg(coef[1], coef[2], float(phi_rad[i]))))
    return fits
