"""The engine's gravity estimate against x-io's Fusion AHRS (``imufusion``) as a reference.

    python -m bench.fusion_bench [--sessions N]

Runs the engine over the simulated suite's sessions that have a gyroscope twice: with its own
vectorised complementary filter (:class:`imu.orientation.GravityFilter`) and with ``imufusion.Ahrs``
(default settings, acceleration rejection on, updated once per 50 Hz grid sample) in its place, and
prints counts, phase and ROM errors and the time spent in the fusion. This is why the engine carries
its own filter: Fusion's per-sample Python calls cost far more than the engine's whole budget.
"""
from __future__ import annotations

import argparse
import time

import imufusion
import numpy as np

import imu.signals
from bench.sim_suite import SuiteScore, print_score, run_engine, score_session
from imu.orientation import GravityFilter, unit
from imu.sim import benchmark_suite, simulate_session


class FusionGravity:
    """Drop-in for :class:`GravityFilter` backed by ``imufusion.Ahrs`` (one call per sample)."""

    spent_s = 0.0

    def __init__(self, rate_hz: float):
        self.ahrs = imufusion.Ahrs()
        settings = imufusion.AhrsSettings()
        settings.sample_rate = rate_hz
        settings.acceleration_rejection = 10.0
        settings.rejection_timeout = int(5 * rate_hz)
        self.ahrs.set_settings(settings)

    def __call__(self, acc_g: np.ndarray, gyro_dps: np.ndarray | None) -> np.ndarray:
        if gyro_dps is None:
            return unit(acc_g)
        t0 = time.perf_counter()
        out = np.empty_like(acc_g)
        for k in range(len(acc_g)):
            self.ahrs.update_no_magnetometer(gyro_dps[k], acc_g[k])
            out[k] = self.ahrs.get_gravity()
        FusionGravity.spent_s += time.perf_counter() - t0
        return unit(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=40)
    args = ap.parse_args()
    specs = [s for s in benchmark_suite(seed=0) if s.gyro][: args.sessions]
    sims = [simulate_session(s) for s in specs]
    for name, gravity in (("engine's complementary filter", GravityFilter), ("imufusion Ahrs", FusionGravity)):
        imu.signals.GravityFilter = gravity
        score, samples, t0 = SuiteScore(), 0, time.perf_counter()
        for k, sim in enumerate(sims):
            score_session(sim, run_engine(sim), score, f"#{k}")
            samples += len(sim.data)
        print(f"\n== {name}: {len(sims)} sessions, {samples:,} samples, {time.perf_counter() - t0:.1f} s in all ==")
        if gravity is FusionGravity:
            print(f"  time in imufusion: {FusionGravity.spent_s:.1f} s = {FusionGravity.spent_s / samples * 1e6:.1f} us "
                  "per input sample")
        print_score(name, score)
    imu.signals.GravityFilter = GravityFilter


if __name__ == "__main__":
    main()
