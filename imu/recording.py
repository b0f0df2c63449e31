"""Raw recordings: reading, validating, cleaning and writing.

## Raw recording format

A raw recording is one table, either **CSV** (`.csv`, or gzip-compressed `.csv.gz`) or
**Parquet** (`.parquet`), one row per sample of the ankle-worn IMU:

| column | required | unit (default) | meaning |
|---|---|---|---|
| `t` | yes | s | time stamp on the sensor's own clock (any origin, need not start at 0) |
| `ax`, `ay`, `az` | yes | g | accelerometer |
| `gx`, `gy`, `gz` | no (all three or none) | deg/s | gyroscope |

- Column names are matched case-insensitively, surrounding spaces ignored. Any other columns
  are allowed, kept in the file and ignored.
- CSV: comma-separated, one header line, `.` as the decimal point. Blank lines are skipped.
  Missing values may be written as an empty field, `nan`, `NaN`, `NA` or `null`.
- Units: `--acc-unit g|m/s2` (default `g`) and `--gyro-unit dps|rad/s` (default `dps`);
  recordings are converted to g and deg/s on reading. A recording whose median |acc| is about
  9.8 read as g (or about 1 read as m/s2) is refused with a hint to change the option, as is one
  whose median |acc| is not close to 1 g (0.5-2 g) at all.
- Sample rate: 20-400 Hz nominal (the median time step, 2 % tolerance for clock drift).
  Irregular time stamps are fine (the jitter is reported); at least 2 s of data are needed.

What reading does with imperfect data (everything is counted in `Recording.quality`):

- rows out of time order are sorted (stable sort); exact duplicate rows are dropped; rows with
  a duplicated `t` but different values keep the first one;
- rows with missing (NaN) sample values are filled by linear interpolation in time when the
  run of such rows lasts up to 0.5 s; longer runs (and runs at the very start or end) are
  dropped and show up as gaps; a gyro column set that is entirely empty is treated as "no gyro";
- gaps (time steps longer than 3 nominal periods) are kept as they are and listed, including
  long pauses between sets (over 60 s);
- a CSV whose last line was cut off (mid-number or mid-row, e.g. the logger lost power) keeps
  all complete rows and drops only the broken last line (`truncated_last_row`); the same for a
  cut-off `.csv.gz` stream.

Refused (error naming the file, the row or line and the problem; the CLI exits with code 2):
a missing, empty, garbled or binary file, a corrupt or truncated Parquet file, missing required
columns, only some of the gyro columns, non-numeric text in a value, a non-finite `t`, infinite
values, a broken row in the middle of a CSV, no valid samples at all, less than 2 s of data,
a sample rate outside 20-400 Hz, a wrong unit (see above), absurd values (|gyro| over
4000 deg/s, |acc| over 64 g on any axis), and a gyro that looks like rad/s declared as deg/s
(it stays below 3 deg/s while the accelerometer shows the sensor turning at over 20 deg/s).
"""
from __future__ import annotations

import csv
import io
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from imu.csv_arrow import plain_csv_columns
from imu.masks import true_runs
from imu.orientation import norm

__all__ = [
    "RecordingError",
    "Recording",
    "read_recording",
    "recording_from_frame",
    "write_recording",
    "STANDARD_GRAVITY",
    "MIN_RATE_HZ",
    "MAX_RATE_HZ",
]

STANDARD_GRAVITY = 9.80665  #: m/s^2 per g
MIN_RATE_HZ = 20.0
MAX_RATE_HZ = 400.0
RATE_TOLERANCE = 0.02  #: relative tolerance on the rate limits (clock drift, jitter)
MIN_DURATION_S = 2.0
MAX_NAN_FILL_S = 0.5  #: NaN runs up to this long are interpolated, longer ones dropped
GAP_PERIODS = 3.0  #: a time step longer than this many nominal periods is a gap
LONG_GAP_S = 60.0
MAX_GYRO_DPS = 4000.0
MAX_ACC_G = 64.0

ACC_COLUMNS = ("ax", "ay", "az")
GYRO_COLUMNS = ("gx", "gy", "gz")
REQUIRED_COLUMNS = ("t",) + ACC_COLUMNS
ACC_UNITS = ("g", "m/s2")
GYRO_UNITS = ("dps", "rad/s")


def _value_columns(has_gyro: bool) -> list[str]:
    """The sample columns a recording is read for: the accelerometer's, then the gyroscope's if it has one."""
    return [*ACC_COLUMNS, *(GYRO_COLUMNS if has_gyro else ())]


class RecordingError(ValueError):
    """A recording that cannot be used. The message names the file, the row (or CSV line) and the problem.

    Attributes: ``source`` (file path or label), ``where`` (e.g. ``"line 12 (data row 11)"``,
    ``"data row 5"``, ``"header (line 1)"``, ``"data rows 1-500"`` or ``"whole file"``), ``problem``.
    """

    def __init__(self, source: str, where: str, problem: str):
        self.source = str(source)
        self.where = where
        self.problem = problem
        super().__init__(f"{self.source}: {where}: {problem}")


@dataclass
class Recording:
    """A cleaned recording: strictly increasing time, acceleration in g, angular rate in deg/s.

    ``quality`` keys: ``source_format`` (csv, csv.gz, parquet, frame), ``rows_read`` (complete data
    rows in the input), ``rows_kept``, ``extra_columns``, ``acc_unit``, ``gyro_unit``, ``has_gyro``,
    ``gyro_all_nan``, ``truncated_last_row`` (+ ``truncated_last_line``, ``truncated_stream`` when
    set), ``reordered_rows`` (rows that arrived after a later time stamp), ``duplicates_dropped``
    (identical rows), ``duplicate_t_conflicts`` (same ``t``, other values; the first is kept),
    ``nan_rows_filled``/``nan_runs_filled``, ``nan_rows_dropped``/``nan_runs_dropped``, ``rate_hz``,
    ``duration_s``, ``gaps`` (list of ``{start_s, end_s, duration_s, cause}`` for time steps over 3
    nominal periods; cause ``no_samples`` or ``nan_samples_dropped``), ``longest_gap_s``,
    ``long_gaps`` (gaps over 60 s), ``jitter_ms`` (std of the time steps outside gaps),
    ``median_acc_g``.
    """

    t_s: np.ndarray  #: (n,) float64 seconds on the sensor clock, strictly increasing
    acc_g: np.ndarray  #: (n, 3) float64, g
    gyro_dps: np.ndarray | None  #: (n, 3) float64 deg/s, or None when the recording has no gyro
    rate_hz: float  #: nominal sample rate: 1 / median time step
    source: str  #: file path or a label
    quality: dict = field(default_factory=dict)  #: what cleaning did (JSON-serialisable)

    @property
    def n(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0]) if self.n else 0.0

    def to_frame(self) -> pd.DataFrame:
        """The recording as a DataFrame with the standard columns (g, deg/s)."""
        cols = {"t": self.t_s}
        for i, c in enumerate(ACC_COLUMNS):
            cols[c] = self.acc_g[:, i]
        if self.gyro_dps is not None:
            for i, c in enumerate(GYRO_COLUMNS):
                cols[c] = self.gyro_dps[:, i]
        return pd.DataFrame(cols)


# --------------------------------------------------------------------------------------------
# Raw table: what a loader hands to the common validation/cleaning step


@dataclass
class _Raw:
    source: str
    fmt: str
    t: np.ndarray  # (n,) float64
    samples: np.ndarray  # (n, 3) ax ay az, or (n, 6) ax ay az gx gy gz; float64, raw units
    extra_columns: list
    where: Callable[[int], str]  # 0-based data row -> location text
    last_data_where: str = ""  # location text right after the data (for "no data rows")
    flags: dict = field(default_factory=dict)

    @property
    def has_gyro(self) -> bool:
        return self.samples.shape[1] == 6


def _rows_where(n: int) -> str:
    return "data rows 1-%d" % n if n > 1 else ("data row 1" if n == 1 else "no data rows")


def _normalise_name(name) -> str:
    return str(name).replace("\ufeff", "").strip().lower()


def _pick_columns(source: str, names: list, where: str) -> tuple[dict, bool, list]:
    """Map the standard columns to positions in ``names``; check required/gyro columns."""
    norm = [_normalise_name(c) for c in names]
    pos: dict[str, int] = {}
    for i, c in enumerate(norm):
        if c in REQUIRED_COLUMNS + GYRO_COLUMNS:
            if c in pos:
                raise RecordingError(source, where, f"column {c!r} appears more than once")
            pos[c] = i
    found = ", ".join(repr(str(c)) for c in names[:20]) + (", ..." if len(names) > 20 else "")
    missing = [c for c in REQUIRED_COLUMNS if c not in pos]
    if missing:
        hint = ""
        if len(names) == 1 and any(s in str(names[0]) for s in (";", "\t", "|")):
            hint = " (the file seems to use another separator than ','; use comma-separated values)"
        raise RecordingError(
            source, where,
            f"missing required column(s) {', '.join(missing)}; found columns: {found or 'none'}{hint}",
        )
    gyro_present = [c for c in GYRO_COLUMNS if c in pos]
    if gyro_present and len(gyro_present) < 3:
        absent = [c for c in GYRO_COLUMNS if c not in pos]
        raise RecordingError(
            source, where,
            f"only some gyro columns present ({', '.join(gyro_present)}), missing "
            f"{', '.join(absent)}: give all of gx, gy, gz or none",
        )
    used = set(pos.values())
    extras = [str(names[i]) for i in range(len(names)) if i not in used]
    return pos, bool(gyro_present), extras


# --------------------------------------------------------------------------------------------
# CSV


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RecordingError(source, "whole file", "file not found") from None
    except IsADirectoryError:
        raise RecordingError(source, "whole file", "is a directory, not a recording file") from None
    except OSError as e:
        raise RecordingError(source, "whole file", f"cannot read the file: {e}") from None


def _gunzip(raw: bytes, source: str) -> tuple[bytes, bool]:
    """Decompress gzip data; a stream cut short keeps what was decompressed (truncated=True)."""
    out = []
    data = raw
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out.append(d.decompress(data))
            out.append(d.flush())
        except zlib.error as e:
            if out:  # a corrupt later member: keep what we have, as for a cut stream
                return b"".join(out), True
            raise RecordingError(source, "whole file", f"corrupt gzip data: {e}") from None
        if not d.eof:
            return b"".join(out), True
        data = d.unused_data.lstrip(b"\x00")
    return b"".join(out), False


def _line_fields_quoted(text_lines: list[bytes]) -> np.ndarray:
    """Field counts when the file uses quotes (slow path; quoted numeric logs are rare)."""
    counts = np.empty(len(text_lines), dtype=np.int64)
    for i, ln in enumerate(text_lines):
        try:
            row = next(csv.reader([ln.decode("utf-8", "replace")]), [])
        except csv.Error:
            row = []
        counts[i] = max(len(row), 1)
    return counts


def _fixed_decimals(texts: list[str]) -> int | None:
    """Number of decimals if all texts are plain decimals with the same count, else None."""
    decs = set()
    for s in texts:
        s = s.strip()
        if "." not in s or "e" in s.lower():
            return None
        decs.add(len(s) - s.index(".") - 1)
        if len(decs) > 1:
            return None
    return decs.pop() if decs else None


def _is_number_or_missing(s: str) -> bool:
    s = s.strip()
    if s == "" or s.lower() in {"nan", "na", "null", "none", "n/a", "-nan"}:
        return True
    try:
        float(s)
        return True
    except ValueError:
        return False


def _commas_per_line(cpos: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Commas on each line, from the sorted byte positions of the commas and the lines' [start, end) bytes."""
    n = len(starts)
    k = len(cpos) // n if n else 0
    if k and len(cpos) == n * k:  # as many commas as k per line: if the i-th k of them lie on line i, all do
        first_last = cpos.reshape(n, k)[:, [0, -1]]
        if np.all(first_last[:, 0] >= starts) and np.all(first_last[:, 1] < ends):
            return np.full(n, k)
    upto_end = np.searchsorted(cpos, ends)  # commas before each line's end = before the next line's start
    return np.diff(upto_end, prepend=0)


_SCAN_BYTES = 1 << 20  #: bytes compared at a time when looking for newlines (stays in the CPU cache)
_SCAN_LINES = 1 << 14  #: lines whose commas are counted at a time


def _positions(arr: np.ndarray, byte: int) -> np.ndarray:
    """``np.flatnonzero(arr == byte)``, compared a block at a time: no file-sized mask in memory."""
    if len(arr) <= _SCAN_BYTES:
        return np.flatnonzero(arr == byte)
    parts = []
    for a in range(0, len(arr), _SCAN_BYTES):
        p = np.flatnonzero(arr[a:a + _SCAN_BYTES] == byte)
        p += a
        parts.append(p)
    return np.concatenate(parts)


def _commas_by_line(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Commas on each line (:func:`_commas_per_line`), a block of lines at a time: the same counts
    without a file-sized mask or an array of every comma's position in memory."""
    n = len(starts)
    out = np.empty(n, dtype=np.int64)
    for i in range(0, n, _SCAN_LINES):
        j = min(i + _SCAN_LINES, n)
        b0, b1 = int(starts[i]), int(ends[j - 1])
        cpos = np.flatnonzero(arr[b0:b1] == 44)
        cpos += b0
        out[i:j] = _commas_per_line(cpos, starts[i:j], ends[i:j])
    return out


def _load_csv(path: Path, source: str, gz: bool) -> _Raw:
    raw = _read_bytes(path, source)
    if len(raw) == 0:
        raise RecordingError(source, "line 1", "file is empty")
    truncated_stream = False
    fmt = "csv"
    if gz or raw[:2] == b"\x1f\x8b":
        fmt = "csv.gz"
        if raw[:2] != b"\x1f\x8b":
            raise RecordingError(source, "whole file", "not gzip data although the name ends in .gz")
        data, truncated_stream = _gunzip(raw, source)
        if not data or data.isspace():
            what = "compressed stream cut off before any data" if truncated_stream else "file is empty"
            raise RecordingError(source, "line 1", what)
    else:
        data = raw
    if data.isspace():  # (as `not data.strip()`, without copying the file)
        raise RecordingError(source, "line 1", "file is empty (only blank lines)")
    if data[:4] == b"PAR1":
        raise RecordingError(source, "line 1", "this is a Parquet file, not CSV text: name it .parquet")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise RecordingError(source, f"line {line}", "binary data (NUL byte), not CSV text: garbled or not a CSV file")
    if b"\n" not in data and b"\r" in data:  # old Mac line ends
        data = data.replace(b"\r", b"\n")
    if not truncated_stream:
        plain = _load_plain_csv(data, source, fmt)
        if plain is not None:
            return plain

    arr = np.frombuffer(data, dtype=np.uint8)
    nl = _positions(arr, 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(data)]))
    if starts[-1] >= len(data):  # file ends with a newline: no segment after it
        starts, ends = starts[:-1], ends[:-1]
    ends_with_newline = data.endswith(b"\n")
    quoted = b'"' in data
    if quoted:
        qpos = np.flatnonzero(arr == 34)
        nq = np.searchsorted(qpos, ends) - np.searchsorted(qpos, starts)
        odd = np.flatnonzero(nq % 2)
        if odd.size:
            raise RecordingError(
                source, f"line {int(odd[0]) + 1}",
                "garbled CSV: unbalanced quote character (\") (fields spanning lines are not supported)",
            )
        seg = [data[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
        fields = _line_fields_quoted(seg)
        commas0 = fields == 1
    else:
        ncomma = _commas_by_line(arr, starts, ends)
        fields = ncomma + 1
        commas0 = ncomma == 0
    # Blank (whitespace-only) lines are skipped, as pandas does; they can only be lines without commas.
    blank = np.zeros(len(starts), dtype=bool)
    for i in np.flatnonzero(commas0):
        if not data[starts[i]:ends[i]].strip():
            blank[i] = True
    nonblank = np.flatnonzero(~blank)
    hdr = int(nonblank[0])
    hdr_where = f"header (line {hdr + 1})"
    header_text = data[starts[hdr]:ends[hdr]].decode("utf-8", "replace").rstrip("\r")
    try:
        names = next(csv.reader([header_text]))
    except (csv.Error, StopIteration):
        raise RecordingError(source, hdr_where, "unreadable header line") from None
    pos, has_gyro, extras = _pick_columns(source, names, hdr_where)
    nf = len(names)

    data_idx = nonblank[1:]  # 0-based line indices of the data lines
    truncated_last = False
    truncated_line = None
    if data_idx.size:
        bad = np.flatnonzero(fields[data_idx] != nf)
        last = int(data_idx[-1])
        last_unterminated = (last == len(starts) - 1) and not ends_with_newline
        if bad.size and int(data_idx[bad[0]]) != last:
            li = int(data_idx[bad[0]])
            raise RecordingError(
                source, f"line {li + 1}",
                f"broken row: expected {nf} fields like the header, found {int(fields[li])}",
            )
        if bad.size:  # only the last line is broken
            if fields[last] > nf:
                raise RecordingError(
                    source, f"line {last + 1}",
                    f"broken row: expected {nf} fields like the header, found {int(fields[last])}",
                )
            truncated_last = True
        elif last_unterminated or (truncated_stream and not ends_with_newline):
            # Complete number of fields but no final newline: cut mid-number?
            def split(li: int) -> list:
                return next(csv.reader([data[starts[li]:ends[li]].decode("utf-8", "replace").rstrip("\r")]), [])

            lastfield = (split(last) or [""])[-1]
            prev_txt = [p[-1] for p in map(split, data_idx[-51:-1].tolist()) if len(p) == nf]
            if truncated_stream:
                truncated_last = True
            elif lastfield.strip() == "":
                # cut right after a comma, unless that column is usually empty anyway
                truncated_last = not prev_txt or all(x.strip() for x in prev_txt)
            elif not _is_number_or_missing(lastfield):
                truncated_last = True
            else:
                # cut mid-number: fewer decimals than the column always has
                d = _fixed_decimals(prev_txt) if len(prev_txt) >= 3 else None
                if d:
                    v = lastfield.strip()
                    truncated_last = (len(v) - v.index(".") - 1 if "." in v else 0) < d
        if truncated_last:
            truncated_line = last + 1
            data_idx = data_idx[:-1]

    flags = {
        "truncated_last_row": truncated_last,
        "truncated_last_line": truncated_line,
        "truncated_stream": truncated_stream,
    }
    line_no = data_idx + 1  # 1-based line number of each data row
    where = _line_where(line_no)
    if not data_idx.size:
        samples = np.empty((0, 6 if has_gyro else 3))
        return _Raw(source, fmt, np.empty(0), samples, extras, where, f"line {hdr + 2}", flags)

    body_start = int(starts[data_idx[0]])
    body_end = int(ends[data_idx[-1]])
    if not data[body_end:].strip(b"\n"):  # the data run to the end (but for newlines): read them in place
        body_file = io.BytesIO(data)  # (shares the bytes: no copy of the file)
        body_file.seek(body_start)
    else:  # a cut-off last line follows: read up to it
        body_file = io.BytesIO(data[body_start:body_end])
    wanted = ["t", *_value_columns(has_gyro)]
    usecols = [pos[c] for c in wanted]
    read_kw = dict(header=None, usecols=usecols, engine="c", skip_blank_lines=True, encoding_errors="replace")
    try:
        df = pd.read_csv(body_file, dtype={i: np.float64 for i in usecols}, **read_kw)
    except ValueError as e:
        if isinstance(e, pd.errors.ParserError):
            raise RecordingError(source, f"lines {line_no[0]}-{line_no[-1]}", f"garbled CSV: {e}") from None
        _raise_non_numeric_csv(source, data[body_start:body_end], read_kw, usecols, wanted, line_no, e)
        raise  # not reached
    columns = [df[c].to_numpy(dtype=np.float64) for c in usecols]
    if len(columns[0]) != data_idx.size:
        raise RecordingError(
            source, f"lines {line_no[0]}-{line_no[-1]}",
            f"garbled CSV: {data_idx.size} data lines but {len(columns[0])} rows parsed (stray quotes?)",
        )
    return _Raw(source, fmt, columns[0], np.column_stack(columns[1:]), extras, where, where(0), flags)


def _line_where(line_no) -> Callable[[int], str]:
    """Location text of a CSV's data row ``k`` (0-based), from the rows' 1-based line numbers ``line_no``."""
    def where(k: int) -> str:
        return f"line {int(line_no[k])} (data row {k + 1})"
    return where


def _load_plain_csv(data: bytes, source: str, fmt: str) -> _Raw | None:
    """The data of a plain CSV (:mod:`imu.csv_arrow`: the header on line 1, a row on every line after it)
    read by pyarrow's parser, or None: then :func:`_load_csv` reads it the careful way, which names
    what is wrong (this way raises nothing of its own; its header is the careful way's, line 1)."""
    header_text = data[:data.find(b"\n")].decode("utf-8", "replace")
    try:
        names = next(csv.reader([header_text]))
        pos, has_gyro, extras = _pick_columns(source, names, "header (line 1)")
    except (csv.Error, StopIteration, RecordingError):
        return None
    wanted = ["t", *_value_columns(has_gyro)]
    columns = plain_csv_columns(data, len(names), [pos[c] for c in wanted])
    if columns is None:
        return None
    where = _line_where(range(2, len(columns[0]) + 2))
    flags = {"truncated_last_row": False, "truncated_last_line": None, "truncated_stream": False}
    return _Raw(source, fmt, columns[0], np.column_stack(columns[1:]), extras, where, where(0), flags)


def _raise_non_numeric_csv(source, body, read_kw, usecols, wanted, line_no, err) -> None:
    df = pd.read_csv(io.BytesIO(body), dtype=str, **read_kw)
    best = None
    for name, c in zip(wanted, usecols):
        col = df[c]
        num = pd.to_numeric(col, errors="coerce")
        bad = np.flatnonzero(col.notna().to_numpy() & num.isna().to_numpy())
        if bad.size and (best is None or bad[0] < best[0]):
            best = (int(bad[0]), name, str(col.iloc[int(bad[0])]))
    if best is None:
        raise RecordingError(source, f"lines {line_no[0]}-{line_no[-1]}", f"garbled CSV: {err}")
    k, name, text = best
    raise RecordingError(
        source, f"line {int(line_no[k])} (data row {k + 1})",
        f"column {name!r}: non-numeric value {text[:40]!r}",
    )


# --------------------------------------------------------------------------------------------
# Parquet and in-memory frames


def _numeric_column(source: str, name: str, values, where: Callable[[int], str]) -> np.ndarray:
    s = pd.Series(values)
    if s.dtype.kind in "fiub":
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    num = pd.to_numeric(s, errors="coerce")
    bad = np.flatnonzero(s.notna().to_numpy() & num.isna().to_numpy())
    if bad.size:
        k = int(bad[0])
        raise RecordingError(source, where(k), f"column {name!r}: non-numeric value {str(s.iloc[k])[:40]!r}")
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def _raw_from_frame(df: pd.DataFrame, source: str, fmt: str) -> _Raw:
    names = list(df.columns)
    pos, has_gyro, extras = _pick_columns(source, names, "columns")

    def where(k: int) -> str:
        return f"data row {k + 1}"

    def col(c):
        return _numeric_column(source, c, df.iloc[:, pos[c]].to_numpy(), where)

    columns = _value_columns(has_gyro)
    samples = np.column_stack([col(c) for c in columns]) if len(df) else np.empty((0, len(columns)))
    return _Raw(source, fmt, col("t"), samples, extras, where, "data row 1", {})


def _load_parquet(path: Path, source: str) -> _Raw:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RecordingError(source, "whole file", "file not found") from None
    except OSError as e:
        raise RecordingError(source, "whole file", f"cannot read the file: {e}") from None
    if path.is_dir():
        raise RecordingError(source, "whole file", "is a directory, not a recording file")
    if size == 0:
        raise RecordingError(source, "whole file", "file is empty")
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        names = list(pf.schema_arrow.names)
    except Exception as e:  # pyarrow raises ArrowInvalid/OSError for truncated or corrupt files
        raise RecordingError(source, "whole file", f"not a readable Parquet file (truncated or corrupt): {e}") from None
    pos, has_gyro, _ = _pick_columns(source, names, "columns")
    wanted = ["t", *_value_columns(has_gyro)]
    try:
        table = pf.read(columns=[names[pos[c]] for c in wanted])
        df = table.to_pandas()
    except Exception as e:
        raise RecordingError(source, "whole file", f"not a readable Parquet file (truncated or corrupt): {e}") from None
    raw = _raw_from_frame(df, source, "parquet")
    raw.extra_columns = [n for i, n in enumerate(names) if i not in set(pos.values())]
    return raw


# --------------------------------------------------------------------------------------------
# Validation and cleaning, common to all sources


def _tilt_rate_dps(acc_g: np.ndarray, t: np.ndarray, rate: float) -> tuple[float, float]:
    """(99th percentile of the accelerometer tilt rate in deg/s, largest tilt from the median direction in deg)."""
    w = max(1, int(round(0.2 * rate)))
    if acc_g.shape[0] < 3 * w:
        return 0.0, 0.0
    c = np.cumsum(np.vstack([np.zeros((1, 3)), acc_g]), axis=0)
    sm = (c[w:] - c[:-w]) / w
    tm = np.convolve(t, np.ones(w) / w, mode="valid")
    length = np.linalg.norm(sm, axis=1)
    ok = length > 1e-9
    u = np.zeros_like(sm)
    u[ok] = sm[ok] / length[ok, None]
    dots = np.clip(np.sum(u[w:] * u[:-w], axis=1), -1.0, 1.0)
    dt = tm[w:] - tm[:-w]
    rate_dps = np.degrees(np.arccos(dots)) / np.maximum(dt, 1e-9)
    med = np.median(u, axis=0)
    med /= max(np.linalg.norm(med), 1e-9)
    tilt = np.degrees(np.arccos(np.clip(u @ med, -1.0, 1.0)))
    return float(np.percentile(rate_dps, 99)), float(np.max(tilt))


def _clean(raw: _Raw, acc_unit: str, gyro_unit: str) -> Recording:
    src = raw.source
    t, vals, where = raw.t, raw.samples, raw.where
    acc, gyro = vals[:, :3], (vals[:, 3:] if raw.has_gyro else None)
    n_read = int(t.shape[0])
    if n_read == 0:
        raise RecordingError(src, raw.last_data_where, "no data rows (at least 2 s of data are needed)")

    bad_t = np.flatnonzero(~np.isfinite(t))
    if bad_t.size:
        k = int(bad_t[0])
        raise RecordingError(src, where(k), f"time stamp t is not a finite number ({float(t[k])})")
    names = _value_columns(gyro is not None)
    inf = np.isinf(vals)
    if inf.any():
        k, j = (int(x) for x in np.argwhere(inf)[0])
        raise RecordingError(src, where(k), f"column {names[j]!r}: infinite value ({float(vals[k, j])})")

    quality: dict = {
        "source_format": raw.fmt,
        "rows_read": n_read,
        "extra_columns": list(raw.extra_columns),
        "acc_unit": acc_unit,
        "gyro_unit": gyro_unit,
        "truncated_last_row": bool(raw.flags.get("truncated_last_row", False)),
    }
    if raw.flags.get("truncated_last_line") is not None:
        quality["truncated_last_line"] = int(raw.flags["truncated_last_line"])
    if raw.flags.get("truncated_stream"):
        quality["truncated_stream"] = True

    nan = np.isnan(vals)
    if nan[:, :3].any() and nan[:, :3].any(axis=1).all():
        raise RecordingError(src, _rows_where(n_read), "no valid accelerometer samples: every row has a missing (NaN) ax/ay/az value")
    quality["gyro_all_nan"] = False
    if gyro is not None and nan[:, 3:].all():
        gyro = None
        quality["gyro_all_nan"] = True
        vals, nan = acc, nan[:, :3]

    # ---- order: stable sort, count the rows that arrived late
    order = np.arange(n_read)
    late = t[1:] < np.maximum.accumulate(t)[:-1]
    reordered = int(late.sum())
    if reordered:
        order = np.argsort(t, kind="stable")
        t, vals, nan = t[order], vals[order], nan[order]
    quality["reordered_rows"] = reordered

    # ---- duplicates: keep the first row of each time stamp
    same_t = np.concatenate(([False], t[1:] == t[:-1]))
    dups_exact = conflicts = 0
    if same_t.any():
        idx = np.arange(t.size)
        first = np.maximum.accumulate(np.where(same_t, 0, idx))
        d = np.flatnonzero(same_t)
        a, b = vals[d], vals[first[d]]
        equal = np.all((a == b) | (np.isnan(a) & np.isnan(b)), axis=1)
        dups_exact = int(equal.sum())
        conflicts = int((~equal).sum())
        keep = ~same_t
        t, vals, order, nan = t[keep], vals[keep], order[keep], nan[keep]
    quality["duplicates_dropped"] = dups_exact
    quality["duplicate_t_conflicts"] = conflicts

    # ---- NaN samples: interpolate short runs, drop long ones and the ones at the edges
    filled_rows = dropped_rows = runs_filled = runs_dropped = 0
    dropped_spans = []
    if nan.any():
        period0 = float(np.median(np.diff(t))) if t.size > 1 else 0.0
        s_idx, e_idx = true_runs(nan.any(axis=1))
        drop = np.zeros(t.size, dtype=bool)
        fill = np.zeros(t.size, dtype=bool)
        for s, e in zip(s_idx.tolist(), e_idx.tolist()):
            dur = float(t[e - 1] - t[s]) + period0
            if s == 0 or e == t.size or dur > MAX_NAN_FILL_S + 1e-9:
                drop[s:e] = True
                runs_dropped += 1
                dropped_spans.append((float(t[s]), float(t[e - 1])))
            else:
                fill[s:e] = True
                runs_filled += 1
        if fill.any():
            vals = vals.copy()
            for j in range(vals.shape[1]):
                bad = fill & np.isnan(vals[:, j])
                good = ~np.isnan(vals[:, j])
                if bad.any():
                    vals[bad, j] = np.interp(t[bad], t[good], vals[good, j])
        filled_rows, dropped_rows = int(fill.sum()), int(drop.sum())
        if drop.any():
            keep = ~drop
            t, vals, order = t[keep], vals[keep], order[keep]
    quality["nan_rows_filled"] = filled_rows
    quality["nan_rows_dropped"] = dropped_rows
    quality["nan_runs_filled"] = runs_filled
    quality["nan_runs_dropped"] = runs_dropped

    # ---- length and rate
    all_rows = _rows_where(n_read)
    dur = float(t[-1] - t[0]) if t.size else 0.0
    if t.size < 2 or dur < MIN_DURATION_S:
        raise RecordingError(
            src, all_rows,
            f"too short: {dur:.3f} s of usable data ({t.size} samples), at least {MIN_DURATION_S:g} s needed",
        )
    steps = np.diff(t)
    period = float(np.median(steps))
    rate = 1.0 / period
    if not (MIN_RATE_HZ * (1 - RATE_TOLERANCE) <= rate <= MAX_RATE_HZ * (1 + RATE_TOLERANCE)):
        raise RecordingError(
            src, all_rows,
            f"unsupported sample rate {rate:.4g} Hz (median time step {period * 1000:.4g} ms); "
            f"supported: {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz (is t in seconds?)",
        )

    # ---- units
    acc = vals[:, :3]
    med = float(np.median(norm(acc)))
    if acc_unit == "g" and 5.0 <= med <= 15.0:
        raise RecordingError(
            src, all_rows,
            f"wrong unit? median |acc| is {med:.3g} read as g; this looks like m/s2: use --acc-unit m/s2",
        )
    if acc_unit == "m/s2" and 0.5 <= med <= 2.0:
        raise RecordingError(
            src, all_rows,
            f"wrong unit? median |acc| is {med:.3g} read as m/s2; this looks like g: use --acc-unit g",
        )
    acc = acc / STANDARD_GRAVITY if acc_unit == "m/s2" else acc.copy()
    med_g = med / STANDARD_GRAVITY if acc_unit == "m/s2" else med
    if not (0.5 <= med_g <= 2.0):
        raise RecordingError(
            src, all_rows,
            f"wrong unit or scale? median |acc| is {med_g:.4g} g after conversion from {acc_unit}; "
            "expected about 1 g (0.5-2 g) for a worn sensor",
        )
    big = np.abs(acc) > MAX_ACC_G
    if big.any():
        k, j = (int(x) for x in np.argwhere(big)[0])
        raise RecordingError(
            src, where(int(order[k])),
            f"column {ACC_COLUMNS[j]!r}: absurd acceleration {acc[k, j]:.6g} g (over {MAX_ACC_G:g} g)",
        )
    gyro_out = None
    if gyro is not None:
        g = vals[:, 3:6]
        gyro_out = np.degrees(g) if gyro_unit == "rad/s" else g.copy()
        big = np.abs(gyro_out) > MAX_GYRO_DPS
        if big.any():
            k, j = (int(x) for x in np.argwhere(big)[0])
            hint = " (is the gyro in deg/s? use --gyro-unit dps)" if gyro_unit == "rad/s" else ""
            raise RecordingError(
                src, where(int(order[k])),
                f"column {GYRO_COLUMNS[j]!r}: absurd angular rate {gyro_out[k, j]:.6g} deg/s "
                f"(over {MAX_GYRO_DPS:g} deg/s){hint}",
            )
        if gyro_unit == "dps":
            g99 = float(np.percentile(norm(gyro_out), 99))
            if g99 < 3.0:
                tilt99, tilt_max = _tilt_rate_dps(acc, t, rate)
                if tilt99 > 20.0 and tilt_max > 20.0:
                    raise RecordingError(
                        src, all_rows,
                        f"wrong gyro unit? the gyro stays below {g99:.3g} deg/s (99th percentile) while the "
                        f"accelerometer shows the sensor turning at {tilt99:.0f} deg/s and by up to "
                        f"{tilt_max:.0f} deg: the gyro looks like rad/s, use --gyro-unit rad/s "
                        "(or the gyro is not working)",
                    )

    # ---- gaps and jitter
    gap_idx = np.flatnonzero(steps > GAP_PERIODS * period)
    gaps = []
    for i in gap_idx.tolist():
        s, e = float(t[i]), float(t[i + 1])
        cause = "no_samples"
        for a, b in dropped_spans:
            if a > s and b < e:
                cause = "nan_samples_dropped"
                break
        gaps.append({"start_s": s, "end_s": e, "duration_s": e - s, "cause": cause})
    regular = steps[steps <= GAP_PERIODS * period]
    quality.update(
        {
            "rows_kept": int(t.size),
            "has_gyro": gyro_out is not None,
            "rate_hz": float(rate),
            "duration_s": dur,
            "gaps": gaps,
            "longest_gap_s": float(max((g["duration_s"] for g in gaps), default=0.0)),
            "long_gaps": int(sum(g["duration_s"] > LONG_GAP_S for g in gaps)),
            "jitter_ms": float(np.std(regular) * 1000.0) if regular.size else 0.0,
            "median_acc_g": med_g,
        }
    )
    return Recording(
        t_s=np.ascontiguousarray(t, dtype=np.float64),
        acc_g=np.ascontiguousarray(acc, dtype=np.float64),
        gyro_dps=None if gyro_out is None else np.ascontiguousarray(gyro_out, dtype=np.float64),
        rate_hz=float(rate),
        source=src,
        quality=quality,
    )


# --------------------------------------------------------------------------------------------
# Public API


def _check_units(acc_unit: str, gyro_unit: str) -> None:
    if acc_unit not in ACC_UNITS:
        raise ValueError(f"acc_unit must be one of {ACC_UNITS}, not {acc_unit!r}")
    if gyro_unit not in GYRO_UNITS:
        raise ValueError(f"gyro_unit must be one of {GYRO_UNITS}, not {gyro_unit!r}")


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".gz"):
        return "csv.gz"
    if name.endswith((".csv", ".txt")):
        return "csv"
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return "csv"
    return "parquet" if head == b"PAR1" else "csv"


def read_recording(path, *, acc_unit: str = "g", gyro_unit: str = "dps") -> Recording:
    """Read, validate and clean a raw recording (CSV, .csv.gz or Parquet); see the module docstring.

    Raises :class:`RecordingError` (a ``ValueError``) naming the file, the row or line and the problem.
    """
    _check_units(acc_unit, gyro_unit)
    p = Path(path)
    source = str(path)
    kind = _kind(p)
    if kind == "parquet":
        raw = _load_parquet(p, source)
    else:
        raw = _load_csv(p, source, gz=(kind == "csv.gz"))
    return _clean(raw, acc_unit, gyro_unit)


def recording_from_frame(
    df: pd.DataFrame, *, source: str = "<frame>", acc_unit: str = "g", gyro_unit: str = "dps"
) -> Recording:
    """Validate and clean in-memory data (e.g. simulator output) exactly like :func:`read_recording`."""
    _check_units(acc_unit, gyro_unit)
    return _clean(_raw_from_frame(df, str(source), "frame"), acc_unit, gyro_unit)


def write_recording(path, rec_or_df) -> None:
    """Write a Recording (in g and deg/s) or a DataFrame (as is, extra columns included).

    The format follows the suffix: ``.csv``, ``.csv.gz`` (6 decimals for all float columns) or
    ``.parquet`` (full float64 precision). The file is written to a temporary name first and then
    renamed, so an interrupted write never leaves a half-written recording.
    """
    p = Path(path)
    name = p.name.lower()
    if isinstance(rec_or_df, Recording):
        df = rec_or_df.to_frame()
    elif isinstance(rec_or_df, pd.DataFrame):
        df = rec_or_df
        _pick_columns(str(path), list(df.columns), "columns")
    else:
        raise TypeError(f"expected a Recording or a pandas DataFrame, not {type(rec_or_df).__name__}")
    if name.endswith(".csv"):
        kind = "csv"
    elif name.endswith(".csv.gz"):
        kind = "csv.gz"
    elif name.endswith(".parquet"):
        kind = "parquet"
    else:
        raise RecordingError(str(path), "whole file", "unsupported suffix: use .csv, .csv.gz or .parquet")
    tmp = p.with_name(f".{p.name}.tmp-{os.getpid()}")
    try:
        if kind == "parquet":
            df.to_parquet(tmp, index=False, engine="pyarrow")
        else:
            df.to_csv(
                tmp, index=False, float_format="%.6f", lineterminator="\n",
                compression="gzip" if kind == "csv.gz" else None,
            )
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()
