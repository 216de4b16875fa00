"""The batch runner: replications of setups over design points, on any executor, streamed into a sink.

:func:`run_batch` submits one task per (point, setup, replication) of a :class:`Plan` to any
``concurrent.futures``-style executor — a ``ProcessPoolExecutor`` (``workers=N``), Dask's ``client.get_executor()``
(``client=`` or a scheduler address), or none at all (serial, in this process); :func:`executor_for` makes the
right one. At most a few tasks per worker are in flight; each outcome is written to the sink as it arrives and then
dropped, so memory stays flat whatever the number of replications. The sink is a results
:class:`~sim.experiments.store.Store` (each outcome in its own transaction) or a :class:`Collector` (in memory, for callers
that want the whole results). Keys already in the sink are skipped: running the same batch again runs only what is
missing or failed. A failed replication (an exception in the evaluator) is written with its traceback and seed and
the batch goes on.

What a task runs is an :class:`Evaluator`: :class:`sim.experiments.replicate.ModelEvaluator` runs the simulation, and
:class:`sim.experiments.sensitivity.Ishigami` stands in for it to check the analysis path. Seeds come from
:mod:`sim.experiments.seeding` and depend only on the key, so the outcome is the same on every backend.

Knows nothing of the model. Uses numpy and tqdm; sqlite and Dask are imported by the functions that need them, so a
spawned worker, which only needs :func:`execute_task`, starts quickly.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from tqdm.auto import tqdm

from sim.experiments import stops
from sim.experiments.seeding import fresh, replication_seed, seed_key
from sim.experiments.store import STATUS_FAILED, STATUS_OK, Outcome, PlanKeys, RunKey

log = logging.getLogger("sim.experiments.batch")
log.addHandler(logging.NullHandler())  # the caller decides where the per-replication log goes (the CLI: a file)

DASK_CONNECT_TIMEOUT = "20s"
"""How long :func:`dask_client` waits for a scheduler given by address before giving up."""


# ============================================================================================= protocols
@runtime_checkable
class Evaluator(Protocol):
    """What a batch runs at each (design point, setup, replication).

    ``prepare(params)`` turns a design point's factor values into ``(payload, content_hash)`` (raising on a bad
    point); ``evaluate(payload, setup, seed)`` runs one replication and returns ``(kpis, daily)`` — or an object
    with ``.kpis`` and ``.daily`` (e.g. a :class:`sim.core.model.Result`), which a :class:`Collector` then keeps whole.
    ``evaluate`` is sent to the workers: make it a picklable top-level function (a ``staticmethod`` on the class).
    ``check_setups`` returns the setup names as a list or raises ``ValueError``; ``default_setups`` are used when
    none are given.
    """

    @property
    def default_setups(self) -> Sequence[str]: ...

    @property
    def evaluate(self) -> Callable[[Any, str, np.random.SeedSequence], Any]: ...

    def check_setups(self, setups: Sequence[str]) -> list[str]: ...

    def prepare(self, params: Mapping[str, Any]) -> tuple[Any, str]: ...


class Sink(Protocol):
    """Where a batch writes its outcomes: a :class:`~sim.experiments.store.Store` or a :class:`Collector`."""

    path: str

    def write_points(self, rows: Iterable[tuple[str, int, Mapping[str, Any]]]) -> None: ...

    def begin_batch(self, command: str = "") -> int: ...

    def status(self, seed: int) -> dict[tuple[str, int, str, int], str]: ...

    def write(self, outcome: Outcome) -> None: ...


class Collector:
    """A sink in memory: keeps the outcome of every replication written to it, with the evaluator's whole result
    when it returned one. For callers that want the results themselves; large batches belong in a
    :class:`~sim.experiments.store.Store`, which keeps memory flat."""

    path = ":memory:"

    def __init__(self) -> None:
        self.outcomes: dict[tuple[str, int, str, int, int], Outcome] = {}
        self._batches = 0

    def write_points(self, rows: Iterable[tuple[str, int, Mapping[str, Any]]]) -> None:
        """Nothing to keep: the plan knows its points."""

    def begin_batch(self, command: str = "") -> int:
        self._batches += 1
        return self._batches

    def status(self, seed: int) -> dict[tuple[str, int, str, int], str]:
        return {(h, p, s, r): o.status for (h, p, s, r, sd), o in self.outcomes.items() if sd == seed}

    def write(self, outcome: Outcome) -> None:
        self.outcomes[outcome.key.short()] = outcome

    def ok(self, keys: PlanKeys) -> list[Outcome]:
        """The successful outcomes of a plan's keys, by point, then setup (plan order), then replication."""
        found = (self.outcomes.get((h, p, s, r, keys.seed)) for h, p in keys.points for s in keys.setups
                 for r in range(keys.replications))
        return [o for o in found if o is not None and o.status == STATUS_OK]


class SetupError(ValueError):
    """Setup names a batch cannot run: ``unknown`` ones (in the order given; ``allowed`` lists the valid names),
    ``repeated`` ones (sorted), or none at all. The message names the first problem found."""

    def __init__(self, message: str, unknown: Sequence[str] = (), repeated: Sequence[str] = (),
                 allowed: Sequence[str] = ()):
        super().__init__(message)
        self.unknown, self.repeated, self.allowed = list(unknown), list(repeated), list(allowed)


def check_names(setups: Sequence[str], allowed: Sequence[str] | None = None) -> list[str]:
    """Return ``setups`` as a list after checking it is non-empty, has no repeats and (when ``allowed`` is given)
    names only allowed setups; raises :class:`SetupError` otherwise."""
    if isinstance(setups, str):
        raise SetupError(f"setups: give a list of setup names, e.g. [{setups!r}], not a string",
                         allowed=list(allowed or ()))
    names = list(setups)
    repeated = sorted({s for s in names if names.count(s) > 1})
    unknown = [s for s in names if allowed is not None and s not in allowed]
    problem = dict(unknown=unknown, repeated=repeated, allowed=list(allowed or ()))
    if not names:
        raise SetupError("setups: at least one setup name is needed", **problem)
    if repeated:
        raise SetupError(f"setups: {', '.join(repeated)} given more than once", **problem)
    if unknown:
        raise SetupError(f"setups: unknown {', '.join(map(repr, unknown))}; allowed: {', '.join(problem['allowed'])}",
                         **problem)
    return names


# ============================================================================================= executors
def cpus() -> int:
    """Number of CPUs this process may run on (at least 1): the default worker count of a local pool."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def executor_for(workers: int | None = 1, client: Any = None, scheduler: str | None = None,
                 executor: Executor | None = None, tasks: int | None = None) -> Iterator[tuple[Executor | None, int]]:
    """Yield ``(executor, slots)`` for a batch: ``executor`` as given; Dask's ``client.get_executor()`` for a
    ``client`` or a ``scheduler`` address (``tcp://host:8786``); a pool of ``workers`` "spawn" processes
    (``None``: one per CPU, never more than ``tasks`` when the number of tasks is known); or ``None`` (run serially
    in this process) for one worker. ``slots`` is the number of tasks that can run at once. Executors and clients
    made here are shut down on exit; given ones are not. An unreachable scheduler raises :class:`SchedulerError`.
    """
    if executor is not None:
        yield executor, int(getattr(executor, "_max_workers", None) or workers or cpus())
        return
    if client is not None or scheduler is not None:
        with dask_client(client, scheduler) as cl:
            slots = max(1, sum(cl.nthreads().values()))
            yield cl.get_executor(pure=False), slots
        return
    n = cpus() if workers is None else int(workers)
    if tasks is not None:
        n = max(1, min(n, int(tasks)))
    if n == 1:
        yield None, 1
        return
    pool = ProcessPoolExecutor(max_workers=n, mp_context=DEAF_SPAWN)
    try:
        yield pool, n
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP: the grace period is over (run_batch); stop the workers
        _stop_workers(pool)
        raise
    except BaseException:  # a failure: do not wait for the queued tasks
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        except RuntimeError:  # the pool's manager thread was starting: nothing to join yet
            _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's worker processes and join them, without waiting for the tasks they run: no worker
    outlives the command (the resource tracker then ends with the parent)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        proc.terminate()
    try:
        pool.shutdown(wait=True, cancel_futures=True)
    except (RuntimeError, KeyboardInterrupt):  # a second signal, or the manager thread was still starting
        pass
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)


class _DeafProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that ignores Ctrl-C from its first instruction: Ctrl-C goes to the whole process group,
    and only the parent should answer it (it cancels the queued tasks and says so in one line). An initializer
    would come too late: a worker interrupted while it still imports prints its own traceback. An ignored signal
    stays ignored across ``exec``, and Python then installs no handler of its own, so the parent ignores SIGINT
    for the instant it starts the worker (a Ctrl-C in that instant is lost, not misreported)."""

    def start(self) -> None:
        try:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread: signals cannot be changed here; start as usual
            super().start()
            return
        try:
            super().start()
        finally:
            signal.signal(signal.SIGINT, previous)


class _DeafSpawnContext(multiprocessing.context.SpawnContext):
    Process = _DeafProcess


DEAF_SPAWN = _DeafSpawnContext()
"""The ``spawn`` context of the local pools, whose workers ignore Ctrl-C from the start."""


class SchedulerError(ConnectionError):
    """The Dask scheduler at ``address`` could not be reached; ``reason`` says why."""

    def __init__(self, address: str, reason: str):
        super().__init__(f"cannot connect to a Dask scheduler at {address} ({reason})")
        self.address, self.reason = address, reason


@contextmanager
def dask_client(client: Any = None, scheduler: str | None = None) -> Iterator[Any]:
    """Yield ``client`` as given (left open), or a ``distributed.Client`` connected to ``scheduler`` (closed on exit)."""
    if client is not None:
        yield client
        return
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(str(scheduler), "Dask is not installed here: pip install 'omnisim[cluster]'") from None
    try:
        cl = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except OSError as exc:  # refused, unknown host, timed out (TimeoutError is an OSError)
        raise SchedulerError(str(scheduler), str(exc)) from exc
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
    first_failure: Outcome | None = field(default=None, repr=False)

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


class BatchError(RuntimeError):
    """Some replications of a batch failed; their tracebacks and seeds are in the store.

    Raised once the batch is over by the functions that run replications and must not average a failure away:
    ``sim.compare``, ``sim.compare_runs``, ``sim.replicate_results``, ``sim.compare_behaviour``,
    ``sim.sequential``, ``sim.recommend_staff``, ``sim.staff_per_store``, ``sim.suggest_warmup`` and
    ``sim.check_plausibility`` (``sim.sweep`` stores and counts its failures instead). A failed replication is a
    bug in the model or a scenario it cannot handle, never a user error: the message says how many of the
    planned replications failed and gives the first one's setup, replication, seed and traceback. With a results
    store on file (``store=``) every failure is kept there with its traceback and seed, and rerunning with the
    same store retries only the replications that are missing.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    try:
        df = sim.compare(sc, replications=2)
    except sim.BatchError as exc:
        print(exc)  # "N of M replications failed; first: setup ..., replication ..., seed ...: traceback"
    ```
    """


def raise_failures(summary: BatchSummary, where: str = "") -> None:
    """Raise :class:`BatchError` naming the first failure (setup, replication, seed, traceback) if any failed."""
    if not summary.failed_total:
        return
    first = summary.first_failure
    detail = "" if first is None else (f"; first: setup {first.key.setup}, replication {first.key.replication}, "
                                       f"seed {first.seed_key}:\n{first.error}")
    where = f" (stored in {where})" if where and where != ":memory:" else ""
    raise BatchError(f"{summary.failed_total} of {summary.planned} replications failed{where}{detail}")


def execute_task(evaluate: Callable, payload: Any, setup: str, seq: np.random.SeedSequence, key: RunKey) -> Outcome:
    """Run one replication on a worker; an exception becomes a failed :class:`Outcome` with its traceback."""
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        value = evaluate(payload, setup, fresh(seq))
    except Exception:  # the batch goes on; the traceback is stored with the seed
        return Outcome(key, seed_key(seq), STATUS_FAILED, error=traceback.format_exc(),
                       wall_s=time.perf_counter() - t0, worker=worker)
    whole = None if isinstance(value, tuple) else value  # a result object with .kpis and .daily
    kpis, daily = value if whole is None else (whole.kpis, whole.daily)
    kpis = {k: float(v) for k, v in kpis.items()}
    daily = {k: [float(x) for x in v] for k, v in daily.items()}
    return Outcome(key, seed_key(seq), STATUS_OK, kpis, daily, wall_s=time.perf_counter() - t0, worker=worker,
                   result=whole)


def _progress(total: int, enabled: bool, desc: str) -> Any:

    return tqdm(total=total, disable=not enabled, desc=desc, unit="rep", leave=False, dynamic_ncols=True)


class _Points:
    """Payloads of design points for the evaluator, built on demand (tasks come point by point): a one-slot cache."""

    def __init__(self, evaluator: Evaluator, points: Sequence[Mapping[str, Any]]):
        self.evaluator, self.points = evaluator, points
        self._last: tuple[int, Any] | None = None

    def payload(self, p: int) -> Any:
        if self._last is None or self._last[0] != p:
            self._last = (p, self.evaluator.prepare(self.points[p])[0])
        return self._last[1]


def plan_hashes(plan: Plan, evaluator: Evaluator) -> list[str]:
    """Content hash of each design point's scenario (validating every point first)."""
    return [evaluator.prepare(params)[1] for params in plan.points]


def _todo(plan: Plan, hashes: list[str], stored: Mapping[tuple, str]) -> list[tuple[int, int, str]]:
    """(point, replication, setup) of every replication of the plan not stored as ok, in plan order."""
    return [(p, r, s) for p in range(len(plan.points)) for r in range(plan.replications) for s in plan.setups
            if stored.get((hashes[p], p, s, r)) != STATUS_OK]


def missing(plan: Plan, evaluator: Evaluator, sink: Sink) -> int:
    """Number of replications of ``plan`` not yet stored as ok in ``sink``."""
    return len(_todo(plan, plan_hashes(plan, evaluator), sink.status(plan.seed)))


def run_batch(plan: Plan, evaluator: Evaluator, store: Sink, executor: Executor | None = None, slots: int = 1,
              progress: bool = False, desc: str = "replications", command: str = "",
              grace: float | None = None) -> BatchSummary:
    """Run every replication of ``plan`` not yet stored as ok, writing each to ``store`` as it finishes.

    ``executor`` is any ``concurrent.futures``-style executor (None: serially in this process); at most
    ``2 * slots`` tasks are in flight. Returns a :class:`BatchSummary`; failures are stored, never raised.
    Interrupted (Ctrl-C, SIGTERM, SIGHUP: :mod:`sim.experiments.stops`), it cancels the queued replications, stores
    those running that finish within ``grace`` seconds (default :data:`~sim.experiments.stops.GRACE_S` for a store
    on disk, 0 for one in memory, whose results the interrupt discards anyway) and raises
    :class:`~sim.experiments.stops.Interrupted` saying how many it kept and how many it cut.
    """
    if grace is None:
        grace = stops.GRACE_S if store.path != ":memory:" else 0.0
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
                try:
                    outcome = execute_task(*task)
                except KeyboardInterrupt as exc:
                    raise _cut(exc, 0, 1) from None
                _record(store, outcome, summary, bar, running=0)
                stops.check()
        else:
            _stream(executor, tasks, 2 * max(1, slots), store, summary, bar, grace)
    finally:
        bar.close()
        summary.wall_s = time.perf_counter() - t0
        summary.complete = planned - len(_todo(plan, hashes, store.status(plan.seed)))
    log.info("batch %d: ran %d (%d ok, %d failed) in %.1f s", summary.batch, summary.ran, summary.ok,
             summary.failed, summary.wall_s)
    return summary


def _stream(executor: Executor, tasks: Iterator[tuple], limit: int, store: Sink, summary: BatchSummary,
            bar: Any, grace: float = 0.0) -> None:
    """Keep up to ``limit`` tasks in flight; store each outcome as it arrives. Interrupted, keep what finishes
    within ``grace`` seconds (:func:`_wind_down`)."""
    pending: dict[Future, tuple] = {}
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < limit:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                else:
                    pending[executor.submit(execute_task, *task)] = task
            if not pending:
                return
            # a bounded wait, so that a signal whose exception was dropped (stops.check) is answered promptly
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                task = pending.pop(fut)
                _record(store, _outcome(fut, task[4], task[3]), summary, bar, running=len(pending))
            stops.check()
    except KeyboardInterrupt as exc:
        kept, cut = _wind_down(pending, grace, store, summary, bar)
        raise _cut(exc, kept, cut) from None


def _wind_down(pending: dict[Future, tuple], grace: float, store: Sink, summary: BatchSummary,
               bar: Any) -> tuple[int, int]:
    """Cancel the queued tasks; store those running that finish well within ``grace`` seconds. Return
    ``(kept, cut)``: replications stored during the grace period, and those still running (or lost) at its end."""
    for fut in pending:
        fut.cancel()
    running = {f: t for f, t in pending.items() if not f.cancelled()}
    kept = lost = 0
    deadline = time.monotonic() + grace
    try:
        while running and (left := deadline - time.monotonic()) > 0:
            done, _ = wait(running, timeout=left, return_when=FIRST_COMPLETED)
            for fut in done:
                running.pop(fut)
                if fut.cancelled():
                    continue
                if fut.exception() is None:
                    _record(store, fut.result(), summary, bar, running=len(running))
                    kept += 1
                else:  # its worker was ended by the signal too: not a failure of the replication
                    lost += 1
    except KeyboardInterrupt:  # a second Ctrl-C: no more waiting
        pass
    return kept, lost + sum(1 for f in running if not f.cancelled())


def _cut(exc: KeyboardInterrupt, kept: int, cut: int) -> stops.Interrupted:
    stop = stops.as_interrupted(exc)
    return stops.Interrupted(stop.signum, stop.kept + kept, stop.cut + cut)


def _outcome(fut: Future, key: RunKey, seq: np.random.SeedSequence) -> Outcome:
    """The task's outcome, or a failed one if the worker itself failed (crashed, lost, could not unpickle)."""
    exc = fut.exception()
    if exc is None:
        return fut.result()
    text = "".join(traceback.format_exception(exc))
    return Outcome(key, seed_key(seq), STATUS_FAILED, error=text)


def _record(store: Sink, outcome: Outcome, summary: BatchSummary, bar: Any, running: int) -> None:
    store.write(outcome)
    k = outcome.key
    summary.ran += 1
    if outcome.status == STATUS_OK:
        summary.ok += 1
        log.info("ran point=%d setup=%s replication=%d seed=%s status=ok wall_s=%.3f", k.point, k.setup,
                 k.replication, outcome.seed_key, outcome.wall_s)
    else:
        summary.failed += 1
        if summary.first_failure is None:
            summary.first_failure = outcome
        last = (outcome.error or "").strip().splitlines()[-1:] or ["?"]
        log.warning("ran point=%d setup=%s replication=%d seed=%s status=failed: %s", k.point, k.setup,
                    k.replication, outcome.seed_key, last[0])
    bar.update(1)
    bar.set_postfix_str(f"running {running}, failed {summary.failed}", refresh=False)
