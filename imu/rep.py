"""The rep: what the detection engine reports for each repetition it counts.

Times are seconds on the recording's own ``t`` clock; angles in degrees; speeds in deg/s.

Phases of a rep (trainers' vocabulary):

- **up** (concentric): from ``start_s`` (the leg leaves the set's resting position) to ``top_s``
  (the leg arrives at the top);
- **top hold**: from ``top_s`` to ``lower_s`` (the leg starts down);
- **down** (eccentric): from ``lower_s`` to ``end_s`` (the leg is back at the resting position);
- **bottom hold**: from ``end_s`` to the next rep's ``start_s`` in the same set (none after a set's
  last rep).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from imu.gaps import measured

#: Form-flag codes and what they mean (thresholds live in :mod:`imu.presets`).
FLAG_DESCRIPTIONS: dict[str, str] = {
    "momentum": "swung up ballistically and/or dropped: the ankle thrown harder than the preset's acceleration "
                "limit, or up or down faster than its momentum limit",
    "rushed": "controlled but faster than the preset's tempo target (up or down too quick)",
    "partial": "range of motion short of the preset's target top, or clearly short of the person's own full reps; "
               "or (with a gyroscope) the set turned about a joint nearer the ankle than the exercise's: the knee or "
               "ankle bent while the hip barely moved",
    "feet_rested": "the legs rested on the floor (relaxed, below the hover level) in the bottom pause after this rep",
    "no_top_hold": "no pause at the top although the preset asks for one",
    "uneven_rom": "range of motion far from the set's median (inconsistent reps)",
    "data_gap": "the sensor stream had a gap during this rep: counted, but its timing is uncertain",
    "inferred": "lost in a gap of the sensor stream (or misread across one) and counted from the set's rhythm "
                "(or where it was): no tempo or range measured",
}


class PhaseTimes:
    """Phase durations of anything with ``start_s``, ``top_s``, ``lower_s`` and ``end_s`` (s): the
    reps the engine counts and the simulator's ground truth."""

    @property
    def peak_s(self) -> float:
        """Middle of the top hold (the turning point when there is no hold)."""
        return 0.5 * (self.top_s + self.lower_s)

    @property
    def up_s(self) -> float:
        return self.top_s - self.start_s

    @property
    def top_hold_s(self) -> float:
        return self.lower_s - self.top_s

    @property
    def down_s(self) -> float:
        return self.end_s - self.lower_s


@dataclass(frozen=True)
class Rep(PhaseTimes):
    """One counted repetition (see the module docstring for the phases)."""

    set: int  #: 1-based set number in the session
    rep: int  #: 1-based rep number within the set
    start_s: float  #: leg leaves the resting position
    top_s: float  #: leg arrives at the top (end of the up phase)
    lower_s: float  #: leg starts down (end of the top hold)
    end_s: float  #: leg back at the resting position
    rom_deg: float  #: range of motion: top angle minus the resting angle before the rep
    peak_up_dps: float  #: peak angular speed on the way up
    peak_down_dps: float  #: peak angular speed on the way down
    bottom_deg: float = 0.0  #: resting angle before the rep, relative to the set's first resting position
    flags: tuple[str, ...] = field(default_factory=tuple)  #: form-flag codes, see FLAG_DESCRIPTIONS
    bottom_hold_s: float | None = None  #: pause at the bottom before the next rep; None for a set's last rep
    gap_s: float = 0.0  #: longest stretch of lost data inside the rep (s)
    peak_accel_g: float = 0.0  #: how hard the leg was thrown, g (see imu.phases.peak_accel_g)

    @property
    def inferred(self) -> bool:
        """Counted from the set's rhythm across a gap in the data (see :mod:`imu.gaps`): its times are
        estimates and nothing about its form was measured."""
        return "inferred" in self.flags

    @property
    def measured(self) -> bool:
        """Timing and range measured on data without a long gap (what form flags and medians use)."""
        return measured(self.gap_s, self.inferred)

    @property
    def momentum(self) -> bool:
        return "momentum" in self.flags

    # an inferred rep's times only place it: its phases were not measured
    @property
    def up_s(self) -> float:
        return float("nan") if self.inferred else self.top_s - self.start_s

    @property
    def top_hold_s(self) -> float:
        return float("nan") if self.inferred else self.lower_s - self.top_s

    @property
    def down_s(self) -> float:
        return float("nan") if self.inferred else self.end_s - self.lower_s

    @property
    def tut_s(self) -> float:
        """Time under tension: up + top hold + down, plus the bottom hold when the feet hovered
        (NaN for an inferred rep)."""
        if self.inferred:
            return float("nan")
        tut = self.end_s - self.start_s
        if self.bottom_hold_s is not None and "feet_rested" not in self.flags:
            tut += self.bottom_hold_s
        return tut

    @property
    def tempo(self) -> str:
        """Trainers' tempo notation eccentric-bottom-concentric-top in whole seconds, e.g. ``3-0-2-1``
        (empty for an inferred rep)."""
        if self.inferred:
            return ""
        bottom = 0.0 if self.bottom_hold_s is None else self.bottom_hold_s
        return "-".join(str(int(round(v))) for v in (self.down_s, bottom, self.up_s, self.top_hold_s))
