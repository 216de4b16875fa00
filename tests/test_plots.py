"""Charts (sim.plots) rendered from a real summarise() table of synthetic replications."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from sim import plots
from sim.analysis import summarise

SETUPS = ("multichannel", "cross-channel", "omnichannel")
KPIS = ("basket_units", "conversion_rate", "store_wait_mean_min", "basket_value", "orders")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for i, setup in enumerate(SETUPS):
        for r in range(6):
            for j, kpi in enumerate(KPIS):
                rows.append((setup, r, kpi, 1.0 + j + 0.2 * i + rng.normal(0, 0.1)))
            rows.append((setup, r, "call_service_level", float("nan")))  # a KPI with no data at all
    return pd.DataFrame(rows, columns=["setup", "replication", "kpi", "value"])


@pytest.fixture(scope="module")
def summary(runs: pd.DataFrame) -> pd.DataFrame:
    return summarise(runs)


def assert_png(path, min_bytes: int = 10_000) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) >= min_bytes
    pixels = image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert float(pixels[..., :3].std()) > 0.0


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("store_wait_mean_min", "minutes"),
        ("conversion_rate", "share (0–1)"),
        ("store_service_level", "share (0–1)"),
        ("ropo_share", "share (0–1)"),
        ("basket_units", "units"),
        ("basket_value", "€"),
        ("lost_sales_value", "€"),
        ("revenue", "€"),
        ("gross_margin", "€"),
        ("fulfilment_cost", "€"),
        ("delivery_lead_time_days", "days"),
        ("orders", "count"),
        ("customers", "count"),
    ],
)
def test_kpi_unit_from_name(name, unit):
    assert plots.kpi_unit(name) == unit


def test_palette_is_okabe_ito_and_stable_per_setup():
    colours = plots.setup_colours(SETUPS)
    assert list(colours.values()) == list(plots.OKABE_ITO[:3])
    assert plots.setup_colours(list(SETUPS) + ["a", "b", "c", "d", "e", "f"])["f"] == plots.OKABE_ITO[0]


def test_kpi_bars_png(summary, tmp_path):
    kpis = [*KPIS, "call_service_level"]
    out = plots.kpi_bars(summary, kpis, tmp_path / "kpis.png", title="synthetic")
    assert out == tmp_path / "kpis.png"
    assert_png(out)


def test_kpi_bars_axes_carry_units_and_error_bars(summary):
    fig = plots.kpi_bars_figure(summary, ["store_wait_mean_min", "basket_value"])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["store_wait_mean_min", "basket_value"]
    assert axes[0].get_ylabel() == "mean (minutes)" and axes[1].get_ylabel() == "mean (€)"
    assert all(ax.get_xlabel() == "setup" for ax in axes)
    assert [t.get_text() for t in axes[0].get_xticklabels()] == list(SETUPS)
    heights = [p.get_height() for p in axes[0].patches]
    expected = summary[summary["kpi"] == "store_wait_mean_min"]["mean"].tolist()
    assert heights == pytest.approx(expected)
    assert len(axes[0].lines) + len(axes[0].collections) > 0  # error bars drawn


def test_paired_differences_png(summary, tmp_path):
    out = plots.paired_differences(summary, list(KPIS), tmp_path / "sub" / "differences.png")
    assert_png(out)


def test_paired_differences_leave_out_the_baseline(summary):
    fig = plots.paired_differences_figure(summary, ["conversion_rate"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cross-channel", "omnichannel"]
    assert ax.get_xlabel() == "difference vs multichannel (share (0–1))"
    widths = [p.get_width() for p in ax.patches]
    rows = summary[(summary["kpi"] == "conversion_rate") & (summary["setup"] != "multichannel")]
    assert widths == pytest.approx(rows["diff"].tolist())


def test_daily_series_png(tmp_path):
    days = np.arange(30)
    daily = {
        setup: {"orders": list(50 + 5 * np.sin(days / 3) + i), "store_wait_mean_min": list(2 + 0.1 * days * i)}
        for i, setup in enumerate(SETUPS)
    }
    out = plots.daily_series(daily, ["orders", "store_wait_mean_min"], tmp_path / "daily.png")
    assert_png(out)
    fig = plots.daily_series_figure(daily, ["store_wait_mean_min"])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "day" and ax.get_ylabel() == "store_wait_mean_min (minutes)"
    assert [line.get_label() for line in ax.lines] == list(SETUPS)
    assert list(ax.lines[0].get_xdata()) == list(range(1, 31))


def test_unknown_names_are_refused(summary):
    with pytest.raises(ValueError, match="not_a_kpi"):
        plots.kpi_bars_figure(summary, ["basket_units", "not_a_kpi"])
    with pytest.raises(ValueError, match="at least two setups"):
        plots.paired_differences_figure(summary[summary["setup"] == "omnichannel"], ["basket_units"])
    with pytest.raises(ValueError, match="nope"):
        plots.daily_series_figure({"a": {"orders": [1.0]}}, ["nope"])
