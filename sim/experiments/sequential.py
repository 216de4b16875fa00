"""Sequential stopping: replications added until the answer is known to a target precision."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.experiments import analysis
from sim.experiments import changes as precision
from sim.experiments.batch import (
    Plan,
    executor_for,
    raise_failures,
    run_batch,
)
from sim.experiments.replicate import ModelEvaluator, open_store
from sim.experiments.store import Store
from sim.scenario.schema import ScenarioArgument, scenario_argument


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
    scenario: ScenarioArgument | None,
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

    How many replications a comparison needs: instead of guessing a count, replications are added until the
    answer is known to a target precision. Starts with ``min_replications``, then adds ``step`` replications at a
    time (default: the number of parallel slots; 1 stops at the first replication count that meets the target)
    up to ``max_replications``. Replication ``r`` always has the same seed, so the runs equal a fixed-size run of
    the final count.

    ``criterion="mean"`` (the default): every setup's mean has a relative half-width (t-interval half-width /
    |mean|, ``sim.experiments.analysis.relative_half_width``) <= ``target``; ``history`` lists (replications,
    worst relative half-width) after each step. ``criterion="paired"``: every setup's change against the first
    setup (the baseline, paired by replication: common random numbers) is known to the decision summary's
    precision, ``sim.experiments.changes.change_half_widths``: the paired difference's half-width <= ``target``
    of the baseline mean for amounts, <= ``points`` (default ``TARGET_POINTS_HALF_WIDTH``, 1 point) for shares
    and scores; ``history`` lists (replications, worst half-width over its target), met at <= 1. This is the
    rule behind the decision summary's caution, so its advice is what this function does.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file. Ignored when
        ``evaluator`` is given.
    setups : sequence of str
        The setups to run, each once; the first is the baseline of ``criterion="paired"``.
    kpis : sequence of str
        The KPIs whose precision decides when to stop (model KPI names, e.g. ``"revenue"``).
    target : float, default 0.05
        The precision to reach, as a share of the mean (``"mean"``) or of the baseline mean (``"paired"``, for
        amounts): 0.05 is ±5 %. Must be positive.
    min_replications : int, default 5
        Replications of the first step, at least 2.
    max_replications : int, default 100
        The cap, at least ``min_replications``: the answer at the cap is returned with ``reached`` False.
    step : int, optional
        Replications added at each step. Default None: the number of parallel slots (1 when serial).
    seed : int, default 0
        The root seed (non-negative): replication ``r`` runs on child ``r`` of ``SeedSequence(seed)``.
    confidence : float, default 0.95
        Level of the intervals, strictly between 0 and 1.
    workers : int or None, default 1
        Local processes: 1 serial, N spawned processes, None one per CPU (guard a script's work with
        ``if __name__ == "__main__":``).
    criterion : {"mean", "paired"}
        What must be precise: each setup's mean (the default) or each setup's paired change against the baseline.
    points : float, optional
        ``"paired"`` only: the target half-width in points for shares and scores. Default None: 1 point.
    client : dask.distributed.Client, optional
        Run on this Dask cluster (left open).
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``).
    executor : concurrent.futures.Executor, optional
        Any executor to run the replications on (left open).
    store : Store or str or os.PathLike, optional
        A results store or the path of its SQLite file: a rerun runs only the replications it lacks. Default
        None: in memory.
    evaluator : object, optional
        Replaces the model (as in ``sim.sweep``). Default None: the model on ``scenario``.
    progress : bool, default False
        Show a progress bar on the terminal.

    Returns
    -------
    SequentialResult
        ``runs`` (the replicate table ``setup, replication, kpi, value`` of the final count, every KPI),
        ``replications`` (the final count), ``reached`` (whether the target was met before the cap),
        ``half_widths`` (the last step's table: ``setup, kpi, n, mean, half_width, relative_half_width`` for
        ``"mean"``; ``setup, baseline, kpi, label, change_unit, change, half_width, target, ratio, wide`` for
        ``"paired"``, the change and half-width in % or points) and ``history`` (a list of (replications, worst
        value) after each step).

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused (one line per problem).
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first); one line
        naming the argument.
    ValueError
        ``min_replications`` below 2 or above ``max_replications``; ``target`` or ``points`` not positive; an
        unknown ``criterion``; ``"paired"`` with one setup; an unknown or repeated setup (``SetupError``); a KPI
        the runs do not hold; ``confidence`` not strictly between 0 and 1.
    ConnectionError
        ``scheduler`` cannot be reached, or Dask is not installed (``SchedulerError``).
    BatchError
        A replication raised.

    See Also
    --------
    - ``sim.compare`` : a fixed number of replications.
    - ``sim.decision_summary`` : its caution names the changes too wide to decide on.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    seq = sim.sequential(sc, ["multichannel", "omnichannel"], ["revenue", "fill_rate"], target=0.05,
                         min_replications=2, max_replications=6, criterion="paired")
    print(seq.replications, seq.reached, seq.history)
    print(seq.half_widths[["setup", "kpi", "change", "half_width", "target"]])
    ```
    """
    ev = evaluator if evaluator is not None else ModelEvaluator(scenario_argument(scenario))
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
    names = ev.check_setups(setups)
    n, history = int(min_replications), []
    with open_store(store) as st, executor_for(workers, client, scheduler, executor) as (ex, slots):
        inc = int(step) if step else max(1, slots)
        while True:
            plan = Plan(({},), tuple(names), n, int(seed))
            summary = run_batch(plan, ev, st, ex, slots, progress, desc=f"sequential n={n}")
            raise_failures(summary, st.path)
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
    missing = [k for k in kpis if k not in set(runs["kpi"])]
    if missing:
        raise ValueError(f"kpis: {', '.join(map(repr, missing))} not in the runs table")
    summary = analysis.summarise(runs[runs["kpi"].isin(list(kpis))], baseline=baseline, confidence=confidence)
    return precision.change_half_widths(summary, list(kpis), target, points)
