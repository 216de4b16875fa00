"""What drives the gain: each setup's change against the baseline split by capability, as a waterfall that adds up.

A setup differs from the baseline by capability switches (:class:`sim.scenario.setups.Capabilities`). The path
from the baseline to the setup switches them one at a time in the fixed order :data:`ORDER` (visibility before the
shared pool, the pool before what needs it — pickup from store stock, ship-from-store, transfers —, the customer
record before what feeds on it — personalisation, cart reminders); a switch equal in the baseline and the setup
is skipped. A switch whose change alone would make an impossible mix (:meth:`Capabilities.problems`, e.g. a shared
pool without live visibility, when the baseline's visibility is not live and the setup's is) goes together with
the next ones in the order until the mix is possible: one step switches them together. Each intermediate mix is
run as a custom setup (the scenario's ``setups:``) with common random numbers: the same seeds, so the same
customers with the same wishes, under every step. A step's change is the mean over replications of (KPI after
the step − KPI before it); per replication these differences telescope, so the steps add up exactly to the
setup's total change against the baseline (on the replications where every mix has a value of that KPI).

The attribution depends on the order (a switch that only acts with another one, e.g. personalisation with the
customer record, gets the joint effect where it comes second): :data:`ORDER` is the order a retailer would build
in, and it is fixed so that results can be compared. :func:`decompose` can also give each switch "switched off in
turn" (the setup against the setup without that switch, its dependants switched off with it): how much the setup
loses without it, which does not add up when switches interact. It costs one more run per switch.

Runs go through the batch runner (:func:`sim.experiments.batch.run_batch`): a resumable store, local workers or
Dask, as :func:`sim.experiments.replicate.replicate`. Given the comparison's replicate table (``runs=``), the baseline
and the setups are taken from it and only the intermediate mixes are run: ``steps − 1`` setups' worth of runs per
setup (the default scenario: omnichannel against multichannel takes 12 steps, 11 extra runs per replication).
The KPIs decomposed are the deciding ones (:data:`sim.experiments.changes.DECIDING`) and the operating margin
(:func:`sim.experiments.margins.derived_margin`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.kpis import SCORE, SHARE, label_of, unit_of
from sim.experiments.batch import Plan, executor_for, missing, raise_failures, run_batch
from sim.experiments.changes import DECIDING
from sim.experiments.margins import derived_margin
from sim.experiments.replicate import ModelEvaluator, check_counts, check_setups, open_store
from sim.experiments.store import Store
from sim.scenario.schema import SetupSpec
from sim.scenario.setups import SETUP_NAMES, Capabilities, resolve

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

ORDER: tuple[str, ...] = (
    "visibility", "shared_stock", "cart_continuity", "click_collect", "store_pickup", "ship_from_store", "transfers",
    "endless_aisle", "return_anywhere", "customer_data", "personalisation", "clienteling", "cart_reminders",
    "chatbot", "unified_pricing")
"""The order in which the waterfall switches capabilities on: what others need comes first."""
assert sorted(ORDER) == sorted(f.name for f in fields(Capabilities)), "ORDER must name every capability once"

LABELS: dict[str, str] = {
    "visibility": "stock visibility", "shared_stock": "shared stock pool", "cart_continuity": "cart continuity",
    "click_collect": "click & collect", "store_pickup": "pickup from store stock", "ship_from_store": "ship-from-store",
    "transfers": "store transfers", "endless_aisle": "endless aisle", "return_anywhere": "return anywhere",
    "customer_data": "customer data", "personalisation": "personalisation", "cart_reminders": "cart reminders",
    "chatbot": "chatbot", "unified_pricing": "unified pricing", "clienteling": "clienteling"}
"""Each capability's name for people."""

DECOMPOSED: tuple[str, ...] = (*DECIDING, "operating_margin")
"""The KPIs a decomposition splits: the deciding ones and the operating margin (derived per replication)."""

COLUMNS = ("setup", "baseline", "kind", "step", "switches", "label", "capabilities", "kpi", "kpi_label", "unit",
           "diff", "diff_ci_low", "diff_ci_high", "change", "change_low", "change_high", "change_unit", "n_pairs")
"""Columns of :attr:`Decomposition.table` (and ``decomposition.csv``). ``kind``: ``step`` (a waterfall step),
``total`` (the setup against the baseline: the steps' sum) or ``off`` (the setup against itself without the
switch); ``step`` numbers the steps from 1 (0 for the total); ``switches``: the capability fields the step changes,
comma-separated; ``label`` them for people; ``capabilities``: the name the mix was run under; ``diff``: mean paired
difference in the KPI's unit; ``change``: in % of the baseline mean (amounts) or points (shares and scores), the
same scale for every step of a KPI, so that the steps add up to the total."""


# --------------------------------------------------------------------------------------------- the path
@dataclass(frozen=True)
class Step:
    """One step of a path: the capability fields it switches (to the target's values) and the mix after it."""

    switches: tuple[str, ...]
    capabilities: Capabilities

    @property
    def label(self) -> str:
        return " + ".join(LABELS[f] for f in self.switches)


def path(base: Capabilities, target: Capabilities) -> list[Step]:
    """The waterfall's steps from ``base`` to ``target``: the switches that differ, in :data:`ORDER`, one a step;
    a switch whose change alone makes an impossible mix goes with the next ones until the mix is possible. The
    last step's mix is ``target``; no step when they are equal. Raises ``ValueError`` if ``target`` itself is
    impossible."""
    problems = target.problems()
    if problems:
        raise ValueError("; ".join(problems))
    out: list[Step] = []
    current, pending = base, []
    for name in ORDER:
        if getattr(base, name) == getattr(target, name):
            continue
        pending.append(name)
        mix = replace(current, **{f: getattr(target, f) for f in pending})
        if not mix.problems():
            out.append(Step(tuple(pending), mix))
            current, pending = mix, []
    assert not pending and (not out or out[-1].capabilities == target)
    return out


def switched_off(base: Capabilities, target: Capabilities) -> list[Step]:
    """Each switch in which ``target`` differs from ``base`` set back to the baseline's value in turn, with the
    switches that cannot work without it (those :meth:`Capabilities.problems` names as needing it: a shared pool
    without live visibility, pickup from store stock without the shared pool, ...): one :class:`Step` per switch,
    whose ``capabilities`` is the target without it."""
    changed = [f for f in ORDER if getattr(base, f) != getattr(target, f)]
    out = []
    for name in changed:
        off = [name]
        mix = replace(target, **{name: getattr(base, name)})
        while mix.problems():
            # each problem reads "<switch> needs <what it needs> ...": switch the dependants off too
            dependants = [line.split()[0] for line in mix.problems()]
            todo = [d for d in dependants if d in changed and d not in off]
            if not todo:
                raise ValueError(f"cannot switch off {name}: " + "; ".join(mix.problems()))
            off += todo
            mix = replace(mix, **{d: getattr(base, d) for d in todo})
        out.append(Step(tuple(sorted(off, key=ORDER.index)), mix))
    return out


def _spec(caps: Capabilities) -> SetupSpec:
    """A custom setup with every switch given (its base is then irrelevant)."""
    return SetupSpec(base="multichannel", **{f.name: getattr(caps, f.name) for f in fields(Capabilities)})


# --------------------------------------------------------------------------------------------- the result
@dataclass
class Decomposition:
    """What :func:`decompose` returns: ``table`` (columns :data:`COLUMNS`), the ``runs`` of every mix (tidy
    replicate table, the derived margin included) and the ``mixes`` run (name -> capabilities)."""

    baseline: str
    confidence: float
    table: pd.DataFrame
    runs: pd.DataFrame
    mixes: dict[str, Capabilities]

    def steps(self, setup: str, kpi: str) -> pd.DataFrame:
        """The waterfall of one setup and KPI: its steps in order (``kind == "step"``)."""
        t = self.table
        return t[(t["setup"] == setup) & (t["kpi"] == kpi) & (t["kind"] == "step")].sort_values("step")

    def to_dict(self) -> dict[str, Any]:
        """Per setup, per KPI: the total and the steps with their change and interval (JSON-ready: no NaN)."""

        def clean(v: Any) -> Any:
            v = v.item() if hasattr(v, "item") else v
            return None if isinstance(v, float) and not math.isfinite(v) else v

        out: dict[str, Any] = {"baseline": self.baseline, "confidence": self.confidence, "order": list(ORDER),
                               "setups": {}}
        keep = ("step", "switches", "label", "diff", "diff_ci_low", "diff_ci_high", "change", "change_low",
                "change_high", "n_pairs")
        for (setup, kpi), grp in self.table.groupby(["setup", "kpi"], sort=False):
            total = grp[grp["kind"] == "total"].iloc[0]
            entry = {"label": total["kpi_label"], "unit": total["unit"], "change_unit": total["change_unit"],
                     "total": {k: clean(total[k]) for k in keep[3:]},
                     "steps": [{k: clean(r[k]) for k in keep} for _, r in grp[grp["kind"] == "step"].iterrows()]}
            off = grp[grp["kind"] == "off"]
            if len(off):
                entry["switched_off"] = [{k: clean(r[k]) for k in keep} for _, r in off.iterrows()]
            out["setups"].setdefault(str(setup), {})[str(kpi)] = entry
        return out


# --------------------------------------------------------------------------------------------- running
def _mix_names(scenario: Any, baseline: str, targets: Sequence[str], off: bool
               ) -> tuple[dict[str, Capabilities], dict[str, list[tuple[Step, str]]], dict[str, list[tuple[Step, str]]]]:
    """The mixes to run (name -> capabilities; the baseline and targets under their own names, an intermediate
    mix equal to one of them reuses its name), and per target its waterfall and switched-off steps with the name
    of the mix each ends in."""
    mixes = {baseline: resolve(scenario, baseline)}
    for t in targets:
        mixes[t] = resolve(scenario, t)
    by_caps = {caps: name for name, caps in mixes.items()}

    def name_of(caps: Capabilities, setup: str, tag: str) -> str:
        if caps not in by_caps:
            by_caps[caps] = f"{setup} {tag}"
            mixes[by_caps[caps]] = caps
        return by_caps[caps]

    steps: dict[str, list[tuple[Step, str]]] = {}
    offs: dict[str, list[tuple[Step, str]]] = {}
    for t in targets:
        steps[t] = [(s, name_of(s.capabilities, t, f"step {i}"))
                    for i, s in enumerate(path(mixes[baseline], mixes[t]), start=1)]
        if off:
            offs[t] = [(s, name_of(s.capabilities, t, f"without {f}"))
                       for f, s in zip([f for f in ORDER if getattr(mixes[baseline], f) != getattr(mixes[t], f)],
                                       switched_off(mixes[baseline], mixes[t]), strict=True)]
    return mixes, steps, offs


def _run_mixes(scenario: Any, names: Sequence[str], replications: int, seed: int, workers: int | None,
               progress: bool, client: Any, scheduler: str | None, executor: Executor | None,
               store: Store | str | os.PathLike | None) -> pd.DataFrame:
    """The replicate table (``setup, replication, kpi, value``) of ``names`` on ``scenario``, through the batch
    runner (seeds as :func:`sim.experiments.replicate.replicate`: the same customers as a comparison's)."""
    import pandas as pd

    if not names:
        return pd.DataFrame(columns=["setup", "replication", "kpi", "value"])
    plan = Plan(({},), tuple(names), int(replications), int(seed))
    evaluator = ModelEvaluator(scenario)
    with open_store(store) as st:
        todo = missing(plan, evaluator, st)
        if not todo:
            workers, client, scheduler, executor = 1, None, None, None
        with executor_for(workers, client, scheduler, executor, tasks=todo) as (ex, slots):
            summary = run_batch(plan, evaluator, st, ex, slots, progress, desc="decomposition")
        raise_failures(summary, st.path)
        table = st.kpi_table(summary.keys)
    return table.drop(columns="point").reset_index(drop=True)


def decompose(
    scenario: Any,
    setups: Sequence[str] | None = None,
    replications: int = 10,
    seed: int = 0,
    workers: int | None = 1,
    confidence: float = 0.95,
    progress: bool = False,
    *,
    runs: pd.DataFrame | None = None,
    switch_off: bool = False,
    kpis: Sequence[str] = DECOMPOSED,
    client: Any = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    store: Store | str | os.PathLike | None = None,
) -> Decomposition:
    """Split each setup's change against the baseline (the first of ``setups``; default the three named setups) by
    capability: the waterfall of :func:`path`, each step a custom setup run on common random numbers.

    ``runs``: the comparison's replicate table of the same scenario, seed and replications (e.g. from
    :func:`sim.experiments.replicate.compare_runs`): the baseline's and setups' runs are taken from it, only the
    intermediate mixes are run, and the totals are then the comparison's paired differences exactly.
    ``switch_off``: also each switch switched off in turn (``kind == "off"`` rows; one more run per switch).
    Backends and ``store`` as :func:`sim.experiments.replicate.replicate` (a rerun with the same store runs only
    what is missing). Returns a :class:`Decomposition`. Raises ``ValueError`` for bad setups or counts.
    """
    import pandas as pd

    from sim.experiments import analysis

    names = check_setups(scenario, list(setups) if setups is not None else list(SETUP_NAMES))
    if len(names) < 2:
        raise ValueError(f"setups: give at least two setups, the first the baseline (got {names!r})")
    check_counts(replications, workers, seed)
    if replications < 2:
        raise ValueError(f"replications must be an integer >= 2 for confidence intervals (got {replications!r})")
    analysis.check_confidence(confidence)
    baseline, targets = names[0], names[1:]
    mixes, steps, offs = _mix_names(scenario, baseline, targets, switch_off)
    extra = {n: c for n, c in mixes.items() if n not in names}
    plan_scenario = scenario.model_copy(update={"setups": {**scenario.setups, **{n: _spec(c) for n, c in extra.items()}}})
    have = None
    if runs is not None:
        have = runs[runs["setup"].isin(names) & (runs["replication"] < replications)][
            ["setup", "replication", "kpi", "value"]]
        if set(have["setup"]) != set(names) or have["replication"].nunique() != replications:
            raise ValueError("runs: the comparison's table must hold every setup of setups= over the same "
                             "replications")
    todo = list(extra) if have is not None else list(mixes)
    ran = _run_mixes(plan_scenario, todo, replications, seed, workers, progress, client, scheduler, executor, store)
    table = pd.concat([t for t in (have, ran) if t is not None and len(t)], ignore_index=True)
    if "operating_margin" in kpis:
        table = pd.concat([table, derived_margin(table, "operating_margin")], ignore_index=True)
    rows = []
    for t in targets:
        rows += _rows(table, baseline, t, steps[t], offs.get(t, []), kpis, confidence)
    return Decomposition(baseline, confidence, pd.DataFrame(rows, columns=list(COLUMNS)), table, mixes)


def _rows(table: pd.DataFrame, baseline: str, setup: str, steps: list[tuple[Step, str]],
          offs: list[tuple[Step, str]], kpis: Sequence[str], confidence: float) -> list[dict[str, Any]]:
    from sim.experiments import analysis

    states = [baseline, *(name for _, name in steps)]
    out = []
    for kpi in kpis:
        wide = table[table["kpi"] == kpi].pivot_table(index="replication", columns="setup", values="value",
                                                       dropna=False, sort=False)
        if baseline not in wide.columns or setup not in wide.columns:
            continue
        cols = list(dict.fromkeys([*states, setup, *(name for _, name in offs)]))
        wide = wide.reindex(columns=cols).dropna()  # the replications where every mix has a value
        unit = unit_of(kpi)
        base_mean = float(wide[baseline].mean()) if len(wide) else math.nan
        if unit in (SHARE, SCORE):
            scale, change_unit = (100.0 if unit == SHARE else 1.0), "points"
        else:
            scale = 100.0 / abs(base_mean) if base_mean and math.isfinite(base_mean) else math.nan
            change_unit = "%"

        def row(kind: str, step: int, switches: Sequence[str], label: str, mix: str, diffs: np.ndarray,
                kpi: str = kpi, scale: float = scale, change_unit: str = change_unit, unit: str = unit
                ) -> dict[str, Any]:
            mean, low, high = analysis.t_interval(diffs, confidence)
            return {"setup": setup, "baseline": baseline, "kind": kind, "step": step, "switches": ", ".join(switches),
                    "label": label, "capabilities": mix, "kpi": kpi, "kpi_label": label_of(kpi), "unit": unit,
                    "diff": mean, "diff_ci_low": low, "diff_ci_high": high, "change": mean * scale,
                    "change_low": low * scale, "change_high": high * scale, "change_unit": change_unit,
                    "n_pairs": int(diffs.size)}

        values = wide.to_numpy(dtype=float)
        at = {name: i for i, name in enumerate(cols)}
        total = values[:, at[setup]] - values[:, at[baseline]]
        out.append(row("total", 0, [f for s, _ in steps for f in s.switches], "total", setup, total))
        for i, (s, name) in enumerate(steps, start=1):
            before = states[i - 1]
            out.append(row("step", i, s.switches, s.label, name, values[:, at[name]] - values[:, at[before]]))
        for i, (s, name) in enumerate(offs, start=1):
            out.append(row("off", i, s.switches, f"without {s.label}", name,
                           values[:, at[setup]] - values[:, at[name]]))
    return out


def check_adds_up(decomposition: Decomposition, rel: float = 1e-9) -> list[str]:
    """The (setup, KPI) pairs whose steps do not add up to the total (within ``rel`` of the largest step): one
    line each. Empty when the waterfall is whole."""
    out = []
    t = decomposition.table
    for (setup, kpi), grp in t.groupby(["setup", "kpi"], sort=False):
        total = float(grp.loc[grp["kind"] == "total", "diff"].iloc[0])
        parts = grp.loc[grp["kind"] == "step", "diff"].to_numpy(dtype=float)
        if not math.isfinite(total):
            continue
        scale = max([abs(total), *np.abs(parts).tolist(), 1e-300])
        if abs(parts.sum() - total) > rel * scale:
            out.append(f"{setup}, {kpi}: steps add up to {parts.sum():g}, the total is {total:g}")
    return out


def summary_lines(decomposition: Decomposition, kpi: str = "operating_margin", top: int = 3) -> list[str]:
    """One sentence per setup naming the ``top`` steps that move ``kpi`` most, with their change and interval."""
    out = []
    t = decomposition.table
    for setup, grp in t[(t["kpi"] == kpi)].groupby("setup", sort=False):
        steps = grp[grp["kind"] == "step"]
        if steps.empty:
            continue
        total = grp[grp["kind"] == "total"].iloc[0]
        big = steps.reindex(steps["diff"].abs().sort_values(ascending=False).index).head(top)
        unit = total["change_unit"]
        parts = [f"{r.label} {r.change:+.1f} {unit} [{r.change_low:+.1f}; {r.change_high:+.1f}]"
                 for r in big.itertuples()]
        out.append(f"{setup}: {label_of(kpi)} {total['change']:+.1f} {unit} against {total['baseline']}, "
                   f"mostly from {', '.join(parts)} (switched on in a fixed order; the steps add up to the "
                   "total).")
    return out

