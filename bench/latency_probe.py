"""A fast offline probe of the live count's latency, without BLE: the live benchmark's section 3 in seconds.

    python -m bench.latency_probe [--sessions N] [--jobs J] [--dump FILE] [--late FILE]

Each suite session (:func:`imu.sim.benchmark_suite`, seed 0, profiles as in :mod:`bench.live_bench`) is
simulated at the rate ``imu live`` configures for its sensor, cut into that sensor's notifications
(``samples_per_packet`` of its encoder) and handed to an :class:`imu.live.feeder.EngineFeeder` with the
live loop's settings in the ~50 ms groups a real-time consumer takes them in. No link, no decoding, no
rounding of the values: the reps can differ a little from the live benchmark's, the waits do not.

Prints per profile the counted and reported latency (s of sensor time from the rep's end, reps from the
preset's ``min_set_reps`` on), the latency against the simulator's truth, the first reps of a set and how
often a counted rep was taken back. ``--dump`` writes every rep's fields (one line each) for a
byte-identical check of the reps before and after a change; ``--late`` every rep counted more than
``LATE_S`` after its end, with why (:func:`late_reps`: no feed in time, or the feeds in time and what the
engine showed at each).
"""
from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

GROUP_S = 0.05  #: the live consumer takes the notifications that arrived in this long together (s)
LATE_S = 0.3  #: the target: a rep counted this long (s of sensor time) after its end at most


def notification_ends(t: np.ndarray, k: int) -> np.ndarray:
    """Indices just past each notification's samples (``k`` samples a notification)."""
    return np.append(np.arange(k, len(t), k), len(t))


def groups(t: np.ndarray, ends: np.ndarray) -> list[np.ndarray]:
    """The notification ends grouped by the ``GROUP_S`` slot their last sample falls in."""
    slot = np.floor(t[ends - 1] / GROUP_S)
    cut = np.flatnonzero(np.diff(slot)) + 1
    return np.split(ends, cut)


def probe_one(job: tuple) -> dict:
    """Latencies and reps of suite session ``i`` fed like the live loop feeds it."""
    from bench.live_bench import _profile_for, _truth_latency, rate_request
    from imu.ble.sim_world import session_source
    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder
    from imu.presets import get_preset
    from imu.profiles import PROFILES

    i, spec = job[:2]
    explain = len(job) > 2 and job[2]  # (--late: what the engine showed after each feed)
    profile = _profile_for(i, spec)
    prof = PROFILES[profile]
    rate = prof.device_rate_hz(rate_request(profile, spec, "live"))
    keep: dict = {}
    t, acc, gyro = session_source(spec, keep)(rate)
    sim = keep[rate]
    has_gyro = bool(prof.has_gyro)
    gyro = gyro if has_gyro else None
    k = max(1, int(getattr(prof.new_encoder(rate), "samples_per_packet", 1)))
    feeder = EngineFeeder(RepEngine(spec.exercise, has_gyro=has_gyro), has_gyro)
    feeds: list[tuple[float, str, float, int]] = []
    if explain:
        feed = feeder.feed

        def logged_feed():
            events = feed()
            eng = feeder.engine
            feeds.append((feeder.last_fed_t, eng.phase, eng.unseen_s, eng.count_now))
            return events
        feeder.feed = logged_feed
    a = 0
    for g in groups(t, notification_ends(t, k)):
        b = int(g[-1])
        feeder.add(t[a:b], acc[a:b], None if gyro is None else gyro[a:b], g - a)
        a = b
    feeder.finish()
    min_reps = get_preset(spec.exercise).min_set_reps
    lat = feeder.latencies
    return {"i": i, "profile": profile, "rate": rate, "samples_per_packet": k,
            "latency": [(c, r) for _, n, c, r in lat if n >= min_reps],
            "first": [r for _, n, _, r in lat if n < min_reps],
            "making": [c for _, n, c, _ in lat if n == min_reps],  # (counted: the rep that makes a set)
            "truth": _truth_latency(lat, feeder.engine.reps, sim, min_reps),
            "uncounted": feeder.uncounted, "calls": feeder.calls, "lat_all": lat,  # ((set, rep, counted, reported))
            "reps": [f"{i} {r!r}" for r in feeder.engine.reps],
            "late": late_reps(i, profile, lat, feeder.engine.reps, feeds, min_reps) if explain else []}


def late_reps(i: int, profile: str, latencies: list, reps: list, feeds: list, min_reps: int) -> list[str]:
    """One line per rep (from the ``min_reps``-th of a set on) of session ``i`` counted more than ``LATE_S``
    after its end: when, and why: no feed in time (the live loop's timing), or each feed in time with what
    the engine showed then (phase, samples held back s, count: the live view's counting)."""
    end_s = {(r.set, r.rep): r.end_s for r in reps}
    out = []
    for s, n, counted, _ in latencies:
        if n < min_reps or counted <= LATE_S:
            continue
        t0 = end_s[(s, n)]
        due = [f for f in feeds if t0 < f[0] <= t0 + LATE_S]
        why = ("no feed in time" if not due else "fed " + "; ".join(
            f"+{t - t0:.2f} s {phase}, held back {held:.2f} s, count {count}" for t, phase, held, count in due))
        out.append(f"#{i} {profile} set {s} rep {n}: counted {counted:.2f} s after its end ({why})")
    return out


def _summary(xs) -> str:
    if not len(xs):
        return "-"
    x = np.asarray(xs)
    return (f"median {np.median(x) * 1000:4.0f} ms, 95th {np.percentile(x, 95) * 1000:5.0f} ms, "
            f"<= 300 ms {np.mean(x <= 0.3):6.1%} ({len(x)} reps)")


def report(results: list[dict]) -> None:
    by_p: dict[str, list[dict]] = {}
    for r in results:
        by_p.setdefault(r["profile"], []).append(r)
    print("counted latency (sensor time after the rep's end, reps >= min_set_reps):")
    for p, rs in sorted(by_p.items()) + [("all", results)]:
        lat = [c for r in rs for c, _ in r["latency"]]
        print(f"  {p:10s} counted {_summary(lat)}; uncounted {sum(r['uncounted'] for r in rs)}")
    rep = [x for r in results for _, x in r["latency"]]
    truth = [x for r in results for x in r["truth"]]
    first = [x for r in results for x in r["first"]]
    print(f"  reported {_summary(rep)}")
    print(f"  by truth {_summary(truth)}")
    print(f"  first reps of a set: median {np.median(first) if first else float('nan'):.1f} s ({len(first)} reps); "
          f"engine calls {sum(r['calls'] for r in results)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, help="number of suite sessions (spread over the suite)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--dump", help="write every rep (repr, one a line) to this file")
    ap.add_argument("--late", help="write every rep counted late, with why, to this file")
    args = ap.parse_args(argv)
    from bench.live_bench import spread_sessions
    from imu.sim import benchmark_suite

    suite = benchmark_suite(seed=0)
    jobs = [(i, suite[i], bool(args.late)) for i in spread_sessions(len(suite), args.sessions)]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as ex:
            results = list(ex.map(probe_one, jobs))
    else:
        results = [probe_one(j) for j in jobs]
    report(results)
    if args.dump:
        with open(args.dump, "w") as f:
            f.writelines(line + "\n" for r in results for line in r["reps"])
    if args.late:
        with open(args.late, "w") as f:
            f.writelines(line + "\n" for r in results for line in r["late"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
