"""Fast offline check of the live benchmark's fault figure: the faulty sessions' saved recordings analysed offline.

    python -m bench.fault_check [--sessions N] [--profile P] [--jobs J] [--cache DIR]

Runs the clean and the faulty live sessions of :mod:`bench.live_bench` (same suite sessions, seeds,
profiles, rates and faults: 5 % loss, 1 % duplicates, one 3 s disconnect per set) once and keeps their
saved recordings in ``DIR`` (default ``/tmp/imu-fault-check``), under a key made of the source of
everything that writes them (the simulator, the BLE layer, the profiles, the live session, the
recording format and the benchmark): a change there runs them again, a change of the analysis does not.
Then each faulty recording is analysed offline (``imu analyze``: :func:`imu.process.reps_process` on
:func:`imu.recording.read_recording`) and each set of the clean recording's offline analysis is matched
with the most overlapping faulty set, as the live benchmark matches the live sets. Since live equals
offline, this is the benchmark's "sets counted exactly" figure, per profile, in about a minute once the
recordings are written (about as long as the benchmark's suite part the first time); the differing sets
are listed (session, profile, set, clean count, faulty count). Both recordings are then scored against the
simulator's truth too (the reps found peaking inside each simulated set): what the link costs against what
the engine gets wrong on a clean link as well.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from bench.live_bench import (GYRO_PROFILES, _match_sets, _profile_for, _set_counts, fault_plan, rate_request,
                              run_live, spread_sessions)

#: what writes the recordings (relative to the repository root): a change here invalidates the cache
WRITERS = ("imu/sim", "imu/ble", "imu/profiles", "imu/live", "imu/recording.py", "bench/live_bench.py")
ROOT = Path(__file__).resolve().parent.parent
RECORDING = "recording.csv"


def cache_key() -> str:
    """Hash of the source of :data:`WRITERS` (16 hex digits)."""
    h = hashlib.sha256()
    for w in WRITERS:
        p = ROOT / w
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(str(f.relative_to(ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def write_pair(job: tuple) -> int:
    """The clean and faulty recordings of suite session ``i`` into ``dir/i/{clean,faults}`` (skipped when
    there); written in a scratch folder first, so an interrupted run leaves nothing half written."""
    i, spec, dest = job
    dest = Path(dest)
    if (dest / "faults" / RECORDING).exists():
        return i
    profile = _profile_for(i, spec)
    rate_req = rate_request(profile, spec, "live")
    tmp = Path(tempfile.mkdtemp(dir=dest.parent))
    try:
        *_, sim = run_live(i, spec, profile, rate_req, tmp / "clean")
        run_live(i, spec, profile, rate_req, tmp / "faults", faults=fault_plan(i, sim, {}), resume=True)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return i


def score(job: tuple) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    """(clean count, faulty count) per set of the clean recording's offline analysis; and (truth, clean, faulty)
    per set of the simulated session (at the rate the sensor ran: reps found peaking within the set,
    :func:`bench.sim_suite.set_counts`)."""
    dest, i, spec = job
    from bench.sim_suite import set_counts
    from imu.process import reps_process
    from imu.profiles import PROFILES
    from imu.recording import read_recording
    from imu.sim import simulate_session

    reps = [reps_process(read_recording(Path(dest) / kind / RECORDING), spec.exercise).reps
            for kind in ("clean", "faults")]
    profile = _profile_for(i, spec)
    rate_hz = PROFILES[profile].device_rate_hz(rate_request(profile, spec, "live"))
    sim = simulate_session(replace(spec, rate_hz=rate_hz, gyro=True))  # (as imu.ble.sim_world simulates it)
    truth = list(zip([st.reps for st in sim.sets], set_counts(sim, reps[0]), set_counts(sim, reps[1])))
    return _match_sets(*[_set_counts(r) for r in reps]), truth


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, help="number of suite sessions (spread over the suite, as live_bench)")
    ap.add_argument("--profile", choices=[*GYRO_PROFILES, "polar"], help="only the sessions of this profile")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "imu-fault-check")
    args = ap.parse_args(argv)
    from imu.sim import benchmark_suite

    suite = benchmark_suite(seed=0)
    idx = spread_sessions(len(suite), args.sessions)
    if args.profile:
        idx = [i for i in idx if _profile_for(i, suite[i]) == args.profile]
    root = args.cache / cache_key()
    root.mkdir(parents=True, exist_ok=True)
    print(f"fault check: {len(idx)} sessions, recordings in {root}")
    with ProcessPoolExecutor(max(1, args.jobs)) as ex:
        list(ex.map(write_pair, [(i, suite[i], str(root / str(i))) for i in idx]))
        scores = list(ex.map(score, [(str(root / str(i)), i, suite[i]) for i in idx]))
    report(idx, suite, [pairs for pairs, _ in scores])
    report_truth(idx, suite, [truth for _, truth in scores])
    return 0


def report(idx: list[int], suite, pairs: list[list[tuple[int, int]]]) -> None:
    """The exact-set share, overall and per profile, and the differing sets."""
    by_p: dict[str, list[int]] = {}
    differ = []
    for i, ps in zip(idx, pairs):
        p = _profile_for(i, suite[i])
        tally = by_p.setdefault(p, [0, 0])
        tally[0] += sum(a == b for a, b in ps)
        tally[1] += len(ps)
        differ += [(i, suite[i].name, p, k + 1, a, b) for k, (a, b) in enumerate(ps) if a != b]
    exact, n = sum(t[0] for t in by_p.values()), sum(t[1] for t in by_p.values())
    print(f"sets counted exactly (faulty recording vs clean, offline): {exact}/{n} = {exact / max(n, 1):.1%}")
    print("  " + ", ".join(f"{p} {a}/{b}" for p, (a, b) in sorted(by_p.items())))
    print(f"differing sets ({len(differ)}): session, profile, set, clean count, faulty count")
    for i, name, p, k, a, b in differ:
        print(f"  #{i:<3d} {name:40s} {p:10s} set {k}: {a:3d} -> {b:3d}")


def report_truth(idx: list[int], suite, truths: list[list[tuple[int, int, int]]]) -> None:
    """The sets counted exactly against the simulator's truth, on the clean and the faulty recordings (a set
    wrong on both is the engine's, not the link's), and the sets either got wrong."""
    sets = [(i, k + 1, *t) for i, ts in zip(idx, truths) for k, t in enumerate(ts)]
    clean, faulty = sum(c == t for *_, t, c, f in sets), sum(f == t for *_, t, c, f in sets)
    both = sum(c != t and f != t for *_, t, c, f in sets)
    n = len(sets)
    print(f"against the simulator's truth (reps peaking inside each simulated set): clean {clean}/{n} = "
          f"{clean / max(n, 1):.1%}, faulty {faulty}/{n} = {faulty / max(n, 1):.1%} ({both} sets wrong on both)")
    for i, k, t, c, f in sets:
        if c != t or f != t:
            print(f"  #{i:<3d} {suite[i].name:40s} {_profile_for(i, suite[i]):10s} set {k}: truth {t:3d}, "
                  f"clean {c:3d}, faulty {f:3d}")


if __name__ == "__main__":
    raise SystemExit(main())
