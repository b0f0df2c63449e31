"""The engine's front end: raw samples in any chunking -> motion signals on a fixed 50 Hz grid.

Per grid sample (all chunk-invariant: the filters keep their state between chunks):

- ``g``: unit gravity direction in the sensor frame (:class:`imu.orientation.GravityFilter`);
- ``speed_dps``: how fast the shin turns, deg/s (gyro magnitude, or the turning rate of ``g``
  without a gyroscope);
- ``jolt_g``: the accelerometer's high-frequency part, g (heel strikes, knocks);
- ``gap_s``: the length (s) of the filled gap of the input the grid point lies in, 0 outside gaps;
- ``acc_g``: the low-passed acceleration (g), for the leg's own acceleration (``acc_g - g``).

Without a gyroscope the accelerometer is the only orientation sensor; while the leg's own acceleration
hides gravity the direction is bridged (:mod:`imu.bridge`).
"""
from __future__ import annotations

import numpy as np

from imu.block import GRID_HZ, Block
from imu.bridge import AccOnlyBridge
from imu.filters import GridResampler, StreamSos
from imu.gaps import LONG_GAP_S
from imu.orientation import GravityFilter, norm, turn_rate_dps, unit

TURN_BASELINE = 5  #: grid samples over which the turning rate of the gravity direction is taken
REACQUIRE_S = 1.5  #: after a long gap the orientation is re-acquired for this long (see GravityFilter)


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
        self.bridge = AccOnlyBridge()  # acc-only: directions while the leg's own acceleration hides gravity

    def __call__(self, t_s: np.ndarray, acc_g: np.ndarray, gyro_dps: np.ndarray | None) -> list[tuple[bool, Block]]:
        """Returns (follows_a_long_gap, block) pairs in time order."""
        x = acc_g if not self.has_gyro else np.concatenate([acc_g, gyro_dps], axis=1)
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
        held = self.bridge.flush()
        if held is None:
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
            any_gap = bool(long_gap.any())
            # None when there is no gap here nor one just before (the usual case): what _after_gaps and the
            # filter would find themselves, told with one check instead of three
            gap_after = any_gap or self._reacquire_left or self._in_gap_s > 0
            reacquire = self._after_gaps(long_gap, gap_s) if gap_after else None
            # unfiltered: the fusion itself smooths, without a filter's lag
            g = self.gravity(acc, gyro, long_gap if any_gap else None, reacquire)
            speed = norm(gyro_f)
            if any_gap:  # the interpolated gyroscope says nothing: how fast the estimate turns there
                speed[long_gap] = self._turn_rate_dps(g)[long_gap]
            self._remember(g)
        else:
            block = self.bridge(Block(t, unit(acc_f), np.zeros(len(t)), jolt, gap_s, acc_f), acc)
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

    def _turn_rate_dps(self, g: np.ndarray) -> np.ndarray:
        """How fast ``g`` turns (deg/s), over a baseline of ``TURN_BASELINE`` grid samples (the
        accelerometer's noise makes sample-to-sample turn rates of several deg/s on a still leg)."""
        turn, self._g_prev = turn_rate_dps(g, self._g_prev, TURN_BASELINE, GRID_HZ)
        return turn

    def _remember(self, g: np.ndarray) -> None:
        """Keeps the last ``TURN_BASELINE`` directions (the turning rate's baseline across blocks)."""
        hist = g[:0] if self._g_prev is None else self._g_prev
        self._g_prev = np.concatenate([hist, g[-TURN_BASELINE:]])[-TURN_BASELINE:].copy()
