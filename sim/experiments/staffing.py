"""Staffing searches: the smallest uniform floor staff at which a setup meets its targets on the network mean
(:func:`recommend_staff`), and the floor staff of each store that meets every store's target at the least staff
cost (:func:`staff_per_store`, behind ``omnisim staff``, the consultant notebook and the dashboard). Staff exclude
cashiers: tills are separate servers."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.core.model import run
from sim.experiments import analysis
from sim.experiments.batch import Collector, Plan, executor_for, raise_failures, run_batch
from sim.experiments.replicate import ModelEvaluator, check_setups
from sim.experiments.seeding import replication_seed
from sim.experiments.sequential import sequential
from sim.scenario.schema import ScenarioArgument, scenario_argument, scenario_from_dict


@dataclass
class Staffing:
    """Outcome of :func:`recommend_staff`: one row per staff level (``table``: ``staff``, ``replications``,
    ``reached`` (the target half-width met), each target's and each reported KPI's mean and ``<kpi>_half_width``,
    and ``meets_targets``), and the smallest level that meets every target (None if none does)."""

    table: pd.DataFrame
    recommended: int | None
    targets: dict[str, tuple[str, float]]


def meets(value: float, op: str, threshold: float) -> bool:
    """Whether ``value`` meets a target given as ``(op, threshold)``, ``op`` one of ``>=`` and ``<=``."""
    if op not in (">=", "<="):
        raise ValueError(f"a target's operator must be '>=' or '<=' (got {op!r})")
    return bool(value >= threshold) if op == ">=" else bool(value <= threshold)


def recommend_staff(scenario: ScenarioArgument, setup: str, staff_options: Sequence[int],
                    targets: Mapping[str, tuple[str, float]], report: Sequence[str] = (), seed: int = 0,
                    target: float = 0.05, min_replications: int = 5, max_replications: int = 30,
                    workers: int | None = 1) -> Staffing:
    """The smallest floor staff per store (the same level in every store) at which ``setup`` meets ``targets``.

    It judges network KPIs (e.g. the network's mean store service level), so a busy store can miss a target the
    network meets: ``sim.staff_per_store`` chooses a level per store and holds every store to the target.

    Each staff level runs ``sim.sequential`` on the target KPIs: replications are added until each mean's
    relative half-width is at most ``target`` (or ``max_replications``), on the same seeds at every level
    (common random numbers: the same customers meet each staffing). A level meets the targets when every target
    KPI's mean does.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    setup : str
        The setup to staff (``sim.available_setups``).
    staff_options : sequence of int
        The floor staff levels to try, each set in every store (counts of staff, cashiers excluded).
    targets : mapping of str to (str, float)
        KPI to ``(">=" or "<=", threshold)`` in the KPI's unit, e.g. ``{"store_service_level": (">=", 0.8)}``
        (a share 0–1).
    report : sequence of str, default ()
        KPIs shown beside the targets, without a target.
    seed : int, default 0
        The root seed (non-negative), the same at every level.
    target : float, default 0.05
        The relative half-width (share of the mean) each target KPI's mean is estimated to.
    min_replications : int, default 5
        Replications of each level's first step, at least 2.
    max_replications : int, default 30
        The cap per level.
    workers : int or None, default 1
        Local processes: 1 serial, N spawned processes, None one per CPU (guard a script's work with
        ``if __name__ == "__main__":``).

    Returns
    -------
    Staffing
        ``table`` (one row per staff level: ``staff``, ``replications``, ``reached`` (the half-width target
        met), each target's and reported KPI's mean and ``<kpi>_half_width`` in the KPI's unit, and
        ``meets_targets``), ``recommended`` (the smallest level that meets every target, None if none does) and
        ``targets``.

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused (one line per problem).
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first); one line
        naming the argument.
    ValueError
        A target's operator is neither ``">="`` nor ``"<="``; a target or reported KPI the runs do not hold;
        the ``sim.sequential`` checks (replication counts, ``target``, the setup).
    ScenarioError
        A staff level the scenario refuses (e.g. negative).
    BatchError
        A replication raised.

    See Also
    --------
    - ``sim.staff_per_store`` : a level per store, every store held to the target with joint intervals.
    - ``sim.lever_figure`` : the table as a chart.

    Notes
    -----
    A level is judged on the means, not on their intervals: a level whose mean sits just above the threshold
    may miss it in another sample. ``table`` gives each mean's half-width to read it with.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    staffing = sim.recommend_staff(sc, "omnichannel", [2, 3, 4], {"store_service_level": (">=", 0.8)},
                                   report=["conversion_rate"], min_replications=2, max_replications=4)
    print(staffing.recommended)
    print(staffing.table[["staff", "replications", "store_service_level", "meets_targets"]])
    ```
    """
    scenario = scenario_argument(scenario)
    for op, _ in targets.values():
        meets(0.0, op, 0.0)  # an unknown operator is refused before any run
    data = scenario.model_dump(mode="json")
    shown = list(dict.fromkeys([*targets, *report]))
    rows = []
    for staff in staff_options:
        level = scenario_from_dict(data, {f"stores.{i}.staff": int(staff) for i in range(len(scenario.stores))})
        seq = sequential(level, [setup], list(targets), target, min_replications, max_replications, seed=seed,
                         workers=workers)
        hw = analysis.relative_half_widths(seq.runs, shown).set_index("kpi")
        row: dict[str, Any] = {"staff": int(staff), "replications": seq.replications, "reached": seq.reached}
        for kpi in shown:
            row[kpi] = float(hw.loc[kpi, "mean"])
            row[f"{kpi}_half_width"] = float(hw.loc[kpi, "half_width"])
        row["meets_targets"] = all(meets(row[k], op, x) for k, (op, x) in targets.items())
        rows.append(row)
    table = pd.DataFrame(rows)
    ok = table[table["meets_targets"]]
    return Staffing(table, int(ok["staff"].min()) if len(ok) else None, dict(targets))


# ============================================================================================= per store
STAFF_NOTE = ("staff are the floor staff (advice and picking online orders) and exclude cashiers: tills are "
              "separate servers")
"""Said by every output of the staffing search."""

STORE_TARGETS: dict[str, tuple[str, str]] = {
    "store_service_level": (">=", "share"),
    "store_abandon_rate": ("<=", "share"),
    "store_wait_mean_min": ("<=", "minutes"),
    "store_wait_p95_min": ("<=", "minutes"),
}
"""KPIs of each store a per-store search can hold to a target: the direction that meets it and the unit."""

DAYS_PER_YEAR = 365.0


def check_targets(target: Mapping[str, float | str]) -> dict[str, tuple[str, float]]:
    """``{kpi: threshold}`` as ``{kpi: (op, threshold)}``, each KPI's direction from :data:`STORE_TARGETS`.

    Raises ``ValueError`` with one line naming the target and what is allowed: an unknown KPI, a share outside
    (0, 1), a number of minutes not positive, or no target at all."""
    if not isinstance(target, Mapping) or not target:
        raise ValueError(f"target: give at least one of {', '.join(STORE_TARGETS)}, e.g. store_service_level=0.8")
    out: dict[str, tuple[str, float]] = {}
    for kpi, value in target.items():
        if kpi not in STORE_TARGETS:
            raise ValueError(f"target {kpi!r}: not a store KPI a staffing search can hold; allowed: "
                             f"{', '.join(STORE_TARGETS)}")
        op, unit = STORE_TARGETS[kpi]
        shown = value if isinstance(value, str) and value.strip() else repr(value)  # text as typed, e.g. --target
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"target {kpi}: expected a number (got {shown})") from None
        if isinstance(value, bool) or not math.isfinite(x):
            raise ValueError(f"target {kpi}: expected a number (got {shown})")
        if unit == "share" and not 0.0 < x < 1.0:
            raise ValueError(f"target {kpi}: a share strictly between 0 and 1, e.g. 0.8 (got {shown})")
        if unit == "minutes" and not x > 0.0:
            raise ValueError(f"target {kpi}: a positive number of minutes (got {shown})")
        out[kpi] = (op, x)
    return out


def run_store_kpis(scenario: Any, setup: str, seed: np.random.SeedSequence) -> tuple[dict, dict]:
    """One replication's target KPIs of every store, as ``{"<store index>:<kpi>": value}`` (no daily series).
    Top-level so workers can import it."""
    result = run(scenario, setup=setup, seed=seed, daily=False)
    out = {}
    for i, kpis in enumerate(result.breakdown["store"].values()):
        for kpi in STORE_TARGETS:
            out[f"{i}:{kpi}"] = float(kpis[kpi])
    return out, {}


class StoreKpiEvaluator(ModelEvaluator):
    """The simulation returning each store's target KPIs (:func:`run_store_kpis`)."""

    evaluate = staticmethod(run_store_kpis)


@dataclass(frozen=True)
class _FreshPlan(Plan):
    """A plan whose replication ``r`` has the spawn key ``(stream, r)``: seeds independent of the search's ``(r,)``
    and of every other stream (a confirmation round's own customers)."""

    stream: int = 1

    def seed_of(self, point: int, replication: int) -> np.random.SeedSequence:
        return replication_seed(self.seed, replication, self.stream)


Vector = tuple[tuple[int, int | None], ...]
"""A staffing: (staff, tills) of each store, in the scenario's order."""
Levels = tuple[tuple[int | None, int | None], ...]
"""The client's (staff, tills) of each store as the scenario gives them: None is unlimited."""


@dataclass
class _Evaluation:
    """One staffing's replications: each store's status (``met``, ``missed``, ``unclear``, ``no queue``) and each
    target KPI's ``(mean, low, high)`` on simultaneous intervals."""

    vector: Vector
    replications: int
    status: list[str]
    stats: list[dict[str, tuple[float, float, float]]]

    def met(self, i: int) -> bool:
        return self.status[i] in ("met", "no queue")


@dataclass
class StorePlan:
    """Outcome of :func:`staff_per_store`.

    ``table``: one row per store: ``store``, ``staff`` and ``tills`` chosen, the client's (``client_staff``,
    ``client_tills``), each target KPI's mean with ``<kpi>_low`` / ``<kpi>_high`` (simultaneous intervals of the
    confirmation run, Bonferroni over stores and targets), ``status`` (``met``: the interval clears the target;
    ``missed``: it lies on the wrong side; ``unclear``: it straddles the target), ``at_cap`` (the store sits at the
    staff cap, and at the tills cap when tills are searched: the search could not raise it further),
    ``replications`` and ``staff_cost_year`` (staff x open hours x 365 x ``fulfilment.staff_cost_per_hour``).
    ``totals``: the network's staff, tills and yearly staff cost, chosen and the client's, stores met.
    ``history``: each staffing the search ran (vector, replications, stores met).
    """

    table: pd.DataFrame
    totals: dict[str, float]
    setup: str
    targets: dict[str, tuple[str, float]]
    confidence: float
    all_met: bool
    history: list[dict[str, Any]]
    tills_searched: bool
    note: str = STAFF_NOTE

    def lines(self) -> list[str]:
        """The answer in plain sentences: what was searched, the totals, who missed, and the staff note."""
        t = self.totals
        aims = " and ".join(f"{k} {op} {x:g}" for k, (op, x) in self.targets.items())
        out = [f"Staff per store under {self.setup} for {aims} in every store "
               f"({self.confidence:.0%} simultaneous intervals over the stores, confirmation run of "
               f"{int(t['replications'])} replications on fresh seeds).",
               f"Floor staff: {int(t['staff'])} (client: {int(t['client_staff'])}); staff cost a year "
               f"{t['staff_cost_year']:,.0f} (client: {t['client_staff_cost_year']:,.0f})."]
        if self.tills_searched:
            out.append(f"Tills: {int(t['tills'])} (client: {int(t['client_tills'])}); a cashier per open till is "
                       "priced like a floor staff hour in tills_cost_year.")
        missed = self.table[self.table["status"] != "met"]
        if len(missed):
            out.append("Not brought to target: " + ", ".join(
                f"{r.store} ({r.status}{', at the cap' if r.at_cap else ''})" for r in missed.itertuples()) + ".")
        else:
            out.append(f"Every store meets the target ({len(self.table)} stores).")
        out.append(f"Note: {self.note}.")
        return out


def staff_per_store(scenario: ScenarioArgument, setup: str = "omnichannel",
                    target: Mapping[str, float] | None = None, *, tills: bool = False,
                    max_staff: int | None = None, max_tills: int | None = None,
                    min_staff: int = 1, min_tills: int = 1, confidence: float = 0.95, min_replications: int = 5,
                    max_replications: int = 20, confirm_replications: int | None = None, confirm_rounds: int = 3,
                    seed: int = 0, workers: int | None = 1, progress: bool = False,
                    on_step: Callable[[str], None] | None = None) -> StorePlan:
    """The floor staff of each store (and its tills with ``tills=True``) that meets every store's ``target`` at
    the least staff cost: a coordinate search on common random numbers, then a confirmation run on fresh seeds.

    ``target`` maps store KPIs of ``STORE_TARGETS`` to thresholds (default ``{"store_service_level": 0.8}``);
    each store must meet all of them. Staff exclude cashiers: tills are separate servers (``STAFF_NOTE``).

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario with stores (``sim.load_scenario``) or the path of a scenario file. The client's
        levels (``stores.*.staff``, ``stores.*.tills``) are where the search starts.
    setup : str, default "omnichannel"
        The setup to staff (``sim.available_setups``).
    target : mapping of str to float, optional
        Store KPI to threshold, each store held to all of them: ``store_service_level`` (at least; a share
        strictly between 0 and 1), ``store_abandon_rate`` (at most; a share), ``store_wait_mean_min`` and
        ``store_wait_p95_min`` (at most; positive minutes). Default None: ``{"store_service_level": 0.8}``.
    tills : bool, default False
        Search each store's tills too (a cashier per open till, priced like a floor staff hour).
    max_staff : int, optional
        The staff cap of every store, at least ``min_staff``. Default None: twice the largest client level, at
        least 4.
    max_tills : int, optional
        The tills cap (with ``tills=True``); default as ``max_staff``, from the client's tills.
    min_staff : int, default 1
        The floor of every store's staff (at least 1).
    min_tills : int, default 1
        The floor of every store's tills (at least 1).
    confidence : float, default 0.95
        The joint level of "every store meets its target", strictly between 0 and 1 (each store's interval is
        at the Bonferroni-adjusted level).
    min_replications : int, default 5
        Replications of each staffing's first look, at least 2.
    max_replications : int, default 20
        The cap per staffing while a store is unclear, at least ``min_replications``.
    confirm_replications : int, optional
        Replications of each confirmation run, at least 2. Default None: ``max_replications``.
    confirm_rounds : int, default 3
        Confirmation runs at most (at least 1).
    seed : int, default 0
        The root seed (non-negative) of the search; the confirmation runs use seeds independent of it.
    workers : int or None, default 1
        Local processes: 1 serial, N spawned processes, None one per CPU (guard a script's work with
        ``if __name__ == "__main__":``).
    progress : bool, default False
        Show a progress bar on the terminal.
    on_step : callable, optional
        ``on_step(message)`` is told each staffing run (a notebook's or a dashboard's progress).

    Returns
    -------
    StorePlan
        ``table``: one row per store: ``store``, ``staff`` and ``tills`` chosen, the client's (``client_staff``,
        ``client_tills``), each target KPI's mean with ``<kpi>_low`` / ``<kpi>_high`` (simultaneous intervals of
        the confirmation run, in the KPI's unit), ``status`` (``met``, ``missed``, ``unclear``, or ``no queue``
        when nobody queued), ``at_cap``, ``replications``, ``staff_cost_year`` and ``client_staff_cost_year``
        (euros a year: staff × open hours × 365 × ``fulfilment.staff_cost_per_hour``; ``tills_cost_year`` with
        ``tills=True``). ``totals``: the network's stores, stores met, staff, tills and yearly staff cost,
        chosen and the client's, the confirmation's replications and the search's runs. ``all_met``,
        ``history`` (each staffing run: stage, staff, tills, replications, stores met), ``note`` (staff exclude
        cashiers) and ``lines()``, the answer in plain sentences.

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused (one line per problem).
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first); one line
        naming the argument.
    ValueError
        A target KPI that is not a store target, a share outside (0, 1), minutes not positive, no target; a count
        below its floor or not an integer; ``min_replications`` above ``max_replications``; ``confidence`` not
        strictly between 0 and 1; a scenario without stores; an unknown setup (``SetupError``).
    BatchError
        A replication raised.

    See Also
    --------
    - ``sim.staffing_table``, ``sim.staffing_figure`` : the answer for people.
    - ``sim.recommend_staff`` : one level for every store, judged on network means.

    Notes
    -----
    **Judging one staffing.** Its replications run on the same seeds as every other staffing the search tries
    (common random numbers: the same customers meet each vector, so the comparison of two vectors is not blurred
    by different customers). Each store's target KPI gets a Student-t interval at the Bonferroni-adjusted level
    ``1 - (1 - confidence) / (stores x targets)``: the statement "every store meets its target" is a joint claim
    over the stores, and Bonferroni holds it at ``confidence`` whatever the correlation between stores (they
    share customers, online picking, transfers and routing), where a ranking-and-selection procedure would assume
    independent, normal systems. A store is ``met`` when its interval clears the target, ``missed`` when it lies
    on the wrong side and ``unclear`` when it straddles it; replications are added (``min_replications``, then
    by the number of workers, at least 2, up to ``max_replications``) while a store is unclear — a sequential
    check per store. At the cap an unclear store counts as not met (the search raises it): it errs towards staff.

    **The search.** It starts from the client's levels (clipped to ``[min_staff, max_staff]``; ``max_staff``
    defaults to twice the largest client level, at least 4; tills likewise). Raise: every store that does not
    meet gets one more staff (and till, when searched) until all meet or sit at the cap. Lower: rounds alternate
    staff and tills; each round lowers by one every store still above its floor whose lower level has not failed;
    stores that then miss go back up and are not tried lower again; if a store outside the round misses (stores
    interact), the round is undone and its stores are not tried lower again. Each level is the least that holds
    given the others, so the total is the least the coordinate search finds, not a proven optimum.

    **Confirmation.** The chosen vector runs ``confirm_replications`` (default ``max_replications``) replications on
    seeds independent of the search's (the search picked the vector on its own seeds; judging it on the same
    ones would be optimistic). Stores that are not met are raised by one and the vector runs again on new seeds,
    up to ``confirm_rounds`` runs; the table is the last confirmation run's, and a store at the cap that still
    misses is reported as such (``at_cap``). Repeated looks make the sequential intervals a little less than
    nominal; the confirmation run is a single look at a fixed count.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    plan = sim.staff_per_store(sc, "omnichannel", {"store_service_level": 0.8}, min_replications=2,
                               max_replications=3, confirm_rounds=1)
    for line in plan.lines():
        print(line)
    print(plan.table[["store", "staff", "client_staff", "store_service_level", "status"]])
    ```
    """
    scenario = scenario_argument(scenario)
    targets = check_targets({"store_service_level": 0.8} if target is None else target)
    analysis.check_confidence(confidence)
    for name, value, low in (("min_replications", min_replications, 2), ("max_replications", max_replications, 2),
                             ("min_staff", min_staff, 1), ("min_tills", min_tills, 1),
                             ("confirm_rounds", confirm_rounds, 1)):
        _check_int(name, value, low)
    if min_replications > max_replications:
        raise ValueError(f"need min_replications <= max_replications (got {min_replications}, {max_replications})")
    n_confirm = max_replications if confirm_replications is None else confirm_replications
    _check_int("confirm_replications", n_confirm, 2)
    if not scenario.stores:
        raise ValueError("the scenario has no stores to staff")
    names = check_setups(scenario, [setup])
    client: Levels = tuple((s.staff, s.tills) for s in scenario.stores)
    caps = (_cap(max_staff, [s for s, _ in client], min_staff, "max_staff"),
            _cap(max_tills, [t for _, t in client], min_tills, "max_tills") if tills else 0)
    with executor_for(workers, tasks=max_replications) as (ex, slots):
        search = _Search(scenario, names[0], targets, confidence, tills, caps, (min_staff, min_tills), seed,
                         (ex, slots), progress, on_step)
        x, ev = search.raise_all(search.start(client), min_replications, max_replications)
        x, ev = search.lower_all(x, ev, min_replications, max_replications)
        x, final = search.confirm(x, n_confirm, confirm_rounds)
    return _store_plan(scenario, setup, targets, confidence, final, client, tills,
                       [search.at_cap(x, i) for i in range(len(x))], search.history)


class _Search:
    """The state of one :func:`staff_per_store` search: the evaluator, the executor, the caps and the history."""

    def __init__(self, scenario: Any, setup: str, targets: dict[str, tuple[str, float]], confidence: float,
                 tills: bool, caps: tuple[int, int], floors: tuple[int, int], seed: int,
                 pool: tuple[Any, int], progress: bool, on_step: Callable[[str], None] | None):
        self.setup, self.targets, self.tills, self.caps, self.floors = setup, targets, tills, caps, floors
        self.seed, (self.ex, self.slots), self.progress, self.on_step = int(seed), pool, progress, on_step
        self.n_stores = len(scenario.stores)
        self.level = 1.0 - (1.0 - confidence) / (self.n_stores * len(targets))  # Bonferroni
        self.evaluator = StoreKpiEvaluator(scenario)
        self.cache = Collector()  # the search's runs, on its common random numbers: a vector tried twice runs once
        self.history: list[dict[str, Any]] = []

    def start(self, client: Levels) -> Vector:
        """The client's levels clipped to the floors and caps (an unlimited level starts at the cap)."""
        def clip(v: int | None, low: int, high: int) -> int:
            return high if v is None else max(low, min(high, int(v)))

        return tuple((clip(s, self.floors[0], self.caps[0]),
                      clip(t, self.floors[1], self.caps[1]) if self.tills else t) for s, t in client)

    def judge(self, vector: Vector, sink: Collector, stream: int | None, first: int, last: int,
              what: str) -> _Evaluation:
        """Run ``vector`` (``first`` replications, more while a store is unclear, up to ``last``) and judge it."""
        params = _params(vector, self.tills)
        n = first
        while True:
            plan = Plan((params,), (self.setup,), n, self.seed) if stream is None else \
                _FreshPlan((params,), (self.setup,), n, self.seed, stream=stream)
            summary = run_batch(plan, self.evaluator, sink, self.ex, self.slots, self.progress, desc=what)
            raise_failures(summary)
            assert summary.keys is not None
            ev = _judge(vector, [o.kpis for o in sink.ok(summary.keys)], self.targets, self.level)
            if n >= last or "unclear" not in ev.status:
                break
            n = min(n + max(2, self.slots), last)
        met = sum(ev.met(i) for i in range(self.n_stores))
        self.history.append({"stage": what, "staff": [s for s, _ in vector], "tills": [t for _, t in vector],
                             "replications": ev.replications, "stores_met": met})
        if self.on_step is not None:
            tills = f", tills {[t for _, t in vector]}" if self.tills else ""
            self.on_step(f"{what}: staff {[s for s, _ in vector]}{tills}: {met}/{self.n_stores} stores meet the "
                         f"target ({ev.replications} replications)")
        return ev

    def at_cap(self, vector: Vector, i: int) -> bool:
        s, t = vector[i]
        return s >= self.caps[0] and (not self.tills or (t or 0) >= self.caps[1])

    def raised(self, vector: Vector, stores: Sequence[int]) -> Vector:
        out = list(vector)
        for i in stores:
            s, t = out[i]
            out[i] = (min(self.caps[0], s + 1), min(self.caps[1], (t or 0) + 1) if self.tills else t)
        return tuple(out)

    def raise_all(self, x: Vector, first: int, last: int) -> tuple[Vector, _Evaluation]:
        """Raise every store that does not meet by one, until all meet or sit at the cap."""
        ev = self.judge(x, self.cache, None, first, last, "start")
        while True:
            up = [i for i in range(self.n_stores) if not ev.met(i) and not self.at_cap(x, i)]
            if not up:
                return x, ev
            x = self.raised(x, up)
            ev = self.judge(x, self.cache, None, first, last, "raise")

    def lower_all(self, x: Vector, ev: _Evaluation, first: int, last: int) -> tuple[Vector, _Evaluation]:
        """Rounds alternating staff and tills, each lowering by one every store whose lower level has not failed."""
        kinds = ("staff", "tills") if self.tills else ("staff",)
        frozen: set[tuple[int, int]] = set()
        idle, k = 0, 0
        while idle < len(kinds):
            col = k % len(kinds)
            k += 1
            down = [i for i in range(self.n_stores) if ev.met(i) and (i, col) not in frozen
                    and (x[i][col] or 0) > self.floors[col]]
            if not down:
                idle += 1
                continue
            idle = 0
            y = tuple(_lowered(v, col) if i in down else v for i, v in enumerate(x))
            ey = self.judge(y, self.cache, None, first, last, f"lower {kinds[col]}")
            failed = [i for i in down if not ey.met(i)]
            if any(ev.met(i) and not ey.met(i) for i in range(self.n_stores) if i not in down):
                frozen.update((i, col) for i in down)  # a store outside the round lost its target: undo the round
                continue
            frozen.update((i, col) for i in failed)
            if not failed:
                x, ev = y, ey
                continue
            keep = [i for i in down if i not in failed]
            if not keep:
                continue
            z = tuple(y[i] if i in keep else x[i] for i in range(self.n_stores))
            ez = self.judge(z, self.cache, None, first, last, f"lower {kinds[col]}")
            if all(ez.met(i) for i in range(self.n_stores) if ev.met(i)):
                x, ev = z, ez
            else:
                frozen.update((i, col) for i in keep)
        return x, ev

    def confirm(self, x: Vector, n: int, rounds: int) -> tuple[Vector, _Evaluation]:
        """Run ``x`` on fresh seeds; raise the stores that are not met and run again on new seeds (``rounds`` runs
        at most). Returns the last vector and its confirmation run."""
        for r in range(rounds):
            final = self.judge(x, Collector(), r + 1, n, n, f"confirm {r + 1}")
            up = [i for i in range(self.n_stores) if not final.met(i) and not self.at_cap(x, i)]
            if not up or r == rounds - 1:
                break
            x = self.raised(x, up)
        return x, final


def _lowered(v: tuple[int, int | None], col: int) -> tuple[int, int | None]:
    return (v[0] - 1, v[1]) if col == 0 else (v[0], (v[1] or 0) - 1)


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an integer >= {low} (got {value!r})")


def _cap(given: int | None, levels: Sequence[int | None], floor: int, name: str) -> int:
    if given is None:
        known = [int(v) for v in levels if v is not None]
        return max(4, 2 * max(known, default=2), floor)
    _check_int(name, given, floor)
    return int(given)


def _params(vector: Vector, tills: bool) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, (s, t) in enumerate(vector):
        out[f"stores.{i}.staff"] = int(s)
        if tills and t is not None:
            out[f"stores.{i}.tills"] = int(t)
    return out


def _judge(vector: Vector, runs: Sequence[Mapping[str, float]], targets: Mapping[str, tuple[str, float]],
           level: float) -> _Evaluation:
    """Each store's status from the replications' KPIs on intervals at ``level``."""
    status, stats = [], []
    for i in range(len(vector)):
        verdicts, row = [], {}
        for kpi, (op, x) in targets.items():
            mean, low, high = analysis.t_interval([r[f"{i}:{kpi}"] for r in runs], level)
            row[kpi] = (mean, low, high)
            if math.isnan(mean):
                verdicts.append("no queue")  # nobody queued: nobody waited beyond the target
            elif math.isnan(low):
                verdicts.append("unclear")
            elif (low >= x) if op == ">=" else (high <= x):
                verdicts.append("met")
            elif (high < x) if op == ">=" else (low > x):
                verdicts.append("missed")
            else:
                verdicts.append("unclear")
        status.append("missed" if "missed" in verdicts else "unclear" if "unclear" in verdicts
                      else "met" if "met" in verdicts else "no queue")
        stats.append(row)
    return _Evaluation(vector, len(runs), status, stats)


def _store_plan(scenario: Any, setup: str, targets: dict[str, tuple[str, float]], confidence: float,
                final: _Evaluation, client: Levels, tills: bool, capped: list[bool],
                history: list[dict[str, Any]]) -> StorePlan:
    rate = float(scenario.fulfilment.staff_cost_per_hour)
    rows = []
    for i, store in enumerate(scenario.stores):
        hours = float(store.close_hour - store.open_hour)
        s, t = final.vector[i]
        row: dict[str, Any] = {"store": store.name, "staff": int(s), "tills": t, "client_staff": client[i][0],
                               "client_tills": client[i][1]}
        for kpi in targets:
            mean, low, high = final.stats[i][kpi]
            row.update({kpi: mean, f"{kpi}_low": low, f"{kpi}_high": high})
        row.update(status=final.status[i], at_cap=capped[i], replications=final.replications,
                   staff_cost_year=s * hours * DAYS_PER_YEAR * rate,
                   client_staff_cost_year=(client[i][0] or 0) * hours * DAYS_PER_YEAR * rate)
        if tills:
            row["tills_cost_year"] = (t or 0) * hours * DAYS_PER_YEAR * rate
        rows.append(row)
    table = pd.DataFrame(rows)
    totals = {"stores": float(len(rows)), "stores_met": float((table["status"] == "met").sum()),
              "staff": float(table["staff"].sum()), "client_staff": float(table["client_staff"].fillna(0).sum()),
              "tills": float(table["tills"].fillna(0).sum()),
              "client_tills": float(table["client_tills"].fillna(0).sum()),
              "staff_cost_year": float(table["staff_cost_year"].sum()),
              "client_staff_cost_year": float(table["client_staff_cost_year"].sum()),
              "replications": float(final.replications),
              "runs": float(sum(h["replications"] for h in history))}
    return StorePlan(table, totals, setup, dict(targets), confidence, bool((table["status"] == "met").all()),
                     history, tills)
