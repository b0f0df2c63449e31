"""Nordic Thingy:52, Motion service raw data.

Reference: ble_sensors.md §4 (Nordic-Thingy52-FW ble_tms.h/.c, m_motion.c).

* raw data EF680406 (notify): 18 bytes = 9 × int16 LE: accel Q6.10 g (raw/1024), gyro Q11.5
  deg/s (raw/32), compass Q12.4 µT (raw/16).  One sample per notification, no timestamp or
  counter (``t_s=None``).  Subscribing to it is what turns raw sampling on.
* config EF680401 (read/write, always all 9 bytes): ``u16 pedo_ms | u16 temp_ms |
  u16 compass_ms | u16 motion_freq_hz (1-200) | u8 wake_on_motion``.
"""
from __future__ import annotations

import struct

import numpy as np

from .base import Decoder, DecodeError, EncoderBase, Profile, Samples, UuidMatch, to_int

BASE = "ef68{:04x}-9b35-4933-9b10-52ffa9740042"
CONFIGURATION_SERVICE = BASE.format(0x0100)   # what the Thingy advertises
MOTION_SERVICE = BASE.format(0x0400)
CONFIG = BASE.format(0x0401)
RAW = BASE.format(0x0406)
ACC_LSB_G, GYRO_LSB_DPS, MAG_LSB_UT = 1 / 1024, 1 / 32, 1 / 16
_XYZ = np.dtype(("<i2", (3,)))   # one int16 xyz: np.frombuffer gives (3, 3) rows acc, gyro, mag
_LSB = np.array([[ACC_LSB_G], [GYRO_LSB_DPS], [MAG_LSB_UT]])   # per row of a raw notification
DEFAULTS = dict(pedo_ms=1000, temp_ms=500, compass_ms=500, wake_on_motion=1)


def encode_config(motion_freq_hz: int, pedo_ms: int = 1000, temp_ms: int = 500,
                  compass_ms: int = 500, wake_on_motion: int = 1) -> bytes:
    return struct.pack("<HHHHB", pedo_ms, temp_ms, compass_ms, motion_freq_hz, wake_on_motion)


class Thingy52Profile(Profile):
    name = "thingy52"
    service_uuid = MOTION_SERVICE
    advertised_uuids = (CONFIGURATION_SERVICE, MOTION_SERVICE)
    name_prefixes = ("Thingy",)
    default_rate_hz = 100.0

    def __init__(self):
        self.has_gyro = True
        self.notify_uuids = [RAW]
        self.rates_hz = tuple(range(1, 201))

    def device_rate_hz(self, rate_hz):
        return float(min(200, max(1, round(rate_hz))))

    def _start_commands(self, rate_hz):
        # Writes the other fields' defaults too (the firmware requires all 9 bytes).
        return [(CONFIG, encode_config(int(rate_hz), **DEFAULTS))]

    def stop_commands(self):
        return []   # unsubscribing from the raw characteristic stops raw sampling

    def new_decoder(self, rate_hz=None):
        return Thingy52Decoder()

    def new_encoder(self, rate_hz=None):
        return Thingy52Encoder(self, self._rate(rate_hz))


class Thingy52Decoder(Decoder):
    def __init__(self):
        self.mag_ut: np.ndarray | None = None   #: (1,3) compass of the last sample, µT
        self._queued: list[bytes] = []
        self._is_raw = UuidMatch(RAW)

    def queue(self, char_uuid, data):
        """An 18-byte raw data notification is queued (see :meth:`Decoder.queue`)."""
        if len(data) != 18 or not self._is_raw(char_uuid):
            return 0
        self._queued.append(data)
        return 1

    def take_queued(self):
        if not self._queued:
            return None
        data = b"".join(self._queued)
        self._queued = []
        return self._samples(data)

    def _decode(self, char_uuid, data):
        if char_uuid != RAW:
            return []
        if len(data) != 18:
            raise DecodeError(f"thingy52: raw data is 18 bytes, got {len(data)}")
        return [self._samples(data)]

    def _samples(self, data: bytes) -> Samples:
        """18-byte raw data notifications, one after another -> one batch (the compass kept apart)."""
        v = np.frombuffer(data, dtype=_XYZ).reshape(-1, 3, 3) * _LSB     # acc g, gyro deg/s, mag µT per sample
        self.mag_ut = v[-1, 2:3]
        return Samples.trusted(None, v[:, 0], v[:, 1])


class Thingy52Encoder(EncoderBase):
    def _pack(self, t_s, acc_g, gyro_dps):
        raw = np.hstack([to_int(acc_g, ACC_LSB_G), to_int(gyro_dps, GYRO_LSB_DPS),
                         np.zeros((len(acc_g), 3), dtype=np.int64)]).astype("<i2")
        return [(RAW, row.tobytes()) for row in raw]
