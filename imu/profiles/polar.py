"""Polar PMD (Polar Measurement Data) accelerometer stream: H10, Verity Sense, OH1.

Reference: ble_sensors.md §2 (polar-ble-sdk BlePMDClient.kt, PmdSetting.kt, AccData.kt,
PmdTimeStampUtils.kt and the vendor tests AccDataTest.kt / PmdSettingTest.kt).

* Subscribe to BOTH the control point (CP) and DATA, then write the start request to the CP:
  ``02 02 | settings TLV`` (``<type> <count=1> <value LE>``: 00 rate u16, 01 resolution u16,
  02 range u16, 04 channels u8).  Stop: ``03 02``.
* CP responses ``F0 <op> <type> <status> <more> <params>``; the start response may carry
  FACTOR (setting 5, float32) which scales compressed frames; the decoder picks it up when it is
  fed the CP notifications.
* DATA frame: ``u8 type | u64 ts_ns of the LAST sample (epoch 2000-01-01) | u8 frame type |
  content``.  Frame types: 0x00/0x01/0x02 raw int8/int16/int24 xyz in mG (H10: 0x01),
  0x80/0x81 delta-compressed (Verity Sense / OH1).
"""
from __future__ import annotations

import struct

import numpy as np

from .base import Decoder, DecodeError, EncoderBase, Profile, Samples, to_int

SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CP = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
ACC = 2
GET_SETTINGS, START, STOP = 1, 2, 3
SAMPLE_RATE, RESOLUTION, RANGE, RANGE_MILLIUNIT, CHANNELS, FACTOR = 0, 1, 2, 3, 4, 5
_RAW_DTYPE = {1: np.dtype("<i1"), 2: np.dtype("<i2")}   # raw frame bytes per value -> dtype
FIELD_SIZE = {SAMPLE_RATE: 2, RESOLUTION: 2, RANGE: 2, RANGE_MILLIUNIT: 4, CHANNELS: 1, FACTOR: 4}
MODELS = {  # rates (Hz), ranges (g), whether the start request names the channel count
    "h10": ((25, 50, 100, 200), (2, 4, 8), False),
    # Verity Sense / OH1: 52 Hz, 8 g, 3 channels per the SDK's settings query [?] (not in the
    # vendor vectors); use GET_SETTINGS (01 02) to see what a device offers.
    "verity": ((52,), (8,), True),
}
STATUS = {0: "SUCCESS", 1: "INVALID_OP_CODE", 2: "INVALID_MEASUREMENT_TYPE", 3: "NOT_SUPPORTED",
          4: "INVALID_LENGTH", 5: "INVALID_PARAMETER", 6: "ALREADY_IN_STATE",
          7: "INVALID_RESOLUTION", 8: "INVALID_SAMPLE_RATE", 9: "INVALID_RANGE",
          10: "INVALID_MTU", 11: "INVALID_NUMBER_OF_CHANNELS", 12: "INVALID_STATE",
          13: "DEVICE_IN_CHARGER", 14: "DISK_FULL"}


def encode_settings(settings: dict[int, int | float]) -> bytes:
    """Settings TLV with count=1 per setting, in setting-type order (as the SDK sends them)."""
    out = b""
    for kind in sorted(settings):
        value = settings[kind]
        raw = struct.pack("<f", value) if kind == FACTOR else \
            int(value).to_bytes(FIELD_SIZE[kind], "little", signed=True)
        out += bytes([kind, 1]) + raw
    return out


def parse_settings(data: bytes) -> dict[int, list]:
    """Settings TLV -> {setting type: [values]} (FACTOR as float).  Unknown types end parsing."""
    out: dict[int, list] = {}
    i = 0
    while i + 2 <= len(data):
        kind, count = data[i], data[i + 1]
        size = FIELD_SIZE.get(kind)
        if size is None:
            break
        i += 2
        if i + size * count > len(data):
            raise DecodeError("polar: truncated settings")
        vals = [data[i + k * size: i + (k + 1) * size] for k in range(count)]
        out[kind] = [struct.unpack("<f", v)[0] if kind == FACTOR
                     else int.from_bytes(v, "little", signed=True) for v in vals]
        i += size * count
    return out


def parse_cp_response(data: bytes) -> tuple[int, int, int, bool, bytes]:
    """``F0 op type status more params`` -> (op, measurement type, status, more, params)."""
    if len(data) < 5 or data[0] != 0xF0:
        raise DecodeError("polar: not a control point response")
    return data[1], data[2], data[3], bool(data[4]), bytes(data[5:])


def sign_extend(value: int, bits: int) -> int:
    return value - (1 << bits) if bits and value >> (bits - 1) & 1 else value


def parse_delta_frames(content: bytes, channels: int = 3, resolution: int = 16) -> list[list[int]]:
    """BlePMDClient.parseDeltaFramesAll: a reference sample, then blocks of
    ``u8 bit width | u8 count | bit-packed deltas`` (LSB-first, channel-interleaved)."""
    ref_size = (resolution + 7) // 8
    if len(content) < channels * ref_size:
        raise DecodeError("polar: compressed frame shorter than its reference sample")
    sample = [sign_extend(int.from_bytes(content[c * ref_size:(c + 1) * ref_size], "little"),
                          resolution) for c in range(channels)]
    samples = [sample]
    i = channels * ref_size
    while i < len(content):
        if i + 2 > len(content):
            raise DecodeError("polar: truncated delta block header")
        width, count = content[i], content[i + 1]
        i += 2
        if width > 32:
            raise DecodeError(f"polar: delta width {width} bits")
        nbytes = (width * count * channels + 7) // 8
        if i + nbytes > len(content):
            raise DecodeError("polar: truncated delta block")
        bits = int.from_bytes(content[i:i + nbytes], "little")
        mask = (1 << width) - 1
        for k in range(count):
            sample = [sample[c] + sign_extend(bits >> ((k * channels + c) * width) & mask, width)
                      for c in range(channels)]
            samples.append(sample)
        i += nbytes
    return samples


def encode_delta_frames(samples: np.ndarray, resolution: int = 16) -> bytes:
    """Inverse of :func:`parse_delta_frames` with one delta block (count < 256)."""
    samples = np.asarray(samples, dtype=np.int64)
    ref_size = (resolution + 7) // 8
    out = b"".join(int(v).to_bytes(ref_size, "little", signed=True) for v in samples[0])
    deltas = np.diff(samples, axis=0).reshape(-1)
    if len(deltas):
        width = max(1, max(int(d).bit_length() + 1 if d >= 0 else (int(-d) - 1).bit_length() + 1
                           for d in deltas))
        bits = 0
        for k, d in enumerate(deltas):
            bits |= (int(d) & ((1 << width) - 1)) << (k * width)
        out += bytes([width, len(samples) - 1]) + bits.to_bytes((width * len(deltas) + 7) // 8,
                                                                  "little")
    return out


class PolarProfile(Profile):
    name = "polar"
    has_timestamps = True
    service_uuid = SERVICE
    advertised_uuids = (SERVICE,)
    name_prefixes = ("Polar H10", "Polar Sense", "Polar Verity", "Polar OH1")

    def __init__(self, model: str = "h10", range_g: int | None = None):
        self.model = model
        self.rates_hz, ranges, self._with_channels = MODELS[model]
        self.range_g = range_g or (8 if 8 in ranges else ranges[-1])
        self.default_rate_hz = 100.0 if model == "h10" else 52.0
        self.has_gyro = False          # ACC only (the Verity gyro is a separate PMD stream)
        self.notify_uuids = [CP, DATA]

    def for_device(self, name):
        model = "h10" if not name or "h10" in name.lower() else "verity"
        return PolarProfile(model, self.range_g if model == self.model else None)

    def settings(self, rate_hz: float) -> dict[int, int]:
        s = {SAMPLE_RATE: int(rate_hz), RESOLUTION: 16, RANGE: self.range_g}
        if self._with_channels:
            s[CHANNELS] = 3
        return s

    def _start_commands(self, rate_hz):
        return [(CP, bytes([START, ACC]) + encode_settings(self.settings(rate_hz)))]

    def stop_commands(self):
        return [(CP, bytes([STOP, ACC]))]

    def new_decoder(self, rate_hz=None):
        return PolarDecoder(self._rate(rate_hz), range_g=self.range_g)

    def new_encoder(self, rate_hz=None):
        return PolarEncoder(self, self._rate(rate_hz))


class PolarDecoder(Decoder):
    """ACC frames -> g, with PmdTimeStampUtils sample times.

    The SDK spreads a frame's samples evenly between the previous frame's timestamp and this
    one; after a lost frame that stretches the samples over the gap.  Here that is done only
    when the implied sample interval is within ``max_rate_error`` of 1/rate; otherwise the
    samples are placed back from the frame's last-sample time at the nominal interval, which
    leaves the gap visible.  ``max_rate_error=None`` reproduces the SDK exactly.
    """

    def __init__(self, rate_hz: float, factor: float | None = None, range_g: int = 8,
                 max_rate_error: float | None = 0.25):
        self.rate_hz = float(rate_hz)
        # Without a start response the compressed-frame factor is unknown; full scale / 2^15 is
        # the value devices report (2.44e-4 at 8 g) to within 0.1 % [?].
        self.factor = factor
        self.default_factor = range_g / 32768.0
        self.max_rate_error = max_rate_error
        self._prev_ts: dict[int, int] = {}
        self.last_response: tuple[int, int, int] | None = None   #: (op, type, status)

    def set_previous_timestamp(self, frame_type: int, ts_ns: int) -> None:
        self._prev_ts[frame_type] = ts_ns

    def _on_cp(self, data: bytes) -> None:
        if not data or data[0] != 0xF0:
            return          # feature bitmap read (0F ..) or ONLINE_MEASUREMENT_STOPPED (01 ..)
        op, mtype, status, _more, params = parse_cp_response(data)
        self.last_response = (op, mtype, status)
        if mtype != ACC or status != 0:
            return
        if op == START:
            factor = parse_settings(params).get(FACTOR)
            if factor and 1e-9 < factor[0] < 1e3:    # plausible scale factors only
                self.factor = factor[0]
        elif op == STOP:
            self._prev_ts.clear()       # the SDK resets its previous timestamps on stop

    def _decode(self, char_uuid, data):
        if char_uuid == CP:
            self._on_cp(data)
            return []
        if char_uuid != DATA:
            return []
        if len(data) < 10:
            raise DecodeError("polar: frame shorter than its 10-byte header")
        if data[0] & 0x3F != ACC:
            return []
        (ts_ns,) = struct.unpack_from("<Q", data, 1)
        frame_type, content = data[9], data[10:]
        mg = self._acc_mg(frame_type, content)
        if len(mg) == 0:
            raise DecodeError("polar: empty frame")
        t_ns = self._timestamps(frame_type, ts_ns, len(mg))
        if t_ns is None:
            return []                   # duplicate frame
        return [Samples.trusted(t_ns * 1e-9, mg / 1000.0, None)]

    def _acc_mg(self, frame_type: int, content: bytes) -> np.ndarray:
        if frame_type in (0x00, 0x01, 0x02):          # raw int8 / int16 / int24, mG
            step = frame_type + 1
            if len(content) % (3 * step):
                raise DecodeError("polar: raw frame is not a whole number of samples")
            if step < 3:
                return np.frombuffer(content, dtype=_RAW_DTYPE[step]).reshape(-1, 3).astype(np.float64)
            v = [sign_extend(int.from_bytes(content[i:i + step], "little"), 8 * step)
                 for i in range(0, len(content), step)]
            return np.asarray(v, dtype=np.float64).reshape(-1, 3)
        if frame_type in (0x80, 0x81):
            raw = np.asarray(parse_delta_frames(content, 3, 16), dtype=np.float32)
            factor = self.factor                   # from the start response (FACTOR)
            if factor is None:                     # not seen: 0x80 is in G, 0x81 in mG
                factor = self.default_factor if frame_type == 0x80 else 1.0
            if frame_type == 0x80:      # "special Wolfi type": values in G -> int(s * factor*1000)
                scale = np.float32(factor) * np.float32(1000)
            elif factor != 1.0:
                scale = np.float32(factor)
            else:
                return raw.astype(np.float64)
            with np.errstate(all="ignore"):
                mg = np.trunc(raw * scale).astype(np.float64)   # Kotlin Float math, truncation
            if not np.isfinite(mg).all():
                raise DecodeError("polar: compressed values overflow")
            return mg
        raise DecodeError(f"polar: unsupported ACC frame type 0x{frame_type:02x}")

    def _timestamps(self, key: int, ts: int, n: int) -> np.ndarray | None:
        """Sample times (ns, float64: the whole ns nearest each, as the SDK rounds them) of a
        frame of ``n`` samples whose last is at ``ts``, or None for a repeated frame."""
        prev = self._prev_ts.get(key)
        if prev is not None and ts == prev:
            return None
        nominal = 1e9 / self.rate_hz
        if prev and ts > prev and (self.max_rate_error is None or
                                   abs((ts - prev) / n / nominal - 1) <= self.max_rate_error):
            delta = (ts - prev) / n
            first = prev + delta
        else:
            delta = nominal
            first = ts - delta * (n - 1)
        self._prev_ts[key] = ts
        t = np.empty(n)
        t[:-1] = np.rint(first + delta * np.arange(n - 1))   # round half to even, like round()
        t[-1] = ts
        return t


class PolarEncoder(EncoderBase):
    """H10: raw int16 mG frames (type 0x01); Verity: delta frames (0x80) with FACTOR 2.44e-4.
    Frames hold up to 36 samples, as many as fit MTU 232 (226-byte frames as in the vendor
    vector)."""

    factor = 2.44e-4
    max_frame = 229

    def __init__(self, profile: PolarProfile, rate_hz: float):
        super().__init__(profile, rate_hz)
        self.samples_per_packet = 36
        self.frame_type = 0x01 if profile.model == "h10" else 0x80

    def _pack(self, t_s, acc_g, gyro_dps):
        out, i = [], 0
        while i < len(t_s):
            m = len(t_s) - i
            while True:
                frame = self._frame(t_s[i:i + m], acc_g[i:i + m])
                if len(frame) <= self.max_frame or m == 1:
                    break
                m -= 1
            out.append((DATA, frame))
            i += m
        return out

    def _frame(self, t_s, acc_g):
        head = bytes([ACC]) + struct.pack("<Q", round(t_s[-1] * 1e9)) + bytes([self.frame_type])
        if self.frame_type == 0x01:
            return head + to_int(acc_g, 1e-3).astype("<i2").tobytes()
        return head + encode_delta_frames(to_int(acc_g, self.factor))

    def responses(self, char_uuid, written):
        if char_uuid.lower() != CP or len(written) < 2:
            return []
        op, mtype = written[0], written[1]
        if mtype != ACC or op not in (GET_SETTINGS, START, STOP):
            return [(CP, bytes([0xF0, op, mtype, 3, 0]))]        # NOT_SUPPORTED
        params = b""
        if op == GET_SETTINGS:
            p = self.profile
            rates, ranges, with_ch = MODELS[p.model]
            params = (bytes([SAMPLE_RATE, len(rates)]) + b"".join(struct.pack("<H", r) for r in rates)
                      + bytes([RESOLUTION, 1]) + struct.pack("<H", 16)
                      + bytes([RANGE, len(ranges)]) + b"".join(struct.pack("<H", r) for r in ranges)
                      + (bytes([CHANNELS, 1, 3]) if with_ch else b""))
        elif op == START and self.frame_type == 0x80:
            params = encode_settings({FACTOR: self.factor})
        return [(CP, bytes([0xF0, op, mtype, 0, 0]) + params)]
