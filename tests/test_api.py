"""The notebook API (analysis.api): sessions and the history as documented DataFrames."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.api import TABLES, describe, load_history, load_session
from analysis.exports import sessions_from_folders, tempo_frame
from analysis.history import NotASession
from analysis.tables import read_reps_csv, read_sets_csv
from imu.recording import write_recording
from tests.test_history import make_session, three_sessions, week1_a  # noqa: F401 (fixture)


def test_load_session(tmp_path):
    folder = make_session(tmp_path / "s", week1_a(), started_at="2024-05-06T07:08:09+02:00")
    s = load_session(folder)
    pd.testing.assert_frame_equal(s.reps, read_reps_csv(folder / "reps.csv"))
    pd.testing.assert_frame_equal(s.sets, read_sets_csv(folder / "sets.csv"))
    assert s.exercise == "lying-leg-raise" and s.summary["totals"]["reps"] == 2
    assert s.started_at == pd.Timestamp("2024-05-06T07:08:09+02:00") and s.date_source == "started_at"
    with pytest.raises(FileNotFoundError, match="no recording"):
        s.recording()
    t = np.arange(0, 5, 0.02)
    write_recording(folder / "recording.parquet",
                    pd.DataFrame({"t": t, "ax": 0.0, "ay": 0.0, "az": 1.0, "gx": 0.0, "gy": 0.0, "gz": 0.0}))
    rec = load_session(folder).recording()
    assert list(rec.columns) == list(TABLES["recording"]) and len(rec) == t.size
    with pytest.raises(NotASession, match="no such folder"):
        load_session(tmp_path / "missing")


def test_load_history(tmp_path, three_sessions):  # noqa: F811
    db = tmp_path / "h.sqlite3"
    from analysis.history import HistoryStore
    with HistoryStore(db) as store:
        store.import_dirs(three_sessions)
    h = load_history(db)
    assert h.path == db
    assert len(h.sessions) == 3 and len(h.sets) == 3 and len(h.reps) == 6 and len(h.weekly) == 2
    assert str(h.sessions["started_at"].dtype) == "datetime64[ns, UTC]"
    assert h.sessions["started_at"][0] == pd.Timestamp("2024-01-01T17:00:00Z")
    assert h.reps["session_id"].tolist() == [1, 1, 2, 2, 3, 3]
    only = load_history(db, exercise="side-leg-lift", since="2024-01-01")
    assert only.sessions["exercise"].tolist() == ["side-leg-lift"] and set(only.reps["side"]) == {"left", "right"}


def test_every_column_is_documented(tmp_path, three_sessions):  # noqa: F811
    db = tmp_path / "h.sqlite3"
    from analysis.history import HistoryStore
    with HistoryStore(db) as store:
        store.import_dirs(three_sessions)
    h = load_history(db)
    s = load_session(three_sessions[2])
    frames = {"reps": s.reps, "sets": s.sets, "sessions": h.sessions, "history_reps": h.reps,
              "history_sets": h.sets, "weekly": h.weekly, "tempo": tempo_frame(sessions_from_folders(three_sessions))}
    assert set(frames) | {"recording"} == set(TABLES)
    for name, df in frames.items():
        doc = describe(name)
        assert list(doc.columns) == ["column", "unit", "meaning"]
        assert list(doc["column"]) == list(df.columns), name
        assert (doc["meaning"].str.len() > 5).all(), name
    units = describe("weekly").set_index("column")["unit"]
    assert units["tut_s"] == "s" and units["median_rom_deg"] == "deg" and units["momentum_share"] == "fraction 0-1"
    assert describe("reps").set_index("column")["unit"]["peak_up_dps"] == "deg/s"
    with pytest.raises(KeyError, match="known"):
        describe("nope")
