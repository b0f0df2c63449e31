"""imu.lean_numpy gives exactly what numpy gives (its 3 x 3 solve, the same solution to rounding)."""
import numpy as np
import pytest

from imu import lean_numpy


@pytest.mark.parametrize("seed", range(5))
def test_same_bits_as_numpy(seed):
    rng = np.random.default_rng(seed)
    for n in [1, 2, 3, 4, 5, 8, 15, 16, 60, 301]:
        for x in (rng.normal(size=n) * 40, np.round(rng.normal(size=n), 1), np.abs(rng.normal(size=n)),
                  rng.choice([-0.0, 0.0, 1.5], size=n)):
            assert repr(lean_numpy.median(x)) == repr(float(np.median(x)))
            if not (x == 0).any():  # (-0.0 and 0.0 sort as equals: either may come out)
                assert repr(lean_numpy.percentile(x, 90)) == repr(float(np.percentile(x, 90)))


@pytest.mark.parametrize("seed", range(3))
def test_window_medians_same_bits(seed):
    rng = np.random.default_rng(seed)
    for m in [1, 2, 15, 40, 151]:
        for x in (rng.normal(size=m) * 40, np.round(rng.normal(size=m), 1), rng.choice([-0.0, 0.0, 1.5], size=m)):
            if rng.random() < 0.3:
                x[rng.integers(m)] = np.nan
            for n in [k for k in sorted({1, 2, 3, 14, 15, m}) if k <= m]:
                expected = np.median(np.lib.stride_tricks.sliding_window_view(x, n), axis=1)
                assert lean_numpy.window_medians(x, n).tobytes() == expected.tobytes()


def test_nan_and_empty():
    assert np.isnan(lean_numpy.median(np.array([1.0, np.nan, 2.0])))
    assert np.isnan(lean_numpy.percentile(np.array([1.0, np.nan]), 90))
    assert np.isnan(lean_numpy.median(np.empty(0)))


@pytest.mark.parametrize("seed", range(3))
def test_gradient_same_bits(seed):
    rng = np.random.default_rng(seed)
    for n in [2, 3, 5, 40, 200]:
        f = rng.normal(size=n) * 30
        even = 1000.0 + np.arange(n) / 50.0  # a grid's times: steps equal or a bit off
        for x in (even, np.cumsum(rng.uniform(0.01, 0.03, n)), np.arange(n) * 0.02):
            assert lean_numpy.gradient(f, x).tobytes() == np.gradient(f, x).tobytes()


@pytest.mark.parametrize("seed", range(3))
def test_solve3_as_numpy(seed):
    # the lever fits' normal equations: symmetric, from well to badly conditioned, and general matrices needing pivots
    rng = np.random.default_rng(seed)
    for _ in range(300):
        a = rng.normal(size=(3, 3))
        zero_pivot = a.copy()
        zero_pivot[0, 0] = 0.0
        for m in (a @ a.T + 1e-3 * np.eye(3), a @ a.T * np.array([1.0, 1e-4, 1e4]), a, zero_pivot):
            v = rng.normal(size=3)
            x, expected = lean_numpy.solve3(m, v), np.linalg.solve(m, v)
            np.testing.assert_allclose(x, expected, rtol=1e-8, atol=1e-12 * np.abs(expected).max())
            np.testing.assert_allclose(m @ np.array(x), v, atol=1e-9 * (np.abs(m) @ np.abs(np.array(x))).max())


def test_solve3_singular_is_none():
    assert lean_numpy.solve3(np.zeros((3, 3)), np.ones(3)) is None
    assert lean_numpy.solve3(np.array([[1.0, 2, 3], [2, 4, 6], [0, 0, 1]]), np.ones(3)) is None
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.solve(np.array([[1.0, 2, 3], [2, 4, 6], [0, 0, 1]]), np.ones(3))
