import pytest

from bench.real_data import real_recordings


@pytest.fixture(scope="session")
def real():
    """The pt_exercises_s1 recordings (from ../shared or the compressed copies in tests/data)."""
    return {r.exercise: r for r in real_recordings()}


@pytest.fixture(autouse=True)
def private_history(tmp_path_factory, monkeypatch):
    """Sessions analysed by tests go to a throw-away history, never the user's."""
    monkeypatch.setenv("IMU_HOME", str(tmp_path_factory.mktemp("imu_home")))
