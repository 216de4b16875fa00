"""Experiments: replications of setups over design points, on any executor, streamed into a results store.

Seeding. One ``numpy.random.SeedSequence(seed)`` per experiment. A plain comparison (one design point) gives
replication ``r`` the child with spawn key ``(r,)``, i.e. child ``r`` of ``SeedSequence(seed).spawn(n)`` (so
``omnisim run --seed N`` replays replication 0 of ``omnisim compare --seed N``); a design gives point ``p``,
replication ``r`` the grandchild ``(p, r)``. Inside a replication the model draws one named stream per purpose
(``sim.rng.Streams``). Every setup of a (point, replication) gets the same child: common random numbers. A seed
depends only on its key, never on the order tasks are run in or on which worker runs them, so the tables are the
same, to the last digit, serially, on a process pool or on Dask.

Execution. :func:`run_batch` submits one task per (point, setup, replication) to any ``concurrent.futures``-style
executor — a ``ProcessPoolExecutor`` (``workers=N``), Dask's ``client.get_executor()`` (``client=`` or a scheduler
address), or none at all (serial, in this process). At most a few tasks per worker are in flight; each outcome is
written to the :class:`~sim.store.Store` in its own transaction as it arrives and then dropped, so memory stays
flat whatever the number of replications. Keys already stored are skipped: running the same batch again runs only
what is missing or failed. A failed replication (an exception in the model) is stored with its traceback and seed
and the batch goes on.

The *evaluator* is pluggable: :class:`ModelEvaluator` runs the simulation; any object with ``prepare(params) ->
(payload, content_hash)``, ``evaluate(payload, setup, seed) -> (kpis, daily)`` (a picklable top-level function)
and ``default_setups`` can stand in for it (e.g. :class:`sim.sensitivity.Ishigami` to check the analysis path).

Uses numpy; pandas, tqdm, sqlite and Dask are imported by the functions that need them, so a spawned worker,
which only needs :func:`execute_task`, starts quickly.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.store import STATUS_FAILED, STATUS_OK, Outcome, PlanKeys, RunKey, Store

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from sim.designs import Experiment
    from sim.model import Result

log = logging.getLogger("sim.experiment")
log.addHandler(logging.NullHandler())  # the caller decides where the per-replication log goes (the CLI: a file)
RUN_COLUMNS = ["setup", "replication", "kpi", "value"]


# ============================================================================================= seeds
@dataclass(frozen=True)
class Replication:
    """One finished run: which setup, which replication number (from 0), and the model's result."""

    setup: str
    replication: int
    result: Result


def seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Return the per-replication seed sequences: the children of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed).spawn(replications)


def replication_seed(seed: int, replication: int, point: int | None = None) -> np.random.SeedSequence:
    """The SeedSequence of one replication: spawn key ``(replication,)`` without a design, ``(point, replication)``
    with one. Equal to ``SeedSequence(seed).spawn(...)[replication]`` (or ``.spawn(...)[point].spawn(...)[r]``)."""
    key = (int(replication),) if point is None else (int(point), int(replication))
    return np.random.SeedSequence(int(seed), spawn_key=key)


def _fresh(seq: np.random.SeedSequence) -> np.random.SeedSequence:
    """Return an unspawned copy of ``seq``, so every setup starts from the same state.

    ``SeedSequence.spawn`` counts the children it has handed out; if the model spawns from the
    sequence it is given, reusing one object for a second setup would give it other streams.
    """
    return np.random.SeedSequence(entropy=seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size)


def _seed_key(seq: np.random.SeedSequence) -> str:
    return f"{seq.entropy}:{','.join(map(str, seq.spawn_key))}"


# ============================================================================================= evaluators
def run_model(scenario: Any, setup: str, seed: np.random.SeedSequence) -> tuple[dict, dict]:
    """Run one replication of the simulation; return ``(kpis, daily)``. Top-level so workers can import it."""
    from sim.model import run

    result = run(scenario, setup=setup, seed=seed)
    return result.kpis, result.daily


class ModelEvaluator:
    """The simulation as an evaluator: a design point's params are dotted-path overrides of ``scenario``."""

    evaluate = staticmethod(run_model)

    def __init__(self, scenario: Any):
        from sim.config import scenario_hash

        self.scenario = scenario
        self.base_hash = scenario_hash(scenario)
        self._data: dict | None = None

    @property
    def default_setups(self) -> list[str]:
        from sim.setups import SETUP_NAMES

        return list(SETUP_NAMES)

    def check_setups(self, setups: Sequence[str]) -> list[str]:
        return check_setups(self.scenario, setups)

    def prepare(self, params: Mapping[str, Any]) -> tuple[Any, str]:
        """Return the point's validated scenario and its content hash (raises ``ScenarioError``)."""
        if not params:
            return self.scenario, self.base_hash
        from sim.config import scenario_from_dict, scenario_hash

        if self._data is None:
            self._data = self.scenario.model_dump(mode="json")
        scenario = scenario_from_dict(self._data, dict(params))
        return scenario, scenario_hash(scenario)


def execute_task(evaluate: Callable, payload: Any, setup: str, seq: np.random.SeedSequence, key: RunKey) -> Outcome:
    """Run one replication on a worker; an exception becomes a failed :class:`Outcome` with its traceback."""
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        kpis, daily = evaluate(payload, setup, _fresh(seq))
    except Exception:  # the batch goes on; the traceback is stored with the seed
        return Outcome(key, _seed_key(seq), STATUS_FAILED, error=traceback.format_exc(),
                       wall_s=time.perf_counter() - t0, worker=worker)
    kpis = {k: float(v) for k, v in kpis.items()}
    daily = {k: [float(x) for x in v] for k, v in daily.items()}
    return Outcome(key, _seed_key(seq), STATUS_OK, kpis, daily, wall_s=time.perf_counter() - t0, worker=worker)


# ============================================================================================= checks
def check_setups(scenario: Any, setups: Sequence[str]) -> list[str]:
    """Return ``setups`` as a list after checking it is non-empty, has no repeats and every name exists.

    Raises ``ValueError`` naming the unknown setup(s) and the allowed names.
    """
    from sim.setups import available

    names = _check_names(setups)
    allowed = list(available(scenario))
    unknown = [s for s in names if s not in allowed]
    if unknown:
        raise ValueError(f"setups: unknown {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")
    return names


def _check_names(setups: Sequence[str]) -> list[str]:
    names = list(setups)
    if not names:
        raise ValueError("setups: at least one setup name is needed")
    repeated = sorted({s for s in names if names.count(s) > 1})
    if repeated:
        raise ValueError(f"setups: {', '.join(repeated)} given more than once")
    return names


def _check_counts(replications: int, workers: int | None, seed: int) -> None:
    if not isinstance(replications, int | np.integer) or replications < 1:
        raise ValueError(f"replications must be an integer >= 1 (got {replications!r})")
    if workers is not None and (not isinstance(workers, int | np.integer) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1 (got {workers!r})")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")


def cpus() -> int:
    """Number of CPUs this process may run on (at least 1): the default worker count of a local pool."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# ============================================================================================= executors
@contextmanager
def executor_for(workers: int | None = 1, client: Any = None, scheduler: str | None = None,
                 executor: Executor | None = None) -> Iterator[tuple[Executor | None, int]]:
    """Yield ``(executor, slots)`` for a batch: ``executor`` as given; Dask's ``client.get_executor()`` for a
    ``client`` or a ``scheduler`` address (``tcp://host:8786``); a pool of ``workers`` "spawn" processes
    (``None``: one per CPU); or ``None`` (run serially in this process) for ``workers=1``. ``slots`` is the
    number of tasks that can run at once. Executors and clients made here are shut down on exit; given ones are not.
    """
    if executor is not None:
        yield executor, int(getattr(executor, "_max_workers", None) or workers or cpus())
        return
    if client is not None or scheduler is not None:
        with _dask_client(client, scheduler) as cl:
            slots = max(1, sum(cl.nthreads().values()))
            yield cl.get_executor(pure=False), slots
        return
    n = cpus() if workers is None else int(workers)
    if n == 1:
        yield None, 1
        return
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool, n
    except BaseException:  # a failure or Ctrl-C: do not wait for the queued tasks
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@contextmanager
def _dask_client(client: Any, scheduler: str | None) -> Iterator[Any]:
    if client is not None:
        yield client
        return
    from distributed import Client

    cl = Client(scheduler, timeout="30s")
    try:
        yield cl
    finally:
        cl.close()


# ============================================================================================= the batch
@dataclass(frozen=True)
class Plan:
    """What a batch covers: design points (their factor values), setups, replications 0..n-1 and the root seed.

    ``design`` says whether seeds are keyed ``(point, replication)`` (a design) or ``(replication,)`` (one point).
    """

    points: tuple[Mapping[str, Any], ...]
    setups: tuple[str, ...]
    replications: int
    seed: int
    design: bool = False

    def seed_of(self, point: int, replication: int) -> np.random.SeedSequence:
        return replication_seed(self.seed, replication, point if self.design else None)


@dataclass
class BatchSummary:
    """How a batch went: replications planned, already stored, run now (ok / failed), seconds of wall clock."""

    planned: int
    stored_before: int
    ran: int = 0
    ok: int = 0
    failed: int = 0
    wall_s: float = 0.0
    batch: int | None = None
    complete: int = 0
    keys: PlanKeys | None = field(default=None, repr=False)

    @property
    def failed_total(self) -> int:
        """Replications of the plan not stored as ok after this batch (they failed; a rerun retries them)."""
        return self.planned - self.complete

    def describe(self) -> str:
        text = (f"{self.complete} of {self.planned} replications stored; this batch ran {self.ran} "
                f"({self.ok} ok, {self.failed} failed) in {self.wall_s:.1f} s; "
                f"{self.stored_before} were already stored")
        if self.failed_total:
            text += f"; {self.failed_total} failed — run the same command again to retry them"
        return text


def _progress(total: int, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="rep", leave=False, dynamic_ncols=True)


class _Points:
    """Payloads of design points for the evaluator, built on demand (tasks come point by point): a one-slot cache."""

    def __init__(self, evaluator: Any, points: Sequence[Mapping[str, Any]]):
        self.evaluator, self.points = evaluator, points
        self._last: tuple[int, Any] | None = None

    def payload(self, p: int) -> Any:
        if self._last is None or self._last[0] != p:
            self._last = (p, self.evaluator.prepare(self.points[p])[0])
        return self._last[1]


def plan_hashes(plan: Plan, evaluator: Any) -> list[str]:
    """Content hash of each design point's scenario (validating every point first)."""
    return [evaluator.prepare(params)[1] for params in plan.points]


def _todo(plan: Plan, hashes: list[str], stored: Mapping[tuple, str]) -> list[tuple[int, int, str]]:
    """(point, replication, setup) of every replication of the plan not stored as ok, in plan order."""
    return [(p, r, s) for p in range(len(plan.points)) for r in range(plan.replications) for s in plan.setups
            if stored.get((hashes[p], p, s, r)) != STATUS_OK]


def missing(plan: Plan, evaluator: Any, store: Store) -> int:
    """Number of replications of ``plan`` not yet stored as ok in ``store``."""
    return len(_todo(plan, plan_hashes(plan, evaluator), store.status(plan.seed)))


def run_batch(plan: Plan, evaluator: Any, store: Store, executor: Executor | None = None, slots: int = 1,
              progress: bool = False, desc: str = "replications", command: str = "") -> BatchSummary:
    """Run every replication of ``plan`` not yet stored as ok, writing each to ``store`` as it finishes.

    ``executor`` is any ``concurrent.futures``-style executor (None: serially in this process); at most
    ``2 * slots`` tasks are in flight. Returns a :class:`BatchSummary`; failures are stored, never raised.
    """
    t0 = time.perf_counter()
    hashes = plan_hashes(plan, evaluator)
    store.write_points((h, p, params) for p, (h, params) in enumerate(zip(hashes, plan.points, strict=True)))
    keys = PlanKeys(tuple((h, p) for p, h in enumerate(hashes)), plan.setups, plan.replications, plan.seed)
    todo = _todo(plan, hashes, store.status(plan.seed))
    planned = len(plan.points) * plan.replications * len(plan.setups)
    summary = BatchSummary(planned=planned, stored_before=planned - len(todo), keys=keys)
    summary.batch = store.begin_batch(command)
    log.info("batch %d: %d replications planned, %d already stored, running %d", summary.batch, planned,
             summary.stored_before, len(todo))
    payloads = _Points(evaluator, plan.points)
    tasks = (
        (evaluator.evaluate, payloads.payload(p), s, plan.seed_of(p, r), RunKey(hashes[p], p, s, r, plan.seed))
        for p, r, s in todo
    )  # a generator: payloads are built as tasks are submitted, never all at once
    bar = _progress(len(todo), progress, desc)
    try:
        if executor is None:
            for task in tasks:
                _record(store, execute_task(*task), summary, bar, running=0)
        else:
            _stream(executor, tasks, 2 * max(1, slots), store, summary, bar)
    finally:
        bar.close()
        summary.wall_s = time.perf_counter() - t0
        summary.complete = planned - len(_todo(plan, hashes, store.status(plan.seed)))
    log.info("batch %d: ran %d (%d ok, %d failed) in %.1f s", summary.batch, summary.ran, summary.ok,
             summary.failed, summary.wall_s)
    return summary


def _stream(executor: Executor, tasks: Iterator[tuple], limit: int, store: Store, summary: BatchSummary,
            bar: Any) -> None:
    """Keep up to ``limit`` tasks in flight; store each outcome as it arrives."""
    pending: dict[Future, tuple] = {}
    exhausted = False
    while True:
        while not exhausted and len(pending) < limit:
            task = next(tasks, None)
            if task is None:
                exhausted = True
            else:
                pending[executor.submit(execute_task, *task)] = task
        if not pending:
            return
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            task = pending.pop(fut)
            _record(store, _outcome(fut, task[4], task[3]), summary, bar, running=len(pending))


def _outcome(fut: Future, key: RunKey, seq: np.random.SeedSequence) -> Outcome:
    """The task's outcome, or a failed one if the worker itself failed (crashed, lost, could not unpickle)."""
    exc = fut.exception()
    if exc is None:
        return fut.result()
    text = "".join(traceback.format_exception(exc))
    return Outcome(key, _seed_key(seq), STATUS_FAILED, error=text)


def _record(store: Store, outcome: Outcome, summary: BatchSummary, bar: Any, running: int) -> None:
    store.write(outcome)
    k = outcome.key
    summary.ran += 1
    if outcome.status == STATUS_OK:
        summary.ok += 1
        log.info("ran point=%d setup=%s replication=%d seed=%s status=ok wall_s=%.3f", k.point, k.setup,
                 k.replication, outcome.seed_key, outcome.wall_s)
    else:
        summary.failed += 1
        last = (outcome.error or "").strip().splitlines()[-1:] or ["?"]
        log.warning("ran point=%d setup=%s replication=%d seed=%s status=failed: %s", k.point, k.setup,
                    k.replication, outcome.seed_key, last[0])
    bar.update(1)
    bar.set_postfix_str(f"running {running}, failed {summary.failed}", refresh=False)


class BatchError(RuntimeError):
    """Some replications of a batch failed; their tracebacks and seeds are in the store."""


def _raise_failures(store: Store, summary: BatchSummary) -> None:
    if summary.failed_total:
        fails = store.failures(summary.keys)
        first = fails.iloc[0] if len(fails) else None
        where = f" (stored in {store.path})" if store.path != ":memory:" else ""
        detail = "" if first is None else (f"; first: setup {first.setup}, replication {first.replication}, "
                                           f"seed {first.seed_key}:\n{first.error}")
        raise BatchError(f"{summary.failed_total} of {summary.planned} replications failed{where}{detail}")


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
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Run the replications and return the tidy table ``setup, replication, kpi, value``.

    One row per (setup, replication, kpi), sorted by setup (order given), replication, then KPI in the model's
    order; identical for any backend: ``workers=1`` serial, ``workers=N`` N local processes (``None``: one per
    CPU), ``client=`` a ``dask.distributed.Client``, or ``executor=`` any ``concurrent.futures`` executor.
    ``store`` (a :class:`~sim.store.Store` or a file path) keeps the runs, so a rerun only runs what is missing.
    Raises :class:`BatchError` if a replication failed (its traceback is in the store).
    """
    names = check_setups(scenario, setups)
    _check_counts(replications, workers, seed)
    plan = Plan(({},), tuple(names), int(replications), int(seed))
    evaluator = ModelEvaluator(scenario)
    with _store(store) as st:
        if not missing(plan, evaluator, st):  # nothing to run: do not start a pool
            workers, client, executor = 1, None, None
        with executor_for(workers, client, None, executor) as (ex, slots):
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
    executor: Executor | None = None,
) -> list[Replication]:
    """Run ``replications`` replications of each setup and return the full results (breakdowns included).

    Returns a list of :class:`Replication` sorted by setup (in the order given) then replication number — the
    same whatever the backend (see :func:`replicate`). Holds every result in memory: for large batches use
    :func:`replicate` or :func:`sweep`, which stream into a store.
    """
    names = check_setups(scenario, setups)
    _check_counts(replications, workers, seed)
    tasks = [(r, s, replication_seed(seed, r)) for r in range(replications) for s in names]
    done: dict[tuple[int, str], Result] = {}
    bar = _progress(len(tasks), progress, "replications")
    try:
        with executor_for(workers, client, None, executor) as (ex, _):
            if ex is None:
                for r, s, seq in tasks:
                    done[(r, s)] = _run_full(scenario, s, seq)
                    bar.update(1)
            else:
                futures = {ex.submit(_run_full, scenario, s, seq): (r, s) for r, s, seq in tasks}
                for fut in _as_done(futures):
                    done[futures[fut]] = fut.result()
                    bar.update(1)
    finally:
        bar.close()
    return [Replication(s, r, done[(r, s)]) for s in names for r in range(replications)]


def _as_done(futures: Mapping[Future, Any]) -> Iterator[Future]:
    from concurrent.futures import as_completed

    return as_completed(futures)


def _run_full(scenario: Any, setup: str, seq: np.random.SeedSequence) -> Result:
    from sim.model import run

    return run(scenario, setup=setup, seed=_fresh(seq))


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
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(summary, runs)``: :func:`sim.analysis.summarise` of the replicate table, and the table.

    The baseline of the paired differences is the first setup; ``setups=None`` means the three
    named setups of ``sim.setups.SETUP_NAMES``. At least two replications are needed. Backends as in
    :func:`replicate`.
    """
    if setups is None:
        from sim.setups import SETUP_NAMES

        setups = list(SETUP_NAMES)
    if not isinstance(replications, int | np.integer) or replications < 2:
        raise ValueError(f"replications must be an integer >= 2 for confidence intervals (got {replications!r})")
    from sim import analysis

    analysis.check_confidence(confidence)
    runs = replicate(scenario, setups, replications, seed, workers, progress, client=client, executor=executor,
                     store=store)
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
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Compare setups over replications; return the summary table of :func:`sim.analysis.summarise`.

    One row per (setup, kpi) with mean, t-interval and paired difference against the first setup.
    ``workers=1`` runs serially, ``workers=N`` on N local processes, ``client=`` on a Dask cluster.
    """
    return compare_runs(scenario, setups, replications, seed, workers, confidence, progress, client=client,
                        executor=executor, store=store)[0]


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
        """Per point: mean, t-interval and paired difference against the first setup (:func:`sim.analysis.summarise`)."""
        from sim import analysis

        return analysis.summarise_points(self.runs(), self.points(), baseline=self.plan.setups[0],
                                         confidence=self.experiment.confidence)


def experiment_evaluator(experiment: Experiment, overrides: Mapping[str, Any] | None = None) -> ModelEvaluator:
    """The model evaluator of an experiment file: its scenario with its overrides (then ``overrides``) applied.

    Raises :class:`sim.designs.ExperimentError` with one line per problem (scenario or factor ranges).
    """
    from sim.config import ScenarioError, load_scenario
    from sim.designs import ExperimentError, factor_problems

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
    """Run an experiment (an :class:`~sim.designs.Experiment` or an experiment file) into a results store.

    Every (design point, setup, replication) not yet stored as ok is run; ``store`` is a :class:`Store`, a file
    path (created if needed: rerunning the same call resumes) or None (in memory). ``workers=None`` is one local
    process per CPU, 1 is serial; ``client``/``scheduler`` run on Dask; ``evaluator`` replaces the model (default
    :class:`ModelEvaluator` of the experiment's scenario). Failed replications are stored and counted in
    ``result.summary``, not raised. Raises :class:`sim.designs.ExperimentError` for a bad experiment.
    """
    from sim.designs import ExperimentError, load_experiment

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
    if not missing(plan, ev, st):  # nothing to run: do not start a pool or connect to a cluster
        workers, client, scheduler, executor = 1, None, None, None
    with executor_for(workers, client, scheduler, executor) as (ex, slots):
        summary = run_batch(plan, ev, st, ex, slots, progress, desc=exp.name, command=command)
    return SweepResult(exp, st, plan, summary)


# ============================================================================================= sequential
@dataclass
class SequentialResult:
    """Outcome of :func:`sequential`: the runs table, replications used, whether the target was met."""

    runs: pd.DataFrame
    replications: int
    reached: bool
    half_widths: pd.DataFrame
    history: list[tuple[int, float]]


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
    client: Any = None,
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
    evaluator: Any = None,
    progress: bool = False,
) -> SequentialResult:
    """Add replications until every ``kpi`` of every setup has a relative half-width <= ``target`` (or the cap).

    Starts with ``min_replications``, then adds ``step`` replications at a time (default: the number of parallel
    slots; 1 stops at the first replication count that meets the target) up to ``max_replications``. The
    relative half-width is (t-interval half-width) / |mean| (see :func:`sim.analysis.relative_half_width`).
    Replication ``r`` always has the same seed, so the runs equal a fixed-size run of the final count.
    ``history`` lists (replications, worst relative half-width) after each step.
    """
    from sim import analysis

    if not 2 <= min_replications <= max_replications:
        raise ValueError(f"need 2 <= min_replications <= max_replications (got {min_replications}, {max_replications})")
    if not target > 0:
        raise ValueError(f"target must be a positive relative half-width (got {target!r})")
    ev = evaluator if evaluator is not None else ModelEvaluator(scenario)
    names = ev.check_setups(setups)
    n, history = int(min_replications), []
    with _store(store) as st, executor_for(workers, client, None, executor) as (ex, slots):
        inc = int(step) if step else max(1, slots)
        while True:
            plan = Plan(({},), tuple(names), n, int(seed))
            summary = run_batch(plan, ev, st, ex, slots, progress, desc=f"sequential n={n}")
            _raise_failures(st, summary)
            runs = st.kpi_table(summary.keys).drop(columns="point")
            hw = analysis.relative_half_widths(runs, kpis, confidence)
            worst = float(hw["relative_half_width"].max())
            history.append((n, worst))
            if worst <= target or n >= max_replications:
                return SequentialResult(runs, n, worst <= target, hw, history)
            n = min(n + inc, int(max_replications))


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


def daily_means(results: Sequence[Replication]) -> dict[str, dict[str, list[float]]]:
    """Return setup -> series -> per-day mean over replications (NaN-aware), the input of ``plots.daily_series``."""
    table = daily_table(results)
    out: dict[str, dict[str, list[float]]] = {}
    if table.empty:
        return out
    means = table.groupby(["setup", "series", "day"], sort=False)["value"].mean()
    for (setup, name), grp in means.groupby(level=["setup", "series"], sort=False):
        out.setdefault(setup, {})[name] = grp.sort_index(level="day").tolist()
    return out


# ============================================================================================= plausibility
PLAUSIBILITY_WARMUP_DAYS = 14.0  # weekly stock cycles, returns (about a week) and repeat journeys settle first
PLAUSIBILITY_DAYS = 14.0         # two whole weeks measured after the warm-up


def check_plausibility(scenario: Any, setup: str = "multichannel", replications: int = 3, seed: int = 0,
                       days: float = PLAUSIBILITY_DAYS, warmup_days: float = PLAUSIBILITY_WARMUP_DAYS,
                       workers: int | None = 1) -> list[Any]:
    """Judge ``setup`` (the baseline) of ``scenario`` against the operating benchmarks of its sector.

    Runs ``replications`` replications of ``warmup_days`` + ``days`` (the scenario's own horizon and warm-up are
    replaced: a short run without warm-up would start with full shelves and no returns yet) and returns one
    :class:`sim.benchmarks.Verdict` per applicable benchmark: the KPI's mean, its confidence half-width, in or out.
    """
    from sim import analysis, benchmarks

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
