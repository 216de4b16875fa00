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

    For what a summary table leaves out: breakdowns by store, channel and segment, daily series, the funnel. The
    replications run on common random numbers, as in ``sim.compare``, through the same runner into memory; the
    results are what ``sim.write_comparison`` writes a results folder from. Holds every result in memory: for
    large batches use ``sim.compare`` or ``sim.sweep``, which stream into a store.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    setups : sequence of str
        The setups to run, each once (``sim.available_setups``); the first is the baseline of what is written
        from the results.
    replications : int
        Replications per setup, at least 1; replication ``r`` has the same seed under every setup.
    seed : int, default 0
        The root seed (non-negative): replication ``r`` runs on child ``r`` of ``SeedSequence(seed)``.
    workers : int or None, default 1
        Local processes: 1 runs serially in this process, N on N spawned processes (never more than there are
        replications to run), None one per CPU. Spawned workers import the calling script again: keep a script's
        work under ``if __name__ == "__main__":``. The numbers are the same for any backend.
    progress : bool, default False
        Show a progress bar on the terminal.
    client : dask.distributed.Client, optional
        Run on this Dask cluster (left open). Default None.
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``), connected to for this call and closed after.
    executor : concurrent.futures.Executor, optional
        Any executor to run the replications on (left open).
    on_result : callable, optional
        ``on_result(done, total)`` is called in the caller's thread as each replication finishes (a progress bar
        other than the terminal's, e.g. the dashboard's). Default None.

    Returns
    -------
    list of Replication
        Sorted by setup (in the order given) then replication number, the same whatever the backend. Each has
        ``setup`` (str), ``replication`` (int, from 0) and ``result`` (a ``sim.Result``: KPIs, daily series,
        breakdowns).

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused.
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path.
    ValueError
        A setup the scenario does not offer, repeated or none (``SetupError``, naming the allowed ones); a string
        instead of a list of setups; ``replications`` or ``workers`` not an integer >= 1; a negative ``seed``.
    ConnectionError
        ``scheduler`` cannot be reached, or Dask is not installed (``SchedulerError``).
    BatchError
        A replication raised: the message names the first failure (setup, replication, seed, traceback).

    See Also
    --------
    - ``sim.compare`` : the summary table only, streamed into a store.
    - ``sim.write_comparison`` : the results folder from these results.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    results = sim.replicate_results(sc, ["multichannel", "omnichannel"], replications=2, seed=1)
    for rep in results:
        print(rep.setup, rep.replication, rep.result.breakdown["channel"]["web"]["orders"])
    ```
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
    """Return ``(summary, runs)``: ``sim.summarise`` of the replicate table, and the table.

    ``sim.compare`` with the replications kept: the per-replication values are what ``sim.decision_summary``
    derives the operating margin and the payback from, and what a reader checks a summary against.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    setups : sequence of str, optional
        The setups to compare, each once (``sim.available_setups``); the first is the baseline of the paired
        differences. Default None: the three named setups of ``SETUP_NAMES``. A single setup gives its means and
        intervals only (said in ``summary.attrs["note"]``).
    replications : int, default 10
        Replications per setup, at least 2 (an interval needs two); replication ``r`` has the same seed under
        every setup (common random numbers).
    seed : int, default 0
        The root seed (non-negative): replication ``r`` runs on child ``r`` of ``SeedSequence(seed)``.
    workers : int or None, default 1
        Local processes: 1 runs serially in this process, N on N spawned processes (never more than there are
        replications to run), None one per CPU. Spawned workers import the calling script again: keep a script's
        work under ``if __name__ == "__main__":``. The numbers are the same for any backend.
    confidence : float, default 0.95
        Level of the intervals, strictly between 0 and 1.
    progress : bool, default False
        Show a progress bar on the terminal.
    client : dask.distributed.Client, optional
        Run on this Dask cluster (left open). Default None.
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``), connected to for this call and closed after.
    executor : concurrent.futures.Executor, optional
        Any executor to run the replications on (left open).
    store : Store or str or os.PathLike, optional
        A results store (``sim.experiments.store.Store``) or the path of its SQLite file (created, with its
        folder, if needed): the runs are kept there, so a rerun with the same arguments runs only what is
        missing. Default None: in memory.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (setup, KPI), as ``sim.summarise`` returns it (columns ``setup, kpi, n, mean, std, ci_low,
        ci_high, half_width, diff, diff_ci_low, diff_ci_high, diff_p_value, n_pairs, baseline``).
    runs : pandas.DataFrame
        One row per (setup, replication, KPI), columns ``setup, replication, kpi, value`` (the KPI's unit; NaN
        where it had no data), sorted by setup (order given), replication, then KPI in the model's order.

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused.
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path.
    ValueError
        A setup the scenario does not offer, repeated or none (``SetupError``, naming the allowed ones); a string
        instead of a list of setups; ``replications`` not an integer >= 2; ``workers`` not an integer >= 1; a
        negative ``seed``; ``confidence`` not strictly between 0 and 1; a ``store`` file that is not a results
        store (``StoreError``).
    ConnectionError
        ``scheduler`` cannot be reached, or Dask is not installed (``SchedulerError``).
    BatchError
        A replication raised: the message names the first failure (setup, replication, seed, traceback).

    See Also
    --------
    - ``sim.compare`` : the summary alone.
    - ``sim.decision_summary`` : the changes, verdicts and payback from both tables.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    summary, runs = sim.compare_runs(sc, setups=["multichannel", "omnichannel"], replications=3, seed=1)
    print(runs[runs["kpi"] == "revenue"])
    decision = sim.decision_summary(summary, runs=runs, scenario=sc,
                                    measured_days=sc.horizon_days - sc.warmup_days)
    for sentence in decision.sentences:
        print(sentence)
    ```
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
    """Compare setups over replications; return the summary table of ``sim.summarise``.

    The product's main question: what would each setup change for this retailer, against the baseline, and how
    sure can we be? Every setup runs the same replications on common random numbers (replication ``r`` meets the
    same customers with the same wishes under every setup), so the paired differences are the setups' own.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    setups : sequence of str, optional
        The setups to compare, each once (``sim.available_setups``); the first is the baseline of the paired
        differences. Default None: the three named setups of ``SETUP_NAMES``. A single setup gives its means and
        intervals only (said in ``attrs["note"]``).
    replications : int, default 10
        Replications per setup, at least 2 (an interval needs two).
    seed : int, default 0
        The root seed (non-negative): replication ``r`` runs on child ``r`` of ``SeedSequence(seed)``.
    workers : int or None, default 1
        Local processes: 1 runs serially in this process, N on N spawned processes (never more than there are
        replications to run), None one per CPU. Spawned workers import the calling script again: keep a script's
        work under ``if __name__ == "__main__":``. The numbers are the same for any backend.
    confidence : float, default 0.95
        Level of the intervals, strictly between 0 and 1.
    progress : bool, default False
        Show a progress bar on the terminal.
    client : dask.distributed.Client, optional
        Run on this Dask cluster (left open). Default None.
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``), connected to for this call and closed after.
    executor : concurrent.futures.Executor, optional
        Any executor to run the replications on (left open).
    store : Store or str or os.PathLike, optional
        A results store (``sim.experiments.store.Store``) or the path of its SQLite file (created, with its
        folder, if needed): the runs are kept there, so a rerun with the same arguments runs only what is
        missing. Default None: in memory.

    Returns
    -------
    pandas.DataFrame
        One row per (setup, kpi) with mean, t-interval and paired difference against the first setup, as
        ``sim.summarise`` returns it: ``setup, kpi, n, mean, std, ci_low, ci_high, half_width, diff,
        diff_ci_low, diff_ci_high, diff_p_value, n_pairs, baseline``. Values in each KPI's unit (``sim.KPIS``:
        euros over the measured days, shares 0–1, minutes...), ``n`` and ``n_pairs`` in replications.

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused.
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path.
    ValueError
        A setup the scenario does not offer, repeated or none (``SetupError``, naming the allowed ones); a string
        instead of a list of setups; ``replications`` not an integer >= 2; ``workers`` not an integer >= 1; a
        negative ``seed``; ``confidence`` not strictly between 0 and 1; a ``store`` file that is not a results
        store (``StoreError``).
    ConnectionError
        ``scheduler`` cannot be reached, or Dask is not installed (``SchedulerError``).
    BatchError
        A replication raised: the message names the first failure (setup, replication, seed, traceback).

    See Also
    --------
    - ``sim.compare_runs`` : the same, with the per-replication table.
    - ``sim.decision_summary`` : the changes people read, their verdicts and the payback.
    - ``sim.compare_behaviour`` : the comparison across plausible behaviour.

    Notes
    -----
    The intervals are sampling intervals: the simulation's own noise over replications, with customers behaving
    as the scenario's point values say. How customers really respond, and any error in the scenario's other
    inputs, is not in them; ``sim.compare_behaviour`` carries the evidence's behaviour ranges into the
    comparison.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml", overrides={"stores.0.staff": 4})
    df = sim.compare(sc, setups=["multichannel", "omnichannel"], replications=3, seed=1)
    print(df[df["kpi"].isin(["revenue", "fill_rate"])][["setup", "kpi", "mean", "ci_low", "ci_high", "diff"]])
    ```

    On local processes, with the runs kept in a results store (a rerun runs only what is missing):

    ```python
    import sim

    if __name__ == "__main__":  # spawned workers import this file again: the guard keeps them from rerunning it
        sc = sim.load_scenario("scenarios/default.yaml")
        df = sim.compare(sc, replications=4, seed=1, workers=2, store="results/compare/runs.sqlite")
        print(df.head())
    ```
    """
    return compare_runs(scenario, setups, replications, seed, workers, confidence, progress, client=client,
                        scheduler=scheduler, executor=executor, store=store)[0]
