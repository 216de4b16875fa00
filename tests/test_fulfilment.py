"""Stock pools and fulfilment: reserves, reservations, transfers, routing rules, pickup points, extra purchases at
pickup, returns per category with write-offs, and what a broken promise costs. Every comparison runs the same
customers (common random numbers) under two settings and checks the sign the mechanism must give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.core.catalogue import build_catalogue
from sim.core.fulfilment import DROP_ITEM, _StoresOffer
from sim.core.model import World

from .helpers import paired
from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"
N_STORES = 10


def short_default(days=7, **overrides):
    return sim.load_scenario(DEFAULT, {"horizon_days": days, "warmup_days": 0, **overrides})


def every_store(field, value):
    return {f"stores.{i}.{field}": value for i in range(N_STORES)}


def every_segment(field, value):
    return {f"segments.{i}.{field}": value for i in range(3)}


@pytest.mark.slow
def test_a_store_reserve_keeps_stock_for_walk_in_customers():
    """Tight store stock shared with online orders: holding back a reserve for the aisle lowers the store's
    stockouts and sends fewer online units out of the stores."""
    base = {**every_store("replenishment.order_up_to_days", 6), "fulfilment.routing": "most_stock"}
    sc = short_default(10, **base)
    held = short_default(10, **base, **every_store("reserve_days", 3))
    runs = [(sim.run(sc, "omnichannel", seed=s), sim.run(held, "omnichannel", seed=s)) for s in range(2)]
    for free, kept in runs:
        assert kept.breakdown["channel"]["store"]["stockout_rate"] < free.breakdown["channel"]["store"]["stockout_rate"]
        picks = [sum(b["picks"] for b in r.breakdown["store"].values()) for r in (free, kept)]
        assert picks[1] < picks[0]
    # a reserve on siloed stock changes nothing: no other channel can reach a store's shelf
    for s in range(2):
        assert sim.run(sc, "multichannel", seed=s).kpis == pytest.approx(
            sim.run(held, "multichannel", seed=s).kpis, nan_ok=True)


def test_stock_promised_to_a_click_and_collect_order_leaves_the_aisle_at_once():
    """A reservation: the unit of a click & collect order is taken from the shelf when the order is accepted,
    so a walk-in customer right after finds the shelf empty although the parcel has not been picked yet."""
    sc = sim.load_scenario(DEFAULT, {"stores.0.replenishment.order_up_to": 1,
                                     "stores.0.replenishment.order_up_to_days": None,
                                     "stores.0.replenishment.presentation_units": 0})
    w = World(sc, "omnichannel", np.random.SeedSequence(1))
    proto = w.population.days(0, 1, w.horizon)[0]
    web = w.net.channels.index("web")
    online = proto.replace(store=0, seg=0, lines=[(0, 1)], units=1, u_collect=0.0, reaction=DROP_ITEM, u_reco=1.0)
    assert w.net.inv.on_hand[0][0] == 1
    w.fulfilment.online_sale(online, web)
    assert w.net.inv.on_hand[0][0] == 0 and w.book.shipments["store_pickup"] == 1
    assert w.book.picks_store[0] == 1  # the pick itself waits for staff: a process, not yet run
    lost = w.book.units_lost
    w.fulfilment.store_sale(online.replace(u_collect=1.0), 0, w.net.ch_store, 0)
    assert w.book.units_lost == lost + 1


@pytest.mark.slow
def test_transfers_between_stores_save_sales_where_stores_do_not_ship():
    """Omnichannel without ship-from-store: a waiting store customer can only be served from another store by a
    transfer to their store. With transfers on, lost sales fall and transfers are counted and paid for."""
    tight = every_store("replenishment.order_up_to_days", 5)
    sc = short_default(8, **tight, setups={
        "transfers": {"base": "omnichannel", "ship_from_store": False},
        "no-transfers": {"base": "omnichannel", "ship_from_store": False, "transfers": False}},
        **{"warehouse.replenishment.order_up_to_days": 2})
    lost, transfers, cost = paired(sc, "no-transfers", "transfers", "lost_sales_units", "transfers",
                                   "fulfilment_cost")
    assert (lost < 0).all() and (transfers > 0).all() and (cost > 0).all()
    r = sim.run(sc, "transfers", seed=0)
    assert r.breakdown["fulfilment"]["transfer"]["parcels"] == r.kpis["transfers"]
    assert r.breakdown["fulfilment"]["ship_from_store"]["parcels"] == 0
    assert sim.run(sc, "no-transfers", seed=0).kpis["transfers"] == 0


def routing_scenario(rule, cost_per_km=0.0):
    """Stores on a line 0..45 km, the warehouse 100 km away, ample stock everywhere, every online order delivered:
    routing alone decides."""
    places = {f"stores.{i}.x_km": 5.0 * i for i in range(N_STORES)}
    return short_default(3, **places, **every_store("replenishment.order_up_to_days", 40),
                         **every_segment("click_collect_share", 0.0),
                         **{"warehouse.x_km": 100.0, "fulfilment.routing": rule,
                            "fulfilment.cost_per_km": cost_per_km})


@pytest.mark.slow
def test_routing_rules_pick_the_nearest_or_the_cheapest_node():
    runs = {rule: sim.run(routing_scenario(rule, 0.2), "omnichannel", seed=4)
            for rule in ("warehouse_first", "most_stock", "nearest", "cheapest")}
    km = {rule: r.kpis["delivery_distance_km"] for rule, r in runs.items()}
    cost = {rule: r.kpis["fulfilment_cost"] / r.kpis["orders"] for rule, r in runs.items()}
    # warehouse first ships everything from 55..100 km away; nearest serves from the customer's own store
    assert km["warehouse_first"] > 55 and km["nearest"] < 1
    assert km["nearest"] <= min(km.values())
    # a parcel from a store costs 8 + 0.2 km, from the warehouse 6 + 0.2 x ~100: the cheapest rule uses stores
    assert cost["cheapest"] <= min(cost.values()) and cost["cheapest"] < 0.8 * cost["warehouse_first"]
    assert runs["nearest"].breakdown["fulfilment"]["home"]["parcels"] < \
        runs["warehouse_first"].breakdown["fulfilment"]["home"]["parcels"]


@pytest.mark.slow
def test_pickup_points_take_their_share_of_online_parcels_in_every_setup():
    share = 0.3
    sc = short_default(3, **every_segment("pickup_point_share", share))
    for setup in ("multichannel", "omnichannel"):
        r = sim.run(sc, setup, seed=2)
        # one uniform per customer: the top 30 % want a pickup point, whatever else the setup offers
        assert r.breakdown["fulfilment"]["pickup_point"]["share"] == pytest.approx(share, abs=0.03)
    none = short_default(3, **every_segment("pickup_point_share", 0.0))
    assert sim.run(none, "multichannel", seed=2).breakdown["fulfilment"]["pickup_point"]["parcels"] == 0


@pytest.mark.slow
def test_pickups_bring_extra_store_purchases():
    sc = {p: short_default(5, **{"fulfilment.pickup_extra_purchase_prob": p}) for p in (0.0, 0.5, 1.0)}
    runs = {p: sim.run(s, "omnichannel", seed=5) for p, s in sc.items()}
    extra = {p: r.kpis["pickup_extra_revenue"] for p, r in runs.items()}
    assert extra[0.0] == 0
    # the same uniforms decide: at 0.5 about half of the customers who buy at 1.0
    assert 1.6 < extra[1.0] / extra[0.5] < 2.4
    f = runs[1.0].breakdown["fulfilment"]
    collected = f["store_pickup"]["parcels"] + f["collect_warehouse"]["parcels"] + f["transfer"]["parcels"]
    prices = build_catalogue(sc[1.0].catalogue).price
    assert extra[1.0] <= collected * max(prices)
    assert extra[1.0] > 0.5 * collected * min(prices)
    assert runs[1.0].kpis["revenue"] > runs[0.0].kpis["revenue"]
    # and none without click & collect
    assert sim.run(sc[1.0], "multichannel", seed=5).kpis["pickup_extra_revenue"] == 0


@pytest.mark.slow
def test_return_rates_follow_channel_and_category_and_write_offs_leave_stock():
    p = 0.1
    rates = {**every_segment("after_sale.return_store", p), **every_segment("after_sale.return_online", p),
             **every_segment("after_sale.return_after_days", 0.2), "fulfilment.return_handling_days": 0.1}
    cats = ["tops", "bottoms", "dresses", "outerwear", "shoes", "accessories"]
    base = sim.run(short_default(5, **rates), "omnichannel", seed=6)
    double = sim.run(short_default(5, **rates, **{f"fulfilment.return_category_factor.{c}": 2.0 for c in cats}),
                     "omnichannel", seed=6)
    none = sim.run(short_default(5, **rates, **{f"fulfilment.return_category_factor.{c}": 0.0 for c in cats}),
                   "omnichannel", seed=6)
    assert base.kpis["return_rate"] == pytest.approx(p, abs=0.015)
    assert double.kpis["return_rate"] == pytest.approx(2 * p, abs=0.02)
    assert none.kpis["return_rate"] == 0
    # shoes only: the return rate is p times shoes' share of units sold
    shoes = sim.run(short_default(5, **rates, **{f"fulfilment.return_category_factor.{c}": 0.0
                                                  for c in cats if c != "shoes"}), "omnichannel", seed=6)
    assert 0 < shoes.kpis["return_rate"] < 0.35 * p
    half = sim.run(short_default(5, **rates, **{"fulfilment.return_writeoff_share": 0.5}), "omnichannel", seed=6)
    assert half.kpis["written_off_units"] / half.kpis["returned_units"] == pytest.approx(0.5, abs=0.06)
    assert base.kpis["written_off_units"] == 0


@pytest.mark.slow
def test_a_broken_promise_costs_satisfaction():
    """Cross-channel with a short warehouse: on a day-old view, promised units fail at picking and the customer
    is told late; on a live view the same customers see the gap at once. Same lost units, unhappier customers."""
    short = {"warehouse.replenishment.order_up_to_days": 6, "fulfilment.sync_interval_min": 2880}
    sc = short_default(10, **short, setups={"live-view": {"base": "cross-channel", "visibility": "live"}})
    stale, live = sim.run(sc, "cross-channel", seed=0), sim.run(sc, "live-view", seed=0)
    assert stale.kpis["failed_promises"] > 0 and live.kpis["failed_promises"] == 0
    assert stale.kpis["failed_promise_units"] >= stale.kpis["failed_promises"]
    assert stale.kpis["satisfaction"] < live.kpis["satisfaction"]


@pytest.mark.slow
def test_store_options_narrow_what_the_setup_allows():
    """Store 0 neither ships nor hosts click & collect: it picks nothing; the other stores do."""
    sc = short_default(4, **{"stores.0.ship_from_store": False, "stores.0.click_collect": False})
    r = sim.run(sc, "omnichannel", seed=3)
    picks = [b["picks"] for b in r.breakdown["store"].values()]
    assert picks[0] == 0 and min(picks[1:]) > 0


@settings(max_examples=200, deadline=None)
@given(data=st.data(), stores=st.integers(1, 6), skus=st.integers(1, 3))
def test_the_stores_offer_scan_picks_what_a_loop_over_the_stores_picks(data, stores, skus):
    """``most_stock``'s scan across the stores (itemgetters) returns the store and units of the loop it replaced:
    the first store, in store order, offering the most and at least the line, reserves subtracted except at the
    ordering node, the excluded store never; ties and stores with nothing included."""
    units = st.integers(0, 4)
    on_hand = [data.draw(st.lists(units, min_size=skus, max_size=skus)) for _ in range(stores)]
    reserve = [data.draw(st.lists(st.integers(0, 2), min_size=skus, max_size=skus)) for _ in range(stores)]
    ok = data.draw(st.lists(st.booleans(), min_size=stores, max_size=stores))
    sku, qty = data.draw(st.integers(0, skus - 1)), data.draw(st.integers(1, 4))
    own, exclude = data.draw(st.integers(-1, stores)), data.draw(st.integers(-1, stores))
    best, best_have = -1, qty - 1
    for node, flagged in enumerate(ok):
        if flagged and node != exclude:
            have = on_hand[node][sku] - (0 if node == own else reserve[node][sku])
            if have > best_have:
                best, best_have = node, have
    offer = _StoresOffer(ok, on_hand, reserve)
    assert offer.best(sku, qty, own, exclude) == (best, best_have)
    on_hand[0][sku] += 3  # it reads the live rows
    assert offer.best(sku, qty, own, exclude) == _StoresOffer(ok, on_hand, reserve).best(sku, qty, own, exclude)
