"""Movesense sensors through the GATT SensorData Protocol (GSP, default firmware >= 2.3.0).

Reference: ble_sensors.md §1 (GATTSensorDataClient.cpp, the official Python/web clients,
acc.yaml / imu.yaml).

* write ``01 <ref> "/Meas/IMU6/52"`` to the command characteristic to subscribe,
  ``02 <ref>`` to unsubscribe.  Re-send SUBSCRIBE after every reconnect.
* notifications: ``02 <ref> | u32 ts_ms (first sample) | acc[N] float32 xyz m/s² |
  gyro[N] float32 xyz deg/s`` (block-wise arrays, N from the length).  Payloads longer than
  one notification arrive as ``02 <ref> part1`` + ``03 <ref> part2``, joined as
  ``part1 + part2[2:]``.
* command results ``01 <ref> <u16 status>``: byte order differs between the sample firmware
  (big-endian 507) and the clients (little-endian) [?]; both are accepted.
* the accelerometer range (``/Meas/Acc/Config``) is not settable over GSP; values arrive in
  m/s² so no range is needed to convert.
"""
from __future__ import annotations

import struct

import numpy as np

from .base import Decoder, DecodeError, EncoderBase, Profile, Samples, Unwrapper

SERVICE = "34802252-7185-4d5d-b431-630e7050e8f0"
COMMAND = "34800001-7185-4d5d-b431-630e7050e8f0"
DATA = "34800002-7185-4d5d-b431-630e7050e8f0"
RATES_HZ = (13, 26, 52, 104, 208, 416, 833, 1666)
G = 9.80665                     # m/s² per g
HELLO, SUBSCRIBE, UNSUBSCRIBE = 0, 1, 2
COMMAND_RESULT, PACKET_DATA, PACKET_DATA_PART2 = 1, 2, 3
CHANNELS = {"Acc": 1, "IMU6": 2, "IMU9": 3}   # float32 xyz blocks per sample (acc, gyro, magn)
_F32_EXPONENT = np.array(0x7F800000, dtype=np.uint32)  # a float32's exponent bits: all set in inf and NaN only
_G = np.array(G)                # (0-d arrays: numpy converts a Python scalar operand on every call)
_MS_PER_S = np.array(1000.0)
MAX_NOTIFY = 158                # MTU 161 - 3 (the sample app's "MTU is 161") [?] encoder only


def command_status(data: bytes) -> int | None:
    """HTTP-like status from a ``01 <ref> <u16>`` command result, trying both byte orders [?]."""
    if len(data) != 4:
        return None            # e.g. the HELLO reply "01 <ref> Hello"
    le, be = data[2] | data[3] << 8, data[2] << 8 | data[3]
    for status in (le, be):
        if 100 <= status < 600:
            return status
    return le


class MovesenseProfile(Profile):
    name = "movesense"
    has_timestamps = True
    service_uuid = SERVICE
    advertised_uuids = (SERVICE,)
    name_prefixes = ("Movesense",)
    default_rate_hz = 52.0

    def __init__(self, meas: str = "IMU6", ref: int = 99):
        if meas not in CHANNELS or not 1 <= ref <= 255:
            raise ValueError("meas must be Acc, IMU6 or IMU9; ref 1-255 (not zero)")
        self.meas, self.ref = meas, ref
        self.has_gyro = meas != "Acc"
        self.notify_uuids = [DATA]
        self.rates_hz = RATES_HZ

    def _start_commands(self, rate_hz):
        path = f"/Meas/{self.meas}/{int(rate_hz)}".encode("ascii")
        return [(COMMAND, bytes([SUBSCRIBE, self.ref]) + path)]

    def stop_commands(self):
        return [(COMMAND, bytes([UNSUBSCRIBE, self.ref]))]

    def new_decoder(self, rate_hz=None):
        return MovesenseDecoder(self._rate(rate_hz), CHANNELS[self.meas], self.ref)

    def new_encoder(self, rate_hz=None):
        return MovesenseEncoder(self, self._rate(rate_hz))


class MovesenseDecoder(Decoder):
    """Reassembles DATA + DATA_PART2, converts m/s² to g, spreads sample times at 1/rate.

    A DATA packet whose length is not a whole number of samples is held as part 1.  The split
    size is not documented [?]: once a DATA_PART2 has followed a part 1 of length L, later
    DATA packets of length L are held too, even if their length happens to be valid.
    """

    def __init__(self, rate_hz: float, channels: int = 2, ref: int = 99):
        self.rate_hz, self.channels, self.ref = float(rate_hz), channels, ref
        self._part1: bytes | None = None
        self._split_len: int | None = None
        self._clock = Unwrapper(32)
        self._last_ts: int | None = None
        self._offsets_ms: dict[int, np.ndarray] = {}   # n -> sample times after the first, ms
        self.last_status: int | None = None    #: last command result (HTTP-like code)
        self.dropped_parts = 0                 #: part 1s whose part 2 never came, orphan part 2s

    def _complete(self, length: int) -> bool:
        body = length - 6
        return body > 0 and body % (12 * self.channels) == 0 and length != self._split_len

    def _decode(self, char_uuid, data):
        if char_uuid != DATA:
            return []
        if len(data) < 2:
            raise DecodeError("movesense: packet shorter than 2 bytes")
        kind, ref = data[0], data[1]
        if kind == COMMAND_RESULT:
            self.last_status = command_status(data)
            return []
        if kind not in (PACKET_DATA, PACKET_DATA_PART2):
            raise DecodeError(f"movesense: unknown packet type {kind}")
        if ref != self.ref:
            return []                      # another client's subscription
        if kind == PACKET_DATA:
            if self._part1 is not None:    # its part 2 was lost
                self.dropped_parts += 1
                self._part1 = None
            if self._complete(len(data)):
                return self._samples(data)
            if len(data) < 6:
                raise DecodeError("movesense: DATA shorter than its timestamp")
            self._part1 = data
            return []
        if self._part1 is None:
            self.dropped_parts += 1        # part 2 without part 1: drop it
            return []
        part1, self._part1 = self._part1, None
        self._split_len = len(part1)
        return self._samples(part1 + data[2:])

    def _samples(self, data: bytes) -> list[Samples]:
        body = len(data) - 6
        if body <= 0 or body % (12 * self.channels):
            raise DecodeError(f"movesense: {len(data)} bytes is not a whole number of samples")
        (ts_ms,) = struct.unpack_from("<I", data, 2)
        n = body // (12 * self.channels)
        bits = np.frombuffer(data, dtype="<u4", offset=6)
        if (bits & _F32_EXPONENT).max() == 0x7F800000:     # told before the cast: no signalling NaN is cast
            raise DecodeError("movesense: non-finite sample value")
        blocks = bits.view("<f4").astype(np.float64).reshape(self.channels, n, 3)
        if ts_ms == self._last_ts:
            return []                      # duplicate notification
        self._last_ts = ts_ms
        if n not in self._offsets_ms:
            self._offsets_ms[n] = np.arange(n) * (1000.0 / self.rate_hz)
        t_ms = self._clock(ts_ms) + self._offsets_ms[n]
        gyro = blocks[1] if self.channels >= 2 else None
        return [Samples.trusted(t_ms / _MS_PER_S, blocks[0] / _G, gyro)]


class MovesenseEncoder(EncoderBase):
    """Packets like the firmware's: N = rate/13 samples (4 at 52 Hz, 8 at 104 Hz as in the
    vendor client), capped so that a packet fits in DATA + DATA_PART2 at MTU 161 [?]."""

    def __init__(self, profile: MovesenseProfile, rate_hz: float):
        super().__init__(profile, rate_hz)
        self.channels = CHANNELS[profile.meas]
        n_max = (2 * MAX_NOTIFY - 2 - 6) // (12 * self.channels)
        self.samples_per_packet = max(1, min(n_max, round(rate_hz / 13)))

    def _pack(self, t_s, acc_g, gyro_dps):
        ref = self.profile.ref
        blocks = [acc_g * G, gyro_dps, np.zeros_like(acc_g)][: self.channels]
        ts = round(t_s[0] * 1000) & 0xFFFFFFFF
        pkt = bytes([PACKET_DATA, ref]) + struct.pack("<I", ts) + \
            np.concatenate(blocks).astype("<f4").tobytes()
        if len(pkt) <= MAX_NOTIFY:
            return [(DATA, pkt)]
        return [(DATA, pkt[:MAX_NOTIFY]),
                (DATA, bytes([PACKET_DATA_PART2, ref]) + pkt[MAX_NOTIFY:])]

    def responses(self, char_uuid, written):
        if char_uuid.lower() == COMMAND and len(written) >= 2 and written[0] == HELLO:
            return [(DATA, bytes([COMMAND_RESULT, written[1]]) + b"Hello")]
        return []
