"""Writing a simulated recording: ``<name>.csv`` (t, ax, ay, az[, gx, gy, gz]) + ``<name>.truth.json``."""
from __future__ import annotations

import json
from pathlib import Path

from .session import SimSession, simulate_session
from .spec import SessionSpec


def truth_path(path) -> Path:
    """``x/name.csv`` -> ``x/name.truth.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".truth.json") if p.suffix else p.with_name(p.name + ".truth.json")


def write_sim_recording(path, spec: SessionSpec) -> SimSession:
    """Simulate ``spec`` and write the CSV recording at ``path`` plus the truth JSON beside it."""
    sim = simulate_session(spec)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sim.data.to_csv(path, index=False, float_format="%.6f")
    truth_path(path).write_text(json.dumps(sim.truth_dict(), indent=1))
    return sim
