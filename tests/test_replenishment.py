"""Replenishment policies per SKU class (``by_category``) and a supplier with a daily capacity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import sim
from sim.core.customers import DAY_MIN
from sim.core.engine import Engine
from sim.core.model import World
from sim.scenario.schema import ScenarioError, scenario_from_dict

from .helpers import on_the_sources, problems, small_scenario
from .reference import ROOT, VALIDATION, check

DEFAULT = ROOT / "scenarios" / "default.yaml"
TWO = VALIDATION / "two_classes.yaml"
I1_FILL = 0.84323                                                           # VALIDATION.md I1
SEASONAL_FILL = float(sum(min(k, 6) * stats.poisson.pmf(k, 5) for k in range(100)) / 5)  # 0.90134


def with_classes(node: dict, by_category: dict) -> None:
    """Give one node of the raw default scenario a by_category (its stores share one policy mapping in YAML)."""
    node["replenishment"] = {**node["replenishment"], "by_category": by_category}


def run_world(sc, setup: str, seed, until: float | None = None) -> World:
    w = World(sc, setup, seed)
    w.start_arrivals()
    w.env.run(until=w.horizon if until is None else until)
    return w


def fill_by_sku(sc, seed) -> list[float]:
    """Share of each SKU's units filled at once from the shelf, counted at the store's ``take``."""
    w = World(sc, "multichannel", seed)
    asked, got = [0] * w.net.cat.n, [0] * w.net.cat.n
    take = w.net.inv.take

    def counting(node, sku, qty):
        n = take(node, sku, qty)
        asked[sku] += qty
        got[sku] += n
        return n

    w.net.inv.take = counting
    w.start_arrivals()
    w.env.run(until=w.horizon)
    assert w.net.inv.invariant_problems() == []
    return [g / a for g, a in zip(got, asked, strict=True)]


def comparable(kpis: dict[str, float]) -> dict[str, float]:
    return {k: ("nan" if math.isnan(v) else v) for k, v in kpis.items()}


# --------------------------------------------------------------------------------------------- policies per class
@pytest.mark.slow
@on_the_sources  # spies on the inventory's methods
def test_each_class_meets_its_own_closed_form():
    """One store, two SKUs: I1's base stock with backorders for one category, a daily reset with lost sales for
    the other; each SKU's fill rate matches its own policy's exact value."""
    sc = sim.load_scenario(TWO, {"horizon_days": 2500})
    fills = np.array([fill_by_sku(sc, s) for s in np.random.SeedSequence(41).spawn(12)])
    check(fills[:, 0], I1_FILL, 0.01, "basics (I1) fill rate")
    check(fills[:, 1], SEASONAL_FILL, 0.01, "seasonal (daily reset, lost sales) fill rate")


def test_backorders_and_lost_sales_follow_the_class():
    """Backorders are taken only for the class whose policy says so; the other class loses its shortages."""
    sc = sim.load_scenario(TWO, {"horizon_days": 200})
    w = run_world(sc, "multichannel", 3)
    assert w.net.inv.backorders_ok[0] == [True, False]
    assert w.book.units_backordered > 0 and w.book.units_lost > 0
    # swap the two classes' stockout rules: the counters swap sides
    sc2 = sim.load_scenario(TWO, {"horizon_days": 200, "stores.0.replenishment.stockout": "lost_sales",
                                  "stores.0.replenishment.by_category.seasonal.stockout": "backorders"})
    w2 = run_world(sc2, "multichannel", 3)
    assert w2.net.inv.backorders_ok[0] == [False, True]
    assert w2.net.inv.backorders[0][0] == 0 and w2.book.units_backordered > 0


def test_a_backorder_under_a_lost_sales_class_breaks_the_books():
    """The invariant is per (node, SKU): the same store may owe units of one class and never of the other."""
    w = World(sim.load_scenario(TWO, {"horizon_days": 30}), "multichannel", 1)
    w.net.inv.backorder(0, 0, 2)
    assert w.net.inv.invariant_problems() == []
    w.net.inv.backorder(0, 1, 1)
    assert w.net.inv.invariant_problems() == ["node 0: backorders under a lost-sales policy (SKUs [1])"]


def test_policy_groups_must_cover_each_sku_once():
    from sim.core.inventory import Inventory, NodePolicy
    from sim.core.rng import Streams

    lead = Streams(1).sampler("x", None)
    env = Engine()
    a = NodePolicy("periodic", [5, 5, 5], [4, 4, 4], DAY_MIN, lead, False, skus=[0, 1])
    with pytest.raises(ValueError, match="SKUs \\[2\\] have no policy group"):
        Inventory(env, [[a]], 3, [1.0] * 3)
    with pytest.raises(ValueError, match="SKU 1 is in two policy groups"):
        Inventory(env, [[a, NodePolicy("none", [0] * 3, [-1] * 3, DAY_MIN, lead, False, skus=[1, 2])]], 3, [1.0] * 3)
    inv = Inventory(env, [[a, NodePolicy("none", [0] * 3, [-1] * 3, DAY_MIN, lead, False, skus=[2])]], 3, [1.0] * 3)
    assert inv.on_hand == [[5, 5, 0]] and [p.kind for p in inv.policy_of[0]] == ["periodic", "periodic", "none"]


def test_the_inventory_books_into_the_ledger_section_it_is_handed():
    """The world hands one stock section to the inventory and to the ledger; the inventory's bookings land there,
    a day's copy has its areas brought up to now without touching the live integrals, and a section of the wrong
    size (or already used) is refused."""
    from sim.core.inventory import Inventory, NodePolicy
    from sim.core.ledger import StockCounters
    from sim.core.rng import Streams

    w = World(small_scenario(2, 3, 10, 5, 1, 0.5, False, True), "omnichannel", 1)
    assert w.net.inv.counts is w.book.stock and len(w.book.stock.area) == 3  # two stores and the warehouse
    lead = Streams(1).sampler("x", None)
    engine = Engine()
    env = engine.env
    section = StockCounters.for_nodes(2)
    inv = Inventory(engine, [NodePolicy("periodic", [5, 5], [-1, -1], DAY_MIN, lead, False)] * 2, 2, [2.0, 3.0],
                    counts=section)
    env.run(until=10.0)
    assert inv.take(1, 1, 2) == 2 and inv.take(1, 1, 9) == 3
    assert (section.units_out, section.value_out, section.shipped) == (5, 15.0, [0, 5])
    env.run(until=30.0)
    day = inv.counts_now()
    assert day.area == [10 * 30, 10 * 10 + 5 * 20] and section.area == [0.0, 10 * 10]  # the live one: lazy
    day.units_out += 1
    assert section.units_out == 5
    with pytest.raises(ValueError, match="fresh and have 2 nodes"):
        Inventory(engine, [NodePolicy("none", [0], [-1], DAY_MIN, lead, False)] * 2, 1, [1.0],
                  counts=StockCounters.for_nodes(3))
    with pytest.raises(ValueError, match="fresh"):
        Inventory(engine, [NodePolicy("none", [0], [-1], DAY_MIN, lead, False)] * 2, 1, [1.0], counts=section)


@on_the_sources  # spies on the inventory's methods
def test_a_class_with_huge_stock_is_always_filled():
    sc = sim.load_scenario(TWO, {"horizon_days": 300,
                                 "stores.0.replenishment.by_category.seasonal.order_up_to": 10**6})
    basics, seasonal = fill_by_sku(sc, 5)
    assert seasonal == 1.0
    assert basics < 0.9


@on_the_sources  # spies on the inventory's methods
def test_orders_follow_each_class_review_period_and_lead_time():
    """Weekly review for one class, daily for the other; each order arrives after its own class's lead time."""
    sc = sim.load_scenario(TWO, {"horizon_days": 60, "stores.0.replenishment": {
        "policy": "periodic", "review_days": 1, "order_up_to": 12, "lead_time_days": 1,
        "by_category": {"seasonal": {"policy": "periodic", "review_days": 7, "order_up_to": 60,
                                     "lead_time_days": 3}}}})
    w = World(sc, "multichannel", 8)
    orders, receipts = [], []
    order, receive = w.net.inv._order, w.net.inv._receive
    w.net.inv._order = lambda node, sku, qty: (qty > 0 and orders.append((w.env.now, sku)), order(node, sku, qty))
    w.net.inv._receive = lambda node, sku, qty: (receipts.append((w.env.now, sku)), receive(node, sku, qty))
    w.start_arrivals()
    w.env.run(until=w.horizon)
    days = {sku: [t / DAY_MIN for t, k in orders if k == sku] for sku in (0, 1)}
    assert all(d == int(d) for d in days[0] + days[1])       # reviews at midnight only
    assert all(int(d) % 7 == 0 for d in days[1]) and len(days[1]) >= 7
    assert len(days[0]) > 40 and any(int(d) % 7 for d in days[0])
    for sku, lead in ((0, 1.0), (1, 3.0)):  # fixed lead times: the k-th receipt answers the k-th order
        got = [t / DAY_MIN for t, k in receipts if k == sku]
        assert len(got) >= len(days[sku]) - 1 and got == [d + lead for d in days[sku][: len(got)]]


@pytest.mark.slow
def test_no_by_category_and_an_empty_one_give_the_same_numbers():
    base = sim.load_scenario(DEFAULT, {"horizon_days": 2, "warmup_days": 0})
    empty = sim.load_scenario(DEFAULT, {"horizon_days": 2, "warmup_days": 0, "warehouse.replenishment.by_category": {},
                                        **{f"stores.{i}.replenishment.by_category": {} for i in range(10)}})
    a, b = sim.run(base, "omnichannel", seed=2), sim.run(empty, "omnichannel", seed=2)
    assert comparable(a.kpis) == comparable(b.kpis)
    assert a.events == b.events


@pytest.mark.slow
def test_splitting_a_policy_into_identical_classes_changes_no_number():
    """The same policy given again for some categories (fixed lead times, so no random stream differs): the per
    (node, SKU) refactor gives the same KPIs, only more review events."""
    fixed = {**{f"stores.{i}.replenishment.lead_time_days": 3 for i in range(10)},
             "warehouse.replenishment.lead_time_days": 14, "horizon_days": 8, "warmup_days": 0, "customers_per_day": 1500}
    base = sim.load_scenario(DEFAULT, fixed)
    split = {f"stores.{i}.replenishment.by_category": {c: base.stores[i].replenishment.model_dump(
        mode="json", exclude={"by_category"}) for c in ("shoes", "tops")} for i in range(10)}
    split["warehouse.replenishment.by_category"] = {
        "dresses": base.warehouse.replenishment.model_dump(mode="json", exclude={"by_category"})}
    twin = sim.load_scenario(DEFAULT, {**fixed, **split})
    for setup in ("multichannel", "omnichannel"):
        a, b = sim.run(base, setup, seed=6), sim.run(twin, setup, seed=6)
        assert comparable(a.kpis) == comparable(b.kpis)
        assert b.events > a.events



# --------------------------------------------------------------------------------------------- one truck per review
TRUCK = {f"stores.{i}.replenishment.delivery": "per_review" for i in range(10)}


@pytest.mark.slow
def test_one_truck_per_review_with_fixed_lead_times_changes_no_number():
    """With fixed lead times a review's separate orders arrive together anyway, in the order they were placed: a
    store's weekly truck (delivery: per_review) gives the same numbers with one receipt event per review."""
    fixed = {**{f"stores.{i}.replenishment.lead_time_days": 3 for i in range(10)},
             "warehouse.replenishment.lead_time_days": 14, "horizon_days": 12, "warmup_days": 0,
             "customers_per_day": 1500}
    base = sim.load_scenario(DEFAULT, {**fixed, **{k: "per_order" for k in TRUCK}})
    truck = sim.load_scenario(DEFAULT, {**fixed, **TRUCK, "warehouse.replenishment.delivery": "per_review"})
    for setup in ("multichannel", "omnichannel"):
        a, b = sim.run(base, setup, seed=6), sim.run(truck, setup, seed=6)
        assert comparable(a.kpis) == comparable(b.kpis) and a.daily == b.daily
        assert a.kpis["orders"] > 0 and b.events < a.events - 1000  # the day-7 reviews order ~1,400 SKU lines


@pytest.mark.slow
@on_the_sources  # spies on the inventory's methods
def test_a_review_ships_on_one_truck_with_one_lead_time():
    """Random lead times: every SKU a store orders at a review arrives at one instant, each review's truck after
    a lead time of its own; the units received are the units ordered."""
    sc = sim.load_scenario(DEFAULT, {"horizon_days": 36, "warmup_days": 0, "customers_per_day": 1500, **TRUCK,
                                     **{f"stores.{i}.replenishment.lead_time_days": {"dist": "gamma", "mean": 3.0,
                                                                                      "cv": 0.3} for i in range(10)}})
    w = World(sc, "multichannel", 8)
    inv = w.net.inv
    orders: dict[tuple[int, float], int] = {}
    arrivals: dict[tuple[int, float], int] = {}
    order, receive = inv._order, inv._receive

    def ordering(node, sku, qty):
        if qty > 0 and node < w.net.n_stores:
            orders[node, w.env.now] = orders.get((node, w.env.now), 0) + qty
        order(node, sku, qty)

    def receiving(node, sku, qty):
        if node < w.net.n_stores:
            arrivals[node, w.env.now] = arrivals.get((node, w.env.now), 0) + qty
        receive(node, sku, qty)

    inv._order, inv._receive = ordering, receiving
    w.start_arrivals()
    w.env.run(until=w.horizon)
    assert inv.invariant_problems() == []
    for node in range(w.net.n_stores):
        placed = sorted((t, q) for (k, t), q in orders.items() if k == node)
        came = sorted((t, q) for (k, t), q in arrivals.items() if k == node)
        assert [t / DAY_MIN for t, _ in placed] == [7.0, 14.0, 21.0, 28.0, 35.0]  # weekly reviews
        assert len(came) == 4  # the day-35 truck is still on the road: one receipt instant per review
        assert [q for _, q in came] == [q for _, q in placed[:4]]
        leads = [(c - p) / DAY_MIN for (c, _), (p, _) in zip(came, placed, strict=False)]
        assert all(0 < x < 7 for x in leads) and len(set(leads)) == 4
    everyone = [(t - p) / DAY_MIN for (k, t) in arrivals for (j, p) in orders if j == k and 0 < t - p < 7 * DAY_MIN]
    assert 2.0 < float(np.mean(everyone)) < 4.0  # 40 trucks, gamma mean 3 days, cv 0.3


def test_per_review_delivery_needs_a_periodic_policy():
    (line,) = problems(lambda d: d["stores"].__setitem__(0, {**d["stores"][0], "replenishment": {
        "policy": "continuous", "order_up_to": 9, "reorder_point": 3, "delivery": "per_review"}}))
    assert line.startswith("stores.0.replenishment: delivery: per_review needs policy: periodic"), line

def test_a_category_policy_applies_at_the_warehouse_too():
    sc = sim.load_scenario(DEFAULT, {"horizon_days": 3, "warmup_days": 0, "warehouse.replenishment.by_category": {
        "shoes": {"policy": "continuous", "order_up_to": 50, "reorder_point": 10, "stockout": "backorders"}}})
    w = World(sc, "omnichannel", 1)
    wh = w.net.wh
    shoes = [i for i, c in enumerate(w.net.cat.category) if c == "shoes"]
    assert shoes and all(w.net.inv.on_hand[wh][i] == 50 and w.net.inv.continuous[wh][i] and w.net.inv.backorders_ok[wh][i]
                         for i in shoes)
    others = [i for i in range(w.net.cat.n) if i not in shoes]
    assert not any(w.net.inv.continuous[wh][i] or w.net.inv.backorders_ok[wh][i] for i in others)
    assert [g.name for g in w.net.inv.groups[wh]] == ["", "shoes"]
    sim.run(sc, "omnichannel", seed=1)  # books balance


# --------------------------------------------------------------------------------------------- supplier capacity
def supplied(capacity, horizon=60, **extra):
    """One store (continuous base stock, S = 60, lead time 2 days, Poisson 30 units/day) and a supplier."""
    return sim.load_scenario(TWO, {"horizon_days": horizon, "warmup_days": 0, "customers_per_day": 30,
                                   "supplier.capacity_units_per_day": capacity,
                                   "stores.0.replenishment": {"policy": "continuous", "order_up_to": 60,
                                                              "reorder_point": 59, "lead_time_days": 2},
                                   **extra})


def step_days(w: World, days: int):
    """Run day by day, stopping just before each midnight's events; yield the day's end counters."""
    for d in range(1, days + 1):
        stop = simpy.Event(w.env)
        stop._ok, stop._value = True, None
        w.env.schedule(stop, -100, d * DAY_MIN - w.env.now)  # before every stock event of that instant
        w.env.run(until=stop)
        assert w.net.inv.invariant_problems() == []
        yield w.net.inv


@pytest.mark.slow
def test_unlimited_or_ample_capacity_gives_the_same_numbers():
    """An ample capacity never binds, so every order ships at once as with none: the same numbers."""
    short = {"horizon_days": 8, "warmup_days": 0, "customers_per_day": 1500}  # weekly reviews order on day 7
    cases = [(sim.load_scenario(DEFAULT, short), sim.load_scenario(DEFAULT, {**short, "supplier": {}}),
              sim.load_scenario(DEFAULT, {**short, "supplier.capacity_units_per_day": 10**9}), "omnichannel"),
             (supplied(None), supplied(None), supplied(10**9), "multichannel")]  # an order at every sale
    for base, null, ample, setup in cases:
        a, b, c = (sim.run(x, setup, seed=4) for x in (base, null, ample))
        assert comparable(a.kpis) == comparable(b.kpis) == comparable(c.kpis)
        assert a.kpis["supplier_backlog_units"] == 0 and a.kpis["orders"] > 0


def test_capacity_caps_what_is_shipped_and_received_each_day():
    cap, days = 22, 60
    w = World(supplied(cap, days), "multichannel", 3)
    w.start_arrivals()
    received, released, backlog = [0], [0], []
    for inv in step_days(w, days):
        received.append(sum(inv.counts.received))
        released.append(inv.counts.released)
        backlog.append(inv.backlog_units)
    per_day = np.diff(received)
    shipped = np.diff(released)
    assert per_day.max() <= cap and shipped.max() <= cap
    assert (per_day == cap).sum() > days / 2        # the capacity binds: demand (30/day) is above it
    assert received[-1] <= cap * days
    assert max(backlog) > 0 and w.net.inv.in_transit >= w.net.inv.backlog_units > 0
    # fixed lead time of 2 days: what arrives on a day was shipped two days before
    assert list(per_day[2:]) == list(shipped[:-2])


def test_capacity_below_demand_lowers_the_fill_rate():
    """Common random numbers: the same customers with and without a supplier capacity under mean demand."""
    for seed in range(3):
        free = sim.run(supplied(None, 120), "multichannel", seed=seed)
        tight = sim.run(supplied(25, 120), "multichannel", seed=seed)
        assert free.daily["units_demanded"] == tight.daily["units_demanded"]
        assert tight.kpis["fill_rate"] < free.kpis["fill_rate"] - 0.05
        assert tight.kpis["supplier_backlog_units"] > 0 == free.kpis["supplier_backlog_units"]


def test_backlog_is_first_in_first_out_with_partial_shipments():
    """Two nodes order; the oldest order is served first and the last one served may ship in part."""
    sc = supplied(7, 3, **{"stores.0.replenishment.reorder_point": 40, "customers_per_day": 0})
    w = World(sc, "multichannel", 1)
    inv = w.net.inv
    inv.take(0, 0, 30)   # position 30 <= 40: orders 30
    inv.take(0, 1, 25)   # then 25 more of the other SKU
    assert inv.counts.released == 7 and list(map(list, inv.backlog)) == [[0, 0, 23], [0, 1, 25]]
    next(step_days(w, 2))
    w.env.run(until=DAY_MIN + 1)
    assert list(map(list, inv.backlog)) == [[0, 0, 16], [0, 1, 25]] and inv.counts.released == 14
    assert inv.on_order[0] == [30, 25] and inv.position(0, 0) == 60


def test_default_scenario_with_a_tight_supplier_balances_its_books():
    sc = sim.load_scenario(DEFAULT, {"horizon_days": 8, "warmup_days": 0, "customers_per_day": 1500,
                                     "supplier.capacity_units_per_day": 500})
    for setup in sim.SETUP_NAMES:
        r = sim.run(sc, setup, seed=1)   # raises InvariantError if units do not add up
        assert r.kpis["supplier_backlog_units"] > 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_skus=st.integers(1, 12), cpd=st.integers(0, 300), stock=st.integers(0, 8),
       backorders=st.booleans(), periodic=st.booleans(), setup=st.sampled_from(sim.SETUP_NAMES),
       seed=st.integers(0, 2**32 - 1), capacity=st.sampled_from([None, 0, 5, 40]),
       cls=st.sampled_from(["continuous", "periodic", "none"]), cls_backorders=st.booleans(), truck=st.booleans())
def test_books_balance_with_classes_and_a_supplier(n_skus, cpd, stock, backorders, periodic, setup, seed, capacity,
                                                   cls, cls_backorders, truck):
    data = small_scenario(2, n_skus, cpd, stock, 2, 0.5, backorders, periodic).model_dump(mode="json")
    data["catalogue"]["generator"]["categories"] = ["a", "b", "c"]
    other = {"policy": cls, "order_up_to": stock + 2, "review_days": 0.5,
             "lead_time_days": {"dist": "exponential", "mean": 0.7},
             "stockout": "backorders" if cls_backorders else "lost_sales"}
    if cls == "continuous":
        other["reorder_point"] = stock
    if cls == "periodic" and truck:  # one delivery per review, with a supplier's capacity or without
        other["delivery"] = "per_review"
    for node in [*data["stores"], data["warehouse"]]:
        node["replenishment"]["by_category"] = {"b": other}
        if periodic and truck and node["replenishment"]["policy"] == "periodic":
            node["replenishment"]["delivery"] = "per_review"
    data["supplier"] = {"capacity_units_per_day": capacity}
    r = sim.run(scenario_from_dict(data), setup, seed=seed)
    assert r.books["arrived"] == r.kpis["journeys"]
    assert r.kpis["supplier_backlog_units"] >= 0


# --------------------------------------------------------------------------------------------- config errors
def test_unknown_category_names_the_field_and_what_is_allowed():
    (line,) = problems(lambda d: with_classes(d["stores"][2], {"shoe": {"order_up_to": 5}}))
    assert line == ("stores.2.replenishment.by_category.shoe: unknown category; allowed: ['accessories', 'bottoms', "
                    "'dresses', 'outerwear', 'shoes', 'tops']")
    (line,) = problems(lambda d: with_classes(d["warehouse"], {"hats": {"order_up_to": 5}}))
    assert line.startswith("warehouse.replenishment.by_category.hats: unknown category; allowed:")


def test_categories_of_a_sku_list_are_allowed():
    data = yaml.safe_load(TWO.read_text())
    data["stores"][0]["replenishment"]["by_category"]["basics"] = {"order_up_to": 3}
    scenario_from_dict(data)
    data["stores"][0]["replenishment"]["by_category"]["other"] = {"order_up_to": 3}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert err.value.problems == ["stores.0.replenishment.by_category.other: unknown category; allowed: "
                                  "['basics', 'seasonal']"]


def test_nested_by_category_is_refused():
    (line,) = problems(lambda d: with_classes(
        d["stores"][0], {"shoes": {"order_up_to": 5, "by_category": {"tops": {"order_up_to": 1}}}}))
    assert line.startswith("stores.0.replenishment.by_category:") and "cannot have a by_category" in line \
        and "shoes" in line


def test_bad_policy_inside_a_category_names_its_path():
    lines = problems(lambda d: with_classes(
        d["stores"][1], {"tops": {"order_up_to": "many"}, "shoes": {"policy": "continuous", "order_up_to": 9}}))
    assert any(x.startswith("stores.1.replenishment.by_category.tops.order_up_to:") and "integer" in x
               for x in lines)
    assert any(x.startswith("stores.1.replenishment.by_category.shoes:") and "reorder_point" in x for x in lines)
    assert len(lines) == 2


@pytest.mark.parametrize(("value", "expect"), [(-5, "must be at least 0"), ("lots", "valid integer"),
                                               (2.5, "valid integer")])
def test_bad_supplier_capacity_gets_one_line(value, expect):
    (line,) = problems(lambda d: d.update(supplier={"capacity_units_per_day": value}))
    assert line.startswith("supplier.capacity_units_per_day:") and expect in line and repr(value) in line


def test_unknown_supplier_field():
    assert problems(lambda d: d.update(supplier={"capacity": 5})) == [
        "supplier.capacity: unknown field (check the spelling)"]
