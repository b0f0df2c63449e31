"""Rep styles (tempo, range of motion, ground-truth flag) and per-rep plans. Durations in seconds.

A rep is: up (leaves the resting position) -> top hold -> down (back) -> bottom hold (to the next rep).
Per-rep variation: durations x U(0.87, 1.13), ROM x U(0.92, 1.06) (+-10-15 %).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exercises import ExerciseDef

#: Truth thresholds: "rushed" if up or down shorter than this (and not momentum); "partial" below this
#: fraction of the set's full ROM. Non-partial reps keep >= MIN_FULL_FRAC of the full ROM.
RUSHED_S = 1.2
PARTIAL_FRAC = 0.65
MIN_FULL_FRAC = 0.82


@dataclass(frozen=True)
class Style:
    """Tempo ranges (s) of one rep style, drawn per set then varied per rep."""

    name: str
    truth: str | None  #: the flag this style is meant to produce (None: clean reps)
    up: tuple = (1.7, 2.3)
    top: tuple = (0.8, 1.3)
    down: tuple = (2.0, 3.0)
    bottom: tuple = (0.4, 1.5)
    rom_frac: tuple = (1.0, 1.0)  #: fraction of the full ROM (set level)
    ballistic: bool = False  #: swung up / dropped (momentum profiles)
    rest_floor: tuple | None = None  #: legs rested on the floor between reps for this long
    max_phase_s: float | None = None  #: cap on up and down durations


STYLES: dict[str, Style] = {s.name: s for s in [
    Style("textbook", None),
    Style("slow_eccentric", None, down=(3.0, 4.5)),
    Style("brisk", "rushed", up=(0.8, 1.1), top=(0.0, 0.3), down=(0.8, 1.1), bottom=(0.2, 0.8), max_phase_s=1.15),
    Style("swung", "momentum", up=(0.3, 0.55), top=(0.0, 0.0), down=(0.3, 0.55), bottom=(0.3, 1.2),
          ballistic=True, max_phase_s=0.6),
    Style("partial", "partial", rom_frac=(0.3, 0.6)),
    Style("feet_rested", "feet_rested", rest_floor=(1.0, 2.5)),
    Style("fatigue", None),
]}


@dataclass
class RepPlan:
    """Planned rep: phase durations (s), far-end ROM fraction, and what happens in the bottom pause."""

    up_s: float
    top_s: float
    down_s: float
    bottom_s: float | None  #: None for the set's last rep
    rom_frac: float
    rest_after: bool = False  #: legs rested on the floor in the bottom pause after this rep
    ballistic: bool = False


def min_duration(delta_deg: float, peak_coeff: float, max_alpha: float) -> float:
    """Shortest duration (s) of a move of ``delta_deg`` whose profile peaks at ``peak_coeff * delta /
    T^2`` angular acceleration, for a person producing at most ``max_alpha`` rad/s^2."""
    return float(np.sqrt(peak_coeff * np.radians(abs(delta_deg)) / max_alpha))


def _vary(rng, n, lo=0.87, hi=1.13):
    return rng.uniform(lo, hi, n)


def plan_reps(style_name: str, n: int, ex: ExerciseDef, rng: np.random.Generator) -> list[RepPlan]:
    """Plan ``n`` reps of ``style_name`` for exercise ``ex`` (raises ValueError if not applicable)."""
    if style_name not in STYLES:
        raise ValueError(f"unknown style {style_name!r}; known: {', '.join(STYLES)}")
    if style_name not in ex.styles:
        raise ValueError(f"style {style_name!r} does not apply to {ex.slug}")
    if n < 1:
        raise ValueError("a set needs at least one rep")
    st = STYLES[style_name]
    u = rng.uniform
    x = np.arange(n) / max(n - 1, 1)  # progress through the set
    if ex.continuous:  # flutter kicks: one cycle of this leg per rep, no holds
        half = u(0.5, 1.2) / 2
        up, down = half * _vary(rng, n, 0.9, 1.1), half * _vary(rng, n, 0.9, 1.1)
        top, bottom = np.zeros(n), np.zeros(n)
    else:
        up = u(*st.up) * _vary(rng, n)
        top = u(*st.top) * _vary(rng, n) * ex.top_hold_scale
        down = u(*st.down) * _vary(rng, n)
        bottom = u(*st.bottom) * _vary(rng, n, 0.7, 1.3)
    frac = u(*st.rom_frac) * _vary(rng, n, 0.92, 1.06)
    if style_name == "partial":
        frac = np.clip(frac, 0.28, 0.62)
    if style_name == "fatigue":
        k = 0.3 if ex.continuous else 1.0
        factor = 1 - k * x * u(0.3, 0.5) if rng.random() < 0.6 else 1 + k * x * u(0.1, 0.3)
        up, down = up * factor, down * factor
        top = top * (1 - 0.6 * x)
        frac = (1 - u(0.08, 0.17) * x ** 1.5) * _vary(rng, n, 0.97, 1.03)
    if style_name != "partial":
        frac = np.clip(frac, MIN_FULL_FRAC, 1.0 if ex.floor_top else 1.08)
        if ex.floor_top and style_name != "fatigue":
            frac = np.ones(n)  # heel taps reach the floor
    if st.max_phase_s:
        up, down = np.minimum(up, st.max_phase_s), np.minimum(down, st.max_phase_s)
    rest = np.zeros(n, bool)
    if st.rest_floor:
        rest[:-1] = True
        bottom = u(*st.rest_floor, n)
    if ex.alternating:  # the other leg's rep happens in this leg's bottom pause
        other = (up + top + down) * _vary(rng, n, 0.9, 1.1)
        bottom = np.maximum(bottom, 0.3) + other + u(0.2, 0.6, n)
    plans = [RepPlan(float(up[i]), float(top[i]), float(down[i]), float(bottom[i]), float(frac[i]),
                     bool(rest[i]), st.ballistic) for i in range(n)]
    plans[-1].bottom_s = None
    return plans
