"""Experiments, the public API: compare setups over replications, sweep experiment files, add replications until
a target precision, recommend a staffing against targets, suggest a warm-up (Welch's method on the daily stock),
judge a baseline against operating benchmarks, and turn model results into tidy tables.

Every function here runs through one runner, :func:`sim.experiments.batch.run_batch`, on any executor (serial, local
processes, Dask); seeds come from :mod:`sim.experiments.seeding` (common random numbers across setups, the same numbers on
every backend). :class:`ModelEvaluator` is the simulation as the runner's :class:`~sim.experiments.batch.Evaluator`.

The names of :mod:`sim.experiments.seeding` and :mod:`sim.experiments.batch` that callers used to import from here still can be.
Uses numpy; pandas, tqdm, sqlite and Dask are imported by the functions that need them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.model import run
from sim.experiments.batch import (
    BatchError,
    BatchSummary,
    Collector,
    Evaluator,
    Plan,
    SchedulerError,
    SetupError,
    check_names,
    cpus,
    execute_task,
    executor_for,
    missing,
    plan_hashes,
    raise_failures,
    run_batch,
)
from sim.experiments.designs import ExperimentError, factor_problems, load_experiment
from sim.experiments.seeding import replication_seed, seeds
from sim.experiments.store import PlanKeys, Store
from sim.scenario import benchmarks
from sim.scenario.schema import ScenarioError, load_scenario, scenario_from_dict, scenario_hash
from sim.scenario.setups import SETUP_NAMES, available

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from sim.core.model import Result
    from sim.experiments.designs import Experiment

__all__ = [  # the public API; the runner's and the seeds' names are re-exported for callers that used them here
    "PLAUSIBILITY_DAYS", "PLAUSIBILITY_WARMUP_DAYS", "RUN_COLUMNS", "BatchError", "BatchSummary", "Collector",
    "Evaluator", "ModelEvaluator", "Plan", "Replication", "ResultEvaluator", "SchedulerError", "SequentialResult",
    "SetupError", "Staffing", "SweepResult", "WARMUP_SERIES", "WARMUP_TOLERANCE", "WarmupSuggestion",
    "breakdown_table", "check_plausibility", "check_setups", "compare", "compare_runs", "cpus", "daily_means",
    "daily_table", "default_store_path", "execute_task", "executor_for", "experiment_evaluator", "kpi_table",
    "meets", "missing", "plan_hashes", "recommend_staff", "replicate", "replicate_results", "replication_seed",
    "run_batch", "run_model", "run_result", "seeds", "sequential", "suggest_warmup", "sweep", "welch_window",
]
RUN_COLUMNS = ["setup", "replication", "kpi", "value"]


@dataclass(frozen=True)
class Replication:
    """One finished run: which setup, which replication number (from 0), and the model's result."""

    setup: str
    replication: int
    result: Result


# ============================================================================================= the model
def run_model(scenario: Any, setup: str, seed: np.random.SeedSequence) -> tuple[dict, dict]:
    """Run one replication of the simulation; return ``(kpis, daily)``. Top-level so workers can import it."""

    result = run(scenario, setup=setup, seed=seed)
    return result.kpis, result.daily


def run_result(scenario: Any, setup: str, seed: np.random.SeedSequence) -> Result:
    """Run one replication of the simulation; return its whole result. Top-level so workers can import it."""

    return run(scenario, setup=setup, seed=seed)


class ModelEvaluator:
    """The simulation as an :class:`~sim.experiments.batch.Evaluator`: a design point's params are dotted-path overrides of
    ``scenario``."""

    evaluate: staticmethod[[Any, str, np.random.SeedSequence], Any] = staticmethod(run_model)  # or a Result (below)

    def __init__(self, scenario: Any):

        self.scenario = scenario
        self.base_hash = scenario_hash(scenario)
        self._data: dict | None = None

    @property
    def default_setups(self) -> list[str]:

        return list(SETUP_NAMES)

    def check_setups(self, setups: Sequence[str]) -> list[str]:
        return check_setups(self.scenario, setups)

    def prepare(self, params: Mapping[str, Any]) -> tuple[Any, str]:
        """Return the point's validated scenario and its content hash (raises ``ScenarioError``)."""
        if not params:
            return self.scenario, self.base_hash

        if self._data is None:
            self._data = self.scenario.model_dump(mode="json")
        scenario = scenario_from_dict(self._data, dict(params))
        return scenario, scenario_hash(scenario)


class ResultEvaluator(ModelEvaluator):
    """The simulation returning its whole :class:`sim.core.model.Result` (breakdowns included), for in-memory results."""

    evaluate = staticmethod(run_result)


# ============================================================================================= checks
def check_setups(scenario: Any, setups: Sequence[str]) -> list[str]:
    """Return ``setups`` as a list after checking it is non-empty, has no repeats and every name exists.

    Raises :class:`~sim.experiments.batch.SetupError` (a ``ValueError``) naming the unknown setup(s) and the allowed names.
    """

    return check_names(setups, list(available(scenario)))


def _check_counts(replications: int, workers: int | None, seed: int) -> None:
    if not isinstance(replications, int | np.integer) or replications < 1:
        raise ValueError(f"replications must be an integer >= 1 (got {replications!r})")
    if workers is not None and (not isinstance(workers, int | np.integer) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1 (got {workers!r})")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")


def _raise_failures(store: Store, summary: BatchSummary) -> None:
    raise_failures(summary, store.path)


# ============================================================================================= comparisons
@contextmanager
def _store(store: Store | str | os.PathLike | None) -> Iterator[Store]:
    if isinstance(store, Store):
        yield store
        return
    with Store(":memory:" if store is None else store) as st:
        yield st


def replicate(
    scenario: Any,
    setups: Sequence[str],
    replications: int,
    seed: int = 0,
    workers: int | None = 1,
    progress: bool = False,
    *,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Run the replications and return the tidy table ``setup, replication, kpi, value``.

    One row per (setup, replication, kpi), sorted by setup (order given), replication, then KPI in the model's
    order; identical for any backend: ``workers=1`` serial, ``workers=N`` N local processes (``None``: one per
    CPU; never more than there are replications to run), ``client=`` a ``dask.distributed.Client`` or
    ``scheduler=`` the address of a Dask scheduler (:class:`~sim.experiments.batch.SchedulerError` if it cannot be reached),
    or ``executor=`` any ``concurrent.futures`` executor. ``store`` (a :class:`~sim.experiments.store.Store` or a file path)
    keeps the runs, so a rerun only runs what is missing. Raises :class:`~sim.experiments.batch.SetupError` (a ``ValueError``)
    for bad setup names, :class:`BatchError` if a replication failed (its traceback is in the store).
    """
    names = check_setups(scenario, setups)
    _check_counts(replications, workers, seed)
    plan = Plan(({},), tuple(names), int(replications), int(seed))
    evaluator = ModelEvaluator(scenario)
    with _store(store) as st:
        todo = missing(plan, evaluator, st)
        if not todo:  # nothing to run: do not start a pool or connect to a cluster
            workers, client, scheduler, executor = 1, None, None, None
        with executor_for(workers, client, scheduler, executor, tasks=todo) as (ex, slots):
            summary = run_batch(plan, evaluator, st, ex, slots, progress)
        _raise_failures(st, summary)
        table = st.kpi_table(summary.keys)
    return table.drop(columns="point").reset_index(drop=True)


def replicate_results(
    scenario: Any,
    setups: Sequence[str],
    replications: int,
    seed: int = 0,
    workers: int | None = 1,
    progress: bool = False,
    *,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    on_result: Callable[[int, int], None] | None = None,
) -> list[Replication]:
    """Run ``replications`` replications of each setup and return the full results (breakdowns included).

    Returns a list of :class:`Replication` sorted by setup (in the order given) then replication number — the
    same whatever the backend (see :func:`replicate`), through the same runner, into an in-memory
    :class:`~sim.experiments.batch.Collector`. Holds every result in memory: for large batches use :func:`replicate` or
    :func:`sweep`, which stream into a store. Raises :class:`BatchError` if a replication failed.
    ``on_result(done, total)`` is called in the caller's thread as each replication finishes (a progress bar
    other than the terminal's, e.g. the dashboard's).
    """
    names = check_setups(scenario, setups)
    _check_counts(replications, workers, seed)
    plan = Plan(({},), tuple(names), int(replications), int(seed))
    sink = Collector() if on_result is None else _Reporting(on_result, len(names) * int(replications))
    with executor_for(workers, client, scheduler, executor, tasks=len(names) * int(replications)) as (ex, slots):
        summary = run_batch(plan, ResultEvaluator(scenario), sink, ex, slots, progress)
    raise_failures(summary)
    assert summary.keys is not None
    return [Replication(o.key.setup, o.key.replication, o.result) for o in sink.ok(summary.keys)]


class _Reporting(Collector):
    """A :class:`~sim.experiments.batch.Collector` that reports each outcome written to it: ``callback(done, total)``."""

    def __init__(self, callback: Callable[[int, int], None], total: int):
        super().__init__()
        self.callback, self.total, self.done = callback, total, 0

    def write(self, outcome: Any) -> None:
        super().write(outcome)
        self.done += 1
        self.callback(self.done, self.total)


def compare_runs(
    scenario: Any,
    setups: Sequence[str] | None = None,
    replications: int = 10,
    seed: int = 0,
    workers: int | None = 1,
    confidence: float = 0.95,
    progress: bool = False,
    *,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(summary, runs)``: :func:`sim.experiments.analysis.summarise` of the replicate table, and the table.

    The baseline of the paired differences is the first setup; ``setups=None`` means the three
    named setups of ``sim.scenario.setups.SETUP_NAMES``. At least two replications are needed. Backends as in
    :func:`replicate`.
    """
    if setups is None:

        setups = list(SETUP_NAMES)
    if not isinstance(replications, int | np.integer) or replications < 2:
        raise ValueError(f"replications must be an integer >= 2 for confidence intervals (got {replications!r})")
    from sim.experiments import analysis

    analysis.check_confidence(confidence)
    runs = replicate(scenario, setups, replications, seed, workers, progress, client=client, scheduler=scheduler,
                     executor=executor, store=store)
    summary = analysis.summarise(runs, baseline=list(setups)[0], confidence=confidence)
    return summary, runs


def compare(
    scenario: Any,
    setups: Sequence[str] | None = None,
    replications: int = 10,
    seed: int = 0,
    workers: int | None = 1,
    confidence: float = 0.95,
    progress: bool = False,
    *,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Compare setups over replications; return the summary table of :func:`sim.experiments.analysis.summarise`.

    One row per (setup, kpi) with mean, t-interval and paired difference against the first setup.
    ``workers=1`` runs serially, ``workers=N`` on N local processes, ``client=`` or ``scheduler=`` on a Dask
    cluster.
    """
    return compare_runs(scenario, setups, replications, seed, workers, confidence, progress, client=client,
                        scheduler=scheduler, executor=executor, store=store)[0]


# ============================================================================================= sweeps
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
        """Tidy table ``point, setup, replication, kpi, value`` of the plan's successful replications."""
        return self.store.kpi_table(self.keys)

    def points(self) -> pd.DataFrame:
        """``point, scenario_hash`` and one column per factor."""
        return self.store.points_table(self.keys)

    def daily(self) -> pd.DataFrame:
        return self.store.daily_table(self.keys)

    def failures(self) -> pd.DataFrame:
        return self.store.failures(self.keys)

    def export(self, directory: str | os.PathLike, formats: Sequence[str] = ("csv", "parquet")) -> list[Path]:
        """Write the plan's tables (runs with factor values, points, replications, daily) to ``directory``."""
        return self.store.export(directory, self.keys, formats)

    def summary_table(self) -> pd.DataFrame:
        """Per point: mean, t-interval and paired difference against the first setup (:func:`sim.experiments.analysis.summarise`)."""
        from sim.experiments import analysis

        return analysis.summarise_points(self.runs(), self.points(), baseline=self.plan.setups[0],
                                         confidence=self.experiment.confidence)


def experiment_evaluator(experiment: Experiment, overrides: Mapping[str, Any] | None = None) -> ModelEvaluator:
    """The model evaluator of an experiment file: its scenario with its overrides (then ``overrides``) applied.

    Raises :class:`sim.experiments.designs.ExperimentError` with one line per problem (scenario or factor ranges).
    """

    if experiment.scenario is None:
        raise ExperimentError(["scenario: required field is missing (a scenario file to run)"])
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
    """Run an experiment (an :class:`~sim.experiments.designs.Experiment` or an experiment file) into a results store.

    Every (design point, setup, replication) not yet stored as ok is run; ``store`` is a :class:`Store`, a file
    path (created if needed: rerunning the same call resumes) or None (in memory). ``workers=None`` is one local
    process per CPU, 1 is serial; ``client``/``scheduler`` run on Dask; ``evaluator`` replaces the model (default
    :class:`ModelEvaluator` of the experiment's scenario). Failed replications are stored and counted in
    ``result.summary``, not raised. Raises :class:`sim.experiments.designs.ExperimentError` for a bad experiment.
    """

    exp = experiment if not isinstance(experiment, str | os.PathLike) else load_experiment(experiment)
    ev = evaluator if evaluator is not None else experiment_evaluator(exp, overrides)
    try:
        setups = ev.check_setups(exp.setups or ev.default_setups)
    except ValueError as exc:
        raise ExperimentError([str(exc)]) from None
    _check_counts(exp.replications, workers, exp.seed)
    plan = Plan(tuple(exp.points()), tuple(setups), exp.replications, exp.seed, design=exp.design.kind != "none")
    st = store if isinstance(store, Store) else Store(":memory:" if store is None else store)
    st.set_meta({"experiment": exp.model_dump(mode="json")})
    todo = missing(plan, ev, st)
    if not todo:  # nothing to run: do not start a pool or connect to a cluster
        workers, client, scheduler, executor = 1, None, None, None
    with executor_for(workers, client, scheduler, executor, tasks=todo) as (ex, slots):
        summary = run_batch(plan, ev, st, ex, slots, progress, desc=exp.name, command=command)
    return SweepResult(exp, st, plan, summary)


# ============================================================================================= sequential
@dataclass
class SequentialResult:
    """Outcome of :func:`sequential`: the runs table, replications used, whether the target was met, the last
    step's half-widths (per setup and KPI, or per change with ``criterion="paired"``) and the history of the
    worst one after each step."""

    runs: pd.DataFrame
    replications: int
    reached: bool
    half_widths: pd.DataFrame
    history: list[tuple[int, float]]


CRITERIA = ("mean", "paired")
""":func:`sequential`'s stopping rules: each setup's mean, or each setup's paired difference with the baseline."""


def sequential(
    scenario: Any,
    setups: Sequence[str],
    kpis: Sequence[str],
    target: float = 0.05,
    min_replications: int = 5,
    max_replications: int = 100,
    step: int | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    workers: int | None = 1,
    *,
    criterion: str = "mean",
    points: float | None = None,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
    evaluator: Any = None,
    progress: bool = False,
) -> SequentialResult:
    """Add replications until every ``kpi`` meets the ``criterion``'s target (or the cap).

    Starts with ``min_replications``, then adds ``step`` replications at a time (default: the number of parallel
    slots; 1 stops at the first replication count that meets the target) up to ``max_replications``.
    Replication ``r`` always has the same seed, so the runs equal a fixed-size run of the final count.

    ``criterion="mean"`` (the default): every setup's mean has a relative half-width (t-interval half-width /
    |mean|, :func:`sim.experiments.analysis.relative_half_width`) <= ``target``; ``history`` lists (replications, worst
    relative half-width) after each step. ``criterion="paired"``: every setup's change against the first setup
    (the baseline, paired by replication: common random numbers) is known to the decision summary's precision,
    :func:`sim.experiments.changes.change_half_widths`: the paired difference's half-width <= ``target`` of the baseline
    mean for amounts, <= ``points`` (default :data:`sim.experiments.changes.TARGET_POINTS_HALF_WIDTH`, 1 point) for
    shares and scores; ``history`` lists (replications, worst half-width over its target), met at <= 1. This is
    the rule behind the decision summary's caution, so its advice is what this function does.
    """
    from sim.experiments import analysis
    from sim.experiments import changes as precision

    if not 2 <= min_replications <= max_replications:
        raise ValueError(f"need 2 <= min_replications <= max_replications (got {min_replications}, {max_replications})")
    if not target > 0:
        raise ValueError(f"target must be a positive relative half-width (got {target!r})")
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)} (got {criterion!r})")
    points = precision.TARGET_POINTS_HALF_WIDTH if points is None else points
    if not points > 0:
        raise ValueError(f"points must be a positive half-width in points (got {points!r})")
    if criterion == "paired" and len(setups) < 2:
        raise ValueError("criterion='paired' needs a baseline and at least one other setup (got "
                         f"{len(setups)} setup)")
    ev = evaluator if evaluator is not None else ModelEvaluator(scenario)
    names = ev.check_setups(setups)
    n, history = int(min_replications), []
    with _store(store) as st, executor_for(workers, client, scheduler, executor) as (ex, slots):
        inc = int(step) if step else max(1, slots)
        while True:
            plan = Plan(({},), tuple(names), n, int(seed))
            summary = run_batch(plan, ev, st, ex, slots, progress, desc=f"sequential n={n}")
            _raise_failures(st, summary)
            runs = st.kpi_table(summary.keys).drop(columns="point")
            if criterion == "mean":
                hw = analysis.relative_half_widths(runs, kpis, confidence)
                worst, limit = float(hw["relative_half_width"].max()), target
            else:
                hw = _paired_half_widths(runs, kpis, names[0], target, points, confidence)
                worst, limit = float(hw["ratio"].max()) if hw["ratio"].notna().any() else 0.0, 1.0
            history.append((n, worst))
            if worst <= limit or n >= max_replications:
                return SequentialResult(runs, n, worst <= limit, hw, history)
            n = min(n + inc, int(max_replications))


def _paired_half_widths(runs: pd.DataFrame, kpis: Sequence[str], baseline: str, target: float, points: float,
                        confidence: float) -> pd.DataFrame:
    """:func:`sim.experiments.changes.change_half_widths` of ``kpis`` from a replicate table, against ``baseline``."""
    from sim.experiments import analysis
    from sim.experiments import changes as precision

    missing = [k for k in kpis if k not in set(runs["kpi"])]
    if missing:
        raise ValueError(f"kpis: {', '.join(map(repr, missing))} not in the runs table")
    summary = analysis.summarise(runs[runs["kpi"].isin(list(kpis))], baseline=baseline, confidence=confidence)
    return precision.change_half_widths(summary, list(kpis), target, points)


# ============================================================================================= staffing
@dataclass
class Staffing:
    """Outcome of :func:`recommend_staff`: one row per staff level (``table``: ``staff``, ``replications``,
    ``reached`` (the target half-width met), each target's and each reported KPI's mean and ``<kpi>_half_width``,
    and ``meets_targets``), and the smallest level that meets every target (None if none does)."""

    table: pd.DataFrame
    recommended: int | None
    targets: dict[str, tuple[str, float]]


def meets(value: float, op: str, threshold: float) -> bool:
    """Whether ``value`` meets a target given as ``(op, threshold)``, ``op`` one of ``>=`` and ``<=``."""
    if op not in (">=", "<="):
        raise ValueError(f"a target's operator must be '>=' or '<=' (got {op!r})")
    return bool(value >= threshold) if op == ">=" else bool(value <= threshold)


def recommend_staff(scenario: Any, setup: str, staff_options: Sequence[int],
                    targets: Mapping[str, tuple[str, float]], report: Sequence[str] = (), seed: int = 0,
                    target: float = 0.05, min_replications: int = 5, max_replications: int = 30,
                    workers: int | None = 1) -> Staffing:
    """The smallest floor staff per store (the same level in every store) at which ``setup`` meets ``targets``.

    ``targets`` maps a KPI to ``(">=" or "<=", threshold)``, e.g. ``{"store_service_level": (">=", 0.8)}``;
    ``report`` names KPIs shown beside them without a target. Each staff level runs :func:`sequential` on the
    target KPIs: replications are added until each mean's relative half-width is at most ``target`` (or
    ``max_replications``), on the same seeds at every level (common random numbers: the same customers meet each
    staffing). A level meets the targets when every target KPI's mean does. The consultant notebook and its test
    call this, so the recommendation the notebook shows is the one tested.
    """
    import pandas as pd

    from sim.experiments import analysis

    for op, _ in targets.values():
        meets(0.0, op, 0.0)  # an unknown operator is refused before any run
    data = scenario.model_dump(mode="json")
    shown = list(dict.fromkeys([*targets, *report]))
    rows = []
    for staff in staff_options:
        level = scenario_from_dict(data, {f"stores.{i}.staff": int(staff) for i in range(len(scenario.stores))})
        seq = sequential(level, [setup], list(targets), target, min_replications, max_replications, seed=seed,
                         workers=workers)
        hw = analysis.relative_half_widths(seq.runs, shown).set_index("kpi")
        row: dict[str, Any] = {"staff": int(staff), "replications": seq.replications, "reached": seq.reached}
        for kpi in shown:
            row[kpi] = float(hw.loc[kpi, "mean"])
            row[f"{kpi}_half_width"] = float(hw.loc[kpi, "half_width"])
        row["meets_targets"] = all(meets(row[k], op, x) for k, (op, x) in targets.items())
        rows.append(row)
    table = pd.DataFrame(rows)
    ok = table[table["meets_targets"]]
    return Staffing(table, int(ok["staff"].min()) if len(ok) else None, dict(targets))


# ============================================================================================= warm-up
WARMUP_SERIES = "on_hand_units"
"""The daily series Welch's method reads for a warm-up: units on hand over the whole network (stores and
warehouse) at the end of each day, the stock that starts at order-up-to and falls to its steady level."""
WARMUP_RUN_DAYS = 56.0   # eight weeks: the default's stock settles in about three, and Welch's level needs the rest
WARMUP_REPLICATIONS = 10
WARMUP_TOLERANCE = 0.02  # Welch's band around the steady level (sim.experiments.analysis.welch's default)


def welch_window(scenario: Any) -> int:
    """Welch's window ``w`` (the moving average spans ``2w + 1`` days) for the daily stock of ``scenario``.

    The stock series has a cycle of its own: each periodic review lifts it back towards order-up-to and the sales
    of the following days take it down again, and the weekly profile makes Saturday's sales unlike Tuesday's. A
    window shorter than that cycle leaves the sawtooth in the moving average, which then never stays within a
    tolerance of its level; a centred average over one whole cycle removes it (its mean over the cycle is what is
    left). So ``2w + 1`` covers the longest cycle: the longest review period of any periodic policy in the
    scenario (stores, warehouse, per category), and never less than the week of the weekly profile — ``w = 3``
    (7 days) for weekly or daily reviews, ``w = 7`` (15 days) for fortnightly ones.
    """
    cycle = 7.0
    nodes = [*scenario.stores, *([scenario.warehouse] if scenario.warehouse else [])]
    for node in nodes:
        for policy in (node.replenishment, *node.replenishment.by_category.values()):
            if policy.policy == "periodic":
                cycle = max(cycle, float(policy.review_days))
    return int(np.ceil((cycle - 1) / 2))


@dataclass(frozen=True)
class WarmupSuggestion:
    """What :func:`suggest_warmup` found: Welch's method on each setup's daily stock (``welch``, by setup) and the
    warm-up to use, the days of the setup whose stock settles last (``days``; None when one has not settled in
    the run: see :meth:`settled`)."""

    welch: dict[str, Any]
    run_days: float
    replications: int
    seed: int
    series: str = WARMUP_SERIES

    def settled(self, setup: str) -> bool:
        """Whether ``setup``'s stock settled: Welch's average stays in its band from some day on, and that day
        leaves at least half the moving average after it (the steady level is the mean of its second half)."""
        w = self.welch[setup]
        return w.warmup is not None and w.warmup <= w.moving_average.size // 2

    @property
    def slowest(self) -> list[str]:
        """The setups whose stock settles last (those that have not settled, if any)."""
        def late(s: str) -> tuple[bool, int]:
            return not self.settled(s), self.welch[s].warmup or 0

        last = max(late(s) for s in self.welch)
        return [s for s in self.welch if late(s) == last]

    @property
    def days(self) -> int | None:
        """The suggested warm-up in whole days, or None when a setup's stock has not settled in the run."""
        s = self.slowest[0]
        return self.welch[s].warmup if self.settled(s) else None


def suggest_warmup(scenario: Any, setups: Sequence[str] | None = None, replications: int = WARMUP_REPLICATIONS,
                   days: float = WARMUP_RUN_DAYS, seed: int = 0, workers: int | None = 1,
                   window: int | None = None, tolerance: float = WARMUP_TOLERANCE,
                   progress: bool = False) -> WarmupSuggestion:
    """Suggest a warm-up for ``scenario`` by Welch's method on its daily network stock (:data:`WARMUP_SERIES`).

    Runs ``replications`` replications of ``days`` days from the start (the scenario's own horizon and warm-up
    replaced; stock starts at order-up-to) under each setup (default: every setup the scenario offers, on common
    random numbers) and applies :func:`sim.experiments.analysis.welch_daily` to each setup's series with the window of
    :func:`welch_window` and ``tolerance`` (relative to the steady level). The suggestion is the warm-up of the
    setup whose stock settles last, so one warm-up serves every comparison of the scenario. ``workers``: local
    processes, as in :func:`replicate`; the numbers are the same for any count.
    """
    from sim.experiments import analysis

    names = check_setups(scenario, list(setups) if setups is not None else list(available(scenario)))
    _check_counts(replications, workers, seed)
    w = welch_window(scenario) if window is None else int(window)
    if not days >= 2 * (2 * w + 1):
        raise ValueError(f"days must cover two moving-average windows of {2 * w + 1} days (at least {4 * w + 2}; "
                         f"got {days!r})")
    run = scenario.model_copy(update={"horizon_days": float(days), "warmup_days": 0.0})
    plan = Plan(({},), tuple(names), int(replications), int(seed))
    with Store() as st:
        with executor_for(workers, None, None, None, tasks=len(names) * int(replications)) as (ex, slots):
            summary = run_batch(plan, ModelEvaluator(run), st, ex, slots, progress, desc="warm-up")
        _raise_failures(st, summary)
        daily = st.daily_table(summary.keys)
    welch = {s: analysis.welch_daily(daily, WARMUP_SERIES, s, w, tolerance) for s in names}
    return WarmupSuggestion(welch, float(days), int(replications), int(seed))


def default_store_path(out: str | os.PathLike) -> Path:
    """Where ``omnisim sweep --out DIR`` keeps its results store."""
    return Path(out) / "results.sqlite"


# ============================================================================================= tables
def kpi_table(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the tidy table ``setup, replication, kpi, value``: one row per result and KPI, in result order.

    Values are floats in the unit the KPI name says; a KPI with no data is NaN.
    """
    import pandas as pd

    rows = [
        (rep.setup, rep.replication, kpi, float(value))
        for rep in results
        for kpi, value in rep.result.kpis.items()
    ]
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return table.astype({"setup": str, "replication": int, "kpi": str, "value": float})


def daily_table(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the daily series as a tidy table ``setup, replication, series, day, value`` (day from 1)."""
    import pandas as pd

    rows = [
        (rep.setup, rep.replication, name, day, float(value))
        for rep in results
        for name, values in rep.result.daily.items()
        for day, value in enumerate(values, start=1)
    ]
    return pd.DataFrame(rows, columns=["setup", "replication", "series", "day", "value"])


def breakdown_table(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the breakdowns as a tidy table ``setup, replication, dimension, member, kpi, value``.

    ``dimension`` is e.g. "channel", "store" or "segment"; values are in the KPI's unit.
    """
    import pandas as pd

    rows = [
        (rep.setup, rep.replication, dim, member, kpi, float(value))
        for rep in results
        for dim, members in rep.result.breakdown.items()
        for member, kpis in members.items()
        for kpi, value in kpis.items()
    ]
    return pd.DataFrame(rows, columns=["setup", "replication", "dimension", "member", "kpi", "value"])


def daily_means(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the per-day means over replications, the tidy table ``setup, series, day, mean`` of
    :func:`sim.experiments.analysis.daily_means` (the input of ``plots.daily_series`` and ``plots.stock_over_time``)."""
    from sim.experiments import analysis

    return analysis.daily_means(results)


# ============================================================================================= plausibility
PLAUSIBILITY_WARMUP_DAYS = 14.0  # weekly stock cycles, returns (about a week) and repeat journeys settle first
PLAUSIBILITY_DAYS = 14.0         # two whole weeks measured after the warm-up


def check_plausibility(scenario: Any, setup: str = "multichannel", replications: int = 3, seed: int = 0,
                       days: float = PLAUSIBILITY_DAYS, warmup_days: float = PLAUSIBILITY_WARMUP_DAYS,
                       workers: int | None = 1) -> list[Any]:
    """Judge ``setup`` (the baseline) of ``scenario`` against the operating benchmarks of its sector.

    Runs ``replications`` replications of ``warmup_days`` + ``days`` (the scenario's own horizon and warm-up are
    replaced: a short run without warm-up would start with full shelves and no returns yet) and returns one
    :class:`sim.scenario.benchmarks.Verdict` per applicable benchmark: the KPI's mean, its confidence half-width, in or out.
    ``workers``: local processes, as in :func:`replicate` (``None``: one per CPU, at most one per replication).
    """
    from sim.experiments import analysis

    if days <= 0 or warmup_days < 0:
        raise ValueError(f"days must be > 0 and warmup_days >= 0 (got {days!r}, {warmup_days!r})")
    short = scenario.model_copy(update={"horizon_days": warmup_days + days, "warmup_days": warmup_days})
    runs = replicate(short, [setup], replications, seed, workers)
    parts = frozenset(name for name, has in (("call_centre", scenario.call_centre is not None),
                                             ("stores", bool(scenario.stores)),
                                             ("online", scenario.warehouse is not None)) if has)
    wanted = {b.kpi for b in benchmarks.applicable(scenario.sector, parts)}
    means, half = {}, {}
    for kpi, values in runs[runs["kpi"].isin(wanted)].groupby("kpi")["value"]:
        means[kpi], lo, _ = analysis.t_interval(values)
        half[kpi] = 0.0 if np.isnan(lo) else means[kpi] - lo  # one replication: no interval
    return benchmarks.judge(means, scenario.sector, half, parts)
