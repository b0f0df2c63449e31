"""Recording times and loss accounting (imu.live.timebase)."""
import numpy as np

from imu.live.timebase import ArrivalTimebase, LossTracker, SensorTimebase, WRAP_S


def test_sensor_time_continues_across_a_reconnect_after_a_clock_wrap():
    W = WRAP_S["diy"]
    tb = SensorTimebase(W)
    t_sensor = W - 5.0                      # the µs clock wraps 5 s into the session
    out = []
    for k in range(100):                    # 10 s, a packet every 0.1 s (4 samples)
        ts = t_sensor + 0.1 * k + np.arange(4) * 0.025
        out.append(tb.times(ts, 4, 0.1 * k + 0.075))   # the decoder unwraps within a connection
    tb.new_connection()                     # a new decoder starts from the raw (wrapped) clock
    ts = (t_sensor + 13.0 + np.arange(4) * 0.025) - W
    after = tb.times(ts, 4, 13.075)
    assert np.all(np.diff(np.concatenate(out)) > 0)
    assert abs((after[0] - out[-1][-1]) - (13.0 - 9.975)) < 1e-6


def test_a_corrupt_timestamp_is_rejected_and_a_restarted_clock_is_reanchored():
    tb = SensorTimebase(None)
    for k in range(10):
        tb.times(100.0 + 0.1 * k + np.arange(2) * 0.05, 2, 0.1 * k + 0.05)
    assert tb.times(np.array([5000.0, 5000.05]), 2, 1.05) is None          # far ahead of its arrival
    assert tb.rejected_batches == 1
    # the sensor rebooted: its clock restarts at 0 and keeps going
    outs = [tb.times(np.array([0.1 * k, 0.1 * k + 0.05]), 2, 1.2 + 0.1 * k) for k in range(5)]
    assert outs[0] is None and outs[1] is None and outs[2] is not None
    assert tb.clock_resets == 1
    assert abs(outs[2][-1] - (1.2 + 0.2)) < 0.01
    assert outs[3][0] > outs[2][-1]


def test_arrival_times_steady_stream_and_a_gap():
    tb = ArrivalTimebase(100.0)
    ts = [tb.times(None, 1, 0.01 * k + 0.005) for k in range(500)]
    t = np.concatenate(ts)
    assert np.allclose(np.diff(t), 0.01)
    t2 = tb.times(None, 1, 5.0 + 1.0)                # a second without packets
    assert tb.snaps == 1 and abs(t2[0] - (6.0 - 0.005)) < 0.02


def test_arrival_times_a_delivery_stall_is_not_a_gap():
    tb = ArrivalTimebase(100.0)
    for k in range(300):
        tb.times(None, 1, 0.01 * k)
    out = [tb.times(None, 1, 3.1) for _ in range(11)]          # 100 ms stall, then a burst
    out += [tb.times(None, 1, 3.1 + 0.01 * k) for k in range(1, 300)]   # and the pace again
    t = np.concatenate(out)
    assert tb.snaps == 0
    assert np.allclose(np.diff(t), 0.01, atol=0.0025)       # spacing bent a little, no hole


def test_arrival_times_absorb_scattered_loss():
    rng = np.random.default_rng(0)
    tb = ArrivalTimebase(100.0)
    kept = [k for k in range(6000) if rng.random() > 0.05]       # 5% of 1-sample packets lost
    t = np.concatenate([tb.times(None, 1, 0.01 * k + 0.008) for k in kept])
    true = 0.01 * np.asarray(kept)
    err = (t - true) - np.median(t - true)
    assert tb.snaps == 0 and np.abs(err[1500:]).max() < 0.06


def test_loss_tracker_counts_missing_samples_and_sequence_gaps():
    lt = LossTracker(100.0, seq_modulus=1 << 16)
    t = np.arange(0, 1, 0.01)
    lt.samples(t[:40])
    lt.samples(t[48:])              # 8 samples missing
    for s in (65534, 65535, 2, 3):  # wraps, two packets lost
        lt.seq(s)
    d = lt.as_dict()
    assert d["lost_samples"] == 8 and d["gaps"] == 1 and d["lost_packets"] == 2
    lt.samples(np.array([2.0, 2.01]), np.array([0]))
    assert lt.as_dict()["disconnect_gaps"] == 1


def test_arrival_times_count_lost_packets_while_arrivals_scatter_less_than_a_packet():
    rng = np.random.default_rng(1)
    tb = ArrivalTimebase(100.0)
    kept = [k for k in range(3000) if k < 30 or rng.random() > 0.05]     # 5% of 1-sample packets lost
    arrivals = np.maximum.accumulate(0.01 * np.asarray(kept) + rng.uniform(0.004, 0.012, len(kept)))
    t = np.concatenate([tb.times(None, 1, a) for a in arrivals])
    assert tb.counting and tb.counted_lost == 3000 - len(kept)
    assert np.abs((t - t[0]) - 0.01 * np.asarray(kept)).max() < 1e-6       # each sample where it was taken


def test_arrival_times_batched_by_connection_events_are_not_counted():
    tb = ArrivalTimebase(100.0)
    # 1-sample packets delivered three at a time every 30 ms (a connection event)
    t = np.concatenate([tb.times(None, 1, 0.03 * (k // 3) + 0.035) for k in range(3000)])
    assert not tb.counting and tb.snaps == 0
    assert np.allclose(np.diff(t[100:]), 0.01, atol=0.0025)


def test_a_witmotion_set_with_lost_packets_counts_all_its_reps():
    # suite session 44 (alternating leg lifts, 14 and 8 reps) from a sensor without timestamps at 50 Hz,
    # one sample a notification, 5 % of them lost, arriving 4-12 ms after they were sampled: spaced at the
    # nominal period, each lost sample took its share of the gyroscope's turn out of the orientation and
    # the first set read 3 reps
    from dataclasses import replace

    from bench.sim_suite import set_counts
    from imu.engine import RepEngine
    from imu.sim import benchmark_suite, simulate_session

    sim = simulate_session(replace(benchmark_suite(0)[44], rate_hz=50.0))
    d = sim.data
    t, acc, gyro = d.t.values, d[["ax", "ay", "az"]].values, d[["gx", "gy", "gz"]].values
    rng = np.random.default_rng(7)
    kept = rng.random(len(t)) > 0.05
    arrivals = np.maximum.accumulate(t + rng.uniform(0.004, 0.012, len(t)))[kept]
    tb = ArrivalTimebase(50.0)
    eng = RepEngine(sim.spec.exercise, has_gyro=True)
    eng.feed(np.concatenate([tb.times(None, 1, a) for a in arrivals]), acc[kept], gyro[kept])
    eng.finish()
    assert set_counts(sim, eng.reps) == [14, 8]


def test_arrival_column_of_a_call_equals_its_batches_times():
    """The stream's one-go time column (stamps of mixed batch sizes; one-sample batches alone) is each
    batch's ``newest - period * k`` as ``times`` gives it, bit for bit."""
    rng = np.random.default_rng(3)
    for sizes in ([1] * 7, [3, 1, 0, 2, 5], [4], [0], [2, 2, 1]):
        tb, ref = ArrivalTimebase(52.0), ArrivalTimebase(52.0)
        arrivals = np.cumsum(rng.uniform(0.01, 0.2, len(sizes))).tolist()
        stamps = [tb.stamp(None, n, a) for n, a in zip(sizes, arrivals)]
        out = np.empty(sum(sizes))
        tb.column(stamps, sizes, out)
        per_batch = []
        for n, a, newest in zip(sizes, arrivals, stamps):
            t = ref.times(None, n, a)
            np.testing.assert_array_equal(t, newest - ref.period * np.arange(n - 1, -1, -1, dtype=np.float64))
            per_batch.append(t)
        assert out.tobytes() == np.concatenate(per_batch).tobytes()


def test_arrival_times_leave_holes_for_lost_packets_when_arrivals_scatter_over_a_period():
    # a WitMotion at 50 Hz without timestamps as the simulator sends it (suite session 124): each packet leaves
    # at its sample's time plus the sensor's timing jitter (Gaussian, std 7.7 ms, clipped to 0.45 periods) and
    # arrives 4-12 ms later, so arrivals scatter over 26 ms, more than a period; 5 % of the packets are lost and
    # the sensor clock runs 300 ppm fast. The time base used to stop counting lost packets after ~20 and spread
    # them over the next half second instead (the recording read 47.8 Hz, samples up to ~90 ms off their time)
    rng = np.random.default_rng(5)
    p, n = 0.02, 6000
    k = np.arange(n)
    sent = (k * p + np.clip(rng.normal(0, 0.0077, n), -0.45 * p, 0.45 * p)) / (1 + 300e-6)
    arrivals = np.maximum.accumulate(sent + rng.uniform(0.004, 0.012, n))
    kept = np.flatnonzero((k < 30) | (rng.random(n) > 0.05))
    tb = ArrivalTimebase(50.0)
    t = np.concatenate([tb.times(None, 1, a) for a in arrivals[kept]])
    true = kept * p / (1 + 300e-6)
    err = (t - true) - np.median(t - true)
    assert abs(tb.counted_lost - (n - len(kept))) <= 3
    assert abs(np.median(np.diff(t)) - p) < 1e-9         # the nominal spacing, holes where packets were lost
    assert np.percentile(np.abs(err), 95) < 0.008 and np.abs(err).max() < 0.03
