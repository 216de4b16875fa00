"""The decision summary: verdicts the intervals support, sentences that never claim more, numbers for people."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.kpis import KPI_BY_NAME, SHARE
from sim.experiments.changes import DECIDING, GAIN, LOSS, NONE, change_half_widths, changes, verdict
from sim.outputs import decision
from sim.outputs.decision import fmt_change, fmt_number, fmt_value, sentences


def summary_of(rows: list[tuple[str, float, float, float]], baseline_mean: float = 100.0) -> pd.DataFrame:
    """A summary table: the baseline, and one setup whose (kpi, diff, ci_low, ci_high) are given."""
    out = []
    for kpi, diff, low, high in rows:
        base = 0.5 if KPI_BY_NAME[kpi].unit == SHARE else baseline_mean
        out.append({"setup": "base", "kpi": kpi, "mean": base, "diff": 0.0, "diff_ci_low": math.nan,
                    "diff_ci_high": math.nan, "baseline": "base"})
        out.append({"setup": "new", "kpi": kpi, "mean": base + diff, "diff": diff, "diff_ci_low": low,
                    "diff_ci_high": high, "baseline": "base"})
    return pd.DataFrame(out)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def intervals(draw):
    kpis = draw(st.lists(st.sampled_from(DECIDING), min_size=1, max_size=len(DECIDING), unique=True))
    rows = []
    for k in kpis:
        a, b = sorted((draw(finite), draw(finite)))
        rows.append((k, (a + b) / 2, a, b))
    return rows


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(rows=intervals())
def test_an_interval_that_holds_zero_is_never_a_gain_or_a_loss(rows):
    table = changes(summary_of(rows))
    text = " ".join(sentences(table))
    for r in table.itertuples():
        label = r.label[0].lower() + r.label[1:]
        straddles = r.diff_ci_low <= 0 <= r.diff_ci_high
        assert (r.verdict == NONE) == straddles
        claimed = f"raises {label} by" in text or f"lowers {label} by" in text
        assert claimed != straddles, (r.kpi, r.diff_ci_low, r.diff_ci_high, text)
        if not straddles:  # the direction said is the interval's, and gain or loss is the KPI's own direction
            assert (f"raises {label} by" in text) == (r.diff_ci_low > 0)
            better = KPI_BY_NAME[r.kpi].better
            assert r.verdict == (GAIN if (r.diff_ci_low > 0) == (better > 0) else LOSS)


def test_verdicts_follow_the_declared_direction():
    assert verdict("revenue", 1.0, 2.0) == GAIN
    assert verdict("stockout_rate", 0.01, 0.02) == LOSS  # more stockouts
    assert verdict("stockout_rate", -0.02, -0.01) == GAIN
    assert verdict("revenue", -1.0, 2.0) == NONE
    assert verdict("revenue", math.nan, math.nan) == "no data"


def test_changes_are_relative_for_amounts_and_in_points_for_shares():
    table = changes(summary_of([("revenue", 11.7, 11.5, 11.9), ("store_service_level", -0.012, -0.016, -0.008)]))
    rev, sl = table.iloc[0], table.iloc[1]
    assert rev.change_unit == "%" and rev.change == pytest.approx(11.7) and rev.verdict == GAIN
    assert sl.change_unit == "points" and sl.change == pytest.approx(-1.2) and sl.verdict == LOSS
    text = " ".join(sentences(table))
    assert "raises revenue by 11.7 % [11.5; 11.9]" in text
    assert "lowers store service level by 1.20 points [0.800; 1.60]" in text


@settings(max_examples=300, deadline=None)
@given(x=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_numbers_for_people_never_use_scientific_notation(x):
    for text in (fmt_number(x), fmt_value(x, "€"), fmt_value(x / 1e9, SHARE), fmt_change(x, x - 1, x + 1, "%")):
        assert "e" not in text.lower().replace("no data", ""), text


def test_numbers_for_people():
    assert fmt_number(1678000.0) == "1,680,000"  # three significant figures, whatever the size
    assert fmt_number(0.012345) == "0.0123"
    assert fmt_value(167800.0, "€") == "168,000 €"
    assert fmt_value(0.8123, SHARE) == "81.2 %"
    assert fmt_change(-1.234, -1.6, -0.8, "points") == "−1.23 points [−1.60; −0.800]"
    assert decision.fmt_value(math.nan, "€") == "–"


# --------------------------------------------------------------------------------------------- half-widths
def precision_summary(kpi: str, base: float, mean_hw: float, diff: float, diff_hw: float,
                      n_pairs: int = 5) -> pd.DataFrame:
    """The baseline and one setup of ``kpi``: each setup's mean known to ±``mean_hw``, the paired difference to
    ±``diff_hw`` (NaN: no interval)."""
    low, high = (math.nan, math.nan) if math.isnan(diff_hw) else (diff - diff_hw, diff + diff_hw)
    return pd.DataFrame([
        {"setup": "base", "kpi": kpi, "mean": base, "half_width": mean_hw, "diff": 0.0, "diff_ci_low": math.nan,
         "diff_ci_high": math.nan, "n_pairs": n_pairs, "baseline": "base"},
        {"setup": "new", "kpi": kpi, "mean": base + diff, "half_width": mean_hw, "diff": diff, "diff_ci_low": low,
         "diff_ci_high": high, "n_pairs": n_pairs, "baseline": "base"}])


def test_the_caution_is_on_the_paired_difference_not_on_each_mean():
    """What decides is the change against the baseline. Means known to ±0.5 % whose paired difference is ±12 %
    of the baseline (the setups' noise does not cancel) caution; means known to only ±20 % whose paired
    difference is ±0.5 % (the same customers under both, the noise cancels) do not. Shares are held in points:
    ±2 points cautions, ±0.5 points does not, whatever the means' own half-widths."""
    cautions = decision.horizon_warnings(precision_summary("revenue", 100.0, 0.5, 10.0, 12.0), 14)
    assert len(cautions) == 1 and "too wide to decide on new's revenue (±12 %)" in cautions[0]
    assert "±5 % of the baseline for amounts, ±1 point for shares" in cautions[0]
    assert not decision.horizon_warnings(precision_summary("revenue", 100.0, 20.0, 10.0, 0.5), 14)
    (share,) = decision.horizon_warnings(precision_summary("store_service_level", 0.9, 0.001, -0.03, 0.02), 14)
    assert "new's store service level (±2.0 points)" in share
    assert not decision.horizon_warnings(precision_summary("store_service_level", 0.9, 0.3, -0.03, 0.005), 14)
    # the boundary: a half-width at (or just under) the target is decided, just above it is not
    assert not decision.horizon_warnings(precision_summary("revenue", 100.0, 0.5, 10.0, 5.0), 14)
    assert decision.horizon_warnings(precision_summary("revenue", 100.0, 0.5, 10.0, 5.01), 14)
    assert not decision.horizon_warnings(precision_summary("conversion_rate", 0.5, 0.2, 0.05, 0.0099), 14)
    assert decision.horizon_warnings(precision_summary("conversion_rate", 0.5, 0.2, 0.05, 0.0101), 14)


def test_change_half_widths_in_the_unit_the_decision_prints():
    table = change_half_widths(pd.concat([
        precision_summary("revenue", 200.0, 1.0, 20.0, 4.0),            # ±2 % of the baseline: inside ±5 %
        precision_summary("satisfaction", 40.0, 1.0, 5.0, 1.5),         # a score: ±1.5 points, above ±1
        precision_summary("call_service_level", 0.8, 0.01, 0.1, math.nan, n_pairs=1),  # an estimate, no interval
        precision_summary("on_time_rate", 0.9, 0.01, math.nan, math.nan)]))  # no data: not judged
    t = table.set_index("kpi")
    assert t.loc["revenue", "half_width"] == pytest.approx(2.0) and t.loc["revenue", "target"] == 5.0
    assert not t.loc["revenue", "wide"] and t.loc["revenue", "ratio"] == pytest.approx(0.4)
    assert t.loc["satisfaction", "change_unit"] == "points" and t.loc["satisfaction", "wide"]
    assert t.loc["call_service_level", "ratio"] == math.inf and t.loc["call_service_level", "wide"]
    assert math.isnan(t.loc["on_time_rate", "ratio"]) and not t.loc["on_time_rate", "wide"]
    tighter = change_half_widths(precision_summary("revenue", 200.0, 1.0, 20.0, 4.0), target=0.01)
    assert tighter["wide"].all()


def test_every_decision_on_a_scenario_says_its_intervals_leave_behaviour_out():
    """The sampling interval is never presented as the whole uncertainty: with the scenario known, the cautions say
    so, and name each behavioural value set outside the evidence register's range (computed from the register and
    the scenario, so a value moved inside its range drops out of the sentence)."""
    import sim
    from sim.scenario.evidence import by_path

    from .reference import ROOT

    uptake = by_path()["segments.*.recommendation_accept"]
    scenario = sim.load_scenario(ROOT / "scenarios" / "default.yaml", {"segments.1.recommendation_accept": 0.3,
                                                                       "segments.2.recommendation_accept": 0.5})
    cautions = decision.behaviour_warnings(scenario.model_dump(mode="json"))
    assert cautions[0] == decision.BEHAVIOUR_CAUTION
    assert f"segments.*.recommendation_accept is 0.3–0.5 (evidence: {uptake.low:g}–{uptake.high:g}" in cautions[1]
    inside = sim.load_scenario(ROOT / "scenarios" / "default.yaml", {
        f"segments.{i}.recommendation_accept": uptake.default for i in range(len(scenario.segments))})
    later = decision.behaviour_warnings(inside.model_dump(mode="json"))
    assert "recommendation_accept" not in " ".join(later) and later[0] == decision.BEHAVIOUR_CAUTION
    summary = summary_of([("revenue", 10.0, 8.0, 12.0)])
    assert decision.decision_summary(summary, scenario=scenario).warnings == cautions
    assert decision.decision_summary(summary).warnings == []  # no scenario: nothing to say about its behaviour
