"""The simulated sensors behind bleak's public API (BleakScanner / BleakClient with backend=)."""
import asyncio

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError, BleakGATTProtocolError

from imu.ble.faults import FaultInjector, Faults
from imu.ble.sim_world import SimWorld, catalog_names
from imu.profiles import PROFILES, diy, recognise
from imu.sim import SessionSpec, SetSpec

SHORT = SessionSpec("lying-leg-raise", [SetSpec("textbook", 3)], rest_s=(3.0, 4.0), rest_kinds=("lie_still",), seed=2)


def test_scan_lists_every_simulated_sensor_with_its_profile():
    async def main():
        world = SimWorld.catalog(speed=0)
        scanner, _ = world.backends()
        return await BleakScanner.discover(timeout=0.2, return_adv=True, backend=scanner)

    seen = asyncio.run(main())
    expected = {a: (p, n) for p, n, a in catalog_names()}
    assert set(seen) == set(expected)
    for address, (device, adv) in seen.items():
        profile, name = expected[address]
        assert device.name == name == adv.local_name
        assert recognise(adv.local_name, adv.service_uuids).name == profile
        assert recognise(None, adv.service_uuids).name == profile       # the service UUID alone
        assert -100 < adv.rssi < -30


async def _stream_all(profile: str, rate: float):
    """Connect with a plain BleakClient, start the sensor like the link does, count samples."""
    world = SimWorld(0)
    dev = world.add_device(profile, session=SHORT, seed=3)
    scanner, client_cls = world.backends()
    found = await BleakScanner.find_device_by_address(dev.address, timeout=2, backend=scanner)
    prof = PROFILES[profile].for_device(dev.name)
    cmds = prof.start_commands(rate)
    dec = prof.new_decoder()
    got = []

    def on_data(char, data):
        for b in dec.decode(char.uuid, data):
            got.append(b.n)

    async with BleakClient(found, backend=client_cls) as client:
        assert client.is_connected and client.backend_id == "SimClient"
        if not prof.stop_commands():
            for u, b in cmds:
                await client.write_gatt_char(u, b, response=prof.write_response)
        for u in prof.notify_uuids:
            await client.start_notify(u, on_data)
        if prof.stop_commands():
            for u, b in cmds:
                await client.write_gatt_char(u, b, response=prof.write_response)
        await asyncio.wait_for(world.done.wait(), 30)
    return dev, sum(got)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_each_profile_streams_its_whole_session_in_its_real_byte_format(profile):
    rate = 100.0 if profile not in ("witmotion",) else 50.0
    dev, n = asyncio.run(_stream_all(profile, rate))
    assert dev.rate_hz == PROFILES[profile].device_rate_hz(rate)
    assert n == len(dev.data(dev.rate_hz)[0]) > 1000


def test_unsolicited_disconnect_reaches_the_callback_and_a_fresh_client_reconnects():
    async def main():
        world = SimWorld(0)
        dev = world.add_device("diy", session=SHORT, faults=Faults(disconnect_at=(5.0,), disconnect_s=2.0))
        scanner, client_cls = world.backends()
        lost = asyncio.Event()
        found = await BleakScanner.find_device_by_address(dev.address, timeout=2, backend=scanner)
        c1 = BleakClient(found, disconnected_callback=lambda c: lost.set(), backend=client_cls)
        await c1.connect()
        prof = PROFILES["diy"].for_device(dev.name)
        for u in prof.notify_uuids:
            await c1.start_notify(u, lambda ch, d: None)
        for u, b in prof.start_commands(100):
            await c1.write_gatt_char(u, b, response=True)
        await asyncio.wait_for(lost.wait(), 10)
        assert not c1.is_connected
        with pytest.raises(BleakError):
            await c1.start_notify(prof.notify_uuids[0], lambda ch, d: None)
        assert dev.clock.now() < dev.out_of_range_until          # out of range for a while
        again = await BleakScanner.find_device_by_address(dev.address, timeout=5, backend=scanner)
        assert again is not None and dev.clock.now() >= dev.out_of_range_until
        c2 = BleakClient(again, backend=client_cls)
        await c2.connect()
        assert c2.is_connected and dev.client is not None
        await c1.disconnect()                                     # the old client: a no-op
        assert c2.is_connected
        await c2.disconnect()
        return dev.injector.stats.disconnects

    assert asyncio.run(main()) == 1


@pytest.mark.parametrize("firmware_resumes", [True, False])
def test_diy_status_answers_resume_like_the_firmware(firmware_resumes):
    """Every control write is answered in Status (notification and read alike): RESUME is "ok", or
    "unknown opcode" from a firmware without it, which then does not stream."""
    async def main():
        world = SimWorld(0)
        dev = world.add_device("diy", session=SHORT, resume=firmware_resumes)
        scanner, client_cls = world.backends()
        found = await BleakScanner.find_device_by_address(dev.address, timeout=2, backend=scanner)
        prof = PROFILES["diy"].for_device(dev.name)
        notified = []
        async with BleakClient(found, backend=client_cls) as c:
            await c.start_notify(diy.STATUS, lambda ch, d: notified.append(diy.parse_status(d)))
            for u, b in prof.resume_commands(100, 12.5):
                await c.write_gatt_char(u, b, response=True)
            read = diy.parse_status(await c.read_gatt_char(diy.STATUS))
            await c.write_gatt_char(diy.CONTROL, b"\x07\x00", response=True)
            short = diy.parse_status(await c.read_gatt_char(diy.STATUS))
        return dev, [(s.last_opcode, s.last_result) for s in notified], read, short

    dev, notified, read, short = asyncio.run(main())
    answer = "ok" if firmware_resumes else "unknown opcode"
    assert notified[:3] == [(diy.CMD_RATE, "ok"), (diy.CMD_RANGE, "ok"), (diy.CMD_RESUME, answer)]
    assert (read.last_opcode, read.last_result, read.streaming) == (diy.CMD_RESUME, answer, firmware_resumes)
    assert short.last_result == ("bad length" if firmware_resumes else "unknown opcode")


def test_gatt_errors_like_a_real_device():
    async def main():
        world = SimWorld(0)
        dev = world.add_device("movesense", session=SHORT)
        scanner, client_cls = world.backends()
        found = await BleakScanner.find_device_by_address(dev.address, timeout=2, backend=scanner)
        async with BleakClient(found, backend=client_cls) as c:
            data_char = PROFILES["movesense"].notify_uuids[0]
            with pytest.raises(BleakGATTProtocolError):
                await c.write_gatt_char(data_char, b"\x01", response=True)     # notify-only
            with pytest.raises(BleakGATTProtocolError):
                await c.read_gatt_char(data_char)
            assert c.mtu_size == 161
            assert c.services.get_characteristic(data_char) is not None

    asyncio.run(main())


def test_fault_injector_rates_and_reproducibility():
    f = Faults(loss=0.05, dup=0.02, malformed=0.03)
    out = []
    for _ in range(2):
        inj = FaultInjector(f, np.random.default_rng(1))
        copies = [inj.deliver(i * 0.01, bytes(range(20))) for i in range(20000)]
        out.append(copies)
        st = inj.stats
        assert abs(st.lost / st.sent - 0.05) < 0.01
        assert abs(st.duplicated / st.sent - 0.02 * 0.95) < 0.006
        assert all(len(c) != 20 for cs in copies for c in cs if c != bytes(range(20)))   # corrupt: other length
    assert out[0] == out[1]


def test_burst_loss_spends_its_share_of_time_in_bursts():
    inj = FaultInjector(Faults(burst_loss=0.1, burst_s=0.4), np.random.default_rng(3))
    delivered = [bool(inj.deliver(i * 0.01, b"x")) for i in range(100000)]
    lost = 1 - np.mean(delivered)
    assert 0.06 < lost < 0.14
    runs = np.diff(np.flatnonzero(np.diff(np.asarray(delivered, int)) != 0))
    assert runs.max() > 20            # bursts, not scattered losses


def test_faults_validate():
    with pytest.raises(ValueError):
        Faults(loss=1.0).validate()
    with pytest.raises(ValueError):
        Faults(disconnect_every_s=2.0, disconnect_s=3.0).validate()
    assert Faults(disconnect_every_s=10, disconnect_at=(3.0,)).disconnect_times(35) == [3.0, 10.0, 20.0, 30.0]
