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
