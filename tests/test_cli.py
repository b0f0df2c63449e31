"""`imu analyze` end to end: the files a user opens, and clear refusals of bad input."""
import json

import pandas as pd
import pytest

from imu.cli import main


@pytest.fixture(scope="module")
def seated_csv(real, tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "seated.csv"
    real["seated-leg-raise"].moving.to_csv(path, index=False)
    return path


def test_analyze_writes_reps_sets_session_and_plot(seated_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["analyze", str(seated_csv), "--out", str(out), "--exercise", "seated-leg-raise"]) == 0
    assert "30 reps in 3 sets" in capsys.readouterr().out
    reps = pd.read_csv(out / "reps.csv")
    assert list(reps.columns[:16]) == ["set", "rep", "start_s", "peak_s", "end_s", "up_s", "top_hold_s", "down_s",
                                      "bottom_hold_s", "tut_s", "tempo", "rom_deg", "peak_up_dps", "peak_down_dps",
                                      "momentum", "flags"]
    assert reps.groupby("set").size().tolist() == [10, 10, 10]
    assert (reps.up_s + reps.top_hold_s + reps.down_s - (reps.end_s - reps.start_s)).abs().max() < 0.01
    last = reps.groupby("set").tail(1)
    assert last.bottom_hold_s.isna().all() and reps.bottom_hold_s.notna().sum() == 27
    assert reps.tempo.str.fullmatch(r"\d+-\d+-\d+-\d+").all()
    sets = pd.read_csv(out / "sets.csv")
    assert sets.reps.tolist() == [10, 10, 10]
    summary = json.loads((out / "session.json").read_text())
    assert summary["totals"]["reps"] == 30 and summary["totals"]["sets"] == 3
    assert summary["exercise"]["preset"] == "seated-leg-raise"
    assert summary["exercise"]["auto_detected"] is False and summary["exercise"]["auto_evidence"] is None
    assert (out / "session.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_auto_preset_counts_the_same(seated_csv, tmp_path, capsys):
    assert main(["analyze", str(seated_csv), "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "session.json").read_text())
    assert summary["totals"]["reps"] == 30
    assert summary["exercise"]["auto_detected"] is True
    # the shin hangs from the knee: a seated raise, not a lying one (whose feet_rested flag would mark correct reps),
    # and session.json says what showed it
    assert summary["exercise"]["preset"] == "seated-leg-raise"
    evidence = summary["exercise"]["auto_evidence"]
    assert evidence["lever_from_down_deg"] < 35 and evidence["lever_m"] < 0.6 and evidence["first_set_rom_deg"] > 45


@pytest.mark.parametrize("content, message", [
    ("t,ax,ay\n0,0,0\n", "missing"),
    ("t,ax,ay,az\n0,0,0,1\n0.01,zero,0,1\n", "zero"),
    ("", "empty"),
])
def test_bad_recordings_exit_2_with_file_row_and_problem(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    assert main(["analyze", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and message in err.lower()
    assert not (tmp_path / "o").exists()


def test_wrong_unit_is_refused_with_a_hint(real, tmp_path, capsys):
    df = real["seated-leg-raise"].moving.copy()
    df[["ax", "ay", "az"]] *= 9.80665
    path = tmp_path / "ms2.csv"
    df.to_csv(path, index=False)
    assert main(["analyze", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "m/s2" in capsys.readouterr().err
    assert main(["analyze", str(path), "--out", str(tmp_path / "o"), "--acc-unit", "m/s2",
                 "--exercise", "seated-leg-raise"]) == 0


def test_unknown_exercise_is_refused(seated_csv, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["analyze", str(seated_csv), "--out", str(tmp_path), "--exercise", "bicep-curl"])
    assert e.value.code == 2
    assert "bicep-curl" in capsys.readouterr().err


def test_a_live_session_lands_in_the_training_history(tmp_path, capsys):
    from analysis.history import HistoryStore

    out = tmp_path / "live"
    code = main(["live", "--sim", "--no-view", "--out", str(out), "--sim-style", "textbook", "--sim-reps", "6",
                 "--speed", "0", "--db", str(tmp_path / "h.sqlite3")])
    assert code == 0
    assert "history: session added" in capsys.readouterr().out
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        sessions = store.sessions()
    assert len(sessions) == 1 and int(sessions["reps"].iloc[0]) == len(pd.read_csv(out / "reps.csv"))


@pytest.mark.parametrize("argv", [
    ["demo", "--reps", "4", "--style", "textbook", "--style", "textbook", "--style", "textbook"],
    ["live", "--sim", "--no-view", "--sim-style", "textbook", "--sim-reps", "4", "--speed", "0"],
])
def test_a_simulated_session_leaves_the_users_history_alone(argv, tmp_path, capsys, monkeypatch):
    """Simulated reps must not become the person's usual range of motion or weekly log (unless --db)."""
    monkeypatch.setenv("IMU_HOME", str(tmp_path / "home"))
    assert main(argv + ["--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "training history is left alone" in out and "history: session added" not in out
    assert (tmp_path / "out" / "reps.csv").exists() and not (tmp_path / "home" / "history.sqlite3").exists()


def test_one_shot_commands_run_with_the_cyclic_collector_paused_and_turn_it_on_again(monkeypatch, tmp_path):
    import gc

    import imu.cli as cli

    seen = []
    monkeypatch.setattr(cli, "_analyze", lambda args: seen.append(gc.isenabled()) or 0)
    assert gc.isenabled()
    assert main(["analyze", str(tmp_path / "x.csv"), "--out", str(tmp_path / "out"), "--no-history"]) == 0
    assert seen == [False] and gc.isenabled()
    # a bad recording (exit code 2) turns it on again too
    monkeypatch.undo()
    assert main(["analyze", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "out"), "--no-history"]) == 2
    assert gc.isenabled()
