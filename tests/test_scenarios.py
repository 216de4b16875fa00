"""The scenario library: every file in scenarios/*.yaml validates and runs a short compare under all setups.

Each compare is cut to one simulated day and at most 1,000 customers, two replications, one worker.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
import yaml

from sim.experiments.replicate import compare_runs
from sim.interfaces import cli
from sim.scenario.schema import load_scenario
from sim.scenario.setups import SETUP_NAMES

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
LIBRARY = ("default", "electronics", "grocery", "small_business", "black_friday")
MAX_CUSTOMERS = 1000


def test_library_is_complete():
    assert {p.stem for p in SCENARIOS} >= set(LIBRARY)
    names = [yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in SCENARIOS]
    assert len(set(names)) == len(names), f"scenario names must be distinct: {names}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_validates(path, capsys):
    assert cli.main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_is_commented(path):
    """Every library file opens with a comment block saying what it models and where its figures come from."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = list(itertools.takewhile(lambda ln: ln.startswith("#"), lines))
    assert len(header) >= 2, f"{path.name}: start with a comment block describing the scenario"
    assert sum("#" in ln for ln in lines) >= 20, f"{path.name}: comment the figures with their origin"


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_short_compare_under_every_setup(path):
    full = load_scenario(path)
    customers = min(full.customers_per_day, MAX_CUSTOMERS)
    scenario = load_scenario(path, {"horizon_days": 1, "warmup_days": 0, "customers_per_day": customers})
    summary, runs = compare_runs(scenario, list(SETUP_NAMES), replications=2, seed=3, workers=1)
    conv = runs[runs["kpi"] == "conversion_rate"]
    assert sorted(conv["setup"].unique()) == sorted(SETUP_NAMES)
    assert len(conv) == 2 * len(SETUP_NAMES)
    assert all(math.isfinite(v) and 0.0 < v <= 1.0 for v in conv["value"]), conv
    rows = summary[summary["kpi"] == "conversion_rate"]
    assert all(math.isfinite(v) for v in rows["mean"])
    # the same customers under every setup (common random numbers)
    customers_seen = runs[runs["kpi"] == "customers"].groupby("replication")["value"].nunique()
    assert (customers_seen == 1).all()
