"""The engine's buffer: grid samples (:class:`imu.block.Block` fields) of the current rep, by absolute index."""
from __future__ import annotations

import numpy as np

from imu.block import Block


class GridBuffer:
    """Grid samples of the current rep, with an absolute index of its first sample.

    Kept in arrays with room to grow at the end: appending copies only the new samples and dropping the
    front moves nothing (the arrays are laid anew, compacted, when they fill up). Samples once stored
    never change, so what :meth:`get` returned stays valid."""

    FIELDS = ("t", "g", "speed_dps", "jolt_g", "gap_s", "acc_g")

    def __init__(self, slack: int) -> None:
        self.slack = slack  # samples of room added beyond twice what is held when the arrays are laid anew
        self.start = 0  # absolute index of element 0
        self._store: dict[str, np.ndarray] | None = None
        self._lo = self._hi = 0  # the samples held: self._store[f][_lo:_hi]

    def __len__(self) -> int:
        return self._hi - self._lo

    @property
    def end(self) -> int:
        return self.start + self._hi - self._lo  # (len(self) without the call: the engine asks for this all the time)

    def append(self, block: Block) -> None:
        k = len(block)
        if self._store is None or self._hi + k > len(self._store["t"]):
            self._relay(block, 2 * (len(self) + k) + self.slack)
        for f in self.FIELDS:
            self._store[f][self._hi : self._hi + k] = getattr(block, f)
        self._hi += k

    def _relay(self, like: Block, capacity: int) -> None:
        """Moves the samples held to the front of new arrays of ``capacity`` samples (of ``like``'s kinds)."""
        n = len(self)
        store = {}
        for f in self.FIELDS:
            new = getattr(like, f)
            store[f] = np.empty((capacity,) + new.shape[1:], dtype=new.dtype)
            if self._store is not None:
                store[f][:n] = self._store[f][self._lo : self._hi]
        self._store, self._lo, self._hi = store, 0, n

    def drop_before(self, absolute: int) -> None:
        """Forgets samples before ``absolute``."""
        k = max(0, min(absolute - self.start, len(self)))
        self._lo += k
        self.start += k

    def get(self, name: str, a: int, b: int | None = None) -> np.ndarray:
        """Samples ``a..b`` (absolute indices; ``b`` None: to the end) of the field ``name`` (sliced as a list
        would be: indices before the first held count from the end)."""
        held = self._store[name][self._lo : self._hi]  # (_held's, inline: the engine asks for samples all the time)
        return held[a - self.start :] if b is None else held[a - self.start : b - self.start]

    def _held(self, name: str) -> np.ndarray:
        return self._store[name][self._lo : self._hi]

    def index_at(self, t_s: float) -> int:
        """Absolute index of the first sample at or after ``t_s`` (s)."""
        return self.start + int(np.searchsorted(self._held("t"), t_s))
