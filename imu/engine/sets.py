"""Sets: which candidates belong together, when a tentative set is one, emitting its reps (:class:`SetBuilder`)."""
from __future__ import annotations

from dataclasses import replace
from statistics import median

import numpy as np

from imu import lean_numpy
from imu.block import GRID_HZ
from imu.engine.params import (
    ANKLE_LOW_MARGIN, AXIS_AGREE_DEG, BACKTRACK_HOLD_RATIO, BACKTRACK_HOLD_S, BACKTRACK_RAISED, FIT_BEYOND_TILT,
    FOREIGN_REST_DEG, GAIT_CYCLE_S, GAIT_PAUSE_S, GYRO_LEVER_FACTOR, HALF_LEVER_BOTH_RATIO, HALF_LEVER_DPS,
    HALF_LEVER_RATIO, HALF_LEVER_SPREAD, HELD_TOP_S, HOME, HOME_KEEP_S, INVERTED_LOOKBACK_S, KEPT_REPS, KEPT_S,
    KICK_MAX_S, KICK_MIN_S, LEAD_IN_ROM_FRACTION, LEVER_LEAD_S, LEVER_ROM_DEG, LIKE_SET_FACTOR, MIN_REP_S, READY_N,
    REHOME_STILL_S, SHIFT_ROM_FRACTION, SLOWER_LOWERING_FACTOR, STILL_DPS, STILL_S, UPRIGHT_COS,
)
from imu.engine.state import Candidate, Event, SetState, ordered_flags
from imu.filters import GAP_S
from imu.flags import feet_rested
from imu.gaps import LONG_GAP_S, SETTLED_AFTER_GAP_S, edge_lost_reps, long_gaps_since, lost_reps, set_rhythm
from imu.masks import true_runs
from imu.orientation import cross, leg_angle_deg, out_of_plane_deg, plane_axis, unit
from imu.phases import RepTiming
from imu.presets import PRESETS, auto_preset
from imu.ramp_fit import LeverFit, lever_fits
from imu.rep import Rep
from imu.swing import ankle_lower_at


class SetBuilder:
    """How :class:`imu.engine.RepEngine` groups rep candidates into sets (see :mod:`imu.engine`, step 4). A mixin."""

    def _add_candidate(self, cand: Candidate, peak_g: np.ndarray, on: int) -> list[Event]:
        s = self._set
        timing = cand.timing
        events: list[Event] = []
        if s.axis is not None:
            self._half_levers(s, cand)  # (fitted now, while its data is surely buffered whatever the chunking)
        if s.number is not None and self._turned_otherwise(s, cand, s.emitted[-KEPT_REPS:]):
            self.rejected += 1  # a posture change at the set's end, no rep: the set goes on without it
            return events
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
                if verdict == "held":
                    self._drop_first(s)
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
        if self._turned_otherwise(s, cand, s.emitted[-KEPT_REPS:], both_ratio=HALF_LEVER_BOTH_RATIO):
            self.rejected += 1  # (judged after _consistent: walking away after a set, say, closes it there)
            return events
        for c in self._with_lost(s.emitted[-1:] + [cand], s.emitted)[1:]:
            events += self._emit(s, c)
        return events

    def _drop_first(self, s: SetState) -> None:
        """Drops the tentative set ``s``'s first candidate, no rep of it (see :meth:`_judge_tentative`)."""
        self.rejected += 1
        del s.pending[0], s.bottoms[0]
        s.ready_deg = self._ready_level_deg(self._buf.index_at(s.pending[0].timing.start_s))

    def _set_again(self, old: SetState, cand: Candidate, peak_g: np.ndarray) -> SetState:
        """The tentative set, in the closed set ``old``'s frame, that ``cand`` (a rep unlike ``old``'s) starts: from
        ``old``'s last rep too if ``old`` stayed tentative with two or more and ``cand`` is like that one. Moving into
        position may make a "rep" before a set's first (suite #126: the second rep, its feet let down 8 deg below
        the first's hover, was like the first but not like the pair, and the first went with the posture change).
        That last rep's resting level is where it came down to: it may have risen from the rest before the set
        (suite #110 set 1, bent-knee raises: the first rep rose from 11 deg above the set's hover; judged by where it
        began, the set was found inside out and counted top to top, every rep's times half a rep late)."""
        if old.number is None and len(old.pending) >= 2:
            last = old.pending[-1]
            again = SetState(home=old.home, axis=old.axis, pending=[last], bottoms=[last.timing.end_deg],
                              last_end_s=last.timing.end_s)
            again.ready_deg = self._ready_level_deg(self._buf.index_at(last.timing.start_s), again)
            if self._consistent(again, cand, peak_g):
                self.rejected -= 1  # (counted as rejected when ``old`` closed)
                return again
        return SetState(home=old.home, axis=old.axis, inherited=True)

    def _inside_out_before_ready(self, s: SetState) -> tuple[float, float] | None:
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

    def _restart_inside_out(self, s: SetState, bottom: tuple[float, float]) -> None:
        """Drops the inside-out tentative set ``s``: the search starts again from its real ``bottom`` (s, s)
        once the current excursion is settled, and no set starts inside out before that bottom again."""
        self.rejected += len(s.pending)
        self._backtrack, self._inverted_after_s = bottom, bottom[1]

    def _ready(self, s: SetState, closing: bool = False) -> bool:
        """Whether the tentative set ``s`` has enough reps to be judged: ``min_set_reps``, two of them
        measured (reps cut by a long gap count, but the set's pattern must be seen on two), and, with a
        gap among them, the set's rhythm known (the reps lost in the gap are counted at confirmation),
        or two reps more, or the set ``closing``."""
        n = len(s.pending)
        if n < self.preset.min_set_reps or sum(c.measured for c in s.pending) < 2:
            return False
        return (closing or n >= self.preset.min_set_reps + 2 or all(c.measured for c in s.pending)
                or self._rhythm(s.pending) is not None)

    def _confirm(self, s: SetState) -> list[Event]:
        """Makes the tentative set ``s`` a set and emits its reps (with those lost in gaps)."""
        self._sets_done += 1
        s.number = self._sets_done
        if self.preset.slug == "auto":
            tms = [c.timing for c in s.pending if c.measured]
            levers = self._fitted_levers(s)
            roms, continuous = [tm.rom_deg for tm in tms], _continuous(tms)
            downs, lengths = [fit.from_down_deg for fit in levers], [fit.lever_m for fit in levers]
            self.preset = auto_preset(roms, continuous, downs, lengths)
            self.auto_evidence = {"first_set_rom_deg": round(float(median(roms)), 1), "continuous": continuous,
                                  "lever_from_down_deg": round(float(median(downs)), 1) if len(downs) >= 2 else None,
                                  "lever_m": round(float(median(lengths)), 2) if len(lengths) >= 2 else None}
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
        for k, (a, b) in enumerate(zip(reps, reps[1:] + [None] if closing else reps[1:])):
            ta, tb = a.timing, None if b is None else b.timing
            gaps = long_gaps_since(self._front.resampler.gaps, ta.start_s)
            lost = lost_reps(ta, tb, rhythm, gaps, first=opening and k == 0) if gaps else []
            out += [Candidate(tm, inferred=True) for tm in lost]
            out += [] if b is None else [b]
        if closing:
            out += self._edge_lost(out[-1].timing, rhythm, after=True)
        if opening and self._lead_in(reps, rhythm):
            self.rejected += 1
            out = out[1:]  # (the reps it anchors, lost in the gap after it, stay)
        return self._edge_lost(reps[0].timing, rhythm, after=False) + out if opening else out

    def _lead_in(self, reps: list, rhythm) -> bool:
        """Whether the first of a tentative set's candidates ``reps`` was no rep of it but a movement before it
        joined across a long gap to the set's reps: cut by the gap (not measured), its top seen at least a typical
        way up (``rhythm``, :class:`imu.gaps.Rhythm`) before the gap began (the leg had turned back from it: its
        range is the movement's, not a rep's cut short), and ranging less than ``LEAD_IN_ROM_FRACTION`` of the
        median of the set's measured reps (at least two). A lying leg raise set begun in a 3.5 s dropout read
        its first rep 7 deg, topped 1.7 s before the gap, where its reps rose 70 (suite #119 set 2, Polar: one
        too many); reps whose tops the gap hid read 5-31 deg of 22-73 and were reps (suite #38, #87, #101, #114).
        So is one that rose into the gap and came down by its end (within ``SETTLED_AFTER_GAP_S``): nothing of it
        was seen after the rise but the bridge's climb to where the leg was when the data came back (a hanging
        leg raise set's first rep read 22 deg of 88 so, at rest before the gap, suite #69 set 2, Polar).
        It is not counted; the reps lost in the gap after it still are."""
        first, roms = reps[0].timing, [c.timing.rom_deg for c in reps[1:] if c.measured]
        if reps[0].measured or reps[0].inferred or len(roms) < 2:
            return False
        gaps = long_gaps_since(self._front.resampler.gaps, first.start_s)
        turned = any(first.start_s < g0 < first.end_s and first.top_s <= g0 - rhythm.up_s for g0, _ in gaps)
        bridged = any(first.start_s < g0 < first.top_s and first.end_s <= g1 + SETTLED_AFTER_GAP_S for g0, g1 in gaps)
        return (turned or bridged) and first.rom_deg < LEAD_IN_ROM_FRACTION * float(median(roms))

    def _edge_lost(self, timing: RepTiming, rhythm, after: bool) -> list[Candidate]:
        """The reps lost in a long gap before a set's first rep ``timing`` or, ``after``, its last
        (:func:`imu.gaps.edge_lost_reps`), as inferred candidates; none before the previous set's end."""
        since = self.reps[-1].end_s if self.reps else -np.inf
        gaps = long_gaps_since(self._front.resampler.gaps, timing.start_s if after else since)
        return [Candidate(tm, inferred=True) for tm in edge_lost_reps(timing, rhythm, gaps, after, since, self._moved)]

    def _moved(self, a_s: float, b_s: float) -> bool:
        """Whether the leg was seen turning faster than ``STILL_DPS`` between ``a_s`` and ``b_s`` (s), over the
        ``KEPT_S`` before the current position at most (what the buffer holds whatever the chunking)."""
        t = self._buf.get("t", self._buf.start)
        since_s = float(self._buf.get("t", min(self._pos, self._buf.end - 1))[0]) - KEPT_S
        m = (t >= max(a_s, since_s)) & (t <= b_s)
        return bool(m.any() and (self._buf.get("speed_dps", self._buf.start)[m] >= STILL_DPS).any())

    def _judge_tentative(self, s: SetState) -> str:
        """Whether ``min_set_reps`` consistent candidates really are a set: ``set``; ``gait`` (continuous
        swinging without pauses, as in walking, unless the shin lies as in flutter kicks with the
        ``flutter-kick`` or ``auto`` preset; or a twitch among them, a rep quicker than ``MIN_REP_S``, or,
        without a gyroscope, reps turning about the ankle: fidgeting); ``backtrack`` (the first candidate
        was a posture change merged with the first rep: it rests elsewhere and pauses longer than the
        rest, so the set really starts from its plateau); ``held`` (with a gyroscope: the first candidate,
        held as long as that but topped elsewhere, or turned about another axis than the others did
        (:meth:`_turned_otherwise`, also both ways by ``HALF_LEVER_BOTH_RATIO``), was a move into position, no rep:
        :meth:`_drop_first`); a "set" of flutter kicks slower than ``KICK_MAX_S`` is ``gait``."""
        tms = [c.timing for c in s.pending if c.measured]
        holds = [tm.lower_s - tm.top_s for tm in tms]
        durations = [tm.end_s - tm.start_s for tm in tms]
        continuous = _continuous(tms)
        # continuous kicks with the shin lying are flutter kicks (also for ``auto``, which has yet to say so)
        kicks = continuous and self.preset.slug in ("flutter-kick", "auto") and not self._shin_upright(
            tms[0].start_s, tms[-1].end_s)
        if continuous and not kicks:
            return "gait"
        if self.preset.slug != "flutter-kick" and not kicks and min(durations) < MIN_REP_S:
            return "gait"  # a twitch among them: fidgeting, not a set
        if kicks and median(durations) < KICK_MIN_S:
            return "gait"  # twitching, quicker than any kick
        if self.preset.slug == "flutter-kick" and median(durations) > KICK_MAX_S:
            return "gait"  # the leg shifted now and then, slower than any kick
        if self._near_axis(s):
            return "gait"  # knees bent and straightened, heels on the floor: fidgeting
        fits = [c.ramp_fit.rom_deg / c.timing.rom_deg for c in s.pending if c.measured and c.ramp_fit is not None]
        if fits and median(fits) > FIT_BEYOND_TILT:
            return "gait"  # no turns about a pivot: the body rolling into a posture
        if (self.preset.slug != "flutter-kick" and median(holds) < GAIT_PAUSE_S
                and max(tm.rom_deg for tm in tms) < SHIFT_ROM_FRACTION * self._least_target_deg()
                and not (self.has_gyro and median([self._still_at_top_s(tm) for tm in tms]) >= HELD_TOP_S)):
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
        if self._turned_otherwise(s, s.pending[0], s.pending[1:], both_ratio=HALF_LEVER_BOTH_RATIO):
            return "held"  # a posture change into the set's position, no rep (see _turned_otherwise)
        if long_hold and s.pending[0].measured and self.has_gyro:
            # held that long and topped elsewhere: a move into position, no rep (suite #126 set 2, Thingy:52: 33 deg
            # held 7.1 s before reps of 48-55 held under 1 s, counted 11 for 10). Without a gyroscope the tilt's
            # holds are no reading of the leg's: a heel-tap set lost half its reps so (suite #23 set 2, Polar)
            return "held"
        return "set"

    def _still_at_top_s(self, tm: RepTiming) -> float:
        """With a gyroscope: how long (s) the rep ``tm`` turned slower than 30 % of its peak speed within the top 30 %
        of its range: a rep's hold at the top, where the ramps' fits find none on reps of a few degrees."""
        a, b = self._buf.index_at(tm.start_s), self._buf.index_at(tm.end_s) + 1
        near_top = self._theta(a, b) >= tm.top_deg - 0.3 * tm.rom_deg
        slow = self._buf.get("speed_dps", a, b) < 0.3 * max(tm.peak_up_dps, tm.peak_down_dps)
        return float(np.count_nonzero(near_top & slow)) / GRID_HZ

    def _least_target_deg(self) -> float:
        """The target range (deg) of the preset, or for ``auto``, which has yet to pick one, the smallest of any
        preset's: swung prone lifts of 16 deg, not held at the top, are a set of reverse leg lifts, not shifts of
        the leg about (suite #32 with no exercise named: 8 of its 14 reps lost against ``auto``'s own 60 deg)."""
        if self.preset.slug != "auto":
            return self.preset.target_rom_deg
        return min(p.target_rom_deg for p in PRESETS.values() if p.slug != "auto")

    def _near_axis(self, s: SetState) -> bool:
        """Whether the tentative set's reps turned about an axis nearer the sensor than the preset's
        ``min_lever_m`` (with a gyroscope ``GYRO_LEVER_FACTOR`` times it; their fitted levers, :mod:`imu.ramp_fit`):
        bending the knees with the heels on the floor turns the shin about the ankle, a straight-leg raise
        about the hip. With a gyroscope only for a preset the user chose: ``auto`` picks one from the first set's
        ranges, tempo and posture (:func:`imu.presets.auto_preset`), and a set it takes for a straight-leg one may
        still turn about the knee (real seated knee extensions read 0.25-0.28 m)."""
        if not self.preset.min_lever_m or (self.has_gyro and self.auto_detected):
            return False
        levers = [fit.lever_m for fit in self._fitted_levers(s)]
        least_m = self.preset.min_lever_m * (GYRO_LEVER_FACTOR if self.has_gyro else 1.0)
        return len(levers) >= 2 and median(levers) < least_m

    def _fitted_levers(self, s: SetState) -> list[LeverFit]:
        """The levers (:meth:`_fitted_lever`) of the tentative set ``s``'s measured reps of ``LEVER_ROM_DEG`` and more
        that have one."""
        fits = [self._fitted_lever(s, c) for c in s.pending if c.measured and c.reported.rom_deg >= LEVER_ROM_DEG]
        return [fit for fit in fits if fit is not None]

    def _fitted_lever(self, s: SetState, c: Candidate) -> LeverFit | None:
        """The lever the rep ``c`` of the tentative set ``s`` turned about: without a gyroscope its ramps'
        fit to the readings' (:mod:`imu.ramp_fit`, None if none), with one the fit of the readings to its leg
        angle over the rep (:func:`imu.ramp_fit.lever_fit`). A fit over the whole rep, for reps of
        ``LEVER_ROM_DEG`` and more; the range flags' :func:`imu.flags.lever_m` is a rougher reading from the
        rep's peaks that works on small ranges too (on the real prone lifts of 11 deg this fit reads 0.06-0.12 m,
        the ankle's acceleration there barely above the noise). Fitted once per rep and frame: a tentative set is
        judged again as each of its reps lands."""
        if not self.has_gyro:
            fit = c.ramp_fit
            return c.about_sensor if fit is None else LeverFit(fit.lever_m, fit.from_down_deg)
        frame = (s.home.tobytes(), s.axis.tobytes())
        if c.fitted_lever is None or c.fitted_lever[0] != frame:
            c.fitted_lever = (frame, self._lever_fits_in(s, [(c.timing.start_s, c.timing.end_s)])[0])
        return c.fitted_lever[1]

    def _turned_otherwise(self, s: SetState, cand: Candidate, others: list[Candidate],
                          down_ratio: float = HALF_LEVER_RATIO, both_ratio: float | None = None) -> bool:
        """With a gyroscope: whether ``cand`` turned on its way up or on its way down about an axis more than
        ``HALF_LEVER_RATIO`` (its way down: ``down_ratio``) times nearer or further than the same way of the set
        ``s``'s reps ``others`` did (the median of at least two; levers fitted to each way, :meth:`_half_levers`), or,
        given ``both_ratio``, on both ways nearer (or both further) by that on geometric average.
        A set's reps turn alike; a posture change at its edge, counted as its first or last rep, turns about other
        axes: getting into a heel-tap set's tabletop from lying with the legs out, the heels slid up along the floor
        (the shin turning about the ankle, 0.1-0.3 m as fitted) before the legs rose about the hip (0.55-0.75 m, as
        the taps did); the way out, the heels slid back out (0.1-0.2 m against the taps' 0.5-0.6). Of 62 such "reps"
        counted in held-out suites (seeds 1-4), 43 differ so; of 7200 reps in sets, 6 do, and with the guards
        (``HALF_LEVER_DPS``, ``HALF_LEVER_SPREAD``) no set of seeds 0-7 lost a rep to this rule. Straightening
        the knees after a set of bent-knee raises, the heels sliding out, fits 1.3-2.2 times nearer both ways (seed 4
        #80): in sets of seeds 0-7 no rep's two ways are both nearer (or further) by more than 1.56 on average."""
        mine = self._half_levers(s, cand)
        refs = [self._half_levers(s, c) for c in others]
        logs = []  # (how much further than the set's, each way judged: log of the ratio)
        for k, lever in enumerate(mine):
            ref = [h[k] for h in refs if h[k] is not None]
            if lever is None or len(ref) < 2 or max(ref) > HALF_LEVER_SPREAD * min(ref):
                continue  # (the set's reps' own fits of this way disagree: too slow, noisy, to judge by)
            logs.append(float(np.log(max(lever, 0.01) / float(median(ref)))))
            if abs(logs[-1]) > np.log(HALF_LEVER_RATIO if k == 0 else down_ratio):
                return True
        return (both_ratio is not None and len(logs) == 2 and logs[0] * logs[1] > 0
                and abs(logs[0] + logs[1]) / 2 > np.log(both_ratio))

    def _half_levers(self, s: SetState, c: Candidate) -> tuple[float | None, float | None]:
        """With a gyroscope: the levers (m) the rep ``c`` turned about on its way up and on its way down, fitted to each
        (:meth:`_lever_fits_in`), in the set ``s``'s frame; None for a way turning slower than ``HALF_LEVER_DPS`` at its
        fastest (its own acceleration lost in the noise: slow lowerings fitted 0.1 m on reps of 0.6) or a rep not
        measured or under ``LEVER_ROM_DEG``. Fitted once per rep and frame, as it lands."""
        tm = c.timing
        if not self.has_gyro or not c.measured or c.inferred or tm.rom_deg < LEVER_ROM_DEG:
            return None, None
        frame = (s.home.tobytes(), s.axis.tobytes())
        if c.half_levers is None or c.half_levers[0] != frame:
            if tm.start_s - LEVER_LEAD_S < float(self._buf.get("t", self._buf.start, self._buf.start + 1)[0]):
                return None, None  # (no longer all buffered: not fitted to part of it)
            up, down = self._lever_fits_in(s, [(tm.start_s, tm.top_s), (tm.lower_s, tm.end_s)])
            c.half_levers = (frame, (None if up is None or tm.peak_up_dps < HALF_LEVER_DPS else up.lever_m,
                                     None if down is None or tm.peak_down_dps < HALF_LEVER_DPS else down.lever_m))
        return c.half_levers[1]

    def _lever_fits_in(self, s: SetState, spans_s: list[tuple[float, float]]) -> list[LeverFit | None]:
        """With a gyroscope, :func:`imu.ramp_fit.lever_fits` of the movements from and to the times of ``spans_s`` (s,
        s; a rep, or its way up and its way down, each fitted from ``LEVER_LEAD_S`` before it) in the set ``s``'s
        frame (None for one too short to fit)."""
        lead = int(LEVER_LEAD_S * GRID_HZ)
        idx = [(max(self._buf.start, self._buf.index_at(f) - lead), self._buf.index_at(t) + 1) for f, t in spans_s]
        a, b = min(i for i, _ in idx), max(j for _, j in idx)
        if b - a < 10:
            return [None] * len(spans_s)
        e2 = cross(s.axis, s.home)
        acc = self._buf.get("acc_g", a, b)
        phi = np.radians(leg_angle_deg(self._buf.get("g", a, b), s.home, s.axis))
        return lever_fits(self._buf.get("t", a, b), np.stack([acc @ s.home, acc @ e2], axis=1), phi,
                          self._front.lowpass.sos, [(i - a, j - a) for i, j in idx], self._seen(a)[: b - a])

    def _bottom_before(self, s: SetState) -> tuple[float, float] | None:
        """Whether the tentative set ``s`` is inside out: its home was found in its first rep's top
        hold (after a posture change ran into that rep, or a dropout hid its way up), so it counts from top
        to top. Then, shortly before the home, the leg rested still where the reps turn, in their plane,
        and moved from there only within the set's range: the end of that rest (s, s) is the set's real
        bottom (None if there is none, or if the reps show the set right side up: :meth:`_ankle_low_at_home`)."""
        tms = [c.timing for c in s.pending if c.measured]
        if not s.pending[0].measured or len(tms) < 2:  # (the first rep cut by a gap: its start is a guess)
            return None
        rom = float(median([tm.rom_deg for tm in tms]))
        # (not before what a long stay at home may have dropped whatever the chunking, see _trim; nor before the
        # last rep counted ended: started again from there, a set counted those reps again, suite #112 over a faulty
        # link, its second set overlapping the first by 10 s)
        lo_s = max(tms[0].start_s - INVERTED_LOOKBACK_S, self._inverted_after_s,
                   s.pending[-1].timing.start_s - (HOME_KEEP_S - 2.0), self.reps[-1].end_s if self.reps else -np.inf)
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
        if self._ankle_low_at_home(s, tms):
            return None  # (judged only once such a rest was found: it costs a pass over the reps)
        end = lo + runs[k][1] - 1  # last sample of that rest
        return float(self._buf.get("t", end - n + 1, end)[0]), float(self._buf.get("t", end + 1, end + 2)[0])

    def _ankle_low_at_home(self, s: SetState, tms: list[RepTiming]) -> bool:
        """Whether, without a gyroscope, the reps ``tms`` of the set ``s`` show it right side up, by
        ``ANKLE_LOW_MARGIN``: their own acceleration puts the ankle lower at the set's home than at their tops where the
        preset's reps lift it (and higher where they lower it, heel taps) (:func:`imu.swing.ankle_lower_at`). A rest
        before the set at the level of the reps' tops is then the person's own, not the set's bottom."""
        lifts = self.preset.rep_lifts_ankle
        if lifts is None or self.has_gyro:
            return False
        a, b = self._buf.index_at(tms[0].start_s), self._buf.index_at(tms[-1].end_s) + 1
        g = self._buf.get("g", a, b)
        tops = unit(np.mean([g[self._buf.index_at(tm.top_s) - a] for tm in tms], axis=0))
        lower = ankle_lower_at(s.home, tops, g, self._buf.get("acc_g", a, b), self._buf.get("speed_dps", a, b))
        return (lower if lifts else -lower) > ANKLE_LOW_MARGIN

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

    def _consistent(self, s: SetState, cand: Candidate, peak_g: np.ndarray) -> bool:
        """Whether ``cand`` belongs to the set ``s``: the same axis, resting level and about the same range, not lowered
        far slower (:meth:`_lowered_slower`), not fitted far beyond its tilt (:meth:`_fit_beyond_tilt`). A rep cut by a
        long gap is only held to the axis (the gap hid part of its range) and, with a gyroscope, the resting level (a
        posture move's "rep" before a set, then the set's first reps, the third cut by a dropout, were taken for a set
        from the wrong rest and counted top to top, suite #112 set 1, Movesense over a faulty link: 14 -> 8; without one
        the level a brisk rep leaves from is read off a tilt its own acceleration distorts, and a cut rep has no fitted
        range to correct it: heel taps, seated raises and flutter kicks broke up so, suite #1, #71, #81, Polar). One
        whose tilt the leg's own acceleration distorted (:attr:`Candidate.tilt_distorted`) is held to the axis, its
        fitted range and its pace."""
        if (not s.pending and not s.reps) or cand.inferred:  # (inferred: misread, see _complete)
            return True
        timing = cand.timing
        if self._off_axis(s, peak_g) or self._fit_beyond_tilt(cand):
            return False
        roms = [c.timing.rom_deg for c in s.pending + s.emitted if c.measured]
        if not roms:
            return True
        med = float(median(roms))
        if not cand.measured:  # (the rest it left was seen, or it is taken where the set rests: see _complete)
            return not (self.has_gyro and self._rests_apart(s, timing.bottom_deg, med))
        if cand.tilt_distorted:  # (its resting level is the distorted tilt's too: held to its fitted range alone)
            rom = cand.reported.rom_deg
        elif (self._rests_apart(s, timing.bottom_deg, min(timing.rom_deg, med))
              and not self._fit_rests_with(s, cand, med)):
            return False
        else:
            rom = timing.rom_deg
        return 0.25 * med <= rom <= 4.0 * med and not self._lowered_slower(s, cand.timing.peak_down_dps)

    def _fit_beyond_tilt(self, cand: Candidate) -> bool:
        """Without a gyroscope: whether the rep ``cand`` fitted to the readings as a turn about a pivot
        (:mod:`imu.ramp_fit`) ranges beyond ``FIT_BEYOND_TILT`` times its tilt's range (and ``min_rom_deg``): no turn of
        the leg, so no rep of a set (walking steps after a set of rest fidgets, 11 deg of tilt each, fitted 77-206 deg
        and were counted as 42 more reps of it, #45 of the suite's seed 2). The suite's reps in sets (seeds 0-2) fit
        within 1.5 times their tilt's range in 99 % of cases, 2.3 in 99.9 %. Not for flutter kicks: one of 7.5 deg
        fitted 104 (seed 1 #15), and kicks follow each other without a pause, which splits their set. Nor across lost
        data: a side lift 0.37 s of whose readings were lost fitted too far (suite #103, Polar over a faulty link)."""
        fit = cand.ramp_fit
        return (fit is not None and self.preset.slug != "flutter-kick" and cand.gap_s == 0.0
                and fit.rom_deg > FIT_BEYOND_TILT * cand.timing.rom_deg + self._min_rom_deg)

    def _fit_rests_with(self, s: SetState, cand: Candidate, med_deg: float) -> bool:
        """Without a gyroscope: whether the rep ``cand``'s fit to the readings (:mod:`imu.ramp_fit`, the leg's own
        acceleration included) rests where the set ``s``'s reps do, whatever its tilt says: a brisk rep leaves from a
        level its own acceleration turns the tilt away from (Polar heel taps at 200 Hz, suite #1 set 1: the third rep's
        tilt rested 13.8 deg below the set's, its fit 0.9; the set was closed and its first three reps lost). Only for
        a rep at the set's pace (lasting at least 1 / ``LIKE_SET_FACTOR`` of its reps' median): a 0.6 s jerk of the
        leg as the person stood up after seated raises of 2 s (suite #93) rests where they did too. And only below
        the set's level, where that acceleration turns the tilt (it lags the leg leaving): a tilt resting above it is
        the leg's (a set found inside out, its "rep" from top to top, suite #5: held in it, the set was restarted
        from its real bottom a second later)."""
        fit = cand.ramp_fit
        if self.has_gyro or fit is None or cand.timing.bottom_deg > float(median(s.bottoms)):
            return False
        durations = [c.timing.end_s - c.timing.start_s for c in s.pending + s.emitted if c.measured]
        if fit.end_s - fit.start_s < float(median(durations)) / LIKE_SET_FACTOR:
            return False
        return not self._rests_apart(s, fit.top_deg - fit.rom_deg, min(fit.rom_deg, med_deg))

    @staticmethod
    def _lowered_slower(s: SetState, peak_down_dps: float) -> bool:
        """Whether a rep that came down at ``peak_down_dps`` at the fastest came down more than
        ``SLOWER_LOWERING_FACTOR`` times slower than the confirmed set ``s``'s reps (their median): a set's reps
        keep their pace, changing it gradually as they tire; the leg let down slowly as the person sits up or bends
        the knees straight after the last rep does not (29-46 deg/s after reps lowered at 126-226: counted as one
        more rep, or as a false one)."""
        downs = [c.timing.peak_down_dps for c in s.emitted if c.measured]
        return s.number is not None and bool(downs) and SLOWER_LOWERING_FACTOR * peak_down_dps < float(median(downs))

    @staticmethod
    def _off_axis(s: SetState, peak_g: np.ndarray) -> bool:
        """Whether a rep peaking at gravity direction ``peak_g`` turned about another axis than the set ``s``'s
        reps (further apart than ``AXIS_AGREE_DEG``)."""
        axis = plane_axis(s.home, peak_g)
        return axis is None or np.degrees(np.arccos(np.clip(axis @ s.axis, -1, 1))) > AXIS_AGREE_DEG

    @staticmethod
    def _rests_apart(s: SetState, bottom_deg: float, rom_deg: float) -> bool:
        """Whether a rep resting at ``bottom_deg`` rests elsewhere than the reps of the set ``s``: further from
        their median resting level than 5 deg or a fifth of ``rom_deg`` (the smaller of its range and theirs)."""
        return abs(bottom_deg - float(median(s.bottoms))) > max(5.0, 0.2 * rom_deg)

    def _emit(self, s: SetState, c: Candidate) -> list[Event]:
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
            upd = replace(prev, bottom_hold_s=hold, flags=ordered_flags(pflags))
            s.reps[-1] = upd
            self._store(next(i for i in range(len(self.reps) - 1, -1, -1) if self.reps[i] is prev), upd)
            events.append(Event("update", upd))
        rep = Rep(set=s.number, rep=len(s.reps) + 1, start_s=timing.start_s, top_s=timing.top_s,
                  lower_s=timing.lower_s, end_s=timing.end_s, rom_deg=timing.rom_deg,
                  peak_up_dps=timing.peak_up_dps, peak_down_dps=timing.peak_down_dps,
                  peak_accel_g=timing.peak_accel_g,
                  bottom_deg=timing.bottom_deg, flags=ordered_flags(flags), gap_s=c.gap_s)
        s.reps.append(rep)
        s.emitted.append(c)
        s.last_end_s = c.timing.end_s
        self._store(None, rep)
        events.append(Event("rep", rep))
        return events

    def _rested(self, a_s: float, b_s: float, s: SetState) -> bool:
        t = self._buf.get("t", self._buf.start)
        m = (t >= a_s) & (t <= b_s)
        if not m.any():
            return False
        idx = self._buf.start + np.flatnonzero(m)
        level = self._angle_deg(unit(self._buf.get("acc_g", idx[0], idx[-1] + 1)))
        speed = self._buf.get("speed_dps", idx[0], idx[-1] + 1)
        return feet_rested(level, speed, s.ready_deg, self.preset, GRID_HZ)

    def _ready_level_deg(self, on: int, s: SetState | None = None) -> float:
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
        self._set = SetState(home=unit(self._buf.get("g", a, b).mean(axis=0)))
        self._level = 0.0
        self._state, self._pos, self._home_since = HOME, b, b
        return []


def _continuous(tms: list[RepTiming]) -> bool:
    """Whether the reps ``tms`` (two or more, in order) follow each other without pauses, at the top or between
    them (shorter than ``GAIT_PAUSE_S``), each shorter than ``GAIT_CYCLE_S``: walking, or flutter kicks."""
    holds = [tm.lower_s - tm.top_s for tm in tms]
    pauses = [b.start_s - a.end_s for a, b in zip(tms, tms[1:])]
    return median(holds) < GAIT_PAUSE_S and median(pauses) < GAIT_PAUSE_S and median(
        [tm.end_s - tm.start_s for tm in tms]) < GAIT_CYCLE_S
