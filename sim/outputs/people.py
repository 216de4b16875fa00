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
    """A pandas ``Styler`` of ``frame`` for display (a notebook shows it as a table).

    Numbers to ``significant`` figures with thousands separators and no e-notation, counts whole, NaN as "–", the
    KPIs' units beside them, the index hidden. The data is unchanged: ``for_people(df).data`` is ``df`` (with the
    unit column).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any result table: a summary, a sensitivity table, a sweep's. A ``kpi`` column gets a ``unit`` column
        beside it (each KPI's declared unit) unless it has one.
    significant : int, default 3
        Significant figures of the numbers shown (integers are shown whole).

    Returns
    -------
    pandas.io.formats.style.Styler
        The styled table; ``.data`` holds the numbers, ``.to_html()`` the table as HTML.

    Raises
    ------
    TypeError
        ``frame`` is not a pandas DataFrame.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    df = sim.compare(sc, setups=["multichannel", "omnichannel"], replications=2)
    styled = sim.for_people(df[df["kpi"].isin(["revenue", "fill_rate"])])
    print(styled.data[["setup", "kpi", "unit", "mean"]])
    html = styled.to_html()  # what a notebook shows
    ```
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    shown = with_units(frame)
    return shown.style.format(_cell(significant)).hide(axis="index")
