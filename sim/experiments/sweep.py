"""Sweeps: an experiment file (a design over scenario fields) run into a resumable results store."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.experiments import analysis
from sim.experiments.batch import (
    BatchSummary,
    Plan,
    executor_for,
    missing,
    run_batch,
)
from sim.experiments.designs import ExperimentError, factor_problems, kpi_problems, load_experiment
from sim.experiments.margins import DERIVED, derived_margin
from sim.experiments.store import PlanKeys, Store
from sim.scenario.schema import ScenarioError, load_scenario

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sim.experiments.designs import Experiment
from sim.experiments.replicate import ModelEvaluator, check_counts


@dataclass
class SweepResult:
    """A finished (or partly failed) sweep: its store, plan, evaluator and batch summary."""

    experiment: Experiment
    store: Store
    plan: Plan
    summary: BatchSummary

    @property
    def keys(self) -> PlanKeys:
        assert self.summary.keys is not None
        return self.summary.keys

    def runs(self) -> pd.DataFrame:
        """Tidy table ``point, setup, replication, kpi, value`` of the plan's successful replications, the derived
        margins (``operating_margin``, ...: :func:`with_margins`) after the model's KPIs."""
        return with_margins(self.store.kpi_table(self.keys))

    def points(self) -> pd.DataFrame:
        """``point, scenario_hash`` and one column per factor."""
        return self.store.points_table(self.keys)

    def daily(self) -> pd.DataFrame:
        return self.store.daily_table(self.keys)

    def failures(self) -> pd.DataFrame:
        return self.store.failures(self.keys)

    def export(self, directory: str | os.PathLike, formats: Sequence[str] | None = None) -> list[Path]:
        """Write the plan's tables (runs with factor values, points, replications, daily) to ``directory``."""
        return self.store.export(directory, self.keys, formats)

    def summary_table(self) -> pd.DataFrame:
        """Per point: mean, t-interval and paired difference against the first setup (:func:`sim.experiments.analysis.summarise`),
        the derived margins (:data:`sim.experiments.margins.DERIVED`: ``operating_margin``, ...) included."""
        return analysis.summarise_points(self.runs(), self.points(), baseline=self.plan.setups[0],
                                         confidence=self.experiment.confidence)


def with_margins(runs: pd.DataFrame) -> pd.DataFrame:
    """A sweep's runs (``point, setup, replication, kpi, value``) with the derived margins of each point's
    replications appended (:func:`sim.experiments.margins.derived_margin`), when the model's ``gross_margin`` is
    there to derive them from (another evaluator's runs come back unchanged)."""
    if runs.empty or "gross_margin" not in set(runs["kpi"]):
        return runs
    parts = [runs]
    for point, grp in runs.groupby("point", sort=True):
        rows = grp.drop(columns="point")
        parts += [derived_margin(rows, m).assign(point=int(point))[list(runs.columns)] for m in DERIVED
                  if m not in set(rows["kpi"])]
    return pd.concat(parts, ignore_index=True)


def experiment_evaluator(experiment: Experiment, overrides: Mapping[str, Any] | None = None) -> ModelEvaluator:
    """The model evaluator of an experiment file: its scenario with its overrides (then ``overrides``) applied.

    Raises :class:`sim.experiments.designs.ExperimentError` with one line per problem (scenario or factor ranges).
    """
    if experiment.scenario is None:
        raise ExperimentError(["scenario: required field is missing (a scenario file to run)"])
    problems = kpi_problems(experiment, ModelEvaluator.kpi_names)
    if problems:  # before the scenario is read: a misspelt KPI costs no run
        raise ExperimentError(problems)
    try:
        scenario = load_scenario(experiment.scenario, {**experiment.overrides, **(overrides or {})})
    except ScenarioError as exc:
        prefix = f"{experiment.scenario}: "
        raise ExperimentError([p if p.startswith(prefix) else prefix + p for p in exc.problems]) from None
    problems = factor_problems(experiment, scenario.model_dump(mode="json"))
    if problems:
        raise ExperimentError(problems)
    return ModelEvaluator(scenario)


def sweep(
    experiment: Experiment | str | os.PathLike,
    store: Store | str | os.PathLike | None = None,
    *,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    evaluator: Any = None,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = True,
    command: str = "",
) -> SweepResult:
    """Run an experiment (an ``Experiment`` or an experiment file) into a results store.

    How the KPIs move over a design of scenario fields (a grid of staff levels, a Latin hypercube of service
    parameters, a Sobol or Morris design for sensitivity): every (design point, setup, replication) not yet stored
    as ok is run, on common random numbers across the setups of a point. The store makes a sweep resumable: an
    interrupted or partly failed sweep rerun with the same store runs only what is missing.

    Parameters
    ----------
    experiment : Experiment or str or os.PathLike
        A validated experiment (``sim.load_experiment``, ``sim.experiment_from_dict``) or the path of an
        experiment file (its ``scenario`` relative to the file).
    store : Store or str or os.PathLike, optional
        A results store (``sim.experiments.store.Store``) or the path of its SQLite file (created, with its
        folder, if needed: rerunning the same call resumes). Default None: in memory.
    workers : int or None, default None
        Local processes: None one per CPU (never more than the replications to run), 1 serial, N spawned
        processes; spawned workers import the calling script again (guard it with
        ``if __name__ == "__main__":``). The numbers are the same for any backend.
    client : dask.distributed.Client, optional
        Run on this Dask cluster (left open).
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``).
    executor : concurrent.futures.Executor, optional
        Any executor to run the replications on (left open).
    evaluator : object, optional
        Replaces the model (an object with ``evaluate``, ``prepare``, ``check_setups``, ``default_setups`` and
        optionally ``kpi_names``, e.g. a test function with known answers). Default None: the model on the
        experiment's scenario.
    overrides : mapping of str to object, optional
        Dotted paths set on the scenario after the experiment's own ``overrides`` and before each point's
        factors (as ``omnisim sweep --set``). Default None.
    progress : bool, default True
        Show a progress bar on the terminal.
    command : str, default ""
        The command line recorded with the batch in the store (what the CLI ran).

    Returns
    -------
    SweepResult
        ``experiment``, ``store`` (open; ``result.store.close()`` when done), ``plan`` and ``summary`` (replications
        ``planned``, ``stored_before``, ``ran``, ``ok``, ``failed``, ``failed_total``, ``wall_s`` seconds;
        ``describe()`` says it in a sentence). Its tables: ``runs()`` (``point, setup, replication, kpi, value``,
        the derived margins such as ``operating_margin`` in euros after the model's KPIs), ``points()``
        (``point, scenario_hash`` and one column per factor), ``summary_table()`` (``sim.summarise`` per point:
        mean, interval and paired difference against the first setup, the factor values beside them),
        ``daily()``, ``failures()`` (with their seeds and tracebacks); ``export(directory)`` writes them as CSV
        and Parquet.

    Raises
    ------
    ExperimentError
        (a ``ScenarioError``) One line per problem: a bad experiment file or field, an unknown KPI name (with the
        allowed ones, before any run), a scenario the experiment names that is missing or refused, a factor value
        the scenario refuses, an unknown setup.
    ValueError
        ``workers`` not an integer >= 1; a ``store`` file that is not a results store or that another sweep is
        writing (``StoreError``).
    ConnectionError
        ``scheduler`` cannot be reached, or Dask is not installed (``SchedulerError``).

    See Also
    --------
    - ``sim.load_experiment``, ``sim.experiment_from_dict`` : the experiment.
    - ``sim.sensitivity_table`` : Sobol or Morris indices from a sweep.

    Notes
    -----
    Failed replications are stored with their seed and traceback and counted in ``result.summary``, not
    raised: the tables hold the replications that succeeded.

    Examples
    --------
    ```python
    import sim

    if __name__ == "__main__":
        exp = sim.experiment_from_dict({
            "name": "staff-demo",
            "scenario": "scenarios/default.yaml",
            "overrides": {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 300},  # a quick demo
            "setups": ["multichannel", "omnichannel"],
            "replications": 2,
            "seed": 1,
            "design": {"kind": "grid", "factors": {"stores.0.staff": {"levels": [2, 4]}}},
            "kpis": ["store_service_level", "conversion_rate"],
        })
        result = sim.sweep(exp, "results/staff-demo/results.sqlite", workers=1, progress=False)
        print(result.summary.describe())
        table = result.summary_table()
        print(table[table["kpi"] == "store_service_level"][["point", "stores.0.staff", "setup", "mean", "diff"]])
        result.store.close()
    ```
    """
    exp = experiment if not isinstance(experiment, str | os.PathLike) else load_experiment(experiment)
    ev = evaluator if evaluator is not None else experiment_evaluator(exp, overrides)
    allowed = getattr(ev, "kpi_names", None)
    if allowed is not None and kpi_problems(exp, allowed):
        raise ExperimentError(kpi_problems(exp, allowed))
    try:
        setups = ev.check_setups(exp.setups or ev.default_setups)
    except ValueError as exc:
        raise ExperimentError([str(exc)]) from None
    check_counts(exp.replications, workers, exp.seed)
    plan = Plan(tuple(exp.points()), tuple(setups), exp.replications, exp.seed, design=exp.design.kind != "none")
    st = store if isinstance(store, Store) else Store(":memory:" if store is None else store)
    st.set_meta({"experiment": exp.model_dump(mode="json")})
    todo = missing(plan, ev, st)
    if not todo:  # nothing to run: do not start a pool or connect to a cluster
        workers, client, scheduler, executor = 1, None, None, None
    with executor_for(workers, client, scheduler, executor, tasks=todo) as (ex, slots):
        summary = run_batch(plan, ev, st, ex, slots, progress, desc=exp.name, command=command)
    return SweepResult(exp, st, plan, summary)


def default_store_path(out: str | os.PathLike) -> Path:
    """Where ``omnisim sweep --out DIR`` keeps its results store."""
    return Path(out) / "results.sqlite"
