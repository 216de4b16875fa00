"""Sensitivity analysis (sim.experiments.sensitivity) through the same sweep-and-store path that KPIs use.

The Ishigami function stands in for the model: its Sobol indices are known analytically.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.experiments.designs import Design, Experiment, Factor, unit_problem
from sim.experiments.sensitivity import Ishigami, ishigami_function, morris, sobol
from sim.experiments.sweep import sweep
from sim.interfaces import cli
from sim.outputs import plots

ROOT = Path(__file__).resolve().parents[1]
PI_RANGE = {k: Factor(low=-math.pi, high=math.pi) for k in ("x1", "x2", "x3")}


def ishigami_sweep(kind: str, n: int, tmp_path: Path, **design):
    exp = Experiment(name=f"ishigami-{kind}", replications=1, seed=3, kpis=["y"],
                     design=Design(kind=kind, n=n, factors=PI_RANGE, **design))
    return sweep(exp, tmp_path / f"{kind}.sqlite", workers=1, evaluator=Ishigami(), progress=False)


def test_ishigami_analytic_indices():
    idx = Ishigami(a=7, b=0.1).indices()
    assert idx["S1"] == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert idx["ST"] == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)


def test_sobol_indices_of_ishigami_through_the_sweep_path(tmp_path):
    res = ishigami_sweep("sobol-indices", 1024, tmp_path)
    assert res.summary.ok == 1024 * 5 and res.store.count() == 1024 * 5  # one stored row per design point
    table = sobol(res, "y")
    assert list(table.columns) == ["kpi", "setup", "factor", "index", "value", "low", "high"]
    exact = Ishigami().indices()
    for index in ("S1", "ST"):
        rows = table[table["index"] == index].set_index("factor").loc[["x1", "x2", "x3"]]
        est = rows["value"].to_numpy()
        assert np.abs(est - np.array(exact[index])).max() < 0.04, (index, est)
        inside = (rows["low"].to_numpy() - 0.01 <= exact[index]) & (exact[index] <= rows["high"].to_numpy() + 0.01)
        assert inside.all(), (index, rows)
        assert (rows["high"] - rows["low"]).max() < 0.25  # intervals are informative
    png = plots.tornado(table, tmp_path / "tornado.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_morris_through_the_sweep_path_equals_salib_on_the_function(tmp_path):
    from SALib.analyze import morris as salib_morris

    from sim.experiments.designs import purpose_seed

    res = ishigami_sweep("morris", 20, tmp_path, levels=4)
    table = morris(res, "y")
    design = res.experiment.design
    unit = design.unit_sample(res.experiment.seed)
    y = np.array([ishigami_function({"x1": x1, "x2": x2, "x3": x3, "a": 7.0, "b": 0.1}, "", None)[0]["y"]
                  for x1, x2, x3 in (-math.pi + 2 * math.pi * unit).tolist()])
    seed = int(np.random.default_rng(purpose_seed(3, "sensitivity")).integers(2**31))
    direct = salib_morris.analyze(unit_problem(design.names), unit, y, num_resamples=200, conf_level=0.95,
                                  num_levels=4, seed=seed)
    mu_star = table[table["index"] == "mu_star"].set_index("factor")["value"]
    np.testing.assert_allclose(mu_star.loc[["x1", "x2", "x3"]].to_numpy(), np.asarray(direct["mu_star"]))
    sigma = table[table["index"] == "sigma"].set_index("factor")["value"]
    assert sigma["x3"] > 0  # x3 acts only through its interaction with x1
    assert plots.tornado(table, tmp_path / "morris.png").exists()


def test_sobol_refuses_another_design_or_missing_points(tmp_path):
    res = ishigami_sweep("lhs", 8, tmp_path)
    with pytest.raises(ValueError, match="needs 'sobol-indices'"):
        sobol(res, "y")
    res = ishigami_sweep("sobol-indices", 4, tmp_path)
    with pytest.raises(ValueError, match="kpi 'nope'"):
        sobol(res, "nope")


def test_cli_sweep_sensitivity_on_the_model(tmp_path, capsys):
    data = {"name": "sens", "scenario": str(ROOT / "scenarios" / "default.yaml"),
            "overrides": {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 300}, "setups": ["omnichannel"],
            "replications": 1, "seed": 2, "kpis": ["conversion_rate"],
            "design": {"kind": "sobol-indices", "n": 4,
                       "factors": {"stores.0.staff": {"low": 1, "high": 6, "integer": True},
                                   "fulfilment.cart_friction": {"low": 0.0, "high": 0.6}}}}
    path = tmp_path / "sens.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    stdout = capsys.readouterr().out
    sens = pd.read_csv(out / "sensitivity.csv")
    assert set(sens["factor"]) == {"stores.0.staff", "fulfilment.cart_friction"}
    assert set(sens["index"]) == {"S1", "ST"} and set(sens["kpi"]) == {"conversion_rate"}
    assert (out / "tornado-conversion_rate-omnichannel.png").exists()
    assert str(out / "sensitivity.csv") in stdout
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 4 * (2 + 2)
