"""Independent replications of several setups with common random numbers.

Replication ``r`` of every setup is run with child ``r`` of ``numpy.random.SeedSequence(seed)``,
so the same customers arrive with the same wishes under every setup and differences between
setups can be paired. Runs go serially (``workers=1``) or on a local process pool; the tables
returned are identical whatever the worker count.

Uses numpy and pandas (imported lazily), never plotting.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from sim.model import Result

# pandas and sim.analysis (scipy.stats) are imported inside the functions that build tables, so a
# spawned worker, which only needs _run_task, starts without them (about a second less per worker).
RUN_COLUMNS = ["setup", "replication", "kpi", "value"]


@dataclass(frozen=True)
class Replication:
    """One finished run: which setup, which replication number (from 0), and the model's result."""

    setup: str
    replication: int
    result: Result


def seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Return the per-replication seed sequences: the children of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed).spawn(replications)


def _fresh(seq: np.random.SeedSequence) -> np.random.SeedSequence:
    """Return an unspawned copy of ``seq``, so every setup starts from the same state.

    ``SeedSequence.spawn`` counts the children it has handed out; if the model spawns from the
    sequence it is given, reusing one object for a second setup would give it other streams.
    """
    return np.random.SeedSequence(entropy=seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size)


def _run_task(scenario: Any, setup: str, seq: np.random.SeedSequence) -> Result:
    """Run one replication of one setup; top-level so a spawned worker process can import it."""
    from sim.model import run

    return run(scenario, setup=setup, seed=seq)


def check_setups(scenario: Any, setups: Sequence[str]) -> list[str]:
    """Return ``setups`` as a list after checking it is non-empty, has no repeats and every name exists.

    Raises ``ValueError`` naming the unknown setup(s) and the allowed names.
    """
    from sim.setups import available

    names = list(setups)
    if not names:
        raise ValueError("setups: at least one setup name is needed")
    repeated = sorted({s for s in names if names.count(s) > 1})
    if repeated:
        raise ValueError(f"setups: {', '.join(repeated)} given more than once")
    allowed = list(available(scenario))
    unknown = [s for s in names if s not in allowed]
    if unknown:
        raise ValueError(f"setups: unknown {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")
    return names


def _check_counts(replications: int, workers: int, seed: int) -> None:
    if not isinstance(replications, int | np.integer) or replications < 1:
        raise ValueError(f"replications must be an integer >= 1 (got {replications!r})")
    if not isinstance(workers, int | np.integer) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1 (got {workers!r})")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, disable=not enabled, desc="replications", unit="run", leave=False)


def _run_serial(scenario: Any, tasks: list[tuple[int, str, np.random.SeedSequence]], bar: Any) -> dict:
    done = {}
    for r, setup, seq in tasks:
        done[(r, setup)] = _run_task(scenario, setup, _fresh(seq))
        bar.update(1)
    return done


def _run_pool(scenario: Any, tasks: list[tuple[int, str, np.random.SeedSequence]], workers: int, bar: Any) -> dict:
    ctx = multiprocessing.get_context("spawn")
    done = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as pool:
        futures: dict[Future, tuple[int, str]] = {
            pool.submit(_run_task, scenario, setup, _fresh(seq)): (r, setup) for r, setup, seq in tasks
        }
        try:
            for fut in as_completed(futures):
                done[futures[fut]] = fut.result()
                bar.update(1)
        except BaseException:  # a failed run or Ctrl-C: do not wait for the tasks still queued
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return done


def replicate_results(
    scenario: Any,
    setups: Sequence[str],
    replications: int,
    seed: int = 0,
    workers: int = 1,
    progress: bool = False,
) -> list[Replication]:
    """Run ``replications`` replications of each setup and return the results.

    Returns a list of :class:`Replication` sorted by setup (in the order given) then replication
    number — the same list whatever ``workers`` is. Replication ``r`` of every setup uses child
    ``r`` of ``SeedSequence(seed)`` (common random numbers). ``workers > 1`` runs the
    (replication, setup) tasks on a pool of that many "spawn" processes (so a script calling this
    needs the usual ``if __name__ == "__main__":`` guard); ``progress`` shows a tqdm bar on stderr.
    """
    names = check_setups(scenario, setups)
    _check_counts(replications, workers, seed)
    children = seeds(int(seed), int(replications))
    tasks = [(r, setup, children[r]) for r in range(replications) for setup in names]
    bar = _progress_bar(len(tasks), progress)
    try:
        if workers == 1 or len(tasks) == 1:
            done = _run_serial(scenario, tasks, bar)
        else:
            done = _run_pool(scenario, tasks, int(workers), bar)
    finally:
        bar.close()
    return [Replication(setup, r, done[(r, setup)]) for setup in names for r in range(replications)]


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


def replicate(
    scenario: Any,
    setups: Sequence[str],
    replications: int,
    seed: int = 0,
    workers: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Run the replications and return the tidy table ``setup, replication, kpi, value``.

    One row per (setup, replication, kpi), sorted by setup (order given), replication, then KPI
    in the model's order; identical for any ``workers``. See :func:`replicate_results`.
    """
    return kpi_table(replicate_results(scenario, setups, replications, seed, workers, progress))


def compare_runs(
    scenario: Any,
    setups: Sequence[str] | None = None,
    replications: int = 10,
    seed: int = 0,
    workers: int = 1,
    confidence: float = 0.95,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(summary, runs)``: :func:`sim.analysis.summarise` of the replicate table, and the table.

    The baseline of the paired differences is the first setup; ``setups=None`` means the three
    named setups of ``sim.setups.SETUP_NAMES``. At least two replications are needed.
    """
    if setups is None:
        from sim.setups import SETUP_NAMES

        setups = list(SETUP_NAMES)
    if not isinstance(replications, int | np.integer) or replications < 2:
        raise ValueError(f"replications must be an integer >= 2 for confidence intervals (got {replications!r})")
    from sim import analysis

    analysis.check_confidence(confidence)
    runs = replicate(scenario, setups, replications, seed, workers, progress)
    summary = analysis.summarise(runs, baseline=list(setups)[0], confidence=confidence)
    return summary, runs


def compare(
    scenario: Any,
    setups: Sequence[str] | None = None,
    replications: int = 10,
    seed: int = 0,
    workers: int = 1,
    confidence: float = 0.95,
    progress: bool = False,
) -> pd.DataFrame:
    """Compare setups over replications; return the summary table of :func:`sim.analysis.summarise`.

    One row per (setup, kpi) with mean, t-interval and paired difference against the first setup.
    """
    return compare_runs(scenario, setups, replications, seed, workers, confidence, progress)[0]
