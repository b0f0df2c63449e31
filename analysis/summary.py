"""The session summary written to ``session.json`` by ``imu analyze``.

:func:`session_summary` returns a JSON-serialisable dict (plain ``int``/``float``/``str``/``bool``/
``None``/``list``/``dict`` only; NaN becomes ``null``). Times in seconds, angles in degrees.

Keys::

    schema_version      1 (bumped when a key changes meaning)
    exercise
      preset            preset slug used for detection, e.g. "lying-leg-raise" (info["exercise"])
      auto_detected     true when the preset was picked automatically (info["auto_detected"])
      auto_evidence     what picked it, from the first set (info["auto_evidence"]; null when chosen): its median
                        range (first_set_rom_deg), whether its reps followed each other without pauses
                        (continuous), and the median lever fitted to its reps of 20 deg and more: its direction
                        from straight down (lever_from_down_deg: ~0 the shin hangs from the axis, ~90 lies level
                        with it, 125-165 the ankle starts above the hip) and length (lever_m); null without two
    recording
      source_file       the analysed recording (info["source"])
      duration_s        recording duration (info["duration_s"])
      sample_rate_hz    sample rate (info["sample_rate_hz"])
      has_gyro          whether the recording had gyroscope data (info["has_gyro"])
    totals
      sets, reps        counts
      tut_s             total time under tension (sum of the reps' tut_s)
      momentum_reps, partial_reps, rushed_reps, feet_rested_reps, flagged_reps
                        number of reps carrying that flag (flagged_reps: at least one flag)
      flags             {code: number of reps with that flag} for every code of
                        imu.rep.FLAG_DESCRIPTIONS (0 when absent), plus any unknown code seen
    tempo               medians over all reps of the session (null without reps)
      up_s, top_hold_s, down_s, bottom_hold_s
                        median phase durations (bottom_hold_s over the reps that have one)
      tempo             tempo string of those medians, down-bottom-up-top, e.g. "3-0-2-1"
    rom
      median_deg, max_deg
                        median and largest range of motion
      usual_full_deg    the person's usual full range from earlier sessions in the history: the
                        partial flag took the full range as at least 90 % of it
                        (info["usual_full_rom_deg"]); null when the history had none (or was not used)
    sets                [{"set", "reps", "tut_s"}, ...] one entry per set
    data_quality        copy of info["quality"] (gaps, dropped duplicates, NaNs filled...);
                        {} when not given
    engine
      version           info["engine_version"], else the installed imu-reps version
      preset            copy of info["preset"] (the preset's thresholds used), null when not given
    side                only with two sensors (a non-empty ``side`` column):
                        {"left": reps, "right": reps, ...}

``info`` keys read (all optional): ``exercise``, ``auto_detected``, ``auto_evidence``, ``source``, ``duration_s``,
``sample_rate_hz``, ``has_gyro``, ``usual_full_rom_deg``, ``quality``, ``engine_version``, ``preset``.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from collections import Counter
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from imu.rep import FLAG_DESCRIPTIONS

from .tables import flag_lists, tempo_string

__all__ = ["SCHEMA_VERSION", "session_summary", "json_safe"]

SCHEMA_VERSION = 1


def json_safe(obj: Any) -> Any:
    """Recursively convert ``obj`` to plain JSON types (numpy scalars/arrays, paths, NaN -> None...)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return json_safe(dataclasses.asdict(obj))
    if isinstance(obj, np.ndarray):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, (pd.Series, pd.Index)):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, (_dt.datetime, _dt.date, pd.Timestamp)):
        return obj.isoformat()
    if isinstance(obj, (_dt.timedelta, pd.Timedelta)):
        return obj.total_seconds()
    if obj is pd.NA or obj is pd.NaT:
        return None
    return str(obj)


def _num(v, nd: int) -> float | None:
    if v is None:
        return None
    v = float(v)
    return round(v, nd) if math.isfinite(v) else None


def _median(s, nd: int) -> float | None:
    a = np.asarray(pd.to_numeric(pd.Series(s, dtype="object"), errors="coerce"), dtype=float)
    a = a[np.isfinite(a)]
    return round(float(np.median(a)), nd) if a.size else None


def _max(s, nd: int) -> float | None:
    a = np.asarray(pd.to_numeric(pd.Series(s, dtype="object"), errors="coerce"), dtype=float)
    a = a[np.isfinite(a)]
    return round(float(np.max(a)), nd) if a.size else None


def _engine_version(info: Mapping) -> str | None:
    if info.get("engine_version") is not None:
        return str(info["engine_version"])
    try:
        from importlib.metadata import version

        return version("imu-reps")
    except Exception:  # pragma: no cover - not installed
        return None


def session_summary(reps_df: pd.DataFrame, sets_df: pd.DataFrame, info: Mapping | None = None) -> dict:
    """Summary of a session from :func:`~analysis.tables.reps_table`/:func:`~analysis.tables.sets_table`.

    See the module docstring for the keys. The result is JSON-serialisable as is.
    """
    info = dict(info or {})
    n = int(len(reps_df))
    flags = flag_lists(reps_df["flags"]) if n and "flags" in reps_df.columns else [[] for _ in range(n)]
    counts = Counter(c for f in flags for c in set(f))
    flag_counts = {code: int(counts.get(code, 0)) for code in FLAG_DESCRIPTIONS}
    for code in sorted(counts):
        flag_counts.setdefault(code, int(counts[code]))
    if n and "momentum" in reps_df.columns:
        momentum_reps = int(sum(
            (str(m).strip().lower() in ("true", "1")) or "momentum" in f
            for m, f in zip(reps_df["momentum"], flags)
        ))
    else:
        momentum_reps = flag_counts["momentum"]

    col = (lambda c: reps_df[c] if n and c in reps_df.columns else [])
    med = {c: _median(col(c), 3) for c in ("up_s", "top_hold_s", "down_s", "bottom_hold_s")}
    tempo = None
    if med["up_s"] is not None:
        tempo = tempo_string(med["down_s"], med["bottom_hold_s"], med["up_s"], med["top_hold_s"])

    sets = []
    if sets_df is not None and len(sets_df):
        for row in sets_df.itertuples(index=False):
            sets.append({"set": int(row.set), "reps": int(row.reps), "tut_s": _num(row.tut_s, 3)})

    tut = float(pd.to_numeric(pd.Series(col("tut_s"), dtype="object"), errors="coerce").sum()) if n else 0.0

    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "exercise": {
            "preset": info.get("exercise"),
            "auto_detected": bool(info.get("auto_detected", False)),
            "auto_evidence": info.get("auto_evidence"),
        },
        "recording": {
            "source_file": info.get("source"),
            "duration_s": _num(info.get("duration_s"), 3),
            "sample_rate_hz": _num(info.get("sample_rate_hz"), 3),
            "has_gyro": None if info.get("has_gyro") is None else bool(info.get("has_gyro")),
        },
        "totals": {
            "sets": len(sets) if sets_df is not None else (int(reps_df["set"].nunique()) if n else 0),
            "reps": n,
            "tut_s": round(tut, 3),
            "momentum_reps": momentum_reps,
            "partial_reps": flag_counts["partial"],
            "rushed_reps": flag_counts["rushed"],
            "feet_rested_reps": flag_counts["feet_rested"],
            "flagged_reps": int(sum(1 for f in flags if f)),
            "flags": flag_counts,
        },
        "tempo": {**med, "tempo": tempo},
        "rom": {"median_deg": _median(col("rom_deg"), 1), "max_deg": _max(col("rom_deg"), 1),
                "usual_full_deg": _num(info.get("usual_full_rom_deg"), 1)},
        "sets": sets,
        "data_quality": dict(info.get("quality") or {}),
        "engine": {"version": _engine_version(info), "preset": info.get("preset")},
    }
    if n and "side" in reps_df.columns:
        sides = [s for s in reps_df["side"].fillna("").astype(str) if s]
        if sides:
            summary["side"] = dict(sorted(Counter(sides).items()))
    return json_safe(summary)
