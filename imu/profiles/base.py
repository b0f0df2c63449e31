"""Common types for BLE sensor profiles: decoded samples, profiles, decoders, encoders.

Units everywhere: seconds (``t_s``), g (``acc_g``, 1 g = 9.80665 m/s²), deg/s (``gyro_dps``).

A *profile* knows how to recognise a device from its advertisement, which characteristics to
subscribe, and which bytes to write to start/stop streaming.  A *decoder* (one per connection,
from :meth:`Profile.new_decoder`) turns notification bytes into :class:`Samples`; it raises only
:class:`DecodeError` on bad bytes.  An *encoder* (from :func:`Encoder`) does the reverse: it turns
sample blocks into the notification bytes a real device would send (simulated sensors, tests).

Typical use with bleak::

    profile = recognise(adv.local_name, adv.service_uuids)      # a fresh copy for this device
    for uuid in profile.notify_uuids:
        await client.start_notify(uuid, lambda ch, d, u=uuid: queue.put_nowait((u, bytes(d))))
    for uuid, data in profile.start_commands(rate_hz=100):
        await client.write_gatt_char(uuid, data, response=profile.write_response)
        await asyncio.sleep(profile.command_gap_s)
    decoder = profile.new_decoder()          # uses the rate of the last start_commands() call
    ...  batches = decoder.decode(uuid, data)

After a reconnect, a profile that can resume (DIY) gives ``resume_commands(rate_hz, last_t_s)``
instead: the sensor re-sends what it sampled after ``last_t_s`` while the link was down. Read
``resume_status_uuid`` afterwards; if ``resume_answer(value)`` is not True, send the start commands.
"""
from __future__ import annotations

import abc
import copy
import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

BT_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"


HELD = -1  #: what :meth:`Decoder.queue` returns for a notification taken in whose samples come with a later one's


class DecodeError(ValueError):
    """The only exception a decoder raises on bad bytes."""


def normalize_uuid(uuid: str) -> str:
    """Lower-case 128-bit form; 16/32-bit SIG short forms ("2a37", "0x2A37") are expanded."""
    return _normalize(str(uuid))


@functools.lru_cache(maxsize=256)       # decoders normalise every notification's uuid
def _normalize(uuid: str) -> str:
    s = uuid.strip().lower()
    if s.startswith("0x"):
        s = s[2:]
    if len(s) == 4:
        return f"0000{s}{BT_BASE_SUFFIX}"
    if len(s) == 8:
        return f"{s}{BT_BASE_SUFFIX}"
    return s


class UuidMatch:
    """Tells whether a characteristic uuid, in any spelling, is ``uuid``: ``UuidMatch(NOTIFY)(char_uuid)``.
    The spelling last seen to match is told by one string comparison (a link gives every notification
    the same string), others are normalised (:func:`normalize_uuid`) first."""

    def __init__(self, uuid: str):
        self.uuid = normalize_uuid(uuid)
        self._as_given = self.uuid

    def __call__(self, char_uuid: str) -> bool:
        if char_uuid == self._as_given:
            return True
        if normalize_uuid(char_uuid) != self.uuid:
            return False
        self._as_given = char_uuid
        return True


@dataclass
class Samples:
    """Samples decoded from one notification (or one reassembled packet).

    ``t_s``: sensor time of each sample in seconds (device clock, arbitrary origin) or ``None``
    when the device sends no timestamps; ``acc_g``: (n, 3) g; ``gyro_dps``: (n, 3) deg/s or
    ``None``; ``seq``: packet sequence number where the profile has one (raw, it wraps at
    ``Profile.seq_modulus``).
    """

    t_s: np.ndarray | None
    acc_g: np.ndarray
    gyro_dps: np.ndarray | None
    seq: int | None = None

    def __post_init__(self) -> None:
        self.acc_g = np.asarray(self.acc_g, dtype=np.float64).reshape(-1, 3)
        n = len(self.acc_g)
        if self.gyro_dps is not None:
            self.gyro_dps = np.asarray(self.gyro_dps, dtype=np.float64).reshape(-1, 3)
            assert len(self.gyro_dps) == n
        if self.t_s is not None:
            self.t_s = np.asarray(self.t_s, dtype=np.float64).reshape(-1)
            assert len(self.t_s) == n

    @classmethod
    def trusted(cls, t_s: np.ndarray | None, acc_g: np.ndarray, gyro_dps: np.ndarray | None,
                seq: int | None = None) -> Samples:
        """The same batch without the conversions and checks, for arrays that already have
        them: float64, ``acc_g``/``gyro_dps`` (n, 3), ``t_s`` (n,) (decoders' hot path)."""
        s = cls.__new__(cls)
        s.t_s, s.acc_g, s.gyro_dps, s.seq = t_s, acc_g, gyro_dps, seq
        return s

    @property
    def n(self) -> int:
        return len(self.acc_g)


class Decoder(abc.ABC):
    """Stateful notification decoder for one connection (create a new one per connection).

    ``decode(char_uuid, data)`` returns zero or more :class:`Samples` batches.  Notifications on
    characteristics the profile does not stream from return ``[]``.  Any failure while parsing
    is reported as :class:`DecodeError` (a safety net converts unexpected exceptions too; set
    ``safety_net = False`` to see them raw, as the fuzz tests do).
    """

    safety_net: bool = True

    def decode(self, char_uuid: str, data: bytes) -> list[Samples]:
        try:
            return self._decode(normalize_uuid(char_uuid), bytes(data))
        except DecodeError:
            raise
        except Exception as exc:  # noqa: BLE001 - the contract: only DecodeError escapes
            if not self.safety_net:
                raise
            raise DecodeError(f"{type(exc).__name__}: {exc}") from exc

    @abc.abstractmethod
    def _decode(self, char_uuid: str, data: bytes) -> list[Samples]:
        """``char_uuid`` is normalised (lower-case 128-bit); ``data`` is ``bytes``."""

    def queue(self, char_uuid: str, data: bytes) -> int:
        """Decoding in batches, for profiles that send one or a few samples per notification: if ``data``
        is a plain data notification (whole, well-formed samples without time stamps or sequence numbers,
        nothing held from earlier notifications), it is queued for :meth:`take_queued` and its number of
        samples returned; otherwise 0 (queue nothing: :meth:`decode` it, after taking what is queued). The
        samples are the ones :meth:`decode` gives, with one numpy call for many notifications instead of
        several per notification. A decoder that pairs notifications (MetaWear's acc and gyro) may also take
        one in that :meth:`decode` would hold for its partner (it gives no samples): it returns ``HELD``.
        Decoders without a batched path queue nothing."""
        return 0

    def take_queued(self) -> Samples | None:
        """The samples of the notifications queued (:meth:`queue`) since the last call, in order, as one
        batch (``t_s`` None), or None if none are."""
        return None


def snap_rate(rate_hz: float, rates_hz: tuple[float, ...]) -> float:
    """Smallest supported rate >= the request (5 % slack, so 25 Hz -> 25 not 50), else the max."""
    ok = [r for r in sorted(rates_hz) if r >= 0.95 * rate_hz]
    return float(ok[0] if ok else max(rates_hz))


class Profile(abc.ABC):
    """A supported sensor family.  Instances in :data:`PROFILES` hold default options; use
    :func:`recognise` (which returns a fresh copy) or construct one with options."""

    name: ClassVar[str]
    has_gyro: bool = True
    has_timestamps: ClassVar[bool] = False    #: notifications carry sensor time
    seq_modulus: ClassVar[int | None] = None  #: Samples.seq wraps at this value (None: no seq)
    service_uuid: ClassVar[str]
    notify_uuids: list[str]
    rates_hz: tuple[float, ...]               #: rates the device can be configured to
    default_rate_hz: float
    command_gap_s: ClassVar[float] = 0.0      #: pause to leave between successive command writes
    write_response: ClassVar[bool] = True     #: write-with-response for the commands
    name_prefixes: ClassVar[tuple[str, ...]] = ()
    advertised_uuids: ClassVar[tuple[str, ...]] = ()
    resume_status_uuid: ClassVar[str | None] = None  #: read after resume_commands() (None: cannot resume)

    _rate_hz: float | None = None             # set by start_commands()

    # -- recognition --------------------------------------------------------------------------
    def matches(self, name: str | None, service_uuids: list[str]) -> bool:
        """True if the advertisement (local name and/or service UUIDs) is one of ours."""
        uuids = {normalize_uuid(u) for u in service_uuids or ()}
        if uuids & {normalize_uuid(u) for u in self.advertised_uuids}:
            return True
        return bool(name) and name.strip().lower().startswith(
            tuple(p.lower() for p in self.name_prefixes))

    def for_device(self, name: str | None) -> Profile:
        """A fresh copy for one device (subclasses pick model variants from the name)."""
        return copy.copy(self)

    # -- configuration ------------------------------------------------------------------------
    def device_rate_hz(self, rate_hz: float) -> float:
        """The rate the device will actually run at when asked for ``rate_hz``."""
        return snap_rate(rate_hz, self.rates_hz)

    def start_commands(self, rate_hz: float) -> list[tuple[str, bytes]]:
        """(characteristic uuid, bytes) writes that configure rate/range and start streaming,
        in order.  Subscribe to :attr:`notify_uuids` first.  Remembers the rate for
        :meth:`new_decoder`."""
        self._rate_hz = self.device_rate_hz(rate_hz)
        return self._start_commands(self._rate_hz)

    @abc.abstractmethod
    def _start_commands(self, rate_hz: float) -> list[tuple[str, bytes]]: ...

    @abc.abstractmethod
    def stop_commands(self) -> list[tuple[str, bytes]]: ...

    def resume_commands(self, rate_hz: float, last_t_s: float) -> list[tuple[str, bytes]] | None:
        """Writes that configure the sensor like :meth:`start_commands` and resume streaming with
        the samples it took after sensor time ``last_t_s`` (s, as this profile's decoders give
        ``Samples.t_s``: the newest sample received before a disconnect), or None if the profile
        cannot resume."""
        return None

    def resume_answer(self, status: bytes) -> bool | None:
        """From a read of :attr:`resume_status_uuid` after :meth:`resume_commands`: True if the
        sensor resumed, False if it refused (send :meth:`start_commands`), None if the value does
        not answer the resume command (yet)."""
        return None

    def _rate(self, rate_hz: float | None) -> float:
        if rate_hz is not None:
            return self.device_rate_hz(rate_hz)
        return self._rate_hz if self._rate_hz is not None else float(self.default_rate_hz)

    @abc.abstractmethod
    def new_decoder(self, rate_hz: float | None = None) -> Decoder:
        """A decoder for one connection.  ``rate_hz`` defaults to the rate of the last
        :meth:`start_commands` call on this instance, else :attr:`default_rate_hz`."""

    @abc.abstractmethod
    def new_encoder(self, rate_hz: float | None = None) -> EncoderBase: ...

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class EncoderBase(abc.ABC):
    """Turns sample blocks into the notifications a real device would send.

    ``packets(t_s, acc_g, gyro_dps)`` buffers the samples and returns ``[(char_uuid, bytes)]``;
    with ``flush=True`` (default) a final short packet carries the remainder, with
    ``flush=False`` the remainder waits for the next call (streaming simulation).
    ``t_s`` may be ``None``: times then continue at the nominal rate.
    ``responses(char_uuid, written)`` gives the notifications a device sends in reply to a
    command write (e.g. the Polar control-point response carrying FACTOR).
    """

    samples_per_packet: int = 1

    def __init__(self, profile: Profile, rate_hz: float):
        self.profile = profile
        self.rate_hz = float(rate_hz)
        self._t = np.zeros(0)
        self._a = np.zeros((0, 3))
        self._g = np.zeros((0, 3))
        self._n_total = 0

    def packets(self, t_s, acc_g, gyro_dps=None, flush: bool = True) -> list[tuple[str, bytes]]:
        acc = np.asarray(acc_g, dtype=np.float64).reshape(-1, 3)
        n = len(acc)
        gyro = np.zeros((n, 3)) if gyro_dps is None else np.asarray(gyro_dps, float).reshape(-1, 3)
        t = ((self._n_total + np.arange(n)) / self.rate_hz if t_s is None
             else np.asarray(t_s, dtype=np.float64).reshape(-1))
        if len(t) != n or len(gyro) != n:
            raise ValueError("t_s, acc_g and gyro_dps must have the same number of samples")
        self._n_total += n
        self._t = np.concatenate([self._t, t])
        self._a = np.concatenate([self._a, acc])
        self._g = np.concatenate([self._g, gyro])
        out: list[tuple[str, bytes]] = []
        k = self.samples_per_packet
        while len(self._t) >= k or (flush and len(self._t)):
            m = min(k, len(self._t))
            out += self._pack(self._t[:m], self._a[:m], self._g[:m])
            self._t, self._a, self._g = self._t[m:], self._a[m:], self._g[m:]
        return out

    def responses(self, char_uuid: str, written: bytes) -> list[tuple[str, bytes]]:
        return []

    @abc.abstractmethod
    def _pack(self, t_s: np.ndarray, acc_g: np.ndarray,
              gyro_dps: np.ndarray) -> list[tuple[str, bytes]]:
        """Notifications for up to ``samples_per_packet`` samples."""


def Encoder(profile: Profile, rate_hz: float | None = None) -> EncoderBase:  # noqa: N802
    """``Encoder(profile).packets(t_s, acc_g, gyro_dps) -> [(char_uuid, bytes)]``."""
    return profile.new_encoder(rate_hz)


def to_int(values: np.ndarray, lsb: float, bits: int = 16) -> np.ndarray:
    """Quantise physical values to signed ``bits``-bit integers (round, saturate)."""
    lim = 1 << (bits - 1)
    return np.clip(np.rint(np.asarray(values, float) / lsb), -lim, lim - 1).astype(np.int64)


class Unwrapper:
    """Unwraps a wrapping unsigned counter (u32 ms/µs clocks) into a monotonic integer."""

    def __init__(self, bits: int):
        self.mod = 1 << bits
        self.offset = 0
        self.last: int | None = None   # largest unwrapped value so far

    def __call__(self, value: int) -> int:
        v = value + self.offset
        if self.last is not None:
            if v < self.last - self.mod // 2:      # wrapped
                self.offset += self.mod
                v += self.mod
            elif v > self.last + self.mod // 2:    # a late value from before the wrap
                v -= self.mod
        if self.last is None or v > self.last:
            self.last = v
        return v
