"""Runs of True in a boolean mask (stretches of still samples, of lost data, of unreliable readings)."""
from __future__ import annotations

import numpy as np


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``mask``."""
    d = np.diff(np.concatenate(([0], np.asarray(mask).astype(np.int8), [0])))
    return (d == 1).nonzero()[0], (d == -1).nonzero()[0]
