"""Costs that scale with the chain (sim/outputs/roi.py cost_lines, cost_table; the scenario's ``costs:`` section):
per-store amounts double when the stores double, per-order amounts follow the orders, the small-firm preset is the
studies' table, and bad tables are refused with their field path."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.outputs import roi
from sim.scenario.schema import ScenarioError, scenario_from_dict

from .helpers import summary_of

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"




def default_data() -> dict:
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def doubled(data: dict) -> dict:
    """The same chain with every store listed twice, the copies under new names."""
    out = copy.deepcopy(data)
    out["stores"] = data["stores"] + [{**s, "name": f"{s['name']}-bis"} for s in data["stores"]]
    return out


def with_orders(summary, orders: dict[str, float]):
    rows = [{"setup": s, "kpi": "orders", "n": 5, "mean": v, "diff": 0.0, "baseline": "multichannel"}
            for s, v in orders.items()]
    return pd.concat([summary, pd.DataFrame(rows)], ignore_index=True)


SUMMARY = with_orders(summary_of({"cross-channel": (2e4, 1e4, 3e4), "omnichannel": (5e4, 3e4, 7e4)}),
                      {"multichannel": 1000.0, "cross-channel": 1100.0, "omnichannel": 1200.0})


def test_costs_given_per_store_double_when_the_stores_double():
    one, two = scenario_from_dict(default_data()), scenario_from_dict(doubled(default_data()))
    assert len(two.stores) == 2 * len(one.stores)
    a, b = (roi.cost_table(SUMMARY, 28, scenario=s).set_index(["setup", "item"]) for s in (one, two))
    items = roi.scenario_costs(one)
    for (setup, item), row in a.iterrows():
        spec, other = items[item], b.loc[(setup, item)]
        if spec["share_of_systems"]:
            continue  # a share of the others: checked through them
        for end in ("low", "high"):
            fixed = spec["one_off"]["fixed"][end]
            per_store = spec["one_off"]["per_store"][end]
            assert other[f"one_off_{end}"] - fixed == pytest.approx(2 * (row[f"one_off_{end}"] - fixed))
            assert row[f"one_off_{end}"] == pytest.approx(fixed + per_store * len(one.stores))
            store_part = spec["running"]["per_store_per_year"][end] * len(one.stores)
            assert other[f"running_{end}"] - row[f"running_{end}"] == pytest.approx(store_part)
    # the payback table adds up the same lines: a table with per-store amounts only doubles exactly
    only = {s: {"systems": [s], "one_off": {"per_store": {"low": 1000, "high": 2000}},
                "running": {"per_store_per_year": {"low": 100, "high": 300}}, "source": "test", "kind": "assumption"}
            for s in ("crm", "pim", "oms")}
    t1, t2 = (roi.roi_table(SUMMARY, 28, costs=only, scenario=s) for s in (one, two))
    for col in ("cost_low", "cost_high", "running_low", "running_high"):
        assert list(t2[col]) == pytest.approx([2 * v for v in t1[col]])
    assert t1.loc[t1.setup == "omnichannel", "cost_low"].item() == 3 * 1000 * len(one.stores)
    assert (t2["payback_months"] > t1["payback_months"]).all()  # dearer for the bigger chain, same gain


def test_running_per_order_scales_with_the_setups_orders():
    costs = {s: {"systems": [s], "running": {"per_order": {"low": 0.5, "high": 1.0}}, "source": "t",
                 "kind": "assumption"} for s in ("crm", "pim", "oms")}
    table = roi.roi_table(SUMMARY, 28, costs=costs, stores=3).set_index("setup")
    year = 365 / 28
    # each setup pays its own orders scaled to a year, once per item paid (cross-channel: crm, pim; omni: all three)
    assert table.loc["cross-channel", "running_low"] == pytest.approx(2 * 0.5 * 1100 * year)
    assert table.loc["omnichannel", "running_high"] == pytest.approx(3 * 1.0 * 1200 * year)
    more = with_orders(summary_of({"cross-channel": (2e4, 1e4, 3e4), "omnichannel": (5e4, 3e4, 7e4)}),
                       {"multichannel": 1000.0, "cross-channel": 2200.0, "omnichannel": 2400.0})
    doubled_orders = roi.roi_table(more, 28, costs=costs, stores=3).set_index("setup")
    assert list(doubled_orders["running_low"]) == pytest.approx([2 * v for v in table["running_low"]])
    with pytest.raises(ValueError, match="per-order amounts need the setup's orders"):
        roi.roi_table(summary_of({"omnichannel": (1.0, 0.0, 2.0)}), 28, costs=costs)
    with pytest.raises(ValueError, match="per-store amounts need the number of stores"):
        roi.roi_table(SUMMARY, 28, costs={**costs, "oms": {**costs["oms"], "one_off": {"per_store": 10}}})


def test_share_of_systems_is_a_share_of_the_other_items():
    costs = {"crm": {"systems": ["crm"], "one_off": {"fixed": {"low": 100, "high": 200}}, "source": "t",
                     "kind": "assumption"},
             "pim": {"systems": ["pim"], "one_off": {"fixed": 50}, "source": "t", "kind": "assumption"},
             "oms": {"systems": ["oms"], "one_off": {"fixed": 1000}, "source": "t", "kind": "assumption"},
             "change": {"systems": "any", "share_of_systems": {"low": 0.1, "high": 0.2}, "source": "t",
                        "kind": "survey"}}
    lines = {r["item"]: r for r in roi.cost_lines(roi.check_costs(costs), ["crm", "pim"])}
    assert set(lines) == {"crm", "pim", "change"}  # oms not needed: not paid
    assert (lines["change"]["one_off_low"], lines["change"]["one_off_high"]) == pytest.approx((15.0, 50.0))
    assert roi.cost_lines(roi.check_costs(costs), []) == []  # no new system: nothing, not even change management


def test_the_small_firm_preset_is_the_studies_table():
    preset = roi.scenario_costs(costs=roi.SMALL_FIRM)
    assert preset == roi.check_costs(roi.DEFAULT_COSTS) == roi.scenario_costs(None)
    for name, entry in roi.DEFAULT_COSTS.items():
        assert preset[name]["one_off"]["fixed"] == {"low": entry["low"], "high": entry["high"]}
        assert preset[name]["running"]["per_year"] == {"low": entry["running_low"], "high": entry["running_high"]}
        assert preset[name]["source"] == entry["source"] and preset[name]["systems"] == [name]
    # the small business scenario carries the same figures in the scenario's shape
    small = scenario_from_dict(yaml.safe_load((ROOT / "scenarios" / "small_business.yaml").read_text()))
    assert roi.scenario_costs(small) == preset | {k: {**preset[k], "label": small.costs[k].label} for k in preset}
    # a scenario without costs uses the preset; with costs, its own; a preset name wins over both
    data = default_data()
    data.pop("costs")
    assert roi.scenario_costs(scenario_from_dict(data)) == preset
    own = scenario_from_dict(default_data())
    assert "training" in roi.scenario_costs(own) and roi.scenario_costs(own, roi.SMALL_FIRM) == preset
    with pytest.raises(ValueError, match="unknown preset 'big'; allowed: small-firm"):
        roi.scenario_costs(own, "big")


@pytest.mark.parametrize(("patch", "message"), [
    ({"oms": {"one_off": {"per_store": {"low": 5, "high": 1}}}},
     "costs.oms.one_off.per_store: low must not exceed high (got 5 and 1)"),
    ({"oms": {"one_off": {"per_store": {"low": -1}}}}, "costs.oms.one_off.per_store.low: must be at least 0"),
    ({"oms": {"running": {"per_order": {"high": "cheap"}}}}, "costs.oms.running.per_order.high: "),
    ({"crm": {"systems": ["erp"]}}, "costs.crm.systems: expected 'any' or a non-empty list of crm, pim, oms"),
    ({"crm": {"kind": "hearsay"}}, "costs.crm.kind: "),
    ({"pim": {"colour": 1}}, "costs.pim.colour: unknown field"),
    ({"training": {"share_of_systems": {"low": 0.1, "high": 2}}}, "costs.training.share_of_systems.high: must be at "
                                                                   "most 1"),
])
def test_schema_errors_name_the_field(patch, message):
    data = default_data()
    for item, fields in patch.items():
        for key, value in fields.items():
            if isinstance(value, dict) and isinstance(data["costs"][item].get(key), dict):
                for k, v in value.items():
                    base = data["costs"][item][key].get(k)
                    data["costs"][item][key][k] = {**base, **v} if isinstance(base, dict) and isinstance(v, dict) \
                        else v
            else:
                data["costs"][item][key] = value
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems
    with pytest.raises(ValueError, match=message.split(":")[0]):  # the same line from the file checker
        roi.check_costs(data["costs"])


def test_a_table_must_price_every_system():
    data = default_data()
    data["costs"].pop("pim")
    with pytest.raises(ScenarioError, match="costs: no item is paid for pim"):
        scenario_from_dict(data)


def test_costs_leave_the_scenario_hash_alone():
    from sim.scenario.schema import scenario_hash

    data = default_data()
    a = scenario_from_dict(data)
    data["costs"]["oms"]["one_off"]["fixed"]["high"] = 999_999
    b = scenario_from_dict(data)
    assert scenario_hash(a) == scenario_hash(b) and a.costs != b.costs
    assert math.isfinite(roi.roi_table(SUMMARY, 28, scenario=b)["cost_high"].max())


# --------------------------------------------------------------------------------------------- command line
SMALL = ["--set", "horizon_days=32", "--set", "customers_per_day=150", "--replications", "2", "--workers", "1",
         "--no-progress"]


@pytest.mark.parametrize(("content", "words"), [
    ("costs:\n  oms: {systems: [oms], one_off: {per_store: {low: 9, high: 1}}, source: x, kind: assumption}\n",
     "costs.oms.one_off.per_store: low must not exceed high"),
    ("oms: {systems: [oms], running: {per_order: {high: lots}}, source: x, kind: assumption}\n",
     "costs.oms.running.per_order.high: "),
    ("oms: {low: 1, high: 2}\n", "costs: no cost range for crm, pim (needed by setup 'cross-channel')"),
    ("oms: [\n", "--costs"),
])
def test_a_bad_costs_file_is_one_line_and_writes_nothing(tmp_path, capsys, content, words):
    from sim.interfaces import cli

    path = tmp_path / "costs.yaml"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["compare", str(DEFAULT), *SMALL, "--out", str(out), "--costs", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"omnisim: --costs {path}: ") and words in err, err
    assert not out.exists()


def test_compare_records_the_costs_and_the_report_reprices(tmp_path, capsys):
    import json

    from sim.interfaces import cli

    out = tmp_path / "out"
    assert cli.main(["compare", str(DEFAULT), *SMALL, "--out", str(out), "--costs", "small-firm"]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["costs"] == roi.scenario_costs(costs=roi.SMALL_FIRM) and meta["stores"] == 10
    assert meta["costs_from"].startswith("preset small-firm")
    decision = json.loads((out / "decision.json").read_text())
    omni = next(p for p in decision["payback"] if p["setup"] == "omnichannel")
    assert (omni["cost_low"], omni["cost_high"]) == (100_000, 430_000)  # the studies' CRM + PIM + OMS
    # the report prices the same folder with the scenario's own costs when asked: per store, change management ...
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump({"costs": default_data()["costs"]}), encoding="utf-8")
    assert cli.main(["report", str(out), "--costs", str(own)]) == 0
    page = (out / "report.html").read_text()
    assert "staff training" in page and "change management" in page and "own.yaml (--costs)" in page
