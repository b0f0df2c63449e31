"""The raw recording, written as it arrives: ``recording.csv`` (``recording_left.csv`` and
``recording_right.csv`` with two sensors), in the format ``imu analyze`` reads
(:mod:`imu.recording`): header ``t,ax,ay,az[,gx,gy,gz]``, then one row per sample with 6 decimals
(t in s, acceleration in g, angular rate in deg/s).

Rows are appended as soon as they are decoded and the file is flushed and ``os.fsync``-ed at least
every ``sync_s`` seconds of wall time (:meth:`RecordingWriter.maybe_sync`, also called by a timer),
so a crash, a kill or a pulled battery loses at most that much; a row cut in half by a crash is
dropped by the reader (``truncated_last_row``).

:func:`quantize` rounds values exactly as they will be read back (``round(x * 1e6) / 1e6``;
``"%.6f"`` of such a value parses back to the same float), so the live engine can be fed exactly
the samples on disk.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

DECIMALS = 6
_SCALE = np.array(10.0 ** DECIMALS)  # (a 0-d array: numpy converts a Python float operand on every call, the live loop's
#: few rows cost ~0.5 us more a ufunc so; the same float64 products and quotients)


def quantize(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Values as the recording stores them (6 decimals); ``out``: a float64 array to write them
    to (may be ``x`` itself)."""
    y = np.multiply(np.asarray(x, dtype=np.float64), _SCALE, out=out)
    np.rint(y, out=y)
    return np.divide(y, _SCALE, out=y)


class RecordingWriter:
    """Append-only CSV recording with periodic flush + fsync. Refuses to overwrite a file."""

    def __init__(self, path, has_gyro: bool, sync_s: float = 0.5):
        self.path = Path(path)
        self.columns = ["t", "ax", "ay", "az"] + (["gx", "gy", "gz"] if has_gyro else [])
        self._row = ",".join([f"%.{DECIMALS}f"] * len(self.columns)) + "\n"
        self._f = open(self.path, "x", encoding="ascii", newline="\n")
        self._f.write(",".join(self.columns) + "\n")
        self.sync_s = float(sync_s)
        self.rows = 0
        self.syncs = 0
        self._dirty = True
        self._last_sync = 0.0
        self.sync()

    def append(self, block: np.ndarray, values: list | None = None) -> None:
        """Rows of ``block`` (n, len(columns)), already quantized; flushed by :meth:`maybe_sync`.
        ``values``: ``block.ravel().tolist()`` when already at hand."""
        n = len(block)
        if n == 0:
            return
        self._f.write((self._row * n) % tuple(block.ravel().tolist() if values is None else values))
        self.rows += n
        self._dirty = True
        self.maybe_sync()

    def maybe_sync(self) -> None:
        if self._dirty and time.monotonic() - self._last_sync >= self.sync_s:
            self.sync()

    def sync(self) -> None:
        if self._f.closed:
            return
        self._f.flush()
        os.fsync(self._f.fileno())
        self._dirty = False
        self._last_sync = time.monotonic()
        self.syncs += 1

    def close(self) -> None:
        if not self._f.closed:
            self.sync()
            self._f.close()
