"""The leg's angle through a swing, from the accelerometer alone.

While the leg is swung or dropped its own acceleration (up to several g) hides gravity, so the
accelerometer's direction says nothing about the leg angle. But the shin turns about a fixed
horizontal axis (hip or knee), and then the accelerometer reads, in the sensor's frame,

    f(t) = u(theta) + alpha(t) * p - omega(t)^2 * q        (g)

with ``u(theta)`` gravity's direction turned by the leg angle ``theta`` in the plane of motion, ``omega``
and ``alpha`` the angle's first and second derivatives (rad/s, rad/s^2), ``q`` the lever (the vector from
the axis to the sensor divided by g: the centripetal term) and ``p`` the same turned by 90 degrees (the
tangential term). All of it lies in the plane of motion, and ``q`` is fixed in the sensor frame (the
sensor is strapped to the shin). Given where the leg rested before and after the stretch, the angle
through it and the lever are the least-squares fit of this model: one unknown angle per sample, two
equations per sample. Anything that is not a rotation about a fixed axis (walking, a knock) does not
fit it, and :func:`swing_directions` then says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu.orientation import norm

G_MPS2 = 9.80665
MAX_RMS_G = 0.08  #: the model fits a swing to within this (g, root mean square over the stretch) ...
MAX_RELATIVE_RMS = 0.15  #: ... or this share of the readings' own size (scale errors grow with them)
CLOSE_RMS_G = 0.04  #: a start of the fit that gets this close is taken without trying the others
MAX_OUT_OF_PLANE_G = 0.15  #: a rotation about one axis keeps every reading in one plane (g, RMS)
LEVER_M = (0.05, 1.5)  #: plausible distances from the hip or knee to the ankle sensor (m)
LOST_LEVER_M = 2.0  #: ... the longest one fitted between two known ends through readings lost in a hole: less ties
#: the lever down (a Polar frame lost as a lying leg raise began fitted 1.54 m; read as it was, the rep read 170 deg
#: and ended the set, suite #113 set 2: 3 of 8). Not for a free end (continuous kicking's windows): it ties nothing
_MAX_EVALUATIONS = 30  #: per start: a swing's fit converges in 10-30 steps; a start that has not is a wrong one
_JERK_WEIGHT = 1e-4  #: a little smoothness (rad/s^3 residuals scaled by this) keeps the fit well posed
_START_AMPLITUDES_RAD = (0.0, np.radians(90.0), -np.radians(90.0))  #: straight across first, then a bump either way
#: p = _TANGENTIAL @ q: the tangential term is the lever turned by -90 deg in the plane. In the shin's frame
#: gravity turns by -theta when the shin turns by theta, so the reading is u(phi) - phi'' J q - phi'^2 q with
#: phi the angle of gravity's reading and J the +90 deg turn; mirroring the in-plane axes (the plane's normal
#: has no preferred sign) leaves that form as it is, so the other sign is never a shin's turn
_TANGENTIAL = -np.array([[0.0, -1.0], [1.0, 0.0]])


@dataclass(frozen=True)
class SwingFit:
    """The model fitted through a stretch (see the module docstring)."""

    directions: np.ndarray  #: unit gravity directions (n, 3) in the sensor frame
    rms_g: float  #: how far the readings lie from the model (g, root mean square)
    out_of_plane_g: float  #: how far they lie from one plane (g, root mean square)
    lever_m: float  #: distance from the axis to the sensor (m)
    reading_rms_g: float  #: the readings' own size (g, root mean square)
    lost: bool = False  #: both ends were tied and readings between them were interpolated across lost data

    @property
    def fits(self) -> bool:
        """A turn about one axis: the model fits the readings, which lie in one plane."""
        return (self.rms_g <= max(MAX_RMS_G, MAX_RELATIVE_RMS * self.reading_rms_g)
                and self.out_of_plane_g <= MAX_OUT_OF_PLANE_G)

    @property
    def plausible(self) -> bool:
        """A turn of the shin about one axis: the model fits and the lever is a leg's (up to ``LOST_LEVER_M``
        when readings were ``lost``)."""
        return self.fits and LEVER_M[0] <= self.lever_m <= (LOST_LEVER_M if self.lost else LEVER_M[1])


def fit_swing(t_s: np.ndarray, acc_g: np.ndarray, seen: np.ndarray | None = None,
              start_dir: np.ndarray | None = None, free_end: bool = False,
              free_start: bool = False) -> SwingFit | None:
    """The model fitted through a stretch of acceleration ``acc_g`` (n, 3; g) at evenly spaced times
    ``t_s`` whose first and last samples are reliable (the leg still or slow there): those two
    directions are kept, the ones between are fitted. ``seen`` (n,) bool: False where the readings
    were interpolated across lost data (they do not follow the model: the angle there is carried by
    the fit's smoothness alone). ``start_dir``: gravity's direction at the first sample when it is known
    otherwise than from its reading (continuous swinging fitted window by window); ``free_end``: the
    last sample's direction is fitted too (the swinging goes on); ``free_start``: so is the first one's
    (nothing reliable before it: the readings alone fix the angle, gravity being 1 g). None for a stretch
    too short to fit, or with too little of it seen."""
    n = len(t_s)
    seen = np.ones(n, bool) if seen is None else np.asarray(seen, bool).copy()
    seen[[0, -1]] = True
    if n < 6 or seen.sum() < max(6, 0.6 * n):
        return None
    acc_seen = acc_g[seen]
    _, vecs = np.linalg.eigh(acc_seen.T @ acc_seen)
    normal = vecs[:, 0]  # the plane of motion holds every reading: its normal is the weakest direction
    first = acc_g[0] if start_dir is None else np.asarray(start_dir, float)
    e1 = first - (first @ normal) * normal
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(normal, e1)
    f = np.stack([acc_g @ e1, acc_g @ e2], axis=1)
    theta_end = None if free_end else float(np.arctan2(f[-1, 1], f[-1, 0]))
    theta, lever_g, rms_g = _fit(f, float(t_s[1] - t_s[0]), theta_end, seen, free_start)
    out = np.cos(theta)[:, None] * e1 + np.sin(theta)[:, None] * e2
    if not free_start:
        out[0] = first / np.linalg.norm(first)
    if not free_end:
        out[-1] = acc_g[-1] / np.linalg.norm(acc_g[-1])
    return SwingFit(out, rms_g, float(np.sqrt(np.mean((acc_seen @ normal) ** 2))),
                    float(np.linalg.norm(lever_g) * G_MPS2), float(np.sqrt(np.mean(norm(acc_seen) ** 2))),
                    not (free_start or free_end or bool(seen.all())))


def swing_directions(t_s: np.ndarray, acc_g: np.ndarray, seen: np.ndarray | None = None,
                     start_dir: np.ndarray | None = None, free_end: bool = False,
                     free_start: bool = False) -> np.ndarray | None:
    """Unit gravity directions (n, 3) through a swing (see :func:`fit_swing`), or None when the stretch
    is not a turn of the shin about one axis (:attr:`SwingFit.plausible`)."""
    fit = fit_swing(t_s, acc_g, seen, start_dir, free_end, free_start)
    return fit.directions if fit is not None and fit.plausible else None


def ankle_lower_at(up_a: np.ndarray, up_b: np.ndarray, up: np.ndarray, acc_g: np.ndarray,
                   speed_dps: np.ndarray) -> float:
    """How much lower, relative to the axis the shin turns about, the sensor sat where gravity's reading was ``up_a``
    than where it was ``up_b`` (unit vectors in the sensor frame), as the leg's own acceleration over a stretch of
    turning shows it (``up``: gravity's unit direction per sample, ``acc_g`` the low-passed readings, g, ``speed_dps``
    how fast the shin turned). By the model above, turning at ``omega`` lengthens the reading by about ``omega^2``
    times the height of the axis above the sensor (the centripetal term along gravity's direction): positive where the
    ankle hangs below its hip or knee, negative where it is held above. The readings' directions weighted by that
    lengthening and by ``omega^2`` point towards where the ankle was low; returns the difference of their cosines with
    ``up_a`` and ``up_b`` (between -2 and 2; positive: lower at ``up_a``). It needs no idea of how the sensor is
    strapped on, and holds as well without a gyroscope: it tells which end of a rep is the rest where the ankle
    rests lowest (every leg raise lifts the ankle; a heel tap lowers it)."""
    w2 = np.radians(speed_dps) ** 2
    lengthening = norm(acc_g) - 1.0
    toward_low = ((lengthening * w2)[:, None] * up).sum(axis=0)
    size = float(np.linalg.norm(toward_low))
    if size == 0.0:
        return 0.0
    toward_low /= size
    return float(toward_low @ up_a - toward_low @ up_b)


def _fit(f: np.ndarray, dt: float, theta_end: float | None, seen: np.ndarray,
         free_start: bool = False) -> tuple[np.ndarray, np.ndarray, float]:
    """(theta (n,) rad, lever q (2,) in g per rad/s^2, RMS misfit g over the ``seen`` samples) of the
    best fit of the model to the in-plane readings ``f`` (n, 2) where they were ``seen``; the last angle
    is ``theta_end`` (None: fitted too), the first 0 unless ``free_start``."""
    n = len(f)
    i0 = 0 if free_start else 1
    k = n - i0 - (theta_end is not None)  # unknown angles: theta[i0 : i0 + k]
    head = [] if free_start else [0.0]
    tail = [] if theta_end is None else [theta_end]
    w = np.repeat(seen.astype(float), 2)  # residual weights: 0 for readings interpolated across lost data
    eye = np.eye(n)
    d1 = np.gradient(eye, dt, axis=0)  # omega = d1 @ theta (np.gradient is linear)
    d2 = d1 @ d1
    d3 = np.diff(eye, 3, axis=0) * (_JERK_WEIGHT / dt**3)

    def unpack(x):
        return np.concatenate((head, x[:k], tail)), x[k:]

    def residuals(x):
        theta, q = unpack(x)
        omega, alpha = d1 @ theta, d2 @ theta
        p = _TANGENTIAL @ q
        model = np.stack([np.cos(theta), np.sin(theta)], axis=1) + np.outer(alpha, p) - np.outer(omega**2, q)
        return np.concatenate([(f - model).ravel() * w, d3 @ theta])

    def jacobian(x):
        theta, q = unpack(x)
        omega, alpha = d1 @ theta, d2 @ theta
        p = _TANGENTIAL @ q
        jac = np.zeros((3 * n - 3, k + 2))
        for c, du in ((0, -np.sin(theta)), (1, np.cos(theta))):  # the model's c-th component
            d_theta = np.diag(du) + p[c] * d2 - 2.0 * (omega * q[c])[:, None] * d1
            jac[c : 2 * n : 2, :k] = -d_theta[:, i0 : i0 + k]
            jac[c : 2 * n : 2, k:] = -(np.outer(alpha, _TANGENTIAL[c]) - np.outer(omega**2, eye[c, :2]))
        jac[: 2 * n] *= w[:, None]
        jac[2 * n :, :k] = d3[:, i0 : i0 + k]
        return jac

    ramp = np.linspace(0.0, 1.0, n)
    best, best_rms = None, np.inf
    # the fit is not convex: a few starts, kept until one fits closely (with no known start, first the
    # readings' own angles)
    starts = [amplitude * np.sin(np.pi * ramp) + (theta_end or 0.0) * ramp for amplitude in _START_AMPLITUDES_RAD]
    if free_start:
        starts.insert(0, np.unwrap(np.arctan2(f[:, 1], f[:, 0])))
    for start in starts:
        x, r = levenberg_marquardt(residuals, jacobian, np.concatenate([start[i0 : i0 + k], [0.0, 0.0]]),
                                   _MAX_EVALUATIONS)
        rms = float(np.sqrt(np.sum(r[: 2 * n] ** 2) / seen.sum()))
        if rms < best_rms:
            best, best_rms = x, rms
        if best_rms <= CLOSE_RMS_G:
            break
    theta, q = unpack(best)
    return theta, q, best_rms


def levenberg_marquardt(residuals, jacobian, x0: np.ndarray, max_evaluations: int,
                        tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """(x, residuals at x) minimising ``|residuals(x)|^2`` from ``x0``: Levenberg-Marquardt on the normal
    equations, with Nielsen's update of the damping (K. Madsen, H. B. Nielsen, O. Tingleff, *Methods for
    non-linear least squares problems*, 2004, algorithm 3.16). At most ``max_evaluations`` evaluations of
    ``residuals``; stops when a step changes x or the cost by less than ``tol`` (relative) or the gradient
    vanishes. The swing's problems are small (a hundred unknowns) and well posed (the smoothness term), so
    the normal equations are solved directly, with numpy's LAPACK, in place of MINPACK's unblocked QR of
    the Jacobian (``scipy.optimize.least_squares(method="lm")``): the suite's counts, phases and flags are
    the same, and the fits of a third of its acc-only sessions took 6.0 s instead of 7.7 s (both with two
    BLAS threads; 3.1 s with one, see ``imu/__init__.py``)."""
    x = np.asarray(x0, dtype=float)
    r = residuals(x)
    cost = float(r @ r)
    jac = jacobian(x)
    a, g = jac.T @ jac, jac.T @ r
    mu, nu = 1e-3 * float(np.max(np.diag(a), initial=1.0)), 2.0
    diag = np.diag_indices_from(a)
    for _ in range(max_evaluations - 1):
        if float(np.max(np.abs(g), initial=0.0)) <= tol:
            break
        damped = a.copy()
        damped[diag] += mu
        try:
            step = -np.linalg.solve(damped, g)
        except np.linalg.LinAlgError:
            break
        if float(np.linalg.norm(step)) <= tol * (float(np.linalg.norm(x)) + tol):
            break
        x_new = x + step
        r_new = residuals(x_new)
        cost_new = float(r_new @ r_new)
        predicted = float(step @ (mu * step - g))  # the reduction the linearised residuals promise
        gain = (cost - cost_new) / predicted if predicted > 0 else -1.0
        if gain > 0:
            done = cost - cost_new <= tol * cost
            x, r, cost = x_new, r_new, cost_new
            if done:
                break
            jac = jacobian(x)
            a, g = jac.T @ jac, jac.T @ r
            mu *= max(1.0 / 3.0, 1.0 - (2.0 * gain - 1.0) ** 3)
            nu = 2.0
        else:
            mu *= nu
            nu *= 2.0
    return x, r
