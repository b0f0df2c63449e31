"""Live counting through the simulated BLE backend: prints the figures of the live-counting targets.

    python -m bench.live_bench [--quick] [--sessions N] [--jobs J] [--memory-minutes M] [--no-resume]

For each session of :func:`imu.sim.benchmark_suite` (seed 0; ``--sessions`` or ``--quick`` take a
spread subset) a simulated sensor streams it through bleak's public API with the simulated
backend (:mod:`imu.ble.sim_world`), as fast as possible, into a full live session
(:mod:`imu.live.session`). Sessions with a gyroscope cycle through the DIY, Movesense, WitMotion,
Thingy:52 and MetaWear profiles, the others use the Polar H10 (accelerometer only); the rate asked
for is the session's, snapped to what the sensor supports.

1. **Live equals offline** (clean link): the live reps against ``imu analyze`` of the saved
   recording (:func:`imu.process.reps_process` on :func:`imu.recording.read_recording`): share of
   reps identical (same set and rep number, start/top/lower/end within one sample) and of sets
   with the same count.
2. **Faults**: 5 % random loss, 1 % duplicates and one 3 s disconnect per set (at a random time
   inside the set): share of sets whose live count equals the offline count of the clean
   recording, crashes, and the loss reported against the loss injected. The DIY sensors resume
   after a reconnect (RESUME re-sends what they sampled meanwhile); ``--no-resume`` runs them
   with a firmware from before RESUME, which loses the 3 s like the other profiles.
3. **Latency**: sensor time of the newest sample fed when the live view's count first included a
   rep (the leg back near its rest, :attr:`imu.engine.RepEngine.count_now`) and when the rep came
   out with its tempo (it settled), minus the rep's end, for reps shown as they happen (rep number
   >= the preset's ``min_set_reps``: the first reps of a set come out together when the set is
   confirmed); per profile; and how often the count included a rep that then was none.
4. **Cost**: CPU time of the live loop per sample (decoding + time assignment, rounding + writing,
   the engine, the feeder's own: when to feed, the live count), and the share of one core at the
   sensor's rate.
5. **Memory**: resident memory of a long session (default two hours of a looped simulated session at
   100 Hz, DIY profile, with faults) sampled every 10 minutes of sensor time.

The full run takes about 8 minutes with 2 jobs; ``--quick`` (the shortest session of each profile,
a 20-minute memory run) under a minute. The CPU figures are the live loop's thread CPU time, with
notifications handled in the 50 ms groups a real-time consumer sees.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

GYRO_PROFILES = ("diy", "movesense", "witmotion", "thingy52", "metawear")
DISCONNECT_S = 3.0


def _profile_for(i: int, spec) -> str:
    return GYRO_PROFILES[(i // 2) % len(GYRO_PROFILES)] if spec.gyro else "polar"


def spread_sessions(n_suite: int, n: int | None) -> list[int]:
    """Indices of ``n`` sessions spread evenly over a suite of ``n_suite`` (all of them when ``n`` is None
    or not smaller)."""
    if not n or n >= n_suite:
        return list(range(n_suite))
    return [int(round(k)) for k in np.linspace(0, n_suite - 1, n)]


def _length(spec) -> float:
    """Rough length of a suite session (s): reps and rests."""
    return 5.0 * sum(s.reps for s in spec.sets) + 0.5 * sum(spec.rest_s) * (len(spec.sets) + 1)


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _key(r, tol: float, other) -> bool:
    return (r.set == other.set and r.rep == other.rep
            and all(abs(getattr(r, a) - getattr(other, a)) <= tol for a in ("start_s", "top_s", "lower_s", "end_s")))


def _set_counts(reps) -> dict[int, tuple[float, float, int]]:
    out = {}
    for s in sorted({r.set for r in reps}):
        rs = [r for r in reps if r.set == s]
        out[s] = (min(r.start_s for r in rs), max(r.end_s for r in rs), len(rs))
    return out


def _match_sets(ref: dict, got: dict) -> list[tuple[int, int]]:
    """(reference count, live count of the most overlapping live set) per reference set."""
    pairs = []
    for a, b, n in ref.values():
        best, best_ov = 0, 0.0
        for c, d, m in got.values():
            ov = min(b, d) - max(a, c)
            if ov > best_ov:
                best, best_ov = m, ov
        pairs.append((n, best))
    return pairs


def _engine_latency(rec, exercise: str, dev, min_reps: int) -> list[tuple[float, float]]:
    """The engine's own latency: the recording fed one notification's worth of samples at a time
    (the earliest any live loop could show a rep): (counted, reported) per rep (see
    :class:`imu.live.feeder.EngineFeeder`)."""
    from imu.engine import RepEngine
    from imu.live.feeder import EngineFeeder

    k = max(1, int(getattr(dev.profile.new_encoder(dev.rate_hz), "samples_per_packet", 1)))
    gyro = rec.gyro_dps
    feeder = EngineFeeder(RepEngine(exercise, has_gyro=gyro is not None), gyro is not None, max_interval_s=0.0,
                          settle_interval_s=0.0, rest_interval_s=0.0, counted_interval_s=0.0, still_hold_s=0.0)
    for a in range(0, rec.n, k):
        b = min(a + k, rec.n)
        feeder.add(rec.t_s[a:b], rec.acc_g[a:b], None if gyro is None else gyro[a:b])
    return [(c, r) for _, rep, c, r in feeder.latencies if rep >= min_reps]


def _truth_latency(latencies: list, reps: list, sim, min_reps: int) -> list[float]:
    """Seconds from the leg really being back (the simulator's end of each rep) to the live view counting
    it, per rep from the ``min_reps``-th of a set on: the engine's own ``end_s`` moves with how well it
    measures a rep, the truth does not. A live recording's clock starts at the first notification's arrival,
    0.12-0.19 s after the simulator's (the link's latency): that offset, the median difference between the
    matched reps' peaks (within 0.04 s of 0 on the simulator's own clock), is taken off. [] when the recording's
    clock is not the simulator's shifted (the peaks' differences spread by more than 0.2 s)."""
    from bench.sim_suite import match_reps

    by_key = {(r.set, r.rep): r for r in reps}
    truth = {(r.set, r.rep): tr for tr, r in match_reps(sim.reps, reps) if r is not None}
    if not truth:
        return []
    d = np.array([by_key[k].peak_s - tr.peak_s for k, tr in truth.items()])
    offset_s = float(np.median(d))
    if np.median(np.abs(d - offset_s)) > 0.2:
        return []
    return [counted + by_key[(s, n)].end_s - offset_s - truth[(s, n)].end_s
            for s, n, counted, _ in latencies if n >= min_reps and (s, n) in truth]


def rate_request(profile: str, spec, rate_mode: str) -> float:
    """The rate asked of the sensor (Hz): "live" the one `imu live` configures, "suite" the session's."""
    if rate_mode == "live":
        from imu.live_commands import LIVE_RATE_HZ
        from imu.profiles import PROFILES
        return LIVE_RATE_HZ.get(profile, PROFILES[profile].default_rate_hz)
    return spec.rate_hz


def run_live(i: int, spec, profile: str, rate_req: float, out_dir: Path, **link):
    """A live run of suite session ``i`` through the simulated backend into ``out_dir``. ``link``: the
    device's ``faults`` and ``resume`` (:meth:`imu.ble.sim_world.SimWorld.add_device`; default a clean
    link). Returns (session, outputs, device, the device's SimSession)."""
    from imu.ble.sim_world import SimWorld
    from imu.live.simrun import run_simulated

    world = SimWorld(0)
    dev = world.add_device(profile, session=spec, seed=1000 + i, **link)
    session, res = run_simulated(world, out_dir, spec.exercise, rate_hz=rate_req)
    return session, res, dev, next(iter(world.sims[dev.address].values()))


def fault_plan(i: int, sim, fault_kw: dict):
    """The faults of session ``i``: 5 % loss, 1 % duplicates and one 3 s disconnect at a random time
    inside each set of ``sim`` (the clean run's SimSession), then ``fault_kw`` overrides."""
    from imu.ble.faults import Faults

    rng = np.random.default_rng(7000 + i)
    disc = tuple(float(rng.uniform(s.start_s, max(s.start_s, s.end_s - DISCONNECT_S))) for s in sim.sets)
    kw = dict(loss=0.05, dup=0.01, disconnect_at=disc, disconnect_s=DISCONNECT_S)
    kw.update(fault_kw)
    return Faults(**kw)


def run_one(job: tuple) -> dict:
    """Clean and faulty live runs of one suite session, compared with the offline analysis."""
    from imu.presets import get_preset
    from imu.process import reps_process
    from imu.recording import read_recording

    i, spec, resume, fault_kw, rate_mode = job
    profile = _profile_for(i, spec)
    rate_req = rate_request(profile, spec, rate_mode)
    out: dict = {"i": i, "name": spec.name, "profile": profile, "exercise": spec.exercise}
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        # 1. clean
        session, _, dev, sim = run_live(i, spec, profile, rate_req, Path(tmp) / "clean")
        side = session.sides[0]
        rate = side.rate_hz
        rec = read_recording(side.path)
        off = reps_process(rec, spec.exercise)
        live = list(side.engine.reps)
        tol = 1.0 / rate + 1e-9
        used, same = set(), 0
        for r in live:
            hit = next((k for k, o in enumerate(off.reps) if k not in used and _key(r, tol, o)), None)
            if hit is not None:
                used.add(hit)
                same += 1
        ref_sets = _set_counts(off.reps)
        live_sets = _set_counts(live)
        out.update(rate=rate, reps_live=len(live), reps_offline=len(off.reps), reps_identical=same,
                   sets_offline=len(ref_sets),
                   sets_same=sum(a == b for a, b in _match_sets(ref_sets, live_sets)),
                   samples=side.stream.stats.samples, decode_s=side.stream.stats.decode_s,
                   write_s=side.stream.stats.write_s, engine_s=side.feeder.engine_s, feed_s=side.stream.stats.feed_s,
                   calls=side.feeder.calls,
                   duration_s=float(rec.duration_s))
        min_reps = get_preset(spec.exercise).min_set_reps
        out["latency"] = [(c, r) for _, rep, c, r in side.feeder.latencies if rep >= min_reps]
        out["latency_engine"] = _engine_latency(rec, spec.exercise, dev, min_reps)
        out["latency_first"] = [r for _, rep, _, r in side.feeder.latencies if rep < min_reps]
        out["uncounted"] = side.feeder.uncounted
        out["latency_truth"] = _truth_latency(side.feeder.latencies, live, sim, min_reps)
        # 2. faults: one 3 s disconnect per set, inside the set
        faults = fault_plan(i, sim, fault_kw)
        try:
            session2, res2, dev2, _ = run_live(i, spec, profile, rate_req, Path(tmp) / "faults", faults=faults,
                                               resume=resume)
        except Exception as e:  # noqa: BLE001 - a crash is a result here
            out["fault_crash"] = f"{type(e).__name__}: {e}"
            return out
        side2 = session2.sides[0]
        rep2 = res2["reports"][side2.label]
        pairs = _match_sets(ref_sets, _set_counts(list(side2.engine.reps)))
        rec2 = read_recording(side2.path)
        off2 = reps_process(rec2, spec.exercise)
        out.update(fault_sets=len(pairs), fault_sets_exact=sum(a == b for a, b in pairs),
                   fault_sets_pm1=sum(abs(a - b) <= 1 for a, b in pairs),
                   fault_live_equals_offline=len(side2.engine.reps) == len(off2.reps) and all(
                       _key(a, tol, b) for a, b in zip(side2.engine.reps, off2.reps)),
                   injected=dev2.injector.stats.as_dict(), reported_lost=rep2["lost_samples"],
                   reported_loss=rep2["loss_fraction"], reported_dup=rep2["duplicate_notifications"],
                   reported_disconnects=rep2["disconnects"], reconnects=rep2["reconnects"],
                   disconnects_planned=len(faults.disconnect_at))
    out["wall_s"] = time.perf_counter() - t_start
    return out


def memory_run(minutes: float) -> list[tuple[float, float]]:
    """(sensor minutes, RSS MB) every 10 minutes (or a sixth of the run) of a long looped DIY
    session with faults."""
    from imu.ble.faults import Faults
    from imu.ble.sim_world import SimWorld
    from imu.live.simrun import run_simulated_async
    from imu.sim import SessionSpec, SetSpec

    spec = SessionSpec("lying-leg-raise", [SetSpec("textbook", 12), SetSpec("swung", 12), SetSpec("brisk", 12)],
                       rate_hz=100.0, seed=11, rest_s=(30.0, 90.0))
    world = SimWorld(0)
    dev = world.add_device("diy", session=spec, seed=5, loop=True,
                           faults=Faults(loss=0.05, dup=0.01, disconnect_every_s=600.0))
    samples: list[tuple[float, float]] = []

    async def main():
        with tempfile.TemporaryDirectory() as tmp:
            task = asyncio.create_task(run_simulated_async(world, tmp, "lying-leg-raise", duration_s=minutes * 60.0))
            next_mark, every = 0.0, min(10.0, minutes / 6.0)
            while not task.done():
                t = dev.stream_pos_s / 60.0
                if t >= next_mark:
                    samples.append((t, _rss_mb()))
                    next_mark += every
                await asyncio.sleep(0.05)
            session, _ = await task
            s = session.sides[0]
            print(f"  RSS after writing the outputs (reading the recording back, plotting): {_rss_mb():.0f} MB")
            print(f"  {s.stream.stats.samples} samples, {len(s.engine.reps)} reps, "
                  f"{s.link.stats.reconnects} reconnects, {s.stream.loss.gaps} gaps")
    asyncio.run(main())
    return samples


def _pct(xs, q):
    return float(np.percentile(xs, q)) if len(xs) else float("nan")


def report(results: list[dict]) -> None:
    ok = [r for r in results if "reps_live" in r]
    print("\n== 1. Live equals offline (clean link) ==")
    reps = sum(max(r["reps_live"], r["reps_offline"]) for r in ok)
    same = sum(r["reps_identical"] for r in ok)
    sets = sum(r["sets_offline"] for r in ok)
    sets_same = sum(r["sets_same"] for r in ok)
    print(f"  sessions {len(ok)}, reps {reps}: identical (set, rep, times within one sample) {same}/{reps} "
          f"= {same / max(reps, 1):.2%}; sets with the same count {sets_same}/{sets} = {sets_same / max(sets, 1):.2%}")
    print("\n== 2. Faults: 5% loss, 1% duplicates, one 3 s disconnect per set ==")
    crashed = [r for r in results if "fault_crash" in r]
    fs = [r for r in ok if "fault_sets" in r]
    n = sum(r["fault_sets"] for r in fs)
    exact = sum(r["fault_sets_exact"] for r in fs)
    pm1 = sum(r["fault_sets_pm1"] for r in fs)
    print(f"  crashes: {len(crashed)}" + ("".join(f"\n    {c['name']}: {c['fault_crash']}" for c in crashed)))
    print(f"  sets counted exactly (vs offline count of the clean recording): {exact}/{n} = {exact / max(n, 1):.2%};"
          f" within one rep: {pm1 / max(n, 1):.2%}")
    by_p: dict[str, list] = {}
    for r in fs:
        by_p.setdefault(r["profile"], []).append(r)
    for p, rs in sorted(by_p.items()):
        a, b = sum(r["fault_sets_exact"] for r in rs), sum(r["fault_sets"] for r in rs)
        inj = sum(r["injected"]["lost"] for r in rs) / max(sum(r["injected"]["sent"] for r in rs), 1)
        rep = statistics.mean(r["reported_loss"] for r in rs)
        disc = sum(r["reported_disconnects"] for r in rs), sum(r["disconnects_planned"] for r in rs)
        dups = sum(r["reported_dup"] for r in rs), sum(r["injected"]["duplicated"] for r in rs)
        print(f"    {p:10s} exact {a}/{b}  notifications lost (injected) {inj:.1%}, samples lost reported "
              f"{rep:.1%} (incl. disconnects); duplicates dropped {dups[0]}/{dups[1]}; disconnects seen "
              f"{disc[0]}/{disc[1]}")
    leq = sum(bool(r.get("fault_live_equals_offline")) for r in fs)
    print(f"  live equals offline on the faulty recordings too: {leq}/{len(fs)} sessions")
    print("\n== 3. Latency: rep counted, and shown with its tempo, after the leg is back (sensor time) ==")
    print("  (counted: the live view's count includes it, the leg back near its rest; reported: the rep with its"
          " tempo and flags, once it settled)")

    def lat(rs, key="latency", k=0):
        return [x[k] for r in rs for x in r.get(key, [])]

    def summary(xs):
        return (f"median {_pct(xs, 50) * 1000:4.0f} ms, 95th {_pct(xs, 95) * 1000:4.0f} ms, max "
                f"{_pct(xs, 100) * 1000:4.0f} ms, <= 300 ms {np.mean(np.asarray(xs) <= 0.3) if xs else float('nan'):.1%}")

    print(f"  the engine itself (fed every notification): counted {summary(lat(ok, 'latency_engine'))}")
    print(f"    reported {summary(lat(ok, 'latency_engine', 1))}")
    print(f"  live loop, all profiles, {len(lat(ok))} reps: counted {summary(lat(ok))}")
    print(f"    reported {summary(lat(ok, k=1))}")
    print(f"    counted and then found not to be a rep: {sum(r.get('uncounted', 0) for r in ok)}")
    truth = [x for r in ok for x in r.get("latency_truth", [])]
    print(f"    counted after the leg was really back (the simulator's truth, {len(truth)} reps): {summary(truth)}")
    by_p = {}
    for r in ok:
        by_p.setdefault(r["profile"], []).append(r)
    for p, rs in sorted(by_p.items()):
        rates = sorted({r["rate"] for r in rs})
        print(f"    {p:10s} ({', '.join(f'{x:g}' for x in rates)} Hz) counted {summary(lat(rs))}; reported median "
              f"{_pct(lat(rs, k=1), 50) * 1000:.0f} ms, <= 300 ms {np.mean(np.asarray(lat(rs, k=1)) <= 0.3):.1%}")
    first = [x for r in ok for x in r["latency_first"]]
    print(f"  first reps of a set (shown when the set is confirmed): median {_pct(first, 50):.1f} s")
    print("\n== 4. Cost of the live loop (CPU per sample) ==")
    for p, rs in sorted(by_p.items()):
        n = sum(r["samples"] for r in rs)
        d, w, e, f = (sum(r[k] for r in rs) / n * 1e6 for k in ("decode_s", "write_s", "engine_s", "feed_s"))
        dur = sum(r["duration_s"] for r in rs)
        calls = sum(r["calls"] for r in rs) / dur
        rate = n / dur
        print(f"    {p:10s} {d + w + e + f:5.1f} us/sample (decode {d:4.1f}, write {w:4.1f}, engine {e:4.1f}, feeder "
              f"{f:4.1f}; {calls:.1f} engine calls/s): decoding + counting {d + e + f:4.1f} us; all "
              f"{(d + w + e + f) * rate / 1e4:.2f}% of a core at {rate:.0f} Hz")
    n = sum(r["samples"] for r in ok)
    tot = sum(r["decode_s"] + r["write_s"] + r["engine_s"] + r["feed_s"] for r in ok) / max(n, 1) * 1e6
    dec = sum(r["decode_s"] + r["engine_s"] + r["feed_s"] for r in ok) / max(n, 1) * 1e6
    print(f"  all: {tot:.1f} us/sample ({dec:.1f} decoding + counting); at 100 Hz {tot * 100 / 1e4:.2f}% of a core")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="6 sessions (one per profile) and a 20-minute memory run")
    ap.add_argument("--sessions", type=int, help="number of suite sessions (spread over the suite)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--memory-minutes", type=float, help="length of the memory run (default 120, quick 30; 0 skips)")
    ap.add_argument("--rates", choices=["live", "suite"], default="live",
                    help="live: the rate imu live configures per sensor (default); suite: each session's rate")
    ap.add_argument("--faults", default="",
                    help="override fault knobs, e.g. 'disconnect_at=(),dup=0' (Faults fields)")
    ap.add_argument("--no-resume", action="store_true",
                    help="simulated DIY sensors without RESUME: restarted after a reconnect, the samples taken meanwhile lost")
    args = ap.parse_args(argv)
    from imu.sim import benchmark_suite

    suite = benchmark_suite(seed=0)
    idx = list(range(len(suite)))
    n = 6 if args.quick and not args.sessions else (args.sessions or len(suite))
    if n < len(suite):
        if args.quick and not args.sessions:       # the shortest session of each profile
            best: dict[str, int] = {}
            for i in idx:
                p = _profile_for(i, suite[i])
                if p not in best or _length(suite[i]) < _length(suite[best[p]]):
                    best[p] = i
            idx = sorted(best.values())
        else:
            idx = spread_sessions(len(suite), n)
    fault_kw = eval(f"dict({args.faults})") if args.faults else {}  # noqa: S307 - a benchmark knob
    jobs = [(i, suite[i], not args.no_resume, fault_kw, args.rates) for i in idx]
    t0 = time.perf_counter()
    print(f"live benchmark: {len(jobs)} sessions of benchmark_suite(seed=0), {args.rates} rates, {args.jobs} jobs"
          + (f", faults {fault_kw}" if fault_kw else "")
          + (", DIY sensors without RESUME" if args.no_resume else ""))
    if args.jobs > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(args.jobs) as ex:
            results = list(ex.map(run_one, jobs))
    else:
        results = [run_one(j) for j in jobs]
    report(results)
    print(f"  ({time.perf_counter() - t0:.0f} s wall for the suite part)")
    minutes = args.memory_minutes if args.memory_minutes is not None else (20.0 if args.quick else 120.0)
    if minutes > 0:
        print(f"\n== 5. Memory over a {minutes:g}-minute session (DIY 100 Hz, 5% loss, 1% dup, a disconnect every 10 min) ==")
        t1 = time.perf_counter()
        marks = memory_run(minutes)
        print("  sensor minutes -> RSS MB: " + ", ".join(f"{m:.0f}: {r:.0f}" for m, r in marks))
        if len(marks) >= 3:
            base = marks[1][1]
            print(f"  growth during the session after its first mark: {marks[-1][1] - base:+.1f} MB over "
                  f"{marks[-1][0] - marks[1][0]:.0f} min"
                  f" ({time.perf_counter() - t1:.0f} s wall)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
