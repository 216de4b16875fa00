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
