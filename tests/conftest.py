import pytest

from bench.real_data import real_recordings


@pytest.fixture(scope="session")
def real():
    """The pt_exercises_s1 recordings (from ../shared or the compressed copies in tests/data)."""
    return {r.exercise: r for r in real_recordings()}
