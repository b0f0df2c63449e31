"""numpy's median, percentile and gradient of the short 1-D float arrays the engine takes them of (a few
to a few hundred samples), bit for bit what ``np.median``, ``np.percentile`` and ``np.gradient`` give, at a
fraction of their cost: the same float operations without their generic code (15-90 us per call); the
medians of a sliding window, as ``np.median`` of each window gives them; and a 3 x 3 linear solve."""
from __future__ import annotations

import numpy as np


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a 1-D float array (NaN if it holds a NaN or nothing)."""
    n = len(x)
    if n == 0:
        return float("nan")
    s = np.sort(x).tolist()
    h = n // 2
    if s[-1] != s[-1]:  # a NaN (sorted last)
        return float("nan")
    # as numpy's mean of the middle one or two: their sum from 0.0 (so -0.0 comes out as 0.0), halved
    return 0.0 + s[h] if n % 2 else (0.0 + s[h - 1] + s[h]) / 2.0


def window_medians(x: np.ndarray, n: int) -> np.ndarray:
    """``np.median(sliding_window_view(x, n), axis=1)`` of a 1-D float array (``len(x) >= n``): each window
    sorted (a third of ``np.median``'s cost on the engine's windows, which spends most of it in its generic
    code), the middle one or the mean of the middle two as ``np.median`` takes it (from 0.0, so -0.0 comes out
    as 0.0); NaN for a window with a NaN (sorted last)."""
    # (the windows as sliding_window_view lays them, without its ~6 us of argument handling)
    windows = np.lib.stride_tricks.as_strided(x, (len(x) - n + 1, n), (x.strides[0],) * 2, writeable=False)
    s = np.sort(windows, axis=1)
    h = n // 2
    out = 0.0 + s[:, h] if n % 2 else (0.0 + s[:, h - 1] + s[:, h]) / 2.0
    out[np.isnan(s[:, -1])] = np.nan
    return out


def percentile(x: np.ndarray, q: float) -> float:
    """``float(np.percentile(x, q))`` (linear interpolation) of a non-empty 1-D float array."""
    s = np.sort(x).tolist()
    n = len(s)
    if s[-1] != s[-1]:
        return float("nan")
    f = float(np.true_divide(q, 100))
    virtual = (n - 1) * f  # numpy's virtual index of the linear method
    if virtual >= n - 1:
        lo = hi = -1
    elif virtual < 0:
        lo = hi = 0
    else:
        lo = int(np.floor(virtual))
        hi = lo + 1
    gamma = virtual - lo
    a, b = s[lo], s[hi]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def gradient(f: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.gradient(f, x)`` of 1-D float arrays of at least two samples: central differences inside
    (numpy's formula for uneven spacing unless all steps of ``x`` are equal), one-sided at the ends."""
    dx = np.diff(x)
    out = np.empty_like(f)
    if (dx == dx[0]).all():
        step = dx[0]
        out[1:-1] = (f[2:] - f[:-2]) / (2.0 * step)
        first_step = last_step = step
    else:
        dx1, dx2 = dx[:-1], dx[1:]
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        out[1:-1] = a * f[:-2] + b * f[1:-1] + c * f[2:]
        first_step, last_step = dx[0], dx[-1]
    out[0] = (f[1] - f[0]) / first_step
    out[-1] = (f[-1] - f[-2]) / last_step
    return out


def solve3(m: np.ndarray, v: np.ndarray) -> tuple[float, float, float] | None:
    """``np.linalg.solve(m, v)`` of a 3 x 3 system in plain floats (Gaussian elimination with partial pivoting, as
    LAPACK's ``gesv``; the same solution to rounding, without its ~45 us of per-call overhead). None where ``m`` is
    singular (a zero pivot), where numpy raises."""
    a = [row + [x] for row, x in zip(m.tolist(), v.tolist())]
    for k in range(3):
        p = max(range(k, 3), key=lambda i: abs(a[i][k]))
        if a[p][k] == 0.0:
            return None
        a[k], a[p] = a[p], a[k]
        for i in range(k + 1, 3):
            f = a[i][k] / a[k][k]
            a[i] = [x - f * y for x, y in zip(a[i], a[k])]
    x2 = a[2][3] / a[2][2]
    x1 = (a[1][3] - a[1][2] * x2) / a[1][1]
    x0 = (a[0][3] - a[0][1] * x1 - a[0][2] * x2) / a[0][0]
    return x0, x1, x2
