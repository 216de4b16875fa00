"""Model mechanisms: conservation on every run, common random numbers, directions of the setup differences."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.core.customers import Population
from sim.core.kpis import KPIS
from sim.core.model import DAILY_KPIS, World, day_windows, measured_window, simulate

from .helpers import paired, small_scenario
from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"


def short_default(**overrides):
    return sim.load_scenario(DEFAULT, {"horizon_days": 5, "warmup_days": 0, **overrides})


@pytest.mark.slow
@pytest.mark.parametrize("setup", sim.SETUP_NAMES)
def test_books_balance_on_default(setup):
    r = sim.run(short_default(), setup, seed=7)
    b = r.books
    assert b["arrived"] == b["ordered"] + b["left"] + b["inside"]
    assert b["revenue"] == pytest.approx(b["order_value"])
    assert r.kpis["customers"] == b["arrived"] - b["repeat_journeys"] > 0
    assert r.kpis["journeys"] == b["arrived"]
    assert 0 < r.kpis["conversion_rate"] < 1
    assert r.kpis["orders"] == b["ordered"]


@pytest.mark.slow
def test_same_seed_same_numbers():
    sc = short_default()
    a, b = sim.run(sc, "omnichannel", seed=3), sim.run(sc, "omnichannel", seed=3)
    assert a.kpis == pytest.approx(b.kpis, nan_ok=True)
    c = sim.run(sc, "omnichannel", seed=4)
    assert a.kpis["revenue"] != c.kpis["revenue"]


@pytest.mark.slow
def test_common_random_numbers_same_customers_under_every_setup():
    """Each setup sees the same arrivals, journeys, baskets and service needs: they are drawn before any event."""
    sc = short_default()
    days = {}
    for setup in sim.SETUP_NAMES:
        w = World(sc, setup, np.random.SeedSequence(9))
        days[setup] = [(c.t, c.seg, c.store, c.channel, c.lines, c.till_min, c.u_abandon)
                       for c in w.population.days(0, 2, w.horizon)]
    first = days[sim.SETUP_NAMES[0]]
    assert len(first) > 1000
    for setup in sim.SETUP_NAMES[1:]:
        assert days[setup] == first
    # and the runs themselves see the same journeys (repeat journeys, which depend on the setup, switched off)
    sc = short_default(**{f"segments.{i}.after_sale.repeat_{g}": 0.0 for i in range(3)
                          for g in ("promoter", "passive", "detractor")})
    runs = [sim.run(sc, s, seed=9) for s in sim.SETUP_NAMES]
    assert len({r.kpis["customers"] for r in runs}) == 1
    assert len({tuple(v["visits"] for v in r.breakdown["touchpoint"].values()) for r in runs}) == 1


def test_a_new_stream_does_not_shift_the_others():
    sc = short_default()
    pop = Population(sc, sim.core.rng.Streams(5), ["store", "web", "app", "marketplace", "call_centre"],
                     [*sc.touchpoints, "store", "call_centre"], np.full(300, 1 / 300))
    before = [(c.t, c.lines) for c in pop.days(0, 1, 1e9)]
    streams = sim.core.rng.Streams(5)
    streams.generator("some-new-purpose").random(1000)
    pop2 = Population(sc, streams, ["store", "web", "app", "marketplace", "call_centre"],
                      [*sc.touchpoints, "store", "call_centre"], np.full(300, 1 / 300))
    assert [(c.t, c.lines) for c in pop2.days(0, 1, 1e9)] == before


@pytest.mark.slow
def test_shared_stock_lowers_stockouts_at_equal_total_stock():
    """Multichannel vs the same setup with one shared pool: same customers, same stock, fewer stockouts."""
    sc = short_default(horizon_days=10, setups={"pooled": {"base": "multichannel", "shared_stock": True,
                                                            "visibility": "live", "ship_from_store": True}})
    stockouts, lost, on_hand = paired(sc, "multichannel", "pooled", "stockout_rate", "lost_sales_units",
                                      "avg_on_hand_units")
    assert (stockouts < 0).all() and (lost < 0).all()
    assert (np.abs(on_hand) < 0.02 * sim.run(sc, "multichannel", seed=0).kpis["avg_on_hand_units"]).all()


@pytest.mark.slow
def test_cart_continuity_raises_conversion():
    sc = short_default(setups={"keeps-cart": {"base": "multichannel", "cart_continuity": "full"},
                               "friction": {"base": "multichannel", "cart_continuity": "friction"}})
    assert (paired(sc, "multichannel", "friction", "conversion_rate") > 0).all()
    assert (paired(sc, "friction", "keeps-cart", "conversion_rate") > 0).all()


@pytest.mark.slow
def test_ship_from_store_with_too_few_staff_hurts_in_store_service():
    """Picking online orders takes the same staff who advise walk-in customers: omnichannel may lose."""
    overrides = {f"stores.{i}.staff": 1 for i in range(10)}
    overrides.update({f"stores.{i}.advice_prob": 0.6 for i in range(10)})
    sc = short_default(horizon_days=7, **overrides,
                       setups={"no-store-picking": {"base": "omnichannel", "ship_from_store": False,
                                                    "store_pickup": False}})
    r = sim.run(sc, "omnichannel", seed=1)
    assert sum(b["picks"] for b in r.breakdown["store"].values()) > 0
    assert (paired(sc, "no-store-picking", "omnichannel", "store_service_level") < 0).all()


@pytest.mark.slow
def test_personalisation_adds_units_only_where_the_setup_has_the_data():
    sc = short_default(horizon_days=3, setups={
        "multi-reco": {"base": "multichannel", "personalisation": True},
        "multi-data-reco": {"base": "multichannel", "personalisation": True, "customer_data": True},
        "omni-no-reco": {"base": "omnichannel", "personalisation": False}})
    assert (paired(sc, "multichannel", "multi-reco", "basket_units") == 0).all()
    assert (paired(sc, "multichannel", "multi-data-reco", "basket_units") > 0).all()
    assert (paired(sc, "omni-no-reco", "omnichannel", "basket_units") > 0).all()


# --------------------------------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_stores=st.integers(1, 3), n_skus=st.integers(1, 20), cpd=st.integers(0, 300), stock=st.integers(0, 8),
       staff=st.sampled_from([None, 1, 3]), channels_store=st.sampled_from([0.0, 0.5, 1.0]),
       backorders=st.booleans(), periodic=st.booleans(), setup=st.sampled_from(sim.SETUP_NAMES),
       seed=st.integers(0, 2**32 - 1), lot=st.sampled_from([None, 1, 4]),
       routing=st.sampled_from(["warehouse_first", "most_stock", "nearest", "cheapest"]),
       reserve=st.integers(0, 3), writeoff=st.sampled_from([0.0, 0.5, 1.0]), marketing=st.booleans())
def test_books_balance_on_any_small_network(n_stores, n_skus, cpd, stock, staff, channels_store, backorders,
                                            periodic, setup, seed, lot, routing, reserve, writeoff, marketing):
    """run() raises InvariantError when customers, units or money do not add up (revenue after discounts and
    channel prices included); here it must not, marketing levers on or off."""
    sc = small_scenario(n_stores, n_skus, cpd, stock, staff, channels_store, backorders, periodic,
                        None if periodic else lot, routing, reserve, writeoff, marketing)
    r = sim.run(sc, setup, seed=seed)
    assert r.books["arrived"] == r.kpis["journeys"]
    assert r.kpis["carts_recovered"] <= r.kpis["reminders_sent"]
    if stock == 0 and not backorders:
        assert r.kpis["fill_rate"] == 0.0 or np.isnan(r.kpis["fill_rate"])
    if cpd == 0:
        assert r.kpis["customers"] == 0 and np.isnan(r.kpis["conversion_rate"])


def test_unlimited_staff_means_no_wait():
    sc = short_default(**{f"stores.{i}.{f}": None for i in range(10) for f in ("staff", "tills")},
                       **{f"stores.{i}.advice_prob": 0.0 for i in range(10)}, **{"call_centre.agents": None})
    r = sim.run(sc, "omnichannel", seed=2)
    assert r.kpis["store_wait_mean_min"] == 0 and r.kpis["call_wait_mean_min"] == 0
    assert r.kpis["store_service_level"] == 1


@pytest.mark.slow
def test_a_staler_stock_view_breaks_more_promises():
    """Cross-channel promises endless-aisle orders on the last sync of warehouse stock: the older the view,
    the more orders fail at picking (a short warehouse makes the difference visible)."""
    failed = []
    for sync in (60, 720, 2880):
        sc = short_default(horizon_days=10, **{"warehouse.replenishment.order_up_to_days": 6,
                                               "fulfilment.sync_interval_min": sync})
        failed.append(sum(sim.run(sc, "cross-channel", seed=s).kpis["failed_promise_units"] for s in (0, 1)))
    assert failed[0] < failed[1] < failed[2]
    live = short_default(horizon_days=10, **{"warehouse.replenishment.order_up_to_days": 6},
                         setups={"live-view": {"base": "cross-channel", "visibility": "live"}})
    assert sim.run(live, "live-view", seed=0).kpis["failed_promise_units"] == 0


@pytest.mark.slow
def test_returns_come_back_where_the_setup_takes_them():
    """Same customers: omnichannel takes every return back in the customer's store; otherwise an online order
    goes back to the warehouse. The units are sellable again, and the share of orders returned is the chance."""
    p = 0.2
    sc = short_default(horizon_days=6, **{f"segments.{i}.after_sale.{k}": v for i in range(3)
                                          for k, v in (("return_store", p), ("return_online", p),
                                                       ("return_after_days", 0.2))})
    multi, omni = (sim.run(sc, s, seed=3) for s in ("multichannel", "omnichannel"))
    assert omni.kpis["returns_in_store_share"] == 1.0
    assert 0.3 < multi.kpis["returns_in_store_share"] < 0.95
    for r in (multi, omni):
        # returns of the last few hours' orders are still to come: a little under the chance
        assert p - 0.02 < r.kpis["return_rate"] < p + 0.005  # a share of the units sold
        assert r.kpis["refunds"] > 0
    off = short_default(horizon_days=3, **{f"segments.{i}.after_sale.{k}": 0.0 for i in range(3)
                                           for k in ("return_store", "return_online")})
    assert sim.run(off, "omnichannel", seed=3).kpis["return_rate"] == 0


def test_a_packed_customer_comes_back_exactly():
    """A repeat journey waits packed (sim.core.customers.pack): every field, and its type, comes back unchanged — for
    drawn customers of every scenario feature the default has, and for a journey's changed copies."""
    from sim.core.customers import pack, unpack

    sc = short_default()
    w = World(sc, "omnichannel", np.random.SeedSequence(3))
    batch = w.population.days(0, 1, w.horizon)
    changed = [c.replace(price_ch=1, till_min=c.till_min + 0.1, handle_min=[*c.handle_min, 2.5], recovered=True)
               for c in batch[:50]]
    for c in [*batch, *changed]:
        back = unpack(pack(c))
        assert back is not c and back.astuple() == c.astuple() and type(back) is type(c)
        assert [type(x) for x in back.astuple()] == [type(x) for x in c.astuple()]
        assert all(type(a) is type(b) for x, y in zip(back.astuple(), c.astuple(), strict=True)
                   if isinstance(x, list) for a, b in zip(x, y, strict=True))


def test_a_customer_copy_changes_only_what_it_names():
    """Customer (a native class when compiled): its keywords, FIELDS and astuple agree field by field; replace gives
    a copy with the named fields changed, the original left as it was."""
    from sim.core.customers import Customer

    w = World(short_default(), "omnichannel", np.random.SeedSequence(5))
    c = w.population.days(0, 1, w.horizon)[0]
    row = c.astuple()
    assert [getattr(c, f) for f in Customer.FIELDS] == list(row)
    assert Customer(**dict(zip(Customer.FIELDS, row, strict=True))).astuple() == row
    d = c.replace(t=c.t + 1, repeat=True, offer=2, lines=[(0, 1)])
    assert c.astuple() == row and d is not c
    changed = {f for f, a, b in zip(Customer.FIELDS, row, d.astuple(), strict=True) if a != b}
    assert changed == {"t", "repeat", "offer"} | ({"lines"} if c.lines != [(0, 1)] else set())
    assert d.t == c.t + 1 and d.repeat is True and d.offer == 2 and d.lines == [(0, 1)]


# --------------------------------------------------------------------------------------------- daily series
def test_daily_fill_rates_agree_with_the_window_on_the_issues_example():
    """The default at 1,500 customers a day (stock at its days of demand only, no presentation minimum, as the
    issue's default was), 3 days, omnichannel, seed 1: the window's fill rate is the mean of the
    days' weighted by the units asked each day (before, every day was above the window: the daily series counted
    substitutes as filled), and the daily counts add up to the window's (customers are people, as in the KPI)."""
    sc = sim.load_scenario(DEFAULT, {"horizon_days": 3, "warmup_days": 0, "customers_per_day": 1500,
                                     "stores.*.replenishment.presentation_units": 0})
    r = sim.run(sc, "omnichannel", seed=1)
    fill, asked = r.daily["fill_rate"], r.daily["units_demanded"]
    assert len(fill) == 3 and all(0 < f < 1 for f in fill)
    assert sum(f * u for f, u in zip(fill, asked, strict=True)) / sum(asked) == pytest.approx(r.kpis["fill_rate"],
                                                                                             rel=1e-12)
    assert min(fill) < r.kpis["fill_rate"] < max(fill)
    for name in ("customers", "orders", "lost_sales_units"):
        assert sum(r.daily[name]) == r.kpis[name], name
    assert sum(r.daily["revenue"]) == pytest.approx(r.kpis["revenue"], rel=1e-12)
    assert r.kpis["customers"] < r.kpis["journeys"]  # repeat journeys: a daily count of journeys would differ


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_stores=st.integers(1, 3), n_skus=st.integers(1, 20), cpd=st.integers(20, 300), stock=st.integers(0, 8),
       staff=st.sampled_from([None, 1, 3]), channels_store=st.sampled_from([0.0, 0.5, 1.0]),
       backorders=st.booleans(), periodic=st.booleans(), setup=st.sampled_from(sim.SETUP_NAMES),
       seed=st.integers(0, 2**32 - 1), horizon=st.integers(1, 4), warmup=st.integers(0, 2),
       marketing=st.booleans())
def test_a_ratio_kpi_over_whole_days_is_the_mean_of_its_days_weighted_by_its_denominator(
        n_stores, n_skus, cpd, stock, staff, channels_store, backorders, periodic, setup, seed, horizon, warmup,
        marketing):
    """Each day is a window fed to the same declared KPIs. Over a window of whole days from a day boundary (after
    a warm-up of whole days), the days' numerators and denominators of every KPI declared as a ratio add up to
    the window's, so the window's value is the days' values weighted by their denominators (a day with a
    numerator but no denominator has no value: such a KPI is left out for that run)."""
    warmup = min(warmup, horizon - 1)
    sc = small_scenario(n_stores, n_skus, cpd, stock, staff, channels_store, backorders, periodic,
                        marketing=marketing, horizon=horizon, warmup=warmup)
    w = World(sc, setup, np.random.SeedSequence(seed))
    simulate(w)
    whole = measured_window(w)
    days = day_windows(w)
    assert len(days) == horizon and all(minutes == 1440.0 for _, minutes, _ in days)
    days = days[warmup:]
    checked = 0
    for k in KPIS:
        if k.ratio_of is None:
            continue
        num, den = k.ratio_of
        nums, dens = [num(*d) for d in days], [den(*d) for d in days]
        assert sum(nums) == pytest.approx(num(*whole), rel=1e-9, abs=1e-6), k.name
        assert sum(dens) == pytest.approx(den(*whole), rel=1e-9, abs=1e-6), k.name
        if any(d == 0 and n != 0 for n, d in zip(nums, dens, strict=True)):
            continue
        want = k.value(*whole)
        if not sum(dens):
            assert math.isnan(want), k.name
            continue
        mean = sum(d * k.value(*day) for d, day in zip(dens, days, strict=True) if d) / sum(dens)
        assert mean == pytest.approx(want, rel=1e-9, abs=1e-9), k.name
        checked += 1
    assert checked >= 10  # most ratios have data every day at 20+ customers a day


def test_the_daily_series_are_the_declared_kpis_over_each_day():
    """run()'s daily KPI series are the KPIs computed on each one-day window; the stock series are the states
    at each day's end (their last value the stock at the horizon)."""
    sc = short_default(horizon_days=3)
    r = sim.run(sc, "cross-channel", seed=5)
    assert list(r.daily) == ["customers", "orders", "revenue", "units_demanded", "lost_sales_units", "fill_rate",
                             "stockout_rate", "store_wait_mean_min", "call_wait_mean_min", "footfall", "online_sessions",
                             "on_hand_units",
                             *(f"on_hand_units.{s.name}" for s in sc.stores), "on_hand_units.warehouse"]
    w = World(sc, "cross-channel", np.random.SeedSequence(5))
    simulate(w)
    for name in DAILY_KPIS:
        kpi = next(k for k in KPIS if k.name == name)
        assert r.daily[name] == pytest.approx([kpi.value(*d) for d in day_windows(w)], nan_ok=True), name
    assert r.daily["on_hand_units"][-1] == sum(w.net.inv.total)
    assert [r.daily[f"on_hand_units.{s.name}"][-1] for s in sc.stores] == w.net.inv.total[: len(sc.stores)]


@pytest.mark.parametrize(("path", "overrides"), [
    ("scenarios/default.yaml", {"horizon_days": 3.5, "warmup_days": 1.5, "customers_per_day": 1200}),
    ("scenarios/validation/i1_base_stock_backorders.yaml", {"horizon_days": 60, "warmup_days": 10}),
])
def test_a_run_without_daily_series_measures_the_same_window(path, overrides):
    """``daily=False`` skips the day-end snapshots of the counters, nothing else: the same events in the same
    order, so every KPI, breakdown and book total is identical, and the daily series are empty."""
    sc = sim.load_scenario(ROOT / path, overrides)
    for setup in sim.SETUP_NAMES:
        full, lean = sim.run(sc, setup, seed=5), sim.run(sc, setup, seed=5, daily=False)
        assert lean.daily == {} and full.daily["fill_rate"]
        assert lean.events == full.events and lean.books == full.books
        same = json.dumps([full.kpis, full.breakdown], sort_keys=True) == json.dumps([lean.kpis, lean.breakdown],
                                                                                       sort_keys=True)
        assert same, setup
