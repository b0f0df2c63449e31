"""Where gravity points in the sensor's frame, and the leg angle it gives.

The strap can sit in any orientation, so nothing here assumes an axis points anywhere. Every leg-lift
variation rotates the shin about a horizontal axis (hip or knee), so the gravity direction seen by the
sensor sweeps an arc; the leg angle is how far along that arc it has moved from the set's resting
position.

Gravity is estimated by a complementary filter: the accelerometer direction, corrected at high
frequency by the gyroscope (``dg/dt = -omega x g`` in the sensor frame). Like x-io's Fusion AHRS it
rejects the accelerometer while it cannot be trusted: when the leg turns fast (its own tangential and
centripetal acceleration then tilt the accelerometer by up to tens of degrees) or the acceleration's
magnitude is far from 1 g, the time constant grows from ``tau_s`` to ``tau_moving_s`` and the gyroscope
carries the estimate; where the magnitude is more than ``reject_g`` off 1 g (the leg swung up, dropped
or caught: its direction may then be 30 deg or more off gravity) the accelerometer is ignored altogether,
as Fusion's acceleration rejection does. The filter is a first-order linear recurrence with a
time-varying gain, evaluated over whole arrays in blocks (no Python loop per sample), so it runs at
millions of samples a second. The gyro increment is taken about the previous pass's estimate; three
passes converge to the per-sample nonlinear filter. Without a gyroscope the low-passed accelerometer
direction is used as is (accurate when the leg is slow or still).
"""
from __future__ import annotations

import math

import numpy as np

from imu.masks import true_runs

_BLOCK = 256  # samples per block of the recurrence (keeps the running products well inside float64)
# chunks up to this many samples are fused in plain floats (see GravityFilter._passes_in_floats; numpy's passes
# are cheaper from ~20)
FLOAT_PASSES_MAX = 16
REACQUIRE_TAU_S = 0.3  # time constant just after a gap of the input (the estimate is held across the gap)
RESTART_FACTOR = 1e-3  # memory factor where the estimate restarts after a gap (0 breaks the blocked recurrence)


# The vector helpers take the components along the last axis, (..., 3) rows, or with ``axis=0`` along the
# first, (3, n): the fusion keeps each component's samples contiguous.

def _at(axis: int, k: int) -> tuple:
    """Index of component ``k`` along ``axis`` (-1 or 0)."""
    return (Ellipsis, k) if axis == -1 else (k,)


def norm(v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Length of each vector of ``v``, summing the squares in component order (as ``np.linalg.norm``
    of a row would, without its per-call overhead and without a reduction over a 3-long axis)."""
    sq = v * v
    if axis == 0:
        out = sq[0] + sq[1]
        out += sq[2]
    else:
        out = sq[..., 0] + sq[..., 1]
        out += sq[..., 2]
    return np.sqrt(out)


def unit(v: np.ndarray, axis: int = -1, length: np.ndarray | None = None) -> np.ndarray:
    """Vectors scaled to length 1 (zero ones stay zero, as do ones with a NaN); ``length``: their
    lengths, when already known."""
    n = norm(v, axis) if length is None else length
    n = n[..., None] if axis == -1 else n
    ok = n > 0
    if ok.all():
        return v / n
    return np.divide(v, n, out=np.zeros_like(v), where=ok)


_NEXT, _AFTER = np.array([1, 2, 0]), np.array([2, 0, 1])  # components k+1 and k+2 (mod 3)


def cross(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    """Cross products of the vectors of ``a`` and ``b`` (``np.cross`` without its per-call overhead)."""
    if a.shape == b.shape == (3,):  # two vectors (a frame's axes): the same products, in plain floats
        (a0, a1, a2), (b0, b1, b2) = a.tolist(), b.tolist()
        return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])
    out = np.empty_like(a) if a.shape == b.shape else np.empty(np.broadcast_shapes(a.shape, b.shape))
    for k in range(3):  # a_k+1 b_k+2 - a_k+2 b_k+1
        i, j = _at(axis, (k + 1) % 3), _at(axis, (k + 2) % 3)
        out[_at(axis, k)] = a[i] * b[j] - a[j] * b[i]
    return out


def cross_rows(a5: np.ndarray, b_after: np.ndarray, b_next: np.ndarray) -> np.ndarray:
    """``a x b`` for component-first ``a`` given as ``a5`` (5, n), its rows 0, 1, 2, 0, 1, and ``b``'s
    components reordered as ``b[[2, 0, 1]]`` and ``b[[1, 2, 0]]`` (the fusion rotates three estimates by one
    turn: it reorders the turn once)."""
    out = a5[1:4] * b_after
    out -= a5[2:5] * b_next
    return out


class BlockedRecurrence:
    """``y[k] = a[k] * y[k-1] + x[k]`` (``y[-1] = y0``) for fixed memory factors ``0 < a <= 1`` and any
    number of drives ``x`` (n, c), vectorised over whole arrays.

    Within each block of ``_BLOCK`` samples, ``y = p * (y_before + cumsum(x / p))`` with ``p`` the
    block's running product of ``a`` (computed once, for every drive); all blocks are evaluated in one
    numpy call each, and only the value carried from one block to the next (c floats per block) is
    chained in Python. Works component by component (each component's samples contiguous), whatever
    the memory layout of ``x``; returns (n, c) in the layout that keeps the components contiguous.
    """

    def __init__(self, a: np.ndarray):
        self.n = len(a)
        if 0 < self.n <= _BLOCK:  # (a short input is one block of its own length: nothing to pad)
            self.p = np.asarray(a, dtype=float).cumprod()[None, :]
            return
        block = min(_BLOCK, max(self.n, 1))
        blocks = -(-self.n // block)
        padded = np.ones(blocks * block)
        padded[: self.n] = a
        self.p = np.cumprod(padded.reshape(blocks, block), axis=1)  # (blocks, block)

    def __call__(self, x: np.ndarray, y0: np.ndarray) -> np.ndarray:
        return self.rows(x.T, y0).T

    def rows(self, x: np.ndarray, y0: np.ndarray) -> np.ndarray:
        """The same with the drives component-first: ``x`` (c, n) -> ``y`` (c, n)."""
        blocks, block = self.p.shape
        if blocks == 1:  # (a live stream's chunks: the same operations without the padding)
            p = self.p[0]
            y = x / p
            y.cumsum(axis=1, out=y)
            y += np.asarray(y0, dtype=float)[:, None]
            y *= p
            return y
        y = np.zeros((x.shape[0], blocks * block))
        np.divide(x, self.p.reshape(-1)[: self.n], out=y[:, : self.n])
        y3 = y.reshape(x.shape[0], blocks, block)
        np.cumsum(y3, axis=2, out=y3)
        y3 += self._carried(y3[:, :, -1], y0)[:, :, None]
        y3 *= self.p
        return y[:, : self.n]

    def _carried(self, sums: np.ndarray, y0: np.ndarray) -> np.ndarray:
        """``y`` just before each block (c, blocks), from each block's last running product and
        cumulative sums ``sums`` (c, blocks) (the same float operations as the vectorised blocks, so
        the chain matches them exactly)."""
        if sums.shape[1] == 1:
            return np.asarray(y0, dtype=float)[:, None]
        out = np.empty(sums.shape)
        prev = [float(v) for v in y0]
        for b, (p_end, s_end) in enumerate(zip(self.p[:, -1].tolist(), sums.T.tolist())):
            out[:, b] = prev
            prev = [p_end * (v + s) for v, s in zip(prev, s_end)]
        return out


def first_order_recurrence(a: np.ndarray, x: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """``y[k] = a[k] * y[k-1] + x[k]`` for all k (``y[-1] = y0``), vectorised; ``0 < a <= 1``."""
    return BlockedRecurrence(a)(x, y0)


class GravityFilter:
    """Streaming complementary filter: accelerometer (g) + gyroscope (deg/s) -> unit gravity vector.

    ``tau_s``: crossover time constant while the leg is slow (below ``1 / (2 pi tau_s)`` Hz the
    accelerometer wins); ``tau_moving_s`` while it turns faster than ``moving_dps`` or the
    acceleration's magnitude is more than ``accel_error_g`` off 1 g; the gyroscope alone where it is more
    than ``reject_g`` off (a swung leg: with the accelerometer's pull, a swung hanging leg raise read up to 25
    deg below the resting level after each drop and the set was lost).
    """

    PASSES = 3

    def __init__(self, rate_hz: float, tau_s: float = 1.0, tau_moving_s: float = 4.0,
                 moving_dps: float = 20.0, accel_error_g: float = 0.15, reject_g: float = 0.5,
                 reject_max_s: float = 5.0):
        self.dt = 1.0 / rate_hz
        self.tau_s, self.tau_moving_s = tau_s, tau_moving_s
        self.moving_dps, self.accel_error_g, self.reject_g = moving_dps, accel_error_g, reject_g
        self._reject_max = int(round(reject_max_s * rate_hz))
        self._trigger = 0  # the acceleration-rejection counter (see _rejected)
        self._in_reacquire = False  # the last block ended re-acquiring after a gap (see _restarted) ...
        self._restart_done = False  # ... and the estimate has restarted from the accelerometer there
        # the recurrence's memory factors exp(-dt / tau) while slow, moving and re-acquiring
        taus_s = np.array([tau_s, tau_moving_s, REACQUIRE_TAU_S])
        self._a_still, self._a_moving, self._a_reacquire = np.exp(-self.dt / taus_s)
        self._out: list[np.ndarray | tuple | None] = [None] * self.PASSES  # last (unnormalised) output of each pass
        self._state: list[np.ndarray | tuple | None] = [None] * self.PASSES  # last state fed to each pass

    def _gains(self, acc_norm_g: np.ndarray, gyro_norm_dps: np.ndarray, gap: np.ndarray | None,
               reacquire: np.ndarray | None) -> np.ndarray:
        """Per-sample memory factor ``exp(-dt / tau)`` of the recurrence, from the magnitudes of the
        acceleration (g) and the turn (deg/s)."""
        off_1g = np.abs(acc_norm_g - 1.0)
        moving = (gyro_norm_dps > self.moving_dps) | (off_1g > self.accel_error_g)
        a = np.where(moving, self._a_moving, self._a_still)
        a[self._rejected(off_1g > self.reject_g)] = 1.0  # the gyroscope alone
        a = self._restarted(a, reacquire, off_1g, gyro_norm_dps)
        if gap is not None:
            a[gap] = 1.0  # held
        return a

    def _restarted(self, a: np.ndarray, reacquire: np.ndarray | None, off_1g: np.ndarray,
                   gyro_norm_dps: np.ndarray) -> np.ndarray:
        """Memory factors of the re-acquisition after a gap (``reacquire``): the estimate held across the
        gap is pulled quickly (``REACQUIRE_TAU_S``) towards the accelerometer until the first sample it can
        be trusted on (within ``accel_error_g`` of 1 g, turning slower than ``moving_dps``), where it
        restarts from the accelerometer's direction (keeping ``RESTART_FACTOR`` of the held one); from there
        on, the usual factors. Pulled all along, the held direction followed a swung leg's accelerometer,
        far off gravity, and read the leg up to 100 deg off for seconds. Carried across blocks."""
        if reacquire is None:
            self._in_reacquire = False
            return a
        trusted = (off_1g < self.accel_error_g) & (gyro_norm_dps < self.moving_dps)
        for s0, e0 in zip(*true_runs(reacquire)):
            done = self._restart_done if s0 == 0 and self._in_reacquire else False
            if not done:
                hit = np.flatnonzero(trusted[s0:e0])
                k = s0 + int(hit[0]) if len(hit) else e0
                a[s0:k] = self._a_reacquire
                if k < e0:
                    a[k], done = RESTART_FACTOR, True
            self._restart_done = done
        self._in_reacquire = bool(reacquire[-1])
        return a

    def _rejected(self, off: np.ndarray) -> np.ndarray:
        """Which samples ``off`` 1 g the accelerometer is ignored on. Like Fusion's recovery trigger, a
        counter (carried across blocks) rises by 9 on each such sample and falls by 1 on each other one;
        once it reaches ``reject_max_s`` worth of samples (after ~0.55 s off 1 g without a break, or
        longer when the leg is readable in between) the accelerometer is let back in: over continuous
        kicking the gyroscope's drift would build up (flutter-kick sets were split)."""
        out = np.zeros(len(off), dtype=bool)
        trigger, top, done = self._trigger, self._reject_max, 0
        idx = np.flatnonzero(off)
        # the counter is back at 0 after ``top`` samples that are not off: only the stretches around the
        # samples off 1 g need a look, one sample at a time
        for run in np.split(idx, np.flatnonzero(np.diff(idx) > top) + 1) if len(idx) else ():
            a, b = int(run[0]), int(run[-1]) + 1
            trigger = max(0, trigger - (a - done))
            for k, is_off in enumerate(off[a:b].tolist(), start=a):
                trigger = min(max(trigger + (9 if is_off else -1), 0), top)
                out[k] = is_off and trigger < top
            done = b
        self._trigger = max(0, trigger - (len(off) - done))
        return out

    def __call__(self, acc_g: np.ndarray, gyro_dps: np.ndarray | None, gap: np.ndarray | None = None,
                 reacquire: np.ndarray | None = None) -> np.ndarray:
        """``gap``: True for samples interpolated across lost data; there the estimate is held where
        it was before the gap (the interpolated gyroscope says nothing about the turn, and the
        accelerometer's samples at a gap's edges may be swung: a straight path between them can point
        anywhere). ``reacquire``: True for samples just after such a gap, where the estimate
        moves from the held direction to where the leg now is (see :meth:`_restarted`)."""
        if gyro_dps is None or len(acc_g) == 0:
            return unit(acc_g)
        gap = gap if gap is not None and gap.any() else None
        reacquire = reacquire if reacquire is not None and reacquire.any() else None
        if len(acc_g) <= FLOAT_PASSES_MAX and gap is None and reacquire is None:
            return self._passes_in_floats(*self._inputs_in_floats(acc_g, gyro_dps))
        # component-first (3, n): each component's samples contiguous, one numpy call per operation
        acc, gyro = np.ascontiguousarray(acc_g.T), np.ascontiguousarray(gyro_dps.T)
        acc_norm = norm(acc, axis=0)
        g_acc = unit(acc, axis=0, length=acc_norm)
        a = self._gains(acc_norm, norm(gyro, axis=0), gap, reacquire)
        recurrence = BlockedRecurrence(a)
        omega_dt = np.radians(gyro) * self.dt
        if gap is not None:
            omega_dt[:, gap] = 0.0
        pull = (1.0 - a) * g_acc  # towards the accelerometer's direction
        about = g_acc
        omega_after, omega_next = omega_dt[_AFTER], omega_dt[_NEXT]
        self._start(g_acc[:, 0])
        if len(a) <= FLOAT_PASSES_MAX:
            return self._passes_in_floats(about.T.tolist(), a.tolist(), recurrence.p[0].tolist(), pull.T.tolist(),
                                          omega_after.T.tolist(), omega_next.T.tolist())
        # the state each pass rotates, with its rows 0 and 1 repeated below row 2: components k+1 and k+2
        # of every vector are then the views rows[1:4] and rows[2:5] (no gathering)
        state = np.empty((5, len(a)))
        for i in range(self.PASSES):
            # increments about the previous pass's estimate, one sample behind (the state being
            # rotated): -omega x state = state x omega
            state[:3, 0], state[:3, 1:] = self._state[i], about[:, :-1]
            state[3:] = state[:2]
            self._state[i] = about[:, -1].copy()
            drive = cross_rows(state, omega_after, omega_next)
            drive *= a
            drive += pull
            raw = recurrence.rows(drive, self._out[i])
            self._out[i] = raw[:, -1].copy()
            about = unit(raw, axis=0)
        return np.ascontiguousarray(about.T)

    def _start(self, g) -> None:
        """Starts the passes that have no estimate yet at the unit direction ``g`` (3 floats or an array (3,))."""
        for i in range(self.PASSES):
            if self._out[i] is None:
                self._out[i] = self._state[i] = g

    def _inputs_in_floats(self, acc_g: np.ndarray, gyro_dps: np.ndarray) -> tuple[list, ...]:
        """What :meth:`__call__` computes with numpy before the passes, for a few samples (g, deg/s; (n, 3))
        without gaps, in plain floats: the same float operations in the same order (the same bits).
        Returns the arguments of :meth:`_passes_in_floats`."""
        g_acc, a, off_reject, turns = [], [], [], []
        a_moving, a_still = float(self._a_moving), float(self._a_still)
        for (x, y, z), (wx, wy, wz) in zip(acc_g.tolist(), gyro_dps.tolist()):
            length = math.sqrt(x * x + y * y + z * z)  # (norm and unit)
            g_acc.append((x / length, y / length, z / length) if length > 0 else (0.0, 0.0, 0.0))
            off_1g = abs(length - 1.0)  # (_gains)
            moving = math.sqrt(wx * wx + wy * wy + wz * wz) > self.moving_dps or off_1g > self.accel_error_g
            a.append(a_moving if moving else a_still)
            off_reject.append(off_1g > self.reject_g)
            turns.append((math.radians(wx) * self.dt, math.radians(wy) * self.dt, math.radians(wz) * self.dt))
        if any(off_reject):
            for k in np.flatnonzero(self._rejected(np.array(off_reject))).tolist():
                a[k] = 1.0  # the gyroscope alone
        else:  # (what _rejected does when no sample is off)
            self._trigger = max(0, self._trigger - len(a))
        self._in_reacquire = False  # (what _restarted does without a re-acquisition)
        p, pull = [], []
        for a_k, (g0, g1, g2) in zip(a, g_acc):
            p.append(a_k if not p else p[-1] * a_k)  # (the recurrence's running product, BlockedRecurrence)
            q = 1.0 - a_k
            pull.append((q * g0, q * g1, q * g2))
        self._start(g_acc[0])
        return g_acc, a, p, pull, [(w2, w0, w1) for w0, w1, w2 in turns], [(w1, w2, w0) for w0, w1, w2 in turns]

    def _passes_in_floats(self, about: list, a: list, p: list, pull: list, w_after: list,
                          w_next: list) -> np.ndarray:
        """The passes of :meth:`__call__` over a live stream's few samples, in plain floats: sample by
        sample the same float operations in the same order (the same bits), without numpy's per-call
        overhead, which is most of their cost there. ``p``: the running product of the memory factors
        ``a`` (one block); the rest one (x, y, z) per sample (``w_after``, ``w_next``: the turn's
        components k+2 and k+1, rad)."""
        drives = list(zip(a, p, pull, w_after, w_next))
        for i in range(self.PASSES):
            (s0, s1, s2), (y0, y1, y2) = _floats(self._state[i]), _floats(self._out[i])
            out = []
            for k, ((a_k, p_k, (u0, u1, u2), (f0, f1, f2), (n0, n1, n2)), g) in enumerate(zip(drives, about)):
                # state x omega (see cross_rows), then the recurrence's block form (see BlockedRecurrence.rows)
                x0 = (s1 * f0 - s2 * n0) * a_k + u0
                x1 = (s2 * f1 - s0 * n1) * a_k + u1
                x2 = (s0 * f2 - s1 * n2) * a_k + u2
                if k:
                    t0, t1, t2 = t0 + x0 / p_k, t1 + x1 / p_k, t2 + x2 / p_k
                else:  # (not 0.0 + the first: that would turn a -0.0 into 0.0)
                    t0, t1, t2 = x0 / p_k, x1 / p_k, x2 / p_k
                r0, r1, r2 = (t0 + y0) * p_k, (t1 + y1) * p_k, (t2 + y2) * p_k
                length = math.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
                out.append((r0 / length, r1 / length, r2 / length) if length > 0 else (0.0, 0.0, 0.0))
                s0, s1, s2 = g
            self._state[i], self._out[i] = (s0, s1, s2), (r0, r1, r2)  # (kept as floats: see _floats)
            about = out
        return np.array(about)


def _floats(v) -> list | tuple:
    """A pass's carried vector as plain floats: the float passes keep theirs as a tuple of floats (no arrays made
    for a few samples), numpy's as an array (3,); numpy takes either as it is, the same values."""
    return v.tolist() if isinstance(v, np.ndarray) else v


def turn_rate_dps(u: np.ndarray, prev: np.ndarray | None, k: int, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """How fast the unit directions ``u`` (n, 3), sampled at ``rate_hz``, turn (deg/s): each against the one ``k``
    samples before it. ``prev``: up to ``k`` directions just before ``u`` (None: none; the first direction known
    stands in for those missing). Returns (the rates, the last ``k`` directions: the next call's ``prev``)."""
    if len(u) == 0:
        return np.empty(0), prev
    hist = u[:0] if prev is None else prev
    allu = np.concatenate([np.repeat((hist if len(hist) else u)[:1], k - len(hist), axis=0), hist, u])
    cos = np.einsum("ij,ij->i", allu[:-k], u).clip(-1.0, 1.0)
    return np.degrees(np.arccos(cos)) * rate_hz / k, allu[-k:].copy()


def tilt_deg(g: np.ndarray, home: np.ndarray) -> np.ndarray:
    """Unsigned angle (deg) between each gravity direction and the home direction."""
    return np.degrees(np.arccos((g @ home).clip(-1.0, 1.0)))


def leg_angle_deg(g: np.ndarray, home: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Signed angle (deg) of rotation about ``axis`` that takes ``home`` to each gravity direction.

    Positive in the direction of the set's lifts (the axis is chosen so); out-of-plane tilt is ignored.
    """
    s = g @ cross(axis, home)  # = (home x g) . axis, the scalar triple product
    c = g @ home
    return np.degrees(np.arctan2(s, c))


def plane_axis(home: np.ndarray, peak: np.ndarray) -> np.ndarray | None:
    """Unit rotation axis taking ``home`` towards ``peak`` (None if they are too close to tell)."""
    n = cross(home, peak)
    norm = np.linalg.norm(n)
    return None if norm < np.sin(np.radians(1.0)) else n / norm


def out_of_plane_deg(g: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Tilt (deg) of each gravity direction out of the plane of motion."""
    return np.degrees(np.arcsin((g @ axis).clip(-1.0, 1.0)))
