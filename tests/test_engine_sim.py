"""The engine on simulated sessions with ground truth: counts, phase times and flags a user sees."""
import numpy as np
import pytest

from bench.sim_suite import engine_run, in_set, match_reps, run_engine, set_counts
from imu.presets import get_preset
from imu.sim import SessionSpec, SetSpec, simulate_session


@pytest.fixture(scope="module")
def session():
    # textbook, swung and partial sets of lying leg raises, with walking, sitting up, bending the
    # knees and fidgeting in the rests (seed 3), sensor at 100 Hz with a gyroscope, any mounting
    spec = SessionSpec(exercise="lying-leg-raise",
                       sets=[SetSpec("textbook", 10), SetSpec("swung", 8), SetSpec("partial", 8)],
                       rate_hz=100.0, gyro=True, seed=3)
    sim = simulate_session(spec)
    return sim, run_engine(sim)


def test_every_set_is_counted_and_rests_are_not(session):
    sim, reps = session
    assert set_counts(sim, reps) == [10, 8, 8]
    assert len(reps) == 26  # nothing counted while walking, sitting up or fidgeting
    assert sorted({r.set for r in reps}) == [1, 2, 3]


def test_phase_times_match_the_truth(session):
    sim, reps = session
    pairs = [(t, r) for t, r in match_reps(sim.reps, reps) if r is not None]
    assert len(pairs) == 26
    for field in ("start_s", "top_s", "lower_s", "end_s"):
        err = np.array([abs(getattr(r, field) - getattr(t, field)) for t, r in pairs])
        assert np.median(err) < 0.12 and err.max() < 0.5, field
    rom = np.array([abs(r.rom_deg - t.rom_deg) for t, r in pairs])
    assert np.median(rom) < 3.0


def test_swung_reps_are_momentum_and_short_ones_partial(session):
    sim, reps = session
    for t, r in match_reps(sim.reps, reps):
        assert ("momentum" in r.flags) == t.momentum
        assert ("partial" in r.flags) == t.partial
    textbook = [r for r in reps if r.set == 1]
    assert all(not {"momentum", "rushed", "partial"} & set(r.flags) for r in textbook)


def test_rep_tempo_reads_like_a_trainer_would_write_it(session):
    _, reps = session
    textbook = [r for r in reps if r.set == 1]
    # textbook tempo: ~2 s up, ~1 s at the top, 2-3 s down
    assert all(1.5 <= r.up_s <= 2.8 and 0.5 <= r.top_hold_s <= 1.6 and 1.7 <= r.down_s <= 3.5 for r in textbook)
    assert textbook[-1].bottom_hold_s is None and all(r.bottom_hold_s is not None for r in textbook[:-1])


def test_reps_are_shown_as_they_end_when_a_backtrack_is_impossible():
    # alternating leg lifts (this leg every ~12 s): the first rep looked like a posture change merged with
    # it, but it has no plateau to start again from; the set used to stay tentative for 8 reps (70 s)
    from dataclasses import replace

    from imu.engine import RepEngine
    from imu.sim import benchmark_suite

    spec = replace(benchmark_suite(0)[47], rate_hz=200.0)
    d = simulate_session(spec).data
    t, acc = d.t.values, d[["ax", "ay", "az"]].values
    eng = RepEngine(spec.exercise, has_gyro=False)
    late = []
    for a in range(0, len(t), 36):  # Polar H10 frames
        for ev in eng.feed(t[a:a + 36], acc[a:a + 36]):
            if ev.kind == "rep" and ev.rep.rep >= eng.preset.min_set_reps:
                late.append(float(t[min(a + 36, len(t)) - 1] - ev.rep.end_s))
    assert len(late) >= 8 and max(late) < 1.0


def _columns(d):
    """(t, acc, gyro or None) of a recording's DataFrame."""
    return d.t.values, d[["ax", "ay", "az"]].values, d[["gx", "gy", "gz"]].values if "gx" in d else None


def _engine_fed(preset: str, t, acc, gyro, packet: int | None = None):
    """A finished engine fed the samples at once or in ``packet``-sample packets."""
    from imu.engine import RepEngine

    eng = RepEngine(preset, has_gyro=gyro is not None)
    step = packet or len(t)
    for a in range(0, len(t), step):
        eng.feed(t[a:a + step], acc[a:a + step], None if gyro is None else gyro[a:a + step])
    eng.finish()
    return eng


def _engine_fed_up_to(preset: str, t, acc, ends):
    """A finished engine (no gyroscope) fed the samples in packets ending at the indices ``ends``."""
    from imu.engine import RepEngine

    eng = RepEngine(preset, has_gyro=False)
    for a, b in zip(np.r_[0, ends[:-1]], ends):
        eng.feed(t[a:b], acc[a:b])
    eng.finish()
    return eng


def _as_a_faulty_link_delivers(sim, seed: int):
    """``sim``'s recording with 5 % of 5-sample packets lost and a 3.4 s dropout in each set."""
    t = sim.data.t.values
    rng = np.random.default_rng(seed)
    keep = np.ones(len(t), bool)
    for st in sim.sets:
        t0 = rng.uniform(st.start_s, st.end_s - 3.0)
        keep &= ~((t >= t0) & (t < t0 + 3.4))
    keep &= ~np.repeat(rng.random(len(t) // 5 + 1) < 0.05, 5)[: len(t)]
    return _columns(sim.data[keep])


def _timing(reps) -> list[tuple]:
    """Set, rep, start and end (to the microsecond: packets may change the last bits of a float)."""
    return [(r.set, r.rep, round(r.start_s, 6), round(r.end_s, 6)) for r in reps]


def _counted_with_style(session: int, style: str):
    """Suite session ``session`` through the engine, its sets of ``style`` each counted exactly:
    (simulation, reps, indices of those sets)."""
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[session])
    reps = run_engine(sim)
    counts = set_counts(sim, reps)
    sets = [k for k, st in enumerate(sim.sets) if st.style == style]
    assert sets and all(counts[k] == sim.sets[k].reps for k in sets)
    return sim, reps, sets


def _outside_sets(sim, reps) -> list:
    """The reps of ``reps`` peaking in none of ``sim``'s sets (false reps, counted in rests)."""
    return [r for r in reps if not any(in_set(r, st) for st in sim.sets)]


def _counted(sim) -> tuple[list, list[int], int]:
    """The engine's reps of ``sim``, its count of each of ``sim``'s sets and how many reps fell outside them."""
    reps = run_engine(sim)
    return reps, set_counts(sim, reps), len(_outside_sets(sim, reps))


def _assert_packets_change_nothing(sim, reps, packet: int = 5) -> None:
    """``reps`` (``sim`` fed at once) come out the same fed in ``packet``-sample packets, as from BLE."""
    assert _timing(_engine_fed(sim.spec.exercise, *_columns(sim.data), packet=packet).reps) == _timing(reps)


def _assert_set_counted_from_its_bottom(sim, reps, k: int, n: int, fields=("start_s",)) -> None:
    """Set ``k`` (0-based) of ``sim`` has its ``n`` reps, each within 0.5 s of the truth in ``fields``."""
    got = [r for r in reps if in_set(r, sim.sets[k])]
    truth = [r for r in sim.reps if r.set == k + 1]
    assert len(got) == len(truth) == n
    for f in fields:
        assert max(abs(getattr(g, f) - getattr(t, f)) for g, t in zip(got, truth)) < 0.5, f


def test_a_set_whose_first_rep_ran_out_of_a_posture_change_is_counted_from_its_bottom():
    # bent-knee raises (seed 0, session 16): moving into position ran into the second set's first rep, and
    # the leg first held still at that rep's top; the set used to be counted from top to top (10 of 11 reps,
    # each starting as the real one came down)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[16])
    reps = run_engine(sim)
    _assert_set_counted_from_its_bottom(sim, reps, 1, 11, ("start_s", "top_s"))
    # what the engine looks back at is kept whatever the chunking: live (BLE packets) gives the same reps
    _assert_packets_change_nothing(sim, reps, packet=37)


def test_a_first_rep_rising_from_the_rest_before_the_set_is_counted_from_its_bottom():
    # bent-knee raises (seed 0, session 110): a rest movement, then the first rep rose from the rest before the set
    # and came down 11 deg lower, to the set's hover; the second rep, unlike the pair, started a set again from
    # the first, judged by where it began: the set was found inside out and counted from top to top (13 reps,
    # none within 1.5 s of the truth)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[110])
    _assert_set_counted_from_its_bottom(sim, run_engine(sim), 0, 13, ("start_s", "top_s", "end_s"))


def test_a_home_waits_for_the_fused_direction_to_settle():
    # heel taps with a gyroscope (seed 0, session 40): re-strapping the sensor left the fused direction 50 deg
    # off the accelerometer's; the leg hovered still for the second set while it converged, and a home found 18 deg
    # off drifted 16 deg: the set was counted from the floor, the taps' bottoms (6 reps, none within 1.5 s of the
    # truth)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[40])
    _assert_set_counted_from_its_bottom(sim, run_engine(sim), 1, 6, ("start_s", "top_s", "end_s"))


def test_a_set_started_from_a_held_posture_change_is_counted_from_its_first_rep():
    # seated leg raises, accelerometer only (seed 0, session 115): the leg moved into a new position and
    # stayed there, so the first excursion was too long for a rep; the search used to resume after it,
    # in the first rep's top hold, and counted the third set from top to top
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[115])
    _assert_set_counted_from_its_bottom(sim, run_engine(sim), 2, 10)


def test_a_rest_at_the_level_of_the_reps_tops_does_not_turn_a_set_inside_out():
    # plank leg lifts, accelerometer only, 200 Hz (seed 0, session 97): before the third set the leg rested 3 deg from
    # where its lifts top out, then went down to the plank line and held there 2.6 s; the inside-out check took that
    # rest for the set's bottom and counted the set from top to top (12 of 11, every rep 3 s early). The reps' own
    # acceleration puts the ankle lower at the set's home than at their tops: the set is right side up
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[97])
    reps = run_engine(sim)
    _assert_set_counted_from_its_bottom(sim, reps, 2, 11, ("start_s", "top_s"))
    _assert_packets_change_nothing(sim, reps, packet=36)  # (a Polar H10 frame's worth at 200 Hz)


def test_a_dropout_in_a_new_set_does_not_turn_it_inside_out():
    # side leg lifts (seed 0, session 36) as a faulty BLE link delivers them: 5 % of 5-sample packets lost and
    # a 3.4 s dropout in each set; the inside-out check used to read across the dropout and the first set lost
    # two reps: counted as on the clean recording
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[36])
    reps = _engine_fed(sim.spec.exercise, *_as_a_faulty_link_delivers(sim, 7036)).reps
    assert set_counts(sim, reps) == [13, 14]


@pytest.mark.parametrize("packet", [None, 5, 37])
def test_a_set_whose_first_rep_rose_in_a_dropout_is_counted_from_its_bottom(packet):
    # single-leg raises with a gyroscope (seed 0, session 58): the link dropped for 3.4 s as the second set
    # began, and the data came back as the leg rose, so the first still stretch was the first rep's top hold
    # and the set was found inside out. The rest it really began from lay before the dropout, and the
    # inside-out check, which wants the leg seen staying within the set's range from that rest on, took the
    # unseen dropout for a move out of it: counted from top to top, 6 of 7. Nothing unseen contradicts it
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[58])
    t = sim.data.t.values
    data = _columns(sim.data[~((t >= 172.87) & (t < 176.23))])
    _assert_set_counted_from_its_bottom(sim, _engine_fed(sim.spec.exercise, *data, packet=packet).reps, 1, 7)


@pytest.mark.parametrize("packet", [None, 5, 37])
def test_a_posture_change_merged_with_a_first_rep_is_undone_when_a_dropout_cut_a_later_one(packet):
    # plank leg lifts without a gyroscope (seed 0, session 37): the second set's first "rep" was getting into
    # the plank, held 3.7 s, and the third was cut by a 3.5 s dropout. Whether the first was a posture change
    # used to be judged only when no rep was cut by a gap, so the set ran from the plank's hold (top to top)
    # and its last 3 reps were lost: 3 of 6. The first and second were seen whole: comparable
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[37])
    t = sim.data.t.values
    data = _columns(sim.data[~((t >= 214.1) & (t < 217.65))])
    assert set_counts(sim, _engine_fed(sim.spec.exercise, *data, packet=packet).reps)[1] == 6


def test_a_faulty_stream_gives_the_same_reps_in_packets_as_at_once():
    # plank leg lifts (seed 0, session 38) with loss and dropouts: fed in 23-sample packets, the second set's
    # inside-out check used to see less of what came before its first rep (trimmed earlier) than at once
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[38])
    data = _as_a_faulty_link_delivers(sim, 7038)
    assert _timing(_engine_fed(sim.spec.exercise, *data, packet=23).reps) == \
        _timing(_engine_fed(sim.spec.exercise, *data).reps)


@pytest.mark.parametrize("session, first_set", [(94, 10), (23, 7), (71, 14), (11, 9)])
def test_fidgeting_between_sets_is_not_a_set(session, first_set):
    # plank leg lifts with a gyroscope (seed 0, session 94): twitches of 3-7 deg in 0.2 s with a pause or two
    # among them made three "sets" (9 reps) in the rests; heel taps without a gyroscope (session 23): one
    # "set" of 3; a leg lifted and lowered in under 0.5 s is no rep. Seated leg raises and side-lying leg
    # lifts without a gyroscope (sessions 71, 11): shifts of the leg by 7-11 deg, one every few seconds and
    # never held, made a "set" of 3 or 5 in a rest (side-lying reps of 3-5 deg are real, but held)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[session])
    reps = run_engine(sim)
    assert not _outside_sets(sim, reps)
    assert set_counts(sim, reps)[0] == first_set


def test_auto_recognises_flutter_kicks():
    # continuous kicks with the shin lying used to be judged walking before ``auto`` could pick a preset, so
    # an ``auto`` session of flutter kicks counted nothing
    sim = simulate_session(SessionSpec("flutter-kick", [SetSpec("textbook", 20), SetSpec("fatigue", 16)],
                                       gyro=True, seed=21))
    eng = _engine_fed("auto", *_columns(sim.data))
    assert eng.preset.slug == "flutter-kick"
    assert set_counts(sim, eng.reps) == [20, 16]


def test_without_a_gyroscope_brisk_reps_are_rushed_not_momentum():
    # the tilt read off the accelerometer makes a brisk, controlled rep look like a swing (the leg's own
    # acceleration shortens its ramps); what tells them apart is how hard the ankle accelerates: under
    # about 1 g in a brisk straight-leg raise, one to several g when the leg is thrown or dropped (the
    # swung sets: test_without_a_gyroscope_swung_sets_are_counted)
    brisk = simulate_session(SessionSpec("lying-leg-raise", [SetSpec("brisk", 10), SetSpec("textbook", 10)],
                                         rate_hz=50.0, gyro=False, seed=0))
    reps = run_engine(brisk)
    assert set_counts(brisk, reps) == [10, 10]
    assert all("rushed" in r.flags and "momentum" not in r.flags for r in reps if r.set == 1)
    assert all(r.peak_accel_g < get_preset("lying-leg-raise").momentum_accel_g for r in reps)


def test_with_a_gyroscope_a_short_swing_is_momentum_although_it_turns_slowly():
    # prone reverse leg lifts swung through ~22 deg (suite session 32, 200 Hz): up and down in about 0.5 s,
    # but the small range keeps the peak speed at 55-80 deg/s, under the preset's 80 deg/s; the ankle's
    # own acceleration (0.5-0.8 g, against at most 0.36 g in controlled reverse lifts) shows the swing
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[32])
    reps = run_engine(sim)
    pairs = [(t, r) for t, r in match_reps(sim.reps, reps) if r is not None]
    assert sum(t.momentum for t, _ in pairs) >= 12
    assert all(r.momentum == t.momentum for t, r in pairs)


@pytest.mark.parametrize("session", [59, 43, 57, 119, 67, 111])
def test_without_a_gyroscope_swung_sets_are_counted(session):
    # straight-leg raises (suite sessions 59 and 119), prone reverse lifts (43) and alternating leg lifts
    # (57) swung up and dropped: the ankle's own acceleration (1.5-4 g) hid gravity through each rep, and the
    # bridged tilt lost them; the fitted swing (imu.swing) finds them, and they are momentum. In 57 and 119
    # the sensor's scale errors leave 0.2 g of misfit at readings of 2-4 g: the fit is judged relative to them.
    # Side lifts (67: 9 of 13) and seated raises (111: 0 of 12) were bridged from a reading the throw had
    # already tilted (the low-passed accelerometer lags its start): the leg seemed to dip below its rest
    # before each rep; the bridge now starts where the reading began to leave 1 g
    sim, reps, _ = _counted_with_style(session, "swung")
    for truth, rep in match_reps(sim.reps, reps):
        if truth.momentum:
            assert rep is not None and rep.momentum


def test_without_a_gyroscope_continuous_swinging_is_bridged_from_pause_to_pause():
    # lying leg raises swung through ~80 deg every 1.2 s with 0.3 s pauses at the bottom (suite session
    # 113, set 1): the accelerometer never settles near 1 g for long enough, so the whole set was one
    # unreliable stretch, longer than can be bridged, and no rep was found; bridged swing by swing
    # between the pauses (where the unfiltered accelerometer reads 1 g and holds still) it counts all
    # 13, the same in 5-sample packets as at once
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[113])
    t, acc, _ = _columns(sim.data)
    reps = _engine_fed("lying-leg-raise", t, acc, None).reps
    assert set_counts(sim, reps)[0] == 13
    assert all(r.momentum for r in reps if in_set(r, sim.sets[0]))
    assert _timing(_engine_fed("lying-leg-raise", t, acc, None, packet=5).reps) == _timing(reps)


def test_a_slow_eccentric_ends_when_the_leg_is_down_not_when_it_slows():
    # a rep is decided when the leg is slower than 5 % of its peak speed, before a 3-4 s lowering's last
    # degrees are done: its end (and so its down time and the bottom hold after it) was put 0.2-0.4 s early
    errors = []
    for exercise in ("lying-leg-raise", "side-leg-lift"):
        for seed in (0, 1):
            sim = simulate_session(SessionSpec(exercise, [SetSpec("slow_eccentric", 8)], gyro=True, seed=seed,
                                               rest_s=(20, 30)))
            pairs = [(t, r) for t, r in match_reps(sim.reps, run_engine(sim)) if r is not None]
            assert len(pairs) == 8
            errors += [r.end_s - t.end_s for t, r in pairs]
    # (before: median -0.24 s, 2 of 32 ends late, mean error 0.27 s)
    assert abs(np.median(errors)) < 0.1 and np.mean(np.abs(errors)) < 0.2, errors


@pytest.mark.parametrize("k, set_index", [(10, 0), (44, 0), (10, 1)])
def test_with_a_gyroscope_swung_sets_are_counted_through_the_catch(k, set_index):
    # swung hanging leg raises (suite session 10) and swung alternating leg lifts (44): the fusion's pull
    # towards the accelerometer while the leg was caught at the bottom (several g) put the angle up to
    # 25 deg below the resting level, which ended the set (6 of 10, 12 of 14 counted). A dropped hanging leg
    # also swings back behind the hang line for a moment: 15 deg below the rest for 0.3 s ended its set
    # (8 of 9 in the second set); the limit is 25 deg (imu.engine.params.BELOW_REST_DEG)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    assert set_counts(sim, run_engine(sim))[set_index] == sim.sets[set_index].reps


def test_the_live_count_includes_a_rep_as_the_leg_comes_back(session):
    # fed as a live loop would (every 50 ms), a rep of a confirmed set is counted as soon as the leg is back
    # near its rest, before it settles and comes out with its tempo; nothing counted is taken back
    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder

    sim, reps = session
    t, acc, gyro = _columns(sim.data)
    feeder = EngineFeeder(RepEngine("lying-leg-raise", has_gyro=True), True, max_interval_s=0.0)
    most: dict[int, int] = {}
    for a in range(0, len(t), 5):
        feeder.add(t[a:a + 5], acc[a:a + 5], gyro[a:a + 5])
        if feeder.engine.current_set is not None:
            s = feeder.engine.current_set
            most[s] = max(most.get(s, 0), feeder.engine.count_now)
    feeder.finish()
    assert set_counts(sim, feeder.engine.reps) == [10, 8, 8]
    assert most == {1: 10, 2: 8, 3: 8} and feeder.uncounted == 0
    shown = [(c, r) for _, rep, c, r in feeder.latencies if rep > get_preset("lying-leg-raise").min_set_reps]
    counted, reported = np.array(shown).T
    assert len(shown) >= 17 and counted.max() <= 0.3
    assert np.median(counted) < np.median(reported) - 0.2


def test_the_rep_that_makes_a_set_is_counted_as_the_leg_comes_back(session):
    # a tentative set is judged when its min_set_reps-th rep settles; the live view counts the set (its reps so
    # far) as soon as that rep is back near the rest and the reps so far look a set (count_set names the set it
    # would be), not when it settled: before, the second set's third rep was counted 0.34 s after its end
    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder

    sim, reps = session
    t, acc, gyro = _columns(sim.data)
    eng = RepEngine("lying-leg-raise", has_gyro=True)
    feeder = EngineFeeder(eng, True)
    shown_before: list[int] = []
    for a in range(0, len(t), 5):
        feeder.add(t[a:a + 5], acc[a:a + 5], gyro[a:a + 5])
        if eng.current_set is None and eng.count_now:
            shown_before.append(eng.count_set)
    feeder.finish()
    assert set_counts(sim, eng.reps) == [10, 8, 8]
    m = get_preset("lying-leg-raise").min_set_reps
    making = [c for _, rep, c, _ in feeder.latencies if rep == m]
    assert len(making) == 3 and max(making) <= 0.3
    assert sorted(set(shown_before)) == [1, 2, 3] and feeder.uncounted == 0


@pytest.mark.parametrize("k, sets", [(46, 3), (67, 3), (86, 2)])
def test_a_set_started_from_a_new_posture_is_counted_as_its_reps_land(k, sets):
    # reverse leg lifts (suite session 46, a Thingy:52), side leg lifts without a gyroscope (67, a Polar) and with
    # one (86, a Thingy:52), each at its live rate: before a set the leg moved into a new posture and lay still
    # there, ~170 deg (46: turning prone, where the unsigned tilt from the old rest folds, so the reps read as
    # dips of ~15 deg towards it), ~95 deg (67: the reps turned 45 deg across, keeping that angle) and ~92 deg
    # (86: the reps rose 33 deg on from there) from the rest before it. None was taken for a new rest: the move
    # on from it was short of half its height. The excursion never came back, and a chain of max_rep_s restarts
    # counted the set's making rep 4.4, 4.6 and 3.7 s late and the reps after it up to 3.1 s late
    r = _probed(k)
    assert r["uncounted"] == 0 and len(r["making"]) == sets
    assert max(r["making"]) <= 0.3
    assert max(c for c, _ in r["latency"]) < 0.5


@pytest.mark.parametrize("k", [1, 124])
def test_a_set_of_heel_taps_from_the_tabletop_is_counted_as_its_taps_land(k, monkeypatch):
    # heel taps (suite sessions 1, a Polar H10, and 124, WitMotion, each at its live rate): the leg rose from lying
    # to the tabletop, ~100 deg, and the taps dipped 40-60 deg from there. The tabletop was taken for a rep's top
    # hold (a rep's top is left towards the rest) and the excursion ran to max_rep_s: the set's third rep was
    # counted 2.5 and 3.4 s late. A plateau above the target range that the leg dips from by DIP_FRACTION of its
    # height and comes back to half way is a new rest
    from imu.engine import search

    r = _probed(k)
    assert r["uncounted"] == 0 and max(r["making"]) <= (1.0 if k == 1 else 0.3)
    monkeypatch.setattr(search, "DIP_FRACTION", 10.0)  # (no dip leaves the plateau)
    assert max(_probed(k)["making"]) > 2.0


@pytest.mark.parametrize("k, set_no, rep_no", [(3, 2, 11), (79, 1, 13)])
def test_a_rep_that_stops_a_little_above_the_sets_rest_is_counted_as_it_stops(k, set_no, rep_no, monkeypatch):
    # Polar H10 reverse leg lifts (suite session 3): a rep's leg came to rest ~3 deg (17 % of the rep) above where the
    # set's reps rest, so it never came back within LANDED_FRACTION (10 %) and was counted only when it settled, 0.69
    # s after its end; brisk lying leg raises (79): the leg turned straight back up from 19 % of the rep and was
    # counted as it had risen by 10 % again, 0.57 s late. A leg that stops (turning slower than 15 % of the rep's peak
    # speed for 0.1 s) within STOP_LANDED_FRACTION of the rep's height has landed
    from imu.engine import search

    r = _probed(k)
    late = [c for s, n, c, _ in r["lat_all"] if (s, n) == (set_no, rep_no)]
    assert len(late) == 1 and late[0] <= 0.3 and r["uncounted"] == 0
    monkeypatch.setattr(search, "STOP_LANDED_FRACTION", 0.0)  # (no stop lands a rep)
    assert [c for s, n, c, _ in _probed(k)["lat_all"] if (s, n) == (set_no, rep_no)][0] > 0.5


def test_without_a_gyroscope_walking_steps_fitted_far_beyond_their_tilt_are_no_reps(monkeypatch):
    # single-leg raises without a gyroscope (session 45 of the suite's seed 2, held out from the tuning): after a
    # re-strap the person walked off. Six small shifts of the leg made a set, and the walking steps, 11 deg of tilt
    # each but fitted as turns about a pivot to 77-206 deg, went on as 42 more reps of it. A rep fitted beyond
    # FIT_BEYOND_TILT times its tilt's range is no rep of a set
    from imu.engine import RepEngine
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed=2)[45])

    def false_reps():
        reps = engine_run(sim).reps
        assert set_counts(sim, reps) == [st.reps for st in sim.sets]
        return len(_outside_sets(sim, reps))

    assert false_reps() <= 6
    monkeypatch.setattr(RepEngine, "_fit_beyond_tilt", lambda self, cand: False)
    assert false_reps() >= 40


def test_a_rep_that_starts_slowly_as_the_last_one_settles_is_measured_from_the_rest(monkeypatch):
    # accelerometer-only hanging leg raises (session 45 of the suite's seed 3, held out from the tuning), tiring: the
    # leg rested 1 s after a rushed lowering and rose again slowly, slower than the settling speed (relative to how
    # fast it came down), so the last rep settled only 2 s after it came back, 0.4 s up the next rise. That rep's rest
    # was read from there, 16 deg up, it "rested elsewhere", and the set of 11 was cut into two sets of 5
    from imu.engine import RepEngine
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed=3)[45])
    reps = engine_run(sim).reps
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    assert len({r.set for r in reps}) == len(sim.sets)
    monkeypatch.setattr(RepEngine, "_last_at_rest", lambda self, back, trough, stop, theta: stop + 1)
    reps = engine_run(sim).reps
    assert set_counts(sim, reps)[0] < sim.sets[0].reps and len({r.set for r in reps}) > len(sim.sets)


def test_a_tentative_set_of_uneven_reps_is_not_counted_before_it_is_judged():
    # accelerometer-only bent-knee raises (suite session 70, the DIY sensor): a rep and, straight after it, a
    # shift of the leg (3.9 s, then 1.1 s) looked like two reps of a set, the next movement landed and the live view
    # counted three, taken back when that settled as no set. A set's reps keep a rhythm: its reps so far must take
    # at most LIKE_SET_FACTOR times as long as each other before the set is counted as its next rep lands
    r = _probed(70)
    assert r["uncounted"] == 0
    assert np.mean(np.array([c for c, _ in r["latency"]]) <= 0.3) >= 0.9


@pytest.mark.parametrize("k", [74, 87, 100])
def test_a_rep_from_another_rest_is_not_counted_before_it_settles(k):
    # heel taps (suite session 74, WitMotion), hanging leg raises (87, a Polar H10) and flutter kicks (100, the
    # DIY sensor), each at the rate `imu live` asks for: after a set's last rep the leg moved again from where it
    # had come to rest, 8 and 6 deg off the set's resting level (74, 100; the first rep of a new tentative set),
    # or less than the preset's smallest range from there (87: no rep). The live view counted it as it landed and
    # took it back as it settled. It now counts a rep before it settles only if the leg left from the set's
    # resting level and rose at least min_rom_deg from there
    r = _probed(k)
    assert r["uncounted"] == 0
    assert np.mean(np.array([c for c, _ in r["latency"]]) <= 0.3) >= 0.8


@pytest.mark.parametrize("exercise, seed", [("lying-leg-raise", 3), ("side-leg-lift", 2)])
def test_without_a_gyroscope_a_swung_rep_is_counted_as_the_leg_comes_back(exercise, seed):
    # an accelerometer-only sensor (a Polar H10 at 200 Hz: 36 samples a notification): the front end holds
    # a swing's samples back until its bridge is settled, ~0.5 s after the leg is back; the live view
    # counts the rep from the readings held back (the leg still at its rest), and takes none back
    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder

    sim = simulate_session(SessionSpec(exercise=exercise, sets=[SetSpec("swung", 10)] * 2, rate_hz=200.0,
                                       gyro=False, seed=seed))
    t, acc, _ = _columns(sim.data)
    feeder = EngineFeeder(RepEngine(exercise, has_gyro=False), False, max_interval_s=0.0)
    for a in range(0, len(t), 36):
        feeder.add(t[a:a + 36], acc[a:a + 36], None)
    feeder.finish()
    assert set_counts(sim, feeder.engine.reps) == [10, 10] and feeder.uncounted == 0
    shown = [(c, r) for _, rep, c, r in feeder.latencies if rep > get_preset(exercise).min_set_reps]
    counted, reported = np.array(shown).T
    assert len(shown) >= 14 and np.mean(counted <= 0.3) >= 0.85
    assert np.median(counted) < np.median(reported) - 0.3


def test_the_live_loop_does_not_feed_the_engine_when_the_leg_stops_at_the_top(session, monkeypatch):
    # a stop during a lift far from the resting position (a top hold) cannot end a rep: feeding the
    # engine there only costs CPU. Skipping those feeds cuts the engine calls by a seventh here, with
    # the same reps, each reported at the same moment, and as many counted within 300 ms of the return
    from imu.engine import RepEngine
    from imu.live import feeder as feeder_mod

    sim, _ = session
    t, acc, gyro = _columns(sim.data)

    def run():
        feeder = feeder_mod.EngineFeeder(RepEngine("lying-leg-raise", has_gyro=True), True)
        for a in range(0, len(t), 5):
            feeder.add(t[a:a + 5], acc[a:a + 5], gyro[a:a + 5])
        feeder.finish()
        return feeder

    skipping = run()
    monkeypatch.setattr(feeder_mod, "HELD_UP_COS", -2.0)  # never "held up": every stop feeds
    every_stop = run()
    assert len(skipping.engine.reps) == len(every_stop.engine.reps) == 26
    assert np.allclose([r.start_s for r in skipping.engine.reps], [r.start_s for r in every_stop.engine.reps],
                       rtol=0, atol=1e-9)  # (float noise: the engine's sums depend on the chunking)
    (_, _, counted, reported), (_, _, counted_all, reported_all) = (
        np.array(f.latencies).T for f in (skipping, every_stop))
    assert len(counted) >= 20 and np.allclose(reported, reported_all, rtol=0, atol=1e-9)
    assert np.mean(counted <= 0.3) == np.mean(counted_all <= 0.3)
    assert skipping.calls < 0.9 * every_stop.calls


def test_without_a_gyroscope_a_brisk_start_tilting_the_other_way_does_not_lose_the_set():
    # brisk heel taps (suite session 1, set 1): as the leg sets off, its own acceleration tilts the
    # accelerometer ~20 deg against the motion for 0.4 s. That was taken as the set's first rep and fixed
    # its frame, so the real rep, going the other way, read as the leg dropping below its rest: the set
    # was abandoned, and the 0.2 s pauses never gave a still home again (0 of 12). The lone "rep" is now
    # dropped and what follows measured afresh from the same rest; the same in 5-sample packets
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[1])
    t, acc, _ = _columns(sim.data)
    reps = _engine_fed("heel-tap", t, acc, None).reps
    assert set_counts(sim, reps)[0] == 12
    assert _timing(_engine_fed("heel-tap", t, acc, None, packet=5).reps) == _timing(reps)


def test_measuring_afresh_from_a_long_rest_stays_within_the_kept_samples():
    # bent-knee raises without a gyroscope (suite session 7): measured afresh from where the leg came
    # home 35 s earlier, beyond what the engine keeps of a long stay at home, the search read outside its
    # buffer and never found sets 2 and 3
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[7])
    t, acc, _ = _columns(sim.data)
    assert set_counts(sim, _engine_fed("bent-knee-raise", t, acc, None).reps) == [st.reps for st in sim.sets]


def test_a_lone_movement_long_before_a_set_does_not_fix_its_frame():
    # single-leg raises with a gyroscope (suite session 22): a 7 deg shift of the leg 14 s before the set
    # was taken as the first rep of a possible set and fixed its plane; the set's first rep, turning in
    # another plane, abandoned that "set" as it started and was lost (5 of 6). A tentative set whose
    # last rep ended longer ago than a set's pauses allow is dropped, frame and all
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[22])
    t, acc, gyro = _columns(sim.data)
    reps = _engine_fed("single-leg-raise", t, acc, gyro).reps
    _assert_set_counted_from_its_bottom(sim, reps, 0, 6)
    assert _timing(_engine_fed("single-leg-raise", t, acc, gyro, packet=7).reps) == _timing(reps)


@pytest.mark.parametrize("k, exercise, set_index", [(113, "lying-leg-raise", 1), (93, "seated-leg-raise", 1)])
def test_without_a_gyroscope_a_brisk_set_leaving_an_old_plane_is_measured_afresh(k, exercise, set_index):
    # without a gyroscope the plane of earlier movements is kept through a rest (measured afresh, rest
    # movements made sets). The first rep of a swung set (suite session 113) or a brisk one (93) left that
    # plane, the set was abandoned, and its pauses were too short to find a new home in: 0 of 8 counted.
    # A fast movement (over 80 deg/s) out of a plane no rep of the set has confirmed is measured afresh
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    t, acc, _ = _columns(sim.data)
    reps = _engine_fed(exercise, t, acc, None).reps
    assert set_counts(sim, reps)[set_index] == sim.sets[set_index].reps == 8
    assert _timing(_engine_fed(exercise, t, acc, None, packet=5).reps) == _timing(reps)


def test_measuring_afresh_does_not_depend_on_how_much_of_a_long_rest_the_buffer_still_holds():
    # without a gyroscope (suite session 45, its link faulty): whether to measure afresh was decided on
    # speeds from the start of a long stay at home or from the buffer's front, which depends on where the
    # chunks ended, and the reps fed in chunks of 10-120 samples were not those fed whole. It now looks
    # back at most as far as the buffer always holds
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[45])
    t, acc, _ = _as_a_faulty_link_delivers(sim, seed=7045)
    whole = _timing(_engine_fed(sim.spec.exercise, t, acc, None).reps)
    ends = np.cumsum(np.random.default_rng(45).integers(10, 120, size=len(t) // 10 + 10))
    assert _timing(_engine_fed_up_to(sim.spec.exercise, t, acc, ends).reps) == whole and len(whole) >= 30


@pytest.mark.parametrize("offset_s", [-0.12, -0.04, 0.0])
def test_without_a_gyroscope_a_packet_lost_as_the_leg_is_thrown_does_not_lose_the_rep(offset_s):
    # swung heel taps (suite session 23, set 2, 26 Hz): 0.19 s of samples lost at the start of the fifth
    # rep (a lost Polar frame). The grid's readings across the hole follow no swing: the swing was misfit,
    # the rep lost or read 15 deg too high and the set split (6 or 7 of 8). The hole's readings now count
    # as unreliable and the fit leaves them out
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[23])
    fifth = next(r for r in sim.reps if r.set == 2 and r.rep == 5)
    t, acc, _ = _columns(sim.data)
    keep = ~((t > fifth.start_s + offset_s) & (t < fifth.start_s + offset_s + 0.19))
    reps = _engine_fed("heel-tap", t[keep], acc[keep], None).reps
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    rep = next(r for tr, r in match_reps(sim.reps, reps) if tr is fifth)
    assert rep.momentum and abs(rep.rom_deg - fifth.rom_deg) < 10.0


def test_a_rep_resting_far_from_where_its_frame_was_set_up_is_measured_afresh():
    # swung single-leg raises without a gyroscope (suite session 105) through a faulty link: the set's
    # first reps were tentative when a dropout hit, and what came after was measured in a frame a
    # rest-time movement had set up, where the leg rested 170 deg off: every rep looked unlike the one
    # before, and only 8 of 13 were counted. Such a rep is measured afresh from its own rest: all but the
    # two before the dropout
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[105])
    reps = _engine_fed(sim.spec.exercise, *_as_a_faulty_link_delivers(sim, 2)).reps
    assert set_counts(sim, reps) == [11, 13]
    found = [r for tr, r in match_reps(sim.reps, reps) if tr.set == 1]
    assert all(r is not None for r in found[4:])


def test_a_dropout_over_the_bottom_between_two_reps_keeps_the_set():
    # slow-eccentric single-leg raises without a gyroscope (suite session 17 at 200 Hz, set 3): 3.4 s lost
    # from half-way down the fourth rep to the fifth one's way up. The leg's lowest point was where the data
    # resumed, 28 deg up, and was taken as the set's rest: the fifth rep came down 28 deg "below" it, which
    # ended the set (10 of 11, split 4 + 6). Where the way down was lost, the set's own rest is used
    from dataclasses import replace

    from imu.sim import benchmark_suite

    sim = simulate_session(replace(benchmark_suite(0)[17], rate_hz=200.0))
    fourth = next(r for r in sim.reps if r.set == 3 and r.rep == 4)
    t, acc, _ = _columns(sim.data)
    keep = ~((t > fourth.lower_s + 1.5) & (t < fourth.lower_s + 4.9))
    reps = _engine_fed(sim.spec.exercise, t[keep], acc[keep], None).reps
    assert set_counts(sim, reps) == [13, 7, 11]
    assert len({r.set for r in reps}) == 3


def test_without_a_gyroscope_bridges_do_not_depend_on_where_the_packets_end():
    # brisk hanging leg raises through a faulty link (suite session 69): a bridge starts where the reading
    # began to leave 1 g, so two unreliable stretches a few samples apart may join into one; when a packet
    # ended between them the first was bridged on its own and the reps differed from those fed whole
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[69])
    t, acc, _ = _as_a_faulty_link_delivers(sim, seed=7069)
    whole = _timing(_engine_fed(sim.spec.exercise, t, acc, None).reps)
    ends = np.cumsum(np.random.default_rng(69).integers(1, 120, size=len(t)))
    assert _timing(_engine_fed_up_to(sim.spec.exercise, t, acc, ends).reps) == whole and len(whole) >= 25


@pytest.mark.parametrize("k", [44, 96, 68, 84, 56])
def test_with_a_gyroscope_partial_reps_are_told_from_full_and_tired_ones(k):
    # the person's full range is the sets' median range, swung reps aside (a swing may overshoot). A partial
    # set whose only other set was swung (suite sessions 44, 96) had no full range to fall short of: none of
    # its reps was partial; the swung reps now stand in. Tired (84), swung (68) and slow (56) reps at 80-90 %
    # of the full range were partial with the bar at 80 %: it is at 77 % (the real low-amplitude reps of
    # ../shared/data/pt_exercises_s1 reach 60-75 % of the person's full range)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    pairs = [(t, r) for t, r in match_reps(sim.reps, run_engine(sim)) if r is not None]
    assert len(pairs) >= 0.9 * len(sim.reps)
    assert [("partial" in r.flags) for _, r in pairs] == [t.partial for t, _ in pairs]


@pytest.mark.parametrize("k", [85, 81, 13])
def test_without_a_gyroscope_flutter_kicks_are_counted(k):
    # flutter kicks without a gyroscope (suite sessions 85, 81, 13): kicking continuously, the ankle's own
    # acceleration (0.2-2.5 g) hides gravity for the whole set, with no pause to bridge from, and the raw
    # tilt counted nothing (0 of 28 and 30; 0 of 25 and 17; 0 of 23, 29 and 22). The swinging is fitted
    # window by window (imu.bridge.WINDOW_S), each window from where the last one ended, and where it
    # stops on a reading that only looked like a pause (13), through it; the same in 7-sample packets
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    t, acc, _ = _columns(sim.data)
    reps = _engine_fed("flutter-kick", t, acc, None).reps
    counts, truth = set_counts(sim, reps), [st.reps for st in sim.sets]
    assert sum(counts) >= 0.9 * sum(truth) and all(abs(c - n) <= 3 for c, n in zip(counts, truth))
    assert not _outside_sets(sim, reps)
    assert _timing(_engine_fed("flutter-kick", t, acc, None, packet=7).reps) == _timing(reps)


@pytest.mark.parametrize("k", [124, 43])
def test_swung_reps_are_momentum_and_not_also_partial(k):
    # swung heel taps with a gyroscope (suite session 124) and swung prone lifts without one (43): a swing
    # turns at its peak with no hold to read the top from, and without a gyroscope its tilt is off by the
    # leg's own acceleration, so its range is no measure of how far it went: 4 of the 10 swung heel taps
    # (44 deg, read 39.6-41) and a swung prone lift (17 deg, read 9) were flagged partial as well as
    # momentum. A rep whose range may not set the full range is not judged against it either
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    pairs = [(t, r) for t, r in match_reps(sim.reps, run_engine(sim)) if r is not None and t.momentum]
    assert len(pairs) >= 0.9 * sum(t.momentum for t in sim.reps)
    assert sum("momentum" in r.flags for _, r in pairs) >= 0.9 * len(pairs)
    assert not [r for t, r in pairs if "partial" in r.flags]


@pytest.mark.parametrize("k", [13, 85])
def test_without_a_gyroscope_flutter_kicks_are_counted_as_the_leg_comes_back(k):
    # flutter kicks from a Polar H10 (suite sessions 13, 85, at the rate `imu live` asks for): the front end
    # fits continuous swinging in 1 s windows (imu.bridge.WINDOW_S) and holds each back until it is complete,
    # and the kicks never pause at the bottom for the readings held back to show the leg still there: a kick
    # was counted when its window came out, 0.1-1.1 s after it ended (17 % and 37 % of them within 300 ms).
    # The live view now reads the open window fitted up to the newest reading (RepEngine._landed_unseen);
    # what comes out is unchanged, and nothing counted is taken back
    r = _probed(k)
    counted = np.array([c for c, _ in r["latency"]])
    assert r["uncounted"] == 0 and len(counted) >= 60
    assert np.mean(counted <= 0.3) >= 0.55 and np.median(counted) <= 0.3


def test_without_a_gyroscope_a_flutter_kick_back_in_the_open_window_s_free_end_is_counted():
    # flutter kicks from a Polar H10 (suite session 81, 0.18 s notifications): the open window's fit was read only up
    # to 0.1 s before its newest reading (its free end moves as more comes), so a kick whose return fell in that
    # last 0.1 s waited for the next notification and was counted 0.3-0.4 s after it ended (24 of 36 within
    # 300 ms). The free end lags a leg coming down (its smoothness flattens it out above the leg): read to the end,
    # 29 of 36 are, and nothing counted is taken back
    r = _probed(81)
    counted = np.array([c for c, _ in r["latency"]])
    assert r["uncounted"] == 0 and len(counted) >= 30
    assert np.mean(counted <= 0.3) >= 0.78


def test_without_a_gyroscope_a_kick_back_within_a_fifth_of_its_range_in_the_open_window_is_counted():
    # flutter kicks from a Polar H10 (suite session 13): the open window's fitted free end flattens out ~3 deg above a
    # leg coming down, and a kick was counted only once the fit read it back within a tenth of the set's range (the
    # band a still leg is counted in): 10 of 65 came 0.31-0.39 s after they ended. Read back within a fifth
    # (KICK_LANDED_FRACTION), 64 are counted within 300 ms, and nothing counted is taken back
    r = _probed(13)
    counted = np.array([c for c, _ in r["latency"]])
    assert r["uncounted"] == 0 and len(counted) >= 60 and np.sum(counted > 0.3) <= 2


@pytest.mark.parametrize("k", [123, 4, 121])
def test_the_live_loop_feeds_the_engine_while_a_lift_is_near_the_rest(k, monkeypatch):
    # partial plank leg lifts from a Polar H10 (suite session 123) and partial reverse leg lifts from a WitMotion
    # (4): ~10 deg at a few deg/s never read as moving nor as away from the rest by 12 deg, so nothing but the
    # once-a-second feed handed their return to the engine, and 2 of each were counted 0.35-0.6 s after they
    # ended; lying leg raises swung at ~0.9 g from a Polar H10 (121): the leg's own acceleration hides where it
    # is, and 4 were counted 0.3-0.4 s late. The live loop now feeds every 0.25 s while a lift is read within
    # 12 deg of the rest: all within 300 ms, the same reps, nothing taken back
    from bench.latency_probe import probe_one
    from imu.live.feeder import EngineFeeder
    from imu.sim import benchmark_suite

    spec = benchmark_suite(seed=0)[k]
    now = probe_one((k, spec))
    monkeypatch.setattr(EngineFeeder, "_due_interval", lambda self: self._interval)  # as before
    before = probe_one((k, spec))
    assert len(now["reps"]) == len(before["reps"]) and now["uncounted"] == before["uncounted"] == 0
    assert sum(c > 0.3 for c, _ in before["latency"]) >= 2
    assert len(now["latency"]) >= 14 and max(c for c, _ in now["latency"]) <= 0.3


@pytest.mark.parametrize("k", [67, 113])
def test_without_a_gyroscope_a_rep_after_the_one_that_makes_a_set_is_counted_while_that_one_settles(k):
    # brisk Polar H10 lying leg raises (suite sessions 67, 113): the fourth rep of the first set went up and came
    # back whole in the readings held back while the state machine settled the third, the one that made the set;
    # the live view counted that one and read nothing more until the set was confirmed: the fourth was counted
    # 0.39-0.42 s after it ended. It now counts what the readings held back show after it too: every rep of these
    # sessions from the set's making rep on within 300 ms, nothing taken back
    r = _probed(k)
    assert len(r["latency"]) >= 20 and max(c for c, _ in r["latency"]) <= 0.3 and r["uncounted"] == 0


def test_a_flutter_kick_that_turns_short_of_the_rest_is_counted_as_it_turns():
    # flutter kicks with a gyroscope (suite session 100 at 100 Hz, 4-sample packets): kicks 5 and 9 of the first
    # set came down to ~3 deg above the rest, short of the 10 % of their ~13 deg the live view took for "back", and
    # turned up into the next kick: counted only as the state machine saw that one start, 0.22 s after they ended.
    # A leg turned up by that much from its lowest point since it came back is now read as back: counted while the
    # engine still settles them
    from dataclasses import replace

    from imu.engine import RepEngine
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[100]
    t, acc, gyro = _columns(simulate_session(replace(spec, rate_hz=100.0, gyro=True)).data)
    eng, shown, before = RepEngine(spec.exercise, has_gyro=True), {}, 0
    for a in range(0, len(t), 4):
        eng.feed(t[a:a + 4], acc[a:a + 4], gyro[a:a + 4])
        count = eng.count_now if eng.count_set is not None else 0
        for n in range(before + 1, count + 1):
            shown.setdefault((eng.count_set, n), (float(t[min(a + 3, len(t) - 1)]), eng.phase))
        before = count
    eng.finish()
    end_s = {(r.set, r.rep): r.end_s for r in eng.reps}
    for rep in [(1, 5), (1, 9)]:
        at_s, phase = shown[rep]
        assert phase == "down" and at_s - end_s[rep] <= 0.15


@pytest.mark.parametrize("k", [13, 85])
def test_without_a_gyroscope_a_set_is_counted_when_the_readings_held_back_show_the_reps_it_lacks(k):
    # Polar H10 flutter kicks (suite sessions 13 and 85; a set from 4 kicks): the state machine, behind the
    # bridge, had measured two kicks of a new set and was settling the third while the fourth, the one that makes
    # the set, had already landed in the readings held back; the live view counted a tentative set only once it
    # had measured all but that one: counted 0.31-0.37 s late. It now counts it as soon as the landings it reads
    # make up the reps the set lacks: every set's making kick within 300 ms, nothing taken back
    r = _probed(k)
    assert len(r["making"]) == 3 and max(r["making"]) <= 0.3 and r["uncounted"] == 0


def test_without_a_gyroscope_the_rep_that_makes_a_set_is_counted_from_the_readings_while_it_settles():
    # flutter kicks and brisk plank leg lifts from a Polar H10 (suite sessions 81, 21): the readings held back show
    # the rep that makes a tentative set back, but the live view read them only while the state machine had not
    # seen that rep coming down; seen coming down (settling, its landing still held back) it waited for the
    # landing itself: counted 0.92 s and 0.39 s after it ended. It now reads them then too
    for k in (81, 21):
        r = _probed(k)
        assert len(r["making"]) >= 2 and r["uncounted"] == 0
        assert r["making"][0 if k == 81 else 1] <= 0.3


def test_without_a_gyroscope_reps_landed_after_the_one_that_makes_a_set_are_counted_with_it():
    # flutter kicks from a Polar H10 (suite session 81): the kick after the one that made set 2 landed in the
    # readings held back with it, and the live view showed min_set_reps until the set was confirmed: that kick was
    # counted 0.32 s after it ended. It shows every kick the readings show landed now: 35 of 36 within 300 ms,
    # nothing taken back
    r = _probed(81)
    counted = np.array([c for c, _ in r["latency"]])
    assert r["uncounted"] == 0 and len(counted) >= 30 and np.sum(counted > 0.3) <= 1


@pytest.mark.parametrize("k", [43, 73])
def test_a_set_whose_first_rep_was_slow_is_counted_as_the_rep_that_makes_it_lands(k):
    # reverse leg lifts and heel taps from a Polar H10 (suite sessions 43, 73): a set's first rep often takes longer
    # than the next (1.85 s then 0.94 s: a slow start), and the live view counted a tentative set as its third rep
    # landed only if its reps took at most 1.5 times as long as each other: that rep was counted when it settled,
    # 0.3-0.44 s after it ended. Within twice (RHYTHM_FACTOR) every set's making rep is counted within 300 ms, and
    # nothing is taken back
    r = _probed(k)
    assert len(r["making"]) >= 2 and max(r["making"]) <= 0.3 and r["uncounted"] == 0


def test_without_a_gyroscope_a_rep_held_back_whole_is_counted_once_seen_held_up_and_back():
    # heel taps from a Polar H10 (suite session 53, 0.18 s notifications), ~0.4 g: not swung, so no swing in the
    # readings held back marked a rep away, and the front end held each rep back whole (the state machine still at
    # home): reps 4-8 of set 1 were counted only once released, 0.38-0.53 s after they ended (7 of 12 within
    # 300 ms). The readings show the leg held still ~52 deg up, then back at the rest: all 12 are, the same reps
    r = _probed(53)
    counted = np.array([c for c, _ in r["latency"]])
    assert r["uncounted"] == 0 and len(counted) >= 12 and max(counted) <= 0.3


@pytest.mark.parametrize("k, within_s", [(92, 0.3), (13, 0.6), (85, 0.6)])
def test_flutter_kicks_from_a_hover_are_counted_as_the_rep_that_makes_the_set_lands(k, within_s):
    # flutter kicks (suite session 92, a Movesense; 13 and 85, a Polar H10 and its 0.18 s notifications, at the
    # rates `imu live` asks for): the leg is lifted from 20-50 deg below into the hover and held there, then
    # kicks 13-30 deg up from it. A still plateau inside an excursion was a new resting position only if the
    # leg then went on by half its height too (a rep's hold near its top is none), so the excursion from below
    # ran to max_rep_s (15 s) and the set was counted 2.3-5.7 s after the rep that made it. Flutter kicks have
    # no holds: the hover is the new rest as the first kick rises min_rom_deg from it
    r = _probed(k)
    assert len(r["making"]) >= 2 and max(r["making"]) <= within_s and r["uncounted"] == 0


def test_prone_lifts_short_of_anyones_full_range_are_partial_without_a_full_set():
    # two sets of nothing but partial prone lifts (5-8 deg) by a person whose full lifts reach 16 deg: no
    # full set to compare with, so none was partial (0 of 16); hip extension's full range is at least
    # 10 deg (the preset's least full range), and 77 % of it is the bar now. The same person's full lifts
    # (13-17 deg as measured) stay unflagged
    def flagged(style):
        sim = simulate_session(SessionSpec(exercise="reverse-leg-lift", sets=[SetSpec(style, 8)] * 2,
                                           rate_hz=50.0, gyro=True, seed=6))
        reps = run_engine(sim)
        assert set_counts(sim, reps) == [8, 8]
        return sum("partial" in r.flags for r in reps)

    assert flagged("partial") >= 14
    assert flagged("textbook") == 0


def test_without_a_gyroscope_brisk_reps_stand_in_for_the_full_range():
    # partial hanging leg raises, then a brisk set, without a gyroscope (suite session 87): a brisk rep's
    # tilt is no measure of its range, so no rep set the full range and none of the partial reps was
    # partial; the brisk reps now stand in
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[87])
    pairs = [(t, r) for t, r in match_reps(sim.reps, run_engine(sim)) if r is not None]
    flagged = [t.partial for t, r in pairs if "partial" in r.flags]
    assert sum(t.partial for t, _ in pairs) == 8
    assert all(flagged) and len(flagged) >= 5  # (no false flag; 0 of 8 before)


def test_without_a_gyroscope_kicks_after_a_dropout_in_continuous_kicking_are_counted():
    # flutter kicks without a gyroscope (suite session 13) through a faulty link (a 3.4 s dropout in each
    # set, 5 % of packets lost): windows of the kicking were fitted each from where the last one ended,
    # and after the dropout there was nothing reliable to start from (sets 2 and 3: 19 of 29, 0 of 22).
    # A window with nothing to start from is now fitted with its first direction free too
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[13])
    counts = set_counts(sim, _engine_fed("flutter-kick", *_as_a_faulty_link_delivers(sim, 7013)).reps)
    assert counts[1] == sim.sets[1].reps == 29 and counts[2] >= 18


def test_without_a_gyroscope_knee_bends_in_a_rest_are_not_straight_leg_raises():
    # suite session 107 (lying leg raises, no gyroscope, 26 Hz): in two rests the person fidgets, bending
    # the knees and straightening them with the heels on the floor, six and four times: 30-50 deg of shin
    # tilt each, counted as two sets of reps. The shin turns about the ankle there (fitted levers 0.06-0.18
    # m), about the hip in the set's reps (0.8-1.2 m)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[107])
    reps = run_engine(sim)
    assert set_counts(sim, reps)[1:] == [6, 13]
    assert not _outside_sets(sim, reps)  # nothing counted in the rests


def test_a_frame_set_by_a_movement_too_small_for_a_rep_does_not_hide_the_set():
    # suite session 21 (plank leg lifts, no gyroscope, 100 Hz): a shift of the leg too small for a rep
    # fixed the plane of motion just before set 2, turning the other way than the set's reps, which then
    # read below the home: 9 of 11 counted. Such a frame is provisional: the next movement fixes it again
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[21])
    assert set_counts(sim, run_engine(sim))[1:] == [11, 11]


def test_a_dropout_just_before_a_set_does_not_cost_its_first_reps():
    # suite session 67 (side-lying leg lifts, no gyroscope) as a Polar H10 streams it (200 Hz): the link
    # dropped for 3.4 s while the leg lay still between getting into position and the set's first rep.
    # The posture change's plateau was cut in two by the gap, neither part long enough for a new resting
    # position, so the set was searched from the old one (10 of 11; live, with 5 % loss, 6 of 11)
    from dataclasses import replace

    from imu.sim import benchmark_suite

    sim = simulate_session(replace(benchmark_suite(0)[67], rate_hz=200.0))
    t = sim.data.t.values
    data = _columns(sim.data[~((t >= 129.2) & (t < 132.6))])
    assert set_counts(sim, _engine_fed(sim.spec.exercise, *data).reps) == [13, 11, 6]


def test_the_plotted_leg_angle_shows_every_rep_in_its_sets_frame():
    """The kept trace (the plot's leg angle) reaches each rep's top in the frame its range was measured
    in: a set's last seconds used to be written only as they left the engine's buffer, after the set had
    closed, so they came out blank or in the next frame (suite session 0: 13 reps drawn wrong)."""
    from imu.engine import RepEngine
    from imu.sim import benchmark_suite

    spec = benchmark_suite(seed=0)[0]
    sim = simulate_session(spec)
    d = sim.data
    eng = RepEngine(spec.exercise, has_gyro=True)
    eng.feed(d.t.values, d[["ax", "ay", "az"]].values, d[["gx", "gy", "gz"]].values)
    eng.finish()
    t, deg = eng.trace()
    assert len(eng.reps) >= 20
    for r in eng.reps:
        seg = deg[(t >= r.start_s) & (t <= r.end_s)]
        assert len(seg) and np.isfinite(seg).all(), (r.set, r.rep)
        assert abs(seg.max() - (r.bottom_deg + r.rom_deg)) < max(8.0, 0.25 * r.rom_deg), (r.set, r.rep)


def test_a_first_rep_bigger_than_the_rest_is_no_posture_change():
    # suite session 83 (alternating leg lifts, slow eccentric, no gyroscope, 38 Hz): the first rep went 10 deg
    # higher than the next two (92 vs 82 deg) from the same rest; it was taken for a posture change merged with
    # the first rep and the set started again from its top hold, counted from top to top: 11 of 12
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[83])
    reps = run_engine(sim)
    _assert_set_counted_from_its_bottom(sim, reps, 0, 12, ("start_s", "top_s"))
    _assert_packets_change_nothing(sim, reps)


@pytest.mark.parametrize("k, set_index, n", [(66, 2, 6), (104, 0, 7)])
def test_getting_into_a_plank_is_a_new_rest_not_a_rep(k, set_index, n):
    # suite sessions 66 and 104 (plank leg lifts, gyroscope): getting into the plank from lying prone tilts the
    # shin ~10 deg below the prone rest, held 2-5 s; the reps then rise through the prone level. From the prone
    # rest that read as a rep with a long top hold, and the set was lost or counted from top to top
    # (#66 set 3: 0 of 6, #104 set 1: 6 of 7). The plateau the leg went on past its old rest from is the new rest
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    reps = run_engine(sim)
    _assert_set_counted_from_its_bottom(sim, reps, set_index, n)
    _assert_packets_change_nothing(sim, reps)


def test_an_alternating_set_found_inside_out_is_counted_from_its_bottom():
    # suite session 8 (alternating leg lifts, slow eccentric, gyroscope): this leg lifts every ~14 s, and the
    # search first found the leg still at the top of the first rep. Three reps span ~30 s, and a stay at home
    # kept only the last 30 s of samples: the rest before the first rep, which shows the set inside out, was
    # gone, and the set was counted from top to top (9 of 10)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[8])
    reps = run_engine(sim)
    _assert_set_counted_from_its_bottom(sim, reps, 0, 10, ("start_s", "top_s"))
    _assert_packets_change_nothing(sim, reps)


def test_a_swung_hanging_leg_coming_back_up_to_its_rest_is_not_the_next_rep():
    # swung hanging leg raises with a gyroscope (suite session 80, set 3): a dropped leg swings on past the
    # hang line, ~20 deg behind it, and comes back to it before the next rep. That way back up read as the
    # next rep rising, so the next rep was measured from behind the hang line (20 deg lower than the set's
    # rest: unlike its set, which started again and was lost; 3 of 10 counted)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[80])
    assert set_counts(sim, run_engine(sim)) == [st.reps for st in sim.sets]


@pytest.mark.parametrize("k", [125, 87])
def test_without_a_gyroscope_an_excursion_the_readings_fit_shows_no_rise_is_not_a_rep(k):
    # brisk (125) and partial (87) hanging leg raises without a gyroscope: the tilt of the accelerometer
    # made a "rep" of the leg's own acceleration as a brisk rep ended, which the fit to the readings
    # (imu.ramp_fit) put at -2 or -3 deg of range: counted all the same (12 of 11 in 125's second set;
    # a false rep after 87's first set)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    assert not _outside_sets(sim, reps)
    assert min(r.rom_deg for r in reps) > 0.0


def _probed(k: int) -> dict:
    """:func:`bench.latency_probe.probe_one` of suite session ``k`` (seed 0): fed as the live loop feeds it."""
    from bench.latency_probe import probe_one
    from imu.sim import benchmark_suite

    return probe_one((k, benchmark_suite(seed=0)[k]))


def _polar_h10_fed(spec, **feeder_kw):
    """A finished :class:`~imu.live.feeder.EngineFeeder` (live settings but ``feeder_kw``) fed suite session
    ``spec`` as the live loop gets it from a Polar H10 at 200 Hz: accelerometer only, 36 samples (0.18 s)
    a notification."""
    from dataclasses import replace

    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder

    t, acc, _ = _columns(simulate_session(replace(spec, rate_hz=200.0, gyro=True)).data)
    feeder = EngineFeeder(RepEngine(spec.exercise, has_gyro=False), False, **feeder_kw)
    for a in range(0, len(t), 36):
        feeder.add(t[a:a + 36], acc[a:a + 36], None)
    feeder.finish()
    return feeder


def test_without_a_gyroscope_a_tentative_set_is_counted_from_the_readings_held_back():
    # brisk leg raises without a gyroscope (suite session 59, a Polar H10): the third rep of sets 2 and 3 was
    # counted only 0.45-0.49 s after its end, when the state machine saw it settle (the front end held its
    # samples back bridging the swing); the readings show it back and still earlier, as for a confirmed set's reps
    from imu.sim import benchmark_suite

    feeder = _polar_h10_fed(benchmark_suite(0)[59])
    making = [c for _, n, c, _ in feeder.latencies if n == get_preset("lying-leg-raise").min_set_reps]
    assert len(making) == 3 and max(making) <= 0.3 and feeder.uncounted == 0


@pytest.mark.parametrize("k", [5, 53, 65])
def test_an_inside_out_set_is_counted_as_the_rep_that_makes_it_lands(k):
    # accelerometer-only hanging leg raises (suite session 5), heel taps (53) and lying leg raises (65), a
    # Polar H10: the set's home was found in a rep's top hold, so its tentative reps ran from top to top. The
    # real bottom was found (RepEngine._bottom_before) only when the third such "rep" settled, and the set was
    # counted 2.7-4.9 s after the rep that made it. Two alike reps inside out now start the set again from its
    # real bottom at once: the set is counted as that rep lands, with the same reps, and nothing is taken back
    from imu.sim import benchmark_suite

    feeder = _polar_h10_fed(benchmark_suite(0)[k])
    m = get_preset(benchmark_suite(0)[k].exercise).min_set_reps
    making = [c for _, n, c, _ in feeder.latencies if n == m]
    assert len(making) >= 2 and max(making) <= 0.3 and feeder.uncounted == 0


def _late_reps_now_s(now, before, least_reps: int, from_rep: int, least_late: int = 3) -> list[float]:
    """How late (s) the live loop as it is (``now``) counts the reps that ``before`` (the rule under test switched
    off), both finished feeders of one session, counted over 300 ms late: those from rep ``from_rep`` of their
    sets on (a set's first reps come out as it is confirmed), at least ``least_late``. Both have the same reps
    (ends within 1e-9 s), at least ``least_reps``, and ``now`` took back no more of them."""
    assert len(now.engine.reps) == len(before.engine.reps) >= least_reps
    assert np.allclose([r.end_s for r in now.engine.reps], [r.end_s for r in before.engine.reps], rtol=0, atol=1e-9)
    assert now.uncounted <= before.uncounted
    late = [(s, n) for s, n, c, _ in before.latencies if c > 0.3 and n >= from_rep]
    counted = {(s, n): c for s, n, c, _ in now.latencies}
    assert len(late) >= least_late
    return [counted[k] for k in late]


def test_the_live_loop_feeds_the_engine_while_it_holds_back_a_set_s_samples(monkeypatch):
    # brisk leg raises without a gyroscope (suite session 59, a Polar H10): the front end holds each swing's
    # samples back for up to ~1.3 s while it bridges the gravity direction (RepEngine.unseen_s). The live
    # loop fed the engine 0.1-0.3 s after the leg stopped and then only once a second, so the rep landing in
    # the held-back samples was counted ~1.1 s late; it now feeds every 50 ms while samples of a set are held
    # back: the same reps, counted within 300 ms, 40 % more engine calls (3 a second). (Feeding every 0.25 s
    # while a lift is read near the rest, as it now also does, leaves 2 of them late without this)
    from imu.live import feeder as feeder_mod
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[59]
    now = _polar_h10_fed(spec)
    monkeypatch.setattr(feeder_mod, "HELD_BACK_S", np.inf)  # as before: held-back samples change nothing
    before = _polar_h10_fed(spec)
    assert max(_late_reps_now_s(now, before, 25, 4, least_late=2)) <= 0.3 and now.calls < 1.5 * before.calls


def test_without_a_gyroscope_a_rep_of_a_set_swung_under_swing_g_is_counted_from_the_readings_held_back(monkeypatch):
    # heel taps from a Polar H10 (suite session 1): its reps peak at ~0.48 g, just under SWING_G, so no swing in the
    # readings held back marked a rep away, and the reps landing in them (the bridge holds anything 0.25 g off 1 g)
    # were counted as they were released, 0.35-0.46 s after they ended. A swing is now as far off 1 g as the set's
    # reps go (their median peak, up to SWING_G): the same reps, those counted within 300 ms. (A swing fitted as it
    # goes on, from the reliable reading before it, now shows most of them back too: switched off as well)
    from imu.bridge import SWING_G
    from imu.engine.live_view import LiveView
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[1]
    now = _polar_h10_fed(spec)
    old = staticmethod(lambda reps: SWING_G if np.median([tm.peak_accel_g for tm in reps]) >= SWING_G else np.inf)
    monkeypatch.setattr(LiveView, "_swing_g", old)  # as before: swung sets only
    _open_windows_of_continuous_swinging_only(monkeypatch)
    before = _polar_h10_fed(spec)
    assert sum(c <= 0.3 for c in _late_reps_now_s(now, before, 24, 3)) >= 3


def _open_windows_of_continuous_swinging_only(monkeypatch) -> None:
    """The live view reads no swing held back that follows a reliable reading (as before it did)."""
    from imu.bridge import AccOnlyBridge

    fitted = AccOnlyBridge.open_window
    monkeypatch.setattr(AccOnlyBridge, "open_window", lambda self: fitted(self) if self._last_ok_end == 2 else None)


@pytest.mark.parametrize("k, late", [(65, [(1, 5)]), (125, [(3, 6), (3, 8)])])
def test_without_a_gyroscope_a_swing_held_back_is_read_as_it_goes_on(monkeypatch, k, late):
    # Polar H10 lying leg raises thrown up and dropped (suite session 65) and hanging leg raises (125): the leg
    # swung on from the bottom before it was ever still there, so no still reading showed the rep back, and the
    # bridge held the whole swing until it closed: counted 0.34-1.8 s late. The swing held back is now fitted from
    # the reliable reading before it as it goes on (as a window of continuous swinging is): counted within 300 ms
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[k]
    now = _polar_h10_fed(spec)
    _open_windows_of_continuous_swinging_only(monkeypatch)
    before = _polar_h10_fed(spec)
    late_now = _late_reps_now_s(now, before, 13, 4, least_late=len(late))
    assert [(s, n) for s, n, c, _ in before.latencies if c > 0.3 and n >= 4] == late
    assert max(late_now) <= 0.3 and now.uncounted == 0


def test_without_a_gyroscope_partial_flutter_kicks_held_back_are_read_as_they_go_on(monkeypatch):
    # partial Polar H10 flutter kicks (suite session 85, set 3): 0.37 g off 1 g, under SWING_G, so no window of
    # continuous swinging was fitted, nor any still reading came as the leg kicked on: four kicks were counted
    # 0.41-0.53 s late, as the bridge released them. A swing held back OPEN_UNTHROWN_S or longer is now read
    # however hard it was thrown: those four within 300 ms, nothing taken back
    from imu import bridge
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[85]
    now = _polar_h10_fed(spec)
    monkeypatch.setattr(bridge, "OPEN_UNTHROWN_S", np.inf)
    before = _polar_h10_fed(spec)
    assert sum(c <= 0.3 for c in _late_reps_now_s(now, before, 80, 4, least_late=6)) >= 4


@pytest.mark.parametrize("k, rep, late_s", [(65, (1, 5), 1.0), (125, (3, 8), 1.0), (117, (1, 6), 0.0)])
def test_a_rep_read_landed_in_the_readings_held_back_stays_counted_while_they_are_refitted(monkeypatch, k, rep,
                                                                                          late_s):
    # the same sessions: the swing held back is refitted as each notification comes, and a later fit did not show
    # the landing the one before had (or the state machine, seeing the first samples released, had not reached it
    # yet): the count went up on time, back down, and up again 1.3-1.8 s late. Or the state machine, seeing them,
    # read the leg not yet back (Polar hanging leg raises, session 117: down for 0.2 s). What the readings held
    # back showed is now shown until the state machine has seen them and decided the excursion
    from imu.engine.live_view import LiveView
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[k]
    now = _polar_h10_fed(spec)
    monkeypatch.setattr(LiveView, "_held_landings", lambda self, key, n, seen_s, newest_s: n)
    before = _polar_h10_fed(spec)
    counted = {(s, n): c for s, n, c, _ in now.latencies}
    flickered = {(s, n): c for s, n, c, _ in before.latencies}
    assert before.uncounted == 1 and flickered[rep] > late_s
    assert now.uncounted == 0 and counted[rep] <= 0.3


def _live_polar(k: int, tmp_path):
    """The live loop's feeder after suite session ``k`` streamed from a simulated Polar H10 through the simulated
    BLE backend, as the live benchmark streams it (decoded frames, the link's clock)."""
    from bench.live_bench import rate_request, run_live
    from imu.sim import benchmark_suite

    session = run_live(k, benchmark_suite(0)[k], "polar", rate_request("polar", None, "live"), tmp_path)[0]
    return session.sides[0].feeder


@pytest.mark.parametrize("k, least_reps", [(15, 30), (87, 19)])
def test_a_swing_held_back_quicker_than_the_set_s_reps_is_not_read_as_one(monkeypatch, tmp_path, k, least_reps):
    # live, from a Polar H10: bent-knee raises of ~5 s a rep (suite session 15), where a 0.45 s shift of the leg 2 s
    # after the set's last rep, held back, was read as a rep landed; swung hanging leg raises (87), where the leg
    # dropped from the top swung back up to ~53 deg and the fit read that as a second rep landed 0.5 s after the
    # first. Each counted and taken back. A rep read held back now takes at least half the set's quickest rep
    from imu.engine.live_view import LiveView
    from imu.engine.params import MIN_REP_S

    now = _live_polar(k, tmp_path / "now")
    monkeypatch.setattr(LiveView, "_least_rep_s", staticmethod(lambda reps: MIN_REP_S))
    before = _live_polar(k, tmp_path / "before")
    assert len(now.engine.reps) == len(before.engine.reps) >= least_reps
    assert before.uncounted == 1 and now.uncounted == 0


def test_a_small_movement_after_a_set_is_not_counted_before_it_settles():
    # accelerometer-only bent-knee raises (suite session 15, set 3, a Polar H10): after the last rep the leg
    # shifts by a third of the set's range and comes back. The live count included it as the leg came back
    # (count_now: landed) and took it back when it settled as no rep; a live view now counts a rep before it
    # settles only if it went at least half the set's range (as it counts one still held back)
    from imu.sim import benchmark_suite

    feeder = _polar_h10_fed(benchmark_suite(0)[15], max_interval_s=0.0)
    assert len(feeder.engine.reps) >= 20 and feeder.uncounted == 0
    shown = [c for _, n, c, _ in feeder.latencies if n >= 3]
    assert np.mean(np.array(shown) <= 0.3) >= 0.9


def test_without_a_gyroscope_a_slow_small_lift_stopping_feeds_the_engine(monkeypatch):
    # plank leg lifts without a gyroscope (suite session 37, a Polar H10): a controlled 20 deg lift turns
    # the mean acceleration slower than the 25 deg/s the live loop's motion detector took for moving, so the
    # leg stopping at the bottom never fed the engine and those reps were counted at the next once-a-second
    # feed, up to 0.6 s late; from 12 deg/s on most are counted within 300 ms, the same reps, < 15 % more calls
    # (12 % in this session; +0.8 % over the whole suite). Late before: 2-3 reps (the level following the leg down
    # to its rest counts set 2's fifth rep as it comes back: 0.45 s late before that, whatever the detector).
    # (Feeding every 0.25 s while a lift is read near the rest, as the live loop now also does, counts them all in
    # time even with 25 deg/s: both are off here)
    from imu.live import feeder as feeder_mod
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[37]
    monkeypatch.setattr(feeder_mod.EngineFeeder, "_due_interval", lambda self: self._interval)
    now = _polar_h10_fed(spec)
    monkeypatch.setattr(feeder_mod, "MOVING_DPS_ACC", 25.0)
    before = _polar_h10_fed(spec)
    late_now_s = _late_reps_now_s(now, before, 15, 4, least_late=2)
    assert sum(c <= 0.3 for c in late_now_s) >= len(late_now_s) - 1 and now.calls < 1.15 * before.calls


@pytest.mark.parametrize("k", [37, 124])
def test_a_posture_change_held_a_second_longer_than_any_top_hold_starts_the_set(k):
    # plank leg lifts without a gyroscope (37) and swung heel taps (124): moving into position ran into
    # the first rep, and that "rep" was held 2.8-2.9 s at the top, 1.4 s longer than any other rep of the
    # set (<= 1.5 s), but not 1.8 times as long plus 0.5 s: the set was counted from top to top, the
    # posture change as a rep (15 of 14, 11 of 10)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    _assert_packets_change_nothing(sim, reps)


@pytest.mark.parametrize("k", [57, 21, 66, 104])
def test_a_new_rest_is_still_despite_noise_and_a_slow_rep_is_no_rest(k):
    # alternating leg lifts at 26 Hz without a gyroscope (57): the accelerometer's noise put single turn
    # rates of 10-15 deg/s into the 3 s still hold of a move into position, so no plateau was seen there and
    # the move ran into the first rep (8 of 9, 7 of 8). Partial plank leg lifts without (21) and with (66,
    # 104) a gyroscope: reps of 5-10 deg turn slower than 10 deg/s, so a "plateau" was found in the middle
    # of a rep and the set restarted from there (3 of 12, 7 of 10, 0 of 9): a plateau now drifts less than
    # 15 % of its height above the rest over its 1 s
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    _assert_packets_change_nothing(sim, reps)


def test_a_slow_small_plank_rep_at_the_polar_rate_is_no_new_rest():
    # partial plank leg lifts as a Polar H10 streams them (suite session 123, 200 Hz, no gyroscope): reps of
    # ~8 deg come 3.5-3.9 deg in a second at their slowest, under a flat 4 deg drift limit for a plateau, so
    # the set restarted mid-rep (7 of 10); the limit is a share of the plateau's height above the rest
    from dataclasses import replace

    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[123]
    sim = simulate_session(replace(spec, rate_hz=200.0, gyro=True))
    assert set_counts(sim, _polar_h10_fed(spec).engine.reps) == [st.reps for st in sim.sets] == [10, 11]


def test_a_rep_after_a_slow_lowering_that_settled_early_starts_from_the_rest():
    # prone reverse leg lifts with slow lowerings without a gyroscope (suite session 19, set 3): a rep was
    # decided on the way down, the leg slowing to a pause 6-7 deg above its rest, so that was the resting
    # level; the leg then went on down and rested, and only counted as leaving again well up its next rise:
    # that rep was measured from there, 6.5 deg above the set's rest, no rep of this set, and the set broke
    # up (9 of 12). A rep now starts from where the leg rested lower in the pause, when that is nearer the
    # set's resting level
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[19])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    _assert_set_counted_from_its_bottom(sim, reps, 2, 12)
    _assert_packets_change_nothing(sim, reps)


def test_swung_reps_are_not_taken_for_feet_rested_but_rested_ones_are():
    # with a gyroscope the fused leg angle reads several degrees low for seconds after each drop (the
    # accelerometer's pull), which looked like feet let down to the floor: 6 of 8 swung reps were flagged
    spec = SessionSpec(exercise="lying-leg-raise", sets=[SetSpec("swung", 8), SetSpec("feet_rested", 8)],
                       rate_hz=50.0, gyro=True, seed=0, rest_kinds=("lie_still", "bend_knees", "fidget"))
    sim = simulate_session(spec)
    pairs = [(t, r) for t, r in match_reps(sim.reps, run_engine(sim)) if r is not None]
    assert len(pairs) >= 15
    for t, r in pairs:
        assert ("feet_rested" in r.flags) == t.feet_rested, (r.set, r.rep)


@pytest.mark.parametrize("exercise, second", [
    ("lying-leg-raise", "feet_rested"), ("single-leg-raise", "feet_rested"), ("alternating-leg-lift", "slow_eccentric")])
def test_knees_bent_in_a_rest_are_no_set_with_a_gyroscope(exercise, second):
    # with a gyroscope, three bend-and-straighten movements of the knees in the first rest (heels on the floor,
    # 35-45 deg of shin tilt, 7-9 s apart) were counted a set of 3 (partial, rushed) and the swung set's first
    # rep went with them (7 of 8). The shin turns about the ankle there, not about the hip: fitted to the leg
    # angle the gyroscope gives, their lever is ~0.2 m against 0.6-0.9 m for straight-leg raises. With those
    # gone, a fidget 8 s before the swung set was a lone tentative rep whose plane the first swung reps were
    # measured in, each unlike the one before (5 of 8); a rep turning about another axis than a lone tentative
    # rep's is now measured afresh in a frame of its own
    spec = SessionSpec(exercise=exercise, sets=[SetSpec("swung", 8), SetSpec(second, 8)],
                       rate_hz=50.0, gyro=True, seed=0, rest_kinds=("lie_still", "bend_knees", "fidget"))
    sim = simulate_session(spec)
    reps = run_engine(sim)
    assert _outside_sets(sim, reps) == []
    assert set_counts(sim, reps) == [8, 8]
    _assert_packets_change_nothing(sim, reps, packet=7)


@pytest.mark.parametrize("session, counts", [
    # partial prone reps of 7 deg lowered over ~2 s (gyroscope): each settled while still coming down, 3-5 deg
    # up, and the leg was only seen leaving that level well up its next rise, so two reps were measured too
    # small to count and one never left it: 9 of 12, the set cut in two. The level now follows the leg down
    # to where it rests between reps
    (4, [7, 12]),
    # swung seated leg raises with a gyroscope: a fidget in the rest made a lone tentative rep and fixed its
    # plane; the set's first rep, swung in another plane straight from rest, was taken for the leg leaving
    # that plane, and the search resumed 0.3 s into it: 7 of 8. It now resumes from where the leg last
    # rested before it left
    (54, [8, 10]),
    # slow-eccentric bent-knee raises with a gyroscope: moving into position made a tentative "rep" before
    # the set's first; the second rep, its feet let down 8 deg below the first's hover, did not fit that pair
    # and started a set of its own, so the first rep went with the posture change (9 of 10). The set now
    # starts again from its last rep when the new one fits that
    (126, [12, 10]),
], ids=["partial-reps-settling-on-the-way-down", "first-rep-leaving-a-fidgets-plane",
        "set-starting-again-from-its-last-rep"])
def test_suite_sets_once_miscounted_are_counted_whatever_the_packets(session, counts):
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[session])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == counts
    for packet in (1, 7, 40):
        _assert_packets_change_nothing(sim, reps, packet=packet)


def _gyro_50hz_fed(spec, idle_skips: bool = True, **feeder_kw):
    """A finished :class:`~imu.live.feeder.EngineFeeder` (live settings, but ``feeder_kw``) fed suite session ``spec``
    as the live loop gets it from a 50 Hz sensor with a gyroscope, such as WitMotion: a sample a notification, in the
    50 ms groups of a real-time consumer (one check point each); ``idle_skips=False``: every feed that is due reaches
    the engine."""
    from dataclasses import replace

    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder

    t, acc, gyro = _columns(simulate_session(replace(spec, rate_hz=50.0, gyro=True)).data)
    feeder = EngineFeeder(RepEngine(spec.exercise, has_gyro=True), True, **feeder_kw)
    if not idle_skips:
        feeder._engine_idle = lambda now: False
    events = []
    for a in range(0, len(t), 3):
        events += feeder.add(t[a:a + 3], acc[a:a + 3], gyro[a:a + 3])
    events += feeder.finish()
    return feeder, events


def test_feeds_that_cannot_find_a_home_wait_for_the_next():
    # alternating leg lifts (suite session 64, WitMotion's in the quick live benchmark): between sets the leg keeps
    # moving, the engine seeks a home (still for STILL_S) and the live loop's stop triggers fed it up to five times a
    # second. A feed that cannot complete such a stillness (RepEngine.home_not_before_s) changes nothing shown: the
    # samples wait for the next feed. The same events and latencies, over a tenth fewer engine calls
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[64]
    now, events = _gyro_50hz_fed(spec)
    before, events_before = _gyro_50hz_fed(spec, idle_skips=False)
    assert len(now.engine.reps) >= 10 and now.engine.reps == before.engine.reps and events == events_before
    assert now.latencies == before.latencies and now.uncounted == before.uncounted
    assert now.calls < 0.9 * before.calls


def _same_reps(a, b) -> bool:
    """Whether two runs found the same reps: sets, numbers, flags, and times within float rounding (the engine's
    sums run over the chunks it was fed)."""
    key = [(r.set, r.rep, r.flags) for r in a] == [(r.set, r.rep, r.flags) for r in b]
    return key and all(abs(x.start_s - y.start_s) < 1e-9 and abs(x.end_s - y.end_s) < 1e-9 for x, y in zip(a, b))


def test_feeds_while_the_leg_lies_still_wait_for_it_to_move():
    # seated leg raises with rests lying still (suite session 6): at rest, between sets and between the reps of a set,
    # the live loop fed the engine once a second, though no rep can start or end while the leg stays where it is.
    # Those samples now wait until the leg moves (or still_hold_s, or a set's pause ends it): the same reps, counted
    # at the same moments, the same set ends, over a fifth fewer engine calls
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[6]
    now, events = _gyro_50hz_fed(spec)
    before, events_before = _gyro_50hz_fed(spec, still_hold_s=0.0)
    assert len(now.engine.reps) >= 20 and _same_reps(now.engine.reps, before.engine.reps)
    assert [lat[:2] for lat in now.latencies] == [lat[:2] for lat in before.latencies]
    assert all(abs(a[2] - b[2]) < 1e-9 for a, b in zip(now.latencies, before.latencies))
    assert [(e.kind, e.set) for e in events] == [(e.kind, e.set) for e in events_before]
    assert now.calls < 0.8 * before.calls


def test_feeds_while_the_leg_is_held_still_at_the_top_wait(monkeypatch):
    # lying leg raises with top holds (suite session 20): the live loop fed the engine once a second during a lift,
    # holds included, though no rep ends far from the rest. While the leg is held still there (not 3 deg from where it
    # was at the last feed, so the angle shown stays true), up to HELD_TOP_MAX_S, the samples wait: the same reps,
    # counted and reported at the same moments, over fewer engine calls
    import imu.live.feeder as feeder_module
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[20]
    now, _ = _gyro_50hz_fed(spec)
    monkeypatch.setattr(feeder_module, "HELD_TOP_MAX_S", 0.0)
    before, _ = _gyro_50hz_fed(spec)
    assert len(now.engine.reps) >= 20 and _same_reps(now.engine.reps, before.engine.reps)
    assert [lat[:2] for lat in now.latencies] == [lat[:2] for lat in before.latencies]
    assert all(abs(a[2] - b[2]) < 1e-9 and abs(a[3] - b[3]) < 1e-9 for a, b in zip(now.latencies, before.latencies))
    assert now.calls < 0.95 * before.calls


def _set_ends_fed(spec, **feeder_kw) -> list[float]:
    """When (the newest sample fed, s) each set_end event came out of a 50 Hz live feed of ``spec``."""
    from dataclasses import replace

    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder

    t, acc, gyro = _columns(simulate_session(replace(spec, rate_hz=50.0, gyro=True)).data)
    feeder = EngineFeeder(RepEngine(spec.exercise, has_gyro=True), True, **feeder_kw)
    ends = []
    for a in range(0, len(t), 3):
        ends += [feeder.last_fed_t for e in feeder.add(t[a:a + 3], acc[a:a + 3], gyro[a:a + 3]) if e.kind == "set_end"]
    return ends


def test_a_set_ends_when_its_pause_does_while_the_leg_lies_still():
    # the pause after a set's last rep ends the set after set_gap_s (12 s); the still leg's samples wait no longer
    # than that, so the set_end comes within the second it came when every due feed reached the engine (waiting the
    # whole still_hold_s it came up to 7 s late: set 2 of suite session 6)
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[6]
    now, before = _set_ends_fed(spec), _set_ends_fed(spec, still_hold_s=0.0)
    assert len(now) == len(before) == 3
    assert all(abs(a - b) <= 1.0 for a, b in zip(now, before))


def test_a_rep_counted_but_not_settled_is_fed_less_often():
    # once the live view counts a rep (the leg back near its rest), only its tempo and flags wait for it to settle:
    # fed every counted_interval_s (0.15 s) rather than every 50 ms, it is counted at the same moment and reported
    # within 0.15 s of when it was (the feeds that follow shift: some are reported sooner), over fewer engine calls
    from imu.sim import benchmark_suite

    spec = benchmark_suite(0)[6]
    now, _ = _gyro_50hz_fed(spec, still_hold_s=0.0)
    before, _ = _gyro_50hz_fed(spec, still_hold_s=0.0, counted_interval_s=0.0)
    assert _same_reps(now.engine.reps, before.engine.reps)
    assert [lat[:2] for lat in now.latencies] == [lat[:2] for lat in before.latencies]
    assert all(abs(a[2] - b[2]) < 1e-9 for a, b in zip(now.latencies, before.latencies))
    assert all(abs(a[3] - b[3]) <= 0.15 + 1e-9 for a, b in zip(now.latencies, before.latencies))
    assert now.calls <= 0.98 * before.calls


def test_no_home_is_found_before_home_not_before_s():
    # fed everything up to (not including) the time it names, the engine is still seeking a home and says nothing
    from imu.engine import RepEngine
    from imu.sim import benchmark_suite

    t, acc, gyro = _columns(simulate_session(benchmark_suite(0)[64]).data)
    engine, a, checked = RepEngine("alternating-leg-lift", has_gyro=True), 0, 0
    while a < len(t):
        home_s = engine.home_not_before_s
        b = a if home_s is None else a + int(np.searchsorted(t[a:], home_s - 1e-6))
        if b > a:
            assert engine.feed(t[a:b], acc[a:b], gyro[a:b]) == [] and engine.home_not_before_s is not None
            checked += 1
        a, b = b, min(b + 5, len(t))  # then on past it
        engine.feed(t[a:b], acc[a:b], gyro[a:b])
        a = b
    assert checked > 100


@pytest.mark.parametrize("k", [
    # flutter kicks (suite session 81, 52 Hz, a fatigue set of 25 and a set of 17): the accelerometer-only
    # angle jumped ~10 deg as one kick started, and it read 45.8 deg from -4.4 (the other kicks 16-19 from ~1).
    # Resting 5 deg lower, it closed the set, and the three kicks after it, too few for a set, were dropped
    # (22 of 25). Fitted to the readings, the leg's own acceleration included, that kick went 21 deg like the
    # rest: a tilt the fit shows distorted is held to its fitted range, not its resting level
    81,
    # brisk heel taps (suite session 77, 184 Hz, 11 reps): as each tap landed, the leg's own acceleration
    # tilted the accelerometer 15-19 deg below the floor; the next tap was measured from there, the way back
    # up to the floor read as a rep of its own and the set broke up (5 of 11). Fitted to the readings, the
    # leg's acceleration included, the taps land on the floor: the next one is measured from there
    77,
])
def test_without_a_gyroscope_a_tilt_distorted_by_the_legs_acceleration_does_not_break_a_set(k):
    # every set counted as simulated, no false rep, and the same reps in 7-sample packets
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    assert not _outside_sets(sim, reps)
    _assert_packets_change_nothing(sim, reps, packet=7)


@pytest.mark.parametrize("k, set_index", [(77, 0), (79, 1)])
def test_a_leg_let_down_slowly_straight_after_a_set_is_not_one_more_rep(k, set_index):
    # swung heel taps without a gyroscope (suite sessions 77 and 79): straight after the last rep the person
    # bent the knees or sat up, and the leg, let down over 2-3 s, read as a rep like the set's (9 of 8). A set's
    # reps keep their pace; that came down 3-5 times slower. The same in 7-sample packets
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    reps = run_engine(sim)
    assert set_counts(sim, reps)[set_index] == sim.sets[set_index].reps
    _assert_packets_change_nothing(sim, reps, packet=7)


@pytest.mark.parametrize("k, set_index", [(77, 1), (53, 0)])
def test_a_leg_let_down_slowly_straight_after_a_set_starts_no_tentative_set(k, set_index):
    # brisk heel taps without a gyroscope (suite sessions 77 and 53): the person sat up straight after the last
    # rep, and the leg, let down slowly, is none of the set's reps; nor is it the first of a new set: it was kept
    # as a tentative rep the live view showed through the rest, and through a faulty link (suite #23, a Polar
    # H10) the next set, 28 s later, joined it and was measured from its rest, top to top. The search now
    # starts afresh after it. Fed in 7-sample packets
    from imu.engine import RepEngine
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[k])
    t, acc, _ = _columns(sim.data)
    marks = [sim.sets[set_index].end_s + d for d in (4.0, 6.0, 8.0, 12.0)]
    eng, shown = RepEngine(sim.spec.exercise, has_gyro=False), []
    for a in range(0, np.searchsorted(t, marks[-1]), 7):
        eng.feed(t[a:a + 7], acc[a:a + 7])
        if marks and t[a:a + 7][-1] >= marks[0]:
            shown.append(eng.pending_reps)
            marks.pop(0)
    assert shown == [0, 0, 0, 0]


@pytest.mark.parametrize("exercise, gyro", [("seated-leg-raise", True), ("hanging-leg-raise", True),
                                            ("hanging-leg-raise", False), ("heel-tap", False)])
def test_with_no_exercise_named_the_posture_picks_it(exercise, gyro):
    # --exercise auto: a seated or hanging shin (the axis above the ankle) or heel taps from a tabletop (the
    # ankle above the hip) are told from the lying raises by the lever's direction, not by the range alone
    sim = simulate_session(SessionSpec(exercise=exercise, sets=[SetSpec("textbook", 10), SetSpec("swung", 8)],
                                       rate_hz=50.0, gyro=gyro, seed=4))
    eng = engine_run(sim, auto=True)
    assert eng.preset.slug == exercise
    assert set_counts(sim, eng.reps) == [10, 8]
    swung = [r for tr, r in match_reps(sim.reps, eng.reps) if tr.momentum]
    assert sum(r is not None and "momentum" in r.flags for r in swung) >= len(swung) - 1  # the preset's thresholds


@pytest.mark.parametrize("k", [32, 92, 22, 108, 39])
def test_with_no_exercise_named_small_quick_sets_still_count(k):
    # before a preset is picked, small reps not held at the top are judged against the smallest target range of
    # any preset: swung prone lifts of 16 deg (suite #32) and partial flutter kicks of 7-13 deg (#92) are sets;
    # a leg twitching 6 deg in 0.3 s in a rest (#22, lying raises) is no set of flutter kicks. A first set of small
    # lifts picks a small-range preset, but the bigger sets after it still count: a partial warm-up set of lying
    # raises (#108, 27 deg then 75) and a side-lying set of 27 deg before sets of 30-50 (#39, no gyroscope)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed=0)[k])
    eng = engine_run(sim, auto=True)
    assert set_counts(sim, eng.reps) == [st.reps for st in sim.sets]
    picked = {32: "reverse-leg-lift", 92: "flutter-kick", 22: "lying-leg-raise"}
    assert eng.preset.slug == picked.get(k, eng.preset.slug)


def _fits_turning_about_the_sensor_dropped(monkeypatch) -> None:
    """As before such fits were kept: the ramps' fit (:mod:`imu.ramp_fit`) of a rep turning about the sensor is None."""
    import imu.engine.measure as measure
    from imu.ramp_fit import about_sensor

    fit = measure.rep_ramps_fit
    monkeypatch.setattr(measure, "rep_ramps_fit", lambda *a, **k: None if (f := fit(*a, **k)) is None or about_sensor(f)
                        else f)


@pytest.mark.parametrize("seed, k", [(2, 35), (1, 27)])
def test_without_a_gyroscope_knee_bends_turning_about_the_ankle_itself_are_no_set(seed, k, monkeypatch):
    # held-out suites (lying raises at 26 Hz, alternating lifts at 153 Hz, no gyroscope): in the last rest the person
    # bends the knees and straightens them, heels on the floor, four times (30-50 deg of shin tilt, not held). The
    # readings fit a turn about an axis 1-4 cm from the sensor, closer than any hip or knee: the fit used to be
    # dropped as implausible, the lever of the one bend that fitted at 6 cm was not enough to judge the set by, and
    # the bends were counted as a set of reps. That fit now tells the axis (not the rep's times)
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed)[k])
    truth = [st.reps for st in sim.sets]
    assert _counted(sim)[1:] == (truth, 0)
    _fits_turning_about_the_sensor_dropped(monkeypatch)
    _, counts, false = _counted(sim)
    assert counts == truth and false >= 3


@pytest.mark.parametrize("seed, k, set_index", [(7, 15, 2), (2, 41, 1)])
def test_without_a_gyroscope_knee_bends_in_a_rest_are_no_flutter_kicks(seed, k, set_index, monkeypatch):
    # held-out suites (flutter kicks, no gyroscope): knee bends in a rest, 30-50 deg of shin tilt in ~3 s, were counted
    # as a set of kicks (13 in seed 7 #15); in seed 2 #41 they ran into set 2 and the set of 20 kicks was lost whole.
    # Flutter kicks turn about the hip (fitted levers 0.7-1.1 m), the bends about the ankle (under 0.1 m). The bends
    # of seed 2 #41 also take longer than any kick (KICK_MAX_S): both rules are turned off to see the old fault
    from dataclasses import replace

    import imu.engine.sets as sets
    from imu.presets import PRESETS
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed)[k])
    _, counts, false = _counted(sim)
    assert (counts[set_index], false) == (sim.sets[set_index].reps, 0)
    monkeypatch.setitem(PRESETS, "flutter-kick", replace(PRESETS["flutter-kick"], min_lever_m=0.0))
    monkeypatch.setattr(sets, "KICK_MAX_S", np.inf)
    _, counts, false = _counted(sim)
    kicks = counts[set_index]
    assert false >= 4 and (kicks == 0 if seed == 2 else kicks == sim.sets[set_index].reps)


@pytest.mark.parametrize("seed, k", [(1, 36), (3, 114)])
def test_getting_into_and_out_of_the_tabletop_is_no_heel_tap(seed, k, monkeypatch):
    # held-out suites (heel taps with a gyroscope, 200 and 193 Hz): the person lay with the legs out, slid the heels up
    # along the floor (the shin turning about the ankle) and lifted the legs into the tabletop (about the hip); the
    # way out, the other way round. Both looked like a tap, and were counted as a set's first or last rep (11 of 10
    # in seed 1 #36 set 2) or as reps in the rest. Fitted to each way of the movement apart, the levers were 0.1-0.3 m
    # one way and 0.55-0.9 the other; the set's taps turned 0.55-0.75 m both ways. The same in 7-sample packets
    from imu.engine.sets import SetBuilder
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed)[k])
    reps, counts, false = _counted(sim)
    assert counts == [st.reps for st in sim.sets] and false <= 1
    _assert_packets_change_nothing(sim, reps, packet=7)
    monkeypatch.setattr(SetBuilder, "_turned_otherwise", lambda *a, **k: False)
    _, old_counts, old_false = _counted(sim)
    assert old_false >= false + 3


@pytest.mark.parametrize("seed, k", [(4, 5), (1, 69)])
def test_a_plane_fixed_by_one_rest_movement_does_not_hide_the_sets_after_it(seed, k, monkeypatch):
    # held-out suites (plank leg lifts, no gyroscope): a fidget in the rest made a lone tentative "rep" that fixed
    # the plane of motion; the leg then got into the plank and lifted 20-23 deg nearly across that plane, so the
    # angle in it hardly moved (-25 to -18 deg) and never 30 deg out of it: sets of 7 and 12 (seed 4 #5) and 7
    # (seed 1 #69) lost whole. Without a gyroscope, while at most one rep fixed the plane, 15 deg out of it ends the
    # search. The same in 7-sample packets
    import imu.engine.search as search
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed)[k])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [st.reps for st in sim.sets]
    _assert_packets_change_nothing(sim, reps, packet=7)
    monkeypatch.setattr(search, "LONE_OUT_OF_PLANE_DEG", search.OUT_OF_PLANE_DEG)
    assert 0 in set_counts(sim, run_engine(sim))


@pytest.mark.parametrize("seed, k", [(4, 80), (5, 56)])
def test_straightening_the_knees_after_bent_knee_raises_is_no_rep(seed, k, monkeypatch):
    # held-out suites (bent-knee raises with a gyroscope): after a set the person straightened the knees, heels
    # sliding out along the floor (the shin tilting 40-46 deg, as far as a raise), and was counted one more rep.
    # Fitted to each way apart, that turned 1.3-2.2 times nearer than the set's raises both ways, under the 2.5 times
    # either way alone needs; no rep of a set is nearer (or further) both ways by more than 1.56 on average
    import imu.engine.sets as sets
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed)[k])
    _, counts, false = _counted(sim)
    assert counts == [st.reps for st in sim.sets]
    monkeypatch.setattr(sets, "HALF_LEVER_BOTH_RATIO", np.inf)
    _, old_counts, old_false = _counted(sim)
    assert old_counts == counts and old_false >= false + 1


@pytest.mark.parametrize("seed, k, set_index", [(2, 32, 1), (1, 66, 0)])
def test_with_a_gyroscope_small_partial_flutter_kicks_are_counted(seed, k, set_index, monkeypatch):
    # held-out suites (flutter kicks with a gyroscope): a set of 22 partial kicks of 4-7 deg was lost whole, each kick
    # under the 5 deg least range that keeps an accelerometer's own noise out. Read off the gyroscope, 3 deg is enough
    from dataclasses import replace

    from imu.presets import PRESETS
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed)[k])
    truth = sim.sets[set_index].reps
    reps = run_engine(sim)
    assert set_counts(sim, reps)[set_index] >= truth - 1
    assert not _outside_sets(sim, reps)
    assert sum("partial" in r.flags for r in reps if in_set(r, sim.sets[set_index])) >= truth - 2
    monkeypatch.setitem(PRESETS, "flutter-kick", replace(PRESETS["flutter-kick"], gyro_min_rom_deg=None))
    assert set_counts(sim, run_engine(sim))[set_index] == 0


def test_a_leg_shifted_every_few_seconds_is_no_set_of_flutter_kicks(monkeypatch):
    # suite #92 (flutter kicks with a gyroscope): in a rest the leg shifted by 3-9 deg every ~6 s; with the
    # gyroscope's smaller least range that was a set of seven "kicks". Kicks take under 2 s
    import imu.engine.sets as sets
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(0)[92])
    reps = run_engine(sim)
    assert set_counts(sim, reps) == [st.reps for st in sim.sets] and not _outside_sets(sim, reps)
    monkeypatch.setattr(sets, "KICK_MAX_S", np.inf)
    assert len(_outside_sets(sim, run_engine(sim))) >= 4


@pytest.mark.parametrize("seed, k", [(4, 100), (2, 72)])
def test_with_a_gyroscope_small_partial_lifts_held_at_the_top_are_a_set(seed, k, monkeypatch):
    # held-out suites (prone reverse leg lifts and plank leg lifts with a gyroscope): partial lifts of 3-7 deg, each held
    # ~1 s at the top, had no hold by the ramps' fits (noise of a degree on a few degrees of range), so the first reps
    # looked like small shifts of the leg about and were dropped (set 1: 4 of 10, 7 of 10). The gyroscope shows the
    # leg turning slowly near the top for 0.4-1.2 s
    import imu.engine.sets as sets
    from imu.sim import benchmark_suite

    sim = simulate_session(benchmark_suite(seed)[k])
    reps = run_engine(sim)
    assert set_counts(sim, reps)[0] == sim.sets[0].reps and not _outside_sets(sim, reps)
    assert all("partial" in r.flags for r in reps if in_set(r, sim.sets[0]))
    monkeypatch.setattr(sets, "HELD_TOP_S", np.inf)
    assert set_counts(sim, run_engine(sim))[0] <= sim.sets[0].reps - 3
