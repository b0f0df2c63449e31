"""Exports for the apps people already use: Strong / Hevy set CSVs, the per-rep tempo CSV, Parquet.

Every export works on one session folder or on the whole history store, and every file is written
atomically (:func:`analysis.export.atomic_write`). Leg lifts are bodyweight exercises: no weight.

**Strong CSV** (:data:`STRONG_COLUMNS`, one row per set; also the layout Hevy's "import from Strong"
reads). Header as written by the Strong app's "Export workout data" (comma-separated, one header row):
``Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE``.
Source: Strong's help page confirms the CSV export but does not list the columns; the header and value
formats were taken from real exports and the parsers/fixtures of public open-source importers (e.g.
``Date`` as ``2024-01-15 08:00:00`` in local time, ``Duration`` as ``1h 5m`` / ``45m``, ``Set Order``
1-based, ``Weight`` 0 and ``Distance``/``Seconds`` 0 for a bodyweight rep set, ``RPE`` empty).

**Hevy CSV** (:data:`HEVY_COLUMNS`, one row per set), the layout of Hevy's own CSV export (kg version):
``title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,set_index,set_type,
weight_kg,reps,distance_km,duration_seconds,rpe``; text fields in double quotes, times as
``15 Sep 2025, 07:48`` (local time), ``set_index`` 0-based, ``set_type`` ``normal``, empty cells for
values that do not apply. Source: public open-source Hevy-export readers and their sample files
(Hevy's help pages describe the export but do not list the columns).

**Tempo CSV** (:data:`TEMPO_COLUMNS`, one row per rep): see :data:`TEMPO_COLUMN_DOCS`.

**Parquet**: a folder with ``reps.parquet``, ``sets.parquet`` (the reps.csv / sets.csv tables, same
columns and dtypes), ``session.parquet`` (session.json flattened to one row, nested keys joined with
``.``) and ``recording.parquet`` (the session folder's raw recording, every column as recorded) when
the folder has one; for the history: ``sessions.parquet``, ``sets.parquet``, ``reps.parquet``,
``weekly.parquet`` (columns of :mod:`analysis.api`).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .export import atomic_write
from .history import HistoryStore, read_session_dir
from .tables import flag_lists

__all__ = [
    "STRONG_COLUMNS", "HEVY_COLUMNS", "TEMPO_COLUMNS", "TEMPO_COLUMN_DOCS", "FORMATS", "WORKOUT_NAME",
    "ExportSession", "sessions_from_folders", "sessions_from_store",
    "strong_frame", "hevy_frame", "tempo_frame",
    "write_strong_csv", "write_hevy_csv", "write_tempo_csv", "write_session_parquet", "write_history_parquet",
    "exercise_title",
]

STRONG_COLUMNS = ["Date", "Workout Name", "Duration", "Exercise Name", "Set Order", "Weight", "Reps",
                  "Distance", "Seconds", "Notes", "Workout Notes", "RPE"]
HEVY_COLUMNS = ["title", "start_time", "end_time", "description", "exercise_title", "superset_id",
                "exercise_notes", "set_index", "set_type", "weight_kg", "reps", "distance_km",
                "duration_seconds", "rpe"]
_HEVY_TEXT = {"title", "start_time", "end_time", "description", "exercise_title", "exercise_notes", "set_type"}

#: Columns of the per-rep tempo CSV, with unit in brackets.
TEMPO_COLUMN_DOCS: dict[str, str] = {
    "date": "[YYYY-MM-DD HH:MM] local date and time of the session",
    "exercise": "[slug] exercise preset",
    "set": "[#] set number in the session",
    "rep": "[#] rep number in the set",
    "side": "[text] left/right with two sensors, empty otherwise",
    "tempo": "[s-s-s-s] down-bottom-up-top in whole seconds, e.g. 3-0-2-1",
    "down_s": "[s] down (eccentric) phase",
    "bottom_hold_s": "[s] pause at the bottom before the next rep (empty after a set's last rep)",
    "up_s": "[s] up (concentric) phase",
    "top_hold_s": "[s] pause at the top",
    "tut_s": "[s] time under tension",
    "rom_deg": "[deg] range of motion",
    "flags": "[codes] form flags joined with ';' (see imu.rep.FLAG_DESCRIPTIONS)",
}
TEMPO_COLUMNS = list(TEMPO_COLUMN_DOCS)

FORMATS = ("strong", "hevy", "tempo", "parquet")
WORKOUT_NAME = "Leg lifts"


def exercise_title(slug: str) -> str:
    """The exercise name other apps use, from a preset slug: ``lying-leg-raise`` -> ``Lying Leg Raise``."""
    return " ".join(w.capitalize() for w in str(slug or "").split("-")) or "Leg Raise"


@dataclass
class ExportSession:
    """What the exports need of one session."""

    started_at: dt.datetime  #: time zone aware; written in the session's own local time
    exercise: str  #: preset slug
    duration_s: float | None  #: recording duration
    sets: pd.DataFrame  #: sets.csv table
    reps: pd.DataFrame  #: reps.csv table


def sessions_from_folders(folders: Iterable[str | Path]) -> list[ExportSession]:
    """Read session folders (raises :class:`analysis.history.NotASession`)."""
    out = []
    for folder in folders:
        f = read_session_dir(folder)
        ex = f.summary.get("exercise")
        rec = f.summary.get("recording") if isinstance(f.summary.get("recording"), dict) else {}
        out.append(ExportSession(f.started_at, str((ex.get("preset") if isinstance(ex, dict) else ex) or ""),
                                 rec.get("duration_s"), f.sets, f.reps))
    return out


def sessions_from_store(store: HistoryStore, exercise: str | None = None, since=None) -> list[ExportSession]:
    """Every stored session (optionally one exercise / from a date on), oldest first."""
    sess = store.sessions(exercise=exercise, since=since)
    sets = store.sets(exercise=exercise, since=since)
    reps = store.reps(exercise=exercise, since=since)
    sg, rg = dict(list(sets.groupby("session_id"))), dict(list(reps.groupby("session_id")))
    out = []
    for row in sess.itertuples(index=False):
        drop = ["session_id", "started_at", "exercise"]
        s = sg.get(row.session_id, sets.iloc[0:0]).drop(columns=drop).reset_index(drop=True)
        r = rg.get(row.session_id, reps.iloc[0:0]).drop(columns=drop).reset_index(drop=True)
        dur = row.duration_s if math.isfinite(row.duration_s) else None
        out.append(ExportSession(dt.datetime.fromisoformat(row.started_at), row.exercise, dur, s, r))
    return out


# --------------------------------------------------------------------------- frames

def _duration_s(s: ExportSession) -> float:
    if s.duration_s is not None and math.isfinite(float(s.duration_s)):
        return float(s.duration_s)
    if len(s.sets):
        return float(s.sets["end_s"].max() - s.sets["start_s"].min())
    return 0.0


def _strong_duration(seconds: float) -> str:
    m = max(1, int(round(seconds / 60.0))) if seconds > 0 else 0
    h, m = divmod(m, 60)
    return f"{h}h {m}m" if h else f"{m}m"


def _set_notes(row) -> str:
    bits = [f"tempo {row.median_tempo}" if row.median_tempo else "",
            f"TUT {row.tut_s:.1f} s" if math.isfinite(row.tut_s) else "",
            f"median ROM {row.median_rom_deg:.0f} deg" if math.isfinite(row.median_rom_deg) else ""]
    counts = [f"{int(getattr(row, c + '_reps'))} {c.replace('_', ' ')}"
              for c in ("momentum", "partial", "rushed", "feet_rested") if int(getattr(row, c + "_reps"))]
    if counts:
        bits.append("flagged: " + ", ".join(counts))
    if row.side:
        bits.append(f"side {row.side.replace(';', '+')}")
    return "; ".join(b for b in bits if b)


def _workout_notes(s: ExportSession) -> str:
    n = len(s.reps)
    flagged = sum(1 for f in flag_lists(s.reps["flags"]) if f) if n else 0
    return f"imu-reps: {n} reps in {len(s.sets)} sets, {flagged} flagged"


def strong_frame(sessions: Iterable[ExportSession]) -> pd.DataFrame:
    """One row per set in Strong's CSV layout (:data:`STRONG_COLUMNS`)."""
    rows = []
    for s in sessions:
        date = s.started_at.strftime("%Y-%m-%d %H:%M:%S")
        dur, notes = _strong_duration(_duration_s(s)), _workout_notes(s)
        for order, row in enumerate(s.sets.itertuples(index=False), start=1):
            rows.append([date, WORKOUT_NAME, dur, exercise_title(s.exercise), order, 0, int(row.reps),
                         0, 0, _set_notes(row), notes, None])
    return pd.DataFrame(rows, columns=STRONG_COLUMNS)


def _hevy_time(t: dt.datetime) -> str:
    return f"{t.day} {t:%b %Y, %H:%M}"


def hevy_frame(sessions: Iterable[ExportSession]) -> pd.DataFrame:
    """One row per set in Hevy's export layout (:data:`HEVY_COLUMNS`)."""
    rows = []
    for s in sessions:
        start = s.started_at
        end = start + dt.timedelta(seconds=_duration_s(s))
        notes = _workout_notes(s)
        ex_notes = "; ".join(f"set {int(r.set)}: {_set_notes(r)}" for r in s.sets.itertuples(index=False))
        for idx, row in enumerate(s.sets.itertuples(index=False)):
            rows.append([WORKOUT_NAME, _hevy_time(start), _hevy_time(end), notes, exercise_title(s.exercise),
                         None, ex_notes, idx, "normal", None, int(row.reps), None, None, None])
    return pd.DataFrame(rows, columns=HEVY_COLUMNS)


def tempo_frame(sessions: Iterable[ExportSession]) -> pd.DataFrame:
    """One row per rep (:data:`TEMPO_COLUMNS`)."""
    parts = []
    for s in sessions:
        r = s.reps
        parts.append(pd.DataFrame({
            "date": [s.started_at.strftime("%Y-%m-%d %H:%M")] * len(r), "exercise": [s.exercise] * len(r),
            **{c: r[c].to_numpy() for c in TEMPO_COLUMNS if c not in ("date", "exercise")},
        }, columns=TEMPO_COLUMNS))
    if not parts:
        return pd.DataFrame({c: [] for c in TEMPO_COLUMNS})
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- writers

def _write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda f: f.write(text))


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def write_strong_csv(sessions: Iterable[ExportSession], path: str | Path) -> Path:
    """Write :func:`strong_frame` as CSV (comma-separated, text quoted only when needed, UTF-8)."""
    df = strong_frame(sessions)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(STRONG_COLUMNS)
    for row in df.itertuples(index=False):
        w.writerow([_cell(v) for v in row])
    return _write_text(path, buf.getvalue())


def write_hevy_csv(sessions: Iterable[ExportSession], path: str | Path) -> Path:
    """Write :func:`hevy_frame` as CSV the way Hevy does: header and text cells in double quotes."""
    df = hevy_frame(sessions)

    def q(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    lines = [",".join(q(c) for c in HEVY_COLUMNS)]
    for row in df.itertuples(index=False):
        lines.append(",".join(q(_cell(v)) if c in _HEVY_TEXT else _cell(v) for c, v in zip(HEVY_COLUMNS, row)))
    return _write_text(path, "\n".join(lines) + "\n")


def write_tempo_csv(sessions: Iterable[ExportSession], path: str | Path) -> Path:
    """Write :func:`tempo_frame` as a plain CSV (empty cell for a missing value)."""
    df = tempo_frame(sessions)
    return _write_text(path, df.to_csv(index=False, lineterminator="\n", na_rep=""))


def _write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda f: df.to_parquet(f, index=False, engine="pyarrow"), binary=True)


def _raw_recording_frame(path: Path) -> pd.DataFrame:
    """The raw recording as recorded (all columns); via the recording reader when pandas cannot parse it."""
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
        return pd.read_csv(path, compression="gzip" if name.endswith(".gz") else None)
    except (ValueError, pd.errors.ParserError):
        from imu.recording import read_recording  # cleans a cut-off last line and similar damage
        return read_recording(path).to_frame()


def write_session_parquet(folder: str | Path, out_dir: str | Path) -> dict[str, Path]:
    """Write a session's tables (and its raw recording, if the folder has one) as Parquet into ``out_dir``."""
    f = read_session_dir(folder)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"reps": _write_parquet(f.reps, out / "reps.parquet"),
             "sets": _write_parquet(f.sets, out / "sets.parquet")}
    summary = pd.json_normalize(f.summary, sep=".")
    summary = summary.assign(started_at=f.started_at.isoformat(), date_source=f.date_source)
    for c in summary.columns:  # lists/dicts (e.g. gaps, sets) as JSON text: Parquet needs one type per column
        if summary[c].map(lambda v: isinstance(v, (list, dict))).any():
            summary[c] = summary[c].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    paths["session"] = _write_parquet(summary, out / "session.parquet")
    if f.recording is not None:
        paths["recording"] = _write_parquet(_raw_recording_frame(f.recording), out / "recording.parquet")
    return paths


def write_history_parquet(store: HistoryStore, out_dir: str | Path, exercise: str | None = None,
                          since=None) -> dict[str, Path]:
    """Write the history's sessions, sets, reps and weekly tables as Parquet into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "sessions": _write_parquet(store.sessions(exercise, since), out / "sessions.parquet"),
        "sets": _write_parquet(store.sets(exercise, since), out / "sets.parquet"),
        "reps": _write_parquet(store.reps(exercise, since), out / "reps.parquet"),
        "weekly": _write_parquet(store.weekly_history(exercise, since), out / "weekly.parquet"),
    }
