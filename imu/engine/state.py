"""What the engine reports (:class:`Event`) and what it builds a set from (:class:`Candidate`, :class:`SetState`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from imu.engine.params import LIKE_SET_FACTOR
from imu.gaps import measured
from imu.phases import RepTiming
from imu.ramp_fit import LeverFit
from imu.rep import Rep


@dataclass(frozen=True)
class Event:
    """What the engine reports: ``rep`` (a new rep), ``update`` (a rep's bottom hold and flags were
    completed when the next rep started, or revised at the end), ``set_end``."""

    kind: str
    rep: Rep | None = None
    set: int | None = None


@dataclass
class Candidate:
    """A rep of a tentative set: its timing, the longest gap in its data (s), whether it was inferred."""

    timing: RepTiming
    gap_s: float = 0.0
    inferred: bool = False
    refined: RepTiming | None = None  #: what it reports: range up to the angle held at the top, or (acc-only) fitted
    #: without a gyroscope, the lever of a fit that turned about the sensor (the knees bent with the heels on the floor;
    #: :func:`imu.ramp_fit.about_sensor`), which refines nothing but tells the axis
    about_sensor: LeverFit | None = None
    #: (the set's frame, the lever fitted in it): a tentative set's reps are judged again as each one lands
    fitted_lever: tuple | None = field(default=None, repr=False, compare=False)
    #: (the set's frame, the levers of its way up and its way down fitted in it), with a gyroscope
    half_levers: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def reported(self) -> RepTiming:
        """The timing the rep is reported with (``timing`` is the leg angle's, which the search goes by)."""
        return self.refined or self.timing

    @property
    def measured(self) -> bool:
        return measured(self.gap_s, self.inferred)

    @property
    def ramp_fit(self) -> RepTiming | None:
        """Without a gyroscope: the rep fitted to the readings, the leg's own acceleration included
        (:mod:`imu.ramp_fit`; its ``lever_m`` set), or None where the model did not fit (or with a gyroscope)."""
        fit = self.refined
        return fit if fit is not None and fit.lever_m is not None else None

    @property
    def tilt_distorted(self) -> bool:
        """Whether its tilt is no reading of the leg: fitted to the readings, the leg's own acceleration included
        (acc-only, :mod:`imu.ramp_fit`), the tilt's range is more than ``LIKE_SET_FACTOR`` times the fitted one (a
        flutter kick's tilt jumped ~10 deg at its start and read 45.8 deg from -4.4, the fit 21). Not the other way
        round: a tilt that barely moved is no jump, and a fit of it to 5 times that was a walk's step."""
        fit = self.ramp_fit
        return fit is not None and self.timing.rom_deg > LIKE_SET_FACTOR * fit.rom_deg


@dataclass
class SetState:
    """The frame and reps of the set being built (tentative until ``min_set_reps``)."""

    home: np.ndarray
    axis: np.ndarray | None = None
    number: int | None = None  # set number once confirmed
    pending: list[Candidate] = field(default_factory=list)  # reps not yet confirmed
    reps: list[Rep] = field(default_factory=list)  # emitted reps of this set
    bottoms: list[float] = field(default_factory=list)
    ready_deg: float = float("nan")  # where the accelerometer had the leg held ready before the set's first rep
    emitted: list[Candidate] = field(default_factory=list)  # what ``reps`` were made from (the search's timings)
    last_end_s: float | None = None
    provisional: bool = False  # the axis was fixed by a movement too small for a rep: the next one fixes it again
    inherited: bool = False  # the frame is that of a closed set, which the first rep was unlike



def ordered_flags(flags) -> tuple[str, ...]:
    from imu.rep import FLAG_DESCRIPTIONS

    order = list(FLAG_DESCRIPTIONS)
    return tuple(sorted(set(flags), key=order.index))
