"""Feeding the rep engine in the live loop: as rarely as possible, as soon as a rep can end.

Every call of :meth:`imu.engine.RepEngine.feed` has a fixed cost (its filters, about half a
millisecond) on top of a small cost per sample, and the engine gives the same reps whatever the
chunking. So :class:`EngineFeeder` collects samples and feeds them

* at least every ``max_interval_s`` of sensor time, and
* ``after_stop_s`` after the leg stops moving (a rep ends when the leg is back and still), found by
  a cheap motion detector on 50 ms windows (gyro magnitude, or the turning rate of the mean
  acceleration without a gyroscope).

It records, for every rep the engine reports, the *latency*: the time of the newest sample fed
when the rep came out minus the rep's ``end_s`` (sensor time).
"""
from __future__ import annotations

import time

import numpy as np

WINDOW_S = 0.05
MOVING_DPS_GYRO = 20.0
MOVING_DPS_ACC = 25.0


class EngineFeeder:
    def __init__(self, engine, has_gyro: bool, max_interval_s: float = 0.5,
                 after_stop_s: tuple[float, ...] = (0.12, 0.24)):
        self.engine, self.has_gyro = engine, has_gyro
        self.max_interval_s, self.after_stop_s = max_interval_s, after_stop_s
        self._t: list[np.ndarray] = []
        self._a: list[np.ndarray] = []
        self._g: list[np.ndarray] = []
        self._first_pending: float | None = None
        self._triggers: list[float] = []
        # motion detector: the current window's sums and the previous window's direction
        self._w_n = 0
        self._w_t0: float | None = None
        self._w_acc = np.zeros(3)
        self._w_gyro = 0.0
        self._prev_dir: np.ndarray | None = None
        self._prev_tc = 0.0
        self.calls = 0
        self.samples = 0
        self.engine_s = 0.0
        self.latencies: list[tuple[int, int, float]] = []   #: (set, rep, latency s)
        self.last_fed_t: float | None = None

    # ----------------------------------------------------------------- motion detector
    def _motion(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray | None) -> None:
        if self._w_t0 is None:
            self._w_t0 = float(t[0])
        self._w_n += len(t)
        self._w_acc += acc.sum(axis=0)
        if gyro is not None:
            self._w_gyro += float(np.sqrt((gyro * gyro).sum(axis=1)).sum())
        t_end = float(t[-1])
        if t_end - self._w_t0 < WINDOW_S:
            return
        tc = 0.5 * (self._w_t0 + t_end)
        moving = False
        if gyro is not None:
            moving = self._w_gyro / self._w_n > MOVING_DPS_GYRO
        norm = float(np.linalg.norm(self._w_acc))
        if norm > 0:
            d = self._w_acc / norm
            if self._prev_dir is not None and gyro is None and tc > self._prev_tc:
                ang = np.degrees(np.arccos(min(1.0, max(-1.0, float(d @ self._prev_dir)))))
                moving = ang / (tc - self._prev_tc) > MOVING_DPS_ACC
            self._prev_dir, self._prev_tc = d, tc
        if moving:
            self._triggers = [t_end + s for s in self.after_stop_s]
        self._w_n, self._w_t0, self._w_acc, self._w_gyro = 0, None, np.zeros(3), 0.0

    # ----------------------------------------------------------------- feeding
    def add(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray | None) -> list:
        """Adds samples; returns the engine's events if it was fed now."""
        if not len(t):
            return []
        self._t.append(t)
        self._a.append(acc)
        if gyro is not None:
            self._g.append(gyro)
        if self._first_pending is None:
            self._first_pending = float(t[0])
        self._motion(t, acc, gyro)
        now = float(t[-1])
        due = now - self._first_pending >= self.max_interval_s
        while self._triggers and now >= self._triggers[0]:
            self._triggers.pop(0)
            due = True
        return self.feed() if due else []

    def feed(self) -> list:
        """Feeds everything pending now."""
        if not self._t:
            return []
        t = np.concatenate(self._t) if len(self._t) > 1 else self._t[0]
        a = np.concatenate(self._a) if len(self._a) > 1 else self._a[0]
        g = None
        if self._g:
            g = np.concatenate(self._g) if len(self._g) > 1 else self._g[0]
        self._t, self._a, self._g, self._first_pending = [], [], [], None
        c0 = time.perf_counter()
        events = self.engine.feed(t, a, g)
        self.engine_s += time.perf_counter() - c0
        self.calls += 1
        self.samples += len(t)
        self.last_fed_t = float(t[-1])
        for ev in events:
            if ev.kind == "rep" and ev.rep is not None:
                self.latencies.append((ev.rep.set, ev.rep.rep, self.last_fed_t - ev.rep.end_s))
        return events

    def finish(self) -> list:
        """Feeds the rest and closes the session (the engine revises its flags)."""
        events = self.feed()
        c0 = time.perf_counter()
        events += self.engine.finish()
        self.engine_s += time.perf_counter() - c0
        return events
