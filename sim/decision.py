"""The decision summary of a comparison: what each setup changes against the baseline, how sure we are, and
whether it pays — one function used by the CLI, the report and the notebooks.

For the KPIs that decide (:data:`DECIDING`), each setup's paired difference with the baseline (same customers)
becomes a change people read: a relative change in % for amounts, a change in points for shares, each with its
confidence interval, and a verdict — a clear gain, a clear loss, or no detectable difference when the interval
holds zero. Which way is a gain comes from the KPI's declaration (:data:`sim.kpis.KPIS`, ``better``). A few
plain sentences are written from those numbers only: a sentence never states a gain or a loss the interval does
not support. The relative interval divides the paired difference's interval by the baseline mean (the
baseline's own noise is small next to the paired difference's under common random numbers).

Numbers for people (:func:`fmt_value`, :func:`fmt_change`): thousands separators, 2–3 significant figures,
percentages for shares, the currency, never scientific notation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.kpis import KPI_BY_NAME, SCORE, SHARE, label_of, unit_of

DECIDING = ("revenue", "margin_after_fulfilment", "gross_margin", "basket_value", "conversion_rate",
            "stockout_rate", "fill_rate", "store_service_level", "call_service_level", "on_time_rate",
            "satisfaction")
WEEK_DAYS = 7.0
"""A result resting on fewer measured days than a weekly cycle is flagged (the weekly profile has not repeated)."""
TARGET_REL_HALF_WIDTH = 0.05
"""Amounts: the target half-width of a change's interval, as a share of the baseline mean (±5 %; the same 5 % as
:func:`sim.experiment.sequential`'s default target)."""
TARGET_POINTS_HALF_WIDTH = 1.0
"""Shares and scores: the target half-width of a change's interval, in points (±1 point); see
:func:`change_half_widths`."""
GAIN, LOSS, NONE, NO_DATA = "clear gain", "clear loss", "no detectable difference", "no data"
CHANGE_COLUMNS = ("setup", "baseline", "kpi", "label", "unit", "baseline_mean", "mean", "diff", "diff_ci_low",
                  "diff_ci_high", "change", "change_low", "change_high", "change_unit", "verdict")


# --------------------------------------------------------------------------------------------- numbers
def _digits(x: float, significant: int) -> int:
    """Decimals that round ``x`` to ``significant`` figures (negative: tens, hundreds, ... for large numbers)."""
    if x == 0 or not math.isfinite(x):
        return 0
    return significant - 1 - math.floor(math.log10(abs(x)))


def fmt_number(x: float, significant: int = 3) -> str:
    """``x`` with thousands separators and ``significant`` figures, never in scientific notation."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    d = _digits(x, significant)
    rounded = round(x, d)
    text = f"{rounded:,.{max(d, 0)}f}"
    return text.replace("-", "−")


def fmt_value(x: float, unit: str) -> str:
    """A value in its unit, for people: shares as percentages, money with the currency sign."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if unit == SHARE:
        return f"{fmt_number(100 * x)} %"
    if unit == "€":
        return f"{fmt_number(x)} €"
    if unit in ("count", SCORE) or not unit:
        return fmt_number(x)
    return f"{fmt_number(x)} {unit}"


def _signed(x: float) -> str:
    text = fmt_number(x)
    return text if text.startswith(("−", "–")) or x == 0 else f"+{text}"


def fmt_change(change: float, low: float, high: float, unit: str) -> str:
    """A change with its interval, e.g. ``+11.7 % [+11.5; +11.9]`` or ``−1.2 points [−1.6; −0.8]``."""
    if change is None or math.isnan(change):
        return "no data"
    interval = "" if math.isnan(low) or math.isnan(high) else f" [{_signed(low)}; {_signed(high)}]"
    return f"{_signed(change)} {unit}{interval}"


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


# --------------------------------------------------------------------------------------------- sentences
def _phrase(row: Any) -> str:
    """One clause about one KPI, worded from its verdict: a direction only when the interval supports it."""
    label = row.label[0].lower() + row.label[1:] if not row.label[:2].isupper() else row.label
    if row.verdict == NO_DATA:
        return f"gives no data on {label}"
    up = row.diff_ci_low > 0
    size, low, high = (row.change, row.change_low, row.change_high) if up else \
        (-row.change, -row.change_high, -row.change_low)
    return (f"{'raises' if up else 'lowers'} {label} by {fmt_number(size)} {row.change_unit} "
            f"[{fmt_number(low)}; {fmt_number(high)}]")


def sentences(table: pd.DataFrame, payback: pd.DataFrame | None = None, confidence: float = 0.95) -> list[str]:
    """Plain sentences from a :func:`changes` table (and a payback table from :func:`sim.roi.roi_table`): per
    setup, its clear gains, its clear losses, then what did not move; a payback sentence when it is known."""
    out = []
    level = f"{confidence:.0%}"
    for setup, rows in table.groupby("setup", sort=False):
        base = rows["baseline"].iloc[0]
        gains = [_phrase(r) for r in rows.itertuples() if r.verdict == GAIN]
        losses = [_phrase(r) for r in rows.itertuples() if r.verdict == LOSS]
        moved = [_phrase(r) for r in rows.itertuples() if r.verdict in ("higher", "lower")]
        flat = [r.label for r in rows.itertuples() if r.verdict == NONE]
        name = setup[0].upper() + setup[1:]
        if gains:
            out.append(f"{name}, against {base}, " + _join(gains) + ".")
        if losses:
            out.append(f"{'It' if gains else name + ', against ' + base + ','} " + _join(losses) + ".")
        if moved:
            out.append(f"{'It' if gains or losses else name} " + _join(moved) + ".")
        if flat:
            out.append(f"No difference in {_join([f.lower() for f in flat])} can be told apart from chance "
                       f"at {level.replace('%', ' %')} confidence.")
        if payback is not None and setup in set(payback["setup"]):
            p = payback[payback["setup"] == setup].iloc[0]
            out.append(_payback_sentence(name, p))
    return out


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _months(x: float) -> str:
    return "never" if not math.isfinite(x) else f"{fmt_number(x, 2)} months"


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{fmt_number(100 * x, 2)} %"


def _payback_sentence(name: str, p: Any) -> str:
    if not p.whole_weeks:
        return f"{name}: no payback computed: the {p.note}."
    costs = (f"implementation {fmt_value(p.cost_low, '€')}–{fmt_value(p.cost_high, '€')} and running costs of "
             f"{fmt_value(p.running_low, '€')}–{fmt_value(p.running_high, '€')} a year, the gain ramping up over "
             f"{fmt_number(p.ramp_up_months, 2)} months")
    margin = "operating margin" if p.margin_kpi == "operating_margin" else p.margin_kpi.replace("_", " ")
    if not math.isfinite(p.payback_months):
        return (f"{name} does not pay back its costs ({costs}) on the {margin} it adds "
                f"(yearly gain {fmt_value(p.yearly_gain, '€')}).")
    return (f"{name} pays back its costs ({costs}) in {_months(p.payback_months)} "
            f"[{_months(p.payback_months_low)}; {_months(p.payback_months_high)}] on a yearly {margin} gain of "
            f"{fmt_value(p.yearly_gain, '€')} [{fmt_value(p.yearly_gain_ci_low, '€')}; "
            f"{fmt_value(p.yearly_gain_ci_high, '€')}]; 12-month ROI {_pct(p.roi_12m)} "
            f"[{_pct(p.roi_12m_low)}; {_pct(p.roi_12m_high)}].")


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


def _precision(row: Any) -> str:
    unit = " %" if row.change_unit == "%" else " points"
    return "no interval" if not math.isfinite(row.half_width) else f"±{fmt_number(row.half_width, 2)}{unit}"


def horizon_warnings(summary: pd.DataFrame, measured_days: float | None,
                     target: float = TARGET_REL_HALF_WIDTH, points: float = TARGET_POINTS_HALF_WIDTH) -> list[str]:
    """Caution sentences for a result that rests on less than a weekly cycle of measured days, or on a change of a
    deciding KPI whose interval is too wide to decide on: the paired difference with the baseline above ``target``
    of the baseline mean (amounts) or ``points`` (shares and scores), see :func:`change_half_widths`."""
    out = []
    if measured_days is not None and measured_days < WEEK_DAYS:
        out.append(f"Caution: this rests on {measured_days:g} measured days, less than a weekly cycle; "
                   "weekdays and weekends are not both represented, so measure at least two whole weeks before "
                   "deciding.")
    if {"kpi", "mean", "diff_ci_low", "diff_ci_high", "baseline"} <= set(summary.columns):
        widths = change_half_widths(summary, target=target, points=points)
        wide = widths[widths["wide"]]
        if not wide.empty:
            parts = [f"{setup}'s " + _join([f"{r.label[0].lower() + r.label[1:]} ({_precision(r)})"
                                            for r in rows.itertuples()])
                     for setup, rows in wide.groupby("setup", sort=False)]
            out.append(f"Caution: the interval of the change against {wide['baseline'].iloc[0]} is too wide to decide "
                       f"on {_join(parts)}; the target is ±{100 * target:g} % of the baseline for amounts, "
                       f"±{points:g} point{'' if points == 1 else 's'} for shares and scores. Add replications "
                       "(sim.experiment.sequential with criterion=\"paired\" adds them until the target is met) "
                       "before relying on these figures.")
    return out


# --------------------------------------------------------------------------------------------- the summary
@dataclass
class DecisionSummary:
    """What a comparison says: changes of the deciding KPIs, payback (when the measured days are known) and the
    sentences. ``to_dict`` is what ``omnisim compare --json`` prints."""

    baseline: str | None
    confidence: float
    changes: pd.DataFrame
    payback: pd.DataFrame | None = None
    sentences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v.item() if hasattr(v, "item") else v

        rows = [{k: clean(v) for k, v in r.items()} for r in self.changes.to_dict("records")]
        pay = None if self.payback is None else [
            {k: clean(v) for k, v in r.items()} for r in self.payback.to_dict("records")]
        return {"baseline": self.baseline, "confidence": self.confidence, "changes": rows, "payback": pay,
                "sentences": self.sentences, "warnings": self.warnings}

    def table(self) -> pd.DataFrame:
        """The changes as people read them: setup, KPI label, baseline and setup values, change, verdict."""
        rows = [{"setup": r.setup, "KPI": r.label, "baseline": fmt_value(r.baseline_mean, r.unit),
                 "setup value": fmt_value(r.mean, r.unit),
                 "change": fmt_change(r.change, r.change_low, r.change_high, r.change_unit), "verdict": r.verdict}
                for r in self.changes.itertuples()]
        return pd.DataFrame(rows, columns=["setup", "KPI", "baseline", "setup value", "change", "verdict"])


def decision_summary(summary: pd.DataFrame, confidence: float = 0.95, measured_days: float | None = None,
                     runs: pd.DataFrame | None = None, scenario: Any = None, costs: Any = None) -> DecisionSummary:
    """The decision summary of a :func:`sim.analysis.summarise` table; with ``measured_days`` (days measured
    per replication) and a margin KPI, the payback of each setup's capabilities from :func:`sim.roi.roi_table`."""
    table = changes(summary)
    baseline = str(summary["baseline"].dropna().iloc[0]) if summary["baseline"].notna().any() else None
    payback = None
    if measured_days and "gross_margin" in set(summary["kpi"]) and summary["setup"].nunique() > 1:
        from sim import roi

        # the CFO's margin (fulfilment, offers and returns out) when the replications are there to derive it
        margin = "operating_margin" if runs is not None else "gross_margin"
        payback = roi.roi_table(summary, float(measured_days), costs=costs, runs=runs, scenario=scenario,
                                margin=margin, ramp_up_months=roi.DEFAULT_RAMP_UP_MONTHS)
    warnings = horizon_warnings(summary, measured_days)
    # the cautions open the sentences, so every output that shows them (CLI, report, notebooks, dashboard) warns
    return DecisionSummary(baseline, confidence, table, payback, warnings + sentences(table, payback, confidence),
                           warnings)
