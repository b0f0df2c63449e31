"""Clocks for the BLE layer: the host time used to stamp notification arrivals and to wait.

* :class:`RealClock`: a real sensor (``time.monotonic``, ``asyncio.sleep``).
* :class:`ScaledClock`: simulated sensors at ``speed`` times real time (shared by all of them).
* :class:`FreeClock`: a simulated sensor "as fast as possible" (``--speed 0``). Its time only moves
  when something waits on it: the sensor streaming its next packet, the host backing off or
  scanning for it. Each simulated sensor has its own, so two of them never wait for each other.

All clocks read in seconds with an arbitrary origin.
"""
from __future__ import annotations

import asyncio
import time


class RealClock:
    """Host time for real sensors."""

    speed = 1.0

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, dt: float) -> None:
        await asyncio.sleep(max(0.0, dt))

    async def sleep_until(self, t: float) -> None:
        await asyncio.sleep(max(0.0, t - self.now()))


class ScaledClock:
    """Simulated time running ``speed`` times faster than real time (``speed`` > 0)."""

    def __init__(self, speed: float = 1.0):
        if not speed > 0:
            raise ValueError("ScaledClock needs speed > 0 (use FreeClock for as fast as possible)")
        self.speed = float(speed)
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    async def sleep(self, dt: float) -> None:
        await asyncio.sleep(max(0.0, dt) / self.speed)

    async def sleep_until(self, t: float) -> None:
        await asyncio.sleep(max(0.0, t - self.now()) / self.speed)


class FreeClock:
    """Simulated time that jumps to whatever is awaited next (``speed`` 0: as fast as possible).

    Waiting yields to the event loop (so that the host side runs between packets) but takes no
    real time; ``yield_every`` waits share one yield, which keeps fast streams cheap.
    """

    speed = 0.0

    def __init__(self, t: float = 0.0, yield_every: int = 4):
        self.t = float(t)
        self.yield_every = max(1, int(yield_every))
        self._n = 0

    def now(self) -> float:
        return self.t

    async def sleep(self, dt: float) -> None:
        await self.sleep_until(self.t + max(0.0, dt))

    async def sleep_until(self, t: float) -> None:
        if t > self.t:
            self.t = float(t)
        self._n += 1
        if self._n % self.yield_every == 0:
            await asyncio.sleep(0)
