"""Exercise presets: what counts as a rep and what the form flags compare against.

Angles are ranges of motion of the ankle sensor's tilt (deg), durations in seconds. A ramp's duration
is the fitted minimum-jerk duration of the up or down phase (see :mod:`imu.phases`).

Flag rules (per rep):

- ``momentum``: thrown (the ankle's own acceleration, :func:`imu.phases.peak_accel_g`, over
  ``momentum_accel_g``), or, with a gyroscope, swung up (the up phase shorter than ``momentum_up_s``
  with a peak speed over ``momentum_dps``) or dropped (the same for the down phase with
  ``momentum_down_s``). A controlled rep keeps the ankle's acceleration under about 0.5 g on a short
  lever (bent knee, prone or plank hip extension) and under 1 g with the straight leg swinging from the
  hip at a brisk tempo; a swung or dropped leg reaches about twice that. Without a gyroscope the
  speeds are read off the accelerometer's tilt, which that same acceleration distorts, so there only
  the acceleration decides.
- ``rushed``: not momentum, but up shorter than ``rushed_up_s``, down shorter than ``rushed_down_s`` or
  the whole rep (up, top hold and down) shorter than ``rushed_rep_s``: controlled, yet faster than the
  tempo target (trainers teach about 2 s up, 1 s at the top and 2-4 s down: 5 s or more a rep).
- ``partial``: range of motion below ``partial_ratio`` times the person's own full range in the session
  (the median of the upper half of the sets' median ranges, of reps neither swung nor, without a
  gyroscope, moved briskly; when no other set has such reps, its swung or brisk ones stand in: a partial
  set after a swung one is still partial), which is never taken below ``least_full_rom_deg``, the
  smallest range a full rep of the exercise takes (see below): a session of nothing but such short reps
  is partial without a full set to compare with. A rep whose range may not set the full range (swung or,
  without a gyroscope, brisk) is not partial either: its range is no measure of how far the leg went (a
  swing has no hold at the top to read it from), and ``momentum`` already says what went wrong. Nor,
  with a gyroscope, does a set whose ankle turned about a nearer axis than the exercise's pivot set the
  full range: its reps' median lever (:func:`imu.flags.lever_m`, the ankle's own acceleration against its
  turn) is under ``pivot_lever_m`` (``HIP_LEVER_M``, 0.2 m, for the presets turning about the hip: such reps
  read 0.24 m and more, in the suite and the real recordings). The real prone recording's block labelled
  low-amplitude tilted the ankle twice as far as the correct one, about an axis some 0.15 m away (a knee
  or ankle bend, not hip extension), and made 7 of the 10 correct reps partial. Such a set's own reps are
  partial whatever their tilt (and if trusted): the hip barely moved (that block: 10 of 10).
- ``feet_rested``: in the pause after the rep the leg lay still (slower than ``rest_still_dps``) for at
  least ``rest_min_s`` more than ``rest_drop_deg`` below where the set started (the leg held ready, off
  the floor): it was let down onto the floor instead of hovering. Both levels are the accelerometer's
  (gravity alone on a still leg), not the fused angle's, which a swing's drop biases for seconds.
- ``no_top_hold``: no pause at the top (shorter than ``min_top_hold_s``) where the preset asks for one.
- ``uneven_rom``: range of motion off the set's median by more than ``uneven_ratio``.

Least full range (``least_full_rom_deg``, the ankle's tilt, deg): what trainers and the literature
count as full for the exercise, at the small end, so that no one's correct rep falls below it; 0 where
no range is fixed. It can only catch reps short of everyone's full range: a person reaching 30 deg in
prone lifts who lifts 15 is partial only against their own full sets or their training history.

- Straight leg lifted from lying supine (``lying-leg-raise``, ``single-leg-raise``,
  ``alternating-leg-lift``): 15. The abdominal exercise raises the legs to vertical (70-90 deg), but the
  physiotherapist's straight-leg raise lifts one leg only to the height of the other, bent knee (about
  20 deg of a 0.9 m leg); the real recording of it (Yurtman & Barshan, e3) has correct reps of 17-22 deg.
- ``hanging-leg-raise``: 60. Legs raised to horizontal (90 deg), or as far as the hamstrings let a
  straight leg go: a passive straight-leg raise reaches 61 +/- 7 deg in healthy men (Gajdosik et al.,
  JOSPT 1993).
- ``side-leg-lift``: 10. Hip abduction's normal range is 40-45 deg (AAOS; Norkin & White) and trainers
  ask for 30-45, but a prescribed rehabilitation lift is smaller: the real recording's (e4) correct side
  lifts reach 10.5-16.5 deg.
- ``reverse-leg-lift``, ``plank-leg-lift``: 10. Hip extension beyond the body line is 10-20 deg in adults
  (Kendall; Norkin & White); the real recording's (e5) correct prone lifts reach 10.8-12.7 deg.
- ``flutter-kick``: 10. No agreed range: the military four-count kick raises each leg from 15 cm off the
  floor (about 10 deg of a 0.9 m leg) to 45 deg; fitness versions ask only for small, quick kicks.
- ``seated-leg-raise``: 45. From the shin hanging (knee at 90 deg) to a straight knee is 90 deg, but with
  the hip flexed the hamstrings stop the knee short: in the active knee extension test (hip at 90 deg)
  healthy men stop 43 +/- 10 deg short of straight (Gajdosik et al., JOSPT 1993).
- ``bent-knee-raise``, ``heel-tap``: none. The shin's range is set by how far the knees are bent (a heel
  tap's full range is the tabletop's height above the floor, wherever the knee angle puts it).

Set rule: without a gyroscope, reps whose fitted lever (:mod:`imu.ramp_fit`: the distance from the axis
the shin turns about to the sensor) is shorter than ``min_lever_m`` make no set of this exercise. The
straight-leg presets and flutter kicks turn about the hip, the ankle 0.3-1 m away (0.3-0.6 m on the real lying
leg raises, 0.5-0.8 m on the side lifts; 0.7-1.1 m on the simulated kicks of 20 deg and more); bending the knees
with the heels on the floor, a common fidget in a rest, turns the shin about the ankle (0-0.2 m). Not for prone
and plank lifts: the real prone low-amplitude block turned the ankle about an axis ~0.15 m away and is a set.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from statistics import median


@dataclass(frozen=True)
class Preset:
    slug: str
    description: str
    min_rom_deg: float = 5.0  #: smallest excursion counted as a rep
    gyro_min_rom_deg: float | None = None  #: ... with a gyroscope, where no data was lost inside it (if set)
    target_rom_deg: float = 60.0  #: a full rep's typical range of motion
    least_full_rom_deg: float = 0.0  #: smallest range of a full rep of the exercise (0: none fixed); the
    #: person's full range is never taken below it
    partial_ratio: float = 0.77  #: partial when below this share of the person's full range
    momentum_up_s: float = 0.65
    momentum_down_s: float = 0.65
    momentum_dps: float = 100.0
    momentum_accel_g: float = 1.2  #: the ankle's own acceleration (g) beyond which a rep was thrown; 0: none
    rushed_up_s: float = 0.8
    rushed_down_s: float = 0.8
    rushed_rep_s: float = 4.0
    min_top_hold_s: float = 0.0  #: 0: the preset does not ask for a hold
    max_rep_s: float = 15.0  #: longest plausible rep; a longer excursion is a posture change
    max_ramp_s: float = 6.0  #: longest plausible up or down phase
    max_rom_factor: float = 2.5  #: a range beyond this times target_rom_deg is a posture change
    min_set_reps: int = 3  #: fewer consistent reps in a row are not a set (rest movement)
    set_gap_s: float = 12.0  #: a pause longer than this ends the set
    feet_rest_applies: bool = True
    rest_drop_deg: float = 3.0
    rest_still_dps: float = 10.0
    rest_min_s: float = 0.6
    uneven_ratio: float = 0.35
    min_lever_m: float = 0.0  #: reps turning about an axis nearer the sensor are not this exercise (0: any)
    pivot_lever_m: float = 0.0  #: with a gyroscope, a set whose reps' median lever (imu.flags.lever_m) is
    #: shorter turned about another axis than the exercise's and does not set the full range (0: no check)
    rep_lifts_ankle: bool | None = None  #: a rep lifts the ankle from its rest against gravity (the leg raises and
    #: lifts), or lowers it (False: a heel tap from the tabletop); None: no side to tell (flutter kicks, ``auto``)
    quiet_median_s: float = 0.2  #: a new rest inside an excursion is still by the median turn rate over this long (s;
    #: noise spikes aside) and drifts little (imu.engine.params.QUIET_DRIFT_FRACTION); 0 for flutter kicks: every sample
    #: slower than the stillness limit, no drift limit (continuous kicking has no holds; with the noise-tolerant test,
    #: kicks after a dropout were lost: suite #13 through a faulty link, 4 of 22)

    def thrown(self, peak_accel_g: float) -> bool:
        """Whether a rep whose ankle accelerated this much (g, :func:`imu.phases.peak_accel_g`) was thrown
        or dropped (over ``momentum_accel_g``; never where that is 0)."""
        return 0.0 < self.momentum_accel_g < peak_accel_g

    def as_dict(self) -> dict:
        return asdict(self)


HIP_LEVER_M = 0.2  #: straight-leg presets turn about the hip, the sensor 0.3-1 m away

_BASE = Preset("auto", "work out the exercise from the motion (generic thresholds)")
_LIFT = replace(_BASE, rep_lifts_ankle=True)  # (every preset but heel taps and flutter kicks)

PRESETS: dict[str, Preset] = {
    p.slug: p
    for p in [
        _BASE,
        replace(_LIFT, slug="lying-leg-raise", description="supine, straight legs raised to vertical",
                min_rom_deg=6, target_rom_deg=80, least_full_rom_deg=15, min_top_hold_s=0.3,
                min_lever_m=HIP_LEVER_M, pivot_lever_m=HIP_LEVER_M),
        replace(_LIFT, slug="single-leg-raise", description="supine, one straight leg raised",
                min_rom_deg=6, target_rom_deg=70, least_full_rom_deg=15, min_top_hold_s=0.3,
                min_lever_m=HIP_LEVER_M, pivot_lever_m=HIP_LEVER_M),
        replace(_LIFT, slug="bent-knee-raise", description="supine, bent knees drawn up",
                min_rom_deg=6, target_rom_deg=55, momentum_accel_g=0.7),
        replace(_BASE, slug="heel-tap", description="supine tabletop, heel lowered to tap the floor",
                min_rom_deg=6, target_rom_deg=50, feet_rest_applies=False, rushed_rep_s=2.5,
                momentum_accel_g=0.8, rep_lifts_ankle=False),
        replace(_LIFT, slug="alternating-leg-lift", description="supine, legs lifted in turn; counts this leg",
                min_rom_deg=6, target_rom_deg=60, least_full_rom_deg=15, min_lever_m=HIP_LEVER_M, pivot_lever_m=HIP_LEVER_M),
        replace(_LIFT, slug="side-leg-lift", description="side-lying hip abduction",
                min_rom_deg=3, target_rom_deg=40, least_full_rom_deg=10, momentum_dps=70, momentum_accel_g=0.8,
                min_lever_m=HIP_LEVER_M, pivot_lever_m=HIP_LEVER_M),
        replace(_LIFT, slug="reverse-leg-lift", description="prone hip extension",
                min_rom_deg=3, target_rom_deg=22, least_full_rom_deg=10, momentum_dps=80, rushed_up_s=0.6,
                rushed_down_s=0.3, momentum_accel_g=0.45, pivot_lever_m=HIP_LEVER_M),
        replace(_LIFT, slug="plank-leg-lift", description="plank, leg lifted from the plank line",
                min_rom_deg=3, target_rom_deg=22, least_full_rom_deg=10, momentum_dps=80, rushed_up_s=0.6,
                rushed_down_s=0.3, momentum_accel_g=0.55, pivot_lever_m=HIP_LEVER_M),
        replace(_LIFT, slug="hanging-leg-raise", description="hanging, straight legs raised",
                min_rom_deg=8, target_rom_deg=80, least_full_rom_deg=60, feet_rest_applies=False, min_top_hold_s=0.3,
                min_lever_m=HIP_LEVER_M, pivot_lever_m=HIP_LEVER_M),
        replace(_BASE, slug="flutter-kick", description="supine, small fast alternating kicks; each kick of this leg",
                min_rom_deg=5, target_rom_deg=25, least_full_rom_deg=10, momentum_up_s=0.15, momentum_down_s=0.15,
                rushed_up_s=0.2, rushed_down_s=0.2, rushed_rep_s=0.0, feet_rest_applies=False, min_set_reps=4,
                uneven_ratio=0.5, momentum_accel_g=0.0, quiet_median_s=0.0, min_lever_m=HIP_LEVER_M,
                pivot_lever_m=HIP_LEVER_M, gyro_min_rom_deg=3),
        replace(_LIFT, slug="seated-leg-raise", description="seated, knee extended to raise the shin",
                min_rom_deg=6, target_rom_deg=75, least_full_rom_deg=45, feet_rest_applies=False, min_top_hold_s=0.3,
                momentum_accel_g=0.7),
    ]
}


def get_preset(slug: str) -> Preset:
    """The preset for ``slug``; raises ValueError naming the known slugs."""
    try:
        return PRESETS[slug]
    except KeyError:
        raise ValueError(f"unknown exercise {slug!r}; choose one of: {', '.join(PRESETS)}") from None


#: ``auto``: the sensor hangs from the axis the shin turns about when the fitted lever's direction at the bottom
#: (:class:`imu.ramp_fit.LeverFit`) is within this of straight down (deg): a seated knee extension or a hanging raise.
#: Measured per set (median over reps of 20 deg and more): with a gyroscope the suite's seated raises 0-11 deg and
#: hanging raises 1-14 deg, the real seated knee extensions 4-9, every lying, side-lying, prone and plank lift 64-120;
#: without one (the ramps' fit, :func:`imu.ramp_fit.rep_ramps_fit`) seated 1-9, hanging 1-13, lying lifts 65-109.
HANGS_DEG = 35.0
#: ... and a hanging sensor this far from the axis (m) or more turns about the hip (a hanging raise), nearer about the
#: knee (a seated raise): the suite's hanging raises 0.70-0.95, its seated 0.19-0.49, the real seated 0.25-0.27.
HIP_FROM_KNEE_M = 0.6
#: ... and it starts between these from straight down (deg), above the axis and ahead of it: the ankle starts above
#: the hip, as in heel taps from a tabletop (the suite's: 129-153 deg; lying raises read up to 111, flutter kicks
#: 98-135, but the tempo rule takes those first). Further round, straight above the axis, is no posture to start a
#: rep from: a set whose rest was taken at its reps' top reads so (a lying raise's first set, suite #121: 174-176).
STARTS_ABOVE_DEG = (125.0, 165.0)


def auto_preset(rom_deg: list[float], continuous: bool, from_down_deg: list[float] = (),
                lever_m: list[float] = ()) -> Preset:
    """A sensible preset for ``--exercise auto`` from the first set's reps: their ranges (deg), whether they
    follow each other without pauses (``continuous``), and the directions (deg) and lengths (m) of the levers
    fitted to those that have one (:class:`imu.ramp_fit.LeverFit`).

    Continuous kicks of under 45 deg are flutter kicks. Otherwise the posture decides where the lever tells it:
    the tilt alone cannot tell a seated or hanging shin from a lying one, but the shin's own acceleration shows
    where the axis it turns about is: above the sensor (the shin hangs: ``HANGS_DEG``), a seated knee extension
    or, with the axis at the hip (``HIP_FROM_KNEE_M``), a hanging raise; below it (``STARTS_ABOVE_DEG``), heel
    taps. The range of motion picks among the lying ones (big: straight-leg raises; medium: side-lying lifts;
    small: prone/plank lifts).
    """
    rom = float(median(rom_deg))
    posture = float(median(from_down_deg)) if len(from_down_deg) >= 2 else float("nan")
    if continuous and rom < 45:
        slug = "flutter-kick"
    elif posture < HANGS_DEG:
        slug = "hanging-leg-raise" if median(lever_m) >= HIP_FROM_KNEE_M else "seated-leg-raise"
    elif STARTS_ABOVE_DEG[0] <= posture <= STARTS_ABOVE_DEG[1]:
        slug = "heel-tap"
    else:
        slug = RANGE_PICKS[0] if rom >= 50 else RANGE_PICKS[1] if rom >= 28 else RANGE_PICKS[2]
    return PRESETS[slug]


#: the lying lifts ``auto`` tells apart by the first set's range alone, largest first
RANGE_PICKS = ("lying-leg-raise", "side-leg-lift", "reverse-leg-lift")


def max_rom_deg(preset: Preset, auto_picked: bool = False) -> float:
    """The largest range (deg) a rep of ``preset`` may have (``max_rom_factor`` times its target; beyond it the leg
    changed posture). For a preset ``auto`` picked (``auto_picked``) by the first set's range alone
    (:data:`RANGE_PICKS`), the largest of those: that set's range says little of the sets after it (a warm-up set of
    partial lying raises, 27 deg, picked prone lifts, whose limit of 55 deg then refused every full raise after it:
    suite #108)."""
    presets = [PRESETS[slug] for slug in RANGE_PICKS] if auto_picked and preset.slug in RANGE_PICKS else [preset]
    return max(p.max_rom_factor * p.target_rom_deg for p in presets)
