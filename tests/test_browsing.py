"""Visitors who leave without buying (sim/core/browsing.py), footfall and session conversion, and checkout
abandonment: Poisson means against the rates, common random numbers with and without them, the KPIs recomputed
from the ledger's counters, daily series that add up to the window, and one-line errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.core.customers import DAY_MIN
from sim.core.kpis import breakdown, compute_kpis
from sim.core.ledger import Leave
from sim.core.model import World, measured_window, simulate
from sim.scenario.evidence import by_path

from .helpers import DEFAULT, problems

# the conversion KPIs and counts that read the new counters: the only numbers browsing may move
MOVED = {"store_conversion_rate", "footfall", "session_conversion_rate", "online_sessions"}
MOVED_BREAKDOWN = {"store_conversion_rate", "footfall", "session_conversion_rate", "sessions"}
NONE = {"browsing.store_visits_per_day": 0, "browsing.sessions_per_day": {}}


def short(**overrides):
    return sim.load_scenario(DEFAULT, {"horizon_days": 3, "warmup_days": 1, "customers_per_day": 800, **overrides})


def test_poisson_means_follow_the_rates_traffic_weights_and_weekly_profile():
    """Over 300 weeks of draws, each store's and touchpoint's count on each weekday matches its Poisson mean:
    the chain's rate split by traffic_weight, times the customers' day weight (default: the scenario's
    weekly_profile, mean 1), within 4.5 standard deviations of the sum."""
    sc = sim.load_scenario(DEFAULT)
    w = World(sc, "multichannel", 11)
    b, book = w.browsing, w.book
    weeks = 300
    got = np.zeros((7, len(b.rates)))
    for day in range(7 * weeks):
        before = book.browsers_store + book.sessions_ch
        b.visit(day, day * DAY_MIN, (day + 1) * DAY_MIN)
        got[day % 7] += np.subtract(book.browsers_store + book.sessions_ch, before)
    weights = np.array([s.traffic_weight for s in sc.stores])
    week = np.array(sc.weekly_profile) / np.mean(sc.weekly_profile)
    channels = book.layout.channels
    rates = np.concatenate([sc.browsing.store_visits_per_day * weights / weights.sum(),
                            [sc.browsing.sessions_per_day.get(ch, 0.0) for ch in channels]])
    mean = weeks * week[:, None] * rates[None, :]
    assert np.all(np.abs(got - mean) <= 4.5 * np.sqrt(mean) + 1e-9)
    assert got[:, len(sc.stores) + channels.index("app")].sum() == 0  # no rate given: none drawn
    assert got[5].sum() > 1.5 * got[6].sum()  # the Saturday peak over the Sunday (weights 1.5 and 0.8)


def test_a_part_of_a_day_gets_the_customers_hourly_share_of_its_visitors():
    """A day cut at a warm-up's end: the two parts' means are the shares of the customers' hourly profile on
    either side, and add up to the whole day's."""
    w = World(short(), "multichannel", 1)
    b = w.browsing
    morning, rest = b.share_of_day(0, 720), b.share_of_day(720, DAY_MIN)
    assert morning + rest == pytest.approx(1.0)
    assert 0.2 < morning < 0.6  # the segments' profiles are mostly afternoon and evening
    assert b.share_of_day(0, 360) == pytest.approx(0.0, abs=0.01)  # hardly anyone before 6 am


@pytest.mark.parametrize("setup", sim.SETUP_NAMES)
def test_with_and_without_browsing_only_the_conversion_figures_move(setup):
    """Common random numbers: the same seed with and without non-buying visitors gives the same value of every
    KPI, breakdown figure, daily series and event count, except the footfall and session figures that count
    them; those fall as they should."""
    with_, without = sim.run(short(), setup, seed=2), sim.run(short(**NONE), setup, seed=2)
    assert with_.events == without.events and with_.books == without.books
    for name, value in with_.kpis.items():
        if name not in MOVED:
            assert value == without.kpis[name] or (math.isnan(value) and math.isnan(without.kpis[name])), name
    for kind, rows in with_.breakdown.items():
        for row, figures in rows.items():
            for name, value in figures.items():
                other = without.breakdown[kind][row][name]
                if name not in MOVED_BREAKDOWN:
                    assert value == other or (math.isnan(value) and math.isnan(other)), (kind, row, name)
    for name, series in with_.daily.items():
        if name not in MOVED:
            assert series == pytest.approx(without.daily[name], nan_ok=True, rel=0, abs=0), name
    assert with_.kpis["store_conversion_rate"] < 0.7 * without.kpis["store_conversion_rate"]
    assert with_.kpis["session_conversion_rate"] < without.kpis["session_conversion_rate"]
    assert with_.kpis["footfall"] > without.kpis["footfall"]


def test_footfall_and_session_conversion_are_the_ledgers_counters():
    """The conversion KPIs recomputed from the window's counters: store tickets over (research visits to
    stores + store arrivals + non-buying visitors), online orders over (research visits to the selling
    touchpoints + checkouts + non-buying sessions); the stores' breakdown adds up to the chain."""
    sc = short()
    w = World(sc, "omnichannel", np.random.SeedSequence(4))
    simulate(w)
    win, minutes, figures = measured_window(w)
    k = compute_kpis(win, minutes, figures)
    tps, chs = win.layout.touchpoints, win.layout.channels
    visits = win.tp_visits[tps.index("store")] + sum(q.arrivals for q in win.store_q) + sum(win.browsers_store)
    assert sum(win.browsers_store) > 0
    assert k["footfall"] == visits
    assert k["store_conversion_rate"] == sum(win.orders_store) / visits
    online = [chs.index(c) for c in ("web", "app", "marketplace")]
    sessions = sum(win.tp_visits[tps.index(chs[i])] + win.checkouts_ch[i] + win.sessions_ch[i] for i in online)
    assert k["online_sessions"] == sessions
    assert k["session_conversion_rate"] == sum(win.orders_ch[i] for i in online) / sessions
    assert sum(win.store_research) == win.tp_visits[tps.index("store")]  # each research visit in one store
    bd = breakdown(win, minutes)
    assert sum(r["footfall"] for r in bd["store"].values()) == visits
    assert sum(bd["channel"][chs[i]]["sessions"] for i in online) == sessions


@pytest.mark.parametrize(("horizon", "warmup"), [(4, 1), (3.5, 1.5)])
def test_daily_counts_add_up_to_the_window_and_a_cut_day_is_split(horizon, warmup):
    """Footfall and sessions are counts: over whole days, the days of the window add up to the window's value;
    with a warm-up and a horizon in mid-day, the visitors drawn for the warm-up and for the window add up to the
    run's, and both parts of the cut day get some."""
    sc = short(horizon_days=horizon, warmup_days=warmup, customers_per_day=400)
    r = sim.run(sc, "cross-channel", seed=3)
    if float(warmup).is_integer() and float(horizon).is_integer():
        for name in ("footfall", "online_sessions"):
            assert sum(r.daily[name][int(warmup):]) == r.kpis[name], name
    w = World(sc, "cross-channel", np.random.SeedSequence(3))
    simulate(w)
    win, _, _ = measured_window(w)
    assert w.warmup_state is not None
    before, after = sum(w.warmup_state.browsers_store), sum(win.browsers_store)
    assert before > 0 and after > 0 and before + after == sum(w.book.browsers_store)
    b = w.browsing  # the run's mean: whole days at their day weight, the horizon's last part at its hourly share
    mean = sum(sc.browsing.store_visits_per_day * b.week[d % 7] *
               b.share_of_day(0, min(DAY_MIN, horizon * DAY_MIN - d * DAY_MIN)) for d in range(math.ceil(horizon)))
    assert abs(sum(w.book.browsers_store) - mean) < 4.5 * math.sqrt(mean)


def test_checkout_abandonment_is_the_segments_chance_where_every_checkout_faces_it():
    """Multichannel sends no reminder, so every online checkout faces cart_abandon_prob (the register's default
    in every segment of the default) once: the rate is within 4.5 binomial standard deviations of it, and each
    abandoned checkout is a customer who left for that reason."""
    sc = short(horizon_days=4, customers_per_day=2000)
    w = World(sc, "multichannel", np.random.SeedSequence(8))
    simulate(w)
    win, minutes, figures = measured_window(w)
    rate = compute_kpis(win, minutes, figures, ["checkout_abandon_rate"])["checkout_abandon_rate"]
    n = sum(win.checkouts_ch)
    (p,) = {s.marketing.cart_abandon_prob for s in sc.segments}
    assert p == by_path()["segments.*.marketing.cart_abandon_prob"].default
    assert n > 1000 and abs(rate - p) < 4.5 * math.sqrt(p * (1 - p) / n)
    assert sum(win.checkouts_abandoned_ch) == win.left[Leave.CART_ABANDONED]


def test_reminded_carts_start_a_second_checkout():
    """Omnichannel reminds: a customer who comes back to a cart starts another checkout, so checkouts started =
    first checkouts + returns, and the abandoned ones = those who left + those who came back."""
    sc = short(**{f"segments.{i}.marketing.reminder_return_prob": 0.5 for i in range(3)})
    w = World(sc, "omnichannel", np.random.SeedSequence(6))
    simulate(w)
    book = w.book
    abandoned = sum(book.checkouts_abandoned_ch)
    assert abandoned > book.left[Leave.CART_ABANDONED] > 0  # some came back after a reminder
    assert book.reminders_sent >= abandoned


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["browsing"].update(sessions_per_day={"social": 10}), "browsing.sessions_per_day.social"),
    (lambda d: d["browsing"].update(sessions_per_day={"tiktok": 10}), "browsing.sessions_per_day.tiktok"),
    (lambda d: d["browsing"].update(sessions_per_day={"web": -1}), "browsing.sessions_per_day"),
    (lambda d: d["browsing"].update(store_visits_per_day=-5), "browsing.store_visits_per_day"),
    (lambda d: d["browsing"].update(store_visits_per_day="many"), "browsing.store_visits_per_day"),
    (lambda d: d["browsing"].update(door_counter=1), "browsing.door_counter"),
])
def test_bad_browsing_input_gets_one_line_naming_the_field(mutate, field):
    lines = problems(mutate)
    assert len(lines) == 1 and lines[0].startswith(field) and "\n" not in lines[0], lines


def test_non_selling_names_are_refused_with_the_allowed_ones():
    line, = problems(lambda d: d["browsing"].update(sessions_per_day={"email": 1}))
    assert "allowed: ['web', 'app', 'marketplace']" in line
