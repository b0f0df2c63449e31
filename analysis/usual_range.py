"""The person's usual full range of motion per exercise, from the training history.

The ``partial`` flag compares a rep with the person's own full range (:mod:`imu.presets`). Within one
session that is the upper half of its sets; a session of nothing but partial sets has no full set to
compare with, so its reps looked full. The history knows better: :func:`usual_full_rom` gives, per
exercise, the median over the person's latest sessions (at most ``sessions`` of them, in the last
``weeks`` weeks) of each session's full range, computed exactly as the engine computes it
(:func:`imu.flags.full_rom_deg`: swung reps, reps inferred across gaps and, without a gyroscope, reps
moved too briskly to trust their tilt are left out). The engine then takes the person's full range as
at least 90 % of it (:class:`imu.flags.SessionRoms`).
"""
from __future__ import annotations

import datetime as dt
import math
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from imu.flags import full_rom_deg, lever_m, range_trusted
from imu.presets import PRESETS

USUAL_SESSIONS = 5  #: latest sessions of an exercise that make the usual range
USUAL_WEEKS = 8  #: sessions older than this many weeks are not "usual" any more


def session_full_rom(reps: pd.DataFrame, has_gyro: bool | None, pivot_lever_m: float = 0.0) -> float:
    """One session's full range of motion (deg) from its ``reps.csv`` rows (NaN when none is trusted);
    ``pivot_lever_m``: the exercise preset's (sets that turned about a nearer axis are left out, with a
    gyroscope, as the engine leaves them out)."""
    def column(name):
        return pd.to_numeric(reps[name], errors="coerce").to_numpy(float)

    rom, accel = column("rom_deg"), column("peak_accel_g")
    momentum = reps["momentum"].fillna(False).astype(bool).to_numpy()
    # the engine's rule (a history that does not say whether there was a gyroscope: as with one)
    untrusted = ~range_trusted(momentum, accel, has_gyro is not False) | ~np.isfinite(rom)
    if untrusted.all():
        return math.nan
    levers = lever_m(column("up_s"), column("peak_up_dps"), accel) if has_gyro else None
    return full_rom_deg(reps["set"].to_numpy(), rom, untrusted, levers, pivot_lever_m)


def usual_full_rom(db: str | Path | None = None, side: str = "", *, exclude_dir: str | Path | None = None,
                   today: dt.date | None = None) -> dict[str, float]:
    """``{exercise slug: usual full range (deg)}`` from the history at ``db`` (default: the user's).

    ``side``: the sensor side of the reps to use (``""``: sessions with one sensor). ``exclude_dir``: a
    session folder to leave out (the one being analysed again). Reads only: a missing history gives
    ``{}`` and is not created; so does ``IMU_NO_HISTORY`` (:func:`analysis.history.history_disabled`).
    """
    from analysis.history import HistoryStore, default_db_path, history_disabled

    path = Path(db) if db is not None else default_db_path()
    if history_disabled() or not path.exists():
        return {}
    since = (today or dt.date.today()) - dt.timedelta(weeks=USUAL_WEEKS)
    with HistoryStore(path) as store:
        sessions = store.sessions(since=since)
        reps = store.reps(since=since)
    if exclude_dir is not None:
        sessions = sessions[sessions["source_dir"] != str(Path(exclude_dir).resolve())]
    reps = reps[reps["side"].fillna("").astype(str) == side]
    usual = {}
    for slug, group in sessions[sessions["exercise"] != ""].groupby("exercise"):
        pivot = PRESETS[slug].pivot_lever_m if slug in PRESETS else 0.0
        fulls = [session_full_rom(reps[reps["session_id"] == row.session_id], _bool(row.has_gyro), pivot)
                 for row in group.itertuples()]  # oldest first
        fulls = [f for f in fulls if math.isfinite(f)][-USUAL_SESSIONS:]
        if fulls:
            usual[str(slug)] = float(np.median(fulls))
    return usual


def usual_full_rom_by_side(db: str | Path | None, sides, exclude_dir: str | Path | None) -> dict[str, dict]:
    """``{side: usual_full_rom(db, side, ...)}`` for the sensors of a session about to be analysed;
    never raises: a history that cannot be read gives ``{}`` and a one-line warning on stderr (the
    ``partial`` flag then judges within the session, and nothing is lost)."""
    try:
        return {side: usual_full_rom(db, side, exclude_dir=exclude_dir) for side in sides}
    except (ValueError, OSError, sqlite3.Error, KeyError) as e:
        print(f"history: usual range of motion not read ({e}); partial is judged within the session",
              file=sys.stderr)
        return {}


def _bool(value) -> bool | None:
    return None if pd.isna(value) else bool(value)
