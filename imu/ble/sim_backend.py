"""bleak backends for simulated sensors: ``BleakScanner(backend=...)`` and ``BleakClient(backend=...)``.

The classes are bound to a :class:`imu.ble.sim_world.SimWorld` (``world.backends()`` returns a
scanner and a client class), so the rest of the code uses bleak's public API exactly as with real
hardware. The contract followed is bleak 3.1's (``bleak/backends/scanner.py`` and ``client.py``;
reference ``ble_sensors.md`` §8): the scanner reports advertisements through
``create_or_update_device`` / ``call_detection_callbacks``; the client builds a
``BleakGATTServiceCollection`` on connect, calls the one-argument notification callback from the
event loop and reports an unsolicited disconnect by calling ``disconnected_callback()`` with no
arguments.
"""
from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolErrorCode

from .sim_gatt import gatt_error, norm

CCCD = "00002902-0000-1000-8000-00805f9b34fb"
CONNECT_S = 0.08        #: simulated connection set-up time
WRITE_S = 0.015         #: simulated round trip of a write with response / CCCD write
AD_INTERVAL_S = 0.1     #: advertising interval


class SimScanner(BaseBleakScanner):
    """Reports the advertisements of the world's sensors that are in range and not connected."""

    world: ClassVar[Any] = None

    def __init__(self, detection_callback, service_uuids, scanning_mode="active", **kwargs):
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._advertise())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _advertise(self) -> None:
        while True:
            for dev in self.world.devices:
                if not dev.advertising():
                    continue
                adv = AdvertisementData(dev.name, {}, {}, [dev.adv_uuid], None, dev.rssi(), ())
                if self.is_allowed_uuid(adv.service_uuids):
                    device = self.create_or_update_device(dev.address, dev.address, dev.name, dev, adv)
                    self.call_detection_callbacks(device, adv)
            await self.world.advertising_pause(AD_INTERVAL_S)


class SimClient(BaseBleakClient):
    """A GATT client connected to a :class:`~imu.ble.sim_device.SimDevice`."""

    world: ClassVar[Any] = None

    def __init__(self, address_or_ble_device, **kwargs):
        super().__init__(address_or_ble_device, disconnected_callback=kwargs.pop("disconnected_callback", None),
                         timeout=kwargs.pop("timeout", 10.0), **kwargs)
        self._device = self.world.find(self.address)
        self._connected = False

    # ----------------------------------------------------------------- connection
    @property
    def name(self) -> str:
        return self._device.name if self._device else self.address

    @property
    def mtu_size(self) -> int:
        return self._device.mtu if self._device else 23

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, pair: bool, **kwargs) -> None:
        dev = self._device
        if dev is None or not dev.advertising():
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        dev.attach(self)
        await dev.clock.sleep(CONNECT_S)
        if dev.client is not self:            # lost while connecting
            raise BleakError(f"{self.address}: disconnected while connecting")
        self.services = self._build_services(dev)
        self._connected = True

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            self.services = None
            if self._device.client is self:
                self._device.detach()

    def lost(self) -> None:
        """Called by the device: the link dropped (out of range)."""
        if not self._connected:
            return
        self._connected = False
        self.services = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def pair(self, *args, **kwargs) -> None:
        pass

    async def unpair(self) -> None:
        pass

    @staticmethod
    def _build_services(dev) -> BleakGATTServiceCollection:
        coll = BleakGATTServiceCollection()
        handle = 1
        for service_uuid, chars in dev.services:
            service = BleakGATTService(None, handle, norm(service_uuid))
            coll.add_service(service)
            handle += 1
            for uuid, props in chars:
                char = BleakGATTCharacteristic(None, handle, norm(uuid), list(props),
                                               lambda m=dev.mtu: m - 3, service)
                coll.add_characteristic(char)
                handle += 1
                if "notify" in props or "indicate" in props:
                    coll.add_descriptor(BleakGATTDescriptor(None, handle, CCCD, char))
                    handle += 1
        return coll

    # ----------------------------------------------------------------- I/O
    def _check(self, char: BleakGATTCharacteristic, prop: tuple[str, ...]) -> str:
        if not self._connected:
            raise BleakError("Not connected")
        if not set(prop) & set(char.properties):
            raise gatt_error(BleakGATTProtocolErrorCode.REQUEST_NOT_SUPPORTED)
        return norm(char.uuid)

    async def read_gatt_char(self, characteristic, *, use_cached=False, **kwargs) -> bytearray:
        uuid = self._check(characteristic, ("read",))
        await self._device.clock.sleep(WRITE_S)
        return bytearray(self._device.read(uuid))

    async def read_gatt_descriptor(self, descriptor, *, use_cached=False, **kwargs) -> bytearray:
        raise gatt_error(BleakGATTProtocolErrorCode.READ_NOT_PERMITTED)

    async def write_gatt_char(self, characteristic, data, response: bool) -> None:
        uuid = self._check(characteristic, ("write", "write-without-response"))
        if response:
            await self._device.clock.sleep(WRITE_S)
            if not self._connected:
                raise BleakError("Not connected")
        self._device.write(uuid, bytes(data))

    async def write_gatt_descriptor(self, descriptor, data) -> None:
        raise gatt_error(BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED)

    async def start_notify(self, characteristic, callback, **kwargs) -> None:
        uuid = self._check(characteristic, ("notify", "indicate"))
        await self._device.clock.sleep(WRITE_S)      # the CCCD write
        if not self._connected:
            raise BleakError("Not connected")
        self._device.subscribe(uuid, callback)

    async def stop_notify(self, characteristic) -> None:
        uuid = self._check(characteristic, ("notify", "indicate"))
        self._device.unsubscribe(uuid)


def bind(world) -> tuple[type[SimScanner], type[SimClient]]:
    """Scanner and client backend classes bound to ``world`` (pass them as ``backend=``)."""
    scanner = type("SimScanner", (SimScanner,), {"world": world})
    client = type("SimClient", (SimClient,), {"world": world})
    return scanner, client


__all__ = ["SimScanner", "SimClient", "bind"]
