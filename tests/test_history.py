"""The history store (analysis.history) and the `imu import` / `imu history` commands."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.commands import add_commands
from analysis.export import write_session
from analysis.history import (
    SCHEMA_VERSION,
    SESSION_COLUMN_DOCS,
    WEEKLY_COLUMNS,
    WEEKLY_COLUMN_DOCS,
    HistoryStore,
    NotASession,
    default_db_path,
    read_session_dir,
)
from analysis.tables import REPS_COLUMNS, SETS_COLUMNS, read_reps_csv, read_sets_csv, reps_table, sets_table
from imu.rep import Rep

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- fixtures (shared)

def make_session(folder: Path, reps: list[Rep], *, started_at: str | None = None, side=None,
                 exercise: str = "lying-leg-raise", source: str = "rec.csv", trace: bool = True) -> Path:
    """A real session folder written by analysis.export.write_session (plus started_at when given)."""
    if trace and reps:
        t = np.arange(0.0, max(r.end_s for r in reps) + 5.0, 0.04)
        y = np.full(t.size, np.nan)
        for r in reps:
            xs = [r.start_s, r.top_s, r.lower_s, r.end_s]
            m = (t >= xs[0]) & (t <= xs[-1])
            y[m] = np.interp(t[m], xs, [0.0, r.rom_deg, r.rom_deg, 0.0])
    else:
        t, y = np.array([]), np.array([])
    info = {"exercise": exercise, "source": source, "duration_s": 600.0, "sample_rate_hz": 25.0, "has_gyro": True}
    write_session(folder, reps, t, y, info, side=side)
    if started_at is not None:
        js = folder / "session.json"
        d = json.loads(js.read_text())
        d["started_at"] = started_at
        js.write_text(json.dumps(d, indent=2) + "\n")
    return folder


def week1_a() -> list[Rep]:
    """Lying leg raise, Mon 2024-01-01: up 2/top 1/down 3 (bottom 1, tut 7) and a momentum rep (tut 6)."""
    return [Rep(1, 1, 0.0, 2.0, 3.0, 6.0, 80.0, 50.0, 50.0, 0.0, (), 1.0),
            Rep(1, 2, 7.0, 9.0, 10.0, 13.0, 90.0, 50.0, 50.0, 0.0, ("momentum",), None)]


def week1_b() -> list[Rep]:
    """Lying leg raise, Sun 2024-01-07: up 1/top 0/down 1 (bottom 2.2, tut 4.2) and up 2/top 1/down 3 (tut 6)."""
    return [Rep(1, 1, 0.0, 1.0, 1.0, 2.0, 60.0, 150.0, 150.0, 0.0, ("momentum", "partial"), 2.2),
            Rep(1, 2, 4.2, 6.2, 7.2, 10.2, 70.0, 50.0, 50.0, 0.0, ("partial",), None)]


def week2_two_legs() -> tuple[list[Rep], list[str]]:
    """Side leg lift, Mon 2024-01-08, two sensors: left up 2/top 1/down 3 rom 50; right up 1.5/top 1/down 2.2 rom 40."""
    return ([Rep(1, 1, 0.0, 2.0, 3.0, 6.0, 50.0, 40.0, 40.0, 0.0, (), None),
             Rep(1, 1, 0.5, 2.0, 3.0, 5.2, 40.0, 40.0, 40.0, 0.0, (), None)], ["left", "right"])


@pytest.fixture()
def three_sessions(tmp_path) -> list[Path]:
    reps, side = week2_two_legs()
    return [make_session(tmp_path / "a", week1_a(), started_at="2024-01-01T18:00:00+01:00"),
            make_session(tmp_path / "b", week1_b(), started_at="2024-01-07T23:30:00+01:00"),
            make_session(tmp_path / "c", reps, side=side, exercise="side-leg-lift",
                         started_at="2024-01-08T07:00:00+01:00")]


def run_cmd(argv: list[str], capsys=None) -> tuple[int, str, str]:
    """Run one of the analysis.commands commands through argparse, like imu/cli.py does."""
    parser = argparse.ArgumentParser(prog="imu")
    handlers = add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    rc = handlers[args.command](args)
    out, err = capsys.readouterr() if capsys is not None else ("", "")
    return rc, out, err


# --------------------------------------------------------------------------- location and schema

def test_default_db_path_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("IMU_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / ".local" / "share" / "imu-reps" / "history.sqlite3"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "imu-reps" / "history.sqlite3"
    monkeypatch.setenv("IMU_HOME", str(tmp_path / "imu"))
    assert default_db_path() == tmp_path / "imu" / "history.sqlite3"
    with HistoryStore() as store:  # created where the default says, folders included
        assert store.path == tmp_path / "imu" / "history.sqlite3"
    assert (tmp_path / "imu" / "history.sqlite3").is_file()


def test_schema_wal_and_version(tmp_path):
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        assert store.journal_mode == "wal"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")} >= {"meta", "sessions", "sets", "reps"}
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(ValueError, match="newer"):
        HistoryStore(db)


def test_a_store_of_schema_version_1_is_upgraded_and_keeps_its_sessions(tmp_path):
    # version 1 had no peak_accel_g column in reps: the sessions stored then stay, with the column empty
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        store.add_session_dir(make_session(tmp_path / "a", week1_a(), started_at="2024-01-01T18:00:00+01:00"))
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE reps DROP COLUMN peak_accel_g")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with HistoryStore(db) as store:
        old = store.reps()
        assert len(old) == 2 and old["peak_accel_g"].isna().all()
        assert list(old["rom_deg"]) == [80.0, 90.0]
        thrown = [replace(r, peak_accel_g=2.5) for r in week1_b()]
        store.add_session_dir(make_session(tmp_path / "b", thrown, started_at="2024-01-07T23:30:00+01:00"))
        assert list(store.reps()["peak_accel_g"].fillna(-1.0)) == [-1.0, -1.0, 2.5, 2.5]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    con.close()


def test_not_a_database(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ValueError, match="bad.sqlite3"):
        HistoryStore(bad)


def test_stored_columns_are_the_tables_columns():
    # the schema stores exactly these; a change in analysis.tables needs a schema migration
    from analysis import history
    assert history._STORED_REPS == REPS_COLUMNS and history._STORED_SETS == SETS_COLUMNS
    assert set(SESSION_COLUMN_DOCS) == set(history.SESSION_COLUMNS)
    assert list(WEEKLY_COLUMN_DOCS) == WEEKLY_COLUMNS


# --------------------------------------------------------------------------- round trips

def test_folder_round_trip(tmp_path, three_sessions):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        for folder in three_sessions:
            res = store.add_session_dir(folder)
            assert res.status == "added"
            reps, sets = store.session_tables(res.session_id)
            pd.testing.assert_frame_equal(reps, read_reps_csv(folder / "reps.csv"))
            pd.testing.assert_frame_equal(sets, read_sets_csv(folder / "sets.csv"))
            assert store.summary(res.session_id) == json.loads((folder / "session.json").read_text())
        s = store.sessions()
        assert list(s["local_date"]) == ["2024-01-01", "2024-01-07", "2024-01-08"]
        assert list(s["sides"]) == ["", "", "left;right"]
        assert list(s["reps"]) == [2, 2, 2] and list(s["sets"]) == [1, 1, 1]
        assert s["tut_s"].tolist() == pytest.approx([13.0, 10.2, 10.7])
        assert list(s["momentum_reps"]) == [1, 1, 0] and list(s["partial_reps"]) == [0, 2, 0]
        assert set(s.columns) == set(SESSION_COLUMN_DOCS)
        assert store.check() == []


_floats = st.floats(min_value=0.0, max_value=500.0, allow_nan=False, allow_infinity=False)
_flags = st.lists(st.sampled_from(["momentum", "rushed", "partial", "feet_rested", "no_top_hold", "data_gap"]),
                  unique=True, max_size=3).map(tuple)


@st.composite
def rep_lists(draw):
    n = draw(st.integers(min_value=0, max_value=12))
    reps, t = [], 0.0
    for i in range(n):
        up, hold, down = draw(_floats), draw(_floats), draw(_floats)
        bh = draw(st.one_of(st.none(), _floats))
        reps.append(Rep(1 + i // 5, 1 + i % 5, t, t + up, t + up + hold, t + up + hold + down,
                        draw(st.floats(-10, 120)), draw(_floats), draw(_floats), draw(st.floats(-5, 5)),
                        draw(_flags), bh))
        t += up + hold + down + (bh or 0.0) + 0.1
    side = draw(st.sampled_from([None, "left", "right", "lé ft;\"x\""]))
    return reps, side


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rep_lists(), started=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                                              timezones=st.just(dt.timezone(dt.timedelta(hours=-5)))))
def test_dataframe_round_trip_property(tmp_path_factory, data, started):
    """DataFrame in, same DataFrame out: any rep table, NaNs, flags, odd side text."""
    reps_list, side = data
    reps = reps_table(reps_list, side=side)
    sets = sets_table(reps)
    db = tmp_path_factory.mktemp("rt") / "h.sqlite3"
    with HistoryStore(db) as store:
        res = store.add_session(reps, sets, {"exercise": {"preset": "heel-tap"}, "x": [1, None]}, started_at=started)
        got_reps, got_sets = store.session_tables(res.session_id)
        pd.testing.assert_frame_equal(got_reps, reps)
        pd.testing.assert_frame_equal(got_sets, sets)
        row = store.sessions().iloc[0]
        assert row["started_at"] == started.isoformat() and row["local_date"] == started.date().isoformat()
        assert row["exercise"] == "heel-tap" and row["date_source"] == "given"
        assert store.add_session(reps, sets, {"exercise": {"preset": "heel-tap"}, "x": [1, None]},
                                 started_at=started).status == "duplicate"


# --------------------------------------------------------------------------- identity and imports

def test_duplicate_imports(tmp_path, three_sessions):
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        first = store.import_dirs(three_sessions)
        assert len(first.added) == 3 and not first.duplicates and first.ok
        again = store.import_dirs(three_sessions + [three_sessions[0]])
        assert not again.added and len(again.duplicates) == 4
        moved = tmp_path / "moved"
        shutil.copytree(three_sessions[1], moved)
        assert store.add_session_dir(moved).status == "duplicate"  # same content elsewhere: same session
        assert len(store.sessions()) == 3 and len(store.reps()) == 6 and len(store.sets()) == 3
        assert store.check() == []


def test_reanalysed_folder_replaces_its_session(tmp_path):
    folder = make_session(tmp_path / "s", week1_a(), started_at="2024-01-01T18:00:00+00:00")
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        first = store.add_session_dir(folder)
        make_session(folder, week1_a()[:1], started_at="2024-01-01T18:00:00+00:00")  # analysed again
        res = store.add_session_dir(folder)
        assert res.status == "replaced" and res.session_id != first.session_id
        assert list(store.sessions()["reps"]) == [1]
        other = make_session(folder, week1_b(), source="another.csv", started_at="2024-01-02T18:00:00+00:00")
        assert store.add_session_dir(other).status == "added"  # another recording written to the same folder
        assert len(store.sessions()) == 2 and store.check() == []


def test_import_reports_and_skips_non_sessions(tmp_path, three_sessions):
    empty = tmp_path / "empty"
    empty.mkdir()
    bad_json = make_session(tmp_path / "badjson", week1_a())
    (bad_json / "session.json").write_text("{not json")
    no_cols = make_session(tmp_path / "nocols", week1_a())
    (no_cols / "reps.csv").write_text("a,b\n1,2\n")
    bad_rows = make_session(tmp_path / "badrows", week1_a())
    (bad_rows / "reps.csv").write_text("set,rep,start_s,end_s\nx,1,0,1\n")
    a_file = tmp_path / "file.txt"
    a_file.write_text("hi")
    dirs = [three_sessions[0], empty, bad_json, tmp_path / "missing", no_cols, a_file, bad_rows, three_sessions[1]]
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        rep = store.import_dirs(dirs)
        assert [r.folder.name for r in rep.added] == ["a", "b"]
        problems = dict((p.name, why) for p, why in rep.skipped)
        assert set(problems) == {"empty", "badjson", "missing", "nocols", "file.txt", "badrows"}
        assert "session.json and reps.csv missing" in problems["empty"]
        assert "not valid JSON" in problems["badjson"]
        assert problems["missing"] == "no such folder"
        assert "lacks the column(s) set, rep, start_s, end_s" in problems["nocols"]
        assert problems["file.txt"] == "not a folder"
        assert "reps.csv cannot be read" in problems["badrows"]
        assert len(store.sessions()) == 2


def test_sets_csv_recomputed_when_missing(tmp_path):
    folder = make_session(tmp_path / "s", week1_a())
    expected = read_sets_csv(folder / "sets.csv")
    (folder / "sets.csv").unlink()
    pd.testing.assert_frame_equal(read_session_dir(folder).sets, expected)


# --------------------------------------------------------------------------- crashes

def test_error_mid_import_rolls_back(tmp_path, three_sessions, monkeypatch):
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        store.add_session_dir(three_sessions[0])
        real = HistoryStore._insert_table

        def failing(self, table, *a, **k):
            if table == "reps":
                raise OSError("disk on fire")
            return real(self, table, *a, **k)

        monkeypatch.setattr(HistoryStore, "_insert_table", failing)
        with pytest.raises(OSError, match="disk on fire"):
            store.add_session_dir(three_sessions[1])
        assert len(store.sessions()) == 1 and len(store.sets()) == 1 and store.check() == []
        monkeypatch.setattr(HistoryStore, "_insert_table", real)
        assert store.add_session_dir(three_sessions[1]).status == "added"
        assert store.check() == []


def test_process_killed_mid_import_leaves_store_consistent(tmp_path, three_sessions):
    """A real crash: the importing process dies (os._exit) after writing the session and set rows."""
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        store.add_session_dir(three_sessions[0])
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from analysis.history import HistoryStore
        real = HistoryStore._insert_table
        def dying(self, table, *a, **k):
            if table == "reps":
                os._exit(3)  # no rollback, no close: like a crash or a power cut of the process
            return real(self, table, *a, **k)
        HistoryStore._insert_table = dying
        HistoryStore({str(db)!r}).import_dirs([{str(three_sessions[1])!r}, {str(three_sessions[2])!r}])
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    with HistoryStore(db) as store:
        assert store.check() == []
        s = store.sessions()
        assert list(s["source_dir"]) == [str(three_sessions[0].resolve())]
        assert len(store.sets()) == 1 and len(store.reps()) == 2
        rep = store.import_dirs(three_sessions)  # importing again completes the job
        assert len(rep.added) == 2 and len(rep.duplicates) == 1
        assert store.check() == [] and len(store.sessions()) == 3


# --------------------------------------------------------------------------- dates

def test_session_dates(tmp_path, monkeypatch):
    a = make_session(tmp_path / "a", week1_a(), started_at="2024-03-05T06:30:00-08:00")
    f = read_session_dir(a)
    assert f.date_source == "started_at" and f.started_at.isoformat() == "2024-03-05T06:30:00-08:00"
    naive = make_session(tmp_path / "n", week1_a(), started_at="2024-03-05T06:30:00")
    f = read_session_dir(naive)
    assert f.started_at.tzinfo is not None and f.started_at.replace(tzinfo=None) == dt.datetime(2024, 3, 5, 6, 30)
    bad = make_session(tmp_path / "bad", week1_a(), started_at="last tuesday")
    with pytest.raises(NotASession, match="started_at 'last tuesday' is not an ISO 8601"):
        read_session_dir(bad)

    rec = make_session(tmp_path / "r", week1_a())
    (rec / "recording.csv").write_text("t,ax,ay,az\n")
    t_rec = dt.datetime(2023, 6, 1, 12, 0).timestamp()
    os.utime(rec / "recording.csv", (t_rec, t_rec))
    f = read_session_dir(rec)
    assert f.date_source == "recording_mtime" and f.started_at.timestamp() == pytest.approx(t_rec)
    assert f.recording == rec / "recording.csv"

    plain = make_session(tmp_path / "p", week1_a())
    t_dir = dt.datetime(2022, 2, 2, 9, 0).timestamp()
    for p in (plain / "session.json", plain):
        os.utime(p, (t_dir, t_dir))
    f = read_session_dir(plain)
    assert f.date_source == "folder_mtime" and f.started_at.timestamp() == pytest.approx(t_dir)
    (plain / "report.html").write_text("later")  # touches the folder: the date must not move
    assert read_session_dir(plain).started_at.timestamp() == pytest.approx(t_dir)


# --------------------------------------------------------------------------- weekly history

def test_weekly_history_hand_computed(tmp_path, three_sessions):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.import_dirs(three_sessions)
        w = store.weekly_history()
    assert list(w.columns) == WEEKLY_COLUMNS
    assert len(w) == 2
    a, b = w.iloc[0], w.iloc[1]
    # week of Mon 2024-01-01: sessions a (Mon) and b (Sun 23:30 local time, still that week)
    assert a["week"] == pd.Timestamp("2024-01-01") and a["iso_week"] == "2024-W01"
    assert a["exercise"] == "lying-leg-raise"
    assert (a["sessions"], a["sets"], a["reps"]) == (2, 2, 4)
    assert a["tut_s"] == pytest.approx(7 + 6 + 4.2 + 6)
    assert a["median_up_s"] == pytest.approx(2.0)  # 2, 2, 1, 2
    assert a["median_top_hold_s"] == pytest.approx(1.0)  # 1, 1, 0, 1
    assert a["median_down_s"] == pytest.approx(3.0)  # 3, 3, 1, 3
    assert a["median_bottom_hold_s"] == pytest.approx(1.6)  # 1, 2.2
    assert a["median_tempo"] == "3-2-2-1"
    assert a["momentum_share"] == pytest.approx(0.5) and a["partial_share"] == pytest.approx(0.5)
    assert a["median_rom_deg"] == pytest.approx(75.0)  # 80, 90, 60, 70
    assert np.isnan(a["left_reps"]) and np.isnan(a["lr_rom_diff_deg"])
    # week of Mon 2024-01-08: the two-sensor side leg lift session
    assert b["week"] == pd.Timestamp("2024-01-08") and b["exercise"] == "side-leg-lift"
    assert (b["sessions"], b["sets"], b["reps"]) == (1, 1, 2)
    assert b["tut_s"] == pytest.approx(6 + 4.7)
    assert b["median_down_s"] == pytest.approx(2.6) and b["median_tempo"] == "3-0-2-1"
    assert b["momentum_share"] == 0 and b["median_rom_deg"] == pytest.approx(45.0)
    assert (b["left_reps"], b["right_reps"], b["lr_reps_diff"]) == (1, 1, 0)
    assert b["lr_rom_diff_deg"] == pytest.approx(10.0)
    assert b["lr_down_diff_s"] == pytest.approx(0.8)
    assert b["lr_tut_diff_s"] == pytest.approx(1.3)


def test_weekly_history_filters(tmp_path, three_sessions):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert store.weekly_history().empty and list(store.weekly_history().columns) == WEEKLY_COLUMNS
        store.import_dirs(three_sessions)
        assert list(store.weekly_history(exercise="side-leg-lift")["exercise"]) == ["side-leg-lift"]
        assert list(store.weekly_history(since="2024-01-07")["sessions"]) == [1, 1]
        assert list(store.weekly_history(since=dt.date(2024, 1, 8))["iso_week"]) == ["2024-W02"]
        assert store.weekly_history(exercise="heel-tap").empty
        with pytest.raises(ValueError, match="not a date"):
            store.weekly_history(since="soon")


def test_one_sided_sessions_have_no_left_right(tmp_path):
    folder = make_session(tmp_path / "l", week1_a(), side="left", started_at="2024-01-01T10:00:00+00:00")
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.add_session_dir(folder)
        w = store.weekly_history()
    assert w["lr_reps_diff"].isna().all() and w["reps"].tolist() == [2]


# --------------------------------------------------------------------------- commands

def test_import_and_history_commands(tmp_path, three_sessions, capsys):
    db = str(tmp_path / "h.sqlite3")
    rc, out, err = run_cmd(["import", *map(str, three_sessions), "--db", db], capsys)
    assert rc == 0 and "3 added, 0 already stored, 0 skipped" in out
    rc, out, err = run_cmd(["import", str(three_sessions[0]), str(tmp_path / "nope"), "--db", db], capsys)
    assert rc == 2 and "0 added, 1 already stored, 1 skipped" in out
    assert f"skipped {tmp_path / 'nope'}: no such folder" in err

    csv = tmp_path / "out" / "history.csv"
    rc, out, err = run_cmd(["history", "--db", db, "--out", str(csv)], capsys)
    assert rc == 0, err
    assert "2024-W01" in out and "lying-leg-raise" in out and "3-2-2-1" in out and "L-R reps" in out
    back = pd.read_csv(csv)
    assert list(back.columns) == WEEKLY_COLUMNS
    assert back["week"].tolist() == ["2024-01-01", "2024-01-08"] and back["reps"].tolist() == [4, 2]

    rc, out, _ = run_cmd(["history", "--db", db, "--out", str(csv), "--exercise", "side-leg-lift",
                          "--since", "2024-01-02"], capsys)
    assert rc == 0 and "side-leg-lift" in out and "2024-W01" not in out
    rc, out, _ = run_cmd(["history", "--db", db, "--out", str(csv), "--since", "2030-01-01"], capsys)
    assert rc == 0 and "no sessions stored since 2030-01-01" in out and len(pd.read_csv(csv)) == 0
    with pytest.raises(SystemExit) as e:
        run_cmd(["history", "--db", db, "--since", "2024-13-01"])
    assert e.value.code == 2
    assert "'2024-13-01' is not a date" in capsys.readouterr().err


def test_commands_refuse_a_foreign_database(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("my notes\n" * 200)
    rc, _, err = run_cmd(["history", "--db", str(bad), "--out", str(tmp_path / "h.csv")], capsys)
    assert rc == 2 and "notes.txt: not a usable history database" in err
    assert bad.read_text() == "my notes\n" * 200  # untouched


def test_add_to_history(tmp_path, three_sessions, monkeypatch):
    from analysis.history import add_to_history

    db = tmp_path / "h.sqlite3"
    monkeypatch.setenv("IMU_NO_HISTORY", "1")
    assert add_to_history(three_sessions[0], db) == "" and not db.exists()
    monkeypatch.delenv("IMU_NO_HISTORY")
    assert add_to_history(three_sessions[0], db) == f"history: session added to {db}"
    assert add_to_history(three_sessions[0], db) == f"history: session already in {db}"
    assert add_to_history(tmp_path / "nope", db) == f"history: not stored: {tmp_path / 'nope'}: no such folder"


def test_locked_database_keeps_data(tmp_path, three_sessions):
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        store.add_session_dir(three_sessions[0])
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        with HistoryStore(db, timeout_s=0.2) as store:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                store.add_session_dir(three_sessions[1])
    finally:
        other.execute("ROLLBACK")
        other.close()
    with HistoryStore(db) as store:
        assert len(store.sessions()) == 1 and store.check() == []
        assert store.add_session_dir(three_sessions[1]).status == "added"
