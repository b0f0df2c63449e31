"""Composing and rendering a whole simulated session: rests and sets -> sensor data + truth.

The motion is built on a 500 Hz grid, differentiated to ideal acc/gyro, averaged over each output
sample period (the sensor's decimation filter), and corrupted by the sensor errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .body import Body, draw_body
from .context import Ctx
from .exercises import EXERCISES
from .kinematics import imu_signals
from .postures import posture_pose
from .rest import REST_KINDS, build_rest
from .rotations import random_rotation
from .sensor import SensorErrors, apply_errors, boxcar_sample, draw_errors, timestamps
from .sets import build_set
from .spec import SessionSpec
from .tempo import STYLES
from .timeline import Timeline
from .truth import RestTruth

GRID_HZ = 500.0
_MARGIN_S = 0.2


@dataclass
class SimSession:
    """A simulated recording and its ground truth (times on the ``data.t`` clock)."""

    data: pd.DataFrame  #: t (s), ax, ay, az (g), [gx, gy, gz] (deg/s)
    reps: list  #: list[RepTruth], ordered by time
    sets: list  #: list[SetTruth]
    rests: list  #: list[RestTruth]
    angle_deg: np.ndarray  #: true shin elevation at each sample (deg; see imu.sim.body)
    spec: SessionSpec
    mountings: list = field(default_factory=list)  #: [(t_from_s, 3x3 sensor -> shin rotation)]
    errors: SensorErrors | None = None
    body: Body | None = None

    @property
    def rest_seconds(self) -> float:
        """Total time outside sets (s)."""
        return float(sum(r.end_s - r.start_s for r in self.rests))

    def truth_dict(self) -> dict:
        return {"exercise": self.spec.exercise, "seed": self.spec.seed, "rate_hz": self.spec.rate_hz,
                "gyro": self.spec.gyro, "rest_seconds": self.rest_seconds,
                "sets": [s.to_dict() for s in self.sets], "reps": [r.to_dict() for r in self.reps],
                "rests": [r.to_dict() for r in self.rests]}


def validate(spec: SessionSpec) -> None:
    """Raise ValueError for unknown exercises/styles/kinds or styles that do not apply."""
    if not spec.sets:
        raise ValueError("a session needs at least one set")
    if not spec.rate_hz > 0:
        raise ValueError("rate_hz must be positive")
    for s in spec.sets:
        slug = s.exercise or spec.exercise
        if slug not in EXERCISES:
            raise ValueError(f"unknown exercise {slug!r}; known: {', '.join(EXERCISES)}")
        if s.style not in STYLES:
            raise ValueError(f"unknown style {s.style!r}; known: {', '.join(STYLES)}")
        if s.style not in EXERCISES[slug].styles:
            raise ValueError(f"style {s.style!r} does not apply to {slug}")
        if int(s.reps) < 1:
            raise ValueError("a set needs at least one rep")
    bad = set(spec.rest_kinds) - set(REST_KINDS)
    if bad:
        raise ValueError(f"unknown rest kinds {sorted(bad)}; known: {', '.join(REST_KINDS)}")


def _kinds_per_rest(kinds, n_rests: int, rng) -> list[list[str]]:
    """Spread the rest kinds over the rests so that every kind occurs at least once."""
    queue = list(rng.permutation(list(kinds))) if kinds else []
    out = []
    for i in range(n_rests):
        need = int(np.ceil(len(queue) / (n_rests - i)))
        k = max(need, int(rng.integers(1, 4))) if kinds else 0
        take, queue = queue[:k], queue[k:]
        while len(take) < k:
            extra = str(rng.choice(list(kinds)))
            if extra not in take:
                take.append(extra)
            elif len(set(kinds)) <= len(set(take)):
                break
        out.append([str(x) for x in take])
    return out


def simulate_session(spec: SessionSpec) -> SimSession:
    """Simulate one session (deterministic given ``spec.seed``)."""
    validate(spec)
    rng = np.random.default_rng(spec.seed)
    body = draw_body(rng)
    mount = random_rotation(rng) if spec.mounting is None else np.asarray(spec.mounting, float)
    errors = draw_errors(spec, rng)
    first = EXERCISES[spec.sets[0].exercise or spec.exercise]
    posture = first.base if rng.random() < 0.5 else "standing"
    ctx = Ctx(body, rng, spec, posture, rng.uniform(*spec.tremor_deg), rng.uniform(*spec.sway_deg))
    tl = Timeline(posture_pose(posture, body, rng.uniform(-180, 180), rng), mount)
    p_restrap = float(spec.restrap)
    kinds = _kinds_per_rest(spec.rest_kinds, len(spec.sets) + 1, rng)
    t0, rests, sets, reps, geom = spec.t0, [], [], [], None
    for i, ss in enumerate(list(spec.sets) + [None]):
        ks = list(kinds[i])
        if ss is not None and i > 0 and rng.random() < p_restrap and "restrap" not in ks:
            ks.insert(int(rng.integers(0, len(ks) + 1)), "restrap")
        ex = None if ss is None else EXERCISES[ss.exercise or spec.exercise]
        r0 = tl.t
        done, new_geom = build_rest(tl, ctx, ks, rng.uniform(*spec.rest_s), geom, ex)
        rests.append(RestTruth(float(r0 + t0), float(tl.t + t0), tuple(done)))
        if ss is None:
            break
        st, rs = build_set(tl, ctx, new_geom, ss.style, int(ss.reps), i + 1, t0)
        sets.append(st)
        reps += rs
        geom = new_geom
    data, angle = _render(tl, spec, errors, rng)
    return SimSession(data, reps, sets, rests, angle, spec, [(max(t, 0.0) + t0, M) for t, M in tl.mounts],
                      errors, body)


def _render(tl: Timeline, spec: SessionSpec, errors: SensorErrors, rng) -> tuple[pd.DataFrame, np.ndarray]:
    h = 1.0 / GRID_HZ
    tg = np.arange(-_MARGIN_S, tl.t + _MARGIN_S + h, h)
    psi, R, p = tl.render(tg)
    acc, gyro = imu_signals(R, p, h)
    n = int(np.floor(tl.t * spec.rate_hz)) + 1
    ts, t_rep = timestamps(n, spec.rate_hz, spec.jitter_s, rng)
    sig = boxcar_sample(tg, np.hstack([acc, gyro]) if spec.gyro else acc, ts, 1.0 / spec.rate_hz)
    acc, gyro = apply_errors(sig[:, :3], sig[:, 3:] if spec.gyro else None, errors, rng)
    cols = {"t": t_rep + spec.t0, "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]}
    if spec.gyro:
        cols.update(gx=gyro[:, 0], gy=gyro[:, 1], gz=gyro[:, 2])
    return pd.DataFrame(cols), np.interp(ts, tg, psi)
