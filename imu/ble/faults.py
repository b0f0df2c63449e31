"""Link faults for simulated sensors: lost, burst-lost, duplicated and corrupted notifications,
unsolicited disconnects, sensor clock drift and arrival latency.

:class:`Faults` is the knob set (the ``imu live --sim`` options); :class:`FaultInjector` applies it
to one sensor's notifications with its own seeded random generator, so a run is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Faults:
    """What goes wrong on a simulated link. Probabilities are per notification."""

    loss: float = 0.0            #: a notification is lost
    burst_loss: float = 0.0      #: share of the time spent in loss bursts (every notification lost)
    burst_s: float = 0.4         #: mean length of a loss burst (exponential), s
    dup: float = 0.0             #: a notification is delivered twice in a row (bleak #2002)
    malformed: float = 0.0       #: a notification is cut short, padded with junk or replaced by junk
    disconnect_every_s: float | None = None  #: an unsolicited disconnect this often (stream time)
    disconnect_s: float = 3.0    #: how long the sensor stays out of range after a disconnect, s
    disconnect_at: tuple = ()    #: explicit disconnect times (s of stream time), in addition
    drift_ppm: float = 0.0       #: sensor clock rate error (its timestamps run this much fast)
    latency_s: tuple = (0.004, 0.012)  #: arrival latency range (uniform), s

    def validate(self) -> None:
        for name in ("loss", "burst_loss", "dup", "malformed"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1), not {v}")
        if self.disconnect_every_s is not None and not self.disconnect_every_s > self.disconnect_s:
            raise ValueError("disconnect_every_s must be longer than disconnect_s")
        if not self.disconnect_s > 0 or not self.burst_s > 0:
            raise ValueError("disconnect_s and burst_s must be positive")
        if abs(self.drift_ppm) > 1000:
            raise ValueError("drift_ppm must be within +-1000")

    def disconnect_times(self, duration_s: float) -> list[float]:
        """All disconnect times (stream time) up to ``duration_s``, sorted."""
        times = [float(t) for t in self.disconnect_at]
        if self.disconnect_every_s:
            times += list(np.arange(self.disconnect_every_s, duration_s, self.disconnect_every_s))
        return sorted(t for t in times if 0 < t < duration_s)


@dataclass
class FaultStats:
    sent: int = 0          #: notifications the sensor produced
    lost: int = 0          #: dropped at random or in bursts
    duplicated: int = 0
    malformed: int = 0
    disconnects: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class FaultInjector:
    """Applies :class:`Faults` to the notifications of one sensor (times are stream time, s)."""

    faults: Faults
    rng: np.random.Generator
    stats: FaultStats = field(default_factory=FaultStats)

    def __post_init__(self) -> None:
        self._burst_end = -1.0
        self._next_burst = self._draw_next_burst(0.0)

    def _draw_next_burst(self, t: float) -> float:
        share = self.faults.burst_loss
        if share <= 0:
            return float("inf")
        gap_mean = self.faults.burst_s * (1.0 - share) / share
        return t + float(self.rng.exponential(gap_mean))

    def _in_burst(self, t: float) -> bool:
        while t >= self._next_burst:
            self._burst_end = self._next_burst + float(self.rng.exponential(self.faults.burst_s))
            self._next_burst = self._draw_next_burst(self._burst_end)
        return t < self._burst_end

    def latency(self) -> float:
        lo, hi = self.faults.latency_s
        return float(self.rng.uniform(lo, hi)) if hi > lo else float(lo)

    def deliver(self, t: float, data: bytes) -> list[bytes]:
        """The copies of a notification sent at stream time ``t`` that reach the host (0, 1 or 2)."""
        f = self.faults
        self.stats.sent += 1
        if self._in_burst(t) or (f.loss and self.rng.random() < f.loss):
            self.stats.lost += 1
            return []
        if f.malformed and self.rng.random() < f.malformed:
            self.stats.malformed += 1
            data = self._corrupt(data)
        if f.dup and self.rng.random() < f.dup:
            self.stats.duplicated += 1
            return [data, data]
        return [data]

    def _corrupt(self, data: bytes) -> bytes:
        """Cut short, padded with junk or replaced by junk of another length (what a confused
        firmware or a buggy stack delivers); always a different length, never a crash."""
        kind = self.rng.integers(3)
        n = len(data)
        if kind == 0 and n > 1:
            return bytes(data[: int(self.rng.integers(1, n))])
        if kind == 1:
            return bytes(data) + self.rng.integers(0, 256, int(self.rng.integers(1, 9)), dtype=np.uint8).tobytes()
        m = int(self.rng.integers(1, n + 9))
        if m == n:
            m += 1
        return self.rng.integers(0, 256, m, dtype=np.uint8).tobytes()
