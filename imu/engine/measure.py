"""Measuring an excursion as a rep: its phases, range, resting level and plausibility (:class:`Measure`)."""
from __future__ import annotations

from dataclasses import replace
from statistics import median

import numpy as np

from imu import lean_numpy
from imu.block import GRID_HZ
from imu.engine.params import (
    END_EXTRAPOLATION, GAP_REST_LOOK_S, KEPT_S, MISREAD_DPS, PAUSE_LOOK_S, REST_WINDOW_S, SETTLE_S, STILL_DPS, STILL_S,
)
from imu.engine.state import Candidate, Event, SetState
from imu.gaps import LONG_GAP_S, long_gaps_since
from imu.orientation import cross, plane_axis, tilt_deg, unit
from imu.phases import RepTiming, held_top_deg, peak_accel_g, rep_phases
from imu.presets import max_rom_deg
from imu.ramp_fit import LeverFit, about_sensor, rep_ramps_fit


class Measure:
    """How :class:`imu.engine.RepEngine` turns a settled excursion into a rep candidate (see :mod:`imu.engine`,
    step 3). A mixin."""

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
            axis = None if self._came_down_unseen(frame[1], trough) else plane_axis(
                frame[0], self._buf.get("g", frame[1], frame[1] + 1)[0])
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
        gaps = self._buf.get("gap_s", pre, stop + 1)
        inside = (t >= timing.start_s) & (t <= timing.end_s)
        gap_s = float(gaps[inside].max(initial=0.0))
        # (a gyroscope's smaller least range only where nothing was lost: across a gap the angle is bridged)
        if timing.rom_deg < (self.preset.min_rom_deg if gap_s > 0.0 else self._min_rom_deg):
            s.provisional = fixing  # too small to set the plane of motion: the set's reps may turn the other way
            if s.number is None and s.pending and gap_s == 0.0:  # in a set every movement is a rep: these were
                # not a set (unless data was lost inside it: it may be the fill's, not the leg's; a packet lost as a
                # rep began left a 3.5 deg bump, suite #47 set 2, Polar over a faulty link: the first rep lost)
                self.rejected += len(s.pending)
                s.pending = []
            return []
        if not self._plausible(timing, float(gaps.max())):
            if (gap_s > 0.0 or self._misread(timing)) and self._ramps_plausible(timing):
                # only too big, with data lost inside it: misread across the hole (the angle bridged there
                # went astray: without a gyroscope a kick's fit has nothing to hold it), or turning faster than
                # a leg can (:meth:`_misread`), not a posture change. Counted as inferred (where it was, no range
                # or speeds); the set goes on
                nan = float("nan")
                placed = replace(timing, rom_deg=nan, top_deg=nan, end_deg=nan, peak_up_dps=nan, peak_down_dps=nan)
                return self._add_candidate(Candidate(placed, gap_s, inferred=True), s.home, on)
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
        refined, about_sensor = (self._refined(timing, pre, end_at, end_by_s) if self._refinable(timing)
                                 else (None, None))
        if refined is not None and refined.rom_deg < self._min_rom_deg:
            return []  # fitted to the readings, the leg did not rise: the tilt's excursion was its own acceleration
        if refined is not None and refined.lever_m is not None and not settled:
            # the next rep rose straight away: the tilt's lowest point was the leg's own acceleration as it landed
            # (a brisk heel tap's read 15-19 deg below the floor, so a "rep" rose from there to the floor and the
            # set broke up, suite #77: 5 of 11); the next rep is measured from where the fit has it land
            self._level = max(end_level, refined.end_deg)
        if refined is None:  # the range it reports: up to the angle it held at the top
            top = held_top_deg(t, theta, timing.top_s, timing.lower_s)
            refined = None if top is None else replace(timing, top_deg=top, rom_deg=top - timing.bottom_deg)
        return self._add_candidate(Candidate(timing, gap_s, refined=refined, about_sensor=about_sensor), peak_g, on)

    def _first_frame(self, on: int, pre: int, trough: int, stop: int, settled: bool) -> tuple[np.ndarray, int, bool]:
        """(resting direction, grid index of the top, whether the rest was before it) that a tentative set's
        first rep, leaving home at ``on``, fixes the set's frame with: the rest before it (``pre..on``) and its
        highest point. Without a gyroscope, where a long gap hid nearly all of that rest (less than 0.3 s of it
        seen: the data came back as the leg rose, and what is bridged across a gap is a straight line from the
        leg's direction before it to the one after it), the rest the leg ``settled`` in after it (the
        ``SETTLE_S`` up to ``stop``, from its lowest point ``trough``) and its top where it was seen: from the
        bridge, a set that began in the gap rested 18 deg off its home and broke up at its second rep measured
        (suite #71 set 3, Polar: 11 of 13). When the leg did not settle after it either (its next rep rose at
        once: flutter kicks), the rest it was last seen still in before the gap (:meth:`_still_before_gap`): from
        the bridge, flutter kicks that began in the gap were measured in a plane they left at once (suite #13
        set 3 and #81 set 2, Polar: both lost whole)."""
        g = self._buf.get("g", pre, stop + 1)
        seen = self._seen(pre)[: stop + 1 - pre] | self.has_gyro  # (with one: the direction held, then re-acquired)
        before = seen[: on + 1 - pre]
        a = max(trough, stop - int(SETTLE_S * GRID_HZ) + 1) - pre
        hidden = before.sum() < int(0.3 * GRID_HZ)
        g_rest = unit(g[a:].mean(axis=0)) if hidden and settled and seen[a:].all() else (
            self._still_before_gap(on) if hidden and not self.has_gyro else None)
        if g_rest is not None:
            tilt = np.where(seen[on - pre :], tilt_deg(g[on - pre :], g_rest), -1.0)
            return g_rest, on + int(np.argmax(tilt)), False
        return unit(g[: on + 1 - pre].mean(axis=0)), on + int(np.argmax(self._theta(on, stop + 1))), True

    def _still_before_gap(self, on: int) -> np.ndarray | None:
        """The direction the leg rested still in (``STILL_S``, seen) within ``GAP_REST_LOOK_S`` before the last long
        gap that began before grid sample ``on``, or None."""
        t_on = float(self._buf.get("t", on, on + 1)[0])
        starts = [g0 for g0, _ in long_gaps_since(self._front.resampler.gaps, t_on - KEPT_S) if g0 < t_on]
        if not starts:
            return None
        gap_at = self._buf.index_at(starts[-1])
        rest = self._last_still(max(self._buf.start, gap_at - int(GAP_REST_LOOK_S * GRID_HZ)), gap_at)
        n = int(STILL_S * GRID_HZ)
        return None if rest is None else unit(self._buf.get("g", rest, rest + n).mean(axis=0))

    def _came_down_unseen(self, top: int, trough: int) -> bool:
        """Whether a tentative set's first excursion had its top (grid sample ``top``) and its lowest point after
        it (``trough``) inside one long gap: points of the bridge, a straight line from the leg's direction
        before the gap to the one after it, not the leg's. Such an excursion fixes no frame (the next one does;
        a rep it was is inferred from the set's rhythm). Flutter kicks under way when the data came back
        (acc-only): a move into position joined to the bridge fixed a plane the kicks left at once, the set
        aborted with no still home among its kicks and was lost whole (suite #13 set 3, Polar, 22 -> 0). (A top
        inside a gap with the way down seen is a rep's, joined across the gap: suite #65, #85.)"""
        t_top, t_low = (float(self._buf.get("t", i, i + 1)[0]) for i in (top, trough))
        return any(g0 < t_top and t_low < g1 for g0, g1 in long_gaps_since(self._front.resampler.gaps, t_top))

    def _rep_pre(self, on: int, s: SetState) -> int:
        """First grid sample of the rest before a rep of the set ``s`` that left home at ``on``: up to 1 s
        before, not before the set's last rep ended."""
        pre = max(self._buf.start, on - int(1.0 * GRID_HZ))
        if s.last_end_s is not None:
            t_all = self._buf.get("t", pre, on)
            pre = max(pre, pre + int(np.searchsorted(t_all, s.last_end_s)))
        return pre

    def _pause_low(self, on: int, pre: int, n: int, s: SetState) -> tuple[int, float | None]:
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
        ref, margin = float(median(s.bottoms)), 0.5 * self._min_rom_deg
        if (lo + k < pre and med[k] < med[-1] - margin and abs(med[k] - ref) + margin < abs(med[-1] - ref)
                and lean_numpy.median(self._buf.get("speed_dps", lo + k, lo + k + n)) < STILL_DPS):  # (resting)
            return lo + k, float(med[k])
        return pre, None

    def _refinable(self, timing: RepTiming) -> bool:
        """Whether the rep's phase times are refined from the readings (:mod:`imu.ramp_fit`): without a
        gyroscope, for controlled reps (a swung one follows no minimum-jerk ramp: its tilt is the swing
        fit's already)."""
        return not self.has_gyro and not self.preset.thrown(timing.peak_accel_g)

    def _refined(self, timing: RepTiming, pre: int, end_at: int, end_by_s: float
                 ) -> tuple[RepTiming | None, LeverFit | None]:
        """Without a gyroscope: the boundaries, top and range fitted to the readings, the leg's own
        acceleration included (:mod:`imu.ramp_fit`), where that model fits (None otherwise), and None; or, where
        it fitted a turn about the sensor (:func:`imu.ramp_fit.about_sensor`), None and that fit's lever. The
        resting level (``bottom_deg``) stays the tilt's, which the set's other reps are compared with."""
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
            return None, None
        if about_sensor(fit):
            return None, LeverFit(fit.lever_m, fit.from_down_deg)
        top_s, lower_s = fit.top_s, fit.lower_s
        if top_s > lower_s:  # no hold: both at the turning point
            top_s = lower_s = 0.5 * (top_s + lower_s)
        start_s = max(fit.start_s, float(t[0]))
        end_s = min(fit.end_s, max(end_by_s, float(t[-1])))
        top_deg = float(np.degrees(fit.top_rad))
        return replace(timing, start_s=min(start_s, top_s), top_s=top_s, lower_s=lower_s, end_s=max(end_s, lower_s),
                       top_deg=top_deg, rom_deg=top_deg - float(np.degrees(fit.bottom_rad)),
                       end_deg=float(np.degrees(fit.end_rad)), lever_m=fit.lever_m,
                       from_down_deg=fit.from_down_deg), None

    def _plausible(self, timing: RepTiming, gap_s: float = 0.0) -> bool:
        """Ramps no longer than ``max_ramp_s`` (plus the length of a gap in the data, which the front
        end bridges slowly) and a range within ``max_rom_factor`` times the preset's target
        (:func:`imu.presets.max_rom_deg`): anything else (getting into a plank, lying down) is a posture change."""
        slack = gap_s if gap_s > LONG_GAP_S else 0.0
        return self._ramps_plausible(timing, slack) and timing.rom_deg <= max_rom_deg(self.preset, self.auto_detected)

    def _misread(self, timing: RepTiming) -> bool:
        """Whether, without a gyroscope, the rep's tilt turned faster than ``MISREAD_DPS`` (up or down): no leg
        turns that fast, the accelerometer-only direction was misread (a flutter kick's swing bridged across a lost
        frame read 94-142 deg for a sample or two), and the movement is no posture change."""
        return not self.has_gyro and max(timing.peak_up_dps, timing.peak_down_dps) > MISREAD_DPS

    def _ramps_plausible(self, timing: RepTiming, slack_s: float = 0.0) -> bool:
        """Whether the rep's up and down ramps each take at most ``max_ramp_s`` (plus ``slack_s``)."""
        p = self.preset
        return (timing.top_s - timing.start_s <= p.max_ramp_s + slack_s
                and timing.end_s - timing.lower_s <= p.max_ramp_s + slack_s)
