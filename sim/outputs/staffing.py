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
from sim.outputs.results import staged_output

STAFFING_FILES = ("staffing.csv", "staffing.json")
"""What ``omnisim staff --out`` writes: the table per store (raw numbers) and the answer with its totals, targets,
search history and the command that produced it."""


def _value(kpi: str, x: float) -> str:
    if x is None or math.isnan(x):
        return "no data"
    return f"{100 * x:.1f}" if STORE_TARGETS[kpi][1] == "share" else f"{x:.2g}" if x < 10 else f"{x:,.0f}"


def _cell(kpi: str, mean: float, low: float, high: float) -> str:
    unit = " %" if STORE_TARGETS[kpi][1] == "share" else " min"
    if math.isnan(low) or math.isnan(high):
        return f"{_value(kpi, mean)}{unit}"
    return f"{_value(kpi, mean)}{unit} ({_value(kpi, low)}-{_value(kpi, high)})"


def _level(now: Any, client: Any) -> str:
    if now is None or (isinstance(now, float) and math.isnan(now)):
        return "unlimited"
    was = "unlimited" if client is None or (isinstance(client, float) and math.isnan(client)) else int(client)
    return f"{int(now)} (was {was})" if was != int(now) else f"{int(now)}"


def display_table(plan: StorePlan) -> pd.DataFrame:
    """One row per store, as text for people: floor staff and tills (the client's level in brackets where it
    changed), each target KPI's mean with its simultaneous interval, whether the store meets the target, and the
    floor staff's cost a year (thousands separators, no e-notation)."""
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
