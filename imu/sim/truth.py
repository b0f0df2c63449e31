"""Ground truth of a simulated session. Times in seconds on the recording's ``t`` clock, angles in degrees.

Rep phases follow :mod:`imu.rep`: up [start_s, top_s], top hold [top_s, lower_s], down [lower_s, end_s],
bottom hold [end_s, next rep's start_s].
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from imu.rep import PhaseTimes


@dataclass(frozen=True)
class RepTruth(PhaseTimes):
    """One true repetition."""

    set: int  #: 1-based set number in the session
    rep: int  #: 1-based rep number within the set
    start_s: float  #: leg leaves the resting position
    top_s: float  #: leg arrives at the far end (the top; heel-tap: the floor tap)
    lower_s: float  #: leg leaves the far end
    end_s: float  #: leg back at the resting position (or on the floor when ``feet_rested``)
    rom_deg: float  #: |far-end angle - resting angle before the rep| (nominal, without tremor/sway)
    bottom_hold_s: float | None  #: to the next rep's start_s in the set; None for the last rep
    momentum: bool
    rushed: bool
    partial: bool
    feet_rested: bool  #: the legs rested on the floor in the bottom pause AFTER this rep
    style: str
    bottom_deg: float = 0.0  #: resting angle before the rep minus the set's first resting angle (signed)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(peak_s=self.peak_s, up_s=self.up_s, top_hold_s=self.top_hold_s, down_s=self.down_s)
        return d


@dataclass(frozen=True)
class SetTruth:
    """One true set: from the start of the still hold in the exercise's resting position to the end of
    its last rep."""

    set: int
    exercise: str
    style: str
    start_s: float
    end_s: float
    reps: int  #: number of reps
    full_rom_deg: float = 0.0  #: the person's full range of motion in this set (partial: < 65 % of it)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RestTruth:
    """Time outside sets (no reps): leaving the exercise position, the rest ``kinds``, getting back."""

    start_s: float
    end_s: float
    kinds: tuple  #: movements in this rest, in order (see :data:`imu.sim.rest.REST_KINDS`)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kinds"] = list(self.kinds)
        return d
