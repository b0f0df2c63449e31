"""Streaming filters: same output whether a signal is fed at once or in chunks of any size.

- :class:`StreamSos`: a SciPy second-order-sections IIR filter that keeps its state between chunks.
- :class:`GridResampler`: linear interpolation of irregular samples onto a fixed internal grid
  (``t0 + k / rate_hz``), carrying the last sample across chunks, filling short gaps and reporting
  long ones.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

try:  # np.interp's compiled core: the same function without the wrapper's checks (~3 us per call)
    from numpy._core.multiarray import interp as _interp
except ImportError:  # pragma: no cover - numpy < 2
    _interp = np.interp
try:  # lfilter's compiled core, which lfilter calls with these same arguments (~7 us less per call)
    from scipy.signal._sigtools import _linear_filter
except ImportError:  # pragma: no cover - a SciPy without it
    _linear_filter = None


def interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """``np.interp(x, xp, fp)`` of float64 arrays: its compiled core, the same values without the wrapper."""
    return _interp(x, xp, fp, None, None)


def lfilter_core(b: np.ndarray, a: np.ndarray, x: np.ndarray, axis: int, zi: np.ndarray):
    """``scipy.signal.lfilter(b, a, x, axis=axis, zi=zi)`` of float64 coefficients (``a`` of two or more) and
    samples, with ``zi`` of the full shape lfilter expects: lfilter's compiled core called directly, with the
    arguments lfilter itself passes it (the same bits without its ~5-7 us of argument checks per call)."""
    if _linear_filter is not None and x.dtype == np.float64 and zi.dtype == np.float64:
        return _linear_filter(b, a, x, axis, zi)
    return signal.lfilter(b, a, x, axis=axis, zi=zi)


@functools.lru_cache(maxsize=8)
def _section_zi(b: bytes, a: bytes) -> np.ndarray:
    return signal.lfilter_zi(np.frombuffer(b), np.frombuffer(a))


def lfilter_zi(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``scipy.signal.lfilter_zi(b, a)`` of float64 coefficients, worked out once per filter (~30 us a call
    otherwise: the engine asks for it per rep fitted). A fresh copy: the caller may change it."""
    return _section_zi(np.ascontiguousarray(b, float).tobytes(), np.ascontiguousarray(a, float).tobytes()).copy()


class StreamSos:
    """A Butterworth filter (``scipy.signal.butter``, SOS form) applied along axis 0 across chunks.

    A filter of one second-order section (order 1 or 2, what the engine uses) runs as
    ``scipy.signal.lfilter`` of that section's coefficients: the same recurrence, at a sixth of
    ``sosfilt``'s cost per call on the short chunks of a live stream (~20 instead of ~120 us). It calls
    lfilter's compiled core directly, with the arguments lfilter itself passes it (float64 coefficients,
    samples and state of the right shapes): the same results without ~7 us of argument checks per call
    (a test pins it to ``signal.lfilter`` bit for bit)."""

    def __init__(self, order: int, cutoff_hz: float, rate_hz: float, btype: str = "lowpass"):
        self.sos = signal.butter(order, cutoff_hz, btype=btype, fs=rate_hz, output="sos")
        self._single = len(self.sos) == 1
        self._zi: np.ndarray | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return x.copy()
        if self._single:
            b, a = self.sos[0, :3], self.sos[0, 3:]
            if self._zi is None:  # start in steady state at the first value (no start-up transient)
                self._zi = lfilter_zi(b, a)[:, None] * x[0][None, :]
            y, self._zi = lfilter_core(b, a, x, 0, self._zi)
            return y
        if self._zi is None:
            zi = signal.sosfilt_zi(self.sos)  # (sections, 2)
            self._zi = zi[:, :, None] * x[0][None, None, :]
        y, self._zi = signal.sosfilt(self.sos, x, axis=0, zi=self._zi)
        return y


GAP_S = 0.2  #: a step between input samples longer than this (s) is a gap, listed in ``GridResampler.gaps``
HOLE_S = 0.1  #: ... and one longer than this (s) marks the grid points inside it as filled


@dataclass(frozen=True)
class Gap:
    """A stretch of the input with no samples, on the sensor clock."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


class GridResampler:
    """Interpolates irregular samples onto the grid ``t0 + k / rate_hz``.

    Gaps between input samples up to ``max_fill_s`` are filled by linear interpolation (grid points
    inside holes longer than ``hole_s`` carry the hole's length in the returned ``gap`` array, 0
    elsewhere; those longer than ``gap_s`` are listed in :attr:`gaps`); longer gaps are not filled: the
    grid jumps over them and :attr:`breaks` records them so the detector can restart.
    """

    def __init__(self, rate_hz: float, max_fill_s: float = 5.0, gap_s: float = GAP_S, hole_s: float = HOLE_S):
        self.rate_hz = float(rate_hz)
        self.dt = 1.0 / self.rate_hz
        self.max_fill_s = max_fill_s
        self.gap_s = gap_s
        self.hole_s = min(hole_s, gap_s)
        self._last_t: float | None = None
        self._last_x: np.ndarray | None = None
        self._k = 0  # index of the next grid point
        self._t0: float | None = None
        self.gaps: list[Gap] = []

    def __call__(self, t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
        """Returns grid times, interpolated values, the length (s) of the filled gap each grid point lies
        in (0 outside gaps) and the positions (in the returned
        arrays) where a long gap broke the stream."""
        if len(t) == 0:
            return np.empty(0), np.empty((0, x.shape[1])), np.empty(0), []
        if self._t0 is None:
            self._t0 = float(np.ceil(t[0] * self.rate_hz) / self.rate_hz)
        if self._last_t is not None:
            t = np.concatenate(([self._last_t], t))
            x = np.concatenate((self._last_x[None, :], x))
        breaks: list[int] = []
        out_t, out_x, out_gap = [], [], []
        steps = t[1:] - t[:-1]  # (np.diff's values, without its wrapper)
        long_gaps = (steps > self.max_fill_s).nonzero()[0]
        start = 0
        for j in [*long_gaps.tolist(), len(t) - 1]:
            gt, gx, gm = self._segment(t[start : j + 1], x[start : j + 1], steps[start:j])
            out_t.append(gt), out_x.append(gx), out_gap.append(gm)
            if j < len(t) - 1:  # a long gap follows: restart the grid after it
                self.gaps.append(Gap(float(t[j]), float(t[j + 1])))
                self._k = int(np.ceil((t[j + 1] - self._t0) * self.rate_hz - 1e-9))
                breaks.append(sum(len(a) for a in out_t))
                start = j + 1
        self._last_t, self._last_x = float(t[-1]), x[-1].copy()
        if len(out_t) == 1:  # no long gap (the usual case): nothing to join
            return out_t[0], out_x[0], out_gap[0], breaks
        return np.concatenate(out_t), np.concatenate(out_x), np.concatenate(out_gap), breaks

    def _segment(self, t: np.ndarray, x: np.ndarray, steps: np.ndarray):
        k_end = math.floor((t.item(-1) - self._t0) * self.rate_hz + 1e-9)  # (the same float operations)
        if k_end < self._k:
            return np.empty(0), np.empty((0, x.shape[1])), np.empty(0)
        grid = self._t0 + np.arange(self._k, k_end + 1) * self.dt
        self._k = k_end + 1
        # column by column (np.interp's core: the same values at a third of the cost per call), each
        # column contiguous on the way in and out: no strided copies per call
        cols = x.T.copy()
        vals_t = np.empty((x.shape[1], len(grid)))
        for c in range(x.shape[1]):
            vals_t[c] = _interp(grid, t, cols[c], None, None)
        vals = vals_t.T.copy()  # (n, channels), C-contiguous
        gap = np.zeros(len(grid))
        holes = (steps > self.hole_s).nonzero()[0]
        if len(holes):  # grid points strictly inside each hole carry its length
            inside_from = np.searchsorted(grid, t[holes], side="right")
            inside_to = np.searchsorted(grid, t[holes + 1], side="left")
            for j, a, b in zip(holes.tolist(), inside_from.tolist(), inside_to.tolist()):
                gap[a:b] = steps[j]
                if steps[j] > self.gap_s and (len(self.gaps) == 0 or self.gaps[-1].start_s != float(t[j])):
                    self.gaps.append(Gap(float(t[j]), float(t[j + 1])))
        return grid, vals, gap
