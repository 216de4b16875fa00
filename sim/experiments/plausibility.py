"""Plausibility: a scenario's baseline judged against the sourced operating benchmarks of its sector."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.experiments import analysis
from sim.scenario import benchmarks

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass
from sim.experiments.replicate import replicate

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
