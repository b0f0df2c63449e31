"""Boolean masks over samples (stretches of still samples, of lost data, of unreliable readings): their runs of True,
the first True, the first run of a length, and windowed medians tested against a limit."""
from __future__ import annotations

import numpy as np


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``mask``."""
    padded = np.zeros(len(mask) + 2, np.int8)  # (np.diff and np.concatenate's wrappers cost more than this)
    padded[1:-1] = mask
    d = padded[1:] - padded[:-1]
    return (d == 1).nonzero()[0], (d == -1).nonzero()[0]


def first_true(mask: np.ndarray) -> int | None:
    """Index of the first True in ``mask``, or None."""
    i = int(mask.argmax()) if len(mask) else 0  # (the method: np.argmax's wrapper costs more than the search)
    return i if len(mask) and mask[i] else None


def median_below(x: np.ndarray, n: int, limit: float) -> np.ndarray:
    """Whether the median of each element of ``x`` and the ``n - 1`` before it (the first standing in for
    those before it) is below ``limit``, as ``np.median`` of each window would say (a NaN in a window: no).
    Counted, not sorted: more than half of a window below means its median is, fewer than half means it
    is not; a window with exactly half below (``n`` even) has for median the mean of its largest value below
    and its smallest other one, which is below ``limit`` iff their sum is below ``2 * limit`` (halving is
    exact): no window is sorted."""
    if n <= 1 or len(x) == 0:
        return x < limit
    padded = np.concatenate((np.full(n - 1, x[0]), x))
    is_below = padded < limit
    below = np.concatenate(([0], np.cumsum(is_below)))
    count = below[n:] - below[:-n]
    out = 2 * count > n
    tie = 2 * count == n
    if tie.any():
        largest_below = window_extreme(np.maximum, np.where(is_below, padded, -np.inf), n)
        smallest_other = window_extreme(np.minimum, np.where(is_below, np.inf, padded), n)
        out |= tie & (largest_below + smallest_other < 2.0 * limit)
    if np.isnan(x.sum()):  # (a NaN, or infinities of both signs: the windows with a NaN are not below)
        nans = np.concatenate(([0], np.cumsum(np.isnan(padded))))
        out[nans[n:] - nans[:-n] > 0] = False
    return out


def window_extreme(extreme: np.ufunc, v: np.ndarray, n: int) -> np.ndarray:
    """``extreme`` (``np.maximum`` or ``np.minimum``) of each ``n`` consecutive elements of ``v``
    (``len(v) - n + 1`` windows): of spans doubling up to the largest power of two ``w <= n``, then of the two
    spans of ``w`` that cover each window (they overlap, which an extreme does not mind)."""
    w, out = 1, v
    while 2 * w <= n:
        out = extreme(out[:-w], out[w:])
        w *= 2
    return out if w == n else extreme(out[: len(out) - (n - w)], out[n - w :])


def first_run(mask: np.ndarray, n: int, theta: np.ndarray | None = None,
              drift_deg: np.ndarray | None = None) -> int | None:
    """Index of the last element of the first run of ``n`` True values (over which ``theta``, if given,
    changes by less than ``drift_deg`` from first to last: per element, the limit of the run ending there),
    or None."""
    if len(mask) < n or not mask.any():  # (the usual answer of the searches for something abnormal)
        return None
    c = np.concatenate(([0], mask.cumsum(dtype=np.int64)))
    full = c[n:] - c[:-n] == n
    if theta is not None and drift_deg is not None:
        full &= np.abs(theta[n - 1 : len(mask)] - theta[: len(mask) - n + 1]) < drift_deg[n - 1 : len(mask)]
    i = first_true(full)
    return None if i is None else i + n - 1
