"""The decision summary of a comparison: what each setup changes against the baseline, how sure we are, and
whether it pays — one function used by the CLI, the report and the notebooks.

For the KPIs that decide (:data:`DECIDING`), each setup's paired difference with the baseline (same customers)
becomes a change people read: a relative change in % for amounts, a change in points for shares, each with its
confidence interval, and a verdict — a clear gain, a clear loss, or no detectable difference when the interval
holds zero. Which way is a gain comes from the KPI's declaration (:data:`sim.core.kpis.KPIS`, ``better``). A few
plain sentences are written from those numbers only: a sentence never states a gain or a loss the interval does
not support. The relative interval divides the paired difference's interval by the baseline mean (the
baseline's own noise is small next to the paired difference's under common random numbers).

Numbers for people (:func:`fmt_value`, :func:`fmt_change`): thousands separators, 2–3 significant figures,
percentages for shares, the currency, never scientific notation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.core.kpis import SCORE, SHARE
from sim.experiments import behaviour as bh
from sim.experiments.changes import (
    GAIN,
    LOSS,
    NO_DATA,
    NONE,
    TARGET_POINTS_HALF_WIDTH,
    TARGET_REL_HALF_WIDTH,
    change_half_widths,
    changes,
)
from sim.outputs.numbers import fmt_number as fmt_number
from sim.scenario.evidence import REGISTER, label, values_at

WEEK_DAYS = 7.0
"""A result resting on fewer measured days than a weekly cycle is flagged (the weekly profile has not repeated)."""



# --------------------------------------------------------------------------------------------- numbers
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
    """Plain sentences from a :func:`changes` table (and a payback table from :func:`sim.outputs.roi.roi_table`): per
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
            out.append(f"No difference in {_join([_lower(f) for f in flat])} can be told apart from chance "
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


PAYBACK_HEADERS = ("setup", "systems", "one-off cost", "running cost a year", "yearly margin gain [interval]",
                   "payback in months [interval]", "12-month ROI [interval]")
"""The headers of :func:`payback_table`, as the report's first screen and the dashboard show them."""


def payback_table(payback: pd.DataFrame) -> pd.DataFrame:
    """A :func:`sim.outputs.roi.roi_table` as people read it, one string per cell: the one-off and running cost
    ranges in euros, the yearly operating-margin gain, the payback in months and the 12-month ROI, each with its
    interval (cost range x the gain's confidence interval). The one formatting of the payback that the report and
    the dashboard both show."""
    def money_range(low: float, high: float) -> str:
        return f"{fmt_value(low, '€')} – {fmt_value(high, '€')}"

    rows = []
    for p in payback.itertuples():
        gain = f"{fmt_value(p.yearly_gain, '€')} [{fmt_value(p.yearly_gain_ci_low, '€')}; " \
               f"{fmt_value(p.yearly_gain_ci_high, '€')}]"
        if not p.whole_weeks:
            months = roi_12m = "no yearly figure (measured days are not whole weeks)"
            gain = "–"
        else:
            months = "never" if not math.isfinite(p.payback_months) else \
                f"{fmt_number(p.payback_months, 2)} [{fmt_number(p.payback_months_low, 2)}; " \
                f"{fmt_number(p.payback_months_high, 2)}]"
            roi_12m = f"{_pct(p.roi_12m)} [{_pct(p.roi_12m_low)}; {_pct(p.roi_12m_high)}]"
        systems = ", ".join(p.systems) if isinstance(p.systems, list | tuple) else str(p.systems)
        rows.append([str(p.setup), systems, money_range(p.cost_low, p.cost_high),
                     money_range(p.running_low, p.running_high), gain, months, roi_12m])
    return pd.DataFrame(rows, columns=list(PAYBACK_HEADERS))


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
                       "(sim.experiments.sequential.sequential with criterion=\"paired\" adds them until the target is met) "
                       "before relying on these figures.")
    return out


BEHAVIOUR_CAUTION = ("Caution: this result holds for the scenario's point values of behaviour only: these intervals "
                     "measure the simulation's own sampling noise, with customers behaving as the scenario's point "
                     "values say; how customers really respond is not in them (docs/reference/evidence-register.md "
                     "gives each behavioural value's plausible range and its evidence; omnisim compare --assumptions "
                     "N, or sim.compare_behaviour, carries those ranges into the decision).")
BEHAVIOUR_SAMPLED = ("Behaviour sampled: the ranges below are the spread of each change across {n} plausible sets of "
                     "behaviour drawn from the evidence's ranges (a Latin hypercube, {reps} replications each, common "
                     "random numbers); the simulation's own noise is given apart. The table's intervals are the "
                     "noise at the scenario's point values only.")


def behaviour_warnings(scenario: Mapping[str, Any]) -> list[str]:
    """The caution every decision carries while behaviour is not sampled (:data:`BEHAVIOUR_CAUTION`), and one
    naming each behavioural value of ``scenario`` (plain data: a scenario's ``model_dump(mode="json")`` or its
    YAML) that lies outside the range the evidence supports (the scenario's own range for that path, under
    ``evidence:``, where it gives one; the register's otherwise), with that range and the kind of evidence."""
    outside = []
    own = scenario.get("evidence") or {}
    for entry in REGISTER:
        values = sorted({float(v) for v in values_at(scenario, entry.path)
                         if isinstance(v, int | float) and not isinstance(v, bool)})
        span = own.get(entry.path) or {"low": entry.low, "high": entry.high, "kind": entry.kind}
        bad = [v for v in values if not span["low"] <= v <= span["high"]]
        if bad:
            shown = f"{bad[0]:g}" if len(bad) == 1 else f"{bad[0]:g}–{bad[-1]:g}"
            outside.append(f"{entry.path} is {shown} (evidence: {span['low']:g}–{span['high']:g}, {span['kind']})")
    if not outside:
        return [BEHAVIOUR_CAUTION]
    return [BEHAVIOUR_CAUTION, "Caution: these figures rest on behavioural values outside what the evidence "
            f"supports: {_join(outside)}."]



# --------------------------------------------------------------------------------------------- behaviour
def fmt_parameter(x: float, unit: str) -> str:
    """A behavioural parameter's value for people: probabilities and shares as percentages."""
    if x is None or not math.isfinite(x):
        return "–"
    if unit.startswith(("probability", "share")):
        return f"{fmt_number(100 * x, 2)} %"
    return fmt_number(x, 2)


def _span(low: float, high: float, unit: str) -> str:
    unit = " %" if unit == "%" else " points"
    return f"{_signed(low)}{unit} to {_signed(high)}{unit}"


def _noise(half: float, unit: str) -> str:
    return f"±{fmt_number(half, 2)} {'percentage points' if unit == '%' else 'points'}"


def behaviour_sentences(result: Any) -> list[str]:
    """Plain sentences from a :class:`sim.experiments.behaviour.BehaviourResult`: per setup, the deciding KPIs
    that are robust gains or losses across plausible behaviour (with the range and the simulation's noise apart),
    those whose sign depends on behaviour (naming the parameter that explains most of it), the operating-margin
    gain's range, and one sentence per break-even. A KPI whose change crosses zero within the behaviour range is
    never called a gain or a loss."""
    out = []
    summary = result.summary
    for setup, rows in summary.groupby("setup", sort=False):
        name = setup[0].upper() + setup[1:]
        base = rows["baseline"].iloc[0]
        deciding = rows[rows["kpi"] != bh.MARGIN]
        for verdict in (bh.ROBUST_GAIN, bh.ROBUST_LOSS):
            part = deciding[deciding["verdict"] == verdict]
            if part.empty:
                continue
            clauses = []
            for r in part.itertuples():
                up = r.behaviour_low > 0
                lo, hi = (r.behaviour_low, r.behaviour_high) if up else (-r.behaviour_high, -r.behaviour_low)
                unit = " %" if r.change_unit == "%" else " points"
                clauses.append(f"{'raises' if up else 'lowers'} {_lower(r.label)} by {fmt_number(lo)}{unit} to "
                               f"{fmt_number(hi)}{unit} (noise {_noise(r.sampling_half_width, r.change_unit)})")
            what = "robustly" if verdict == bh.ROBUST_GAIN else "robustly, for the worse,"
            out.append(f"{name}, against {base}, {what} " + _join(clauses) + " across plausible behaviour.")
        depends = deciding[deciding["verdict"] == bh.DEPENDS]
        for r in depends.itertuples():
            driver = f", mostly on {label(r.driver)}" if r.driver else ""
            out.append(f"Whether {setup} raises or lowers {_lower(r.label)} depends on behaviour: "
                       f"{_span(r.behaviour_low, r.behaviour_high, r.change_unit)} across plausible behaviour"
                       f"{driver} (the simulation's own noise is {_noise(r.sampling_half_width, r.change_unit)}).")
        weak = deciding[deciding["verdict"].isin([bh.NOT_ROBUST, bh.NONE])]
        if len(weak):
            out.append(f"{name}'s change in {_join([_lower(r.label) for r in weak.itertuples()])} is not told apart "
                       "from the simulation's noise at every plausible behaviour: no gain or loss is claimed.")
        margin = rows[rows["kpi"] == bh.MARGIN]
        if len(margin):
            m = margin.iloc[0]
            out.append(f"{name}'s operating margin changes by {_span(m.behaviour_low, m.behaviour_high, m.change_unit)}"
                       f" across plausible behaviour ({m.verdict}); noise {_noise(m.sampling_half_width, m.change_unit)}.")
        for b in result.break_evens[result.break_evens["setup"] == setup].itertuples():
            out.append(break_even_sentence(name, b))
    return out


def _lower(text: str) -> str:
    return text if text[:2].isupper() else text[0].lower() + text[1:]


def break_even_sentence(name: str, b: Any) -> str:
    """One sentence on a break-even row of :data:`sim.experiments.behaviour.BREAK_EVEN_COLUMNS`."""
    payback = b.criterion.startswith("payback")
    goal = "pays back within 12 months" if payback else "adds operating margin"
    evidence = f"(evidence: {fmt_parameter(b.low, b.unit)}–{fmt_parameter(b.high, b.unit)}, {b.kind})"
    if b.value is None or not math.isfinite(b.value):
        if b.status.startswith("above"):
            return (f"{name} {goal} whatever {b.label} within its evidence {evidence}, the other values at the "
                    "scenario's.")
        if b.status.startswith("below"):
            return (f"{name} never {goal.replace('pays', 'pay').replace('adds', 'add')} within the evidence's range "
                    f"of {b.label} {evidence}, the other values at the scenario's.")
        return f"{name}: {b.label} makes no difference the simulation can tell {evidence}."
    bound = "at least" if b.direction == "up" else "at most"
    return (f"{name} {goal} as long as {b.label} is {bound} {fmt_parameter(b.value, b.unit)} {evidence}; the "
            f"scenario has {fmt_parameter(b.point_value, b.unit)}.")


def behaviour_table(result: Any) -> pd.DataFrame:
    """The behaviour summary as people read it: setup, KPI, change at the point values with its noise, range
    across plausible behaviour, noise across draws, verdict, the parameter that drives it.

    What ``sim.compare_behaviour`` found, one line per setup and deciding KPI, in words and rounded numbers for a
    notebook, the report or the dashboard; KPIs the runs have no data for are left out.

    Parameters
    ----------
    result : BehaviourResult
        What ``sim.compare_behaviour`` returned.

    Returns
    -------
    pandas.DataFrame
        Text columns ``setup``, ``KPI`` (its label), ``point values`` (the change at the scenario's own values
        with its interval, e.g. ``+11.7 % [+11.5; +11.9]``), ``across behaviour`` (the lowest to the highest mean
        change over the draws, in % for amounts and points for shares and scores), ``noise`` (the mean
        half-width of the draws' intervals), ``verdict`` and ``driver`` (the label of the parameter that explains
        most of the spread, empty when none does).

    See Also
    --------
    - ``sim.compare_behaviour`` : makes the result.
    - ``sim.decision_summary`` : the same findings as sentences (``assumptions=``).

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    result = sim.compare_behaviour(sc, setups=["cross-channel", "omnichannel"], n=3, replications=2,
                                   break_evens=0)
    table = sim.behaviour_table(result)
    print(table[["setup", "KPI", "across behaviour", "verdict"]])
    ```
    """
    rows = [{"setup": r.setup, "KPI": r.label,
             "point values": fmt_change(r.point_change, r.point_low, r.point_high, r.change_unit),
             "across behaviour": _span(r.behaviour_low, r.behaviour_high, r.change_unit),
             "noise": _noise(r.sampling_half_width, r.change_unit), "verdict": r.verdict,
             "driver": label(r.driver) if r.driver else ""}
            for r in result.summary.itertuples() if r.verdict != bh.NO_DATA]  # a KPI the runs have no data for
    return pd.DataFrame(rows, columns=["setup", "KPI", "point values", "across behaviour", "noise", "verdict",
                                       "driver"])

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
    behaviour: Any = None  # a sim.experiments.behaviour.BehaviourResult, when behaviour was sampled

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v.item() if hasattr(v, "item") else v

        rows = [{k: clean(v) for k, v in r.items()} for r in self.changes.to_dict("records")]
        pay = None if self.payback is None else [
            {k: clean(v) for k, v in r.items()} for r in self.payback.to_dict("records")]
        out = {"baseline": self.baseline, "confidence": self.confidence, "changes": rows, "payback": pay,
               "sentences": self.sentences, "warnings": self.warnings}
        if self.behaviour is not None:  # intervals across behaviour per setup and KPI, verdicts, ranking, break-evens
            out.update(self.behaviour.to_dict())
        return out

    def table(self) -> pd.DataFrame:
        """The changes as people read them: setup, KPI label, baseline and setup values, change, verdict."""
        rows = [{"setup": r.setup, "KPI": r.label, "baseline": fmt_value(r.baseline_mean, r.unit),
                 "setup value": fmt_value(r.mean, r.unit),
                 "change": fmt_change(r.change, r.change_low, r.change_high, r.change_unit), "verdict": r.verdict}
                for r in self.changes.itertuples()]
        return pd.DataFrame(rows, columns=["setup", "KPI", "baseline", "setup value", "change", "verdict"])


def decision_summary(summary: pd.DataFrame, confidence: float = 0.95, measured_days: float | None = None,
                     runs: pd.DataFrame | None = None, scenario: Any = None, costs: Any = None,
                     behaviour: Mapping[str, Any] | None = None, assumptions: Any = None,
                     stores: int | None = None) -> DecisionSummary:
    """The decision summary of a ``sim.summarise`` table: what each setup changes, how sure we are, whether it pays.

    For the KPIs that decide (``DECIDING``), each setup's paired difference with the baseline becomes a change
    people read (in % for amounts, in points for shares and scores) with its interval and a verdict: a clear gain,
    a clear loss, or no detectable difference when the interval holds zero (which way is a gain comes from the
    KPI's declaration). Plain sentences are written from those numbers only: a sentence never states a gain or a
    loss the interval does not support. With ``measured_days`` (days measured per replication) and a margin KPI,
    the payback of each setup's capabilities from ``sim.outputs.roi.roi_table``. With the scenario
    (``scenario``, or its plain data as ``behaviour``), the cautions say that the intervals leave out how
    customers behave, and name the behavioural values set outside their evidence (``behaviour_warnings``). With
    ``assumptions`` (a ``BehaviourResult``), the sentences open with the behaviour ranges
    (``behaviour_sentences``) and the point-value sentences follow, said to be so.

    Parameters
    ----------
    summary : pandas.DataFrame
        A summary table as ``sim.compare`` or ``sim.summarise`` returns it; its ``baseline`` column names the
        baseline.
    confidence : float, default 0.95
        The level the summary's intervals were computed at (said in the sentences); the payback's intervals are
        computed at it too.
    measured_days : float, optional
        Days measured per replication (horizon minus warm-up). Gives the payback when the summary has
        ``gross_margin`` and two setups or more (a yearly figure only for whole weeks: 7, 14, 28... days), and a
        caution below a week. Default None: no payback.
    runs : pandas.DataFrame, optional
        The replicate table (``sim.compare_runs``'s ``runs``): the payback's gain is then the operating margin,
        derived per replication (gross margin less fulfilment, offers, returned margin, picking staff minutes and
        stock carrying); without it, the gross margin.
    scenario : Scenario, optional
        The scenario compared: its ``costs:`` section, number of stores and setups price the payback, and its
        behavioural values give the cautions.
    costs : dict or str, optional
        The cost table of the payback (the scenario's ``costs:`` shape; amounts in euros, one-off and a year) or
        a preset name (``"small-firm"``). Default None: the scenario's ``costs:``, else the small-firm table.
    behaviour : mapping, optional
        The scenario as plain data (``model_dump(mode="json")`` or its YAML) for the behaviour cautions, when no
        ``Scenario`` is at hand. Default None: from ``scenario``.
    assumptions : BehaviourResult, optional
        A ``sim.compare_behaviour`` result of the same comparison: the sentences open with its behaviour ranges.
    stores : int, optional
        The number of stores per-store costs are multiplied by. Default None: the scenario's.

    Returns
    -------
    DecisionSummary
        ``baseline``; ``confidence``; ``changes`` (one row per non-baseline setup and deciding KPI: ``setup,
        baseline, kpi, label, unit, baseline_mean, mean, diff, diff_ci_low, diff_ci_high`` in the KPI's unit,
        ``change, change_low, change_high`` in ``change_unit`` (``%`` for amounts, ``points`` for shares and
        scores), ``verdict``); ``payback`` (None, or one row per non-baseline setup: the ``systems`` it needs,
        ``cost_low``/``cost_high`` one-off and ``running_low``/``running_high`` a year in euros, the ``gain`` over
        the measured days and ``yearly_gain`` in euros with their intervals, ``payback_months`` and ``roi_12m``
        (a share of the cost) with ``_low``/``_high`` ends, ``whole_weeks`` and ``note``); ``sentences`` (the
        cautions first, then the findings); ``warnings`` (the cautions alone); ``behaviour``. ``table()`` gives
        the changes as people read them, ``to_dict()`` what ``decision.json`` holds.

    Raises
    ------
    ValueError
        An unknown cost preset or a cost table refused (one line naming the item); per-store or per-order costs
        without the number of stores or the orders to multiply them by.

    See Also
    --------
    - ``sim.compare_runs`` : the summary and the runs.
    - ``sim.changes_figure``, ``sim.roi_chart_figure`` : the changes and the payback as charts.
    - ``sim.write_comparison`` : the whole results folder, decision included.

    Notes
    -----
    Every interval here is the simulation's sampling noise at the scenario's point values; the cautions say so.
    The payback scales the measured days to a year, so they must be representative of it (an ordinary period,
    not a peak week); the default cost table's ranges are market-study claims and its running costs an
    assumption (15–25 % of the implementation a year), and the gain ramps up over 6 months after go-live (an
    assumption).

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    summary, runs = sim.compare_runs(sc, setups=["multichannel", "omnichannel"], replications=3, seed=1)
    decision = sim.decision_summary(summary, measured_days=sc.horizon_days - sc.warmup_days, runs=runs,
                                    scenario=sc)
    for sentence in decision.sentences:
        print(sentence)
    print(decision.table())
    ```
    """
    table = changes(summary)
    baseline = str(summary["baseline"].dropna().iloc[0]) if summary["baseline"].notna().any() else None
    payback = None
    if measured_days and "gross_margin" in set(summary["kpi"]) and summary["setup"].nunique() > 1:
        from sim.outputs import roi

        # the CFO's margin (fulfilment, offers and returns out) when the replications are there to derive it
        margin = "operating_margin" if runs is not None else "gross_margin"
        payback = roi.roi_table(summary, float(measured_days), costs=costs, runs=runs, scenario=scenario,
                                stores=stores, margin=margin, confidence=confidence,
                                ramp_up_months=roi.DEFAULT_RAMP_UP_MONTHS)
    warnings = horizon_warnings(summary, measured_days)
    if behaviour is None and scenario is not None:
        behaviour = scenario.model_dump(mode="json")
    if behaviour is not None:
        found = behaviour_warnings(behaviour)
        if assumptions is not None:  # behaviour was sampled: the caution says where the ranges are instead
            found[0] = BEHAVIOUR_SAMPLED.format(n=assumptions.n, reps=assumptions.replications)
        warnings += found
    point = sentences(table, payback, confidence)
    if summary["setup"].nunique() == 1:  # nothing to pair with: say so instead of an empty verdict
        from sim.experiments.analysis import ONE_SETUP

        text = ONE_SETUP.format(setup=summary["setup"].iloc[0])
        point = [text[0].upper() + text[1:] + ".", *point]
    if assumptions is not None:
        point = [*behaviour_sentences(assumptions), "At the scenario's point values of behaviour only:", *point]
    # the cautions open the sentences, so every output that shows them (CLI, report, notebooks, dashboard) warns
    return DecisionSummary(baseline, confidence, table, payback, warnings + point, warnings, assumptions)
