"""The live terminal view, readable from a mat on the floor (rich), and a plain printer.

:class:`LiveView` redraws about four times a second from the sides' state (it never sits in the
decode/count path): per sensor the rep count of the current set in big digits (a rep counts as the
leg comes back near its resting level; its tempo line follows when it settles), the set number,
the phase and leg angle, the last rep's tempo and its warnings (SWUNG, CUT SHORT, ...), the
counts of earlier sets and the link quality. :class:`PlainPrinter` (``--no-view``, or when the
output is not a terminal) prints one line per rep and per link event instead.

The first reps of a set are confirmed together when the set is (the engine needs
``min_set_reps`` consistent reps); until then the view shows them as "+N?".
"""
from __future__ import annotations

import asyncio
from collections import Counter

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from imu.rep import Rep

WARNINGS = {"momentum": "SWUNG", "partial": "CUT SHORT", "rushed": "RUSHED", "feet_rested": "feet rested",
            "no_top_hold": "no top hold", "uneven_rom": "uneven range", "data_gap": "data gap",
            "inferred": "lost in a data gap, counted from the rhythm"}
LOUD = {"momentum", "partial"}

_FONT = {
    "0": ["████", "█  █", "█  █", "█  █", "████"], "1": ["  █ ", " ██ ", "  █ ", "  █ ", " ███"],
    "2": ["████", "   █", "████", "█   ", "████"], "3": ["████", "   █", " ███", "   █", "████"],
    "4": ["█  █", "█  █", "████", "   █", "   █"], "5": ["████", "█   ", "████", "   █", "████"],
    "6": ["████", "█   ", "████", "█  █", "████"], "7": ["████", "   █", "  █ ", " █  ", " █  "],
    "8": ["████", "█  █", "████", "█  █", "████"], "9": ["████", "█  █", "████", "   █", "████"],
    "-": ["    ", "    ", "████", "    ", "    "],
}


def big(text: str, style: str = "bold green") -> Text:
    """``text`` (digits) in a 5-line block font, each pixel two characters wide."""
    rows = ["  ".join(_FONT.get(ch, _FONT["-"])[i].replace("█", "██").replace(" ", "  ") for ch in text)
            for i in range(5)]
    return Text("\n".join(rows), style=style)


def warnings(rep: Rep) -> list[str]:
    return [WARNINGS.get(f, f) for f in rep.flags]


def rep_line(rep: Rep) -> str:
    warn = "  ".join(warnings(rep))
    if rep.inferred:
        return f"set {rep.set} rep {rep.rep}: {warn}"
    return (f"set {rep.set} rep {rep.rep}: up {rep.up_s:.1f} s, top {rep.top_hold_s:.1f} s, down {rep.down_s:.1f} s, "
            f"range {rep.rom_deg:.0f} deg" + (f"  {warn}" if warn else ""))


def tentative(engine) -> int:
    """Reps of a set not yet confirmed (display only; none while the engine counts them, see
    :attr:`imu.engine.RepEngine.count_set`)."""
    if getattr(engine, "current_set", None) is None and getattr(engine, "count_set", None) is not None:
        return 0
    return int(getattr(engine, "pending_reps", 0))


def link_text(side) -> Text:
    st, loss, stream = side.link.stats, side.stream.loss, side.stream.stats
    total = loss.received_samples + loss.lost_samples
    pct = 100.0 * loss.lost_samples / total if total else 0.0
    t = Text()
    t.append("● connected" if st.connected else "○ reconnecting", style="green" if st.connected else "bold red")
    if st.rssi is not None:
        t.append(f" {st.rssi} dBm")
    t.append(f" · loss {pct:.1f}%", style="yellow" if pct > 2 else "")
    t.append(f" · dup {stream.duplicate_notifications} · bad {stream.malformed} · reconn {st.reconnects}")
    return t


def side_panel(side, show_counts: bool = True) -> Panel:
    eng = side.engine
    spec = side.spec
    name = spec.found.name or spec.found.address
    title = (f"{spec.side.upper()} · " if spec.side else "") + f"{name} · {spec.profile.name} {side.rate_hz:g} Hz"
    if eng is None:
        body = Text(f"recording: {side.stream.stats.samples} samples, {side.stream.last_t or 0:.1f} s")
        return Panel(Group(body, link_text(side)), title=title)
    per_set = Counter(r.set for r in eng.reps)
    # (a tentative set is counted once the rep that makes it ready to be judged has landed: count_set)
    cur = getattr(eng, "count_set", eng.current_set)
    shown = cur if cur is not None else (max(per_set) if per_set else None)
    # (the current set as the engine counts it now: a rep is counted as the leg comes back, before it settles)
    count = eng.count_now if cur is not None else (per_set.get(shown, 0) if shown is not None else 0)
    pend = tentative(eng)
    head = Text(f"SET {shown if shown is not None else '-'}", style="bold")
    if cur is None:
        head.append("   rest", style="dim")
    if pend:
        head.append(f"   +{pend}?", style="yellow")
    angle = eng.angle_now_deg()
    state = Text(f"phase {eng.phase.upper():7s}  angle {'--' if angle != angle else f'{angle:4.0f}°'}")
    last = eng.reps[-1] if eng.reps else None
    if last is not None:
        lr = Text(f"last: #{last.rep}  " + ("" if last.inferred else f"up {last.up_s:.1f}  top {last.top_hold_s:.1f}  "
                                                f"down {last.down_s:.1f} s  tempo {last.tempo}  "))
        for f in last.flags:
            lr.append(f" {WARNINGS.get(f, f)} ", style="bold white on red" if f in LOUD else "yellow")
    else:
        lr = Text("last: -", style="dim")
    sets = Text("sets: " + ("  ".join(f"{s}: {n}" for s, n in sorted(per_set.items())) or "-"), style="cyan")
    return Panel(Group(head, big(str(count)), state, lr, sets, link_text(side)), title=title)


class LiveView:
    """rich Live display of a :class:`~imu.live.session.LiveSession` (see the module docstring)."""

    def __init__(self, session, title: str, console: Console | None = None, refresh_s: float = 0.25):
        self.session, self.title = session, title
        self.console = console or Console()
        self.refresh_s = refresh_s
        self._live: Live | None = None

    def log(self, msg: str) -> None:
        self.console.print(Text(msg, style="dim"))

    def render(self):
        grid = Table.grid(expand=True, padding=(0, 1))
        for _ in self.session.sides:
            grid.add_column(ratio=1)
        grid.add_row(*[side_panel(s) for s in self.session.sides])
        t = max((s.stream.last_t or 0.0) for s in self.session.sides)
        head = Text(f"{self.title}   {int(t // 60)}:{int(t % 60):02d}   Ctrl-C to finish", style="bold")
        return Group(head, grid)

    async def run(self) -> None:
        with Live(self.render(), console=self.console, auto_refresh=False, transient=False) as live:
            self._live = live
            try:
                while not self.session.stop.is_set():
                    live.update(self.render(), refresh=True)
                    try:
                        await asyncio.wait_for(self.session.stop.wait(), self.refresh_s)
                    except asyncio.TimeoutError:
                        pass
            finally:
                live.update(self.render(), refresh=True)
                self._live = None


class PlainPrinter:
    """One line per rep and per link event (``--no-view``)."""

    def __init__(self, session, console: Console | None = None):
        self.session = session
        self.console = console or Console(highlight=False)
        self.two = len(session.sides) > 1

    def log(self, msg: str) -> None:
        self.console.print(msg, markup=False)

    def on_event(self, side, ev) -> None:
        if ev.kind == "rep" and ev.rep is not None:
            prefix = f"[{side.label}] " if self.two else ""
            self.console.print(prefix + rep_line(ev.rep), markup=False)
