"""Running a whole live session against simulated sensors from Python (tests, benchmark).

    world = SimWorld(speed=0)
    world.add_device("movesense", session=SessionSpec(...), faults=Faults(loss=0.05))
    session, result = run_simulated(world, "out/", exercise="lying-leg-raise")

Everything goes through bleak's public API with the simulated backend, exactly like
``imu live --sim``; the session ends when the simulated data do.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from imu.ble.scan import find

from .outputs import write_outputs
from .session import LiveSession, SensorSpec, SessionConfig


async def run_simulated_async(world, out_dir, exercise: str = "auto", *, rate_hz: float | None = None,
                              count: bool = True, duration_s: float | None = None, log=None,
                              sides: list[str] | None = None, **cfg_kw):
    scanner, client = world.backends()
    devs = list(world.devices)
    sides = sides or (["left", "right"] if len(devs) == 2 else [""])
    specs = []
    for dev, side in zip(devs, sides):
        found = await find(dev.address, 5.0, backend=scanner)
        if found is None or found.profile is None:
            raise RuntimeError(f"simulated sensor {dev.name} not found or not recognised")
        rate = found.profile.device_rate_hz(rate_hz or found.profile.default_rate_hz)
        specs.append(SensorSpec(found, found.profile, rate, side))
    cfg = SessionConfig(out_dir=Path(out_dir), exercise=exercise, count=count, duration_s=duration_s,
                        scanner_backend=scanner, client_backend=client, clock_for=world.host_clock,
                        done=lambda: world.done, **cfg_kw)
    session = LiveSession(specs, cfg, log=log)
    await session.run()
    return session, write_outputs(session)


def run_simulated(world, out_dir, exercise: str = "auto", **kw):
    """Synchronous :func:`run_simulated_async`: returns (session, outputs dict)."""
    return asyncio.run(run_simulated_async(world, out_dir, exercise, **kw))
