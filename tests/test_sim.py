"""Tests of the leg-lift simulator (imu.sim): physics, ground truth, reproducibility, the suite."""
from __future__ import annotations

import json

import numpy as np
import pytest

from imu.sim import (EXERCISES, REST_KINDS, STYLES, SessionSpec, SetSpec, benchmark_suite, simulate_session,
                     write_sim_recording)
from imu.sim.body import Pose
from imu.sim.kinematics import G, imu_signals
from imu.sim.rotations import leg_matrices, random_rotation, unit
from imu.sim.sensor import boxcar_sample
from imu.sim.session import GRID_HZ
from imu.sim.timeline import Timeline
from imu.sim.tempo import PARTIAL_FRAC, RUSHED_S

ACC = ["ax", "ay", "az"]
GYR = ["gx", "gy", "gz"]
QUIET = dict(tremor_deg=(0.0, 0.0), sway_deg=(0.0, 0.0))


def _sim(exercise="lying-leg-raise", styles=("textbook",), reps=4, ideal=True, **kw):
    kw.setdefault("rest_s", (20.0, 25.0))
    spec = SessionSpec(exercise=exercise, sets=[SetSpec(s, reps) for s in styles], **kw)
    return simulate_session(spec.ideal() if ideal else spec)


def _norm(x):
    return np.linalg.norm(x, axis=1)


# ---------------------------------------------------------------- kinematics
def test_static_sensor_reads_plus_one_g_up_and_no_rotation():
    rng = np.random.default_rng(1)
    R = np.repeat(random_rotation(rng)[None], 50, axis=0)
    p = np.repeat(np.array([[0.3, -0.2, 0.1]]), 50, axis=0)
    acc, gyro = imu_signals(R, p, 0.002)
    assert np.allclose(_norm(acc), 1.0, atol=1e-12)
    assert np.allclose(np.einsum("nij,nj->ni", R, acc), [0, 0, 1], atol=1e-12)  # "up" in the world
    assert np.allclose(gyro, 0.0, atol=1e-9)


def test_constant_speed_rotation_gives_centripetal_omega2_r_toward_pivot():
    h, w_dps, r = 0.002, 120.0, 0.85
    t = np.arange(0, 3, h)
    psi = np.radians(-30 + w_dps * t)
    beta, rho = np.full_like(t, 0.7), np.full_like(t, 0.4)
    R = leg_matrices(beta, psi, rho) @ random_rotation(np.random.default_rng(2))
    pivot = np.array([0.1, 0.2, 0.1])
    p = pivot + r * unit(np.degrees(beta), np.degrees(psi))
    acc, gyro = imu_signals(R, p, h)
    a_world = np.einsum("nij,nj->ni", R, acc) * G - [0, 0, G]  # remove gravity
    expected = np.radians(w_dps) ** 2 * r
    s = slice(2, -2)
    assert np.allclose(_norm(a_world)[s], expected, rtol=1e-4)
    toward = (pivot - p) / r
    assert np.allclose(np.einsum("ni,ni->n", a_world, toward)[s], expected, rtol=1e-4)
    assert np.allclose(_norm(gyro)[s], w_dps, rtol=1e-5)


def test_constant_speed_leg_rotation_through_the_timeline_and_sampling():
    """Same check through the whole pipeline: a Pose rotating at constant speed about a hip pivot, rendered,
    differentiated and sampled at 100 Hz by the sensor's decimation filter."""
    r, w_dps = 0.9, 90.0
    a = Pose(beta=30.0, psi=0.0, rho=10.0, pivot=(0.0, 0.0, 0.1), r=r)
    tl = Timeline(a, random_rotation(np.random.default_rng(3)))
    tl.move(1.0, a.but(psi=w_dps), profile=lambda tau: np.clip(tau, 0, 1))
    tg = np.arange(-0.1, 1.1, 1 / GRID_HZ)
    psi, R, p = tl.render(tg)
    acc, gyro = imu_signals(R, p, 1 / GRID_HZ)
    ts = np.arange(0.1, 0.9, 0.01)
    acc_s, gyro_s = np.hsplit(boxcar_sample(tg, np.hstack([acc, gyro]), ts, 0.01), 2)
    R_s = R[np.searchsorted(tg, ts)]  # orientation at (within 1 ms of) each sample
    a_world = np.einsum("nij,nj->ni", R_s, acc_s) * G - [0, 0, G]
    assert np.allclose(_norm(a_world), np.radians(w_dps) ** 2 * r, rtol=0.02)
    assert np.allclose(_norm(gyro_s), w_dps, rtol=1e-3)
    assert np.allclose(np.interp(ts, tg, psi), w_dps * ts, atol=1e-9)


# ---------------------------------------------------------------- sensor signals of whole sessions
def test_dead_still_rested_pauses_read_one_g_within_noise():
    sim = _sim(styles=("feet_rested",), reps=5, ideal=False, rate_hz=100.0, seed=4)
    d, e = sim.data, sim.errors
    pauses = [(r.end_s + 0.2, r.end_s + r.bottom_hold_s - 0.05) for r in sim.reps if r.feet_rested]
    assert len(pauses) == 4
    for a, b in pauses:
        m = (d.t > a) & (d.t < b)
        mag = _norm(d.loc[m, ACC].values)
        bound = np.linalg.norm(e.acc_bias_g) + 0.03 + 4 * e.acc_noise_g
        assert abs(mag.mean() - 1.0) < bound
        assert mag.std() < 2 * e.acc_noise_g + 1e-3
    ideal = _sim(styles=("feet_rested",), reps=5, seed=4)
    for a, b in pauses:
        m = (ideal.data.t > a) & (ideal.data.t < b)
        assert np.allclose(_norm(ideal.data.loc[m, ACC].values), 1.0, atol=1e-6)
        assert np.abs(ideal.data.loc[m, GYR].values).max() < 1e-6  # dead still: no tremor, no sway


def test_touch_down_gives_a_short_small_impact():
    sim = _sim(styles=("feet_rested",), reps=4, rate_hz=200.0, seed=6)
    d = sim.data
    for r in sim.reps[:-1]:
        m = (d.t > r.end_s - 0.03) & (d.t < r.end_s + 0.04)
        dev = np.abs(_norm(d.loc[m, ACC].values) - 1.0).max()
        assert 0.05 < dev < 0.4
        late = (d.t > r.end_s + 0.08) & (d.t < r.end_s + 0.5)
        assert np.abs(_norm(d.loc[late, ACC].values) - 1.0).max() < 1e-3  # over within tens of ms


@pytest.mark.parametrize("exercise,style", [("lying-leg-raise", "textbook"), ("hanging-leg-raise", "swung"),
                                            ("heel-tap", "brisk"), ("seated-leg-raise", "fatigue"),
                                            ("flutter-kick", "textbook")])
def test_gyro_magnitude_equals_angular_speed_of_the_trajectory(exercise, style):
    sim = _sim(exercise, (style,), reps=5, rate_hz=100.0, seed=8)
    t, w_true = sim.data.t.values, np.abs(np.gradient(sim.angle_deg, sim.data.t.values))
    w = _norm(sim.data[GYR].values)
    st = sim.sets[0]
    m = (t > st.start_s) & (t < st.end_s)
    err = np.abs(w[m] - w_true[m])
    assert w_true[m].max() > 50  # there is motion to compare
    assert np.median(err) < 0.2
    assert np.percentile(err, 99) < 0.03 * w_true[m].max() + 1.0


def test_mounting_rotation_does_not_change_acc_or_gyro_magnitude():
    rng = np.random.default_rng(0)
    a = _sim(seed=5, mounting=np.eye(3))
    b = _sim(seed=5, mounting=random_rotation(rng))
    assert not np.allclose(a.data[ACC].values, b.data[ACC].values, atol=0.05)
    assert np.allclose(_norm(a.data[ACC].values), _norm(b.data[ACC].values), atol=1e-9)
    assert np.allclose(_norm(a.data[GYR].values), _norm(b.data[GYR].values), atol=1e-6)


def test_without_gyro_there_are_no_gyro_columns():
    sim = _sim(gyro=False, seed=2, rate_hz=30.0)
    assert list(sim.data.columns) == ["t", "ax", "ay", "az"]
    assert not any(c.startswith("g") for c in sim.data.columns)


def test_rate_t0_and_jitter():
    sim = _sim(rate_hz=37.5, t0=1000.0, jitter_s=0.003, seed=3, ideal=False)
    t = sim.data.t.values
    assert t[0] == pytest.approx(1000.0, abs=0.02)
    assert np.all(np.diff(t) > 0)
    assert np.median(np.diff(t)) == pytest.approx(1 / 37.5, rel=0.05)
    assert np.std(np.diff(t)) > 0.001  # jittered
    assert len(sim.angle_deg) == len(t)
    assert all(1000.0 <= r.start_s and r.end_s <= t[-1] + 0.1 for r in sim.reps)


def test_session_is_continuous_and_within_sensor_ranges():
    sim = _sim("side-leg-lift", ("swung", "fatigue"), reps=5, rate_hz=50.0, seed=9, restrap=1.0)
    assert np.abs(np.diff(sim.angle_deg)).max() < 15.0  # deg per 20 ms: no jumps
    assert np.abs(sim.data[ACC].values).max() < 16.0
    assert np.abs(sim.data[GYR].values).max() < 2000.0
    assert not sim.data.isna().any().any()


# ---------------------------------------------------------------- ground truth
@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_truth_rom_matches_the_angle_within_each_rep(exercise):
    styles = ("textbook", "partial")
    quiet = _sim(exercise, styles, reps=4, seed=12, **QUIET)
    loud = _sim(exercise, styles, reps=4, seed=12)
    for sim, tol in ((quiet, 0.3), (loud, 4.0)):
        t, a = sim.data.t.values, sim.angle_deg
        for r in sim.reps:
            m = (t >= r.start_s) & (t <= r.top_s)
            assert np.ptp(a[m]) == pytest.approx(r.rom_deg, abs=tol)
            sign = np.sign(np.interp(r.peak_s, t, a) - np.interp(r.start_s, t, a))
            assert sign == EXERCISES[exercise].direction  # heel-tap goes down from home


def test_rep_count_and_phase_durations_add_up():
    sim = _sim("alternating-leg-lift", ("textbook", "brisk", "slow_eccentric"), reps=6, seed=13)
    assert len(sim.reps) == 18
    for st in sim.sets:
        reps = [r for r in sim.reps if r.set == st.set]
        assert len(reps) == st.reps == 6
        assert [r.rep for r in reps] == list(range(1, 7))
        for r, nxt in zip(reps, reps[1:] + [None]):
            assert r.start_s < r.top_s <= r.lower_s < r.end_s
            assert r.up_s + r.top_hold_s + r.down_s == pytest.approx(r.end_s - r.start_s, abs=1e-9)
            assert r.peak_s == pytest.approx((r.top_s + r.lower_s) / 2)
            if nxt is None:
                assert r.bottom_hold_s is None
            else:
                assert r.bottom_hold_s == pytest.approx(nxt.start_s - r.end_s, abs=1e-9)
            assert st.start_s <= r.start_s and r.end_s <= st.end_s + 1e-9
    starts = [r.start_s for r in sim.reps]
    assert starts == sorted(starts)


def test_rests_and_sets_tile_the_session_and_rests_contain_no_reps():
    sim = _sim("hanging-leg-raise", ("textbook", "swung"), reps=4, seed=14, rest_kinds=REST_KINDS)
    spans = sorted([(s.start_s, s.end_s, "set") for s in sim.sets] + [(r.start_s, r.end_s, "rest") for r in sim.rests])
    assert spans[0][0] == pytest.approx(sim.data.t.iloc[0])
    assert spans[-1][1] == pytest.approx(sim.data.t.iloc[-1], abs=0.02)
    for (a0, a1, _), (b0, b1, _) in zip(spans, spans[1:]):
        assert a1 == pytest.approx(b0)
    for rest in sim.rests:
        assert rest.end_s - rest.start_s >= 15.0
        for r in sim.reps:
            assert r.end_s <= rest.start_s + 1e-9 or r.start_s >= rest.end_s - 1e-9
    assert sim.rest_seconds == pytest.approx(sum(r.end_s - r.start_s for r in sim.rests))
    done = {k for r in sim.rests for k in r.kinds}
    assert set(REST_KINDS) <= done  # every requested kind happened, restrap included


def test_restrap_changes_the_mounting_for_the_following_sets():
    sim = _sim("reverse-leg-lift", ("textbook", "textbook"), reps=3, seed=15, restrap=1.0, rest_kinds=("fidget",))
    assert len(sim.mountings) == 2
    assert not np.allclose(sim.mountings[0][1], sim.mountings[1][1])
    assert "restrap" in sim.rests[1].kinds
    t_switch = sim.mountings[1][0]
    assert sim.rests[1].start_s < t_switch < sim.rests[1].end_s
    # gravity seen in the sensor frame at the start of each set differs (new mounting)
    g = [sim.data.loc[(sim.data.t > s.start_s) & (sim.data.t < s.start_s + 1), ACC].values.mean(0) for s in sim.sets]
    assert np.linalg.norm(g[0] - g[1]) > 0.05


@pytest.mark.parametrize("style", sorted(STYLES))
def test_truth_flags_follow_the_style_and_the_rules(style):
    ex = "single-leg-raise"
    sim = _sim(ex, (style,), reps=8, seed=16)
    for r in sim.reps:
        assert r.style == style
        assert r.rushed == (not r.momentum and min(r.up_s, r.down_s) < RUSHED_S)
        assert r.momentum == (style == "swung")
        assert r.feet_rested == (style == "feet_rested" and r.rep < 8)
    if style == "brisk":
        assert all(r.rushed for r in sim.reps)
    if style in ("textbook", "slow_eccentric", "partial", "feet_rested"):
        assert not any(r.rushed for r in sim.reps)
    if style == "partial":
        assert all(r.partial for r in sim.reps)
    else:
        assert not any(r.partial for r in sim.reps)
    if style == "swung":
        assert all(r.up_s < 0.65 and r.down_s < 0.65 and r.top_hold_s == 0 for r in sim.reps)
    if style == "slow_eccentric":
        assert all(r.down_s > 2.5 for r in sim.reps)


@pytest.mark.parametrize("exercise", ["bent-knee-raise", "heel-tap", "flutter-kick", "hanging-leg-raise"])
def test_partial_and_full_reps_separate(exercise):
    sim = _sim(exercise, ("textbook", "fatigue", "partial"), reps=10, seed=17)
    for st in sim.sets:
        fracs = [r.rom_deg / st.full_rom_deg for r in sim.reps if r.set == st.set]
        if st.style == "partial":
            assert max(fracs) < PARTIAL_FRAC
        else:
            assert min(fracs) >= 0.8
    fat = [r.rom_deg for r in sim.reps if r.set == 2]
    assert np.mean(fat[-3:]) < np.mean(fat[:3])  # ROM drops with fatigue


def test_flutter_kicks_are_continuous_and_alternating_leg_hovers_between_its_reps():
    fl = _sim("flutter-kick", ("textbook",), reps=20, seed=18)
    for r in fl.reps:
        assert r.top_hold_s == 0 and r.bottom_hold_s in (0.0, None)
        assert 0.4 < r.end_s - r.start_s < 1.4 and not r.rushed
    alt = _sim("alternating-leg-lift", ("textbook",), reps=5, seed=18, **QUIET)
    t, a = alt.data.t.values, alt.angle_deg
    for r in alt.reps[:-1]:
        assert r.bottom_hold_s > r.up_s + r.down_s  # the other leg's rep fits in this leg's pause
        m = (t > r.end_s) & (t < r.end_s + r.bottom_hold_s)
        assert 0.2 < np.ptp(a[m]) < 1.5  # hovering, tilted a little by the pelvis


def test_styles_that_make_no_sense_are_refused():
    with pytest.raises(ValueError):
        simulate_session(SessionSpec("hanging-leg-raise", [SetSpec("feet_rested", 5)]))
    with pytest.raises(ValueError):
        simulate_session(SessionSpec("flutter-kick", [SetSpec("swung", 5)]))
    with pytest.raises(ValueError):
        simulate_session(SessionSpec("no-such-exercise", [SetSpec("textbook", 5)]))


# ---------------------------------------------------------------- reproducibility, speed, suite, files
def test_same_seed_same_data_other_seed_differs():
    spec = SessionSpec("flutter-kick", [SetSpec("textbook", 12), SetSpec("fatigue", 10)], rate_hz=52.0, seed=21,
                       rest_s=(20, 30))
    a, b = simulate_session(spec), simulate_session(spec)
    assert a.data.equals(b.data)
    assert a.reps == b.reps and a.rests == b.rests and a.sets == b.sets
    spec.seed = 22
    c = simulate_session(spec)
    assert len(c.data) != len(a.data) or not np.allclose(c.data[ACC].values, a.data[ACC].values)
    assert [r.start_s for r in c.reps] != [r.start_s for r in a.reps]


def test_ten_minute_session_at_100_hz():
    spec = SessionSpec("lying-leg-raise", [SetSpec("textbook", 15), SetSpec("slow_eccentric", 15),
                                           SetSpec("fatigue", 15)], rate_hz=100.0, seed=1, rest_s=(100, 120))
    sim = simulate_session(spec)
    assert sim.data.t.iloc[-1] > 550
    assert abs(np.median(np.diff(sim.data.t.values)) - 0.01) < 1e-9
    assert [st.reps for st in sim.sets] == [15, 15, 15] and len(sim.reps) == 45


def test_benchmark_suite_covers_everything():
    suite = benchmark_suite(seed=0)
    assert suite == benchmark_suite(seed=0) or [s.seed for s in suite] == [s.seed for s in benchmark_suite(seed=0)]
    assert 110 <= len(suite) <= 130
    assert sum(len(s.sets) for s in suite) >= 300
    assert all(2 <= len(s.sets) <= 3 for s in suite)
    combos = {(s.exercise, ss.style) for s in suite for ss in s.sets}
    assert combos == {(e.slug, st) for e in EXERCISES.values() for st in e.styles}
    assert {s.exercise for s in suite} == set(EXERCISES)
    assert {ss.style for s in suite for ss in s.sets} == set(STYLES)
    rates = [s.rate_hz for s in suite]
    assert min(rates) >= 25 and max(rates) <= 200 and len(set(rates)) > 10
    assert abs(sum(not s.gyro for s in suite) - len(suite) / 2) <= 1
    assert all(s.mounting is None for s in suite)  # random mountings
    assert set().union(*(s.rest_kinds for s in suite)) | {"restrap"} == set(REST_KINDS)
    assert any(s.restrap for s in suite)
    assert len({s.seed for s in suite}) == len(suite)
    sim = simulate_session(suite[0])  # suite specs run
    assert len(sim.sets) == len(suite[0].sets)


def test_write_sim_recording(tmp_path):
    path = tmp_path / "rec" / "session.csv"
    sim = write_sim_recording(path, SessionSpec("seated-leg-raise", [SetSpec("textbook", 3)], rate_hz=25.0,
                                                seed=1, rest_s=(20, 22)))
    head = path.read_text().splitlines()[0]
    assert head == "t,ax,ay,az,gx,gy,gz"
    truth = json.loads((tmp_path / "rec" / "session.truth.json").read_text())
    assert len(truth["reps"]) == 3 == len(sim.reps)
    assert truth["reps"][0]["rom_deg"] == pytest.approx(sim.reps[0].rom_deg)
    assert {"up_s", "top_hold_s", "down_s", "peak_s"} <= set(truth["reps"][0])
