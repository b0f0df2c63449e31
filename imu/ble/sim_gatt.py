"""What each simulated sensor looks like over GATT: its characteristics, what it does when the
host writes a command, subscribes or reads (the firmware side of :mod:`imu.profiles`).

A :class:`Firmware` drives a :class:`imu.ble.sim_device.SimDevice` through five calls:
``device.set_rate(hz)``, ``device.start()``, ``device.stop()``, ``device.use_profile(p)`` and,
for the DIY firmware's RESUME, ``device.resume(after_s)``.
Rates and start conditions follow the vendor protocols (``firmware_notes/README.md``): DIY,
Movesense, Polar and MetaWear stream after a start command; WitMotion and Thingy:52 stream as soon
as their data characteristic is subscribed, at the rate last configured (10 Hz out of the box).
"""
from __future__ import annotations

import struct

from bleak.exc import BleakGATTProtocolError, BleakGATTProtocolErrorCode

from imu.profiles import diy, metawear, movesense, polar, thingy52, witmotion
from imu.profiles.base import normalize_uuid

R, W, WNR, N, I = "read", "write", "write-without-response", "notify", "indicate"

#: profile name -> (advertised service, [(service, [(characteristic, properties)])])
GATT: dict[str, tuple[str, list]] = {
    "diy": (diy.SERVICE, [(diy.SERVICE, [(diy.DATA, [N]), (diy.CONTROL, [W, WNR]), (diy.STATUS, [R, N])])]),
    "movesense": (movesense.SERVICE, [(movesense.SERVICE, [(movesense.COMMAND, [W]), (movesense.DATA, [N])])]),
    "polar": (polar.SERVICE, [(polar.SERVICE, [(polar.CP, [R, W, I]), (polar.DATA, [N])])]),
    "witmotion": (witmotion.SERVICE, [(witmotion.SERVICE, [(witmotion.NOTIFY, [N]), (witmotion.WRITE, [WNR, W])])]),
    "thingy52": (thingy52.CONFIGURATION_SERVICE, [(thingy52.CONFIGURATION_SERVICE, []),
                                                  (thingy52.MOTION_SERVICE, [(thingy52.CONFIG, [R, W]),
                                                                             (thingy52.RAW, [N])])]),
    "metawear": (metawear.SERVICE, [(metawear.SERVICE, [(metawear.COMMAND, [W, WNR]), (metawear.NOTIFY, [N])])]),
}

MTU = {"diy": 247, "movesense": 161, "polar": 232, "witmotion": 23, "thingy52": 23, "metawear": 23}


def gatt_error(code: BleakGATTProtocolErrorCode) -> BleakGATTProtocolError:
    return BleakGATTProtocolError(int(code))


class Firmware:
    """Default behaviour: stream after a start command; no readable characteristics."""

    initial_rate_hz: float | None = None     # None: the profile's default rate
    streams_on_subscribe = False
    resume = False                           # knows a RESUME command (the DIY firmware)
    ring_samples = 0                         # samples it keeps for RESUME
    hold_s = 0.0                             # how long it keeps sampling after a disconnect

    def __init__(self, device):
        self.dev = device

    def on_write(self, uuid: str, data: bytes) -> None:
        pass

    def responses(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        """Notifications answering a write: by default the profile encoder's (Polar's control point)."""
        return self.dev.encoder().responses(uuid, data)

    def on_subscribe(self, uuid: str) -> None:
        if self.streams_on_subscribe and uuid in self.dev.profile.notify_uuids:
            self.dev.start()

    def on_unsubscribe(self, uuid: str) -> None:
        if self.streams_on_subscribe and uuid in self.dev.profile.notify_uuids:
            self.dev.stop()

    def read(self, uuid: str) -> bytes:
        raise gatt_error(BleakGATTProtocolErrorCode.READ_NOT_PERMITTED)


class DiyFirmware(Firmware):
    """The reference firmware (``firmware_notes/diy_firmware``): every control write updates Status
    (last opcode and result) and is answered by a Status notification; RESUME re-sends from the
    sample ring. ``resume = False`` is a firmware from before RESUME ("unknown opcode")."""

    resume = True
    ring_samples = diy.RING_SAMPLES
    hold_s = diy.RESUME_HOLD_S

    def __init__(self, device):
        super().__init__(device)
        self.last_opcode = self.last_result = 0

    def on_write(self, uuid, data):
        if uuid != diy.CONTROL:
            return
        self.last_opcode = data[0] if data else 0
        self.last_result = diy.control_result(data, self.resume)
        if self.last_result != diy.RES_OK:
            return                                   # nothing changes
        op = data[0]
        if op == diy.CMD_RATE:
            self.dev.set_rate(float(struct.unpack_from("<H", data, 1)[0]))
        elif op == diy.CMD_RANGE:
            self.dev.profile.acc_code, self.dev.profile.gyro_code = data[1], data[2]
        elif op == diy.CMD_START:
            self.dev.start()
        elif op == diy.CMD_STOP:
            self.dev.stop()
        elif op == diy.CMD_RESUME:
            self._resume(struct.unpack_from("<I", data, 1)[0])

    def _resume(self, t_us: int) -> None:
        """The firmware compares sample times with ``t_us`` as int32 differences on its µs clock."""
        now_s = self.dev.stream_now_s()
        if now_s is None:                            # never streamed: nothing in the ring
            self.dev.resume(float("inf"))
            return
        ahead_us = (diy.sensor_clock_us(now_s + self.dev.origin_s) - t_us) % diy.CLOCK_MOD_US
        if ahead_us >= diy.CLOCK_MOD_US // 2:        # t_us after now (as int32)
            ahead_us -= diy.CLOCK_MOD_US
        self.dev.resume(now_s - ahead_us * 1e-6)

    def responses(self, uuid, data):
        return [(diy.STATUS, self.read(diy.STATUS))] if uuid == diy.CONTROL else []

    def read(self, uuid):
        if uuid != diy.STATUS:
            return super().read(uuid)
        p, enc = self.dev.profile, self.dev.encoder()  # its period and batching are the firmware's
        return diy.encode_status(self.dev.streaming, round(self.dev.rate_hz), enc.period_us, p.acc_code,
                                 p.gyro_code, enc.samples_per_packet,
                                 last_opcode=self.last_opcode, last_result=self.last_result)


class MovesenseFirmware(Firmware):
    def on_write(self, uuid, data):
        if uuid != movesense.COMMAND or len(data) < 2:
            return
        op, ref = data[0], data[1]
        if op == movesense.SUBSCRIBE:
            parts = bytes(data[2:]).decode("ascii", "replace").strip("/").split("/")
            if len(parts) == 3 and parts[0] == "Meas" and parts[1] in movesense.CHANNELS and parts[2].isdigit() \
                    and int(parts[2]) in movesense.RATES_HZ and ref:
                self.dev.use_profile(movesense.MovesenseProfile(parts[1], ref))
                self.dev.set_rate(float(parts[2]))
                self.dev.start()
        elif op == movesense.UNSUBSCRIBE:
            self.dev.stop()


class PolarFirmware(Firmware):
    def on_write(self, uuid, data):
        if uuid != polar.CP or len(data) < 2:
            return
        op, mtype = data[0], data[1]
        if mtype != polar.ACC:
            return
        if op == polar.START:
            rate = polar.parse_settings(bytes(data[2:])).get(polar.SAMPLE_RATE, [None])[0]
            if rate in self.dev.profile.rates_hz:
                self.dev.set_rate(float(rate))
            self.dev.start(delay_s=0.05)
        elif op == polar.STOP:
            self.dev.stop()

    def read(self, uuid):
        if uuid != polar.CP:
            return super().read(uuid)
        return bytes([0x0F, 0x05, 0x00])   # feature bitmap: ECG + ACC


class WitMotionFirmware(Firmware):
    initial_rate_hz = 10.0
    streams_on_subscribe = True
    CODES = {v: k for k, v in witmotion.RATE_CODES.items()}

    def __init__(self, device):
        super().__init__(device)
        self.unlocked = False

    def on_write(self, uuid, data):
        if uuid != witmotion.WRITE:
            return
        data = bytes(data)
        if data == witmotion.UNLOCK:
            self.unlocked = True
        elif len(data) == 5 and data[:3] == b"\xff\xaa\x03" and self.unlocked:
            rate = self.CODES.get(data[3])
            if rate is not None and rate >= 1:
                self.dev.set_rate(float(rate))
        elif data == witmotion.SAVE:
            self.unlocked = False


class ThingyFirmware(Firmware):
    initial_rate_hz = 10.0
    streams_on_subscribe = True

    def on_write(self, uuid, data):
        if uuid == thingy52.CONFIG and len(data) == 9:
            hz = struct.unpack_from("<H", data, 6)[0]
            if 1 <= hz <= 200:
                self.dev.set_rate(float(hz))

    def read(self, uuid):
        if uuid != thingy52.CONFIG:
            return super().read(uuid)
        return thingy52.encode_config(int(self.dev.rate_hz))


class MetaWearFirmware(Firmware):
    def on_write(self, uuid, data):
        if uuid != metawear.COMMAND or len(data) < 3:
            return
        module, reg = data[0], data[1]
        board = self.dev.profile.board
        if (module, reg) == (metawear.ACC, metawear.CONFIG):
            odr = {v: k for k, v in metawear.ACC_ODR[board].items()}.get(data[2])
            if odr is not None:
                self.dev.set_rate(float(odr))
        elif (module, reg) == (metawear.ACC, metawear.POWER):
            self.dev.start() if data[2] == 1 else self.dev.stop()


FIRMWARE = {"diy": DiyFirmware, "movesense": MovesenseFirmware, "polar": PolarFirmware,
            "witmotion": WitMotionFirmware, "thingy52": ThingyFirmware, "metawear": MetaWearFirmware}


def norm(uuid) -> str:
    return normalize_uuid(str(uuid))
