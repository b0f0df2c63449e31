"""Regression tests on real recordings (Yurtman & Barshan, UCI doi 10.24432/C5JK60)."""
import pytest

from imu.engine import RepEngine

EXERCISES = ["seated-leg-raise", "lying-leg-raise", "side-leg-lift", "reverse-leg-lift"]


def run(df, exercise):
    eng = RepEngine(exercise, has_gyro=True)
    eng.feed(df.t.values, df[["ax", "ay", "az"]].values, df[["gx", "gy", "gz"]].values)
    eng.finish()
    return eng.reps


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_block_of_ten_is_counted_exactly(real, exercise):
    rec = real[exercise]
    reps = run(rec.moving, exercise)
    for kind, (a, b) in rec.blocks.items():
        assert sum(a <= r.peak_s <= b for r in reps) == 10, kind
    assert len(reps) == 30
    assert sorted({r.set for r in reps}) == [1, 2, 3]  # the three blocks are three sets


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_still_leg_has_no_reps(real, exercise):
    assert run(real[exercise].still, exercise) == []


@pytest.mark.parametrize("exercise", EXERCISES)
def test_rep_times_agree_with_the_hand_labels(real, exercise):
    rec = real[exercise]
    reps = run(rec.moving, exercise)
    for hand in rec.hand_reps:
        mid = 0.5 * (hand["start_s"] + hand["end_s"])
        rep = min(reps, key=lambda r: abs(r.peak_s - mid))
        # hand labels are rounded to 0.2 s and approximate; the rep must overlap its labelled span
        assert rep.start_s < hand["end_s"] and rep.end_s > hand["start_s"]
        assert abs(rep.peak_s - mid) < 2.0


def test_fast_reps_are_flagged_and_correct_ones_mostly_not(real):
    fast = correct = flagged_fast = flagged_correct = 0
    for exercise in EXERCISES:
        rec = real[exercise]
        reps = run(rec.moving, exercise)
        for kind, counter in (("fast", "fast"), ("correct", "correct")):
            a, b = rec.blocks[kind]
            block = [r for r in reps if a <= r.peak_s <= b]
            hits = sum(bool({"momentum", "rushed"} & set(r.flags)) for r in block)
            if kind == "fast":
                fast, flagged_fast = fast + len(block), flagged_fast + hits
            else:
                correct, flagged_correct = correct + len(block), flagged_correct + hits
    assert flagged_fast / fast >= 0.9
    assert flagged_correct / correct <= 0.1


def test_low_amplitude_reps_are_partial(real):
    # In the reverse-leg-lift recording the "low-amplitude" reps tilt the ankle MORE than the correct ones
    # (see the next test): they are partial because the hip barely moved, the ankle turning about a nearer axis
    for exercise in EXERCISES:
        rec = real[exercise]
        reps = run(rec.moving, exercise)
        a, b = rec.blocks["low_amplitude"]
        low = [r for r in reps if a <= r.peak_s <= b]
        # the rule is "20 % short of the person's full range"; in the seated recording two of the ten
        # low-amplitude reps reach 81 % and 85 % of the full range, so at least 8 of 10 everywhere
        assert sum("partial" in r.flags for r in low) >= 8, exercise
        a, b = rec.blocks["correct"]
        assert sum("partial" in r.flags for r in reps if a <= r.peak_s <= b) <= 1, exercise


def test_correct_prone_lifts_are_not_partial_beside_a_block_turning_about_a_nearer_axis(real):
    # In the reverse-leg-lift recording the block labelled low-amplitude tilts the ankle twice as far as the
    # correct one (20.6 vs 11.2 deg) while the ankle hardly accelerates: it turned about an axis some 0.15 m
    # away, not the hip (imu.flags.lever_m 0.10-0.21 m; the other blocks 0.29-1.5). It set the person's full
    # range, and 7 of the 10 correct reps and 9 of the 10 fast ones were partial. A set that did not turn
    # about the exercise's pivot sets no full range, live or in the history; the fast block's one short rep
    # (7.4 deg, 63 % of the correct reps') stays partial. The odd block's own reps are all partial: the hip barely
    # moved (imu.flags.rom_flags, off_pivot)
    from analysis.tables import reps_table
    from analysis.usual_range import session_full_rom
    from imu.presets import get_preset

    rec = real["reverse-leg-lift"]
    reps = run(rec.moving, "reverse-leg-lift")
    for kind, most in (("correct", 0), ("fast", 1)):
        a, b = rec.blocks[kind]
        assert sum("partial" in r.flags for r in reps if a <= r.peak_s <= b) <= most, kind
    a, b = rec.blocks["low_amplitude"]
    assert sum("partial" in r.flags for r in reps if a <= r.peak_s <= b) == 10
    full_deg = session_full_rom(reps_table(reps), True, get_preset("reverse-leg-lift").pivot_lever_m)
    assert 11 < full_deg < 13  # the correct and fast blocks' (16.4 with the odd block)
