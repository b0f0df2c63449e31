"""Write the output files of ``imu analyze``: ``reps.csv``, ``sets.csv``, ``session.json``, ``session.png``.

Every file is written atomically: into a temporary file in the output directory, flushed and
fsynced, then moved over the final name with :func:`os.replace`. A crash therefore leaves either the
previous file or the complete new one, never a half-written file (and no temporary file is left
behind when writing fails with an exception). ``session.json`` is written last, so its presence
means the other three files of that run are complete.

CSV format (opens in any spreadsheet): UTF-8, comma-separated, one header row, no index column,
``.`` decimal point, empty cell for a missing value, booleans as ``true``/``false``.
Read them back with :func:`analysis.tables.read_reps_csv` / :func:`analysis.tables.read_sets_csv`.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import pandas as pd

from imu.rep import Rep

from .plot import plot_session
from .summary import session_summary
from .tables import reps_table, sets_table

__all__ = ["FILE_NAMES", "write_session", "atomic_write", "write_csv"]

#: Output file names, by key of the dict :func:`write_session` returns.
FILE_NAMES: dict[str, str] = {
    "reps_csv": "reps.csv",
    "sets_csv": "sets.csv",
    "session_json": "session.json",
    "session_png": "session.png",
}


def atomic_write(path: str | Path, write: Callable[[IO], None], *, binary: bool = False,
                 sync_dir: bool = True) -> Path:
    """Call ``write(f)`` on a temporary file next to ``path``, then atomically replace ``path``.

    Text mode files are UTF-8 with ``\\n`` line endings. ``sync_dir=False`` leaves the fsync of the
    directory (which makes the rename durable) to the caller, e.g. one for several files.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if binary:
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline="")
        with f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_dir:
        _fsync_dir(path.parent)
    return path


def _umask() -> int:
    """The process umask, read without changing it (os.umask would race with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _fsync_dir(d: Path) -> None:
    """Make the rename durable (POSIX); silently skipped where directories cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map({True: "true", False: "false"})
    return out


def write_csv(path: str | Path, df: pd.DataFrame, *, sync_dir: bool = True) -> Path:
    """Write ``df`` atomically as a plain spreadsheet CSV (see the module docstring and :func:`atomic_write`)."""
    data = _csv_frame(df)
    return atomic_write(path, lambda f: data.to_csv(f, index=False, lineterminator="\n", na_rep=""),
                        sync_dir=sync_dir)


def write_session(out_dir: str | Path, reps: Sequence[Rep], angle_t_s, angle_deg, info: dict | None = None,
                  *, phases: Sequence | None = None, side: str | Sequence[str] | None = None,
                  title: str | None = None) -> dict[str, Path]:
    """Write ``reps.csv``, ``sets.csv``, ``session.png`` and ``session.json`` into ``out_dir``.

    ``reps``: the engine's reps; ``angle_t_s``/``angle_deg``: the leg-angle trace for the plot (NaN
    where no set was active); ``info``: recording/engine facts for ``session.json`` (keys in
    :mod:`analysis.summary`); ``phases``: optional per-sample phase labels for the plot's shading
    (see :func:`analysis.plot.plot_session`); ``side``: rep side labels (see
    :func:`analysis.tables.reps_table`). Creates ``out_dir`` (and parents) if needed.
    Returns ``{"reps_csv", "sets_csv", "session_json", "session_png"}`` -> path.
    """
    info = dict(info or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / name for k, name in FILE_NAMES.items()}

    reps_df = reps_table(list(reps), side=side)
    sets_df = sets_table(reps_df)
    summary = session_summary(reps_df, sets_df, info)

    write_csv(paths["reps_csv"], reps_df, sync_dir=False)
    write_csv(paths["sets_csv"], sets_df, sync_dir=False)

    if title is None:
        bits = [b for b in (info.get("exercise"), Path(str(info["source"])).name if info.get("source") else None) if b]
        title = "Leg lifts: " + (" - ".join(str(b) for b in bits) if bits else "leg angle and rep phases")
    atomic_write(paths["session_png"],
                 lambda f: plot_session(f, angle_t_s, angle_deg, reps_df, title=title, phases=phases),
                 binary=True, sync_dir=False)
    _fsync_dir(out)  # one fsync makes the three renames durable, before session.json appears

    text = json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write(paths["session_json"], lambda f: f.write(text))
    return paths
