"""Sensitivity analysis of any KPI over a design: Sobol indices and Morris screening (SALib), with intervals.

The path is the same for the model and for a test function: an experiment whose design is ``sobol-indices`` or
``morris`` is run by :func:`sim.experiments.sweep.sweep` into a results store, then :func:`sobol` or :func:`morris` reads
the KPI's mean over replications at each design point, in point order, and hands it to SALib together with the
design in the unit hypercube. :class:`Ishigami` is an evaluator with known indices that can stand in for the
model to check that path.

Returned tables are tidy: one row per (factor, index) with ``value``, ``low``, ``high`` (a ``confidence``
interval from SALib's bootstrap), ready for :func:`sim.outputs.plots.tornado`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.experiments.batch import check_names
from sim.experiments.designs import purpose_seed, unit_problem

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from sim.experiments.sweep import SweepResult

SENSITIVITY_COLUMNS = ["kpi", "setup", "factor", "index", "value", "low", "high"]


# --------------------------------------------------------------------------------------------- a test function
def ishigami_function(payload: Mapping[str, Any], setup: str, seed: np.random.SeedSequence) -> tuple[dict, dict]:
    """Evaluate the Ishigami function at ``payload`` (``x1, x2, x3`` in [-pi, pi], ``a``, ``b``, ``noise``).

    Returns ``({"y": value}, {})``. With ``noise > 0`` a normal error of that standard deviation, drawn from
    ``seed``, is added (replications then differ).
    """
    x1, x2, x3 = (float(payload[k]) for k in ("x1", "x2", "x3"))
    a, b = float(payload["a"]), float(payload["b"])
    y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)
    if payload.get("noise", 0.0):
        y += float(payload["noise"]) * float(np.random.default_rng(seed).standard_normal())
    return {"y": y}, {}


class Ishigami:
    """Evaluator of the Ishigami function (Ishigami & Homma 1990) in place of the model.

    Factors are named ``x1``, ``x2``, ``x3`` and should range over [-pi, pi]; the KPI is ``y``. Its analytic
    indices are given by :meth:`indices`.
    """

    evaluate = staticmethod(ishigami_function)
    default_setups = ["ishigami"]

    def __init__(self, a: float = 7.0, b: float = 0.1, noise: float = 0.0):
        self.a, self.b, self.noise = float(a), float(b), float(noise)

    def check_setups(self, setups: Sequence[str]) -> list[str]:

        return check_names(setups)

    def prepare(self, params: Mapping[str, Any]) -> tuple[dict[str, float], str]:
        missing = [k for k in ("x1", "x2", "x3") if k not in params]
        if missing:
            raise ValueError(f"design.factors: the Ishigami function needs factors {', '.join(missing)}")
        payload = {**{k: float(params[k]) for k in ("x1", "x2", "x3")}, "a": self.a, "b": self.b,
                   "noise": self.noise}
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        return payload, digest

    def indices(self) -> dict[str, list[float]]:
        """Analytic first-order (``S1``) and total (``ST``) indices of x1, x2, x3."""
        a, b, pi = self.a, self.b, math.pi
        v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
        v2 = a**2 / 8
        v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
        var = v1 + v2 + v13
        return {"S1": [v1 / var, v2 / var, 0.0], "ST": [(v1 + v13) / var, v2 / var, v13 / var]}


# --------------------------------------------------------------------------------------------- analysis
def point_means(sweep: SweepResult, kpi: str, setup: str | None = None) -> np.ndarray:
    """Mean of ``kpi`` over replications at each design point, in point order (one setup; default the first).

    Raises ``ValueError`` if the KPI is unknown or some point has no value (failed or missing replications).
    """
    runs = sweep.runs()
    setup = setup if setup is not None else sweep.plan.setups[0]
    rows = runs[(runs["kpi"] == kpi) & (runs["setup"] == setup)]
    if rows.empty:
        raise ValueError(f"kpi {kpi!r} of setup {setup!r} is not in the sweep's results")
    means = rows.groupby("point")["value"].mean().reindex(range(len(sweep.plan.points)))
    missing = int(means.isna().sum())
    if missing:
        raise ValueError(f"{kpi}: {missing} of {len(means)} design points have no value (failed or NaN "
                         "replications); rerun the sweep to retry failures")
    return means.to_numpy(dtype=float)


def _design(sweep: SweepResult, kind: str) -> tuple[Any, list[str]]:
    design = sweep.experiment.design
    if design.kind != kind:
        raise ValueError(f"design kind is {design.kind!r}; this analysis needs {kind!r}")
    return design, design.names


def sobol(sweep: SweepResult, kpi: str, setup: str | None = None, confidence: float | None = None,
          resamples: int = 200) -> pd.DataFrame:
    """First-order (``S1``) and total (``ST``) Sobol indices of ``kpi`` from a ``sobol-indices`` sweep.

    Uses SALib's estimators (Saltelli 2010, Jansen) on the per-point means, with bootstrap intervals at
    ``confidence`` (default: the experiment's). Returns the tidy table of :data:`SENSITIVITY_COLUMNS`.
    """
    import pandas as pd
    from SALib.analyze import sobol as salib_sobol


    _, names = _design(sweep, "sobol-indices")
    conf = sweep.experiment.confidence if confidence is None else confidence
    y = point_means(sweep, kpi, setup)
    rng = np.random.default_rng(purpose_seed(sweep.experiment.seed, "sensitivity"))
    res = salib_sobol.analyze(unit_problem(names), y, calc_second_order=False, num_resamples=resamples,
                              conf_level=conf, seed=int(rng.integers(2**31)))
    setup = setup if setup is not None else sweep.plan.setups[0]
    rows = [(kpi, setup, name, index, float(res[index][i]), float(res[index][i] - res[f"{index}_conf"][i]),
             float(res[index][i] + res[f"{index}_conf"][i]))
            for index in ("S1", "ST") for i, name in enumerate(names)]
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def morris(sweep: SweepResult, kpi: str, setup: str | None = None, confidence: float | None = None,
           resamples: int = 200) -> pd.DataFrame:
    """Morris screening of ``kpi`` from a ``morris`` sweep: ``mu_star`` (with its bootstrap interval), ``mu``
    and ``sigma`` of the elementary effects, per factor, in KPI units per unit of the factor's range.

    Returns the tidy table of :data:`SENSITIVITY_COLUMNS` (``low``/``high`` NaN for ``mu`` and ``sigma``).
    """
    import pandas as pd
    from SALib.analyze import morris as salib_morris


    design, names = _design(sweep, "morris")
    conf = sweep.experiment.confidence if confidence is None else confidence
    y = point_means(sweep, kpi, setup)
    x = design.unit_sample(sweep.experiment.seed)
    rng = np.random.default_rng(purpose_seed(sweep.experiment.seed, "sensitivity"))
    res = salib_morris.analyze(unit_problem(names), x, y, num_resamples=resamples, conf_level=conf,
                               num_levels=design.levels, seed=int(rng.integers(2**31)))
    setup = setup if setup is not None else sweep.plan.setups[0]
    nan = float("nan")
    rows = []
    for i, name in enumerate(names):
        mu_star, half = float(res["mu_star"][i]), float(res["mu_star_conf"][i])
        rows.append((kpi, setup, name, "mu_star", mu_star, mu_star - half, mu_star + half))
        rows.append((kpi, setup, name, "mu", float(res["mu"][i]), nan, nan))
        rows.append((kpi, setup, name, "sigma", float(res["sigma"][i]), nan, nan))
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def analyse(sweep: SweepResult, kpis: Sequence[str], setups: Sequence[str] | None = None) -> pd.DataFrame:
    """Sobol or Morris (by design kind) for each KPI and setup; one tidy table.

    Which factors of a sweep move a KPI, and how much: for a ``sobol-indices`` design, the first-order (``S1``)
    and total (``ST``) Sobol indices (SALib's estimators); for a ``morris`` design, the Morris screening measures
    of the elementary effects. Each reads the KPI's mean over replications at every design point, in point order.

    Parameters
    ----------
    sweep : SweepResult
        What ``sim.sweep`` returned for an experiment whose design kind is ``sobol-indices`` or ``morris``.
    kpis : sequence of str
        The KPIs to analyse: names in the sweep's runs (the model's KPIs, or derived margins such as
        ``operating_margin``), e.g. the experiment's ``kpis``.
    setups : sequence of str, optional
        The setups to analyse, each on its own. Default None: every setup of the sweep.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi, setup, factor, index, value, low, high``, one row per (KPI, setup, factor, index).
        Sobol: ``index`` ``S1`` and ``ST``, shares of the KPI's variance over the design (0–1), with ``low`` and
        ``high`` SALib's bootstrap interval at the experiment's ``confidence``. Morris: ``mu_star`` (mean absolute
        elementary effect, with its bootstrap interval), ``mu`` and ``sigma`` (``low``/``high`` NaN), in the KPI's
        unit per unit of the factor's range (the change across the whole range).

    Raises
    ------
    ValueError
        The design is neither ``sobol-indices`` nor ``morris``; a KPI or setup is not in the sweep's results; a
        design point has no value (failed or NaN replications: rerun the sweep to retry failures).

    See Also
    --------
    - ``sim.sweep`` : runs the design.
    - ``sim.tornado_figure`` : one KPI and setup's indices as a chart.

    Notes
    -----
    The intervals are SALib's bootstrap over the design points. The simulation's own noise enters through the
    per-point means (one or a few replications each) and is not separated from the factors' effects.

    Examples
    --------
    ```python
    import sim

    if __name__ == "__main__":
        exp = sim.experiment_from_dict({
            "name": "screening-demo",
            "scenario": "scenarios/default.yaml",
            "overrides": {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 300},  # a quick demo
            "setups": ["omnichannel"],
            "replications": 1,
            "seed": 5,
            "design": {"kind": "morris", "n": 4, "levels": 4, "factors": {
                "stores.0.staff": {"low": 2, "high": 8, "integer": True},
                "fulfilment.cart_friction": {"low": 0.0, "high": 0.6},
            }},
            "kpis": ["conversion_rate"],
        })
        result = sim.sweep(exp, workers=1, progress=False)
        print(sim.sensitivity_table(result, ["conversion_rate"]))
    ```
    """
    import pandas as pd

    kind = sweep.experiment.design.kind
    if kind not in ("sobol-indices", "morris"):
        raise ValueError(f"sensitivity needs a sobol-indices or morris design (got {kind!r})")
    fn = sobol if kind == "sobol-indices" else morris
    parts = [fn(sweep, kpi, s) for s in (setups or sweep.plan.setups) for kpi in kpis]
    return pd.concat(parts, ignore_index=True)
