"""What drives the gain in the outputs: ``omnisim compare --decompose`` writes decomposition.csv, waterfall.png and
``decomposition`` in decision.json, and the report shows the waterfall in its first section (headless Chromium)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.interfaces import cli
from sim.outputs import plots
from sim.outputs.report import write_report

from .test_report import DEFAULT, Dom, browse

SETUPS = "multichannel,cross-channel"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dec") / "results"
    code = cli.main(["compare", str(DEFAULT), "--setups", SETUPS, "--replications", "2", "--set", "horizon_days=7",
                     "--set", "warmup_days=0", "--set", "customers_per_day=200", "--workers", "1", "--no-progress",
                     "--decompose", "--out", str(out)])
    assert code == 0
    return out


def test_compare_decompose_writes_the_waterfall(folder):
    table = pd.read_csv(folder / "decomposition.csv")
    assert (folder / "waterfall.png").is_file()
    steps = table[(table["kind"] == "step") & (table["kpi"] == "operating_margin")]
    # multichannel -> cross-channel switches visibility, cart continuity, click & collect and endless aisle
    assert list(steps["switches"]) == ["visibility", "cart_continuity", "click_collect", "endless_aisle"]
    decision = json.loads((folder / "decision.json").read_text())
    dec = decision["decomposition"]["setups"]["cross-channel"]
    assert len(dec["revenue"]["steps"]) == 4
    assert sum(s["diff"] for s in dec["revenue"]["steps"]) == pytest.approx(dec["revenue"]["total"]["diff"], rel=1e-9)
    # the total is the comparison's own paired difference: the decomposition reused its runs
    change = next(c for c in decision["changes"] if c["setup"] == "cross-channel" and c["kpi"] == "revenue")
    assert dec["revenue"]["total"]["diff"] == pytest.approx(change["diff"], rel=1e-12)


def test_waterfall_chart_refuses_a_table_without_the_kpi(folder):
    table = pd.read_csv(folder / "decomposition.csv")
    with pytest.raises(ValueError, match="no decomposition of 'nope'"):
        plots.waterfall_figure(table, "nope")


def test_report_shows_the_waterfall_in_the_decision(chromium, folder, tmp_path):
    page = write_report(folder, tmp_path / "report.html", meta={"horizon_days": 7})
    text = browse(chromium, page, tmp_path, "--dump-dom", "--window-size=1280,900")
    dom = Dom(text)
    assert dom.body.get("data-images-loaded") == dom.body.get("data-images-total")  # every chart decoded
    decision = text[text.index('id="decision"'):text.index('id="mechanisms"')]
    assert 'id="waterfall"' in decision and 'id="decomposition-table"' in decision
    assert dom.tables["decomposition-table"] == 1 + 4 + 1  # header, four steps, the total
    assert sum(1 for img in dom.images if img.get("data-file") == "waterfall.png") == 1  # not again below


def test_report_without_a_decomposition_has_no_waterfall(chromium, folder, tmp_path):
    copy = tmp_path / "plain"
    shutil.copytree(folder, copy)
    (copy / "decomposition.csv").unlink()
    (copy / "waterfall.png").unlink()
    page = write_report(copy, tmp_path / "report.html")
    text = browse(chromium, page, tmp_path, "--dump-dom")
    assert 'id="waterfall"' not in text and "decomposition-table" not in text
