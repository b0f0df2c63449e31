"""One sensor connection that survives link failures: connect, subscribe, start streaming, and on
an unsolicited disconnect reconnect with exponential backoff, a fresh scan and a **fresh
``BleakClient`` for every attempt**, re-subscribing and re-sending the start commands (the sensors
stop streaming when the link drops; reference ``ble_sensors.md`` §7).

The notification callback only queues ``(arrival time, connection number, characteristic, bytes)``
on :attr:`Link.items` and sets :attr:`Link.wakeup`; decoding happens in the consumer
(:mod:`imu.live.stream`). The connection number tells the consumer when to start a new decoder.

Order of operations per connection: subscribe to ``profile.notify_uuids`` then write
``profile.start_commands(rate)`` (``command_gap_s`` apart). Profiles without stop commands
(WitMotion, Thingy:52) start streaming on subscription, so their configuration is written first.

**Resume.** On a reconnect, when the profile can resume (DIY) and ``resume_from()`` gives the
sensor time of the newest sample received (the consumer knows it: the link never decodes), the
link writes ``profile.resume_commands(rate, last_t_s)`` instead: the sensor re-sends the samples
it took while the link was down, then streams live. The link then reads the profile's status
until it answers; a refusal (a firmware without RESUME) or no answer within ``resume_timeout_s``
falls back to the start commands.

**A sensor that is not of its profile.** If the first connections (``MISSING_CHAR_ATTEMPTS`` in a row) find the
sensor without a characteristic the profile streams from or writes to (``--profile`` forcing another sensor's
profile, say), retrying cannot help: the link gives up and says why in ``stats.gave_up``, which ends the session
(``gave_up`` in ``link.json``). Once a connection has streamed, every failure is retried.
"""
from __future__ import annotations

import asyncio
import functools
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from bleak import BleakClient
from bleak.exc import BleakCharacteristicNotFoundError, BleakError

from imu.profiles import Profile
from imu.profiles.base import normalize_uuid

from .clock import RealClock
from .scan import Found, find

MISSING_CHAR_ATTEMPTS = 3  #: first connections in a row without the profile's characteristic before giving up


@dataclass
class LinkStats:
    """Connection history of one sensor (times on the link's clock, s)."""

    connects: int = 0            #: successful connections (the first one included)
    disconnects: int = 0         #: unsolicited disconnects
    reconnects: int = 0          #: successful connections after a disconnect
    resumed: int = 0             #: reconnects where the sensor re-sent what it sampled meanwhile
    resume_refused: int = 0      #: reconnects where it could not (restarted: that data is lost)
    failed_attempts: int = 0     #: connection attempts that failed (not found, errors)
    notifications: int = 0
    bytes: int = 0
    rssi: int | None = None      #: from the last scan that found the sensor
    connected: bool = False
    downtime_s: float = 0.0      #: total time disconnected after the first connection
    last_error: str | None = None
    gave_up: str | None = None   #: why the link stopped trying (the sensor is not of its profile), else None
    events: deque = field(default_factory=lambda: deque(maxlen=20))

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "events"}
        d["downtime_s"] = round(self.downtime_s, 3)
        d["events"] = list(self.events)
        return d


class Link:
    """Keeps one sensor streaming until ``stop`` is set (see the module docstring)."""

    def __init__(self, found: Found, profile: Profile, rate_hz: float, *, scanner_backend=None,
                 client_backend=None, clock=None, scan_timeout_s: float = 10.0,
                 connect_timeout_s: float = 20.0, backoff_s: tuple[float, float] = (0.25, 2.0),
                 log: Callable[[str], None] | None = None, label: str = "",
                 resume_from: Callable[[], float | None] | None = None, resume_timeout_s: float = 0.5):
        self.found, self.profile, self.rate_hz = found, profile, float(rate_hz)
        self.address = found.address
        self.scanner_backend, self.client_backend = scanner_backend, client_backend
        self.clock = clock or RealClock()
        self.scan_timeout_s, self.connect_timeout_s = scan_timeout_s, connect_timeout_s
        self.backoff_s = backoff_s
        self.resume_from, self.resume_timeout_s = resume_from, resume_timeout_s
        self.label = label or (found.name or found.address)
        self._log = log or (lambda msg: None)
        self.items: deque = deque()
        self.wakeup: asyncio.Event | None = None
        self.conn_id = 0
        self.stats = LinkStats(rssi=found.rssi)
        self.client: BleakClient | None = None
        self._lost: asyncio.Event | None = None
        self._down_since: float | None = None
        self._attempts = 0
        self._connected_at = 0.0
        self._resumed: bool | None = None   # the last connection resumed (True), could not (False), did not try
        self.t0 = self.clock.now()

    # ----------------------------------------------------------------- the callback: queue only
    def _on_notify(self, uuid: str, conn: int, _char, data: bytearray) -> None:
        self.items.append((self.clock.now(), conn, uuid, bytes(data)))
        self.wakeup.set()

    def _on_disconnect(self, client: BleakClient) -> None:
        if client is self.client and self._lost is not None:
            self._lost.set()

    def log(self, msg: str) -> None:
        self.stats.events.append(f"{self.clock.now() - self.t0:.1f}s {msg}")
        self._log(f"{self.label}: {msg}")

    # ----------------------------------------------------------------- connection
    async def _connect_once(self) -> None:
        found = self.found
        if self._attempts:                 # not the first attempt: rescan (BlueZ may have forgotten it)
            found = await find(self.address, self.scan_timeout_s, backend=self.scanner_backend)
            if found is None:
                raise ConnectionError("not found in scan")
            self.stats.rssi = found.rssi
        self._attempts += 1
        kw = {"backend": self.client_backend} if self.client_backend is not None else {}
        client = BleakClient(found.device, disconnected_callback=self._on_disconnect,
                             timeout=self.connect_timeout_s, **kw)
        self._lost = asyncio.Event()
        self.client = client
        try:
            await client.connect()
            self._connected_at = self.clock.now()
            conn = self.conn_id + 1
            p = self.profile
            resume = self._resume_commands()
            commands = resume or p.start_commands(self.rate_hz)
            config_first = not p.stop_commands()
            if config_first:
                await self._write(client, commands)
            for uuid in p.notify_uuids:
                u = normalize_uuid(uuid)
                await client.start_notify(u, functools.partial(self._on_notify, u, conn))
            if not config_first:
                await self._write(client, commands)
            self._resumed = await self._resume_accepted(client) if resume else None
            if self._resumed is False:
                self.log("the sensor cannot resume: restarting it (the samples taken meanwhile are lost)")
                await self._write(client, p.start_commands(self.rate_hz))
        except BaseException:
            self.client = None
            try:
                await asyncio.wait_for(client.disconnect(), 2.0)
            except Exception:  # noqa: BLE001 - best effort clean-up of a failed attempt
                pass
            raise
        self.conn_id = conn

    def _resume_commands(self):
        """The profile's resume commands on a reconnect after samples were received, else None."""
        if not self.conn_id or self.resume_from is None or self.profile.resume_status_uuid is None:
            return None
        last_t_s = self.resume_from()
        return None if last_t_s is None else self.profile.resume_commands(self.rate_hz, last_t_s)

    async def _resume_accepted(self, client: BleakClient) -> bool:
        """Reads the profile's status until it answers the resume command: True if resumed."""
        p = self.profile
        uuid = normalize_uuid(p.resume_status_uuid)
        deadline = self.clock.now() + self.resume_timeout_s
        while True:
            try:
                answer = p.resume_answer(bytes(await client.read_gatt_char(uuid)))
            except BleakError:
                if not client.is_connected:
                    raise
                answer = None                      # an unreadable status: ask again, then restart
            if answer is not None:
                return answer
            if self.clock.now() >= deadline:
                return False
            await self.clock.sleep(0.05)

    async def _write(self, client: BleakClient, commands) -> None:
        p = self.profile
        for i, (uuid, data) in enumerate(commands):
            if i and p.command_gap_s:
                await self.clock.sleep(p.command_gap_s)
            await client.write_gatt_char(normalize_uuid(uuid), data, response=p.write_response)

    async def _shutdown(self) -> None:
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        try:
            for uuid, data in self.profile.stop_commands():
                await client.write_gatt_char(normalize_uuid(uuid), data, response=self.profile.write_response)
            for uuid in self.profile.notify_uuids:
                await client.stop_notify(normalize_uuid(uuid))
        except Exception as e:  # noqa: BLE001 - the session ends anyway
            self.log(f"stop commands failed ({type(e).__name__}: {e})")
        try:
            await asyncio.wait_for(client.disconnect(), 5.0)
        except Exception:  # noqa: BLE001
            pass
        self.stats.connected = False

    # ----------------------------------------------------------------- main loop
    async def run(self, stop: asyncio.Event) -> None:
        """Connects and keeps reconnecting until ``stop`` is set, then stops the sensor."""
        self.wakeup = self.wakeup or asyncio.Event()
        failures = missing = 0
        try:
            while not stop.is_set():
                try:
                    await _until(stop, asyncio.wait_for(self._connect_once(), self.connect_timeout_s))
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - any BLE failure: back off and retry
                    if stop.is_set():
                        break
                    failures += 1
                    self.stats.failed_attempts += 1
                    self.stats.last_error = f"{type(e).__name__}: {e}"
                    missing = missing + 1 if isinstance(e, BleakCharacteristicNotFoundError) else 0
                    if missing >= MISSING_CHAR_ATTEMPTS and not self.stats.connects:
                        name = self.profile.name
                        self.stats.gave_up = (f"{self.label}: the sensor has no characteristic {e.char_specifier} of "
                                              f"the {name} profile: is it a {name} sensor? (--profile forces a "
                                              f"profile; without it the profile is recognised from the sensor's "
                                              f"advertisement)")
                        self.log(f"giving up: no characteristic {e.char_specifier} of the {name} profile")
                        break
                    delay = min(self.backoff_s[1], self.backoff_s[0] * 2 ** (failures - 1))
                    self.log(f"connection attempt failed ({self.stats.last_error}); retry in {delay:.2f} s")
                    await _until(stop, self.clock.sleep(delay))
                    continue
                if self.client is None:          # stopped while connecting
                    break
                failures = 0
                now = self._connected_at
                if self.stats.connects:
                    self.stats.reconnects += 1
                    if self._resumed is not None:
                        self.stats.resumed += self._resumed
                        self.stats.resume_refused += not self._resumed
                    if self._down_since is not None:
                        self.stats.downtime_s += now - self._down_since
                    self.log(f"reconnected after {now - (self._down_since or now):.1f} s"
                             + ("; the sensor re-sent what it sampled meanwhile" if self._resumed else ""))
                else:
                    self.log("connected, streaming")
                self.stats.connects += 1
                self.stats.connected = True
                self._down_since = None
                await _until(stop, self._lost.wait())
                if stop.is_set():
                    break
                self.stats.connected = False
                self.stats.disconnects += 1
                self._down_since = self.clock.now()
                self.client = None
                self.log("disconnected; reconnecting")
        finally:
            await self._shutdown()


async def _until(stop: asyncio.Event, aw) -> None:
    """Awaits ``aw`` unless ``stop`` is set first (then ``aw`` is cancelled)."""
    task = asyncio.ensure_future(aw)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task in done:
        task.result()
    else:
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):  # noqa: BLE001
            pass
