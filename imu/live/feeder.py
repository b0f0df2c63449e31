"""Feeding the rep engine in the live loop: as rarely as possible, as soon as a rep can end.

Every :meth:`imu.engine.RepEngine.feed` call has a fixed cost (its filters: about half a
millisecond) on top of a small cost per sample, and the engine gives the same reps whatever the
chunking. So :class:`EngineFeeder` collects samples and feeds them

* at least every ``max_interval_s`` of sensor time during a set (``rest_interval_s`` between sets),
* ``after_stop_s`` after the leg stops moving (a rep ends when the leg is back and still), found by
  a cheap motion detector on ~0.1 s windows (mean gyro magnitude, or without a gyroscope the
  turning rate of the mean acceleration), unless it stopped mid-lift, more than 12 deg from the
  set's resting direction (a top hold: no rep ends there; a fifth fewer calls over the suite's gyro
  sessions, a tenth without a gyroscope), judged on windows whose mean acceleration is within
  0.1 g of 1 g (else the leg's own acceleration turns it),
* every ``near_rest_interval_s`` during a lift while the leg is read within those 12 deg (trusted or not: a wrong
  guess costs an engine call), so that a rep's landing is seen soon. Feeding only as the leg came back within the
  12 deg (also from a swing, whose own acceleration hides where the leg is) missed small or slow reps: partial
  plank or reverse leg lifts of ~10 deg at a few deg/s neither stop nor come back from farther, were fed once a
  second and counted 0.35-0.6 s late. Over the latency probe 97.7 -> 98.7 % within 300 ms (98.2 % with the feeds
  as the leg came back, which this replaces) for 3.5 % more engine calls than those took (WitMotion's engine 9.8 ->
  10.6 us a sample); every 0.15 s counted no more in time for 10 % more,
* every ``settle_interval_s`` while the engine's phase is ``down`` (a rep is about to end; once the live view
  counts it, only every ``counted_interval_s``: just its tempo and flags wait for it to settle, on the latency probe
  a reported median 23 ms later for a fifth fewer of these calls), and while it
  holds back more than ``HELD_BACK_S`` of a set's samples (without a gyroscope, bridging a swing, up to
  ~1.3 s: a rep may land in them, and :attr:`~imu.engine.RepEngine.count_now` reads them; feeding only
  0.1-0.3 s after a stop and then once a second counted such reps ~1.1 s late).

A feed that is due is skipped while the engine, with a gyroscope, seeks a home and cannot find one among the
samples pending (:attr:`~imu.engine.RepEngine.home_not_before_s`: the leg has not been still for long enough since
it last moved, between sets say): it would change nothing shown, and the samples wait for the next feed (the same
events and latencies; a fifth fewer engine calls in the quick live benchmark's WitMotion session, whose leg keeps
moving between sets).

A feed that is due is also skipped while the leg stays still at rest (the engine's phase ``rest`` or ``bottom``),
not moved since the last feed (no window moving, each within 3 deg of the direction then), the engine holding
nothing back, for up to ``still_hold_s`` and not past the moment a set's pause ends it (its ``set_end`` event comes
within the second it did): no rep can start or end, nothing shown would change. A fifth to a third of the engine
calls of a 50 Hz sensor were these, once a second through every rest (on the latency probe a fifth fewer calls in
all, the same reps and latencies). So is one while the leg is held still far from its rest during a lift (a top
hold, see :meth:`_held_up`), for up to ``HELD_TOP_MAX_S``: no rep ends there, and the angle shown stays within the 3
deg (6 % fewer calls on the probe, the same reps and latencies).

Decisions are taken at *check points*: the ends of notifications, at most one per ``check_s`` of
sensor time (the live consumer wakes about that often). The feeder therefore behaves the same
whether the samples come in real time or all at once (``--speed 0``, the benchmark), and the
latency it records is what a user would see, for every rep the engine reports: when the live view
counted it (the newest sample fed when :attr:`~imu.engine.RepEngine.count_now` first included it: the
leg was back near its resting level) and when the rep came out with its tempo and flags (it had
settled), each minus the rep's ``end_s`` (sensor time).
"""
from __future__ import annotations

import math
import time

import numpy as np

WINDOW_S = 0.1
MOVING_DPS_GYRO = 20.0
MOVING_DPS_ACC = 12.0  #: without a gyroscope (deg/s): from 25 controlled plank leg lifts (~20 deg) never started the
#: stop triggers and were counted at the next once-a-second feed; 8 counted fewer reps within 300 ms than 12-16 (the
#: triggers kept being pushed back by a rep's slow end)
HELD_UP_COS = math.cos(math.radians(12.0))  #: a stop this far from the resting direction is not a rep's end
TRUSTED_G = 0.1  #: ... when the window's mean acceleration is within this of 1 g (g)
HELD_BACK_S = 0.05  #: the engine holding back more than this (s) during a set: fed every settle_interval_s
HELD_TOP_MAX_S = 3.0  #: held still far from rest during a lift, samples wait at most this long (s)
STILL_COS = math.cos(math.radians(3.0))  #: at rest, a window this close to the direction at the last feed: still


class EngineFeeder:
    def __init__(self, engine, has_gyro: bool, max_interval_s: float = 1.0,
                 after_stop_s: tuple[float, ...] = (0.1, 0.2, 0.3), check_s: float = 0.05,
                 settle_interval_s: float = 0.05, rest_interval_s: float = 1.0, near_rest_interval_s: float = 0.25,
                 counted_interval_s: float = 0.15, still_hold_s: float = 10.0):
        self.engine, self.has_gyro = engine, has_gyro
        self.max_interval_s, self.after_stop_s, self.check_s = max_interval_s, after_stop_s, check_s
        self.settle_interval_s, self.rest_interval_s = settle_interval_s, rest_interval_s
        self.near_rest_interval_s, self.counted_interval_s = near_rest_interval_s, counted_interval_s
        self.still_hold_s = still_hold_s
        self._interval = max_interval_s
        self._t: list[np.ndarray] = []
        self._a: list[np.ndarray] = []
        self._g: list[np.ndarray] = []
        self._first_pending: float | None = None
        self._last_check = -np.inf
        self._triggers: list[float] = []
        # motion detector: sums of the current window, direction of the previous one
        self._w_n = 0
        self._w_t0: float | None = None
        self._w_acc = [0.0, 0.0, 0.0]
        self._w_gyro = 0.0
        self._prev_dir: tuple | None = None
        self._prev_tc = 0.0
        self._dir_trusted = False  # the last window's mean acceleration was within TRUSTED_G of 1 g
        self._rest: tuple | None = None  # the engine's resting direction, read after each feed (only a feed moves it)
        self._fed_dir: tuple | None = None  # the motion detector's direction at the last feed ...
        self._moved = True  # ... and whether the leg has moved since (see _held_still)
        self.calls = 0
        self.samples = 0
        #: CPU time in the engine: the feeding thread's (time.thread_time, read at ~0.6 us against process_time's ~1.3:
        #: the live loop reads the clock on every call)
        self.engine_s = 0.0
        #: (set, rep, counted latency s, reported latency s) per rep event
        self.latencies: list[tuple[int, int, float, float]] = []
        self._counted_at: dict[tuple[int, int], float] = {}  # (set, rep) counted before it was reported: when
        self._reported: dict[int, int] = {}  # set -> reps reported
        self.uncounted = 0  #: reps the live view counted that did not come out as reps
        self.last_fed_t: float | None = None

    # ----------------------------------------------------------------- motion detector
    def _motion(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray | None) -> None:
        if self._w_t0 is None:
            self._w_t0 = float(t[0])
        self._w_n += len(t)
        if len(t) <= 8:                               # plain Python is cheaper for a few samples
            w = self._w_acc
            for x, y, z in acc.tolist():
                w[0] += x
                w[1] += y
                w[2] += z
            if gyro is not None:
                self._w_gyro += sum(math.sqrt(x * x + y * y + z * z) for x, y, z in gyro.tolist())
        else:
            self._w_acc = [a + b for a, b in zip(self._w_acc, acc.sum(axis=0).tolist())]
            if gyro is not None:
                self._w_gyro += float(np.sqrt((gyro * gyro).sum(axis=1)).sum())
        t_end = float(t[-1])
        if t_end - self._w_t0 < WINDOW_S:
            return
        tc = 0.5 * (self._w_t0 + t_end)
        moving = gyro is not None and self._w_gyro / self._w_n > MOVING_DPS_GYRO
        x, y, z = self._w_acc
        norm = math.sqrt(x * x + y * y + z * z)
        if norm > 0:
            d = (x / norm, y / norm, z / norm)
            if gyro is None and self._prev_dir is not None and tc > self._prev_tc:
                dot = sum(a * b for a, b in zip(d, self._prev_dir))
                ang = math.degrees(math.acos(min(1.0, max(-1.0, dot))))
                moving = ang / (tc - self._prev_tc) > MOVING_DPS_ACC
            self._prev_dir, self._prev_tc = d, tc
            f = self._fed_dir
            if f is None or d[0] * f[0] + d[1] * f[1] + d[2] * f[2] < STILL_COS:
                self._moved = True
            self._dir_trusted = abs(norm / self._w_n - 1.0) < TRUSTED_G
        if moving:
            self._triggers = [t_end + s for s in self.after_stop_s]
            self._moved = True
        self._w_n, self._w_t0, self._w_acc, self._w_gyro = 0, None, [0.0, 0.0, 0.0], 0.0

    # ----------------------------------------------------------------- feeding
    def add(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray | None, ends=None) -> list:
        """Adds samples in arrival order; ``ends``: indices just past each notification's samples
        (default: one notification). Returns the engine's events if it was fed."""
        n = len(t)
        if not n:
            return []
        if ends is None or len(ends) <= 1 or float(t[-1]) - float(t[0]) < self.check_s:
            checks = [n]                              # a small batch (real time): one check point
        else:
            ends = np.asarray(ends)
            t_end = t[ends - 1]
            # check points: the last notification end in each check_s slot not yet checked
            slot = np.floor(t_end / self.check_s)
            last_in_slot = np.flatnonzero(np.append(slot[1:] != slot[:-1], True))
            c = ends[last_in_slot]
            c = c[t[c - 1] >= self._last_check + self.check_s * 0.999]
            checks = c.tolist()
            if not checks or checks[-1] != n:
                checks.append(n)
        events, a = [], 0
        for b in checks:
            if b <= a:
                continue
            if a == 0 and b == n:
                self._take(t, acc, gyro)
            else:
                self._take(t[a:b], acc[a:b], None if gyro is None else gyro[a:b])
            a = b
            now = float(t[b - 1])
            if now < self._last_check + self.check_s * 0.999 and b != n:
                continue
            self._last_check = now
            due = now - self._first_pending >= self._due_interval()
            fired = False
            while self._triggers and now >= self._triggers[0]:
                self._triggers.pop(0)
                fired = True
            if fired and not self._held_up():
                due = True
            if due:
                if self._engine_idle(now) or self._held_still(now):
                    self._skip()
                else:
                    events += self.feed()
        return events

    def _due_interval(self) -> float:
        """Sensor time (s) after which pending samples are fed however the leg moves: ``near_rest_interval_s``
        during a lift while the leg is read within 12 deg of the set's resting direction (a small or slow rep
        may end at any check point: neither stop nor return triggers a feed), else as set after the last feed."""
        cos = self._rest_cos()
        if cos is not None and cos >= HELD_UP_COS and self.engine.phase == "up/top":
            return min(self._interval, self.near_rest_interval_s)
        return self._interval

    def _engine_idle(self, now: float) -> bool:
        """Whether feeding the samples pending up to ``now`` (s) could change nothing: with a gyroscope, while the
        engine seeks a home and none can be found before ``now`` (:attr:`~imu.engine.RepEngine.home_not_before_s`;
        the leg keeps moving between sets). The check is engine time."""
        if not self.has_gyro or self.engine.phase not in ("rest", "bottom"):
            return False
        c0 = time.thread_time()
        home_s = self.engine.home_not_before_s
        self.engine_s += time.thread_time() - c0
        return home_s is not None and now < home_s - 1e-6

    def _held_still(self, now: float) -> bool:
        """Whether the leg has stayed still at rest, between sets or between the reps of a set, since the last feed
        (no window moving, each within 3 deg of the direction then), for less than ``still_hold_s`` and, in a set,
        before its pause ends it (:attr:`~imu.engine.RepEngine.set_end_due_s`); or still in a top hold far from the
        rest (:meth:`_held_up`) for less than ``HELD_TOP_MAX_S``: feeding would change nothing shown (no rep can
        end), and the samples wait for the leg to move."""
        if self._moved or not self._t:
            return False
        waited_s, eng = now - float(self._t[0][0]), self.engine
        if waited_s >= self.still_hold_s or eng.unseen_s > HELD_BACK_S:
            return False
        phase = eng.phase
        if phase == "up/top":  # (held still at the top: no rep ends there, nothing shown moves)
            return waited_s < HELD_TOP_MAX_S and self._held_up()
        if phase == "bottom":
            end_s = eng.set_end_due_s
            return end_s is not None and now < end_s
        return phase == "rest"

    def _skip(self) -> None:
        """What a feed does to the feeder's timing, without the engine (see :meth:`_engine_idle`): the samples stay
        pending, fed with the next ones (the engine gives the same results whatever the chunking), and the
        interval counts from the next samples on, as after a feed."""
        self._first_pending = None

    def _held_up(self) -> bool:
        """Whether the leg stopped far from the set's resting position during a lift (a top hold):
        no rep can end there, so feeding the engine then would only cost time."""
        cos = self._rest_cos()
        if cos is None or self.engine.phase != "up/top" or not self._dir_trusted:
            return False  # (a window off 1 g: the leg's own acceleration, its direction says nothing)
        return cos < HELD_UP_COS

    def _rest_cos(self) -> float | None:
        """Cosine of the angle between the last window's mean acceleration and the set's resting direction (None
        while either is unknown)."""
        rest, d = self._rest, self._prev_dir
        if rest is None or d is None:
            return None
        return d[0] * rest[0] + d[1] * rest[1] + d[2] * rest[2]

    def _rep_held_back(self) -> bool:
        """Whether the engine holds back samples of a set (see :attr:`imu.engine.RepEngine.unseen_s`): a
        rep's end may be among them, and it is counted as soon as they are released or read."""
        eng = self.engine
        return (eng.current_set is not None or eng.pending_reps > 0) and eng.unseen_s > HELD_BACK_S

    def _take(self, t, acc, gyro) -> None:
        self._t.append(t)
        self._a.append(acc)
        if gyro is not None:
            self._g.append(gyro)
        if self._first_pending is None:
            self._first_pending = float(t[0])
        self._motion(t, acc, gyro)

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
        self._fed_dir, self._moved = self._prev_dir, self._prev_dir is None
        c0 = time.thread_time()
        events = self.engine.feed(t, a, g)
        self.engine_s += time.thread_time() - c0
        self.calls += 1
        self.samples += len(t)
        self.last_fed_t = float(t[-1])
        self._rest = self.engine.rest_direction
        for ev in events:
            if ev.kind == "rep" and ev.rep is not None:
                key = (ev.rep.set, ev.rep.rep)
                self._reported[key[0]] = key[1]
                counted = self._counted_at.pop(key, self.last_fed_t)
                if not ev.rep.inferred:  # (an inferred rep has no "back")
                    self.latencies.append((*key, counted - ev.rep.end_s, self.last_fed_t - ev.rep.end_s))
        cur, now = self.engine.count_set, self.engine.count_now
        # counted, not reported yet (without a gyroscope several swung reps may be, see count_now)
        landed = set() if cur is None else {(cur, n) for n in range(self._reported.get(cur, 0) + 1, now + 1)}
        for key in [k for k in self._counted_at if k not in landed]:  # counted, then not a rep after all
            del self._counted_at[key]
            self.uncounted += 1
        for key in landed:
            self._counted_at.setdefault(key, self.last_fed_t)
        self._interval = self._next_interval(bool(landed))
        return events

    def _next_interval(self, counted: bool) -> float:
        """Sensor time (s) after which the samples that follow a feed are due (see the module docstring); ``counted``:
        the live view counts a rep that has not settled yet."""
        if self._rep_held_back():
            return self.settle_interval_s
        phase = self.engine.phase
        if phase == "down":  # (once counted, only its tempo and flags wait for it to settle)
            return max(self.settle_interval_s, self.counted_interval_s) if counted else self.settle_interval_s
        return self.rest_interval_s if phase == "rest" else self.max_interval_s

    def finish(self) -> list:
        """Feeds the rest and closes the session (the engine revises its flags)."""
        events = self.feed()
        c0 = time.thread_time()
        events += self.engine.finish()
        self.engine_s += time.thread_time() - c0
        return events
