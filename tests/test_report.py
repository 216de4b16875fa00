"""The HTML report (sim.outputs.report): built from a real `omnisim compare --out` folder, opened in headless Chromium.

Chromium is Debian's package (/usr/bin/chromium). If it is absent the set-up installs it with apt-get (root
only); the browser tests are skipped, with the reason, only where that fails.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

import sim
from sim.interfaces import cli
from sim.outputs import plots
from sim.outputs.report import infer_confidence, write_report

from .helpers import last_line

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=5000")


def browse(chromium: str, page: Path, tmp: Path, *extra: str) -> str:
    """Run headless Chromium on ``page`` with ``extra`` options; return its standard output."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, last_line(done.stderr)
    return done.stdout


class Dom(HTMLParser):
    """The parts of a dumped DOM the tests look at: body attributes, images, tables and their row counts."""

    def __init__(self, text: str):
        super().__init__()
        self.body: dict[str, str] = {}
        self.images: list[dict[str, str]] = []
        self.tables: dict[str, int] = {}
        self.external: list[str] = []
        self._table: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.body = a
        elif tag == "img":
            self.images.append(a)
        elif tag == "table":
            self._table = a.get("id", f"table-{len(self.tables)}")
            self.tables[self._table] = 0
        elif tag == "tr" and self._table is not None:
            self.tables[self._table] += 1
        for key in ("src", "href"):
            if a.get(key, "").startswith(("http:", "https:", "//", "file:")):
                self.external.append(a[key])

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


# --------------------------------------------------------------------------------------------- results
@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cmp") / "results"
    # a whole week (the payback scales whole weeks only), few customers a day to stay quick
    code = cli.main(["compare", str(DEFAULT), "--replications", "2", "--set", "horizon_days=7", "--set",
                     "warmup_days=0", "--set", "customers_per_day=300", "--workers", "1", "--no-progress", "--out", str(out)])
    assert code == 0
    shutil.copy(DEFAULT, out / "scenario.yaml")
    return out


META = {"scenario": "fashion-default, 1 week", "seed": 0, "confidence": 0.95, "horizon_days": 7}


def expected_images(folder: Path) -> int:
    """The folder's charts (changes.png drawn once, in the decision) plus the ROI chart the report draws."""
    return len(list(folder.glob("*.png"))) + 1


@pytest.mark.slow
def test_report_is_self_contained(results, tmp_path):
    page = write_report(results, tmp_path / "report.html", meta=META)
    text = page.read_text(encoding="utf-8")
    dom = Dom(text)
    assert not dom.external, dom.external
    assert len(dom.images) == expected_images(results)
    for img in dom.images:
        head, data = img["src"].split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"decision-table", "payback-table", "meta-table", "kpi-table", "differences-table", "roi-table",
            "costs-table", "summary-table", "runs-table", "glossary-table", "breakdown-store", "breakdown-channel",
            "breakdown-segment"} <= set(dom.tables)
    assert dom.tables["breakdown-store"] == 1 + 3 * 10  # header + every setup x store
    assert "name: fashion-default" in text  # the scenario text
    assert f"<td>omnisim version</td><td>{sim.__version__}</td>" in text
    assert "<td>seed</td><td>0</td>" in text and "<td>confidence level</td><td>95.0%</td>" in text
    # KPIs are shown with the label, unit and definition they are declared with (sim/core/kpis.py)
    from sim.core.kpis import KPI_BY_NAME

    fill = KPI_BY_NAME["fill_rate"]
    assert f"<a href='#kpi-fill_rate' title='{html.escape(fill.definition, quote=True)}'>{fill.label}</a>" in text
    assert "<tr id='kpi-fill_rate'>" in text  # the glossary entry the label links to
    assert f"<code>fill_rate</code></td><td>{html.escape(fill.unit)}</td>" in text


@pytest.mark.slow
def test_report_defaults_and_inference(results, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(results, folder)
    (folder / "scenario.yaml").unlink()
    (folder / "meta.json").write_text(json.dumps({"seed": 42, "analyst": "A. Consultant"}), encoding="utf-8")
    page = write_report(folder)
    assert page == folder / "report.html"
    text = page.read_text(encoding="utf-8")
    assert "<td>seed</td><td>42</td>" in text and "<td>analyst</td><td>A. Consultant</td>" in text
    assert "95.0% (inferred from the intervals)" in text
    assert "No scenario.yaml in the results folder." in text
    assert "roi-table" not in text  # no measured days given: no ROI section
    assert not list(folder.glob(".report-*"))
    assert infer_confidence(pd.read_csv(folder / "summary.csv")) == pytest.approx(0.95)
    with pytest.raises(FileNotFoundError, match="summary.csv"):
        write_report(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such results folder"):
        write_report(tmp_path / "nowhere")


# --------------------------------------------------------------------------------------------- in Chromium
def test_report_loads_in_headless_chromium(chromium, results, tmp_path):
    page = write_report(results, tmp_path / "report.html", meta=META)
    dom = Dom(browse(chromium, page, tmp_path, "--dump-dom"))
    n = expected_images(results)
    assert len(dom.images) == n
    assert dom.body.get("data-images-total") == str(n)
    assert dom.body.get("data-images-loaded") == str(n), "an embedded chart did not decode in the browser"
    summary = pd.read_csv(results / "summary.csv")
    kpis = summary["kpi"].nunique()
    assert dom.tables["kpi-table"] == kpis + 1  # header row + one per KPI
    assert dom.tables["differences-table"] == kpis + 1
    assert dom.tables["summary-table"] == len(summary) + 1
    assert dom.tables["roi-table"] == summary["setup"].nunique()  # header + every non-baseline setup
    assert dom.tables["meta-table"] >= 10


def test_broken_image_is_detected(chromium, results, tmp_path):
    """The loaded-images count is a real check: a corrupt chart is not counted."""
    page = write_report(results, tmp_path / "report.html")
    text = page.read_text(encoding="utf-8")
    start = text.index("data:image/png;base64,") + len("data:image/png;base64,")
    page.write_text(text[:start] + "AAAA" + text[start + 4:], encoding="utf-8")
    total = text.count("data:image/png;base64,")
    assert total >= 2
    dom = Dom(browse(chromium, page, tmp_path, "--dump-dom"))
    assert dom.body.get("data-images-total") == str(total) and dom.body.get("data-images-loaded") == str(total - 1)


def test_report_screenshot(chromium, results, tmp_path):
    page = write_report(results, tmp_path / "report.html", meta=META)
    shot = tmp_path / "shot.png"
    browse(chromium, page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2400")
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    assert float(pixels[..., :3].std()) > 0.05  # text, tables and charts, not a blank page


def test_first_screen_is_the_decision(chromium, results, tmp_path):
    """On a laptop's first screen: the decision (sentences, relative changes, payback) before any full table,
    and no number in it in scientific notation."""
    page = write_report(results, tmp_path / "report.html", meta=META)
    size = "--window-size=1280,900"
    text = browse(chromium, page, tmp_path, "--dump-dom", size)
    dom = Dom(text)
    top, first_table = int(dom.body["data-decision-top"]), int(dom.body["data-first-table-top"])
    assert top < int(dom.body["data-viewport-height"]) / 2 < first_table  # the decision opens the first screen
    decision = text[text.index("id=\"decision\""):text.index("id=\"mechanisms\"")]
    for table in ("decision-table", "payback-table"):
        assert text.index(f"id=\"{table}\"") < text.index("id=\"kpi-table\"")
    assert "against multichannel" in decision and "pays back" in decision
    assert re.search(r"[+−]\d[\d,.]* (%|points) \[", decision)  # relative changes with their interval
    assert not re.search(r"\d[eE][+-]?\d", re.sub(r"<[^>]+>|data:image/png;base64,[^'\"]+", "", decision))
    shot = tmp_path / "first.png"
    browse(chromium, page, tmp_path, f"--screenshot={shot}", size)
    pixels = (image.imread(shot)[..., :3] * 255).round().astype(int)
    box = np.all(pixels == (247, 250, 247), axis=-1)  # the decision section's background
    assert box.mean() > 0.05, "the decision box is not on the first screen"


# --------------------------------------------------------------------------------------------- what drives the gain
# ``omnisim compare --decompose --assumptions N`` writes decomposition.csv, waterfall.png, behaviour.csv, tornado.png
# and their keys in decision.json, and the report shows the waterfall, the behaviour ranges, the tornado and the
# break-evens in its first section
SETUPS = "multichannel,cross-channel"


@pytest.fixture(scope="module")
def decomposed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dec") / "results"
    code = cli.main(["compare", str(DEFAULT), "--setups", SETUPS, "--replications", "2", "--set", "horizon_days=7",
                     "--set", "warmup_days=0", "--set", "customers_per_day=200", "--workers", "1", "--no-progress",
                     "--decompose", "--assumptions", "3", "--break-evens", "1", "--out", str(out)])
    assert code == 0
    return out


def test_compare_decompose_writes_the_waterfall(decomposed):
    table = pd.read_csv(decomposed / "decomposition.csv")
    assert (decomposed / "waterfall.png").is_file()
    steps = table[(table["kind"] == "step") & (table["kpi"] == "operating_margin")]
    # multichannel -> cross-channel switches visibility, cart continuity, click & collect and endless aisle
    assert list(steps["switches"]) == ["visibility", "cart_continuity", "click_collect", "endless_aisle"]
    decision = json.loads((decomposed / "decision.json").read_text())
    dec = decision["decomposition"]["setups"]["cross-channel"]
    assert len(dec["revenue"]["steps"]) == 4
    assert sum(s["diff"] for s in dec["revenue"]["steps"]) == pytest.approx(dec["revenue"]["total"]["diff"], rel=1e-9)
    # the total is the comparison's own paired difference: the decomposition reused its runs
    change = next(c for c in decision["changes"] if c["setup"] == "cross-channel" and c["kpi"] == "revenue")
    assert dec["revenue"]["total"]["diff"] == pytest.approx(change["diff"], rel=1e-12)


def test_waterfall_chart_refuses_a_table_without_the_kpi(decomposed):
    table = pd.read_csv(decomposed / "decomposition.csv")
    with pytest.raises(ValueError, match="no decomposition of 'nope'"):
        plots.waterfall_figure(table, "nope")


def test_report_shows_the_waterfall_in_the_decision(chromium, decomposed, tmp_path):
    page = write_report(decomposed, tmp_path / "report.html", meta={"horizon_days": 7})
    text = browse(chromium, page, tmp_path, "--dump-dom", "--window-size=1280,900")
    dom = Dom(text)
    assert dom.body.get("data-images-loaded") == dom.body.get("data-images-total")  # every chart decoded
    decision = text[text.index('id="decision"'):text.index('id="mechanisms"')]
    assert 'id="waterfall"' in decision and 'id="decomposition-table"' in decision
    assert dom.tables["decomposition-table"] == 1 + 4 + 1  # header, four steps, the total
    assert sum(1 for img in dom.images if img.get("data-file") == "waterfall.png") == 1  # not again below


def test_report_without_a_decomposition_has_no_waterfall(chromium, decomposed, tmp_path):
    copy = tmp_path / "plain"
    shutil.copytree(decomposed, copy)
    (copy / "decomposition.csv").unlink()
    (copy / "waterfall.png").unlink()
    page = write_report(copy, tmp_path / "report.html")
    text = browse(chromium, page, tmp_path, "--dump-dom")
    assert 'id="waterfall"' not in text and "decomposition-table" not in text


def test_report_shows_behaviour_ranges_tornado_and_break_evens_in_the_decision(chromium, decomposed, tmp_path):
    decision_json = json.loads((decomposed / "decision.json").read_text())
    page = write_report(decomposed, tmp_path / "report.html", meta={"horizon_days": 7})
    text = browse(chromium, page, tmp_path, "--dump-dom", "--window-size=1280,900")
    dom = Dom(text)
    assert dom.body.get("data-images-loaded") == dom.body.get("data-images-total")  # every chart decoded
    decision = text[text.index('id="decision"'):text.index('id="mechanisms"')]
    for element in ('id="behaviour-table"', 'id="tornado"', 'id="break-evens"', 'id="waterfall"'):
        assert element in decision, element
    kpis = decision_json["behaviour"]["kpis"]
    shown = [k for k in kpis if k["verdict"] != "no data"]
    assert dom.tables["behaviour-table"] == 1 + len(shown)  # header, one row per setup and KPI with data
    assert sum(1 for img in dom.images if img.get("data-file") == "tornado.png") == 1  # not again below
    # the sentences open with the behaviour ranges; the caution says behaviour was sampled, not point values only
    sentences = decision[decision.index('id="sentences"'):]
    assert "Behaviour sampled" in sentences and "point values of behaviour only:" in sentences
    assert "this result holds for the scenario's point values of behaviour only" not in sentences
    assert len(decision_json["break_evens"]) == 1  # one setup against the baseline, its top parameter
    shown = decision[decision.index('id="break-evens"'):]
    assert shown.count("<li>") == 1 and "(evidence:" in shown


@pytest.mark.slow
def test_report_prices_a_custom_setup_from_the_folders_scenario(tmp_path):
    """A compare folder with a setup of the scenario's own (docs/how-to/add-a-setup.md): the report resolves its
    capability switches from the folder's scenario.yaml to price the systems it needs, as compare did."""
    import yaml

    base = tmp_path / "crm.yaml"
    data = sim.load_scenario(DEFAULT).model_dump(mode="json")
    data["setups"] = {"crm-first": {"base": "cross-channel", "customer_data": True, "personalisation": True}}
    base.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / "results"
    code = cli.main(["compare", str(base), "--setups", "multichannel,crm-first", "--replications", "2", "--set",
                     "horizon_days=7", "--set", "warmup_days=0", "--set", "customers_per_day=200", "--workers", "1",
                     "--no-progress", "--out", str(out)])
    assert code == 0
    page = write_report(out)
    text = Path(page).read_text(encoding="utf-8")
    decision = json.loads((out / "decision.json").read_text(encoding="utf-8"))
    assert decision["payback"][0]["setup"] == "crm-first" and decision["payback"][0]["payback_months"] is not None
    assert "crm-first" in text and "CRM" in text   # the system its customer record needs, priced in the report
