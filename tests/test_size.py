"""The size of the chain: sales density, tickets, average ticket, online share, stock turns per node type, the
presentation minimum, and what holding more stock costs (identities between KPIs and runs on common random
numbers)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import sim
from sim.experiments.margins import derived_margin
from sim.scenario.schema import ScenarioError, scenario_from_dict

from .helpers import small_scenario

AREA = 250.0


def _with(sc, stores=None, **repl):
    """A copy of ``sc`` with every store's fields in ``stores`` and every node's replenishment fields in ``repl``."""
    data = sc.model_dump(mode="json")
    for node in [*data["stores"], data["warehouse"]]:
        node["replenishment"].update(repl)
        if "order_up_to_days" in repl:
            node["replenishment"]["order_up_to"] = None
            node.pop("reserve_units", None)
    for s in data["stores"]:
        s.update(stores or {})
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def small():
    return _with(small_scenario(3, 12, 150, 6, 2, 0.5, False, True, horizon=4, warmup=1), {"area_m2": AREA})


@pytest.fixture(scope="module")
def run(small):
    return sim.run(small, "omnichannel", seed=3)


def test_size_kpis_are_the_store_channel_figures_they_say(small, run):
    k, ch = run.kpis, run.breakdown["channel"]
    days = small.horizon_days - small.warmup_days
    store = ch["store"]
    tickets = sum(s["orders"] for s in run.breakdown["store"].values())
    assert tickets == store["orders"] > 0
    assert k["avg_ticket"] == pytest.approx(store["revenue"] / store["orders"])
    assert k["tickets_per_store_day"] == pytest.approx(tickets / days / len(small.stores))
    # density: the store tickets' value scaled to a year, over the stores' area
    assert k["sales_per_m2"] == pytest.approx(store["revenue"] * 365.0 / days / (AREA * len(small.stores)))
    assert k["sales_per_m2"] == pytest.approx(
        k["avg_ticket"] * k["tickets_per_store_day"] * 365.0 / AREA)
    remote = sum(c["revenue"] for name, c in ch.items() if name != "store")
    assert k["online_share"] == pytest.approx(remote / (remote + store["revenue"]))
    assert 0 < k["online_share"] < 1


def test_sales_density_is_unknown_without_every_area(small):
    data = small.model_dump(mode="json")
    data["stores"][0]["area_m2"] = None
    assert math.isnan(sim.run(scenario_from_dict(data), "multichannel", seed=0).kpis["sales_per_m2"])


def test_turns_per_node_type_add_up_to_the_network(run):
    """Turns are units shipped a year over units held: the network's is the stock-weighted mean of the stores' and
    the warehouse's, so it lies between them."""
    k = run.kpis
    lo, hi = sorted((k["store_inventory_turns"], k["warehouse_inventory_turns"]))
    assert lo < k["inventory_turns"] < hi


def test_without_a_warehouse_the_stores_turns_are_the_networks(small):
    data = small.model_dump(mode="json")
    data["warehouse"] = None
    data["segments"][0]["channels"] = {"store": 1.0}
    k = sim.run(scenario_from_dict(data), "multichannel", seed=0).kpis
    assert k["store_inventory_turns"] == pytest.approx(k["inventory_turns"])
    assert math.isnan(k["warehouse_inventory_turns"])


def test_the_presentation_minimum_stocks_every_line(small):
    """Stock in days of demand rounds slow lines to nothing; a presentation minimum puts a size run of each on
    every shelf whatever its demand. Without customers the stock stays where it starts: at S."""
    quiet = small.model_copy(update={"customers_per_day": 0.0})
    bare = _with(quiet, order_up_to_days=5.0)
    shown = _with(quiet, order_up_to_days=5.0, presentation_units=2)
    a, b = (sim.run(sc, "multichannel", seed=0).kpis for sc in (bare, shown))
    assert a["avg_on_hand_units"] == 0  # no expected demand: nothing in days of it
    assert b["avg_on_hand_units"] == pytest.approx(2 * 12 * (len(small.stores) + 1))
    # with customers, the minimum lifts the slow lines only: more stock than without, never less
    busy = [sim.run(_with(small, order_up_to_days=1.0, presentation_units=u), "multichannel", seed=0).kpis
            for u in (0, 3)]
    assert busy[1]["avg_on_hand_units"] > busy[0]["avg_on_hand_units"]


def test_holding_more_stock_lowers_the_operating_margin_by_its_carrying_cost(small):
    """Same seed, same customers; stock so deep that neither level ever runs short (every sale identical): the
    deeper stock's operating margin is lower by exactly the carrying cost of the difference."""
    low, high = (_with(small, order_up_to=s, reorder_point=None) for s in (400, 800))
    a, b = (sim.run(sc, "multichannel", seed=0) for sc in (low, high))
    for name in ("revenue", "gross_margin", "fulfilment_cost", "orders", "lost_sales_units"):
        assert a.kpis[name] == b.kpis[name]
    assert a.kpis["lost_sales_units"] == 0
    assert b.kpis["avg_stock_value"] > a.kpis["avg_stock_value"]

    def margin(r):
        rows = pd.DataFrame({"setup": "x", "replication": 0, "kpi": list(r.kpis), "value": list(r.kpis.values())})
        return float(derived_margin(rows, "operating_margin")["value"].iloc[0])

    days = small.horizon_days - small.warmup_days
    extra = small.fulfilment.carrying_cost_rate * (b.kpis["avg_stock_value"] - a.kpis["avg_stock_value"]) * days / 365
    assert extra > 0
    assert margin(a) - margin(b) == pytest.approx(extra, rel=1e-9)


@pytest.mark.parametrize("field, value, allowed", [("area_m2", -5, "above 0"),
                                                   ("area_m2", "big", "number")])
def test_a_bad_area_names_the_field(small, field, value, allowed):
    data = small.model_dump(mode="json")
    data["stores"][1][field] = value
    with pytest.raises(ScenarioError, match=rf"stores\.1\.{field}.*{allowed}"):
        scenario_from_dict(data)


def test_buyers_unhappy_with_what_the_model_does_not_see_are_detractors(small):
    """``detractor_prob``: a faultless purchase still leaves some buyers unhappy (product, fit, price). On the same
    customers (no repeat journeys, so the same people are rated), the promoters stay exactly the same and the
    detractors grow by about that share of the faultless buyers (promoters / promoter_prob)."""
    def rated(d):
        data = small.model_dump(mode="json")
        data["segments"][0]["after_sale"].update(repeat_promoter=0.0, promoter_prob=0.6, detractor_prob=d)
        return sim.run(scenario_from_dict(data), "multichannel", seed=2).kpis
    a, b = rated(0.0), rated(0.25)
    assert b["csat"] < a["csat"] and b["satisfaction"] < a["satisfaction"]
    # promoters - detractors and promoters + passives over the same rated customers: promoters are unchanged
    promoters_a = (a["satisfaction"] / 100 + (1 - a["csat"]))
    promoters_b = (b["satisfaction"] / 100 + (1 - b["csat"]))
    assert promoters_a == pytest.approx(promoters_b, abs=1e-12)
    moved = b["csat"] - a["csat"]  # minus the share of rated buyers turned detractors
    faultless = promoters_a / 0.6
    se = math.sqrt(faultless * 0.25 * 0.75 / a["customers"])
    assert -moved == pytest.approx(0.25 * faultless, abs=4 * se + 0.01)


def test_promoters_and_detractors_cannot_exceed_everyone(small):
    data = small.model_dump(mode="json")
    data["segments"][0]["after_sale"].update(promoter_prob=0.8, detractor_prob=0.3)
    with pytest.raises(ScenarioError, match=r"segments\.0\.after_sale.*promoter_prob \+ detractor_prob"):
        scenario_from_dict(data)
