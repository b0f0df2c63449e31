"""What a finished live session leaves on disk, next to its recordings: the ``imu analyze``
files (``reps.csv``, ``sets.csv``, ``session.json``, ``session.png``, via
:func:`analysis.export.write_session`) from the live engines' reps, and ``link.json``.

``session.json`` carries the usual facts (:func:`imu.process.session_info`, from reading the
recording back exactly as ``imu analyze`` would) plus, under ``data_quality.link``, the link
report of each sensor: notifications received, duplicated, malformed, samples lost (from sequence
numbers or sensor timestamps, or arrival times for sensors without either), gaps, disconnects and
reconnects. With two sensors ``data_quality`` holds one entry per side, reps carry their side and
sets are numbered across both sides in time order (sets of the two legs that overlap in time are
one set).
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path


from analysis.export import atomic_write, write_session
from imu.process import session_info
from imu.recording import RecordingError, read_recording
from imu.rep import Rep

from .session import LiveSession, Side


def side_report(side: Side) -> dict:
    """Link and stream facts of one sensor (JSON-safe)."""
    f = side.spec.found
    out = {"device": f.name, "address": f.address, "profile": side.spec.profile.name,
           "rate_hz": side.rate_hz, "recording": side.path.name,
           **side.link.stats.as_dict(), **side.stream.link_report()}
    out["processing_errors"] = side.errors
    if side.feeder is not None:
        out["engine_calls"] = side.feeder.calls
    return out


def merge_sets(reps_by_side: dict[str, list[Rep]]) -> tuple[list[Rep], list[str]]:
    """Reps of both sides with session-wide set numbers (time order; overlapping sets of the two
    sides share a number) and the side of each rep."""
    spans = []
    for side, reps in reps_by_side.items():
        for s in sorted({r.set for r in reps}):
            rs = [r for r in reps if r.set == s]
            spans.append((min(r.start_s for r in rs), max(r.end_s for r in rs), side, s))
    spans.sort()
    number: dict[tuple[str, int], int] = {}
    groups: list[tuple[float, set]] = []          # (end, sides) of the current session sets
    for start, end, side, s in spans:
        if groups and start <= groups[-1][0] and side not in groups[-1][1]:
            groups[-1] = (max(groups[-1][0], end), groups[-1][1] | {side})
        else:
            groups.append((end, {side}))
        number[(side, s)] = len(groups)
    out, sides = [], []
    for side, reps in reps_by_side.items():
        for r in reps:
            out.append(replace(r, set=number[(side, r.set)]))
            sides.append(side)
    return out, sides


def _info(side: Side) -> dict:
    try:
        rec = read_recording(side.path)
    except RecordingError as e:
        info = {"exercise": side.engine.preset.slug if side.engine else None,
                "auto_detected": bool(side.engine.auto_detected) if side.engine else False,
                "source": str(side.path), "quality": {"recording_error": str(e)}}
        if side.engine is not None:
            info["preset"] = side.engine.preset.as_dict()
        return info
    if side.engine is None:
        return {"source": str(side.path), "duration_s": rec.duration_s, "sample_rate_hz": rec.rate_hz,
                "has_gyro": rec.gyro_dps is not None, "quality": dict(rec.quality)}
    return session_info(rec, side.engine)


def write_outputs(session: LiveSession) -> dict:
    """Writes the outputs of a finished session; returns {"paths", "reps", "sides", "info"}."""
    out = Path(session.cfg.out_dir)
    sides = session.sides
    reports = {s.label: side_report(s) for s in sides}
    paths = {"recording" if len(sides) == 1 else f"recording_{s.label}": s.path for s in sides}
    link_json = out / "link.json"
    text = json.dumps(_jsonable(reports), indent=2) + "\n"
    atomic_write(link_json, lambda f: f.write(text))
    paths["link_json"] = link_json
    if not session.cfg.count:
        return {"paths": paths, "reps": [], "sides": [], "info": {}, "reports": reports}

    infos = {s.label: _info(s) for s in sides}
    if len(sides) == 1:
        side = sides[0]
        info = infos[side.label]
        info.setdefault("quality", {})["link"] = reports[side.label]
        reps = list(side.engine.reps)
        labels = [side.spec.side] * len(reps) if side.spec.side else None
        trace_t, trace_deg = side.engine.trace()
    else:
        reps, labels = merge_sets({s.label: list(s.engine.reps) for s in sides})
        first = infos[sides[0].label]
        info = {k: first.get(k) for k in (
            "exercise", "auto_detected", "auto_evidence", "sample_rate_hz", "has_gyro", "preset")}
        info["source"] = " + ".join(s.path.name for s in sides)
        info["duration_s"] = max((i.get("duration_s") or 0.0) for i in infos.values())
        info["quality"] = {s.label: {**(infos[s.label].get("quality") or {}), "link": reports[s.label]}
                           for s in sides}
        # the plot shows one angle trace: the side with more reps
        main = max(sides, key=lambda s: len(s.engine.reps))
        trace_t, trace_deg = main.engine.trace()
    title = None
    if len(sides) == 2:
        title = f"Leg lifts: {info.get('exercise')} - two ankles (angle shown: {main.label})"
    paths.update(write_session(out, reps, trace_t, trace_deg, _jsonable(info), side=labels, title=title))
    return {"paths": paths, "reps": reps, "sides": labels or [], "info": info, "reports": reports}


def _jsonable(obj):
    from analysis.summary import json_safe
    return json_safe(obj)
