"""The live stream never fails on bad notifications, drops repeats and keeps time strictly increasing."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.engine import RepEngine
from imu.live.feeder import EngineFeeder
from imu.live.stream import SideStream
from imu.profiles import PROFILES, Encoder
from imu.profiles.base import normalize_uuid


def _stream(name: str, rate: float = 100.0):
    p = PROFILES[name].for_device(None)
    p.start_commands(rate)
    eng = RepEngine("lying-leg-raise", has_gyro=p.has_gyro)
    return p, SideStream("", p, rate, None, EngineFeeder(eng, p.has_gyro), 0.0)


def _packets(p, rate, n=400):
    t = np.arange(n) / p.device_rate_hz(rate)
    acc = np.column_stack([np.sin(t), np.cos(t), 0.1 + 0 * t])
    gyro = np.column_stack([10 * np.cos(t), 0 * t, 0 * t])
    return Encoder(p, p.device_rate_hz(rate)).packets(t + 100.0, acc, gyro)


def _processed(s, items: list, groups: list[int], path) -> tuple:
    """Feeds ``items`` to the stream ``s`` in calls of ``groups`` items each and finishes it: what it wrote to
    ``path``, its stats (not their timings), loss counts, events and latencies, for a comparison."""
    events, a = [], 0
    for g in groups:
        events += s.process(items[a : a + g])
        a += g
    events += s.feeder.finish()
    s.writer.close()
    return (path.read_text(), {k: v for k, v in s.stats.as_dict().items() if not k.endswith("_s")},
            s.loss.as_dict(), [repr(e) for e in events], s.feeder.latencies)


@pytest.mark.parametrize("name", sorted(PROFILES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_and_corrupted_notifications_are_never_fatal(name, data):
    p, s = _stream(name)
    uuids = [normalize_uuid(u) for u in p.notify_uuids]
    good = _packets(p, 100.0)
    items, arrival = [], 0.0
    for uuid, payload in good:
        arrival += 0.01
        kind = data.draw(st.sampled_from(["ok", "ok", "ok", "junk", "cut", "dup"]))
        if kind == "junk":
            payload = data.draw(st.binary(max_size=64))
            uuid = data.draw(st.sampled_from(uuids))
        elif kind == "cut":
            payload = payload[: data.draw(st.integers(0, max(0, len(payload) - 1)))]
        items.append((arrival, 1, normalize_uuid(uuid), bytes(payload)))
        if kind == "dup":
            items.append((arrival, 1, normalize_uuid(uuid), bytes(payload)))
    s.process(items)                     # must not raise
    st_ = s.stats
    assert st_.notifications == len(items)
    assert st_.samples <= 400 + 40 * sum(1 for i in items if len(i[3]) > 0)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_clean_stream_keeps_every_sample_and_a_repeat_is_dropped(name):
    p, s = _stream(name)
    raw = _packets(p, 100.0)
    step = 4.0 / len(raw)                   # 400 samples at 100 Hz: arrivals spread over 4 s
    pk = [(step * (i + 1), 1, normalize_uuid(u), bytes(d)) for i, (u, d) in enumerate(raw)]
    s.process(pk[:10] + [pk[9]] + pk[10:])
    assert s.stats.duplicate_notifications == 1 and s.stats.malformed == 0
    assert s.stats.samples == 400
    assert s.loss.lost_samples == 0



class _OneByOne:
    """A decoder's :meth:`decode` only (no batched path): what the stream did before notifications were queued."""

    def __init__(self, dec):
        self._dec = dec

    def decode(self, uuid, data):
        return self._dec.decode(uuid, data)

    def queue(self, uuid, data):
        return 0


class _OneByOneStream(SideStream):
    def _new_connection(self, conn):
        super()._new_connection(conn)
        self.decoder = _OneByOne(self.decoder)


@pytest.mark.parametrize("name", sorted(PROFILES))
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_batched_decoding_gives_the_rows_of_one_notification_at_a_time(name, seed, tmp_path_factory):
    """WitMotion and Thingy:52 send a sample per notification, MetaWear an acc and a gyro notification per sample;
    the stream queues plain ones (MetaWear's pairs) in the decoder and
    decodes each group in one call: the same rows on disk, the same stats and engine events as decoding them
    one by one, with register replies, partial, junk, lost and repeated packets and reconnects among them."""
    from imu.live.writer import RecordingWriter

    rng = np.random.default_rng(seed)
    runs = []
    for cls in (SideStream, _OneByOneStream):
        p = PROFILES[name].for_device(None)
        p.start_commands(100.0)
        path = tmp_path_factory.mktemp("rec") / "r.csv"
        s = cls("", p, 100.0, RecordingWriter(path, bool(p.has_gyro)),
                EngineFeeder(RepEngine("lying-leg-raise", has_gyro=p.has_gyro), p.has_gyro), 0.0)
        raw = _packets(p, 100.0, n=600)
        if not runs:
            kinds = ["ok"] * 6 + ["junk", "cut", "dup", "reply", "conn", "lost"]
            plan = [kinds[k] for k in rng.integers(0, len(kinds), len(raw))]
            junk = [rng.bytes(int(k)) for k in rng.integers(0, 45, len(raw))]
            groups = rng.integers(1, 10, len(raw)).tolist()
        items, arrival, conn = [], 0.0, 1
        for (uuid, payload), kind, jk in zip(raw, plan, junk):
            arrival += 0.01
            uuid = normalize_uuid(uuid)
            if kind == "junk":
                payload, uuid = jk, normalize_uuid(p.notify_uuids[0])
            elif kind == "cut":
                payload = payload[: len(payload) // 2]
            elif kind == "reply" and name == "witmotion":
                payload = b"\x55\x71" + bytes(18) + payload
            elif kind == "conn":
                conn += 1
            elif kind == "lost":
                continue
            items.append((arrival, conn, uuid, bytes(payload)))
            if kind == "dup":
                items.append((arrival, conn, uuid, bytes(payload)))
        runs.append(_processed(s, items, groups, path))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name", sorted(PROFILES))
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_few_rows_are_cleaned_as_numpy_cleans_them(name, seed, tmp_path_factory):
    """A call with a few rows is checked in plain floats (stream.FEW_ROWS): the same rows kept, gaps found and
    stats as the numpy path, with lost, repeated, corrupted and out-of-range samples among them."""
    import imu.live.stream as stream_mod
    from imu.live.writer import RecordingWriter

    rng = np.random.default_rng(seed)
    runs = []
    assert stream_mod.FEW_ROWS >= 7
    for few in (True, False):
        p, s = _stream(name)
        if not few:  # this stream never takes the plain-float path
            s._all_new_and_sane = lambda flat: False
        path = tmp_path_factory.mktemp("rec") / "r.csv"
        s.writer = RecordingWriter(path, bool(p.has_gyro))
        raw = _packets(p, 100.0, n=600)
        if not runs:
            kinds = ["ok"] * 8 + ["lost", "dup", "junk", "big", "nan"]
            plan = [kinds[k] for k in rng.integers(0, len(kinds), len(raw))]
            junk = [rng.bytes(int(k)) for k in rng.integers(1, 45, len(raw))]
            groups = rng.integers(1, 8, len(raw)).tolist()
        items, arrival = [], 0.0
        for (uuid, payload), kind, jk in zip(raw, plan, junk):
            arrival += 0.01
            if kind == "lost":
                continue
            if kind in ("big", "nan") and len(payload) >= 8:  # values far off (big) or anything at all
                payload = payload[:-4] + (b"\xff\x7f\xff\x7f" if kind == "big" else jk[:4].ljust(4, b"\0"))
            elif kind == "junk":
                payload = jk
            items.append((arrival, 1, normalize_uuid(uuid), bytes(payload)))
            if kind == "dup":
                items.append((arrival + 0.005, 1, normalize_uuid(uuid), bytes(payload)))
        runs.append(_processed(s, items, groups, path))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("gyro", [True, False])
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_few_rows_checks_match_numpy_on_odd_values(gyro, seed, tmp_path_factory):
    """The plain-float checks of a few rows keep exactly what the numpy path keeps: NaN, infinite and
    out-of-range values (64 g, 4000 deg/s, either sign, on any axis), repeated, earlier and NaN times, gaps."""
    from imu.live.writer import RecordingWriter

    rng = np.random.default_rng(seed)
    odd = [np.nan, np.inf, -np.inf, 64.0, -64.0, 64.000001, -64.5, 4000.0, -4000.0, 4000.5, -4001.0, 1e300]
    batches, t = [], 10.0
    for _ in range(60):
        n = int(rng.integers(1, 10))
        dt = rng.choice([0.01, 0.01, 0.01, 0.0, -0.02, 0.05])
        ts = t + np.cumsum(np.full(n, dt) if rng.random() < 0.2 else np.full(n, 0.01))
        if rng.random() < 0.05:
            ts[rng.integers(n)] = np.nan
        t = float(ts[np.isfinite(ts)].max(initial=t)) if rng.random() < 0.9 else t - 0.03
        acc, gyr = rng.normal(size=(n, 3)), rng.normal(size=(n, 3)) * 100
        for arr in (acc, gyr):
            if rng.random() < 0.3:
                arr[rng.integers(n), rng.integers(3)] = odd[rng.integers(len(odd))]
        batches.append((ts, acc, gyr))
    runs = []
    for few in (True, False):
        p = PROFILES["diy" if gyro else "polar"].for_device(None)
        p.start_commands(100.0)
        path = tmp_path_factory.mktemp("rec") / "r.csv"
        s = SideStream("", p, 100.0, RecordingWriter(path, gyro), None, 0.0)
        if not few:
            s._all_new_and_sane = lambda flat: False
        kept = []
        for ts, acc, gyr in batches:
            rows, index = s._clean((list(ts[:, None]), [1] * len(ts)), [acc], [gyr] if gyro else [], [], len(ts))
            kept.append(None if rows is None else (rows.tolist(), None if index is None else index.tolist()))
        s.writer.close()
        runs.append((kept, path.read_text(), s.stats.as_dict(), s.loss.as_dict(), s.last_t))
    assert runs[0] == runs[1]
