"""Phase boundaries and the range of one rep from its leg-angle trace (imu.phases)."""
import numpy as np

from bench.sim_suite import match_reps, run_engine, set_counts
from imu.phases import held_top_deg, minimum_jerk, rep_phases
from imu.sim import SessionSpec, SetSpec, simulate_session


def test_the_range_is_the_angle_held_at_the_top():
    # a 2 s raise to 80 deg, a 0.4 s hold, a 2 s lowering, at 50 Hz: the stretch above 70 % of the peak takes in
    # the ramps' upper ends and reads the top ~2 deg low; the hold itself reads it
    t = np.arange(0.0, 7.0, 0.02)
    theta = 80.0 * (minimum_jerk((t - 1.0) / 2.0) - minimum_jerk((t - 3.4) / 2.0))
    timing = rep_phases(t, theta, np.gradient(theta, t), int(np.argmax(theta)), 0.0, 0.0)
    assert abs(timing.top_s - 3.0) < 0.08 and abs(timing.lower_s - 3.4) < 0.08
    assert timing.top_deg < 79.0
    assert abs(held_top_deg(t, theta, timing.top_s, timing.lower_s) - 80.0) < 0.1
    assert held_top_deg(t, theta, 3.0, 3.02) is None  # two samples: the rep turned at its peak


def test_with_a_gyroscope_bent_knee_raises_read_their_range_within_a_degree():
    # read off the stretch above 70 % of the peak, each rep's range came out ~1.2 deg short
    sim = simulate_session(SessionSpec("bent-knee-raise", [SetSpec("textbook", 10), SetSpec("slow_eccentric", 8)],
                                       rate_hz=100.0, gyro=True, seed=6))
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [10, 8]
    err = [r.rom_deg - t.rom_deg for t, r in match_reps(sim.reps, reps) if r is not None]
    assert np.mean(np.abs(err)) < 0.9 and abs(np.median(err)) < 0.6
