"""A live session: one or two sensors streamed to disk and counted as the data arrives.

Per sensor (a :class:`Side`): a :class:`~imu.ble.link.Link` keeps the connection and queues
notifications; a consumer task hands them to the :class:`~imu.live.stream.SideStream` (decode,
time, write, count). Other tasks flush the recordings to disk at least every ``sync_s`` of wall
time and stop the session after ``duration_s`` or when the simulated sessions are over. The view
(:mod:`imu.live.view`) only reads the sides' state, at its own pace.

``await session.run()`` returns after :meth:`LiveSession.request_stop` (Ctrl-C) once the sensors
are stopped, every queued notification is processed, the engines are finished and the recordings
closed; :func:`imu.live.outputs.write_outputs` then writes the ``imu analyze`` files.
"""
from __future__ import annotations

import asyncio
import functools
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from imu.ble.clock import RealClock
from imu.ble.link import Link
from imu.ble.scan import Found
from imu.engine import RepEngine
from imu.profiles import Profile

from .feeder import EngineFeeder
from .stream import SideStream
from .writer import RecordingWriter


@dataclass
class SensorSpec:
    """One sensor of the session."""

    found: Found
    profile: Profile
    rate_hz: float
    side: str = ""           #: "left"/"right" (empty with one sensor and no --sides)


@dataclass
class SessionConfig:
    out_dir: Path
    exercise: str = "auto"
    count: bool = True                   #: False for ``imu record``: recordings only
    duration_s: float | None = None
    scanner_backend: type | None = None  #: bleak backends (simulated sensors), None: the platform's
    client_backend: type | None = None
    clock_for: Callable = field(default=lambda address: RealClock())
    done: Callable | None = None         #: returns an asyncio.Event set when the (simulated) data ends
    sync_s: float = 0.5
    batch_s: float = 0.05                #: the consumer handles notifications in groups this long
    max_feed_interval_s: float = 1.0
    backoff_s: tuple = (0.25, 2.0)
    scan_timeout_s: float = 10.0
    #: the person's usual full range per sensor side ("" with one sensor) and exercise slug (deg), from the
    #: history (:func:`analysis.usual_range.usual_full_rom`), for the ``partial`` flag
    usual_full_rom_deg: dict = field(default_factory=dict)


def recording_name(side: str, n_sides: int) -> str:
    return f"recording_{side}.csv" if n_sides > 1 else "recording.csv"


class Side:
    """Everything about one sensor during the session."""

    def __init__(self, spec: SensorSpec, cfg: SessionConfig, n_sides: int, log: Callable[[str], None]):
        self.spec = spec
        self.label = spec.side or (spec.found.name or spec.found.address)
        self.path = Path(cfg.out_dir) / recording_name(spec.side or "left", n_sides)
        clock = cfg.clock_for(spec.found.address)
        self.link = Link(spec.found, spec.profile, spec.rate_hz, scanner_backend=cfg.scanner_backend,
                         client_backend=cfg.client_backend, clock=clock, backoff_s=cfg.backoff_s,
                         scan_timeout_s=cfg.scan_timeout_s, log=log, label=self.label)
        self.writer = RecordingWriter(self.path, bool(spec.profile.has_gyro), sync_s=cfg.sync_s)
        self.engine = (RepEngine(cfg.exercise, has_gyro=bool(spec.profile.has_gyro),
                                 usual_full_rom_deg=cfg.usual_full_rom_deg.get(spec.side)) if cfg.count else None)
        self.feeder = (EngineFeeder(self.engine, bool(spec.profile.has_gyro), cfg.max_feed_interval_s)
                       if self.engine is not None else None)
        self.stream = SideStream(self.label, spec.profile, spec.rate_hz, self.writer, self.feeder, self.link.t0)
        self.new_reps: deque = deque(maxlen=100)      # reps reported, for printers
        self.errors = 0                               # batches that failed to process

    @property
    def rate_hz(self) -> float:
        return self.stream.rate_hz


class LiveSession:
    """Runs the sensors of ``sensors`` until stopped (see the module docstring)."""

    def __init__(self, sensors: list[SensorSpec], cfg: SessionConfig, log: Callable[[str], None] | None = None):
        if not 1 <= len(sensors) <= 2:
            raise ValueError("one or two sensors")
        self.cfg = cfg
        self.log = log or (lambda msg: None)
        Path(cfg.out_dir).mkdir(parents=True, exist_ok=True)
        self.sides: list[Side] = []
        try:
            for s in sensors:
                self.sides.append(Side(s, cfg, len(sensors), lambda m: self.log(m)))
        except BaseException:
            for side in self.sides:
                side.writer.close()
            raise
        for side in self.sides:
            side.link.resume_from = functools.partial(self._resume_point, side)
        self.stop = asyncio.Event()
        self.on_rep: Callable | None = None       # (side, event) for printers
        self.stopped_by = ""

    def request_stop(self, why: str = "stopped") -> None:
        if not self.stop.is_set():
            self.stopped_by = why
            self.stop.set()

    # ----------------------------------------------------------------- tasks
    def _drain(self, side: Side) -> None:
        """Processes the queued notifications, at most ``batch_s`` of arrivals at a time (what a
        real-time consumer sees; as fast as possible the queue can hold much more)."""
        link = side.link
        if not link.items:
            return
        items, link.items = link.items, deque()
        step = self.cfg.batch_s
        if not step or items[-1][0] - items[0][0] < step:
            self._process(side, items)
            return
        chunk, end = [], items[0][0] + step
        for it in items:
            if it[0] >= end and chunk:
                self._process(side, chunk)
                chunk, end = [], it[0] + step
            chunk.append(it)
        self._process(side, chunk)

    def _process(self, side: Side, items) -> None:
        events = side.stream.process(items)
        for ev in events:
            if ev.kind == "rep":
                side.new_reps.append(ev.rep)
            if self.on_rep is not None:
                self.on_rep(side, ev)

    def _resume_point(self, side: Side) -> float | None:
        """Where a reconnecting sensor resumes (:mod:`imu.ble.link`): the sensor time of the newest
        sample received, once what is still queued has been processed."""
        self._safe_drain(side)
        return side.stream.sensor_t_s

    def _safe_drain(self, side: Side) -> None:
        """Processes what is queued; a failure is logged, never fatal (a full disk ends the session)."""
        try:
            self._drain(side)
        except OSError as e:
            self.log(f"{side.label}: cannot write the recording ({e}); stopping")
            self.request_stop(f"write error: {e}")
        except Exception as e:  # noqa: BLE001 - keep counting whatever went wrong with one batch
            side.errors += 1
            self.log(f"{side.label}: internal error while processing notifications ({type(e).__name__}: {e})")

    async def _consume(self, side: Side) -> None:
        link = side.link
        while True:
            await link.wakeup.wait()
            link.wakeup.clear()
            self._safe_drain(side)
            if self.cfg.batch_s:
                await asyncio.sleep(self.cfg.batch_s)

    async def _sync(self) -> None:
        while True:
            await asyncio.sleep(min(0.25, self.cfg.sync_s / 2))
            for side in self.sides:
                try:
                    side.writer.maybe_sync()
                except OSError as e:
                    self.log(f"{side.label}: cannot write the recording ({e}); stopping")
                    self.request_stop(f"write error: {e}")

    async def _watch(self) -> None:
        done = self.cfg.done() if self.cfg.done is not None else None
        while not self.stop.is_set():
            if done is not None and done.is_set():
                self.request_stop("end of the simulated session")
            gave_up = [s.link.label for s in self.sides if s.link.stats.gave_up]
            if gave_up:
                self.request_stop(f"gave up connecting to {', '.join(gave_up)}")
            if self.cfg.duration_s is not None and any(
                    s.link.clock.now() - s.link.t0 >= self.cfg.duration_s for s in self.sides):
                self.request_stop(f"duration {self.cfg.duration_s:g} s reached")
            await asyncio.sleep(0.05)

    async def run(self) -> None:
        for side in self.sides:
            side.link.wakeup = asyncio.Event()
        links = [asyncio.create_task(s.link.run(self.stop)) for s in self.sides]
        helpers = [asyncio.create_task(self._consume(s)) for s in self.sides]
        helpers += [asyncio.create_task(self._sync()), asyncio.create_task(self._watch())]
        try:
            await self.stop.wait()
        finally:
            self.stop.set()
            for t in helpers:
                t.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await asyncio.gather(*links, return_exceptions=True)    # stop commands, disconnect
            for side in self.sides:
                try:
                    self._safe_drain(side)
                    if side.feeder is not None:
                        for ev in side.feeder.finish():
                            if self.on_rep is not None:
                                self.on_rep(side, ev)
                finally:
                    side.writer.close()
