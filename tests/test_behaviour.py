"""Uncertainty in behaviour carried into the decision (issue 24): the design over the evidence's ranges, common random
numbers across draws and setups, the verdicts that never call a change crossing zero a gain or a loss, the
ranking, the break-evens, the command line's --assumptions."""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.experiments import behaviour as bh
from sim.experiments.margins import derived_margin
from sim.interfaces.cli import main
from sim.outputs import decision, roi
from sim.scenario.assumptions import ranges, with_values
from sim.scenario.evidence import REGISTER
from sim.scenario.schema import scenario_from_dict, scenario_yaml

from .helpers import small_scenario

REC, RESTART = "segments.*.recommendation_accept", "segments.*.restart_abandon_prob"
PAIR = ["multichannel", "omnichannel"]


def tug_of_war():
    """A scenario where one setup gains by recommendations and loses by a lost cart on every channel switch,
    the baseline keeping the cart: the change of revenue has the sign of rec - restart. Every other behavioural
    parameter has a one-value range (not drawn), so the design is two-dimensional."""
    sc = small_scenario(1, 8, 60, 8, 1, 0.3, False, True, horizon=2)
    data = sc.model_dump(mode="json")
    data["setups"] = {"keeps_cart": {"base": "multichannel", "cart_continuity": "full"},
                      "recommends": {"base": "multichannel", "customer_data": True, "personalisation": True}}
    own = {"low": 0.0, "high": 0.0, "source": "test", "kind": "assumption"}
    data["evidence"] = {e.path: own for e in REGISTER if e.path not in (REC, RESTART)}
    data["evidence"][REC] = {"low": 0.0, "high": 0.5, "source": "test", "kind": "assumption"}
    data["evidence"][RESTART] = {"low": 0.0, "high": 0.9, "source": "test", "kind": "assumption"}
    return with_values(scenario_from_dict(data), {REC: 0.25, RESTART: 0.45})


# --------------------------------------------------------------------------------------------- verdicts
def test_verdict_on_synthetic_draws():
    v = bh.behaviour_verdict
    assert v("revenue", [1, 2, 3], [0.5, 1, 2], [2, 3, 4]) == bh.ROBUST_GAIN
    assert v("revenue", [-1, -2], [-2, -3], [-0.5, -1]) == bh.ROBUST_LOSS
    assert v("stockout_rate", [1, 2], [0.5, 1], [2, 3]) == bh.ROBUST_LOSS  # lower is better
    assert v("revenue", [-1, 2], [-1.5, 1.5], [-0.5, 2.5]) == bh.DEPENDS  # clear at both draws, opposite signs
    assert v("revenue", [1, 2], [-1, 1], [3, 3]) == bh.NOT_ROBUST
    assert v("revenue", [1, 2], [-1, -1], [3, 5]) == bh.NONE
    assert v("revenue", [math.nan], [math.nan], [math.nan]) == bh.NO_DATA


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(0, 50)), min_size=2, max_size=20))
def test_a_change_crossing_zero_is_never_a_gain_or_a_loss(draws):
    change = [c for c, _ in draws]
    low = [c - h for c, h in draws]
    high = [c + h for c, h in draws]
    verdict = bh.behaviour_verdict("revenue", change, low, high)
    if min(change) < 0 < max(change):
        assert verdict == bh.DEPENDS
    if verdict in (bh.ROBUST_GAIN, bh.ROBUST_LOSS):
        assert (min(change) > 0 or max(change) < 0) and (min(low) > 0 or max(high) < 0)


# --------------------------------------------------------------------------------------------- the design
def test_the_design_covers_each_range_one_draw_per_stratum():
    sc = small_scenario(1, 5, 20, 5, 1, 0.5, False, True)
    params = list(ranges(sc).values())
    n = 7
    x = bh.draw(params, n, seed=3)
    assert x.shape == (n, len(params))
    for j, p in enumerate(params):
        assert np.all((x[:, j] >= p.low) & (x[:, j] <= p.high)), p.entry.path
        if p.high > p.low:  # Latin hypercube: each of the n equal strata holds exactly one draw
            strata = np.minimum(np.floor((x[:, j] - p.low) / (p.high - p.low) * n), n - 1).astype(int)
            assert sorted(strata) == list(range(n)), p.entry.path
    assert np.array_equal(x, bh.draw(params, n, seed=3)) and not np.array_equal(x, bh.draw(params, n, seed=4))


def test_only_parameters_that_can_change_the_comparison_are_drawn():
    sc = tug_of_war()
    data = sc.model_dump(mode="json")
    data["evidence"] = {}  # the register's ranges
    sc = scenario_from_dict(data)
    paths = {p.entry.path for p in bh.parameters(sc, ["keeps_cart", "recommends"])}
    assert {REC, RESTART, "segments.*.pickup_point_share"} <= paths  # personalisation, cart continuity, every setup
    assert "segments.*.marketing.chatbot_containment" not in paths  # no chatbot in either
    assert "segments.*.click_collect_share" not in paths  # click & collect is the same in both


def test_a_draw_that_breaks_a_balancing_share_is_clipped_and_said():
    sc = small_scenario(1, 5, 20, 5, 1, 0.5, False, True)  # stockout: wait 0.2, drop_item 0.2
    values, notes = bh.clip_balanced(sc, {"segments.*.stockout_reaction.wait": 0.55})
    assert values == {"segments.*.stockout_reaction.wait": pytest.approx(0.4)} and "clipped" in notes[0]
    out = with_values(sc, values)
    assert out.segments[0].stockout_reaction.drop_item == 0.0


# --------------------------------------------------------------------------------------------- end to end
def test_point_draw_reproduces_compare_and_draws_share_seeds(tmp_path):
    sc = small_scenario(1, 8, 40, 6, 1, 0.5, False, True, horizon=2)
    store = tmp_path / "b.sqlite"
    res = bh.compare_behaviour(sc, PAIR, n=3, replications=2, seed=5, store=store, break_evens=0)
    ref = sim.compare(sc, PAIR, replications=2, seed=5)
    point = res.per_draw[res.per_draw["point"] == 0].set_index("kpi")
    for kpi in bh.DECIDING:
        r = ref[(ref["kpi"] == kpi) & (ref["setup"] == "omnichannel")].iloc[0]
        assert point.loc[kpi, "diff"] == r["diff"] or (math.isnan(r["diff"]) and math.isnan(point.loc[kpi, "diff"]))
    with sqlite3.connect(store) as conn:  # common random numbers: one seed per replication, whatever the draw/setup
        rows = conn.execute("SELECT replication, COUNT(DISTINCT seed_key), COUNT(*) FROM runs GROUP BY replication")
        assert [(r, k, c) for r, k, c in rows] == [(0, 1, 8), (1, 1, 8)]
    again = bh.compare_behaviour(sc, PAIR, n=3, replications=2, seed=5, store=store, break_evens=0)
    assert again.batch is not None and again.batch.ran == 0  # resumed: nothing left to run
    assert again.per_draw.equals(res.per_draw)


@pytest.fixture(scope="module")
def tug():
    sc = tug_of_war()
    return sc, bh.compare_behaviour(sc, ["keeps_cart", "recommends"], n=8, replications=2, seed=2, break_evens=1)


def test_a_change_whose_sign_depends_on_behaviour_says_so(tug):
    _, res = tug
    assert [p.entry.path for p in res.parameters] == [REC, RESTART]
    rev = res.summary.set_index("kpi").loc["revenue"]
    assert rev["behaviour_low"] < 0 < rev["behaviour_high"]  # the construction: the sign flips within the range
    assert rev["verdict"] == bh.DEPENDS and rev["driver"] in (REC, RESTART)
    for r in res.summary.itertuples():  # the invariant, on every KPI
        if r.behaviour_low < 0 < r.behaviour_high:
            assert r.verdict == bh.DEPENDS
    text = " ".join(decision.behaviour_sentences(res))
    assert "Whether recommends raises or lowers revenue depends on behaviour" in text
    assert "robustly raises revenue" not in text and "robustly, for the worse, lowers revenue" not in text
    # the ranking names the two drawn parameters, by share, above a chance level of 1/(n-1)
    rank = res.ranking[(res.ranking["kpi"] == "revenue")]
    assert set(rank["parameter"]) == {REC, RESTART} and rank["noise_floor"].iloc[0] == pytest.approx(1 / 7)
    assert rank["share"].iloc[0] >= rank["share"].iloc[1]


def test_a_break_even_set_as_the_value_gives_a_zero_gain_within_the_sampling_interval(tug):
    sc, res = tug
    row = res.break_evens.iloc[0]
    assert row["status"].startswith("found"), row.to_dict()
    at = with_values(sc, {row["parameter"]: row["value"]})
    _, runs = sim.compare_runs(at, ["keeps_cart", "recommends"], replications=2, seed=2)
    gain = sim.summarise(derived_margin(runs, "operating_margin"), baseline="keeps_cart")
    g = gain[gain["setup"] == "recommends"].iloc[0]
    assert g["diff_ci_low"] <= row["target"] <= g["diff_ci_high"]
    sentence = decision.break_even_sentence("Recommends", row)
    assert "as long as" in sentence and "(evidence:" in sentence


def test_the_payback_target_is_the_gain_that_pays_back_in_twelve_months():
    for cost, running, ramp in [(90_000, 18_000, 6.0), (50_000, 0.0, 0.0), (20_000, 5_000, 14.0)]:
        g = roi.gain_for_payback(cost, running, ramp)
        assert roi._payback(cost, g, running, ramp) == pytest.approx(12.0)
        assert roi._payback(cost, 1.01 * g, running, ramp) < 12.0 < roi._payback(cost, 0.99 * g, running, ramp)
    sc = small_scenario(1, 5, 20, 5, 1, 0.5, False, True)
    target = roi.payback_targets(sc, PAIR, 14)["omnichannel"]
    crm_pim_oms = sum((c["low"] + c["high"]) / 2 for c in roi.DEFAULT_COSTS.values())
    assert target > crm_pim_oms * 14 / 365  # the cost alone, spread over a year, and running costs on top
    assert roi.payback_targets(sc, PAIR, 10) == {}  # not whole weeks: no yearly figure


# --------------------------------------------------------------------------------------------- command line
@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "1"])
def test_bad_assumptions_get_one_line(value, capsys, tmp_path):
    code = main(["compare", "scenarios/default.yaml", "--assumptions", value, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--assumptions" in err and "integer >= 2" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # charts and break-even runs: about 15 s
def test_compare_assumptions_writes_the_behaviour_into_decision_json(tmp_path, capsys):
    sc = small_scenario(1, 6, 30, 6, 1, 0.5, False, True, horizon=2)
    file = tmp_path / "tiny.yaml"
    file.write_text(scenario_yaml(sc))
    out = tmp_path / "out"
    code = main(["compare", str(file), "--setups", "multichannel,omnichannel", "--replications", "2",
                 "--assumptions", "2", "--break-evens", "1", "--workers", "1", "--no-progress", "--out", str(out),
                 "--assumptions-store", str(tmp_path / "b.sqlite")])
    printed = capsys.readouterr().out
    assert code == 0 and "across plausible behaviour (2 draws" in printed
    d = json.loads((out / "decision.json").read_text())
    assert {"behaviour", "ranking", "break_evens"} <= set(d)
    assert {k["kpi"] for k in d["behaviour"]["kpis"]} >= {"revenue", "operating_margin"}
    assert all(k["verdict"] for k in d["behaviour"]["kpis"]) and d["behaviour"]["draws"] == 2
    assert any(s.startswith("Behaviour sampled") for s in d["warnings"])
    assert (out / "behaviour.csv").exists() and (out / "tornado.png").exists()


def test_without_assumptions_the_decision_says_point_values_only():
    sc = small_scenario(1, 6, 30, 6, 1, 0.5, False, True, horizon=2)
    summary, runs = sim.compare_runs(sc, PAIR, replications=2, seed=0)
    d = decision.decision_summary(summary, runs=runs, scenario=sc)
    assert decision.BEHAVIOUR_CAUTION in d.sentences and "point values of behaviour only" in decision.BEHAVIOUR_CAUTION
    assert "behaviour" not in d.to_dict()
