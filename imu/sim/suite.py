"""The fixed benchmark suite: ~120 sessions, >= 300 sets, every exercise x every applicable style."""
from __future__ import annotations

import numpy as np

from .exercises import EXERCISES
from .spec import DEFAULT_REST_KINDS, SessionSpec, SetSpec

SETS_PER_COMBO = 4
TOTAL_SETS = 320
RATES = (25.0, 26.0, 50.0, 52.0, 100.0, 104.0, 200.0)


def benchmark_suite(seed: int = 0) -> list[SessionSpec]:
    """Reproducible list of session specs (one exercise per session, 2-3 sets each).

    Rates 25-200 Hz (standard ones and random floats), half of the sessions without gyro, random
    mountings, rests cycling through every rest kind, restraps and timestamp jitter in some sessions.
    """
    rng = np.random.default_rng(seed)
    combos = [(ex.slug, st) for ex in EXERCISES.values() for st in ex.styles]
    jobs = [c for c in combos for _ in range(SETS_PER_COMBO)]
    while len(jobs) < TOTAL_SETS:
        jobs.append(combos[int(rng.integers(len(combos)))])
    by_ex: dict[str, list[str]] = {}
    for slug, st in jobs:
        by_ex.setdefault(slug, []).append(st)
    groups = []
    for slug, styles in by_ex.items():
        styles = [str(s) for s in rng.permutation(styles)]
        while styles:
            k = 3 if len(styles) in (3, 6) or (len(styles) > 4 and rng.random() < 0.6) else 2
            k = min(k, len(styles))
            groups.append((slug, styles[:k]))
            styles = styles[k:]
    order = rng.permutation(len(groups))
    specs = []
    kinds_cycle = list(DEFAULT_REST_KINDS)
    for i, gi in enumerate(order):
        slug, styles = groups[gi]
        lo, hi = (15, 31) if EXERCISES[slug].continuous else (6, 15)  # flutter kicks: many short reps
        rate = float(rng.choice(RATES)) if rng.random() < 0.6 else float(np.round(rng.uniform(25, 200), 2))
        k = int(rng.integers(2, 5))
        kinds = tuple(dict.fromkeys([kinds_cycle[(i + j) % len(kinds_cycle)] for j in range(k)]))
        specs.append(SessionSpec(
            exercise=slug, sets=[SetSpec(style=s, reps=int(rng.integers(lo, hi))) for s in styles], rate_hz=rate,
            gyro=(i % 2 == 0), seed=int(rng.integers(2 ** 31)), rest_s=(20.0, 90.0), rest_kinds=kinds,
            restrap=(1.0 if rng.random() < 0.25 else 0.0),
            jitter_s=(float(rng.uniform(0.1, 0.3) / rate) if rng.random() < 0.33 else 0.0),
            name=f"suite-{i:03d}-{slug}"))
    return specs

