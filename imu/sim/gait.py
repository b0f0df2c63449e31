"""Walking: the shin swings about the knee while the knee travels forward (seconds, metres, degrees).

The shin swings +-A around vertical at the stride rate; the knee moves at the speed that keeps the
ankle still at mid-stance (v = A * 2 pi f * shin). Heel strikes of this foot (1-3 g) come when the shin
is furthest forward; the other foot's heel strikes (0.2-0.5 g) half a stride later.
"""
from __future__ import annotations

import numpy as np

from .context import Ctx
from .profiles import minjerk
from .timeline import Timeline

GRID_S = 0.002


def walk(tl: Timeline, ctx: Ctx, dur: float) -> None:
    """Walk for ``dur`` seconds from standing (knee-pivot pose) and stop standing, maybe turning around."""
    rng, body, p0 = ctx.rng, ctx.body, tl.pose
    t = np.linspace(0.0, dur, max(int(round(dur / GRID_S)), 2) + 1)
    f = rng.uniform(0.8, 1.0)  # strides per second
    amp = rng.uniform(20.0, 28.0)  # shin swing, deg
    ramp = min(1.2, dur / 3)
    env = minjerk(t / ramp) * minjerk((dur - t) / ramp)
    psi = p0.psi + (-90.0 - p0.psi) * minjerk(t / ramp) + amp * env * np.sin(2 * np.pi * f * t)
    beta = np.full_like(t, p0.beta)
    if dur > 8 and rng.random() < 0.7:  # turn around somewhere along the way
        tc, tt = rng.uniform(0.35, 0.55) * dur, rng.uniform(1.5, 3.0)
        beta = beta + rng.choice([-1, 1]) * rng.uniform(90, 200) * minjerk((t - tc) / tt)
    speed = np.radians(amp) * 2 * np.pi * f * body.shin_m * rng.uniform(0.9, 1.1) * env
    b = np.radians(beta)
    step = np.concatenate([[0.0], np.diff(t)])
    kx = p0.pivot[0] + np.cumsum(speed * np.cos(b) * step)
    ky = p0.pivot[1] + np.cumsum(speed * np.sin(b) * step)
    kz = p0.pivot[2] + rng.uniform(0.01, 0.025) * env * (1 - np.cos(4 * np.pi * f * t)) / 2
    values = np.column_stack([beta, psi, np.full_like(t, p0.rho), kx, ky, kz,
                              np.full_like(t, p0.r), np.full_like(t, p0.delta)])
    t_start = tl.t
    tl.track(t, values)
    for k in range(int(dur * f) + 2):
        for phase, lo, hi in ((0.25, 1.0, 3.0), (0.75, 0.2, 0.5)):
            tk = (k + phase) / f
            e = np.interp(tk, t, env)
            if tk < dur and e > 0.3:
                fwd = np.array([np.cos(np.interp(tk, t, b)), np.sin(np.interp(tk, t, b)), 0.0])
                tl.impact(t_start + tk, rng.uniform(lo, hi) * e, np.array([0, 0, 0.9]) - 0.4 * fwd, rng=rng)
