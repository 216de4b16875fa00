"""KPIs that agree with each other, the seeds' customer figures, and the operating benchmarks of real retailers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.experiments.analysis import t_interval
from sim.experiments.plausibility import check_plausibility
from sim.scenario import benchmarks
from sim.scenario.schema import ScenarioError

from .helpers import small_scenario
from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"
LIBRARY = ("default", "electronics", "grocery", "small_business", "black_friday")


# --------------------------------------------------------------------------------------------- relations
def one_kind_of_shortage(reaction: dict, units_per_line: float = 1.0):
    """Two stores and a warehouse short of stock; ``units_per_line`` units per line on average; no impulse buys
    at pickup (units asked outside any basket line)."""
    sc = small_scenario(n_stores=2, n_skus=12, cpd=150, stock=25, staff=None, channels_store=0.6, backorders=False,
                        periodic=True)
    seg = sc.segments[0].model_copy(update={
        "basket": sc.segments[0].basket.model_copy(update={"units_per_line_mean": units_per_line}),
        "stockout_reaction": sc.segments[0].stockout_reaction.model_copy(update=reaction),
        "recommendation_accept": 0.0})
    ful = sc.fulfilment.model_copy(update={"pickup_extra_purchase_prob": 0.0})
    return sc.model_copy(update={"segments": [seg], "fulfilment": ful, "horizon_days": 6.0})


@pytest.mark.parametrize("setup", sim.SETUP_NAMES)
def test_stockout_rate_is_the_unfilled_share_of_lines(setup):
    """With one unit per line and customers who drop a missing item, a line is either served in full from stock
    or not at all: the stockout rate (lines) is exactly 1 - fill rate (units), under every setup. A shelf short
    of an item is not yet a stockout where the setup delivers it from another node's stock; on-shelf
    availability counts it, so it is never above 1 - the store's stockout rate."""
    sc = one_kind_of_shortage({"substitute": 0.0, "other_store": 0.0, "wait": 0.5, "drop_item": 0.5,
                               "drop_basket": 0.0})
    for seed in range(3):
        r = sim.run(sc, setup, seed=seed)
        k = r.kpis
        assert 0.02 < k["stockout_rate"] < 0.5
        assert k["stockout_rate"] == pytest.approx(1 - k["fill_rate"], abs=1e-12)
        for store in r.breakdown["store"].values():
            assert store["on_shelf_availability"] <= 1 - store["stockout_rate"] + 1e-12
        if setup == "multichannel":  # nothing is delivered from elsewhere: a short shelf is a stockout
            for store in r.breakdown["store"].values():
                assert store["on_shelf_availability"] == pytest.approx(1 - store["stockout_rate"], abs=1e-12)


def test_stockouts_and_fill_rate_move_together_between_setups():
    """On common random numbers the setups may win or lose on stock, but the two KPIs never tell opposite
    stories: where omnichannel fills a larger share of units it also has a smaller share of lines short. Lines
    of several units and substitutes make this more than the identity above (units and lines differ)."""
    sc = one_kind_of_shortage({"substitute": 0.2, "other_store": 0.0, "wait": 0.5, "drop_item": 0.3,
                               "drop_basket": 0.0}, units_per_line=1.5)
    for seed in range(3):
        a, b = (sim.run(sc, s, seed=seed).kpis for s in ("multichannel", "omnichannel"))
        assert np.sign(b["fill_rate"] - a["fill_rate"]) == -np.sign(b["stockout_rate"] - a["stockout_rate"])


# --------------------------------------------------------------------------------------------- customer figures
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_multichannel_customers_spend_more_under_omnichannel():
    """Omnichannel customers spend more per basket than single-channel ones under omnichannel, out of the
    mechanisms (a recommendation per digital channel used, purchases at pickup), measured on common random
    numbers; without those mechanisms (multichannel) single- and multichannel buyers spend alike. With behaviour
    at the evidence register's defaults the gap is of the size Sopadjieva, Dholakia & Benjamin measured at one
    US retailer (HBR 2017: +4 % per store trip, +10 % online), not the market studies' +15-35 %, which compares
    self-selected customers."""
    # the default's 1,300 journeys a day are too few for three replications to pin a few per cent: the 6,000
    sc = sim.load_scenario(DEFAULT, {"horizon_days": 21, "warmup_days": 7, "customers_per_day": 6000})
    runs = {s: [sim.run(sc, s, seed=seed) for seed in range(3)] for s in sim.SETUP_NAMES}
    for setup, rs in runs.items():
        for r in rs:
            assert 0.7 < r.kpis["csat"] <= 1, (setup, r.kpis["csat"])
            assert 0.5 < r.kpis["multichannel_customer_share"] < 1
            assert r.kpis["sell_out_units"] > r.kpis["orders"]
    base = [r.kpis["multichannel_basket_uplift"] for r in runs["multichannel"]]
    assert abs(np.mean(base)) < 0.05, base
    # what omnichannel adds to the gap, paired on the same customers: positive, and no more than the +10 % online
    mean, lo, hi = t_interval([r.kpis["multichannel_basket_uplift"] - b
                               for r, b in zip(runs["omnichannel"], base, strict=True)])
    assert 0 < lo and hi <= 0.10, f"uplift added by omnichannel {mean:.3f} [{lo:.3f}; {hi:.3f}]"
    # per segment the gap is small next to one run's noise (store-loyal buyers rarely use the web): its identity only
    for seg in runs["omnichannel"][0].breakdown["segment"].values():
        assert seg["multichannel_basket_uplift"] == pytest.approx(
            seg["multichannel_basket_value"] / seg["single_channel_basket_value"] - 1)


# --------------------------------------------------------------------------------------------- benchmarks
def test_benchmarks_are_judged_per_sector():
    fashion = {b.kpi: b for b in benchmarks.applicable("fashion")}
    grocery = {b.kpi: b for b in benchmarks.applicable("grocery")}
    assert fashion["online_return_rate"].low == 0.20 and grocery["online_return_rate"].high == 0.05
    verdicts = benchmarks.judge({"call_service_level": 0.8, "call_abandon_rate": 0.3}, "fashion")
    by_kpi = {v.benchmark.kpi: v for v in verdicts}
    assert by_kpi["call_service_level"].inside and not by_kpi["call_abandon_rate"].inside
    assert not by_kpi["csat"].inside and math.isnan(by_kpi["csat"].value)  # no data is not plausible
    assert "call_abandon_rate: 0.3 is OUTSIDE the plausible range [0.02, 0.1]" in by_kpi["call_abandon_rate"].line()
    shop = {b.kpi for b in benchmarks.applicable("general", frozenset({"stores"}))}  # no call centre, no web shop
    assert "call_service_level" not in shop and "on_time_rate" not in shop and "store_abandon_rate" in shop
    with pytest.raises(ValueError, match="unknown sector 'toys'"):
        benchmarks.applicable("toys")
    for b in benchmarks.BENCHMARKS:
        assert b.low < b.high and b.source


def test_an_exception_must_name_a_judged_kpi():
    with pytest.raises(ScenarioError, match=r"benchmark_exceptions.revenue: no benchmark of sector 'fashion'"):
        sim.load_scenario(DEFAULT, {"benchmark_exceptions": {"revenue": "a peak"}})


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", LIBRARY)
def test_library_baseline_is_plausible(name):
    """Each library scenario's multichannel baseline lies inside every benchmark of its sector, except the ones
    it declares it breaches on purpose (a peak), which must then really be outside."""
    sc = sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    verdicts = check_plausibility(sc, replications=2, seed=3, workers=1)
    assert {v.benchmark.kpi for v in verdicts} >= set(sc.benchmark_exceptions)
    wrong = [v.line() for v in verdicts if not v.inside and v.benchmark.kpi not in sc.benchmark_exceptions]
    assert not wrong, "\n".join(wrong)
    for v in verdicts:
        if v.benchmark.kpi in sc.benchmark_exceptions:
            assert not v.inside, f"{name} declares {v.benchmark.kpi} outside, but it is inside: {v.line()}"
