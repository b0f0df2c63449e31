"""The training history: every analysed session in one embedded SQLite database, and its weekly trends.

Where the database lives (:func:`default_db_path`), first match wins:

1. ``$IMU_HOME/history.sqlite3`` when ``IMU_HOME`` is set (a folder);
2. ``$XDG_DATA_HOME/imu-reps/history.sqlite3`` when ``XDG_DATA_HOME`` is set;
3. ``~/.local/share/imu-reps/history.sqlite3``.

Every command and function also takes an explicit path (``--db PATH`` on the command line).

Storage (standard library :mod:`sqlite3`, WAL journal, ``synchronous=FULL``, foreign keys on):

- ``meta(key, value)``: ``schema_version`` (:data:`SCHEMA_VERSION`, also in ``PRAGMA user_version``);
- ``sessions``: one row per session (columns in :data:`SESSION_COLUMN_DOCS`), plus the whole
  ``session.json`` as text (``summary_json``);
- ``sets`` / ``reps``: the rows of ``sets.csv`` / ``reps.csv`` (columns and units exactly as
  :data:`analysis.tables.COLUMN_DOCS`), keyed by ``(session_id, row)`` where ``row`` is the row's
  0-based position in the file, so a session's tables come back in their original order.

A session is written in **one transaction** (``BEGIN IMMEDIATE`` ... ``COMMIT``): a crash or an
error half-way leaves the database exactly as it was before (SQLite rolls the open transaction
back on the next open), never half a session.

**Identity.** A session folder's identity (``session_key``) is the SHA-256 of its ``session.json``
bytes followed by its ``reps.csv`` bytes. Adding a folder whose key is already stored does nothing
(``duplicate``), wherever the folder is now. Adding a folder that was already imported from the same
place and for the same recording but whose content changed (it was analysed again, e.g. with another
exercise preset) replaces that session (``replaced``), so a re-analysis is not counted twice.

**Date.** A session's date and time (``started_at``) is, in this order:

1. ``started_at`` in ``session.json`` (top level, or ``recording.started_at``), ISO 8601; a time
   without a UTC offset is taken as local time of the importing machine;
2. else the modification time of the raw recording in the folder (``recording.csv``,
   ``recording.csv.gz`` or ``recording.parquet``): the recording is written when the session ends;
3. else the modification time of the folder itself (the older of the folder's and its
   ``session.json``'s, so that writing a report into the folder later does not move the date).

``date_source`` records which one was used. Weeks are ISO weeks (Monday to Sunday) of the session's
local calendar date (``local_date``: the date in the time zone/offset of ``started_at``).

A folder is a session when it holds a readable ``session.json`` (a JSON object) and a readable
``reps.csv`` with at least the columns ``set``, ``rep``, ``start_s``, ``end_s`` (``sets.csv`` is
recomputed from ``reps.csv`` when missing). Anything else raises :class:`NotASession`, which names the
folder and the problem.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .tables import (
    REPS_COLUMNS,
    SETS_COLUMNS,
    read_reps_csv,
    read_sets_csv,
    reps_table,
    sets_table,
    tempo_string,
)

__all__ = [
    "SCHEMA_VERSION",
    "DB_FILE_NAME",
    "RECORDING_FILES",
    "SESSION_COLUMN_DOCS",
    "WEEKLY_COLUMNS",
    "WEEKLY_COLUMN_DOCS",
    "NotASession",
    "AddResult",
    "ImportReport",
    "SessionFiles",
    "HistoryStore",
    "default_db_path",
    "add_to_history",
    "history_disabled",
    "read_session_dir",
    "session_key",
    "weekly_table",
    "write_weekly_csv",
]

SCHEMA_VERSION = 2
DB_FILE_NAME = "history.sqlite3"
#: Raw recording file names looked for in a session folder (first found wins).
RECORDING_FILES = ("recording.parquet", "recording.csv", "recording.csv.gz")
_REQUIRED_REP_COLUMNS = ("set", "rep", "start_s", "end_s")

#: Columns of :meth:`HistoryStore.sessions` (unit in brackets).
SESSION_COLUMN_DOCS: dict[str, str] = {
    "session_id": "[#] the store's number for the session (never reused)",
    "session_key": "[text] SHA-256 of session.json + reps.csv: the session's identity",
    "started_at": "[ISO 8601 with UTC offset] when the session took place (see date_source)",
    "local_date": "[YYYY-MM-DD] calendar date of started_at in its own time zone",
    "date_source": "[text] where started_at came from: started_at, recording_mtime, folder_mtime or given",
    "exercise": "[slug] exercise preset, e.g. lying-leg-raise ('' when unknown)",
    "auto_detected": "[true/false, <NA> unknown] the exercise was detected automatically",
    "source_dir": "[path] the session folder it was imported from ('' when added from tables)",
    "source_file": "[text] the analysed recording as named in session.json",
    "duration_s": "[s] recording duration",
    "sample_rate_hz": "[Hz] recording sample rate",
    "has_gyro": "[true/false, <NA> unknown] the recording had gyroscope data",
    "sets": "[count] sets in the session",
    "reps": "[count] reps in the session",
    "tut_s": "[s] total time under tension (sum of the reps' tut_s)",
    "momentum_reps": "[count] reps flagged momentum",
    "partial_reps": "[count] reps flagged partial",
    "flagged_reps": "[count] reps with at least one flag",
    "sides": "[text] sensor sides seen in reps.csv, ';'-joined (e.g. left;right); '' with one sensor",
    "imported_at": "[ISO 8601, UTC] when the session was added to the store",
}

# The reps/sets columns stored by the current schema version (a change of analysis.tables must come
# with a step in _MIGRATIONS; tests/test_history.py checks they still match).
_STORED_REPS = list(REPS_COLUMNS)
_STORED_SETS = list(SETS_COLUMNS)
_REPS_DTYPES = reps_table([]).dtypes
_SETS_DTYPES = sets_table(None).dtypes

_SESSION_SQL = [
    ("session_id", "INTEGER PRIMARY KEY AUTOINCREMENT"),
    ("session_key", "TEXT NOT NULL UNIQUE"),
    ("started_at", "TEXT NOT NULL"),
    ("local_date", "TEXT NOT NULL"),
    ("date_source", "TEXT NOT NULL"),
    ("exercise", "TEXT NOT NULL"),
    ("auto_detected", "INTEGER"),
    ("source_dir", "TEXT NOT NULL"),
    ("source_file", "TEXT"),
    ("duration_s", "REAL"),
    ("sample_rate_hz", "REAL"),
    ("has_gyro", "INTEGER"),
    ("sets", "INTEGER NOT NULL"),
    ("reps", "INTEGER NOT NULL"),
    ("tut_s", "REAL NOT NULL"),
    ("momentum_reps", "INTEGER NOT NULL"),
    ("partial_reps", "INTEGER NOT NULL"),
    ("flagged_reps", "INTEGER NOT NULL"),
    ("sides", "TEXT NOT NULL"),
    ("imported_at", "TEXT NOT NULL"),
    ("summary_json", "TEXT NOT NULL"),
]
SESSION_COLUMNS = [c for c, _ in _SESSION_SQL if c != "summary_json"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_type(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return "INTEGER"
    if pd.api.types.is_float_dtype(dtype):
        return "REAL"
    return "TEXT"


def _table_ddl(name: str, columns: list[str], dtypes: pd.Series) -> str:
    cols = ",\n  ".join(f"{_q(c)} {_sql_type(dtypes[c])}" for c in columns)
    return (f"CREATE TABLE IF NOT EXISTS {name} (\n  session_id INTEGER NOT NULL "
            f"REFERENCES sessions(session_id) ON DELETE CASCADE,\n  row INTEGER NOT NULL,\n  {cols},\n"
            f"  PRIMARY KEY (session_id, row)\n) WITHOUT ROWID")


_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (\n  " + ",\n  ".join(f"{c} {t}" for c, t in _SESSION_SQL) + "\n)",
    "CREATE INDEX IF NOT EXISTS sessions_by_date ON sessions(local_date, exercise)",
    "CREATE INDEX IF NOT EXISTS sessions_by_dir ON sessions(source_dir)",
    _table_ddl("sets", _STORED_SETS, _SETS_DTYPES),
    _table_ddl("reps", _STORED_REPS, _REPS_DTYPES),
]

#: From schema version k to k + 1: the statements that bring a store written by an older program up to
#: date (its rows stay; a column added later is empty in them).
_MIGRATIONS: dict[int, list[str]] = {
    1: ["ALTER TABLE reps ADD COLUMN peak_accel_g REAL"],  # how hard the leg was thrown (g)
}


# --------------------------------------------------------------------------- reading a folder

class NotASession(ValueError):
    """A folder that cannot be imported: ``folder`` and ``problem`` (the message names both)."""

    def __init__(self, folder: str | Path, problem: str):
        self.folder = Path(folder)
        self.problem = problem
        super().__init__(f"{folder}: {problem}")


@dataclass
class SessionFiles:
    """What :func:`read_session_dir` read from a session folder."""

    folder: Path
    reps: pd.DataFrame  #: the reps.csv frame (:func:`analysis.tables.read_reps_csv`), all columns
    sets: pd.DataFrame  #: the sets.csv frame (recomputed from reps when the file is missing)
    summary: dict  #: session.json
    key: str  #: session identity: SHA-256 hex of session.json + reps.csv
    started_at: dt.datetime  #: time zone aware
    date_source: str  #: started_at, recording_mtime or folder_mtime
    recording: Path | None  #: the raw recording file in the folder, if any


def default_db_path() -> Path:
    """The history database path (see the module docstring)."""
    if os.environ.get("IMU_HOME"):
        return Path(os.environ["IMU_HOME"]).expanduser() / DB_FILE_NAME
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]).expanduser() / "imu-reps" / DB_FILE_NAME
    return Path.home() / ".local" / "share" / "imu-reps" / DB_FILE_NAME


def session_key(session_json: bytes, reps_csv: bytes) -> str:
    """The identity of a session folder: SHA-256 (hex) of session.json's bytes then reps.csv's."""
    h = hashlib.sha256()
    h.update(b"session.json\0")
    h.update(session_json)
    h.update(b"\0reps.csv\0")
    h.update(reps_csv)
    return h.hexdigest()


def _parse_time(value, folder: Path) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise NotASession(folder, f"session.json: started_at {value!r} is not an ISO 8601 date/time") from None
    return t.astimezone() if t.tzinfo is None else t


def _session_date(folder: Path, summary: dict) -> tuple[dt.datetime, str, Path | None]:
    recording = next((folder / n for n in RECORDING_FILES if (folder / n).is_file()), None)
    rec_block = summary.get("recording") if isinstance(summary.get("recording"), dict) else {}
    started = summary.get("started_at") or rec_block.get("started_at")
    if started:
        return _parse_time(started, folder), "started_at", recording
    if recording is not None:
        return dt.datetime.fromtimestamp(recording.stat().st_mtime).astimezone(), "recording_mtime", recording
    # the older of the folder's and its session.json's times: writing e.g. report.html into the
    # folder later touches the folder's time and must not move the session's date
    mtime = min(folder.stat().st_mtime, (folder / "session.json").stat().st_mtime)
    return dt.datetime.fromtimestamp(mtime).astimezone(), "folder_mtime", recording


def _complete(df: pd.DataFrame, columns: list[str], dtypes: pd.Series) -> pd.DataFrame:
    """``df`` with exactly ``columns`` in order and the tables' dtypes (missing: NaN / '' / False)."""
    if list(df.columns) == columns and all(df[c].dtype == dtypes[c] for c in columns):
        return df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) or df.index.start else df
    out = {}
    n = len(df)
    for c in columns:
        dtype = dtypes[c]
        if c in df.columns:
            s = df[c].reset_index(drop=True)
        elif pd.api.types.is_string_dtype(dtype) or dtype == object:
            s = pd.Series([""] * n)
        elif pd.api.types.is_bool_dtype(dtype):
            s = pd.Series([False] * n)
        else:
            s = pd.Series([np.nan] * n)
        if pd.api.types.is_bool_dtype(dtype):
            s = s.map(lambda v: bool(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else False)
        elif pd.api.types.is_integer_dtype(dtype):
            s = pd.to_numeric(s, errors="raise").astype("int64")
        elif pd.api.types.is_float_dtype(dtype):
            s = pd.to_numeric(s, errors="raise").astype("float64")
        else:
            s = s.astype("object")
            s = s.where(s.notna(), "").astype("str")
        out[c] = s.astype(dtype) if not pd.api.types.is_bool_dtype(dtype) else s.astype("bool")
    return pd.DataFrame(out, columns=columns)


def read_session_dir(folder: str | Path) -> SessionFiles:
    """Read and check a session folder; raises :class:`NotASession` naming the folder and the problem."""
    folder = Path(folder)
    if not folder.exists():
        raise NotASession(folder, "no such folder")
    if not folder.is_dir():
        raise NotASession(folder, "not a folder")
    js, rc = folder / "session.json", folder / "reps.csv"
    missing = [p.name for p in (js, rc) if not p.is_file()]
    if missing:
        raise NotASession(folder, f"not a session folder: {' and '.join(missing)} missing")
    try:
        js_bytes, rc_bytes = js.read_bytes(), rc.read_bytes()
    except OSError as e:
        raise NotASession(folder, f"cannot read: {e.strerror or e}") from None
    try:
        summary = json.loads(js_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise NotASession(folder, f"session.json is not valid JSON ({e})") from None
    if not isinstance(summary, dict):
        raise NotASession(folder, "session.json does not hold a JSON object")
    try:
        reps = read_reps_csv(rc)
        absent = [c for c in _REQUIRED_REP_COLUMNS if c not in reps.columns]
        if absent:
            raise NotASession(folder, f"reps.csv lacks the column(s) {', '.join(absent)}")
        reps = _complete(reps, _STORED_REPS, _REPS_DTYPES)
    except NotASession:
        raise
    except (ValueError, TypeError, KeyError, pd.errors.ParserError) as e:
        raise NotASession(folder, f"reps.csv cannot be read as a rep table ({e})") from None
    sc = folder / "sets.csv"
    try:
        sets = read_sets_csv(sc) if sc.is_file() else sets_table(reps)
        sets = _complete(sets, _STORED_SETS, _SETS_DTYPES)
    except (ValueError, TypeError, KeyError, pd.errors.ParserError) as e:
        raise NotASession(folder, f"sets.csv cannot be read as a set table ({e})") from None
    started, source, recording = _session_date(folder, summary)
    return SessionFiles(folder, reps, sets, summary, session_key(js_bytes, rc_bytes), started, source, recording)


# --------------------------------------------------------------------------- the store

@dataclass
class AddResult:
    """The outcome of adding one session: ``status`` is ``added``, ``duplicate`` or ``replaced``."""

    status: str
    session_id: int
    key: str
    folder: Path | None = None
    started_at: str = ""


@dataclass
class ImportReport:
    """What :meth:`HistoryStore.import_dirs` did with each folder."""

    added: list[AddResult] = field(default_factory=list)  #: new sessions (status added or replaced)
    duplicates: list[AddResult] = field(default_factory=list)  #: already stored: nothing written
    skipped: list[tuple[Path, str]] = field(default_factory=list)  #: (folder, problem): not sessions

    @property
    def ok(self) -> bool:
        return not self.skipped


def _none(v):
    """A Python value for sqlite3: NaN -> None, numpy scalars -> Python, bool -> int."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def _rows(df: pd.DataFrame, columns: list[str], session_id: int) -> list[tuple]:
    cols = [df[c].tolist() for c in columns]
    return [(session_id, i, *(_none(v) for v in vals)) for i, vals in enumerate(zip(*cols))]


class HistoryStore:
    """The history database at ``path`` (default :func:`default_db_path`), created when missing.

    Use as a context manager or call :meth:`close`. Safe to open from several processes at once
    (WAL; writers wait up to ``timeout_s`` for each other).
    """

    def __init__(self, path: str | Path | None = None, *, timeout_s: float = 30.0):
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = FULL")
            self._init_schema()
        except sqlite3.DatabaseError as e:
            raise ValueError(f"{self.path}: not a usable history database ({e})") from None
        self.journal_mode = str(mode).lower()

    # -- life cycle
    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def _init_schema(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ValueError(f"{self.path}: history schema version {version} is newer than this "
                             f"program's ({SCHEMA_VERSION}); upgrade imu-reps")
        if version == SCHEMA_VERSION:
            return
        with self._transaction():
            # a new store is created as it is now; an older one is brought up to date step by step
            steps = [_SCHEMA] if version == 0 else [_MIGRATIONS[v] for v in range(version, SCHEMA_VERSION)]
            for stmt in (stmt for step in steps for stmt in step):
                self.conn.execute(stmt)
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self):
                store.conn.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, exc, tb):
                if exc_type is None:
                    store.conn.execute("COMMIT")
                elif store.conn.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                    store.conn.execute("ROLLBACK")
                return False

        return _Tx()

    # -- writing
    def add_session_dir(self, folder: str | Path) -> AddResult:
        """Add one session folder (see the module docstring); raises :class:`NotASession`."""
        f = read_session_dir(folder)
        return self.add_session(f.reps, f.sets, f.summary, started_at=f.started_at, key=f.key,
                                source_dir=str(f.folder.resolve()), date_source=f.date_source)

    def import_dirs(self, folders: Iterable[str | Path]) -> ImportReport:
        """Add every folder; folders that are not sessions are skipped and reported with the problem."""
        report = ImportReport()
        for folder in folders:
            try:
                res = self.add_session_dir(folder)
            except NotASession as e:
                report.skipped.append((Path(folder), e.problem))
                continue
            (report.duplicates if res.status == "duplicate" else report.added).append(res)
        return report

    def add_session(self, reps: pd.DataFrame, sets: pd.DataFrame | None, summary: dict | None = None, *,
                    started_at: dt.datetime | str, key: str | None = None, source_dir: str = "",
                    date_source: str = "given") -> AddResult:
        """Add a session from its tables (``reps``: :func:`analysis.tables.reps_table` frame; ``sets``:
        :func:`analysis.tables.sets_table` frame, computed when None; ``summary``: the session.json dict).

        ``key`` defaults to a hash of the summary and the reps table. Returns an :class:`AddResult`.
        """
        summary = dict(summary or {})
        reps = _complete(reps, _STORED_REPS, _REPS_DTYPES)
        sets = _complete(sets_table(reps) if sets is None else sets, _STORED_SETS, _SETS_DTYPES)
        if isinstance(started_at, str):
            started_at = _parse_time(started_at, Path(source_dir or "."))
        elif started_at.tzinfo is None:
            started_at = started_at.astimezone()
        summary_text = json.dumps(summary, sort_keys=True, ensure_ascii=False, allow_nan=False)
        if key is None:
            key = session_key(summary_text.encode(), reps.to_csv(index=False).encode())
        row = self._session_row(reps, sets, summary, summary_text, started_at, key, source_dir, date_source)
        with self._transaction():
            hit = self.conn.execute("SELECT session_id FROM sessions WHERE session_key = ?", (key,)).fetchone()
            if hit:
                return AddResult("duplicate", int(hit[0]), key, Path(source_dir) if source_dir else None,
                                 row["started_at"])
            status = "added"
            if source_dir:
                old = self.conn.execute(
                    "SELECT session_id FROM sessions WHERE source_dir = ? AND source_file IS ?",
                    (source_dir, row["source_file"])).fetchall()
                for (sid,) in old:  # the same folder analysed again: replace, do not count twice
                    self.conn.execute("DELETE FROM sessions WHERE session_id = ?", (sid,))
                    status = "replaced"
            names = list(row)
            cur = self.conn.execute(
                f"INSERT INTO sessions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[n] for n in names])
            sid = int(cur.lastrowid)
            self._insert_table("sets", sets, _STORED_SETS, sid)
            self._insert_table("reps", reps, _STORED_REPS, sid)
        return AddResult(status, sid, key, Path(source_dir) if source_dir else None, row["started_at"])

    def _insert_table(self, table: str, df: pd.DataFrame, columns: list[str], session_id: int) -> None:
        names = ", ".join(["session_id", "row", *(_q(c) for c in columns)])
        marks = ", ".join("?" * (len(columns) + 2))
        self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", _rows(df, columns, session_id))

    @staticmethod
    def _session_row(reps, sets, summary, summary_text, started_at, key, source_dir, date_source) -> dict:
        ex = summary.get("exercise")
        exercise = ex.get("preset") if isinstance(ex, dict) else ex
        rec = summary.get("recording") if isinstance(summary.get("recording"), dict) else {}
        flags = [str(f) for f in reps["flags"]]
        sides = [s for s in dict.fromkeys(reps["side"].astype(str)) if s]
        return {
            "session_key": key,
            "started_at": started_at.isoformat(),
            "local_date": started_at.date().isoformat(),
            "date_source": date_source,
            "exercise": str(exercise or ""),
            "auto_detected": _none(ex.get("auto_detected")) if isinstance(ex, dict) else None,
            "source_dir": source_dir,
            "source_file": None if rec.get("source_file") is None else str(rec.get("source_file")),
            "duration_s": _none(rec.get("duration_s")),
            "sample_rate_hz": _none(rec.get("sample_rate_hz")),
            "has_gyro": _none(rec.get("has_gyro")),
            "sets": int(len(sets)),
            "reps": int(len(reps)),
            "tut_s": float(np.nansum(reps["tut_s"].to_numpy(float))) if len(reps) else 0.0,
            "momentum_reps": int(sum(bool(m) or "momentum" in f.split(";") for m, f in zip(reps["momentum"], flags))),
            "partial_reps": int(sum("partial" in f.split(";") for f in flags)),
            "flagged_reps": int(sum(1 for f in flags if f)),
            "sides": ";".join(sorted(sides)),
            "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "summary_json": summary_text,
        }

    # -- reading
    def _where(self, exercise: str | None, since, alias: str = "s") -> tuple[str, list]:
        conds, params = [], []
        if exercise:
            conds.append(f"{alias}.exercise = ?")
            params.append(exercise)
        if since is not None:
            conds.append(f"{alias}.local_date >= ?")
            params.append(_date_text(since))
        return (" WHERE " + " AND ".join(conds)) if conds else "", params

    def sessions(self, exercise: str | None = None, since=None) -> pd.DataFrame:
        """One row per stored session, oldest first (columns :data:`SESSION_COLUMN_DOCS`)."""
        where, params = self._where(exercise, since)
        cur = self.conn.execute(f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions s{where} "
                                "ORDER BY s.started_at, s.session_id", params)
        df = pd.DataFrame.from_records(cur.fetchall(), columns=SESSION_COLUMNS)
        for c in ("session_id", "sets", "reps", "momentum_reps", "partial_reps", "flagged_reps"):
            df[c] = df[c].astype("int64")
        for c in ("duration_s", "sample_rate_hz", "tut_s"):
            df[c] = pd.to_numeric(df[c]).astype("float64")
        for c in ("auto_detected", "has_gyro"):
            df[c] = df[c].map(lambda v: pd.NA if v is None else bool(v)).astype("boolean")
        for c in ("session_key", "started_at", "local_date", "date_source", "exercise", "source_dir",
                  "source_file", "sides", "imported_at"):
            df[c] = df[c].astype("object").where(df[c].notna(), "").astype("str")
        return df

    def summary(self, session_id: int) -> dict:
        """The stored session.json of a session."""
        row = self.conn.execute("SELECT summary_json FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        if row is None:
            raise KeyError(f"no session {session_id} in {self.path}")
        return json.loads(row[0])

    def _table(self, table: str, columns: list[str], dtypes, where: str, params: list,
               with_session: bool) -> pd.DataFrame:
        extra = ["session_id", "started_at", "exercise"] if with_session else []
        head = ["t.session_id", "s.started_at", "s.exercise"] if with_session else []
        sel = ", ".join(head + [f"t.{_q(c)}" for c in columns])
        cur = self.conn.execute(f"SELECT {sel} FROM {table} t JOIN sessions s USING (session_id){where} "
                                "ORDER BY s.started_at, t.session_id, t.row", params)
        raw = pd.DataFrame.from_records(cur.fetchall(), columns=extra + columns)
        df = _complete(raw, columns, dtypes)
        if with_session:
            head = pd.DataFrame({"session_id": raw["session_id"].astype("int64"),
                                 "started_at": raw["started_at"].astype("str"),
                                 "exercise": raw["exercise"].astype("str")})
            df = pd.concat([head, df], axis=1)
        return df

    def session_tables(self, session_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(reps, sets)`` of one session, exactly as they were added (same columns, dtypes, order)."""
        if self.conn.execute("SELECT 1 FROM sessions WHERE session_id = ?", (session_id,)).fetchone() is None:
            raise KeyError(f"no session {session_id} in {self.path}")
        w, p = " WHERE t.session_id = ?", [session_id]
        return (self._table("reps", _STORED_REPS, _REPS_DTYPES, w, p, False),
                self._table("sets", _STORED_SETS, _SETS_DTYPES, w, p, False))

    def reps(self, exercise: str | None = None, since=None) -> pd.DataFrame:
        """All stored reps: ``session_id``, ``started_at``, ``exercise``, then the reps.csv columns."""
        where, params = self._where(exercise, since)
        return self._table("reps", _STORED_REPS, _REPS_DTYPES, where, params, True)

    def sets(self, exercise: str | None = None, since=None) -> pd.DataFrame:
        """All stored sets: ``session_id``, ``started_at``, ``exercise``, then the sets.csv columns."""
        where, params = self._where(exercise, since)
        return self._table("sets", _STORED_SETS, _SETS_DTYPES, where, params, True)

    def weekly_history(self, exercise: str | None = None, since=None) -> pd.DataFrame:
        """The weekly trends per exercise (columns :data:`WEEKLY_COLUMN_DOCS`); see :func:`weekly_table`."""
        where, params = self._where(exercise, since)
        sessions = pd.DataFrame.from_records(
            self.conn.execute(f"SELECT session_id, local_date, exercise, sets FROM sessions s{where}", params).fetchall(),
            columns=["session_id", "local_date", "exercise", "sets"])
        cols = ["tut_s", "up_s", "top_hold_s", "down_s", "bottom_hold_s", "rom_deg", "momentum", "flags", "side"]
        reps = pd.DataFrame.from_records(
            self.conn.execute(f"SELECT t.session_id, {', '.join('t.' + _q(c) for c in cols)} "
                              f"FROM reps t JOIN sessions s USING (session_id){where}", params).fetchall(),
            columns=["session_id", *cols])
        return weekly_table(sessions, reps)

    def check(self) -> list[str]:
        """Consistency problems of the database (empty when fine): SQLite's integrity and foreign-key
        checks, and sessions whose stored set/rep counts do not match their rows."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        problems += [f"foreign key: {r}" for r in self.conn.execute("PRAGMA foreign_key_check").fetchall()]
        for sid, n_sets, n_reps, got_sets, got_reps in self.conn.execute(
                "SELECT s.session_id, s.sets, s.reps, "
                "(SELECT COUNT(*) FROM sets t WHERE t.session_id = s.session_id), "
                "(SELECT COUNT(*) FROM reps t WHERE t.session_id = s.session_id) FROM sessions s"):
            if (n_sets, n_reps) != (got_sets, got_reps):
                problems.append(f"session {sid}: {got_sets}/{n_sets} sets, {got_reps}/{n_reps} reps stored")
        return problems


def _date_text(since) -> str:
    if isinstance(since, (dt.date, dt.datetime, pd.Timestamp)):
        return pd.Timestamp(since).date().isoformat()
    try:
        return dt.date.fromisoformat(str(since).strip()[:10]).isoformat()
    except ValueError:
        raise ValueError(f"since: {since!r} is not a date (use YYYY-MM-DD)") from None


def history_disabled() -> bool:
    """Whether the environment variable ``IMU_NO_HISTORY`` turns the history off (anything but ""/"0")."""
    return os.environ.get("IMU_NO_HISTORY", "") not in ("", "0")


def add_to_history(folder: str | Path, db: str | Path | None = None) -> str:
    """Add a just-written session folder to the history (for ``imu analyze`` and live sessions).

    Never raises: returns a one-line message to print (``""`` when the environment variable
    ``IMU_NO_HISTORY`` is set to anything but ``""``/``0``, in which case nothing is written). A
    failure to store the session is reported in the message and leaves the store as it was.
    """
    if history_disabled():
        return ""
    try:
        with HistoryStore(db) as store:
            res = store.add_session_dir(folder)
            where = store.path
    except (NotASession, ValueError, OSError, sqlite3.Error) as e:
        return f"history: not stored: {e}"
    verb = {"added": "added to", "replaced": "replaced in", "duplicate": "already in"}[res.status]
    return f"history: session {verb} {where}"


# --------------------------------------------------------------------------- weekly trends

#: Columns of :func:`weekly_table` / :meth:`HistoryStore.weekly_history`, in order.
WEEKLY_COLUMNS: list[str] = [
    "week", "iso_week", "exercise", "sessions", "sets", "reps", "tut_s",
    "median_up_s", "median_top_hold_s", "median_down_s", "median_bottom_hold_s", "median_tempo",
    "momentum_share", "partial_share", "median_rom_deg",
    "left_reps", "right_reps", "lr_reps_diff", "lr_rom_diff_deg", "lr_down_diff_s", "lr_tut_diff_s",
]

#: What each weekly column means; the unit is in brackets.
WEEKLY_COLUMN_DOCS: dict[str, str] = {
    "week": "[date] Monday of the ISO week (weeks run Monday to Sunday, by the sessions' local_date)",
    "iso_week": "[text] ISO week, e.g. 2024-W07",
    "exercise": "[slug] exercise preset ('' when unknown)",
    "sessions": "[count] sessions that week",
    "sets": "[count] sets that week",
    "reps": "[count] reps that week",
    "tut_s": "[s] total time under tension (sum of the reps' tut_s)",
    "median_up_s": "[s] median up (concentric) phase of the week's reps",
    "median_top_hold_s": "[s] median pause at the top",
    "median_down_s": "[s] median down (eccentric) phase: higher = slower, more controlled lowering",
    "median_bottom_hold_s": "[s] median pause at the bottom (over the reps that have one)",
    "median_tempo": "[s-s-s-s] tempo of those medians, down-bottom-up-top in whole seconds, e.g. 3-0-2-1",
    "momentum_share": "[fraction 0-1] share of reps flagged momentum (swung up or dropped)",
    "partial_share": "[fraction 0-1] share of reps flagged partial (short range of motion)",
    "median_rom_deg": "[deg] median range of motion (90 = straight legs raised to vertical from the floor)",
    "left_reps": "[count] reps of the left leg's sensor, in sessions with two sensors (NaN if none)",
    "right_reps": "[count] reps of the right leg's sensor, in sessions with two sensors (NaN if none)",
    "lr_reps_diff": "[count] left_reps - right_reps (NaN without two-sensor sessions)",
    "lr_rom_diff_deg": "[deg] median ROM of left reps - median ROM of right reps",
    "lr_down_diff_s": "[s] median down phase of left reps - of right reps",
    "lr_tut_diff_s": "[s] time under tension of left reps - of right reps",
}


def weekly_table(sessions: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Aggregate sessions and reps by ISO week and exercise.

    ``sessions``: ``session_id``, ``local_date`` (YYYY-MM-DD), ``exercise``, ``sets``; ``reps``:
    ``session_id`` and the reps.csv columns ``tut_s``, ``up_s``, ``top_hold_s``, ``down_s``,
    ``bottom_hold_s``, ``rom_deg``, ``momentum``, ``flags``, ``side``. Returns :data:`WEEKLY_COLUMNS`,
    oldest week first, then by exercise. Medians and shares are over all reps of the week (missing
    values skipped; NaN without reps); left/right columns only over sessions that have both a
    ``left`` and a ``right`` rep. Times rounded to 3 decimals, angles to 1, shares to 4.
    """
    if len(sessions) == 0:
        return _empty_weekly()
    keys = ["week", "exercise"]
    s = sessions.copy()
    d = pd.to_datetime(s["local_date"])
    s["week"] = (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).dt.normalize()
    s["exercise"] = s["exercise"].fillna("").astype(str)
    out = s.groupby(keys, sort=True).agg(sessions=("session_id", "nunique"), sets=("sets", "sum"))

    r = reps.merge(s[["session_id", *keys]], on="session_id", how="inner")
    flags = ";" + r["flags"].astype("object").fillna("").astype(str) + ";"
    mom = r["momentum"].astype("object").map(lambda v: str(v).lower() in ("true", "1", "1.0"))
    r["_momentum"] = mom.astype(bool) | flags.str.contains(";momentum;", regex=False)
    r["_partial"] = flags.str.contains(";partial;", regex=False).astype(bool)
    r["side"] = r["side"].astype("object").fillna("").astype(str)
    phases = ("up_s", "top_hold_s", "down_s", "bottom_hold_s")
    for c in ("tut_s", *phases, "rom_deg"):
        r[c] = pd.to_numeric(r[c], errors="coerce").astype(float)
    agg = r.groupby(keys, sort=True).agg(
        reps=("session_id", "size"), tut_s=("tut_s", "sum"),
        **{f"median_{c}": (c, "median") for c in phases},
        momentum_share=("_momentum", "mean"), partial_share=("_partial", "mean"),
        median_rom_deg=("rom_deg", "median"))
    out = out.join(agg, how="left")
    out["reps"] = out["reps"].fillna(0)
    out["tut_s"] = out["tut_s"].fillna(0.0)
    out["median_tempo"] = [
        (tempo_string(dn, bh, up, th) or "") if n else ""
        for n, up, th, dn, bh in zip(out["reps"], out["median_up_s"], out["median_top_hold_s"],
                                     out["median_down_s"], out["median_bottom_hold_s"])]

    sides = r[r["side"] != ""].groupby("session_id")["side"].agg(lambda x: {"left", "right"} <= set(x))
    lr = r[r["session_id"].isin(sides[sides].index) & r["side"].isin(["left", "right"])]
    if len(lr):
        per = lr.groupby([*keys, "side"]).agg(n=("session_id", "size"), rom=("rom_deg", "median"),
                                              down=("down_s", "median"), tut=("tut_s", "sum")).unstack("side")
        out = out.join(pd.DataFrame({
            "left_reps": per[("n", "left")], "right_reps": per[("n", "right")],
            "lr_reps_diff": per[("n", "left")] - per[("n", "right")],
            "lr_rom_diff_deg": per[("rom", "left")] - per[("rom", "right")],
            "lr_down_diff_s": per[("down", "left")] - per[("down", "right")],
            "lr_tut_diff_s": per[("tut", "left")] - per[("tut", "right")],
        }), how="left")
    out = out.reset_index()
    for cols, nd in (([c for c in WEEKLY_COLUMNS if c.endswith("_s")], 3),
                     (["median_rom_deg", "lr_rom_diff_deg"], 1), (["momentum_share", "partial_share"], 4)):
        for c in cols:
            if c in out:
                out[c] = out[c].astype(float).round(nd)
    out["iso_week"] = [f"{w.isocalendar()[0]}-W{w.isocalendar()[1]:02d}" for w in out["week"]]
    return _weekly_dtypes(out.reindex(columns=WEEKLY_COLUMNS))


def _weekly_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    df["week"] = pd.to_datetime(df["week"]).astype("datetime64[ns]")
    for c in ("sessions", "sets", "reps"):
        df[c] = df[c].astype("int64")
    for c in ("iso_week", "exercise", "median_tempo"):
        df[c] = df[c].astype("object").where(df[c].notna(), "").astype("str")
    for c in WEEKLY_COLUMNS:
        if c not in ("week", "iso_week", "exercise", "median_tempo", "sessions", "sets", "reps"):
            df[c] = pd.to_numeric(df[c]).astype("float64")
    return df.reset_index(drop=True)


def _empty_weekly() -> pd.DataFrame:
    return _weekly_dtypes(pd.DataFrame({c: pd.Series([], dtype="object") for c in WEEKLY_COLUMNS}))


def write_weekly_csv(path: str | Path, weekly: pd.DataFrame) -> Path:
    """Write a weekly table as CSV (``week`` as YYYY-MM-DD, empty cell for NaN), atomically.

    Kept here rather than using :func:`analysis.export.write_csv` so that ``imu history`` does not
    have to import matplotlib.
    """
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = weekly.assign(week=pd.to_datetime(weekly["week"]).dt.strftime("%Y-%m-%d"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            out.to_csv(f, index=False, lineterminator="\n", na_rep="")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
