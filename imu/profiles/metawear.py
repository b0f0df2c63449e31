"""MbientLab MetaWear / MetaMotion (BMI160 and BMI270 boards), raw GATT command protocol.

Reference: ble_sensors.md §5 (MetaWear-SDK-Cpp, vendor tests test_accelerometer_bmi160.py,
test_accelerometer_bmi270.py, test_gyro_bmi160.py).

Commands and notifications are ``<module> <register> <payload>``: accelerometer module 0x03,
gyro 0x13.  Streaming: config -> subscribe -> enable -> start; stop in reverse.
Data: ``03 04`` + int16 xyz, packed ``03 1C`` (BMI270: ``03 05``) + 3 samples; gyro ``13 05``,
packed ``13 07``.  No timestamps (``t_s=None``); acc and gyro come in separate notifications
on the one notify characteristic and are paired here in arrival order (see :class:`MetaWearDecoder`).

Board type: not visible in the advertisement; pass ``MetaWearProfile(board="bmi270")`` or read
the accelerometer module info (``03 80``, :meth:`MetaWearProfile.probe_commands`; the reply's
implementation byte is 1 = BMI160, 4 = BMI270 per the SDK constants) [?].  Gyro streaming is
documented for BMI160 boards only; BMI270 boards stream acc only here [?].
"""
from __future__ import annotations

import numpy as np

from .base import HELD, Decoder, DecodeError, EncoderBase, Profile, Samples, UuidMatch, to_int

SERVICE = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY = "326a9006-85cb-9195-d9dd-464cfbbae75a"
ACC, GYRO = 0x03, 0x13
POWER, INT_ENABLE, CONFIG, DATA = 0x01, 0x02, 0x03, 0x04
GYRO_DATA, GYRO_PACKED = 0x05, 0x07
ACC_PACKED = {"bmi160": 0x1C, "bmi270": 0x05}
ACC_ODR = {
    "bmi160": {12.5: 0x25, 25: 0x26, 50: 0x27, 100: 0x28, 200: 0x29, 400: 0x2A, 800: 0x2B,
               1600: 0x2C},
    "bmi270": {12.5: 0xA5, 25: 0xA6, 50: 0xA7, 100: 0xA8, 200: 0xA9, 400: 0xAA, 800: 0xAB,
               1600: 0xAC},
}
ACC_RANGE = {"bmi160": {2: 0x03, 4: 0x05, 8: 0x08, 16: 0x0C},
             "bmi270": {2: 0x00, 4: 0x01, 8: 0x02, 16: 0x03}}
# BMI160 GYR_CONF = 0x20 (normal filter) | ODR code; 50/100/200 Hz are in the vendor tests,
# 25/400 Hz follow the same register layout (BMI160 datasheet) [?].
GYRO_ODR = {25: 0x26, 50: 0x27, 100: 0x28, 200: 0x29, 400: 0x2A}
GYRO_RANGE = {2000: 0x00, 1000: 0x01, 500: 0x02, 250: 0x03, 125: 0x04}
GYRO_LSB_PER_DPS = {2000: 16.4, 1000: 32.8, 500: 65.6, 250: 131.2, 125: 262.4}
MODULE_IMPL = {1: "bmi160", 4: "bmi270"}
SAMPLE_BYTES = 6                   # one int16 xyz sample
_XYZ = np.dtype(("<i2", (3,)))     # ... as np.frombuffer reads it: (n, 3)


class MetaWearProfile(Profile):
    name = "metawear"
    service_uuid = SERVICE
    advertised_uuids = (SERVICE,)
    name_prefixes = ("MetaWear", "MetaMotion")
    write_response = False          # the SDK writes most commands without response [?]
    default_rate_hz = 100.0

    def __init__(self, board: str = "bmi160", acc_range_g: int = 8,
                 gyro_range_dps: int = 1000, gyro: bool = True, packed: bool | None = None):
        if board not in ACC_ODR:
            raise ValueError("board must be 'bmi160' or 'bmi270'")
        self.board, self.acc_range_g, self.gyro_range_dps = board, acc_range_g, gyro_range_dps
        self.has_gyro = gyro and board == "bmi160"
        self.packed = packed        # None: packed above 100 Hz
        self.notify_uuids = [NOTIFY]
        self.rates_hz = tuple(GYRO_ODR if self.has_gyro else ACC_ODR[board])

    def probe_commands(self) -> list[tuple[str, bytes]]:
        """Read the accelerometer module info; the decoder records ``detected_board``."""
        return [(COMMAND, bytes([ACC, 0x80]))]

    def is_packed(self, rate_hz: float) -> bool:
        return self.packed if self.packed is not None else rate_hz > 100

    def _start_commands(self, rate_hz):
        packed = self.is_packed(rate_hz)
        rate = min(ACC_ODR[self.board], key=lambda r: abs(r - rate_hz))
        acc_reg = ACC_PACKED[self.board] if packed else DATA
        cmds = [bytes([ACC, CONFIG, ACC_ODR[self.board][rate], ACC_RANGE[self.board][self.acc_range_g]])]
        if self.has_gyro:
            cmds.append(bytes([GYRO, CONFIG, GYRO_ODR[rate], GYRO_RANGE[self.gyro_range_dps]]))
        cmds.append(bytes([ACC, acc_reg, 1]))
        if self.has_gyro:
            cmds.append(bytes([GYRO, GYRO_PACKED if packed else GYRO_DATA, 1]))
        cmds.append(bytes([ACC, INT_ENABLE, 1, 0]))
        if self.has_gyro:
            cmds.append(bytes([GYRO, INT_ENABLE, 1, 0]))
        cmds.append(bytes([ACC, POWER, 1]))
        if self.has_gyro:
            cmds.append(bytes([GYRO, POWER, 1]))
        return [(COMMAND, c) for c in cmds]

    def stop_commands(self):
        rate = self._rate_hz or self.default_rate_hz
        packed = self.is_packed(rate)
        mods = [(ACC, ACC_PACKED[self.board] if packed else DATA)]
        if self.has_gyro:
            mods.append((GYRO, GYRO_PACKED if packed else GYRO_DATA))
        cmds = [bytes([m, POWER, 0]) for m, _ in mods]
        cmds += [bytes([m, INT_ENABLE, 0, 1]) for m, _ in mods]
        cmds += [bytes([m, reg, 0]) for m, reg in mods]
        return [(COMMAND, c) for c in cmds]

    def new_decoder(self, rate_hz=None):
        return MetaWearDecoder(self.board, self.acc_range_g, self.gyro_range_dps, self.has_gyro)

    def new_encoder(self, rate_hz=None):
        return MetaWearEncoder(self, self._rate(rate_hz))


class MetaWearDecoder(Decoder):
    """Acc (and gyro) notifications -> g (deg/s).  With gyro, samples are paired in arrival
    order; when one stream runs ``max_lag`` samples ahead (the other stalled or lost packets),
    the excess acc is emitted with ``gyro_dps=None`` and excess gyro is dropped.

    Once the stream shows which kind comes first in each pair (``order_pairs`` pairs, nearly all the
    same way), a lost notification is seen where the alternation breaks: the leading kind twice in a
    row (the first lost its partner), or the trailing kind with nothing to pair with (its partner was
    lost). That acc goes out alone (``gyro_dps=None``: the stream holds the last gyro), that gyro with
    the last acc held, so that no turn of the leg is lost from the fusion. Pairing by count alone
    shifted every later acc onto the next sample's gyro until the lag passed ``max_lag``, and a lost
    acc took its gyro's turn with it: in brisk reps with 5 % of the notifications lost, the leg angle
    at rest drifted up to ~30 deg."""

    max_lag = 12
    order_pairs = 8

    def __init__(self, board="bmi160", acc_range_g=8, gyro_range_dps=1000, gyro=True):
        self.board, self.gyro = board, gyro
        self.acc_lsb_g = acc_range_g / 32768.0
        self.gyro_lsb_dps = 1.0 / GYRO_LSB_PER_DPS[gyro_range_dps]
        self._acc = self._gyr = b""         # raw int16 xyz samples waiting for their pair (6 bytes each)
        self.detected_board: str | None = None
        self.dropped_gyro = 0
        self._prev_kind: int | None = None  # ACC or GYRO: the last data notification's module
        self._leads = {ACC: 0, GYRO: 0}     # pairs completed right after a notification of that kind
        self._last_acc: bytes | None = None  # the last acc sample paired, raw (held for a lost one)
        self._headers = self._data_headers()
        self._pair_lsb: dict[int, np.ndarray] = {}  # k -> (2k, 1): acc's lsb for k rows, then gyro's
        self._queued: tuple[list[bytes], list[bytes]] = ([], [])  # raw acc and gyro of the pairs queued
        self._is_notify = UuidMatch(NOTIFY)

    @property
    def pending(self) -> tuple[int, int]:
        """Acc and gyro samples waiting for their pair."""
        return len(self._acc) // SAMPLE_BYTES, len(self._gyr) // SAMPLE_BYTES

    def _data_headers(self) -> dict[bytes, tuple[int, int]]:
        """The 2-byte headers of data notifications -> (module, samples)."""
        return {bytes([ACC, DATA]): (ACC, 1), bytes([ACC, ACC_PACKED[self.board]]): (ACC, 3),
                bytes([GYRO, GYRO_DATA]): (GYRO, 1), bytes([GYRO, GYRO_PACKED]): (GYRO, 3)}

    def _decode(self, char_uuid, data):
        if char_uuid != NOTIFY:
            return []
        if len(data) < 2:
            raise DecodeError("metawear: notification shorter than 2 bytes")
        header = self._headers.get(data[:2])
        if header is None:  # other module/register replies
            if data[:2] == bytes([ACC, 0x80]) and len(data) > 2:
                self.detected_board = MODULE_IMPL.get(data[2])
            return []
        kind, n = header
        if len(data) != 2 + SAMPLE_BYTES * n:
            raise DecodeError(f"metawear: expected {n} samples, got {len(data) - 2} bytes")
        new = data[2:]
        if not self.gyro:
            return [] if kind == GYRO else [self._acc_alone(new)]
        out, alone = self._unpartnered(kind, new)
        if alone:  # an acc alone, a gyro with the last acc held (the fusion integrates the leg's turn)
            return out + (self._with_held_acc(new) if kind == GYRO else [self._acc_alone(new)])
        if kind == ACC:
            self._acc += new
        else:
            self._gyr += new
        return out + self._flush()

    def queue(self, char_uuid, data):
        """With the gyroscope, a data notification that pairs as it comes (see :meth:`Decoder.queue`):
        nothing of its kind waiting, and of the other kind as many samples as it brings (the pair is queued
        for :meth:`take_queued`: its samples are returned) or none while it leads the learned order or the
        order is not learned yet (it waits for its partner: ``HELD``). Either way the pairing goes on as
        :meth:`_decode` would take it; anything else (a lost partner shows) is left to :meth:`_decode`."""
        header = self._headers.get(data[:2]) if self.gyro and isinstance(data, bytes) else None
        if header is None or len(data) != 2 + SAMPLE_BYTES * header[1] or not self._is_notify(char_uuid):
            return 0
        kind, n = header
        new = data[2:]
        mine, other = (self._acc, self._gyr) if kind == ACC else (self._gyr, self._acc)
        if mine or len(other) not in (0, len(new)):
            return 0
        if not other:  # it waits for its partner, unless it is the trailing kind (then its partner was lost)
            order = self._order()
            if order is not None and kind == order[1]:
                return 0
        self._unpartnered(kind, new)  # (the pairing's bookkeeping: nothing is unpartnered here)
        if not other:
            if kind == ACC:
                self._acc = new
            else:
                self._gyr = new
            return HELD
        acc, gyr = (new, other) if kind == ACC else (other, new)
        self._acc = self._gyr = b""
        self._last_acc = acc[-SAMPLE_BYTES:]
        self._queued[0].append(acc)
        self._queued[1].append(gyr)
        return n

    def take_queued(self):
        accs, gyrs = self._queued
        if not accs:
            return None
        self._queued = ([], [])
        return self._pair(b"".join(accs), b"".join(gyrs))

    def _order(self) -> tuple[int, int] | None:
        """(leading, trailing) kind of the pairs, once ``order_pairs`` of them show it; None before."""
        lead, trail = (ACC, GYRO) if self._leads[ACC] >= self._leads[GYRO] else (GYRO, ACC)
        if self._leads[lead] < self.order_pairs or self._leads[trail] * 4 > self._leads[lead]:
            return None
        return lead, trail

    def _unpartnered(self, kind: int, new: bytes) -> tuple[list[Samples], bool]:
        """Before the raw samples ``new`` of a notification of ``kind`` are queued: (what a break in the
        learned alternation shows lost its partner, whether ``new`` itself did) (see the class
        docstring); also counts which kind leads the pairs."""
        prev, self._prev_kind = self._prev_kind, kind
        mine, other = (self._acc, self._gyr) if kind == ACC else (self._gyr, self._acc)
        if prev is not None and prev != kind and len(other) == len(new) and not mine:
            self._leads[prev] += 1  # this one completes a pair the other kind began
        order = self._order()
        if order is None:
            return [], False  # the order is not known yet: pairing by count alone
        lead, trail = order
        if kind == trail:
            return [], not other  # nothing of the leading kind to pair with: its partner was lost
        if prev != lead or not mine or other:
            return [], False
        # the leading kind twice in a row: the first one's partner was lost
        if kind == ACC:
            acc, self._acc = self._acc, b""
            return [self._acc_alone(acc)], False
        gyr, self._gyr = self._gyr, b""
        return self._with_held_acc(gyr), False

    def _acc_alone(self, acc: bytes) -> Samples:
        """Raw acc samples without gyro."""
        return Samples.trusted(None, np.frombuffer(acc, dtype=_XYZ) * self.acc_lsb_g, None)

    def _with_held_acc(self, gyr: bytes) -> list[Samples]:
        """Raw gyro samples whose acc notification was lost, with the last acc sample held (dropped if
        there is none yet)."""
        n = len(gyr) // SAMPLE_BYTES
        if self._last_acc is None:
            self.dropped_gyro += n
            return []
        acc = np.frombuffer(self._last_acc * n, dtype=_XYZ) * self.acc_lsb_g
        return [Samples.trusted(None, acc, np.frombuffer(gyr, dtype=_XYZ) * self.gyro_lsb_dps)]

    def _pair(self, acc: bytes, gyr: bytes) -> Samples:
        """Samples of as many raw acc and gyro samples, scaled in one go (g, deg/s)."""
        k = len(acc) // SAMPLE_BYTES
        lsb = self._pair_lsb.get(k)
        if lsb is None:
            lsb = self._pair_lsb[k] = np.repeat([[self.acc_lsb_g], [self.gyro_lsb_dps]], k, axis=0)
        v = np.frombuffer(acc + gyr, dtype=_XYZ) * lsb
        return Samples.trusted(None, v[:k], v[k:])

    def _flush(self) -> list[Samples]:
        out = []
        k = min(len(self._acc), len(self._gyr))
        if k:
            (acc, self._acc), (gyr, self._gyr) = _split(self._acc, k), _split(self._gyr, k)
            out.append(self._pair(acc, gyr))
            self._last_acc = acc[-SAMPLE_BYTES:]
        if len(self._acc) > self.max_lag * SAMPLE_BYTES:
            out.append(self._acc_alone(self._acc))
            self._acc = b""
        if len(self._gyr) > self.max_lag * SAMPLE_BYTES:
            self.dropped_gyro += len(self._gyr) // SAMPLE_BYTES
            self._gyr = b""
        return out


def _split(pending: bytes, k: int) -> tuple[bytes, bytes]:
    """The first ``k`` bytes of ``pending`` and the rest."""
    return (pending, b"") if len(pending) == k else (pending[:k], pending[k:])


class MetaWearEncoder(EncoderBase):
    """Packed notifications (3 samples) when the profile streams packed, else one per sample;
    a short remainder goes out as single-sample notifications."""

    def __init__(self, profile: MetaWearProfile, rate_hz: float):
        super().__init__(profile, rate_hz)
        self.packed = profile.is_packed(rate_hz)
        self.samples_per_packet = 3 if self.packed else 1

    def _pack(self, t_s, acc_g, gyro_dps):
        p = self.profile
        acc = to_int(acc_g, p.acc_range_g / 32768).astype("<i2")
        gyr = to_int(gyro_dps, 1 / GYRO_LSB_PER_DPS[p.gyro_range_dps]).astype("<i2")
        out = []
        if self.packed and len(acc) == 3:
            out.append((NOTIFY, bytes([ACC, ACC_PACKED[p.board]]) + acc.tobytes()))
            if p.has_gyro:
                out.append((NOTIFY, bytes([GYRO, GYRO_PACKED]) + gyr.tobytes()))
            return out
        for a, g in zip(acc, gyr):
            out.append((NOTIFY, bytes([ACC, DATA]) + a.tobytes()))
            if p.has_gyro:
                out.append((NOTIFY, bytes([GYRO, GYRO_DATA]) + g.tobytes()))
        return out

    def responses(self, char_uuid, written):
        if char_uuid.lower() == COMMAND and bytes(written) == bytes([ACC, 0x80]):
            impl = {v: k for k, v in MODULE_IMPL.items()}[self.profile.board]
            return [(NOTIFY, bytes([ACC, 0x80, impl, 0]))]
        return []
