"""The fast fault check's options: a profile it does not know is refused before anything runs."""
import pytest

from bench.fault_check import main


def test_an_unknown_profile_is_refused_with_the_known_ones(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--profile", "fitbit", "--cache", str(tmp_path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "fitbit" in err and "witmotion" in err and "polar" in err
    assert not any(tmp_path.iterdir())  # nothing was run or cached


def test_the_truth_line_tells_the_link_from_the_engine(capsys):
    # per set (truth, clean, faulty): the faulty recording lost a rep in one set, the engine miscounts another on
    # both recordings
    from bench.fault_check import report_truth
    from imu.sim import benchmark_suite

    suite = benchmark_suite(seed=0)
    report_truth([0, 1], suite, [[(10, 10, 10), (12, 12, 11)], [(8, 9, 9)]])
    out = capsys.readouterr().out
    assert "clean 2/3 = 66.7%, faulty 1/3 = 33.3% (1 sets wrong on both)" in out
    assert "set 2: truth  12, clean  12, faulty  11" in out and "set 1: truth   8, clean   9, faulty   9" in out
