"""Staffing chosen per store (sim/experiments/staffing.py ``staff_per_store``, ``omnisim staff``): the search meets
the target where it says so (on its confirmation run), lowers the quiet stores below what the busiest one needs,
gives the same answer for the same seed, says which store it cannot bring to target, and bad targets get one line.

The scenario: three stores of the small test shop, the first with four times the others' traffic; advice is long
and asked often, tills are plenty, so floor staff set the store service level (about 0.62 / 0.85 at one staff,
0.85 / 0.97 at two, for the busy store / a quiet one)."""

from __future__ import annotations

import json
import math

import pytest

import sim
from sim.experiments.staffing import STAFF_NOTE, check_targets, staff_per_store
from sim.interfaces import cli
from sim.scenario.schema import scenario_from_dict, scenario_yaml

from .helpers import small_scenario

TARGET = 0.8


@pytest.fixture(scope="module")
def busy_first():
    base = small_scenario(n_stores=3, n_skus=20, cpd=400, stock=30, staff=3, channels_store=0.7, backorders=False,
                          periodic=True, horizon=3)
    return scenario_from_dict(base.model_dump(mode="json"), {
        "stores.0.traffic_weight": 4.0, "stores.*.tills": 3, "stores.*.advice_prob": 0.6,
        "stores.*.advice_time_min.mean": 8})


@pytest.fixture(scope="module")
def plan(busy_first):
    return staff_per_store(busy_first, "omnichannel", {"store_service_level": TARGET}, seed=1, max_replications=8,
                           max_staff=5)


def test_every_store_reported_met_meets_the_target_on_the_confirmation_run(plan):
    table = plan.table.set_index("store")
    assert plan.all_met and set(table["status"]) == {"met"}
    # met means the confirmation run's simultaneous interval lies above the target, not just the mean
    assert (table["store_service_level_low"] >= TARGET).all()
    assert (table["replications"] == 8).all() and plan.totals["replications"] == 8
    assert plan.history[-1]["stage"].startswith("confirm")
    assert plan.history[-1]["staff"] == list(table["staff"])


def test_the_quiet_stores_get_less_than_a_uniform_answer(plan, busy_first):
    """A uniform level must give every store what the busiest needs; the per-store answer gives the quiet ones
    less. One staff fewer in the busy store misses the target (its level is the least that holds)."""
    table = plan.table.set_index("store")
    busy, quiet = int(table.loc["s0", "staff"]), int(table[["staff"]].drop(index="s0").min().iloc[0])
    assert quiet < busy and plan.totals["staff"] < busy * len(table)
    assert plan.totals["staff_cost_year"] < plan.totals["client_staff_cost_year"]
    fewer = scenario_from_dict(busy_first.model_dump(mode="json"), {"stores.*.staff": busy - 1})
    levels = [sim.run(fewer, "omnichannel", seed=s, daily=False).breakdown["store"]["s0"]["store_service_level"]
              for s in range(3)]
    assert max(levels) < TARGET
    hours = 12 * 365 * busy_first.fulfilment.staff_cost_per_hour  # 8:00-20:00 every day
    assert plan.totals["staff_cost_year"] == pytest.approx(plan.totals["staff"] * hours)


def test_the_same_seed_gives_the_same_answer(plan, busy_first):
    again = staff_per_store(busy_first, "omnichannel", {"store_service_level": TARGET}, seed=1, max_replications=8,
                            max_staff=5)
    assert again.table.equals(plan.table) and again.history == plan.history


def test_a_store_it_cannot_bring_to_target_is_reported_at_the_cap(busy_first):
    capped = staff_per_store(busy_first, "omnichannel", {"store_service_level": 0.97}, seed=1, min_replications=3,
                             max_replications=4, max_staff=2)
    row = capped.table.set_index("store").loc["s0"]
    assert not capped.all_met and row["status"] == "missed" and bool(row["at_cap"]) and row["staff"] == 2
    assert row["store_service_level_high"] < 0.97
    text = "\n".join(capped.lines())
    assert "Not brought to target: s0 (missed, at the cap)" in text and STAFF_NOTE in text


@pytest.mark.parametrize(("target", "message"), [
    ({"store_wait": 3}, "target 'store_wait': not a store KPI a staffing search can hold; allowed: "
                        "store_service_level, store_abandon_rate, store_wait_mean_min, store_wait_p95_min"),
    ({"store_service_level": 1.2}, "target store_service_level: a share strictly between 0 and 1, e.g. 0.8 (got 1.2)"),
    ({"store_service_level": True}, "target store_service_level: expected a number (got True)"),
    ({"store_wait_mean_min": 0}, "target store_wait_mean_min: a positive number of minutes (got 0)"),
    ({}, "target: give at least one of"),
])
def test_bad_targets_are_refused_in_one_line(target, message):
    with pytest.raises(ValueError) as err:
        check_targets(target)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_directions_follow_the_kpi():
    assert check_targets({"store_service_level": 0.8, "store_wait_p95_min": 5}) == {
        "store_service_level": (">=", 0.8), "store_wait_p95_min": ("<=", 5.0)}
    assert math.isclose(check_targets({"store_abandon_rate": "0.05"})["store_abandon_rate"][1], 0.05)


# --------------------------------------------------------------------------------------------- omnisim staff
@pytest.fixture(scope="module")
def busy_file(busy_first, tmp_path_factory):
    path = tmp_path_factory.mktemp("staff") / "busy.yaml"
    path.write_text(scenario_yaml(busy_first), encoding="utf-8")
    return path


def test_the_cli_prints_the_table_and_writes_it(busy_file, tmp_path, capsys):
    out = tmp_path / "o"
    code = cli.main(["staff", str(busy_file), "--target", "store_service_level=0.8", "--setup", "omnichannel",
                     "--max-staff", "5", "--replications", "6", "--seed", "1", "--workers", "1", "--out", str(out)])
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert "store_service_level (interval)" in printed and "floor staff" in printed
    assert "exclude cashiers" in printed and "Every store meets the target (3 stores)." in printed
    assert "omnisim: confirm 1: staff" in err  # the search's steps, on stderr
    data = json.loads((out / "staffing.json").read_text())
    assert data["note"] == STAFF_NOTE and data["all_met"] and data["meta"]["seed"] == 1
    rows = (out / "staffing.csv").read_text().splitlines()
    assert rows[0].startswith("store,staff,tills,client_staff,client_tills,store_service_level,") and len(rows) == 4
    assert [r["staff"] for r in data["stores"]] == [int(r.split(",")[1]) for r in rows[1:]]


def test_the_cli_exits_1_when_a_store_stays_below_target(busy_file, capsys):
    code = cli.main(["staff", str(busy_file), "--target", "store_service_level=0.97", "--max-staff", "2",
                     "--replications", "3", "--seed", "1", "--workers", "1", "--no-progress"])
    printed, err = capsys.readouterr()
    assert code == 1 and "Not brought to target: s0 (missed, at the cap)" in printed and err == ""


@pytest.mark.parametrize(("args", "line"), [
    (["--target", "store_wait=3"], "omnisim: --target 'store_wait': not a store KPI a staffing search can hold; "
                                   "allowed: store_service_level, store_abandon_rate, store_wait_mean_min, "
                                   "store_wait_p95_min"),
    (["--target", "store_service_level=1.5"], "omnisim: --target store_service_level: a share strictly between 0 "
                                              "and 1, e.g. 0.8 (got 1.5)"),
    (["--target", "store_service_level=high"], "omnisim: --target store_service_level: expected a number (got "
                                               "high)"),
    (["--target", "0.8"], "omnisim: --target '0.8': expected KPI=VALUE, e.g. store_service_level=0.8"),
    (["--max-tills", "3"], "omnisim: --max-tills: only with --tills (the tills are searched only then)"),
    (["--setup", "hybrid"], "omnisim: --setup: unknown setup 'hybrid'; allowed: "),
    (["--max-staff", "0"], "omnisim staff: error: argument --max-staff: must be an integer >= 1 (got 0)"),
])
def test_the_cli_refuses_bad_input_in_one_line(busy_file, args, line, capsys):
    assert cli.main(["staff", str(busy_file), *args]) == 2
    printed, err = capsys.readouterr()
    assert err.startswith(line) and err.count("\n") == 1 and "Traceback" not in err and printed == ""


def test_the_table_for_people_and_the_chart(plan):
    """Plain numbers (per cent with one decimal, thousands separators, no e-notation), the client's level where it
    changed, and a chart whose every panel has a point per store, with the note under it."""
    from sim.outputs.staffing import display_table, staffing_figure

    shown = display_table(plan)
    assert list(shown.columns) == ["store", "floor staff", "tills", "store_service_level (interval)", "target",
                                   "staff cost a year"]
    text = shown.to_string()
    assert "e+" not in text and "e-" not in text and " %" in text and "(was 3)" in text
    assert shown["staff cost a year"].str.fullmatch(r"\d{1,3}(,\d{3})*").all()
    fig = staffing_figure(plan)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_yticklabels()) == len(plan.table)
    assert "exclude cashiers" in fig.get_supxlabel()


def test_with_tills_the_search_lowers_tills_too_and_prices_the_cashiers(busy_first):
    """Three tills a store are more than 400 customers a day need: with ``tills=True`` the search gives some store
    fewer, every store still meets the target on the confirmation run, and each till is priced like a staff hour."""
    plan = staff_per_store(busy_first, "omnichannel", {"store_service_level": TARGET}, tills=True, seed=1,
                           max_replications=6, max_staff=5, max_tills=4)
    table = plan.table
    assert plan.all_met and (table["store_service_level_low"] >= TARGET).all()
    assert table["tills"].min() < 3 and plan.totals["tills"] < plan.totals["client_tills"]
    assert (table["tills_cost_year"] == table["tills"] * 12 * 365 * busy_first.fulfilment.staff_cost_per_hour).all()
    assert any("Tills:" in line for line in plan.lines())
