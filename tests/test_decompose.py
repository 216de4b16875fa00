"""What drives the gain: the waterfall of capabilities adds up exactly (common random numbers), skips what does not
change, gives a zero step to a switch that cannot act; the KPIs behind it (recommended units and value, stock value
and its carrying cost) against analytic references."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

import sim
from sim.experiments.batch import SetupError
from sim.experiments.changes import DECIDING
from sim.experiments.decompose import (
    DECOMPOSED,
    ORDER,
    check_adds_up,
    decompose,
    path,
    summary_lines,
    switched_off,
)
from sim.experiments.margins import derived_margin
from sim.scenario.schema import scenario_from_dict
from sim.scenario.setups import SETUPS

from .helpers import small_scenario

REPS = 2


@pytest.fixture(scope="module")
def small():
    return small_scenario(2, 12, 120, 6, 2, 0.5, False, True, marketing=True, horizon=2)


@pytest.fixture(scope="module")
def waterfall(small):
    return decompose(small, ["multichannel", "omnichannel"], replications=REPS, switch_off=True)


# --------------------------------------------------------------------------------------------- the path
@pytest.mark.parametrize("a", list(SETUPS))
@pytest.mark.parametrize("b", list(SETUPS))
def test_path_steps_are_possible_and_end_at_the_target(a, b):
    steps = path(SETUPS[a], SETUPS[b])
    changed = [f for f in ORDER if getattr(SETUPS[a], f) != getattr(SETUPS[b], f)]
    assert [f for s in steps for f in s.switches] == changed  # each switch that differs, once, in ORDER
    assert all(not s.capabilities.problems() for s in steps)
    assert (steps[-1].capabilities if steps else SETUPS[a]) == SETUPS[b]


def test_switching_off_the_pool_merges_what_needs_it():
    """From omnichannel down to multichannel, live visibility cannot go before the pool and its dependants."""
    steps = path(SETUPS["omnichannel"], SETUPS["multichannel"])
    first = steps[0].switches
    assert first[:2] == ("visibility", "shared_stock") and {"store_pickup", "ship_from_store", "transfers"} <= set(first)
    off = {s.switches[0]: s for s in switched_off(SETUPS["multichannel"], SETUPS["omnichannel"])}
    assert set(off["shared_stock"].switches) == {"shared_stock", "store_pickup", "ship_from_store", "transfers"}
    assert off["customer_data"].switches == ("customer_data", "cart_reminders")
    assert all(not s.capabilities.problems() for s in off.values())


def test_a_switch_equal_in_baseline_and_setup_has_no_step():
    base = SETUPS["multichannel"]
    steps = path(base, replace(base, chatbot=True))
    assert [s.switches for s in steps] == [("chatbot",)]
    assert path(base, base) == []


# --------------------------------------------------------------------------------------------- the waterfall
def test_steps_add_up_exactly_to_the_total_for_every_deciding_kpi(small, waterfall):
    t = waterfall.table
    assert set(DECOMPOSED) - set(t["kpi"]) <= {"call_service_level"} - set(t["kpi"])  # every KPI with data
    assert check_adds_up(waterfall, rel=1e-9) == []
    for kpi in set(DECIDING) & set(t["kpi"]):
        steps = waterfall.steps("omnichannel", kpi)
        total = t[(t["setup"] == "omnichannel") & (t["kpi"] == kpi) & (t["kind"] == "total")].iloc[0]
        assert steps["diff"].sum() == pytest.approx(total["diff"], rel=1e-9, abs=1e-9)
        assert steps["change"].sum() == pytest.approx(total["change"], rel=1e-9, abs=1e-9)
    # the total is the comparison's paired difference (same seeds, same customers)
    summary = sim.compare(small, ["multichannel", "omnichannel"], replications=REPS)
    for kpi in ("revenue", "conversion_rate", "stockout_rate"):
        row = summary[(summary["setup"] == "omnichannel") & (summary["kpi"] == kpi)].iloc[0]
        total = t[(t["setup"] == "omnichannel") & (t["kpi"] == kpi) & (t["kind"] == "total")].iloc[0]
        assert total["diff"] == pytest.approx(row["diff"], rel=1e-12)


def test_the_comparisons_runs_are_reused_and_give_the_same_waterfall(small, waterfall):
    summary, runs = sim.experiments.replicate.compare_runs(small, ["multichannel", "omnichannel"], replications=REPS)
    again = decompose(small, ["multichannel", "omnichannel"], replications=REPS, runs=runs)
    a = waterfall.table[waterfall.table["kind"] != "off"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, again.table, check_exact=False, rtol=1e-12)


def test_each_switched_off_in_turn(waterfall):
    t = waterfall.table
    off = t[(t["kind"] == "off") & (t["kpi"] == "revenue")]
    changed = [f for f in ORDER if getattr(SETUPS["multichannel"], f) != getattr(SETUPS["omnichannel"], f)]
    assert [s.split(",")[0] for s in off["switches"]] == changed
    # the last switch of the order switched off is the last step of the waterfall: the same two mixes
    last = waterfall.steps("omnichannel", "revenue").iloc[-1]
    assert off.iloc[-1]["diff"] == pytest.approx(last["diff"], rel=1e-12)


def test_a_switch_that_cannot_act_gives_a_zero_step(small):
    """Personalisation where no customer accepts a recommendation changes nothing: its step is exactly 0."""
    data = small.model_dump(mode="json")
    for seg in data["segments"]:
        seg["recommendation_accept"] = 0.0
    data["setups"] = {"data": {"base": "multichannel", "customer_data": True},
                      "reco": {"base": "multichannel", "customer_data": True, "personalisation": True}}
    sc = scenario_from_dict(data)
    d = decompose(sc, ["data", "reco"], replications=REPS)
    steps = d.table[d.table["kind"] == "step"]
    assert set(steps["switches"]) == {"personalisation"}
    assert (steps["diff"].dropna() == 0.0).all() and len(steps["diff"].dropna()) >= len(DECIDING) - 1


def test_a_summary_sentence_per_setup(waterfall):
    lines = summary_lines(waterfall)
    assert len(lines) == 1 and lines[0].startswith("omnichannel: operating margin")


def test_to_dict_is_json_ready(waterfall):
    import json

    d = waterfall.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "omnichannel" in d["setups"] and "revenue" in d["setups"]["omnichannel"]
    entry = d["setups"]["omnichannel"]["revenue"]
    assert len(entry["steps"]) == len(waterfall.steps("omnichannel", "revenue")) and "switched_off" in entry
    assert "NaN" not in text


def test_bad_setups_are_refused(small):
    with pytest.raises(ValueError, match="at least two setups"):
        decompose(small, ["multichannel"], replications=REPS)
    with pytest.raises(SetupError, match="unknown"):
        decompose(small, ["multichannel", "nope"], replications=REPS)
    with pytest.raises(ValueError, match="replications"):
        decompose(small, ["multichannel", "omnichannel"], replications=1)


# --------------------------------------------------------------------------------------------- the KPIs
def test_stock_value_and_carrying_cost_against_the_analytic_value(small):
    """No customers: the stock stays at its initial levels S, so its value is sum(S x unit cost) throughout and
    the carrying cost is rate x that value x days / 365."""
    rate = 0.3
    sc = small.model_copy(update={"customers_per_day": 0.0,
                                  "fulfilment": small.fulfilment.model_copy(update={"carrying_cost_rate": rate})})
    r = sim.run(sc, "multichannel", seed=0)
    cost = 20.0 * (1 - 0.5)  # the generator's one price, half of it margin
    nodes = len(sc.stores) + 1
    value = nodes * 12 * 6 * cost  # every node holds S = 6 of each of the 12 SKUs
    assert r.kpis["avg_on_hand_units"] == pytest.approx(nodes * 12 * 6)
    assert r.kpis["avg_stock_value"] == pytest.approx(value, rel=1e-12)
    assert r.kpis["carrying_cost"] == pytest.approx(rate * value * sc.horizon_days / 365.0, rel=1e-12)


def test_stock_value_is_units_at_cost_when_every_sku_costs_the_same(small):
    """One unit cost for every SKU: the time-weighted value is that cost times the time-weighted units, while
    customers take stock and receipts put it back."""
    r = sim.run(small, "omnichannel", seed=1)
    assert r.kpis["avg_stock_value"] == pytest.approx(10.0 * r.kpis["avg_on_hand_units"], rel=1e-9)
    days = small.horizon_days - small.warmup_days
    assert r.kpis["carrying_cost"] == pytest.approx(
        small.fulfilment.carrying_cost_rate * r.kpis["avg_stock_value"] * days / 365.0, rel=1e-12)


def test_the_operating_margin_pays_the_carrying_cost():
    runs = pd.DataFrame({"setup": "a", "replication": 0,
                         "kpi": ["gross_margin", "fulfilment_cost", "revenue", "carrying_cost"],
                         "value": [1000.0, 100.0, 2000.0, 40.0]})
    assert derived_margin(runs, "operating_margin")["value"].iloc[0] == pytest.approx(860.0)
    assert derived_margin(runs, "net_margin")["value"].iloc[0] == pytest.approx(900.0)
    old = runs[runs["kpi"] != "carrying_cost"]  # results written before the KPI existed: counts 0
    assert derived_margin(old, "operating_margin")["value"].iloc[0] == pytest.approx(900.0)


def test_recommended_units_and_pickup_revenue_need_their_capabilities(small):
    multi, omni = (sim.run(small, s, seed=0).kpis for s in ("multichannel", "omnichannel"))
    assert multi["recommended_units"] == 0 and multi["recommended_value"] == 0  # no personalisation
    assert multi["pickup_extra_revenue"] == 0  # no click & collect: nobody comes to collect
    assert omni["recommended_units"] > 0 and omni["pickup_extra_revenue"] > 0
    # one price for every SKU, no channel prices nor promotions: each recommended line is one unit at 20
    plain = small_scenario(2, 12, 120, 6, 2, 0.5, False, True, horizon=2)
    k = sim.run(plain, "omnichannel", seed=0).kpis
    assert k["recommended_units"] > 0 and k["recommended_value"] == pytest.approx(20.0 * k["recommended_units"])


def test_holding_more_stock_pays_more_carrying_cost(small):
    """Stock sized in days of demand: twice the days hold more stock value, and the carrying cost follows it in the
    same proportion (one rate for every setup and run)."""
    def sized(days):
        data = small.model_dump(mode="json")
        for node in [*data["stores"], data["warehouse"]]:
            node["replenishment"].update(order_up_to=None, order_up_to_days=days)
            node.pop("reserve_units", None)
        return scenario_from_dict(data)

    a, b = (sim.run(sized(days), "omnichannel", seed=0).kpis for days in (3.0, 6.0))
    assert b["avg_stock_value"] > a["avg_stock_value"]
    assert b["carrying_cost"] / a["carrying_cost"] == pytest.approx(b["avg_stock_value"] / a["avg_stock_value"])
