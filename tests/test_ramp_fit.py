"""Phase times without a gyroscope: the ramps fitted to the accelerometer's readings (imu.ramp_fit)."""
import numpy as np
from scipy import signal

from bench.sim_suite import match_reps, run_engine, set_counts
from imu.block import GRID_HZ
from imu.phases import rep_phases
from imu.ramp_fit import lever_fit, rep_ramps_fit
from imu.sim import SessionSpec, SetSpec, simulate_session

SOS = signal.butter(2, 3.0, fs=GRID_HZ, output="sos")  # the engine's low-pass (imu.signals)


RAISE_S = (1.5, 3.5, 4.5, 7.5)  #: start, top, lower, end of the simulated raise


def _raise_rad(t: np.ndarray, peak_deg: float = 80.0) -> np.ndarray:
    """The gravity angle (rad) of a 2 s raise to ``peak_deg``, 1 s hold, 3 s lowering (minimum-jerk ramps)."""
    start, top, lower, end = RAISE_S
    phi = np.zeros_like(t)
    up, down = (t >= start) & (t <= top), (t >= lower) & (t <= end)
    mj = lambda x: 10 * x**3 - 15 * x**4 + 6 * x**5  # noqa: E731
    peak = np.radians(peak_deg)
    phi[up] = peak * mj((t[up] - start) / (top - start))
    phi[(t > top) & (t < lower)] = peak
    phi[down] = peak * (1 - mj((t[down] - lower) / (end - lower)))
    return phi


def _straight_leg_raise(lever_m: float, lever_deg: float, noise_g: float = 0.003):
    """In-plane readings (g) of a 2 s raise to 80 deg, 1 s hold, 3 s lowering, low-passed as the engine
    does, with the true boundaries (s) and the peak gravity angle (rad)."""
    t = np.arange(0.0, 9.0, 1.0 / GRID_HZ)
    phi, peak = _raise_rad(t), np.radians(80.0)
    omega = np.gradient(phi, t)
    alpha = np.gradient(omega, t)
    q = lever_m / 9.80665 * np.array([np.cos(np.radians(lever_deg)), np.sin(np.radians(lever_deg))])
    jq = np.array([-q[1], q[0]])  # q turned by +90 deg
    raw = np.stack([np.cos(phi), np.sin(phi)], 1) - alpha[:, None] * jq - (omega**2)[:, None] * q
    raw += np.random.default_rng(1).normal(0.0, noise_g, raw.shape)
    zi = signal.sosfilt_zi(SOS)[:, :, None] * raw[0][None, None, :]
    return t, signal.sosfilt(SOS, raw, axis=0, zi=zi)[0], RAISE_S, peak


def test_the_readings_give_the_true_boundaries_where_the_tilt_gives_late_starts():
    for lever_m, lever_deg in ((0.9, 0.0), (0.9, 180.0), (0.5, 30.0)):
        t, f, truth, peak = _straight_leg_raise(lever_m, lever_deg)
        theta = np.degrees(np.arctan2(f[:, 1], f[:, 0]))
        i_peak = int(np.argmax(theta))
        plain = rep_phases(t, theta, np.gradient(theta, t), i_peak, 0.0, 0.0)
        guess = (plain.start_s, plain.top_s, plain.lower_s, plain.end_s)
        # the tilt alone: the leg's acceleration turns the reading against the motion as it starts
        assert max(abs(g - s) for g, s in zip(guess, truth)) > 0.1
        fit = rep_ramps_fit(t, f, (0.0, np.radians(plain.top_deg), 0.0), guess, SOS)
        assert fit is not None
        assert max(abs(a - b) for a, b in zip((fit.start_s, fit.top_s, fit.lower_s, fit.end_s), truth)) < 0.03
        assert abs(fit.lever_m - lever_m) < 0.1
        assert abs(fit.from_down_deg - (180.0 - lever_deg)) < 10.0  # (without a gyroscope, the direction too)


def test_with_the_angle_known_the_lever_is_a_linear_fit():
    # with a gyroscope the leg angle is known: the lever alone is fitted to the readings (what tells bending
    # the knees, the shin turning about the ankle, from a straight-leg raise turning about the hip), and which
    # way it points: gravity's reading points up (angle 0 here), so a lever at 0 deg has the sensor straight
    # above the axis (180 deg from down), one at 180 deg hangs from it (0 deg from down)
    for lever_m, lever_deg, from_down in ((0.9, 0.0, 180.0), (0.5, 30.0, 150.0), (0.4, 180.0, 0.0), (0.3, 270.0, 90.0)):
        t, f, _, _ = _straight_leg_raise(lever_m, lever_deg)
        fit = lever_fit(t, f, _raise_rad(t), SOS)
        assert abs(fit.lever_m - lever_m) < 0.05
        assert abs(fit.from_down_deg - from_down) < 5.0


def test_a_throw_is_left_to_the_plain_fit():
    # readings that no controlled ramp explains (a knock of 1 g through the rep) are not refined
    t, f, truth, _ = _straight_leg_raise(0.9, 0.0)
    f = f + np.where((t > 2.0) & (t < 3.0), 1.0, 0.0)[:, None] * np.array([0.7, -0.7])
    assert rep_ramps_fit(t, f, (0.0, np.radians(80.0), 0.0), truth, SOS) is None


def _acc_only_matched(exercise: str, sets: list, rate_hz: float, seed: int) -> list:
    """(truth, rep) pairs of a simulated session without a gyroscope, every set counted exactly."""
    sim = simulate_session(SessionSpec(exercise, [SetSpec(style, n) for style, n in sets], rate_hz=rate_hz,
                                       gyro=False, seed=seed))
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [n for _, n in sets]
    return [(t, r) for t, r in match_reps(sim.reps, reps) if r is not None]


def test_without_a_gyroscope_tempo_is_honest():
    # straight-leg raises on an accelerometer alone: the tilt's ramps looked ~0.5 s (up) and ~0.4 s (down)
    # shorter than they were, and every rep started ~0.4 s late
    pairs = _acc_only_matched("lying-leg-raise", [("textbook", 10), ("slow_eccentric", 8)], 100.0, seed=3)
    for field in ("start_s", "top_s", "lower_s", "end_s", "up_s", "down_s"):
        err = np.array([abs(getattr(r, field) - getattr(t, field)) for t, r in pairs])
        assert np.median(err) < 0.1 and err.max() < 0.25, field


def test_without_a_gyroscope_short_flutter_kicks_are_partial_and_full_ones_not():
    # a flutter kick turns at both ends without a rest, where the leg's acceleration is largest: the tilt
    # read the levels several deg off: the short kicks looked full (2 of 16 flagged partial) and the full
    # ones short (16 of 20 flagged)
    pairs = _acc_only_matched("flutter-kick", [("textbook", 20), ("partial", 16)], 50.0, seed=1)
    assert np.mean([abs(r.rom_deg - t.rom_deg) for t, r in pairs]) < 3.0
    assert sum("partial" in r.flags for t, r in pairs if t.set == 2) >= 14
    assert not any("partial" in r.flags for t, r in pairs if t.set == 1)


def test_readings_that_are_no_rep_give_no_fit_or_a_finite_one():
    # noise, a still leg, a constant reading far off 1 g: never an exception, never a NaN boundary
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 6.0, 1.0 / GRID_HZ)
    for f in (rng.normal(0.0, 0.5, (len(t), 2)), np.tile([1.0, 0.0], (len(t), 1)), np.tile([0.0, 3.0], (len(t), 1))):
        fit = rep_ramps_fit(t, f, (0.0, 1.0, 0.0), (1.0, 2.0, 3.0, 4.0), SOS)
        assert fit is None or all(np.isfinite([fit.start_s, fit.top_s, fit.lower_s, fit.end_s, fit.top_rad]))
