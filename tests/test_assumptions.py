"""Behavioural assumptions written into a scenario (sim/scenario/assumptions.py) and ``*`` in --set paths."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.assumptions import preset_names, preset_values, ranges, with_preset, with_values
from sim.scenario.evidence import PRESETS, REGISTER, by_path
from sim.scenario.schema import ScenarioError, load_scenario

DEFAULT = "scenarios/default.yaml"


@pytest.fixture(scope="module")
def default():
    return load_scenario(DEFAULT)


def test_register_preset_sets_every_item_to_the_default(default):
    sc = with_preset(default, "register")
    reg = by_path()
    for seg in sc.segments:
        assert seg.recommendation_accept == reg["segments.*.recommendation_accept"].default
        assert seg.marketing.chatbot_failure == reg["segments.*.marketing.chatbot_failure"].default
    assert sc.fulfilment.pickup_extra_purchase_prob == reg["fulfilment.pickup_extra_purchase_prob"].default


def test_named_preset_overrides_the_register_defaults_only_where_it_names_a_path():
    for name in PRESETS:
        values = preset_values(name)
        assert set(values) == {e.path for e in REGISTER}
        for e in REGISTER:
            assert values[e.path] == PRESETS[name].get(e.path, e.default)
    assert preset_names()[0] == "register"
    with pytest.raises(ScenarioError, match="allowed: register, market-studies"):
        preset_values("optimistic")


@settings(max_examples=30, deadline=None)
@given(wait=st.floats(0, 0.6), switch=st.floats(0, 0.3), leave=st.floats(0, 0.2))
def test_balancing_field_takes_up_the_change_so_shares_still_sum_to_one(default, wait, switch, leave):
    sc = with_values(default, {"segments.*.stockout_reaction.wait": wait,
                               "segments.*.marketing.price_reaction.switch": switch,
                               "segments.*.marketing.price_reaction.leave": leave})
    for before, after in zip(default.segments, sc.segments, strict=True):
        r0, r1 = before.stockout_reaction, after.stockout_reaction
        assert r1.wait == wait
        assert r1.drop_item == pytest.approx(r0.drop_item + r0.wait - wait, abs=1e-9)
        assert (r1.substitute, r1.other_store, r1.drop_basket) == (r0.substitute, r0.other_store, r0.drop_basket)
        p = after.marketing.price_reaction
        assert p.accept + p.switch + p.haggle + p.leave == pytest.approx(1)


def test_bad_assumptions_name_the_path_and_what_is_allowed(default):
    with pytest.raises(ScenarioError) as err:
        with_values(default, {"segments.*.stockout_reaction.wait": 0.99, "segments.*.basket": 1})
    assert any("segments.0.stockout_reaction.wait: 0.99 would leave segments.0.stockout_reaction.drop_item below "
               "zero" in p and "allowed: at most" in p for p in err.value.problems)
    assert any(p.startswith("segments.*.basket: not a parameter of the evidence register") for p in err.value.problems)
    with pytest.raises(ScenarioError, match=r"marketing.offers.\*.uptake: names no field of this scenario"):
        with_values(default, {"marketing.offers.*.uptake": 0.05})  # the default sends no offers


def test_scenario_ranges_replace_the_register_where_given():
    own = {"low": 0.01, "high": 0.05, "source": "client's journey log, 2026", "kind": "observational"}
    sc = load_scenario(DEFAULT, {"evidence": {"segments.*.restart_abandon_prob": own}})
    r = ranges(sc)["segments.*.restart_abandon_prob"]
    assert (r.low, r.high, r.source, r.kind, r.own) == (0.01, 0.05, own["source"], "observational", True)
    assert r.low <= r.default <= r.high
    assert not ranges(sc)["segments.*.recommendation_accept"].own
    with pytest.raises(ScenarioError) as err:
        load_scenario(DEFAULT, {"evidence": {"segments.*.basket": {**own, "low": 0.5, "high": 0.1}}})
    assert err.value.problems == ["evidence.segments.*.basket: low must not exceed high (got 0.5 and 0.1)"]
    with pytest.raises(ScenarioError) as err:
        load_scenario(DEFAULT, {"evidence": {"segments.*.basket": own}})
    assert err.value.problems[0].startswith("evidence.segments.*.basket: not a parameter of the evidence register")


def test_star_in_a_set_path_sets_every_item(default):
    sc = load_scenario(DEFAULT, {"stores.*.staff": 2, "segments.*.journey.gap_min": 7})
    assert {s.staff for s in sc.stores} == {2}
    assert {s.journey.gap_min for s in sc.segments} == {7}
    assert len(sc.stores) == len(default.stores)
    with pytest.raises(ScenarioError, match=r"marketing.offers.\*: the \w+ is empty, so .\*. names nothing"):
        load_scenario(DEFAULT, {"marketing.offers.*.uptake": 0.1})


def test_cli_preset_comes_before_set(tmp_path):
    from sim.interfaces.cli import main

    out = tmp_path / "run"
    code = main(["compare", DEFAULT, "--setups", "multichannel,omnichannel", "--replications", "2", "--workers", "1",
                 "--no-progress", "--assumptions-preset", "market-studies",
                 "--set", "segments.0.recommendation_accept=0.05", "--set", "horizon_days=0.2", "--set",
                 "warmup_days=0", "--set", "customers_per_day=200", "--out", str(out)])
    assert code == 0
    used = load_scenario(out / "scenario.yaml")
    assert [s.recommendation_accept for s in used.segments] == [0.05, 0.25, 0.25]
    assert used.segments[0].restart_abandon_prob == 0.17
