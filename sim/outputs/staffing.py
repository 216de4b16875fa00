"""The per-store staffing answer (:func:`sim.experiments.staffing.staff_per_store`) for people: a table in plain
numbers (the CLI, the dashboard and the consultant notebook show the same one) and the ``--out`` folder
(``staffing.csv``, ``staffing.json``). Every output says that staff exclude cashiers."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim._version import __version__
from sim.experiments.staffing import STORE_TARGETS, StorePlan
from sim.outputs.plots import OKABE_ITO, VERDICT_COLOURS, Figure, new_figure
from sim.outputs.results import staged_output

STAFFING_FILES = ("staffing.csv", "staffing.json")
"""What ``omnisim staff --out`` writes: the table per store (raw numbers) and the answer with its totals, targets,
search history and the command that produced it."""


def _value(kpi: str, x: float) -> str:
    if x is None or math.isnan(x):
        return "no data"
    return f"{100 * x:.1f}" if STORE_TARGETS[kpi][1] == "share" else f"{x:.2g}" if x < 10 else f"{x:,.0f}"


def _cell(kpi: str, mean: float, low: float, high: float) -> str:
    share = STORE_TARGETS[kpi][1] == "share"
    unit = " %" if share else " min"
    if math.isnan(low) or math.isnan(high):
        return f"{_value(kpi, mean)}{unit}"
    low, high = max(low, 0.0), min(high, 1.0) if share else high  # shown within what the KPI can take
    return f"{_value(kpi, mean)}{unit} ({_value(kpi, low)}-{_value(kpi, high)})"


def _level(now: Any, client: Any) -> str:
    if now is None or (isinstance(now, float) and math.isnan(now)):
        return "unlimited"
    was = "unlimited" if client is None or (isinstance(client, float) and math.isnan(client)) else int(client)
    return f"{int(now)} (was {was})" if was != int(now) else f"{int(now)}"


def display_table(plan: StorePlan) -> pd.DataFrame:
    """One row per store, as text for people: the staff chosen, each target's mean and interval, the verdict.

    Floor staff and tills (the client's level in brackets where it changed), each target KPI's mean with its
    simultaneous interval, whether the store meets the target, and the floor staff's cost a year (thousands
    separators, no e-notation). The table the CLI, the dashboard and the consultant notebook show.

    Parameters
    ----------
    plan : StorePlan
        What ``sim.staff_per_store`` returned.

    Returns
    -------
    pandas.DataFrame
        Text columns ``store``, ``floor staff`` and ``tills`` (e.g. ``3 (was 5)``, ``unlimited``), one
        ``<kpi> (interval)`` per target (shares in %, waits in minutes, the interval of the confirmation run in
        brackets), ``target`` (``met``, ``missed``, ``unclear`` or ``no queue``, ``at the cap`` when the store
        could not be raised further) and ``staff cost a year`` (euros).

    See Also
    --------
    - ``sim.staffing_figure`` : the same as a chart.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    plan = sim.staff_per_store(sc, min_replications=2, max_replications=3, confirm_rounds=1)
    print(sim.staffing_table(plan).to_string(index=False))
    ```
    """
    rows = []
    for r in plan.table.to_dict("records"):
        row = {"store": r["store"], "floor staff": _level(r["staff"], r["client_staff"]),
               "tills": _level(r["tills"], r["client_tills"])}
        for kpi in plan.targets:
            row[f"{kpi} (interval)"] = _cell(kpi, r[kpi], r[f"{kpi}_low"], r[f"{kpi}_high"])
        row["target"] = r["status"] + (", at the cap" if r["at_cap"] and r["status"] != "met" else "")
        row["staff cost a year"] = f"{r['staff_cost_year']:,.0f}"
        rows.append(row)
    return pd.DataFrame(rows)


def staffing_json(plan: StorePlan, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The answer as plain data: setup, targets, confidence, totals, the table, the sentences, the note, the
    search's history and ``meta`` (the command's file, overrides, seed...)."""
    def plain(x: Any) -> Any:
        if isinstance(x, float) and math.isnan(x):
            return None
        return x.item() if hasattr(x, "item") else x

    return {"setup": plan.setup, "targets": {k: {"op": op, "value": x} for k, (op, x) in plan.targets.items()},
            "confidence": plan.confidence, "all_met": plan.all_met, "note": plan.note,
            "tills_searched": plan.tills_searched, "totals": plan.totals, "summary": plan.lines(),
            "stores": [{k: plain(v) for k, v in r.items()} for r in plan.table.to_dict("records")],
            "history": plan.history, "meta": {"version": __version__, **(meta or {})}}


def write_staffing(plan: StorePlan, out: Path, meta: Mapping[str, Any] | None = None) -> list[Path]:
    """Write :data:`STAFFING_FILES` to ``out`` (staged: complete or not at all); return their paths."""
    with staged_output(out) as tmp:
        plan.table.to_csv(tmp / "staffing.csv", index=False)
        (tmp / "staffing.json").write_text(json.dumps(staffing_json(plan, meta), indent=2) + "\n", encoding="utf-8")
    return [out / name for name in STAFFING_FILES]


def staffing_figure(plan: StorePlan, title: str | None = None) -> Figure:
    """One panel per target KPI: each store's mean on the confirmation run with its simultaneous interval.

    The target as a dashed line, met stores in green, the others in vermillion (amber: unclear), the staff chosen
    in the store's label. Staff exclude cashiers (said under the chart).

    Parameters
    ----------
    plan : StorePlan
        What ``sim.staff_per_store`` returned.
    title : str, optional
        The figure's title. Default None: a title saying what is drawn.

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    See Also
    --------
    - ``sim.staffing_table`` : the same as a table.

    Examples
    --------
    ```python
    from pathlib import Path

    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    plan = sim.staff_per_store(sc, min_replications=2, max_replications=3, confirm_rounds=1)
    fig = sim.staffing_figure(plan)
    Path("results").mkdir(exist_ok=True)
    fig.savefig("results/staffing.png", dpi=110)
    ```
    """
    table = plan.table
    n = len(table)
    fig = new_figure(figsize=(4.6 * len(plan.targets) + 1.4, 0.34 * n + 1.6), layout="constrained")
    axes = fig.subplots(1, len(plan.targets), squeeze=False)[0]
    colour = {"met": VERDICT_COLOURS["clear gain"], "missed": VERDICT_COLOURS["clear loss"], "unclear": OKABE_ITO[1]}
    labels = [f"{r.store}: {int(r.staff)} staff" for r in table.itertuples()]
    y = list(range(n))[::-1]
    for ax, (kpi, (op, x)) in zip(axes, plan.targets.items(), strict=True):
        share = STORE_TARGETS[kpi][1] == "share"
        scale = 100.0 if share else 1.0
        for yi, r in zip(y, table.to_dict("records"), strict=True):
            c = colour.get(r["status"], "0.5")
            lo, hi = r[f"{kpi}_low"], r[f"{kpi}_high"]
            if not (math.isnan(lo) or math.isnan(hi)):
                ax.plot([lo * scale, hi * scale], [yi, yi], color=c, lw=2.2, solid_capstyle="butt")
            ax.plot([r[kpi] * scale], [yi], "o", color=c, ms=5)
        ax.axvline(x * scale, color="0.2", ls="--", lw=0.9, label=f"target {op} {x * scale:g}{' %' if share else ''}")
        ax.set_yticks(y, labels if ax is axes[0] else [""] * n, fontsize=8)
        ax.set_xlabel(f"{kpi} ({'%' if share else 'minutes'})", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7, frameon=False, loc="lower left")
    fig.suptitle(title or f"{plan.setup}: each store at the staff chosen (confirmation run, "
                          f"{plan.confidence:.0%} simultaneous intervals)", fontsize=10)
    fig.supxlabel(f"Note: {plan.note}.", fontsize=7, color="0.3")
    return fig
