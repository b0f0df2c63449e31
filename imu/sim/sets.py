"""Composing one exercise set (and getting into / out of its position) on the timeline, with truth.

Times in seconds (session clock), angles in degrees.
"""
from __future__ import annotations

import numpy as np

from .context import Ctx
from .exercises import ExerciseDef, SetGeometry, set_geometry
from .postures import align, posture_pose
from .profiles import drop, minjerk, throw
from .tempo import PARTIAL_FRAC, RUSHED_S, min_duration, plan_reps
from .timeline import Timeline

MINJERK_PEAK = 10 / np.sqrt(3)  #: peak acceleration of minjerk per unit distance / T^2
from .truth import RepTruth, SetTruth


def enter_set(tl: Timeline, ctx: Ctx, ex: ExerciseDef) -> SetGeometry:
    """From the exercise's base posture into the set's resting position (hover, tabletop, hang...)."""
    geom = set_geometry(ex, ctx.body, tl.pose, ctx.rng)
    dur = ctx.rng.uniform(0.5, 0.8) if ex.kind == "hanging" else ctx.rng.uniform(1.2, 2.5)
    tl.move(dur, geom.pose(geom.home))
    ctx.posture = "set"
    return geom


def exit_set(tl: Timeline, ctx: Ctx, geom: SetGeometry) -> None:
    """From the set's resting position back to the base posture (legs down / off the bar)."""
    ex, rng, cur = geom.exercise, ctx.rng, tl.pose
    if ex.kind == "hanging":
        target = posture_pose("standing", ctx.body, cur.beta, rng, xy=cur.sensor()[:2])
        tl.move(rng.uniform(0.35, 0.5), target, drop(0.25))
        tl.impact(tl.t, rng.uniform(1.0, 2.0), rng=rng)
    else:
        target = posture_pose(ex.base, ctx.body, cur.beta, rng, xy=cur.pivot[:2])
        tl.move(rng.uniform(1.0, 2.0), align(target, cur, "pivot"))
        tl.impact(tl.t, rng.uniform(0.1, 0.3), rng=rng)
    ctx.posture = ex.base


def build_set(tl: Timeline, ctx: Ctx, geom: SetGeometry, style: str, n: int, set_no: int,
              t_off: float = 0.0) -> tuple[SetTruth, list[RepTruth]]:
    """Append a set of ``n`` reps (the timeline is at the set's resting position) -> truth.

    The set starts with a 2-5 s still hold; tremor and sway ride on every part of the set except the
    pauses with the legs rested on the floor."""
    ex, rng = geom.exercise, ctx.rng
    plans = plan_reps(style, n, ex, rng)
    push, catch = rng.uniform(0.3, 0.45), rng.uniform(0.25, 0.4)
    # swung reps: against gravity a throw, with gravity a drop; peak angular acceleration coefficients
    if ex.direction > 0:
        ballistic, coeff = (throw(push), drop(catch)), (np.pi / push, np.pi / catch)
    else:
        ballistic, coeff = (drop(catch), throw(push)), (np.pi / catch, np.pi / push)
    bump = rng.uniform(0.3, 1.0) * rng.choice([-1, 1])
    start = tl.t
    tl.hold(rng.uniform(2.0, 5.0))
    active, active_from = [], start
    cur, reps = geom.home, []
    for i, pl in enumerate(plans):
        far = geom.target(pl.rom_frac)
        back = geom.floor if pl.rest_after else geom.home
        profiles = ballistic if pl.ballistic else (minjerk, minjerk)
        c_up, c_down = coeff if pl.ballistic else (MINJERK_PEAK, MINJERK_PEAK)
        pl.up_s = max(pl.up_s, min_duration(far - cur, c_up, ex.max_alpha))
        pl.down_s = max(pl.down_s, min_duration(far - back, c_down, 1.3 * ex.max_alpha))
        times = _rep_motion(tl, geom, pl, far, back, profiles, rng)
        rom = abs(far - cur)
        rushed = not pl.ballistic and not ex.continuous and min(pl.up_s, pl.down_s) < RUSHED_S
        reps.append(RepTruth(
            set_no, i + 1, *(float(x + t_off) for x in times), rom_deg=float(rom), bottom_hold_s=pl.bottom_s,
            momentum=pl.ballistic, rushed=rushed,
            partial=bool(rom < PARTIAL_FRAC * geom.full_rom), feet_rested=pl.rest_after, style=style,
            bottom_deg=float(cur - geom.home)))
        if pl.rest_after:
            active.append((active_from, times[3]))
        if pl.bottom_s is not None:
            if ex.alternating and not pl.rest_after:
                _other_leg_rep(tl, geom, pl, bump, rng)
            else:
                tl.hold(pl.bottom_s)
            if pl.rest_after:
                active_from = tl.t
        cur = back
    end = tl.t
    active.append((active_from, end))
    for a, b in active:
        tl.layer(a, b, ctx.tremor_deg, (8.0, 12.0), rng, n=4, ramp_s=0.3)
        tl.layer(a, b, ctx.sway_deg, (0.2, 0.5), rng, n=2, ramp_s=0.8)
    if ex.kind == "hanging":  # the body swings a little about the bar
        amp = ctx.sway_deg * (rng.uniform(1.5, 3.0) if style == "swung" else rng.uniform(0.5, 1.3))
        tl.layer(start, end, amp, (0.45, 0.6), rng, n=1, ramp_s=1.5, swing_m=ctx.body.swing_m)
    return SetTruth(set_no, ex.slug, style, float(start + t_off), float(end + t_off), n, geom.full_rom), reps


def _rep_motion(tl: Timeline, geom: SetGeometry, pl, far: float, back: float, profiles, rng) -> tuple:
    """Up to ``far``, top hold, down to ``back`` (+ impacts on floor contact) -> (start, top, lower, end)."""
    ex = geom.exercise
    start = tl.t
    tl.move(pl.up_s, geom.pose(far), profiles[0])
    top = tl.t
    if ex.floor_top and pl.rom_frac >= 0.97:  # the heel taps the floor
        tl.impact(top, rng.uniform(0.1, 0.3) * (2.0 if pl.ballistic else 1.0), rng=rng)
    tl.hold(pl.top_s)
    lower = tl.t
    tl.move(pl.down_s, geom.pose(back), profiles[1])
    if pl.rest_after:  # the legs touch down on the floor
        tl.impact(tl.t, rng.uniform(0.1, 0.3), rng=rng)
    return start, top, lower, tl.t


def _other_leg_rep(tl: Timeline, geom: SetGeometry, pl, bump: float, rng) -> None:
    """This leg hovers while the other leg does its rep: the pelvis tilts it by ``bump`` degrees."""
    other = min((pl.up_s + pl.top_s + pl.down_s) * rng.uniform(0.9, 1.1), pl.bottom_s - 0.4)
    pad = (pl.bottom_s - other) / 2
    tl.hold(pad)
    tl.move(0.4 * other, geom.pose(geom.home + bump))
    tl.hold(0.2 * other)
    tl.move(0.4 * other, geom.pose(geom.home))
    tl.hold(pl.bottom_s - other - pad)
