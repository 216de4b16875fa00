"""Charts of a comparison: KPI means with confidence intervals, paired differences, daily series.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no global backend switch), in
the colour-blind-safe Okabe-Ito palette, one colour per setup kept across every chart. Every axis
label carries a unit derived from the KPI name (see :func:`kpi_unit`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Okabe & Ito (2008), "Color Universal Design"; ordered so the first colours contrast most on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
SHARE = "share (0–1)"
EURO = "€"

_EXACT_UNITS = {
    "revenue": EURO,
    "margin": EURO,
    "gross_margin": EURO,
    "cost": EURO,
    "satisfaction": "score",
    "inventory_turns": "turns",
    "touchpoints_per_journey": "touchpoints",
}
_SUFFIX_UNITS = (
    ("_min", "minutes"),
    ("_rate", SHARE),
    ("_level", SHARE),
    ("_share", SHARE),
    ("_units", "units"),
    ("_value", EURO),
    ("_revenue", EURO),
    ("_margin", EURO),
    ("_cost", EURO),
    ("_days", "days"),
)


def kpi_unit(name: str) -> str:
    """Return the display unit of a KPI or series from its name, e.g. ``"minutes"`` for ``store_wait_mean_min``.

    ``_min`` minutes; ``_rate``/``_level``/``_share`` a share (0–1); ``_units`` units; ``_value``,
    revenue, margin, cost in €; ``_days`` days; a few named scores; anything else a count.
    """
    if name in _EXACT_UNITS:
        return _EXACT_UNITS[name]
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return "count"


def setup_colours(setups: Sequence[str]) -> dict[str, str]:
    """Return setup -> hex colour, assigning the Okabe-Ito palette in the order given (cycling past 8)."""
    return {s: OKABE_ITO[i % len(OKABE_ITO)] for i, s in enumerate(setups)}


def _grid(n: int, ncols_max: int = 4, cell: tuple[float, float] = (3.4, 2.8)) -> tuple[Figure, list[Axes]]:
    ncols = max(1, min(ncols_max, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = Figure(figsize=(cell[0] * ncols, cell[1] * nrows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = list(np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _save(fig: Figure, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


def _rows(summary: pd.DataFrame, kpis: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Return kpi -> its summary rows, raising ``ValueError`` for KPIs the summary lacks."""
    if not kpis:
        raise ValueError("kpis: at least one KPI name is needed")
    present = list(pd.unique(summary["kpi"]))
    missing = [k for k in kpis if k not in present]
    if missing:
        raise ValueError(f"kpis not in the summary: {', '.join(missing)}; available: {', '.join(present)}")
    return {k: summary[summary["kpi"] == k] for k in kpis}


def _interval_err(centre: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray | None:
    """Return the 2×n error-bar array, or None when no interval is known; NaN bars get none."""
    err = np.vstack([centre - low, high - centre])
    return None if np.isnan(err).all() else err


def _flag_missing(ax: Axes, positions: np.ndarray, centre: np.ndarray, low: np.ndarray, vertical: bool) -> None:
    """Write "no data" where the value is NaN and "no CI" where only the interval is (fewer than 2 values)."""
    for pos, value, lo in zip(positions, centre, low, strict=True):
        text = "no data" if np.isnan(value) else "no CI" if np.isnan(lo) else ""
        if text:
            xy = (pos, 0.0) if vertical else (0.0, pos)
            ax.annotate(text, xy, ha="center", va="bottom", fontsize=7, color="0.3")


def _bar_panel(ax: Axes, kpi: str, rows: pd.DataFrame, colours: Mapping[str, str]) -> None:
    x = np.arange(len(rows))
    mean, low = rows["mean"].to_numpy(float), rows["ci_low"].to_numpy(float)
    err = _interval_err(mean, low, rows["ci_high"].to_numpy(float))
    ax.bar(x, np.nan_to_num(mean), yerr=err, capsize=4, color=[colours[s] for s in rows["setup"]],
           error_kw={"elinewidth": 1.0, "ecolor": "0.2"})
    _flag_missing(ax, x, mean, low, vertical=True)
    ax.set_xticks(x, list(rows["setup"]), rotation=20, ha="right", fontsize=8)
    ax.set_title(kpi, fontsize=9)
    ax.set_xlabel("setup", fontsize=8)
    ax.set_ylabel(f"mean ({kpi_unit(kpi)})", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.3)


def kpi_bars_figure(summary: pd.DataFrame, kpis: Sequence[str], title: str | None = None) -> Figure:
    """Return a figure with one small bar chart per KPI: a bar per setup (mean) with its CI as error bars."""
    by_kpi = _rows(summary, kpis)
    colours = setup_colours(list(pd.unique(summary["setup"])))
    fig, axes = _grid(len(kpis))
    for ax, kpi in zip(axes, kpis, strict=True):
        _bar_panel(ax, kpi, by_kpi[kpi], colours)
    fig.suptitle(title or "KPI means by setup; error bars: confidence interval", fontsize=11)
    return fig


def kpi_bars(summary: pd.DataFrame, kpis: Sequence[str], path: str | Path, title: str | None = None) -> Path:
    """Draw :func:`kpi_bars_figure` from a :func:`sim.analysis.summarise` table; return the PNG path written."""
    return _save(kpi_bars_figure(summary, kpis, title), path)


def _diff_panel(ax: Axes, kpi: str, rows: pd.DataFrame, colours: Mapping[str, str], baseline: str) -> None:
    rows = rows[rows["setup"] != baseline]
    y = np.arange(len(rows))
    diff, low = rows["diff"].to_numpy(float), rows["diff_ci_low"].to_numpy(float)
    err = _interval_err(diff, low, rows["diff_ci_high"].to_numpy(float))
    ax.barh(y, np.nan_to_num(diff), xerr=err, capsize=4, color=[colours[s] for s in rows["setup"]],
            error_kw={"elinewidth": 1.0, "ecolor": "0.2"})
    _flag_missing(ax, y, diff, low, vertical=False)
    ax.axvline(0.0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, list(rows["setup"]), fontsize=8)
    ax.invert_yaxis()
    ax.set_title(kpi, fontsize=9)
    ax.set_xlabel(f"difference vs {baseline} ({kpi_unit(kpi)})", fontsize=8)
    ax.set_ylabel("setup", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # small differences have long tick labels
    ax.grid(axis="x", alpha=0.3)


def _baseline_of(summary: pd.DataFrame) -> str:
    if "baseline" in summary.columns and summary["baseline"].notna().any():
        return str(summary["baseline"].dropna().iloc[0])
    return str(summary["setup"].iloc[0])


def paired_differences_figure(summary: pd.DataFrame, kpis: Sequence[str], title: str | None = None) -> Figure:
    """Return a figure with one panel per KPI: a horizontal bar per non-baseline setup, paired diff with CI."""
    by_kpi = _rows(summary, kpis)
    setups = list(pd.unique(summary["setup"]))
    baseline = _baseline_of(summary)
    if len(setups) < 2:
        raise ValueError(f"paired differences need at least two setups; the summary has {setups}")
    colours = setup_colours(setups)
    fig, axes = _grid(len(kpis), ncols_max=4, cell=(3.4, 1.2 + 0.45 * (len(setups) - 1)))
    for ax, kpi in zip(axes, kpis, strict=True):
        _diff_panel(ax, kpi, by_kpi[kpi], colours, baseline)
    fig.suptitle(title or f"Paired difference vs {baseline} (same customers), with confidence interval", fontsize=11)
    return fig


def paired_differences(summary: pd.DataFrame, kpis: Sequence[str], path: str | Path, title: str | None = None) -> Path:
    """Draw :func:`paired_differences_figure` to ``path``; return the PNG path written."""
    return _save(paired_differences_figure(summary, kpis, title), path)


def daily_series_figure(daily: Mapping[str, Mapping[str, Sequence[float]]], series: Sequence[str],
                        title: str | None = None) -> Figure:
    """Return a figure with one panel per series: a line per setup over simulated days (day 1 first)."""
    if not series:
        raise ValueError("series: at least one series name is needed")
    missing = sorted({s for s in series for setup in daily if s not in daily[setup]})
    if not daily or missing:
        have = sorted({s for per in daily.values() for s in per})
        raise ValueError(f"series not in the daily data: {', '.join(missing) or 'no setups'}; available: {', '.join(have)}")
    colours = setup_colours(list(daily))
    fig, axes = _grid(len(series), ncols_max=2, cell=(5.0, 2.8))
    for ax, name in zip(axes, series, strict=True):
        for setup, per in daily.items():
            values = np.asarray(per[name], dtype=float)
            ax.plot(np.arange(1, values.size + 1), values, color=colours[setup], label=setup,
                    marker="o" if values.size < 15 else None, markersize=3, linewidth=1.4)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("day", fontsize=8)
        ax.set_ylabel(f"{name} ({kpi_unit(name)})", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(title or "Daily series by setup", fontsize=11)
    return fig


def daily_series(daily: Mapping[str, Mapping[str, Sequence[float]]], series: Sequence[str], path: str | Path,
                 title: str | None = None) -> Path:
    """Draw :func:`daily_series_figure` (``daily``: setup -> series -> one value per day) to ``path``; return it."""
    return _save(daily_series_figure(daily, series, title), path)
