"""Replications of a scenario under several setups, on common random numbers: the tidy KPI table
(:func:`replicate`), whole results (:func:`replicate_results`), and the comparison with intervals and paired
differences (:func:`compare`).

Every function here runs through one runner, :func:`sim.experiments.batch.run_batch`, on any executor (serial, local
processes, Dask); seeds come from :mod:`sim.experiments.seeding` (common random numbers across setups, the same
numbers on every backend). :class:`ModelEvaluator` is the simulation as the runner's
:class:`~sim.experiments.batch.Evaluator`. pandas is imported by the functions that need it, so a spawned worker,
which imports this module for the evaluator, starts light.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.kpis import KPI_NAMES
from sim.core.model import run
from sim.experiments.batch import (
    Collector,
    Plan,
    check_names,
    executor_for,
    missing,
    raise_failures,
    run_batch,
)
from sim.experiments.margins import DERIVED
from sim.experiments.store import Store
from sim.scenario.schema import scenario_argument, scenario_from_dict, scenario_hash
from sim.scenario.setups import SETUP_NAMES, available

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from sim.core.model import Result


RUN_COLUMNS = ["setup", "replication", "kpi", "value"]


@dataclass(frozen=True)
class Replication:
    """One finished run: which setup, which replication number (from 0), and the model's result."""

    setup: str
    replication: int
    result: Result


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
    kpi_names: tuple[str, ...] = (*KPI_NAMES, *DERIVED)
    """What an experiment file's ``kpis:`` may name: the model's KPIs and the margins derived from them."""

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


def check_setups(scenario: Any, setups: Sequence[str]) -> list[str]:
    """Return ``setups`` as a list after checking it is non-empty, has no repeats and every name exists.

    Raises :class:`~sim.experiments.batch.SetupError` (a ``ValueError``) naming the unknown setup(s) and the allowed names.
    """
    return check_names(setups, list(available(scenario)))


def _whole(n: Any) -> bool:
    return isinstance(n, int | np.integer) and not isinstance(n, bool)


def check_counts(replications: int, workers: int | None, seed: int) -> None:
    if not _whole(replications) or replications < 1:
        raise ValueError(f"replications must be an integer >= 1 (got {replications!r})")
    if workers is not None and (not _whole(workers) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1 (got {workers!r})")
    if not _whole(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")


@contextmanager
def open_store(store: Store | str | os.PathLike | None) -> Iterator[Store]:
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
    scenario = scenario_argument(scenario)
    names = check_setups(scenario, setups)
    check_counts(replications, workers, seed)
    plan = Plan(({},), tuple(names), int(replications), int(seed))
    evaluator = ModelEvaluator(scenario)
    with open_store(store) as st:
        todo = missing(plan, evaluator, st)
        if not todo:  # nothing to run: do not start a pool or connect to a cluster
            workers, client, scheduler, executor = 1, None, None, None
        with executor_for(workers, client, scheduler, executor, tasks=todo) as (ex, slots):
            summary = run_batch(plan, evaluator, st, ex, slots, progress)
        raise_failures(summary, st.path)
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
    scenario = scenario_argument(scenario)
    names = check_setups(scenario, setups)
    check_counts(replications, workers, seed)
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
    if not _whole(replications) or replications < 2:
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
