"""The engine's front end: raw samples in any chunking -> motion signals on a fixed 50 Hz grid.

Per grid sample (all chunk-invariant: the filters keep their state between chunks):

- ``g``: unit gravity direction in the sensor frame (:class:`imu.orientation.GravityFilter`);
- ``speed_dps``: how fast the shin turns, deg/s (gyro magnitude, or the turning rate of ``g``
  without a gyroscope);
- ``jolt_g``: the accelerometer's high-frequency part, g (heel strikes, knocks);
- ``gap_s``: the length (s) of the filled gap of the input the grid point lies in, 0 outside gaps;
- ``acc_g``: the low-passed acceleration (g), for the leg's own acceleration (``acc_g - g``).

Without a gyroscope the accelerometer is the only orientation sensor, and while the leg is swung
hard its own acceleration (several g when it is flung up) hides gravity completely. Where the
low-passed acceleration's magnitude is more than ``UNRELIABLE_G`` off 1 g (and for ``SETTLE_S``
after it was off for ``SUSTAINED_S`` or longer: readings that pass through 1 g in the middle of a swing
say nothing) the gravity direction is bridged between the reliable directions on either side, held
back until the leg is readable again (at most ``MAX_BRIDGE_S``): by the fitted swing
(:func:`imu.swing.swing_directions`) when the leg was thrown (``SWING_G``) and the stretch is a turn of
the shin about one axis, else by interpolating across the readings off 1 g. Continuous swinging (no
reliable reading for longer than that) is bridged swing by swing between the pauses in it: where the
unfiltered accelerometer stays within ``PAUSE_G`` of 1 g and turns slower than ``PAUSE_DPS`` for
``PAUSE_S`` (the leg caught at the bottom; the low-passed reading still rings there), the last such
sample is taken as it points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu.filters import GridResampler, StreamSos
from imu.gaps import LONG_GAP_S
from imu.masks import true_runs
from imu.orientation import GravityFilter, norm, unit
from imu.swing import swing_directions

GRID_HZ = 50.0
UNRELIABLE_G = 0.25
MAX_BRIDGE_S = 2.0
SETTLE_S = 0.3  #: acc-only: readings are unreliable this long (s) after a sustained stretch off 1 g
SUSTAINED_S = 0.16  #: acc-only: off 1 g this long (s) is a swing, not a footstep
SWING_G = 0.5  #: acc-only: a stretch whose acceleration left 1 g by this much (g) is fitted as a swing
TURN_BASELINE = 5  #: grid samples over which the turning rate of the gravity direction is taken
PAUSE_G = 0.1  #: acc-only: within this of 1 g (g) ...
PAUSE_DPS = 60.0  #: ... and turning slower than this (deg/s) ...
PAUSE_S = 0.08  #: ... for this long (s), the leg pauses between swings
REACQUIRE_S = 1.5  #: after a long gap the orientation is re-acquired for this long (see GravityFilter)


@dataclass
class Block:
    """Motion signals for consecutive grid samples."""

    t: np.ndarray
    g: np.ndarray
    speed_dps: np.ndarray
    jolt_g: np.ndarray
    gap_s: np.ndarray
    acc_g: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


class SignalFront:
    """Turns raw chunks into :class:`Block` segments; a new segment starts after each long gap."""

    def __init__(self, has_gyro: bool, max_fill_s: float = 5.0):
        self.has_gyro = has_gyro
        self.resampler = GridResampler(GRID_HZ, max_fill_s=max_fill_s)
        self._reset_filters()

    def _reset_filters(self) -> None:
        self.lowpass = StreamSos(2, 3.0, GRID_HZ)  # acc and gyro together: one call per chunk
        self.gravity = GravityFilter(GRID_HZ)
        self._g_prev: np.ndarray | None = None
        self._in_gap_s = 0.0  # length of a long gap the last block ended in
        self._reacquire_left = 0  # samples of re-acquisition after a gap still to mark
        self._reacquire_gap_s = 0.0
        self._held: Block | None = None  # acc-only: samples waiting for a reliable direction
        self._held_ok: np.ndarray | None = None
        self._last_ok_g: np.ndarray | None = None  # direction, time and acceleration of the last reliable
        self._last_ok_t: float | None = None  # sample released
        self._last_ok_acc: np.ndarray | None = None
        self._off_run = 0  # samples off 1 g at the end of the last block
        self._since_sustained = int(round(SETTLE_S * GRID_HZ))  # samples since a sustained stretch off 1 g ended
        self._run_t0: float | None = None  # start of an unreliable run still open at the last call
        self._run_long = False  # ... and whether it is longer than MAX_BRIDGE_S (bridged between its pauses)
        self._held_pause: np.ndarray | None = None
        self._held_raw: np.ndarray | None = None
        self._raw_prev: np.ndarray | None = None  # the last two raw directions (the pauses' turning rate)

    def __call__(self, t_s: np.ndarray, acc_g: np.ndarray, gyro_dps: np.ndarray | None) -> list[tuple[bool, Block]]:
        """Returns (follows_a_long_gap, block) pairs in time order."""
        x = acc_g if not self.has_gyro else np.hstack([acc_g, gyro_dps])
        gt, gx, gap, breaks = self.resampler(t_s, x)
        out = []
        bounds = [0, *breaks, len(gt)]
        for k in range(len(bounds) - 1):
            a, b = bounds[k], bounds[k + 1]
            if k > 0:
                out += [(False, b) for b in self.flush()]
                self._reset_filters()
            if b > a:
                out.append((k > 0, self._block(gt[a:b], gx[a:b], gap[a:b])))
            elif k > 0:
                out.append((True, self._block(gt[a:a], gx[a:a], gap[a:a])))
        return out

    def flush(self) -> list[Block]:
        """Samples still held back (acc-only bridging), released as they are: at the end of a stream."""
        held, self._held, self._held_ok, self._held_pause, self._held_raw = self._held, None, None, None, None
        if held is None or len(held) == 0:
            return []
        held.speed_dps = self._turn_rate_dps(held.g)
        return [held]

    def _block(self, t: np.ndarray, x: np.ndarray, gap_s: np.ndarray) -> Block:
        acc = x[:, :3]
        x_f = self.lowpass(x)
        acc_f = x_f[:, :3]
        jolt = norm(acc - acc_f)
        if self.has_gyro:
            gyro = x[:, 3:6]
            gyro_f = x_f[:, 3:6]
            long_gap = gap_s > LONG_GAP_S  # the interpolated gyroscope is not fused across these
            reacquire = self._after_gaps(long_gap, gap_s)
            g = self.gravity(acc, gyro, long_gap, reacquire)  # unfiltered: the fusion itself smooths, without a filter's lag
            speed = norm(gyro_f)
            if long_gap.any():  # the interpolated gyroscope says nothing: how fast the estimate turns there
                speed[long_gap] = self._turn_rate_dps(g)[long_gap]
            self._remember(g)
        else:
            off = np.abs(norm(acc_f) - 1.0)
            near_1g = off < UNRELIABLE_G
            ok = near_1g & self._settled(near_1g)
            raw_u, pause = self._paused(acc)
            block = self._bridge(Block(t, unit(acc_f), np.zeros(len(t)), jolt, gap_s, acc_f), ok, pause, raw_u)
            block.speed_dps = self._turn_rate_dps(block.g)
            return block
        return Block(t, g, speed, jolt, gap_s, acc_f)

    def _after_gaps(self, long_gap: np.ndarray, gap_s: np.ndarray) -> np.ndarray:
        """Marks the ``REACQUIRE_S`` after each long gap (the orientation is re-acquired there) and
        gives those samples the gap's length in ``gap_s`` (in place): what is seen there is the gap's
        aftermath, not yet a reliable leg angle."""
        n = len(long_gap)
        out = np.zeros(n, bool)
        if n == 0 or not (self._reacquire_left or self._in_gap_s > 0 or long_gap.any()):
            return out  # no gap here, none just before
        k = int(round(REACQUIRE_S * GRID_HZ))
        if self._reacquire_left:  # carried over from the previous block
            m = min(self._reacquire_left, n)
            out[:m] = True
            gap_s[:m] = np.maximum(gap_s[:m], self._reacquire_gap_s)
            self._reacquire_left -= m
        prev = np.concatenate(([self._in_gap_s > 0], long_gap[:-1]))
        for e in np.flatnonzero(prev & ~long_gap):
            length = float(gap_s[e - 1]) if e > 0 else self._in_gap_s
            out[e : e + k] = True
            gap_s[e : e + k] = np.maximum(gap_s[e : e + k], length)
            self._reacquire_gap_s, self._reacquire_left = length, max(0, e + k - n)
        self._in_gap_s = float(gap_s[-1]) if long_gap[-1] else 0.0
        return out & ~long_gap

    def _settled(self, near_1g: np.ndarray) -> np.ndarray:
        """False for the ``SETTLE_S`` after each sustained stretch off 1 g (at least ``SUSTAINED_S``:
        a swing, not a footstep), counting across blocks."""
        n, settle = len(near_1g), int(round(SETTLE_S * GRID_HZ))
        out = np.ones(n, bool)
        out[: max(0, settle - self._since_sustained)] = False
        last_end = None
        sustained = int(round(SUSTAINED_S * GRID_HZ))
        if n and near_1g[0] and self._off_run >= sustained:  # a stretch ended right at the block's start
            out[:settle] = False
            last_end = 0
        for s0, e0 in zip(*true_runs(~near_1g)):
            length = e0 - s0 + (self._off_run if s0 == 0 else 0)
            if e0 == n:  # still off 1 g at the end of the block
                self._off_run = length
            elif length >= sustained:
                out[e0 : e0 + settle] = False
                last_end = e0
        if n and near_1g[-1]:
            self._off_run = 0
        since = self._since_sustained + n if last_end is None else n - last_end
        self._since_sustained = min(since, settle)
        return out

    def _paused(self, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(direction of the unfiltered acceleration ``acc``, whether the leg pauses there between
        swings: within ``PAUSE_G`` of 1 g and turning slower than ``PAUSE_DPS`` over two grid samples,
        carried across blocks). Unfiltered: the low-pass rings for ~0.3 s after a swing is caught."""
        u = unit(acc)
        hist = u[:1].repeat(2, axis=0) if self._raw_prev is None else self._raw_prev
        allu = np.vstack([hist, u])
        self._raw_prev = allu[-2:].copy()
        turn = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", allu[:-2], u), -1.0, 1.0))) * GRID_HZ / 2
        return u, (np.abs(norm(acc) - 1.0) < PAUSE_G) & (turn < PAUSE_DPS)

    def _bridge(self, new: Block, ok: np.ndarray, pause: np.ndarray, raw_u: np.ndarray) -> Block:
        """Releases the samples whose direction is settled: reliable ones, unreliable runs no longer
        than ``MAX_BRIDGE_S`` fitted as a swing or interpolated between the reliable samples around
        them; a longer run (continuous swinging) piece by piece between the pauses in it (``pause``: the
        last sample of each pause is taken as the unfiltered accelerometer ``raw_u`` points), pieces
        longer than ``MAX_BRIDGE_S`` as they are.
        A run or piece still open at the end is held back while it may yet be bridged. Each run is
        judged by its own length and its pieces by their own data, so the result does not depend on how
        the stream was chunked."""
        blk = new if self._held is None else _concat(self._held, new)
        ok = ok if self._held_ok is None else np.concatenate([self._held_ok, ok])
        pause = pause if self._held_pause is None else np.concatenate([self._held_pause, pause])
        raw_u = raw_u if self._held_raw is None else np.concatenate([self._held_raw, raw_u])
        t, g, n = blk.t, blk.g.copy(), len(ok)
        anchor = np.zeros(n, bool)
        release = n
        kept = ok.copy()  # reliable samples and pause ends: what the next run's bridge starts from
        # the last sample of each pause long enough (a swing's turning point is not one) and over before the
        # end of the data, within unreliable runs (all of such a run is at hand whatever the chunking)
        pause_end = np.zeros(n, bool)
        p0, p1 = true_runs(pause & ~ok)
        pause_end[(p1 - 1)[(p1 - p0 >= round(PAUSE_S * GRID_HZ)) & (p1 < n)]] = True
        for s0, e0 in zip(*true_runs(~ok)):  # runs [s0, e0)
            t_start = self._run_t0 if s0 == 0 and self._run_t0 is not None else t[s0]
            long_run = (s0 == 0 and self._run_long) or t[e0 - 1] - t_start > MAX_BRIDGE_S
            if e0 == n:  # still open
                self._run_t0, self._run_long = t_start, long_run
            if not long_run:
                if e0 == n:
                    release = s0
                    break
                self._fill(blk, g, s0, e0, self._left(blk, g, s0, anchor))
                continue
            a = s0
            for p in (s0 + np.flatnonzero(pause_end[s0:e0])).tolist():
                g[p] = raw_u[p]
                if p > a:
                    self._fill(blk, g, a, p, self._left(blk, g, a, anchor))
                kept[p] = anchor[p] = True
                a = p + 1
            if e0 == n:
                left_t = self._left(blk, g, a, anchor)[0]
                if left_t is not None and not _too_long(left_t, t[n - 1]):
                    release = a  # the piece may yet be bridged
                elif p1.size and p1[-1] == n:  # released as it is, but for a pause going on (judged whole)
                    release = max(a, int(p0[-1]))
                break
            if a < e0:
                self._fill(blk, g, a, e0, self._left(blk, g, a, anchor))
        if ok[-1]:
            self._run_t0, self._run_long = None, False
        good = np.flatnonzero(kept[:release])
        if len(good):
            self._last_ok_t, self._last_ok_g = t[good[-1]], g[good[-1]].copy()
            self._last_ok_acc = (g if anchor[good[-1]] else blk.acc_g)[good[-1]].copy()
        out = _slice(blk, 0, release, g)
        rest = _slice(blk, release, n, g)
        self._held, self._held_ok, self._held_pause, self._held_raw = (
            (rest, ok[release:], pause[release:], raw_u[release:]) if len(rest) else (None, None, None, None))
        return out

    def _left(self, blk: Block, g: np.ndarray, s0: int, anchor: np.ndarray):
        """(time, direction, acceleration) of the sample a stretch starting at ``s0`` is bridged from (a
        pause's end reads 1 g in its direction)."""
        if s0 > 0:
            return blk.t[s0 - 1], g[s0 - 1], (g if anchor[s0 - 1] else blk.acc_g)[s0 - 1]
        return self._last_ok_t, self._last_ok_g, self._last_ok_acc

    def _fill(self, blk: Block, g: np.ndarray, s0: int, e0: int, left) -> None:
        """Bridges ``g[s0:e0]`` (in place) between ``left`` and the sample ``e0``: by the fitted swing
        when the leg was thrown, else interpolated across the readings off 1 g. Left as it is when the
        stretch is longer than ``MAX_BRIDGE_S`` from ``left``."""
        t = blk.t
        left_t, left_g, left_acc = left
        if left_g is None:
            left_t, left_g, left_acc = t[e0], g[e0], None
        elif _too_long(left_t, t[e0 - 1]):
            return
        off_1g = np.abs(norm(blk.acc_g[s0:e0]) - 1.0)
        if off_1g.max() >= SWING_G and left_acc is not None and abs(t[s0] - left_t - 1.0 / GRID_HZ) < 0.25 / GRID_HZ:
            swing = swing_directions(np.concatenate(([left_t], t[s0 : e0 + 1])),
                                     np.vstack([left_acc, blk.acc_g[s0 : e0 + 1]]))
            if swing is not None:
                g[s0:e0] = swing[1:-1]
                return
        # not a swing: interpolated across the readings off 1 g, between those near it
        near = off_1g < UNRELIABLE_G
        span_t = np.concatenate(([left_t], t[s0:e0][near], [t[e0]]))
        span_g = np.vstack([left_g, g[s0:e0][near], g[e0]])
        run_t, run_g = t[s0:e0], g[s0:e0]
        for c in range(3):
            run_g[~near, c] = np.interp(run_t[~near], span_t, span_g[:, c])
        g[s0:e0] = unit(run_g)

    def _turn_rate_dps(self, g: np.ndarray) -> np.ndarray:
        """How fast ``g`` turns (deg/s), over a baseline of ``TURN_BASELINE`` grid samples (the
        accelerometer's noise makes sample-to-sample turn rates of several deg/s on a still leg)."""
        if len(g) == 0:
            return np.empty(0)
        k = TURN_BASELINE
        hist = g[:0] if self._g_prev is None else self._g_prev
        allg = np.vstack([np.repeat((hist if len(hist) else g)[:1], k - len(hist), axis=0), hist, g])
        self._g_prev = allg[-k:].copy()
        cosang = np.clip(np.einsum("ij,ij->i", allg[:-k], g), -1.0, 1.0)
        return np.degrees(np.arccos(cosang)) * GRID_HZ / k

    def _remember(self, g: np.ndarray) -> None:
        """Keeps the last ``TURN_BASELINE`` directions (the turning rate's baseline across blocks)."""
        hist = g[:0] if self._g_prev is None else self._g_prev
        self._g_prev = np.vstack([hist, g[-TURN_BASELINE:]])[-TURN_BASELINE:].copy()


def _too_long(left_t: float, last_t: float) -> bool:
    """Whether a stretch from the sample at ``left_t`` to ``last_t`` (s) is too long to bridge."""
    return last_t - left_t > MAX_BRIDGE_S + 0.5 / GRID_HZ


def _concat(a: Block, b: Block) -> Block:
    return Block(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in Block.__dataclass_fields__))


def _slice(b: Block, i: int, j: int, g: np.ndarray) -> Block:
    return Block(b.t[i:j], g[i:j], b.speed_dps[i:j], b.jolt_g[i:j], b.gap_s[i:j], b.acc_g[i:j])
