"""HTML reports (analysis.report): plain-words rep explanations, self-containment, a real headless browser."""
from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from analysis.export import write_session
from analysis.history import HistoryStore
from analysis.report import explain_rep, history_report_html, session_report_html, write_history_report, write_session_report
from analysis.tables import flag_lists, read_reps_csv, read_sets_csv
from imu.process import reps_process
from imu.recording import recording_from_frame
from imu.rep import Rep
from imu.sim import SessionSpec, SetSpec, simulate_session
from tests.test_history import make_session, run_cmd, three_sessions, week1_a  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
PRESET = {"momentum_up_s": 0.65, "momentum_down_s": 0.65, "momentum_dps": 100.0, "rushed_up_s": 0.8,
          "rushed_down_s": 0.8, "rushed_rep_s": 4.0, "min_top_hold_s": 0.3, "target_rom_deg": 80}


def rep_row(**kw) -> dict:
    row = {"set": 2, "rep": 7, "up_s": 2.0, "top_hold_s": 1.0, "down_s": 3.0, "bottom_hold_s": 1.0,
           "rom_deg": 85.0, "peak_up_dps": 60.0, "peak_down_dps": 50.0, "flags": "", "side": ""}
    row.update(kw)
    return row


# --------------------------------------------------------------------------- plain words

def test_explain_rep_sentences():
    assert explain_rep(rep_row()) == ""
    assert explain_rep(rep_row(flags="momentum", down_s=0.6, peak_down_dps=160.0), PRESET) == \
        "Set 2, rep 7: lowered in 0.6 s, legs dropped."
    assert explain_rep(rep_row(flags="momentum", up_s=0.4, peak_up_dps=180.0), PRESET) == \
        "Set 2, rep 7: swung up in 0.4 s (peak 180°/s)."
    # a short swing that turned slowly (or a rep counted without a gyroscope): the acceleration tells
    assert explain_rep(rep_row(flags="momentum", up_s=0.9, down_s=0.9, peak_accel_g=2.3), PRESET) == \
        "Set 2, rep 7: leg thrown (the ankle accelerated at 2.3 g)."
    assert explain_rep(rep_row(flags="rushed", up_s=0.7), PRESET) == \
        "Set 2, rep 7: raised in 0.7 s, quicker than the target tempo."
    assert explain_rep(rep_row(flags="rushed", up_s=1.0, top_hold_s=0.5, down_s=1.0), PRESET) == \
        "Set 2, rep 7: the whole rep took 2.5 s, under the 4 s target."
    assert explain_rep(rep_row(flags="partial;feet_rested", rom_deg=43.0, bottom_hold_s=1.9), PRESET) == \
        "Set 2, rep 7: short range of motion: reached only 43° of the 80° target; " \
        "feet rested on the floor in the 1.9 s pause after it."
    assert explain_rep(rep_row(flags="no_top_hold", top_hold_s=0.1, side="left"), PRESET) == \
        "Set 2, rep 7 (left leg): no pause at the top (0.1 s; aim for 0.3 s)."
    assert explain_rep(rep_row(flags="uneven_rom", rom_deg=60.0), PRESET, set_median_rom=85.0) == \
        "Set 2, rep 7: range of motion 60°, far from the set's typical 85°."
    assert "timing is uncertain" in explain_rep(rep_row(flags="data_gap"))
    assert explain_rep(rep_row(flags="wobbly")) == "Set 2, rep 7: flag wobbly."
    # without the preset: the faster phase is blamed
    assert explain_rep(rep_row(flags="momentum", up_s=1.5, down_s=0.5)) == "Set 2, rep 7: lowered in 0.5 s, legs dropped."


# --------------------------------------------------------------------------- a real session

@pytest.fixture(scope="module")
def sim_session(tmp_path_factory) -> Path:
    sim = simulate_session(SessionSpec(exercise="lying-leg-raise",
                                       sets=[SetSpec("textbook", 8), SetSpec("swung", 8), SetSpec("partial", 8)],
                                       rate_hz=50.0, seed=3, rest_s=(20.0, 40.0)))
    res = reps_process(recording_from_frame(sim.data, source="simulated (seed 3)"), "lying-leg-raise")
    folder = tmp_path_factory.mktemp("sim") / "session"
    write_session(folder, res.reps, res.trace_t_s, res.trace_deg, res.info)
    return folder


def _assert_self_contained(text: str) -> None:
    assert "<script" not in text.lower()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", text, flags=re.I)
    assert refs and all(r.startswith("data:image/png;base64,") for r in refs), refs[:3]
    assert not re.search(r"https?://|url\(|@import", text)


def test_session_report_content(sim_session):
    text = session_report_html(sim_session)
    _assert_self_contained(text)
    reps, sets = read_reps_csv(sim_session / "reps.csv"), read_sets_csv(sim_session / "sets.csv")
    summary = json.loads((sim_session / "session.json").read_text())
    for row in sets.itertuples():
        assert f"<td class=\"t\">{row.median_tempo}</td>" in text
    flagged = [r for _, r in reps.iterrows() if flag_lists([r["flags"]])[0]]
    assert flagged, "the swung and partial sets must flag reps"
    assert f"Flagged reps ({len(flagged)})" in text
    med = dict(zip(sets["set"], sets["median_rom_deg"]))
    for r in flagged:
        sentence = explain_rep(r, summary["engine"]["preset"], med[r["set"]])
        assert sentence.replace("'", "&#x27;") in text
    assert text.count("<tr") == 2 + len(sets) + len(reps)  # two header rows


def test_report_without_plot_file(tmp_path):
    folder = make_session(tmp_path / "s", week1_a(), started_at="2024-01-01T18:00:00+00:00")
    (folder / "session.png").unlink()
    text = session_report_html(folder)
    _assert_self_contained(text)
    assert 'id="session-plot"' in text and "Set 1, rep 2: " in text


def test_long_session_report_is_small(tmp_path):
    """About an hour of reps (600 reps, 50 sets) with a 25 Hz angle trace: every rep is in the report, which
    stays small enough to mail (how fast it renders is measured by ``bench.history_bench``)."""
    reps, t = [], 10.0
    for s in range(1, 51):
        for k in range(1, 13):
            flags = ("momentum",) if k == 12 else ()
            reps.append(Rep(s, k, t, t + 1.5, t + 2.0, t + 3.5, 80.0 + (k % 3), 70.0, 60.0, 0.0, flags,
                            None if k == 12 else 0.5))
            t += 4.0
        t += 24.0
    tt = np.arange(0.0, t, 0.04)
    y = 40 + 40 * np.sin(tt)
    write_session(tmp_path / "hour", reps, tt, y, {"exercise": "lying-leg-raise", "duration_s": t})
    out = write_session_report(tmp_path / "hour")
    assert out == tmp_path / "hour" / "report.html"
    assert out.stat().st_size < 2_000_000, out.stat().st_size
    text = out.read_text()
    assert "Set 50, rep 12: " in text and "Set 51" not in text


def test_history_report_content(tmp_path, three_sessions):  # noqa: F811
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        empty = history_report_html(store)
        assert "No sessions stored yet" in empty
        store.import_dirs(three_sessions)
        text = history_report_html(store)
    _assert_self_contained(text)
    assert "2024-W01" in text and "2024-W02" in text and "Left - right reps" in text
    assert 'id="history-chart"' in text


def test_report_command(tmp_path, sim_session, three_sessions, capsys, monkeypatch):  # noqa: F811
    rc, out, _ = run_cmd(["report", str(sim_session)], capsys)
    assert rc == 0 and (sim_session / "report.html").is_file() and "report.html" in out
    rc, _, err = run_cmd(["report", str(tmp_path)], capsys)
    assert rc == 2 and f"{tmp_path}: not a session folder" in err
    rc, _, err = run_cmd(["report"], capsys)
    assert rc == 2 and "give a SESSION folder, or --history" in err
    rc, _, err = run_cmd(["report", str(sim_session), "--history"], capsys)
    assert rc == 2 and "not both" in err
    db = str(tmp_path / "h.sqlite3")
    run_cmd(["import", *map(str, three_sessions), "--db", db], capsys)
    monkeypatch.chdir(tmp_path)
    rc, _, _ = run_cmd(["report", "--history", "--db", db], capsys)
    assert rc == 0 and (tmp_path / "history-report.html").is_file()
    rc, _, _ = run_cmd(["report", "--history", "--db", db, "--exercise", "side-leg-lift", "--out", "x/h.html"], capsys)
    assert rc == 0 and "2024-W01" not in (tmp_path / "x" / "h.html").read_text()


# --------------------------------------------------------------------------- the browser

_PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {id: i.id, w: i.naturalWidth, h: i.naturalHeight, complete: i.complete};
  });
  var fetched = performance.getEntriesByType('resource').map(function (e) { return e.name; })
    .filter(function (n) { return n.indexOf('data:') !== 0; });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({images: imgs, fetched: fetched});
  document.body.appendChild(pre);
});
</script>"""


def _chromium() -> Path:
    if not CHROMIUM.exists():
        proc = subprocess.run(["bash", str(ROOT / "scripts" / "ensure_chromium.sh")], capture_output=True,
                              text=True, timeout=1200)
        if not CHROMIUM.exists():
            pytest.skip(f"Debian's chromium could not be installed by scripts/ensure_chromium.sh "
                        f"(exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
    return CHROMIUM


def _run_chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [str(_chromium()), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing could be fetched from the network
           "--virtual-time-budget=10000", "--window-size=1280,2000", *extra, page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


class _Dom(HTMLParser):
    """Text of table rows by table id, list items, headings and the probe, from the dumped DOM."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.items: list[str] = []
        self.probe = ""
        self._table = None
        self._cell = None
        self._li = None
        self._pre = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = ""
        elif tag == "li":
            self._li = ""
        elif tag == "pre" and a.get("id") == "probe":
            self._pre = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(self._cell.strip())
            self._cell = None
        elif tag == "li" and self._li is not None:
            self.items.append(self._li.strip())
            self._li = None
        elif tag == "pre":
            self._pre = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._li is not None:
            self._li += data
        if self._pre:
            self.probe += data


def _dom(tmp_path: Path, html_path: Path) -> _Dom:
    probe_page = tmp_path / f"probe-{html_path.name}"
    probe_page.write_text(html_path.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    proc = _run_chromium(tmp_path, probe_page, "--dump-dom")
    dom = _Dom()
    dom.feed(proc.stdout)
    assert dom.probe, "the page did not finish loading in the browser"
    return dom


def _screenshot_not_blank(tmp_path: Path, html_path: Path) -> None:
    from matplotlib.image import imread

    shot = tmp_path / f"{html_path.stem}.png"
    _run_chromium(tmp_path, html_path, f"--screenshot={shot}")
    img = imread(shot)[..., :3]
    assert img.shape[0] >= 1000 and img.shape[1] == 1280
    non_white = (img < 0.9).any(axis=2).mean()
    colours = len(np.unique((img[::4, ::4] * 15).round().reshape(-1, 3), axis=0))
    assert non_white > 0.01 and colours > 20, f"screenshot looks blank ({non_white:.3f} non-white, {colours} colours)"


def test_session_report_in_browser(tmp_path, sim_session):
    page = write_session_report(sim_session, tmp_path / "report.html")
    dom = _dom(tmp_path, page)
    probe = json.loads(dom.probe)
    assert probe["fetched"] == []
    imgs = {i["id"]: i for i in probe["images"]}
    assert set(imgs) == {"session-plot", "tempo-chart"}
    from matplotlib.image import imread
    h, w = imread(sim_session / "session.png").shape[:2]
    assert (imgs["session-plot"]["w"], imgs["session-plot"]["h"]) == (w, h)
    assert all(i["complete"] and i["w"] > 100 and i["h"] > 100 for i in imgs.values())

    sets = read_sets_csv(sim_session / "sets.csv")
    reps = read_reps_csv(sim_session / "reps.csv")
    shown = dom.tables["sets"]
    assert shown[0][:4] == ["Set", "Reps", "TUT (s)", "Median tempo"]
    assert [r[0] for r in shown[1:]] == [str(s) for s in sets["set"]]
    assert [r[1] for r in shown[1:]] == [str(n) for n in sets["reps"]]
    assert [r[2] for r in shown[1:]] == [f"{v:.1f}" for v in sets["tut_s"]]
    assert [r[3] for r in shown[1:]] == list(sets["median_tempo"])
    rows = dom.tables["reps"][1:]
    assert [r[2] for r in rows] == list(reps["tempo"])  # the tempo of every rep

    summary = json.loads((sim_session / "session.json").read_text())
    med = dict(zip(sets["set"], sets["median_rom_deg"]))
    expected = [explain_rep(r, summary["engine"]["preset"], med[r["set"]]) for _, r in reps.iterrows()
                if flag_lists([r["flags"]])[0]]
    assert dom.items == expected
    assert any("legs dropped" in s or "swung up in" in s for s in dom.items)
    assert any("reached only" in s for s in dom.items)
    _screenshot_not_blank(tmp_path, page)


def test_history_report_in_browser(tmp_path, three_sessions):  # noqa: F811
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.import_dirs(three_sessions)
        page = write_history_report(store, tmp_path / "history.html")
    dom = _dom(tmp_path, page)
    probe = json.loads(dom.probe)
    assert probe["fetched"] == []
    assert [(i["id"], i["w"] > 500, i["h"] > 300) for i in probe["images"]] == [("history-chart", True, True)]
    weeks = dom.tables["weeks"]
    assert weeks[0][:5] == ["Week", "Exercise", "Sessions", "Sets", "Reps"]
    assert [r[:5] for r in weeks[1:]] == [["2024-W01", "lying-leg-raise", "2", "2", "4"],
                                         ["2024-W02", "side-leg-lift", "1", "1", "2"]]
    assert [r[7] for r in weeks[1:]] == ["3.0", "2.6"]  # median down (s)
    assert [r[8] for r in weeks[1:]] == ["50%", "0%"]  # momentum share
    _screenshot_not_blank(tmp_path, page)
