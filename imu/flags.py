"""Form flags of a rep (pure functions; the rules and thresholds are documented in :mod:`imu.presets`)."""
from __future__ import annotations

import math
import sys
from statistics import median

import numpy as np

from imu import lean_numpy
from imu.masks import true_runs
from imu.phases import RepTiming
from imu.presets import Preset
from imu.swing import G_MPS2


def tempo_flags(timing: RepTiming, preset: Preset, duration_scale: float = 1.0,
                speeds_measured: bool = True) -> list[str]:
    """``momentum``, ``rushed`` and ``no_top_hold`` from the phase durations, peak speeds and the
    ankle's own acceleration.

    ``duration_scale`` multiplies the preset's duration limits: without a gyroscope the leg's own
    acceleration makes ramps look shorter than they are (see :data:`imu.engine.params.ACC_ONLY_DURATION_SCALE`).
    ``speeds_measured``: False without a gyroscope, where the peak speeds are read off the tilt, which
    the same acceleration distorts; ``momentum`` then rests on the acceleration alone.
    """
    up = timing.top_s - timing.start_s
    down = timing.end_s - timing.lower_s
    hold = timing.lower_s - timing.top_s
    k = duration_scale
    flags = []
    swung = up < k * preset.momentum_up_s and timing.peak_up_dps > preset.momentum_dps
    dropped = down < k * preset.momentum_down_s and timing.peak_down_dps > preset.momentum_dps
    if preset.thrown(timing.peak_accel_g) or (speeds_measured and (swung or dropped)):
        flags.append("momentum")
    elif (up < k * preset.rushed_up_s or down < k * preset.rushed_down_s
          or timing.end_s - timing.start_s < k * preset.rushed_rep_s):
        flags.append("rushed")
    if preset.min_top_hold_s > 0 and hold < preset.min_top_hold_s:
        flags.append("no_top_hold")
    return flags


ACC_ONLY_RANGE_G = 0.5  #: without a gyroscope a rep whose ankle accelerated more than this (g) does not set
#: the person's full range: the tilt is off by up to ~30 deg (asin 0.5) there; the refined ranges of controlled
#: reps (imu.ramp_fit) stay within ~3 deg up to 1 g, but the briskest may not be refined (acc-only suite:
#: partial precision 0.941, recall 0.849 at 0.5 g; 0.939 and 0.810 at 0.35 g; 0.917 and 0.856 at 0.8 g)


def range_trusted(momentum, peak_accel_g, has_gyro: bool):
    """Whether a rep's range may set the person's full range (element-wise on arrays): not swung (a swing
    overshoots) and, without a gyroscope, not moved so briskly that its tilt is unsure (ankle acceleration
    over ``ACC_ONLY_RANGE_G`` g, or unknown)."""
    return np.logical_not(momentum) & (bool(has_gyro) | (np.asarray(peak_accel_g) <= ACC_ONLY_RANGE_G))


def full_rom_deg(set_ids, roms, untrusted, levers_m=None, pivot_lever_m: float = 0.0) -> float:
    """The person's full range of motion (deg): the median of the upper half of the sets' median
    ranges, leaving out ``untrusted`` reps (swung: a swing overshoots; see :func:`range_trusted`) and
    sets that did not turn about the exercise's pivot (:func:`turned_about_pivot` of their reps'
    ``levers_m``; None: unknown); a single set of partial reps stays partial."""
    set_ids, roms, untrusted = (np.asarray(x) for x in (set_ids, roms, untrusted))
    levers = np.full(len(roms), np.nan) if levers_m is None else np.asarray(levers_m, float)
    keep = ~untrusted.astype(bool)
    return _upper_median([float(np.median(roms[keep & (set_ids == s)])) for s in np.unique(set_ids[keep])
                          if turned_about_pivot(levers[set_ids == s], pivot_lever_m)])


def _upper_median(set_medians: list[float]) -> float:
    medians = np.sort(set_medians)
    return lean_numpy.median(medians[len(medians) // 2 :]) if len(medians) else float("nan")


MINJERK_ALPHA_PER_SPEED = 3.08  #: a minimum-jerk ramp's peak angular acceleration over its peak speed, times its
#: duration (5.77 / 1.875)


def lever_m(up_s, peak_up_dps, peak_accel_g):
    """How far (m) the ankle sat from the axis it turned about on the way up, as its own acceleration
    tells it: ``peak_accel_g`` over the larger of the up ramp's peak angular acceleration (a minimum-jerk
    ramp's, from its peak speed and duration) and its peak speed squared; NaN when it did not turn
    (element-wise on arrays).

    A rough and low reading (``peak_accel_g`` is a 90th percentile of the low-passed magnitude's departure
    from 1 g, blind to acceleration across gravity), but it tells the hip from a nearer axis: reps turning
    about the hip read 0.24 m and more (the suite's, ankle 0.78-0.95 m from the hip: 0.25 and more, the
    lowest on hanging raises; the real lying, side and prone lifts: 0.24-1.5), the real seated knee
    extensions (ankle ~0.4 m from the knee) 0.11-0.40, and the real prone block whose ankle tilted twice
    as far as the correct one's 0.10-0.21. (The engine's set finding fits the lever over a whole rep instead,
    :func:`imu.ramp_fit.lever_fit`: finer on ranges of 20 deg and more, lost in the noise on small ones.)"""
    if np.ndim(up_s) == np.ndim(peak_up_dps) == np.ndim(peak_accel_g) == 0:  # (one rep: the same sums in floats)
        speed = math.radians(peak_up_dps)
        turn = max(MINJERK_ALPHA_PER_SPEED * speed / up_s if up_s > 0 else 0.0, speed * speed)
        return peak_accel_g * G_MPS2 / turn if turn > 0 else float("nan")
    speed, up = np.radians(np.asarray(peak_up_dps, float)), np.asarray(up_s, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        turn = np.maximum(np.where(up > 0, MINJERK_ALPHA_PER_SPEED * speed / up, 0.0), speed * speed)
        lever = np.where(turn > 0, np.asarray(peak_accel_g, float) * G_MPS2 / turn, np.nan)
    return lever if lever.ndim else float(lever)


def turned_about_pivot(levers_m, pivot_lever_m: float) -> bool:
    """Whether a set whose reps' :func:`lever_m` are ``levers_m`` turned about the exercise's pivot: their
    median is not shorter than ``pivot_lever_m`` (0: no check; NaN levers, unknown, are left out)."""
    known = np.asarray(levers_m, float)
    known = known[np.isfinite(known)]
    return not (pivot_lever_m and len(known) and lean_numpy.median(known) < pivot_lever_m)


#: A day's full range may fall this far below the person's usual one (day-to-day variation, warming up)
#: before the usual one is the reference of ``partial``.
USUAL_SHARE = 0.9


class SessionRoms:
    """The measured reps' ranges of a session so far, per set: the references of the ``partial`` and
    ``uneven_rom`` rules (:func:`full_rom_deg`, the set's median) for one more rep, in time linear in
    its set and the number of sets rather than in the session.

    ``usual_full_deg``: the person's usual full range from earlier sessions (deg; None: unknown). The
    full range is then never taken below :data:`USUAL_SHARE` of it: a session of nothing but partial
    sets is partial against it, while a session that reaches further than usual sets its own.

    ``pivot_lever_m``: a set whose reps' median :func:`lever_m` is shorter turned about another axis than
    the exercise's (0: no check; reps of unknown lever, NaN, pass): its range says nothing of how far the
    person's hip goes, and it does not set the full range (the real prone lifts: a block tilting the ankle
    about an axis 0.15 m away, twice as far as the correct block, made those correct reps partial)."""

    def __init__(self, usual_full_deg: float | None = None, pivot_lever_m: float = 0.0) -> None:
        self.usual_full_deg = usual_full_deg
        self.pivot_lever_m = pivot_lever_m
        self._sets: dict[int, dict[float, tuple[float, bool, float]]] = {}  # set -> {start_s: (rom, untrusted, lever)}
        self._medians: dict[tuple[int, bool], float | None] = {}  # cached (set, all reps?) -> median range

    def put(self, set_no: int, start_s: float, rom_deg: float, untrusted: bool, lever: float = np.nan) -> None:
        """Records (or revises) a measured rep (``untrusted``: its range may not set the full range;
        ``lever``: its :func:`lever_m`)."""
        self._sets.setdefault(set_no, {})[start_s] = (rom_deg, untrusted, lever)
        self._medians.pop((set_no, False), None)
        self._medians.pop((set_no, True), None)

    def references(self, set_no: int, start_s: float, rom_deg: float, untrusted: bool,
                   lever: float = np.nan) -> tuple[float, float, bool]:
        """(full range, the set's median range, whether the set turned about an axis nearer the ankle than the
        exercise's pivot: see the class docstring), deg, deg, for the rep of set ``set_no`` starting at
        ``start_s`` with this range and :func:`lever_m` (m), all other recorded reps as they are. When no
        other set has trusted reps, their untrusted ones stand in (a swing's range is measured up to the angle
        held at the top, if perhaps overshot)."""
        own = [v for k, v in self._sets.get(set_no, {}).items() if k != start_s] + [(rom_deg, untrusted, lever)]
        others = [s for s in self._sets if s != set_no]
        medians = [m for m in (self._median(s) for s in others) if m is not None]
        if not medians:  # no other set says how far the person reaches but by its swung or brisk reps
            medians = [m for m in (self._median(s, untrusted=True) for s in others) if m is not None]
        trusted = [r for r, u, _ in own if not u]
        about_pivot = self._about_pivot(own)
        medians += [float(median(trusted))] if trusted and about_pivot else []
        full = _upper_median(medians)
        if self.usual_full_deg:
            full = max(finite_or_zero(full), USUAL_SHARE * self.usual_full_deg)
        return full, float(median([r for r, *_ in own])), not about_pivot

    def _about_pivot(self, reps) -> bool:
        """Whether a set's reps ``(rom, untrusted, lever)`` turned about the exercise's pivot, as far as
        their levers tell (see the class docstring)."""
        return turned_about_pivot([lv for *_, lv in reps], self.pivot_lever_m)

    def _median(self, set_no: int, untrusted: bool = False) -> float | None:
        """Median range of a set's trusted reps (``untrusted``: of all its reps), cached."""
        key = (set_no, untrusted)
        if key not in self._medians:
            reps = self._sets[set_no].values()
            roms = [r for r, u, _ in reps if untrusted or not u]
            self._medians[key] = float(median(roms)) if roms and self._about_pivot(reps) else None
        return self._medians[key]


def finite_or_zero(x: float) -> float:
    """``np.nan_to_num`` of one float: 0 for NaN, the largest finite float of its sign for an infinity (the
    same value, without numpy's ~10 us of array handling per call)."""
    if math.isnan(x):
        return 0.0
    return math.copysign(sys.float_info.max, x) if math.isinf(x) else x


def rom_flags(rom_deg: float, preset: Preset, full_deg: float, set_median_deg: float,
              trusted: bool = True, off_pivot: bool = False) -> list[str]:
    """``partial`` against the person's full range ``full_deg`` (NaN: unknown), never taken below the
    preset's least full range; ``uneven_rom`` against the set.

    ``off_pivot``: the rep's set turned about an axis nearer the ankle than the exercise's pivot
    (:meth:`SessionRoms.references`): the knee or ankle bent while the hip barely moved, so the rep is
    ``partial`` whatever its tilt; the ankle's tilt is no measure of the hip's range there (the real prone
    low-amplitude block, levers 0.10-0.21 m, tilted the ankle twice as far as the correct block).

    ``trusted``: whether the rep's range measures how far the leg went (:func:`range_trusted`); an
    untrusted rep is not ``partial``. A swing turns at its peak with no hold to read the top from, and the
    fused tilt trails a leg that fast (suite: swung heel taps of 44 deg read 39.6-43, and 4 of 10 fell
    under the bar); without a gyroscope the leg's own acceleration turns the tilt by up to 30 deg (a swung
    prone lift of 17 deg read 9). The rep is flagged ``momentum`` for what went wrong; an unsure
    ``partial`` on top of it is noise (suite: 7 false partial flags, no true one, went)."""
    flags = []
    short = rom_deg < preset.partial_ratio * max(finite_or_zero(full_deg), preset.least_full_rom_deg)
    if trusted and (short or off_pivot):
        flags.append("partial")
    if math.isfinite(set_median_deg) and abs(rom_deg - set_median_deg) > preset.uneven_ratio * set_median_deg:
        flags.append("uneven_rom")
    return flags


def feet_rested(level_deg: np.ndarray, speed_dps: np.ndarray, start_deg: float, preset: Preset,
                rate_hz: float) -> bool:
    """Whether the leg rested on the floor in a bottom pause.

    ``level_deg``/``speed_dps`` cover the pause; ``start_deg`` is where the set started (the leg held
    off the floor, ready). Rested: for at least ``rest_min_s`` the leg lay still more than
    ``rest_drop_deg`` below that level, i.e. it was let down onto the floor instead of hovering.
    """
    if not preset.feet_rest_applies or len(level_deg) == 0:
        return False
    need = int(round(preset.rest_min_s * rate_hz))
    low = level_deg < start_deg - preset.rest_drop_deg
    return _longest_run(low & (speed_dps < preset.rest_still_dps)) >= need


def _longest_run(mask: np.ndarray) -> int:
    starts, ends = true_runs(mask)
    return int((ends - starts).max()) if len(starts) else 0
