"""The engine's grid and a stretch of the motion signals on it (see :mod:`imu.signals`)."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

GRID_HZ = 50.0  #: the engine's internal sample grid (Hz): every recording is resampled onto it


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

    def cut(self, i: int, j: int, g: np.ndarray | None = None) -> Block:
        """Samples ``i:j`` (with the directions ``g`` instead of this block's, when given)."""
        return Block(self.t[i:j], (self.g if g is None else g)[i:j], self.speed_dps[i:j], self.jolt_g[i:j],
                     self.gap_s[i:j], self.acc_g[i:j])

    def then(self, other: Block) -> Block:
        """This block followed by ``other``."""
        return Block(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(Block)))
