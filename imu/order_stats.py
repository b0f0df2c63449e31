"""Median and percentile of the short float arrays the engine takes them of (a few to a few hundred
samples), bit for bit what ``np.median`` and ``np.percentile`` give, at a fraction of their cost: one
sort and a few float operations instead of numpy's generic reductions (~15 us of overhead per call)."""
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
