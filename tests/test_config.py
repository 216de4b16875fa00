"""Bad scenario input gets one clear line per problem, naming the field path and what is allowed."""

from __future__ import annotations

import pydantic
import pytest

import sim
from sim.scenario.schema import (
    ScenarioError,
    load_scenario,
    parse_override,
    scenario_hash,
)

from .helpers import problems
from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"


def test_every_shipped_scenario_is_valid():
    files = sorted((ROOT / "scenarios").rglob("*.yaml"))
    assert len(files) >= 3
    for f in files:
        assert load_scenario(f).name


def test_missing_field():
    assert problems(lambda d: d.pop("customers_per_day")) == ["customers_per_day: required field is missing"]


def test_negative_rate():
    (line,) = problems(lambda d: d.update(customers_per_day=-5))
    assert line.startswith("customers_per_day:") and "must be at least 0" in line and "-5" in line


def test_probabilities_must_sum_to_one():
    def bad(d):
        d["segments"][1]["channels"]["store"] = 0.9
    (line,) = problems(bad)
    assert line.startswith("segments.1.channels:") and "sum to 1" in line


def test_segment_shares_must_sum_to_one():
    (line,) = problems(lambda d: d["segments"][0].update(share=0.5))
    assert line.startswith("segments.*.share") and "sum to 1" in line


def test_wrong_type_and_unknown_field_each_get_a_line():
    def bad(d):
        d["stores"][2]["staff"] = "four"
        d["stores"][3]["tils"] = 2
    lines = problems(bad)
    assert any(x.startswith("stores.2.staff:") and "integer" in x for x in lines)
    assert "stores.3.tils: unknown field (check the spelling)" in lines


def test_unknown_channel_and_touchpoint_name_what_is_allowed():
    def bad(d):
        d["segments"][0]["channels"] = {"shop": 1.0}
        d["segments"][0]["journey"]["touchpoint_mix"] = {"tiktok": 1.0}
    lines = problems(bad)
    assert any(x.startswith("segments.0.channels.shop: unknown purchase channel; allowed:") for x in lines)
    assert any(x.startswith("segments.0.journey.touchpoint_mix.tiktok: unknown touchpoint") and "web" in x
               for x in lines)


def test_ship_from_store_on_siloed_stock_is_refused():
    (line,) = problems(lambda d: d.update(setups={"odd": {"base": "multichannel", "ship_from_store": True}}))
    assert line.startswith("setups.odd:") and "ship_from_store needs shared_stock" in line


def test_unknown_store_index_in_override():
    with pytest.raises(ScenarioError) as err:
        load_scenario(DEFAULT, {"stores.12.staff": 4})
    assert err.value.problems == ["stores.12: no such list index (the list has 10 items; '*' for all)"]


def test_override_by_dotted_path_and_cli_syntax():
    sc = load_scenario(DEFAULT, dict([parse_override("stores.0.staff=7"), parse_override("horizon_days=2"),
                                     parse_override("warmup_days=0")]))
    assert sc.stores[0].staff == 7 and sc.horizon_days == 2
    with pytest.raises(ScenarioError):
        parse_override("stores.0.staff")


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstores: [\n")
    with pytest.raises(ScenarioError, match="not valid YAML at line"):
        load_scenario(bad)


def test_scenario_is_frozen_and_hash_tracks_content():
    sc = load_scenario(DEFAULT)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        sc.horizon_days = 3
    assert scenario_hash(sc) == scenario_hash(load_scenario(DEFAULT))
    assert scenario_hash(sc) != scenario_hash(load_scenario(DEFAULT, {"stores.0.staff": 9}))


def test_unknown_setup_names_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: multichannel, cross-channel, omnichannel"):
        sim.run(load_scenario(DEFAULT, {"horizon_days": 1, "warmup_days": 0}), "omni")


def test_transfers_on_siloed_stock_are_refused():
    (line,) = problems(lambda d: d.update(setups={"odd": {"base": "cross-channel", "transfers": True}}))
    assert line.startswith("setups.odd:") and "transfers needs shared_stock" in line


def test_a_reserve_larger_than_the_stock_is_refused():
    def bad(d):
        d["stores"][1]["reserve_days"] = 30          # S is 10 days of demand
        d["stores"][2]["reserve_units"] = 3          # S is given in days: the units cannot be compared
        d["warehouse"]["reserve_days"] = 1
        d["warehouse"]["reserve_units"] = 1
    lines = problems(bad)
    assert any(x.startswith("stores.1:") and "reserve_days 30 is larger than the stock the policy holds "
               "(replenishment.order_up_to_days 9)" in x for x in lines)
    assert any(x.startswith("stores.2:") and "reserve_units needs replenishment.order_up_to in units" in x
               for x in lines)
    assert any(x.startswith("warehouse:") and "at most one of 'reserve_units' or 'reserve_days'" in x
               for x in lines)
    assert len(lines) == 3


def test_fulfilment_options_that_cannot_work_are_refused():
    def bad(d):
        d["stores"][0].update(staff=0, advice_prob=0)  # ship_from_store defaults to true: nobody would pick
        d["segments"][0]["click_collect_share"] = 0.7
        d["segments"][0]["pickup_point_share"] = 0.5
        d["fulfilment"] = {"routing": "closest", "return_category_factor": {"hats": 2.0}}
    lines = problems(bad)
    assert any(x.startswith("stores.0:") and "ship_from_store: true needs staff" in x for x in lines)
    assert any(x.startswith("segments.0:") and "click_collect_share + pickup_point_share must not exceed 1" in x
               for x in lines)
    assert any(x.startswith("fulfilment.routing:") and "nearest" in x and "cheapest" in x for x in lines)
    with pytest.raises(ScenarioError) as err:
        load_scenario(DEFAULT, {"fulfilment.return_category_factor.hats": 2.0})
    assert err.value.problems[0].startswith("fulfilment.return_category_factor.hats: unknown category; allowed: "
                                            "['tops'")
    with pytest.raises(ScenarioError) as err:
        load_scenario(DEFAULT, {"fulfilment.return_category_factor.shoes": 40.0})
    assert "above 1" in err.value.problems[0]
