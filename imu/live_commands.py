"""The ``imu scan``, ``imu live`` and ``imu record`` commands (wired into :mod:`imu.cli` with
``handlers.update(add_commands(sub))``; also runnable as ``python -m imu.live_commands``).

* ``imu scan``: nearby sensors with name, address, signal strength and the recognised profile.
* ``imu live --device ADDRESS|NAME [--device ...]``: connect, configure the rate, stream, count
  and show the live view; Ctrl-C ends the session and writes the ``imu analyze`` outputs next to
  the raw recording. ``--sim`` uses simulated sensors behind a bleak backend (no Bluetooth needed).
* ``imu record``: the same streaming to disk, without counting or view.

Output folder (``--out``, default ``live-YYYYmmdd-HHMMSS``): ``recording.csv`` (one sensor) or
``recording_left.csv`` + ``recording_right.csv`` (two), written as the data arrive;
``link.json``; and for ``live`` ``reps.csv``, ``sets.csv``, ``session.json``, ``session.png``.
Exit codes: 0 done (also after Ctrl-C), 2 bad input (unknown device or profile, bad option).
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from collections import Counter
from pathlib import Path

from imu.presets import PRESETS

SIM_STYLES_DEFAULT = ["textbook", "swung"]
#: live default rates: frames short enough for quick feedback (Polar H10 frames hold 36 samples)
LIVE_RATE_HZ = {"polar": 200.0}
SIDES = ("left", "right")


class BadInput(Exception):
    """Bad options or an unknown device: exit code 2."""


# --------------------------------------------------------------------------------------------
# argparse


def add_commands(sub) -> dict:
    """Registers ``scan``, ``live`` and ``record`` on an argparse subparsers object; returns
    ``{name: handler(args) -> exit code}``."""
    from imu.profiles import PROFILES

    s = sub.add_parser("scan", help="list nearby BLE sensors and the profile recognised for each")
    s.add_argument("--timeout", type=float, default=5.0, help="seconds to scan (default 5)")
    s.add_argument("--sim", action="store_true", help="scan the simulated sensors instead of Bluetooth")

    for name, helptext in (("live", "stream from one or two ankle sensors, count reps live, write the analysis"),
                           ("record", "stream one or two sensors to disk, without counting")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--device", action="append", default=[], metavar="ADDRESS|NAME",
                       help="sensor address or advertised name; twice for left and right ankle")
        p.add_argument("--sides", help="sides of the --device sensors in order, e.g. right,left (default left,right)")
        p.add_argument("--profile", choices=list(PROFILES), help="sensor profile (default: recognised from the advertisement)")
        if name == "live":
            p.add_argument("--exercise", default="auto", choices=list(PRESETS), metavar="SLUG",
                           help="exercise preset: " + ", ".join(PRESETS) + " (default: auto)")
        p.add_argument("--out", type=Path, help="output folder (default: live-YYYYmmdd-HHMMSS)")
        p.add_argument("--overwrite", action="store_true", help="replace a recording already in --out")
        p.add_argument("--rate", type=float, help="sample rate to configure, Hz (default: the profile's live rate)")
        p.add_argument("--duration", type=float, help="stop after this many seconds (sensor time)")
        p.add_argument("--no-view", action="store_true", help="print one line per rep instead of the live view")
        p.add_argument("--scan-timeout", type=float, default=10.0, help="seconds to look for a sensor (default 10)")
        g = p.add_argument_group("simulated sensors (--sim)")
        g.add_argument("--sim", action="store_true", help="use simulated sensors through a bleak backend")
        g.add_argument("--sim-profile", default="diy", choices=list(PROFILES), help="profile of the simulated sensor (default diy)")
        g.add_argument("--sim-sensors", type=int, default=None, choices=[1, 2], help="number of simulated sensors (default 1, or the --device count)")
        g.add_argument("--sim-exercise", default="lying-leg-raise", metavar="SLUG",
                       choices=[k for k in PRESETS if k != "auto"], help="simulated exercise (default lying-leg-raise)")
        g.add_argument("--sim-style", action="append", metavar="STYLE",
                       help="one per set: textbook, slow_eccentric, brisk, swung, partial, feet_rested, fatigue (default textbook, swung)")
        g.add_argument("--sim-reps", type=int, default=8, help="reps per simulated set (default 8)")
        g.add_argument("--sim-rest", type=float, nargs=2, default=(8.0, 15.0), metavar=("MIN", "MAX"),
                       help="rest between sets, s (default 8 15)")
        g.add_argument("--sim-seed", type=int, default=1)
        g.add_argument("--speed", type=float, default=5.0, help="simulated time per real second; 0 = as fast as possible (default 5)")
        g.add_argument("--loss", type=float, default=0.0, help="probability a notification is lost")
        g.add_argument("--burst-loss", type=float, default=0.0, help="share of time in loss bursts (mean 0.4 s)")
        g.add_argument("--dup", type=float, default=0.0, help="probability a notification is delivered twice")
        g.add_argument("--malformed", type=float, default=0.0, help="probability a notification is corrupted")
        g.add_argument("--disconnect-every", type=float, default=None, metavar="S", help="drop the link every S seconds")
        g.add_argument("--disconnect-s", type=float, default=3.0, metavar="S", help="time out of range per disconnect (default 3)")
        g.add_argument("--drift-ppm", type=float, default=0.0, help="sensor clock error, ppm")
    return {"scan": cmd_scan, "live": cmd_live, "record": cmd_record}


def _fail(e: BadInput) -> int:
    print(f"imu: error: {e}", file=sys.stderr)
    return 2


# --------------------------------------------------------------------------------------------
# scan


def cmd_scan(args) -> int:
    import asyncio  # here, as in _run and _live: every ``imu`` command builds these parsers, few run them

    try:
        return asyncio.run(_scan(args))
    except BadInput as e:
        return _fail(e)


async def _scan(args) -> int:
    from imu.ble.scan import scan

    backend = None
    if args.sim:
        from imu.ble.sim_world import SimWorld
        backend = SimWorld.catalog(speed=0).backends()[0]
    try:
        found = await scan(max(0.1, args.timeout), backend=backend)
    except Exception as e:  # noqa: BLE001 - no adapter, no permission, no BlueZ...
        raise BadInput(f"cannot scan for Bluetooth devices ({type(e).__name__}: {e}); "
                       "try 'imu scan --sim' for the simulated sensors") from None
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(found)} device(s)" + (" (simulated)" if args.sim else ""))
    for col in ("name", "address", "rssi (dBm)", "profile"):
        table.add_column(col)
    for f in found:
        table.add_row(f.name or "?", f.address, "" if f.rssi is None else str(f.rssi),
                      f.profile.name if f.profile else "-")
    Console(highlight=False).print(table)
    return 0


# --------------------------------------------------------------------------------------------
# live / record


def cmd_live(args) -> int:
    return _run(args, count=True)


def cmd_record(args) -> int:
    return _run(args, count=False)


def _run(args, count: bool) -> int:
    import asyncio

    try:
        plan = _plan(args)
        return asyncio.run(_live(args, plan, count))
    except BadInput as e:
        return _fail(e)


def _check_options(args) -> list[str]:
    if len(args.device) > 2:
        raise BadInput("at most two sensors (--device twice: left and right ankle)")
    n = len(args.device) or (args.sim_sensors or 1 if args.sim else 0)
    if args.sim and args.sim_sensors and args.device and args.sim_sensors != len(args.device):
        raise BadInput("--sim-sensors does not match the number of --device options")
    if not args.sim and not args.device:
        raise BadInput("give --device ADDRESS|NAME (see 'imu scan'), or --sim for a simulated sensor")
    if args.sides:
        sides = [s.strip().lower() for s in args.sides.split(",") if s.strip()]
        if len(sides) != n or not set(sides) <= set(SIDES) or len(set(sides)) != len(sides):
            raise BadInput(f"--sides must name {n} different side(s) from left, right (got {args.sides!r})")
    else:
        sides = list(SIDES) if n == 2 else [""]
    if args.rate is not None and not 1 <= args.rate <= 2000:
        raise BadInput("--rate must be a sample rate in Hz (20-400 Hz are supported)")
    if args.duration is not None and not args.duration > 0:
        raise BadInput("--duration must be positive")
    if args.sim:
        from imu.sim import EXERCISES

        if args.speed < 0:
            raise BadInput("--speed must be >= 0 (0: as fast as possible)")
        if args.sim_reps < 1:
            raise BadInput("--sim-reps must be at least 1")
        lo, hi = args.sim_rest
        if not 0 < lo <= hi:
            raise BadInput("--sim-rest needs 0 < MIN <= MAX")
        for st in args.sim_style or []:
            if st not in EXERCISES[args.sim_exercise].styles:
                raise BadInput(f"style {st!r} does not apply to {args.sim_exercise}; "
                               f"choose from {', '.join(EXERCISES[args.sim_exercise].styles)}")
        try:
            _faults(args).validate()
        except ValueError as e:
            raise BadInput(str(e)) from None
    return sides


def _faults(args):
    from imu.ble.faults import Faults
    return Faults(loss=args.loss, burst_loss=args.burst_loss, dup=args.dup, malformed=args.malformed,
                  disconnect_every_s=args.disconnect_every, disconnect_s=args.disconnect_s,
                  drift_ppm=args.drift_ppm)


def _plan(args) -> dict:
    """Validated options and, with --sim, the simulated world."""
    sides = _check_options(args)
    out = args.out or Path(time.strftime("live-%Y%m%d-%H%M%S"))
    old = sorted(out.glob("recording*.csv")) if out.exists() else []
    if old and not args.overwrite:
        raise BadInput(f"{out} already holds a recording; choose another --out (or --overwrite)")
    for f in old + ([out / "link.json"] if old else []):
        f.unlink(missing_ok=True)
    plan = {"sides": sides, "out": out, "world": None, "devices": list(args.device)}
    if args.sim:
        from imu.ble.sim_world import SimWorld, catalog_names
        from imu.sim import SessionSpec, SetSpec

        from imu.sim import EXERCISES

        world = SimWorld(args.speed)
        applicable = EXERCISES[args.sim_exercise].styles
        styles = args.sim_style or [s if s in applicable else "partial" for s in SIM_STYLES_DEFAULT]
        catalog = catalog_names()
        if args.device:
            picks = []
            for d in args.device:
                hit = [c for c in catalog if d.strip().lower() in (c[1].lower(), c[2].lower())]
                if not hit:
                    raise BadInput(f"no simulated sensor named {d!r}; 'imu scan --sim' lists them")
                picks.append(hit[0])
        else:
            picks = [c for c in catalog if c[0] == args.sim_profile][: len(sides)]
            plan["devices"] = [c[2] for c in picks]
        for i, (profile, name, address) in enumerate(picks):
            spec = SessionSpec(exercise=args.sim_exercise, sets=[SetSpec(s, args.sim_reps) for s in styles],
                               seed=args.sim_seed + i, rest_s=tuple(args.sim_rest),
                               rest_kinds=("lie_still", "bend_knees", "fidget"))
            world.add_device(profile, name=name, address=address, session=spec, faults=_faults(args),
                             seed=args.sim_seed * 101 + i)
        plan["world"] = world
    return plan


async def _resolve(args, plan, scanner_backend) -> list:
    """SensorSpecs for the --device options (scan, recognise, pick the rate)."""
    from imu.ble.scan import find
    from imu.live.session import SensorSpec
    from imu.profiles import PROFILES
    from imu.recording import MAX_RATE_HZ, MIN_RATE_HZ

    specs = []
    for dev, side in zip(plan["devices"], plan["sides"]):
        try:
            found = await find(dev, args.scan_timeout if plan["world"] is None else 5.0, backend=scanner_backend)
        except Exception as e:  # noqa: BLE001
            raise BadInput(f"cannot scan for {dev!r} ({type(e).__name__}: {e}); is Bluetooth on? "
                           "('imu live --sim' needs no Bluetooth)") from None
        if found is None:
            raise BadInput(f"no sensor {dev!r} found within {args.scan_timeout:g} s; 'imu scan' lists what is nearby")
        if args.profile:
            profile = PROFILES[args.profile].for_device(found.name)
        elif found.profile is not None:
            profile = found.profile
        else:
            raise BadInput(f"{found.name or found.address} is not a known sensor; give --profile "
                           f"({', '.join(PROFILES)})")
        want = args.rate or LIVE_RATE_HZ.get(profile.name, profile.default_rate_hz)
        rate = profile.device_rate_hz(want)
        if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
            raise BadInput(f"{profile.name} would run at {rate:g} Hz for --rate {want:g}; "
                           f"recordings need {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz")
        specs.append(SensorSpec(found, profile, rate, side))
    return specs


async def _live(args, plan, count: bool) -> int:
    import asyncio

    from imu.live.outputs import write_outputs
    from imu.live.session import LiveSession, SessionConfig
    from imu.live.view import LiveView, PlainPrinter

    world = plan["world"]
    scanner_backend, client_backend = world.backends() if world is not None else (None, None)
    specs = await _resolve(args, plan, scanner_backend)
    cfg = SessionConfig(out_dir=plan["out"], exercise=getattr(args, "exercise", "auto"), count=count,
                        duration_s=args.duration, scanner_backend=scanner_backend, client_backend=client_backend,
                        scan_timeout_s=args.scan_timeout)
    if count and not getattr(args, "no_history", True):
        from analysis.usual_range import usual_full_rom_by_side

        cfg.usual_full_rom_deg = usual_full_rom_by_side(args.db, [sp.side for sp in specs], exclude_dir=plan["out"])
    if world is not None:
        cfg.clock_for = world.host_clock
        cfg.done = lambda: world.done
    try:
        session = LiveSession(specs, cfg)
    except FileExistsError as e:
        raise BadInput(f"{e.filename} exists; choose another --out") from None
    interactive = sys.stdout.isatty() and not args.no_view and count
    what = f"{cfg.exercise}" + (" (simulated)" if world is not None else "")
    view = LiveView(session, f"imu live · {what}") if interactive else None
    printer = PlainPrinter(session)
    session.log = view.log if view is not None else printer.log
    if view is None and count:
        session.on_rep = printer.on_event
    names = ", ".join(f"{s.side + ': ' if s.side else ''}{s.found.name or s.found.address} ({s.profile.name}, "
                      f"{s.rate_hz:g} Hz)" for s in specs)
    printer.log(f"{'recording' if not count else 'counting'} {names} into {plan['out']}/ - Ctrl-C to finish")

    main = asyncio.current_task()
    presses = []

    def on_signal(why: str) -> None:
        presses.append(why)
        if len(presses) == 1:
            session.request_stop(why)
        else:
            main.cancel()

    loop = asyncio.get_running_loop()
    for sig, why in ((signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "terminated")):
        try:
            loop.add_signal_handler(sig, on_signal, why)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        tasks = [asyncio.create_task(session.run())]
        if view is not None:
            tasks.append(asyncio.create_task(view.run()))
        await asyncio.gather(*tasks)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
    failed = [f"{d.name}: {d.error}" for d in (world.devices if world is not None else []) if d.error]
    result = write_outputs(session)
    print_summary(session, result, count)
    gave_up = [side.link.stats.gave_up for side in session.sides if side.link.stats.gave_up]
    if gave_up:
        raise BadInput("; ".join(gave_up))
    if failed:
        raise BadInput("the simulation failed: " + "; ".join(failed))
    return 0


def print_summary(session, result: dict, count: bool) -> None:
    from imu.live.view import WARNINGS

    out = print
    why = session.stopped_by or "stopped"
    if count:
        reps, sides = result["reps"], result["sides"]
        sets = sorted({r.set for r in reps})
        flagged = sum(1 for r in reps if r.flags)
        ex = result["info"].get("exercise")
        out(f"session finished ({why}): {len(reps)} reps in {len(sets)} sets ({ex}), {flagged} flagged")
        for s in sets:
            rs = [(r, sd) for r, sd in zip(reps, sides or [""] * len(reps)) if r.set == s]
            by_side = Counter(sd for _, sd in rs if sd)
            per = f" ({', '.join(f'{k} {v}' for k, v in sorted(by_side.items()))})" if by_side else ""
            warn = Counter(WARNINGS.get(f, f) for r, _ in rs for f in r.flags)
            w = ("  " + ", ".join(f"{k} x{v}" for k, v in warn.most_common())) if warn else ""
            out(f"  set {s}: {len(rs)} reps{per}  tempo {' '.join(r.tempo for r, _ in rs)}{w}")
    else:
        out(f"recording finished ({why})")
    for side in session.sides:
        rep = result["reports"][side.label]
        out(f"  link {side.label}: {rep['notifications']} notifications, {rep['received_samples']} samples, "
            f"lost {rep['lost_samples']} ({100 * rep['loss_fraction']:.1f}%), duplicates {rep['duplicate_notifications']}, "
            f"malformed {rep['malformed']}, disconnects {rep['disconnects']}, reconnects {rep['reconnects']}")
    paths = result["paths"]
    out("wrote " + ", ".join(str(p) for p in paths.values()))
    if not count:
        first = next(iter(paths.values()))
        out(f"analyse with: imu analyze {first} --out {Path(first).parent / 'analysis'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="imu", description="Live counting from BLE ankle sensors.")
    sub = p.add_subparsers(dest="command", required=True)
    handlers = add_commands(sub)
    args = p.parse_args(argv)
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
