"""Normalised motion profiles ``s(tau)``: fraction of a move done at fraction ``tau`` of its duration.

All map [0, 1] -> [0, 1] with s(0) = 0, s(1) = 1 and zero speed at both ends.
"""
from __future__ import annotations

import numpy as np


def minjerk(tau):
    """Minimum-jerk profile: zero speed and acceleration at both ends (controlled movement)."""
    tau = np.clip(tau, 0.0, 1.0)
    return tau ** 3 * (10.0 - 15.0 * tau + 6.0 * tau ** 2)


def throw(push: float = 0.35):
    """Ballistic swing against gravity: the speed rises smoothly to its peak over the first ``push``
    of the move (a hard push), then falls linearly to zero (coasting, decelerated by gravity)."""
    def s(tau):
        tau = np.clip(tau, 0.0, 1.0)
        head = tau - push / np.pi * np.sin(np.pi * np.minimum(tau, push) / push)
        tail = push + ((tau - push) - (tau ** 2 - push ** 2) / 2) / (1 - push) * 2
        return np.where(tau < push, head, tail)
    return s


def drop(catch: float = 0.3):
    """Dropped with gravity: the speed grows linearly (falling), then the leg is caught over the last
    ``catch`` of the move. The time reverse of :func:`throw`."""
    th = throw(catch)

    def s(tau):
        return 1.0 - th(1.0 - np.clip(tau, 0.0, 1.0))
    return s
