"""Filters, orientation, phase fitting and flags: the signal units on synthetic inputs."""
import numpy as np
import pytest

from imu import orientation
from imu.filters import GridResampler, StreamSos
from imu.flags import feet_rested, full_rom_deg, rom_flags, tempo_flags
from imu.orientation import GravityFilter, first_order_recurrence, leg_angle_deg, plane_axis, tilt_deg, unit
from imu.phases import RepTiming, fit_ramp, minimum_jerk, peak_accel_g, rep_phases
from imu.presets import PRESETS, auto_preset, get_preset


def test_streaming_filter_matches_whole_signal():
    x = np.random.default_rng(1).normal(size=(1000, 3))
    whole = StreamSos(2, 3.0, 50.0)(x)
    f = StreamSos(2, 3.0, 50.0)
    parts = np.vstack([f(x[a:a + 37]) for a in range(0, 1000, 37)])
    np.testing.assert_array_equal(parts, whole)


@pytest.mark.parametrize("order", [1, 2])
def test_streaming_filter_calls_lfilters_core_to_the_same_bits(monkeypatch, order):
    """StreamSos calls lfilter's compiled core directly: pinned to ``signal.lfilter`` itself, chunk by chunk."""
    from scipy import signal

    from imu import filters

    x = np.random.default_rng(2).normal(size=(500, 6)) * [1, 1, 1, 200, 200, 200]
    sizes = [1, 2, 3, 1, 7, 16, 40, 1, 2]
    direct, general = StreamSos(order, 3.0, 50.0), StreamSos(order, 3.0, 50.0)
    got, want, a = [], [], 0
    while a < len(x):
        n = sizes[len(got) % len(sizes)]
        got.append(direct(x[a : a + n]))
        with monkeypatch.context() as m:
            m.setattr(filters, "_linear_filter", None)  # the general path: signal.lfilter
            want.append(general(x[a : a + n]))
        a += n
    assert filters._linear_filter is not None and direct._single
    for g, w in zip(got, want):
        assert g.tobytes() == w.tobytes()
    assert direct._zi.tobytes() == general._zi.tobytes()
    b, a_ = direct.sos[0, :3], direct.sos[0, 3:]
    whole, _ = signal.lfilter(b, a_, x, axis=0, zi=signal.lfilter_zi(b, a_)[:, None] * x[0][None, :])
    assert np.vstack(got).tobytes() == whole.tobytes()


def test_resampler_interpolates_with_np_interps_core_to_the_same_bits():
    """GridResampler calls np.interp's compiled core: pinned to np.interp column by column."""
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.001, 0.05, 400))
    t[200:] += 0.3  # a hole
    x = rng.normal(size=(400, 6))
    r = GridResampler(50.0)
    out = [r(t[a : a + 5], x[a : a + 5]) for a in range(0, 400, 5)]
    gt = np.concatenate([o[0] for o in out])
    gx = np.concatenate([o[1] for o in out])
    want = np.column_stack([np.interp(gt, t, x[:, c]) for c in range(6)])
    from imu import filters

    assert filters._interp is not np.interp  # (the core, not the wrapper)
    assert gx.flags.c_contiguous and gx.tobytes() == want.tobytes()


def test_resampler_fills_short_gaps_and_breaks_on_long_ones():
    t = np.concatenate([np.arange(0, 2, 0.01), np.arange(2.5, 4, 0.01), np.arange(12, 13, 0.01)])
    x = np.column_stack([t, 2 * t])
    r = GridResampler(50.0, max_fill_s=5.0)
    gt, gx, gap, breaks = r(t, x)
    assert np.allclose(np.diff(gt[: breaks[0]]), 0.02)
    np.testing.assert_allclose(gx[:, 0], gt, atol=1e-9)  # linear data interpolates exactly
    assert gap[(gt > 2.0) & (gt < 2.5)].all() and not gap[gt < 1.99].any()
    assert len(breaks) == 1 and gt[breaks[0]] >= 12.0
    assert [round(g.duration_s, 2) for g in r.gaps] == [0.51, 8.01]  # from the last sample before each gap to the first after it


def test_resampler_marks_exactly_the_grid_points_inside_each_hole():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.choice([0.01, 0.01, 0.02, 0.3, 0.04], 3000))  # many holes over 0.2 s, some on grid points
    t[::7] = np.round(t[::7], 2)
    t = np.unique(t)
    gt, _, gap, _ = GridResampler(50.0, max_fill_s=5.0)(t, np.zeros((len(t), 1)))
    want = np.zeros(len(gt))
    for a, b in zip(t[:-1], t[1:]):
        if b - a > 0.2:
            want[(gt > a) & (gt < b)] = b - a
    np.testing.assert_array_equal(gap, want)


def _rotating_sensor(rate=50.0, seconds=6.0, rom=80.0, gyro=True):
    """A shin turning about the sensor's x axis by a minimum-jerk ramp, up and back down."""
    t = np.arange(0, seconds, 1 / rate)
    ang = rom * (minimum_jerk((t - 1.0) / 1.5) - minimum_jerk((t - 3.5) / 1.5))
    a = np.radians(ang)
    g = np.column_stack([np.zeros_like(a), np.sin(a), np.cos(a)])  # gravity direction in the sensor frame
    w = np.gradient(ang, t)  # deg/s about x (dg/dt = -w x g)
    return t, g, np.column_stack([w, 0 * w, 0 * w]) if gyro else None, ang


def test_gravity_filter_follows_a_rotation_with_the_gyro():
    t, g, gyro, ang = _rotating_sensor()
    # the shin's own tangential acceleration (0.9 m from the hip) fools the accelerometer alone
    alpha = np.radians(np.gradient(np.gradient(ang, t), t))
    tangent = np.column_stack([0 * t, np.cos(np.radians(ang)), -np.sin(np.radians(ang))])
    acc = g + tangent * (alpha * 0.9 / 9.81)[:, None]
    def worst(est):
        return np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", est, g), -1, 1))).max()
    acc_only = worst(GravityFilter(50.0)(acc, None))
    fused = worst(GravityFilter(50.0)(acc, gyro))
    assert acc_only > 15.0  # the disturbance is real: 0.33 g at the peak
    assert fused < 0.7 * acc_only
    assert worst(GravityFilter(50.0)(g, gyro)) < 1.0  # without disturbance the fusion is exact to 1 deg


def test_gravity_filter_ignores_a_swung_accelerometer_but_not_for_long():
    t, g, gyro, _ = _rotating_sensor()
    swung = (t > 1.5) & (t < 2.0)  # the middle of the way up reads 2 g sideways of gravity (thrown up)
    acc = g.copy()
    acc[swung] = [2.0, 0.0, 0.0]
    def worst(est):
        return np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", est, g), -1, 1))).max()
    assert worst(GravityFilter(50.0)(acc, gyro)) < 2.0  # the gyroscope alone carries the turn
    assert worst(GravityFilter(50.0, reject_g=9.0)(acc, gyro)) > 5.0  # pulled off by the accelerometer
    # over a long stretch off 1 g (continuous kicking) the accelerometer is let back in, as if it were never
    # ignored; else a gyroscope with a 5 deg/s bias drifts off by 5 deg a second
    kicking = np.tile([0.0, 0.0, 1.6], (500, 1))
    kicking[::10] = [0.0, 0.0, 1.0]  # off 1 g but one sample in ten
    biased = np.tile([5.0, 0.0, 0.0], (500, 1))
    def off_deg(f):
        return np.degrees(np.arccos(f(kicking, biased)[-100:, 2])).max()
    assert abs(off_deg(GravityFilter(50.0)) - off_deg(GravityFilter(50.0, reject_g=9.0))) < 1.0
    assert off_deg(GravityFilter(50.0, reject_max_s=1e6)) > 2.0 * off_deg(GravityFilter(50.0))
    whole, chunked = GravityFilter(50.0)(kicking, biased), GravityFilter(50.0)
    parts = np.vstack([chunked(kicking[a:a + 37], biased[a:a + 37]) for a in range(0, 500, 37)])
    np.testing.assert_allclose(parts, whole, atol=1e-9)


def test_gravity_filter_restarts_from_the_accelerometer_after_a_gap():
    # the link drops out while the shin turns 50 deg up; it comes back mid-swing, the accelerometer 2 g
    # sideways for 0.4 s: the estimate held across the gap must not be pulled towards that, and once the
    # accelerometer can be trusted (near 1 g, turning slowly: at the top hold) it restarts from there
    t, g, gyro, _ = _rotating_sensor()
    gap = (t >= 0.5) & (t < 1.9)
    reacquire = (t >= 1.9) & (t < 3.4)
    acc = g.copy()
    acc[(t >= 1.9) & (t < 2.3)] = [2.0, 0.0, 0.0]
    def err_deg(est):
        return np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", est, g), -1, 1)))
    whole = GravityFilter(50.0)(acc, gyro, gap, reacquire)
    assert err_deg(whole)[(t >= 2.6) & (t < 3.4)].max() < 1.0
    f = GravityFilter(50.0)
    parts = np.vstack([f(acc[a:a + 37], gyro[a:a + 37], gap[a:a + 37], reacquire[a:a + 37])
                       for a in range(0, len(t), 37)])
    np.testing.assert_allclose(parts, whole, atol=1e-9)


@pytest.mark.parametrize("gaps", [True, False])
def test_gravity_filter_fuses_short_chunks_in_floats_to_the_same_bits(monkeypatch, gaps):
    # a live stream's chunks go through the plain-float passes (and, without gaps, plain-float gains and
    # inputs); with them turned off, through numpy's
    t, g, gyro, _ = _rotating_sensor()
    gap = (t >= 0.5) & (t < 0.7) & gaps
    reacquire = (t >= 0.7) & (t < 2.2) & gaps
    acc = g + 0.05 * np.sin(7.0 * t)[:, None]
    acc[(t >= 1.0) & (t < 1.2)] = [2.0, 0.0, 0.0]  # off 1 g: the accelerometer rejected
    acc[(t >= 1.5) & (t < 1.52)] = 0.0  # (no direction)
    acc[(t >= 1.6) & (t < 1.7)] *= 1.2  # moving
    acc[((t >= 3.0) & (t < 3.8)) | ((t >= 4.0) & (t < 4.3))] *= 1.6  # long enough off 1 g to let it back in

    def fused():
        f, out, a = GravityFilter(50.0), [], 0
        for k in range(len(t)):
            b = a + 1 + k % 18  # (chunks of 1 to 18 samples)
            out.append(f(acc[a:b], gyro[a:b], gap[a:b], reacquire[a:b]))
            a = b
        return np.vstack(out)

    assert orientation.FLOAT_PASSES_MAX >= 16
    in_floats = fused()
    monkeypatch.setattr(orientation, "FLOAT_PASSES_MAX", 0)
    assert in_floats.tobytes() == fused().tobytes()


@pytest.mark.parametrize("n", [1, 255, 256, 257, 1000])
def test_blocked_recurrence_matches_the_sample_by_sample_loop(n):
    rng = np.random.default_rng(n)
    a = np.exp(-0.02 / rng.choice([0.3, 1.0, 4.0], n))
    a[n // 3 : n // 2] = 1.0  # held, as across a gap
    x = rng.normal(size=(n, 3))
    y0 = np.array([0.2, -1.0, 0.5])
    want, prev = np.empty_like(x), y0
    for k in range(n):
        want[k] = prev = a[k] * prev + x[k]
    np.testing.assert_allclose(first_order_recurrence(a, x, y0), want, rtol=1e-11, atol=1e-11)


def test_unit_keeps_zero_and_nan_rows_zero():
    v = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [np.nan, 1.0, 0.0]])
    np.testing.assert_array_equal(unit(v), [[0.6, 0.8, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(unit(np.zeros(3)), np.zeros(3))
    np.testing.assert_allclose(unit(np.array([0.0, 2.0, 0.0])), [0.0, 1.0, 0.0])


def test_leg_angle_is_signed_along_the_lift():
    t, g, _, ang = _rotating_sensor()
    home = g[0]
    axis = plane_axis(home, g[np.argmax(ang)])
    np.testing.assert_allclose(leg_angle_deg(g, home, axis), ang, atol=1e-6)
    np.testing.assert_allclose(tilt_deg(g, home), np.abs(ang), atol=1e-5)


def test_minimum_jerk_fit_recovers_start_and_duration():
    t = np.arange(0, 5, 0.02)
    theta = 10 + 60 * minimum_jerk((t - 1.3) / 2.2)
    start, dur = fit_ramp(t, theta, 10, 70)
    assert abs(start - 1.3) < 0.02 and abs(dur - 2.2) < 0.02


def test_a_ramp_held_flat_across_a_gap_is_not_fitted():
    # the leg rose while the link was down: the angle is held at the gap's start (16 % of the way up) and
    # jumps to the top after it. A line through one level is no fit (float noise decided what it gave, so
    # the rep's start depended on how the stream was chunked); a real ramp with few samples still is one
    t = np.arange(0, 5, 0.02)
    theta = np.where(t < 1.5, 10.0, np.where(t < 4.5, 19.6, 70.0))
    assert fit_ramp(t, theta, 10, 70) is None
    assert fit_ramp(t, theta + 1e-13 * np.sin(t), 10, 70) is None
    fast = np.arange(0, 1, 0.1)
    start, dur = fit_ramp(fast, 10 + 60 * minimum_jerk((fast - 0.2) / 0.4), 10, 70)
    assert abs(start - 0.2) < 0.05 and abs(dur - 0.4) < 0.05


def test_rep_phases_of_a_textbook_rep():
    t = np.arange(0, 10, 0.02)
    theta = 5 + 70 * (minimum_jerk((t - 1.0) / 2.0) - minimum_jerk((t - 4.0) / 3.0))
    speed = np.gradient(theta, t)
    timing = rep_phases(t, theta, speed, int(np.argmax(theta)), 5.0, 5.0)
    assert abs(timing.start_s - 1.0) < 0.05 and abs(timing.top_s - 3.0) < 0.05
    assert abs(timing.lower_s - 4.0) < 0.05 and abs(timing.end_s - 7.0) < 0.05
    assert abs(timing.rom_deg - 70) < 0.5
    assert abs(timing.peak_up_dps - 1.875 * 70 / 2.0) < 2


def test_rep_phases_below_a_guessed_resting_level_give_no_range():
    # after a gap the resting level is the set's, not measured: a bump that stays below it is no rep
    t = np.arange(0, 4, 0.02)
    theta = 10 * minimum_jerk((t - 1.0) / 1.0) - 10 * minimum_jerk((t - 2.5) / 1.0)
    timing = rep_phases(t, theta, np.gradient(theta, t), int(np.argmax(theta)), 30.0, 30.0)
    assert timing.rom_deg < 0


def _timing(up, hold, down, rom=60.0, v_up=50.0, v_down=50.0):
    return RepTiming(0.0, up, up + hold, up + hold + down, rom, 0.0, rom, 0.0, v_up, v_down)


def test_tempo_flags():
    p = get_preset("lying-leg-raise")
    assert tempo_flags(_timing(2.0, 1.0, 2.5), p) == []
    assert tempo_flags(_timing(0.4, 0.0, 2.0, v_up=300), p) == ["momentum", "no_top_hold"]
    assert tempo_flags(_timing(2.0, 1.0, 0.4, v_down=300), p) == ["momentum"]
    assert tempo_flags(_timing(1.0, 0.5, 1.0), p) == ["rushed"]  # 2.5 s a rep: under the 4 s tempo target


def test_peak_accel_is_how_hard_the_leg_was_thrown_not_a_knock():
    still = np.tile([0.0, 0.6, 0.8], (100, 1))  # 1 g in any direction: nothing
    assert peak_accel_g(still) == pytest.approx(0.0, abs=1e-12)
    knocked = still.copy()
    knocked[50] *= 5.0  # one sample of 5 g
    assert peak_accel_g(knocked) == pytest.approx(0.0, abs=1e-12)
    thrown = still.copy()
    thrown[30:55] *= 3.0  # a quarter of the rep at 3 g
    assert peak_accel_g(thrown) == pytest.approx(2.0)
    dropped = still.copy()
    dropped[30:55] *= 0.1  # falling: the accelerometer reads almost nothing
    assert peak_accel_g(dropped) == pytest.approx(0.9)


def test_momentum_from_the_ankles_own_acceleration():
    from dataclasses import replace

    lying, reverse, flutter = (get_preset(s) for s in ("lying-leg-raise", "reverse-leg-lift", "flutter-kick"))
    controlled = _timing(2.0, 1.0, 2.5)
    thrown = replace(controlled, peak_accel_g=1.5)
    assert tempo_flags(thrown, lying) == ["momentum"]  # thrown although its ramps looked controlled
    assert tempo_flags(replace(controlled, peak_accel_g=0.9), lying) == []  # a brisk straight leg
    assert tempo_flags(replace(controlled, peak_accel_g=0.6), reverse) == ["momentum"]  # a short lever
    assert tempo_flags(thrown, flutter) == []  # kicks are fast by nature: no acceleration limit
    # without a gyroscope the speeds are read off the tilt: fast-looking ramps alone are not a swing
    quick = _timing(0.4, 0.0, 2.0, v_up=300)
    assert tempo_flags(quick, lying, speeds_measured=False) == ["rushed", "no_top_hold"]
    assert tempo_flags(replace(quick, peak_accel_g=2.0), lying, speeds_measured=False) == ["momentum", "no_top_hold"]


def test_rom_flags_and_full_range():
    p = get_preset("side-leg-lift")
    # three sets: median ranges 41, 20 (a partial set) and 42; the swung 90 deg rep is left out
    assert full_rom_deg([1, 1, 1, 2, 2, 3, 3, 3], [40, 42, 41, 20, 21, 42, 43, 90], [0, 0, 0, 0, 0, 0, 0, 1]) == 41.75
    assert rom_flags(20, p, 42.0, 40) == ["partial", "uneven_rom"]
    assert rom_flags(38, p, 42.0, 40) == []
    # with no full set to compare with, a rep short of anyone's full range (the preset's least full range:
    # hip abduction reaches 10 deg in the smallest prescribed lifts) is still partial
    assert rom_flags(7, p, float("nan"), 7) == ["partial"]
    assert rom_flags(8, p, float("nan"), 8) == []
    assert rom_flags(5, get_preset("heel-tap"), float("nan"), 5) == []  # no least full range: a tap is full at the floor
    # seated, tight hamstrings stop a healthy knee 43 +/- 10 deg short of straight: a 40 deg raise can be full
    assert rom_flags(40, get_preset("seated-leg-raise"), float("nan"), 40) == []


def test_feet_rested_needs_a_still_drop_below_the_starting_level():
    p = get_preset("lying-leg-raise")
    level = np.r_[np.full(20, 8.0), np.full(60, 3.0)]
    assert feet_rested(level, np.r_[np.full(20, 30.0), np.full(60, 2.0)], 8.0, p, 50.0)
    assert not feet_rested(level, np.full(80, 30.0), 8.0, p, 50.0)  # still moving down: not resting
    assert not feet_rested(np.full(80, 8.0), np.full(80, 2.0), 8.0, p, 50.0)  # hovering where it started
    assert not feet_rested(level, np.full(80, 2.0), 8.0, get_preset("hanging-leg-raise"), 50.0)


def test_presets_and_auto():
    assert "auto" in PRESETS and len(PRESETS) == 12
    with pytest.raises(ValueError, match="unknown exercise"):
        get_preset("bicep-curl")
    assert auto_preset([80, 85, 82], False).slug == "lying-leg-raise"
    assert auto_preset([20, 25, 22], True).slug == "flutter-kick"
    assert auto_preset([12, 11, 13], False).slug == "reverse-leg-lift"
    assert auto_preset([35, 36, 40], False).slug == "side-leg-lift"


def test_auto_reads_the_posture_from_the_lever():
    # the same 80 deg raises: the shin lying level with the axis (a lying raise), hanging from it about the knee
    # (seated) or the hip (hanging), or starting above the hip (heel taps); a lever fitted to one rep only, or
    # pointing straight up (a set whose rest was taken at its top), says nothing
    assert auto_preset([80, 85, 82], False, [92, 95, 97], [0.8, 0.9, 0.85]).slug == "lying-leg-raise"
    assert auto_preset([80, 85, 82], False, [4, 9, 5], [0.25, 0.3, 0.27]).slug == "seated-leg-raise"
    assert auto_preset([80, 85, 82], False, [2, 3, 1], [0.8, 0.9, 0.85]).slug == "hanging-leg-raise"
    assert auto_preset([50, 55, 52], False, [138, 140, 135], [0.6, 0.6, 0.7]).slug == "heel-tap"
    assert auto_preset([80, 85, 82], False, [4], [0.25]).slug == "lying-leg-raise"
    assert auto_preset([80, 85, 82], False, [175, 176, 174], [0.8, 0.8, 0.8]).slug == "lying-leg-raise"


def _swing(lever_m=0.8, rom_deg=80.0, dur_s=1.0, rate_hz=50.0, seed=0):
    """A shin swung up and dropped about one axis, read by an accelerometer ``lever_m`` from the axis,
    strapped in a random orientation: (t, acc (n, 3) g, true leg angle (n,) deg)."""
    from scipy.spatial.transform import Rotation

    t = np.arange(0.0, dur_s + 1e-9, 1.0 / rate_hz)
    x = t / dur_s
    theta = np.radians(rom_deg) * (minimum_jerk(2 * x) - minimum_jerk(2 * x - 1))
    omega, alpha = np.gradient(theta, t), np.gradient(np.gradient(theta, t), t)
    r = lever_m / 9.80665  # in the plane (x: along the shin, y: across it): gravity turns against the leg
    # (by -theta: (0, 1) turned by -theta is (sin theta, cos theta)), as imu.sim.kinematics computes it
    f = np.stack([np.sin(theta) - omega**2 * r, np.cos(theta) + alpha * r, np.zeros_like(t)], axis=1)
    rot = Rotation.random(random_state=seed).as_matrix()
    return t, f @ rot.T, np.degrees(theta)


def test_a_swing_is_read_through_the_legs_own_acceleration():
    from imu.swing import fit_swing, swing_directions

    t, acc, truth_deg = _swing()
    assert np.abs(np.linalg.norm(acc, axis=1) - 1).max() > 1.0  # the accelerometer alone is lost here
    fit = fit_swing(t, acc)
    assert fit.plausible and fit.lever_m == pytest.approx(0.8, abs=0.05)
    angle = tilt_deg(swing_directions(t, acc), unit(acc[0]))
    assert np.abs(angle - truth_deg).max() < 3.0
    # readings that are no turn about one axis (a knock, a step): no swing
    rng = np.random.default_rng(1)
    assert swing_directions(t, acc + rng.normal(0, 0.4, acc.shape)) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("start_deg, turn_deg, lifts", [
    (0.0, 80.0, True),     # lying leg raise: from level to near vertical
    (-90.0, 70.0, True),   # seated leg raise: the shin hanging below the knee, raised
    (-20.0, 20.0, True),   # plank leg lift: from the toes on the floor to the plank line, slowly
    (50.0, -40.0, False),  # heel tap: the ankle lowered from above the hip
])
def test_the_legs_own_acceleration_tells_where_the_ankle_was_lower(seed, start_deg, turn_deg, lifts):
    # a rep out and back about a fixed axis, the sensor 0.8 m from it and strapped any way round: the centripetal
    # term lengthens the reading where the ankle hangs below the axis, so the rest of a lift is where it was lower
    from scipy.spatial.transform import Rotation

    from imu.swing import ankle_lower_at

    dur_s = 4.0 if abs(turn_deg) < 30 else 2.5
    t = np.arange(0.0, dur_s, 1.0 / 50.0)
    x = t / dur_s
    theta = np.radians(start_deg + turn_deg * (minimum_jerk(2 * x) - minimum_jerk(2 * x - 1)))
    omega, alpha = np.gradient(theta, t), np.gradient(np.gradient(theta, t), t)
    r = 0.8 / 9.80665  # (as in _swing: x along the shin from the axis, y across it; theta the shin's elevation)
    f = np.stack([np.sin(theta) - omega**2 * r, np.cos(theta) + alpha * r, np.zeros_like(t)], axis=1)
    up = np.stack([np.sin(theta), np.cos(theta), np.zeros_like(t)], axis=1)
    rot = Rotation.random(random_state=seed).as_matrix()
    f, up = f @ rot.T, up @ rot.T
    rest, top = up[0], up[len(t) // 2]
    lower = ankle_lower_at(rest, top, up, f, np.degrees(np.abs(omega)))
    assert (lower > 0.1) == lifts and (lower < -0.1) == (not lifts)
    assert ankle_lower_at(top, rest, up, f, np.degrees(np.abs(omega))) == pytest.approx(-lower)
    still = np.zeros(len(t))  # (no turn: nothing to tell)
    assert ankle_lower_at(rest, top, up, up, still) == 0.0


def test_a_swing_that_goes_on_is_fitted_up_to_where_the_data_end():
    # continuous swinging (flutter kicks) is fitted window by window: a window's last direction is
    # fitted too (free), and the next window starts from it (``start_dir``), not from its reading
    from imu.swing import swing_directions

    t, acc, truth_deg = _swing()
    m = len(t) * 6 // 10  # cut in the middle of the way down
    first = swing_directions(t[:m], acc[:m], free_end=True)
    assert np.abs(tilt_deg(first, unit(acc[0])) - truth_deg[:m]).max() < 3.0
    rest = swing_directions(t[m - 1 :], acc[m - 1 :], start_dir=first[-1])
    assert np.abs(tilt_deg(rest, unit(acc[0])) - truth_deg[m - 1 :]).max() < 3.0


def test_a_swing_is_read_through_a_hole_in_the_data():
    # a lost packet as the leg is thrown: the grid bridges it with readings interpolated between the
    # samples around it, which follow no swing; fitted as if they were measured the swing misfits and is
    # off by 9-24 deg, told which readings were lost (``seen``) the fit carries the angle across them
    from imu.swing import fit_swing, swing_directions

    t, acc, truth_deg = _swing()
    for a_s, b_s in [(0.05, 0.25), (0.1, 0.3), (0.4, 0.6)]:
        hole = (t > a_s) & (t < b_s)
        filled = acc.copy()
        for c in range(3):
            filled[hole, c] = np.interp(t[hole], t[~hole], acc[~hole, c])
        blind = tilt_deg(swing_directions(t, filled), unit(acc[0]))
        assert np.abs(blind - truth_deg).max() > 8.0
        angle = tilt_deg(swing_directions(t, filled, ~hole), unit(acc[0]))
        assert np.abs(angle - truth_deg).max() < 2.0
    assert fit_swing(t, filled, np.arange(len(t)) % 3 == 0) is None  # too little of it seen to fit


def test_without_a_gyroscope_a_still_leg_off_1g_by_a_scale_error_is_not_held_back():
    # the bridge holds back the samples that may be the start of a throw (a swing is bridged from where
    # the reading began to leave 1 g); a still leg that a sensor's 4 % scale error reads at 1.04 g is no
    # such start: every packet's samples come out at once (a 0.2 s hold on each made every rep show late)
    from imu.block import GRID_HZ
    from imu.signals import SignalFront

    rng = np.random.default_rng(0)
    front = SignalFront(has_gyro=False)
    t = np.arange(0, 4.0, 1 / GRID_HZ)
    acc = np.array([0.2, 0.3, 0.93]) / np.linalg.norm([0.2, 0.3, 0.93]) * 1.04 + rng.normal(0, 0.003, (len(t), 3))
    for a in range(0, len(t), 10):
        blocks = [b for _, b in front(t[a:a + 10], acc[a:a + 10], None) if len(b)]
        assert blocks and blocks[-1].t[-1] == pytest.approx(t[a + 9])  # the newest sample is out
