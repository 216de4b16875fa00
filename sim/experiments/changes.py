"""The changes a comparison decides on: each setup's paired difference with the baseline as a relative change in %
(amounts) or a change in points (shares and scores), its interval, its verdict, and how precisely it is known.

This is analysis, not wording: the decision summary (:mod:`sim.outputs.decision`) words these rows, and the
sequential stopping rule (:func:`sim.experiments.sequential.sequential`, ``criterion="paired"``) stops on the same
precision the decision reads (:func:`change_half_widths`). Which way is a gain comes from the KPI's declaration
(:data:`sim.core.kpis.KPIS`, ``better``). The relative interval divides the paired difference's interval by the
baseline mean (the baseline's own noise is small next to the paired difference's under common random numbers).
"""

from __future__ import annotations

import math

import pandas as pd

from sim.core.kpis import KPI_BY_NAME, SCORE, SHARE, label_of, unit_of

DECIDING = ("revenue", "margin_after_fulfilment", "gross_margin", "basket_value", "conversion_rate",
            "stockout_rate", "fill_rate", "store_service_level", "call_service_level", "on_time_rate",
            "satisfaction")
"""The KPIs a decision turns on, in the order the decision summary reads them: each setup's change against the
baseline in % for amounts (revenue, margins, basket value) and in points for shares and scores (conversion,
stockouts, fill rate, service levels, on-time rate, satisfaction), with its interval and verdict
(``sim.decision_summary``); ``sim.compare_behaviour`` carries the same KPIs across plausible behaviour."""
TARGET_REL_HALF_WIDTH = 0.05
"""Amounts: the target half-width of a change's interval, as a share of the baseline mean (±5 %; the same 5 % as
:func:`sim.experiments.sequential.sequential`'s default target)."""
TARGET_POINTS_HALF_WIDTH = 1.0
"""Shares and scores: the target half-width of a change's interval, in points (±1 point); see
:func:`change_half_widths`."""
GAIN, LOSS, NONE, NO_DATA = "clear gain", "clear loss", "no detectable difference", "no data"
CHANGE_COLUMNS = ("setup", "baseline", "kpi", "label", "unit", "baseline_mean", "mean", "diff", "diff_ci_low",
                  "diff_ci_high", "change", "change_low", "change_high", "change_unit", "verdict")


# --------------------------------------------------------------------------------------------- changes
def verdict(kpi: str, low: float, high: float) -> str:
    """A clear gain or loss when the interval of the difference excludes zero, in the direction the KPI's
    declaration says is better; otherwise no detectable difference (or no data)."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return NO_DATA
    if low <= 0 <= high:
        return NONE
    better = KPI_BY_NAME[kpi].better if kpi in KPI_BY_NAME else 0
    if better == 0:
        return "higher" if low > 0 else "lower"
    return GAIN if (low > 0) == (better > 0) else LOSS


def changes(summary: pd.DataFrame, kpis: tuple[str, ...] | list[str] = DECIDING) -> pd.DataFrame:
    """One row per (setup other than the baseline, KPI of ``kpis`` present): the change against the baseline in
    % (amounts) or points (shares), its interval and its verdict (columns :data:`CHANGE_COLUMNS`)."""
    rows = []
    baseline = str(summary["baseline"].dropna().iloc[0]) if summary["baseline"].notna().any() else None
    means = {(r.setup, r.kpi): r for r in summary.itertuples()}
    setups = [s for s in pd.unique(summary["setup"]) if s != baseline]
    present = [k for k in kpis if k in set(summary["kpi"])]
    for setup in setups:
        for kpi in present:
            r, b = means.get((setup, kpi)), means.get((baseline, kpi))
            if r is None or b is None:
                continue
            unit = unit_of(kpi)
            if unit in (SHARE, SCORE):  # points: of a percentage, or of the score itself
                scale, change_unit = (100.0 if unit == SHARE else 1.0), "points"
            else:
                scale = 100.0 / abs(b.mean) if b.mean and math.isfinite(b.mean) else math.nan
                change_unit = "%"
            rows.append({"setup": setup, "baseline": baseline, "kpi": kpi, "label": label_of(kpi), "unit": unit,
                         "baseline_mean": b.mean, "mean": r.mean, "diff": r.diff, "diff_ci_low": r.diff_ci_low,
                         "diff_ci_high": r.diff_ci_high, "change": r.diff * scale,
                         "change_low": r.diff_ci_low * scale, "change_high": r.diff_ci_high * scale,
                         "change_unit": change_unit, "verdict": verdict(kpi, r.diff_ci_low, r.diff_ci_high)})
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


HALF_WIDTH_COLUMNS = ("setup", "baseline", "kpi", "label", "change_unit", "change", "half_width", "target", "ratio",
                      "wide")


def change_half_widths(summary: pd.DataFrame, kpis: tuple[str, ...] | list[str] = DECIDING,
                       target: float = TARGET_REL_HALF_WIDTH,
                       points: float = TARGET_POINTS_HALF_WIDTH) -> pd.DataFrame:
    """How precisely each change against the baseline is known: one row per (setup, KPI) of :func:`changes`, with
    the half-width of the change's interval in the unit the decision prints it (``change_unit``), the ``target``
    it is held to, their ``ratio`` and ``wide`` (columns :data:`HALF_WIDTH_COLUMNS`).

    What decides is the paired difference with the baseline (common random numbers: the same customers under
    both setups), so its interval is what must be narrow, not each setup's mean: two means can each be vague
    while their difference is sharp, and the reverse. The criterion is the one the reader sees:

    - amounts (euros, units, counts, minutes): the half-width of the relative change, i.e. of the paired
      difference over the baseline mean, above ``target`` (±5 %: the same tolerance the per-mean rule had);
    - shares and scores: the half-width in points above ``points`` (±1 point). A share's change is read in
      points, and decisions on service levels, conversion or stockouts turn on changes of one to a few points
      (the demo's store service level falls 2 to 3 points): ±1 point tells such a change from none. A relative
      target would not: 5 % of a share near 1 lets ±5 points pass, and 5 % of a stockout rate near 0.7 % asks
      for ±0.035 points, a precision no decision needs. An NPS-like score moves by points too (±1 of 200).

    A change with an estimate but no interval (fewer than two pairs) is wide (``ratio`` inf); one without an
    estimate (no data, or a baseline mean of 0 for an amount) is not judged (``ratio`` NaN, ``wide`` False).
    """
    table = changes(summary, kpis)
    half = (table["change_high"] - table["change_low"]) / 2.0
    limit = table["change_unit"].map(lambda u: 100.0 * target if u == "%" else points).astype(float)
    ratio = (half / limit).where(half.notna(), table["change"].map(lambda c: math.inf if math.isfinite(c) else math.nan))
    out = table[["setup", "baseline", "kpi", "label", "change_unit", "change"]].assign(
        half_width=half, target=limit, ratio=ratio, wide=ratio > 1.0)
    return out[list(HALF_WIDTH_COLUMNS)].reset_index(drop=True)
