"""Return on investment (sim.outputs.roi): hand-computed cases on a small summary, then a real short compare."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from sim.experiments.replicate import compare_runs
from sim.outputs import roi
from sim.scenario.schema import load_scenario
from sim.scenario.setups import SETUP_NAMES, SETUPS

from .helpers import summary_of

# the hand-made cases below scale days that are not whole weeks on purpose (the arithmetic is the point)
roi_table = functools.partial(roi.roi_table, require_whole_weeks=False)

DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "default.yaml"
COSTS = {
    "crm": {"low": 10_000, "high": 20_000},
    "pim": {"low": 5_000, "high": 10_000},
    "oms": {"low": 50_000, "high": 200_000, "label": "OMS", "source": "DESIGN.md"},
}




def test_systems_needed_by_the_named_setups():
    assert roi.systems_needed(SETUPS["multichannel"]) == []
    assert roi.systems_needed(SETUPS["cross-channel"]) == ["crm", "pim"]
    assert roi.systems_needed(SETUPS["omnichannel"]) == ["crm", "pim", "oms"]


def test_default_costs_carry_the_market_study_range():
    costs = roi.check_costs(roi.DEFAULT_COSTS)
    assert costs["oms"]["one_off"]["fixed"] == {"low": 50_000, "high": 200_000}
    assert all("002_19829b2ba6ddba5f.txt" in c["source"] and c["running"]["per_year"]["high"] > 0
               for c in costs.values())
    assert all("assumption" in costs[s]["source"] for s in ("crm", "pim"))


def test_hand_computed_payback_and_roi():
    # 1,000 EUR more gross margin over 10 days (CI 500..1,500) -> 36,500 EUR a year (18,250..54,750)
    summary = summary_of({"cross-channel": (400.0, 100.0, 700.0), "omnichannel": (1000.0, 500.0, 1500.0)})
    table = roi_table(summary, horizon_days=10, costs=COSTS)
    assert list(table.columns) == list(roi.ROI_COLUMNS)
    assert list(table["setup"]) == ["cross-channel", "omnichannel"]
    omni = table.set_index("setup").loc["omnichannel"]
    assert omni["systems"] == "crm, pim, oms"
    assert (omni["cost_low"], omni["cost_high"]) == (65_000, 230_000)
    assert (omni["yearly_gain"], omni["yearly_gain_ci_low"], omni["yearly_gain_ci_high"]) == pytest.approx(
        (36_500, 18_250, 54_750))
    mid = (65_000 + 230_000) / 2
    assert omni["payback_months"] == pytest.approx(mid / (36_500 / 12))         # 48.5 months
    assert omni["payback_months_low"] == pytest.approx(65_000 / (54_750 / 12))   # 14.2: cheap, gain high
    assert omni["payback_months_high"] == pytest.approx(230_000 / (18_250 / 12))  # 151: dear, gain low
    assert omni["roi_12m"] == pytest.approx((36_500 - mid) / mid)
    assert omni["roi_12m_low"] == pytest.approx((18_250 - 230_000) / 230_000)
    assert omni["roi_12m_high"] == pytest.approx((54_750 - 65_000) / 65_000)
    cross = table.set_index("setup").loc["cross-channel"]
    assert (cross["systems"], cross["cost_low"], cross["cost_high"]) == ("crm, pim", 15_000, 30_000)
    assert cross["payback_months"] == pytest.approx(22_500 / (400 * 36.5 / 12))


def test_a_gain_that_may_be_negative_never_pays_back_in_the_worst_case():
    table = roi_table(summary_of({"omnichannel": (100.0, -50.0, 250.0)}), horizon_days=365, costs=COSTS)
    row = table.iloc[0]
    assert row["payback_months_high"] == math.inf
    assert math.isfinite(row["payback_months"]) and math.isfinite(row["payback_months_low"])
    lost = roi_table(summary_of({"omnichannel": (-100.0, -150.0, -50.0)}), horizon_days=365, costs=COSTS)
    assert lost.iloc[0]["payback_months"] == math.inf and lost.iloc[0]["roi_12m"] < -0.99


def test_bad_input_is_refused(tmp_path):
    summary = summary_of({"omnichannel": (1.0, 0.5, 1.5)})
    with pytest.raises(ValueError, match="horizon_days"):
        roi_table(summary, horizon_days=0)
    with pytest.raises(ValueError, match="costs.oms: need 0 <= low <= high"):
        roi_table(summary, 7, costs={**COSTS, "oms": {"low": 9, "high": 1}})
    with pytest.raises(ValueError, match="no cost range for oms"):
        roi_table(summary, 7, costs={k: v for k, v in COSTS.items() if k != "oms"})
    with pytest.raises(ValueError, match="pass runs="):
        roi_table(summary, 7, baseline="omnichannel")
    with pytest.raises(ValueError, match="pass runs="):
        roi_table(summary, 7, margin="net_margin")
    with pytest.raises(ValueError, match="no 'revenue' rows"):
        roi_table(summary, 7, margin="revenue")
    path = tmp_path / "costs.yaml"
    path.write_text("oms: {low: 60000, high: 180000, source: vendor quote}\ncrm: {low: 1, high: 2}\n"
                    "pim: {low: 0, high: 0}\n", encoding="utf-8")
    loaded = roi.load_costs(path)
    assert loaded["oms"]["one_off"]["fixed"] == {"low": 60_000.0, "high": 180_000.0}
    assert loaded["oms"]["running"]["per_year"] == {"low": 0.0, "high": 0.0}
    assert (loaded["oms"]["systems"], loaded["oms"]["source"]) == (["oms"], "vendor quote")
    assert roi.check_costs(loaded) == loaded  # the checked table is taken back unchanged (meta.json)
    table = roi_table(summary, 365, costs=loaded)
    assert (table.iloc[0]["cost_low"], table.iloc[0]["cost_high"]) == (60_001, 180_002)
    path.write_text("oms: {low: cheap, high: 2}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="costs.oms: low and high must both be numbers"):
        roi.load_costs(path)


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 400 and float(pixels[..., :3].std()) > 0.0


def test_roi_chart_of_a_hand_made_table(tmp_path):
    table = roi_table(summary_of({"cross-channel": (-10.0, -40.0, 20.0), "omnichannel": (1e3, 5e2, 1.5e3)}),
                          horizon_days=10, costs=COSTS)
    out = roi.roi_chart(table, tmp_path / "roi.png")
    assert out == tmp_path / "roi.png"
    assert_png(out)
    fig = roi.roi_chart_figure(table)
    gain_ax, pay_ax = fig.axes
    assert "k€" in gain_ax.get_xlabel() and "months" in pay_ax.get_xlabel()
    texts = [t.get_text() for t in pay_ax.texts]
    assert texts[0].startswith("never") and "48.5 mo" in texts[1]
    with pytest.raises(ValueError, match="empty"):
        roi.roi_chart_figure(table.iloc[0:0])


@pytest.fixture(scope="module")
def real_compare():
    scenario = load_scenario(DEFAULT, {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 1000})
    return scenario, *compare_runs(scenario, list(SETUP_NAMES), replications=3, seed=4, workers=1)


@pytest.mark.slow
def test_roi_from_a_real_compare(real_compare, tmp_path):
    scenario, summary, runs = real_compare
    table = roi_table(summary, horizon_days=scenario.horizon_days - scenario.warmup_days, scenario=scenario)
    assert list(table["setup"]) == ["cross-channel", "omnichannel"]
    gm = summary[summary["kpi"] == "gross_margin"].set_index("setup")
    for row in table.itertuples():
        assert row.gain == pytest.approx(gm.loc[row.setup, "diff"])
        assert row.yearly_gain == pytest.approx(365.0 * row.gain)
        assert row.yearly_gain_ci_low <= row.yearly_gain <= row.yearly_gain_ci_high
        assert row.n_pairs == 3
    assert np.isfinite(table["yearly_gain"]).all()
    net = roi_table(summary, 1, runs=runs, margin="net_margin")
    wide = runs.pivot_table(index=["setup", "replication"], columns="kpi", values="value")
    per_rep = (wide["gross_margin"] - wide["fulfilment_cost"]).unstack("setup")
    expected = (per_rep["omnichannel"] - per_rep["multichannel"]).mean()
    assert net.set_index("setup").loc["omnichannel", "gain"] == pytest.approx(expected)
    rebased = roi_table(summary, 1, runs=runs, baseline="cross-channel")
    assert list(rebased["setup"]) == ["multichannel", "omnichannel"]
    assert rebased.set_index("setup").loc["omnichannel", "systems"] == "oms"
    assert_png(roi.roi_chart(table, tmp_path / "roi.png", title="default scenario, 1 day"))


# --------------------------------------------------------------------------------------------- issue 16
def test_payback_with_running_costs_and_ramp_up_is_hand_computed():
    """12 k€ a year at full speed (1 k€ a month), running 2.4 k€ a year (0.2 k€ a month), 6-month ramp, 10 k€ cost:
    during the ramp the cumulative gain is t²/12 k€, so the payback is after the ramp: (10 + 1*6/2) / (1 - 0.2)."""
    assert roi._payback(10_000, 12_000, 2_400, 6) == pytest.approx(13 / 0.8)
    assert roi._payback(1_000, 12_000, 0, 6) == pytest.approx(math.sqrt(12.0))  # inside the ramp: t²/12 = 1
    assert roi._payback(10_000, 12_000, 12_000, 6) == math.inf  # running costs eat the gain
    # 12-month gain with a 6-month ramp: 9 of the 12 full months; ROI over implementation + a year's running
    assert roi._roi(10_000, 12_000, 2_400, 6) == pytest.approx((9_000 - 12_400) / 12_400)


def test_a_horizon_that_is_not_whole_weeks_gives_no_yearly_figure(real_compare):
    scenario, summary, runs = real_compare  # 1 measured day
    table = roi.roi_table(summary, 1, runs=runs, margin="operating_margin", scenario=scenario)
    assert not table["whole_weeks"].any() and table["note"].str.contains("not whole weeks").all()
    assert table[["yearly_gain", "payback_months", "roi_12m"]].isna().all().all()
    from sim.outputs.decision import decision_summary

    decision = decision_summary(summary, 0.95, 1, runs, scenario)
    assert any("no payback computed" in s and "not whole weeks" in s for s in decision.sentences)


@pytest.mark.slow
def test_default_scenario_payback_and_roi_with_their_intervals():
    """The default scenario, a full week measured after its warm-up: payback and 12-month ROI net of running costs
    and the measured operating costs, with a 6-month ramp-up, each with its interval. Since the chain is the size
    it claims (about 19 M€ a year) and its costs scale with its stores and orders (issue 25), the studies' 20-35 %
    12-month ROI lies inside the default's interval, which is wide: the cost ranges span a factor of 6. Before,
    a 100 M€ chain against a small firm's costs put even the interval's low end above the studies' range
    (docs/background/evidence.md, "Payback"). This test pins that, so a model change that moves it makes the page be revisited."""
    scenario = load_scenario(DEFAULT, {"horizon_days": load_scenario(DEFAULT).warmup_days + 7})
    summary, runs = compare_runs(scenario, ["multichannel", "omnichannel"], replications=2, seed=0, workers=1)
    table = roi.roi_table(summary, 7, runs=runs, margin="operating_margin", scenario=scenario,
                          ramp_up_months=roi.DEFAULT_RAMP_UP_MONTHS)
    row = table.iloc[0]
    assert row["whole_weeks"] and row["systems"] == "crm, pim, oms" and row["running_high"] > row["running_low"] > 0
    assert row["yearly_gain_ci_low"] <= row["yearly_gain"] <= row["yearly_gain_ci_high"]
    assert row["payback_months_low"] <= row["payback_months"] < 12 < row["payback_months_high"]
    assert row["roi_12m_low"] <= row["roi_12m"] <= row["roi_12m_high"]
    assert row["payback_months_low"] > 0  # the ramp-up and the running costs delay it: never the 0.5 months of old
    assert row["roi_12m_low"] < roi.MARKET_ROI_12M[0] < roi.MARKET_ROI_12M[1] < row["roi_12m_high"]
    assert "store_devices" in row["items"] and "training" in row["items"]  # costs that scale with the stores


# --------------------------------------------------------------------------------------------- staff minutes
SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small_business.yaml"


def test_staff_cost_is_the_picking_minutes_of_a_real_run_priced_by_the_hour():
    """The owner's shop open round the clock with no staff limit, 7-minute picks: every pick booked starts at
    once, so each store's picking minutes are exactly 7 × its picks, and the staff cost is minutes × rate / 60."""
    import sim

    sc = load_scenario(SMALL, {"horizon_days": 14, "customers_per_day": 110, "stores.0.open_hour": 0, "stores.0.close_hour": 24,
                               "stores.0.staff": None, "fulfilment.pick_time_min": 7,
                               "fulfilment.staff_cost_per_hour": 30})
    r = sim.run(sc, "omnichannel", seed=3)
    stores = r.breakdown["store"].values()
    picks = sum(s["picks"] for s in stores)
    assert picks > 30
    assert all(s["picking_min"] == 7 * s["picks"] for s in stores)
    assert r.kpis["store_picking_min"] == sum(s["picking_min"] for s in stores) == 7 * picks
    assert r.kpis["staff_cost"] == pytest.approx(7 * picks * 30 / 60, rel=1e-12)
    assert sim.run(sc, "multichannel", seed=3).kpis["staff_cost"] == 0.0  # no store picks without a shared pool


def test_operating_margin_falls_by_exactly_the_staff_cost():
    """The same seed with a zero hourly rate: every KPI but the staff cost is identical (pricing does not touch
    the simulation), and the operating margin of each replication is lower by exactly its staff cost; the
    payback's gain against multichannel falls by the paired difference of the staff cost."""
    base = {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 800}
    setups = ["multichannel", "omnichannel"]
    both = {rate: compare_runs(load_scenario(DEFAULT, {**base, "fulfilment.staff_cost_per_hour": rate}), setups,
                               replications=3, seed=4, workers=1) for rate in (0, 25)}
    runs = {rate: r for rate, (_, r) in both.items()}
    free, paid = (r.set_index(["setup", "replication", "kpi"])["value"] for r in (runs[0], runs[25]))
    others = [k for k in free.index if k[2] != "staff_cost"]
    pd.testing.assert_series_equal(free.loc[others], paid.loc[others])
    staff = paid.xs("staff_cost", level="kpi")
    assert (free.xs("staff_cost", level="kpi") == 0).all() and (staff.loc["omnichannel"] > 0).all()
    margin = {rate: roi.derived_margin(runs[rate], "operating_margin").set_index(["setup", "replication"])["value"]
              for rate in runs}
    pd.testing.assert_series_equal(margin[25], margin[0] - staff, check_names=False)
    gain = {rate: roi.roi_table(summary, 1, runs=r, margin="operating_margin")["gain"].iloc[0]
            for rate, (summary, r) in both.items()}
    paired = (staff.loc["omnichannel"] - staff.loc["multichannel"]).mean()
    assert gain[25] == pytest.approx(gain[0] - paired, rel=1e-9)


def test_a_setup_that_picks_more_in_store_pays_more_staff_cost():
    """Common random numbers: the same customers under the nearest-node routing (online orders go to the
    customer's own store) and warehouse-first routing. Multichannel picks nothing in store under either; under
    omnichannel the nearest rule picks more minutes in every replication, and pays more for them, at the rate."""
    def staff(routing: str) -> pd.DataFrame:
        sc = load_scenario(DEFAULT, {"horizon_days": 2, "warmup_days": 0, "customers_per_day": 1000,
                                          "fulfilment.routing": routing})
        runs = compare_runs(sc, ["multichannel", "omnichannel"], replications=3, seed=4, workers=1)[1]
        return runs[runs["kpi"].isin(["store_picking_min", "staff_cost"])].pivot_table(
            index=["setup", "replication"], columns="kpi", values="value")

    near, wh = staff("nearest"), staff("warehouse_first")
    assert (near.loc["multichannel"] == 0).all().all() and (wh.loc["multichannel"] == 0).all().all()
    assert (near.loc["omnichannel", "store_picking_min"] > wh.loc["omnichannel", "store_picking_min"]).all()
    assert (near.loc["omnichannel", "staff_cost"] > wh.loc["omnichannel", "staff_cost"]).all()
    for table in (near, wh):
        assert np.allclose(table["staff_cost"], table["store_picking_min"] * 25 / 60)
