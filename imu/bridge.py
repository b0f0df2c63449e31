"""Without a gyroscope: the gravity direction while the leg's own acceleration hides it.

The accelerometer is then the only orientation sensor, and while the leg is swung
hard its own acceleration (several g when it is flung up) hides gravity completely. Where the
low-passed acceleration's magnitude is more than ``UNRELIABLE_G`` off 1 g (and for ``SETTLE_S``
after it was off for ``SUSTAINED_S`` or longer: readings that pass through 1 g in the middle of a swing
say nothing) the gravity direction is bridged between the reliable directions on either side, held
back until the leg is readable again (at most ``MAX_BRIDGE_S``): by the fitted swing
(:func:`imu.swing.swing_directions`) when the leg was thrown (``SWING_G``) and the stretch is a turn of
the shin about one axis, else by interpolating across the readings off 1 g. Continuous swinging (no
reliable reading for longer than that) is bridged swing by swing between the pauses in it: where the
unfiltered accelerometer stays within ``PAUSE_G`` of 1 g and turns slower than ``PAUSE_DPS`` for
``PAUSE_S`` (the leg caught at the bottom; the low-passed reading still rings there), the last such
sample is taken as it points. Between pauses further apart than ``MAX_BRIDGE_S`` (or with none: flutter
kicks) the swinging is fitted in windows of ``WINDOW_S``, each from the fitted end of the one before.
A bridge starts where the reading began to leave 1 g (``EDGE_G``, as the unfiltered one turned faster
than ``EDGE_DPS``; or where the unfiltered one is more than ``SWING_G`` off it: the low-passed one passes
through 1 g as a leg pushed down from the top first presses into the strap, then falls away from it), and
readings interpolated across lost data are neither bridged from nor fitted (data that came back mid-swing
after a long gap are fitted from there), nor are readings right after a short hole that turn faster than
``HOLE_TURN_DPS`` (a throw hidden in the hole). A stretch off 1 g that begins within ``SETTLE_S`` after a throw is
part of it (see ``AccOnlyBridge._settled``).

Samples are held back while a stretch may yet be bridged and released once their direction is settled;
every decision depends only on the samples, so the result does not depend on how the stream was chunked.
"""
from __future__ import annotations

import numpy as np

from imu.block import GRID_HZ, Block
from imu.gaps import LONG_GAP_S
from imu.masks import true_runs
from imu.orientation import norm, turn_rate_dps, unit
from imu.swing import fit_swing, swing_directions

UNRELIABLE_G = 0.25  #: the low-passed acceleration this far off 1 g (g) does not point along gravity
MAX_BRIDGE_S = 2.5  #: longest stretch bridged (s)
WINDOW_S = 1.0  #: swinging that goes on longer (flutter kicks) is fitted in windows this long (s)
SETTLE_S = 0.3  #: readings are unreliable this long (s) after a sustained stretch off 1 g
SUSTAINED_S = 0.16  #: off 1 g this long (s) is a swing, not a footstep
SWING_G = 0.5  #: a stretch whose acceleration left 1 g by this much (g) is fitted as a swing
EDGE_G = 0.03  #: an unreliable stretch starts where the low-passed acceleration left 1 g by this (g) ...
EDGE_DPS = 15.0  #: ... and the unfiltered one turned faster than this (deg/s) ...
EDGE_S = 0.2  #: ... up to this long (s) before it left by UNRELIABLE_G
PAUSE_G = 0.1  #: within this of 1 g (g) ...
PAUSE_DPS = 60.0  #: ... and turning slower than this (deg/s) ...
PAUSE_S = 0.08  #: ... for this long (s), the leg pauses between swings
HOLE_TURN_DPS = 300.0  #: the low-passed reading within SETTLE_S after a short hole in the data, turning faster
#: than this (deg/s), is a swing's, not gravity's (a throw hidden in the hole; fed a straight line across it, the low
#: pass passes through 1 g): at 300 deg/s the centripetal acceleration alone is 0.28 g with a 10 cm lever. A single
#: leg raise thrown in a Polar hole read 365-885 deg/s through 1 g just after it (suite #105 set 1: 5 of 13); lying
#: leg raises rising just after a hole turned up to 205 deg/s (suite #121 set 2: 9 of 14 with every reading within
#: SETTLE_S after a hole held unreliable)
RECENT_N = 25  #: readings released last that a live view may still look at (see recent_readings)
OPEN_UNTHROWN_S = 0.5  #: a live view reads a swing not thrown held back this long (s) or longer (see open_window)
HOLE_END = 3  #: a window's end (see ``AccOnlyBridge._ends``) fitted in a short hole in the data


class AccOnlyBridge:
    """Releases grid samples with their gravity directions settled (see the module docstring)."""

    def __init__(self) -> None:
        self._held: Block | None = None  # samples waiting for a reliable direction
        self._held_ok: np.ndarray | None = None
        self._held_pause: np.ndarray | None = None
        self._held_edge: np.ndarray | None = None
        self._held_raw: np.ndarray | None = None
        self._recent = (np.empty(0), np.empty((0, 3)), np.empty((0, 3)))  # the last released: t, raw, low-passed
        self._last_ok_g: np.ndarray | None = None  # direction, time and acceleration of the last reliable
        self._last_ok_t: float | None = None  # sample released
        self._last_ok_acc: np.ndarray | None = None
        self._last_ok_end = 0  # ... and whether it ended a window of continuous swinging (see _ends)
        self._last_ok_in_gap = False  # ... and whether it was interpolated across a long gap
        self._ends = np.zeros(0, np.int8)  # per sample of the call in progress: 1, 2, 3 end a window (see _bridge)
        self._off_run = 0  # samples off 1 g at the end of the last block
        self._off_peak = 0.0  # ... how far off (g) ...
        self._off_chained = False  # ... whether part of a throw before it (see _settled)
        self._thrown = False  # whether the last sustained stretch off 1 g was a throw
        self._since_sustained = int(round(SETTLE_S * GRID_HZ))  # samples since a sustained stretch off 1 g ended
        self._since_hole = int(round(SETTLE_S * GRID_HZ))  # samples since a short hole in the data ended
        self._run_t0: float | None = None  # start of an unreliable run still open at the last call
        self._run_long = False  # ... and whether it is longer than MAX_BRIDGE_S (bridged between its pauses)
        self._lp_prev: np.ndarray | None = None  # the last low-passed direction (its turning rate)
        self._raw_prev: np.ndarray | None = None  # the last two raw directions (the pauses' turning rate)
        self._open_fit: tuple = (None, None)  # (held samples it was fitted on, directions): see open_window

    def __call__(self, new: Block, acc_g: np.ndarray) -> Block:
        """``new``: the next grid samples, their ``g`` the direction of their low-passed acceleration
        (``new.acc_g``); ``acc_g`` (n, 3): their unfiltered acceleration (g). Returns the samples released
        now (``speed_dps`` left to the caller). An empty block (the mark of a long gap, before any grid
        sample after it) changes nothing and is returned as it is."""
        if len(new.t) == 0:
            # (a throw before the gap says nothing of what the leg does after it)
            self._thrown = self._off_chained = False
            return new
        off_1g = np.abs(norm(new.acc_g) - 1.0)
        near_1g = off_1g < UNRELIABLE_G
        # (a short hole in the data is interpolated: what it reads is no direction to bridge from)
        ok = near_1g & self._settled(off_1g) & ((new.gap_s == 0.0) | (new.gap_s > LONG_GAP_S))
        pause, turn_dps = self._paused(acc_g)
        ok &= ~(self._after_holes(new.gap_s) & (self._lp_turn_dps(new.g) > HOLE_TURN_DPS))
        # (the low-passed reading may pass through 1 g between a press into the strap and a fall away from it;
        # the unfiltered one is then far from it)
        edge = ((off_1g > EDGE_G) & (turn_dps > EDGE_DPS)) | (np.abs(norm(acc_g) - 1.0) > SWING_G)
        return self._bridge(new, ok, pause, acc_g, edge)

    def flush(self) -> Block | None:
        """Samples still held back, released as they are: at the end of a stream."""
        held, self._held, self._held_ok, self._held_pause, self._held_raw = self._held, None, None, None, None
        self._held_edge = None
        return held if held is not None and len(held) else None

    def recent_readings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last ``RECENT_N`` samples released and those held back, as read: (times s, unfiltered and
        low-passed acceleration g (n, 3)) (see :mod:`imu.held`)."""
        if self._held is None:
            return self._recent
        t, raw, lp = self._recent
        return (np.concatenate([t, self._held.t]), np.concatenate([raw, self._held_raw]),
                np.concatenate([lp, self._held.acc_g]))

    def open_window(self) -> tuple[np.ndarray, np.ndarray] | None:
        """For a live view only: (times s, gravity directions (n, 3)) of the samples held back in the window of
        continuous swinging still open, fitted as its complete window will be (from the fitted end of the one
        before) but ending, free, at the newest sample; or of a swing still open right after a reliable reading,
        fitted from it the same way; None when neither is open or it does not fit a swing. What is released does
        not change: a live count may read the leg coming back in these up to ``WINDOW_S`` before they are
        (flutter kicks were counted 0.1-1.1 s late, by where they fell in it), or before a swing's bridge closes
        (Polar lying leg raises thrown up and dropped, suite #65, were counted up to 1.5 s late as the leg swung
        on before it was still). A swing not thrown (``SWING_G``) is read once it has gone on ``OPEN_UNTHROWN_S``:
        partial Polar flutter kicks (0.37 g) right after a pause were counted 0.4-0.5 s late (suite #85 set 3);
        fits of shorter ones, a fraction of a lift, showed reps back before they were (two dozen counted and taken
        back over the suite)."""
        held = self._held
        if (held is None or len(held) < 6 or self._last_ok_end not in (0, 2)  # (from a reliable reading or a fit)
                or not _follows(self._last_ok_t, held.t[0])
                or (np.abs(norm(held.acc_g) - 1.0).max() < SWING_G
                    and (self._last_ok_end == 2 or len(held) < OPEN_UNTHROWN_S * GRID_HZ))):
            return None
        if self._open_fit[0] != (held.t[0], len(held)):  # (fitted once per held stretch)
            fit = fit_swing(*_from_left(held, 0, len(held), self._last_ok_t, self._last_ok_acc),
                            start_dir=self._last_ok_g, free_end=True)
            # (a fraction of a kick does not tell the lever: only the fit is asked for, the window checks the lever)
            self._open_fit = ((held.t[0], len(held)), fit.directions[1:] if fit is not None and fit.fits else None)
        return None if self._open_fit[1] is None else (held.t, self._open_fit[1])

    def _settled(self, off_1g: np.ndarray) -> np.ndarray:
        """False for the ``SETTLE_S`` after each sustained stretch off 1 g (at least ``SUSTAINED_S``:
        a swing, not a footstep; ``off_1g``: how far the low-passed reading is off 1 g, g), counting across
        blocks. A stretch off 1 g that begins within the ``SETTLE_S`` after a throw (a sustained stretch
        that left 1 g by ``SWING_G``) is part of it, however short (the low-pass ringing after the throw, or
        the leg swung on from a top it did not hold: the reading passes through 1 g in between), and its own
        end starts the ``SETTLE_S`` again."""
        near_1g = off_1g < UNRELIABLE_G
        n, settle = len(near_1g), int(round(SETTLE_S * GRID_HZ))
        out = np.ones(n, bool)
        out[: max(0, settle - self._since_sustained)] = False
        last_end = None
        end = -self._since_sustained  # where the last sustained stretch ended (its settling runs from there)
        sustained = int(round(SUSTAINED_S * GRID_HZ))
        if n and near_1g[0] and self._off_run and (self._off_run >= sustained or self._off_chained):
            out[:settle] = False  # a stretch ended right at the block's start
            last_end = end = 0
            self._thrown = self._off_peak >= SWING_G or self._off_chained
        for s0, e0 in zip(*true_runs(~near_1g)):
            going_on = s0 == 0 and self._off_run > 0
            length = e0 - s0 + (self._off_run if going_on else 0)
            peak = max(float(off_1g[s0:e0].max()), self._off_peak if going_on else 0.0)
            chained = self._off_chained if going_on else (s0 < end + settle and self._thrown)
            if e0 == n:  # still off 1 g at the end of the block
                self._off_run, self._off_peak, self._off_chained = length, peak, chained
            elif length >= sustained or chained:
                out[e0 : e0 + settle] = False
                last_end = end = e0
                self._thrown = peak >= SWING_G or chained
        if n and near_1g[-1]:
            self._off_run, self._off_peak, self._off_chained = 0, 0.0, False
        since = self._since_sustained + n if last_end is None else n - last_end
        self._since_sustained = min(since, settle)
        return out

    def _after_holes(self, gap_s: np.ndarray) -> np.ndarray:
        """True for the ``SETTLE_S`` after each short hole in the data (``gap_s``: the length of the hole a
        sample lies in, s), counting across blocks: a throw may have begun in the hole, and the readings
        right after it may pass through 1 g as the swing's, not gravity's (see ``HOLE_TURN_DPS``)."""
        hole = (gap_s > 0.0) & (gap_s <= LONG_GAP_S)
        n, settle = len(hole), int(round(SETTLE_S * GRID_HZ))
        out = np.zeros(n, bool)
        out[: max(0, settle - self._since_hole)] = True
        ends = np.flatnonzero(~hole & np.concatenate(([False], hole[:-1])))
        for e in ends.tolist():
            out[e : e + settle] = True
        if n:
            self._since_hole = 0 if hole[-1] else min(settle, self._since_hole + n if not len(ends) else n - ends[-1])
        return out & ~hole

    def _lp_turn_dps(self, u: np.ndarray) -> np.ndarray:
        """How fast the low-passed reading's direction ``u`` (n, 3) turns from one grid sample to the next
        (deg/s), carried across blocks."""
        turn, self._lp_prev = turn_rate_dps(u, self._lp_prev, 1, GRID_HZ)
        return turn

    def _paused(self, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Whether the leg pauses at the unfiltered acceleration ``acc`` between swings: within
        ``PAUSE_G`` of 1 g and turning slower than ``PAUSE_DPS`` over two grid samples, carried across
        blocks; that turning rate, deg/s). Unfiltered: the low-pass rings for ~0.3 s after a swing is
        caught."""
        turn, self._raw_prev = turn_rate_dps(unit(acc), self._raw_prev, 2, GRID_HZ)
        return (np.abs(norm(acc) - 1.0) < PAUSE_G) & (turn < PAUSE_DPS), turn

    def _bridge(self, new: Block, ok: np.ndarray, pause: np.ndarray, raw: np.ndarray, edge: np.ndarray) -> Block:
        """Releases the samples whose direction is settled: reliable ones, unreliable runs no longer
        than ``MAX_BRIDGE_S`` fitted as a swing or interpolated between the reliable samples around
        them; a longer run (continuous swinging) piece by piece between the pauses in it (``pause``: the
        last sample of each pause is taken as the unfiltered acceleration ``raw`` points), pieces
        longer than ``MAX_BRIDGE_S`` window by window (:meth:`_fill_windows`).
        A run or piece still open at the end is held back while it may yet be bridged. Each run is
        judged by its own length and its pieces by their own data, so the result does not depend on how
        the stream was chunked."""
        blk = new if self._held is None else self._held.then(new)
        ok = ok if self._held_ok is None else np.concatenate([self._held_ok, ok])
        pause = pause if self._held_pause is None else np.concatenate([self._held_pause, pause])
        raw = raw if self._held_raw is None else np.concatenate([self._held_raw, raw])
        edge = edge if self._held_edge is None else np.concatenate([self._held_edge, edge])
        t, g, n = blk.t, blk.g.copy(), len(ok)
        given = ok  # (what is held keeps these: the edges are found again with what follows)
        ok, held_from = self._edges(edge, ok)
        if 0 < held_from < n and not ok[held_from - 1]:
            ok[held_from:] = False  # a run that those trailing edges may yet join to the next one: still open
        anchor = np.zeros(n, bool)  # pause ends (with the reliable samples, what a bridge starts from)
        # ends of the windows continuous swinging is fitted in (the same): 1 left as read, 2 fitted, HOLE_END
        # fitted in a short hole in the data
        self._ends = np.zeros(n, np.int8)
        release = n
        # the last sample of each pause long enough (a swing's turning point is not one) and over before the
        # end of the data, within unreliable runs (all of such a run is at hand whatever the chunking)
        pause_end = np.zeros(n, bool)
        p0, p1 = true_runs(pause & ~ok)
        pause_end[(p1 - 1)[(p1 - p0 >= round(PAUSE_S * GRID_HZ)) & (p1 < n)]] = True
        pause_end[held_from:] = False  # (judged once it is known whether those edges join a run)
        for s0, e0 in zip(*true_runs(~ok)):  # runs [s0, e0)
            t_start = self._run_t0 if s0 == 0 and self._run_t0 is not None else t[s0]
            long_run = (s0 == 0 and self._run_long) or t[e0 - 1] - t_start > MAX_BRIDGE_S
            if e0 == n:  # still open
                self._run_t0, self._run_long = t_start, long_run
            if not long_run:
                if e0 == n:
                    release = s0
                    break
                self._fill(blk, g, s0, e0, self._left(blk, g, s0, anchor), closed=True)
                continue
            a = s0
            for p in (s0 + np.flatnonzero(pause_end[s0:e0])).tolist():
                g[p] = unit(raw[p])
                if p > a:
                    self._fill(blk, g, a, p, self._left(blk, g, a, anchor), closed=True)
                anchor[p] = True
                a = p + 1
            if e0 == n:
                left = self._left(blk, g, a, anchor)
                # (a pause going on may yet end the piece, as may one among the trailing samples whose pauses
                # are judged later: the piece is judged up to where those begin)
                upto = min(max(a, int(p0[-1])) if p1.size and p1[-1] == n else n, max(a, held_from))
                if left[0] is not None and not _too_long(left[0], t[max(a, upto - 1)]) and not left[3]:
                    release = a  # the piece may yet be bridged
                    break
                # fitted window by window as far as it surely goes on (or released as it is), the rest held
                release = upto if left[0] is None else self._fill_windows(blk, g, a, upto, left, closed=False)
                break
            if a < e0:
                self._fill(blk, g, a, e0, self._left(blk, g, a, anchor), closed=True)
        if ok[-1]:
            self._run_t0, self._run_long = None, False
        release = min(release, held_from)
        good = np.flatnonzero((ok | anchor | (self._ends > 0))[:release])
        if len(good):
            self._last_ok_t, self._last_ok_g = t[good[-1]], g[good[-1]].copy()
            self._last_ok_acc = (g if anchor[good[-1]] else blk.acc_g)[good[-1]].copy()
            self._last_ok_end = int(self._ends[good[-1]])
            self._last_ok_in_gap = bool(blk.gap_s[good[-1]] > LONG_GAP_S)
        out = blk.cut(0, release, g)
        if release:
            self._recent = tuple(np.concatenate([old, new[:release]])[-RECENT_N:]
                                 for old, new in zip(self._recent, (t, raw, blk.acc_g)))
        rest = blk.cut(release, n, g)
        self._held, self._held_ok, self._held_pause, self._held_raw = (
            (rest, given[release:], pause[release:], raw[release:]) if len(rest) else (None, None, None, None))
        self._held_edge = edge[release:] if len(rest) else None
        return out

    @staticmethod
    def _edges(edge: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, int]:
        """``ok`` without the ``edge`` samples right before each unreliable run (already more than
        ``EDGE_G`` off 1 g, the unfiltered reading turning faster than ``EDGE_DPS``; at most ``EDGE_S``:
        the low-pass lags the start of a throw, and a bridge from a reading that the throw already tilts
        starts from a wrong angle), and where the trailing samples that may yet be such an edge begin
        (they are held back; a still leg a few hundredths off 1 g, a sensor's scale error, is none)."""
        n, most = len(ok), int(round(EDGE_S * GRID_HZ))
        ok = ok.copy()
        for s0 in (np.flatnonzero(ok[:-1] & ~ok[1:]) + 1).tolist():
            k = s0
            while k > max(0, s0 - most) and ok[k - 1] and edge[k - 1]:
                k -= 1
            ok[k:s0] = False
        k = n
        while k > max(0, n - most) and ok[k - 1] and edge[k - 1]:
            k -= 1
        return ok, k

    def _left(self, blk: Block, g: np.ndarray, s0: int, anchor: np.ndarray):
        """(time, direction, acceleration, window end) of the sample a stretch starting at ``s0`` is
        bridged from (a pause's end reads 1 g in its direction; a window's end, see ``_ends``, is where the
        fit put it, or as it read when the window did not fit)."""
        if s0 > 0:
            return blk.t[s0 - 1], g[s0 - 1], (g if anchor[s0 - 1] else blk.acc_g)[s0 - 1], int(self._ends[s0 - 1])
        return self._last_ok_t, self._last_ok_g, self._last_ok_acc, self._last_ok_end

    def _fill(self, blk: Block, g: np.ndarray, s0: int, e0: int, left, closed: bool = True) -> int:
        """Bridges ``g[s0:e0]`` (in place) between ``left`` and the sample ``e0`` (``closed``; else the
        stretch goes on past the data): by the fitted swing when the leg was thrown, else interpolated
        across the readings off 1 g. A stretch longer than ``MAX_BRIDGE_S`` from ``left`` (continuous
        swinging), and the rest of one (``left`` ends a window), goes window by window (see
        :meth:`_fill_windows`). Returns up to where ``g`` is settled (``e0`` unless the stretch is open)."""
        if left[1] is not None and (left[3] or _too_long(left[0], blk.t[e0 - 1])):
            return self._fill_windows(blk, g, s0, e0, left, closed)
        if closed:
            self._fill_one(blk, g, s0, e0, left)
            return e0
        return s0

    def _fill_one(self, blk: Block, g: np.ndarray, s0: int, e0: int, left) -> None:
        """Bridges ``g[s0:e0]`` as one stretch (see :meth:`_fill`)."""
        t = blk.t
        left_t, left_g, left_acc, end = left
        if left_g is None:
            left_t, left_g, left_acc = t[e0], g[e0], None
        off_1g = np.abs(norm(blk.acc_g[s0:e0]) - 1.0)
        after = np.flatnonzero(blk.gap_s[s0:e0] == 0.0)
        in_gap = (blk.gap_s[s0 - 1] > LONG_GAP_S and left_t == t[s0 - 1] if s0 > 0
                  else self._last_ok_in_gap and left_t == self._last_ok_t)
        if off_1g.max() >= SWING_G and in_gap and len(after) and e0 - (s0 + int(after[0])) >= 6:
            # bridged from a reading interpolated across a long gap (no direction to start from), and the data
            # came back mid-swing: the swing is fitted from where the data came back, its first direction too
            k = s0 + int(after[0])
            swing = swing_directions(t[k : e0 + 1], blk.acc_g[k : e0 + 1], blk.gap_s[k : e0 + 1] == 0.0,
                                     free_start=True)
            if swing is not None:
                g[k:e0] = swing[:-1]
                left_t, left_g, left_acc, end = t[k], swing[0], None, 0
                e0 = k
                off_1g = np.abs(norm(blk.acc_g[s0:e0]) - 1.0)
                if e0 == s0:
                    return
        if off_1g.max() >= SWING_G and left_acc is not None and _follows(left_t, t[s0]):
            args = (*_from_left(blk, s0, e0 + 1, left_t, left_acc), left_g if end == 2 else None)
            swing = swing_directions(*args)
            if swing is not None:
                g[s0:e0] = swing[1:-1]
                return
            if end == 2:  # the end of continuous swinging fitted window by window: the reading it ends on may
                # be a kick's turning point, not a pause (tilted by the leg's deceleration): fitted too
                swing = swing_directions(*args, free_end=True)
                if swing is not None:
                    g[s0 : e0 + 1] = swing[1:]
                    return
        # not a swing: interpolated across the readings off 1 g, between those near it
        near = off_1g < UNRELIABLE_G
        span_t = np.concatenate(([left_t], t[s0:e0][near], [t[e0]]))
        span_g = np.vstack([left_g, g[s0:e0][near], g[e0]])
        run_t, run_g = t[s0:e0], g[s0:e0]
        for c in range(3):
            run_g[~near, c] = np.interp(run_t[~near], span_t, span_g[:, c])
        g[s0:e0] = unit(run_g)

    def _fill_windows(self, blk: Block, g: np.ndarray, s0: int, e0: int, left, closed: bool) -> int:
        """Continuous swinging ``g[s0:e0]`` fitted in windows of ``WINDOW_S`` from ``s0``, each from the
        fitted end of the one before (the model ties every reading to gravity's direction, so the angle
        does not drift from window to window); a window that the swinging goes on past has its end fitted
        too, the last one of a ``closed`` stretch ends at the reliable sample ``e0``. A window that does
        not fit a swing is left as it is, and the next one is fitted with its start free too, as is one after a
        window that ended in lost data (its end, fitted free, had nothing to tie it there; when that does not fit,
        it is fitted from that end all the same: suite #13 set 3, a kick read 172 deg). Returns up to where
        ``g`` is settled: ``e0``, or for an open stretch the end of its last window that it goes on past."""
        t, w = blk.t, int(round(WINDOW_S * GRID_HZ))
        a = s0
        while True:
            b = a + w
            if b >= e0:  # the last window: ends at e0 (closed), or not yet complete (open)
                if closed and a < e0:
                    self._fill_one(blk, g, a, e0, left)
                return e0 if closed else a
            left_t, left_g, left_acc, end = left
            swing = None
            thrown = np.abs(norm(blk.acc_g[a:b]) - 1.0).max() >= SWING_G  # (else left as it is)
            if thrown and left_acc is not None and _follows(left_t, t[a]) and end not in (1, HOLE_END):
                swing = swing_directions(*_from_left(blk, a, b, left_t, left_acc), start_dir=left_g, free_end=True)
                swing = None if swing is None else swing[1:]
            elif thrown:  # nothing reliable to start from (the window before did not fit, or data were lost):
                # the window's first direction is fitted too
                swing = swing_directions(t[a:b], blk.acc_g[a:b], blk.gap_s[a:b] == 0.0, free_end=True, free_start=True)
                if swing is None and end == HOLE_END and _follows(left_t, t[a]):
                    # (a free start may settle on a wrong lever; the end fitted in the hole, loosely tied, is
                    # still a better start than the readings as they are)
                    swing = swing_directions(*_from_left(blk, a, b, left_t, left_acc), start_dir=left_g,
                                             free_end=True)
                    swing = None if swing is None else swing[1:]
            if swing is not None:
                g[a:b] = swing
            # (a fitted end in a short hole in the data is no start for the next window: nothing tied it there)
            self._ends[b - 1] = 1 if swing is None else HOLE_END if blk.gap_s[b - 1] > 0.0 else 2
            left = (t[b - 1], g[b - 1], blk.acc_g[b - 1], int(self._ends[b - 1]))
            a = b


def _follows(left_t: float, t_s: float) -> bool:
    """Whether the grid sample at ``t_s`` comes right after the one at ``left_t`` (no gap between)."""
    return abs(t_s - left_t - 1.0 / GRID_HZ) < 0.25 / GRID_HZ


def _from_left(blk: Block, a: int, b: int, left_t: float, left_acc: np.ndarray):
    """(times, accelerations, seen) of the sample at ``left_t`` (reading ``left_acc``) and ``blk``'s
    samples ``a..b``, to fit a swing through (seen: not interpolated across lost data)."""
    return (np.concatenate(([left_t], blk.t[a:b])), np.vstack([left_acc, blk.acc_g[a:b]]),
            np.concatenate(([True], blk.gap_s[a:b] == 0.0)))


def _too_long(left_t: float, last_t: float) -> bool:
    """Whether a stretch from the sample at ``left_t`` to ``last_t`` (s) is too long to bridge."""
    return last_t - left_t > MAX_BRIDGE_S + 0.5 / GRID_HZ
