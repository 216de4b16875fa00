"""Tidy tables (pandas) of in-memory model results: KPIs, daily series and breakdowns per replication."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.experiments import analysis
from sim.experiments.replicate import RUN_COLUMNS, Replication


def kpi_table(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the tidy table ``setup, replication, kpi, value``: one row per result and KPI, in result order.

    Values are floats in the unit the KPI name says; a KPI with no data is NaN.
    """
    rows = [
        (rep.setup, rep.replication, kpi, float(value))
        for rep in results
        for kpi, value in rep.result.kpis.items()
    ]
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return table.astype({"setup": str, "replication": int, "kpi": str, "value": float})


def daily_table(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the daily series as a tidy table ``setup, replication, series, day, value`` (day from 1)."""
    rows = [
        (rep.setup, rep.replication, name, day, float(value))
        for rep in results
        for name, values in rep.result.daily.items()
        for day, value in enumerate(values, start=1)
    ]
    return pd.DataFrame(rows, columns=["setup", "replication", "series", "day", "value"])


def breakdown_table(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the breakdowns as a tidy table ``setup, replication, dimension, member, kpi, value``.

    ``dimension`` is e.g. "channel", "store" or "segment"; values are in the KPI's unit.
    """
    rows = [
        (rep.setup, rep.replication, dim, member, kpi, float(value))
        for rep in results
        for dim, members in rep.result.breakdown.items()
        for member, kpis in members.items()
        for kpi, value in kpis.items()
    ]
    return pd.DataFrame(rows, columns=["setup", "replication", "dimension", "member", "kpi", "value"])


def daily_means(results: Sequence[Replication]) -> pd.DataFrame:
    """Return the per-day means over replications, the tidy table ``setup, series, day, mean`` of
    :func:`sim.experiments.analysis.daily_means` (the input of ``plots.daily_series`` and ``plots.stock_over_time``)."""
    return analysis.daily_means(results)
