"""Staffing search: the smallest floor staff per store at which a setup meets its service targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.experiments import analysis
from sim.experiments.sequential import sequential
from sim.scenario.schema import scenario_from_dict


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


def recommend_staff(scenario: Any, setup: str, staff_options: Sequence[int],
                    targets: Mapping[str, tuple[str, float]], report: Sequence[str] = (), seed: int = 0,
                    target: float = 0.05, min_replications: int = 5, max_replications: int = 30,
                    workers: int | None = 1) -> Staffing:
    """The smallest floor staff per store (the same level in every store) at which ``setup`` meets ``targets``.

    ``targets`` maps a KPI to ``(">=" or "<=", threshold)``, e.g. ``{"store_service_level": (">=", 0.8)}``;
    ``report`` names KPIs shown beside them without a target. Each staff level runs :func:`sequential` on the
    target KPIs: replications are added until each mean's relative half-width is at most ``target`` (or
    ``max_replications``), on the same seeds at every level (common random numbers: the same customers meet each
    staffing). A level meets the targets when every target KPI's mean does. The consultant notebook and its test
    call this, so the recommendation the notebook shows is the one tested.
    """


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
