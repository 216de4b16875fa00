"""Reading aids (issue 28): the report's full tables in numbers for people (no e-notation, thousands separated,
shares in %), the rule that customers who give up count as late beside every service-level table, and
notebook tables formatted the same way."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from sim.core.kpis import KPI_BY_NAME, LATE_RULE
from sim.interfaces import cli
from sim.outputs import report
from tests.helpers import ROOT

SMALL = ROOT / "scenarios" / "small_business.yaml"
SHORT = ["--set", "horizon_days=2", "--set", "warmup_days=0"]
E_NOTATION = re.compile(r"\d[eE][+-]?\d")


def summary_rows() -> pd.DataFrame:
    rows = []
    for setup, base in (("multichannel", None), ("omnichannel", "multichannel")):
        for kpi, mean, half in (("revenue", 15_920.4, 290.0), ("store_service_level", 0.8612, 0.0123),
                                ("lost_sales_value", 3.2e7, 1.1e6), ("stockout_rate", 0.00042, 0.00003)):
            d = math.nan if base is None else mean * 0.01
            rows.append(dict(setup=setup, kpi=kpi, mean=mean, half_width=half, baseline=base, diff=d,
                             diff_ci_low=d * 0.5, diff_ci_high=d * 1.5,
                             diff_p_value=math.nan if base is None else 2e-6))
    return pd.DataFrame(rows)


def cells(html_table: str) -> list[str]:
    return re.findall(r"<td>(.*?)</td>", html_table)


def test_the_reports_full_tables_are_numbers_for_people():
    summary = summary_rows()
    kpi_table, diff_table = report._headline_table(summary), report._differences_table(summary)
    for table in (kpi_table, diff_table):
        shown = " ".join(c for c in cells(table) if "<" not in c)
        assert not E_NOTATION.search(shown), shown
    values = cells(kpi_table)
    assert "15\u202f900 ± 290" in values  # 3 significant figures, a thin space between thousands
    assert "86.1 ± 1.2" in values and "%" in values  # a share in percent, its unit said so
    assert "32\u202f000\u202f000 ± 1\u202f100\u202f000" in values and "0.0420 ± 0.0030" in values
    diffs = cells(diff_table)
    assert "percentage points" in diffs and any(c.endswith("(p<0.001)") for c in diffs)
    assert "0.861 [0.431, 1.29] (p<0.001)" in diffs  # 0.01 of 86.1 %: percentage points


def test_the_late_rule_sits_beside_service_level_tables_only():
    summary = summary_rows()
    assert LATE_RULE in report._headline_table(summary) and LATE_RULE in report._differences_table(summary)
    no_service = summary[~summary["kpi"].str.endswith("service_level")]
    assert LATE_RULE not in report._headline_table(no_service)
    for kpi in ("store_service_level", "call_service_level"):
        assert "count as late" in KPI_BY_NAME[kpi].definition
    for kpi in ("store_wait_mean_min", "store_wait_p95_min"):
        assert "gave up are not in it" in KPI_BY_NAME[kpi].definition


def test_the_cli_footnotes_its_service_level_table(capsys):
    assert cli.main(["run", str(SMALL), *SHORT, "--setup", "multichannel"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert f"Note: {LATE_RULE}" in out
    assert out.index(f"Note: {LATE_RULE}") > max(i for i, line in enumerate(out) if "store_service_level" in line)


def test_notebook_tables_are_numbers_for_people():
    import sim

    frame = pd.DataFrame({"setup": ["a", "b", "c"], "kpi": ["revenue", "store_service_level", "not_a_kpi"],
                          "mean": [15_920.4, 0.8612, 3.2e7], "diff": [math.nan, 1.2e-5, -0.5], "n": [3, 4, 12_000]})
    styled = sim.for_people(frame)
    html_text = styled.to_html()
    shown = " ".join(re.findall(r">([^<>]+)</td>", html_text))
    assert not E_NOTATION.search(shown), shown
    for text in ("15,900", "0.861", "32,000,000", "0.0000120", "−0.500", "12,000", "–", "€", "share (0–1)"):
        assert text in shown, (text, shown)
    assert list(styled.data.columns) == ["setup", "kpi", "unit", "mean", "diff", "n"]
    pd.testing.assert_series_equal(styled.data["mean"], frame["mean"])  # the numbers themselves unchanged
    with pytest.raises(TypeError, match="frame: expected a pandas DataFrame"):
        sim.for_people({"a": 1})
