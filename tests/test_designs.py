"""Designs over dotted-path factors (sim.experiments.designs) and experiment files: points, reproducibility, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.experiments.designs import (
    Design,
    Experiment,
    ExperimentError,
    Factor,
    experiment_from_dict,
    load_experiment,
)
from sim.experiments.sweep import experiment_evaluator
from sim.interfaces import cli

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))


def test_grid_is_the_full_factorial_in_order():
    d = Design(kind="grid", factors={"stores.0.staff": Factor(levels=[3, 4]),
                                     "customers_per_day": Factor(low=1000, high=3000, n=3, integer=True)})
    assert d.points() == [
        {"stores.0.staff": s, "customers_per_day": c} for s in (3, 4) for c in (1000, 2000, 3000)]


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_sampled_designs_cover_the_ranges_and_repeat_with_the_seed(kind):
    factors = {"a": Factor(low=10.0, high=20.0), "b": Factor(low=1, high=5, integer=True),
               "c": Factor(levels=["x", "y"])}
    d = Design(kind=kind, n=16, factors=factors)
    pts = d.points(seed=3)
    assert len(pts) == 16 and pts == d.points(seed=3) and pts != d.points(seed=4)
    a = np.array([p["a"] for p in pts])
    assert a.min() >= 10.0 and a.max() <= 20.0
    assert all(isinstance(p["b"], int) and 1 <= p["b"] <= 5 for p in pts)
    assert {p["c"] for p in pts} == {"x", "y"}
    if kind == "lhs":  # one point in each of the 16 strata of every factor
        assert sorted(np.floor((a - 10.0) / 10.0 * 16).astype(int).tolist()) == list(range(16))


def test_sensitivity_design_sizes():
    f = {n: Factor(low=0.0, high=1.0) for n in ("x1", "x2", "x3")}
    assert len(Design(kind="sobol-indices", n=8, factors=f).points()) == 8 * (3 + 2)
    morris = Design(kind="morris", n=5, levels=4, factors=f)
    unit = morris.unit_sample(0)
    assert unit.shape == (5 * 4, 3)
    assert set(np.round(unit.ravel(), 6).tolist()) <= {0.0, round(1 / 3, 6), round(2 / 3, 6), 1.0}


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "x", "design": {"kind": "grid", "factors": {"a": {"low": 1, "high": 2}}}}, "design",
         "needs levels or n"),
        ({"name": "x", "design": {"kind": "lhs", "factors": {"a": {"low": 1, "high": 2}}}}, "design", "needs n"),
        ({"name": "x", "design": {"kind": "lhs", "n": 4, "factors": {"a": {"low": 3, "high": 2}}}},
         "design.factors.a", "high must be greater than low"),
        ({"name": "x", "design": {"kind": "lhs", "n": 4, "factors": {"a": {"low": 1}}}}, "design.factors.a",
         "give low and high"),
        ({"name": "x", "design": {"kind": "sobol-indices", "n": 6, "factors": {"a": {"low": 1, "high": 2}}}},
         "design", "power of 2"),
        ({"name": "x", "replications": 0}, "replications", "must be at least 1"),
        ({"name": "x", "design": {"kind": "cube"}}, "design.kind", "none"),
        ({"name": "x", "replicatons": 3}, "replicatons", "unknown field"),
    ],
    ids=["grid-n", "lhs-n", "range", "half-range", "power2", "replications", "kind", "unknown"],
)
def test_bad_experiment_one_line_per_problem_naming_the_field(data, field, words):
    with pytest.raises(ExperimentError) as err:
        experiment_from_dict(data)
    hits = [p for p in err.value.problems if p.startswith(f"{field}: ")]
    assert hits and words in hits[0], err.value.problems


def test_factor_path_or_range_refused_by_the_scenario_is_named(tmp_path):
    exp = Experiment(name="x", scenario=str(ROOT / "scenarios" / "default.yaml"),
                     design=Design(kind="lhs", n=4, factors={"stores.0.staf": Factor(low=1, high=3),
                                                             "customers_per_day": Factor(low=-5, high=10)}))
    with pytest.raises(ExperimentError) as err:
        experiment_evaluator(exp)
    lines = err.value.problems
    assert any(p.startswith("design.factors.stores.0.staf: ") and "unknown field" in p for p in lines), lines
    assert any(p.startswith("design.factors.customers_per_day: ") and "-5" in p for p in lines), lines


def test_cli_sweep_reports_experiment_problems_without_traceback(tmp_path, capsys):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "scenario": str(ROOT / "scenarios" / "default.yaml"),
                                    "setups": ["multichannel", "hybrid"], "replications": 0}), encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: replications: " in err and "Traceback" not in err
    path.write_text(yaml.safe_dump({"name": "x", "scenario": str(ROOT / "scenarios" / "default.yaml"),
                                    "setups": ["multichannel", "hybrid"]}), encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{path}: setups: unknown 'hybrid'; allowed: multichannel, cross-channel, omnichannel"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_example_experiment_files_are_valid(path):
    exp = load_experiment(path)
    experiment_evaluator(exp)  # the scenario loads and every factor's range is accepted
    # a design makes several points; a file without one (the national chain) is replications of one point
    assert len(exp.points()) == 1 if exp.design.kind == "none" else len(exp.points()) >= 2
