"""Self-contained HTML reports: one session (``imu report SESSION``) and the history (``imu report --history``).

A report is one ``.html`` file that needs nothing else to be viewed: plain HTML with inline CSS, the
charts as PNG images embedded as ``data:image/png;base64`` URIs (rendered off-screen with matplotlib's
Agg canvas), no JavaScript and no reference to anything on the network.

The session report holds: the headline numbers, the leg-angle plot (the folder's ``session.png``;
re-drawn from the rep table when that file is missing), the per-set table, every flagged rep explained
in plain words (:func:`explain_rep`, e.g. "Set 2, rep 7: lowered in 0.6 s, legs dropped."), a chart of
every rep's phase durations and the table of every rep's tempo.

The history report holds charts per week and exercise of reps, time under tension, momentum share and
median range of motion (plus left - right differences when two sensors were worn) and the weekly table
of :meth:`analysis.history.HistoryStore.weekly_history`.
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Callable
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from imu.rep import FLAG_DESCRIPTIONS

from .export import atomic_write
from .history import HistoryStore, read_session_dir
from .plot import PHASE_COLORS, plot_session
from .tables import flag_lists

__all__ = ["explain_rep", "session_report_html", "write_session_report", "history_report_html",
           "write_history_report", "REPORT_FILE_NAME"]

#: Default file name of the session report, written into the session folder.
REPORT_FILE_NAME = "report.html"

# Flag thresholds used when session.json does not carry the preset (lying-leg-raise's values).
_DEFAULT_PRESET = {"momentum_up_s": 0.65, "momentum_down_s": 0.65, "momentum_dps": 100.0,
                   "momentum_accel_g": 1.2,
                   "rushed_up_s": 0.8, "rushed_down_s": 0.8, "rushed_rep_s": 4.0,
                   "min_top_hold_s": 0.3, "target_rom_deg": None}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;
max-width:1200px;padding:16px 24px;color:#222;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
.meta{color:#555;margin:0 0 1em}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:1em 0}
.card{border:1px solid #ddd;border-radius:8px;padding:8px 14px;min-width:110px;background:#fafafa}
.card b{display:block;font-size:1.5em}.card span{color:#555;font-size:.9em}
img{max-width:100%;height:auto;border:1px solid #eee}
table{border-collapse:collapse;font-size:.9em;margin:.4em 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f2f2f2}
td.t,th.t{text-align:left}tr.flagged td{background:#fff1f0}
ul.flagged li{margin:.15em 0}.flag{color:#b22222;font-weight:600}
dl.flags dt{font-weight:600;margin-top:.4em}dl.flags dd{margin-left:1.5em;color:#444}
footer{color:#777;font-size:.85em;margin-top:2em}
"""


# --------------------------------------------------------------------------- helpers

def _e(v) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _fin(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _s(v, nd: int = 1) -> str:
    return f"{float(v):.{nd}f} s" if _fin(v) else "?"


def _deg(v) -> str:
    return f"{float(v):.0f}°" if _fin(v) else "?"


def _num(v, nd: int = 1) -> str:
    return f"{float(v):.{nd}f}" if _fin(v) else ""


def _png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure_png(draw: Callable[[Figure], None], size_in: tuple[float, float], dpi: int = 90) -> bytes:
    fig = Figure(figsize=size_in, dpi=dpi)
    FigureCanvasAgg(fig)
    draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _img(png: bytes, alt: str, id_: str) -> str:
    return f'<img id="{_e(id_)}" alt="{_e(alt)}" src="{_png_data_uri(png)}">'


def _table(df: pd.DataFrame, headers: dict[str, str], id_: str, text_cols=(), row_class=None) -> str:
    cols = list(headers)
    head = "".join(f'<th class="{"t" if c in text_cols else ""}">{_e(headers[c])}</th>' for c in cols)
    body = []
    for i, row in enumerate(df[cols].itertuples(index=False)):
        cls = f' class="{row_class(i)}"' if row_class and row_class(i) else ""
        cells = "".join(f'<td class="{"t" if c in text_cols else ""}">{_e(v)}</td>' for c, v in zip(cols, row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f'<table id="{_e(id_)}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _page(title: str, body: str) -> str:
    made = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n{body}\n"
            f"<footer>Made by imu-reps on {_e(made)}. Times in seconds, angles in degrees.</footer>"
            "</body></html>\n")


def _exercise_name(slug: str) -> str:
    return slug.replace("-", " ").capitalize() if slug else "Leg lifts"


# --------------------------------------------------------------------------- plain words

def explain_rep(rep: pd.Series | dict, preset: dict | None = None, set_median_rom: float | None = None) -> str:
    """One plain-words sentence for a flagged rep, from its flags and phase times.

    ``rep``: a row of the reps table; ``preset``: the thresholds (session.json ``engine.preset``);
    ``set_median_rom``: the median ROM of the rep's set (for ``uneven_rom``).
    E.g. ``"Set 2, rep 7: lowered in 0.6 s, legs dropped."``. Returns ``""`` for an unflagged rep.
    """
    p = {**_DEFAULT_PRESET, **{k: v for k, v in (preset or {}).items() if v is not None}}
    flags = flag_lists([rep.get("flags", "")])[0]
    if not flags:
        return ""
    up, down, hold = rep.get("up_s"), rep.get("down_s"), rep.get("top_hold_s")
    v_up, v_down = rep.get("peak_up_dps"), rep.get("peak_down_dps")
    parts = []
    for code in flags:
        if code == "momentum":
            accel = rep.get("peak_accel_g")
            thrown = _fin(accel) and 0 < p["momentum_accel_g"] < accel
            swung = _fin(up) and up < p["momentum_up_s"] and (not _fin(v_up) or v_up > p["momentum_dps"])
            dropped = _fin(down) and down < p["momentum_down_s"] and (not _fin(v_down) or v_down > p["momentum_dps"])
            if not (thrown or swung or dropped):  # thresholds unknown: blame the faster phase
                swung = _fin(up) and (not _fin(down) or up <= down)
                dropped = not swung
            if thrown:
                parts.append(f"leg thrown (the ankle accelerated at {float(accel):.1f} g)")
            if swung:
                parts.append(f"swung up in {_s(up)}" + (f" (peak {float(v_up):.0f}°/s)" if _fin(v_up) else ""))
            if dropped:
                parts.append(f"lowered in {_s(down)}, legs dropped")
        elif code == "rushed":
            bits = []
            if _fin(up) and up < p["rushed_up_s"]:
                bits.append(f"raised in {_s(up)}")
            if _fin(down) and down < p["rushed_down_s"]:
                bits.append(f"lowered in {_s(down)}")
            if bits:
                parts.append(" and ".join(bits) + ", quicker than the target tempo")
            else:
                total = (up or 0) + (hold or 0) + (down or 0)
                parts.append(f"the whole rep took {_s(total)}, under the {float(p['rushed_rep_s']):g} s target")
        elif code == "partial":
            target = p.get("target_rom_deg")
            tail = f" of the {float(target):.0f}° target" if _fin(target) else ""
            parts.append(f"short range of motion: reached only {_deg(rep.get('rom_deg'))}{tail}")
        elif code == "feet_rested":
            bh = rep.get("bottom_hold_s")
            parts.append("feet rested on the floor" + (f" in the {_s(bh)} pause after it" if _fin(bh) else " after it"))
        elif code == "no_top_hold":
            parts.append(f"no pause at the top ({_s(hold)}; aim for {float(p['min_top_hold_s']):g} s)")
        elif code == "uneven_rom":
            ref = f", far from the set's typical {_deg(set_median_rom)}" if _fin(set_median_rom) else ""
            parts.append(f"range of motion {_deg(rep.get('rom_deg'))}{ref}")
        elif code == "data_gap":
            parts.append("the sensor lost data during this rep, so its timing is uncertain")
        else:
            parts.append(FLAG_DESCRIPTIONS.get(code, f"flag {code}"))
    side = str(rep.get("side") or "")
    who = f"Set {int(rep['set'])}, rep {int(rep['rep'])}" + (f" ({side} leg)" if side else "")
    return f"{who}: {'; '.join(parts)}."


# --------------------------------------------------------------------------- session report

def _tempo_chart(reps: pd.DataFrame) -> bytes:
    """Stacked bars of every rep's phases (up, top hold, down, bottom hold), sets separated."""
    n = len(reps)
    width = min(16.0, max(8.0, 0.03 * n + 6))

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot(1, 1, 1)
        x = np.arange(n)
        bottom = np.zeros(n)
        for phase in ("up", "top_hold", "down", "bottom_hold"):
            v = pd.to_numeric(reps[f"{phase}_s"], errors="coerce").fillna(0.0).to_numpy(float)
            color, alpha = PHASE_COLORS[phase]
            ax.bar(x, v, bottom=bottom, width=0.85, color=color, alpha=min(1.0, alpha + 0.45),
                   label=phase.replace("_", " "), linewidth=0)
            bottom += v
        flagged = np.array([bool(f) for f in flag_lists(reps["flags"])]) if n else np.array([], bool)
        if flagged.any():
            ax.plot(x[flagged], bottom[flagged], "v", color="#d62728", ms=4, label="flagged", linestyle="none")
        sets = reps["set"].to_numpy()
        for i in np.flatnonzero(sets[1:] != sets[:-1]) + 1:
            ax.axvline(i - 0.5, color="#555", ls="--", lw=0.8)
        top = float(np.percentile(bottom, 98)) if n else 1.0
        ax.set_ylim(0, max(1.0, 1.15 * top))
        ax.set_xlim(-0.6, max(n, 1) - 0.4)
        ax.set_xlabel("rep (in session order; dashed lines separate sets)")
        ax.set_ylabel("phase duration (s)")
        ax.set_title("Tempo of every rep", loc="left")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=5, fontsize=8, frameon=False)
        ax.grid(True, axis="y", color="#ddd", lw=0.6)
        fig.subplots_adjust(left=0.06, right=0.99, top=0.9, bottom=0.16)

    return _figure_png(draw, (width, 3.4))


def _session_plot_png(folder: Path, reps: pd.DataFrame) -> bytes:
    png = folder / "session.png"
    if png.is_file():
        return png.read_bytes()
    buf = io.BytesIO()
    plot_session(buf, [], [], reps, title="Leg lifts: rep phases (no angle trace)")
    return buf.getvalue()


_SET_HEADERS = {
    "set": "Set", "reps": "Reps", "tut": "TUT (s)", "median_tempo": "Median tempo", "up": "Up (s)",
    "top": "Top hold (s)", "down": "Down (s)", "bottom": "Bottom hold (s)", "rom": "Median ROM (°)",
    "max_rom": "Max ROM (°)", "rest": "Rest before (s)", "momentum_reps": "Momentum", "partial_reps": "Partial",
    "rushed_reps": "Rushed", "feet_rested_reps": "Feet rested", "flagged_reps": "Flagged",
}
_REP_HEADERS = {
    "set": "Set", "rep": "Rep", "tempo": "Tempo", "up": "Up (s)", "top": "Top hold (s)", "down": "Down (s)",
    "bottom": "Bottom hold (s)", "tut": "TUT (s)", "rom": "ROM (°)", "flags": "Flags",
}


def session_report_html(folder: str | Path) -> str:
    """The HTML report of a session folder (raises :class:`analysis.history.NotASession`)."""
    f = read_session_dir(folder)
    reps, sets, summary = f.reps, f.sets, f.summary
    ex = summary.get("exercise")
    slug = str((ex.get("preset") if isinstance(ex, dict) else ex) or "")
    preset = (summary.get("engine") or {}).get("preset") if isinstance(summary.get("engine"), dict) else None
    rec = summary.get("recording") if isinstance(summary.get("recording"), dict) else {}
    tempo = summary.get("tempo") if isinstance(summary.get("tempo"), dict) else {}
    n_flag = int(sum(1 for x in flag_lists(reps["flags"]) if x))
    title = f"{_exercise_name(slug)}: {f.started_at.strftime('%a %d %b %Y, %H:%M')}"

    cards = [(len(reps), "reps"), (len(sets), "sets"),
             (f"{np.nansum(reps['tut_s'].to_numpy(float)):.0f} s", "time under tension"),
             (tempo.get("tempo") or "–", "median tempo (down-bottom-up-top)"),
             (_deg(reps["rom_deg"].median()) if len(reps) else "–", "median range of motion"),
             (n_flag, "flagged reps")]
    sides = [s for s in dict.fromkeys(reps["side"]) if s]
    if sides:
        cards.append((" / ".join(f"{s} {int((reps['side'] == s).sum())}" for s in sides), "reps per leg"))
    card_html = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for v, k in cards)
    meta = [f.started_at.strftime("%Y-%m-%d %H:%M %Z").strip()]
    if _fin(rec.get("duration_s")):
        meta.append(f"{float(rec['duration_s']) / 60:.1f} min recorded")
    if rec.get("source_file"):
        meta.append(f"source: {rec['source_file']}")

    st = pd.DataFrame({
        "set": sets["set"], "reps": sets["reps"], "tut": sets["tut_s"].map(_num),
        "median_tempo": sets["median_tempo"], "up": sets["median_up_s"].map(_num),
        "top": sets["median_top_hold_s"].map(_num), "down": sets["median_down_s"].map(_num),
        "bottom": sets["median_bottom_hold_s"].map(_num), "rom": sets["median_rom_deg"].map(lambda v: _num(v, 0)),
        "max_rom": sets["max_rom_deg"].map(lambda v: _num(v, 0)), "rest": sets["rest_before_s"].map(lambda v: _num(v, 0)),
        **{c: sets[c] for c in ("momentum_reps", "partial_reps", "rushed_reps", "feet_rested_reps", "flagged_reps")},
    })
    set_headers = dict(_SET_HEADERS)
    if sets["side"].astype(str).str.len().any():
        st["side"] = sets["side"]
        set_headers["side"] = "Side"

    med_rom = dict(zip(sets["set"], sets["median_rom_deg"]))
    sentences = [explain_rep(row, preset, med_rom.get(row["set"])) for _, row in reps.iterrows()
                 if flag_lists([row["flags"]])[0]]
    flagged_html = ("<ul class=\"flagged\" id=\"flagged-reps\">" + "".join(f"<li>{_e(s)}</li>" for s in sentences)
                    + "</ul>") if sentences else '<p id="flagged-reps">No rep was flagged: clean work.</p>'

    rt = pd.DataFrame({
        "set": reps["set"], "rep": reps["rep"], "tempo": reps["tempo"], "up": reps["up_s"].map(_num),
        "top": reps["top_hold_s"].map(_num), "down": reps["down_s"].map(_num),
        "bottom": reps["bottom_hold_s"].map(_num), "tut": reps["tut_s"].map(_num),
        "rom": reps["rom_deg"].map(lambda v: _num(v, 0)), "flags": reps["flags"].str.replace(";", ", "),
    })
    rep_headers = dict(_REP_HEADERS)
    if sides:
        rt["side"] = reps["side"]
        rep_headers["side"] = "Side"
    flagged_rows = [bool(x) for x in flag_lists(reps["flags"])]
    codes = sorted({c for x in flag_lists(reps["flags"]) for c in x})
    legend = "".join(f"<dt>{_e(c)}</dt><dd>{_e(FLAG_DESCRIPTIONS.get(c, ''))}</dd>" for c in codes)
    legend_html = f'<h2>What the flags mean</h2><dl class="flags">{legend}</dl>' if legend else ""

    body = f"""<h1>{_e(title)}</h1>
<p class="meta">{_e(' · '.join(meta))}</p>
<div class="cards" id="headline">{card_html}</div>
<h2>Leg angle</h2>
{_img(_session_plot_png(f.folder, reps), "leg angle over the session with every rep's phases", "session-plot")}
<h2>Sets</h2>
{_table(st, set_headers, "sets", text_cols=("median_tempo", "side"))}
<h2>Flagged reps ({len(sentences)})</h2>
{flagged_html}
<h2>Tempo of every rep</h2>
<p>Tempo is written down-bottom-up-top in whole seconds (e.g. 3-0-2-1: 3 s down, no pause, 2 s up,
1 s hold at the top).</p>
{_img(_tempo_chart(reps), "phase durations of every rep", "tempo-chart")}
{_table(rt, rep_headers, "reps", text_cols=("tempo", "flags", "side"), row_class=lambda i: "flagged" if flagged_rows[i] else "")}
{legend_html}"""
    return _page(title, body)


def write_session_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the session report to ``out`` (default ``FOLDER/report.html``) atomically; returns the path."""
    text = session_report_html(folder)
    out = Path(out) if out is not None else Path(folder) / REPORT_FILE_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(out, lambda fh: fh.write(text))


# --------------------------------------------------------------------------- history report

_HISTORY_CHARTS = [
    ("reps", "Reps per week", "reps", 1.0),
    ("tut_s", "Time under tension per week", "minutes", 1 / 60),
    ("momentum_share", "Momentum reps (swung or dropped)", "% of reps", 100.0),
    ("median_rom_deg", "Median range of motion", "degrees", 1.0),
]


def _history_chart(weekly: pd.DataFrame) -> bytes:
    lr = weekly["lr_reps_diff"].notna().any()
    charts = _HISTORY_CHARTS + ([("lr_rom_diff_deg", "Left - right median ROM", "degrees", 1.0),
                                 ("lr_reps_diff", "Left - right reps", "reps", 1.0)] if lr else [])
    rows = math.ceil(len(charts) / 2)
    first, last = weekly["week"].min(), weekly["week"].max()

    def draw(fig: Figure) -> None:
        for k, (col, title, unit, scale) in enumerate(charts):
            ax = fig.add_subplot(rows, 2, k + 1)
            for ex, g in weekly.groupby("exercise", sort=True):
                g = g.sort_values("week")
                ax.plot(g["week"], g[col].astype(float) * scale, marker="o", ms=3, lw=1.4,
                        label=_exercise_name(str(ex)))
            if col.startswith("lr_"):
                ax.axhline(0, color="#888", lw=0.8)
            else:
                ax.set_ylim(bottom=0)
            if col == "momentum_share":
                ax.set_ylim(0, 100)
            if col == "median_rom_deg":
                ax.axhline(90, color="#1b9e77", lw=0.8, ls="--", label="vertical (90°)")
                ax.set_ylim(0, max(100.0, ax.get_ylim()[1]))
            locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            pad = max(pd.Timedelta(days=4), (last - first) * 0.03)
            ax.set_xlim(first - pad, last + pad)  # the same weeks on every chart
            ax.set_title(title, fontsize=10)
            ax.set_ylabel(unit)
            ax.grid(True, color="#ddd", lw=0.6)
            ax.tick_params(axis="x", labelsize=8)
            if k == 0:
                ax.legend(fontsize=8, frameon=False)
        fig.subplots_adjust(left=0.07, right=0.98, top=0.95, bottom=0.08, hspace=0.55, wspace=0.2)

    return _figure_png(draw, (13.0, 3.3 * rows))


_WEEK_HEADERS = {
    "iso_week": "Week", "exercise": "Exercise", "sessions": "Sessions", "sets": "Sets", "reps": "Reps",
    "tut": "TUT (min)", "median_tempo": "Median tempo", "down": "Median down (s)", "momentum": "Momentum",
    "partial": "Partial", "rom": "Median ROM (°)",
}


def history_report_html(store: HistoryStore, exercise: str | None = None, since=None) -> str:
    """The HTML report of the trends in ``store`` (optionally one exercise / from a date on)."""
    weekly = store.weekly_history(exercise=exercise, since=since)
    title = "Training history" + (f": {_exercise_name(exercise)}" if exercise else "")
    if weekly.empty:
        return _page(title, f"<h1>{_e(title)}</h1><p id=\"empty\">No sessions stored yet "
                            f"({_e(store.path)}). Add some with <code>imu import DIR...</code>.</p>")
    pct = lambda v: f"{100 * float(v):.0f}%" if _fin(v) else ""  # noqa: E731
    wt = pd.DataFrame({
        "iso_week": weekly["iso_week"], "exercise": weekly["exercise"], "sessions": weekly["sessions"],
        "sets": weekly["sets"], "reps": weekly["reps"], "tut": (weekly["tut_s"] / 60).map(_num),
        "median_tempo": weekly["median_tempo"], "down": weekly["median_down_s"].map(_num),
        "momentum": weekly["momentum_share"].map(pct), "partial": weekly["partial_share"].map(pct),
        "rom": weekly["median_rom_deg"].map(lambda v: _num(v, 0)),
    })
    headers = dict(_WEEK_HEADERS)
    if weekly["lr_reps_diff"].notna().any():
        wt["lr_reps"] = weekly["lr_reps_diff"].map(lambda v: _num(v, 0))
        wt["lr_rom"] = weekly["lr_rom_diff_deg"].map(_num)
        headers.update({"lr_reps": "Left - right reps", "lr_rom": "Left - right ROM (°)"})
    totals = [(int(weekly["sessions"].sum()), "sessions"), (int(weekly["reps"].sum()), "reps"),
              (f"{weekly['tut_s'].sum() / 60:.0f} min", "time under tension"), (len(weekly), "week rows")]
    first, last = weekly["week"].min(), weekly["week"].max()
    body = f"""<h1>{_e(title)}</h1>
<p class="meta">{_e(f"weeks of {first:%d %b %Y} to {last:%d %b %Y}")} · {_e(store.path)}</p>
<div class="cards" id="headline">{"".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for v, k in totals)}</div>
<h2>Trends</h2>
{_img(_history_chart(weekly), "weekly reps, time under tension, momentum share and range of motion", "history-chart")}
<h2>Week by week</h2>
{_table(wt, headers, "weeks", text_cols=("iso_week", "exercise", "median_tempo"))}"""
    return _page(title, body)


def write_history_report(store: HistoryStore, out: str | Path, exercise: str | None = None, since=None) -> Path:
    """Write the history report to ``out`` atomically; returns the path."""
    text = history_report_html(store, exercise=exercise, since=since)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(out, lambda fh: fh.write(text))
