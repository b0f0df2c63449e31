"""The Python API for notebooks: a session or the whole history as pandas DataFrames.

>>> from analysis.api import load_session, load_history, describe
>>> s = load_session("demo-session")      # a folder written by `imu analyze` / `imu demo`
>>> s.reps.groupby("set")["down_s"].median()
>>> h = load_history()                    # the history store (default path, or db=PATH)
>>> h.weekly[["week", "exercise", "reps", "median_down_s", "momentum_share"]]
>>> describe("weekly")                    # column, unit, meaning of any table below

Tables and their columns (:func:`describe` gives the unit and meaning of every column):

- ``reps`` / ``sets``: a session's ``reps.csv`` / ``sets.csv`` (:data:`analysis.tables.COLUMN_DOCS`);
  times in s on the recording's clock, angles in deg, speeds in deg/s;
- ``recording``: the raw recording, cleaned (``t`` s, ``ax``/``ay``/``az`` g, ``gx``/``gy``/``gz`` deg/s);
- ``sessions``: one row per stored session (:data:`analysis.history.SESSION_COLUMN_DOCS`);
- ``history_reps`` / ``history_sets``: every stored rep / set, the session's ``session_id``,
  ``started_at`` and ``exercise`` first, then the reps.csv / sets.csv columns;
- ``weekly``: trends per ISO week and exercise (:data:`analysis.history.WEEKLY_COLUMN_DOCS`);
- ``tempo``: the per-rep tempo export (:data:`analysis.exports.TEMPO_COLUMN_DOCS`).

In the frames :func:`load_history` returns, ``started_at`` is a UTC timestamp
(``datetime64[ns, UTC]``); ``local_date`` keeps the session's own calendar date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .exports import TEMPO_COLUMN_DOCS
from .history import SESSION_COLUMN_DOCS, WEEKLY_COLUMN_DOCS, HistoryStore, read_session_dir
from .tables import COLUMN_DOCS, COLUMN_UNITS, REPS_COLUMNS, SETS_COLUMNS

__all__ = ["Session", "History", "load_session", "load_history", "describe", "TABLES"]

_HEAD_DOCS = {
    "session_id": "[#] the session's number in the store (sessions.session_id)",
    "started_at": "[UTC timestamp] when the session took place",
    "exercise": "[slug] exercise preset of the session",
}
_RECORDING_DOCS = {
    "t": "[s] time stamp on the sensor's clock", "ax": "[g] acceleration, sensor x", "ay": "[g] acceleration, sensor y",
    "az": "[g] acceleration, sensor z", "gx": "[deg/s] angular rate, sensor x (only with a gyroscope)",
    "gy": "[deg/s] angular rate, sensor y", "gz": "[deg/s] angular rate, sensor z",
}


def _bracketed(docs: dict[str, str]) -> dict[str, tuple[str, str]]:
    out = {}
    for c, d in docs.items():
        m = re.match(r"\[([^\]]*)\]\s*(.*)", d)
        out[c] = (m.group(1), m.group(2)) if m else ("", d)
    return out


def _tables_docs(table: str, cols: list[str]) -> dict[str, tuple[str, str]]:
    return {c: (COLUMN_UNITS[table][c], COLUMN_DOCS[table][c]) for c in cols}


#: Every table's columns: table -> column -> (unit, meaning).
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "reps": _tables_docs("reps", REPS_COLUMNS),
    "sets": _tables_docs("sets", SETS_COLUMNS),
    "recording": _bracketed(_RECORDING_DOCS),
    "sessions": _bracketed(SESSION_COLUMN_DOCS),
    "history_reps": {**_bracketed(_HEAD_DOCS), **_tables_docs("reps", REPS_COLUMNS)},
    "history_sets": {**_bracketed(_HEAD_DOCS), **_tables_docs("sets", SETS_COLUMNS)},
    "weekly": _bracketed(WEEKLY_COLUMN_DOCS),
    "tempo": _bracketed(TEMPO_COLUMN_DOCS),
}
TABLES["sessions"]["started_at"] = ("UTC timestamp", "when the session took place (see date_source)")


def describe(table: str) -> pd.DataFrame:
    """The documentation of a table's columns: ``column``, ``unit``, ``meaning`` (tables: :data:`TABLES`)."""
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; known: {', '.join(TABLES)}")
    return pd.DataFrame([(c, u, m) for c, (u, m) in TABLES[table].items()], columns=["column", "unit", "meaning"])


@dataclass
class Session:
    """One session folder, loaded."""

    folder: Path
    reps: pd.DataFrame  #: reps.csv (``describe("reps")``)
    sets: pd.DataFrame  #: sets.csv (``describe("sets")``)
    summary: dict  #: session.json (keys documented in :mod:`analysis.summary`)
    started_at: pd.Timestamp  #: when the session took place (time zone aware; see date_source)
    date_source: str  #: started_at, recording_mtime or folder_mtime (see :mod:`analysis.history`)
    recording_path: Path | None  #: the raw recording file in the folder, if any

    @property
    def exercise(self) -> str:
        ex = self.summary.get("exercise")
        return str((ex.get("preset") if isinstance(ex, dict) else ex) or "")

    def recording(self) -> pd.DataFrame:
        """The raw recording, validated and cleaned (``describe("recording")``).

        Raises FileNotFoundError when the folder has no recording file.
        """
        if self.recording_path is None:
            raise FileNotFoundError(f"{self.folder}: no recording.parquet / recording.csv in the session folder")
        from imu.recording import read_recording

        return read_recording(self.recording_path).to_frame()


def load_session(folder: str | Path) -> Session:
    """Load a session folder (raises :class:`analysis.history.NotASession` naming the problem)."""
    f = read_session_dir(folder)
    return Session(f.folder, f.reps, f.sets, f.summary, pd.Timestamp(f.started_at), f.date_source, f.recording)


@dataclass
class History:
    """The history store, loaded."""

    path: Path
    sessions: pd.DataFrame  #: ``describe("sessions")``
    sets: pd.DataFrame  #: ``describe("history_sets")``
    reps: pd.DataFrame  #: ``describe("history_reps")``
    weekly: pd.DataFrame  #: ``describe("weekly")``


def _utc(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["started_at"] = pd.to_datetime(df["started_at"], utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    return df


def load_history(db: str | Path | None = None, exercise: str | None = None, since=None) -> History:
    """Load the history store at ``db`` (default :func:`analysis.history.default_db_path`), optionally
    only one exercise (slug) and only sessions on or after ``since`` (date or ``YYYY-MM-DD``)."""
    with HistoryStore(db) as store:
        return History(store.path, _utc(store.sessions(exercise, since)), _utc(store.sets(exercise, since)),
                       _utc(store.reps(exercise, since)), store.weekly_history(exercise, since))
