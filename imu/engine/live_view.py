"""What a live view reads off the engine while a rep is under way (:class:`LiveView`)."""
from __future__ import annotations

from statistics import median

import numpy as np

from imu import lean_numpy
from imu.block import GRID_HZ
from imu.bridge import SWING_G, UNRELIABLE_G
from imu.engine.params import (
    BELOW_REST_DEG, EXCURSION, EXIT_FRACTION, HALF_LEVER_BOTH_RATIO, HALF_LEVER_RATIO, HOME, KEPT_REPS,
    KICK_LANDED_FRACTION, LANDED_FRACTION, LIKE_SET_FACTOR, LIVE_HALF_LEVER_RATIO, MIN_REP_S, REST_WINDOW_S,
    RHYTHM_FACTOR, SEEK, SETTLE, STILL_S,
)
from imu.engine.state import Candidate, SetState
from imu.held import kicks_landed, reps_landed
from imu.orientation import leg_angle_deg
from imu.phases import RepTiming


class LiveView:
    """The live view's readings of :class:`imu.engine.RepEngine`: phase, the count shown before a rep settles
    (:attr:`count_now`), the set it counts, the leg angle. A mixin: it reads the engine's state."""

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
    def set_end_due_s(self) -> float | None:
        """While a confirmed set waits at its resting position: the sensor time (s) at which the pause ends it (its
        last rep's end plus the preset's ``set_gap_s``) unless a rep starts first; None otherwise."""
        s = self._set
        if self._state != HOME or s is None or s.number is None or s.last_end_s is None:
            return None
        return s.last_end_s + self.preset.set_gap_s

    @property
    def current_set(self) -> int | None:
        return None if self._set is None else self._set.number

    @property
    def count_set(self) -> int | None:
        """The set :attr:`count_now` counts: the current (confirmed) set, or the next set's number while the rep
        that would make a tentative set of it has landed (see :meth:`_landed_making_set`); None otherwise."""
        s = self._set
        if s is None:
            return None
        if s.number is not None:
            return s.number
        return self._sets_done + 1 if self._landed_making_set(s) else None

    def _landed_making_set(self, s: SetState) -> int:
        """How many reps landed after the measured ones of the tentative set ``s`` (0: none, the set is not counted
        yet). When ``s`` has ``min_set_reps - 1`` measured reps (or at least two, without a gyroscope, and the
        readings held back show the rest of the ``min_set_reps`` landed: Polar flutter kicks, a set from 4, suite
        #13 and #85, the state machine behind the bridge was settling the third as the fourth landed: counted
        0.31-0.37 s late) and the leg is back within ``LANDED_FRACTION`` of an excursion like theirs (half their
        median range, at least ``min_rom_deg``, up to ``LIKE_SET_FACTOR`` times it), not settled yet, their
        durations within ``RHYTHM_FACTOR`` of each other, and they are judged a set as they are
        (:meth:`_judge_tentative`, no inside-out bottom by :meth:`_bottom_before`); without a gyroscope also when
        the latest readings show that rep ended before the state machine saw it (:meth:`_landed_unseen`, measured
        against the tentative reps). That rep makes the set ready to be judged (it is judged when the rep settles,
        and taken back if it is no set); the live view counts the set from then on: that rep and as many more as
        the readings held back show (kicks held back together: a Polar flutter kick after the one that made its
        set, suite #81 set 2, was counted only when the set was confirmed, 0.32 s after it ended; a lying leg raise
        held back whole while the state machine settled the one that made its set, #67 and #113, 0.4 s after)."""
        short = self.preset.min_set_reps - len(s.pending)  # (reps the set lacks)
        if (not 1 <= short <= max(1, self.preset.min_set_reps - 2) or not all(c.measured for c in s.pending)
                or self._state == SEEK or not self._leaves_set_rest(s)):
            return 0
        rom = self._set_rom_deg(s, s.pending)  # (all measured)
        landed = (self._state == SETTLE and self._exc.get("landed", False)
                  and self._rep_like_deg(rom) <= self._exc["height"] <= LIKE_SET_FACTOR * rom)
        n = landed + self._landed_unseen(s, landed, s.pending)
        if n < short:
            return 0
        durations = [c.timing.end_s - c.timing.start_s for c in s.pending]
        if landed:  # (the one landing so far: it has taken at least this long)
            now = min(self._pos, self._buf.end) - 1
            durations.append(float(self._buf.get("t", now, now + 1)[0] - self._buf.get("t", self._exc["on"],
                                                                                     self._exc["on"] + 1)[0]))
        if max(durations) > RHYTHM_FACTOR * min(durations):  # (a set's reps keep a rhythm)
            return 0
        key = (id(s), len(s.pending), s.pending[0].timing.start_s, s.pending[-1].timing.end_s)
        if self._looks_set[0] != key:  # (judged once per landing: the reps so far as a set, as they will be)
            looks = len(s.pending) >= 2 and self._judge_tentative(s) == "set" and self._bottom_before(s) is None
            self._looks_set = (key, looks)
        return n if self._looks_set[1] else 0

    @property
    def count_now(self) -> int:
        """Reps of the current (confirmed) set a live view shows: those reported, and one whose leg is
        back within ``LANDED_FRACTION`` of its excursion from the resting level (or stopped within
        ``STOP_LANDED_FRACTION`` of it, see :meth:`~imu.engine.RepEngine._settle`) but has not settled yet
        (it is reported, with its tempo and flags, when it settles; should what follows show it was not
        a rep, a posture change say, the count goes back down). Without a gyroscope also those that the
        latest readings show ended before the state machine saw them (:meth:`_landed_unseen`). For a
        tentative set, ``min_set_reps`` once the rep that makes it ready to be judged has landed
        (:attr:`count_set` then names the set it would be), 0 before; 0 outside a set."""
        s = self._set
        if s is None:
            return 0
        if s.number is None:  # a tentative set: counted once the rep that makes it ready has landed
            landed = self._landed_making_set(s)
            return len(s.pending) + landed if landed else 0
        if not self._leaves_set_rest(s):
            return len(s.reps)
        landed = (self._state == SETTLE and self._exc.get("landed", False)
                  and self._exc["height"] >= self._rep_like_deg(self._set_rom_deg(s)))
        if landed and self._turned_otherwise_so_far(s, self._exc["on"]):
            return len(s.reps)
        return len(s.reps) + landed + self._landed_unseen(s, landed)

    def _turned_otherwise_so_far(self, s: SetState, on: int) -> bool:
        """With a gyroscope: whether the excursion that left home at ``on`` turned, on its way up or its way down so
        far, about another axis than the set ``s``'s reps did (:meth:`_turned_otherwise`, the way down by
        ``LIVE_HALF_LEVER_RATIO``: so far it lacks its slowing, and its lever reads short): a posture change at the
        set's end, which the set will not count (so neither does the live view). Judged once, as it lands."""
        if not self.has_gyro:
            return False
        if self._exc_axes[0] != (id(s), on):
            theta, t = self._theta(on), self._buf.get("t", on)
            top = int(np.argmax(theta))
            speed = lean_numpy.gradient(theta, t) if len(t) > 1 else np.zeros(1)
            so_far = RepTiming(float(t[0]), float(t[top]), float(t[top]), float(t[-1]), float(theta[top] - theta[0]),
                               float(theta[0]), float(theta[top]), float(theta[-1]), float(speed[: top + 1].max()),
                               float(-speed[top:].min()))
            ratio = HALF_LEVER_RATIO if self._exc.get("stopped") else LIVE_HALF_LEVER_RATIO  # (stopped: slowed too)
            self._exc_axes = ((id(s), on), self._turned_otherwise(s, Candidate(so_far), s.emitted[-KEPT_REPS:],
                                                                  ratio, HALF_LEVER_BOTH_RATIO))
        return self._exc_axes[1]

    def _leaves_set_rest(self, s: SetState) -> bool:
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
            if own < self._min_rom_deg or self._lowered_slower(s, self._lowering_dps(on)):
                return False
            rom = min(rom, own)
        return not self._rests_apart(s, bottom, rom)

    def _lowering_dps(self, on: int) -> float:
        """Fastest lowering (deg/s) since the top of the excursion that left home at ``on``, as far as it has come."""
        theta, t = self._theta(on), self._buf.get("t", on)
        top = int(np.argmax(theta))
        return float(-lean_numpy.gradient(theta[top:], t[top:]).min(initial=0.0)) if len(t) - top > 1 else 0.0

    def _set_rom_deg(self, s: SetState, reps: list | None = None) -> float:
        """Median range (deg) of the measured ones of ``reps`` (default: the set ``s``'s emitted reps; the
        preset's target before there is one)."""
        reps = s.emitted if reps is None else reps
        return float(median([c.timing.rom_deg for c in reps if c.measured] or [self.preset.target_rom_deg]))

    def _rep_like_deg(self, rom_deg: float) -> float:
        """Smallest excursion (deg) a live view counts before it settles as a rep of a set whose reps span
        ``rom_deg``: half that, at least the preset's ``min_rom_deg`` (smaller ones, a leg shifted after the
        set, mostly turn out to be none)."""
        return max(self._min_rom_deg, 0.5 * rom_deg)

    def _landed_unseen(self, s: SetState, landed: bool, reps: list | None = None) -> int:
        """Without a gyroscope: reps of the set ``s`` (after its ``reps``: default its emitted ones) that the
        latest readings show ended (:func:`imu.held.reps_landed`) before the state machine can see them (the front
        end still holds them back, bridging a swing, or the low-passed tilt lags them: the leg seen away in them by
        a swing (:meth:`_swing_g`), or held still at least :meth:`_rep_like_deg` up, then back and still at most
        ``LANDED_FRACTION`` of the set's range up and at most ``BELOW_REST_DEG`` below); in continuous swinging,
        that the open window's fitted directions show ended (:func:`imu.held.kicks_landed`: back within
        ``KICK_LANDED_FRACTION`` of the set's range)."""
        reps = s.emitted if reps is None else reps
        if self.has_gyro or self._front is None or not reps or self._state == SEEK:
            return 0
        t, raw, acc_lp = self._front.bridge.recent_readings()
        seen_s = float(self._buf.get("t", self._buf.end - 1, self._buf.end)[0])
        measured_reps = [c.timing for c in reps if c.measured]
        rom = self._set_rom_deg(s, reps)
        swing_g = self._swing_g(measured_reps)
        away_since_s, since_s = None, seen_s  # (the state machine saw the leg at home, or landed, up to there)
        last_end_s = seen_s if landed else reps[-1].timing.end_s
        if self._state in (EXCURSION, SETTLE) and not landed:
            on = self._exc["on"]
            theta = self._theta(on)
            if float(theta.max()) - self._exc["level"] >= self._rep_like_deg(rom):
                away_since_s = float(self._buf.get("t", on, on + 1)[0])
                since_s = float(self._buf.get("t", on + int(np.argmax(theta)))[0])  # back after its top
        keep, rest_max_deg = t > since_s, self._level + LANDED_FRACTION * rom
        still = reps_landed(t[keep], raw[keep], acc_lp[keep], s.home, s.axis, rest_max_deg, swing_g, away_since_s,
                            last_end_s, MIN_REP_S, up_min_deg=self._level + self._rep_like_deg(rom),
                            rest_min_deg=self._level - BELOW_REST_DEG)
        kicks = self._front.bridge.open_window()  # (continuous swinging: no still reading until it stops)
        angle = None if kicks is None else leg_angle_deg(kicks[1], s.home, s.axis)
        if angle is not None and angle.min() >= self._level - BELOW_REST_DEG:  # (else a fit gone wrong)
            kick_max_deg = self._level + KICK_LANDED_FRACTION * rom
            still = max(still, kicks_landed(kicks[0], angle, kick_max_deg, self._level + EXIT_FRACTION * rom,
                                            LANDED_FRACTION * rom, self._level + self._rep_like_deg(rom),
                                            away_since_s, last_end_s, self._least_rep_s(measured_reps)))
        return self._held_landings((id(s), len(reps), landed), still, seen_s, float(t[-1]) if len(t) else seen_s)

    def _held_landings(self, key: tuple, n: int, seen_s: float, newest_s: float) -> int:
        """``n``, the reps the readings held back show landed after those the state machine saw (``key``: which), or
        more: as many as they showed before, until the state machine has seen the readings they were counted in
        (up to ``newest_s``, s; it has seen up to ``seen_s``) and, if it is settling an excursion, decided it. The
        readings held back are refitted as more come, and a refit may not show a landing the one before showed; nor
        need the state machine, reading the leg back later (within ``LANDED_FRACTION`` of the set's range, not
        ``KICK_LANDED_FRACTION``): the count shown goes back only on what the state machine decides (Polar hanging
        leg raises, suite #117, a rep counted 0.2 s before its end went back down for 0.2 s)."""
        old_key, old_n, until_s = self._held_shown
        if old_key == key and old_n >= n and (seen_s < until_s or self._state == SETTLE):
            return old_n
        if n:
            self._held_shown = (key, n, newest_s)
        return n

    @staticmethod
    def _least_rep_s(reps: list) -> float:
        """Shortest time (s) a rep of a set whose measured rep timings are ``reps`` takes from the last one's end to
        its landing, as a live view reads it held back: ``MIN_REP_S``, or ``1 / RHYTHM_FACTOR`` of their quickest
        (a set's reps keep a rhythm: in the live benchmark a Polar set of 5 s bent-knee raises read a 0.45 s shift
        of the leg after it as a rep, suite #15, and swung hanging leg raises the leg swinging back up from a drop
        as a second one, #87: each counted and taken back)."""
        return max(MIN_REP_S, min((tm.end_s - tm.start_s for tm in reps), default=0.0) / RHYTHM_FACTOR)

    @staticmethod
    def _swing_g(reps: list) -> float:
        """How far off 1 g (g) the low-passed acceleration goes in a swing that starts a rep of a set whose
        measured rep timings are ``reps``: ``SWING_G``, or their median peak (:func:`imu.phases.peak_accel_g`) if
        lower but still off by ``UNRELIABLE_G`` (the bridge holds such reps back too); never for reps under that.
        A set of Polar heel taps peaking at 0.48 g (suite #1) had none marked away in the readings held back and
        was counted as they were released, 0.3-0.4 s after they ended."""
        peak_g = float(median([tm.peak_accel_g for tm in reps] or [0.0]))
        return min(SWING_G, peak_g) if peak_g >= UNRELIABLE_G else np.inf

    def angle_now_deg(self) -> float:
        if len(self._buf) == 0 or self._set is None:
            return float("nan")
        return float(self._theta(self._buf.end - 1, self._buf.end)[0])
