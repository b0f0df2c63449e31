"""The search of the state machine: a still home, an excursion from it, the leg settling back (:class:`Search`)."""
from __future__ import annotations

from statistics import median

import numpy as np

from imu import lean_numpy
from imu.block import GRID_HZ
from imu.engine.params import (
    ABNORMAL_S, AFRESH_BRISK_DPS, AFRESH_RETRIES, AFRESH_WINDOW_S, BELOW_REST_DEG, DIP_FRACTION, EXCURSION,
    EXIT_FRACTION, GAP_STILL_DEG, HOME, JOLT_G, KEPT_S, LANDED_FRACTION, LONE_OUT_OF_PLANE_DEG, OUT_OF_PLANE_DEG,
    PASSED_FRACTION, PASSED_STILL_S, QUIET_DRIFT_DEG, QUIET_DRIFT_FRACTION, QUIET_DRIFT_MIN_DEG, REHOME_STILL_S,
    REST_WINDOW_S, SETTLE, SETTLE_FRACTION, SETTLE_MIN_DPS, SETTLE_S, STILL_DPS, STILL_S, STOP_LANDED_FRACTION,
    STOP_LANDED_PEAK_FRACTION, STOP_LANDED_S,
)
from imu.engine.state import SetState
from imu.masks import first_run, first_true, median_below, true_runs
from imu.orientation import leg_angle_deg, out_of_plane_deg, plane_axis, tilt_deg, unit
from imu.presets import max_rom_deg


class Search:
    """The states SEEK, HOME, EXCURSION and SETTLE of :class:`imu.engine.RepEngine` (see :mod:`imu.engine`,
    steps 1-3). A mixin: each step returns (whether it moved on, the events it completed)."""

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
            self._set = SetState(home=home)
            self._level = 0.0
        self._state, self._pos = HOME, i + 1
        self._home_since = self._pos
        return True, events

    def _resumes(self, s: SetState, home: np.ndarray, t_s: float) -> bool:
        """After a break, whether the leg is back in the set's resting position, soon enough."""
        level = float(leg_angle_deg(home[None, :], s.home, s.axis)[0])
        oop = abs(float(out_of_plane_deg(home[None, :], s.axis)[0]))
        recent = s.last_end_s is None or t_s - s.last_end_s < self.preset.set_gap_s
        near = abs(level - (median(s.bottoms) if s.bottoms else 0.0)) < max(8.0, 2 * self._min_rom_deg)
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
        lone = not self.has_gyro and s.number is None and len(s.pending) <= 1  # (a plane one rep fixed)
        bad |= np.abs(out_of_plane_deg(self._buf.get("g", b), s.axis)) > (
            LONE_OUT_OF_PLANE_DEG if lone else OUT_OF_PLANE_DEG)
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
        i_on = first_true(theta > self._leaves_home_deg())
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
            lone_cut = len(s.pending) == 1 and not s.pending[0].measured
            if (s.number is None and (lone_cut if self.has_gyro else (
                    len(s.pending) == 1 or (not s.pending and self._left_briskly(since))))
                    and self._may_start_afresh(self._home_since)):
                # a lone tentative rep, then the leg went the other way: that "rep" was the accelerometer
                # tilting against a brisk start; or, with no rep yet, a brisk movement left the plane kept
                # from an earlier one: measure what follows afresh from the same rest (with a gyroscope
                # this let rest movements such as sitting up make sets). With a gyroscope only for a lone rep
                # cut by a long gap: the data came back mid-rep, the orientation re-acquired there was the
                # direction held across the gap turned by the gyroscope, a mirrored "rep" that fixed the plane
                # inside out (suite #68 set 3, MetaWear: its next rep read -80 deg, the set lost whole, 8 -> 0;
                # afresh 8, the lost rep inferred from the set's rhythm)
                self.rejected += len(s.pending)  # (the lone rep, if any: the movement is measured again)
                self._set = SetState(home=s.home)
                self._level, self._pos = 0.0, since
                return True, []
            events = self._abort()
            rest = self._last_still(since, self._pos - int(ABNORMAL_S * GRID_HZ) + 1)
            if (s.number is None and (len(s.pending) == 1 if self.has_gyro else len(s.pending) > 1)
                    and rest is not None and self._may_start_afresh(rest)):
                # a lone tentative rep, then the leg left its plane from rest: a set may start from where the leg
                # last rested before that (its first rep, swung in another plane than a fidget, was lost). Without a
                # gyroscope a lone rep was measured afresh above; so are two or more there: rest fidgets whose frame
                # was kept when a swung set began, its first swing far below their level (suite #113 set 2, Polar,
                # once fidgets before it were measured afresh from their rest: lost whole, its pauses never still)
                self._pos = rest
            return True, events
        if first == i_gap:
            self._pos = a + first
            if s.number is None:  # tentative reps that long ago were no set: their frame goes with them (the
                # next rep may turn in another plane: it was lost, the set abandoned as it left the old one)
                self.rejected += len(s.pending)
                self._set = SetState(home=self._direction_before(self._pos)[1])  # where the leg is now
                self._level, self._home_since = 0.0, self._pos
                return True, []
            return True, self._close_set(keep_frame=True)
        self._exc = {"on": a + first, "level": self._level}
        self._state, self._pos = EXCURSION, a + first
        return True, []

    def _leaves_home_deg(self) -> float:
        """The angle (deg) above which the leg has left home for an excursion: the resting level plus half the
        preset's smallest range."""
        return self._level + 0.5 * self._min_rom_deg

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
        below_deg = self._level - 0.5 * self._min_rom_deg
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
        back = (theta < level + EXIT_FRACTION * height) & (height >= self._min_rom_deg)
        fizzled = (theta < level + 0.25 * self._min_rom_deg) & (height < self._min_rom_deg)
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
        if (first == i_bad and first != i_long and self._set.number is None
                and self._may_start_afresh(start := self._afresh_from(on))):
            # the leg turned in another plane than the tentative set's: measure this excursion afresh from
            # where it started (or the lone rep before it, see _afresh_from)
            self.rejected += len(self._set.pending)
            w0, home = self._direction_before(start)
            self._set = SetState(home=home)
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

    def _afresh_from(self, on: int) -> int:
        """Where an excursion from grid sample ``on`` that left the tentative set's plane is measured afresh from:
        there, or where the set's lone measured rep began if that was measured in a closed set's frame (a set's first
        rep, unlike fidgets before it, in their frame: suite #93 set 2, Polar over a faulty link, it was lost)."""
        s = self._set
        if s.inherited and len(s.pending) == 1 and s.pending[0].measured:
            return self._buf.index_at(s.pending[0].timing.start_s)
        return on

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
        m = int(self.preset.quiet_median_s * GRID_HZ)
        quiet = self._quiet_from(on, m)
        still = quiet & (height >= self._min_rom_deg)
        drift = (np.clip(QUIET_DRIFT_FRACTION * (theta - level), QUIET_DRIFT_MIN_DEG, QUIET_DRIFT_DEG) if m > 1
                 else None)
        seen = self._seen(on)
        end = first_run(_still_across_gaps(still, seen, theta), n, theta, drift)
        if end is None:
            return None, None
        plateau = lean_numpy.median(theta[end - n + 1 : end + 1])
        g_plateau = unit(self._buf.get("g", on + end - n + 1, on + end + 1).mean(axis=0))
        away = tilt_deg(self._buf.get("g", on + end + 1, on + len(theta)), g_plateau)  # deg
        i = first_true(self._leaves_plateau(theta[end + 1 :], away, plateau, plateau - level, m > 1, seen[end + 1 :]))
        if i is None or end + 1 + i < k0:
            return None, None
        move = end + 1 + i
        if not seen[: move + 1].all() and first_run(
                _still_across_gaps(still[: move + 1], seen[: move + 1], theta[: move + 1]), n, theta, drift) != end:
            # a plateau joined across a gap by stillness seen only after the leg moved on: what was known
            # when it moved decides, as it would have live (fed as far as the move, it was no plateau)
            return None, None
        return end - n + 1, move - k0

    def _quiet_from(self, on: int, m: int) -> np.ndarray:
        """Per grid sample from ``on`` on: turning slower than ``STILL_DPS`` by the median of it and the ``m - 1``
        before it from ``on`` on (:func:`imu.masks.median_below`; ``m`` of 1 or less: the sample itself). Kept
        per ``on`` and ``m`` and extended as samples arrive: an excursion is searched again at each step, and a
        window's answer depends only on its samples, which never change (an absolute grid index is one sample)."""
        speed = self._buf.get("speed_dps", on)
        if m <= 1:
            return speed < STILL_DPS
        key, known = self._quiet
        k = len(known)
        if key != (on, m) or k < m - 1 or k > len(speed):
            known = median_below(speed, m, STILL_DPS)
        elif k < len(speed):  # the new samples' windows, from the m - 1 samples before them on
            known = np.concatenate([known, median_below(speed[k - m + 1 :], m, STILL_DPS)[m - 1 :]])
        self._quiet = ((on, m), known)
        return known

    def _leaves_plateau(self, theta: np.ndarray, away_deg: np.ndarray, plateau_deg: float, height_deg: float,
                        holds: bool, seen: np.ndarray) -> np.ndarray:
        """Per sample after a still plateau ``height_deg`` above the resting level (its angle ``theta``, deg, its turn
        ``away_deg`` from the plateau's direction and whether it was ``seen``, not inside a long gap): whether the leg
        has left the plateau as a new rest (see :meth:`_new_home_inside`). Rising on by ``min_rom_deg``, or where the
        preset's reps have holds (``holds``) by half the height too (a rep's hold near its top is none), but never by
        more than it takes to go beyond any plausible rep (``max_rom_factor`` times the target range: a side-lying
        posture change held 92 deg from the rest before it, whose reps then rose 33 deg from there, was taken for one 15
        s excursion). Where reps have holds, from a plateau above the target range also turning that far away from it
        sideways, its angle from the resting level changing by less than half the turn (a rep's top is left towards the
        rest: a posture change held 95 deg up, whose reps turned 45 deg across, kept that angle; lower down, a fidget's
        plateau left sideways made the next move into position a rep). A plateau already beyond any plausible rep is no
        rep's top: turning ``min_rom_deg`` from it any way leaves it (getting into a prone plank turned the leg ~170
        deg, where the unsigned tilt folds: the reps from there read as dips of ~15 deg towards home). Where reps have
        holds, a plateau above the target range is also left by dipping ``DIP_FRACTION`` of its height from it and
        coming back half way, all of it ``seen`` (a rep's top is not come back to: heel taps from the tabletop, ~100 deg
        above lying, that a set began in; across a long gap the bridge may draw such a dip mid-rep, lying leg raises
        lost three reps). Each of these used to run into a chain of ``max_rep_s`` restarts that counted the set's first
        reps 2.5-4.5 s late."""
        on_by = self._min_rom_deg
        headroom_deg = max_rom_deg(self.preset, self.auto_detected) - height_deg
        if headroom_deg < 0:
            return away_deg > on_by
        if not holds:
            return theta > plateau_deg + on_by
        on_by = max(on_by, min(0.5 * height_deg, headroom_deg))
        rise = theta > plateau_deg + on_by
        if height_deg <= self.preset.target_rom_deg:  # (a plateau within a rep's range: fidgets turn across it)
            return rise
        dip_deg = max(self._min_rom_deg, DIP_FRACTION * height_deg)
        dipped = np.minimum.accumulate(theta) < plateau_deg - dip_deg
        returned = dipped & (theta > plateau_deg - 0.5 * dip_deg) & np.logical_and.accumulate(seen)
        return rise | returned | ((away_deg > on_by) & (np.abs(theta - plateau_deg) < 0.5 * away_deg))

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
        rising = theta > floor + max(0.5 * self._min_rom_deg, 0.25 * height)
        late = t - t[0] > 2.0
        k0 = a - back
        i_slow = first_run(slow[max(k0 - n + 1, 0):], n)
        i_slow = None if i_slow is None else i_slow + max(k0 - n + 1, 0) - k0
        i_rise, i_late = first_true(rising[k0:]), first_true(late[k0:])
        i_bad = self._abnormal(a, back)
        first = min((i for i in (i_slow, i_rise, i_late, i_bad) if i is not None), default=None)
        if first is None:
            # (for a live view: back near the resting level, or turned up from its lowest point since it came back,
            # the next rep starting: flutter kicks never come all the way back; or stopped not far above the level)
            stopped = ((theta < level + STOP_LANDED_FRACTION * height)
                       & (speed < max(SETTLE_MIN_DPS, STOP_LANDED_PEAK_FRACTION * peak)) & self._seen(back))
            near = bool((theta < level + LANDED_FRACTION * height).any()
                        or theta[-1] >= run_min[-1] + LANDED_FRACTION * height)
            self._exc["stopped"] = first_run(stopped, int(STOP_LANDED_S * GRID_HZ)) is not None
            self._exc["landed"] = near or self._exc["stopped"]
            self._pos = self._buf.end
            return False, []
        if first == i_bad:
            self._pos = a + first
            self.rejected += 1
            s = self._set
            rest = self._rest_elsewhere(on) if s.number is None and len(s.pending) == 1 else None
            events = self._abort()
            if rest is not None and self._may_start_afresh(rest):
                # a lone tentative rep fixed the frame, yet the leg had rested far from its level: that "rep" was
                # a move into that rest (a hanging leg let down from a seat-like hold, suite #125 set 2, Polar over
                # a faulty link: its rest read 44 deg off the level, its swings went 25 deg past it the other way,
                # the set lost whole, 11 -> 0); a set may start from there (a brisk set's pauses are too short for
                # a new home)
                self._pos = rest
            return True, events
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
            self._set = SetState(home=home)
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
        self._pos = trough if first == i_rise else self._last_at_rest(back, trough, stop, theta)
        self._state = HOME
        self._home_since = self._pos
        if self._backtrack is not None:
            events += self._restart_from_plateau(*self._backtrack)
            self._backtrack = None
        return True, events

    def _last_at_rest(self, back: int, trough: int, stop: int, theta: np.ndarray) -> int:
        """Where the search for the next rep starts after the leg settled at grid sample ``stop`` (``theta``: its angles
        from ``back`` on, deg) or was taken as settled 2 s after it came back: just after it, or, if the leg is already
        on its way up there (the next rep started slowly, slower than the settling speed, which is relative to how fast
        the leg came down), just after the last sample since the ``trough`` not yet above :meth:`_leaves_home_deg`.
        There the next rep leaves home, and the rest it is measured from lies before it: from ``stop`` on, a hanging leg
        raise's rest read 16 deg up its rise, and the set was cut in two (the suite's seed 3 #45, without a gyroscope).
        Not when it came down more than ``min_rom_deg`` below where it left (getting into a plank after a fidget:
        searched from its low point, the set after it was lost whole, seed 4 #95), nor across a long gap since (a
        bent-knee raise measured from before one gained an inferred rep, suite #55 over a faulty link)."""
        near = theta[trough - back : stop - back + 1] <= self._leaves_home_deg()  # (where _home finds it at rest)
        if near[-1] or not near.any() or self._level < self._exc["level"] - self._min_rom_deg:
            return stop + 1  # (or it came down far below where it left: another posture, which rests elsewhere)
        pos = trough + int(np.flatnonzero(near)[-1]) + 1
        end_s = None if self._set is None else self._set.last_end_s
        if end_s is not None:  # (not inside the rep just measured: its end was fitted, maybe past that sample)
            pos = max(pos, min(stop + 1, self._buf.index_at(end_s) + 1))
        # (only where the leg was seen since: the bridge across a long gap is no reading of where it rested)
        return pos if self._seen(pos)[: stop + 1 - pos].all() else stop + 1

    def _rest_elsewhere(self, on: int) -> int | None:
        """First index of the last ``STILL_S`` before grid sample ``on`` (over the ``KEPT_S`` before the current
        position) in which the leg rested still (:meth:`_last_still`) further from the excursion's resting level
        than ``BELOW_REST_DEG``, or None."""
        a = max(self._pos - int(KEPT_S * GRID_HZ), self._buf.start)
        if on - a < int(STILL_S * GRID_HZ):
            return None
        return self._last_still(a, on, np.abs(self._theta(a, on) - self._exc["level"]) > BELOW_REST_DEG)

    def _last_still(self, a: int, b: int, where: np.ndarray | None = None) -> int | None:
        """First index of the last ``STILL_S`` between grid samples ``a`` and ``b`` (exclusive) in which the
        leg turned slower than ``STILL_DPS`` (seen, no jolt; and ``where``, per sample from ``a``), or None."""
        a, n = max(a, self._buf.start), int(STILL_S * GRID_HZ)
        if b - a < n:
            return None
        still = ((self._buf.get("speed_dps", a, b) < STILL_DPS) & (self._buf.get("jolt_g", a, b) < JOLT_G)
                 & self._seen(a)[: b - a])
        if where is not None:
            still &= where
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
        high = up >= np.maximum(self._min_rom_deg, 0.5 * np.maximum.accumulate(up))
        still = (self._buf.get("speed_dps", on, stop + 1) < STILL_DPS) & high & self._seen(on)[: stop + 1 - on]
        end = first_run(still, n)
        if end is None or end >= stop - on:
            return False
        plateau = unit(self._buf.get("g", on + end - n + 1, on + end + 1).mean(axis=0))
        axis = plane_axis(s.home, plateau)
        top = 0.0 if axis is None else float(leg_angle_deg(plateau[None, :], s.home, axis)[0])  # deg
        if top < self._min_rom_deg:
            return False
        way = leg_angle_deg(self._buf.get("g", on + end + 1), s.home, axis)  # deg, the plateau's side positive
        k = stop - (on + end + 1)  # where the next rep seemed to rise
        if way[k] > 0.0 or way[k] > float(way[: k + 1].min()) + 0.5:  # it turned back, not on past home
            return False
        after = way[k:]
        turned = first_true(after > np.minimum.accumulate(after) + max(0.5 * self._min_rom_deg, 0.1 * top))
        stopped = first_run(self._buf.get("speed_dps", stop) < STILL_DPS, int(SETTLE_S * GRID_HZ))
        far = first_true(after < -max(self._min_rom_deg, PASSED_FRACTION * top))
        no = min((i for i in (turned, stopped) if i is not None), default=None)
        if far is not None and (no is None or far < no):
            moved = first_true(~still[end:])  # (the plateau's end)
            return on + end - n + 1, on + (len(still) if moved is None else end + moved)
        return no is None and len(after) < 2.0 * GRID_HZ  # (waits at most 2 s)


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


