"""Without a gyroscope: the bridged tilt through swung and brisk reps (imu.bridge), on simulated sessions."""
import pytest

from bench.sim_suite import in_set, match_reps, run_engine, set_counts
from imu.sim import benchmark_suite, simulate_session
from tests.test_engine_sim import _counted_with_style, _timing


def _fed_in_packets(sim, packet: int):
    from imu.engine import RepEngine

    d = sim.data
    t, acc = d.t.values, d[["ax", "ay", "az"]].values
    eng = RepEngine(sim.spec.exercise, has_gyro=False)
    for a in range(0, len(t), packet):
        eng.feed(t[a:a + packet], acc[a:a + packet])
    eng.finish()
    return eng.reps


@pytest.mark.parametrize("session", [15, 47])
def test_a_swing_that_passes_through_1g_at_its_top_is_bridged_whole(session):
    # bent-knee raises (suite session 15, set 1: 9 of 14) and alternating leg lifts (47, set 2: 12 of 13)
    # swung up and dropped at once: the low-passed accelerometer rings after the throw and passes within
    # 0.25 g of 1 g for a few samples between its swing up and its drop. Those readings were taken as
    # reliable (only the first, sustained stretch was followed by SETTLE_S), so the swing was bridged in two
    # halves from a top that the lagging low-pass tilts (fitted 115 deg for a 60 deg rep, the drop after
    # it -120 deg): reps merged or broke up. A stretch off 1 g starting within SETTLE_S of a sustained one is
    # part of it: the swing is bridged whole, from rest to rest
    sim, reps, _ = _counted_with_style(session, "swung")
    for truth, rep in match_reps(sim.reps, reps):
        if truth.momentum:
            assert rep is not None and rep.momentum and abs(rep.rom_deg - truth.rom_deg) < 15
    assert _timing(_fed_in_packets(sim, 7)) == _timing(reps)


@pytest.mark.parametrize("session", [49, 107])
def test_a_drop_from_the_top_is_bridged_from_where_the_leg_left_it(session):
    # brisk alternating leg lifts (suite session 49, set 1: 3 of 7) and lying leg raises (107, set 1: 12 of
    # 13): the leg pushed down from a short top hold first presses the ankle into its strap (1.5 g), then
    # falls away from it (0.25 g); the low-passed reading passes through 1 g between the two for a sample or
    # two, too short a stretch to be settled but not an edge of the drop (its low-passed reading is within
    # EDGE_G of 1 g), so the drop was bridged from there, a reading 0.75 g off gravity: the rep read 139 deg
    # for 85 and the set's frame went astray. An edge is also where the unfiltered reading is more than
    # UNRELIABLE_G off 1 g (and turning): the drop is bridged from the top hold
    sim, reps, brisk = _counted_with_style(session, "brisk")
    for truth, rep in match_reps(sim.reps, reps):
        if truth.rushed and in_set(rep, sim.sets[brisk[0]]):
            assert abs(rep.rom_deg - truth.rom_deg) < 12
    assert _timing(_fed_in_packets(sim, 7)) == _timing(reps)


@pytest.mark.parametrize("session", [71, 55])
def test_a_set_right_after_a_slowly_settling_posture_change_keeps_its_first_reps(session):
    # swung seated leg raises (suite session 71, set 1: 11-12 of 14) and bent-knee raises (55, set 1: 13 of
    # 14) without a gyroscope: the person sat down, the shin settled slowly over ~5 s, rested, and the first
    # swing went back towards where the leg had been before sitting down. That excursion, from the old
    # resting position, through the sitting down and back, was too long for a rep (a posture change) and
    # the search went on from its lowest point, the first rep's top: its way down read as a rep without a
    # way up, and the set lost its first reps. It goes on from where the leg last rested still (STILL_S)
    # after the excursion's top, so the first swing leaves that new home
    sim = simulate_session(benchmark_suite(0)[session])
    reps = run_engine(sim)
    assert set_counts(sim, reps)[0] == sim.sets[0].reps == 14
    assert _timing(_fed_in_packets(sim, 7)) == _timing(reps)
