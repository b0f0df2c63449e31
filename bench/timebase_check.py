"""How closely the arrival-based time base (:class:`imu.live.timebase.ArrivalTimebase`) follows the
simulated sensor's true clock, for the profiles without sensor timestamps.

    python -m bench.timebase_check [--sessions 124 8 ...] [--drift PPM] [--capture DIR] [--replay]

Each session (default: the suite's first WitMotion and MetaWear sessions and #124) streams through the
simulated BLE backend into a full live session over :mod:`bench.live_bench`'s faulty link (5 % loss,
1 % duplicates, one 3 s disconnect per set). Every batch the time base stamps is traced back to the
simulator's sample time (stream time, on the host's clock: the drift taken out); the recording time minus
that true time, less its median, is the timing error. Printed per session: the error's median absolute
value, 95th percentile and maximum, the rate the recording reads (samples over the recording's span of
the samples received), the lost packets the arrivals counted against those really lost between received
samples, and whether counting was still on at the end.

``--capture DIR`` keeps each session's (arrival, samples, true time, connection) trace as ``DIR/<i>.npz``;
``--replay`` then re-times those traces with the current :class:`ArrivalTimebase` without streaming again
(seconds instead of minutes; the arrivals do not depend on the time base).
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

DEFAULT_SESSIONS = (4, 8, 24, 118, 124)


def capture(i: int, drift_ppm: float = 0.0) -> dict:
    """Streams suite session ``i`` over the faulty link; the trace of every stamped batch."""
    from bench.live_bench import _profile_for, fault_plan, rate_request, run_live
    from imu.ble import faults as faults_mod
    from imu.live import stream as stream_mod
    from imu.live import timebase as tb_mod
    from imu.profiles import base as base_mod
    from imu.sim import benchmark_suite

    spec = benchmark_suite(seed=0)[i]
    profile = _profile_for(i, spec)
    rate_req = rate_request(profile, spec, "live")
    delivered: list[tuple[bytes, float]] = []     # (bytes, stream time of the packet's last sample) per copy
    cur = [np.nan]
    trace: list[tuple[float, int, float, int, float]] = []   # arrival, n, true time, connection, stamp
    orig_deliver, orig_decode, orig_stamp = (faults_mod.FaultInjector.deliver, base_mod.Decoder.decode,
                                             tb_mod.ArrivalTimebase.stamp)
    orig_new_conn = stream_mod.SideStream._new_connection
    conn = [0]

    def deliver(self, t, data):
        copies = orig_deliver(self, t, data)
        delivered.extend((bytes(c), float(t)) for c in copies)
        return copies

    def decode(self, uuid, data):
        data = bytes(data)
        cur[0] = np.nan
        while delivered:                           # responses and dropped repeats are not decoded
            d, t = delivered.pop(0)
            if d == data:
                cur[0] = t
                break
        return orig_decode(self, uuid, data)

    def stamp(self, t_s, n, arrival):
        out = orig_stamp(self, t_s, n, arrival)
        trace.append((arrival, n, cur[0], conn[0], out))
        return out

    def new_conn(self, c):
        conn[0] = c
        return orig_new_conn(self, c)

    from imu.ble.faults import Faults
    with tempfile.TemporaryDirectory() as tmp:
        faults_mod.FaultInjector.deliver = deliver
        try:
            *_, sim = run_live(i, spec, profile, rate_req, Path(tmp) / "clean")
            plan = fault_plan(i, sim, {"drift_ppm": drift_ppm} if drift_ppm else {})
            delivered.clear()
            base_mod.Decoder.decode, tb_mod.ArrivalTimebase.stamp = decode, stamp
            stream_mod.SideStream._new_connection = new_conn
            session, *_ = run_live(i, spec, profile, rate_req, Path(tmp) / "faults", faults=plan, resume=True)
        finally:
            faults_mod.FaultInjector.deliver, base_mod.Decoder.decode = orig_deliver, orig_decode
            tb_mod.ArrivalTimebase.stamp = orig_stamp
            stream_mod.SideStream._new_connection = orig_new_conn
    assert isinstance(plan, Faults)
    a = np.array(trace, dtype=np.float64).reshape(-1, 5)
    rate = session.sides[0].stream.rate_hz
    return {"i": i, "profile": profile, "rate": rate, "drift_ppm": drift_ppm, "arrival": a[:, 0],
            "n": a[:, 1].astype(int), "true": a[:, 2] / (1.0 + drift_ppm * 1e-6), "conn": a[:, 3].astype(int),
            "stamp": a[:, 4]}


def replay(tr: dict, timebase_cls=None) -> tuple[np.ndarray, object]:
    """The stamps a fresh time base gives the trace's batches (and the time base)."""
    from imu.live.timebase import ArrivalTimebase

    tb = (timebase_cls or ArrivalTimebase)(tr["rate"])
    out = np.empty(len(tr["n"]))
    last_conn = None
    for k, (a, n, c) in enumerate(zip(tr["arrival"], tr["n"], tr["conn"])):
        if c != last_conn:
            tb.new_connection()
            last_conn = c
        out[k] = tb.stamp(None, int(n), float(a))
    return out, tb


def figures(tr: dict, stamps: np.ndarray, tb=None) -> dict:
    """Timing error (ms) of the newest sample of each batch, the rate read, lost packets counted/true."""
    ok = np.isfinite(tr["true"])
    # the simulator sends each packet at its newest sample's *reported* time (jittered with the session's
    # timestamp jitter); the sample was taken on the sensor's uniform grid, the truth here
    k = 1.0 + tr["drift_ppm"] * 1e-6
    true = np.round(tr["true"][ok] * k * tr["rate"]) / tr["rate"] / k
    st = stamps[ok]
    keep = np.r_[True, np.diff(st) > 0]            # what the stream keeps: times after the previous one
    true, st = true[keep], st[keep]
    err = (st - true) - np.median(st - true)
    p = 1.0 / tr["rate"]
    steps = np.diff(true)
    same_conn = np.diff(tr["conn"][ok][keep]) == 0
    really_lost = int(np.round(steps[same_conn] / p).sum() - same_conn.sum())
    span = st[-1] - st[0]
    return {"i": tr["i"], "profile": tr["profile"], "rate": tr["rate"], "samples": len(st),
            "err_med_ms": 1e3 * float(np.median(np.abs(err))), "err_p95_ms": 1e3 * float(np.percentile(np.abs(err), 95)),
            "err_max_ms": 1e3 * float(np.abs(err).max()),
            "rate_read": float(round(float(true[-1] - true[0]) / p) / span),
            "step_rate": float(1.0 / np.median(np.diff(st))),
            "lost_true": really_lost,
            "lost_counted": None if tb is None else int(getattr(tb, "counted_lost", -1)),
            "counting": None if tb is None else getattr(tb, "counting", None)}


def show(f: dict) -> None:
    print(f"#{f['i']:<4d} {f['profile']:9s} {f['rate']:5.0f} Hz  {f['samples']:6d} samples  error |med| "
          f"{f['err_med_ms']:6.1f} ms  p95 {f['err_p95_ms']:6.1f} ms  max {f['err_max_ms']:7.1f} ms  "
          f"span reads {f['rate_read']:6.2f} Hz, median step {f['step_rate']:6.2f} Hz  lost counted {f['lost_counted']} of {f['lost_true']}"
          f"  counting at end: {f['counting']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, nargs="*", default=list(DEFAULT_SESSIONS))
    ap.add_argument("--drift", type=float, default=0.0, help="sensor clock drift, ppm")
    ap.add_argument("--capture", type=Path, help="keep (or, with --replay, read) the traces here")
    ap.add_argument("--replay", action="store_true", help="re-time the captured traces (no streaming)")
    args = ap.parse_args(argv)
    for i in args.sessions:
        path = args.capture / f"{i}_{args.drift:g}.npz" if args.capture else None
        if args.replay and path is not None and path.exists():
            tr = dict(np.load(path, allow_pickle=True))
            tr = {k: (v.item() if v.ndim == 0 else v) for k, v in tr.items()}
        else:
            tr = capture(i, args.drift)
            if not len(tr["n"]):
                print(f"#{i:<4d} {tr['profile']}: sensor timestamps, no arrival time base")
                continue
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(path, **tr)
        stamps, tb = replay(tr)
        show(figures(tr, stamps, tb))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
