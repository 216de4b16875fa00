"""Confidence intervals and paired differences over replications.

Input is the tidy replicate table made by :func:`sim.experiment.replicate`: one row per
(setup, replication, kpi) with columns ``setup, replication, kpi, value``. Values keep the unit
their KPI name says (``_min`` minutes, ``_rate`` a share in 0-1, ...); nothing here rescales them.

Only numpy, scipy.stats and pandas are used: no plotting, no model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def summarise(runs: pd.DataFrame, baseline: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Summarise a replicate table: mean, t-interval and paired difference against a baseline setup.

    Returns one row per (setup, kpi) present in ``runs``, ordered by setup then KPI in their
    order of first appearance, with columns ``setup, kpi, n, mean, std, ci_low, ci_high,
    half_width, diff, diff_ci_low, diff_ci_high, diff_p_value, n_pairs, baseline``. All values are
    in the KPI's own unit except ``n``/``n_pairs`` (counts of replications) and ``diff_p_value``.

    ``diff`` is the mean over replications of (setup − baseline), pairing rows by replication
    number (common random numbers), with a paired-t interval and two-sided p-value. NaN values are
    dropped: ``n`` counts the setup's non-NaN values, ``n_pairs`` the replications where both the
    setup and the baseline have a value. Fewer than two values gives a NaN interval. The baseline's
    own row has ``diff`` 0 and NaN interval and p-value. ``baseline=None`` means the first setup.
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
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype({"n": int, "n_pairs": int})


def pivot_means(summary: pd.DataFrame, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """Return a KPI × setup table of means (KPI units), rows in ``kpis`` order or summary order."""
    table = summary.pivot(index="kpi", columns="setup", values="mean")
    setups = _ordered_unique(summary["setup"])
    order = list(kpis) if kpis is not None else _ordered_unique(summary["kpi"])
    return table.reindex(index=order, columns=setups)
