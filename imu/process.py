"""Running the engine over a whole recording (NeuroKit-style ``*_process``: reps out, plus an info dict)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu.engine import RepEngine
from imu.recording import Recording
from imu.rep import Rep


@dataclass
class SessionResult:
    """What one run of the engine over a recording produced."""

    reps: list[Rep]
    trace_t_s: np.ndarray
    trace_deg: np.ndarray
    info: dict


def reps_process(rec: Recording, exercise: str = "auto", chunk_samples: int | None = None,
                 usual_full_rom_deg: dict[str, float] | None = None) -> SessionResult:
    """Counts and times the reps of ``rec`` with exercise preset ``exercise`` (a slug or ``auto``).

    ``chunk_samples`` feeds the samples in chunks of that size (None: all at once); the result does not
    depend on it. ``usual_full_rom_deg``: the person's usual full range per exercise (deg), from the
    history (:func:`analysis.usual_range.usual_full_rom`), for the ``partial`` flag.
    """
    engine = RepEngine(exercise, has_gyro=rec.gyro_dps is not None, usual_full_rom_deg=usual_full_rom_deg)
    n = len(rec.t_s)
    step = n if not chunk_samples else int(chunk_samples)
    for a in range(0, n, max(step, 1)):
        b = a + step
        engine.feed(rec.t_s[a:b], rec.acc_g[a:b], None if rec.gyro_dps is None else rec.gyro_dps[a:b])
    engine.finish()
    t, deg = engine.trace()
    info = session_info(rec, engine)
    return SessionResult(engine.reps, t, deg, info)


def session_info(rec: Recording, engine: RepEngine) -> dict:
    """Facts about the recording and the engine for ``session.json``."""
    gaps = [{"start_s": g.start_s, "end_s": g.end_s, "duration_s": g.duration_s} for g in engine.stream_gaps]
    quality = dict(rec.quality)
    quality["engine_gaps"] = gaps
    quality["rejected_excursions"] = engine.rejected
    quality["inferred_reps"] = sum(r.inferred for r in engine.reps)  # counted across gaps, not measured
    return {
        "exercise": engine.preset.slug,
        "auto_detected": engine.auto_detected,
        "auto_evidence": engine.auto_evidence,
        "source": rec.source,
        "duration_s": rec.duration_s,
        "sample_rate_hz": rec.rate_hz,
        "has_gyro": rec.gyro_dps is not None,
        "usual_full_rom_deg": engine.usual_full_rom_deg,
        "quality": quality,
        "preset": engine.preset.as_dict(),
    }


__all__ = ["SessionResult", "reps_process", "session_info"]
