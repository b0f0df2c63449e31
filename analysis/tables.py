"""The tempo tables of ``imu analyze``: one row per rep, and one row per set.

Both tables are plain :class:`pandas.DataFrame` objects whose columns are documented in
:data:`COLUMN_DOCS` (description) and :data:`COLUMN_UNITS` (unit); :func:`columns_markdown` renders
that documentation as markdown for the README.

Conventions:

- times are seconds on the recording's own clock, rounded to 3 decimals (1 ms);
- angles (deg) and angular speeds (deg/s) are rounded to 1 decimal;
- "empty" cells are ``NaN`` (written as an empty cell in the CSV files);
- ``flags`` is the ``;``-joined list of form-flag codes of :data:`imu.rep.FLAG_DESCRIPTIONS`
  (empty string when the rep has none);
- ``tempo`` is the trainers' notation eccentric-bottom-concentric-top in whole seconds
  (``down-bottom_hold-up-top_hold``, e.g. ``3-0-2-1``), as :attr:`imu.rep.Rep.tempo`.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from imu.rep import Rep

__all__ = [
    "REPS_COLUMNS",
    "SETS_COLUMNS",
    "COLUMN_DOCS",
    "COLUMN_UNITS",
    "reps_table",
    "sets_table",
    "columns_markdown",
    "tempo_string",
    "flag_lists",
    "read_reps_csv",
    "read_sets_csv",
]

TIME_DECIMALS = 3
ANGLE_DECIMALS = 1
ACCEL_DECIMALS = 2

#: Columns of :func:`reps_table`, in order.
REPS_COLUMNS: list[str] = [
    "set", "rep", "start_s", "peak_s", "end_s", "up_s", "top_hold_s", "down_s", "bottom_hold_s",
    "tut_s", "tempo", "rom_deg", "peak_up_dps", "peak_down_dps", "momentum", "flags",
    # extra columns
    "top_s", "lower_s", "bottom_deg", "peak_accel_g", "side",
]

#: Columns of :func:`sets_table`, in order.
SETS_COLUMNS: list[str] = [
    "set", "start_s", "end_s", "duration_s", "reps", "tut_s", "rest_before_s",
    "median_up_s", "median_top_hold_s", "median_down_s", "median_bottom_hold_s", "median_tempo",
    "median_rom_deg", "max_rom_deg", "mean_peak_up_dps", "mean_peak_down_dps",
    "momentum_reps", "rushed_reps", "partial_reps", "feet_rested_reps", "flagged_reps",
    # extra column
    "side",
]

_REPS_INT = ["set", "rep"]
_REPS_TIME = ["start_s", "peak_s", "end_s", "up_s", "top_hold_s", "down_s", "bottom_hold_s", "tut_s",
              "top_s", "lower_s"]
_REPS_ANGLE = ["rom_deg", "peak_up_dps", "peak_down_dps", "bottom_deg"]
_REPS_STR = ["tempo", "flags", "side"]
_REPS_BOOL = ["momentum"]

_SETS_INT = ["set", "reps", "momentum_reps", "rushed_reps", "partial_reps", "feet_rested_reps",
             "flagged_reps"]
_SETS_TIME = ["start_s", "end_s", "duration_s", "tut_s", "rest_before_s", "median_up_s",
              "median_top_hold_s", "median_down_s", "median_bottom_hold_s"]
_SETS_ANGLE = ["median_rom_deg", "max_rom_deg", "mean_peak_up_dps", "mean_peak_down_dps"]
_SETS_STR = ["median_tempo", "side"]

#: Column units, per table (``"reps"``, ``"sets"``); ``""`` for text/boolean columns.
COLUMN_UNITS: dict[str, dict[str, str]] = {
    "reps": {
        "set": "#", "rep": "#", "start_s": "s", "peak_s": "s", "end_s": "s", "up_s": "s",
        "top_hold_s": "s", "down_s": "s", "bottom_hold_s": "s", "tut_s": "s", "tempo": "s-s-s-s",
        "rom_deg": "deg", "peak_up_dps": "deg/s", "peak_down_dps": "deg/s", "momentum": "true/false",
        "flags": "codes", "top_s": "s", "lower_s": "s", "bottom_deg": "deg", "peak_accel_g": "g",
        "side": "text",
    },
    "sets": {
        "set": "#", "start_s": "s", "end_s": "s", "duration_s": "s", "reps": "count", "tut_s": "s",
        "rest_before_s": "s", "median_up_s": "s", "median_top_hold_s": "s", "median_down_s": "s",
        "median_bottom_hold_s": "s", "median_tempo": "s-s-s-s", "median_rom_deg": "deg",
        "max_rom_deg": "deg", "mean_peak_up_dps": "deg/s", "mean_peak_down_dps": "deg/s",
        "momentum_reps": "count", "rushed_reps": "count", "partial_reps": "count",
        "feet_rested_reps": "count", "flagged_reps": "count", "side": "text",
    },
}

#: What each column means, per table (``"reps"``, ``"sets"``); units are in :data:`COLUMN_UNITS`.
COLUMN_DOCS: dict[str, dict[str, str]] = {
    "reps": {
        "set": "set number in the session (1-based)",
        "rep": "rep number within the set (1-based)",
        "start_s": "the leg leaves the set's resting position (start of the up phase)",
        "peak_s": "middle of the top hold (the turning point when there is no hold)",
        "end_s": "the leg is back at the resting position (end of the down phase)",
        "up_s": "up (concentric) phase duration: top_s - start_s",
        "top_hold_s": "pause at the top: lower_s - top_s",
        "down_s": "down (eccentric) phase duration: end_s - lower_s",
        "bottom_hold_s": "pause at the bottom before the next rep of the set; empty for a set's last rep",
        "tut_s": "time under tension: up + top hold + down, plus the bottom hold unless the feet rested",
        "tempo": "tempo down-bottom-up-top in whole seconds, e.g. 3-0-2-1 (bottom 0 on a set's last rep)",
        "rom_deg": "range of motion: top angle minus the resting angle before the rep",
        "peak_up_dps": "peak angular speed on the way up",
        "peak_down_dps": "peak angular speed on the way down",
        "momentum": "true when the rep carries the momentum flag (swung up, thrown and/or dropped)",
        "flags": "form-flag codes joined with ';' (empty when none): "
                 "momentum, rushed, partial, feet_rested, no_top_hold, uneven_rom, data_gap, inferred",
        "top_s": "the leg arrives at the top (end of the up phase)",
        "lower_s": "the leg starts down (end of the top hold)",
        "bottom_deg": "resting angle before the rep, relative to the set's first resting position",
        "peak_accel_g": "how hard the leg was thrown: how far the ankle's acceleration left 1 g "
                        "(90th percentile over the rep); over the preset's momentum_accel_g is momentum",
        "side": "which leg's sensor counted the rep (left/right) with two sensors; empty otherwise",
    },
    "sets": {
        "set": "set number in the session (1-based)",
        "start_s": "start of the set's first rep",
        "end_s": "end of the set's last rep",
        "duration_s": "end_s - start_s",
        "reps": "number of reps counted in the set",
        "tut_s": "time under tension of the set: sum of its reps' tut_s",
        "rest_before_s": "rest since the previous set's end (start_s - previous end_s); empty for the first set",
        "median_up_s": "median up phase duration of the set's reps",
        "median_top_hold_s": "median top hold of the set's reps",
        "median_down_s": "median down phase duration of the set's reps",
        "median_bottom_hold_s": "median bottom hold (over the reps that have one); empty for a 1-rep set",
        "median_tempo": "tempo of the median phases, down-bottom-up-top in whole seconds",
        "median_rom_deg": "median range of motion",
        "max_rom_deg": "largest range of motion",
        "mean_peak_up_dps": "mean of the reps' peak angular speeds on the way up",
        "mean_peak_down_dps": "mean of the reps' peak angular speeds on the way down",
        "momentum_reps": "reps flagged momentum",
        "rushed_reps": "reps flagged rushed",
        "partial_reps": "reps flagged partial",
        "feet_rested_reps": "reps flagged feet_rested",
        "flagged_reps": "reps with at least one flag",
        "side": "sides (left/right) of the set's reps, ';'-joined; empty with one sensor",
    },
}


# --------------------------------------------------------------------------- helpers

def tempo_string(down_s: float, bottom_hold_s: float | None, up_s: float, top_hold_s: float) -> str | None:
    """Tempo notation down-bottom-up-top in whole seconds, exactly as :attr:`Rep.tempo` rounds.

    A missing (None/NaN) bottom hold counts as 0; returns None when another phase is missing.
    """
    vals = []
    for v, optional in ((down_s, False), (bottom_hold_s, True), (up_s, False), (top_hold_s, False)):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            if not optional:
                return None
            v = 0.0
        vals.append(float(v))
    return "-".join(str(int(round(v))) for v in vals)


def flag_lists(flags: pd.Series | Iterable) -> list[list[str]]:
    """Split a ``flags`` column (``;``-joined codes; NaN/empty = none) into lists of codes."""
    out: list[list[str]] = []
    for f in flags:
        if f is None or (isinstance(f, float) and math.isnan(f)):
            out.append([])
        elif isinstance(f, str):
            out.append([c.strip() for c in f.split(";") if c.strip()])
        else:  # already a sequence of codes
            out.append([str(c) for c in f])
    return out


def _r(v: float | None, nd: int) -> float:
    if v is None:
        return float("nan")
    v = float(v)
    return round(v, nd) if math.isfinite(v) else float("nan")


def _empty_frame(columns: list[str], ints, times, angles, strs, bools=()) -> pd.DataFrame:
    data = {}
    for c in columns:
        if c in ints:
            data[c] = pd.Series([], dtype="int64")
        elif c in bools:
            data[c] = pd.Series([], dtype="bool")
        elif c in strs:
            data[c] = pd.Series([], dtype="str")
        else:
            data[c] = pd.Series([], dtype="float64")
    return pd.DataFrame(data, columns=columns)


def _sides(reps: Sequence[Rep], side) -> list[str]:
    if side is None:
        return [str(getattr(r, "side", "") or "") for r in reps]
    if isinstance(side, str):
        return [side] * len(reps)
    side = list(side)
    if len(side) != len(reps):
        raise ValueError(f"side has {len(side)} entries for {len(reps)} reps")
    return ["" if s is None else str(s) for s in side]


# --------------------------------------------------------------------------- reps

def reps_table(reps: Sequence[Rep], side: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The tempo table: one row per rep, columns :data:`REPS_COLUMNS` (see :data:`COLUMN_DOCS`).

    ``side`` labels the reps' leg when two sensors are worn: one string for all reps or one per
    rep; by default a rep's own ``side`` attribute if it has one, else ``""``.
    Rows are ordered by set, then start time.
    """
    reps = list(reps)
    sides = _sides(reps, side)
    if not reps:
        return _empty_frame(REPS_COLUMNS, _REPS_INT, _REPS_TIME, _REPS_ANGLE, _REPS_STR, _REPS_BOOL)
    T, A = TIME_DECIMALS, ANGLE_DECIMALS
    rows = []
    for r, sd in zip(reps, sides):
        rows.append({
            "set": int(r.set),
            "rep": int(r.rep),
            "start_s": _r(r.start_s, T),
            "peak_s": _r(r.peak_s, T),
            "end_s": _r(r.end_s, T),
            "up_s": _r(r.up_s, T),
            "top_hold_s": _r(r.top_hold_s, T),
            "down_s": _r(r.down_s, T),
            "bottom_hold_s": _r(r.bottom_hold_s, T),
            "tut_s": _r(r.tut_s, T),
            "tempo": r.tempo,
            "rom_deg": _r(r.rom_deg, A),
            "peak_up_dps": _r(r.peak_up_dps, A),
            "peak_down_dps": _r(r.peak_down_dps, A),
            "momentum": bool(r.momentum),
            "flags": ";".join(r.flags),
            "top_s": _r(r.top_s, T),
            "lower_s": _r(r.lower_s, T),
            "bottom_deg": _r(r.bottom_deg, A),
            "peak_accel_g": _r(r.peak_accel_g, ACCEL_DECIMALS),
            "side": sd,
        })
    df = pd.DataFrame(rows, columns=REPS_COLUMNS)
    df = df.sort_values(["set", "start_s", "rep"], kind="stable").reset_index(drop=True)
    return _coerce(df, _REPS_INT, _REPS_STR, _REPS_BOOL)


def _coerce(df: pd.DataFrame, ints, strs, bools=()) -> pd.DataFrame:
    for c in df.columns:
        if c in ints:
            df[c] = df[c].astype("int64")
        elif c in bools:
            df[c] = df[c].astype("bool")
        elif c in strs:
            col = df[c].astype("object")
            df[c] = col.where(col.notna(), "").astype("str")
        else:
            df[c] = df[c].astype("float64")
    return df


# --------------------------------------------------------------------------- sets

def _count(flag_sets: list[set[str]], code: str) -> int:
    return sum(1 for f in flag_sets if code in f)


#: Numeric columns of the reps table that the set rows are computed from.
_SET_SOURCES = ("start_s", "end_s", "up_s", "top_hold_s", "down_s", "bottom_hold_s", "tut_s", "rom_deg",
                "peak_up_dps", "peak_down_dps")


def sets_table(reps_df: pd.DataFrame) -> pd.DataFrame:
    """One row per set, columns :data:`SETS_COLUMNS`, from a :func:`reps_table` frame.

    Also accepts the frame read back from ``reps.csv`` (empty flags as NaN, etc.).
    """
    if reps_df is None or len(reps_df) == 0:
        return _empty_frame(SETS_COLUMNS, _SETS_INT, _SETS_TIME, _SETS_ANGLE, _SETS_STR)
    df = reps_df.sort_values(["set", "start_s"], kind="stable")
    flags = [set(f) for f in flag_lists(df["flags"])]
    mom = df["momentum"].map(_as_bool) if "momentum" in df.columns else [False] * len(df)
    momentum = [bool(m) or "momentum" in f for m, f in zip(mom, flags)]
    sides = df["side"].fillna("").astype(str).tolist() if "side" in df.columns else [""] * len(df)
    numbers = {c: _numbers(df[c]) for c in _SET_SOURCES}
    set_no = df["set"].to_numpy()
    cuts = np.flatnonzero(set_no[1:] != set_no[:-1]) + 1  # rows are sorted by set: each set is one slice
    rows = []
    prev_end = None
    for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(df)]):
        cols = {c: v[a:b] for c, v in numbers.items()}
        rows.append(_set_row(int(set_no[a]), cols, flags[a:b], momentum[a:b], sides[a:b], prev_end))
        prev_end = _nan_edge(cols["end_s"], np.max)
    return _coerce(pd.DataFrame(rows, columns=SETS_COLUMNS), _SETS_INT, _SETS_STR)


def _set_row(set_no: int, cols: dict[str, np.ndarray], flags: list[set[str]], momentum: list[bool],
             sides: list[str], prev_end: float | None) -> dict:
    """The :data:`SETS_COLUMNS` row of one set from its reps' columns (s, deg, deg/s) and flags."""
    T, A = TIME_DECIMALS, ANGLE_DECIMALS
    start = _nan_edge(cols["start_s"], np.min)
    end = _nan_edge(cols["end_s"], np.max)
    med = {c: _nanmedian(cols[c]) for c in ("up_s", "top_hold_s", "down_s", "bottom_hold_s")}
    return {
        "set": set_no,
        "start_s": _r(start, T),
        "end_s": _r(end, T),
        "duration_s": _r(end - start, T),
        "reps": len(flags),
        "tut_s": _r(float(np.nansum(cols["tut_s"])), T),
        "rest_before_s": float("nan") if prev_end is None else _r(start - prev_end, T),
        "median_up_s": _r(med["up_s"], T),
        "median_top_hold_s": _r(med["top_hold_s"], T),
        "median_down_s": _r(med["down_s"], T),
        "median_bottom_hold_s": _r(med["bottom_hold_s"], T),
        "median_tempo": tempo_string(med["down_s"], med["bottom_hold_s"], med["up_s"], med["top_hold_s"]) or "",
        "median_rom_deg": _r(_nanmedian(cols["rom_deg"]), A),
        "max_rom_deg": _r(_nanmax(cols["rom_deg"]), A),
        "mean_peak_up_dps": _r(_nanmean(cols["peak_up_dps"]), A),
        "mean_peak_down_dps": _r(_nanmean(cols["peak_down_dps"]), A),
        "momentum_reps": sum(momentum),
        "rushed_reps": _count(flags, "rushed"),
        "partial_reps": _count(flags, "partial"),
        "feet_rested_reps": _count(flags, "feet_rested"),
        "flagged_reps": sum(1 for f in flags if f),
        "side": ";".join(s for s in dict.fromkeys(sides) if s),
    }


def _numbers(s) -> np.ndarray:
    """``s`` (a column or an array) as float64, NaN where a value is not a number (e.g. text read back)."""
    if isinstance(s, np.ndarray) and s.dtype.kind == "f":
        return s
    s = s if isinstance(s, pd.Series) else pd.Series(s)
    if s.dtype.kind in "fiu":  # numbers already (the engine's reps): no text to coerce
        return s.to_numpy(dtype=float)
    return np.asarray(pd.to_numeric(s, errors="coerce"), dtype=float)


def _nan_edge(a: np.ndarray, edge) -> float:
    """``edge`` (np.min or np.max) of the values of ``a`` that are not NaN; NaN when there are none."""
    a = a[~np.isnan(a)]
    return float(edge(a)) if a.size else float("nan")


def _finite(s) -> np.ndarray:
    a = _numbers(s)
    return a[np.isfinite(a)]


def _nanmedian(s) -> float:
    a = _finite(s)
    return float(np.median(a)) if a.size else float("nan")


def _nanmean(s) -> float:
    a = _finite(s)
    return float(np.mean(a)) if a.size else float("nan")


def _nanmax(s) -> float:
    a = _finite(s)
    return float(np.max(a)) if a.size else float("nan")


def _as_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return False
    return bool(v)


# --------------------------------------------------------------------------- docs

def columns_markdown() -> str:
    """Markdown text documenting the columns of ``reps.csv`` and ``sets.csv`` (for the README)."""
    parts = []
    for table, cols, heading in (("reps", REPS_COLUMNS, "`reps.csv`: one row per rep"),
                                 ("sets", SETS_COLUMNS, "`sets.csv`: one row per set")):
        parts.append(f"#### {heading}\n")
        parts.append("| column | unit | meaning |")
        parts.append("|---|---|---|")
        for c in cols:
            doc = COLUMN_DOCS[table][c].replace("|", "\\|")
            parts.append(f"| `{c}` | {COLUMN_UNITS[table][c]} | {doc} |")
        parts.append("")
    return "\n".join(parts)


# --------------------------------------------------------------------------- CSV read-back

def read_reps_csv(path: str | Path) -> pd.DataFrame:
    """Read ``reps.csv`` back into the same frame :func:`reps_table` produced."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    if "momentum" in df.columns:
        df["momentum"] = df["momentum"].map(_as_bool)
    return _coerce(df[[c for c in REPS_COLUMNS if c in df.columns]], _REPS_INT, _REPS_STR, _REPS_BOOL)


def read_sets_csv(path: str | Path) -> pd.DataFrame:
    """Read ``sets.csv`` back into the same frame :func:`sets_table` produced."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    return _coerce(df[[c for c in SETS_COLUMNS if c in df.columns]], _SETS_INT, _SETS_STR)
