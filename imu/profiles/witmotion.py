"""WitMotion BLE IMUs (WT901BLECL, BWT901BLE5.0; the "BLE 5.0" protocol).

Reference: ble_sensors.md §3 (vendor Python SDK device_model.py, datasheets, C SDK REG.h).

* notify FFE4: a byte stream of 20-byte packets ``55 61`` + 9 × int16 LE
  (acc /32768*16 g, gyro /32768*2000 deg/s, angle /32768*180 deg).  Register-read replies
  ``55 71 ...`` share the stream.  No checksum, timestamp or sequence number: lost packets
  cannot be detected, times come from the host (``t_s=None``).
* write FFE9: ``FF AA <reg> <lo> <hi>``; a register write is unlock ``FF AA 69 88 B5``,
  the write, save ``FF AA 00 00 00`` with ~100 ms between them (``command_gap_s``).
  Output rate register 0x03 (RRATE).  100/200 Hz over BLE depend on model/firmware [?]:
  allowed only with ``WitMotionProfile(allow_fast=True)``.
"""
from __future__ import annotations

import numpy as np

from .base import Decoder, EncoderBase, Profile, Samples, UuidMatch, to_int

SERVICE = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE = "0000ffe9-0000-1000-8000-00805f9a34fb"
RATE_CODES = {0.2: 0x01, 0.5: 0x02, 1: 0x03, 2: 0x04, 5: 0x05, 10: 0x06, 20: 0x07, 50: 0x08,
              100: 0x09, 200: 0x0B}
UNLOCK = bytes.fromhex("FFAA6988B5")
SAVE = bytes.fromhex("FFAA000000")
ACC_LSB_G, GYRO_LSB_DPS, ANGLE_LSB_DEG = 16 / 32768, 2000 / 32768, 180 / 32768
PACKET_LEN = 20
_PACKET = np.dtype(("<i2", (PACKET_LEN // 2,)))   # a packet as int16: header, then 9 values
_LSB = np.repeat([0.0, ACC_LSB_G, GYRO_LSB_DPS, ANGLE_LSB_DEG], [1, 3, 3, 3])   # per int16 of a packet (0: the header)


def write_register(reg: int, value: int) -> list[bytes]:
    """The vendor ``writeReg`` sequence: unlock, write, save."""
    return [UNLOCK, bytes([0xFF, 0xAA, reg, value & 0xFF, value >> 8 & 0xFF]), SAVE]


class WitMotionProfile(Profile):
    name = "witmotion"
    service_uuid = SERVICE
    advertised_uuids = (SERVICE,)
    name_prefixes = ("WT901", "BWT901")
    command_gap_s = 0.1
    write_response = False
    default_rate_hz = 50.0

    def __init__(self, allow_fast: bool = False):
        self.rates_hz = tuple(r for r in RATE_CODES if allow_fast or r <= 50)
        self.has_gyro = True
        self.notify_uuids = [NOTIFY]

    def _start_commands(self, rate_hz):
        code = RATE_CODES[min(RATE_CODES, key=lambda r: abs(r - rate_hz))]
        return [(WRITE, b) for b in write_register(0x03, code)]

    def stop_commands(self):
        return []   # nothing to stop: unsubscribe FFE4 (the rate setting is persistent)

    def new_decoder(self, rate_hz=None):
        return WitMotionDecoder()

    def new_encoder(self, rate_hz=None):
        return WitMotionEncoder(self, self._rate(rate_hz))


class WitMotionDecoder(Decoder):
    """The vendor parser's resync: append bytes, drop byte 0 until the buffer starts with
    ``55 61``/``55 71``, take 20 bytes.  All 0x61 packets completed by one notification are
    returned as one batch; 0x71 register replies are skipped."""

    def __init__(self):
        self._buf = bytearray()
        self.angles_deg: np.ndarray | None = None   #: (n,3) roll/pitch/yaw of the last batch
        self._queued: list[bytes] = []
        self._is_notify = UuidMatch(NOTIFY)

    def queue(self, char_uuid, data):
        """Whole ``55 61`` packets with nothing held in the resync buffer are queued (see
        :meth:`Decoder.queue`): what :meth:`_decode`'s aligned path would decode."""
        if self._buf or not _data_packets(data) or not self._is_notify(char_uuid):
            return 0
        self._queued.append(data)
        return len(data) // PACKET_LEN

    def take_queued(self):
        if not self._queued:
            return None
        data = b"".join(self._queued)
        self._queued = []
        return self._samples(np.frombuffer(data, dtype=_PACKET))[0]

    def _decode(self, char_uuid, data):
        if char_uuid != NOTIFY:
            return []
        if not self._buf and _aligned(data):       # the usual case: whole packets, nothing held
            rows = np.frombuffer(data, dtype=_PACKET)
            if b"\x71" in data[1::PACKET_LEN]:       # register replies among them
                rows = rows[np.frombuffer(data[1::PACKET_LEN], dtype=np.uint8) == 0x61]
            return self._samples(rows)
        packets = []
        buf = self._buf
        for byte in data:
            buf.append(byte)
            if len(buf) == 1 and buf[0] != 0x55:
                del buf[0]
            elif len(buf) == 2 and buf[1] not in (0x61, 0x71):
                del buf[0]
                if buf[0] != 0x55:
                    del buf[0]
            elif len(buf) == PACKET_LEN:
                if buf[1] == 0x61:
                    packets.append(bytes(buf))
                buf.clear()
        if not packets:
            return []
        return self._samples(np.frombuffer(b"".join(packets), dtype=_PACKET))

    def _samples(self, packets: np.ndarray) -> list[Samples]:
        """(n, 10) int16 of 0x61 packets (header included) -> one batch (none if n = 0)."""
        if not len(packets):
            return []
        v = packets * _LSB
        self.angles_deg = v[:, 7:10]
        return [Samples.trusted(None, v[:, 1:4], v[:, 4:7])]


def _data_packets(data: bytes) -> bool:
    """``data`` is whole ``55 61`` packets (one, in the usual notification: told by two byte reads)."""
    if len(data) == PACKET_LEN:
        return data[0] == 0x55 and data[1] == 0x61
    return _aligned(data) and b"\x71" not in data[1::PACKET_LEN]


def _aligned(data: bytes) -> bool:
    """``data`` is whole packets, each starting ``55 61`` or ``55 71`` (the resync keeps them all)."""
    return (len(data) % PACKET_LEN == 0 and len(data) > 0 and data[::PACKET_LEN].strip(b"\x55") == b""
            and data[1::PACKET_LEN].strip(b"\x61\x71") == b"")


class WitMotionEncoder(EncoderBase):
    """One 20-byte packet per sample; angles are roll/pitch from gravity, yaw 0."""

    def _pack(self, t_s, acc_g, gyro_dps):
        ax, ay, az = acc_g[:, 0], acc_g[:, 1], acc_g[:, 2]
        angles = np.column_stack([np.degrees(np.arctan2(ay, az)),
                                  np.degrees(np.arctan2(-ax, np.hypot(ay, az))), 0 * ax])
        raw = np.hstack([to_int(acc_g, ACC_LSB_G), to_int(gyro_dps, GYRO_LSB_DPS),
                         to_int(angles, ANGLE_LSB_DEG)]).astype("<i2")
        return [(NOTIFY, b"\x55\x61" + row.tobytes()) for row in raw]
