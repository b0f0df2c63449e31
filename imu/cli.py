"""The ``imu`` command line.

- ``imu analyze RECORDING --out DIR [--exercise SLUG]``: count, time and flag the reps of a recording.
- ``imu simulate OUT.csv [--exercise SLUG] [--style STYLE ...]``: write a simulated recording with truth.
- ``imu demo [--out DIR]``: simulate a session and analyse it.
- ``imu scan | live | record``: BLE sensors, live counting (``imu live --sim`` runs the simulated sensor);
  see :mod:`imu.live_commands`.
- ``imu import | history | report | export``: the training history (see :mod:`analysis.commands`).

Exit codes: 0 done, 2 bad input (unreadable recording, unknown exercise, bad option).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from pathlib import Path

from imu.presets import PRESETS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="imu", description="Wearable IMU rep counter for leg lifts and leg raises.")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="count, time and flag the reps of a recording (CSV or Parquet)")
    a.add_argument("recording", type=Path)
    a.add_argument("--out", type=Path, required=True, help="folder for reps.csv, sets.csv, session.json, session.png")
    a.add_argument("--exercise", default="auto", choices=list(PRESETS), metavar="SLUG",
                   help="exercise preset: " + ", ".join(PRESETS) + " (default: auto)")
    a.add_argument("--acc-unit", default="g", choices=["g", "m/s2"])
    a.add_argument("--gyro-unit", default="dps", choices=["dps", "rad/s"])
    _history_options(a)

    s = sub.add_parser("simulate", help="write a simulated leg-lift recording and its truth file")
    s.add_argument("out", type=Path, help="recording file (.csv or .parquet); truth goes beside it")
    _sim_options(s)

    d = sub.add_parser("demo", help="simulate a session on the built-in sensor model and analyse it")
    d.add_argument("--out", type=Path, default=Path("demo-session"))
    _sim_options(d)
    _history_options(d)
    return p


def _history_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="history database (default: in the user's data folder)")
    p.add_argument("--no-history", action="store_true", help="leave the training history alone: neither weigh the usual full range from it (partial flag) nor add the session")


def _sim_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--exercise", default="lying-leg-raise", choices=[k for k in PRESETS if k != "auto"], metavar="SLUG")
    p.add_argument("--style", action="append", help="one per set: textbook, slow_eccentric, brisk, swung, partial, feet_rested, fatigue")
    p.add_argument("--reps", type=int, default=12)
    p.add_argument("--rate", type=float, default=100.0, help="sample rate, Hz")
    p.add_argument("--no-gyro", action="store_true")
    p.add_argument("--seed", type=int, default=1)


#: Commands that run once over a whole recording: Python's cyclic garbage collector is paused while they
#: run (see :func:`_collector_paused`)
ONE_SHOT_COMMANDS = ("analyze", "simulate", "demo")


@contextlib.contextmanager
def _collector_paused(pause: bool):
    """Pauses the cyclic garbage collector (when ``pause`` and it is on), and turns it on again after.

    Loading pandas, SciPy, matplotlib and the engine creates some 150,000 long-lived objects, and the
    collector, triggered every 700 new ones, scanned them over and over: ~0.1 s of CPU in ``imu analyze``
    of an hour after numpy and pandas were loaded, ~0.35 s from a cold start (of ~3 s), none of it finding
    garbage worth the scan (the run leaves ~8,000 objects in cycles, its figure's among them: collected
    afterwards; peak memory the same, 317 MB). Reference counting frees everything else as before.
    """
    if not (pause and gc.isenabled()):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    with _collector_paused(bool(argv) and argv[0] in ONE_SHOT_COMMANDS):
        return _main(argv)


def _main(argv: list[str]) -> int:
    parser = _parser()
    sub = parser._subparsers._group_actions[0]
    handlers = {"analyze": _analyze, "simulate": _simulate, "demo": _demo}
    if not (argv and argv[0] in handlers):
        # The other commands' parsers (and, for help or a wrong command, all of them) only when asked for:
        # they import the sensor profiles and the history's commands, which analyze, simulate and demo
        # do not need (~25 ms of a cold start)
        from analysis.commands import add_commands
        from imu.live_commands import add_commands as add_live_commands

        handlers.update(add_live_commands(sub))
        _history_options(sub.choices["live"])
        handlers["live"] = _adding_to_history(handlers["live"])
        handlers.update(add_commands(sub))
    args = parser.parse_args(argv)
    _simulated_leaves_history(args)
    try:
        return handlers[args.command](args)
    except _BadInput as e:
        print(f"imu: error: {e}", file=sys.stderr)
        return 2


def _simulated_leaves_history(args) -> None:
    """A simulated session (``imu demo``, ``imu live --sim``) is not the person's training: it leaves the
    user's history alone (neither its usual range nor its sessions) unless ``--db`` names a history."""
    simulated = args.command == "demo" or getattr(args, "sim", False)
    if simulated and hasattr(args, "no_history") and not args.no_history and args.db is None:
        args.no_history = True
        print("(a simulated session: your training history is left alone; --db names one to use)")


def _adding_to_history(live):
    """``imu live`` and then, when it wrote a session, the session into the training history."""
    def run(args) -> int:
        from analysis.history import add_to_history

        if args.out is None:  # name the folder here so the history knows where it is
            args.out = Path(time.strftime("live-%Y%m%d-%H%M%S"))
        code = live(args)
        if code == 0 and not args.no_history and (args.out / "session.json").exists():
            message = add_to_history(args.out, args.db)
            if message:
                print(message)
        return code
    return run


class _BadInput(Exception):
    pass


def _analyze(args) -> int:
    from imu.recording import RecordingError, read_recording

    try:
        rec = read_recording(args.recording, acc_unit=args.acc_unit, gyro_unit=args.gyro_unit)
    except RecordingError as e:
        raise _BadInput(str(e)) from None
    _report(rec, args.exercise, args.out, args)
    return 0


def _report(rec, exercise: str, out: Path, args) -> None:
    from analysis.export import write_session
    from imu.process import reps_process

    usual = {}
    if not args.no_history:
        from analysis.usual_range import usual_full_rom_by_side

        usual = usual_full_rom_by_side(args.db, [""], exclude_dir=out).get("", {})
    result = reps_process(rec, exercise, usual_full_rom_deg=usual)
    paths = write_session(out, result.reps, result.trace_t_s, result.trace_deg, result.info)
    sets = sorted({r.set for r in result.reps})
    flagged = sum(1 for r in result.reps if r.flags)
    print(f"{len(result.reps)} reps in {len(sets)} sets ({result.info['exercise']}), {flagged} flagged")
    for s in sets:
        reps = [r for r in result.reps if r.set == s]
        tempos = " ".join(r.tempo or "?" for r in reps)  # ?: a rep inferred across a data gap
        print(f"  set {s}: {len(reps)} reps  tempo {tempos}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    if not args.no_history:
        from analysis.history import add_to_history  # (sqlite3 and the history's tables: not needed otherwise)

        message = add_to_history(out, args.db)
        if message:
            print(message)


def _sim_spec(args):
    from imu.sim import SessionSpec, SetSpec

    styles = args.style or ["textbook", "swung", "partial"]
    return SessionSpec(exercise=args.exercise, sets=[SetSpec(style=s, reps=args.reps) for s in styles],
                       rate_hz=args.rate, gyro=not args.no_gyro, seed=args.seed)


def _simulate(args) -> int:
    from imu.sim import write_sim_recording

    try:
        write_sim_recording(args.out, _sim_spec(args))
    except ValueError as e:
        raise _BadInput(str(e)) from None
    print(f"wrote {args.out}")
    return 0


def _demo(args) -> int:
    from imu.recording import recording_from_frame
    from imu.sim import simulate_session

    sim = simulate_session(_sim_spec(args))
    rec = recording_from_frame(sim.data, source=f"simulated {args.exercise} (seed {args.seed})")
    truth = len(sim.reps)
    print(f"simulated {len(sim.sets)} sets of {args.exercise}, {truth} reps, {rec.duration_s:.0f} s at {args.rate:g} Hz")
    _report(rec, args.exercise, args.out, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
