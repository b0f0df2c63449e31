"""Wearable IMU rep counter: the device and signal side (BLE, decoding, filtering, rep detection).

Importing the package keeps the BLAS libraries (numpy's and scipy's OpenBLAS) to one thread unless
the user chose a number (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``): every
matrix here is small (a swing's fit: ~100 unknowns; a live chunk: tens of samples), where the threads
only spin. On this project's 2-core machine they made the live loop's counting cost 25 % more CPU per
sample and the swing fits 2.5 times more.
"""
import os
import sys

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _one_blas_thread() -> None:
    if any(os.environ.get(v) for v in _THREAD_VARS):
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read by the libraries loaded from now on ...
    if "numpy" in sys.modules or "scipy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")  # ... and set in those loaded already


_one_blas_thread()
