"""The link: reconnect with backoff, a fresh BleakClient per attempt, start commands re-sent (or
RESUME for the DIY profile)."""
import asyncio
import time

import numpy as np
import pytest

from imu.ble.faults import Faults
from imu.ble.link import Link
from imu.ble.scan import find
from imu.ble.sim_world import SimWorld
from imu.profiles.diy import DiyProfile
from imu.sim import SessionSpec, SetSpec

SPEC = SessionSpec("lying-leg-raise", [SetSpec("textbook", 3)], rest_s=(3.0, 4.0), rest_kinds=("lie_still",), seed=2)


def _packets(link) -> dict[int, list]:
    """Connection -> [(seq, sample times)] of the DIY data packets the link queued, in order (one
    decoder throughout: the sensor clock runs on across reconnects)."""
    out: dict[int, list] = {}
    dec = DiyProfile().new_decoder()
    for _, conn, uuid, data in list(link.items):
        for b in dec.decode(uuid, data):
            out.setdefault(conn, []).append((b.seq, b.t_s))
    return out


def _newest_t_s(link) -> float | None:
    """What the live stream tells the link: the decoder time of the newest sample received."""
    times = [t[-1] for pkts in _packets(link).values() for _, t in pkts]
    return max(times) if times else None


async def _run_link(world, dev, until_s: float, resume: bool = False, **kw):
    scanner, client_cls = world.backends()
    made = []

    class CountingClient(client_cls):              # a bleak backend that counts its instances
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    found = await find(dev.address, 5.0, backend=scanner)
    link = Link(found, found.profile, 100.0, scanner_backend=scanner, client_backend=CountingClient,
                clock=dev.clock, **kw)
    if resume:
        link.resume_from = lambda: _newest_t_s(link)
    stop = asyncio.Event()
    task = asyncio.create_task(link.run(stop))
    give_up = time.monotonic() + 30                     # a sensor that stopped streaming: fail, not hang
    while dev.stream_pos_s < until_s and not world.done.is_set() and time.monotonic() < give_up:
        await asyncio.sleep(0.001)
    stop.set()
    await asyncio.wait_for(task, 10)
    return link, made


def test_reconnects_with_a_fresh_client_and_restarts_the_stream():
    world = SimWorld(0)
    dev = world.add_device("diy", session=SPEC, faults=Faults(disconnect_every_s=8.0, disconnect_s=2.0))
    link, made = asyncio.run(_run_link(world, dev, 30.0))
    st = link.stats
    assert st.disconnects >= 3 and st.reconnects == st.disconnects
    assert len(made) == st.connects == st.reconnects + 1            # one new client per connection
    assert len({id(c) for c in made}) == len(made)
    conns = {conn for _, conn, _, _ in link.items}
    assert conns == set(range(1, st.connects + 1))                  # data from every connection
    assert 1.9 < st.downtime_s / st.reconnects < 2.5                  # out of range 2 s + set-up
    assert not st.connected and dev.client is None                   # stopped and disconnected
    assert not dev.streaming
    assert st.resumed == st.resume_refused == 0                     # nobody told it what was received
    assert all(pkts[0][0] == 0 for pkts in _packets(link).values())  # START: seq from 0 every time


@pytest.mark.parametrize("firmware_resumes", [True, False])
def test_reconnect_resumes_after_the_newest_sample_received(firmware_resumes):
    world = SimWorld(0)
    dev = world.add_device("diy", session=SPEC, faults=Faults(disconnect_at=(6.0,), disconnect_s=2.0),
                           resume=firmware_resumes)
    link, _ = asyncio.run(_run_link(world, dev, 15.0, resume=True))
    st = link.stats
    assert st.reconnects == 1
    pkts = _packets(link)
    assert set(pkts) == {1, 2}                                      # data before and after the reconnect
    (seq1, t1), (seq2, t2) = pkts[1][-1], pkts[2][0]
    t = np.concatenate([t for conn in (1, 2) for _, t in pkts[conn]])
    if firmware_resumes:        # RESUME: the next sample first, seq going on; nothing missing, nothing twice
        assert (st.resumed, st.resume_refused) == (1, 0)
        assert t2[0] == pytest.approx(t1[-1] + 0.01, abs=1e-9) and 0 < (seq2 - seq1) % 65536 <= 2
        np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)
    else:                       # "unknown opcode": START, seq from 0, the 2 s away are lost
        assert (st.resumed, st.resume_refused) == (0, 1)
        assert seq2 == 0 and t2[0] - t1[-1] > 2.0
    assert t[-1] - t[0] > 14.0                                      # and it streamed on


def test_backs_off_while_the_sensor_is_away_and_comes_back():
    world = SimWorld(0)
    dev = world.add_device("movesense", session=SPEC, faults=Faults(disconnect_at=(5.0,), disconnect_s=3.0))
    # a scan shorter than the absence: attempts fail, then succeed
    link, made = asyncio.run(_run_link(world, dev, 20.0, scan_timeout_s=0.002, backoff_s=(0.05, 0.2)))
    st = link.stats
    assert st.failed_attempts >= 1 and st.reconnects == 1
    assert "not found" in (st.last_error or "")


def test_the_notification_callback_only_queues_bytes():
    world = SimWorld(0)
    dev = world.add_device("polar", session=SPEC)
    link, _ = asyncio.run(_run_link(world, dev, 10.0))
    arrival, conn, uuid, data = link.items[0]
    assert isinstance(data, bytes) and conn == 1 and isinstance(arrival, float)
    assert uuid in {u.lower() for u in link.profile.notify_uuids}
