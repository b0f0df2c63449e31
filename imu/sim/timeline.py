"""A session's leg motion as a timeline of pieces, rendered onto a fine time grid.

Times in seconds from the session start; pose angles in degrees (see :class:`~imu.sim.body.Pose`).
Pieces are contiguous; on top of them come additive angle layers (tremor, sway, breathing, body swing),
short impact vibrations of the sensor, and sensor-handling windows (restrap) that override the sensor's
orientation and position.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .body import Pose, wrap180
from .kinematics import G
from .profiles import minjerk
from .rotations import leg_matrices, matrix_to_quat, quat_to_matrix, slerp, unit


@dataclass
class Move:
    """Pose interpolated from ``a`` to ``b`` (pose vectors) along ``profile`` over [t0, t1]."""

    t0: float
    t1: float
    a: np.ndarray
    b: np.ndarray
    profile: Callable = minjerk

    def render(self, t: np.ndarray) -> np.ndarray:
        if self.t1 <= self.t0 or np.array_equal(self.a, self.b):
            return np.broadcast_to(self.b, (len(t), 8))
        s = self.profile((t - self.t0) / (self.t1 - self.t0))
        return self.a + (self.b - self.a) * s[:, None]


@dataclass
class Track:
    """Pose vectors precomputed at times ``times`` (absolute), linearly interpolated (e.g. walking)."""

    t0: float
    t1: float
    times: np.ndarray
    values: np.ndarray

    def render(self, t: np.ndarray) -> np.ndarray:
        return np.column_stack([np.interp(t, self.times, self.values[:, k]) for k in range(8)])


@dataclass
class Layer:
    """Additive oscillation of psi (deg): ``amp * sum(w_k sin(2 pi f_k t + ph_k)) / |w|`` with smooth
    ramps at both ends. ``swing_m`` > 0 also moves the pivot along the arc (hanging body swing)."""

    t0: float
    t1: float
    amp_deg: float
    freqs: np.ndarray
    phases: np.ndarray
    weights: np.ndarray
    ramp_s: float = 0.4
    swing_m: float = 0.0

    def signal(self, t: np.ndarray) -> np.ndarray:
        w = self.weights / np.sqrt(np.sum(self.weights ** 2))
        x = (w[None, :] * np.sin(2 * np.pi * self.freqs[None, :] * t[:, None] + self.phases[None, :])).sum(1)
        ramp = min(self.ramp_s, (self.t1 - self.t0) / 3)
        env = minjerk((t - self.t0) / ramp) * minjerk((self.t1 - t) / ramp) if ramp > 0 else 0 * t
        return self.amp_deg * np.sqrt(2) * env * x


@dataclass
class Impact:
    """A short, zero-mean vibration of the sensor (touch-down, heel strike): displacement
    ``A exp(-u^2 / 2 sigma^2) sin(2 pi f u)`` along ``direction``, scaled to a peak acceleration ``peak_g``."""

    t: float
    peak_g: float
    direction: np.ndarray
    freq_hz: float = 30.0
    sigma_s: float = 0.008

    def displacement(self, t: np.ndarray) -> np.ndarray:
        w = 2 * np.pi * self.freq_hz
        u = np.linspace(-4 * self.sigma_s, 4 * self.sigma_s, 801)
        a_max = np.max(np.abs(_wavelet_acc(u, w, self.sigma_s)))
        amp = self.peak_g * G / a_max
        u = t - self.t
        d = amp * np.exp(-u ** 2 / (2 * self.sigma_s ** 2)) * np.sin(w * u)
        return d[:, None] * (self.direction / np.linalg.norm(self.direction))[None, :]


def _wavelet_acc(u, w, s):
    g = np.exp(-u ** 2 / (2 * s ** 2))
    return g * ((u ** 2 / s ** 4 - 1 / s ** 2 - w ** 2) * np.sin(w * u) - 2 * w * u / s ** 2 * np.cos(w * u))


@dataclass
class Handling:
    """Sensor off the leg in the hand (restrap): orientation through random key rotations, position
    wandering around, from ``R_leg @ M_old`` back onto the (still) leg as ``R_leg @ M_new``."""

    t0: float
    t1: float
    key_t: np.ndarray
    key_q: np.ndarray
    key_off: np.ndarray


def _qmul(a, b):
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


@dataclass
class Timeline:
    """Builder of a session's motion. ``t`` is the current time, ``pose`` the pose reached at ``t``."""

    pose: Pose
    mounting: np.ndarray
    t: float = 0.0
    pieces: list = field(default_factory=list)
    layers: list = field(default_factory=list)
    impacts: list = field(default_factory=list)
    handlings: list = field(default_factory=list)
    mounts: list = field(default_factory=list)  #: [(t_from, 3x3)] mounting changes

    def __post_init__(self):
        self.mounts = [(-np.inf, np.asarray(self.mounting, float))]

    def move(self, dur: float, pose: Pose, profile: Callable = minjerk) -> None:
        """Move smoothly to ``pose`` in ``dur`` seconds (heading unwrapped to the shortest turn)."""
        pose = pose.but(beta=self.pose.beta + wrap180(pose.beta - self.pose.beta))
        if dur > 0:
            self.pieces.append(Move(self.t, self.t + dur, self.pose.vec(), pose.vec(), profile))
        self.t += max(dur, 0.0)
        self.pose = pose

    def hold(self, dur: float) -> None:
        self.move(dur, self.pose)

    def track(self, times: np.ndarray, values: np.ndarray) -> None:
        """Append a precomputed pose track; ``times`` start at 0 (relative to now)."""
        self.pieces.append(Track(self.t, self.t + times[-1], self.t + times, values))
        self.t += float(times[-1])
        self.pose = Pose.from_vec(values[-1])

    def layer(self, t0: float, t1: float, amp_deg: float, f_range, rng, n: int = 3, **kw) -> None:
        """Add an oscillation of psi with ``n`` random frequencies in ``f_range`` (Hz) over [t0, t1]."""
        if t1 - t0 > 0.2 and amp_deg > 0:
            self.layers.append(Layer(t0, t1, amp_deg, rng.uniform(*f_range, n), rng.uniform(0, 2 * np.pi, n),
                                     rng.uniform(0.5, 1.0, n), **kw))

    def impact(self, t: float, peak_g: float, direction=(0, 0, 1), rng=None) -> None:
        f = 30.0 if rng is None else rng.uniform(22, 40)
        self.impacts.append(Impact(t, peak_g, np.asarray(direction, float), f))

    def handling(self, dur: float, new_mounting: np.ndarray, rng: np.random.Generator) -> None:
        """The sensor is taken off, handled for ``dur`` s and strapped back with ``new_mounting``."""
        R_leg = leg_matrices(*np.radians(self.pose.vec()[:3]))
        n = max(2, int(round(dur / rng.uniform(0.4, 0.7))))
        key_t = np.linspace(0.0, dur, n + 1)
        key_t[1:-1] += rng.uniform(-0.2, 0.2, n - 1) * dur / n
        key_t += self.t
        q = [matrix_to_quat(R_leg @ self.mounts[-1][1])]
        for _ in range(n - 1):  # tumble: 30-120 deg about a random axis between keys
            axis = rng.standard_normal(3)
            ang = np.radians(rng.uniform(30, 120))
            dq = np.concatenate([[np.cos(ang / 2)], np.sin(ang / 2) * axis / np.linalg.norm(axis)])
            q.append(_qmul(q[-1], dq))
        q.append(matrix_to_quat(R_leg @ new_mounting))
        off = rng.uniform(-0.2, 0.2, (len(key_t), 3)) + np.array([0, 0, 0.25])
        off[0] = off[-1] = 0
        self.handlings.append(Handling(self.t, self.t + dur, key_t, np.array(q), off))
        self.hold(dur)
        self.mounts.append((self.t, np.asarray(new_mounting, float)))

    # ------------------------------------------------------------------ rendering
    def render(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Render on grid ``t`` -> (psi_deg (N,), sensor orientation (N, 3, 3), sensor position (N, 3))."""
        X = np.empty((len(t), 8))
        X[:] = self.pieces[0].render(t[:1])[0] if self.pieces else self.pose.vec()
        for pc in self.pieces:
            i0, i1 = np.searchsorted(t, [pc.t0, pc.t1])
            X[i0:i1] = pc.render(t[i0:i1])
        X[np.searchsorted(t, self.t):] = self.pose.vec()
        for L in self.layers:
            i0, i1 = np.searchsorted(t, [L.t0, L.t1])
            d = L.signal(t[i0:i1])
            X[i0:i1, 1] += d
            if L.swing_m:
                b = np.radians(X[i0:i1, 0])
                X[i0:i1, 3] += L.swing_m * np.radians(d) * np.cos(b)
                X[i0:i1, 4] += L.swing_m * np.radians(d) * np.sin(b)
        R = leg_matrices(*np.radians(X[:, :3].T))
        p = X[:, 3:6] + X[:, 6:7] * unit(X[:, 0], X[:, 1] + X[:, 7])
        for imp in self.impacts:
            i0, i1 = np.searchsorted(t, [imp.t - 5 * imp.sigma_s, imp.t + 5 * imp.sigma_s])
            p[i0:i1] += imp.displacement(t[i0:i1])
        edges = [np.searchsorted(t, tf) for tf, _ in self.mounts[1:]] + [len(t)]
        i0 = 0
        for (_, M), i1 in zip(self.mounts, edges):
            R[i0:i1] = R[i0:i1] @ M
            i0 = i1
        for h in self.handlings:
            self._render_handling(h, t, R, p)
        return X[:, 1].copy(), R, p

    @staticmethod
    def _render_handling(h: Handling, t, R, p) -> None:
        i0, i1 = np.searchsorted(t, [h.t0, h.t1])
        if i1 <= i0:
            return
        tt = t[i0:i1]
        k = np.clip(np.searchsorted(h.key_t, tt, side="right") - 1, 0, len(h.key_t) - 2)
        s = minjerk((tt - h.key_t[k]) / (h.key_t[k + 1] - h.key_t[k]))
        q = np.empty((len(tt), 4))
        for j in np.unique(k):
            m = k == j
            q[m] = slerp(h.key_q[j], h.key_q[j + 1], s[m])
        R[i0:i1] = quat_to_matrix(q)
        p[i0:i1] += h.key_off[k] + (h.key_off[k + 1] - h.key_off[k]) * s[:, None]
