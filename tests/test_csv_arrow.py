"""The fast CSV read path (imu.csv_arrow, pyarrow's parser on plain files) reads what the careful way reads
and refuses what it refuses, with the same message naming the file, the row (or line) and the problem."""
from __future__ import annotations

import numpy as np
import pytest

import imu.recording as recording
from imu.csv_arrow import PANDAS_NA_VALUES, is_plain, plain_csv_columns
from imu.recording import STANDARD_GRAVITY, RecordingError, read_recording
from tests.test_recording import csv_lines, csv_text, static_frame


@pytest.fixture
def fast_used(monkeypatch):
    """Counts the files the fast way read (``fast_used["n"]``)."""
    used = {"n": 0}
    load = recording._load_plain_csv

    def spy(*args):
        raw = load(*args)
        used["n"] += raw is not None
        return raw

    monkeypatch.setattr(recording, "_load_plain_csv", spy)
    return used


def read_careful(path, monkeypatch, **kw):
    """``read_recording`` with the fast way switched off."""
    with monkeypatch.context() as m:
        m.setattr(recording, "_load_plain_csv", lambda *args: None)
        return read_recording(path, **kw)


def outcome(read, path, **kw):
    """The recording's arrays and quality, or the refusal's message."""
    try:
        rec = read(path, **kw)
    except RecordingError as e:
        return str(e)
    return rec.t_s, rec.acc_g, rec.gyro_dps, rec.rate_hz, rec.quality


def assert_same_outcome(a, b) -> None:
    assert type(a) is type(b)
    if isinstance(a, str):
        assert a == b
        return
    for x, y in zip(a[:3], b[:3]):
        if x is None or y is None:
            assert x is None and y is None
        else:
            np.testing.assert_array_equal(x, y)
            assert x.flags.c_contiguous and x.dtype == np.float64
    assert a[3:] == b[3:]


def lines_file(tmp_path, lines, name="rec.csv"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


# --------------------------------------------------------------------------------------------
# good files: the same recording either way, read the fast way


def _plain_variants():
    """(name, lines, read_recording options) of plain files that read well."""
    df = static_frame(12.0, 100.0)
    yield "gyro", csv_lines(df), {}
    yield "no gyro", csv_lines(static_frame(12.0, 50.0, gyro=False)), {}
    nan = df.copy()
    nan.loc[[5, 300, 301], "ax"] = np.nan  # short NaN runs: filled
    nan.loc[600:700, "gy"] = np.nan  # a long one: dropped, a gap
    yield "empty fields", csv_lines(nan), {}
    words = csv_lines(df)
    for k, word in zip(range(10, 400, 40), ("NA", "nan", "NaN", "null", "NULL", "N/A", "None", "#N/A", "-nan", "")):
        fields = words[k].split(",")
        fields[2] = word
        words[k] = ",".join(fields)
    yield "missing-value words", words, {}
    extra = df.assign(note="a b", id=7)[["id", *df.columns, "note"]]
    yield "extra columns", csv_lines(extra), {}
    names = csv_lines(df)
    names[0] = "\ufeff T, AX,Ay ,az,GX,gy,gZ"
    yield "names: BOM, case, spaces", names, {}
    shuffled = csv_lines(df)
    body = shuffled[1:]
    body[100], body[101] = body[101], body[100]
    body[500:500] = [body[499], body[200]]  # an exact duplicate, and a late row that repeats an earlier one
    yield "out of order and duplicates", [shuffled[0], *body], {}
    ms2 = df.copy()
    ms2[["ax", "ay", "az"]] *= STANDARD_GRAVITY
    yield "m/s2 and rad/s", csv_lines(ms2.assign(gx=np.radians(df.gx))), {"acc_unit": "m/s2", "gyro_unit": "rad/s"}


@pytest.mark.parametrize("name,lines,kw", list(_plain_variants()), ids=[v[0] for v in _plain_variants()])
def test_plain_file_reads_the_same_as_the_careful_way(tmp_path, monkeypatch, fast_used, name, lines, kw):
    p = lines_file(tmp_path, lines)
    fast = outcome(read_recording, p, **kw)
    assert fast_used["n"] == 1, "the fast way read the file"
    assert not isinstance(fast, str), fast
    assert_same_outcome(fast, outcome(lambda q, **k: read_careful(q, monkeypatch, **k), p, **kw))


# --------------------------------------------------------------------------------------------
# bad input: the careful way's message (file, row or line, problem), whichever way read it


def _with(lines, k, column, text):
    lines = list(lines)
    fields = lines[k].split(",")
    fields[column] = text
    lines[k] = ",".join(fields)
    return lines


def _bad_variants():
    """(name, lines, read_recording options, parts the message names besides the file)."""
    base = csv_lines(static_frame())
    short = list(base)
    short[-1] = ",".join(short[-1].split(",")[:3])
    yield "truncated last row", short, {}, None  # kept rows, flagged: not refused
    cut = list(base)
    cut[250] = ",".join(cut[250].split(",")[:4])
    yield "truncated row in the middle", cut, {}, ("line 251", "broken row: expected 7 fields", "found 4")
    yield "row with extra fields", base[:100] + [base[100] + ",1.0"] + base[101:], {}, ("line 101", "found 8")
    yield "NaN time stamp", _with(base, 30, 0, "nan"), {}, ("line 31 (data row 30)", "time stamp t is not a finite number")
    yield "NaN spelled NAN", _with(base, 40, 2, "NAN"), {}, ("line 41 (data row 40)", "column 'ay'", "non-numeric value 'NAN'")
    all_nan = [base[0]] + [",".join([ln.split(",")[0], "", "", ""] + ln.split(",")[4:]) for ln in base[1:]]
    yield "NaN everywhere", all_nan, {}, ("data rows 1-500", "no valid accelerometer samples")
    yield "infinite value", _with(base, 77, 5, "inf"), {}, ("line 78 (data row 77)", "column 'gy'", "infinite value")
    yield "text", _with(base, 12, 3, "1.0x"), {}, ("line 13 (data row 12)", "column 'az'", "non-numeric value '1.0x'")
    ms2 = csv_lines(static_frame().assign(ax=lambda d: d.ax * STANDARD_GRAVITY, ay=lambda d: d.ay * STANDARD_GRAVITY,
                                          az=lambda d: d.az * STANDARD_GRAVITY))
    yield "m/s2 read as g", ms2, {}, ("data rows 1-500", "wrong unit?", "use --acc-unit m/s2")
    yield "g read as m/s2", base, {"acc_unit": "m/s2"}, ("data rows 1-500", "wrong unit?", "use --acc-unit g")
    swapped = list(base)
    swapped[300], swapped[301] = swapped[301], swapped[300]
    swapped = _with(swapped, 300, 1, "99")  # the late row (file line 301) holds an absurd value
    yield "out of order, absurd value", swapped, {}, ("line 301 (data row 300)", "column 'ax'", "absurd acceleration")
    blank = base[:50] + [""] + _with(base, 50, 1, "x")[50:]
    yield "blank line, then text", blank, {}, ("line 52 (data row 50)", "non-numeric value 'x'")
    yield "rate in ms", [base[0]] + [",".join([str(i * 10)] + ln.split(",")[1:]) for i, ln in enumerate(base[1:])], {}, (
        "data rows 1-500", "unsupported sample rate")


@pytest.mark.parametrize("name,lines,kw,parts", list(_bad_variants()), ids=[v[0] for v in _bad_variants()])
def test_bad_plain_file_gets_the_careful_way_message(tmp_path, monkeypatch, name, lines, kw, parts):
    p = lines_file(tmp_path, lines)
    got = outcome(read_recording, p, **kw)
    assert_same_outcome(got, outcome(lambda q, **k: read_careful(q, monkeypatch, **k), p, **kw))
    if parts is None:
        assert not isinstance(got, str), got
        assert got[4]["truncated_last_row"] is True and len(got[0]) == 499
        return
    assert isinstance(got, str), "refused"
    assert got.startswith(f"{p}: "), got
    for part in parts:
        assert part in got, f"{part!r} not in {got!r}"


# --------------------------------------------------------------------------------------------
# what the fast way leaves to the careful way


@pytest.mark.parametrize("text", [
    "t,ax\n1,2\n\n3,4\n",  # an empty line
    "t,ax\n1,2\n  \n3,4\n",  # a line of spaces
    "t,ax\n1,2\n3,4",  # no final newline: maybe cut off
    "t,ax\r\n1,2\r\n",  # carriage returns
    't,ax\n1,"2"\n',  # quotes
    "\nt,ax\n1,2\n",  # the header not on line 1
    "t,ax\n",  # no data row
    "t,ax\n1,2,3\n",  # a row longer than the header
    "t,ax\n1\n",  # ... or shorter
    "t,ax\n1,x\n",  # text
    "t,ax\n1,+nan\n",  # a NaN pandas does not read
    "t,ax\n1,nan(7)\n",  # ... nor this one
    "t,ax\n1,2\n\n",  # a blank line at the end
    "t,ax\n1,2\n,\n",  # a row of empty fields
    "t,ax\n,2\n",  # no time stamp
])
def test_fast_way_leaves_files_that_need_a_closer_look(text):
    assert plain_csv_columns(text.encode(), 2, [0, 1]) is None


def test_fast_way_reads_missing_values_as_nan():
    cols = plain_csv_columns(b"t,ax,note\n1,,x\n2,NA,y\n3,0.5,\n", 3, [0, 1])
    np.testing.assert_array_equal(cols[0], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(cols[1], [np.nan, np.nan, 0.5])
    assert is_plain(b"t\n1\n") and not is_plain(b" \n1\n")


def test_missing_value_words_are_pandas_own():
    parsers = pytest.importorskip("pandas._libs.parsers")
    assert set(PANDAS_NA_VALUES) == set(parsers.STR_NA_VALUES)
