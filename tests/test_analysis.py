"""Confidence intervals and paired differences (sim.experiments.analysis) against hand computations and scipy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.experiments.analysis import SUMMARY_COLUMNS, paired_t_p_value, summarise, t_interval


def runs_table(data: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """setup -> kpi -> values by replication (0, 1, ...) as a tidy runs table, setup-major."""
    rows = [
        (setup, r, kpi, v)
        for setup, per_kpi in data.items()
        for kpi, values in per_kpi.items()
        for r, v in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=["setup", "replication", "kpi", "value"])


def row(summary: pd.DataFrame, setup: str, kpi: str) -> pd.Series:
    hit = summary[(summary["setup"] == setup) & (summary["kpi"] == kpi)]
    assert len(hit) == 1
    return hit.iloc[0]


# --------------------------------------------------------------------------------------------- t_interval
def test_t_interval_matches_hand_computation():
    # mean 3, s = sqrt(2.5), t(0.975, 4) = 2.7764451051977987 (tables), half width = t * s / sqrt(5)
    mean, low, high = t_interval([1.0, 2.0, 3.0, 4.0, 5.0], 0.95)
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert mean == 3.0
    assert low == pytest.approx(3.0 - half, rel=1e-12)
    assert high == pytest.approx(3.0 + half, rel=1e-12)
    assert half == pytest.approx(1.963243, abs=1e-6)


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_t_interval_matches_scipy(confidence):
    values = np.array([12.1, 9.8, 11.4, 10.2, 13.0, 8.7, 10.9])
    _, low, high = t_interval(values, confidence)
    ref = stats.t.interval(confidence, df=len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert (low, high) == pytest.approx(ref, rel=1e-12)


def test_t_interval_coverage_is_nominal():
    """About 95 % of 95 % intervals from normal samples of 5 contain the true mean."""
    rng = np.random.default_rng(20240601)
    samples = rng.normal(10.0, 3.0, size=(4000, 5))
    hits = 0
    for sample in samples:
        _, low, high = t_interval(sample, 0.95)
        hits += low <= 10.0 <= high
    coverage = hits / len(samples)
    assert 0.94 <= coverage <= 0.96  # binomial sd 0.0034; a z-interval would give ~0.88


def test_t_interval_small_and_degenerate_samples():
    assert all(math.isnan(x) for x in t_interval([], 0.95))
    assert all(math.isnan(x) for x in t_interval([float("nan")] * 3, 0.95))
    mean, low, high = t_interval([4.0], 0.95)
    assert mean == 4.0 and math.isnan(low) and math.isnan(high)
    assert t_interval([2.5, 2.5, 2.5], 0.95) == (2.5, 2.5, 2.5)
    mean, low, high = t_interval([1.0, float("nan"), 3.0], 0.95)
    assert mean == 2.0 and (low, high) == pytest.approx(stats.t.interval(0.95, 1, loc=2.0, scale=1.0))


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95, -0.5])
def test_confidence_must_be_a_level(confidence):
    with pytest.raises(ValueError, match="confidence"):
        t_interval([1.0, 2.0], confidence)
    with pytest.raises(ValueError, match="confidence"):
        summarise(runs_table({"a": {"k": [1.0, 2.0]}}), confidence=confidence)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30))
def test_interval_contains_mean_and_widens_with_confidence(values):
    mean, low90, high90 = t_interval(values, 0.90)
    _, low99, high99 = t_interval(values, 0.99)
    assert low99 <= low90 <= mean <= high90 <= high99


# --------------------------------------------------------------------------------------------- paired differences
def test_summary_columns_and_descriptives():
    a = [10.0, 12.0, 11.0, 13.0]
    summary = summarise(runs_table({"a": {"k": a}}))
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    r = row(summary, "a", "k")
    assert r["n"] == 4 and r["mean"] == 11.5
    assert r["std"] == pytest.approx(np.std(a, ddof=1))
    assert r["half_width"] == pytest.approx((r["ci_high"] - r["ci_low"]) / 2)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(stats.t.interval(0.95, 3, loc=11.5, scale=stats.sem(a)))


def test_paired_difference_matches_scipy_ttest_rel():
    base = [10.0, 12.0, 9.0, 14.0, 11.0, 10.5]
    other = [11.0, 12.5, 10.5, 14.2, 12.6, 10.4]
    r = row(summarise(runs_table({"base": {"k": base}, "other": {"k": other}})), "other", "k")
    d = np.subtract(other, base)
    assert r["diff"] == pytest.approx(d.mean())
    assert (r["diff_ci_low"], r["diff_ci_high"]) == pytest.approx(
        stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d)))
    assert r["diff_p_value"] == pytest.approx(stats.ttest_rel(other, base).pvalue, rel=1e-10)
    assert r["n_pairs"] == 6 and r["baseline"] == "base"


def test_identical_columns_give_exactly_zero_difference_of_zero_width():
    values = [3.2, 5.1, 4.4, 6.0, 2.9]
    r = row(summarise(runs_table({"a": {"k": values}, "b": {"k": list(values)}})), "b", "k")
    assert r["diff"] == 0.0 and r["diff_ci_low"] == 0.0 and r["diff_ci_high"] == 0.0
    assert r["diff_p_value"] == 1.0


def test_constant_nonzero_difference_has_zero_width_and_p_zero():
    r = row(summarise(runs_table({"a": {"k": [1.0, 2.0, 3.0]}, "b": {"k": [1.5, 2.5, 3.5]}})), "b", "k")
    assert (r["diff"], r["diff_ci_low"], r["diff_ci_high"], r["diff_p_value"]) == (0.5, 0.5, 0.5, 0.0)
    assert math.isnan(paired_t_p_value([])) and math.isnan(paired_t_p_value([1.0]))


def test_pairs_are_matched_by_replication_number_not_row_order():
    runs = runs_table({"a": {"k": [1.0, 5.0, 2.0, 8.0]}, "b": {"k": [2.0, 6.0, 3.0, 9.0]}})
    shuffled = runs.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert not shuffled["replication"].is_monotonic_increasing
    r = row(summarise(shuffled, baseline="a"), "b", "k")
    assert (r["diff"], r["diff_ci_low"], r["diff_ci_high"]) == (1.0, 1.0, 1.0)


def test_baseline_row_and_explicit_baseline():
    runs = runs_table({"a": {"k": [1.0, 2.0, 4.0]}, "b": {"k": [2.0, 2.0, 5.0]}})
    default = summarise(runs)
    base = row(default, "a", "k")
    assert base["diff"] == 0.0
    assert all(math.isnan(base[c]) for c in ("diff_ci_low", "diff_ci_high", "diff_p_value"))
    flipped = summarise(runs, baseline="b")
    assert row(flipped, "a", "k")["diff"] == pytest.approx(-row(default, "b", "k")["diff"])
    assert set(flipped["baseline"]) == {"b"}
    with pytest.raises(ValueError, match="baseline 'zzz'"):
        summarise(runs, baseline="zzz")


def test_nan_values_are_dropped_pairwise():
    nan = float("nan")
    runs = runs_table({"a": {"k": [1.0, 2.0, nan, 4.0, 5.0]}, "b": {"k": [1.5, nan, 3.0, 4.5, 6.0]}})
    summary = summarise(runs)
    a, b = row(summary, "a", "k"), row(summary, "b", "k")
    assert a["n"] == 4 and a["mean"] == 3.0
    assert b["n"] == 4 and b["mean"] == pytest.approx(15.0 / 4)
    # pairs left: replications 0, 3, 4 -> differences 0.5, 0.5, 1.0
    d = np.array([0.5, 0.5, 1.0])
    assert b["n_pairs"] == 3 and b["diff"] == pytest.approx(d.mean())
    assert (b["diff_ci_low"], b["diff_ci_high"]) == pytest.approx(
        stats.t.interval(0.95, 2, loc=d.mean(), scale=stats.sem(d)))


def test_fewer_than_two_values_give_nan_intervals():
    nan = float("nan")
    runs = runs_table({"a": {"k": [1.0, nan, 3.0], "empty": [nan, nan, nan]},
                       "b": {"k": [nan, 2.0, 4.0], "empty": [nan, nan, nan]}})
    summary = summarise(runs)
    b = row(summary, "b", "k")
    assert b["n"] == 2 and not math.isnan(b["ci_low"])
    assert b["n_pairs"] == 1 and b["diff"] == 1.0 and math.isnan(b["diff_ci_low"]) and math.isnan(b["diff_p_value"])
    for setup in ("a", "b"):
        e = row(summary, setup, "empty")
        assert e["n"] == 0 and math.isnan(e["mean"]) and math.isnan(e["ci_low"]) and math.isnan(e["diff"])


def test_rows_follow_order_of_appearance():
    runs = runs_table({
        "omnichannel": {"zeta": [1.0, 2.0], "alpha": [3.0, 4.0]},
        "multichannel": {"zeta": [1.0, 2.0], "alpha": [3.0, 4.0]},
        "cross-channel": {"zeta": [1.0, 2.0], "alpha": [3.0, 4.0]},
    })
    summary = summarise(runs)
    assert list(summary["setup"]) == ["omnichannel"] * 2 + ["multichannel"] * 2 + ["cross-channel"] * 2
    assert list(summary["kpi"]) == ["zeta", "alpha"] * 3
    assert set(summary["baseline"]) == {"omnichannel"}


def test_bad_runs_tables_are_rejected():
    runs = runs_table({"a": {"k": [1.0, 2.0]}})
    with pytest.raises(ValueError, match="duplicate"):
        summarise(pd.concat([runs, runs.iloc[:1]]))
    with pytest.raises(ValueError, match="value"):
        summarise(runs.drop(columns="value"))
