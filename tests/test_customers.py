"""Customers: calibration to the market figures, chain fitting from a journey log, traffic equations,
and what each setup changes in behaviour (common random numbers)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.experiments.calibration import (
    MARKET_TARGETS,
    TOLERANCE,
    calibrate,
    expected_visits,
    fit_chain,
    journey_log,
    measured,
)
from sim.scenario.schema import ScenarioError, scenario_from_dict

from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"


def assert_on_target(figs: dict, targets: dict = MARKET_TARGETS) -> None:
    tol_tp, tol = TOLERANCE["touchpoints_per_journey"], TOLERANCE["share"]
    assert abs(figs["touchpoints_per_journey"] - targets["touchpoints_per_journey"]) <= tol_tp, figs
    for key, want in targets["usage"].items():
        assert abs(figs["usage"][key] - want) <= tol, (key, figs["usage"][key], want)
    assert abs(figs["ropo_share"] - targets["ropo_share"]) <= tol, figs


@pytest.mark.slow
def test_default_scenario_shows_the_market_figures():
    """The shipped default's journey parameters are the calibration's output: simulated buyers under the baseline
    (multichannel, today's shoppers) show the figures. Where the setup shows store stock online, researchers move
    to the store where it holds what they want (Gallino & Moreno's direction): more buyers research online and buy
    in store, and the same journeys use the web as often."""
    sc = sim.load_scenario(DEFAULT, {"horizon_days": 7, "warmup_days": 2})
    base = measured(sim.run(sc, "multichannel", seed=11), MARKET_TARGETS)
    assert_on_target(base)
    omni = measured(sim.run(sc, "omnichannel", seed=11), MARKET_TARGETS)
    assert omni["ropo_share"] > base["ropo_share"] + 0.005, (omni["ropo_share"], base["ropo_share"])


@pytest.mark.slow
def test_calibration_command_reproduces_the_shipped_parameters():
    """Calibrating the shipped default again hits the targets and stays close to where it started: the
    shipped values sit near the fit's fixed point (simulation noise and the prior move them a little). They were
    fitted with the purchase channels too (``--refit channels``)."""
    sc = sim.load_scenario(DEFAULT)
    fitted, report = calibrate(sc, refit=("channels",))
    assert_on_target(report["after"])
    for a, b in zip(fitted.segments, sc.segments, strict=True):
        assert a.journey.mean_touchpoints == pytest.approx(b.journey.mean_touchpoints, abs=1.0)
        for tp, p in b.journey.touchpoint_mix.items():
            assert a.journey.touchpoint_mix[tp] == pytest.approx(p, abs=0.03)
        for ch, p in b.channels.items():
            assert a.channels[ch] == pytest.approx(p, abs=0.03)


@pytest.mark.slow
def test_calibration_moves_a_scenario_onto_new_targets():
    targets = {"touchpoints_per_journey": 6.0, "usage": {"web": 0.7, "store": 0.75}, "ropo_share": 0.6}
    sc = sim.load_scenario(DEFAULT)
    _, report = calibrate(sc, targets, days=5)
    assert_on_target(report["after"], targets)
    with pytest.raises(ScenarioError, match="targets.usage.tiktok: unknown touchpoint"):
        calibrate(sc, {"touchpoints_per_journey": 6, "usage": {"tiktok": 0.5}})


KNOWN_CHAIN = {
    "start": {"search": 0.5, "social": 0.3, "web": 0.2},
    "transitions": {
        "search": {"web": 0.6, "social": 0.1, "drop": 0.1, "decide": 0.2},
        "social": {"search": 0.3, "web": 0.3, "social": 0.1, "drop": 0.2, "decide": 0.1},
        "web": {"web": 0.25, "store": 0.15, "search": 0.1, "decide": 0.45, "drop": 0.05},
        "store": {"web": 0.3, "decide": 0.7},
    },
}


def chain_scenario(customers_per_day: float = 3000, store_staff: int | None = 2) -> sim.scenario.schema.Scenario:
    data = {
        "name": "known-chain", "horizon_days": 2, "customers_per_day": customers_per_day,
        "catalogue": {"generator": {"n_skus": 20, "price_median": 30}},
        "stores": [{"name": "s", "open_hour": 0, "close_hour": 24, "staff": store_staff, "tills": 2,
                    "till_time_min": {"dist": "exponential", "mean": 1}, "advice_prob": 0.2 if store_staff else 0,
                    "advice_time_min": {"dist": "exponential", "mean": 5},
                    "replenishment": {"order_up_to": 10000, "lead_time_days": 0}}],
        "touchpoints": {"search": {"visit_min": 2}, "social": {"visit_min": 3}, "web": {"visit_min": 6, "sells": True}},
        "segments": [{"name": "all", "share": 1.0, "channels": {"store": 1.0},
                      "journey": {"chain": KNOWN_CHAIN, "gap_min": 30}}],
    }
    return scenario_from_dict(data)


def test_hidden_state_chain_comes_back_from_its_journey_log(tmp_path):
    """Simulate a log from known transition probabilities, fit it back: each estimate within sampling error."""
    path = tmp_path / "journeys.csv"
    journey_log(chain_scenario(), days=2, seed=3).to_csv(path, index=False)
    fitted, counts = fit_chain(path)
    for tp, row in KNOWN_CHAIN["transitions"].items():
        n = sum(counts["transitions"][tp].values())
        assert n > 500
        for nxt, p in row.items():
            got = fitted.transitions[tp].get(nxt, 0.0)
            assert abs(got - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-9, (tp, nxt, got, p, n)
    n = sum(counts["start"].values())
    for tp, p in KNOWN_CHAIN["start"].items():
        assert abs(fitted.start[tp] - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_fit_chain_names_missing_columns(tmp_path):
    bad = tmp_path / "log.csv"
    bad.write_text("id,when,where\n1,0,web\n")
    with pytest.raises(ScenarioError, match="missing column"):
        fit_chain(bad)


def test_visit_rates_follow_the_traffic_equations():
    """Unlimited digital touchpoints, finite store staff: visits per journey = s (I - Q)^-1 per touchpoint."""
    sc = chain_scenario(customers_per_day=4000)
    r = sim.run(sc, "omnichannel", seed=5)
    research = r.research
    want = expected_visits(sc.segments[0].journey.chain, research)
    n = r.kpis["customers"]
    for tp in ("search", "social", "web", "store"):
        got = r.breakdown["touchpoint"][tp]["visits_per_journey"]
        # visits per journey have a variance of a few times their mean here: 5 standard errors is generous
        assert abs(got - want[tp]) < 5 * np.sqrt(3 * want[tp] / n) + 1e-3, (tp, got, want[tp])
    assert r.breakdown["funnel"]["research"]["gave_up"] > 0
    # time spent in research: each visit's length plus the mean 30-minute gap after it
    minutes = {"search": 2 + 30, "social": 3 + 30, "web": 6 + 30, "store": 20 + 30}
    want_min = sum(want[tp] * m for tp, m in minutes.items())
    assert r.breakdown["funnel"]["research"]["minutes_per_journey"] == pytest.approx(want_min, rel=0.05)


def test_invalid_chains_are_refused_with_their_path():
    bad = dict(KNOWN_CHAIN, transitions={**KNOWN_CHAIN["transitions"], "web": {"web": 0.5, "tiktok": 0.5}})
    sc = chain_scenario()
    data = sc.model_dump(mode="json")
    data["segments"][0]["journey"]["chain"] = bad
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert any("journey.chain.transitions.web.tiktok: unknown state" in p for p in err.value.problems)
    loop = dict(KNOWN_CHAIN, transitions={**KNOWN_CHAIN["transitions"], "store": {"store": 1.0}})
    data["segments"][0]["journey"]["chain"] = loop
    with pytest.raises(ScenarioError, match="journey.chain.transitions.store: journeys from here never reach"):
        scenario_from_dict(data)


# --------------------------------------------------------------------------------------------- behaviour by setup
def conv(sc, setup, seeds=(0, 1, 2)):
    return np.array([sim.run(sc, setup, seed=s).kpis["conversion_rate"] for s in seeds])


@pytest.mark.slow
def test_cart_friction_moves_conversion_both_ways():
    base = {"horizon_days": 3, "warmup_days": 0}
    low, mid, high = (sim.load_scenario(DEFAULT, {**base, "fulfilment.cart_friction": f}) for f in (0.1, 0.3, 0.8))
    c_low, c_mid, c_high = (conv(sc, "cross-channel") for sc in (low, mid, high))
    assert (c_low > c_mid).all() and (c_mid > c_high).all()


REACT = {k: 0.0 for k in ("substitute", "other_store", "wait", "drop_item", "drop_basket")}


def with_reaction(reaction: str, setup_days: float = 10):
    overrides = {"horizon_days": setup_days, "warmup_days": 0}
    for i in range(3):
        overrides[f"segments.{i}.stockout_reaction"] = {**REACT, reaction: 1.0}
    return sim.load_scenario(DEFAULT, overrides)


@pytest.mark.slow
def test_reactions_to_a_missing_item():
    """Same customers, same stockouts; only what they do about them differs."""
    runs = {r: sim.run(with_reaction(r), "multichannel", seed=4).kpis
            for r in ("drop_item", "drop_basket", "substitute", "wait")}
    assert runs["drop_item"]["stockout_rate"] > 0.003
    assert runs["drop_basket"]["lost_sales_units"] > runs["drop_item"]["lost_sales_units"]
    assert runs["drop_basket"]["conversion_rate"] < runs["drop_item"]["conversion_rate"]
    assert runs["substitute"]["lost_sales_units"] < runs["drop_item"]["lost_sales_units"]
    # waiting needs an offer: multichannel makes none, so waiting customers lose the item as droppers do
    assert runs["wait"]["lost_sales_units"] == runs["drop_item"]["lost_sales_units"]
    omni = sim.run(with_reaction("wait"), "omnichannel", seed=4).kpis
    assert omni["remote_fill_share"] > 0


@pytest.mark.slow
def test_satisfaction_and_loyalty_follow_what_customers_lived_through():
    """Fewer tills (same customers): longer waits, fewer promoters, fewer repeat journeys."""
    base = {"horizon_days": 6, "warmup_days": 0}
    loyal = {f"segments.{i}.after_sale": {"repeat_promoter": 0.6, "repeat_passive": 0.2, "repeat_detractor": 0.0,
                                          "repeat_after_days": 1.5} for i in range(3)}
    ok = sim.load_scenario(DEFAULT, {**base, **loyal})
    tight = sim.load_scenario(DEFAULT, {**base, **loyal, **{f"stores.{i}.tills": 1 for i in range(10)}})
    for seed in (0, 1):
        a, b = (sim.run(sc, "omnichannel", seed=seed).kpis for sc in (ok, tight))
        assert b["store_wait_mean_min"] > a["store_wait_mean_min"]
        assert b["satisfaction"] < a["satisfaction"]
        assert 0 < b["repeat_purchase_rate"] < a["repeat_purchase_rate"]
    reviews = sim.load_scenario(DEFAULT, {**base, **{f"segments.{i}.after_sale.review_prob": 0.5 for i in range(3)}})
    reviews_tight = sim.load_scenario(DEFAULT, {**base, **{f"segments.{i}.after_sale.review_prob": 0.5
                                                           for i in range(3)},
                                                **{f"stores.{i}.tills": 1 for i in range(10)}})
    assert sim.run(reviews_tight, "omnichannel", seed=0).kpis["review_score"] < \
        sim.run(reviews, "omnichannel", seed=0).kpis["review_score"]
    none = sim.load_scenario(DEFAULT, {**base, **{f"segments.{i}.after_sale.repeat_promoter": 0.0 for i in range(3)},
                                       **{f"segments.{i}.after_sale.repeat_passive": 0.0 for i in range(3)},
                                       **{f"segments.{i}.after_sale.repeat_detractor": 0.0 for i in range(3)}})
    assert sim.run(none, "omnichannel", seed=0).kpis["repeat_purchase_rate"] == 0


@pytest.mark.slow
def test_price_sensitivity_promotions_and_weekly_profiles():
    base = {"horizon_days": 7, "warmup_days": 0}
    plain = sim.run(sim.load_scenario(DEFAULT, base), "multichannel", seed=2)
    thrifty = sim.run(sim.load_scenario(DEFAULT, {**base, **{f"segments.{i}.price_sensitivity": 3.0
                                                             for i in range(3)}}), "multichannel", seed=2)
    assert thrifty.kpis["basket_value"] < 0.9 * plain.kpis["basket_value"]
    promo = sim.run(sim.load_scenario(DEFAULT, {**base, "promotions": [{"start_day": 3, "days": 2,
                                                                         "traffic_uplift": 2.5}]}),
                    "multichannel", seed=2)
    ratio = np.array(promo.daily["customers"]) / np.array(plain.daily["customers"])
    assert 2.2 < ratio[3] < 2.8 and 2.2 < ratio[4] < 2.8 and 0.9 < ratio[0] < 1.1
    sundays = sim.run(sim.load_scenario(DEFAULT, {**base, "segments.0.weekly_profile": [0, 0, 0, 0, 0, 0, 1]}),
                      "multichannel", seed=2)
    default = sim.load_scenario(DEFAULT)
    seg0 = [default.segments[0].share * default.customers_per_day * w for w in default.weekly_profile[:6]]
    assert all(s < p - 0.5 * x for s, p, x in zip(sundays.daily["customers"][:6], plain.daily["customers"][:6],
                                                   seg0, strict=True))


def test_the_example_journey_log_fits_and_calibrates(tmp_path):
    """The log shipped in data/ (written by journey_log from the default scenario) fits into a valid chain."""
    from sim.experiments.calibration import with_chain

    chain, counts = fit_chain(ROOT / "data" / "example_journey_log.csv")
    assert sum(counts["start"].values()) > 300
    assert {"web", "social", "store"} <= set(chain.transitions)
    sc = with_chain(sim.load_scenario(DEFAULT, {"horizon_days": 1, "warmup_days": 0}), chain)
    assert sim.run(sc, "omnichannel", seed=1).kpis["touchpoints_per_journey"] > 5
