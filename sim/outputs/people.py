"""Tables for people: any result table (a summary, a sensitivity table, a sweep's) shown in a notebook with
numbers as people read them — 2–3 significant figures, thousands separators, never in scientific notation, each
KPI's unit beside it — without changing the numbers themselves (the frame stays whole for computing).

The report and the command line format their own tables with the same helpers (:func:`sim.outputs.decision.fmt_number`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.core.kpis import KPI_BY_NAME
from sim.outputs.decision import fmt_number

MISSING = "–"


def _cell(significant: int) -> Any:
    def fmt(value: Any) -> str:
        if isinstance(value, bool | np.bool_):
            return str(value)
        if isinstance(value, int | np.integer):
            return f"{int(value):,}"
        if isinstance(value, float | np.floating):
            return MISSING if math.isnan(value) else fmt_number(float(value), significant)
        return str(value)
    return fmt


def with_units(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``unit`` column after its ``kpi`` column (the unit each KPI is declared with), when it has
    one and no unit column yet."""
    if "kpi" not in frame.columns or "unit" in frame.columns:
        return frame
    out = frame.copy()
    out.insert(list(out.columns).index("kpi") + 1, "unit",
               [KPI_BY_NAME[k].unit if k in KPI_BY_NAME else "" for k in out["kpi"]])
    return out


def for_people(frame: pd.DataFrame, significant: int = 3) -> Any:
    """A pandas ``Styler`` of ``frame`` for display (a notebook shows it as a table): numbers to ``significant``
    figures with thousands separators and no e-notation, counts whole, NaN as "–", the KPIs' units beside them,
    the index hidden. The data is unchanged: ``for_people(df).data`` is ``df`` (with the unit column)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    shown = with_units(frame)
    return shown.style.format(_cell(significant)).hide(axis="index")
