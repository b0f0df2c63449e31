"""The pandas side of ``imu analyze``: tables, session summary, output files and plot."""
from __future__ import annotations

import json
import math
import struct

import numpy as np
import pandas as pd
import pytest

from analysis.export import FILE_NAMES, atomic_write, write_session
from analysis.plot import _TOP, FLAG_COLOR, FLAG_LETTERS, decimate_minmax, flag_letters, plot_session
from analysis.summary import session_summary
from analysis.tables import (
    COLUMN_DOCS,
    COLUMN_UNITS,
    REPS_COLUMNS,
    SETS_COLUMNS,
    columns_markdown,
    read_reps_csv,
    read_sets_csv,
    reps_table,
    sets_table,
)
from imu.rep import FLAG_DESCRIPTIONS, Rep

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def two_sets() -> list[Rep]:
    """2 sets of 3 reps with hand-picked times (see the expected values in the tests)."""
    return [
        # set 1: up 2 / top 1 / down 3, bottom 1
        Rep(1, 1, 10.0, 12.0, 13.0, 16.0, 80.0, 100.0, 120.0, 0.0, (), 1.0),
        # up 1.5 / no top hold / down 2.5, bottom 2; unrounded angle and speeds
        Rep(1, 2, 17.0, 18.5, 18.5, 21.0, 78.04, 150.26, 200.04, 1.26, ("momentum", "rushed"), 2.0),
        # set's last rep: no bottom hold; up 2 / top 1.5 / down 3
        Rep(1, 3, 23.0, 25.0, 26.5, 29.5, 60.0, 90.0, 110.0, 0.5, ("partial",), None),
        # set 2, 60 s after set 1's end; feet rested in the bottom pause: bottom hold not in TUT
        Rep(2, 1, 89.5, 91.5, 92.5, 95.5, 82.0, 100.0, 100.0, 0.0, ("feet_rested",), 1.5),
        Rep(2, 2, 97.0, 99.0, 100.0, 103.0, 84.0, 100.0, 100.0, 0.0, (), 0.5),
        Rep(2, 3, 103.5, 105.5, 106.5, 109.5, 86.0, 100.0, 100.0, 0.0, ("momentum",), None),
    ]


def trace(reps: list[Rep], fs: float = 25.0, t_end: float = 120.0):
    """A leg-angle trace matching the reps, NaN outside the sets."""
    t = np.arange(0.0, t_end, 1.0 / fs)
    y = np.full(t.size, np.nan)
    for r in reps:
        xs = [r.start_s, r.top_s, r.lower_s, r.end_s, r.end_s + (r.bottom_hold_s or 0.0)]
        ys = [r.bottom_deg, r.bottom_deg + r.rom_deg, r.bottom_deg + r.rom_deg, r.bottom_deg, r.bottom_deg]
        m = (t >= xs[0]) & (t <= xs[-1])
        y[m] = np.interp(t[m], xs, ys)
    return t, y


INFO = {
    "exercise": "lying-leg-raise",
    "auto_detected": True,
    "source": "recordings/2026-11-21.csv",
    "duration_s": np.float64(120.0),
    "sample_rate_hz": 25,
    "has_gyro": np.bool_(True),
    "quality": {"gaps": 1, "dropped_duplicates": np.int64(3), "nans_filled": 2, "gap_s": [12.5]},
    "preset": {"momentum_dps": 250.0, "rushed_up_s": 1.0, "target_rom_deg": 70},
    "engine_version": "test-1",
}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --------------------------------------------------------------------------- reps table

def test_reps_table_columns_and_values():
    df = reps_table(two_sets())
    assert list(df.columns) == REPS_COLUMNS
    assert REPS_COLUMNS[:16] == [
        "set", "rep", "start_s", "peak_s", "end_s", "up_s", "top_hold_s", "down_s", "bottom_hold_s",
        "tut_s", "tempo", "rom_deg", "peak_up_dps", "peak_down_dps", "momentum", "flags"]
    assert REPS_COLUMNS[16:] == ["top_s", "lower_s", "bottom_deg", "peak_accel_g", "side"]
    assert len(df) == 6
    assert df["set"].tolist() == [1, 1, 1, 2, 2, 2]
    assert df["rep"].tolist() == [1, 2, 3, 1, 2, 3]

    # phases from the timestamps
    np.testing.assert_allclose(df["up_s"], df["top_s"] - df["start_s"])
    np.testing.assert_allclose(df["top_hold_s"], df["lower_s"] - df["top_s"])
    np.testing.assert_allclose(df["down_s"], df["end_s"] - df["lower_s"])
    assert df["up_s"].tolist() == [2.0, 1.5, 2.0, 2.0, 2.0, 2.0]
    assert df["top_hold_s"].tolist() == [1.0, 0.0, 1.5, 1.0, 1.0, 1.0]
    assert df["down_s"].tolist() == [3.0, 2.5, 3.0, 3.0, 3.0, 3.0]
    assert df["peak_s"].tolist() == [12.5, 18.5, 25.75, 92.0, 99.5, 106.0]

    # bottom hold empty (NaN) on each set's last rep
    bh = df["bottom_hold_s"].tolist()
    assert bh[0] == 1.0 and bh[1] == 2.0 and math.isnan(bh[2])
    assert bh[3] == 1.5 and bh[4] == 0.5 and math.isnan(bh[5])

    # TUT: up + top + down (+ bottom hold unless the feet rested)
    assert df["tut_s"].tolist() == [7.0, 6.0, 6.5, 6.0, 6.5, 6.0]
    # tempo down-bottom-up-top in whole seconds (as Rep.tempo: Python rounding, 2.5 -> 2)
    assert df["tempo"].tolist() == ["3-1-2-1", "2-2-2-0", "3-0-2-2", "3-2-2-1", "3-0-2-1", "3-0-2-1"]
    assert df["tempo"].tolist() == [r.tempo for r in two_sets()]

    # flags and momentum
    assert df["flags"].tolist() == ["", "momentum;rushed", "partial", "feet_rested", "", "momentum"]
    assert df["momentum"].dtype == bool
    assert df["momentum"].tolist() == [False, True, False, False, False, True]

    # rounding: angles and speeds to 1 decimal
    assert df.loc[1, "rom_deg"] == 78.0
    assert df.loc[1, "peak_up_dps"] == 150.3
    assert df.loc[1, "peak_down_dps"] == 200.0
    assert df.loc[1, "bottom_deg"] == 1.3
    assert df["side"].tolist() == [""] * 6


def test_reps_table_rounds_times_to_ms_and_orders_rows():
    r = Rep(1, 1, 1.00049, 2.0004, 2.5, 4.12345, 50.0, 10.0, 10.0)
    r0 = Rep(1, 2, 5.0, 6.0, 6.0, 7.0, 50.0, 10.0, 10.0)
    df = reps_table([r0, r])  # out of order in, ordered out
    assert df["rep"].tolist() == [1, 2]
    assert df.loc[0, "start_s"] == 1.0
    assert df.loc[0, "end_s"] == 4.123
    assert df.loc[0, "up_s"] == 1.0
    assert df.loc[0, "down_s"] == 1.623


def test_reps_table_empty_has_columns():
    df = reps_table([])
    assert list(df.columns) == REPS_COLUMNS
    assert len(df) == 0
    sets = sets_table(df)
    assert list(sets.columns) == SETS_COLUMNS
    assert len(sets) == 0


def test_reps_table_side():
    reps = two_sets()
    df = reps_table(reps, side=["left"] * 3 + ["right"] * 3)
    assert df["side"].tolist() == ["left"] * 3 + ["right"] * 3
    assert reps_table(reps, side="left")["side"].tolist() == ["left"] * 6
    with pytest.raises(ValueError):
        reps_table(reps, side=["left"])


# --------------------------------------------------------------------------- sets table

def test_sets_table_hand_computed():
    s = sets_table(reps_table(two_sets()))
    assert list(s.columns) == SETS_COLUMNS
    assert s["set"].tolist() == [1, 2]
    a, b = s.iloc[0], s.iloc[1]

    assert (a.start_s, a.end_s, a.duration_s, a.reps, a.tut_s) == (10.0, 29.5, 19.5, 3, 19.5)
    assert math.isnan(a.rest_before_s)
    assert (a.median_up_s, a.median_top_hold_s, a.median_down_s, a.median_bottom_hold_s) == (2.0, 1.0, 3.0, 1.5)
    assert a.median_tempo == "3-2-2-1"
    assert (a.median_rom_deg, a.max_rom_deg) == (78.0, 80.0)
    assert a.mean_peak_up_dps == round((100.0 + 150.3 + 90.0) / 3, 1)
    assert a.mean_peak_down_dps == round((120.0 + 200.0 + 110.0) / 3, 1)
    assert (a.momentum_reps, a.rushed_reps, a.partial_reps, a.feet_rested_reps, a.flagged_reps) == (1, 1, 1, 0, 2)

    assert (b.start_s, b.end_s, b.duration_s, b.reps, b.tut_s) == (89.5, 109.5, 20.0, 3, 18.5)
    assert b.rest_before_s == 60.0
    assert (b.median_up_s, b.median_top_hold_s, b.median_down_s, b.median_bottom_hold_s) == (2.0, 1.0, 3.0, 1.0)
    assert b.median_tempo == "3-1-2-1"
    assert (b.median_rom_deg, b.max_rom_deg) == (84.0, 86.0)
    assert (b.mean_peak_up_dps, b.mean_peak_down_dps) == (100.0, 100.0)
    assert (b.momentum_reps, b.rushed_reps, b.partial_reps, b.feet_rested_reps, b.flagged_reps) == (1, 0, 0, 1, 2)


def test_sets_table_single_rep_set_has_no_bottom_hold():
    s = sets_table(reps_table([Rep(1, 1, 0.0, 1.0, 2.0, 3.0, 40.0, 50.0, 50.0)]))
    assert s.loc[0, "reps"] == 1
    assert math.isnan(s.loc[0, "median_bottom_hold_s"])
    assert s.loc[0, "median_tempo"] == "1-0-1-1"


# --------------------------------------------------------------------------- summary

def test_session_summary_totals():
    reps_df = reps_table(two_sets())
    summ = session_summary(reps_df, sets_table(reps_df), INFO)
    json.dumps(summ, allow_nan=False)  # plain JSON types only

    assert summ["exercise"] == {"preset": "lying-leg-raise", "auto_detected": True, "auto_evidence": None}
    assert summ["recording"] == {"source_file": "recordings/2026-11-21.csv", "duration_s": 120.0,
                                 "sample_rate_hz": 25.0, "has_gyro": True}
    t = summ["totals"]
    assert (t["sets"], t["reps"], t["tut_s"]) == (2, 6, 38.0)
    assert (t["momentum_reps"], t["partial_reps"], t["rushed_reps"], t["feet_rested_reps"]) == (2, 1, 1, 1)
    assert t["flagged_reps"] == 4
    assert t["flags"] == {code: {"momentum": 2, "rushed": 1, "partial": 1, "feet_rested": 1}.get(code, 0)
                          for code in FLAG_DESCRIPTIONS}
    assert summ["tempo"] == {"up_s": 2.0, "top_hold_s": 1.0, "down_s": 3.0, "bottom_hold_s": 1.25,
                             "tempo": "3-1-2-1"}
    assert summ["rom"] == {"median_deg": 81.0, "max_deg": 86.0, "usual_full_deg": None}
    assert summ["sets"] == [{"set": 1, "reps": 3, "tut_s": 19.5}, {"set": 2, "reps": 3, "tut_s": 18.5}]
    assert summ["data_quality"] == {"gaps": 1, "dropped_duplicates": 3, "nans_filled": 2, "gap_s": [12.5]}
    assert summ["engine"] == {"version": "test-1", "preset": INFO["preset"]}
    assert "side" not in summ


def test_session_summary_sides_and_unknown_flags():
    reps = two_sets() + [Rep(3, 1, 200.0, 201.0, 201.0, 202.0, 50.0, 50.0, 50.0, flags=("wobble",))]
    reps_df = reps_table(reps, side=["left"] * 3 + ["right"] * 4)
    summ = session_summary(reps_df, sets_table(reps_df), {})
    assert summ["side"] == {"left": 3, "right": 4}
    assert summ["totals"]["flags"]["wobble"] == 1
    assert summ["exercise"] == {"preset": None, "auto_detected": False, "auto_evidence": None}
    assert summ["data_quality"] == {}
    assert summ["engine"]["preset"] is None


def test_session_summary_preset_dataclass_is_serialised():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class FakePreset:
        slug: str
        momentum_dps: float
        tempo_s: tuple[float, float]

    reps_df = reps_table(two_sets())
    summ = session_summary(reps_df, sets_table(reps_df),
                           {"preset": FakePreset("heel-tap", np.float32(250.0), (1.0, 2.0))})
    assert summ["engine"]["preset"] == {"slug": "heel-tap", "momentum_dps": 250.0, "tempo_s": [1.0, 2.0]}
    json.dumps(summ, allow_nan=False)


# --------------------------------------------------------------------------- files

def test_write_session_files(tmp_path):
    reps = two_sets()
    t, y = trace(reps)
    out = tmp_path / "nested" / "session-1"
    paths = write_session(out, reps, t, y, INFO)

    assert set(paths) == set(FILE_NAMES)
    assert {p.name for p in paths.values()} == {"reps.csv", "sets.csv", "session.json", "session.png"}
    assert all(p.parent == out and p.is_file() for p in paths.values())
    # atomic writes leave no temporary files behind
    assert sorted(p.name for p in out.iterdir()) == ["reps.csv", "session.json", "session.png", "sets.csv"]

    # reps.csv: plain CSV with a header, no index, true/false, empty cells
    text = paths["reps_csv"].read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(REPS_COLUMNS)
    assert len(lines) == 7
    assert lines[1] == "1,1,10.0,12.5,16.0,2.0,1.0,3.0,1.0,7.0,3-1-2-1,80.0,100.0,120.0,false,,12.0,13.0,0.0,0.0,"
    assert lines[2].split(",")[14:16] == ["true", "momentum;rushed"]
    assert lines[3].split(",")[8] == ""  # bottom_hold_s empty on a set's last rep
    assert "\r" not in text

    # plain pandas sees the values
    raw = pd.read_csv(paths["reps_csv"])
    assert list(raw.columns) == REPS_COLUMNS
    assert raw["momentum"].tolist() == [False, True, False, False, False, True]
    assert raw["bottom_hold_s"].isna().tolist() == [False, False, True, False, False, True]
    assert raw["tempo"].tolist() == ["3-1-2-1", "2-2-2-0", "3-0-2-2", "3-2-2-1", "3-0-2-1", "3-0-2-1"]

    # read back: the same tables
    reps_df = reps_table(reps)
    pd.testing.assert_frame_equal(read_reps_csv(paths["reps_csv"]), reps_df)
    pd.testing.assert_frame_equal(read_sets_csv(paths["sets_csv"]), sets_table(reps_df))
    sets_raw = pd.read_csv(paths["sets_csv"])
    assert sets_raw["rest_before_s"].tolist()[1] == 60.0 and math.isnan(sets_raw["rest_before_s"][0])
    assert sets_raw["median_tempo"].tolist() == ["3-2-2-1", "3-1-2-1"]

    # session.json
    summ = json.loads(paths["session_json"].read_text(encoding="utf-8"))
    assert summ["totals"]["reps"] == 6 and summ["totals"]["sets"] == 2
    assert summ["totals"]["tut_s"] == 38.0
    assert summ["totals"]["momentum_reps"] == 2
    assert paths["session_json"].read_text().startswith('{\n  "')  # indent 2

    # session.png: a real PNG of a sensible size
    data = paths["session_png"].read_bytes()
    w, h = png_size(data)
    assert 800 <= w <= 4000 and 300 <= h <= 3000
    assert 10_000 < len(data) < 5_000_000


def test_write_session_empty(tmp_path):
    paths = write_session(tmp_path / "empty", [], [], [], {"exercise": "lying-leg-raise"})
    assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == sorted(FILE_NAMES.values())
    assert paths["reps_csv"].read_text().splitlines() == [",".join(REPS_COLUMNS)]
    assert paths["sets_csv"].read_text().splitlines() == [",".join(SETS_COLUMNS)]
    reps_back = read_reps_csv(paths["reps_csv"])
    assert list(reps_back.columns) == REPS_COLUMNS and len(reps_back) == 0
    assert len(pd.read_csv(paths["reps_csv"])) == 0
    summ = json.loads(paths["session_json"].read_text())
    assert summ["totals"]["reps"] == 0 and summ["totals"]["sets"] == 0
    assert summ["totals"]["tut_s"] == 0.0
    assert summ["tempo"]["tempo"] is None and summ["rom"]["median_deg"] is None
    assert summ["sets"] == []
    png_size(paths["session_png"].read_bytes())


def test_write_session_with_all_nan_trace_and_no_reps(tmp_path):
    t = np.arange(0, 10, 0.04)
    paths = write_session(tmp_path, [], t, np.full(t.size, np.nan), {})
    png_size(paths["session_png"].read_bytes())


def test_write_session_overwrites(tmp_path):
    write_session(tmp_path, two_sets(), *trace(two_sets()), INFO)
    paths = write_session(tmp_path, two_sets()[:2], *trace(two_sets()[:2]), INFO)
    assert len(read_reps_csv(paths["reps_csv"])) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILE_NAMES.values())


def test_atomic_write_failure_keeps_old_file_and_no_temp(tmp_path):
    target = tmp_path / "reps.csv"
    atomic_write(target, lambda f: f.write("old,content\n"))

    def crash(f):
        f.write("half,writ")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(target, crash)
    assert target.read_text() == "old,content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["reps.csv"]


def test_plot_failure_leaves_no_partial_png(tmp_path):
    with pytest.raises(ValueError):  # trace lengths differ
        write_session(tmp_path, two_sets(), [0.0, 1.0], [0.0], INFO)
    assert not (tmp_path / "session.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------------- plot

def test_decimate_minmax_keeps_envelope_and_gaps():
    t = np.arange(100_000) / 25.0
    y = np.sin(t)
    y[40_000:50_000] = np.nan  # a long gap
    td, yd = decimate_minmax(t, y, 1000)
    assert td.size <= 2 * 1000 + 2
    assert np.all(np.diff(td) >= 0)
    assert np.nanmax(yd) == np.nanmax(y) and np.nanmin(yd) == np.nanmin(y)
    gap = (td > 1_600.0 + 10) & (td < 2_000.0 - 10)
    assert gap.any() and np.isnan(yd[gap]).all()
    assert np.isfinite(yd[td < 1_500.0]).all()
    # short traces untouched
    ts, ys = decimate_minmax(t[:100], y[:100], 1000)
    assert ts.size == 100


def test_plot_of_a_long_session_is_drawn(tmp_path):
    # an hour at 25 Hz with 30 sets of 20 reps, NaN between sets
    reps = []
    t0 = 5.0
    for s in range(1, 31):
        for r in range(1, 21):
            last = r == 20
            reps.append(Rep(s, r, t0, t0 + 1.5, t0 + 2.0, t0 + 4.0, 70.0, 90.0, 80.0,
                            flags=("rushed",) if r % 5 == 0 else (), bottom_hold_s=None if last else 1.0))
            t0 += 5.0
        t0 += 20.0
    t, y = trace(reps, t_end=3600.0)
    assert t.size == 90_000
    reps_df = reps_table(reps)
    out = plot_session(tmp_path / "long.png", t, y, reps_df, title="long")
    width, height = png_size(out.read_bytes())
    assert width >= 800 and height >= 300


def test_plot_with_phase_labels(tmp_path):
    reps = two_sets()
    t, y = trace(reps)
    labels = np.full(t.size, "", dtype=object)
    for r in reps:
        labels[(t >= r.start_s) & (t < r.top_s)] = "up"
        labels[(t >= r.top_s) & (t < r.lower_s)] = "top_hold"
        labels[(t >= r.lower_s) & (t < r.end_s)] = "down"
    paths = write_session(tmp_path, reps, t, y, INFO, phases=labels)
    png_size(paths["session_png"].read_bytes())
    with pytest.raises(ValueError):
        plot_session(tmp_path / "x.png", t, y, reps_table(reps), phases=labels[:10])


def test_flag_codes_on_the_plot_stay_inside_it(tmp_path):
    # swung reps flagged three ways, a rep every ~2 s: the codes (stacked letters) are drawn inside the
    # axes, above the reps, and every flag the engine can raise has its own letter
    from PIL import Image

    assert sorted(FLAG_LETTERS) == sorted(FLAG_DESCRIPTIONS)
    assert len(set(FLAG_LETTERS.values())) == len(FLAG_LETTERS)
    assert flag_letters(("momentum", "feet_rested", "no_top_hold")) == "M\nF\nH"
    reps, t0 = [], 10.0
    for r in range(1, 31):
        reps.append(Rep(1, r, t0, t0 + 0.5, t0 + 0.6, t0 + 1.0, 85.0, 300.0, 300.0,
                        flags=("momentum", "feet_rested", "no_top_hold"), bottom_hold_s=None if r == 30 else 1.0))
        t0 += 2.0
    t, y = trace(reps, t_end=t0 + 10)
    out = plot_session(tmp_path / "swung.png", t, y, reps_table(reps), title="swung")
    rgb = np.asarray(Image.open(out).convert("RGB")).astype(int)
    red = np.array([int(FLAG_COLOR[i:i + 2], 16) for i in (1, 3, 5)])
    rows = np.flatnonzero((np.abs(rgb - red).sum(axis=2) < 60).any(axis=1))
    axes_top_px = (1 - _TOP) * rgb.shape[0]
    plot_rows = rows[rows < 0.8 * rgb.shape[0]]  # the key under the plot is red too
    assert plot_rows.size and plot_rows.min() > axes_top_px


# --------------------------------------------------------------------------- docs

def test_column_docs_cover_every_column():
    assert list(COLUMN_DOCS["reps"]) == REPS_COLUMNS
    assert list(COLUMN_DOCS["sets"]) == SETS_COLUMNS
    assert set(COLUMN_UNITS["reps"]) == set(REPS_COLUMNS)
    assert set(COLUMN_UNITS["sets"]) == set(SETS_COLUMNS)
    assert all(COLUMN_DOCS[t][c] for t in COLUMN_DOCS for c in COLUMN_DOCS[t])
    md = columns_markdown()
    for c in REPS_COLUMNS + SETS_COLUMNS:
        assert f"| `{c}` |" in md
    assert md.count("|---|---|---|") == 2


def test_session_png_encoder_round_trips_and_shading_covers_spans(tmp_path):
    # analysis.plot writes session.png itself (RGB, "Up" filter): what Pillow reads back is what was drawn
    import io

    from PIL import Image

    from analysis.plot import _coverage, _png_bytes

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    rgb[10:20] = rgb[9]  # repeated rows, as the plot's columns
    im = Image.open(io.BytesIO(_png_bytes(rgb, 110)))
    assert im.mode == "RGB" and im.size == (53, 37)
    assert np.array_equal(np.asarray(im), rgb)
    assert round(im.info["dpi"][0]) == 110
    # the share of each pixel column the spans cover, a span narrower than a column included
    edges = np.arange(6, dtype=float)  # columns [0, 1], [1, 2], ..., [4, 5]
    cov = _coverage(np.array([[0.5, 2.0], [3.25, 3.5], [4.0, 9.0]]), edges)
    assert np.allclose(cov, [0.5, 1.0, 0.0, 0.25, 1.0])
