"""The raw recording is written as it arrives and reads back exactly as the engine saw it."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.live.writer import RecordingWriter, quantize
from imu.recording import read_recording

ROOT = Path(__file__).resolve().parents[1]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0, 5000), st.booleans())
def test_rows_read_back_bit_for_bit(tmp_path_factory, seed, t0, gyro):
    rng = np.random.default_rng(seed)
    n = 500
    t = t0 + np.cumsum(rng.uniform(0.009, 0.011, n))
    acc = rng.normal(0, 0.3, (n, 3)) + [0, 0, 1]
    acc[::5] *= 1e-7                                   # tiny values, signed zeros
    cols = [t[:, None], acc] + ([rng.normal(0, 200, (n, 3))] if gyro else [])
    rows = quantize(np.hstack(cols))
    path = tmp_path_factory.mktemp("w") / "recording.csv"
    w = RecordingWriter(path, gyro)
    for a in range(0, n, 37):
        w.append(rows[a:a + 37])
    w.close()
    rec = read_recording(path)
    assert np.array_equal(rec.t_s, rows[:, 0]) and np.array_equal(rec.acc_g, rows[:, 1:4])
    assert np.array_equal(np.signbit(rec.acc_g), np.signbit(rows[:, 1:4]))
    if gyro:
        assert np.array_equal(rec.gyro_dps, rows[:, 4:7])


def test_never_overwrites_and_syncs_at_least_every_sync_s(tmp_path):
    path = tmp_path / "recording.csv"
    w = RecordingWriter(path, False, sync_s=0.05)
    with pytest.raises(FileExistsError):
        RecordingWriter(path, False)
    w.append(quantize(np.array([[0.0, 0, 0, 1]])))
    time.sleep(0.06)
    w.maybe_sync()
    assert path.read_text().splitlines()[-1] == "0.000000,0.000000,0.000000,1.000000"
    w.close()


def _start(out: Path, *extra) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "imu.live_commands", "live", "--sim", "--speed", "1",
                             "--no-view", "--out", str(out), *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_streaming(p: subprocess.Popen) -> float:
    deadline = time.monotonic() + 60
    for line in p.stdout:
        if "connected, streaming" in line:
            return time.monotonic()
        assert time.monotonic() < deadline, "no stream"
    raise AssertionError("process ended before streaming")


def test_a_killed_session_leaves_a_readable_recording_complete_to_the_last_second(tmp_path):
    out = tmp_path / "killed"
    p = _start(out)
    t_stream = _wait_streaming(p)
    time.sleep(5.0)
    os.kill(p.pid, signal.SIGKILL)
    t_kill = time.monotonic()
    p.wait(10)
    rec = read_recording(out / "recording.csv")
    streamed = t_kill - t_stream                      # sensor seconds streamed at speed 1
    assert rec.t_s[-1] >= streamed - 1.0 - 0.3        # lost at most the last second (+ set-up slack)
    assert rec.n > 300 and not (out / "session.json").exists()


def test_ctrl_c_ends_the_session_cleanly_with_every_output(tmp_path):
    out = tmp_path / "stopped"
    p = _start(out)
    _wait_streaming(p)
    time.sleep(3.0)
    p.send_signal(signal.SIGINT)
    text = p.communicate(timeout=60)[0]
    assert p.returncode == 0, text
    assert "session finished (Ctrl-C)" in text
    for name in ("recording.csv", "reps.csv", "sets.csv", "session.json", "session.png", "link.json"):
        assert (out / name).exists(), name
    assert read_recording(out / "recording.csv").duration_s > 2.0
