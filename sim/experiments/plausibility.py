"""Plausibility: a scenario's baseline judged against the sourced operating benchmarks of its sector."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.experiments import analysis
from sim.scenario import benchmarks
from sim.scenario.schema import ScenarioArgument, scenario_argument

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass
from sim.experiments.replicate import replicate

PLAUSIBILITY_WARMUP_DAYS = 14.0  # weekly stock cycles, returns (about a week) and repeat journeys settle first


PLAUSIBILITY_DAYS = 14.0         # two whole weeks measured after the warm-up


def check_plausibility(scenario: ScenarioArgument, setup: str = "multichannel", replications: int = 3,
                       seed: int = 0, days: float = PLAUSIBILITY_DAYS,
                       warmup_days: float = PLAUSIBILITY_WARMUP_DAYS, workers: int | None = 1) -> list[Any]:
    """Judge ``setup`` (the baseline) of ``scenario`` against the operating benchmarks of its sector.

    Does the simulated retailer look like a real one before any setup is changed? Runs ``replications``
    replications of ``warmup_days`` + ``days`` (the scenario's own horizon and warm-up are replaced: a short run
    without warm-up would start with full shelves and no returns yet) and returns one verdict per applicable
    benchmark (``sim.scenario.benchmarks``: call-centre service and abandonment, store queues, on-time delivery,
    on-shelf availability, returns, satisfaction, sales density, stock turns, conversion..., each with its
    source), those of parts the network lacks (a call centre, stores, online) left out.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file; its ``sector`` picks the
        benchmarks.
    setup : str, default "multichannel"
        The setup judged: the retailer as it runs today.
    replications : int, default 3
        Replications, at least 1 (one gives no interval: a half-width of 0).
    seed : int, default 0
        The root seed (non-negative).
    days : float, default 14.0
        Measured days after the warm-up, more than 0.
    warmup_days : float, default 14.0
        Days simulated first and not measured, at least 0.
    workers : int or None, default 1
        Local processes, as in ``sim.compare`` (``None``: one per CPU, at most one per replication; guard a
        script's work with ``if __name__ == "__main__":``).

    Returns
    -------
    list of Verdict
        One per applicable benchmark: ``benchmark`` (``kpi``, ``low`` and ``high`` in the KPI's unit, ``what``
        it describes, ``source``), ``value`` (the KPI's mean over the replications), ``half_width`` (of its 95 %
        t-interval; 0 with one replication), ``inside`` (whether the mean lies in the range; NaN is outside) and
        ``line()``, the verdict in a sentence.

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused (one line per problem).
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first); one line
        naming the argument.
    ValueError
        ``days`` not above 0 or ``warmup_days`` below 0; ``replications`` or ``workers`` not an integer >= 1; a
        negative ``seed``; an unknown setup (``SetupError``).
    BatchError
        A replication raised.

    Notes
    -----
    ``inside`` judges the mean only; read ``half_width`` beside it (a mean near an end may fall on the other
    side in another sample). The ranges are published operating benchmarks of real retailers, some derived or
    assumed as their ``source`` says: a plausibility check of the baseline, not a validation of the model.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    for verdict in sim.check_plausibility(sc, replications=2, days=7, warmup_days=7):
        print(verdict.line())
    ```
    """
    scenario = scenario_argument(scenario)
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
