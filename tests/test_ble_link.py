"""The link: reconnect with backoff, a fresh BleakClient per attempt, start commands re-sent."""
import asyncio

from imu.ble.faults import Faults
from imu.ble.link import Link
from imu.ble.scan import find
from imu.ble.sim_world import SimWorld
from imu.sim import SessionSpec, SetSpec

SPEC = SessionSpec("lying-leg-raise", [SetSpec("textbook", 3)], rest_s=(3.0, 4.0), rest_kinds=("lie_still",), seed=2)


async def _run_link(world, dev, until_s: float, **kw):
    scanner, client_cls = world.backends()
    made = []

    class CountingClient(client_cls):              # a bleak backend that counts its instances
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    found = await find(dev.address, 5.0, backend=scanner)
    link = Link(found, found.profile, 100.0, scanner_backend=scanner, client_backend=CountingClient,
                clock=dev.clock, **kw)
    stop = asyncio.Event()
    task = asyncio.create_task(link.run(stop))
    while dev.stream_pos_s < until_s and not world.done.is_set():
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
