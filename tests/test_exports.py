"""Exports (analysis.exports): Strong / Hevy CSV, tempo CSV and Parquet parse back as the apps expect."""
from __future__ import annotations

import csv
import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from analysis.exports import (
    HEVY_COLUMNS,
    STRONG_COLUMNS,
    TEMPO_COLUMNS,
    exercise_title,
    sessions_from_folders,
    sessions_from_store,
    write_hevy_csv,
    write_history_parquet,
    write_session_parquet,
    write_strong_csv,
    write_tempo_csv,
)
from analysis.history import WEEKLY_COLUMNS, HistoryStore
from analysis.tables import read_reps_csv, read_sets_csv
from imu.recording import write_recording
from imu.rep import Rep
from tests.test_history import make_session, run_cmd, three_sessions, week1_a  # noqa: F401 (fixture)

# The headers exactly as the apps write them (see analysis/exports.py for where they come from).
STRONG_HEADER = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE"
HEVY_HEADER = ('"title","start_time","end_time","description","exercise_title","superset_id","exercise_notes",'
               '"set_index","set_type","weight_kg","reps","distance_km","duration_seconds","rpe"')


@pytest.fixture()
def two_set_session(tmp_path):
    reps = week1_a() + [Rep(2, k, 100.0 + 10 * k, 102.0 + 10 * k, 103.0 + 10 * k, 106.0 + 10 * k, 85.0,
                                    50.0, 50.0, 0.0, ("partial",) if k == 2 else (), None if k == 3 else 1.0)
                        for k in (1, 2, 3)]
    return make_session(tmp_path / "s", reps, started_at="2024-02-29T18:05:09+01:00")


def test_strong_csv(tmp_path, two_set_session):
    out = write_strong_csv(sessions_from_folders([two_set_session]), tmp_path / "strong.csv")
    assert out.read_text().splitlines()[0] == STRONG_HEADER
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns) == STRONG_COLUMNS
    sets = read_sets_csv(two_set_session / "sets.csv")
    assert len(df) == len(sets) == 2
    assert df["Set Order"].tolist() == [1, 2] and df["Reps"].tolist() == sets["reps"].tolist()
    assert df["Date"].unique().tolist() == ["2024-02-29 18:05:09"]  # the session's own local time
    assert [dt.datetime.strptime(d, "%Y-%m-%d %H:%M:%S") for d in df["Date"]]
    assert df["Exercise Name"].unique().tolist() == ["Lying Leg Raise"]
    assert df["Workout Name"].unique().tolist() == ["Leg lifts"]
    assert all(re.fullmatch(r"(\d+h )?\d+m", d) for d in df["Duration"]) and df["Duration"][0] == "10m"
    assert (df["Weight"] == 0).all() and (df["Distance"] == 0).all() and (df["Seconds"] == 0).all()
    assert (df["RPE"] == "").all()
    assert df["Notes"][1].startswith(f"tempo {sets['median_tempo'][1]}; TUT ") and "1 partial" in df["Notes"][1]
    assert df["Workout Notes"][0] == "imu-reps: 5 reps in 2 sets, 2 flagged"


def test_hevy_csv(tmp_path, two_set_session):
    out = write_hevy_csv(sessions_from_folders([two_set_session]), tmp_path / "hevy.csv")
    lines = out.read_text().splitlines()
    assert lines[0] == HEVY_HEADER
    assert lines[1].startswith('"Leg lifts","29 Feb 2024, 18:05","29 Feb 2024, 18:15","imu-reps: 5 reps in 2 sets')
    assert ',"Lying Leg Raise",,"set 1: tempo ' in lines[1] and lines[1].endswith(',0,"normal",,2,,,')
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns) == HEVY_COLUMNS
    assert df["set_index"].tolist() == [0, 1] and df["reps"].tolist() == [2, 3]
    assert (df["set_type"] == "normal").all() and (df["weight_kg"] == "").all()
    start = [dt.datetime.strptime(t, "%d %b %Y, %H:%M") for t in df["start_time"]]
    end = [dt.datetime.strptime(t, "%d %b %Y, %H:%M") for t in df["end_time"]]
    assert start[0] == dt.datetime(2024, 2, 29, 18, 5) and end[0] - start[0] == dt.timedelta(minutes=10)
    rows = list(csv.reader(out.open()))
    assert all(len(r) == len(HEVY_COLUMNS) for r in rows)


def test_tempo_csv(tmp_path, two_set_session):
    out = write_tempo_csv(sessions_from_folders([two_set_session]), tmp_path / "tempo.csv")
    df = pd.read_csv(out, keep_default_na=False, na_values=[""])
    reps = read_reps_csv(two_set_session / "reps.csv")
    assert list(df.columns) == TEMPO_COLUMNS and len(df) == len(reps)
    assert df["tempo"].tolist() == reps["tempo"].tolist()
    np.testing.assert_allclose(df["down_s"], reps["down_s"])
    assert df["bottom_hold_s"].isna().tolist() == reps["bottom_hold_s"].isna().tolist()
    assert df["date"].unique().tolist() == ["2024-02-29 18:05"]
    assert df["flags"].fillna("").tolist() == reps["flags"].tolist()


def test_session_parquet(tmp_path, two_set_session):
    paths = write_session_parquet(two_set_session, tmp_path / "pq")
    assert set(paths) == {"reps", "sets", "session"}  # no recording in the folder
    pd.testing.assert_frame_equal(pd.read_parquet(paths["reps"]), read_reps_csv(two_set_session / "reps.csv"))
    pd.testing.assert_frame_equal(pd.read_parquet(paths["sets"]), read_sets_csv(two_set_session / "sets.csv"))
    s = pd.read_parquet(paths["session"])
    assert len(s) == 1 and s["exercise.preset"][0] == "lying-leg-raise" and s["totals.reps"][0] == 5
    assert json.loads(s["sets"][0])[0]["set"] == 1
    assert s["started_at"][0] == "2024-02-29T18:05:09+01:00"

    t = np.arange(0, 10, 0.02)
    raw = pd.DataFrame({"t": t, "ax": np.zeros_like(t), "ay": np.zeros_like(t), "az": np.ones_like(t),
                        "gx": np.sin(t), "gy": 0.0, "gz": 0.0, "battery": 97})
    write_recording(two_set_session / "recording.csv", raw)
    paths = write_session_parquet(two_set_session, tmp_path / "pq2")
    rec = pd.read_parquet(paths["recording"])
    assert list(rec.columns) == list(raw.columns)  # every column as recorded, extra ones included
    np.testing.assert_allclose(rec[["t", "az", "gx"]], raw[["t", "az", "gx"]], atol=1e-6)


def test_history_exports(tmp_path, three_sessions):  # noqa: F811
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.import_dirs(three_sessions)
        sessions = sessions_from_store(store)
        assert [s.exercise for s in sessions] == ["lying-leg-raise", "lying-leg-raise", "side-leg-lift"]
        strong = pd.read_csv(write_strong_csv(sessions, tmp_path / "all-strong.csv"))
        hevy = pd.read_csv(write_hevy_csv(sessions, tmp_path / "all-hevy.csv"))
        tempo = pd.read_csv(write_tempo_csv(sessions_from_store(store, exercise="side-leg-lift"), tmp_path / "t.csv"))
        paths = write_history_parquet(store, tmp_path / "pq")
        weekly = store.weekly_history()
    assert len(strong) == len(hevy) == 3 and strong["Exercise Name"].tolist()[-1] == "Side Leg Lift"
    assert strong["Date"].tolist() == ["2024-01-01 18:00:00", "2024-01-07 23:30:00", "2024-01-08 07:00:00"]
    assert tempo["side"].tolist() == ["left", "right"]
    assert set(paths) == {"sessions", "sets", "reps", "weekly"}
    pd.testing.assert_frame_equal(pd.read_parquet(paths["weekly"]), weekly)
    assert list(pd.read_parquet(paths["weekly"]).columns) == WEEKLY_COLUMNS
    assert len(pd.read_parquet(paths["reps"])) == 6


def test_exercise_titles():
    assert exercise_title("lying-leg-raise") == "Lying Leg Raise"
    assert exercise_title("hanging-leg-raise") == "Hanging Leg Raise"
    assert exercise_title("") == "Leg Raise"


def test_export_command(tmp_path, two_set_session, three_sessions, capsys):  # noqa: F811
    for fmt, header in (("strong", STRONG_HEADER), ("hevy", HEVY_HEADER), ("tempo", ",".join(TEMPO_COLUMNS))):
        out = tmp_path / f"{fmt}.csv"
        rc, text, err = run_cmd(["export", str(two_set_session), "--format", fmt, "--out", str(out)], capsys)
        assert rc == 0, err
        assert out.read_text().splitlines()[0] == header
    rc, _, _ = run_cmd(["export", str(two_set_session), "--format", "parquet", "--out", str(tmp_path / "pq")], capsys)
    assert rc == 0 and (tmp_path / "pq" / "reps.parquet").is_file()
    rc, _, err = run_cmd(["export", str(two_set_session), "--format", "strong", "--out", str(tmp_path / "pq")], capsys)
    assert rc == 2 and "is a folder" in err
    rc, _, err = run_cmd(["export", str(two_set_session), "--format", "parquet", "--out", str(tmp_path / "strong.csv")], capsys)
    assert rc == 2 and "must be a folder" in err
    rc, _, err = run_cmd(["export", str(tmp_path / "nope"), "--format", "tempo", "--out", str(tmp_path / "x.csv")], capsys)
    assert rc == 2 and "nope: no such folder" in err and not (tmp_path / "x.csv").exists()
    db = str(tmp_path / "h.sqlite3")
    run_cmd(["import", *map(str, three_sessions), "--db", db], capsys)
    rc, _, _ = run_cmd(["export", "--history", "--db", db, "--format", "hevy", "--out", str(tmp_path / "h.csv"),
                        "--since", "2024-01-05"], capsys)
    assert rc == 0 and len(pd.read_csv(tmp_path / "h.csv")) == 2
    rc, _, _ = run_cmd(["export", "--history", "--db", db, "--format", "parquet", "--out", str(tmp_path / "hp")], capsys)
    assert rc == 0 and (tmp_path / "hp" / "weekly.parquet").is_file()
