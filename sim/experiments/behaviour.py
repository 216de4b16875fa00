"""Uncertainty in behaviour carried into the decision: the same comparison run over many plausible sets of
behavioural parameters, with the spread they cause kept apart from the simulation's own noise.

:func:`compare_behaviour` draws ``n`` sets of behavioural parameters from the ranges the scenario's runs use
(:func:`sim.scenario.assumptions.ranges`: the evidence register's, or the scenario's own) with a scrambled Latin
hypercube (``scipy.stats.qmc.LatinHypercube``, seeded from the run's seed: any ``n``, each parameter's range cut
into ``n`` equal strata with one draw in each). Only the parameters that can change the comparison are drawn
(:func:`parameters`): those acting through a capability switch that differs between the compared setups, and
those acting in every setup (an empty ``mechanism``: they move the baseline too). Each draw is written into the
scenario with :func:`~sim.scenario.assumptions.with_values`; a draw that would push a balancing share below zero
(a price reaction taking more than ``accept`` leaves) is clipped to what is allowed and said so in ``notes``.

Every setup runs on every draw with common random numbers: the same replication seeds on every draw and every
setup (a :class:`~sim.experiments.batch.Plan` with ``design=False``), so the first point, the scenario's own
values, reproduces :func:`sim.experiments.replicate.compare` to the last digit, and the draws differ only by
behaviour. Runs go through the batch runner (serial, local processes or Dask; a results store makes a rerun
resume).

What comes back (:class:`BehaviourResult`):

- ``per_draw``: per draw and setup, the paired change against the baseline of every deciding KPI
  (:data:`sim.experiments.changes.DECIDING`) and of the operating margin, with its sampling interval;
- ``summary``: per setup and KPI, two intervals kept apart. The *behaviour range* is the lowest to the highest
  mean change over the draws: with 16 to 64 draws a 5th-95th percentile would rest on one or two draws at each end
  and says no more than the extremes, while the min-max of a Latin hypercube is what the draws actually gave (it
  widens slowly with ``n``; it is not a probability interval: the ranges are plausible bounds, not distributions).
  The *sampling interval* is the mean half-width of the draws' paired confidence intervals (the simulation's own
  noise at one set of behaviour), beside the point comparison's own interval. The verdict
  (:func:`behaviour_verdict`): a *robust gain/loss* only when every draw's interval excludes zero on the same
  side; *depends on behaviour* when the draws' mean changes have both signs, naming the parameter that explains
  most of it; never a gain or a loss when the change crosses zero within the behaviour range;
- ``ranking`` (the tornado): per setup and KPI, each drawn parameter's share of the spread of the change across
  draws, as the squared Spearman rank correlation between the parameter's drawn values and the change (the share
  of the variance of the ranks it explains alone; a Latin hypercube keeps the parameters nearly uncorrelated, so
  the shares roughly add up). With few draws an unrelated parameter reaches about ``1 / (n - 1)`` by chance
  (``noise_floor``): shares below it are not told apart from none. Simple on purpose: with ``n`` of the order of
  the number of parameters, a regression would be saturated;
- ``break_evens``: for each setup's top parameters of the operating-margin ranking, the value where the
  operating-margin gain reaches a target (zero by default; the margin that makes the payback 12 months when the
  caller gives ``targets``, see :func:`sim.outputs.roi.payback_targets`), the other parameters at the scenario's
  values, found by a few extra common-random-number runs (``scipy.optimize.brentq`` over the parameter's range,
  capped in iterations); ``None`` when the gain does not cross the target within the range.

Uses numpy, pandas and scipy (qmc, optimize, stats); no plotting, no files but the results store.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.stats import qmc

from sim.core.kpis import KPI_BY_NAME
from sim.experiments import analysis
from sim.experiments.batch import BatchSummary, Plan, executor_for, missing, raise_failures, run_batch
from sim.experiments.changes import DECIDING, changes
from sim.experiments.designs import purpose_seed
from sim.experiments.margins import derived_margin
from sim.experiments.replicate import ModelEvaluator, check_counts, check_setups, open_store
from sim.experiments.store import Store
from sim.scenario.assumptions import Range, ranges, with_values
from sim.scenario.evidence import by_path, concrete_paths, label, value_at, values_at
from sim.scenario.schema import Scenario, ScenarioArgument, scenario_argument, scenario_hash
from sim.scenario.setups import SETUP_NAMES, resolve

MARGIN = "operating_margin"
"""The margin whose gain the ranking and the break-evens read (derived per replication,
:func:`sim.experiments.margins.derived_margin`)."""
KPIS = (*DECIDING, MARGIN)
PURPOSE = "behaviour"
"""The purpose name of the design's seed (:func:`sim.experiments.designs.purpose_seed`): independent of every
replication's stream."""
BREAK_EVEN_ITERATIONS = 6
"""At most this many evaluations inside the bracket when searching a break-even (each runs the baseline and the
setup ``replications`` times): the answer is known to a fraction of the range, as precisely as the noise allows."""

ROBUST_GAIN, ROBUST_LOSS = "robust gain", "robust loss"
DEPENDS = "depends on behaviour"
NOT_ROBUST = "not robust"
"""The draws' changes keep one sign, but at some draws the interval holds zero: no claim of a gain or loss."""
NONE = "no detectable difference"
NO_DATA = "no data"

PER_DRAW_COLUMNS = ("point", "setup", "baseline", "kpi", "label", "change_unit", "baseline_mean", "diff",
                    "diff_ci_low", "diff_ci_high", "change", "change_low", "change_high")
SUMMARY_COLUMNS = ("setup", "baseline", "kpi", "label", "change_unit", "point_change", "point_low", "point_high",
                   "behaviour_low", "behaviour_median", "behaviour_high", "sampling_half_width", "draws",
                   "verdict", "driver", "driver_share")
RANKING_COLUMNS = ("setup", "kpi", "parameter", "label", "rho", "share", "noise_floor", "rank")
BREAK_EVEN_COLUMNS = ("setup", "parameter", "label", "unit", "low", "high", "kind", "point_value", "criterion",
                      "target", "value", "direction", "gain_low_end", "gain_high_end", "gain", "gain_ci_low",
                      "gain_ci_high", "evaluations", "status")


# --------------------------------------------------------------------------------------------- the design
def parameters(scenario: Scenario, setups: Sequence[str]) -> list[Range]:
    """The behavioural parameters that can change the comparison of ``setups``, in register order: those whose
    ``mechanism`` names a capability switch that differs between the setups, and those with no mechanism (they act
    in every setup and move the baseline too). Parameters whose range is a single value are left out."""
    caps = [resolve(scenario, s) for s in setups]
    out = []
    for rng in ranges(scenario).values():
        mech = rng.entry.mechanism
        differs = not mech or any(len({getattr(c, m) for c in caps}) > 1 for m in mech)
        if differs and rng.high > rng.low:
            out.append(rng)
    return out


def draw(params: Sequence[Range], n: int, seed: int) -> np.ndarray:
    """``n`` draws (rows) of ``params`` (columns) from a scrambled Latin hypercube over their ranges, seeded from
    ``seed`` (its ``behaviour`` purpose stream): each parameter's range is cut into ``n`` equal strata, one draw
    in each."""
    rng = np.random.default_rng(purpose_seed(seed, PURPOSE))
    unit = qmc.LatinHypercube(d=len(params), scramble=True, seed=rng).random(n)
    return qmc.scale(unit, [p.low for p in params], [p.high for p in params]) if params else unit


def clip_balanced(scenario: Scenario, values: Mapping[str, float]) -> tuple[dict[str, float], list[str]]:
    """``values`` with each share that has a balancing field clipped so that the balancing field stays >= 0 in
    every item (applied in order, as :func:`~sim.scenario.assumptions.with_values` applies them), and one note
    per clipped value."""
    reg = by_path()
    data = scenario.model_dump(mode="json")
    out: dict[str, float] = {}
    notes: list[str] = []
    for path, value in values.items():
        entry = reg[path]
        value = float(value)
        concrete = concrete_paths(data, path)
        if entry.balance:
            others = [f"{c.rsplit('.', 1)[0]}.{entry.balance.rsplit('.', 1)[1]}" for c in concrete]
            room = min(float(value_at(data, c)) + float(value_at(data, o)) for c, o in zip(concrete, others,
                                                                                            strict=True))
            if value > room:
                notes.append(f"{path}: drawn {value:.4g}, clipped to {room:.4g} so that {entry.balance} stays >= 0")
                value = room
            for c, o in zip(concrete, others, strict=True):
                _put(data, o, max(round(float(value_at(data, c)) + float(value_at(data, o)) - value, 12), 0.0))
        for c in concrete:
            _put(data, c, value)
        out[path] = value
    return out, notes


def _put(data: Any, concrete: str, value: float) -> None:
    head, _, last = concrete.rpartition(".")
    parent = value_at(data, head)
    parent[int(last) if isinstance(parent, list) else last] = value


class BehaviourEvaluator(ModelEvaluator):
    """The simulation with a design point's params read as register values (:func:`with_values`: every item a
    ``*`` names, balancing fields adjusted)."""

    def prepare(self, params: Mapping[str, Any]) -> tuple[Any, str]:
        if not params:
            return self.scenario, self.base_hash
        scenario = with_values(self.scenario, {k: float(v) for k, v in params.items()})
        return scenario, scenario_hash(scenario)


# --------------------------------------------------------------------------------------------- analysis
def _better(kpi: str) -> int:
    """+1 when higher is better, -1 when lower is, 0 when neither (the KPI's declaration; margins: higher)."""
    if kpi in KPI_BY_NAME:
        return int(KPI_BY_NAME[kpi].better)
    return 1 if kpi.endswith("margin") else 0


def behaviour_verdict(kpi: str, change: Sequence[float], low: Sequence[float], high: Sequence[float]) -> str:
    """The verdict on one KPI's change over the draws (mean ``change`` and interval ``low``-``high`` per draw):

    - a robust gain or loss (``robustly higher/lower`` for a KPI with no better direction) only when every draw's
      interval excludes zero on the same side;
    - :data:`DEPENDS` when the draws' mean changes have both signs: never a gain or a loss;
    - :data:`NONE` when no draw's interval excludes zero;
    - :data:`NOT_ROBUST` otherwise (one sign, but not told apart from noise at every draw).
    """
    c, lo, hi = (np.asarray(x, dtype=float) for x in (change, low, high))
    ok = np.isfinite(c)
    if not ok.any():
        return NO_DATA
    c, lo, hi = c[ok], lo[ok], hi[ok]
    if c.min() < 0 < c.max():
        return DEPENDS
    better = _better(kpi)
    if np.all(lo > 0) or np.all(hi < 0):
        up = bool(np.all(lo > 0))
        if better == 0:
            return "robustly higher" if up else "robustly lower"
        return ROBUST_GAIN if up == (better > 0) else ROBUST_LOSS
    if not np.any((lo > 0) | (hi < 0)):
        return NONE
    return NOT_ROBUST


def per_draw_changes(runs: pd.DataFrame, baseline: str, confidence: float = 0.95,
                     kpis: Sequence[str] = KPIS) -> pd.DataFrame:
    """Per point of a behaviour run table (``point, setup, replication, kpi, value``): the paired change of each
    of ``kpis`` against ``baseline`` (:func:`sim.experiments.changes.changes`; the operating margin derived per
    replication), columns :data:`PER_DRAW_COLUMNS`."""
    parts = []
    for point, grp in runs.groupby("point", sort=True):
        table = grp.drop(columns="point")
        if MARGIN in kpis:
            table = pd.concat([table, derived_margin(table, MARGIN)], ignore_index=True)
        summary = analysis.summarise(table, baseline=baseline, confidence=confidence)
        ch = changes(summary, list(kpis))
        parts.append(ch.assign(point=int(point)))
    if not parts:
        return pd.DataFrame(columns=list(PER_DRAW_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(PER_DRAW_COLUMNS)]


def rank_parameters(per_draw: pd.DataFrame, draws: pd.DataFrame, kpis: Sequence[str] = KPIS) -> pd.DataFrame:
    """The tornado: per setup and KPI, each drawn parameter's squared Spearman rank correlation with the change
    over the draws (``share``: the share of the variance of the ranks it explains alone), largest first, with the
    level an unrelated parameter reaches by chance (``noise_floor`` = 1 / (draws - 1)). Columns
    :data:`RANKING_COLUMNS`; ``draws`` has ``point`` and one column per parameter path."""
    rows = []
    names = [c for c in draws.columns if c != "point"]
    n = len(draws)
    floor = 1.0 / (n - 1) if n > 1 else math.nan
    x = draws.set_index("point")
    for (setup, kpi), grp in per_draw[per_draw["point"].isin(x.index)].groupby(["setup", "kpi"], sort=False):
        if kpi not in kpis:
            continue
        y = grp.set_index("point")["change"].reindex(x.index).to_numpy(dtype=float)
        found = []
        for name in names:
            xs = x[name].to_numpy(dtype=float)
            ok = np.isfinite(y) & np.isfinite(xs)
            rho = math.nan
            if ok.sum() > 2 and np.ptp(y[ok]) > 0 and np.ptp(xs[ok]) > 0:
                rho = float(stats.spearmanr(xs[ok], y[ok]).statistic)
            found.append((name, rho))
        found.sort(key=lambda t: -(t[1] ** 2) if math.isfinite(t[1]) else 1.0)
        for i, (name, rho) in enumerate(found):
            rows.append({"setup": setup, "kpi": kpi, "parameter": name, "label": label(name), "rho": rho,
                         "share": rho * rho if math.isfinite(rho) else math.nan, "noise_floor": floor,
                         "rank": i + 1})
    return pd.DataFrame(rows, columns=list(RANKING_COLUMNS))


def summarise_behaviour(per_draw: pd.DataFrame, ranking: pd.DataFrame) -> pd.DataFrame:
    """Per setup and KPI: the point comparison (point 0) with its interval, the behaviour range over the draws
    (points 1..n: lowest, median, highest mean change), the sampling half-width (mean over the draws), the
    verdict (:func:`behaviour_verdict`) and the parameter that explains most of the spread (``driver``, from
    ``ranking``). Columns :data:`SUMMARY_COLUMNS`."""
    rows = []
    top = {(r.setup, r.kpi): r for r in ranking[ranking["rank"] == 1].itertuples()} if len(ranking) else {}
    for (setup, kpi), grp in per_draw.groupby(["setup", "kpi"], sort=False):
        point = grp[grp["point"] == 0]
        d = grp[grp["point"] > 0]
        p = point.iloc[0] if len(point) else None
        c = d["change"].to_numpy(dtype=float)
        finite = c[np.isfinite(c)]
        half = ((d["change_high"] - d["change_low"]) / 2.0).to_numpy(dtype=float)
        half = half[np.isfinite(half)]
        verdict = behaviour_verdict(kpi, d["change"], d["change_low"], d["change_high"])
        t = top.get((setup, kpi))
        driver = t.parameter if t is not None and math.isfinite(t.share) else ""
        rows.append({
            "setup": setup, "baseline": grp["baseline"].iloc[0], "kpi": kpi, "label": grp["label"].iloc[0],
            "change_unit": grp["change_unit"].iloc[0],
            "point_change": math.nan if p is None else float(p["change"]),
            "point_low": math.nan if p is None else float(p["change_low"]),
            "point_high": math.nan if p is None else float(p["change_high"]),
            "behaviour_low": float(finite.min()) if finite.size else math.nan,
            "behaviour_median": float(np.median(finite)) if finite.size else math.nan,
            "behaviour_high": float(finite.max()) if finite.size else math.nan,
            "sampling_half_width": float(half.mean()) if half.size else math.nan,
            "draws": int(finite.size), "verdict": verdict, "driver": driver,
            "driver_share": float(t.share) if driver and t is not None else math.nan,
        })
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


# --------------------------------------------------------------------------------------------- the result
@dataclass
class BehaviourResult:
    """What :func:`compare_behaviour` found (see the module's docstring): the drawn parameters and their
    ranges, the draws, the per-draw changes, the summary with its verdicts, the ranking and the break-evens."""

    scenario: str
    setups: list[str]
    baseline: str
    n: int
    replications: int
    seed: int
    confidence: float
    measured_days: float
    parameters: list[Range]
    draws: pd.DataFrame
    per_draw: pd.DataFrame
    summary: pd.DataFrame
    ranking: pd.DataFrame
    break_evens: pd.DataFrame
    targets: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    store: str = ":memory:"
    batch: BatchSummary | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """Per draw, per setup, per KPI the change (the results folder's ``behaviour.csv``): the draw's parameter
        values beside each row; point 0 is the scenario's own values."""
        return self.per_draw.merge(self.draws, on="point", how="left")

    def to_dict(self) -> dict[str, Any]:
        """``behaviour`` (the parameters, intervals per setup and KPI, verdicts), ``ranking`` and ``break_evens``
        as plain data (``decision.json``)."""
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v.item() if hasattr(v, "item") else v

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: clean(v) for k, v in r.items()} for r in frame.to_dict("records")]

        params = [{"path": p.entry.path, "label": label(p.entry.path), "low": p.low, "high": p.high,
                   "default": p.default, "unit": p.entry.unit, "kind": p.kind, "source": p.source, "own": p.own}
                  for p in self.parameters]
        behaviour = {"draws": self.n, "replications": self.replications, "seed": self.seed,
                     "confidence": self.confidence, "design": "scrambled Latin hypercube (scipy.stats.qmc)",
                     "behaviour_interval": "lowest to highest mean change over the draws",
                     "sampling_interval": "mean half-width of the draws' paired confidence intervals",
                     "parameters": params, "notes": self.notes, "kpis": records(self.summary)}
        return {"behaviour": behaviour, "ranking": records(self.ranking), "break_evens": records(self.break_evens)}


# --------------------------------------------------------------------------------------------- running
class _Runner:
    """Runs plans of the behaviour comparison into one store on one executor, and reads their changes."""

    def __init__(self, evaluator: BehaviourEvaluator, store: Store, setups: Sequence[str], replications: int,
                 seed: int, confidence: float, executor: Executor | None, slots: int, progress: bool):
        self.ev, self.store, self.setups = evaluator, store, list(setups)
        self.replications, self.seed, self.confidence = replications, seed, confidence
        self.executor, self.slots, self.progress = executor, slots, progress

    def run(self, points: Sequence[Mapping[str, float]], setups: Sequence[str] | None = None,
            desc: str = "behaviour") -> tuple[pd.DataFrame, BatchSummary]:
        plan = Plan(tuple(points), tuple(setups or self.setups), self.replications, self.seed, design=False)
        summary = run_batch(plan, self.ev, self.store, self.executor, self.slots, self.progress, desc=desc)
        raise_failures(summary, self.store.path)
        return self.store.kpi_table(summary.keys), summary


def _gain(runs: pd.DataFrame, setup: str, baseline: str, confidence: float) -> tuple[float, float, float]:
    """The paired operating-margin gain of ``setup`` over ``baseline`` (euros over the measured days) and its
    interval, from one point's runs."""
    table = derived_margin(runs.drop(columns="point"), MARGIN)
    s = analysis.summarise(table, baseline=baseline, confidence=confidence)
    r = s[s["setup"] == setup].iloc[0]
    return float(r["diff"]), float(r["diff_ci_low"]), float(r["diff_ci_high"])


def _point_values(scenario: Scenario, path: str) -> float:
    vals = [float(v) for v in values_at(scenario.model_dump(mode="json"), path)]
    return float(np.mean(vals)) if vals else math.nan


def break_even(runner: _Runner, scenario: Scenario, param: Range, setup: str, baseline: str, target: float,
               criterion: str, iterations: int = BREAK_EVEN_ITERATIONS) -> dict[str, Any]:
    """The value of ``param`` in its range where ``setup``'s operating-margin gain over ``baseline`` equals
    ``target`` (euros over the measured days), the other parameters at the scenario's values: the gain at both
    ends of the range, then ``scipy.optimize.brentq`` on common random numbers (at most ``iterations``
    evaluations). A row of :data:`BREAK_EVEN_COLUMNS`; ``value`` is None with ``status`` "not within the range"
    when the gain does not cross the target."""
    path = param.entry.path
    cache: dict[float, tuple[float, float, float]] = {}
    notes: list[str] = []

    def gain_at(x: float) -> tuple[float, float, float]:
        x = float(x)
        if x not in cache:
            values, clipped = clip_balanced(scenario, {path: x})
            notes.extend(clipped)
            runs, _ = runner.run([values], [baseline, setup], desc=f"break-even {path}")
            cache[x] = _gain(runs, setup, baseline, runner.confidence)
        return cache[x]

    lo_gain, hi_gain = gain_at(param.low)[0], gain_at(param.high)[0]
    row: dict[str, Any] = {
        "setup": setup, "parameter": path, "label": label(path), "unit": param.entry.unit, "low": param.low,
        "high": param.high, "kind": param.kind, "point_value": _point_values(scenario, path),
        "criterion": criterion, "target": target, "value": None,
        "direction": "up" if hi_gain > lo_gain else ("down" if hi_gain < lo_gain else "flat"), "gain_low_end": lo_gain, "gain_high_end": hi_gain,
        "gain": math.nan, "gain_ci_low": math.nan, "gain_ci_high": math.nan, "evaluations": 2,
        "status": "not within the range"}
    f_lo, f_hi = lo_gain - target, hi_gain - target
    if not (math.isfinite(f_lo) and math.isfinite(f_hi)) or f_lo * f_hi > 0:
        row["status"] = "above the target over the whole range" if f_lo > 0 else \
            ("below the target over the whole range" if f_lo < 0 else "not within the range")
        return row
    if f_lo == 0 or f_hi == 0:
        x = param.low if f_lo == 0 else param.high
    else:
        xtol = (param.high - param.low) / 100.0
        x, _ = optimize.brentq(lambda v: gain_at(v)[0] - target, param.low, param.high, xtol=xtol,
                               maxiter=iterations, full_output=True, disp=False)
    g, g_lo, g_hi = gain_at(x)
    row.update(value=float(x), gain=g, gain_ci_low=g_lo, gain_ci_high=g_hi, evaluations=len(cache),
               status="found" if not notes else "found; " + notes[0])
    return row


def check_assumptions(n: Any) -> int:
    """``n`` as the number of behaviour draws, or ValueError naming what is allowed."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"assumptions: the number of behaviour draws must be an integer >= 2 (got {n!r}): a "
                         "spread needs at least two sets of behaviour")
    return int(n)


def compare_behaviour(
    scenario: ScenarioArgument,
    setups: Sequence[str] | None = None,
    n: int = 16,
    replications: int = 3,
    seed: int = 0,
    workers: int | None = 1,
    confidence: float = 0.95,
    progress: bool = False,
    *,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
    targets: Mapping[str, float] | None = None,
    criterion: str = "",
    break_evens: int = 3,
) -> BehaviourResult:
    """Compare ``setups`` over ``n`` draws of the behavioural parameters, with the spread they cause kept apart from
    the simulation's own noise.

    ``sim.compare`` answers at the scenario's point values of behaviour (how often a recommendation is taken,
    who waits for a missing item...); this asks whether the answer holds across what the evidence finds
    plausible. The parameters that can change the comparison (those acting through a capability switch that
    differs between the setups, and those acting in every setup) are drawn ``n`` times from their evidence
    ranges (the scenario's own ``evidence:`` ranges, else the register's) by a scrambled Latin hypercube seeded
    from ``seed``; every setup runs on every draw, plus the scenario's own values as point 0, on common random
    numbers (the same replication seeds on every draw and setup: point 0 reproduces ``sim.compare`` to the last
    digit). A draw that would push a balancing share below zero is clipped and said so in ``notes``.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    setups : sequence of str, optional
        At least two setups, each once; the first is the baseline. Default None: the three named setups of
        ``SETUP_NAMES``.
    n : int, default 16
        Draws of the behavioural parameters, at least 2. The behaviour range widens slowly with ``n``.
    replications : int, default 3
        Replications per setup and draw, at least 2 (each draw's paired interval needs two).
    seed : int, default 0
        The root seed (non-negative) of the replications and, through its own stream, of the draws.
    workers : int or None, default 1
        Local processes: 1 serial, N spawned processes, None one per CPU (guard a script's work with
        ``if __name__ == "__main__":``); the numbers are the same for any backend.
    confidence : float, default 0.95
        Level of each draw's paired interval, strictly between 0 and 1.
    progress : bool, default False
        Show a progress bar on the terminal.
    client : dask.distributed.Client, optional
        Run on this Dask cluster (left open).
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``).
    executor : concurrent.futures.Executor, optional
        Any executor to run the replications on (left open).
    store : Store or str or os.PathLike, optional
        A results store or the path of its SQLite file: a rerun with the same store runs only what is missing.
        Default None: in memory.
    targets : mapping of str to float, optional
        Per setup, the operating-margin gain over the measured days (euros) its break-evens look for, e.g. the
        gain at which its systems pay back in 12 months (``omnisim compare --assumptions`` passes those). Default
        None: 0, the value where the gain reaches zero.
    criterion : str, default ""
        The words for the target in the break-even rows (default: "operating-margin gain of zero", or "payback
        within 12 months" when a setup has a target).
    break_evens : int, default 3
        How many of each setup's top parameters of the operating-margin ranking get a break-even (0: none). Each
        costs a few extra runs of the baseline and the setup (at most 2 + 6 evaluations of ``replications``
        replications each).

    Returns
    -------
    BehaviourResult
        ``scenario`` (name), ``setups``, ``baseline``, ``n``, ``replications``, ``seed``, ``confidence``,
        ``measured_days`` (horizon minus warm-up, days), ``parameters`` (the drawn parameters and their ranges),
        ``notes`` (clipped draws), ``store`` (its path) and these tables:

        - ``draws``: ``point`` (1 to ``n``) and one column per parameter path, the drawn values in the parameter's
          unit;
        - ``per_draw``: per point and setup, each deciding KPI's (``DECIDING``) and the operating margin's paired
          change against the baseline: ``point, setup, baseline, kpi, label, change_unit, baseline_mean, diff,
          diff_ci_low, diff_ci_high, change, change_low, change_high`` (``change`` in % for amounts, in points
          for shares and scores, as ``change_unit`` says; ``diff`` in the KPI's unit);
        - ``summary``: per setup and KPI, ``point_change`` with ``point_low``/``point_high`` (the scenario's own
          values), the behaviour range ``behaviour_low``, ``behaviour_median``, ``behaviour_high`` (lowest,
          median and highest mean change over the draws), ``sampling_half_width`` (the mean half-width of the
          draws' intervals: the noise at one set of behaviour), ``draws``, ``verdict`` (``robust gain``,
          ``robust loss``, ``robustly higher``/``lower`` for a KPI with no better direction, ``depends on
          behaviour``, ``not robust``, ``no detectable difference``, ``no data``) and ``driver``/``driver_share``
          (the parameter that explains most of the spread);
        - ``ranking``: the tornado, per setup and KPI each parameter's ``rho`` (Spearman rank correlation with
          the change across draws), ``share`` (its square), ``noise_floor`` (1 / (draws − 1), what an unrelated
          parameter reaches by chance) and ``rank``;
        - ``break_evens``: per setup and top parameter, the ``value`` where the operating-margin gain reaches
          its ``target`` (euros over the measured days), the others at the scenario's values, with ``status``
          (``found``, or above / below the target over the whole range).

        ``table()`` gives the per-draw changes beside the draws' values (``behaviour.csv``), ``to_dict()`` the
        plain data of ``decision.json``.

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused (one line per problem).
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first); one line
        naming the argument.
    ValueError
        ``n`` not an integer >= 2; fewer than two setups, an unknown or repeated setup (``SetupError``);
        ``replications`` not an integer >= 2; ``workers`` not an integer >= 1; a negative ``seed``;
        ``confidence`` not strictly between 0 and 1; no behavioural parameter acts differently in the setups
        (nothing to draw).
    ConnectionError
        ``scheduler`` cannot be reached, or Dask is not installed (``SchedulerError``).
    BatchError
        A replication raised.

    See Also
    --------
    - ``sim.compare`` : the comparison at the scenario's point values.
    - ``sim.behaviour_table`` : the summary as people read it.
    - ``sim.behaviour_tornado_figure`` : the ranking as a chart.
    - ``sim.decision_summary`` : with ``assumptions=``, the decision opens with the behaviour ranges.

    Notes
    -----
    The behaviour range is the lowest to the highest mean change over the draws, not a probability interval: the
    evidence ranges are plausible bounds, not distributions, and with 16 to 64 draws a percentile would rest on
    one or two draws at each end. A verdict is a robust gain or loss only when every draw's interval excludes
    zero on the same side; a change whose sign flips within the range is never called a gain or a loss. The
    ranges cover the evidence register's behavioural parameters only, not the scenario's other inputs.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    result = sim.compare_behaviour(sc, setups=["multichannel", "omnichannel"], n=4, replications=2, seed=1,
                                   break_evens=0)
    print(sim.behaviour_table(result))
    print(result.ranking.head())
    ```
    """
    scenario = scenario_argument(scenario)
    n = check_assumptions(n)
    names = check_setups(scenario, list(setups) if setups is not None else list(SETUP_NAMES))
    if len(names) < 2:
        raise ValueError(f"setups: give at least two setups to compare (got {names[0]!r})")
    if not isinstance(replications, int | np.integer) or replications < 2:
        raise ValueError(f"replications must be an integer >= 2 for confidence intervals (got {replications!r})")
    check_counts(replications, workers, seed)
    analysis.check_confidence(confidence)
    params = parameters(scenario, names)
    if not params:
        raise ValueError("assumptions: no behavioural parameter of the evidence register acts differently in "
                         f"{', '.join(names)}: there is no behaviour range to draw")
    values = draw(params, n, seed)
    points: list[dict[str, float]] = [{}]
    notes: list[str] = []
    for row in values:
        clipped, why = clip_balanced(scenario, {p.entry.path: float(v) for p, v in zip(params, row, strict=True)})
        points.append(clipped)
        notes.extend(f"draw {len(points) - 1}: {w}" for w in why)
    draws = pd.DataFrame([{"point": i, **pt} for i, pt in enumerate(points) if i > 0])
    evaluator = BehaviourEvaluator(scenario)
    baseline = names[0]
    measured = float(scenario.horizon_days - scenario.warmup_days)
    with open_store(store) as st:
        plan = Plan(tuple(points), tuple(names), int(replications), int(seed), design=False)
        todo = missing(plan, evaluator, st)
        if not todo and break_evens <= 0:  # nothing to run: do not start a pool or connect to a cluster
            workers, client, scheduler, executor = 1, None, None, None
        with executor_for(workers, client, scheduler, executor, tasks=todo if break_evens <= 0 else None) \
                as (ex, slots):
            runner = _Runner(evaluator, st, names, int(replications), int(seed), confidence, ex, slots, progress)
            runs, batch = runner.run(points)
            per_draw = per_draw_changes(runs, baseline, confidence)
            ranking = rank_parameters(per_draw, draws)
            summary = summarise_behaviour(per_draw, ranking)
            rows = []
            for setup in names[1:] if break_evens > 0 else []:
                target = float((targets or {}).get(setup, 0.0))
                if not math.isfinite(target):
                    target = 0.0
                top = ranking[(ranking["setup"] == setup) & (ranking["kpi"] == MARGIN)].head(break_evens)
                by = {p.entry.path: p for p in params}
                for r in top.itertuples():
                    what = criterion or ("payback within 12 months" if target else "operating-margin gain of zero")
                    rows.append(break_even(runner, scenario, by[r.parameter], setup, baseline, target, what))
        store_path = st.path
    return BehaviourResult(scenario.name, names, baseline, n, int(replications), int(seed), confidence, measured,
                           params, draws, per_draw, summary, ranking,
                           pd.DataFrame(rows, columns=list(BREAK_EVEN_COLUMNS)), dict(targets or {}), notes,
                           store_path, batch)
