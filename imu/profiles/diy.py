"""DIY profile: the project's own open BLE profile for home-made sensors (nRF52/ESP32 + 6-axis IMU).

Specification, test vectors and reference firmware: ``firmware_notes/diy_profile.md`` and
``firmware_notes/diy_firmware/``.  Summary (all little-endian):

* data notification = 12-byte header ``u8 version=1 | u8 flags | u16 seq | u32 t0_us |
  u16 period_us | u8 n | u8 ranges`` + n samples of ``int16 ax ay az [gx gy gz]``;
  flags bit0 = gyro present, bit1 = samples were dropped before this packet;
  ranges low nibble = accelerometer code (±2/4/8/16 g), high nibble = gyro code
  (±125/250/500/1000/2000 deg/s); 1 LSB = full scale / 32768.
* control (write): ``01`` start, ``02`` stop, ``03 <u16 Hz>`` rate (25-400),
  ``04 <acc code> <gyro code>`` ranges, ``05 <u8 n>`` samples per packet (0 = auto),
  ``06`` request a status notification, ``07 <u32 t_us>`` resume: re-send the samples taken after
  ``t_us`` from the firmware's ring (:data:`RING_SAMPLES`), ``seq`` continuing, then stream live.
* status (read/notify): 16 bytes, see :func:`parse_status`.

After a reconnect :meth:`DiyProfile.resume_commands` resumes from the newest sample received; a
firmware without RESUME answers "unknown opcode" (:meth:`DiyProfile.resume_answer`) and the host
falls back to :meth:`~imu.profiles.base.Profile.start_commands`.
"""
from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

import numpy as np

from .base import Decoder, DecodeError, EncoderBase, Profile, Samples, Unwrapper, to_int

BASE = "14d5{:04x}-3b2b-44ed-a09d-30c1f4b5b25b"
SERVICE = BASE.format(0x0001)
DATA = BASE.format(0x0002)      # notify
CONTROL = BASE.format(0x0003)   # write / write without response
STATUS = BASE.format(0x0004)    # read / notify

VERSION = 1
HEADER = struct.Struct("<BBHIHBB")   # version, flags, seq, t0_us, period_us, n, ranges
FLAG_GYRO, FLAG_DROPPED = 0x01, 0x02
ACC_RANGES_G = (2, 4, 8, 16)                  # code -> full scale, g
GYRO_RANGES_DPS = (125, 250, 500, 1000, 2000)  # code -> full scale, deg/s
CMD_START, CMD_STOP, CMD_RATE, CMD_RANGE, CMD_BATCH, CMD_STATUS, CMD_RESUME = 1, 2, 3, 4, 5, 6, 7
MIN_RATE_HZ, MAX_RATE_HZ = 25, 400
MAX_SAMPLES = 19                 # per packet, (247 - 3 - 12) / 12
RING_SAMPLES = 4096              # the firmware's sample ring that RESUME re-sends from (>= 10 s at 400 Hz)
RESUME_HOLD_S = 60.0             # after a disconnect the firmware keeps sampling this long, then empties the ring
CLOCK_MOD_US = 1 << 32           # the u32 µs sensor clock of t0_us
STATUS_FMT = struct.Struct("<BBHHBBBBBBI")
IMU_IDS = {0: "unknown", 1: "LSM6DS3", 2: "LSM6DSO", 3: "ICM-42688-P", 4: "BMI270", 5: "MPU-6050"}
RESULTS = {0: "ok", 1: "unknown opcode", 2: "bad length", 3: "bad value", 4: "busy"}
RES_OK, RES_UNKNOWN_OPCODE, RES_BAD_LENGTH, RES_BAD_VALUE = 0, 1, 2, 3
_COMMAND_LEN = {CMD_START: 1, CMD_STOP: 1, CMD_RATE: 3, CMD_RANGE: 3, CMD_BATCH: 2, CMD_STATUS: 1,
                CMD_RESUME: 5}


@dataclass
class Status:
    """Decoded status characteristic (see firmware_notes/diy_profile.md)."""

    version: int
    streaming: bool
    rate_hz: int
    period_us: int
    acc_range_g: int
    gyro_range_dps: int
    samples_per_packet: int
    imu: str
    battery_pct: int | None
    last_opcode: int
    last_result: str
    dropped_samples: int


def parse_status(data: bytes) -> Status:
    if len(data) < STATUS_FMT.size:
        raise DecodeError(f"status: {len(data)} bytes, need {STATUS_FMT.size}")
    v, state, rate, period, ranges, spp, imu, batt, op, res, dropped = STATUS_FMT.unpack_from(data)
    acc, gyro = _ranges(ranges)
    return Status(v, state == 1, rate, period, acc, gyro, spp, IMU_IDS.get(imu, f"id {imu}"),
                  None if batt == 0xFF else batt, op, RESULTS.get(res, f"code {res}"), dropped)


def encode_status(streaming: bool, rate_hz: int, period_us: int, acc_code: int, gyro_code: int,
                  samples_per_packet: int, imu_id: int = 0, battery_pct: int | None = None,
                  last_opcode: int = 0, last_result: int = 0, dropped: int = 0) -> bytes:
    return STATUS_FMT.pack(VERSION, int(streaming), rate_hz, period_us,
                           acc_code | gyro_code << 4, samples_per_packet, imu_id,
                           0xFF if battery_pct is None else battery_pct,
                           last_opcode, last_result, dropped)


def control_result(data: bytes, resume: bool = True) -> int:
    """The Status result code the firmware reports for a control write (``apply_control`` in
    ``diy_protocol.h``); ``resume=False``: a firmware from before RESUME (``07`` is unknown)."""
    if not data:
        return RES_BAD_LENGTH
    op = data[0]
    if op not in _COMMAND_LEN or (op == CMD_RESUME and not resume):
        return RES_UNKNOWN_OPCODE
    if len(data) != _COMMAND_LEN[op]:
        return RES_BAD_LENGTH
    if op == CMD_RATE and not MIN_RATE_HZ <= struct.unpack_from("<H", data, 1)[0] <= MAX_RATE_HZ:
        return RES_BAD_VALUE
    if op == CMD_RANGE and (data[1] >= len(ACC_RANGES_G) or data[2] >= len(GYRO_RANGES_DPS)):
        return RES_BAD_VALUE
    if op == CMD_BATCH and data[1] > MAX_SAMPLES:
        return RES_BAD_VALUE
    return RES_OK


def sensor_clock_us(t_s: float) -> int:
    """The firmware's u32 µs clock reading of a sample time as the decoder gives it
    (:attr:`Samples.t_s <imu.profiles.base.Samples>`: the unwrapped ``t0_us + i·period_us`` in s)."""
    return round(t_s * 1e6) % CLOCK_MOD_US


def encode_resume(t_us: int) -> bytes:
    """RESUME: ``07`` + u32 LE sensor time; the firmware re-sends the samples taken after it."""
    return struct.pack("<BI", CMD_RESUME, t_us % CLOCK_MOD_US)


def _ranges(byte: int) -> tuple[int, int]:
    acc, gyro = byte & 0x0F, byte >> 4
    if acc >= len(ACC_RANGES_G) or gyro >= len(GYRO_RANGES_DPS):
        raise DecodeError(f"bad range codes 0x{byte:02x}")
    return ACC_RANGES_G[acc], GYRO_RANGES_DPS[gyro]


def encode_data(seq: int, t0_us: int, period_us: int, acc_code: int, gyro_code: int,
                acc_raw: np.ndarray, gyro_raw: np.ndarray | None, flags: int = 0) -> bytes:
    """One data notification from raw int16 samples (``acc_raw`` (n,3), ``gyro_raw`` (n,3)|None)."""
    acc_raw = np.asarray(acc_raw, dtype="<i2").reshape(-1, 3)
    n = len(acc_raw)
    if gyro_raw is not None:
        flags |= FLAG_GYRO
        body = np.hstack([acc_raw, np.asarray(gyro_raw, dtype="<i2").reshape(-1, 3)])
    else:
        flags &= ~FLAG_GYRO
        body = acc_raw
    head = HEADER.pack(VERSION, flags, seq & 0xFFFF, t0_us & 0xFFFFFFFF, period_us, n,
                       acc_code | gyro_code << 4)
    return head + body.astype("<i2").tobytes()


class DiyProfile(Profile):
    name = "diy"
    has_timestamps = True
    seq_modulus = 1 << 16
    service_uuid = SERVICE
    advertised_uuids = (SERVICE,)
    name_prefixes = ("RepIMU",)
    default_rate_hz = 100.0
    resume_status_uuid = STATUS

    def __init__(self, acc_range_g: int = 8, gyro_range_dps: int = 1000):
        self.acc_code = ACC_RANGES_G.index(acc_range_g)
        self.gyro_code = GYRO_RANGES_DPS.index(gyro_range_dps)
        self.has_gyro = True
        self.notify_uuids = [DATA, STATUS]
        self.rates_hz = tuple(range(MIN_RATE_HZ, MAX_RATE_HZ + 1))

    def device_rate_hz(self, rate_hz: float) -> float:
        """Any integer rate 25-400 Hz (the firmware reports the IMU's real period per packet)."""
        return float(min(MAX_RATE_HZ, max(MIN_RATE_HZ, round(rate_hz))))

    def _start_commands(self, rate_hz):
        return [(CONTROL, struct.pack("<BH", CMD_RATE, int(rate_hz))),
                (CONTROL, bytes([CMD_RANGE, self.acc_code, self.gyro_code])),
                (CONTROL, bytes([CMD_START]))]

    def stop_commands(self):
        return [(CONTROL, bytes([CMD_STOP]))]

    def resume_commands(self, rate_hz, last_t_s):
        """Rate, ranges, then RESUME after the sample at decoder time ``last_t_s``."""
        if not np.isfinite(last_t_s):
            return None
        self._rate_hz = self.device_rate_hz(rate_hz)
        return self._start_commands(self._rate_hz)[:-1] + [(CONTROL, encode_resume(sensor_clock_us(last_t_s)))]

    def resume_answer(self, status):
        """True/False once Status reports the result of RESUME (any error, typically "unknown
        opcode" from an older firmware, is False); None while it reports another command."""
        try:
            st = parse_status(status)
        except DecodeError:
            return None
        return st.last_result == "ok" if st.last_opcode == CMD_RESUME else None

    def new_decoder(self, rate_hz=None):
        return DiyDecoder()

    def new_encoder(self, rate_hz=None):
        return DiyEncoder(self, self._rate(rate_hz))


class DiyDecoder(Decoder):
    """Stateless conversion (ranges and period travel in each packet); state is only the µs clock
    unwrap, duplicate suppression and the last status."""

    def __init__(self):
        self._clock = Unwrapper(32)
        self._last_key: tuple[int, int] | None = None
        self.status: Status | None = None
        self.dropped_flagged = 0   #: packets that carried the "samples dropped" flag

    def _decode(self, char_uuid, data):
        if char_uuid == STATUS:
            self.status = parse_status(data)
            return []
        if char_uuid != DATA:
            return []
        if len(data) < HEADER.size:
            raise DecodeError(f"diy: {len(data)} bytes is shorter than the header")
        version, flags, seq, t0_us, period_us, n, ranges = HEADER.unpack_from(data)
        if version != VERSION:
            raise DecodeError(f"diy: unsupported version {version}")
        _ranges(ranges)                              # bad range codes: DecodeError
        width = 6 if flags & FLAG_GYRO else 3
        if n == 0 or period_us == 0 or len(data) != HEADER.size + 2 * width * n:
            raise DecodeError(f"diy: bad packet (n={n}, period={period_us}, len={len(data)})")
        if (seq, t0_us) == self._last_key:
            return []   # exact duplicate (e.g. a doubled notification callback)
        self._last_key = (seq, t0_us)
        self.dropped_flagged += bool(flags & FLAG_DROPPED)
        v = np.frombuffer(data, dtype="<i2", offset=HEADER.size).reshape(n, width) * _lsb(ranges, width)
        t0 = self._clock(t0_us)
        t_s = (t0 + _offsets_us(n, period_us)) * 1e-6
        return [Samples.trusted(t_s, v[:, :3], v[:, 3:] if width == 6 else None, seq)]


@functools.lru_cache(maxsize=64)
def _lsb(ranges: int, width: int) -> np.ndarray:
    """Per int16 of a sample (ax ay az [gx gy gz]): g and deg/s per LSB for a ranges byte."""
    acc_fs, gyro_fs = _ranges(ranges)
    return _frozen(np.array([acc_fs / 32768.0] * 3 + [gyro_fs / 32768.0] * (width - 3)))


@functools.lru_cache(maxsize=64)
def _offsets_us(n: int, period_us: int) -> np.ndarray:
    """Sample times after a packet's first, µs (int64)."""
    return _frozen(np.arange(n) * period_us)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False        # shared by every packet
    return a


class DiyEncoder(EncoderBase):
    """Packets as the reference firmware sends them: about 25 packets/s (40 ms batches),
    at most 19 samples (MTU 247)."""

    def __init__(self, profile: DiyProfile, rate_hz: float):
        super().__init__(profile, rate_hz)
        self.samples_per_packet = max(1, min(MAX_SAMPLES, (round(rate_hz) + 12) // 25))  # as firmware
        self.period_us = round(1e6 / rate_hz)
        self.seq = 0
        self.streaming = False

    def _pack(self, t_s, acc_g, gyro_dps):
        p = self.profile
        acc = to_int(acc_g, ACC_RANGES_G[p.acc_code] / 32768)
        gyro = to_int(gyro_dps, GYRO_RANGES_DPS[p.gyro_code] / 32768) if p.has_gyro else None
        pkt = encode_data(self.seq, round(t_s[0] * 1e6), self.period_us, p.acc_code,
                          p.gyro_code, acc, gyro)
        self.seq = (self.seq + 1) & 0xFFFF
        return [(DATA, pkt)]

    def responses(self, char_uuid, written):
        """Status notification after each control write (what the reference firmware does)."""
        if char_uuid.lower() != CONTROL or not written:
            return []
        p = self.profile
        result = control_result(written)
        if result == RES_OK and written[0] in (CMD_START, CMD_STOP, CMD_RESUME):
            self.streaming = written[0] != CMD_STOP
        return [(STATUS, encode_status(self.streaming, round(self.rate_hz),
                                       self.period_us, p.acc_code, p.gyro_code,
                                       self.samples_per_packet, last_opcode=written[0],
                                       last_result=result))]
