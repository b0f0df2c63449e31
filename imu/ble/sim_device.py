"""A simulated BLE IMU: advertises like the real device, answers GATT operations like its
firmware (:mod:`imu.ble.sim_gatt`) and streams a simulated leg-lift session in the profile's
real byte format (the profile's :class:`~imu.profiles.base.EncoderBase`), with faults
(:mod:`imu.ble.faults`).

Time: *stream time* is the simulator's clock (the sensor's sample times, s from the start of the
session); the sensor's own timestamps are stream time plus a random clock origin (so 32-bit
clocks wrap at random moments), and with ``drift_ppm`` stream time runs that much faster than
host time. The session starts streaming the moment the host first starts the sensor; samples
taken while the sensor is disconnected or stopped are lost, as with the real devices, except
that the DIY firmware keeps sampling into its ring after a disconnect and RESUME re-sends them
(``firmware_notes/diy_profile.md`` §4): the ring holds what was sampled since the last START,
newest ``ring_samples`` only, until ``hold_s`` after a disconnect.
"""
from __future__ import annotations

import asyncio
from typing import Callable

import numpy as np

from imu.profiles import PROFILES, Profile

from .faults import FaultInjector, Faults
from .sim_gatt import FIRMWARE, GATT, MTU, norm

#: (t_s, acc_g, gyro_dps) of a whole session at a given rate
DataSource = Callable[[float], tuple[np.ndarray, np.ndarray, np.ndarray]]

START_DELAY_S = 0.02


def clock_origin_s(profile_name: str, rng: np.random.Generator) -> float:
    """A random origin for the sensor's clock (the 32-bit µs/ms clocks wrap somewhere)."""
    if profile_name == "diy":
        return float(rng.uniform(0, 2 ** 32 * 1e-6))
    if profile_name == "polar":            # ns since 2000-01-01, around 2025
        return 7.9e8 + float(rng.uniform(0, 1e6))
    return float(rng.uniform(0, 1e6))


class SimDevice:
    """One simulated sensor. Created by :class:`imu.ble.sim_world.SimWorld`."""

    def __init__(self, world, profile_name: str, name: str, address: str, data: DataSource,
                 faults: Faults = Faults(), seed: int = 0, loop: bool = False, resume: bool = True):
        faults.validate()
        self.world, self.name, self.address = world, name, address
        self.profile_name = profile_name
        self.profile: Profile = PROFILES[profile_name].for_device(name)
        self.firmware = FIRMWARE[profile_name](self)
        self.firmware.resume = self.firmware.resume and resume   # False: a DIY firmware without RESUME
        self.adv_uuid, self.services = GATT[profile_name]
        self.mtu = MTU[profile_name]
        self.rate_hz = float(self.firmware.initial_rate_hz or self.profile.default_rate_hz)
        self.data_source, self.loop = data, loop
        self.faults = faults
        self.rng = np.random.default_rng(seed)
        self.injector = FaultInjector(faults, np.random.default_rng([seed, 1]))
        self.origin_s = clock_origin_s(profile_name, self.rng)
        self.rssi0 = -50.0 - float(self.rng.uniform(0, 25))
        self.clock = world.device_clock()
        self.client = None                      # the SimClient connected, if any
        self.subscribed: dict[str, Callable] = {}
        self.streaming = False
        self.finished = False                   # the whole session has been streamed
        self.error: str | None = None           # what stopped the simulation, if it failed
        self.out_of_range_until = float("-inf")
        self.t0_host: float | None = None       # host time of stream time 0
        self._gen = 0                           # bumps on every start/stop/disconnect
        self._encoder = None
        self._task: asyncio.Task | None = None
        self._data: dict[float, tuple] = {}
        self._disconnects: list[float] | None = None
        self._last_send = float("-inf")
        self.stream_pos_s = 0.0                 # stream time of the last sample sent
        self._ring_from_s: float | None = None  # stream time since which the ring holds samples (None: empty)
        self._hold_until_s: float | None = None # disconnected while streaming: sampling ends then

    # ----------------------------------------------------------------- advertising
    def advertising(self) -> bool:
        return self.client is None and self.clock.now() >= self.out_of_range_until

    def rssi(self) -> int:
        return int(round(self.rssi0 + self.rng.normal(0, 2.0)))

    # ----------------------------------------------------------------- data
    def data(self, rate_hz: float):
        if rate_hz not in self._data:
            t, acc, gyro = self.data_source(rate_hz)
            self._data[rate_hz] = (np.asarray(t, float), np.asarray(acc, float), np.asarray(gyro, float))
        return self._data[rate_hz]

    # ----------------------------------------------------------------- called by the firmware
    def use_profile(self, profile: Profile) -> None:
        self.profile = profile

    def set_rate(self, rate_hz: float) -> None:
        if rate_hz != self.rate_hz:
            self.rate_hz = rate_hz
            if self.streaming:
                self.start()            # the new rate applies from now on

    def start(self, delay_s: float = START_DELAY_S, resume_after_s: float | None = None) -> None:
        """Streams from now; with ``resume_after_s`` (see :meth:`resume`) the ring comes first."""
        self._gen += 1
        self.streaming = True
        self._encoder = self.profile.new_encoder(self.rate_hz)
        self._task = asyncio.get_running_loop().create_task(self._guarded(self._gen, delay_s, resume_after_s))

    def resume(self, after_s: float) -> None:
        """RESUME (DIY): streams like :meth:`start`, but first re-sends the samples in the ring taken
        after stream time ``after_s``; the packet counter continues."""
        seq = self._encoder.seq if self._encoder is not None else 0
        self.start(resume_after_s=after_s)
        self._encoder.seq = seq

    def stop(self) -> None:
        self._halt()
        self._ring_from_s = None                # STOP empties the ring

    def _halt(self) -> None:
        self._gen += 1
        self.streaming = False

    def stream_now_s(self) -> float | None:
        """Stream time now (None before the first start)."""
        if self.t0_host is None:
            return None
        return (self.clock.now() - self.t0_host) * (1.0 + self.faults.drift_ppm * 1e-6)

    # ----------------------------------------------------------------- called by the client
    def attach(self, client) -> None:
        self.client = client
        self.subscribed = {}

    def detach(self) -> None:
        """The link is gone: the firmware stops streaming and forgets subscriptions (a firmware
        with RESUME keeps sampling into its ring for ``hold_s``)."""
        now_s = self.stream_now_s()
        if self.streaming and self.firmware.resume and now_s is not None:
            self._hold_until_s = now_s + self.firmware.hold_s
            self._halt()
        else:
            self.stop()
        self.client = None
        self.subscribed = {}

    def write(self, uuid: str, data: bytes) -> None:
        self.firmware.on_write(uuid, bytes(data))
        for char, payload in self.firmware.responses(uuid, bytes(data)):
            self._notify(norm(char), payload)

    def encoder(self):
        """The profile encoder of the stream (a fresh one when not streaming)."""
        return self._encoder or self.profile.new_encoder(self.rate_hz)

    def subscribe(self, uuid: str, callback: Callable) -> None:
        self.subscribed[uuid] = callback
        self.firmware.on_subscribe(uuid)

    def unsubscribe(self, uuid: str) -> None:
        self.subscribed.pop(uuid, None)
        self.firmware.on_unsubscribe(uuid)

    def read(self, uuid: str) -> bytes:
        return self.firmware.read(uuid)

    # ----------------------------------------------------------------- streaming
    def _notify(self, uuid: str, data: bytes) -> None:
        cb = self.subscribed.get(uuid)
        if cb is not None:
            cb(bytearray(data))

    def _lose_link(self) -> None:
        """Unsolicited disconnect: out of range for ``disconnect_s``."""
        self.injector.stats.disconnects += 1
        self.out_of_range_until = self.clock.now() + self.faults.disconnect_s
        client = self.client
        self.detach()
        if client is not None:
            client.lost()

    async def _guarded(self, gen: int, delay_s: float, resume_after_s: float | None) -> None:
        try:
            await self._stream(gen, delay_s, resume_after_s)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a simulator bug must end the session, not hang it
            self.error = f"{type(e).__name__}: {e}"
            self.finished = True
            self.world.device_finished(self)

    async def _stream(self, gen: int, delay_s: float, resume_after_s: float | None) -> None:
        t, acc, gyro = self.data(self.rate_hz)
        n = len(t)
        if n == 0:
            return
        period = float(np.median(np.diff(t))) if n > 1 else 1.0 / self.rate_hz
        cycle_s = float(t[-1] - t[0]) + period
        k = max(1, int(getattr(self._encoder, "samples_per_packet", 1)))
        scale = 1.0 / (1.0 + self.faults.drift_ppm * 1e-6)      # host seconds per stream second
        start_host = self.clock.now() + delay_s
        first = self.t0_host is None
        if first:
            self.t0_host = start_host - t[0] * scale
            self._disconnects = self.faults.disconnect_times(1e6 if self.loop else cycle_s + t[0])
        tau0 = (start_host - self.t0_host) / scale               # stream time of the live start

        def first_at(tau: float) -> int:
            """Index (counting on through the cycles of a looped session) of the first sample at or after tau."""
            cycle = max(0, int((tau - t[0]) // cycle_s)) if self.loop else 0
            return cycle * n + int(np.searchsorted(t + cycle * cycle_s, tau))

        m = live = first_at(tau0)
        ring = self._ring_from_s is not None and (self._hold_until_s is None or tau0 <= self._hold_until_s)
        if resume_after_s is not None and ring:     # RESUME: the ring's samples after resume_after_s first
            m = max(first_at(resume_after_s + 0.5 * period), first_at(self._ring_from_s),
                    live - self.firmware.ring_samples)
            m = min(m, live)
        else:                                       # START, or nothing left in the ring
            self._ring_from_s = tau0
        self._hold_until_s = None
        enc = self._encoder
        while True:
            cycle, i = divmod(m, n)
            if cycle and not self.loop:
                break
            j = min(i + k, n)
            tau = t[i:j] + cycle * cycle_s
            packets = enc.packets(tau + self.origin_s, acc[i:j], gyro[i:j], flush=False)
            m += j - i
            if not packets:
                continue
            tau_last = float(tau[-1])
            while self._disconnects and self._disconnects[0] <= tau_last:
                when = self._disconnects.pop(0)
                if when < tau0:
                    continue
                await self.clock.sleep_until(self.t0_host + when * scale)
                if gen != self._gen:
                    return
                self._lose_link()
                return
            send = max(self.t0_host + tau_last * scale + self.injector.latency(), self._last_send)
            await self.clock.sleep_until(send)
            if gen != self._gen:
                return
            self._last_send = send
            self.stream_pos_s = tau_last
            for uuid, data in packets:
                for copy in self.injector.deliver(tau_last, data):
                    self._notify(norm(uuid), copy)
        for uuid, data in enc.packets(np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), flush=True):
            self._notify(norm(uuid), data)
        self.finished = True
        self.world.device_finished(self)
