"""Warm-up: Welch's method on the daily network stock suggests how many days to discard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.experiments import analysis
from sim.experiments.batch import (
    Plan,
    executor_for,
    raise_failures,
    run_batch,
)
from sim.experiments.store import Store
from sim.scenario.schema import ScenarioArgument, scenario_argument
from sim.scenario.setups import available

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass
from sim.experiments.replicate import ModelEvaluator, check_counts, check_setups

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


def suggest_warmup(scenario: ScenarioArgument, setups: Sequence[str] | None = None,
                   replications: int = WARMUP_REPLICATIONS, days: float = WARMUP_RUN_DAYS, seed: int = 0,
                   workers: int | None = 1, window: int | None = None, tolerance: float = WARMUP_TOLERANCE,
                   progress: bool = False) -> WarmupSuggestion:
    """Suggest a warm-up for ``scenario`` by Welch's method on its daily network stock (``WARMUP_SERIES``).

    How many days to simulate but not measure (the scenario's ``warmup_days``), so that the measured window
    starts once the stock has settled: a run starts with every shelf at its order-up-to level and no returns
    yet. Runs ``replications`` replications of ``days`` days from the start (the scenario's own horizon and
    warm-up replaced) under each setup (on common random numbers) and applies Welch's method
    (``sim.experiments.analysis.welch_daily``) to each setup's series, with the window of ``welch_window`` and
    ``tolerance``. The suggestion is the warm-up of the setup whose stock settles last, so one warm-up serves
    every comparison of the scenario.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    setups : sequence of str, optional
        The setups to run. Default None: every setup the scenario offers (``sim.available_setups``).
    replications : int, default 10
        Replications per setup, at least 1.
    days : float, default 56.0
        Days simulated from the start, at least two moving-average windows (``4 w + 2`` days: 14 for weekly
        reviews, 30 for fortnightly ones).
    seed : int, default 0
        The root seed (non-negative).
    workers : int or None, default 1
        Local processes, as in ``sim.compare`` (guard a script's work with ``if __name__ == "__main__":``); the
        numbers are the same for any count.
    window : int, optional
        Welch's window ``w`` in days (the moving average spans ``2 w + 1`` days). Default None: from the
        scenario's longest review cycle, at least a week (``w = 3``).
    tolerance : float, default 0.02
        The band around the steady level the moving average must stay in, as a share of that level (0.02: ±2 %).
    progress : bool, default False
        Show a progress bar on the terminal.

    Returns
    -------
    WarmupSuggestion
        ``days`` (the suggested warm-up in whole days, or None when a setup's stock has not settled within the
        run: run longer), ``slowest`` (the setups whose stock settles last), ``settled(setup)``, ``welch`` (per
        setup, Welch's result: ``period_means`` and ``moving_average`` of the daily stock in units, ``window``,
        ``warmup`` in days, ``level`` the steady stock in units, ``tolerance``, ``replications``), ``run_days``,
        ``replications``, ``seed`` and ``series``.

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused (one line per problem).
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first); one line
        naming the argument.
    ValueError
        ``days`` shorter than two moving-average windows; ``replications`` or ``workers`` not an integer >= 1;
        a negative ``seed``; an unknown or repeated setup (``SetupError``).
    BatchError
        A replication raised.

    See Also
    --------
    - ``sim.check_plausibility`` : the baseline against the sector's operating benchmarks.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    suggestion = sim.suggest_warmup(sc, setups=["multichannel", "omnichannel"], replications=2, days=14)
    print(suggestion.days, suggestion.slowest)
    ```
    """
    scenario = scenario_argument(scenario)
    names = check_setups(scenario, list(setups) if setups is not None else list(available(scenario)))
    check_counts(replications, workers, seed)
    w = welch_window(scenario) if window is None else int(window)
    if not days >= 2 * (2 * w + 1):
        raise ValueError(f"days must cover two moving-average windows of {2 * w + 1} days (at least {4 * w + 2}; "
                         f"got {days!r})")
    run = scenario.model_copy(update={"horizon_days": float(days), "warmup_days": 0.0})
    plan = Plan(({},), tuple(names), int(replications), int(seed))
    with Store() as st:
        with executor_for(workers, None, None, None, tasks=len(names) * int(replications)) as (ex, slots):
            summary = run_batch(plan, ModelEvaluator(run), st, ex, slots, progress, desc="warm-up")
        raise_failures(summary, st.path)
        daily = st.daily_table(summary.keys)
    welch = {s: analysis.welch_daily(daily, WARMUP_SERIES, s, w, tolerance) for s in names}
    return WarmupSuggestion(welch, float(days), int(replications), int(seed))
