"""Reps lost in a gap of the sensor stream, counted from the set's rhythm.

A Bluetooth link drops out now and then (the person rolls onto the sensor, the phone is across the
room): a few seconds of samples never arrive. The front end (:mod:`imu.signals`) bridges such a gap
with a straight path from the leg's position before it to the position after it, so a rep that
happened entirely inside the gap leaves no trace, and two reps on either side of the gap can merge
into one long excursion. Neither should change the count: reps come at a steady rhythm within a set,
so when the time from one rep's start to the next one's spans a gap and is about a whole number of
the set's rep cycles, the reps in between were done and lost. They are counted as *inferred* reps:
placed evenly in the interval, with the set's typical phase proportions, but with no measured range
of motion, speeds or tempo (``NaN``), and flagged so.

How many reps are inferred is bounded twice: by the interval (``round(interval / cycle) - 1``, so a long
natural pause is not taken for reps unless it also hides lost data) and by the lost time (the first lost
rep, then one more for each further cycle inside it once half a rep is allowed at its edges: a rep
cannot vanish in data that arrived). An excursion whose way up a gap hid, and that came down after it,
may have joined several reps: it is counted up to where the last of them started (its end minus a
typical rep) and on from there (when it was barely seen rising before the gap, only whole cycles from
the gap's start count: that rise may have been no rep; so too for a set's first rep, the set may have
begun in the gap). A set's last rep, when cut by a gap, is checked
too: its end may belong to a later rep than its start. A rep first seen at a gap's end started a typical
rep before its end, when that was seen. At a set's edges (:func:`edge_lost_reps`) the rhythm goes on
into a gap: after the last rep, each further rep whose middle the gap hid (and the next one, begun in
the gap, when the data came back with the leg still turning); before the first, only the one rep a cycle
earlier (the gap may have begun before the set did), and only when the gap hid nearly all of it, or its
middle with the leg seen turning when the data came back. An excursion across a gap whose end belongs to
a rep that began in the gap raises the bound of what vanished by that rep. The rhythm itself is only
taken between reps whose starts were both seen, with no gap between them.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from imu import lean_numpy
from imu.phases import RepTiming

LONG_GAP_S = 0.5  #: gaps at least this long may hide a rep, and make a rep's own timing unreliable
JOINED_SEEN_UP = 0.5  #: a rise seen before a gap for less than this share of a typical way up may be no rep
JOINED_DRIFT = 0.25  #: the share of a cycle a set's rhythm may drift by across a gap
TOP_LAG = 0.25  #: a top fitted across a gap's bridge may come this share of a typical way up after the gap's start
SETTLED_AFTER_GAP_S = 0.1  #: the filters' turn rate is the data's again this long (s) after a gap (a low-pass lag)


def measured(gap_s: float, inferred: bool) -> bool:
    """Whether a rep's timing and range were measured: not inferred, and no long gap inside it."""
    return not inferred and gap_s <= LONG_GAP_S


def long_gaps_since(gaps: Sequence, since_s: float) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` of the long gaps among ``gaps`` (objects with ``start_s, end_s``, in time
    order) that end after ``since_s``; the list is read from its end."""
    out = []
    for g in reversed(gaps):
        if g.end_s <= since_s:
            break
        if g.end_s - g.start_s > LONG_GAP_S:
            out.append((g.start_s, g.end_s))
    return out[::-1]


def lost_time_s(gaps: Sequence[tuple[float, float]], a_s: float, b_s: float) -> float:
    """Total time (s) of the ``(start_s, end_s)`` gaps that lies between ``a_s`` and ``b_s``."""
    return float(sum(max(0.0, min(b, b_s) - max(a, a_s)) for a, b in gaps))


@dataclass(frozen=True)
class Rhythm:
    """A set's typical rep: start-to-start cycle and phase durations (s)."""

    cycle_s: float
    up_s: float
    top_hold_s: float
    down_s: float

    @property
    def rep_s(self) -> float:
        """A typical rep's length (s): up, top hold and down."""
        return self.up_s + self.top_hold_s + self.down_s


def set_rhythm(reps: Sequence, clean: Sequence[bool], gaps: Sequence[tuple[float, float]] = (),
               last: int = 6) -> Rhythm | None:
    """The rhythm of the set's last ``last`` clean reps (anything with ``start_s, top_s, lower_s,
    end_s``, in order; ``clean``: measured without a long gap). The cycle is taken between neighbours
    whose starts were both seen: none of the long ``gaps`` (``(start_s, end_s)``) lies between them,
    just before the first or in the second's way up (a rep just after a gap is not clean, but when it
    started is known; two clean reps with a gap between them may have lost one in it). None without
    such neighbours."""
    # (both clean is not enough: a rep may have vanished in a gap between them; and a gap in the
    # later one's way up makes its start a guess, fitted across the bridge)
    cycles = [b.start_s - a.start_s for a, b in zip(reps, reps[1:])
              if lost_time_s(gaps, a.start_s - LONG_GAP_S, max(b.start_s, b.top_s)) == 0.0]
    if not cycles:
        return None
    measured = [r for r, c in zip(reps, clean) if c][-last:]
    if not measured:
        return None
    return Rhythm(lean_numpy.median(cycles[-last:]), float(median([r.top_s - r.start_s for r in measured])),
                  float(median([r.lower_s - r.top_s for r in measured])),
                  float(median([r.end_s - r.lower_s for r in measured])))


def lost_reps(a, b, rhythm: Rhythm, gaps: Sequence[tuple[float, float]], first: bool = False) -> list[RepTiming]:
    """Timings of the reps lost between consecutive counted reps ``a`` and ``b`` (anything with
    ``start_s, end_s``; ``b``'s ``bottom_deg`` is used if it has one; ``b`` None: ``a`` ended the set);
    ``gaps``: ``(start_s, end_s)`` of the long gaps of the stream near them; ``first``: ``a`` is its set's first rep.

    Reps started every cycle: those whose starts fit between ``a``'s and ``b``'s were lost (for the
    set's last rep: those that fit before where its end says it started, when a gap inside it joined
    several reps into one excursion)."""
    r = rhythm
    a_s = _start_s(a, r, gaps)
    b_s = a.end_s - r.rep_s + r.cycle_s if b is None else _start_s(b, r, gaps)  # where a next rep would start
    lost = lost_time_s(gaps, a_s, b_s)
    if lost <= 0.0:
        return []
    joined = _joined(a, r, gaps)
    if b is not None and joined is not None:
        # a gap hid ``a``'s way up and came back down after it: its fitted start is a guess (the leg
        # rose not long before the gap), and the excursion may have joined several reps, its end
        # belonging to the last of them; count up to that one and on from it
        g0, e_s = joined
        k = _joined_before(e_s - max(a_s, g0), g0 - a_s, r, first) + max(0, round((b_s - e_s) / r.cycle_s) - 1)
    else:
        k = round((b_s - a_s) / r.cycle_s) - 1
    k = min(k, _fit(lost, r) + _ends_later(a, r, gaps))
    if k <= 0:
        return []
    step = (b_s - a_s) / (k + 1)
    bottom = getattr(a if b is None else b, "bottom_deg", 0.0)
    return [_placed(a_s + j * step, r, min(1.0, 0.9 * step / max(r.rep_s, 1e-6)), bottom) for j in range(1, k + 1)]


def edge_lost_reps(rep, rhythm: Rhythm, gaps: Sequence[tuple[float, float]], after: bool,
                   not_before_s: float = -math.inf, moved=None) -> list[RepTiming]:
    """Timings of the reps lost in a long gap at the edge of a set: before its first counted rep ``rep``
    (``after`` False) or after its last (``after`` True; anything with ``start_s, end_s``); ``gaps``:
    ``(start_s, end_s)`` of the long gaps of the stream near it; ``not_before_s``: no inferred rep
    starts before this time (s; the previous set's end); ``moved(a_s, b_s)``: whether the leg was seen
    turning between those times (s; None: never).

    After the last rep the set went on through the gap at its rhythm as long as each further rep, one
    cycle on, would have had its middle unseen, inside the gap (a rep whose middle was seen would have
    been counted), and so did the next one if it began inside the gap and the data came back, before it
    would have ended, with the leg still turning (``moved``: the rhythm drifts, a rep's middle is a guess;
    the rest after a set's last rep is still). Before the first, a gap may have begun before the set did, so only
    the rep one cycle before it is counted, and only if the gap hid all of it but its first quarter (the
    data came back no earlier than that rep would have ended: the leg seen resting for longer than the
    set's pauses before its first rep had not been in the set). It is counted too when the gap hid its
    middle and the data came back while the leg was still turning (``moved``), on its way back down
    (a leg resting there before the set was seen still from the gap's end to the first rep)."""
    r = rhythm
    if not after:
        s0 = _start_s(rep, r, gaps) - r.cycle_s
        unseen = _inside(s0 + 0.25 * r.rep_s, s0 + r.rep_s, gaps)
        if not unseen and moved is not None and _inside(s0 + 0.5 * r.rep_s, s0 + 0.5 * r.rep_s, gaps):
            back_s = _back_s(s0 + 0.5 * r.rep_s, gaps)
            unseen = moved(back_s + SETTLED_AFTER_GAP_S, min(s0 + r.rep_s, rep.start_s))
        return [_placed(s0, r, 1.0, getattr(rep, "bottom_deg", 0.0))] if unseen and s0 > not_before_s else []
    starts = []
    s0 = rep.start_s + r.cycle_s
    while _inside(s0 + 0.5 * r.rep_s, s0 + 0.5 * r.rep_s, gaps):
        starts.append(s0)
        s0 += r.cycle_s
    back_s = _back_s(s0, gaps)  # the next one started unseen: the data came back while it went on
    if moved is not None and back_s is not None and back_s < s0 + r.rep_s and moved(
            back_s + SETTLED_AFTER_GAP_S, s0 + r.rep_s):
        starts.append(s0)
    return [_placed(x, r, 1.0, getattr(rep, "bottom_deg", 0.0)) for x in starts]


def _inside(a_s: float, b_s: float, gaps: Sequence[tuple[float, float]]) -> bool:
    """Whether the time ``a_s..b_s`` (s) lies inside one of the ``(start_s, end_s)`` ``gaps``: unseen."""
    return any(g0 <= a_s and b_s <= g1 for g0, g1 in gaps)


def _placed(start_s: float, rhythm: Rhythm, scale: float, bottom_deg: float) -> RepTiming:
    """An inferred rep starting at ``start_s`` (s) with the set's phase durations times ``scale``: no
    range, speeds or angles (NaN) but the resting level ``bottom_deg``."""
    nan = float("nan")
    top = start_s + rhythm.up_s * scale
    lower = top + rhythm.top_hold_s * scale
    return RepTiming(start_s, top, lower, lower + rhythm.down_s * scale, nan, bottom_deg, nan, nan, nan, nan)


def _start_s(rep, rhythm: Rhythm, gaps: Sequence[tuple[float, float]]) -> float:
    """When ``rep`` started: its measured start, unless it was first seen at the end of a gap (the
    leg was already on its way up, or back down, when the data resumed: the start fitted across the
    gap's bridge is a guess, too early when the bridge rose slowly); then its end minus the set's
    typical rep if its end was seen, else no later than that."""
    if not any(g0 <= rep.start_s <= g1 + LONG_GAP_S for g0, g1 in gaps):
        return rep.start_s
    from_end = rep.end_s - rhythm.rep_s
    return from_end if not _inside(rep.end_s, rep.end_s, gaps) else min(rep.start_s, from_end)


def _joined(rep, rhythm: Rhythm, gaps: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """For an excursion ``rep`` whose way up a long gap hid (it started before the gap, its top was
    not seen before it, it ended after it): the gap's start and when the last rep it may have joined
    started (its end minus the set's typical rep); else None. A top fitted less than ``TOP_LAG`` of a
    typical way up after the gap's start was seen: the leg was at the top as the gap began (the fit
    across the bridge puts it a little late), and the reps lost after it are counted from its start, seen
    (suite #23 set 2, Polar heel taps: its top 0.11 s into the gap, counted from there one rep of the two
    that began in the gap, 8 of 9)."""
    for g0, g1 in gaps:
        if rep.start_s < g0 < rep.top_s - TOP_LAG * rhythm.up_s and g1 < rep.end_s:
            return g0, max(g0, rep.end_s - rhythm.rep_s)
    return None


def _joined_before(span_s: float, rose_s: float, rhythm: Rhythm, first: bool = False) -> int:
    """How many reps an excursion whose way up a gap hid joined before the last of them, which started
    ``span_s`` after the gap's start (or the excursion's; ``rose_s``: how long it was seen leaving its
    rest before the gap): the nearest whole number of cycles in that span. When it was seen rising for
    less than ``JOINED_SEEN_UP`` of a typical rep's way up, the first of them may have started anywhere in
    the gap (that rise need not have been a rep of the set: getting into position, a shift, or a fitted
    start pulled early by the gap's bridge), so the span is the most there can have been, and only whole
    cycles count, give or take ``JOINED_DRIFT`` of one (rounded, 0.55 cycle made a rep of the set that began
    inside the gap and ended after it: suite #109, one rep counted twice). For a set's ``first`` rep the rise
    is no sign the set had begun (getting ready, or the fitted start pulled early by the bridge: a set may begin
    in the gap), so only whole cycles count, without drift: 0.56 cycle rounded made a rep of the heel taps'
    first one, 0.996 with the drift one of the plank lifts' (suite #73 set 2 and #21 set 2, Polar: 14 of 13,
    12 of 11)."""
    if first:
        return math.floor(span_s / rhythm.cycle_s)
    if rose_s < JOINED_SEEN_UP * rhythm.up_s:
        return math.floor(span_s / rhythm.cycle_s + JOINED_DRIFT)
    return round(span_s / rhythm.cycle_s)


def _back_s(x_s: float, gaps: Sequence[tuple[float, float]]) -> float | None:
    """When the data came back (s) after the long gap that ``x_s`` lies in, or None if it lies in none."""
    return next((g1 for g0, g1 in gaps if g0 <= x_s <= g1), None)


def _ends_later(rep, rhythm: Rhythm, gaps: Sequence[tuple[float, float]]) -> int:
    """1 if the excursion ``rep`` spans a long gap (it started before it, within a cycle, and ended after it)
    and a typical rep before its end started inside it: its end belongs to a rep that began in the gap,
    which did not vanish there (its end was seen) and is not bounded by the gap's length (:func:`_fit`);
    else 0. (An excursion seen longer than a cycle before the gap was no rep of the set there: a movement
    before it, getting into position, that the gap joined to the reps.)"""
    e_s = rep.end_s - rhythm.rep_s
    return int(any(g0 - rhythm.cycle_s <= rep.start_s < g0 and g1 < rep.end_s and g0 <= e_s <= g1
                   for g0, g1 in gaps))


def _fit(lost_s: float, rhythm: Rhythm) -> int:
    """How many reps can have vanished in ``lost_s`` (> 0) of lost data: one a cycle, the reps after
    the first each (but for half of it, which might have passed unseen at the gap's edges) inside it."""
    spare = max(0.0, lost_s - 0.5 * rhythm.rep_s)
    return min(math.floor(spare / rhythm.cycle_s) + 1, math.ceil(lost_s / rhythm.cycle_s))
