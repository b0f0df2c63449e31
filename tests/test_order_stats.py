"""imu.order_stats gives exactly what numpy's median and percentile give."""
import numpy as np
import pytest

from imu import order_stats


@pytest.mark.parametrize("seed", range(5))
def test_same_bits_as_numpy(seed):
    rng = np.random.default_rng(seed)
    for n in [1, 2, 3, 4, 5, 8, 15, 16, 60, 301]:
        for x in (rng.normal(size=n) * 40, np.round(rng.normal(size=n), 1), np.abs(rng.normal(size=n)),
                  rng.choice([-0.0, 0.0, 1.5], size=n)):
            assert repr(order_stats.median(x)) == repr(float(np.median(x)))
            if not (x == 0).any():  # (-0.0 and 0.0 sort as equals: either may come out)
                assert repr(order_stats.percentile(x, 90)) == repr(float(np.percentile(x, 90)))


def test_nan_and_empty():
    assert np.isnan(order_stats.median(np.array([1.0, np.nan, 2.0])))
    assert np.isnan(order_stats.percentile(np.array([1.0, np.nan]), 90))
    assert np.isnan(order_stats.median(np.empty(0)))
