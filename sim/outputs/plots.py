"""Charts of a comparison: KPI means with confidence intervals, paired differences, daily series; and charts of
model runs: stock and stockouts over time, queue waits against target, the funnel, channel flows, touchpoint usage.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no global backend switch), in
the colour-blind-safe Okabe-Ito palette, one colour per setup kept across every chart. What the ``*_figure``
functions return is a :class:`Figure` that IPython shows as a PNG (a notebook cell's value, ``display``). Every axis
label carries the unit its KPI declares (:data:`sim.core.kpis.KPIS`; other names: from their suffix).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.core.kpis import KPI_BY_NAME, SHARE, label_of
from sim.core.kpis import unit_of as kpi_unit
from sim.experiments.analysis import NETWORK

# Okabe & Ito (2008), "Color Universal Design"; ordered so the first colours contrast most on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def setup_colours(setups: Sequence[str]) -> dict[str, str]:
    """Return setup -> hex colour, assigning the Okabe-Ito palette in the order given (cycling past 8)."""
    return {s: OKABE_ITO[i % len(OKABE_ITO)] for i, s in enumerate(setups)}


DPI = 110
"""Resolution of every chart, saved (PNG files, the report) or shown (notebooks, the dashboard)."""


class Figure(MplFigure):
    """A matplotlib figure on the Agg canvas that IPython shows as a PNG image.

    Without pyplot nothing registers a PNG formatter for a bare figure, so a notebook cell returning one would
    print ``<Figure size ... with N Axes>``. This class carries its own rich display (:meth:`_repr_png_`, the
    protocol IPython reads), so a chart shows as an image wherever it is returned or ``display``-ed,
    with no global state touched. Everything else is matplotlib's ``Figure`` (``savefig``, axes, pickling).
    """

    def _repr_png_(self) -> bytes:
        return self.png()

    def png(self, dpi: float = DPI) -> bytes:
        """The figure as PNG bytes, drawn as :func:`_save` writes it to a file."""
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()


def new_figure(**kwargs: Any) -> Figure:
    """Return an empty :class:`Figure` on its own Agg canvas; ``kwargs`` go to matplotlib's ``Figure``."""
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _grid(n: int, ncols_max: int = 4, cell: tuple[float, float] = (3.4, 2.8)) -> tuple[Figure, list[Axes]]:
    ncols = max(1, min(ncols_max, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = new_figure(figsize=(cell[0] * ncols, cell[1] * nrows + 0.6), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _save(fig: Figure, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI)
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
    """Return a figure with one small bar chart per KPI: a bar per setup (mean) with its CI as error bars.

    The headline KPIs of a comparison side by side (the results folder's ``kpis.png``). A bar with no data says
    "no data", one without an interval "no CI".

    Parameters
    ----------
    summary : pandas.DataFrame
        A summary table (``sim.compare``, ``sim.summarise``).
    kpis : sequence of str
        The KPIs to draw, one panel each (at least one, each in ``summary``); each axis carries its KPI's unit.
    title : str, optional
        The figure's title. Default None: a title saying what is drawn.

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    Raises
    ------
    ValueError
        No KPI given, or a KPI the summary lacks (the available ones named).

    See Also
    --------
    - ``sim.paired_differences_figure`` : the differences against the baseline.

    Examples
    --------
    ```python
    from pathlib import Path

    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    df = sim.compare(sc, replications=2, seed=1)
    fig = sim.kpi_bars_figure(df, ["revenue", "conversion_rate", "fill_rate", "store_service_level"])
    Path("results").mkdir(exist_ok=True)
    fig.savefig("results/kpis.png", dpi=110)
    ```
    """
    by_kpi = _rows(summary, kpis)
    colours = setup_colours(list(pd.unique(summary["setup"])))
    fig, axes = _grid(len(kpis))
    for ax, kpi in zip(axes, kpis, strict=True):
        _bar_panel(ax, kpi, by_kpi[kpi], colours)
    fig.suptitle(title or "KPI means by setup; error bars: confidence interval", fontsize=11)
    return fig


def kpi_bars(summary: pd.DataFrame, kpis: Sequence[str], path: str | Path, title: str | None = None) -> Path:
    """Draw :func:`kpi_bars_figure` from a :func:`sim.experiments.analysis.summarise` table; return the PNG path written."""
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
    """Return a figure with one panel per KPI: a horizontal bar per non-baseline setup, paired diff with CI.

    What each setup changes against the baseline on the same customers (common random numbers), in the KPI's own
    unit (the results folder's ``differences.png``); an interval across zero is no detectable difference.

    Parameters
    ----------
    summary : pandas.DataFrame
        A summary table of two setups or more (``sim.compare``, ``sim.summarise``); its ``baseline`` column names
        the baseline.
    kpis : sequence of str
        The KPIs to draw, one panel each (at least one, each in ``summary``).
    title : str, optional
        The figure's title. Default None: a title saying what is drawn.

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    Raises
    ------
    ValueError
        No KPI given, a KPI the summary lacks, or a summary of fewer than two setups.

    See Also
    --------
    - ``sim.changes_figure`` : the deciding changes in % and points, coloured by verdict.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    df = sim.compare(sc, replications=2, seed=1)
    fig = sim.paired_differences_figure(df, ["revenue", "fill_rate"], title="Against multichannel")
    png = fig.png()  # PNG bytes, as a notebook shows it
    ```
    """
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


# --------------------------------------------------------------------------------------------- model results
# The charts below read means over replications of the model rather than a summary table: the tidy tables of
# :func:`sim.experiments.analysis.result_means` (``setup, dimension, member, kpi, mean``) and :func:`sim.experiments.analysis.daily_means`
# (``setup, series, day, mean``), which average any shape of model results. They keep the setup colours of the
# charts above. Nothing here averages: a table is only reshaped for drawing.
MARKET_USAGE = {"web": 0.89, "store": 0.82, "social": 0.67, "app": 0.58, "call_centre": 0.45}
"""Touchpoint usage rates quoted by the market studies of DESIGN.md (customer service read as the call centre)."""


def _check_table(table: Any, columns: Sequence[str], producer: str) -> pd.DataFrame:
    """Return ``table`` if it is a non-empty DataFrame with ``columns``, else raise a ``ValueError`` naming them."""
    if not isinstance(table, pd.DataFrame) or table.empty or not set(columns) <= set(table.columns):
        got = list(table.columns) if isinstance(table, pd.DataFrame) else type(table).__name__
        raise ValueError(f"expected the tidy table of {producer} (columns {', '.join(columns)}); got {got}")
    return table


def _means(table: Any) -> pd.DataFrame:
    return _check_table(table, ("setup", "dimension", "member", "kpi", "mean"), "sim.experiments.analysis.result_means")


def _setups(table: pd.DataFrame) -> list[str]:
    return [str(s) for s in pd.unique(table["setup"])]


def _dimension(means: pd.DataFrame, dimension: str) -> dict[str, dict[str, dict[str, float]]]:
    """setup -> member -> KPI -> mean of one dimension (every setup of the table present, members in order)."""
    out: dict[str, dict[str, dict[str, float]]] = {s: {} for s in _setups(means)}
    rows = means[means["dimension"] == dimension]
    for setup, member, kpi, value in zip(rows["setup"], rows["member"], rows["kpi"], rows["mean"], strict=True):
        out[str(setup)].setdefault(str(member), {})[str(kpi)] = float(value)
    return out


def _network(means: pd.DataFrame) -> dict[str, dict[str, float]]:
    """setup -> whole-network KPI -> mean."""
    return {s: b.get(NETWORK, {}) for s, b in _dimension(means, NETWORK).items()}


def _members(per_setup: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(m for b in per_setup.values() for m in b))


def _daily(table: Any) -> dict[str, dict[str, list[float]]]:
    """setup -> series -> the mean of each day, day 1 first, from a :func:`sim.experiments.analysis.daily_means` table."""
    table = _check_table(table, ("setup", "series", "day", "mean"), "sim.experiments.analysis.daily_means")
    out: dict[str, dict[str, list[float]]] = {}
    for (setup, name), grp in table.groupby(["setup", "series"], sort=False):
        out.setdefault(str(setup), {})[str(name)] = grp.sort_values("day")["mean"].astype(float).tolist()
    return out


def _style(ax: Axes, title: str, xlabel: str, ylabel: str, grid: Literal["x", "y", "both", ""] = "y") -> None:
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=8)
    if grid:
        ax.grid(axis=grid, alpha=0.3)


def _grouped_bars(ax: Axes, members: Sequence[str], values: Mapping[str, Sequence[float]],
                  colours: Mapping[str, str], horizontal: bool = False) -> np.ndarray:
    """Draw one group per member with a bar per setup (NaN drawn as a gap and flagged); return group centres."""
    pos = np.arange(len(members), dtype=float)
    width = 0.8 / max(1, len(values))
    for i, (setup, vals) in enumerate(values.items()):
        at = pos - 0.4 + width * (i + 0.5)
        v = np.asarray(vals, dtype=float)
        bar = ax.barh if horizontal else ax.bar
        bar(at, np.nan_to_num(v), width * 0.95, color=colours[setup], label=setup)
        for p in at[np.isnan(v)]:
            ax.annotate("no data", (0.0, p) if horizontal else (p, 0.0), fontsize=6, color="0.3",
                        ha="left" if horizontal else "center", va="center" if horizontal else "bottom",
                        rotation=0 if horizontal else 90)
    if horizontal:
        ax.set_yticks(pos, list(members), fontsize=8)
        ax.invert_yaxis()
    else:
        ax.set_xticks(pos, list(members), rotation=30 if len(members) > 3 else 0, ha="right" if len(members) > 3
                      else "center", fontsize=8)
    return pos


STOCK_SERIES = ("on_hand_units", "stockout_rate")


WARMUP_LABEL = "warm-up (not measured)"


def shade_warmup(ax: Axes, warmup_days: float | None) -> None:
    """Shade the warm-up days of a chart over simulated days (day 1 first, a point per day at its number): the
    days before measurement starts, whose opening drop or build-up is the model filling up, not a result."""
    if warmup_days is None or warmup_days <= 0:
        return
    ax.axvspan(0.5, float(warmup_days) + 0.5, color="0.88", zorder=0, lw=0, label=WARMUP_LABEL)


def stock_over_time_figure(daily: pd.DataFrame, title: str | None = None,
                           warmup_days: float | None = None) -> Figure:
    """Return a figure of stock on hand by setup: the whole network, and each node (store, warehouse) on its own
    (units, end of day), and the daily stockout rate; the ``warmup_days`` (the scenario's) shaded.

    ``daily``: the :func:`sim.experiments.analysis.daily_means` table of model results (series ``on_hand_units`` and, per
    node, ``on_hand_units.<node>``).
    """
    nodes = [s for s in dict.fromkeys(daily["series"]) if s.startswith("on_hand_units.")]
    setups = list(dict.fromkeys(daily["setup"]))
    colours = setup_colours(setups)
    fig, axes = _grid(2 + len(setups) * bool(nodes), ncols_max=3, cell=(4.2, 3.0))
    for ax, name in zip(axes, STOCK_SERIES, strict=False):
        for setup in setups:
            rows = daily[(daily["setup"] == setup) & (daily["series"] == name)]
            ax.plot(rows["day"], rows["mean"], marker=".", color=colours[setup], label=setup)
        ax.set_title("whole network" if name == "on_hand_units" else "stockouts", fontsize=9)
        ax.set_ylabel({"on_hand_units": "on hand at end of day (units)",
                       "stockout_rate": "item requests finding no stock (share 0–1)"}[name], fontsize=8)
    node_colours = {n: OKABE_ITO[i % len(OKABE_ITO)] for i, n in enumerate(nodes)}
    for ax, setup in zip(axes[2:], setups, strict=False):
        for node in nodes:
            rows = daily[(daily["setup"] == setup) & (daily["series"] == node)]
            ax.plot(rows["day"], rows["mean"], color=node_colours[node], lw=1.2,
                    ls="--" if node.endswith(".warehouse") else "-", label=node.removeprefix("on_hand_units."))
        ax.set_title(f"{setup}: each node", fontsize=9)
        ax.set_ylabel("on hand at end of day (units)", fontsize=8)
    for ax in axes:
        shade_warmup(ax, warmup_days)
    for ax in axes[:2]:
        ax.legend(fontsize=7)
    if nodes and len(axes) > 2:
        axes[2].legend(fontsize=6, ncols=2)
    for ax in axes:
        ax.set_xlabel("day of the simulated period (day)", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title or "Stock on hand and stockouts by day", fontsize=10)
    return fig


def stock_over_time(daily: pd.DataFrame, path: str | Path, title: str | None = None,
                    warmup_days: float | None = None) -> Path:
    """Draw :func:`stock_over_time_figure` to ``path``; return the PNG path written."""
    return _save(stock_over_time_figure(daily, title, warmup_days), path)


def _queue_row(axes: Sequence[Axes], means: pd.DataFrame, dimension: str, prefix: str,
               target_min: float | None, service_target: float) -> None:
    per_setup = _dimension(means, dimension)
    members = _members(per_setup)
    colours = setup_colours(_setups(means))
    where = "store" if dimension == "store" else "call centre"
    panels = ((f"{prefix}_wait_mean_min", "mean wait", "minutes"), (f"{prefix}_wait_p95_min", "95th percentile wait",
              "minutes"), (f"{prefix}_service_level", "service level", SHARE))
    for ax, (kpi, what, unit) in zip(axes, panels, strict=True):
        vals = {s: [b.get(m, {}).get(kpi, math.nan) for m in members] for s, b in per_setup.items()}
        _grouped_bars(ax, members, vals, colours)
        _style(ax, f"{where}: {what}", where, f"{what} ({unit})")
        target = service_target if unit == SHARE else target_min
        if target is not None:
            ax.axhline(target, color="0.15", linestyle="--", linewidth=1.0)
            ax.set_title(f"{where}: {what} (dashed: target "
                         f"{f'{target:.0%}' if unit == SHARE else f'{target:.3g} min'})", fontsize=9)
        if unit == SHARE:
            ax.set_ylim(0, 1.05)


def queue_waits_figure(means: pd.DataFrame, store_target_min: float | None = None,
                       call_target_min: float | None = None, service_target: float = 0.8,
                       title: str | None = None) -> Figure:
    """Return a figure of queue waits per store (and the call centre, when the runs have one), by setup.

    ``means``: the :func:`sim.experiments.analysis.result_means` table of model results. Panels per station type: mean wait
    and 95th-percentile wait (minutes) with the target wait as a dashed line, and the service level (share of
    queued customers served within the target; those who gave up count as late) with ``service_target`` (e.g. 0.8
    of an 80/20 rule) as a dashed line. Targets come from the scenario: ``fulfilment.store_wait_target_min`` and
    ``call_centre.target_wait_s / 60``; None draws no line.
    """
    means = _means(means)
    has_call = any(math.isfinite(b.get("call_wait_mean_min", math.nan))
                   for per in _dimension(means, "call_centre").values() for b in per.values())
    rows = [("store", "store", store_target_min)] + ([("call_centre", "call", call_target_min)] if has_call else [])
    fig = new_figure(figsize=(12.0, 3.4 * len(rows) + 0.6), layout="constrained")
    axes = fig.subplots(len(rows), 3, squeeze=False)
    for row, (dimension, prefix, target) in zip(axes, rows, strict=True):
        _queue_row(row, means, dimension, prefix, target, service_target)
    handles = [Patch(color=c, label=s) for s, c in setup_colours(_setups(means)).items()]
    fig.legend(handles=handles, loc="outside upper right", fontsize=7, frameon=False, ncols=len(handles))
    fig.suptitle(title or "Queue waits and service level against target, by setup", fontsize=11)
    return fig


def queue_waits(means: pd.DataFrame, path: str | Path, store_target_min: float | None = None,
                call_target_min: float | None = None, service_target: float = 0.8, title: str | None = None) -> Path:
    """Draw :func:`queue_waits_figure` to ``path``; return the PNG path written."""
    return _save(queue_waits_figure(means, store_target_min, call_target_min, service_target, title), path)


def _funnel_stages(ax: Axes, means: pd.DataFrame, kpis: Mapping[str, Mapping[str, float]],
                   colours: Mapping[str, str]) -> None:
    """Customers who gave up at each funnel stage (``breakdown["funnel"]``), and the rest still under way."""
    funnels = _dimension(means, "funnel")
    stages = list(dict.fromkeys(m for f in funnels.values() for m, k in f.items() if "gave_up" in k))
    if not stages:
        ax.text(0.5, 0.5, "the runs report no funnel stages", ha="center", va="center", fontsize=8,
                transform=ax.transAxes)
    vals = {}
    for s, f in funnels.items():
        gave = [f.get(m, {}).get("gave_up", math.nan) for m in stages]
        rest = kpis[s].get("journeys", math.nan) - kpis[s].get("orders", math.nan) - float(np.nansum(gave))
        vals[s] = [*gave, rest]
    _grouped_bars(ax, [*stages, "no order yet"], vals, colours)
    _style(ax, "gave up, by funnel stage", "stage where the customer gave up", "customers (count)")


def funnel_figure(means: pd.DataFrame, title: str | None = None) -> Figure:
    """Return the funnel by setup: journeys started → orders, and where the others gave up.

    ``means``: the :func:`sim.experiments.analysis.result_means` table of model results. Panel 1: journeys started (KPI
    ``journeys``, repeat journeys included) and orders (KPI ``orders``), the purchase completion (``conversion_rate``) written on
    the order bars. Panel 2: customers who gave up at each stage of ``breakdown["funnel"]`` (e.g. research,
    evaluation — a cart lost on a channel switch —, decision — a queue, a full store, nothing available), and
    "no order yet": journeys started minus orders minus those give-ups, i.e. journeys still under way at the end
    of the horizon (with a warm-up, also customers who arrived before the measured window). Panel 3: customers
    without an order per segment (``breakdown["segment"]`` journeys − orders). Panel 4: shares of the customers
    who queued that gave up — ``store_abandon_rate`` (left the queue, or found it full) and ``call_abandon_rate``.
    """
    means = _means(means)
    setups = _setups(means)
    colours = setup_colours(setups)
    kpis = _network(means)
    fig, axes = _grid(4, ncols_max=2, cell=(5.4, 3.4))
    stages = ["journeys started", "orders"]
    vals = {s: [kpis[s].get("journeys", math.nan), kpis[s].get("orders", math.nan)] for s in setups}
    pos = _grouped_bars(axes[0], stages, vals, colours)
    width = 0.8 / len(setups)
    for i, s in enumerate(setups):
        conv = kpis[s].get("conversion_rate", math.nan)
        if math.isfinite(conv):
            axes[0].annotate(f"{conv:.0%}", (pos[1] - 0.4 + width * (i + 0.5), np.nan_to_num(vals[s][1])),
                             ha="center", va="bottom", fontsize=7)
    _style(axes[0], "funnel (label: purchase completion)", "stage", "customers (count)")
    _funnel_stages(axes[1], means, kpis, colours)
    segs = _dimension(means, "segment")
    members = _members(segs)
    lost = {s: [segs[s].get(m, {}).get("journeys", math.nan) - segs[s].get(m, {}).get("orders", math.nan)
                for m in members] for s in setups}
    _grouped_bars(axes[2], members, lost, colours)
    _style(axes[2], "customers without an order, by segment", "segment", "customers (count)")
    where = ["store queue", "call-centre queue"]
    gave_up = {s: [kpis[s].get("store_abandon_rate", math.nan), kpis[s].get("call_abandon_rate", math.nan)]
               for s in setups}
    _grouped_bars(axes[3], where, gave_up, colours)
    _style(axes[3], "gave up while queueing", "queue", f"share of those who queued ({SHARE})")
    handles = [Patch(color=c, label=s) for s, c in colours.items()]
    fig.legend(handles=handles, loc="outside upper right", fontsize=7, frameon=False, ncols=len(handles))
    fig.suptitle(title or "Funnel: where customers leave, by setup", fontsize=11)
    return fig


def funnel(means: pd.DataFrame, path: str | Path, title: str | None = None) -> Path:
    """Draw :func:`funnel_figure` to ``path``; return the PNG path written."""
    return _save(funnel_figure(means, title), path)


def _heatmap(ax: Axes, matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str], label: str, fmt: str) -> None:
    shown = np.ma.masked_invalid(matrix)
    image = ax.imshow(shown, cmap="cividis", aspect="auto")
    ax.set_xticks(np.arange(len(cols)), list(cols), rotation=30, ha="right", fontsize=8)
    ax.set_yticks(np.arange(len(rows)), list(rows), fontsize=8)
    top = np.nanmax(matrix) if np.isfinite(matrix).any() else 0.0
    for (i, j), v in np.ndenumerate(matrix):
        text = "no data" if not math.isfinite(v) else format(v, fmt)
        ax.text(j, i, text, ha="center", va="center", fontsize=7, color="black" if v > 0.6 * top else "white")
    cbar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    cbar.set_label(label, fontsize=8)
    cbar.ax.tick_params(labelsize=7)


def channel_flows_figure(means: pd.DataFrame, title: str | None = None) -> Figure:
    """Return heatmaps of journeys and orders per purchase channel and setup, and orders per journey.

    From the ``channel`` rows of a :func:`sim.experiments.analysis.result_means` table (``breakdown["channel"]``): ``journeys`` counts journeys by the channel the customer meant to buy in;
    ``orders`` counts orders by the channel where the checkout happened. Their ratio (third panel, a share
    that may exceed 1) shows the flows: a channel above 1 receives customers who set out to buy elsewhere
    (e.g. a store-bound customer delivered from the web shop), one far below loses them or never converts them.
    """
    means = _means(means)
    setups = _setups(means)
    chans = _dimension(means, "channel")
    members = _members(chans)
    if not members:
        raise ValueError("channel flows: the results have no breakdown by channel")

    def matrix(key: str) -> np.ndarray:
        return np.array([[chans[s].get(m, {}).get(key, math.nan) for m in members] for s in setups], dtype=float)

    journeys, orders = matrix("journeys"), matrix("orders")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(journeys > 0, orders / journeys, np.nan)
    fig, axes = _grid(3, ncols_max=3, cell=(4.6, 0.9 + 0.5 * len(setups) + 0.25 * len(members) / 3))
    _heatmap(axes[0], journeys, setups, members, "journeys (count)", ".0f")
    _style(axes[0], "journeys by intended purchase channel", "purchase channel", "setup", grid="")
    _heatmap(axes[1], orders, setups, members, "orders (count)", ".0f")
    _style(axes[1], "orders by checkout channel", "purchase channel", "setup", grid="")
    _heatmap(axes[2], ratio, setups, members, "orders per journey (ratio)", ".2f")
    _style(axes[2], "orders per journey started there", "purchase channel", "setup", grid="")
    fig.suptitle(title or "Channel flows by setup (means over replications)", fontsize=11)
    return fig


def channel_flows(means: pd.DataFrame, path: str | Path, title: str | None = None) -> Path:
    """Draw :func:`channel_flows_figure` to ``path``; return the PNG path written."""
    return _save(channel_flows_figure(means, title), path)


def touchpoint_usage_figure(means: pd.DataFrame, reference: Mapping[str, float] | None = MARKET_USAGE,
                            title: str | None = None) -> Figure:
    """Return horizontal bars of touchpoint usage by setup, with the market-study rates as black markers.

    ``means``: the :func:`sim.experiments.analysis.result_means` table of model results. Usage of a touchpoint is
    ``breakdown["touchpoint"][tp]["usage_share"]``: the share of orders whose journey
    went through it (0–1). ``reference`` maps touchpoint -> a published rate (default :data:`MARKET_USAGE`);
    None draws none.
    """
    means = _means(means)
    setups = _setups(means)
    tps = _dimension(means, "touchpoint")
    members = _members(tps)
    if not members:
        raise ValueError("touchpoint usage: the results have no breakdown by touchpoint")
    fig = new_figure(figsize=(7.0, 1.2 + 0.18 * len(members) * max(2, len(setups))), layout="constrained")
    ax = fig.subplots()
    vals = {s: [tps[s].get(m, {}).get("usage_share", math.nan) for m in members] for s in setups}
    pos = _grouped_bars(ax, members, vals, setup_colours(setups), horizontal=True)
    refs = [(p, reference[m]) for p, m in zip(pos, members, strict=True) if reference and m in reference]
    if refs:
        ax.scatter([v for _, v in refs], [p for p, _ in refs], marker="D", s=22, color="black", zorder=3,
                   label="market studies (DESIGN.md)")
    _style(ax, "touchpoint usage", f"orders whose journey used the touchpoint ({SHARE})", "touchpoint", grid="x")
    ax.set_xlim(0, 1.0)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    fig.suptitle(title or "Touchpoint usage by setup", fontsize=11)
    return fig


def touchpoint_usage(means: pd.DataFrame, path: str | Path, reference: Mapping[str, float] | None = MARKET_USAGE,
                     title: str | None = None) -> Path:
    """Draw :func:`touchpoint_usage_figure` to ``path``; return the PNG path written."""
    return _save(touchpoint_usage_figure(means, reference, title), path)


def daily_series_figure(daily: pd.DataFrame, series: Sequence[str], title: str | None = None,
                        warmup_days: float | None = None) -> Figure:
    """Return a figure with one panel per series: a line per setup over simulated days (day 1 first), the
    ``warmup_days`` (the scenario's) shaded.

    ``daily``: the tidy table ``setup, series, day, mean`` of :func:`sim.experiments.analysis.daily_means`.
    """
    if not series:
        raise ValueError("series: at least one series name is needed")
    by_setup = _daily(daily)
    missing = sorted({s for s in series for setup in by_setup if s not in by_setup[setup]})
    if not by_setup or missing:
        have = sorted({s for per in by_setup.values() for s in per})
        raise ValueError(f"series not in the daily data: {', '.join(missing) or 'no setups'}; available: {', '.join(have)}")
    colours = setup_colours(list(by_setup))
    fig, axes = _grid(len(series), ncols_max=2, cell=(5.0, 2.8))
    for ax, name in zip(axes, series, strict=True):
        for setup, per in by_setup.items():
            values = np.asarray(per[name], dtype=float)
            ax.plot(np.arange(1, values.size + 1), values, color=colours[setup], label=setup,
                    marker="o" if values.size < 15 else None, markersize=3, linewidth=1.4)
        shade_warmup(ax, warmup_days)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("day", fontsize=8)
        ax.set_ylabel(f"{name} ({kpi_unit(name)})", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(title or "Daily series by setup", fontsize=11)
    return fig


def daily_series(daily: pd.DataFrame, series: Sequence[str], path: str | Path, title: str | None = None,
                 warmup_days: float | None = None) -> Path:
    """Draw :func:`daily_series_figure` (``daily``: a :func:`sim.experiments.analysis.daily_means` table) to ``path``; return it."""
    return _save(daily_series_figure(daily, series, title, warmup_days), path)


# --------------------------------------------------------------------------------------------- sensitivity, warm-up
def tornado_figure(sensitivity: pd.DataFrame, title: str | None = None) -> Figure:
    """Horizontal bars of sensitivity indices per factor, largest first, with their confidence intervals.

    Sobol tables show ``S1`` and ``ST`` side by side (shares of variance); Morris tables show ``mu_star`` (the
    other Morris columns are left out), in the KPI's unit per unit of the factor's range.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        The tidy table of ``sim.sensitivity_table`` (``kpi, setup, factor, index, value, low, high``) for one KPI
        and one setup: filter it first when it holds several.
    title : str, optional
        The figure's title. Default None: a title saying what is drawn.

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    Raises
    ------
    ValueError
        The table has no ``S1``, ``ST`` or ``mu_star`` rows.

    Examples
    --------
    ```python
    import sim

    if __name__ == "__main__":
        exp = sim.experiment_from_dict({
            "name": "screening-demo",
            "scenario": "scenarios/default.yaml",
            "overrides": {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 300},  # a quick demo
            "setups": ["omnichannel"],
            "replications": 1,
            "design": {"kind": "morris", "n": 3, "factors": {
                "stores.0.staff": {"low": 2, "high": 8, "integer": True},
                "fulfilment.cart_friction": {"low": 0.0, "high": 0.6},
            }},
        })
        table = sim.sensitivity_table(sim.sweep(exp, workers=1, progress=False), ["conversion_rate"])
        fig = sim.tornado_figure(table, title="What moves purchase completion")
    ```
    """
    table = sensitivity[sensitivity["index"].isin(["S1", "ST", "mu_star"])]
    if table.empty:
        raise ValueError("sensitivity: no S1, ST or mu_star rows to draw")
    indices = list(pd.unique(table["index"]))
    order = (table[table["index"] == indices[-1]].set_index("factor")["value"].abs()
             .sort_values(ascending=True).index.tolist())
    fig = new_figure(figsize=(6.4, 0.9 + 0.45 * len(order) * len(indices)), layout="constrained")
    ax = fig.subplots()
    height = 0.8 / len(indices)
    pos = np.arange(len(order), dtype=float)
    for j, index in enumerate(indices):
        rows = table[table["index"] == index].set_index("factor").reindex(order)
        centre = rows["value"].to_numpy(dtype=float)
        err = _interval_err(centre, rows["low"].to_numpy(dtype=float), rows["high"].to_numpy(dtype=float))
        ax.barh(pos + (j - (len(indices) - 1) / 2) * height, centre, height=height, xerr=err, capsize=3,
                color=OKABE_ITO[j % len(OKABE_ITO)], label=index)
    ax.set_yticks(pos, order, fontsize=8)
    ax.axvline(0.0, color="black", linewidth=0.8)
    kpi = str(table["kpi"].iloc[0]) if "kpi" in table.columns else ""
    ax.set_xlabel("Sobol index (share of variance)" if indices != ["mu_star"]
                  else f"mu* ({kpi_unit(kpi)} per unit of the factor's range)", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(title or f"Sensitivity of {kpi}", fontsize=10)
    return fig


def tornado(sensitivity: pd.DataFrame, path: str | Path, title: str | None = None) -> Path:
    """Draw :func:`tornado_figure` to ``path``; return it."""
    return _save(tornado_figure(sensitivity, title), path)



def behaviour_tornado_figure(ranking: pd.DataFrame, kpi: str = "operating_margin", top: int = 8,
                             title: str | None = None) -> Figure:
    """The behaviour tornado: per setup, the behavioural parameters that drive ``kpi``'s change the most.

    Per setup (one panel each), the ``top`` behavioural parameters ranked by the share of the spread of ``kpi``'s
    change across plausible behaviour they explain (the squared rank correlation of
    ``sim.experiments.behaviour.rank_parameters``), the sign of the correlation in the colour (green: the change
    rises with the parameter, vermillion: it falls), and the share an unrelated parameter reaches by chance as a
    dashed line (the results folder's ``tornado.png``).

    Parameters
    ----------
    ranking : pandas.DataFrame
        A ``sim.compare_behaviour`` result's ``ranking`` table.
    kpi : str, default "operating_margin"
        The KPI whose change is explained: ``operating_margin`` or a deciding KPI (``DECIDING``).
    top : int, default 8
        The parameters shown per setup, largest share first.
    title : str, optional
        The figure's title. Default None: none (each panel has its own).

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    Raises
    ------
    ValueError
        ``ranking`` has no rows for ``kpi``.

    Notes
    -----
    With few draws an unrelated parameter reaches about 1 / (draws − 1) by chance: a bar below the dashed line
    is not told apart from none.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    result = sim.compare_behaviour(sc, setups=["multichannel", "omnichannel"], n=3, replications=2,
                                   break_evens=0)
    fig = sim.behaviour_tornado_figure(result.ranking, kpi="operating_margin", top=5)
    ```
    """
    table = ranking[ranking["kpi"] == kpi]
    if table.empty:
        raise ValueError(f"ranking: no rows for {kpi!r}")
    setups = list(pd.unique(table["setup"]))
    rows = min(top, int(table.groupby("setup").size().max()))
    fig = new_figure(figsize=(6.4 * len(setups), 0.9 + 0.42 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(setups)))
    for ax, setup in zip(axes, setups, strict=True):
        part = table[table["setup"] == setup].sort_values("rank").head(top).iloc[::-1]
        share = part["share"].to_numpy(dtype=float)
        colours = [OKABE_ITO[2] if r >= 0 else OKABE_ITO[3] for r in part["rho"].to_numpy(dtype=float)]
        pos = np.arange(len(part), dtype=float)
        ax.barh(pos, np.nan_to_num(share), color=colours)
        ax.set_yticks(pos, [textwrap.fill(str(x), 38) for x in part["label"]], fontsize=7)
        floor = float(part["noise_floor"].iloc[0])
        if math.isfinite(floor):
            ax.axvline(floor, color="black", linestyle="--", linewidth=0.8, label="chance level")
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel("share of the spread explained (squared rank correlation)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(f"{setup}: what drives the {kpi.replace('_', ' ')} change", fontsize=9)
        ax.legend(fontsize=7, frameon=False, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def behaviour_tornado(ranking: pd.DataFrame, path: str | Path, kpi: str = "operating_margin",
                      title: str | None = None) -> Path:
    """Draw :func:`behaviour_tornado_figure` to ``path``; return it."""
    return _save(behaviour_tornado_figure(ranking, kpi, title=title), path)

def welch_figure(result: Any, title: str | None = None, unit: str | None = None) -> Figure:
    """Welch's plot: the mean over replications of each period (thin) and Welch's moving average (thick), with
    the suggested warm-up marked. ``result`` is a :class:`sim.experiments.analysis.Welch`."""
    fig = new_figure(figsize=(6.4, 3.4), layout="constrained")
    ax = fig.subplots()
    means = np.asarray(result.period_means, dtype=float)
    ma = np.asarray(result.moving_average, dtype=float)
    ax.plot(np.arange(1, means.size + 1), means, color="#999999", linewidth=0.9, label="mean over replications")
    ax.plot(np.arange(1, ma.size + 1), ma, color=OKABE_ITO[0], linewidth=2.0,
            label=f"moving average (w = {result.window})")
    ax.axhspan(result.level * (1 - result.tolerance), result.level * (1 + result.tolerance), color=OKABE_ITO[2],
               alpha=0.12, label=f"steady level ± {result.tolerance:.0%}")
    if result.warmup is not None:
        ax.axvline(result.warmup + 0.5, color=OKABE_ITO[3], linestyle="--",
                   label=f"suggested warm-up: {result.warmup} periods")
    name = result.series.split(" (")[0]
    ax.set_xlabel("period (day)", fontsize=8)
    ax.set_ylabel(f"{result.series} ({unit or kpi_unit(name)})", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(title or f"Welch's method, {result.replications} replications", fontsize=10)
    return fig


def welch_plot(result: Any, path: str | Path, title: str | None = None, unit: str | None = None) -> Path:
    """Draw :func:`welch_figure` to ``path``; return it."""
    return _save(welch_figure(result, title, unit), path)


VERDICT_COLOURS = {"clear gain": OKABE_ITO[2], "clear loss": OKABE_ITO[3]}  # green, vermillion; others grey


def changes_figure(changes: pd.DataFrame, title: str | None = None) -> Figure:
    """The headline changes of a decision summary: one row of panels per setup, amounts in % and shares in points.

    Relative changes (%) of amounts on the left and changes in points of shares and scores on the right, each a
    bar with its confidence interval, green for a clear gain, vermillion for a clear loss, grey otherwise (the
    results folder's ``changes.png``).

    Parameters
    ----------
    changes : pandas.DataFrame
        A decision summary's ``changes`` table (``sim.decision_summary(...).changes``: ``setup, baseline, label,
        change, change_low, change_high, change_unit, verdict``...).
    title : str, optional
        The figure's title. Default None: a title saying what is drawn.

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    Raises
    ------
    ValueError
        The table has no setup (a comparison of one setup has no changes).

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    decision = sim.decision_summary(sim.compare(sc, replications=2, seed=1))
    fig = sim.changes_figure(decision.changes, title="What each setup changes")
    ```
    """
    setups = list(pd.unique(changes["setup"]))
    if not setups:
        raise ValueError("changes: no setup to chart (a comparison of one setup has no changes)")
    units = [u for u in ("%", "points") if (changes["change_unit"] == u).any()]
    heights = [max(1, int(((changes["setup"] == s)).sum() / len(units))) for s in setups]
    fig = new_figure(figsize=(6.2 * len(units), 0.9 + 0.32 * sum(heights) + 0.5 * len(setups)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(setups), len(units), squeeze=False))
    for i, setup in enumerate(setups):
        for j, unit in enumerate(units):
            ax = axes[i, j]
            rows = changes[(changes["setup"] == setup) & (changes["change_unit"] == unit)]
            y = np.arange(len(rows))[::-1]
            centre = rows["change"].to_numpy(float)
            err = _interval_err(centre, rows["change_low"].to_numpy(float), rows["change_high"].to_numpy(float))
            colours = [VERDICT_COLOURS.get(v, "0.65") for v in rows["verdict"]]
            ax.barh(y, np.nan_to_num(centre), xerr=err, color=colours, capsize=3,
                    error_kw={"elinewidth": 1.0, "ecolor": "0.2"})
            ax.axvline(0, color="0.3", lw=0.8)
            ax.set_yticks(y, list(rows["label"]), fontsize=8)
            ax.tick_params(axis="x", labelsize=8)
            ax.set_xlabel("relative change (%)" if unit == "%" else "change (points)", fontsize=8)
            ax.set_title(f"{setup} vs {rows['baseline'].iloc[0]}" if len(rows) else setup, fontsize=9)
            ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color=c, label=v) for v, c in VERDICT_COLOURS.items()] + \
        [Patch(color="0.65", label="no detectable difference")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def changes_chart(changes: pd.DataFrame, path: str | Path, title: str | None = None) -> Path:
    return _save(changes_figure(changes, title), path)


DECOMPOSITION_COLUMNS = ("setup", "baseline", "kind", "step", "label", "kpi", "change", "change_low", "change_high",
                         "change_unit")


def waterfall_figure(table: pd.DataFrame, kpi: str = "operating_margin", title: str | None = None) -> Figure:
    """The waterfall of a decomposition (:attr:`sim.experiments.decompose.Decomposition.table`, or
    ``decomposition.csv``) for one KPI: one panel per setup, each capability step a floating bar from where the
    steps before it left the change to where it leaves it (green up, vermillion down for a KPI where more is
    better; grey when its interval holds 0), its interval as an error bar at its end, and the total against the
    baseline as the last bar. Steps are in the order they were switched on; they add up to the total."""
    t = _check_table(table, DECOMPOSITION_COLUMNS, "sim.experiments.decompose.decompose")
    t = t[t["kpi"] == kpi]
    setups = list(pd.unique(t["setup"]))
    if not setups:
        raise ValueError(f"waterfall: no decomposition of {kpi!r} to chart")
    better = KPI_BY_NAME[kpi].better if kpi in KPI_BY_NAME else 1
    n_max = max(int(((t["setup"] == s) & (t["kind"] == "step")).sum()) for s in setups)
    fig = new_figure(figsize=(max(6.4, 0.62 * (n_max + 1) + 1.6), 3.3 * len(setups) + 0.4), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(len(setups), 1, squeeze=False)).ravel())
    for ax, setup in zip(axes, setups, strict=True):
        rows = t[t["setup"] == setup]
        steps = rows[rows["kind"] == "step"].sort_values("step")
        total = rows[rows["kind"] == "total"]
        change = steps["change"].to_numpy(float)
        low, high = steps["change_low"].to_numpy(float), steps["change_high"].to_numpy(float)
        ends = np.nancumsum(change)
        starts = ends - np.nan_to_num(change)
        clear = ~((low <= 0) & (high >= 0)) & np.isfinite(low)
        good = np.sign(change) * (better or 1) > 0
        colours = [("0.65" if not c else VERDICT_COLOURS["clear gain"] if g else VERDICT_COLOURS["clear loss"])
                   for c, g in zip(clear, good, strict=True)]
        x = np.arange(len(steps))
        ax.bar(x, np.nan_to_num(change), bottom=starts, color=colours, width=0.7)
        err = _interval_err(change, low, high)
        ax.errorbar(x, ends, yerr=err, fmt="none", ecolor="0.2", elinewidth=1.0, capsize=3)
        for i in range(len(x) - 1):
            ax.plot([x[i] + 0.35, x[i + 1] - 0.35], [ends[i], ends[i]], color="0.5", lw=0.6)
        if len(total):
            tot = total.iloc[0]
            xt = len(steps)
            ax.bar([xt], [tot["change"]], color="0.25", width=0.7)
            terr = _interval_err(np.array([tot["change"]], float), np.array([tot["change_low"]], float),
                                 np.array([tot["change_high"]], float))
            ax.errorbar([xt], [tot["change"]], yerr=terr, fmt="none", ecolor="0.2", elinewidth=1.0, capsize=3)
        labels = [*steps["label"], "total"] if len(total) else list(steps["label"])
        ax.set_xticks(np.arange(len(labels)), labels, rotation=35, ha="right", fontsize=8)
        ax.axhline(0, color="0.3", lw=0.8)
        unit = rows["change_unit"].iloc[0]
        ax.set_ylabel(f"change ({'% of ' + str(rows['baseline'].iloc[0]) if unit == '%' else unit})", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(f"{setup} vs {rows['baseline'].iloc[0]}: {label_of(kpi)}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    handles = [Patch(color=VERDICT_COLOURS["clear gain"], label="step that helps (interval excludes 0)"),
               Patch(color=VERDICT_COLOURS["clear loss"], label="step that hurts"),
               Patch(color="0.65", label="interval holds 0"), Patch(color="0.25", label="total")]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=7, frameon=False)
    fig.suptitle(title or f"What drives the change: {label_of(kpi)} by capability, switched on one at a time",
                 fontsize=10)
    return fig


def waterfall(table: pd.DataFrame, path: str | Path, kpi: str = "operating_margin", title: str | None = None) -> Path:
    """Draw :func:`waterfall_figure` to ``path`` (PNG); return the path written."""
    return _save(waterfall_figure(table, kpi, title), path)



def lever_figure(table: pd.DataFrame, lever: str, targets: Mapping[str, tuple[str, float]],
                 title: str | None = None) -> Figure:
    """One panel per KPI of ``targets``: its value at each setting of a lever, the target as a dashed line.

    Its value at each setting of a lever (e.g. staff per store), settings that meet it in green and the others
    in vermillion.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per setting, a column ``lever`` and a column per KPI (e.g. ``sim.recommend_staff(...).table``).
    lever : str
        The column of the settings (the x axis), e.g. ``"staff"``.
    targets : mapping of str to (str, float)
        KPI to (``">="`` or ``"<="``, target value in the KPI's unit), one panel each.
    title : str, optional
        The figure's title. Default None: a title saying what is drawn.

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    Raises
    ------
    ValueError
        ``table`` lacks the lever's column or a KPI's (the available columns named).

    Notes
    -----
    A setting is coloured by its value against the target, as ``sim.recommend_staff`` judges it: on the mean,
    not its interval.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    targets = {"store_service_level": (">=", 0.8)}
    staffing = sim.recommend_staff(sc, "omnichannel", [1, 2, 3], targets, min_replications=2, max_replications=3)
    fig = sim.lever_figure(staffing.table, "staff", targets)
    ```
    """
    missing = [k for k in [lever, *targets] if k not in table.columns]
    if missing:
        raise ValueError(f"lever chart: no column {', '.join(missing)}; available: {', '.join(map(str, table.columns))}")
    rows = table.sort_values(lever)
    fig, axes = _grid(len(targets), ncols_max=3, cell=(4.0, 3.0))
    for ax, (kpi, (sense, target)) in zip(axes, targets.items(), strict=True):
        x, y = rows[lever].to_numpy(float), rows[kpi].to_numpy(float)
        ok = y >= target if sense == ">=" else y <= target
        ax.plot(x, y, color="0.5", lw=1.0, zorder=1)
        ax.scatter(x[ok], y[ok], color=VERDICT_COLOURS["clear gain"], zorder=2, label="meets the target")
        ax.scatter(x[~ok], y[~ok], color=VERDICT_COLOURS["clear loss"], zorder=2, label="misses the target")
        ax.axhline(target, color="0.2", ls="--", lw=0.9, label=f"target {sense} {target:g}")
        _style(ax, kpi, lever, f"{kpi} ({kpi_unit(kpi)})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle(title or f"Targets against {lever}", fontsize=11)
    return fig
