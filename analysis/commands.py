"""The history commands of ``imu``: ``import``, ``history``, ``report``, ``export``.

- ``imu import DIR... [--db PATH]``: add session folders to the history store. Folders already stored
  are left alone; a folder that is not a session is reported (folder and problem) and skipped.
- ``imu history [--exercise SLUG] [--since YYYY-MM-DD] [--out history.csv] [--db PATH]``: the weekly
  table per exercise, printed and written as CSV (columns: :data:`analysis.history.WEEKLY_COLUMN_DOCS`).
- ``imu report SESSION [--out FILE]``: a self-contained HTML report of a session folder (default
  ``SESSION/report.html``); ``imu report --history [--exercise SLUG] [--since DATE] [--out FILE]
  [--db PATH]``: the trends report (default ``history-report.html``).
- ``imu export SESSION --format strong|hevy|tempo|parquet --out PATH``: a session for other apps
  (CSV file; for ``parquet`` PATH is a folder); ``imu export --history --format ... --out PATH
  [--exercise SLUG] [--since DATE] [--db PATH]``: the same for every stored session.

Exit codes: 0 done; 2 bad input (a folder that is not a session, an unreadable or newer database, a
bad date or option, a file that cannot be written), with a message naming the folder/file and the
problem. Nothing already stored is ever removed by a failure: each session is its own transaction.

Wiring (``imu/cli.py``)::

    from analysis.commands import add_commands
    handlers = add_commands(sub)            # after the other sub-parsers
    ... handlers[args.command](args)        # returns the exit code

and, to add every analysed session to the history, after ``write_session`` in ``imu analyze`` /
``imu demo`` / a live session: ``print(analysis.history.add_to_history(out_dir))`` (never raises;
set ``IMU_NO_HISTORY=1`` to switch it off, e.g. in tests). ``python -m analysis.commands ...`` runs
these commands on their own.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used: the parsers (``imu --help``) do not need it
    import pandas as pd

__all__ = ["add_commands", "history_display", "main"]

Handler = Callable[[argparse.Namespace], int]


class _Bad(Exception):
    """Bad input: the message names the file/folder and the problem."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, metavar="PATH",
                   help="history database (default: $IMU_HOME/history.sqlite3, else "
                        "$XDG_DATA_HOME/imu-reps/history.sqlite3, else ~/.local/share/imu-reps/history.sqlite3)")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--exercise", metavar="SLUG", help="only this exercise preset, e.g. lying-leg-raise")
    p.add_argument("--since", type=_date, metavar="DATE", help="only sessions on or after DATE (YYYY-MM-DD)")


def add_commands(subparsers) -> dict[str, Handler]:
    """Register ``import``, ``history``, ``report`` and ``export`` on ``subparsers``; returns name -> handler."""
    p = subparsers.add_parser("import", help="add analysed session folders to the training history")
    p.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="session folders (written by imu analyze)")
    _db_option(p)

    p = subparsers.add_parser("history", help="weekly training history per exercise (table and CSV)")
    _filters(p)
    p.add_argument("--out", type=Path, default=Path("history.csv"), metavar="CSV",
                   help="CSV file for the table (default: history.csv)")
    _db_option(p)

    p = subparsers.add_parser("report", help="self-contained HTML report of a session or of the history")
    p.add_argument("session", nargs="?", type=Path, metavar="SESSION", help="session folder")
    p.add_argument("--history", action="store_true", help="report the trends of the history instead")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="HTML file (default: SESSION/report.html, or history-report.html with --history)")
    _filters(p)
    _db_option(p)

    p = subparsers.add_parser("export", help="export a session or the history for Strong, Hevy, spreadsheets, Parquet")
    p.add_argument("session", nargs="?", type=Path, metavar="SESSION", help="session folder")
    p.add_argument("--history", action="store_true", help="export every stored session instead")
    p.add_argument("--format", required=True, choices=["strong", "hevy", "tempo", "parquet"],
                   help="strong: Strong CSV (also imports into Hevy); hevy: Hevy's CSV export layout; "
                        "tempo: per-rep tempo CSV; parquet: a folder of Parquet tables (+ raw recording)")
    p.add_argument("--out", type=Path, required=True, metavar="PATH", help="output file (a folder for parquet)")
    _filters(p)
    _db_option(p)

    return {name: _guard(fn) for name, fn in
            (("import", _import), ("history", _history), ("report", _report), ("export", _export))}


def _guard(fn: Callable[[argparse.Namespace], int]) -> Handler:
    def run(args: argparse.Namespace) -> int:
        from .history import NotASession  # here, not at registration: `imu analyze` does not need the history

        try:
            return fn(args)
        except (_Bad, NotASession) as e:
            print(f"imu {args.command}: error: {e}", file=sys.stderr)
        except ValueError as e:  # database that is not ours / newer schema, bad since
            print(f"imu {args.command}: error: {e}", file=sys.stderr)
        except sqlite3.Error as e:  # e.g. the database stayed locked by another process, disk full
            db = getattr(args, "db", None) or "history database"
            print(f"imu {args.command}: error: {db}: {e} (nothing half-written was kept)", file=sys.stderr)
        except OSError as e:
            where = e.filename or ""
            print(f"imu {args.command}: error: {where}{': ' if where else ''}{e.strerror or e}", file=sys.stderr)
        return 2

    run.__doc__ = fn.__doc__
    return run


def _store(args):
    from .history import HistoryStore

    return HistoryStore(args.db)


# --------------------------------------------------------------------------- handlers

def _import(args) -> int:
    """imu import DIR...: add session folders; 2 when any folder was skipped (the others are stored)."""
    with _store(args) as store:
        report = store.import_dirs(args.dirs)
    for res in report.added:
        verb = "replaced (re-analysed)" if res.status == "replaced" else "added"
        print(f"{verb}: {res.folder} ({res.started_at[:16].replace('T', ' ')})")
    for res in report.duplicates:
        print(f"already stored: {res.folder}")
    for folder, problem in report.skipped:
        print(f"imu import: skipped {folder}: {problem}", file=sys.stderr)
    print(f"{len(report.added)} added, {len(report.duplicates)} already stored, "
          f"{len(report.skipped)} skipped -> {store.path}")
    return 0 if report.ok else 2


def history_display(weekly: pd.DataFrame) -> pd.DataFrame:
    """The weekly table formatted for reading (strings, units in the headers)."""
    import pandas as pd

    def num(s, nd=1, scale=1.0):
        return s.map(lambda v: "" if pd.isna(v) else f"{v * scale:.{nd}f}")

    out = pd.DataFrame({
        "week": weekly["iso_week"], "exercise": weekly["exercise"], "sessions": weekly["sessions"],
        "sets": weekly["sets"], "reps": weekly["reps"], "TUT min": num(weekly["tut_s"], 1, 1 / 60),
        "tempo": weekly["median_tempo"], "down s": num(weekly["median_down_s"]),
        "momentum %": num(weekly["momentum_share"], 0, 100), "partial %": num(weekly["partial_share"], 0, 100),
        "ROM deg": num(weekly["median_rom_deg"], 0),
    })
    if weekly["lr_reps_diff"].notna().any():
        out["L-R reps"] = num(weekly["lr_reps_diff"], 0)
        out["L-R ROM deg"] = num(weekly["lr_rom_diff_deg"], 1)
    return out


def _history(args) -> int:
    """imu history: print the weekly table and write it as CSV."""
    import pandas as pd

    from .history import write_weekly_csv

    with _store(args) as store:
        weekly = store.weekly_history(exercise=args.exercise, since=args.since)
        path = store.path
    if weekly.empty:
        what = " for " + args.exercise if args.exercise else ""
        print(f"no sessions stored{what}{' since ' + str(args.since) if args.since else ''} in {path}")
    else:
        with pd.option_context("display.width", 200, "display.max_rows", 500, "display.max_columns", 50):
            print(history_display(weekly).to_string(index=False))
    write_weekly_csv(args.out, weekly)
    print(f"wrote {args.out}")
    return 0


def _one_source(args) -> None:
    if args.history and args.session is not None:
        raise _Bad("give either a SESSION folder or --history, not both")
    if not args.history and args.session is None:
        raise _Bad("give a SESSION folder, or --history")


def _report(args) -> int:
    """imu report SESSION | --history: write a self-contained HTML report."""
    from .report import REPORT_FILE_NAME, write_history_report, write_session_report

    _one_source(args)
    if args.history:
        with _store(args) as store:
            path = write_history_report(store, args.out or Path("history-report.html"),
                                        exercise=args.exercise, since=args.since)
    else:
        path = write_session_report(args.session, args.out or args.session / REPORT_FILE_NAME)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


def _export(args) -> int:
    """imu export SESSION | --history --format F --out PATH."""
    from . import exports

    _one_source(args)
    if args.format == "parquet":
        if args.out.exists() and not args.out.is_dir():
            raise _Bad(f"{args.out}: --out must be a folder for --format parquet")
        if args.history:
            with _store(args) as store:
                paths = exports.write_history_parquet(store, args.out, exercise=args.exercise, since=args.since)
        else:
            paths = exports.write_session_parquet(args.session, args.out)
        print("wrote " + ", ".join(str(p) for p in paths.values()))
        return 0
    if args.out.is_dir():
        raise _Bad(f"{args.out}: is a folder; --out must be a file for --format {args.format}")
    if args.history:
        with _store(args) as store:
            sessions = exports.sessions_from_store(store, exercise=args.exercise, since=args.since)
    else:
        sessions = exports.sessions_from_folders([args.session])
    writer = {"strong": exports.write_strong_csv, "hevy": exports.write_hevy_csv,
              "tempo": exports.write_tempo_csv}[args.format]
    path = writer(sessions, args.out)
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run these commands on their own: ``python -m analysis.commands history ...`` (same as ``imu history``)."""
    parser = argparse.ArgumentParser(prog="imu")
    handlers = add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
