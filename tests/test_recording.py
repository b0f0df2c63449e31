"""Tests for imu.recording: the raw recording format, reading, validating, cleaning and writing."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.recording import (
    STANDARD_GRAVITY,
    Recording,
    RecordingError,
    read_recording,
    recording_from_frame,
    write_recording,
)

# --------------------------------------------------------------------------------------------
# helpers


def static_frame(duration_s: float = 10.0, rate_hz: float = 50.0, gyro: bool = True) -> pd.DataFrame:
    """A synthetic static recording at 1 g with a little deterministic wobble, 6-decimal values."""
    n = int(round(duration_s * rate_hz))
    t = np.arange(n) / rate_hz
    cols = {
        "t": t,
        "ax": 0.01 * np.sin(2 * np.pi * 0.3 * t),
        "ay": 0.02 * np.cos(2 * np.pi * 0.2 * t),
        "az": 1.0 + 0.005 * np.sin(2 * np.pi * 1.1 * t),
    }
    if gyro:
        cols.update(
            gx=2.0 * np.sin(2 * np.pi * 0.5 * t),
            gy=-1.5 * np.cos(2 * np.pi * 0.4 * t),
            gz=0.5 * np.sin(2 * np.pi * 0.7 * t),
        )
    return pd.DataFrame(cols).round(6)


def csv_text(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, float_format="%.6f", lineterminator="\n")


def write_text(path, text: str):
    path.write_text(text)
    return path


def csv_lines(df: pd.DataFrame) -> list[str]:
    return csv_text(df).splitlines()


def assert_refused(path, *parts: str, **read_kw) -> RecordingError:
    """``read_recording(path, **read_kw)`` refuses the file with a message naming it and every part;
    returns the error."""
    with pytest.raises(RecordingError) as e:
        read_recording(path, **read_kw)
    assert_error(e, path, *parts)
    return e.value


def assert_error(exc: pytest.ExceptionInfo, path, *parts: str) -> None:
    msg = str(exc.value)
    assert str(path) in msg, msg
    for p in parts:
        assert p in msg, f"{p!r} not in {msg!r}"


# --------------------------------------------------------------------------------------------
# refusals: file level


def test_missing_file(tmp_path):
    p = tmp_path / "nope.csv"
    err = assert_refused(p, "whole file", "file not found")
    assert isinstance(err, ValueError)


def test_missing_parquet_file(tmp_path):
    p = tmp_path / "nope.parquet"
    assert_refused(p, "whole file", "file not found")


def test_empty_csv(tmp_path):
    p = write_text(tmp_path / "empty.csv", "")
    assert_refused(p, "line 1", "empty")


def test_blank_lines_only_csv(tmp_path):
    p = write_text(tmp_path / "blank.csv", "\n\n  \n")
    assert_refused(p, "line 1", "empty")


def test_empty_parquet(tmp_path):
    p = tmp_path / "empty.parquet"
    p.write_bytes(b"")
    assert_refused(p, "whole file", "empty")


def test_header_only_csv(tmp_path):
    p = write_text(tmp_path / "hdr.csv", "t,ax,ay,az\n")
    assert_refused(p, "line 2", "no data rows")


def test_garbled_binary_csv(tmp_path):
    p = tmp_path / "garbled.csv"
    p.write_bytes(b"t,ax,ay,az\n0.0,0,0,1\n\x89PNG\x00\x1a\x0b\xff\xfe\n")
    assert_refused(p, "line 3", "binary data")


def test_garbled_text_csv_reports_missing_columns(tmp_path):
    p = write_text(tmp_path / "junk.csv", "Lorem ipsum dolor sit amet\nconsectetur adipiscing\n")
    assert_refused(p, "header (line 1)", "missing required column(s) t, ax, ay, az", "Lorem ipsum")


def test_semicolon_separated_csv_gets_a_hint(tmp_path):
    p = write_text(tmp_path / "semi.csv", "t;ax;ay;az\n0;0;0;1\n")
    assert_refused(p, "header (line 1)", "missing required column", "separator")


def test_stray_quote_is_garbled(tmp_path):
    lines = [ln + ',"ok"' for ln in csv_lines(static_frame())]
    lines[10] = lines[10][:-4] + '"oops'  # opens a quoted field that never ends
    p = write_text(tmp_path / "quote.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 11", "garbled CSV", "unbalanced quote")


def test_truncated_parquet(tmp_path):
    good = tmp_path / "good.parquet"
    write_recording(good, static_frame())
    data = good.read_bytes()
    p = tmp_path / "cut.parquet"
    p.write_bytes(data[: len(data) // 2])
    assert_refused(p, "whole file", "truncated or corrupt")


def test_corrupt_parquet(tmp_path):
    p = tmp_path / "corrupt.parquet"
    p.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    assert_refused(p, "whole file", "truncated or corrupt")


def test_corrupt_gzip(tmp_path):
    p = tmp_path / "bad.csv.gz"
    p.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 100)
    assert_refused(p, "whole file", "gzip")


# --------------------------------------------------------------------------------------------
# refusals: columns and values


def test_missing_columns_names_missing_and_found(tmp_path):
    df = static_frame(gyro=False).drop(columns=["az"])
    p = write_text(tmp_path / "noaz.csv", csv_text(df))
    assert_refused(p, "header (line 1)", "missing required column(s) az", "found columns: 't', 'ax', 'ay'")


def test_missing_columns_parquet(tmp_path):
    p = tmp_path / "not.parquet"
    static_frame(gyro=False).drop(columns=["t"]).to_parquet(p)
    assert_refused(p, "columns", "missing required column(s) t", "found columns: 'ax', 'ay', 'az'")


def test_duplicate_column_refused(tmp_path):
    p = write_text(tmp_path / "dup.csv", "t,ax,ay,az,AX\n0,0,0,1,0\n")
    assert_refused(p, "header (line 1)", "'ax' appears more than once")


def test_only_some_gyro_columns(tmp_path):
    df = static_frame().drop(columns=["gz"])
    p = write_text(tmp_path / "gyro2.csv", csv_text(df))
    assert_refused(p, "header (line 1)", "only some gyro columns present (gx, gy)", "missing gz")


def test_non_numeric_value_csv(tmp_path):
    lines = csv_lines(static_frame())
    parts = lines[4].split(",")
    parts[2] = "abc"  # ay of data row 4, file line 5
    lines[4] = ",".join(parts)
    p = write_text(tmp_path / "text.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 5 (data row 4)", "column 'ay'", "non-numeric value 'abc'")


def test_non_numeric_value_line_numbers_count_blank_lines(tmp_path):
    lines = csv_lines(static_frame(gyro=False))
    lines[6] = ",".join(lines[6].split(",")[:3] + ["1.0x"])
    text = "\n" + lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n"  # blank lines before/after the header
    p = write_text(tmp_path / "text2.csv", text)
    with pytest.raises(RecordingError) as e:
        read_recording(p)
    # data row 6 is now on file line 9 (1 blank + header + 1 blank + 6)
    assert_error(e, p, "line 9 (data row 6)", "column 'az'", "'1.0x'")


def test_non_numeric_value_parquet(tmp_path):
    df = static_frame().astype({"gx": object})
    df.loc[7, "gx"] = "n/a?"
    p = tmp_path / "text.parquet"
    df.astype({"gx": str}).to_parquet(p)
    assert_refused(p, "data row 8", "column 'gx'", "non-numeric value 'n/a?'")


def test_non_numeric_value_frame():
    df = static_frame().astype({"t": object})
    df.loc[3, "t"] = "12:00:01"
    with pytest.raises(RecordingError) as e:
        recording_from_frame(df, source="sim-run-7")
    assert_error(e, "sim-run-7", "data row 4", "column 't'", "'12:00:01'")


def test_non_finite_t(tmp_path):
    lines = csv_lines(static_frame())
    parts = lines[20].split(",")
    parts[0] = "nan"
    lines[20] = ",".join(parts)
    p = write_text(tmp_path / "tnan.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 21 (data row 20)", "time stamp t is not a finite number")


def test_infinite_t_frame():
    df = static_frame()
    df.loc[9, "t"] = np.inf
    with pytest.raises(RecordingError) as e:
        recording_from_frame(df)
    assert_error(e, "<frame>", "data row 10", "time stamp t is not a finite number", "inf")


def test_infinite_value_refused(tmp_path):
    lines = csv_lines(static_frame())
    parts = lines[30].split(",")
    parts[5] = "-inf"
    lines[30] = ",".join(parts)
    p = write_text(tmp_path / "inf.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 31 (data row 30)", "column 'gy'", "infinite")


def test_all_nan_refused(tmp_path):
    df = static_frame()
    df[["ax", "ay", "az"]] = np.nan
    p = write_text(tmp_path / "allnan.csv", csv_text(df))
    assert_refused(p, "data rows 1-500", "no valid accelerometer samples")


# --------------------------------------------------------------------------------------------
# refusals: rate, length, units


@pytest.mark.parametrize("rate", [10.0, 1000.0])
def test_rate_out_of_range(tmp_path, rate):
    df = static_frame(duration_s=5.0, rate_hz=rate)
    p = write_text(tmp_path / "rate.csv", csv_text(df))
    assert_refused(p, f"data rows 1-{len(df)}", f"unsupported sample rate {rate:g} Hz", "20-400 Hz")


def test_rate_with_t_in_milliseconds(tmp_path):
    df = static_frame()
    df["t"] = df["t"] * 1000.0
    p = write_text(tmp_path / "ms.csv", csv_text(df))
    assert_refused(p, "data rows 1-500", "unsupported sample rate 0.05 Hz", "is t in seconds?")


def test_rate_edges_accepted():
    assert recording_from_frame(static_frame(rate_hz=20.0)).rate_hz == pytest.approx(20.0)
    assert recording_from_frame(static_frame(duration_s=3, rate_hz=400.0)).rate_hz == pytest.approx(400.0)


def test_too_short(tmp_path):
    df = static_frame(duration_s=1.5)
    p = write_text(tmp_path / "short.csv", csv_text(df))
    assert_refused(p, "data rows 1-75", "too short", "at least 2 s")


def test_acc_in_ms2_read_as_g(tmp_path):
    df = static_frame()
    df[["ax", "ay", "az"]] *= STANDARD_GRAVITY
    p = write_text(tmp_path / "ms2.csv", csv_text(df))
    assert_refused(p, "data rows 1-500", "median |acc| is 9.81", "--acc-unit m/s2")


def test_acc_in_g_read_as_ms2(tmp_path):
    p = write_text(tmp_path / "g.csv", csv_text(static_frame()))
    assert_refused(p, "data rows 1-500", "median |acc| is 1", "--acc-unit g", acc_unit="m/s2")


@pytest.mark.parametrize("scale, shown", [(1000.0, "1000"), (3.0, "3"), (0.1, "0.1")])
def test_acc_far_from_1g(tmp_path, scale, shown):
    df = static_frame()
    df[["ax", "ay", "az"]] *= scale
    p = write_text(tmp_path / "scale.csv", csv_text(df))
    assert_refused(p, "data rows 1-500", f"median |acc| is {shown}", "expected about 1 g")


def test_absurd_gyro(tmp_path):
    df = static_frame()
    df.loc[123, "gz"] = 5000.0
    p = write_text(tmp_path / "spin.csv", csv_text(df))
    assert_refused(p, "line 125 (data row 124)", "column 'gz'", "absurd angular rate 5000")


def test_gyro_in_dps_read_as_rad_s(tmp_path):
    df = static_frame()
    df.loc[200:260, "gx"] = 150.0  # a fast leg lift, in deg/s
    p = write_text(tmp_path / "dps.csv", csv_text(df))
    assert_refused(p, "line 202 (data row 201)", "absurd angular rate", "--gyro-unit dps", gyro_unit="rad/s")


def test_absurd_acceleration(tmp_path):
    df = static_frame()
    df.loc[50, "ax"] = 100.0
    p = write_text(tmp_path / "bang.csv", csv_text(df))
    assert_refused(p, "line 52 (data row 51)", "column 'ax'", "absurd acceleration")


def swinging_frame(gyro_scale: float) -> pd.DataFrame:
    """The shank swinging +-40 deg about x at 0.5 Hz; gyro = true angular rate * gyro_scale."""
    rate, dur = 100.0, 10.0
    t = np.arange(int(rate * dur)) / rate
    theta = np.radians(40.0) * np.sin(2 * np.pi * 0.5 * t)
    omega_dps = np.degrees(np.radians(40.0) * 2 * np.pi * 0.5 * np.cos(2 * np.pi * 0.5 * t))
    return pd.DataFrame(
        {"t": t, "ax": 0.0 * t, "ay": np.sin(theta), "az": np.cos(theta),
         "gx": omega_dps * gyro_scale, "gy": 0.0 * t, "gz": 0.0 * t}
    ).round(6)


def test_gyro_looks_like_rad_s():
    df = swinging_frame(np.pi / 180.0)  # written in rad/s
    with pytest.raises(RecordingError) as e:
        recording_from_frame(df, source="swing.csv")
    assert_error(e, "swing.csv", "data rows 1-1000", "wrong gyro unit?", "--gyro-unit rad/s")
    rec = recording_from_frame(df, gyro_unit="rad/s")
    assert np.abs(rec.gyro_dps[:, 0]).max() == pytest.approx(125.66, abs=0.05)


def test_gyro_heuristic_no_false_alarm():
    rec = recording_from_frame(swinging_frame(1.0))  # true deg/s
    assert rec.gyro_dps is not None
    static = static_frame()
    static[["gx", "gy", "gz"]] *= 0.01  # a very still sensor: tiny gyro, no tilt change
    assert recording_from_frame(static).gyro_dps is not None


def test_bad_unit_option(tmp_path):
    with pytest.raises(ValueError, match="acc_unit"):
        read_recording(tmp_path / "x.csv", acc_unit="mg")
    with pytest.raises(ValueError, match="gyro_unit"):
        recording_from_frame(static_frame(), gyro_unit="deg")


# --------------------------------------------------------------------------------------------
# unit conversion


def test_acc_m_s2_conversion(tmp_path):
    df = static_frame()
    df_ms2 = df.copy()
    df_ms2[["ax", "ay", "az"]] *= STANDARD_GRAVITY
    p = write_text(tmp_path / "ms2.csv", csv_text(df_ms2))
    rec = read_recording(p, acc_unit="m/s2")
    np.testing.assert_allclose(rec.acc_g, df[["ax", "ay", "az"]].to_numpy(), atol=1e-6)
    assert rec.quality["acc_unit"] == "m/s2"
    assert rec.quality["median_acc_g"] == pytest.approx(1.0, abs=0.01)


def test_gyro_rad_s_conversion(tmp_path):
    df = static_frame()
    df_rad = df.copy()
    df_rad[["gx", "gy", "gz"]] = np.radians(df_rad[["gx", "gy", "gz"]])
    p = tmp_path / "rad.parquet"
    df_rad.to_parquet(p)
    rec = read_recording(p, gyro_unit="rad/s")
    np.testing.assert_allclose(rec.gyro_dps, df[["gx", "gy", "gz"]].to_numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------
# cleaning: duplicates, order, NaN, gaps


def test_exact_duplicates_dropped(tmp_path):
    lines = csv_lines(static_frame())
    dup = lines[:11] + [lines[10], lines[10]] + lines[11:41] + [lines[40]] + lines[41:]
    p = write_text(tmp_path / "dups.csv", "\n".join(dup) + "\n")
    rec = read_recording(p)
    q = rec.quality
    assert q["rows_read"] == 503
    assert q["duplicates_dropped"] == 3 and q["duplicate_t_conflicts"] == 0
    assert rec.n == 500
    np.testing.assert_array_equal(rec.t_s, static_frame()["t"].to_numpy())


def test_duplicate_t_different_values_keeps_first(tmp_path):
    df = static_frame()
    extra = df.iloc[[100]].copy()
    extra["ax"] = 0.5
    both = pd.concat([df.iloc[:101], extra, df.iloc[101:]], ignore_index=True)
    p = write_text(tmp_path / "conflict.csv", csv_text(both))
    rec = read_recording(p)
    assert rec.quality["duplicate_t_conflicts"] == 1
    assert rec.quality["duplicates_dropped"] == 0
    assert rec.n == 500
    assert rec.acc_g[100, 0] == df.loc[100, "ax"]  # the first one is kept


def test_out_of_order_rows_sorted(tmp_path):
    df = static_frame()
    idx = list(range(500))
    idx[200:203], idx[203] = idx[201:204], 200  # row 200 arrives 3 rows late
    idx[300], idx[301] = 301, 300
    shuffled = df.iloc[idx]
    p = write_text(tmp_path / "order.csv", csv_text(shuffled))
    rec = read_recording(p)
    assert rec.quality["reordered_rows"] == 2
    np.testing.assert_array_equal(rec.t_s, df["t"].to_numpy())
    np.testing.assert_array_equal(rec.acc_g, df[["ax", "ay", "az"]].to_numpy())
    np.testing.assert_array_equal(rec.gyro_dps, df[["gx", "gy", "gz"]].to_numpy())
    assert np.all(np.diff(rec.t_s) > 0)


def test_out_of_order_duplicate_of_an_earlier_row(tmp_path):
    df = static_frame()
    both = pd.concat([df, df.iloc[[42]]], ignore_index=True)  # a late re-sent packet
    p = write_text(tmp_path / "resent.csv", csv_text(both))
    rec = read_recording(p)
    assert rec.quality["reordered_rows"] == 1
    assert rec.quality["duplicates_dropped"] == 1
    np.testing.assert_array_equal(rec.t_s, df["t"].to_numpy())


def test_isolated_nan_rows_interpolated(tmp_path):
    df = static_frame()
    truth = df.copy()
    df.loc[100, ["ax", "gy"]] = np.nan  # single row, two channels
    df.loc[200:209, :] = df.loc[200:209, :].assign(ax=np.nan, ay=np.nan, az=np.nan)  # 0.2 s run
    p = write_text(tmp_path / "nan.csv", csv_text(df))
    rec = read_recording(p)
    q = rec.quality
    assert q["nan_rows_filled"] == 11 and q["nan_runs_filled"] == 2
    assert q["nan_rows_dropped"] == 0 and q["gaps"] == []
    assert rec.n == 500
    # linear interpolation in time between the neighbours
    assert rec.acc_g[100, 0] == pytest.approx(0.5 * (truth.loc[99, "ax"] + truth.loc[101, "ax"]), abs=1e-12)
    assert rec.gyro_dps[100, 1] == pytest.approx(0.5 * (truth.loc[99, "gy"] + truth.loc[101, "gy"]), abs=1e-12)
    assert rec.acc_g[100, 1] == truth.loc[100, "ay"]  # valid values in the row are untouched
    frac = (rec.t_s[205] - rec.t_s[199]) / (rec.t_s[210] - rec.t_s[199])
    expect = truth.loc[199, "az"] + frac * (truth.loc[210, "az"] - truth.loc[199, "az"])
    assert rec.acc_g[205, 2] == pytest.approx(expect, abs=1e-12)
    assert not np.isnan(rec.acc_g).any() and not np.isnan(rec.gyro_dps).any()


def test_long_nan_run_dropped_and_reported_as_gap(tmp_path):
    df = static_frame()
    df.loc[200:249, "az"] = np.nan  # 1 s run
    df.loc[0:1, "ax"] = np.nan  # at the start: cannot interpolate
    p = write_text(tmp_path / "nanlong.csv", csv_text(df))
    rec = read_recording(p)
    q = rec.quality
    assert q["nan_rows_dropped"] == 52 and q["nan_runs_dropped"] == 2
    assert rec.n == 448
    assert rec.t_s[0] == pytest.approx(0.04)
    (gap,) = q["gaps"]
    assert gap["start_s"] == pytest.approx(3.98) and gap["end_s"] == pytest.approx(5.0)
    assert gap["duration_s"] == pytest.approx(1.02)
    assert gap["cause"] == "nan_samples_dropped"
    assert q["longest_gap_s"] == pytest.approx(1.02)


def test_gyro_all_nan_means_no_gyro(tmp_path):
    df = static_frame()
    df[["gx", "gy", "gz"]] = np.nan
    p = write_text(tmp_path / "nogyro.csv", csv_text(df))
    rec = read_recording(p)
    assert rec.gyro_dps is None
    assert rec.quality["gyro_all_nan"] is True and rec.quality["has_gyro"] is False
    assert rec.n == 500


def test_gaps_listed_and_long_gap_accepted(tmp_path):
    a = static_frame(duration_s=10.0)
    b = static_frame(duration_s=10.0)
    b["t"] += 100.0  # 90 s pause between sets
    df = pd.concat([a.drop(index=range(300, 310)), b], ignore_index=True)  # plus a 0.22 s gap
    p = write_text(tmp_path / "gaps.csv", csv_text(df))
    rec = read_recording(p)
    q = rec.quality
    assert [round(g["duration_s"], 6) for g in q["gaps"]] == [0.22, 90.02]
    assert q["gaps"][0]["start_s"] == pytest.approx(5.98) and q["gaps"][0]["cause"] == "no_samples"
    assert q["longest_gap_s"] == pytest.approx(90.02)
    assert q["long_gaps"] == 1
    assert rec.rate_hz == pytest.approx(50.0)
    assert rec.n == 990  # gaps are kept as they are, not filled


def test_irregular_timestamps_report_jitter():
    df = static_frame(rate_hz=100.0)
    rng = np.random.default_rng(3)
    df["t"] = df["t"] + rng.uniform(-0.002, 0.002, len(df))  # +-2 ms BLE jitter
    rec = recording_from_frame(df)
    assert rec.rate_hz == pytest.approx(100.0, rel=0.02)
    assert 1.0 < rec.quality["jitter_ms"] < 2.5
    assert rec.quality["gaps"] == []
    assert np.all(np.diff(rec.t_s) > 0)


def test_quality_is_json_serialisable_and_complete(tmp_path):
    df = static_frame()
    df.loc[10, "ax"] = np.nan
    rec = recording_from_frame(pd.concat([df, df.iloc[[5]]]))
    q = json.loads(json.dumps(rec.quality))
    for key in ("rows_read", "duplicates_dropped", "reordered_rows", "nan_rows_filled", "nan_rows_dropped",
                "gaps", "longest_gap_s", "jitter_ms", "truncated_last_row", "rate_hz", "rows_kept"):
        assert key in q
    assert q["truncated_last_row"] is False


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=199), min_size=0, max_size=60), st.randoms())
def test_sort_and_dedupe_property(extra_rows, rnd):
    """Any shuffle with re-sent rows gives back the original recording."""
    df = static_frame(duration_s=4.0)
    idx = list(range(len(df))) + extra_rows
    rnd.shuffle(idx)
    rec = recording_from_frame(df.iloc[idx])
    np.testing.assert_array_equal(rec.t_s, df["t"].to_numpy())
    np.testing.assert_array_equal(rec.acc_g, df[["ax", "ay", "az"]].to_numpy())
    assert rec.quality["duplicates_dropped"] == len(extra_rows)
    assert rec.quality["duplicate_t_conflicts"] == 0


# --------------------------------------------------------------------------------------------
# truncated and broken CSV


def test_truncated_last_line_mid_number(tmp_path):
    text = csv_text(static_frame())
    cut = text[: text.rstrip("\n").rfind(",") + 4]  # "...,0.0" of the last gz value (6 decimals)
    p = write_text(tmp_path / "cut.csv", cut)
    rec = read_recording(p)
    assert rec.n == 499
    assert rec.quality["truncated_last_row"] is True
    assert rec.quality["truncated_last_line"] == 501
    np.testing.assert_array_equal(rec.t_s, static_frame()["t"].to_numpy()[:499])


@pytest.mark.parametrize("keep", [1, 5, 12, 20])
def test_truncated_last_line_mid_row(tmp_path, keep):
    text = csv_text(static_frame())
    start = text.rstrip("\n").rfind("\n") + 1
    p = write_text(tmp_path / "cut.csv", text[: start + keep])  # last line with missing fields
    rec = read_recording(p)
    assert rec.n == 499
    assert rec.quality["truncated_last_row"] is True
    np.testing.assert_array_equal(rec.acc_g, static_frame()[["ax", "ay", "az"]].to_numpy()[:499])


def test_truncated_after_comma(tmp_path):
    text = csv_text(static_frame(gyro=False))
    p = write_text(tmp_path / "cut.csv", text[: text.rstrip("\n").rfind(",") + 1])
    rec = read_recording(p)
    assert rec.n == 499 and rec.quality["truncated_last_row"] is True


def test_short_last_line_with_newline_is_truncated(tmp_path):
    lines = csv_lines(static_frame())
    lines[-1] = ",".join(lines[-1].split(",")[:3])
    p = write_text(tmp_path / "cut.csv", "\n".join(lines) + "\n")
    rec = read_recording(p)
    assert rec.n == 499 and rec.quality["truncated_last_row"] is True


def test_complete_file_without_final_newline_keeps_last_row(tmp_path):
    p = write_text(tmp_path / "nonl.csv", csv_text(static_frame()).rstrip("\n"))
    rec = read_recording(p)
    assert rec.n == 500 and rec.quality["truncated_last_row"] is False


def test_truncated_gzip_stream_keeps_complete_rows(tmp_path):
    full = tmp_path / "full.csv.gz"
    write_recording(full, static_frame())
    data = full.read_bytes()
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(data[: int(len(data) * 0.6)])
    rec = read_recording(p)
    assert rec.quality["truncated_stream"] is True
    n = rec.n
    assert 100 < n < 500
    ref = static_frame()
    np.testing.assert_array_equal(rec.t_s, ref["t"].to_numpy()[:n])
    np.testing.assert_array_equal(rec.gyro_dps, ref[["gx", "gy", "gz"]].to_numpy()[:n])


def test_broken_row_in_the_middle_missing_fields(tmp_path):
    lines = csv_lines(static_frame())
    lines[250] = ",".join(lines[250].split(",")[:4])
    p = write_text(tmp_path / "mid.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 251", "broken row: expected 7 fields", "found 4")


def test_broken_row_in_the_middle_extra_fields(tmp_path):
    lines = csv_lines(static_frame())
    lines[99] = lines[99] + ",1.0"
    p = write_text(tmp_path / "mid.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 100", "broken row: expected 7 fields", "found 8")


def test_broken_row_in_the_middle_cut_number(tmp_path):
    lines = csv_lines(static_frame(gyro=False))
    lines[60] = lines[60][:-4] + "e-"
    p = write_text(tmp_path / "mid.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 61 (data row 60)", "column 'az'", "non-numeric value")


def test_last_line_with_too_many_fields_refused(tmp_path):
    lines = csv_lines(static_frame())
    lines[-1] = lines[-1] + ",9,9"
    p = write_text(tmp_path / "tail.csv", "\n".join(lines) + "\n")
    assert_refused(p, "line 501", "broken row", "found 9")


# --------------------------------------------------------------------------------------------
# extra columns, names, round-trips, writing


def test_extra_columns_ignored(tmp_path):
    df = static_frame()
    df.insert(0, "seq", np.arange(len(df)))
    df["label"] = np.where(np.arange(len(df)) % 2, "up, slow", "rest")  # quoted text with a comma
    df["temp_c"] = 31.5
    p = tmp_path / "extra.csv"
    df.to_csv(p, index=False)
    rec = read_recording(p)
    assert rec.quality["extra_columns"] == ["seq", "label", "temp_c"]
    np.testing.assert_array_equal(rec.acc_g, df[["ax", "ay", "az"]].to_numpy())
    pq_path = tmp_path / "extra.parquet"
    df.to_parquet(pq_path)
    rec2 = read_recording(pq_path)
    assert rec2.quality["extra_columns"] == ["seq", "label", "temp_c"]
    np.testing.assert_array_equal(rec2.gyro_dps, df[["gx", "gy", "gz"]].to_numpy())


def test_column_names_case_and_spaces(tmp_path):
    df = static_frame(gyro=False)
    text = csv_text(df).replace("t,ax,ay,az", " T , AX,Ay ,az", 1)
    p = write_text(tmp_path / "names.csv", text)
    rec = read_recording(p)
    assert rec.n == 500 and rec.gyro_dps is None


def test_crlf_and_blank_lines(tmp_path):
    lines = csv_lines(static_frame())
    text = "\r\n".join(lines[:100] + [""] + lines[100:]) + "\r\n\r\n"
    p = write_text(tmp_path / "crlf.csv", text)
    p.write_bytes(text.encode())
    rec = read_recording(p)
    assert rec.n == 500


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_round_trip_recording(tmp_path, suffix):
    rec = recording_from_frame(static_frame(), source="sim")
    p = tmp_path / f"rec{suffix}"
    write_recording(p, rec)
    back = read_recording(p)
    np.testing.assert_array_equal(back.t_s, rec.t_s)
    np.testing.assert_array_equal(back.acc_g, rec.acc_g)
    np.testing.assert_array_equal(back.gyro_dps, rec.gyro_dps)
    assert back.rate_hz == rec.rate_hz
    assert back.source == str(p)
    # and once more: a written-and-read recording is a fixed point
    p2 = tmp_path / f"rec2{suffix}"
    write_recording(p2, back)
    again = read_recording(p2)
    np.testing.assert_array_equal(again.acc_g, back.acc_g)


def test_round_trip_without_gyro_and_full_precision_parquet(tmp_path):
    rng = np.random.default_rng(5)
    df = static_frame(gyro=False)
    df["ax"] += rng.normal(0, 1e-3, len(df))  # more than 6 decimals
    rec = recording_from_frame(df)
    p = tmp_path / "x.parquet"
    write_recording(p, rec)
    back = read_recording(p)
    assert back.gyro_dps is None
    np.testing.assert_array_equal(back.acc_g, rec.acc_g)
    pc = tmp_path / "x.csv"
    write_recording(pc, rec)
    np.testing.assert_allclose(read_recording(pc).acc_g, rec.acc_g, atol=5e-7, rtol=0)


def test_csv_written_with_6_decimals(tmp_path):
    p = tmp_path / "six.csv"
    write_recording(p, recording_from_frame(static_frame()))
    lines = p.read_text().splitlines()
    assert lines[0] == "t,ax,ay,az,gx,gy,gz"
    assert lines[2].split(",")[0] == "0.020000"
    assert all(len(v.split(".")[1]) == 6 for v in lines[2].split(","))
    with gzip.open(tmp_path / "six.csv.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
    assert read_recording(tmp_path / "six.csv.gz").n == 500


def test_write_dataframe_keeps_extra_columns(tmp_path):
    df = static_frame()
    df["phase"] = "rest"
    p = tmp_path / "sim.parquet"
    write_recording(p, df)
    assert list(pd.read_parquet(p).columns) == list(df.columns)
    assert read_recording(p).quality["extra_columns"] == ["phase"]
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind


def test_write_refuses_bad_suffix_and_bad_frame(tmp_path):
    with pytest.raises(RecordingError) as e:
        write_recording(tmp_path / "x.xlsx", static_frame())
    assert_error(e, tmp_path / "x.xlsx", "unsupported suffix")
    with pytest.raises(RecordingError) as e:
        write_recording(tmp_path / "x.csv", static_frame().drop(columns=["t"]))
    assert "missing required column(s) t" in str(e.value)
    assert not (tmp_path / "x.csv").exists()


def test_recording_from_frame_checks_like_files():
    with pytest.raises(RecordingError) as e:
        recording_from_frame(static_frame().drop(columns=["ay"]), source="sim")
    assert_error(e, "sim", "columns", "missing required column(s) ay")
    rec = recording_from_frame(static_frame(), source="sim")
    assert isinstance(rec, Recording)
    assert rec.source == "sim" and rec.quality["source_format"] == "frame"
    assert rec.t_s.dtype == np.float64 and rec.acc_g.shape == (500, 3) and rec.gyro_dps.shape == (500, 3)


def test_an_hour_long_recording_reads_completely(tmp_path):
    # (how fast is measured by bench/engine_bench.py, not here)
    n = 360_000
    t = np.arange(n) / 100.0
    rng = np.random.default_rng(0)
    cols = {"t": t, "ax": rng.normal(0, 0.05, n), "ay": rng.normal(0, 0.05, n), "az": 1 + rng.normal(0, 0.05, n)}
    cols.update({c: rng.normal(0, 30, n) for c in ("gx", "gy", "gz")})
    # the file is written with numpy (faster than pandas' float_format)
    p = tmp_path / "hour.csv"
    np.savetxt(p, np.column_stack(list(cols.values())), fmt="%.6f", delimiter=",", header="t,ax,ay,az,gx,gy,gz", comments="")
    rec = read_recording(p)
    assert rec.n == n and rec.rate_hz == pytest.approx(100.0)
    np.testing.assert_allclose(rec.acc_g[:, 2], np.round(cols["az"], 6))


# --------------------------------------------------------------------------------------------
# what reading gives does not depend on how the file is laid out


@pytest.mark.parametrize("gyro", [True, False])
def test_line_endings_do_not_change_what_is_read(tmp_path, gyro):
    df = static_frame(20.0, 100.0, gyro=gyro)
    df.loc[[5, 300, 301], "ax"] = np.nan  # empty fields: short NaN runs, filled
    df["t"] += 12345.0
    plain = csv_text(df)
    fast = read_recording(write_text(tmp_path / "plain.csv", plain))
    general = read_recording(write_text(tmp_path / "crlf.csv", plain.replace("\n", "\r\n")))
    np.testing.assert_array_equal(fast.t_s, general.t_s)
    np.testing.assert_array_equal(fast.acc_g, general.acc_g)
    if gyro:
        np.testing.assert_array_equal(fast.gyro_dps, general.gyro_dps)
    assert fast.quality == general.quality
    assert fast.quality["nan_rows_filled"] == 3


def test_a_value_of_number_characters_that_is_no_number_is_refused(tmp_path):
    lines = csv_lines(static_frame())
    lines[40] = "0.78,1-2," + ",".join(lines[40].split(",")[2:])  # only plain number characters, not a number
    assert_refused(write_text(tmp_path / "bad.csv", "\n".join(lines) + "\n"), "line 41 (data row 40)", "non-numeric value '1-2'")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-1, 3), min_size=1, max_size=8), st.booleans())
def test_commas_per_line_agrees_with_counting_each_line(commas, final_newline):
    """The shortcut for files with the same number of commas on every line gives each line's own count."""
    from imu.recording import _commas_per_line

    lines = ["" if c < 0 else "1" + ",2" * c for c in commas]  # -1: a blank line
    data = ("\n".join(lines) + ("\n" if final_newline else "")).encode()
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts, ends = np.r_[0, nl + 1], np.r_[nl, len(data)]
    if starts[-1] >= len(data):
        starts, ends = starts[:-1], ends[:-1]
    got = _commas_per_line(np.flatnonzero(arr == 44), starts, ends)
    assert got.tolist() == [data[a:b].count(b",") for a, b in zip(starts, ends)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-1, 3), min_size=1, max_size=40), st.booleans(), st.integers(1, 7), st.integers(1, 64))
def test_newlines_and_commas_found_a_block_at_a_time(commas, final_newline, lines_per_block, bytes_per_block):
    """The block-wise scans give what one comparison over the whole file gives."""
    import imu.recording as rec_mod

    lines = ["" if c < 0 else "1" + ",2" * c for c in commas]
    data = ("\n".join(lines) + ("\n" if final_newline else "")).encode()
    arr = np.frombuffer(data, dtype=np.uint8)
    old = rec_mod._SCAN_LINES, rec_mod._SCAN_BYTES
    rec_mod._SCAN_LINES, rec_mod._SCAN_BYTES = lines_per_block, bytes_per_block
    try:
        nl = rec_mod._positions(arr, 10)
        assert nl.tolist() == np.flatnonzero(arr == 10).tolist()
        starts, ends = np.r_[0, nl + 1], np.r_[nl, len(data)]
        if starts[-1] >= len(data):
            starts, ends = starts[:-1], ends[:-1]
        got = rec_mod._commas_by_line(arr, starts, ends)
    finally:
        rec_mod._SCAN_LINES, rec_mod._SCAN_BYTES = old
    assert got.tolist() == [data[a:b].count(b",") for a, b in zip(starts, ends)]
