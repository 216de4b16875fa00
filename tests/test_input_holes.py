"""The last input holes (issue 28): booleans refused where a number is asked, names and ids unique, at least one
SKU, the Python API checking its arguments, and an ``--out`` that cannot be written refused in one line before any
run — each with a message naming the field or argument, never a traceback."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.scenario.schema import scenario_yaml
from tests.helpers import DEFAULT, RAW, one_line, problems

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small_business.yaml"
SHORT = ["--set", "horizon_days=2", "--set", "warmup_days=0"]


# --------------------------------------------------------------------------------------------- booleans
@pytest.mark.parametrize(("path", "value", "words"), [
    (("stores", 0, "staff"), True, ("stores.0.staff", "whole number", "not true/false")),
    (("stores", 0, "tills"), True, ("stores.0.tills", "whole number")),
    (("call_centre", "agents"), False, ("call_centre.agents", "whole number")),
    (("customers_per_day",), True, ("customers_per_day", "a number is asked")),
    (("weekly_profile",), [1, 1, 1, 1, 1, True, 1], ("weekly_profile", "not true/false")),
])
def test_a_boolean_is_refused_where_a_number_is_asked(path, value, words):
    def mutate(d):
        node = d
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value

    found = problems(mutate)
    assert len(found) == 1, found
    for w in words:
        assert w in found[0], found


def test_whole_numbers_still_load_and_a_boolean_field_takes_booleans():
    data = copy.deepcopy(RAW)
    data["stores"][0]["staff"] = 3
    data["stores"][0]["click_collect"] = False
    sc = sim.scenario_from_dict(data)
    assert (sc.stores[0].staff, sc.stores[0].click_collect) == (3, False)
    assert sim.load_scenario(DEFAULT, overrides={"stores.0.staff": 3}).stores[0].staff == 3


def test_a_boolean_through_set_is_one_line(capsys):
    one_line(capsys, ["validate", str(DEFAULT), "--set", "stores.0.staff=true"], "stores.0.staff", "true/false")


# --------------------------------------------------------------------------------------------- unique names
def test_two_segments_with_one_name_are_refused():
    def mutate(d):
        d["segments"][1]["name"] = d["segments"][0]["name"]

    assert any("segment names must be unique" in p and repr(RAW["segments"][0]["name"]) in p
               for p in problems(mutate))


def test_two_stores_with_one_name_are_refused():
    def mutate(d):
        d["stores"][1]["name"] = d["stores"][0]["name"]

    assert any("store names must be unique" in p and repr(RAW["stores"][0]["name"]) in p for p in problems(mutate))


def explicit_skus(d, skus):
    d["catalogue"] = {"skus": skus}
    for node in [*d["stores"], d["warehouse"]]:  # no category policies naming the generator's categories
        node.get("replenishment", {}).pop("by_category", None)
    d["promotions"] = []
    d.get("fulfilment", {}).pop("return_category_factor", None)


def test_two_skus_with_one_id_and_an_empty_sku_list_are_refused():
    sku = {"id": "A1", "price": 20.0, "unit_cost": 8.0}
    data = copy.deepcopy(RAW)
    explicit_skus(data, [sku, dict(sku, id="B2")])
    assert [s.id for s in sim.scenario_from_dict(data).catalogue.skus] == ["A1", "B2"]  # the reference: two ids load
    dup = problems(lambda d: explicit_skus(d, [sku, dict(sku, price=30.0)]))
    assert len(dup) == 1 and "SKU ids must be unique" in dup[0] and "'A1'" in dup[0], dup
    empty = problems(lambda d: explicit_skus(d, []))
    assert len(empty) == 1 and "at least one SKU" in empty[0], empty


def test_repeated_setups_are_refused_in_one_line(capsys):
    one_line(capsys, ["compare", str(DEFAULT), "--setups", "omnichannel,omnichannel", "--out", "unused"],
             "omnichannel", "more than once")


# --------------------------------------------------------------------------------------------- the Python API
@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"scenario": {"name": "x"}}, TypeError, ("scenario:", "dict", "scenario_from_dict")),
    ({"scenario": 3}, TypeError, ("scenario:", "int")),
    ({"seed": 1.5}, TypeError, ("seed:", "float")),
    ({"seed": True}, TypeError, ("seed:", "bool")),
    ({"seed": -1}, ValueError, ("seed:",)),
])
def test_run_checks_its_arguments_in_one_line(kwargs, error, words):
    args = {"scenario": SMALL, "setup": "multichannel", "seed": 0, **kwargs}
    with pytest.raises(error) as caught:
        sim.run(**args)
    text = str(caught.value)
    assert "\n" not in text
    for w in words:
        assert w in text


def test_run_takes_a_path_or_a_scenario_alike(tmp_path):
    sc = sim.load_scenario(SMALL, overrides={"horizon_days": 2, "warmup_days": 0})
    by_object = sim.run(sc, setup="multichannel", seed=np.int64(4)).kpis
    path = tmp_path / "s.yaml"
    path.write_text(scenario_yaml(sc), encoding="utf-8")
    by_path = sim.run(str(path), setup="multichannel", seed=4).kpis
    assert by_path.keys() == by_object.keys()
    np.testing.assert_array_equal(list(by_path.values()), list(by_object.values()))  # the same customers


@pytest.mark.parametrize(("kwargs", "error", "word"), [
    ({"scenario": {"name": "x"}}, TypeError, "scenario:"),
    ({"seed": 2.0}, ValueError, "seed"),
    ({"seed": False}, ValueError, "seed"),
    ({"replications": True}, ValueError, "replications"),
    ({"setups": "omnichannel"}, ValueError, "setups:"),
])
def test_compare_checks_its_arguments_before_any_run(kwargs, error, word, monkeypatch):
    def no_run(*a, **k):
        raise AssertionError("ran a replication")

    monkeypatch.setattr("sim.experiments.batch.execute_task", no_run)
    args = {"scenario": SMALL, "replications": 2, **kwargs}
    with pytest.raises(error, match=word):
        sim.compare(**args)


# the scenario-taking functions of sim.__all__ beyond run and compare, each with the cheapest call on a scenario of
# two days: (name, the argument that takes the scenario, the call, what of its answer is compared, the path as)
TAKE_A_SCENARIO = [
    ("available_setups", "scenario", lambda s: sim.available_setups(s), lambda r: r, str),
    ("sequential", "scenario", lambda s: sim.sequential(s, ["multichannel"], ["revenue"], min_replications=2,
                                                        max_replications=2), lambda r: r.runs, str),
    ("recommend_staff", "scenario", lambda s: sim.recommend_staff(
        s, "multichannel", [1], {"store_service_level": (">=", 0.0)}, min_replications=2, max_replications=2),
     lambda r: r.table, Path),
    ("staff_per_store", "scenario", lambda s: sim.staff_per_store(
        s, "multichannel", min_staff=1, max_staff=1, min_replications=2, max_replications=2, confirm_rounds=1),
     lambda r: r.table, str),
    ("suggest_warmup", "scenario", lambda s: sim.suggest_warmup(s, setups=["multichannel"], replications=1, days=6,
                                                                window=1),
     lambda r: r.welch["multichannel"].period_means, Path),
    ("check_plausibility", "scenario", lambda s: sim.check_plausibility(s, replications=1, days=1, warmup_days=0),
     lambda r: [(v.benchmark.kpi, v.value) for v in r], str),
    ("calibrate", "sc", lambda s: sim.calibrate(s, targets={"ropo_share": 0.7}, days=1, rounds=1),
     lambda r: (r[0].model_dump(), r[1]), Path),
    ("compare_behaviour", "scenario", lambda s: sim.compare_behaviour(
        s, setups=["multichannel", "omnichannel"], n=2, replications=2, break_evens=0), lambda r: r.summary, str),
]


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    sc = sim.load_scenario(SMALL, overrides={"horizon_days": 2, "warmup_days": 0})
    path.write_text(scenario_yaml(sc), encoding="utf-8")
    return path


SLOW_TWICE = {"compare_behaviour"}  # 1.6 s a call (its analysis of the draws, not its runs): 3 s in all


@pytest.mark.parametrize(("name", "arg", "call", "answer", "as_path"), [
    pytest.param(*case, id=case[0], marks=[pytest.mark.slow] if case[0] in SLOW_TWICE else [])
    for case in TAKE_A_SCENARIO])
def test_a_scenario_argument_takes_a_path_as_the_loaded_scenario(name, arg, call, answer, as_path, tiny_file):
    by_path = answer(call(as_path(tiny_file)))
    by_object = answer(call(sim.load_scenario(tiny_file)))
    if isinstance(by_path, pd.DataFrame):
        assert len(by_path)
        pd.testing.assert_frame_equal(by_path, by_object)
    else:
        np.testing.assert_equal(by_path, by_object)  # the same customers: the same answer, NaN included


@pytest.mark.parametrize("wrong", [3, {"name": "x"}], ids=["int", "dict"])
@pytest.mark.parametrize(("name", "arg", "call", "answer", "as_path"), TAKE_A_SCENARIO,
                         ids=[case[0] for case in TAKE_A_SCENARIO])
def test_a_scenario_argument_of_another_type_is_one_line_naming_it(name, arg, call, answer, as_path, wrong):
    with pytest.raises(TypeError) as caught:
        call(wrong)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{arg}: expected a Scenario"), text
    assert type(wrong).__name__ in text


# --------------------------------------------------------------------------------------------- --out
@pytest.fixture
def afile(tmp_path):
    path = tmp_path / "afile"
    path.write_text("x", encoding="utf-8")
    return path


def unwritable(afile: Path) -> list[tuple[str, str]]:
    """(path, words) of outputs that cannot be written: under an existing file, in /proc, in read-only /sys."""
    cases = [(str(afile / "out"), "is a file, not a folder"), (str(afile / "deeper" / "out"), "is a file")]
    if Path("/proc/self").is_dir():
        cases.append(("/proc/omnisim-out", "nothing can be created in /proc"))
    if Path("/sys/kernel").is_dir() and not os.access("/sys", os.W_OK):
        cases.append(("/sys/omnisim-out", "nothing can be created in /sys"))
    return cases


def test_an_out_that_cannot_be_written_is_refused_before_any_run(tmp_path, afile, capsys, monkeypatch):
    def no_run(*a, **k):
        raise AssertionError("ran before refusing --out")

    monkeypatch.setattr("sim.core.model.simulate", no_run)
    monkeypatch.setattr("sim.experiments.batch.execute_task", no_run)
    exp = tmp_path / "e.yaml"
    exp.write_text(f"name: e\nscenario: {SMALL}\nreplications: 2\n", encoding="utf-8")
    results = tmp_path / "results"
    results.mkdir()
    (results / "summary.csv").write_text("setup,kpi\n", encoding="utf-8")
    for out, words in unwritable(afile):
        argvs = [["run", str(SMALL), *SHORT, "--out", out],
                 ["compare", str(SMALL), *SHORT, "--replications", "2", "--out", out],
                 ["sweep", str(exp), "--no-progress", "--out", out],
                 ["calibrate", str(SMALL), "--out", out + ".yaml"],
                 ["report", str(results), "--out", out + ".html"]]
        for argv in argvs:
            one_line(capsys, argv, "--out", "cannot be written", words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "e.yaml", "results"]


def test_a_folder_where_a_file_is_expected_is_one_line(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    results = tmp_path / "results"
    results.mkdir()
    (results / "summary.csv").write_text("setup,kpi\n", encoding="utf-8")
    one_line(capsys, ["report", str(results), "--out", str(folder)], "--out", "is a folder", "HTML report")
    one_line(capsys, ["calibrate", str(SMALL), "--out", str(folder)], "--out", "is a folder")
