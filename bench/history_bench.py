"""Benchmark of the training history and the reports: ``python -m bench.history_bench``.

Targets (issue "Training history, reports and exports"):

- importing 1,000 sessions (simulated, 3 sets each) into the store: under 20 s;
- ``imu history`` over them: under 1 s;
- a report for a one-hour session renders in under 3 s and is under 2 MB.

How the 1,000 session folders are made quickly: a pool of simulated sessions (3 sets each, several
exercises, styles and seeds) is run through the simulator and the engine once; each folder then gets
one pool session's reps with its phase times scaled by a random factor (0.85-1.2: slower or quicker
weeks), written with the same functions as ``imu analyze`` (:func:`analysis.tables.reps_table` /
``sets_table``, :func:`analysis.summary.session_summary`, :func:`analysis.export.write_csv`) plus a
``started_at`` date (sessions spread over about two years) and the pool session's ``session.png``.
One in ten sessions is a two-sensor session (the reps twice, ``side`` left and right).

Options: ``--sessions N`` (default 1000), ``--keep DIR`` (keep the folders and database there).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.commands import add_commands
from analysis.export import atomic_write, write_csv, write_session
from analysis.history import HistoryStore
from analysis.report import write_session_report
from analysis.summary import session_summary
from analysis.tables import reps_table, sets_table
from imu.process import reps_process
from imu.recording import recording_from_frame
from imu.sim import SessionSpec, SetSpec, simulate_session

TIME_COLS = ["start_s", "peak_s", "end_s", "up_s", "top_hold_s", "down_s", "bottom_hold_s", "tut_s",
             "top_s", "lower_s"]
POOL = [  # (exercise, styles of the 3 sets, seed)
    ("lying-leg-raise", ("textbook", "textbook", "fatigue"), 1),
    ("lying-leg-raise", ("slow_eccentric", "textbook", "swung"), 2),
    ("lying-leg-raise", ("brisk", "partial", "textbook"), 3),
    ("side-leg-lift", ("textbook", "feet_rested", "textbook"), 4),
    ("side-leg-lift", ("slow_eccentric", "brisk", "fatigue"), 5),
    ("hanging-leg-raise", ("textbook", "swung", "partial"), 6),
]


def _pool(work: Path) -> list[dict]:
    out = []
    for i, (ex, styles, seed) in enumerate(POOL):
        sim = simulate_session(SessionSpec(exercise=ex, sets=[SetSpec(s, 10) for s in styles], rate_hz=50.0,
                                           seed=seed, rest_s=(20.0, 60.0)))
        res = reps_process(recording_from_frame(sim.data, source=f"simulated {ex} (seed {seed})"), ex)
        d = work / f"pool{i}"
        write_session(d, res.reps, res.trace_t_s, res.trace_deg, res.info)
        out.append({"reps": reps_table(res.reps), "info": res.info, "png": d / "session.png"})
    return out


def _make_folders(root: Path, n: int, pool: list[dict], seed: int = 7) -> list[Path]:
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 1, 1, 7, 30, tzinfo=dt.timezone.utc)
    folders = []
    for i in range(n):
        p = pool[i % len(pool)]
        reps = p["reps"].copy()
        reps[TIME_COLS] = (reps[TIME_COLS] * rng.uniform(0.85, 1.2)).round(3)
        if i % 10 == 9:  # two sensors
            left, right = reps.assign(side="left"), reps.assign(side="right")
            right["rom_deg"] = (right["rom_deg"] * rng.uniform(0.9, 1.0)).round(1)
            reps = pd.concat([left, right], ignore_index=True).sort_values(["set", "start_s"], kind="stable")
            reps = reps.reset_index(drop=True)
        sets = sets_table(reps)
        summary = session_summary(reps, sets, p["info"])
        summary["started_at"] = (start + dt.timedelta(hours=17 * i)).isoformat()
        d = root / f"s{i:04d}"
        d.mkdir(parents=True)
        write_csv(d / "reps.csv", reps)
        write_csv(d / "sets.csv", sets)
        shutil.copyfile(p["png"], d / "session.png")
        text = json.dumps(summary, indent=2, allow_nan=False) + "\n"
        atomic_write(d / "session.json", lambda f: f.write(text))
        folders.append(d)
    return folders


def _hour_session(work: Path) -> tuple[Path, float, int]:
    styles = ["textbook", "slow_eccentric", "brisk", "swung", "partial", "feet_rested", "fatigue"]
    sim = simulate_session(SessionSpec(exercise="lying-leg-raise", sets=[SetSpec(styles[i % 7], 12) for i in range(26)],
                                       rate_hz=100.0, seed=11))
    rec = recording_from_frame(sim.data, source="simulated one-hour session (seed 11)")
    res = reps_process(rec, "lying-leg-raise")
    d = work / "hour"
    write_session(d, res.reps, res.trace_t_s, res.trace_deg, res.info)
    return d, rec.duration_s, len(res.reps)


def _history_command(db: Path, out_csv: Path) -> float:
    import argparse as ap

    parser = ap.ArgumentParser(prog="imu")
    handlers = add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["history", "--db", str(db), "--out", str(out_csv)])
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rc = handlers["history"](args)
    dt_s = time.perf_counter() - t0
    assert rc == 0
    return dt_s


def main(argv: list[str] | None = None) -> int:
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--sessions", type=int, default=1000)
    a.add_argument("--keep", type=Path, default=None)
    args = a.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="imu-history-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        pool = _pool(work)
        folders = _make_folders(work / "sessions", args.sessions, pool)
        n_reps = sum(len(pd.read_csv(f / "reps.csv", usecols=["set"])) for f in folders[:50]) / min(50, len(folders))
        print(f"made {len(folders)} session folders (3 sets, ~{n_reps:.0f} reps each) in {time.perf_counter() - t0:.1f} s")

        db = work / "history.sqlite3"
        with HistoryStore(db) as store:
            t0 = time.perf_counter()
            rep = store.import_dirs(folders)
            t_import = time.perf_counter() - t0
            assert len(rep.added) == len(folders) and not rep.skipped, rep.skipped[:3]
            t0 = time.perf_counter()
            again = store.import_dirs(folders[:100])
            t_dup = time.perf_counter() - t0
            assert len(again.duplicates) == 100
            problems = store.check()
            n_stored = len(store.sessions())
        size_mb = db.stat().st_size / 1e6
        print(f"import {len(folders)} sessions: {t_import:.2f} s ({1000 * t_import / len(folders):.1f} ms/session; "
              f"target < 20 s) -> {n_stored} stored, db {size_mb:.1f} MB, check: {problems or 'ok'}")
        print(f"re-import 100 already stored: {t_dup:.2f} s (all duplicates)")

        t_hist = min(_history_command(db, work / "history.csv") for _ in range(3))
        with HistoryStore(db) as store:
            t0 = time.perf_counter()
            weekly = store.weekly_history()
            t_weekly = time.perf_counter() - t0
        print(f"imu history (in-process, weekly table + print + CSV): {t_hist:.3f} s (target < 1 s); "
              f"weekly_history() alone {t_weekly:.3f} s; {len(weekly)} week rows")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "analysis.commands", "history", "--db", str(db),
                               "--out", str(work / "history2.csv")], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1])
        assert proc.returncode == 0, proc.stderr
        print(f"imu history as a new process (interpreter start and imports included): "
              f"{time.perf_counter() - t0:.2f} s")

        t0 = time.perf_counter()
        hour, dur, n = _hour_session(work)
        print(f"one-hour session: {dur / 60:.1f} min, {n} reps (simulated and analysed in {time.perf_counter() - t0:.1f} s)")
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            path = write_session_report(hour, work / "hour-report.html")
            times.append(time.perf_counter() - t0)
        size = path.stat().st_size
        print(f"session report: {min(times):.2f} s (best of 3, worst {max(times):.2f} s; target < 3 s), "
              f"{size / 1e6:.2f} MB (target < 2 MB)")
        (hour / "session.png").unlink()  # the report redraws the plot from the rep table
        t0 = time.perf_counter()
        path = write_session_report(hour, work / "hour-report-noplot.html")
        print(f"session report without session.png (plot redrawn): {time.perf_counter() - t0:.2f} s, "
              f"{path.stat().st_size / 1e6:.2f} MB")
        ok = t_import < 20 and t_hist < 1 and min(times) < 3 and size < 2e6
        print("all targets met" if ok else "TARGET MISSED")
        return 0 if ok else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
