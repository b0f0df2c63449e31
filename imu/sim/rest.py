"""Rests: everything between sets (none of it is a rep). Seconds, degrees, metres.

A rest leaves the previous set's position, does a sequence of rest movements (:data:`REST_KINDS`),
and gets into the next set's resting position. Posture changes needed in between are smooth moves
along :data:`imu.sim.postures.EDGES`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .context import Ctx
from .exercises import ExerciseDef, SetGeometry
from .gait import walk
from .postures import LYING, align, edge, path, posture_pose
from .rotations import random_rotation
from .sets import enter_set, exit_set
from .timeline import Timeline

REST_KINDS = ("lie_still", "sit_up", "bend_knees", "stand", "walk", "fidget", "restrap")
ANY = LYING + ("standing", "seated_box")
#: Postures each kind can start from.
KIND_POSTURES = {
    "lie_still": LYING, "sit_up": ("supine",), "bend_knees": ("supine", "long_sit"),
    "stand": ("standing",), "walk": ("standing",), "fidget": ANY, "restrap": ANY + ("squat",),
}


@dataclass
class Step:
    """One planned piece of a rest: fixed duration plus a flexible part of at least ``flex_min`` s."""

    label: str | None  #: the rest kind, or None for a posture transition
    fixed: float
    flex_min: float
    run: Callable  #: run(tl, ctx, flex_s)


def _transition(a: str, b: str, rng) -> Step:
    lo, hi, keep = edge(a, b)
    dur = rng.uniform(lo, hi)

    def run(tl, ctx, _):
        cur = tl.pose
        xy = cur.pivot[:2] if keep == "pivot" else cur.sensor()[:2]
        tl.move(dur, align(posture_pose(b, ctx.body, cur.beta, ctx.rng, xy=xy), cur, keep))
        ctx.posture = b
    return Step(None, dur, 0.0, run)


def _to_posture(posture: str, goals, rng) -> tuple[list[Step], str]:
    """Transition steps from ``posture`` to the nearest of ``goals`` -> (steps, posture reached)."""
    names = path(posture, goals)
    return [_transition(a, b, rng) for a, b in zip(names, names[1:])], names[-1]


def _kind(kind: str, posture: str, rng) -> tuple[Step, str]:
    """Plan one rest kind starting in ``posture`` -> (step, posture afterwards)."""
    u = rng.uniform
    if kind == "lie_still":
        def run(tl, ctx, flex):
            tl.layer(tl.t, tl.t + flex, u(0.05, 0.2), (0.2, 0.33), rng, n=1, ramp_s=1.0)
            tl.hold(flex)
        return Step(kind, 0.0, 3.0, run), posture
    if kind in ("sit_up", "bend_knees"):
        t_go, t_back, back = u(2.0, 3.5), u(1.5, 3.0), rng.random() < 0.5
        goal = "long_sit" if kind == "sit_up" else "knees_bent"

        def run(tl, ctx, flex):
            start = tl.pose
            target = align(posture_pose(goal, ctx.body, start.beta, rng, start.pivot[:2]), start, "pivot")
            if kind == "sit_up":  # the legs lift a little as a counterweight, then settle
                tl.move(0.45 * t_go, start.but(psi=start.psi + u(3, 12), rho=start.rho + u(-8, 8)))
                tl.move(0.55 * t_go, target)
                tl.impact(tl.t, u(0.05, 0.15), rng=rng)
            else:
                tl.move(t_go, target)
            tl.hold(flex)
            ctx.posture = goal
            if back:
                tl.move(t_back, start)
                ctx.posture = posture
        return Step(kind, t_go + (t_back if back else 0.0), 2.0, run), (posture if back else goal)
    if kind == "stand":
        def run(tl, ctx, flex):
            t0 = tl.t
            if flex > 5 and rng.random() < 0.5:  # turn on the spot in the middle
                a = u(0.2, 0.6) * (flex - 2)
                tl.hold(a)
                tl.move(2.0, tl.pose.but(beta=tl.pose.beta + rng.choice([-1, 1]) * u(30, 150)))
                tl.hold(flex - a - 2.0)
            else:
                tl.hold(flex)
            tl.layer(t0, tl.t, u(0.2, 0.6), (0.2, 0.5), rng, n=2, ramp_s=1.0)
        return Step(kind, 0.0, 2.0, run), posture
    if kind == "walk":
        return Step(kind, 0.0, 5.0, lambda tl, ctx, flex: walk(tl, ctx, flex)), posture
    if kind == "fidget":
        return Step(kind, 0.0, 3.0, lambda tl, ctx, flex: fidget(tl, ctx, flex)), posture
    if kind == "restrap":
        dur = u(3.0, 8.0)
        return Step(kind, dur, 0.0, lambda tl, ctx, _: tl.handling(dur, random_rotation(rng), rng)), posture
    raise ValueError(f"unknown rest kind {kind!r}; known: {', '.join(REST_KINDS)}")


def _order(kinds, posture: str) -> list[str]:
    """Lying kinds first when lying, upright kinds first when upright (fewer posture changes)."""
    lying_first = posture in LYING
    rank = {"lie_still": 0, "sit_up": 1, "bend_knees": 2, "fidget": 3, "restrap": 3, "stand": 4, "walk": 5}
    return sorted(kinds, key=lambda k: rank[k] if lying_first else -rank[k])


def build_rest(tl: Timeline, ctx: Ctx, kinds, target_s: float, prev: SetGeometry | None,
               next_ex: ExerciseDef | None) -> tuple[list[str], SetGeometry | None]:
    """Append a rest of about ``target_s`` seconds (longer if its movements need it) -> (kinds done,
    geometry of the next set, which starts at the returned timeline time)."""
    rng, start = ctx.rng, tl.t
    if prev is not None:
        exit_set(tl, ctx, prev)
    posture, steps = ctx.posture, []
    kinds = _order(kinds, posture)
    if all(k == "restrap" for k in kinds):  # a rest needs something of flexible length
        kinds = kinds + ["lie_still" if posture in LYING else ("stand" if posture == "standing" else "fidget")]
    for kind in kinds:
        if posture not in KIND_POSTURES[kind]:
            trans, posture = _to_posture(posture, KIND_POSTURES[kind], rng)
            steps += trans
        step, posture = _kind(kind, posture, rng)
        steps.append(step)
    if next_ex is not None and posture != next_ex.base:
        trans, posture = _to_posture(posture, next_ex.base, rng)
        steps += trans
    entry = 1.9 if next_ex is not None else 0.0
    fixed = sum(s.fixed for s in steps) + entry
    flex_steps = [s for s in steps if s.flex_min > 0]
    left = max(0.0, target_s - (tl.t - start) - fixed - sum(s.flex_min for s in flex_steps))
    shares = rng.dirichlet(np.ones(len(flex_steps))) * left if flex_steps else []
    extra = {id(s): x for s, x in zip(flex_steps, shares)}
    for s in steps:
        s.run(tl, ctx, s.flex_min + extra.get(id(s), 0.0))
    geom = enter_set(tl, ctx, next_ex) if next_ex is not None else None
    return [s.label for s in steps if s.label], geom


def fidget(tl: Timeline, ctx: Ctx, dur: float) -> None:
    """Small random leg shifts, foot wiggles and now and then a bend-and-straighten, for ``dur`` s."""
    rng, u, end, base = ctx.rng, ctx.rng.uniform, tl.t + dur, tl.pose
    lying, post = ctx.posture in LYING, ctx.posture
    while end - tl.t > 1.5:
        left = end - tl.t
        act = rng.choice(["shift", "wiggle", "bend"], p=[0.5, 0.3, 0.2])
        if act == "bend" and left > 4.0 and post in ("supine", "long_sit", "standing", "seated_box"):
            cur, d = tl.pose, u(0.8, 1.5)
            if post in ("supine", "long_sit"):
                bent = align(posture_pose("knees_bent", ctx.body, cur.beta, rng, cur.pivot[:2]), cur, "pivot")
            elif post == "standing":  # knee lift
                bent = cur.but(psi=cur.psi + u(-15, 15)).shifted(0, 0, u(0.05, 0.15))
            else:  # seated: swing the shin
                bent = cur.but(psi=cur.psi + u(10, 25))
            tl.move(d, bent)
            tl.hold(u(0.0, 0.5))
            tl.move(d, cur)
            if post == "standing":
                tl.impact(tl.t, u(0.3, 0.8), rng=rng)
        elif act == "wiggle":
            cur, f, amp = tl.pose, u(1.5, 3.0), u(2.0, 5.0)
            n = int(min(u(3, 8), (left - 0.5) * 2 * f))
            for k in range(n):
                tl.move(1 / (2 * f), cur.but(rho=cur.rho + amp * (1 if k % 2 == 0 else -1)))
            tl.move(1 / (2 * f), cur)
        else:
            d = u(0.4, 1.2)
            if lying:
                tgt = base.but(psi=base.psi + u(0, 1), rho=base.rho + u(-12, 12), beta=base.beta + u(-4, 4))
                tgt = tgt.shifted(u(-0.02, 0.02), u(-0.02, 0.02))
            else:
                tgt = base.but(psi=base.psi + u(-4, 4), beta=base.beta + u(-10, 10))
            tl.move(d, tgt)
        tl.hold(min(u(0.3, 2.0), max(end - tl.t, 0.0)))
    tl.hold(max(end - tl.t, 0.0))
