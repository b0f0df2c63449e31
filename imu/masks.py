"""Runs of True in a boolean mask (stretches of still samples, of lost data, of unreliable readings)."""
from __future__ import annotations

import numpy as np


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``mask``."""
    padded = np.zeros(len(mask) + 2, np.int8)  # (np.diff and np.concatenate's wrappers cost more than this)
    padded[1:-1] = mask
    d = padded[1:] - padded[:-1]
    return (d == 1).nonzero()[0], (d == -1).nonzero()[0]
