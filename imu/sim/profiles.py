"""Normalised motion profiles ``s(tau)``: fraction of a move done at fraction ``tau`` of its duration.

All map [0, 1] -> [0, 1] with s(0) = 0, s(1) = 1 and start at zero speed.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


def minjerk(tau):
    """Minimum-jerk profile: zero speed and acceleration at both ends (controlled movement)."""
    tau = np.clip(tau, 0.0, 1.0)
    return tau ** 3 * (10.0 - 15.0 * tau + 6.0 * tau ** 2)


def _throw_raw(tau, k):
    """Integral of the speed shape (1 - exp(-tau/k)) * (1 - tau)."""
    e = np.exp(-tau / k)
    return tau - tau ** 2 / 2 - (k * (1 - e) + k * tau * e - k * k * (1 - e))


@lru_cache(maxsize=None)
def _throw_norm(k: float) -> float:
    return float(_throw_raw(1.0, k))


def throw(k: float = 0.08):
    """Ballistic swing against gravity: a hard push over the first ~``3k`` of the move, then a nearly
    constant deceleration (coasting under gravity) to zero speed at the end."""
    def s(tau):
        tau = np.clip(tau, 0.0, 1.0)
        return _throw_raw(tau, k) / _throw_norm(k)
    return s


def drop(c: float = 0.1):
    """Dropped with gravity: nearly constant acceleration (falling), caught over the last ~``3c``."""
    th = throw(c)

    def s(tau):
        return 1.0 - th(1.0 - np.clip(tau, 0.0, 1.0))
    return s
