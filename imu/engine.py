"""The detection engine: one incremental rep counter for live streams and for files.

Feed it raw samples in chunks of any size (:meth:`RepEngine.feed`); it returns what happened as
:class:`Event` objects and gives the same reps whatever the chunking (it works on a fixed 50 Hz grid,
its filters keep state across chunks, and every decision depends only on the samples, never on where a
chunk ended). Memory is bounded by the current rep: samples are dropped once a rep is decided.

How reps are found (all on the ankle's gravity direction, so the strap may sit any way round):

1. **Home.** The leg must be still for ``STILL_S`` somewhere; that direction is the home of a possible
   set.
2. **Excursion.** The leg tilts away from its resting level by more than half the preset's smallest
   range of motion, reaches a peak and comes back to within 35 % of that excursion.
3. **Settle.** The rep ends when the leg is back at the bottom: it slows down, or the next rep starts.
   Its phases come from minimum-jerk fits of both ramps (:mod:`imu.phases`); without a gyroscope a
   controlled rep is then fitted to the accelerometer's readings, the leg's own acceleration included
   (:mod:`imu.ramp_fit`), for the times and range it reports (the search goes on by the tilt's); other
   reps report their range up to the angle held at the top (:func:`imu.phases.held_top_deg`).
4. **Set.** The first rep of a set fixes the plane of motion (a movement too small for a rep only
   provisionally: the next one fixes it again); later reps must turn about the same axis and rest at
   the same level. Only ``min_set_reps`` consistent reps in a row make a set: single leg movements
   during rests (bending a knee, shifting, re-strapping) are not reps, nor are small shifts never held
   at the top, and neither is continuous swinging without pauses (walking; flutter kicks are told
   from walking by where the centripetal pull points). A posture change that ran into the first rep
   is undone by starting the set again from the plateau it ended on; a set found inside out (its home
   was the first rep's top hold, so it ran from top to top) starts again from the rest its reps really
   began from. Staying far below the resting level or out of the plane, implausible excursions (too
   long, too big for the preset) and long stillness elsewhere end the search; a pause longer than
   ``set_gap_s`` ends a set.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from statistics import median

import numpy as np

from imu.filters import GAP_S
from imu.flags import SessionRoms, feet_rested, lever_m, range_trusted, rom_flags, tempo_flags
from imu.gaps import LONG_GAP_S, edge_lost_reps, long_gaps_since, lost_reps, measured, set_rhythm
from imu.grid_buffer import GridBuffer
from imu.masks import first_run, first_true, median_below, true_runs
from imu.bridge import SWING_G
from imu.held import kicks_landed, reps_landed
from imu import lean_numpy
from imu.orientation import cross, leg_angle_deg, out_of_plane_deg, plane_axis, tilt_deg, unit
from imu.phases import RepTiming, held_top_deg, peak_accel_g, rep_phases
from imu.presets import Preset, auto_preset, get_preset
from imu.ramp_fit import lever_fit_m, rep_ramps_fit
from imu.rep import Rep
from imu.block import GRID_HZ, Block
from imu.signals import SignalFront

STILL_S = 0.4  #: stillness that establishes a home position
STILL_DPS = 10.0  #: slower than this counts as still
AFRESH_RETRIES = 3  #: excursions measured afresh in a row without the search moving past the latest one
AFRESH_BRISK_DPS = 80.0  #: without a gyroscope, a movement this fast that leaves a plane kept from earlier ones
#: is measured afresh (rest movements measured afresh made sets of them from 50 deg/s on; from 100 on, two
#: brisk sets were still lost whole, and a swung one with none: their pauses are too short for a new home)
AFRESH_WINDOW_S = 1.0  #: ... its speed taken over this long before it left the plane (s)
REHOME_STILL_S = 1.0  #: a plateau this long inside an excursion may be a new resting position
#: ... still by the median turn rate over the preset's ``quiet_median_s`` (0.2 s): without a gyroscope the
#: accelerometer's noise makes single turn rates of 10-15 deg/s every ~0.6 s on a still leg (suite #57, 26 Hz),
#: so a 3 s hold after a move into position was no plateau and the move ran into the first rep ...
QUIET_DRIFT_FRACTION = 0.15  #: ... and coming less far over the plateau's REHOME_STILL_S than this share of its height
QUIET_DRIFT_MIN_DEG = 1.0  #: above the resting level, within these bounds (deg): partial plank and prone reps of 5-10 deg
QUIET_DRIFT_DEG = 4.0  #: turn slower than STILL_DPS throughout and come 3-4 deg in 1 s (suite #4, #21, #66, #104, the
#: Polar plank session #123 at its live rate); a posture change's plateau 30-100 deg up settles by up to ~3 deg (a flat
#: 4 deg: suite 94.4 % exact, but #123 lost two reps; 3 deg: a swung side-lift set confirmed two reps late)
GAP_STILL_DEG = 3.0  #: ... also across a long gap, if the leg rested this close to the same angle on both sides
SETTLE_S = 0.12  #: slow for this long at the bottom ends a rep
SETTLE_MIN_DPS = 4.0  #: ... and slower than this, or than SETTLE_FRACTION of the rep's peak speed
SETTLE_FRACTION = 0.05
REST_WINDOW_S = 0.3  #: where the leg rests is its median angle over this long (s)
READY_N = int(REST_WINDOW_S * GRID_HZ)  #: grid samples before a set's first rep that say where the leg was held ready
END_EXTRAPOLATION = 0.1  #: a settled rep's fitted down ramp may end after its lowest sample by this share of
#: the time from its peak: the rep is decided when the leg is slower than SETTLE_FRACTION of its peak speed,
#: before a slow eccentric's last degrees are done (its end was put ~0.2 s early)
PAUSE_LOOK_S = 3.0  #: a rep of a set may start from where the leg rested lower this long before it left (s)
EXIT_FRACTION = 0.35  #: back within this share of the excursion counts as "coming back"
LIKE_SET_FACTOR = 1.5  #: a tentative set is counted as its next rep lands only if that went at most this times the
#: reps' median range (a posture change after two big fidgets, 135 deg after 99 and 58, was counted and taken back)
#: and its reps took at most this times as long as each other (a shift of the leg straight after a rep, 1.1 s
#: after 3.9 s, say: over the suite 33 -> 15 reps counted and taken back, one fewer counted within 300 ms)
LANDED_FRACTION = 0.1  #: back within this share of the excursion, a rep of a set is counted in a live view before
#: it settles (its tempo and flags follow then: without a gyroscope the settle can take ~0.5 s longer)
JOLT_G = 1.5  #: a jolt above this (heel strike) is not a still home; a foot knocking the floor reaches ~0.9 g
BELOW_REST_DEG = 25.0  #: this far below the resting level is not a leg lift
ABNORMAL_S = 0.3  #: ... when it lasts this long
OUT_OF_PLANE_DEG = 30.0  #: this far out of the set's plane of motion ends the set
AXIS_AGREE_DEG = 35.0  #: reps of a set turn about axes within this angle
FOREIGN_REST_DEG = 45.0  #: a rep unlike its set that rests this far from the frame's home is measured afresh
TRACE_HZ = 10.0  #: rate of the kept leg-angle trace (for plots)
LEVER_ROM_DEG = 20.0  #: a rep's fitted lever tells the axis apart from this range up (smaller: too little acceleration)
GYRO_LEVER_FACTOR = 2.0  #: with a gyroscope a set's reps turn about an axis at least this times the preset's
#: ``min_lever_m`` away: fitted to the whole movement (:func:`imu.ramp_fit.lever_fit_m`), bending the knees, its
#: pivot moving from the ankle up the shin, reads 0.19-0.33 m; straight-leg raises 0.62-0.96 m (suite), 0.5-0.6 (real)
LEVER_LEAD_S = 0.3  #: with a gyroscope the lever is fitted from this long before a rep's start (s: the filter settles)
WINDOW = 256  #: grid samples added to the buffer per step of the state machine
ACC_ONLY_DURATION_SCALE = 0.85  #: without a gyroscope duration limits are scaled by this: the ramps the readings do
#: not refine (imu.ramp_fit) look up to ~30 % shorter (the leg's acceleration tilts the accelerometer against the
#: motion as it starts and with it as it stops); rushed precision 0.98, recall 0.92 on the acc-only suite
INVERTED_LOOKBACK_S = 12.0  #: how far before a tentative set's first rep its real bottom may lie (s)
KEPT_S = INVERTED_LOOKBACK_S + 2.0  #: the buffer always holds at least this much before the current position (s)
HOME_KEEP_S = 45.0  #: at most this much is kept while the leg stays at home (s): a tentative set's first 3 reps and the
#: INVERTED_LOOKBACK_S before them (alternating leg lifts, a rep of this leg every ~14 s, span ~30 s before that)
MIN_REP_S = 0.5  #: a leg lift and lowering faster than this is a twitch (reps take >= 0.58 s in the suite)
GAIT_PAUSE_S = 0.15  #: reps with shorter holds and pauses than this ...
UPRIGHT_COS = 0.7  #: the centripetal pull within ~45 deg of "up": the shin hangs below its pivot (walking)
GAIT_CYCLE_S = 1.6  #: ... and shorter than this are gait (walking), unless the preset is flutter kicks
BACKTRACK_RAISED = 0.5  #: a first rep bigger than the rest began a posture change when the reps rest higher by at
#: least this share of the difference (a first rep only bigger, suite #83: 92 vs 82 deg from the same rest, is none)
BACKTRACK_HOLD_RATIO = 1.8  #: a first rep held this many times as long as any other rep of its set ...
BACKTRACK_HOLD_S = 1.0  #: ... and this much longer (s) was a posture change merged with the first rep: its "top
#: hold" is the set's starting hold (2-5 s in the suite; top holds within a set differ by < 0.6 s)
PASSED_STILL_S = 1.5  #: an excursion held still this long (s) at a plateau and then gone on past its rest to the far
#: side, by PASSED_FRACTION of the plateau's height, was a posture change: the plateau is a new rest (a set starts
#: with a 2-5 s hold; a top hold is ~1 s, and a leg let down onto the floor past its hover goes 2-12 deg and stops)
PASSED_FRACTION = 0.5
SLOWER_LOWERING_FACTOR = 2.5  #: a rep lowered this many times slower (peak speed) than its confirmed set's reps is
#: none of them (suite: the reps of a set, tiring or not, 1.5-2.2 times at most; the leg let down as the person sits
#: up or bends the knees straight after the last rep 3-7.7 times)
SHIFT_ROM_FRACTION = 0.3  #: reps all smaller than this share of the target range and not held at the top: fidgeting

SEEK, HOME, EXCURSION, SETTLE = "seek", "home", "excursion", "settle"


@dataclass(frozen=True)
class Event:
    """What the engine reports: ``rep`` (a new rep), ``update`` (a rep's bottom hold and flags were
    completed when the next rep started, or revised at the end), ``set_end``."""

    kind: str
    rep: Rep | None = None
    set: int | None = None


@dataclass
class _Candidate:
    """A rep of a tentative set: its timing, the longest gap in its data (s), whether it was inferred."""

    timing: RepTiming
    gap_s: float = 0.0
    inferred: bool = False
    refined: RepTiming | None = None  #: what it reports: range up to the angle held at the top, or (acc-only) fitted

    @property
    def reported(self) -> RepTiming:
        """The timing the rep is reported with (``timing`` is the leg angle's, which the search goes by)."""
        return self.refined or self.timing

    @property
    def measured(self) -> bool:
        return measured(self.gap_s, self.inferred)

    @property
    def tilt_distorted(self) -> bool:
        """Whether its tilt is no reading of the leg: fitted to the readings, the leg's own acceleration included
        (acc-only, :mod:`imu.ramp_fit`), the tilt's range is more than ``LIKE_SET_FACTOR`` times the fitted one (a
        flutter kick's tilt jumped ~10 deg at its start and read 45.8 deg from -4.4, the fit 21). Not the other way
        round: a tilt that barely moved is no jump, and a fit of it to 5 times that was a walk's step."""
        fit = self.refined
        return fit is not None and fit.lever_m is not None and self.timing.rom_deg > LIKE_SET_FACTOR * fit.rom_deg


@dataclass
class _SetState:
    """The frame and reps of the set being built (tentative until ``min_set_reps``)."""

    home: np.ndarray
    axis: np.ndarray | None = None
    number: int | None = None  # set number once confirmed
    pending: list[_Candidate] = field(default_factory=list)  # reps not yet confirmed
    reps: list[Rep] = field(default_factory=list)  # emitted reps of this set
    bottoms: list[float] = field(default_factory=list)
    ready_deg: float = float("nan")  # where the accelerometer had the leg held ready before the set's first rep
    emitted: list[_Candidate] = field(default_factory=list)  # what ``reps`` were made from (the search's timings)
    last_end_s: float | None = None
    provisional: bool = False  # the axis was fixed by a movement too small for a rep: the next one fixes it again


class RepEngine:
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
        self.has_gyro = has_gyro
        self.keep_trace = keep_trace
        self._front: SignalFront | None = None
        self._buf = GridBuffer(slack=WINDOW)
        self._state = SEEK
        self._pos = 0  # absolute grid index where the search resumes
        self._home_since = 0  # where the current HOME state began
        self._inverted_after_s = -np.inf  # end of the last real bottom an inside-out set restarted from
        self._afresh = (-1, 0)  # the latest excursion measured afresh in a new frame, retries since
        self._set: _SetState | None = None
        self._level = 0.0  # resting level of the leg in the current frame (deg)
        self._exc: dict = {}
        self._backtrack: tuple[float, float] | None = None
        self._implausible: RepTiming | None = None  # an excursion just found not to be a rep
        self._gait = False
        self._foreign_from: int | None = None  # an excursion that rested far from the frame's home began here
        self._theta_key: tuple | None = None  # frame of the cached leg angles
        self._theta_span = (0, 0)  # absolute grid indices the cache covers
        self._theta_vals = np.empty(0)
        self._sets_done = 0
        self._looks_set: tuple = (None, False)  # (tentative reps judged, whether they look a set) for count_now
        self._exc_rest: tuple = (None, None)  # (excursion, its resting level deg or None) for count_now
        self.reps: list[Rep] = []
        self._roms = SessionRoms(self._usual_full_rom_deg.get(self.preset.slug), self.preset.pivot_lever_m)
        self.rejected = 0  # excursions that did not make a set
        self.trace_t: list[np.ndarray] = []
        self.trace_deg: list[np.ndarray] = []
        self._trace_next = 0.0
        self.last_t_s: float | None = None

    # ------------------------------------------------------------------ input
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
                self._buf.append(block.cut(a, a + WINDOW))
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
            flags = _ordered(keep + self._flags(timing, rep.set))
            if flags != rep.flags:
                self._store(i, replace(rep, flags=flags))
                events.append(Event("update", self.reps[i]))
        return events

    def _flags(self, timing: RepTiming, set_no: int) -> list[str]:
        """Tempo and range flags of a rep of set ``set_no`` among the session's other reps."""
        flags = tempo_flags(timing, self.preset, 1.0 if self.has_gyro else ACC_ONLY_DURATION_SCALE,
                            speeds_measured=self.has_gyro)
        trusted = range_trusted("momentum" in flags, timing.peak_accel_g, self.has_gyro)
        full, set_median = self._roms.references(set_no, timing.start_s, timing.rom_deg, not trusted,
                                                 self._lever_m(timing.top_s - timing.start_s, timing.peak_up_dps,
                                                               timing.peak_accel_g))
        return flags + rom_flags(timing.rom_deg, self.preset, full, set_median, trusted)

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

    # ------------------------------------------------------------------ live view helpers
    @property
    def phase(self) -> str:
        """Current phase for a live view: rest, bottom, up/top/down (approximate)."""
        if self._state == EXCURSION:
            return "up/top"
        if self._state == SETTLE:
            return "down"
        return "bottom" if self._set is not None and self._set.number is not None else "rest"

    @property
    def rest_direction(self) -> tuple[float, float, float] | None:
        """Unit direction of gravity (sensor frame) where the leg rests in the current set, or None."""
        return None if self._set is None else tuple(self._set.home.tolist())

    @property
    def pending_reps(self) -> int:
        """Reps of a possible set not yet confirmed (shown as tentative in a live view)."""
        return 0 if self._set is None else len(self._set.pending)

    @property
    def unseen_s(self) -> float:
        """Sensor time (s) fed but not yet seen by the state machine: without a gyroscope, what the front end
        holds back while it bridges a swing (:mod:`imu.bridge`); otherwise under a grid step."""
        if self.last_t_s is None or not len(self._buf):
            return 0.0
        return max(0.0, self.last_t_s - float(self._buf.get("t", self._buf.end - 1)[0]))

    @property
    def home_not_before_s(self) -> float | None:
        """While the engine seeks a home (the leg not yet still for ``STILL_S``): the sensor time (s) before which
        none can be found, however the samples go on (the stillness at the buffer's end needs that much more), so
        before which no rep can start or end and no event come out; None in any other state."""
        if self._state != SEEK or not len(self._buf):
            return None
        n = int(STILL_S * GRID_HZ)
        still = self._home_still(max(self._buf.end - n + 1, self._buf.start))  # (what _seek looks at next)
        moved = np.flatnonzero(~still)
        held = len(still) - 1 - int(moved[-1]) if len(moved) else len(still)  # still samples at the end
        return float(self._buf.get("t", self._buf.end - 1)[0]) + (n - held) / GRID_HZ

    @property
    def current_set(self) -> int | None:
        return None if self._set is None else self._set.number

    @property
    def count_set(self) -> int | None:
        """The set :attr:`count_now` counts: the current (confirmed) set, or the next set's number while the rep
        that would make a tentative set of it has landed (see :meth:`_landed_confirming`); None otherwise."""
        s = self._set
        if s is None:
            return None
        if s.number is not None:
            return s.number
        return self._sets_done + 1 if self._landed_confirming(s) else None

    def _landed_confirming(self, s: _SetState) -> bool:
        """Whether the tentative set ``s`` has ``min_set_reps - 1`` measured reps and the leg is back within
        ``LANDED_FRACTION`` of an excursion like theirs (half their median range, at least ``min_rom_deg``, up to
        ``LIKE_SET_FACTOR`` times it), not settled yet, their durations within that factor of each other, and
        they are judged a set as they are (:meth:`_judge_tentative`, no inside-out bottom by
        :meth:`_bottom_before`); without a gyroscope also when the latest readings show that rep ended before
        the state machine saw it (:meth:`_landed_unseen`, measured against the tentative reps). That rep makes
        the set ready to be judged (it is judged when the rep settles, and taken back if it is no set); the
        live view counts the set from then on."""
        if (len(s.pending) != self.preset.min_set_reps - 1 or not s.pending or not all(c.measured for c in s.pending)
                or self._state == SEEK or not self._leaves_set_rest(s)):
            return False
        rom = self._set_rom_deg(s, s.pending)  # (all measured)
        landed = (self._state == SETTLE and self._exc.get("landed", False)
                  and self._rep_like_deg(rom) <= self._exc["height"] <= LIKE_SET_FACTOR * rom)
        if not landed and not (self._state != SETTLE and self._landed_unseen(s, False, s.pending)):
            return False
        durations = [c.timing.end_s - c.timing.start_s for c in s.pending]
        if max(durations) > LIKE_SET_FACTOR * min(durations):  # (a set's reps keep a rhythm)
            return False
        key = (id(s), len(s.pending), s.pending[0].timing.start_s, s.pending[-1].timing.end_s)
        if self._looks_set[0] != key:  # (judged once per landing: the reps so far as a set, as they will be)
            looks = len(s.pending) >= 2 and self._judge_tentative(s) == "set" and self._bottom_before(s) is None
            self._looks_set = (key, looks)
        return self._looks_set[1]

    @property
    def count_now(self) -> int:
        """Reps of the current (confirmed) set a live view shows: those reported, and one whose leg is
        back within ``LANDED_FRACTION`` of its excursion from the resting level but has not settled yet
        (it is reported, with its tempo and flags, when it settles; should what follows show it was not
        a rep, a posture change say, the count goes back down). Without a gyroscope also those that the
        latest readings show ended before the state machine saw them (:meth:`_landed_unseen`). For a
        tentative set, ``min_set_reps`` once the rep that makes it ready to be judged has landed
        (:attr:`count_set` then names the set it would be), 0 before; 0 outside a set."""
        s = self._set
        if s is None:
            return 0
        if s.number is None:  # a tentative set: counted once the rep that makes it ready has landed
            return self.preset.min_set_reps if self._landed_confirming(s) else 0
        if not self._leaves_set_rest(s):
            return len(s.reps)
        landed = (self._state == SETTLE and self._exc.get("landed", False)
                  and self._exc["height"] >= self._rep_like_deg(self._set_rom_deg(s)))
        return len(s.reps) + landed + self._landed_unseen(s, landed)

    def _leaves_set_rest(self, s: _SetState) -> bool:
        """Whether the excursion under way (if any) left from where the reps of the set ``s`` rest: its resting
        level, the median angle over the ``REST_WINDOW_S`` before it left, is not apart from theirs for
        :meth:`_rests_apart` (with their median range, once it is settling with its own if smaller), and, once
        it is settling, it rose at least ``min_rom_deg`` from there and is coming down no far slower than the set's
        reps (:meth:`_lowered_slower`). Otherwise it settles as the first rep of a new
        tentative set (the leg let down lower or raised to another rest before it) or as no rep (too small
        from where it rested), and a live view that counted it as it landed took it back. (Where its rest or
        the rep before it was lost in a gap, a rep is measured from the set's resting level: it leaves from
        there. A lower rest in the pause, :meth:`_pause_low`, only brings its level nearer the set's.)"""
        if self._state not in (EXCURSION, SETTLE) or s.axis is None or s.provisional or not s.bottoms:
            return True
        on = self._exc["on"]
        if self._exc_rest[0] != (id(s), on):  # (its rest is over once it left: judged once per excursion)
            pre = self._rep_pre(on, s)
            last = s.pending[-1] if s.pending else (s.reps[-1] if s.reps else None)
            lost = not self._seen(pre)[: max(1, on - pre + 1)].all() or (last is not None and not last.measured)
            g = self._buf.get("g", max(pre, on + 1 - int(REST_WINDOW_S * GRID_HZ)), on + 1)
            self._exc_rest = ((id(s), on), None if lost else float(np.median(leg_angle_deg(g, s.home, s.axis))))
        bottom = self._exc_rest[1]
        if bottom is None:
            return True
        rom = self._set_rom_deg(s, s.pending + s.emitted)
        if self._state == SETTLE:  # (its top is known: its own range, and how fast it came down)
            own = self._exc["level"] + self._exc["height"] - bottom
            if own < self.preset.min_rom_deg or self._lowered_slower(s, self._lowering_dps(on)):
                return False
            rom = min(rom, own)
        return not self._rests_apart(s, bottom, rom)

    def _lowering_dps(self, on: int) -> float:
        """Fastest lowering (deg/s) since the top of the excursion that left home at ``on``, as far as it has come."""
        theta, t = self._theta(on), self._buf.get("t", on)
        top = int(np.argmax(theta))
        return float(-lean_numpy.gradient(theta[top:], t[top:]).min(initial=0.0)) if len(t) - top > 1 else 0.0

    def _set_rom_deg(self, s: _SetState, reps: list | None = None) -> float:
        """Median range (deg) of the measured ones of ``reps`` (default: the set ``s``'s emitted reps; the
        preset's target before there is one)."""
        reps = s.emitted if reps is None else reps
        return float(median([c.timing.rom_deg for c in reps if c.measured] or [self.preset.target_rom_deg]))

    def _rep_like_deg(self, rom_deg: float) -> float:
        """Smallest excursion (deg) a live view counts before it settles as a rep of a set whose reps span
        ``rom_deg``: half that, at least the preset's ``min_rom_deg`` (smaller ones, a leg shifted after the
        set, mostly turn out to be none)."""
        return max(self.preset.min_rom_deg, 0.5 * rom_deg)

    def _landed_unseen(self, s: _SetState, landed: bool, reps: list | None = None) -> int:
        """Without a gyroscope: reps of the set ``s`` (after its ``reps``: default its emitted ones) that the
        latest readings show ended (:func:`imu.held.reps_landed`) before the state machine can see them (the front end still holds
        them back, bridging a swing, or the low-passed tilt lags them); in continuous swinging, that the open
        window's fitted directions show ended (:func:`imu.held.kicks_landed`)."""
        reps = s.emitted if reps is None else reps
        if self.has_gyro or self._front is None or not reps or self._state == SEEK:
            return 0
        t, raw, acc_lp = self._front.bridge.recent_readings()
        seen_s = float(self._buf.get("t", self._buf.end - 1, self._buf.end)[0])
        measured_reps = [c.timing for c in reps if c.measured]
        rom = self._set_rom_deg(s, reps)
        swung = float(median([tm.peak_accel_g for tm in measured_reps] or [0.0])) >= SWING_G
        away_since_s, since_s = None, seen_s  # (the state machine saw the leg at home, or landed, up to there)
        last_end_s = seen_s if landed else reps[-1].timing.end_s
        if self._state in (EXCURSION, SETTLE) and not landed:
            on = self._exc["on"]
            theta = self._theta(on)
            if float(theta.max()) - self._exc["level"] >= self._rep_like_deg(rom):
                away_since_s = float(self._buf.get("t", on, on + 1)[0])
                since_s = float(self._buf.get("t", on + int(np.argmax(theta)))[0])  # back after its top
        keep, rest_max_deg = t > since_s, self._level + LANDED_FRACTION * rom
        still = reps_landed(t[keep], raw[keep], acc_lp[keep], s.home, s.axis, rest_max_deg, swung, away_since_s,
                            last_end_s, MIN_REP_S)
        kicks = self._front.bridge.open_window()  # (continuous swinging: no still reading until it stops)
        if kicks is None:
            return still
        angle = leg_angle_deg(kicks[1], s.home, s.axis)
        return max(still, kicks_landed(kicks[0], angle, rest_max_deg, self._level + EXIT_FRACTION * rom,
                                       LANDED_FRACTION * rom, self._level + self._rep_like_deg(rom), away_since_s,
                                       last_end_s, MIN_REP_S))

    def angle_now_deg(self) -> float:
        if len(self._buf) == 0 or self._set is None:
            return float("nan")
        return float(self._theta(self._buf.end - 1, self._buf.end)[0])

    # ------------------------------------------------------------------ state machine
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

    def _angle_deg(self, g: np.ndarray, s: _SetState | None = None) -> np.ndarray:
        """Leg angle (deg) of gravity directions ``g`` in the frame of the set ``s`` (default: the current one)."""
        s = self._set if s is None else s
        angle = tilt_deg(g, s.home) if s.axis is None else leg_angle_deg(g, s.home, s.axis)
        return np.abs(angle) if s.provisional else angle  # (either way about that axis may be the set's)

    def _seen(self, a: int) -> np.ndarray:
        """Per grid sample from ``a`` on: not inside a long gap of the data (where the leg's stillness
        cannot be seen: the bridge across a gap is a guess)."""
        return self._buf.get("gap_s", a) <= LONG_GAP_S

    def _home_still(self, a: int) -> np.ndarray:
        """Per grid sample from ``a`` on: still enough for a home (slower than ``STILL_DPS``, no jolt, seen)."""
        return (self._buf.get("speed_dps", a) < STILL_DPS) & (self._buf.get("jolt_g", a) < JOLT_G) & self._seen(a)

    def _seek(self):
        a = max(self._pos - int(STILL_S * GRID_HZ) + 1, self._buf.start)
        still = self._home_still(a)
        n = int(STILL_S * GRID_HZ)
        run = first_run(still, n)
        if run is None:
            self._pos = self._buf.end
            return False, []
        i = a + run  # last index of the still window
        home = unit(self._buf.get("g", i - n + 1, i + 1).mean(axis=0))
        events = []
        s = self._set
        if s is not None and s.axis is not None and self._resumes(s, home, float(self._buf.get("t", i, i + 1)[0])):
            self._level = float(leg_angle_deg(home[None, :], s.home, s.axis)[0])
        else:
            events += self._close_set()
            self._set = _SetState(home=home)
            self._level = 0.0
        self._state, self._pos = HOME, i + 1
        self._home_since = self._pos
        return True, events

    def _resumes(self, s: _SetState, home: np.ndarray, t_s: float) -> bool:
        """After a break, whether the leg is back in the set's resting position, soon enough."""
        level = float(leg_angle_deg(home[None, :], s.home, s.axis)[0])
        oop = abs(float(out_of_plane_deg(home[None, :], s.axis)[0]))
        recent = s.last_end_s is None or t_s - s.last_end_s < self.preset.set_gap_s
        near = abs(level - (median(s.bottoms) if s.bottoms else 0.0)) < max(8.0, 2 * self.preset.min_rom_deg)
        return recent and near and oop < 10.0

    def _abnormal(self, a: int, since: int) -> int | None:
        """First sample at or after ``a`` (relative to ``a``) that ends any search: the leg has stayed
        far below its resting level or out of the set's plane of motion for ``ABNORMAL_S`` (a posture
        change; brief excursions there are what a hard swing does to the angle without a gyroscope).
        ``since`` is where the current state began."""
        s = self._set
        if s.axis is None:
            return None
        n = int(ABNORMAL_S * GRID_HZ)
        b = max(since, a - n + 1, self._buf.start)
        theta = self._theta(b)
        bad = theta < self._level - BELOW_REST_DEG
        bad |= np.abs(out_of_plane_deg(self._buf.get("g", b), s.axis)) > OUT_OF_PLANE_DEG
        bad &= self._seen(b)
        end = first_run(bad, n)
        while end is not None and b + end < a:
            nxt = first_run(bad[end + 1 :], n)
            end = None if nxt is None else end + 1 + nxt
        return None if end is None else b + end - a

    def _home(self):
        a = self._pos
        theta = self._theta(a)
        t = self._buf.get("t", a)
        enter = self._level + 0.5 * self.preset.min_rom_deg
        i_on = first_true(theta > enter)
        i_bad = self._abnormal(a, self._home_since)
        i_low, low_deg = self._lower_rest(a)
        s = self._set
        i_gap = None
        if s.last_end_s is not None and (s.number is not None or self.has_gyro):
            # (without a gyroscope the old frame is kept: rest fidgets measured afresh made sets of them)
            i_gap = first_true(t - s.last_end_s > self.preset.set_gap_s)
        first = min((i for i in (i_on, i_bad, i_gap, i_low) if i is not None), default=None)
        if first is None:
            self._pos = self._buf.end
            return False, []
        if first == i_low and first not in (i_on, i_bad, i_gap):
            self._level, self._pos = low_deg, a + first + 1
            return True, []
        if first == i_bad:
            self._pos = a + first
            # (from at most KEPT_S back: what the buffer holds beyond that depends on the chunking)
            since = max(self._home_since, self._pos - int(KEPT_S * GRID_HZ))
            if (not self.has_gyro and s.number is None
                    and (len(s.pending) == 1 or (not s.pending and self._left_briskly(since)))
                    and self._may_start_afresh(self._home_since)):
                # a lone tentative rep, then the leg went the other way: that "rep" was the accelerometer
                # tilting against a brisk start; or, with no rep yet, a brisk movement left the plane kept
                # from an earlier one: measure what follows afresh from the same rest (with a gyroscope
                # this let rest movements such as sitting up make sets)
                self.rejected += len(s.pending)  # (the lone rep, if any: the movement is measured again)
                self._set = _SetState(home=s.home)
                self._level, self._pos = 0.0, since
                return True, []
            events = self._abort()
            rest = self._last_still(since, self._pos - int(ABNORMAL_S * GRID_HZ) + 1)
            if (self.has_gyro and s.number is None and len(s.pending) == 1 and rest is not None
                    and self._may_start_afresh(rest)):
                # a lone tentative rep, then the leg left its plane from rest: a set may start from where the leg
                # last rested before that (its first rep, swung in another plane than a fidget, was lost)
                self._pos = rest
            return True, events
        if first == i_gap:
            self._pos = a + first
            if s.number is None:  # tentative reps that long ago were no set: their frame goes with them (the
                # next rep may turn in another plane: it was lost, the set abandoned as it left the old one)
                self.rejected += len(s.pending)
                self._set = _SetState(home=self._direction_before(self._pos)[1])  # where the leg is now
                self._level, self._home_since = 0.0, self._pos
                return True, []
            return True, self._close_set(keep_frame=True)
        self._exc = {"on": a + first, "level": self._level}
        self._state, self._pos = EXCURSION, a + first
        return True, []

    def _lower_rest(self, a: int) -> tuple[int | None, float]:
        """Where, from grid sample ``a`` on (relative to it), the leg at home first rests lower than the resting
        level by half the preset's smallest range: the median angle of the ``REST_WINDOW_S`` up to there, turning
        slower than ``STILL_DPS`` (by the median) and seen; with that angle (deg). A rep that settled on its way
        down (a slow lowering slower than ``SETTLE_MIN_DPS``) left the level where it slowed, and the leg only
        counted as leaving it well up its next rise (suite #4: partial prone reps of 7 deg measured from 3-5 deg
        up, two lost, the set cut in two). Not below the lowest rest a rep of the set started from (getting into
        another posture goes on down: the level stays for that to be found abnormal). (None, nan) if it does not."""
        n, s = int(REST_WINDOW_S * GRID_HZ), self._set
        h0 = max(self._home_since, a - n + 1, self._buf.start)
        below_deg = self._level - 0.5 * self.preset.min_rom_deg
        if self._buf.end - h0 < n or not s.bottoms or min(s.bottoms) >= below_deg:
            return None, float("nan")
        theta = self._theta(h0)
        if not (theta < below_deg).any():  # (the usual answer, told cheaply)
            return None, float("nan")
        med = lean_numpy.window_medians(theta, n)
        still = median_below(self._buf.get("speed_dps", h0), n, STILL_DPS)[n - 1 :]
        seen = np.convolve(self._seen(h0), np.ones(n), "valid") >= n
        i = first_true(still & seen & (med < below_deg))
        if i is None:
            return None, float("nan")
        return h0 + i + n - 1 - a, max(float(med[i]), min(s.bottoms))

    def _excursion(self):
        on, level = self._exc["on"], self._exc["level"]
        a = self._pos
        theta = self._theta(on)
        t = self._buf.get("t", on)
        run_peak = np.maximum.accumulate(theta)
        height = run_peak - level
        back = (theta < level + EXIT_FRACTION * height) & (height >= self.preset.min_rom_deg)
        fizzled = (theta < level + 0.25 * self.preset.min_rom_deg) & (height < self.preset.min_rom_deg)
        too_long = t - t[0] > self.preset.max_rep_s
        k0 = a - on
        i_back, i_fizz = first_true(back[k0:]), first_true(fizzled[k0:])
        i_long, i_bad = first_true(too_long[k0:]), self._abnormal(a, on)
        plateau, i_rehome = self._new_home_inside(on, theta, height, level, k0)
        first = min((i for i in (i_back, i_fizz, i_long, i_bad, i_rehome) if i is not None), default=None)
        if first is None:
            self._pos = self._buf.end
            return False, []
        self._pos = a + first
        if first == i_fizz and first != i_bad:
            self._state, self._home_since = HOME, self._pos
            return True, []
        if first == i_rehome and first not in (i_bad, i_back):
            self.rejected += 1
            events = self._abort()
            self._pos = on + plateau  # seek the new home from the plateau on
            return True, events
        if first == i_bad and first != i_long and self._set.number is None and self._may_start_afresh(on):
            # the leg turned in another plane than the tentative set's: measure this excursion afresh
            # from where it started
            self.rejected += len(self._set.pending)
            w0, home = self._direction_before(on)
            self._set = _SetState(home=home)
            self._level, self._state, self._pos, self._home_since = 0.0, HOME, w0, w0
            return True, []
        if first in (i_long, i_bad):
            self.rejected += 1
            events = self._abort()
            if first == i_long and first != i_bad:
                self._pos = on + 1  # a posture change: the new home may lie inside the excursion
            return True, events
        self._exc["back"] = a + first
        self._exc["height"] = float(height[first + k0])
        self._state = SETTLE
        return True, []

    def _direction_before(self, i: int) -> tuple[int, np.ndarray]:
        """(first index, mean gravity direction) of the ``STILL_S`` up to grid sample ``i`` (as kept)."""
        w0 = max(self._buf.start, i - int(STILL_S * GRID_HZ))
        return w0, unit(self._buf.get("g", w0, i + 1).mean(axis=0))

    def _left_briskly(self, since: int) -> bool:
        """Whether the leg turned faster than ``AFRESH_BRISK_DPS`` in the ``AFRESH_WINDOW_S`` before the
        current position (not before ``since``)."""
        recent = max(since, self._pos - int(AFRESH_WINDOW_S * GRID_HZ))
        return float(self._buf.get("speed_dps", recent, self._pos).max(initial=0.0)) > AFRESH_BRISK_DPS

    def _may_start_afresh(self, on: int) -> bool:
        """Whether an excursion starting at ``on`` may be measured afresh: each time starts the search
        a little earlier, so only ``AFRESH_RETRIES`` times in a row without getting past the latest one."""
        latest, tries = self._afresh
        self._afresh = (on, 0) if on > latest else (latest, tries + 1)
        return self._afresh[1] <= AFRESH_RETRIES

    def _new_home_inside(self, on: int, theta: np.ndarray, height: np.ndarray, level: float, k0: int):
        """A still plateau inside the excursion that the leg then leaves by moving further away from
        the resting level is a new resting position (a posture change), not the top of a rep. Still: for
        ``REHOME_STILL_S``, turning slower than ``STILL_DPS`` by the median over the preset's ``quiet_median_s``
        (noise spikes aside), and coming less far over it than ``QUIET_DRIFT_FRACTION`` of the plateau's height
        above the resting level (within ``QUIET_DRIFT_MIN_DEG``..``QUIET_DRIFT_DEG``): a slow rep turning just
        under ``STILL_DPS`` moves on, a plank's partial rep of 5-10 deg or a slow lowering, while a posture
        change's plateau tens of degrees up may still settle by a few. Flutter kicks (``quiet_median_s`` 0):
        every sample slower than ``STILL_DPS``, no drift limit (continuous kicking has no holds to find), and
        moving on by ``min_rom_deg`` leaves it (else by half its height too: a rep's hold near its top is none;
        the hover a set of kicks starts from, lifted into from lying 20-50 deg lower, ran to ``max_rep_s``); a
        plateau no rep could reach or rise on from is left sooner (:meth:`_leaves_plateau`).

        Returns (plateau start, index of the move away) relative to ``on``, or (None, None)."""
        n = int(REHOME_STILL_S * GRID_HZ)
        speed = self._buf.get("speed_dps", on)
        m = int(self.preset.quiet_median_s * GRID_HZ)
        quiet = median_below(speed, m, STILL_DPS) if m > 1 else speed < STILL_DPS
        still = quiet & (height >= self.preset.min_rom_deg)
        drift = (np.clip(QUIET_DRIFT_FRACTION * (theta - level), QUIET_DRIFT_MIN_DEG, QUIET_DRIFT_DEG) if m > 1
                 else None)
        seen = self._seen(on)
        end = first_run(_still_across_gaps(still, seen, theta), n, theta, drift)
        if end is None:
            return None, None
        plateau = lean_numpy.median(theta[end - n + 1 : end + 1])
        g_plateau = unit(self._buf.get("g", on + end - n + 1, on + end + 1).mean(axis=0))
        away = tilt_deg(self._buf.get("g", on + end + 1, on + len(theta)), g_plateau)  # deg
        i = first_true(self._leaves_plateau(theta[end + 1 :], away, plateau, plateau - level, m > 1))
        if i is None or end + 1 + i < k0:
            return None, None
        move = end + 1 + i
        if not seen[: move + 1].all() and first_run(
                _still_across_gaps(still[: move + 1], seen[: move + 1], theta[: move + 1]), n, theta, drift) != end:
            # a plateau joined across a gap by stillness seen only after the leg moved on: what was known
            # when it moved decides, as it would have live (fed as far as the move, it was no plateau)
            return None, None
        return end - n + 1, move - k0

    def _leaves_plateau(self, theta: np.ndarray, away_deg: np.ndarray, plateau_deg: float, height_deg: float,
                        holds: bool) -> np.ndarray:
        """Per sample after a still plateau ``height_deg`` above the resting level (its angle ``theta``, deg, and
        its turn ``away_deg`` from the plateau's direction): whether the leg has left the plateau as a new rest
        (see :meth:`_new_home_inside`). Rising on by ``min_rom_deg``, or where the preset's reps have holds
        (``holds``) by half the height too (a rep's hold near its top is none), but never by more than it takes
        to go beyond any plausible rep (``max_rom_factor`` times the target range: a side-lying posture change
        held 92 deg from the rest before it, whose reps then rose 33 deg from there, was taken for one 15 s
        excursion). Where reps have holds, from a plateau above the target range also turning that far away
        from it sideways, its angle from the resting level changing by less than half the turn (a rep's top is
        left towards the rest: a posture change held 95 deg up, whose reps turned 45 deg across, kept that
        angle; lower down, a fidget's plateau left sideways made the next move into position a rep). A plateau
        already beyond any plausible rep is no rep's top: turning ``min_rom_deg`` from it any way leaves it
        (getting into a prone plank turned the leg ~170 deg, where the unsigned tilt folds: the reps from there
        read as dips of ~15 deg towards home). Each of these used to run into a chain of ``max_rep_s`` restarts
        that counted the set's first reps 3-4.5 s late."""
        on_by = self.preset.min_rom_deg
        headroom_deg = self.preset.max_rom_factor * self.preset.target_rom_deg - height_deg
        if headroom_deg < 0:
            return away_deg > on_by
        if not holds:
            return theta > plateau_deg + on_by
        on_by = max(on_by, min(0.5 * height_deg, headroom_deg))
        rise = theta > plateau_deg + on_by
        if height_deg <= self.preset.target_rom_deg:  # (a plateau within a rep's range: fidgets turn across it)
            return rise
        return rise | ((away_deg > on_by) & (np.abs(theta - plateau_deg) < 0.5 * away_deg))

    def _settle(self):
        on, back = self._exc["on"], self._exc["back"]
        a = self._pos
        theta = self._theta(back)
        t = self._buf.get("t", back)
        n = int(SETTLE_S * GRID_HZ)
        speed = self._buf.get("speed_dps", back)
        # slow relative to how fast the leg came down: a slow eccentric's tail is slow but not over
        peak = float(self._buf.get("speed_dps", on, back + 1).max())
        slow = (speed < max(SETTLE_MIN_DPS, SETTLE_FRACTION * peak)) & self._seen(back)
        run_min = np.minimum.accumulate(theta)
        height = self._exc["height"]
        # the next rep starting (a bounce when the leg is caught at the bottom is not one, nor its way back up
        # to the resting level after swinging on past it: a swung hanging leg overshoots it by ~20 deg; from
        # BELOW_REST_DEG down the level says nothing, the leg rests elsewhere: rises count from the lowest point)
        level = self._exc["level"]
        floor = np.where(run_min > level - BELOW_REST_DEG, np.maximum(run_min, level), run_min)  # deg
        rising = theta > floor + max(0.5 * self.preset.min_rom_deg, 0.25 * height)
        late = t - t[0] > 2.0
        k0 = a - back
        i_slow = first_run(slow[max(k0 - n + 1, 0):], n)
        i_slow = None if i_slow is None else i_slow + max(k0 - n + 1, 0) - k0
        i_rise, i_late = first_true(rising[k0:]), first_true(late[k0:])
        i_bad = self._abnormal(a, back)
        first = min((i for i in (i_slow, i_rise, i_late, i_bad) if i is not None), default=None)
        if first is None:
            self._exc["landed"] = bool((theta < self._exc["level"] + LANDED_FRACTION * height).any())
            self._pos = self._buf.end
            return False, []
        if first == i_bad:
            self._pos = a + first
            self.rejected += 1
            return True, self._abort()
        stop = a + first  # inclusive index where the settle was decided
        rest = self._rest_passed(on, stop) if first == i_rise else False
        if rest is True:  # (whether the leg went on past the rest is yet to be seen)
            return False, []
        if rest is not False:  # not a rep: a new resting position, which the reps start from
            self.rejected += 1
            t = self._buf.get("t", on)
            return True, self._abort() + self._restart_from_plateau(float(t[rest[0] - on]), float(t[rest[1] - on]))
        trough = back + int(np.argmin(theta[: stop - back + 1]))
        if first == i_slow:  # settled: the resting level is where the leg stays
            end_level = float(np.mean(theta[stop - back - 2 : stop - back + 1]))
        else:
            end_level = float(theta[trough - back])
        if self._set.bottoms and not self._seen(back)[: stop - back + 1].all():
            # the leg came down (or settled) inside a gap, its lowest point unseen: where the set rests
            end_level = float(median(self._set.bottoms))
        events = self._complete(on, trough, stop, end_level, settled=first != i_rise)
        if self._foreign_from is not None:  # measure it afresh, in a frame of its own resting position
            w0, home = self._direction_before(self._foreign_from)
            self._foreign_from = None
            self._set = _SetState(home=home)
            self._level, self._state, self._pos, self._home_since = 0.0, HOME, w0, w0
            return True, events
        if self._implausible is not None or self._gait:  # not a rep: start afresh from where the leg now is
            bad, self._implausible, self._gait = self._implausible, None, False
            self.rejected += 1
            events += self._abort()
            self._pos = trough if first == i_rise else stop + 1
            if bad is not None and bad.lower_s - bad.top_s >= REHOME_STILL_S:
                # it stayed away long (a posture change, held): a set may start from there
                self._pos = max(on, self._buf.index_at(bad.top_s))
            elif bad is not None:
                # it came to rest after its top, away from home (a posture change that settled slowly, then
                # a rep's way up read as its way back): a set may start from where it rested last
                rest = self._last_still(self._buf.index_at(bad.top_s), back)
                self._pos = self._pos if rest is None else rest
            return True, events
        if first == i_slow:  # the next rep is measured from where the leg rests (robust to noise)
            self._level = min(self._level, lean_numpy.median(theta[stop - back - n + 1 : stop - back + 1]))
        self._state = HOME
        self._pos = trough if first == i_rise else stop + 1
        self._home_since = self._pos
        if self._backtrack is not None:
            events += self._restart_from_plateau(*self._backtrack)
            self._backtrack = None
        return True, events

    def _last_still(self, a: int, b: int) -> int | None:
        """First index of the last ``STILL_S`` between grid samples ``a`` and ``b`` (exclusive) in which the
        leg turned slower than ``STILL_DPS`` (seen, no jolt), or None."""
        a, n = max(a, self._buf.start), int(STILL_S * GRID_HZ)
        if b - a < n:
            return None
        still = ((self._buf.get("speed_dps", a, b) < STILL_DPS) & (self._buf.get("jolt_g", a, b) < JOLT_G)
                 & self._seen(a)[: b - a])
        ends = np.flatnonzero(np.convolve(still, np.ones(n), "valid") >= n)
        return None if not len(ends) else a + int(ends[-1])

    def _rest_passed(self, on: int, stop: int) -> tuple[int, int] | bool:
        """With a gyroscope, whether the excursion from ``on``, which the next rep seems to follow at ``stop``,
        held still at a plateau (``PASSED_STILL_S``, in the upper half of its height) and then went on past
        the resting level to its far side (by ``PASSED_FRACTION`` of the plateau's height, and at least
        ``min_rom_deg``) without turning back or stopping first: the plateau was a new resting position, not
        a rep's top (getting into a plank tilts the shin ~10 deg below the prone rest; the reps then rise
        through that). Only while the set's plane is not fixed: the tilt from home is unsigned there, so
        going on past home reads as the next rep rising. Without a gyroscope a brisk start tilts the
        accelerometer the other way, which reads the same. Returns the plateau's grid indices (first, after
        its last), False if there is none, True while the samples so far cannot tell."""
        s = self._set
        if not self.has_gyro or (s.axis is not None and not s.provisional):
            return False
        n = int(PASSED_STILL_S * GRID_HZ)
        up = self._theta(on, stop + 1) - self._exc["level"]  # deg
        high = up >= np.maximum(self.preset.min_rom_deg, 0.5 * np.maximum.accumulate(up))
        still = (self._buf.get("speed_dps", on, stop + 1) < STILL_DPS) & high & self._seen(on)[: stop + 1 - on]
        end = first_run(still, n)
        if end is None or end >= stop - on:
            return False
        plateau = unit(self._buf.get("g", on + end - n + 1, on + end + 1).mean(axis=0))
        axis = plane_axis(s.home, plateau)
        top = 0.0 if axis is None else float(leg_angle_deg(plateau[None, :], s.home, axis)[0])  # deg
        if top < self.preset.min_rom_deg:
            return False
        way = leg_angle_deg(self._buf.get("g", on + end + 1), s.home, axis)  # deg, the plateau's side positive
        k = stop - (on + end + 1)  # where the next rep seemed to rise
        if way[k] > 0.0 or way[k] > float(way[: k + 1].min()) + 0.5:  # it turned back, not on past home
            return False
        after = way[k:]
        turned = first_true(after > np.minimum.accumulate(after) + max(0.5 * self.preset.min_rom_deg, 0.1 * top))
        stopped = first_run(self._buf.get("speed_dps", stop) < STILL_DPS, int(SETTLE_S * GRID_HZ))
        far = first_true(after < -max(self.preset.min_rom_deg, PASSED_FRACTION * top))
        no = min((i for i in (turned, stopped) if i is not None), default=None)
        if far is not None and (no is None or far < no):
            moved = first_true(~still[end:])  # (the plateau's end)
            return on + end - n + 1, on + (len(still) if moved is None else end + moved)
        return no is None and len(after) < 2.0 * GRID_HZ  # (waits at most 2 s)

    # ------------------------------------------------------------------ reps and sets
    def _complete(self, on: int, trough: int, stop: int, end_level: float, settled: bool) -> list[Event]:
        """Measures the excursion that left home at ``on`` and came back to its lowest point at ``trough``
        and adds it as a rep candidate. ``stop``: where that was decided; ``settled``: the next rep did not
        rise straight away (the leg slowed down there, or took over 2 s to). A movement too small for a rep
        while a set is still tentative ends that set (a still leg's drift made "reps" of 3 deg among smaller
        ones)."""
        s = self._set
        pre = self._rep_pre(on, s)
        fixing = s.axis is None or s.provisional
        low = None
        if fixing:  # first rep of a tentative set fixes the frame
            frame = self._first_frame(on, pre, trough, stop, settled)
            axis = plane_axis(frame[0], self._buf.get("g", frame[1], frame[1] + 1)[0])
            if axis is None:
                self.rejected += 1
                return []
            s.home, s.axis, s.provisional = frame[0], axis, False
            end_level = float(self._theta(trough, trough + 1)[0])
            low = None if frame[2] else 0.0  # (rested after it: where the frame's home is)
        n_bottom = int(REST_WINDOW_S * GRID_HZ)
        pre, low = (pre, low) if fixing else self._pause_low(on, pre, n_bottom, s)
        theta = self._theta(pre, stop + 1)
        t = self._buf.get("t", pre, stop + 1)
        i_peak = int(np.argmax(theta))
        speed = lean_numpy.gradient(theta, t) if len(t) > 1 else np.zeros(1)
        bottom = lean_numpy.median(theta[: max(1, on - pre + 1)][-n_bottom:]) if low is None else low
        last = s.pending[-1] if s.pending else (s.reps[-1] if s.reps else None)
        if s.bottoms and (not self._seen(pre)[: max(1, on - pre + 1)].all() or (last is not None and not last.measured)):
            bottom = float(median(s.bottoms))  # the leg's rest was lost in a gap: where the set rests
        # the down ramp ends by the lowest point, or, when the leg settled there, a little after it (the fit
        # extrapolates the last, slowest degrees)
        end_at = trough - pre + 1
        end_by_s = float(t[end_at - 1])
        if settled:
            end_by_s += END_EXTRAPOLATION * (end_by_s - float(t[i_peak]))
        timing = rep_phases(t[: max(end_at, i_peak + 2)], theta[: max(end_at, i_peak + 2)],
                            speed[: max(end_at, i_peak + 2)], i_peak, bottom, end_level, end_by_s)
        if timing.rom_deg < self.preset.min_rom_deg:
            s.provisional = fixing  # too small to set the plane of motion: the set's reps may turn the other way
            if s.number is None and s.pending:  # in a set every movement is a rep: these were not a set
                self.rejected += len(s.pending)
                s.pending = []
            return []
        gaps = self._buf.get("gap_s", pre, stop + 1)
        inside = (t >= timing.start_s) & (t <= timing.end_s)
        gap_s = float(gaps[inside].max(initial=0.0))
        if not self._plausible(timing, float(gaps.max())):
            if gap_s > 0.0 and self._ramps_plausible(timing):
                # only too big, with data lost inside it: misread across the hole (the angle bridged there
                # went astray: without a gyroscope a kick's fit has nothing to hold it), not a posture
                # change. Counted as inferred (where it was, no range or speeds); the set goes on
                nan = float("nan")
                placed = replace(timing, rom_deg=nan, top_deg=nan, end_deg=nan, peak_up_dps=nan, peak_down_dps=nan)
                return self._add_candidate(_Candidate(placed, gap_s, inferred=True), s.home, on)
            if s.number is not None and float(gaps.max()) > LONG_GAP_S:
                # beside a long gap in a set: misread where the bridged tilt had nothing to hold it (a kick the
                # gap cut read 150 deg), not a posture change; dropped, the set goes on (suite #13 set 1)
                self.rejected += 1
                return []
            self._implausible = timing
            return []
        timing = replace(timing, peak_accel_g=peak_accel_g(self._buf.get("acc_g", pre, stop + 1)[inside]))
        peak_g = self._buf.get("g", pre + i_peak, pre + i_peak + 1)[0]
        self._level = end_level
        refined = self._refined(timing, pre, end_at, end_by_s) if self._refinable(timing) else None
        if refined is not None and refined.rom_deg < self.preset.min_rom_deg:
            return []  # fitted to the readings, the leg did not rise: the tilt's excursion was its own acceleration
        if refined is not None and refined.lever_m is not None and not settled:
            # the next rep rose straight away: the tilt's lowest point was the leg's own acceleration as it landed
            # (a brisk heel tap's read 15-19 deg below the floor, so a "rep" rose from there to the floor and the
            # set broke up, suite #77: 5 of 11); the next rep is measured from where the fit has it land
            self._level = max(end_level, refined.end_deg)
        if refined is None:  # the range it reports: up to the angle it held at the top
            top = held_top_deg(t, theta, timing.top_s, timing.lower_s)
            refined = None if top is None else replace(timing, top_deg=top, rom_deg=top - timing.bottom_deg)
        return self._add_candidate(_Candidate(timing, gap_s, refined=refined), peak_g, on)

    def _first_frame(self, on: int, pre: int, trough: int, stop: int, settled: bool) -> tuple[np.ndarray, int, bool]:
        """(resting direction, grid index of the top, whether the rest was before it) that a tentative set's
        first rep, leaving home at ``on``, fixes the set's frame with: the rest before it (``pre..on``) and its
        highest point. Without a gyroscope, where a long gap hid nearly all of that rest (less than 0.3 s of it
        seen: the data came back as the leg rose, and what is bridged across a gap is a straight line from the
        leg's direction before it to the one after it), the rest the leg ``settled`` in after it (the
        ``SETTLE_S`` up to ``stop``, from its lowest point ``trough``) and its top where it was seen: from the
        bridge, a set that began in the gap rested 18 deg off its home and broke up at its second rep measured
        (suite #71 set 3, Polar: 11 of 13)."""
        g = self._buf.get("g", pre, stop + 1)
        seen = self._seen(pre)[: stop + 1 - pre] | self.has_gyro  # (with one: the direction held, then re-acquired)
        before = seen[: on + 1 - pre]
        a = max(trough, stop - int(SETTLE_S * GRID_HZ) + 1) - pre
        if before.sum() < int(0.3 * GRID_HZ) and settled and seen[a:].all():
            g_rest = unit(g[a:].mean(axis=0))
            tilt = np.where(seen[on - pre :], tilt_deg(g[on - pre :], g_rest), -1.0)
            return g_rest, on + int(np.argmax(tilt)), False
        return unit(g[: on + 1 - pre].mean(axis=0)), on + int(np.argmax(self._theta(on, stop + 1))), True

    def _rep_pre(self, on: int, s: _SetState) -> int:
        """First grid sample of the rest before a rep of the set ``s`` that left home at ``on``: up to 1 s
        before, not before the set's last rep ended."""
        pre = max(self._buf.start, on - int(1.0 * GRID_HZ))
        if s.last_end_s is not None:
            t_all = self._buf.get("t", pre, on)
            pre = max(pre, pre + int(np.searchsorted(t_all, s.last_end_s)))
        return pre

    def _pause_low(self, on: int, pre: int, n: int, s: _SetState) -> tuple[int, float | None]:
        """Where the rep of the set ``s`` leaving home at ``on`` starts from: (``pre``, None: the ``n`` samples
        before ``on`` say where it rested), or (the start of ``n`` samples, their median angle) where the leg
        rested lower in the pause since the set's last rep (up to ``PAUSE_LOOK_S`` back), by half the preset's
        smallest range, and nearer the set's resting level than just before ``on``. The last rep settled on
        the way down (a slow lowering's pause), so the resting level stayed high: the leg only counted as
        leaving it well up its next rise, which measured that rep from there (too small, resting too high)."""
        if s.last_end_s is None or len(s.bottoms) < 2:  # (one rep's rest may be a swing's dip)
            return pre, None
        lo = max(self._buf.start, on - int(PAUSE_LOOK_S * GRID_HZ), self._buf.index_at(s.last_end_s))
        if on - lo < 2 * n:
            return pre, None
        med = lean_numpy.window_medians(self._theta(lo, on + 1), n)
        k = int(np.argmin(med))
        ref, margin = float(median(s.bottoms)), 0.5 * self.preset.min_rom_deg
        if (lo + k < pre and med[k] < med[-1] - margin and abs(med[k] - ref) + margin < abs(med[-1] - ref)
                and lean_numpy.median(self._buf.get("speed_dps", lo + k, lo + k + n)) < STILL_DPS):  # (resting)
            return lo + k, float(med[k])
        return pre, None

    def _refinable(self, timing: RepTiming) -> bool:
        """Whether the rep's phase times are refined from the readings (:mod:`imu.ramp_fit`): without a
        gyroscope, for controlled reps (a swung one follows no minimum-jerk ramp: its tilt is the swing
        fit's already)."""
        return not self.has_gyro and not self.preset.thrown(timing.peak_accel_g)

    def _refined(self, timing: RepTiming, pre: int, end_at: int, end_by_s: float) -> RepTiming | None:
        """Without a gyroscope: the boundaries, top and range fitted to the readings, the leg's own
        acceleration included (:mod:`imu.ramp_fit`), where that model fits (None otherwise). The resting
        level (``bottom_deg``) stays the tilt's, which the set's other reps are compared with."""
        s = self._set
        b = pre + max(end_at, 1)
        acc = self._buf.get("acc_g", pre, b)
        t = self._buf.get("t", pre, b)
        e2 = cross(s.axis, s.home)
        acc_2d = np.stack([acc @ s.home, acc @ e2], axis=1)
        levels = tuple(np.radians([timing.bottom_deg, timing.top_deg, timing.end_deg]))
        guess = (timing.start_s, timing.top_s, timing.lower_s, timing.end_s)
        fit = rep_ramps_fit(t, acc_2d, levels, guess, self._front.lowpass.sos, self._seen(pre)[: b - pre])
        if fit is None:
            return None
        top_s, lower_s = fit.top_s, fit.lower_s
        if top_s > lower_s:  # no hold: both at the turning point
            top_s = lower_s = 0.5 * (top_s + lower_s)
        start_s = max(fit.start_s, float(t[0]))
        end_s = min(fit.end_s, max(end_by_s, float(t[-1])))
        top_deg = float(np.degrees(fit.top_rad))
        return replace(timing, start_s=min(start_s, top_s), top_s=top_s, lower_s=lower_s, end_s=max(end_s, lower_s),
                       top_deg=top_deg, rom_deg=top_deg - float(np.degrees(fit.bottom_rad)),
                       end_deg=float(np.degrees(fit.end_rad)), lever_m=fit.lever_m)

    def _plausible(self, timing: RepTiming, gap_s: float = 0.0) -> bool:
        """Ramps no longer than ``max_ramp_s`` (plus the length of a gap in the data, which the front
        end bridges slowly) and a range within ``max_rom_factor`` times the preset's target: anything
        else (getting into a plank, lying down) is a posture change."""
        p = self.preset
        slack = gap_s if gap_s > LONG_GAP_S else 0.0
        return self._ramps_plausible(timing, slack) and timing.rom_deg <= p.max_rom_factor * p.target_rom_deg

    def _ramps_plausible(self, timing: RepTiming, slack_s: float = 0.0) -> bool:
        """Whether the rep's up and down ramps each take at most ``max_ramp_s`` (plus ``slack_s``)."""
        p = self.preset
        return (timing.top_s - timing.start_s <= p.max_ramp_s + slack_s
                and timing.end_s - timing.lower_s <= p.max_ramp_s + slack_s)

    def _add_candidate(self, cand: _Candidate, peak_g: np.ndarray, on: int) -> list[Event]:
        s = self._set
        timing = cand.timing
        events: list[Event] = []
        if not self._consistent(s, cand, peak_g):
            events += self._close_set(keep_frame=False)
            if self._lowered_slower(s, timing.peak_down_dps):  # the leg let down into another posture after the
                self._implausible = timing  # set: no rep, nor the first of a set (the search starts afresh after it)
                return events
            # (with a gyroscope also one turning about another axis than a lone tentative rep, a rest movement
            # that fixed the frame: measured in that plane a swung set's reps were each unlike the one before)
            lone = self.has_gyro and s.number is None and len(s.pending) == 1 and self._off_axis(s, peak_g)
            if (abs(timing.bottom_deg) > FOREIGN_REST_DEG or lone) and self._may_start_afresh(on):
                # it rested far from where the frame was set up (by a fidget, say): in that frame it
                # and every rep after it would look alike and unlike a set's reps
                self.rejected += 1
                self._foreign_from = on  # (the set is closed: _settle starts the new frame)
                return events
            # this rep starts a new tentative set (in the same frame: it rested where the last one did)
            self._set = s = self._set_again(s, cand, peak_g)
        if not s.bottoms:
            s.ready_deg = self._ready_level_deg(on)
        s.bottoms.append(timing.bottom_deg)
        if s.number is None:
            s.pending.append(cand)
            s.last_end_s = timing.end_s
            if self._ready(s):
                verdict = self._judge_tentative(s)
                if verdict == "gait":  # walking: forget this frame, look for a still home again
                    self.rejected += len(s.pending)
                    self._gait = True
                    return events
                first = s.pending[0].timing
                buffered_from_s = self._buf.get("t", self._buf.start, self._buf.start + 1)[0]
                # a set can only start again from a plateau long enough for a home and still buffered;
                # otherwise these reps are a set
                if (verdict == "backtrack" and first.lower_s - first.top_s >= STILL_S
                        and first.top_s >= buffered_from_s):
                    self.rejected += len(s.pending)
                    self._backtrack = (first.top_s, first.lower_s)
                    return events
                bottom = self._bottom_before(s) if verdict == "set" else None
                if bottom is not None:
                    self._restart_inside_out(s, bottom)
                    return events
                events += self._confirm(s)
            elif (bottom := self._inside_out_before_ready(s)) is not None:
                self._restart_inside_out(s, bottom)
            return events
        for c in self._with_lost(s.emitted[-1:] + [cand], s.emitted)[1:]:
            events += self._emit(s, c)
        return events

    def _set_again(self, old: _SetState, cand: _Candidate, peak_g: np.ndarray) -> _SetState:
        """The tentative set, in the closed set ``old``'s frame, that ``cand`` (a rep unlike ``old``'s) starts: from
        ``old``'s last rep too if ``old`` stayed tentative with two or more and ``cand`` is like that one. Moving into
        position may make a "rep" before a set's first (suite #126: the second rep, its feet let down 8 deg below
        the first's hover, was like the first but not like the pair, and the first went with the posture change)."""
        if old.number is None and len(old.pending) >= 2:
            last = old.pending[-1]
            again = _SetState(home=old.home, axis=old.axis, pending=[last], bottoms=[last.timing.bottom_deg],
                              last_end_s=last.timing.end_s)
            again.ready_deg = self._ready_level_deg(self._buf.index_at(last.timing.start_s), again)
            if self._consistent(again, cand, peak_g):
                self.rejected -= 1  # (counted as rejected when ``old`` closed)
                return again
        return _SetState(home=old.home, axis=old.axis)

    def _inside_out_before_ready(self, s: _SetState) -> tuple[float, float] | None:
        """The real bottom (see :meth:`_bottom_before`) of a tentative set ``s`` one rep short of ready whose
        ``min_set_reps - 1`` (at least two) measured reps are alike (ranges and durations within
        ``LIKE_SET_FACTOR`` of each other) and judged a set as they are, or None. Started again from there
        at once, its reps are found again up to the one now under way, which makes it a set as it lands
        (judged only once its next top-to-top "rep" settled, such a set was counted 1.5-12 s after the rep
        that made it; rest movements unlike each other wait for that rep: a pair of fidgets started again
        from made a set of them)."""
        n = len(s.pending)
        if n != self.preset.min_set_reps - 1 or n < 2 or not all(c.measured for c in s.pending):
            return None
        durations = [c.timing.end_s - c.timing.start_s for c in s.pending]
        roms = [c.timing.rom_deg for c in s.pending]
        if max(durations) > LIKE_SET_FACTOR * min(durations) or max(roms) > LIKE_SET_FACTOR * min(roms):
            return None
        return self._bottom_before(s) if self._judge_tentative(s) == "set" else None

    def _restart_inside_out(self, s: _SetState, bottom: tuple[float, float]) -> None:
        """Drops the inside-out tentative set ``s``: the search starts again from its real ``bottom`` (s, s)
        once the current excursion is settled, and no set starts inside out before that bottom again."""
        self.rejected += len(s.pending)
        self._backtrack, self._inverted_after_s = bottom, bottom[1]

    def _ready(self, s: _SetState, closing: bool = False) -> bool:
        """Whether the tentative set ``s`` has enough reps to be judged: ``min_set_reps``, two of them
        measured (reps cut by a long gap count, but the set's pattern must be seen on two), and, with a
        gap among them, the set's rhythm known (the reps lost in the gap are counted at confirmation),
        or two reps more, or the set ``closing``."""
        n = len(s.pending)
        if n < self.preset.min_set_reps or sum(c.measured for c in s.pending) < 2:
            return False
        return (closing or n >= self.preset.min_set_reps + 2 or all(c.measured for c in s.pending)
                or self._rhythm(s.pending) is not None)

    def _confirm(self, s: _SetState) -> list[Event]:
        """Makes the tentative set ``s`` a set and emits its reps (with those lost in gaps)."""
        self._sets_done += 1
        s.number = self._sets_done
        if self.preset.slug == "auto":
            tms = [c.timing for c in s.pending if c.measured]
            self.preset = auto_preset([tm.rom_deg for tm in tms], [tm.end_s - tm.start_s for tm in tms],
                                      [tm.lower_s - tm.top_s for tm in tms])
            self._roms.usual_full_deg = self._usual_full_rom_deg.get(self.preset.slug)
            self._roms.pivot_lever_m = self.preset.pivot_lever_m
        events = []
        for c in self._with_lost(s.pending, opening=True):
            events += self._emit(s, c)
        s.pending = []
        return events

    def _rhythm(self, ref: list):
        """The rhythm (:class:`imu.gaps.Rhythm`) of a set's candidates ``ref`` (pending or emitted), or None."""
        if len(ref) < 2 or self._front is None:
            return None
        timings = [c.timing for c in ref]
        return set_rhythm(timings, [r.measured for r in ref],
                          long_gaps_since(self._front.resampler.gaps, timings[0].start_s))

    def _with_lost(self, reps: list, rhythm_of: list | None = None, closing: bool = False,
                   opening: bool = False) -> list:
        """``reps`` (candidates of one set, pending or emitted, in order) with the reps lost in long gaps of the
        stream among them inserted as inferred candidates (see :mod:`imu.gaps`); the rhythm is
        that of ``rhythm_of`` (default: ``reps``); ``closing``: the set ends with the last of ``reps`` (and
        those lost in a gap after it are added); ``opening``: the set starts with the first (those lost in a
        gap before it are put first)."""
        rhythm = self._rhythm(reps if rhythm_of is None else rhythm_of)
        if rhythm is None or not reps:
            return reps
        out = [reps[0]]
        for a, b in zip(reps, reps[1:] + [None] if closing else reps[1:]):
            ta, tb = a.timing, None if b is None else b.timing
            gaps = long_gaps_since(self._front.resampler.gaps, ta.start_s)
            out += [_Candidate(tm, inferred=True) for tm in lost_reps(ta, tb, rhythm, gaps)] if gaps else []
            out += [] if b is None else [b]
        if closing:
            out += self._edge_lost(out[-1].timing, rhythm, after=True)
        return self._edge_lost(reps[0].timing, rhythm, after=False) + out if opening else out

    def _edge_lost(self, timing: RepTiming, rhythm, after: bool) -> list[_Candidate]:
        """The reps lost in a long gap before a set's first rep ``timing`` or, ``after``, its last
        (:func:`imu.gaps.edge_lost_reps`), as inferred candidates; none before the previous set's end."""
        since = self.reps[-1].end_s if self.reps else -np.inf
        gaps = long_gaps_since(self._front.resampler.gaps, timing.start_s if after else since)
        return [_Candidate(tm, inferred=True) for tm in edge_lost_reps(timing, rhythm, gaps, after, since, self._moved)]

    def _moved(self, a_s: float, b_s: float) -> bool:
        """Whether the leg was seen turning faster than ``STILL_DPS`` between ``a_s`` and ``b_s`` (s), over the
        ``KEPT_S`` before the current position at most (what the buffer holds whatever the chunking)."""
        t = self._buf.get("t", self._buf.start)
        since_s = float(self._buf.get("t", min(self._pos, self._buf.end - 1))[0]) - KEPT_S
        m = (t >= max(a_s, since_s)) & (t <= b_s)
        return bool(m.any() and (self._buf.get("speed_dps", self._buf.start)[m] >= STILL_DPS).any())

    def _judge_tentative(self, s: _SetState) -> str:
        """Whether ``min_set_reps`` consistent candidates really are a set: ``set``; ``gait`` (continuous
        swinging without pauses, as in walking, unless the shin lies as in flutter kicks with the
        ``flutter-kick`` or ``auto`` preset; or a twitch among them, a rep quicker than ``MIN_REP_S``, or,
        without a gyroscope, reps turning about the ankle: fidgeting); ``backtrack`` (the first candidate
        was a posture change merged with the first rep: it rests elsewhere and pauses longer than the
        rest, so the set really starts from its plateau)."""
        tms = [c.timing for c in s.pending if c.measured]
        holds = [tm.lower_s - tm.top_s for tm in tms]
        pauses = [b.start_s - a.end_s for a, b in zip(tms, tms[1:])]
        durations = [tm.end_s - tm.start_s for tm in tms]
        continuous = (median(holds) < GAIT_PAUSE_S and median(pauses) < GAIT_PAUSE_S
                      and median(durations) < GAIT_CYCLE_S)
        # continuous kicks with the shin lying are flutter kicks (also for ``auto``, which has yet to say so)
        kicks = continuous and self.preset.slug in ("flutter-kick", "auto") and not self._shin_upright(
            tms[0].start_s, tms[-1].end_s)
        if continuous and not kicks:
            return "gait"
        if self.preset.slug != "flutter-kick" and not kicks and min(durations) < MIN_REP_S:
            return "gait"  # a twitch among them: fidgeting, not a set
        if self._near_axis(s):
            return "gait"  # knees bent and straightened, heels on the floor: fidgeting
        if (self.preset.slug != "flutter-kick" and median(holds) < GAIT_PAUSE_S
                and max(tm.rom_deg for tm in tms) < SHIFT_ROM_FRACTION * self.preset.target_rom_deg):
            return "gait"  # small shifts of the leg, not held anywhere: fidgeting
        rest = tms[1:]
        rom = float(median([tm.rom_deg for tm in rest]))
        # the transition ends where the reps turn (same top), but starts where they never return to
        same_top = abs(tms[0].top_deg - float(median([tm.top_deg for tm in rest]))) < 0.1 * rom
        # from further away (rested reps start lower), by more than the reps differ among themselves
        spread = max(tm.rom_deg for tm in rest) - min(tm.rom_deg for tm in rest)
        excess = tms[0].rom_deg - rom
        # ... and the reps rest that much higher up (a first rep merely bigger than the rest starts where they do)
        raised = float(median([tm.bottom_deg for tm in rest])) - tms[0].bottom_deg
        other_start = excess > max(3.0, 0.12 * rom, spread) and raised > BACKTRACK_RAISED * excess
        longest = max(holds[1:])
        long_hold = holds[0] > max(REHOME_STILL_S, BACKTRACK_HOLD_RATIO * longest, longest + BACKTRACK_HOLD_S)
        if same_top and (other_start or long_hold) and s.pending[0].measured:  # (cut by a gap: not comparable)
            return "backtrack"
        return "set"

    def _near_axis(self, s: _SetState) -> bool:
        """Whether the tentative set's reps turned about an axis nearer the sensor than the preset's
        ``min_lever_m`` (with a gyroscope ``GYRO_LEVER_FACTOR`` times it; their fitted levers, :mod:`imu.ramp_fit`):
        bending the knees with the heels on the floor turns the shin about the ankle, a straight-leg raise
        about the hip. With a gyroscope only for a preset the user chose: ``auto`` picks one by ranges and tempo,
        which say nothing of the pivot (real seated knee extensions, picked as lying leg raises, read 0.25-0.28 m)."""
        if not self.preset.min_lever_m or (self.has_gyro and self.auto_detected):
            return False
        levers = [self._fitted_lever_m(s, c) for c in s.pending if c.measured and c.reported.rom_deg >= LEVER_ROM_DEG]
        levers = [lv for lv in levers if lv is not None]
        least_m = self.preset.min_lever_m * (GYRO_LEVER_FACTOR if self.has_gyro else 1.0)
        return len(levers) >= 2 and median(levers) < least_m

    def _fitted_lever_m(self, s: _SetState, c: _Candidate) -> float | None:
        """The lever (m) the rep ``c`` of the tentative set ``s`` turned about: without a gyroscope its ramps'
        fit to the readings' (:mod:`imu.ramp_fit`, None if none), with one the fit of the readings to its leg
        angle over the rep (:func:`imu.ramp_fit.lever_fit_m`). A fit over the whole rep, for reps of
        ``LEVER_ROM_DEG`` and more; the range flags' :func:`imu.flags.lever_m` is a rougher reading from the
        rep's peaks that works on small ranges too (on the real prone lifts of 11 deg this fit reads 0.06-0.12 m,
        the ankle's acceleration there barely above the noise)."""
        if not self.has_gyro:
            return None if c.refined is None else c.refined.lever_m
        tm = c.timing
        a = max(self._buf.start, self._buf.index_at(tm.start_s) - int(LEVER_LEAD_S * GRID_HZ))
        b = self._buf.index_at(tm.end_s) + 1
        if b - a < 10:
            return None
        e2 = cross(s.axis, s.home)
        acc = self._buf.get("acc_g", a, b)
        phi = np.radians(leg_angle_deg(self._buf.get("g", a, b), s.home, s.axis))
        return lever_fit_m(self._buf.get("t", a, b), np.stack([acc @ s.home, acc @ e2], axis=1), phi,
                           self._front.lowpass.sos, self._seen(a)[: b - a])

    def _bottom_before(self, s: _SetState) -> tuple[float, float] | None:
        """Whether the tentative set ``s`` is inside out: its home was found in its first rep's top
        hold (after a posture change ran into that rep, or a dropout hid its way up), so it counts from top
        to top. Then, shortly before the home, the leg rested still where the reps turn, in their plane,
        and moved from there only within the set's range: the end of that rest (s, s) is the set's real
        bottom (None if there is none)."""
        tms = [c.timing for c in s.pending if c.measured]
        if not s.pending[0].measured or len(tms) < 2:  # (the first rep cut by a gap: its start is a guess)
            return None
        rom = float(median([tm.rom_deg for tm in tms]))
        # (not before what a long stay at home may have dropped whatever the chunking, see _trim)
        lo_s = max(tms[0].start_s - INVERTED_LOOKBACK_S, self._inverted_after_s,
                   s.pending[-1].timing.start_s - (HOME_KEEP_S - 2.0))
        lo, hi = self._buf.index_at(lo_s), self._buf.index_at(tms[0].start_s)
        n = int(STILL_S * GRID_HZ)
        if hi - lo < n:
            return None
        theta = self._theta(lo, hi) - float(median(s.bottoms))
        near_top = (theta > 0.6 * rom) & (theta < 1.5 * rom)
        in_plane = np.abs(out_of_plane_deg(self._buf.get("g", lo, hi), s.axis)) < 10.0
        seen = self._seen(lo)[: hi - lo]  # (the rest must be seen, not guessed)
        still = (self._buf.get("speed_dps", lo, hi) < STILL_DPS) & near_top & in_plane & seen
        # rests from which the leg moved only within the set's range (a long gap does not say otherwise: the
        # rest itself must be seen, the way from it need not); from the latest one back across reps as long
        # as a rest is no longer than the set's pauses there (a longer one began the set)
        in_range = ((theta > -0.3 * rom) & (theta < 1.5 * rom)) | ~seen
        stays = np.flip(np.logical_and.accumulate(np.flip(in_range)))
        runs = [(a, b) for a, b in zip(*true_runs(still & stays)) if b - a >= n]
        if not runs:
            return None
        pause_s = 2.0 * float(median([tm.lower_s - tm.top_s for tm in tms])) + 0.5
        k = len(runs) - 1
        while k > 0 and (runs[k][1] - runs[k][0]) / GRID_HZ <= pause_s and (
                theta[runs[k - 1][1] : runs[k][0]] < 0.3 * rom).any():
            k -= 1
        end = lo + runs[k][1] - 1  # last sample of that rest
        return float(self._buf.get("t", end - n + 1, end)[0]), float(self._buf.get("t", end + 1, end + 2)[0])

    def _shin_upright(self, a_s: float, b_s: float) -> bool:
        """Whether the shin hangs roughly vertical below its pivot (walking) rather than lying
        (flutter kicks), from the direction of the centripetal acceleration: it points from the
        ankle to the pivot, so it lines up with "up" when the pivot (knee, hip) is above the ankle."""
        a, b = self._buf.index_at(a_s), self._buf.index_at(b_s)
        g = self._buf.get("g", a, b)
        dyn = self._buf.get("acc_g", a, b) - g  # the leg's own acceleration, g
        w2 = np.radians(self._buf.get("speed_dps", a, b)) ** 2
        if len(w2) < 10 or w2.sum() == 0:
            return False
        to_pivot = unit((dyn * w2[:, None]).sum(axis=0))
        up = unit(g.mean(axis=0))
        return float(to_pivot @ up) > UPRIGHT_COS

    def _consistent(self, s: _SetState, cand: _Candidate, peak_g: np.ndarray) -> bool:
        """Whether ``cand`` belongs to the set ``s``: the same axis, resting level and about the same
        range, and not lowered far slower (:meth:`_lowered_slower`). A rep cut by a long gap is only held to the axis
        (the gap hid part of its range); one whose tilt the leg's own acceleration distorted
        (:attr:`_Candidate.tilt_distorted`), to the axis, its fitted range and its pace."""
        if (not s.pending and not s.reps) or cand.inferred:  # (inferred: misread, see _complete)
            return True
        timing = cand.timing
        if self._off_axis(s, peak_g):
            return False
        if not cand.measured:
            return True
        roms = [c.timing.rom_deg for c in s.pending + s.emitted if c.measured]
        if not roms:
            return True
        med = float(median(roms))
        if cand.tilt_distorted:  # (its resting level is the distorted tilt's too: held to its fitted range alone)
            rom = cand.reported.rom_deg
        elif self._rests_apart(s, timing.bottom_deg, min(timing.rom_deg, med)):
            return False
        else:
            rom = timing.rom_deg
        return 0.25 * med <= rom <= 4.0 * med and not self._lowered_slower(s, cand.timing.peak_down_dps)

    @staticmethod
    def _lowered_slower(s: _SetState, peak_down_dps: float) -> bool:
        """Whether a rep that came down at ``peak_down_dps`` at the fastest came down more than
        ``SLOWER_LOWERING_FACTOR`` times slower than the confirmed set ``s``'s reps (their median): a set's reps
        keep their pace, changing it gradually as they tire; the leg let down slowly as the person sits up or bends
        the knees straight after the last rep does not (29-46 deg/s after reps lowered at 126-226: counted as one
        more rep, or as a false one)."""
        downs = [c.timing.peak_down_dps for c in s.emitted if c.measured]
        return s.number is not None and bool(downs) and SLOWER_LOWERING_FACTOR * peak_down_dps < float(median(downs))

    @staticmethod
    def _off_axis(s: _SetState, peak_g: np.ndarray) -> bool:
        """Whether a rep peaking at gravity direction ``peak_g`` turned about another axis than the set ``s``'s
        reps (further apart than ``AXIS_AGREE_DEG``)."""
        axis = plane_axis(s.home, peak_g)
        return axis is None or np.degrees(np.arccos(np.clip(axis @ s.axis, -1, 1))) > AXIS_AGREE_DEG

    @staticmethod
    def _rests_apart(s: _SetState, bottom_deg: float, rom_deg: float) -> bool:
        """Whether a rep resting at ``bottom_deg`` rests elsewhere than the reps of the set ``s``: further from
        their median resting level than 5 deg or a fifth of ``rom_deg`` (the smaller of its range and theirs)."""
        return abs(bottom_deg - float(median(s.bottoms))) > max(5.0, 0.2 * rom_deg)

    def _emit(self, s: _SetState, c: _Candidate) -> list[Event]:
        events: list[Event] = []
        timing = c.reported
        if c.inferred:
            flags = ["inferred", "data_gap"]
        elif c.gap_s > LONG_GAP_S:  # timing and range distorted by the gap: no form flags
            flags = ["data_gap"]
        else:
            flags = self._flags(timing, s.number) + (["data_gap"] if c.gap_s > GAP_S else [])
        if s.reps:  # the previous rep's bottom hold is now known (unless either was inferred)
            prev = s.reps[-1]
            known = not (prev.inferred or c.inferred)
            hold = max(0.0, timing.start_s - prev.end_s) if known else None
            pflags = list(prev.flags)
            if known and self._rested(prev.end_s, timing.start_s, s):
                pflags.append("feet_rested")
            upd = replace(prev, bottom_hold_s=hold, flags=_ordered(pflags))
            s.reps[-1] = upd
            self._store(next(i for i in range(len(self.reps) - 1, -1, -1) if self.reps[i] is prev), upd)
            events.append(Event("update", upd))
        rep = Rep(set=s.number, rep=len(s.reps) + 1, start_s=timing.start_s, top_s=timing.top_s,
                  lower_s=timing.lower_s, end_s=timing.end_s, rom_deg=timing.rom_deg,
                  peak_up_dps=timing.peak_up_dps, peak_down_dps=timing.peak_down_dps,
                  peak_accel_g=timing.peak_accel_g,
                  bottom_deg=timing.bottom_deg, flags=_ordered(flags), gap_s=c.gap_s)
        s.reps.append(rep)
        s.emitted.append(c)
        s.last_end_s = c.timing.end_s
        self._store(None, rep)
        events.append(Event("rep", rep))
        return events

    def _rested(self, a_s: float, b_s: float, s: _SetState) -> bool:
        t = self._buf.get("t", self._buf.start)
        m = (t >= a_s) & (t <= b_s)
        if not m.any():
            return False
        idx = self._buf.start + np.flatnonzero(m)
        level = self._angle_deg(unit(self._buf.get("acc_g", idx[0], idx[-1] + 1)))
        speed = self._buf.get("speed_dps", idx[0], idx[-1] + 1)
        return feet_rested(level, speed, s.ready_deg, self.preset, GRID_HZ)

    def _ready_level_deg(self, on: int, s: _SetState | None = None) -> float:
        """Where the accelerometer read the leg held ready (deg, in the frame of the set ``s``, default the
        current one) in the ``READY_N`` grid samples up to ``on``, where a set's first rep left (NaN if the
        buffer no longer holds them).

        Where the leg lies still the low-passed accelerometer is gravity alone; the fused estimate may
        still be pulling back from a swing's or a drop's bias (several deg, for seconds): the feet-rested
        test compares such levels."""
        a = max(self._buf.start, on - READY_N + 1)
        return float(lean_numpy.median(self._angle_deg(unit(self._buf.get("acc_g", a, max(a, on + 1))), s)))

    def _restart_from_plateau(self, a_s: float, b_s: float) -> list[Event]:
        """Starts the tentative set again with the plateau ``a_s..b_s`` (s) as its resting position."""
        a, b = self._buf.index_at(a_s), self._buf.index_at(b_s)
        if b <= a or a < self._buf.start:
            return []
        self._set = _SetState(home=unit(self._buf.get("g", a, b).mean(axis=0)))
        self._level = 0.0
        self._state, self._pos, self._home_since = HOME, b, b
        return []

    def _close_set(self, keep_frame: bool = False) -> list[Event]:
        s = self._set
        if s is None:
            return []
        events = []
        if s.number is None and s.pending and self._ready(s, closing=True) and self._judge_tentative(s) == "set":
            events += self._confirm(s)
        if s.number is not None:
            for c in self._with_lost(s.emitted[-1:], s.emitted, closing=True)[1:]:  # reps its last one hid
                events += self._emit(s, c)
            events.append(Event("set_end", set=s.number))
            # its reps drawn in its own frame up to its end, before the frame goes (the trace is otherwise
            # written only as samples leave the buffer, seconds later, in whatever frame is current then)
            self._flush_trace(self._buf.index_at(s.emitted[-1].timing.end_s) + 1)
        elif s.pending:
            self.rejected += len(s.pending)
        self._set = _SetState(home=s.home, axis=s.axis if keep_frame else None) if keep_frame else None
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

    # ------------------------------------------------------------------ memory
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


def _still_across_gaps(still: np.ndarray, seen: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``still`` where the data was seen, and across a long gap that the leg was seen still on both sides
    of, for ``STILL_S`` in all, at the same angle (within ``GAP_STILL_DEG``): a plateau the gap cut in two."""
    out = still & seen
    if seen.all():  # no gap to join across
        return out
    starts, ends = true_runs(out)
    for k in range(len(starts) - 1):
        a, b = ends[k], starts[k + 1]  # between two still runs: a gap, if nothing there was seen
        seen_still = (ends[k] - starts[k]) + (ends[k + 1] - starts[k + 1])
        if (not seen[a:b].any() and seen_still >= STILL_S * GRID_HZ
                and abs(float(theta[a - 1]) - float(theta[b])) < GAP_STILL_DEG):
            out[a:b] = True
    return out


def _ordered(flags) -> tuple[str, ...]:
    from imu.rep import FLAG_DESCRIPTIONS

    order = list(FLAG_DESCRIPTIONS)
    return tuple(sorted(set(flags), key=order.index))
