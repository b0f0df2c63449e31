"""``python -m imu.sim OUT.csv [--exercise SLUG] [--style STYLE ...] [--reps N] [--rate HZ] [--no-gyro] [--seed S]``:
write a simulated recording and its ``OUT.truth.json``."""
from __future__ import annotations

import argparse
import sys

from . import EXERCISES, STYLES, SessionSpec, SetSpec, write_sim_recording


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m imu.sim", description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--exercise", default="lying-leg-raise", choices=sorted(EXERCISES))
    ap.add_argument("--style", action="append", choices=sorted(STYLES))
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--no-gyro", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    spec = SessionSpec(exercise=a.exercise, sets=[SetSpec(s, a.reps) for s in (a.style or ["textbook"])],
                       rate_hz=a.rate, gyro=not a.no_gyro, seed=a.seed)
    try:
        sim = write_sim_recording(a.out, spec)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.out}: {len(sim.sets)} sets, {len(sim.reps)} reps, {sim.data.t.iloc[-1]:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
