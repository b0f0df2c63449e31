"""A world of simulated sensors, reachable only through bleak (``world.backends()``).

    world = SimWorld(speed=0)                       # 0: as fast as possible, 1: real time
    dev = world.add_device("diy", session=SessionSpec(...), faults=Faults(loss=0.05))
    Scanner, Client = world.backends()
    devices = await BleakScanner.discover(backend=Scanner)

:func:`catalog_names` gives the fixed names and addresses of the simulated sensors (two per
profile, plus a Polar Verity Sense), as ``imu scan --sim`` shows them.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace

from imu.profiles import PROFILES
from imu.sim import SessionSpec, simulate_session

from .clock import FreeClock, ScaledClock
from .faults import Faults
from .sim_backend import bind
from .sim_device import SimDevice

#: profile -> names of its simulated sensors (recognised by imu.profiles.recognise)
NAMES = {
    "diy": ["RepIMU-51A1", "RepIMU-51A2"],
    "movesense": ["Movesense 233830000511", "Movesense 233830000512"],
    "polar": ["Polar H10 5EA1B2C1", "Polar H10 5EA1B2C2", "Polar Sense 5EA1B2D1"],
    "witmotion": ["WT901BLE5A1", "WT901BLE5A2"],
    "thingy52": ["Thingy-51A1", "Thingy-51A2"],
    "metawear": ["MetaWear 51:A1", "MetaWear 51:A2"],
}


def catalog_names() -> list[tuple[str, str, str]]:
    """(profile, name, address) of every simulated sensor."""
    out = []
    for i, (profile, names) in enumerate(NAMES.items()):
        for k, name in enumerate(names):
            out.append((profile, name, f"5E:00:00:00:{i + 1:02X}:{k + 1:02X}"))
    return out


def session_source(spec: SessionSpec, keep: dict | None = None):
    """A device data source simulating ``spec`` at the rate the host configures (with gyro; a
    device without one ignores it). ``keep`` receives the :class:`~imu.sim.SimSession` per rate."""
    def source(rate_hz: float):
        sim = simulate_session(replace(spec, rate_hz=float(rate_hz), gyro=True))
        if keep is not None:
            keep[rate_hz] = sim
        d = sim.data
        return d["t"].to_numpy(), d[["ax", "ay", "az"]].to_numpy(), d[["gx", "gy", "gz"]].to_numpy()
    return source


class SimWorld:
    """Simulated sensors sharing one notion of time (``speed`` > 0) or each with its own (0)."""

    def __init__(self, speed: float = 0.0):
        if speed < 0:
            raise ValueError("speed must be >= 0 (0: as fast as possible)")
        self.speed = float(speed)
        self._shared = ScaledClock(speed) if speed > 0 else None
        self.devices: list[SimDevice] = []
        self.sims: dict[str, dict] = {}          # address -> {rate: SimSession}
        self._done: asyncio.Event | None = None
        self._scanner, self._client = bind(self)

    # ----------------------------------------------------------------- building
    def device_clock(self):
        return self._shared if self._shared is not None else FreeClock()

    def add_device(self, profile: str, *, name: str | None = None, address: str | None = None,
                   session: SessionSpec | None = None, data=None, faults: Faults = Faults(),
                   seed: int = 0, loop: bool = False, resume: bool = True) -> SimDevice:
        """A simulated sensor of ``profile`` streaming ``session`` (or ``data(rate) -> (t, acc, gyro)``).
        ``resume=False``: a DIY firmware from before RESUME (a reconnect loses what it sampled meanwhile)."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
        if name is None or address is None:
            taken = {d.address for d in self.devices}
            free = [(n, a) for p, n, a in catalog_names() if p == profile and a not in taken]
            if not free:
                raise ValueError(f"no free simulated {profile} sensor name")
            name, address = name or free[0][0], address or free[0][1]
        if data is None:
            keep = self.sims.setdefault(address, {})
            data = session_source(session or SessionSpec(seed=seed), keep)
        dev = SimDevice(self, profile, name, address, data, faults, seed, loop, resume)
        self.devices.append(dev)
        return dev

    @classmethod
    def catalog(cls, speed: float = 0.0, **kw) -> SimWorld:
        """A world with every simulated sensor of :func:`catalog_names` (for ``imu scan --sim``)."""
        world = cls(speed)
        for i, (profile, name, address) in enumerate(catalog_names()):
            world.add_device(profile, name=name, address=address, seed=kw.get("seed", 0) + i,
                             session=kw.get("session"), faults=kw.get("faults", Faults()))
        return world

    def backends(self):
        """(scanner backend class, client backend class) for ``backend=``."""
        return self._scanner, self._client

    # ----------------------------------------------------------------- used by the backend
    def find(self, address: str) -> SimDevice | None:
        a = str(address).lower()
        return next((d for d in self.devices if d.address.lower() == a), None)

    async def advertising_pause(self, dt: float) -> None:
        if self._shared is not None:
            await self._shared.sleep(dt)
            return
        for d in self.devices:          # as fast as possible: time passes for sensors not streaming
            if d.client is None:
                d.clock.t += dt
        await asyncio.sleep(0.001)

    def host_clock(self, address: str):
        """The clock the host uses for a sensor's arrival times and waits."""
        dev = self.find(address)
        return dev.clock if dev is not None else self.device_clock()

    # ----------------------------------------------------------------- end of the simulated sessions
    @property
    def done(self) -> asyncio.Event:
        """Set when every sensor that started streaming has streamed its whole session."""
        if self._done is None:
            self._done = asyncio.Event()
        return self._done

    def device_finished(self, dev: SimDevice) -> None:
        started = [d for d in self.devices if d.t0_host is not None]
        if started and all(d.finished for d in started):
            self.done.set()

    def stream_end_s(self) -> float:
        """Longest session length among the devices that started (stream time)."""
        ends = [float(t[-1]) for d in self.devices for (t, _, _) in d._data.values() if len(t)]
        return max(ends, default=0.0)


__all__ = ["SimWorld", "catalog_names", "session_source", "NAMES"]
