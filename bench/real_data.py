"""The real recordings of ``pt_exercises_s1`` (Yurtman & Barshan, UCI doi 10.24432/C5JK60): loading.

Looks in ``../shared/data/pt_exercises_s1`` beside the project first, then in the compressed copies in
``tests/data/pt_exercises_s1``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = [ROOT.parent / "shared" / "data" / "pt_exercises_s1", ROOT / "tests" / "data" / "pt_exercises_s1"]


@dataclass
class RealRecording:
    exercise: str
    moving: pd.DataFrame
    still: pd.DataFrame
    blocks: dict[str, tuple[float, float]]  #: kind -> (start_s, end_s) spanning its hand-labelled reps
    hand_reps: list[dict]


def real_data_dir() -> Path:
    for d in CANDIDATES:
        if any(d.glob("*.truth.json")):
            return d
    raise FileNotFoundError("no pt_exercises_s1 recordings found in " + ", ".join(map(str, CANDIDATES)))


def _csv(d: Path, stem: str) -> pd.DataFrame:
    plain = d / f"{stem}.csv"
    return pd.read_csv(plain if plain.exists() else d / f"{stem}.csv.gz")


def real_recordings(d: Path | None = None) -> list[RealRecording]:
    d = d or real_data_dir()
    out = []
    for truth_path in sorted(d.glob("*.truth.json")):
        truth = json.loads(truth_path.read_text())
        stem = truth_path.name.removesuffix(".truth.json")
        blocks = {}
        for kind in ("correct", "fast", "low_amplitude"):
            reps = [r for r in truth["hand_reps"] if r["kind"] == kind]
            blocks[kind] = (min(r["start_s"] for r in reps) - 1.5, max(r["end_s"] for r in reps) + 1.5)
        out.append(RealRecording(truth["exercise"], _csv(d, stem + "_moving"), _csv(d, stem + "_still"),
                                 blocks, truth["hand_reps"]))
    return out
