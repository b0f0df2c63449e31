"""Scoring the engine on the simulated benchmark suite (:func:`imu.sim.benchmark_suite`)."""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from imu.engine import RepEngine
from imu.flags import full_rom_deg, lever_m, range_trusted
from imu.presets import get_preset
from imu.rep import Rep

PHASES = ("up_s", "top_hold_s", "down_s", "bottom_hold_s")


@dataclass
class SuiteScore:
    sets: int = 0
    exact: int = 0
    within_one: int = 0
    false_reps: int = 0
    rest_s: float = 0.0
    errors: dict = field(default_factory=lambda: defaultdict(list))
    flags: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))  # tp, fp, fn
    misses: list = field(default_factory=list)
    truth_reps: int = 0
    matched: int = 0  #: truth reps with a found rep peaking within 1.5 s (the phase and ROM errors are over these)

    def add_flag(self, name: str, truth: bool, found: bool) -> None:
        c = self.flags[name]
        c[0] += truth and found
        c[1] += found and not truth
        c[2] += truth and not found


def match_reps(truth: list, found: list[Rep], tol_s: float = 1.5) -> list[tuple]:
    """Pairs each truth rep with the found rep whose peak is nearest (each used once)."""
    pairs, used = [], set()
    for tr in truth:
        best, best_d = None, tol_s
        for i, r in enumerate(found):
            d = abs(r.peak_s - tr.peak_s)
            if i not in used and d <= best_d:
                best, best_d = i, d
        if best is not None:
            used.add(best)
            pairs.append((tr, found[best]))
        else:
            pairs.append((tr, None))
    return pairs


def in_set(rep: Rep, st) -> bool:
    """Whether ``rep`` peaks within the simulated set ``st`` (give or take a second)."""
    return st.start_s - 1.0 <= rep.peak_s <= st.end_s + 1.0


def set_counts(sim, reps: list[Rep]) -> list[int]:
    """Reps found in each of ``sim``'s sets."""
    return [sum(in_set(r, st) for r in reps) for st in sim.sets]


def score_session(sim, reps: list[Rep], score: SuiteScore, label: str) -> None:
    inside = np.zeros(len(reps), bool)
    for st in sim.sets:
        found = [i for i, r in enumerate(reps) if in_set(r, st)]
        inside[found] = True
        n = len(found)
        score.sets += 1
        score.exact += n == st.reps
        score.within_one += abs(n - st.reps) <= 1
        if n != st.reps:
            score.misses.append(f"{label} set {st.set} ({st.style}): {n} of {st.reps}")
    score.false_reps += int((~inside).sum())
    score.rest_s += sim.rest_seconds
    for tr, r in match_reps(sim.reps, reps):
        for name in ("momentum", "partial", "rushed", "feet_rested"):
            score.add_flag(name, bool(getattr(tr, name)), r is not None and name in r.flags)
        score.truth_reps += 1
        if r is None:
            continue
        score.matched += 1
        for ph in PHASES:
            a, b = getattr(tr, ph), getattr(r, ph)
            if a is not None and b is not None:
                score.errors[ph].append(abs(a - b))
        score.errors["rom_deg"].append(abs(tr.rom_deg - r.rom_deg))


def run_engine(sim, usual_full_deg: float | None = None) -> list[Rep]:
    """The engine's reps of ``sim`` (``usual_full_deg``: the person's usual full range, as from a history)."""
    return engine_run(sim, usual_full_deg).reps


def engine_run(sim, usual_full_deg: float | None = None, auto: bool = False) -> RepEngine:
    """The engine after the whole of ``sim`` (``usual_full_deg`` as for :func:`run_engine`; ``auto``: with the
    preset ``auto``, as when the user names no exercise, instead of the session's)."""
    has_gyro = "gx" in sim.data
    usual = {sim.spec.exercise: usual_full_deg} if usual_full_deg else None
    eng = RepEngine("auto" if auto else sim.spec.exercise, has_gyro=has_gyro, usual_full_rom_deg=usual)
    d = sim.data
    eng.feed(d.t.values, d[["ax", "ay", "az"]].values, d[["gx", "gy", "gz"]].values if has_gyro else None)
    eng.finish()
    return eng


def usual_full_deg(sim) -> float | None:
    """The person's usual full range (deg) as a training history of one earlier session would give it
    (:func:`analysis.usual_range.session_full_rom`'s rule): the full range the engine measures in a
    session of textbook sets by the same simulated person (the spec's seed draws the person first);
    None when no rep of it may set the full range."""
    from imu.sim import SetSpec, simulate_session

    earlier = simulate_session(replace(sim.spec, sets=[SetSpec("textbook", st.reps) for st in sim.spec.sets]))
    assert earlier.body == sim.body, "the earlier session must be the same person's"
    reps = [r for r in run_engine(earlier) if r.measured]
    untrusted = ~range_trusted([r.momentum for r in reps], [r.peak_accel_g for r in reps], earlier.spec.gyro)
    levers = [lever_m(r.up_s, r.peak_up_dps, r.peak_accel_g) for r in reps] if earlier.spec.gyro else None
    full = full_rom_deg([r.set for r in reps], [r.rom_deg for r in reps], untrusted, levers,
                        get_preset(sim.spec.exercise).pivot_lever_m)
    return full if np.isfinite(full) else None


def score_suite(limit: int | None = None, seed: int = 0, history: bool = False, auto: bool = False) -> SuiteScore:
    """Scores the suite; ``history``: the engine knows each person's usual full range from an earlier
    session of textbook sets (:func:`usual_full_deg`), as ``imu analyze`` knows it from the history;
    ``auto``: the engine is told no exercise (the preset ``auto``) and the presets it picks are tallied."""
    from imu.sim import benchmark_suite, simulate_session

    specs = benchmark_suite(seed=seed)[:limit]
    scores = {"all": SuiteScore(), "with gyro": SuiteScore(), "accelerometer only": SuiteScore()}
    picked = defaultdict(lambda: defaultdict(int))  # (auto) exercise -> preset picked -> sessions
    t0 = time.perf_counter()
    for k, spec in enumerate(specs):
        sim = simulate_session(spec)
        eng = engine_run(sim, usual_full_deg(sim) if history else None, auto)
        reps = eng.reps
        label = f"#{k} {spec.exercise} {spec.rate_hz:g}Hz gyro={spec.gyro}"
        for key in ("all", "with gyro" if spec.gyro else "accelerometer only"):
            score_session(sim, reps, scores[key], label)
        if auto:
            picked[spec.exercise][eng.preset.slug] += 1
    title = ", each person with a history" if history else ", no exercise named (auto)" if auto else ""
    title += f", seed {seed} (held out from the tuning)" if seed else ""
    print(f"== Simulated suite{title}: {len(specs)} sessions ({time.perf_counter() - t0:.0f} s) ==")
    for key, score in scores.items():
        print_score(key, score)
    for m in scores["all"].misses[:15]:
        print("   miss: " + m)
    if auto:
        right = sum(picked[ex][ex] for ex in picked)
        print(f"  preset picked: the session's exercise in {right}/{len(specs)} sessions")
        for ex, counts in sorted(picked.items()):
            print(f"    {ex:20s} " + ", ".join(f"{p} {n}" for p, n in sorted(counts.items(), key=lambda x: -x[1])))
    return scores["all"]


def print_score(title: str, score: SuiteScore) -> None:
    print(f"-- {title}: {score.sets} sets, {score.rest_s / 3600:.1f} h of rest")
    print(f"  sets counted exactly: {score.exact / score.sets:.1%}; within one rep: {score.within_one / score.sets:.1%}")
    print(f"  false reps per hour of rest: {score.false_reps / max(score.rest_s / 3600, 1e-9):.2f} "
          f"({score.false_reps} reps)")
    print(f"  truth reps matched by a found rep (peak within 1.5 s): {score.matched}/{score.truth_reps}; "
          f"the errors below are theirs (a set counted inside out, top to top, matches none of its reps)")
    for name, errs in score.errors.items():
        unit = "deg" if name.endswith("deg") else "s"
        print(f"  MAE {name}: {np.mean(errs):.3f} {unit} (90th percentile {np.percentile(errs, 90):.3f})")
    for name, (tp, fp, fn) in score.flags.items():
        print(f"  {name}: precision {tp / max(tp + fp, 1):.3f}, recall {tp / max(tp + fn, 1):.3f} "
              f"(tp {tp}, fp {fp}, fn {fn})")
