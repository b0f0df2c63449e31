"""Finding sensors: scan with bleak and recognise each advertisement's profile.

``scan(timeout)`` lists everything seen; ``find(spec)`` waits for one sensor named by address
(``AA:BB:..``, or a UUID on macOS) or by its advertised name (case-insensitive, exact).
Pass ``backend=`` (a bleak scanner backend class) to scan simulated sensors.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from imu.profiles import Profile, recognise


@dataclass
class Found:
    """A sensor seen in a scan."""

    device: BLEDevice
    name: str | None
    rssi: int | None
    service_uuids: list[str]
    profile: Profile | None       #: recognised from the advertisement (a fresh copy), or None

    @property
    def address(self) -> str:
        return self.device.address

    @classmethod
    def of(cls, device: BLEDevice, adv: AdvertisementData) -> Found:
        name = adv.local_name or device.name
        uuids = list(adv.service_uuids or [])
        return cls(device, name, adv.rssi, uuids, recognise(name, uuids))


def matches(spec: str, device: BLEDevice, adv: AdvertisementData) -> bool:
    s = spec.strip().lower()
    names = {str(n).strip().lower() for n in (adv.local_name, device.name) if n}
    return device.address.lower() == s or s in names


async def scan(timeout: float = 5.0, backend=None) -> list[Found]:
    """Every sensor advertising during ``timeout`` seconds, strongest signal first."""
    kw = {"backend": backend} if backend is not None else {}
    seen = await BleakScanner.discover(timeout=timeout, return_adv=True, **kw)
    found = [Found.of(d, adv) for d, adv in seen.values()]
    return sorted(found, key=lambda f: -(f.rssi if f.rssi is not None else -999))


async def find(spec: str, timeout: float = 10.0, backend=None) -> Found | None:
    """The first sensor whose address or advertised name is ``spec``; None after ``timeout`` s."""
    hit: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
        if not hit.done() and matches(spec, device, adv):
            hit.set_result(Found.of(device, adv))

    kw = {"backend": backend} if backend is not None else {}
    async with BleakScanner(on_adv, **kw):
        try:
            return await asyncio.wait_for(hit, timeout)
        except asyncio.TimeoutError:
            return None
