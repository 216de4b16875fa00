"""Confidence intervals, paired differences, the sequential stopping rule and Welch's warm-up method.

Input is the tidy replicate table made by :func:`sim.experiments.replicate.replicate`: one row per
(setup, replication, kpi) with columns ``setup, replication, kpi, value`` (a sweep adds ``point``, see
:func:`summarise_points`). Values keep the unit their KPI name says (``_min`` minutes, ``_rate`` a share in
0-1, ...); nothing here rescales them. :func:`relative_half_widths` is the stopping rule of
:func:`sim.experiments.sequential.sequential`; :func:`welch` and :func:`welch_daily` suggest a warm-up from daily series.

:func:`result_means` and :func:`daily_means` average model results (``sim.core.model.Result``, by setup) into the tidy
tables the charts of model runs take.

Only numpy, scipy.stats and pandas are used: no plotting, no model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

RUN_COLUMNS = ("setup", "replication", "kpi", "value")
SUMMARY_COLUMNS = (
    "setup",
    "kpi",
    "n",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "half_width",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "diff_p_value",
    "n_pairs",
    "baseline",
)

NAN = float("nan")


def check_confidence(confidence: float) -> None:
    """Raise ``ValueError`` unless ``confidence`` is a level strictly between 0 and 1."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1 (got {confidence!r})")


def _finite(values: Iterable[float]) -> np.ndarray:
    """Return the values as a float array with NaNs removed (infinities are kept and propagate)."""
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    return arr[~np.isnan(arr)]


def t_interval(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Student-t confidence interval for the mean of independent replications.

    NaN values are dropped first. Returns ``(mean, low, high)`` in the unit of ``values``;
    with no values all three are NaN, with one value the interval is ``(NaN, NaN)``, and with
    identical values it has zero width.
    """
    check_confidence(confidence)
    arr = _finite(values)
    n = arr.size
    if n == 0:
        return NAN, NAN, NAN
    mean = float(arr.mean())
    if n < 2:
        return mean, NAN, NAN
    std = float(arr.std(ddof=1))
    if std == 0.0:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1)) * std / np.sqrt(n)
    return mean, mean - half, mean + half


def paired_t_p_value(diffs: Iterable[float]) -> float:
    """Two-sided p-value of the paired t-test that the mean difference is 0.

    ``diffs`` are per-replication differences (NaNs dropped). Returns NaN with fewer than two
    differences. With zero spread the test statistic is undefined; the p-value is then 1.0 when
    every difference is exactly 0 (the setups gave identical numbers) and 0.0 otherwise (the same
    non-zero difference in every replication).
    """
    arr = _finite(diffs)
    n = arr.size
    if n < 2:
        return NAN
    std = float(arr.std(ddof=1))
    mean = float(arr.mean())
    if std == 0.0:
        return 1.0 if mean == 0.0 else 0.0
    t_stat = mean / (std / np.sqrt(n))
    return float(2.0 * stats.t.sf(abs(t_stat), df=n - 1))


def _check_runs(runs: pd.DataFrame) -> None:
    missing = [c for c in RUN_COLUMNS if c not in runs.columns]
    if missing:
        raise ValueError(f"runs table lacks column(s) {missing}; expected {list(RUN_COLUMNS)}")
    dup = runs.duplicated(subset=["setup", "replication", "kpi"])
    if dup.any():
        first = runs.loc[dup, ["setup", "replication", "kpi"]].iloc[0].tolist()
        raise ValueError(f"runs table has {int(dup.sum())} duplicate (setup, replication, kpi) rows, e.g. {first}")


def _ordered_unique(values: pd.Series) -> list:
    """Return the distinct values in order of first appearance."""
    return list(pd.unique(values))


def _describe(values: pd.Series, confidence: float) -> dict[str, float]:
    arr = _finite(values.to_numpy())
    mean, low, high = t_interval(arr, confidence)
    return {
        "n": int(arr.size),
        "mean": mean,
        "std": float(arr.std(ddof=1)) if arr.size >= 2 else NAN,
        "ci_low": low,
        "ci_high": high,
        "half_width": (high - low) / 2.0,
    }


def _paired(values: pd.Series, base: pd.Series | None, confidence: float) -> dict[str, float]:
    """Paired difference ``values - base`` matched on the replication index, NaN pairs dropped."""
    if base is None:
        return {"diff": NAN, "diff_ci_low": NAN, "diff_ci_high": NAN, "diff_p_value": NAN, "n_pairs": 0}
    joined = pd.concat([values.rename("x"), base.rename("b")], axis=1, join="inner").dropna()
    diffs = (joined["x"] - joined["b"]).to_numpy(dtype=float)
    mean, low, high = t_interval(diffs, confidence)
    return {
        "diff": mean,
        "diff_ci_low": low,
        "diff_ci_high": high,
        "diff_p_value": paired_t_p_value(diffs),
        "n_pairs": int(diffs.size),
    }


def _baseline_row(values: pd.Series) -> dict[str, float]:
    n = int(values.notna().sum())
    return {
        "diff": 0.0 if n else NAN,
        "diff_ci_low": NAN,
        "diff_ci_high": NAN,
        "diff_p_value": NAN,
        "n_pairs": n,
    }


ONE_SETUP = ("one setup ({setup}): its means and intervals only, no paired differences (the diff columns compare it "
             "with itself); compare it with another setup for changes and a payback")
"""What a summary of a single setup says about itself (``attrs["note"]``, the CLI, meta.json, the decision)."""


def summarise(runs: pd.DataFrame, baseline: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Summarise a replicate table: mean, t-interval and paired difference against a baseline setup.

    The statistics behind ``sim.compare``, for a table of replications made elsewhere (``sim.compare_runs``'s
    ``runs``, a part of it, another baseline, a table with derived KPIs added).

    Parameters
    ----------
    runs : pandas.DataFrame
        A replicate table: columns ``setup, replication, kpi, value`` (others are ignored), one row per (setup,
        replication, KPI), values in the KPI's unit, NaN where a KPI had no data.
    baseline : str, optional
        The setup the others are paired with; default None: the first setup of ``runs``.
    confidence : float, default 0.95
        Level of the intervals, strictly between 0 and 1.

    Returns
    -------
    pandas.DataFrame
        One row per (setup, kpi) present in ``runs``, ordered by setup then KPI in their order of first
        appearance, with columns ``setup, kpi, n, mean, std, ci_low, ci_high, half_width, diff, diff_ci_low,
        diff_ci_high, diff_p_value, n_pairs, baseline``. All values are in the KPI's own unit except
        ``n``/``n_pairs`` (counts of replications) and ``diff_p_value``.

        ``diff`` is the mean over replications of (setup − baseline), pairing rows by replication number (common
        random numbers), with a paired-t interval and two-sided p-value. NaN values are dropped: ``n`` counts the
        setup's non-NaN values, ``n_pairs`` the replications where both the setup and the baseline have a value.
        Fewer than two values gives a NaN interval. The baseline's own row has ``diff`` 0 and NaN interval and
        p-value. A table of a single setup says so in ``attrs["note"]`` (``ONE_SETUP``).

    Raises
    ------
    ValueError
        ``runs`` lacks one of the four columns or repeats a (setup, replication, kpi) row; ``baseline`` is not a
        setup of ``runs``; ``confidence`` is not strictly between 0 and 1.

    See Also
    --------
    - ``sim.compare`` : runs the replications and summarises them.
    - ``sim.decision_summary`` : the summary as changes, verdicts and payback.

    Notes
    -----
    The intervals are Student-t intervals over independent replications: the simulation's sampling noise only,
    at the scenario's values of behaviour and of every other input.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    _, runs = sim.compare_runs(sc, replications=3, seed=1)
    against_cross = sim.summarise(runs, baseline="cross-channel", confidence=0.9)
    print(against_cross[against_cross["kpi"] == "revenue"][["setup", "mean", "diff", "diff_ci_low", "diff_ci_high"]])
    ```
    """
    check_confidence(confidence)
    _check_runs(runs)
    setups = _ordered_unique(runs["setup"])
    kpis = _ordered_unique(runs["kpi"])
    if baseline is None and setups:
        baseline = setups[0]
    if setups and baseline not in setups:
        raise ValueError(f"baseline {baseline!r} is not a setup in the runs table; setups: {setups}")
    series = {key: grp.set_index("replication")["value"].astype(float) for key, grp in runs.groupby(["setup", "kpi"], sort=False)}
    rows = []
    for setup in setups:
        for kpi in kpis:
            values = series.get((setup, kpi))
            if values is None:
                continue
            row: dict[str, object] = {"setup": setup, "kpi": kpi, **_describe(values, confidence)}
            if setup == baseline:
                row.update(_baseline_row(values))
            else:
                row.update(_paired(values, series.get((baseline, kpi)), confidence))
            row["baseline"] = baseline
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype({"n": int, "n_pairs": int})
    if len(setups) == 1:
        table.attrs["note"] = ONE_SETUP.format(setup=setups[0])
    return table


def pivot_means(summary: pd.DataFrame, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """Return a KPI × setup table of means (KPI units), rows in ``kpis`` order or summary order."""
    table = summary.pivot(index="kpi", columns="setup", values="mean")
    setups = _ordered_unique(summary["setup"])
    order = list(kpis) if kpis is not None else _ordered_unique(summary["kpi"])
    return table.reindex(index=order, columns=setups)


# --------------------------------------------------------------------------------------------- design points
def summarise_points(runs: pd.DataFrame, points: pd.DataFrame | None = None, baseline: str | None = None,
                     confidence: float = 0.95) -> pd.DataFrame:
    """:func:`summarise` for each design point of a sweep's table ``point, setup, replication, kpi, value``.

    Returns the summary columns with ``point`` first, then one column per factor (from ``points``, a table
    ``point, scenario_hash, <dotted path>...``) after it. Paired differences are within each point.
    """
    parts = []
    for point, grp in runs.groupby("point", sort=True):
        part = summarise(grp.drop(columns="point"), baseline=baseline, confidence=confidence)
        part.insert(0, "point", int(point))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["point", *SUMMARY_COLUMNS])
    if points is not None and not points.empty:
        factors = points.drop(columns=[c for c in ("scenario_hash",) if c in points.columns])
        table = table.merge(factors, on="point", how="left")
        table = table[["point", *[c for c in factors.columns if c != "point"], *SUMMARY_COLUMNS]]
    return table


# --------------------------------------------------------------------------------------------- sequential
def relative_half_width(values: Iterable[float], confidence: float = 0.95) -> float:
    """Half-width of the t-interval divided by |mean|; +inf with fewer than two values or a zero mean
    (with a nonzero spread), 0.0 when every value is the same."""
    mean, low, high = t_interval(values, confidence)
    if math.isnan(low):
        return math.inf
    half = (high - low) / 2.0
    if half == 0.0:
        return 0.0
    return half / abs(mean) if mean != 0.0 else math.inf


def relative_half_widths(runs: pd.DataFrame, kpis: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """For each setup and KPI of a replicate table: ``setup, kpi, n, mean, half_width, relative_half_width``.

    Raises ``ValueError`` naming a KPI that is not in the table.
    """
    _check_runs(runs)
    missing = [k for k in kpis if k not in set(runs["kpi"])]
    if missing:
        raise ValueError(f"kpis: {', '.join(map(repr, missing))} not in the runs table")
    rows = []
    for (setup, kpi), grp in runs[runs["kpi"].isin(list(kpis))].groupby(["setup", "kpi"], sort=False):
        arr = _finite(grp["value"].to_numpy())
        mean, low, high = t_interval(arr, confidence)
        rows.append({"setup": setup, "kpi": kpi, "n": int(arr.size), "mean": mean,
                     "half_width": (high - low) / 2.0, "relative_half_width": relative_half_width(arr, confidence)})
    return pd.DataFrame(rows, columns=["setup", "kpi", "n", "mean", "half_width", "relative_half_width"])


# --------------------------------------------------------------------------------------------- model results
# Means over replications of model results, as the tidy tables the charts of model runs take (sim.outputs.plots).
# ``results`` may be the list returned by :func:`sim.experiments.replicate.replicate_results` (objects with ``.setup`` and
# ``.result``), a list of :class:`sim.core.model.Result`, or a mapping setup -> Result (or -> list of Results).
NETWORK = "network"
"""The ``dimension`` (and ``member``) of whole-network KPIs in :func:`result_means`."""
MEAN_COLUMNS = ("setup", "dimension", "member", "kpi", "mean")
DAILY_MEAN_COLUMNS = ("setup", "series", "day", "mean")


def results_by_setup(results: Any) -> dict[str, list[Any]]:
    """Return setup -> list of :class:`sim.core.model.Result` from any of the accepted ``results`` shapes.

    Raises ``ValueError`` when nothing usable is given.
    """
    out: dict[str, list[Any]] = {}
    if isinstance(results, Mapping):
        for setup, value in results.items():
            items = value if isinstance(value, Sequence) else [value]
            out[str(setup)] = [getattr(r, "result", r) for r in items]
    else:
        for item in results:
            res = getattr(item, "result", item)
            out.setdefault(str(getattr(item, "setup", res.setup)), []).append(res)
    bad = [s for s, rs in out.items() if not rs or not all(hasattr(r, "kpis") for r in rs)]
    if not out or bad:
        raise ValueError("results: expected model results (sim.run / replicate_results), by setup; "
                         f"got nothing usable{' for ' + ', '.join(bad) if bad else ''}")
    return out


def _nanmean(values: Sequence[float] | np.ndarray) -> float:
    arr = np.asarray(values, dtype=float)
    return float(np.nanmean(arr)) if arr.size and not np.isnan(arr).all() else math.nan


def mean_kpis(runs: Sequence[Any]) -> dict[str, float]:
    """Return KPI name -> mean over the given results (NaN where no replication has a value)."""
    names = list(dict.fromkeys(k for r in runs for k in r.kpis))
    return {k: _nanmean([r.kpis.get(k, math.nan) for r in runs]) for k in names}


def mean_breakdown(runs: Sequence[Any], dimension: str) -> dict[str, dict[str, float]]:
    """Return member -> KPI -> mean over the results of ``Result.breakdown[dimension]`` (members in run order)."""
    members = list(dict.fromkeys(m for r in runs for m in r.breakdown.get(dimension, {})))
    out = {}
    for m in members:
        rows = [r.breakdown.get(dimension, {}).get(m, {}) for r in runs]
        names = list(dict.fromkeys(k for row in rows for k in row))
        out[m] = {k: _nanmean([row.get(k, math.nan) for row in rows]) for k in names}
    return out


def result_means(results: Any) -> pd.DataFrame:
    """Means over each setup's replications of every KPI and every breakdown entry, as one tidy table.

    Columns ``setup, dimension, member, kpi, mean``: the whole-network KPIs (``Result.kpis``) have dimension and
    member :data:`NETWORK`; a breakdown entry ``Result.breakdown[dimension][member][kpi]`` keeps its names. Means
    ignore NaN (NaN when no replication has a value); setups, dimensions, members and KPIs keep the order of the
    results. The input of :func:`sim.outputs.plots.queue_waits`, :func:`~sim.outputs.plots.funnel`, :func:`~sim.outputs.plots.channel_flows`
    and :func:`~sim.outputs.plots.touchpoint_usage`.
    """
    rows = []
    for setup, runs in results_by_setup(results).items():
        rows += [(setup, NETWORK, NETWORK, kpi, value) for kpi, value in mean_kpis(runs).items()]
        for dimension in dict.fromkeys(d for r in runs for d in r.breakdown):
            rows += [(setup, dimension, member, kpi, value)
                     for member, kpis in mean_breakdown(runs, dimension).items() for kpi, value in kpis.items()]
    return pd.DataFrame(rows, columns=list(MEAN_COLUMNS)).astype({"mean": float})


def daily_means(results: Any) -> pd.DataFrame:
    """Per-day means over each setup's replications of every daily series, as the tidy table
    ``setup, series, day, mean`` (day from 1; NaN-aware; a shorter run leaves its missing days out of the mean).
    The input of :func:`sim.outputs.plots.daily_series` and :func:`sim.outputs.plots.stock_over_time`."""
    rows = []
    for setup, runs in results_by_setup(results).items():
        for name in dict.fromkeys(k for r in runs for k in r.daily):
            series = [r.daily[name] for r in runs if name in r.daily]
            padded = np.full((len(series), max(len(x) for x in series)), np.nan)
            for i, x in enumerate(series):
                padded[i, : len(x)] = x
            rows += [(setup, name, day, _nanmean(col)) for day, col in enumerate(padded.T, start=1)]
    return pd.DataFrame(rows, columns=list(DAILY_MEAN_COLUMNS)).astype({"day": int, "mean": float})


# --------------------------------------------------------------------------------------------- Welch
@dataclass(frozen=True)
class Welch:
    """Welch's graphical warm-up method on one series (periods are days unless the caller says otherwise).

    ``period_means[i]``: mean over replications of period ``i + 1``; ``moving_average[i]``: Welch's moving
    average centred on period ``i + 1`` (window ``w`` each side, shrinking near the start), for the first
    ``m - w`` periods; ``warmup``: suggested number of periods to delete (None if the average never settles);
    ``level``: the steady level the average settles to (mean of its second half).
    """

    period_means: np.ndarray
    moving_average: np.ndarray
    window: int
    warmup: int | None
    level: float
    tolerance: float
    replications: int
    series: str = ""


def welch_moving_average(period_means: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average: for i <= w the mean of the first 2i - 1 periods, then of periods i-w..i+w.

    Returns ``m - w`` values (``m`` periods); ``window`` must be in 1..(m-1)//2.
    """
    y = np.asarray(period_means, dtype=float)
    m, w = y.size, int(window)
    if not 1 <= w <= (m - 1) // 2:
        raise ValueError(f"window must be between 1 and (periods - 1) // 2 = {(m - 1) // 2} (got {window})")
    csum = np.concatenate([[0.0], np.cumsum(y)])
    out = np.empty(m - w)
    for i in range(m - w):  # i is 0-based: period i + 1
        half = min(i, w)
        out[i] = (csum[i + half + 1] - csum[i - half]) / (2 * half + 1)
    return out


def welch(values: np.ndarray | Sequence[Sequence[float]], window: int | None = None, tolerance: float = 0.02,
          series: str = "") -> Welch:
    """Welch's method on ``values`` (replications × periods, e.g. one daily series per replication).

    The suggested warm-up is the first period from which the moving average stays within ``tolerance``
    (relative) of its steady level, the mean of the moving average's second half. ``window`` defaults to
    a tenth of the periods (at least 1). NaN values are ignored in the means over replications.
    """
    arr = np.atleast_2d(np.asarray(values, dtype=float))
    reps, m = arr.shape
    if m < 3:
        raise ValueError(f"Welch's method needs at least 3 periods (got {m})")
    w = max(1, min(m // 10, (m - 1) // 2)) if window is None else int(window)
    with np.errstate(all="ignore"):
        means = np.nanmean(arr, axis=0)
    ma = welch_moving_average(means, w)
    level = float(np.mean(ma[ma.size // 2:]))
    band = tolerance * abs(level) if level != 0.0 else tolerance * float(np.nanstd(means))
    outside = np.flatnonzero(np.abs(ma - level) > band)
    if outside.size == 0:
        warmup: int | None = 0
    elif outside[-1] >= ma.size - 1:
        warmup = None
    else:
        warmup = int(outside[-1] + 1)
    return Welch(means, ma, w, warmup, level, tolerance, reps, series)


def welch_daily(daily: pd.DataFrame, series: str, setup: str | None = None, window: int | None = None,
                tolerance: float = 0.02) -> Welch:
    """:func:`welch` on one series of a tidy daily table (``setup, replication, series, day, value``, and
    optionally ``point``); ``setup=None`` takes the first setup. Replications are rows, days are periods."""
    rows = daily[daily["series"] == series]
    if rows.empty:
        raise ValueError(f"series {series!r} not in the daily table; series: {sorted(set(daily['series']))}")
    setup = setup if setup is not None else rows["setup"].iloc[0]
    rows = rows[rows["setup"] == setup]
    index = ["point", "replication"] if "point" in rows.columns else ["replication"]
    wide = rows.pivot_table(index=index, columns="day", values="value", aggfunc="first", dropna=False)
    return welch(wide.to_numpy(dtype=float), window, tolerance, series=f"{series} ({setup})")
