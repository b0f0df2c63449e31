"""The incremental rep counter :class:`RepEngine`: input, the state machine's loop, flags, memory."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from imu.block import GRID_HZ
from imu.engine.live_view import LiveView
from imu.engine.measure import Measure
from imu.engine.params import (
    ACC_ONLY_DURATION_SCALE, EXCURSION, HOME, HOME_KEEP_S, INVERTED_LOOKBACK_S, JOLT_G, KEPT_S, SEEK, SETTLE,
    SETTLED_COS, STILL_DPS, TRACE_HZ, WINDOW,
)
from imu.engine.search import Search
from imu.engine.sets import SetBuilder
from imu.engine.state import Event, SetState, ordered_flags
from imu.flags import SessionRoms, lever_m, range_trusted, rom_flags, tempo_flags
from imu.gaps import LONG_GAP_S
from imu.grid_buffer import GridBuffer
from imu.orientation import leg_angle_deg, norm, tilt_deg
from imu.phases import RepTiming
from imu.presets import Preset, get_preset
from imu.rep import Rep
from imu.signals import SignalFront


class RepEngine(LiveView, Search, Measure, SetBuilder):
    """Incremental rep counter. ``preset``: an exercise slug or a :class:`Preset`.

    ``usual_full_rom_deg``: the person's usual full range of motion (deg) per exercise slug, from
    earlier sessions (:func:`analysis.usual_range.usual_full_rom`); the person's full range, the
    reference of the ``partial`` flag, is then not taken below 90 % of it (:class:`imu.flags.SessionRoms`),
    so a session of nothing but partial sets is still flagged.
    """

    def __init__(self, preset: str | Preset = "auto", has_gyro: bool | None = None, keep_trace: bool = True,
                 usual_full_rom_deg: Mapping[str, float] | None = None):
        self.preset = get_preset(preset) if isinstance(preset, str) else preset
        self._usual_full_rom_deg = dict(usual_full_rom_deg or {})
        self.auto_detected = self.preset.slug == "auto"
        #: with ``auto``, what picked the preset from the first set (:func:`imu.presets.auto_preset`'s inputs, medians)
        self.auto_evidence: dict | None = None
        self.has_gyro = has_gyro
        self.keep_trace = keep_trace
        self._front: SignalFront | None = None
        self._buf = GridBuffer(slack=WINDOW)
        self._state = SEEK
        self._pos = 0  # absolute grid index where the search resumes
        self._home_since = 0  # where the current HOME state began
        self._inverted_after_s = -np.inf  # end of the last real bottom an inside-out set restarted from
        self._afresh = (-1, 0)  # the latest excursion measured afresh in a new frame, retries since
        self._set: SetState | None = None
        self._level = 0.0  # resting level of the leg in the current frame (deg)
        self._exc: dict = {}
        self._backtrack: tuple[float, float] | None = None
        self._implausible: RepTiming | None = None  # an excursion just found not to be a rep
        self._gait = False
        self._foreign_from: int | None = None  # an excursion that rested far from the frame's home began here
        self._theta_key: tuple | None = None  # frame of the cached leg angles
        self._theta_span = (0, 0)  # absolute grid indices the cache covers
        self._theta_vals = np.empty(0)
        self._quiet: tuple = (None, np.empty(0, bool))  # ((excursion start, window), its samples' quiet) (_quiet_from)
        self._sets_done = 0
        self._looks_set: tuple = (None, False)  # (tentative reps judged, whether they look a set) for count_now
        self._exc_rest: tuple = (None, None)  # (excursion, its resting level deg or None) for count_now
        self._exc_axes: tuple = (None, False)  # (excursion, whether it turned otherwise than its set's reps): count_now
        self._held_shown: tuple = (None, 0, 0.0)  # (reps landed after, shown, until s) for count_now
        self.reps: list[Rep] = []
        self._roms = SessionRoms(self._usual_full_rom_deg.get(self.preset.slug), self.preset.pivot_lever_m)
        self.rejected = 0  # excursions that did not make a set
        self.trace_t: list[np.ndarray] = []
        self.trace_deg: list[np.ndarray] = []
        self._trace_next = 0.0
        self.last_t_s: float | None = None

    def feed(self, t_s, acc_g, gyro_dps=None) -> list[Event]:
        """Adds raw samples (seconds, g, deg/s); returns the events they completed."""
        t = np.asarray(t_s, float).reshape(-1)
        acc = np.asarray(acc_g, float).reshape(-1, 3)
        gyro = None if gyro_dps is None else np.asarray(gyro_dps, float).reshape(-1, 3)
        if self._front is None:
            self.has_gyro = gyro is not None if self.has_gyro is None else self.has_gyro
            self._front = SignalFront(self.has_gyro)
        if self.has_gyro and gyro is None:
            raise ValueError("this engine was started with a gyroscope: pass gyro_dps")
        if not (len(t) and self._all_usable(t, acc, gyro)):
            t, acc, gyro = self._usable(t, acc, gyro)
        if len(t) == 0:
            return []
        self.last_t_s = float(t[-1])
        events: list[Event] = []
        for after_gap, block in self._front(t, acc, gyro if self.has_gyro else None):
            if after_gap:
                events += self._long_gap()
            for a in range(0, len(block), WINDOW):  # bounded scans: each step looks at most this far ahead
                self._buf.append(block if len(block) <= WINDOW else block.cut(a, a + WINDOW))  # (a live chunk: whole)
                events += self._run()
        return events

    def _all_usable(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray | None) -> bool:
        """Whether :meth:`_usable` keeps every sample (the usual clean stream), told with fewer numpy
        calls: times finite at both ends and strictly increasing after the last one fed, all values
        finite, as many of each. ``t`` is not empty."""
        if len(acc) != len(t) or (gyro is not None and len(gyro) != len(t)):
            return False  # (for _usable to refuse)
        first, last = t.item(0), t.item(-1)
        return (math.isfinite(first) and math.isfinite(last) and (self.last_t_s is None or first > self.last_t_s)
                and (len(t) == 1 or bool(np.less(t[:-1], t[1:]).all())) and bool(np.isfinite(acc).all())
                and (gyro is None or bool(np.isfinite(gyro).all())))

    def _usable(self, t: np.ndarray, acc: np.ndarray, gyro: np.ndarray | None):
        """The samples (s, g, deg/s) with finite values and strictly increasing times after the last one
        fed: late or duplicated samples are skipped."""
        keep = np.isfinite(t) & np.isfinite(acc).all(axis=1)
        if gyro is not None:
            keep &= np.isfinite(gyro).all(axis=1)
        if self.last_t_s is not None:
            keep &= t > self.last_t_s
        if not keep.all():
            t, acc = t[keep], acc[keep]
            gyro = gyro[keep] if gyro is not None else None
        if len(t) > 1:
            mono = np.concatenate(([True], t[1:] > np.maximum.accumulate(t)[:-1]))
            if not mono.all():
                t, acc = t[mono], acc[mono]
                gyro = gyro[mono] if gyro is not None else None
        return t, acc, gyro

    def finish(self) -> list[Event]:
        """Ends the session: closes the open set and revises the flags with the whole session in view
        (the person's full range is only known at the end; an ``auto`` preset only after the first set)."""
        events = []
        for block in [] if self._front is None else self._front.flush():
            self._buf.append(block)
            events += self._run()
        events += self._close_set()
        self._flush_trace(self._buf.end)
        for i, rep in enumerate(self.reps):
            if not rep.measured:  # nothing to revise: no form flags without the data
                continue
            timing = RepTiming(rep.start_s, rep.top_s, rep.lower_s, rep.end_s, rep.rom_deg, rep.bottom_deg,
                               0.0, 0.0, rep.peak_up_dps, rep.peak_down_dps, rep.peak_accel_g)
            keep = [f for f in rep.flags if f in ("feet_rested", "data_gap")]
            flags = ordered_flags(keep + self._flags(timing, rep.set))
            if flags != rep.flags:
                self._store(i, replace(rep, flags=flags))
                events.append(Event("update", self.reps[i]))
        return events

    def _flags(self, timing: RepTiming, set_no: int) -> list[str]:
        """Tempo and range flags of a rep of set ``set_no`` among the session's other reps."""
        flags = tempo_flags(timing, self.preset, 1.0 if self.has_gyro else ACC_ONLY_DURATION_SCALE,
                            speeds_measured=self.has_gyro)
        trusted = range_trusted("momentum" in flags, timing.peak_accel_g, self.has_gyro)
        lever = self._lever_m(timing.top_s - timing.start_s, timing.peak_up_dps, timing.peak_accel_g)
        full, set_median, off_pivot = self._roms.references(set_no, timing.start_s, timing.rom_deg, not trusted,
                                                            lever)
        return flags + rom_flags(timing.rom_deg, self.preset, full, set_median, trusted, off_pivot)

    def _store(self, i: int | None, rep: Rep) -> None:
        """Puts ``rep`` at ``self.reps[i]`` (None: appends it) and records its range."""
        if i is None:
            self.reps.append(rep)
        else:
            self.reps[i] = rep
        if rep.measured:
            untrusted = not range_trusted(rep.momentum, rep.peak_accel_g, self.has_gyro)
            self._roms.put(rep.set, rep.start_s, rep.rom_deg, untrusted,
                           self._lever_m(rep.top_s - rep.start_s, rep.peak_up_dps, rep.peak_accel_g))

    def _lever_m(self, up_s: float, peak_up_dps: float, peak_accel_g: float) -> float:
        """The rep's :func:`imu.flags.lever_m` (NaN without a gyroscope: the speeds are read off a tilt
        the leg's own acceleration distorts)."""
        return lever_m(up_s, peak_up_dps, peak_accel_g) if self.has_gyro else float("nan")

    @property
    def usual_full_rom_deg(self) -> float | None:
        """The person's usual full range (deg) the ``partial`` flag weighs for this preset (None: none)."""
        return self._roms.usual_full_deg

    @property
    def stream_gaps(self):
        """Gaps in the input stream (see :class:`imu.filters.Gap`)."""
        return [] if self._front is None else list(self._front.resampler.gaps)

    def _run(self) -> list[Event]:
        events: list[Event] = []
        while self._pos < self._buf.end:
            step = {SEEK: self._seek, HOME: self._home, EXCURSION: self._excursion, SETTLE: self._settle}[self._state]
            done, ev = step()
            events += ev
            if not done:
                break
        self._trim()
        return events

    @property
    def _min_rom_deg(self) -> float:
        """Smallest excursion (deg) counted as a rep: the preset's ``min_rom_deg``, or with a gyroscope its
        ``gyro_min_rom_deg`` where it has one."""
        small = self.preset.gyro_min_rom_deg
        return small if self.has_gyro and small is not None else self.preset.min_rom_deg

    def _theta(self, a: int, b: int | None = None) -> np.ndarray:
        """Leg angle (deg) of grid samples ``a..b`` in the current set's frame (cached per frame)."""
        b = self._buf.end if b is None else b
        s = self._set
        key = (s.home.tobytes(), None if s.axis is None else s.axis.tobytes(), s.provisional)
        lo, hi = self._theta_span
        if lo < self._buf.start <= hi:  # the buffer's front was dropped
            self._theta_vals, lo = self._theta_vals[self._buf.start - lo :], self._buf.start
            self._theta_span = (lo, hi)
        if key != self._theta_key or a < lo or a > hi:
            self._theta_key, self._theta_span, self._theta_vals = key, (a, a), np.empty(0)
            lo, hi = a, a
        if b > hi:
            new = self._angle_deg(self._buf.get("g", hi, b))
            self._theta_vals = np.concatenate([self._theta_vals, new])
            self._theta_span = (lo, b)
        return self._theta_vals[a - lo : b - lo]

    def _angle_deg(self, g: np.ndarray, s: SetState | None = None) -> np.ndarray:
        """Leg angle (deg) of gravity directions ``g`` in the frame of the set ``s`` (default: the current one)."""
        s = self._set if s is None else s
        angle = tilt_deg(g, s.home) if s.axis is None else leg_angle_deg(g, s.home, s.axis)
        return np.abs(angle) if s.provisional else angle  # (either way about that axis may be the set's)

    def _seen(self, a: int) -> np.ndarray:
        """Per grid sample from ``a`` on: not inside a long gap of the data (where the leg's stillness
        cannot be seen: the bridge across a gap is a guess)."""
        return self._buf.get("gap_s", a) <= LONG_GAP_S

    def _home_still(self, a: int) -> np.ndarray:
        """Per grid sample from ``a`` on: still enough for a home (slower than ``STILL_DPS``, no jolt, seen; with a
        gyroscope also the fused direction settled on the accelerometer's, see ``SETTLED_COS``)."""
        still = (self._buf.get("speed_dps", a) < STILL_DPS) & (self._buf.get("jolt_g", a) < JOLT_G) & self._seen(a)
        if self.has_gyro:
            acc = self._buf.get("acc_g", a)
            still &= (self._buf.get("g", a) * acc).sum(axis=1) > SETTLED_COS * norm(acc)
        return still

    def _close_set(self, keep_frame: bool = False) -> list[Event]:
        s = self._set
        if s is None:
            return []
        events = []
        while s.number is None and s.pending and self._ready(s, closing=True):
            verdict = self._judge_tentative(s)
            if verdict == "set":
                events += self._confirm(s)
            elif verdict == "held":  # (its first candidate no rep: the others may still be a set)
                self._drop_first(s)
                continue
            break
        if s.number is not None:
            for c in self._with_lost(s.emitted[-1:], s.emitted, closing=True)[1:]:  # reps its last one hid
                events += self._emit(s, c)
            events.append(Event("set_end", set=s.number))
            # its reps drawn in its own frame up to its end, before the frame goes (the trace is otherwise
            # written only as samples leave the buffer, seconds later, in whatever frame is current then)
            self._flush_trace(self._buf.index_at(s.emitted[-1].timing.end_s) + 1)
        elif s.pending:
            self.rejected += len(s.pending)
        self._set = SetState(home=s.home, axis=s.axis if keep_frame else None) if keep_frame else None
        if not keep_frame:
            self._state = SEEK
        return events

    def _abort(self) -> list[Event]:
        """Something that is not a leg lift happened: forget the frame and look for a new home."""
        events = self._close_set()
        self._set = None
        self._state = SEEK
        return events

    def _long_gap(self) -> list[Event]:
        """The stream broke for longer than can be filled: drop the rep in progress, keep the set."""
        if self._state in (EXCURSION, SETTLE):
            self.rejected += 1
        self._pos = self._buf.end
        self._state = SEEK
        return []

    def _trim(self) -> None:
        # what any rep (the first of a new set, perhaps) may look back at is kept whatever the chunking
        # (see _bottom_before)
        look = int(KEPT_S * GRID_HZ)
        keep_from = (self._exc["on"] if self._state in (EXCURSION, SETTLE) else self._pos) - look
        s = self._set
        if s is not None and s.last_end_s is not None and self._state != SEEK:
            # keep the last rep's end (bottom hold, feet rested) and, while tentative, its first rep and what
            # came before it (backtracking, the inside-out check)
            anchor = s.pending[0].timing.start_s - INVERTED_LOOKBACK_S if s.pending else s.last_end_s
            keep_from = min(keep_from, self._buf.index_at(anchor) - 2)
        keep_from = max(keep_from, self._pos - int(HOME_KEEP_S * GRID_HZ)) if self._state == HOME else keep_from
        self._flush_trace(keep_from)
        self._buf.drop_before(keep_from)

    def _flush_trace(self, upto: int) -> None:
        if not self.keep_trace:
            return
        a = self._buf.start
        b = max(a, min(upto, self._buf.end))
        if b <= a:
            return
        t = self._buf.get("t", a, b)
        take = np.flatnonzero(t >= self._trace_next)
        if len(take) == 0:
            return
        step = max(1, int(round(GRID_HZ / TRACE_HZ)))
        take = take[::step]
        theta = self._theta(a, b)[take] if self._set is not None else np.full(len(take), np.nan)
        self.trace_t.append(t[take])
        self.trace_deg.append(theta)
        self._trace_next = float(t[take[-1]]) + 1.0 / TRACE_HZ - 1e-9

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        """The kept leg-angle trace (s, deg), NaN outside sets' frames."""
        if not self.trace_t:
            return np.empty(0), np.empty(0)
        return np.concatenate(self.trace_t), np.concatenate(self.trace_deg)

