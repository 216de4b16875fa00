"""The marketing pillar on common random numbers: reminders, the chatbot, prices and promotions per channel.

Each test runs the same customers (same seeds) with a lever on and off, or under two setups, so a difference is
the lever's doing; the books (customers, units, money after discounts) are checked by every run itself."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.scenario.schema import ScenarioError

from .golden import _plain
from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"
SEEDS = (1, 2, 3)
BASE = {"horizon_days": 3, "warmup_days": 1, "customers_per_day": 3000}


def scenario(**overrides):
    return sim.load_scenario(DEFAULT, {**BASE, **overrides})


def every_segment(field: str, value) -> dict:
    n = len(sim.load_scenario(DEFAULT).segments)
    return {f"segments.{i}.marketing.{field}": value for i in range(n)}


def total(sc, setup: str, kpi: str, seeds=SEEDS) -> float:
    return float(sum(sim.run(sc, setup, seed=s).kpis[kpi] for s in seeds))


# --------------------------------------------------------------------------------------------- reminders
# a third of online carts left at checkout (what reminders act on), and a setup with a customer record without
# the rest of omnichannel
WITH_DATA = {"setups": {"cross+crm": {"base": "cross-channel", "customer_data": True, "cart_reminders": True}},
             **every_segment("cart_abandon_prob", 0.3)}


@pytest.mark.slow
def test_reminders_recover_carts_only_where_the_setup_has_customer_data():
    """Carts left at checkout, lost on a channel switch, or left when giving up: only a setup with the customer
    record sends reminders, and a recovered cart is an order."""
    sc = scenario(**every_segment("reminder_return_prob", 0.3), **WITH_DATA)
    for setup in ("multichannel", "cross-channel"):  # no customer record: nobody to remind
        r = sim.run(sc, setup, seed=1)
        assert r.kpis["reminders_sent"] == 0 and r.kpis["carts_recovered"] == 0
    for setup in ("cross+crm", "omnichannel"):
        r = sim.run(sc, setup, seed=1)
        assert r.kpis["reminders_sent"] > 0 and 0 < r.kpis["carts_recovered"] <= r.kpis["reminders_sent"]
        assert r.kpis["recovered_revenue"] > 0


@pytest.mark.slow
def test_reminders_recover_more_carts_with_a_higher_return_probability():
    low = scenario(**every_segment("reminder_return_prob", 0.1), **WITH_DATA)
    high = scenario(**every_segment("reminder_return_prob", 0.5), **WITH_DATA)
    for setup in ("cross+crm", "omnichannel"):
        assert total(high, setup, "carts_recovered") > 2 * total(low, setup, "carts_recovered") > 0
        assert total(high, setup, "orders") > total(low, setup, "orders")


@pytest.mark.slow
def test_a_recovered_cart_is_one_order_counted_once():
    """Everyone comes back: each recovered cart is one order of the window's orders, the customers still add up
    (arrived = ordered + left + inside, checked by the run), and recovered revenue is part of revenue. No warm-up:
    a reminder sent before the window opens could bring back a cart inside it."""
    sc = scenario(**every_segment("reminder_return_prob", 1.0), **WITH_DATA, warmup_days=0)
    off = scenario(**WITH_DATA, warmup_days=0)
    for seed in SEEDS:
        r, base = sim.run(sc, "cross+crm", seed=seed), sim.run(off, "cross+crm", seed=seed)
        k = r.kpis
        assert k["carts_recovered"] <= k["reminders_sent"]
        assert k["recovered_revenue"] < k["revenue"]
        b = r.books
        assert b["arrived"] == b["ordered"] + b["left"] + b["inside"]
        assert b["left"] < base.books["left"]                  # those who came back did not leave
        assert k["customers"] == base.kpis["customers"]


# --------------------------------------------------------------------------------------------- chatbot
@pytest.mark.slow
def test_a_chatbot_lowers_the_calls_reaching_agents_and_their_wait():
    bot = scenario(**every_segment("chatbot_containment", 0.5), **{"call_centre.agents": 6})
    no_bot = scenario(**{"call_centre.agents": 6})
    calls_bot, calls = total(bot, "omnichannel", "calls_to_agents"), total(no_bot, "omnichannel", "calls_to_agents")
    assert calls_bot < 0.85 * calls
    assert total(bot, "omnichannel", "call_wait_mean_min") < total(no_bot, "omnichannel", "call_wait_mean_min")
    r = sim.run(bot, "omnichannel", seed=1)
    # about half the contacts that met the bot were answered by it (binomial, 4 standard deviations)
    share = r.kpis["chatbot_deflection_rate"]
    assert abs(share - 0.5) < 0.1
    # no chatbot where the setup has none: every service contact reaches the agents
    assert np.isnan(sim.run(bot, "multichannel", seed=1).kpis["chatbot_deflection_rate"])


@pytest.mark.slow
def test_a_chatbot_that_answers_badly_costs_satisfaction():
    good = scenario(**every_segment("chatbot_containment", 0.6))
    bad = scenario(**every_segment("chatbot_containment", 0.6), **every_segment("chatbot_failure", 1.0))
    assert total(bad, "omnichannel", "satisfaction") < total(good, "omnichannel", "satisfaction")


# --------------------------------------------------------------------------------------------- prices
GAP = {"marketing.channel_price_index": {"web": 0.85, "app": 0.85},
       **every_segment("price_reaction", {"accept": 0.4, "switch": 0.4, "haggle": 0.1, "leave": 0.1})}


@pytest.mark.slow
def test_a_channel_price_gap_raises_switching_and_unified_pricing_removes_it():
    gap, flat = scenario(**GAP), scenario(**every_segment("price_reaction", GAP["segments.0.marketing.price_reaction"]))
    for setup in ("multichannel", "cross-channel"):
        assert total(gap, setup, "price_mismatch_encounters") > 0
        assert total(flat, setup, "price_mismatch_encounters") == 0
        assert total(gap, setup, "channel_switch_rate") > total(flat, setup, "channel_switch_rate")
        assert total(gap, setup, "discount_cost") > 0  # web and app sell below the catalogue price
    # omnichannel holds one price everywhere: the gap is not there to see
    assert total(gap, "omnichannel", "price_mismatch_encounters") == 0
    assert total(gap, "omnichannel", "discount_cost") == 0
    assert total(gap, "omnichannel", "revenue") == total(flat, "omnichannel", "revenue")


@pytest.mark.slow
def test_customers_who_leave_over_a_price_gap_are_lost_orders():
    leave = scenario(**{**GAP, **every_segment("price_reaction", {"accept": 0.0, "leave": 1.0})})
    stay = scenario(**{**GAP, **every_segment("price_reaction", {"accept": 1.0})})
    r, s = sim.run(leave, "multichannel", seed=2), sim.run(stay, "multichannel", seed=2)
    assert r.kpis["price_mismatch_encounters"] > 0
    assert r.kpis["orders"] < s.kpis["orders"]
    assert r.breakdown["funnel"]["decision"]["gave_up"] > s.breakdown["funnel"]["decision"]["gave_up"]


# --------------------------------------------------------------------------------------------- promotions
PROMO = {"name": "web sale", "start_day": 1, "days": 1, "discount": 0.2, "basket_uplift": 1.5,
         "channels": ["web"], "categories": ["tops"]}


@pytest.mark.slow
def test_a_promotion_raises_revenue_in_its_scope_and_window_and_costs_its_discount():
    promo, plain = scenario(promotions=[PROMO]), scenario()
    for setup in ("cross-channel", "omnichannel"):
        rev_promo = rev_plain = 0.0
        for seed in SEEDS:
            a, b = sim.run(promo, setup, seed=seed), sim.run(plain, setup, seed=seed)
            k = a.kpis
            assert k["promotion_revenue"] > 0 and b.kpis["promotion_revenue"] == 0
            # every discounted unit was paid 80 % of its price: the discount is a quarter of what was paid for it
            assert k["discount_cost"] == pytest.approx(0.25 * k["promotion_revenue"], rel=1e-9)
            rev_promo += a.daily["revenue"][1]  # day 2: the promotion's day
            rev_plain += b.daily["revenue"][1]
            assert a.daily["revenue"][2] == pytest.approx(b.daily["revenue"][2], rel=0.2)  # after it, no uplift
        assert rev_promo > rev_plain


@pytest.mark.slow
def test_a_promotion_outside_the_window_changes_nothing():
    late = scenario(promotions=[{**PROMO, "start_day": 30}])
    a, b = sim.run(late, "cross-channel", seed=1), sim.run(scenario(), "cross-channel", seed=1)
    assert a.kpis == pytest.approx(b.kpis, rel=0, abs=0, nan_ok=True) and a.events == b.events  # exactly, NaN too


@pytest.mark.slow
def test_pull_forward_takes_traffic_from_the_days_after():
    peak = {"start_day": 1, "days": 1, "traffic_uplift": 2.0}
    a = sim.run(scenario(promotions=[{**peak, "pull_forward": 0.5}]), "multichannel", seed=1)
    b = sim.run(scenario(promotions=[peak]), "multichannel", seed=1)
    assert a.daily["customers"][1] == b.daily["customers"][1]
    assert a.daily["customers"][2] < 0.7 * b.daily["customers"][2]


# --------------------------------------------------------------------------------------------- input
@pytest.mark.parametrize("overrides, field", [
    ({"marketing.channel_price_index": {"fax": 0.9}}, "marketing.channel_price_index.fax"),
    ({"marketing.channel_price_index": {"web": -1}}, "marketing.channel_price_index"),
    ({"promotions": [{**PROMO, "channels": ["fax"]}]}, "promotions.0.channels"),
    ({"promotions": [{**PROMO, "categories": ["hats"]}]}, "promotions.0.categories"),
    ({"promotions": [{**PROMO, "skus": ["nope"]}]}, "promotions.0.skus"),
    ({"promotions": [{**PROMO, "discount": 1.2}]}, "promotions.0.discount"),
    ({"segments.0.marketing.price_reaction": {"accept": 0.5, "leave": 0.2}}, "price_reaction"),
    ({"setups": {"x": {"base": "multichannel", "cart_reminders": True}}}, "cart_reminders needs customer_data"),
])
def test_bad_marketing_input_names_the_field(overrides, field):
    with pytest.raises(ScenarioError) as err:
        scenario(**overrides)
    assert field in str(err.value)


# --------------------------------------------------------------------------------------------- targeted offers
OFFER = {"name": "daily", "segment": "digital-native", "start_day": 1.5, "every_days": 1, "recipients": 400,
         "uptake": 0.1, "discount": 0.1, "cost_per_offer": 0.05}


@pytest.mark.slow
def test_targeted_offers_need_customer_data_and_personalisation():
    sc = scenario(**{"marketing.offers": [OFFER]})
    for setup in ("multichannel", "cross-channel"):
        k = sim.run(sc, setup, seed=1).kpis
        assert k["offers_sent"] == 0 and k["offer_orders"] == 0 and k["offer_cost"] == 0
    k = sim.run(sc, "omnichannel", seed=1).kpis
    assert k["offers_sent"] == 2 * 400  # at 1.5 and 2.5 days: in the measured window
    assert k["offer_cost"] == pytest.approx(0.05 * k["offers_sent"])
    assert 0 < k["offer_orders"] <= k["offers_sent"] and k["offer_revenue"] > 0


@pytest.mark.slow
def test_offers_bring_orders_and_more_with_a_higher_uptake():
    plain = scenario()
    low = scenario(**{"marketing.offers": [OFFER]})
    high = scenario(**{"marketing.offers": [{**OFFER, "uptake": 0.4}]})
    orders = [total(sc, "omnichannel", "orders") for sc in (plain, low, high)]
    assert orders[0] < orders[1] < orders[2]
    assert total(high, "omnichannel", "offer_orders") > 2 * total(low, "omnichannel", "offer_orders")
    # the offer's discount is paid for: the discount cost grows with the offer revenue
    assert total(high, "omnichannel", "discount_cost") > total(low, "omnichannel", "discount_cost") > 0
    # offer-takers are known customers coming back: journeys grow, people do not
    assert total(high, "omnichannel", "customers") == total(plain, "omnichannel", "customers")


@pytest.mark.slow
def test_offers_to_lapsed_customers_reach_only_recent_detractors():
    """The audience is the customers rated detractors within ``lapsed_days``: fewer with a shorter memory, never
    more than there were, and the cap on recipients is not reached."""
    lapsed = {**OFFER, "segment": None, "audience": "lapsed", "recipients": 100_000}
    sent = [sim.run(scenario(**{"marketing.offers": [{**lapsed, "lapsed_days": days}]}), "omnichannel",
                    seed=1).kpis["offers_sent"] for days in (0.5, 2.0)]
    assert 0 < sent[0] < sent[1] < 2 * 100_000


def test_campaigns_and_promotion_windows_give_the_same_numbers_on_plain_simpy():
    """Offer campaigns are light processes and promotion windows scheduled calls (sim.core.engine): on the
    plain-SimPy reference engine (SimPy processes, timeouts and events) every number is the same, the offers sent
    and their orders included; only the events counted differ."""
    lapsed = {**OFFER, "name": "lapsed", "segment": None, "audience": "lapsed", "recipients": 200}
    sc = scenario(**{"marketing.offers": [{**OFFER, "start_day": 0.0, "every_days": 0.5}, lapsed],
                     "promotions": [{"start_day": 1, "days": 1, "discount": 0.2, "channels": ["web"]}]})
    runs = [sim.run(sc, "omnichannel", seed=1, engine=engine) for engine in ("fast", "reference")]
    assert runs[0].kpis["offers_sent"] > 0 and runs[0].kpis["offer_orders"] > 0
    assert runs[0].kpis["discount_cost"] > 0
    fast, ref = ({"kpis": r.kpis, "breakdown": r.breakdown, "daily": r.daily, "books": r.books} for r in runs)
    assert _plain(fast) == _plain(ref)
    assert runs[1].events > runs[0].events
