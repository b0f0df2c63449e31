"""`partial` against the person's usual full range from the training history: a session of nothing but
partial sets has no full set of its own to compare with."""
import json

import pandas as pd
import pytest

from analysis.usual_range import usual_full_rom
from imu.cli import main
from imu.flags import USUAL_SHARE, SessionRoms


@pytest.fixture
def db_with_full_session(tmp_path):
    """A history holding one session of two full sets of lying leg raises (about 80 deg)."""
    db = tmp_path / "h.sqlite3"
    assert main(["demo", "--exercise", "lying-leg-raise", "--style", "textbook", "--style", "textbook",
                 "--seed", "3", "--out", str(tmp_path / "full"), "--db", str(db)]) == 0
    return db


def _analyze(tmp_path, styles, seed, out, *extra) -> tuple[pd.DataFrame, dict]:
    rec = tmp_path / f"{out}.csv"
    argv = ["simulate", str(rec), "--exercise", "lying-leg-raise", "--seed", str(seed)]
    assert main(argv + [a for s in styles for a in ("--style", s)]) == 0
    assert main(["analyze", str(rec), "--out", str(tmp_path / out), "--exercise", "lying-leg-raise", *extra]) == 0
    reps = pd.read_csv(tmp_path / out / "reps.csv", dtype={"flags": str})
    return reps, json.loads((tmp_path / out / "session.json").read_text())


def test_a_session_of_only_partial_sets_is_partial_against_the_usual_range(db_with_full_session, tmp_path):
    db = str(db_with_full_session)
    reps, summary = _analyze(tmp_path, ["partial", "partial"], 4, "partial", "--db", db)
    assert len(reps) == 24
    assert reps["flags"].fillna("").str.contains("partial").all()
    assert 70 < summary["rom"]["usual_full_deg"] < 90
    alone, summary = _analyze(tmp_path, ["partial", "partial"], 4, "alone", "--no-history", "--db", db)
    assert not alone["flags"].fillna("").str.contains("partial").any()  # nothing to compare with
    assert summary["rom"]["usual_full_deg"] is None


def test_a_full_session_is_not_partial_against_the_usual_range(db_with_full_session, tmp_path):
    reps, _ = _analyze(tmp_path, ["textbook", "slow_eccentric"], 9, "again", "--db", str(db_with_full_session))
    assert len(reps) == 24 and not reps["flags"].fillna("").str.contains("partial").any()


def test_a_live_session_weighs_the_usual_range(db_with_full_session, tmp_path):
    out = tmp_path / "live"
    assert main(["live", "--sim", "--no-view", "--out", str(out), "--exercise", "lying-leg-raise", "--sim-style", "partial", "--sim-style", "partial",
                 "--sim-reps", "6", "--speed", "0", "--db", str(db_with_full_session)]) == 0
    reps = pd.read_csv(out / "reps.csv", dtype={"flags": str})
    assert len(reps) == 12 and reps["flags"].fillna("").str.contains("partial").all()


def test_the_usual_range_is_per_side_and_leaves_out_the_session_analysed_again(db_with_full_session, tmp_path):
    usual = usual_full_rom(db_with_full_session)
    assert set(usual) == {"lying-leg-raise"} and 70 < usual["lying-leg-raise"] < 90
    assert usual_full_rom(db_with_full_session, side="left") == {}  # that session had one sensor
    assert usual_full_rom(db_with_full_session, exclude_dir=tmp_path / "full") == {}


def test_no_history_gives_no_usual_range_and_creates_none(tmp_path, monkeypatch):
    assert usual_full_rom(tmp_path / "none.sqlite3") == {}
    assert not (tmp_path / "none.sqlite3").exists()
    monkeypatch.setenv("IMU_NO_HISTORY", "1")
    (tmp_path / "h.sqlite3").write_bytes(b"")
    assert usual_full_rom(tmp_path / "h.sqlite3") == {}


def test_the_full_range_is_the_days_own_unless_well_short_of_the_usual_one():
    roms = SessionRoms(usual_full_deg=80.0)
    roms.put(1, 0.0, 50.0, False)
    assert roms.references(1, 10.0, 50.0, False)[0] == pytest.approx(USUAL_SHARE * 80.0)
    roms.put(2, 100.0, 85.0, False)
    assert roms.references(2, 110.0, 85.0, False)[0] == pytest.approx(85.0)  # reaching further than usual
    assert SessionRoms().references(1, 0.0, 50.0, False)[0] == pytest.approx(50.0)  # no usual: its own


def test_an_unreadable_history_only_warns(tmp_path, capsys):
    db = tmp_path / "h.sqlite3"
    db.write_bytes(b"not a database" * 100)
    rec = tmp_path / "p.csv"
    assert main(["simulate", str(rec), "--exercise", "lying-leg-raise", "--style", "textbook", "--style", "partial",
                 "--seed", "4"]) == 0
    assert main(["analyze", str(rec), "--out", str(tmp_path / "out"), "--exercise", "lying-leg-raise",
                 "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert "usual range of motion not read" in err and str(db) in err
    reps = pd.read_csv(tmp_path / "out" / "reps.csv", dtype={"flags": str})
    assert reps[reps["set"] == 2]["flags"].fillna("").str.contains("partial").all()  # judged within the session
    assert db.read_bytes() == b"not a database" * 100


def test_one_reps_lever_reads_as_in_the_history():
    """The engine reads one rep's lever at a time (floats), the history a column of them (arrays): the same
    readings either way, an unknown (NaN) one and a rep that did not turn included."""
    import numpy as np

    from imu.flags import lever_m

    up_s = [1.8, 2.0, 0.0, float("nan"), 1.0, 2.0]
    peak_up_dps = [60.0, 300.0, 120.0, 90.0, 0.0, float("nan")]
    peak_accel_g = [0.05, 1.2, 0.3, 0.1, 0.2, 0.1]
    column = lever_m(np.array(up_s), np.array(peak_up_dps), np.array(peak_accel_g))
    one_by_one = [lever_m(*rep) for rep in zip(up_s, peak_up_dps, peak_accel_g)]
    assert all(isinstance(v, float) for v in one_by_one)
    np.testing.assert_allclose(one_by_one, column, rtol=1e-12, equal_nan=True)
    assert np.isnan(column[[4, 5]]).all() and np.isfinite(column[:4]).all()
    assert column[1] == pytest.approx(1.2 * 9.80665 / np.radians(300.0) ** 2)  # its speed squared the larger


def test_a_set_turning_about_a_nearer_axis_is_partial_whatever_its_tilt():
    """With a gyroscope, a set of a hip exercise whose ankle turned about an axis nearer than the hip (a knee or ankle
    bend: the hip barely moved) is partial however far the ankle tilted; a set about the hip is judged by its range."""
    from imu.flags import rom_flags
    from imu.presets import get_preset

    p = get_preset("reverse-leg-lift")
    roms = SessionRoms(pivot_lever_m=p.pivot_lever_m)
    for k, lever in enumerate([0.5, 0.45, 0.55]):
        roms.put(1, 10.0 * k, 11.0, False, lever)
    for k, lever in enumerate([0.12, 0.18, 0.15]):
        roms.put(2, 100.0 + 10.0 * k, 21.0, False, lever)
    def off_pivot(roms, set_no, start_s, lever):
        return roms.references(set_no, start_s, 21.0, False, lever)[2]

    assert not off_pivot(roms, 1, 20.0, 0.55) and off_pivot(roms, 2, 120.0, 0.15)
    assert off_pivot(roms, 2, 120.0, 0.5)  # (one rep about the hip among them: the set's median lever decides)
    assert not off_pivot(SessionRoms(), 2, 120.0, 0.15)  # no pivot to check against (pivot_lever_m 0)
    full, set_median, _ = roms.references(2, 120.0, 21.0, False, 0.15)
    assert full == pytest.approx(11.0)  # (the set about the knee sets no full range)
    assert rom_flags(21.0, p, full, set_median, off_pivot=True) == ["partial"]
    assert rom_flags(21.0, p, full, set_median) == []
    assert rom_flags(21.0, p, full, set_median, trusted=False, off_pivot=True) == []  # (a swing: momentum says it)
