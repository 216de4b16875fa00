"""Charts (sim.outputs.plots) rendered from a real summarise() table of synthetic replications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

import sim
from sim.experiments import analysis
from sim.experiments.analysis import summarise
from sim.experiments.replicate import replicate_results
from sim.outputs import plots
from sim.scenario.schema import load_scenario
from sim.scenario.setups import SETUP_NAMES

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


@pytest.mark.slow
def test_kpi_bars_png(summary, tmp_path):
    kpis = [*KPIS, "call_service_level"]
    out = plots.kpi_bars(summary, kpis, tmp_path / "kpis.png", title="synthetic")
    assert out == tmp_path / "kpis.png"
    assert_png(out)


@pytest.mark.slow
def test_figures_show_as_png_in_ipython_without_pyplot(summary, tmp_path):
    """A figure returned in a notebook cell displays as an image (issue 15), drawn as the saved file is."""
    import subprocess
    import sys

    from IPython.core.formatters import DisplayFormatter

    fig = plots.kpi_bars_figure(summary, ["basket_units"])
    assert isinstance(fig, plots.Figure)
    data, _ = DisplayFormatter().format(fig)
    assert data["image/png"][:8] == PNG_SIGNATURE
    assert data["image/png"] == fig.png() == plots._save(fig, tmp_path / "k.png").read_bytes()
    code = ("import sys, sim.outputs.plots, sim.outputs.roi; sim.outputs.plots.new_figure()._repr_png_(); "
            "print('matplotlib.pyplot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"  # no pyplot, no global backend state


def test_lever_figure_marks_targets():
    table = pd.DataFrame({"staff": [2, 4, 6], "store_service_level": [0.6, 0.85, 0.95],
                          "stockout_rate": [0.01, 0.01, 0.03]})
    fig = plots.lever_figure(table, "staff", {"store_service_level": (">=", 0.8), "stockout_rate": ("<=", 0.02)})
    assert isinstance(fig, plots.Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "staff" and ax.get_ylabel() == "store_service_level (share (0–1))"
    met = [c for c in ax.collections if c.get_label() == "meets the target"][0]
    assert [tuple(p) for p in met.get_offsets()] == [(4, 0.85), (6, 0.95)]
    with pytest.raises(ValueError, match="nope"):
        plots.lever_figure(table, "staff", {"nope": (">=", 1.0)})


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
    daily = pd.DataFrame(
        [(setup, name, day + 1, value)
         for i, setup in enumerate(SETUPS)
         for name, values in (("orders", 50 + 5 * np.sin(days / 3) + i), ("store_wait_mean_min", 2 + 0.1 * days * i))
         for day, value in zip(days, values, strict=True)],
        columns=["setup", "series", "day", "mean"])
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
        plots.daily_series_figure(pd.DataFrame({"setup": ["a"], "series": ["orders"], "day": [1], "mean": [1.0]}),
                                  ["nope"])
    with pytest.raises(ValueError, match="sim.experiments.analysis.daily_means"):
        plots.daily_series_figure({"a": {"orders": [1.0]}}, ["orders"])  # a mapping is not the tidy table
    with pytest.raises(ValueError, match="sim.experiments.analysis.result_means"):
        plots.funnel_figure(summary)


# --------------------------------------------------------------------------------------------- charts of model runs
# Rendered from REAL short runs of the default scenario: one day, 1,500 customers, 2 replications per setup.
DEFAULT = Path(__file__).resolve().parents[1] / "scenarios" / "default.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(DEFAULT, {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 1500})


@pytest.fixture(scope="module")
def model_runs(scenario):
    return replicate_results(scenario, list(SETUP_NAMES), replications=2, seed=11)


@pytest.fixture(scope="module")
def means(model_runs):
    return analysis.result_means(model_runs)


@pytest.fixture(scope="module")
def daily(model_runs):
    return analysis.daily_means(model_runs)


def visible(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def test_results_by_setup_accepts_every_shape(model_runs):
    grouped = analysis.results_by_setup(model_runs)
    assert list(grouped) == list(SETUP_NAMES) and all(len(v) == 2 for v in grouped.values())
    one = {s: rs[0] for s, rs in grouped.items()}
    assert {s: len(v) for s, v in analysis.results_by_setup(one).items()} == dict.fromkeys(SETUP_NAMES, 1)
    flat = [rep.result for rep in model_runs]
    assert list(analysis.results_by_setup(flat)) == list(SETUP_NAMES)
    with pytest.raises(ValueError, match="model results"):
        analysis.results_by_setup({"omnichannel": [1.0, 2.0]})
    with pytest.raises(ValueError, match="model results"):
        analysis.results_by_setup([])


def test_result_means_is_one_tidy_table(model_runs, means, daily):
    """Every KPI and breakdown entry of every setup, averaged over replications, in the results' order."""
    assert list(means.columns) == ["setup", "dimension", "member", "kpi", "mean"]
    assert list(pd.unique(means["setup"])) == list(SETUP_NAMES)
    grouped = analysis.results_by_setup(model_runs)
    net = means[(means["setup"] == "omnichannel") & (means["dimension"] == analysis.NETWORK)]
    assert list(net["kpi"]) == list(grouped["omnichannel"][0].kpis)
    expected = analysis.mean_kpis(grouped["omnichannel"])
    np.testing.assert_array_equal(net["mean"].to_numpy(), np.array(list(expected.values()), dtype=float))
    stores = means[(means["setup"] == "multichannel") & (means["dimension"] == "store")]
    assert list(pd.unique(stores["member"])) == list(grouped["multichannel"][0].breakdown["store"])
    assert list(daily.columns) == ["setup", "series", "day", "mean"] and set(daily["day"]) == {1}


@pytest.mark.slow
def test_stock_over_time_png(model_runs, daily, tmp_path):
    out = plots.stock_over_time(daily, tmp_path / "stock.png")
    assert out == tmp_path / "stock.png"
    assert_png(out)
    fig = plots.stock_over_time_figure(daily)
    on_hand, stockouts, *per_setup = visible(fig)
    assert on_hand.get_ylabel() == "on hand at end of day (units)"
    assert "share 0–1" in stockouts.get_ylabel() and "(day)" in stockouts.get_xlabel()
    omni = [rep.result.daily["on_hand_units"][0] for rep in model_runs if rep.setup == "omnichannel"]
    line = next(ln for ln in on_hand.lines if ln.get_label() == "omnichannel")
    assert list(line.get_ydata()) == pytest.approx([np.mean(omni)])
    # one panel per setup with a line per node; the nodes add up to the network's stock
    assert [ax.get_title() for ax in per_setup] == [f"{s}: each node" for s in dict.fromkeys(daily["setup"])]
    omni_nodes = next(ax for ax in per_setup if ax.get_title().startswith("omnichannel"))
    assert sum(ln.get_ydata()[0] for ln in omni_nodes.lines) == pytest.approx(np.mean(omni))


@pytest.mark.slow
def test_queue_waits_png_with_targets(model_runs, means, scenario, tmp_path):
    store_target = scenario.fulfilment.store_wait_target_min
    call_target = scenario.call_centre.target_wait_s / 60.0
    out = plots.queue_waits(means, tmp_path / "queues.png", store_target, call_target)
    assert_png(out)
    fig = plots.queue_waits_figure(means, store_target, call_target, service_target=0.8)
    axes = visible(fig)
    assert len(axes) == 6  # stores and the call centre: mean, p95, service level
    assert axes[0].get_ylabel() == "mean wait (minutes)" and axes[2].get_ylabel() == "service level (share (0–1))"
    dashed = [ln.get_ydata()[0] for ax in axes for ln in ax.lines if ln.get_linestyle() == "--"]
    assert dashed == pytest.approx([store_target, store_target, 0.8, call_target, call_target, 0.8])
    assert [t.get_text() for t in axes[0].get_xticklabels()] == [s.name for s in scenario.stores]
    grouped = analysis.results_by_setup(model_runs)
    first = scenario.stores[0].name
    expected = np.mean([r.breakdown["store"][first]["store_service_level"] for r in grouped["multichannel"]])
    assert axes[2].patches[0].get_height() == pytest.approx(expected)


@pytest.mark.slow
def test_funnel_png(model_runs, means, tmp_path):
    assert_png(plots.funnel(means, tmp_path / "funnel.png"))
    fig = plots.funnel_figure(means)
    stages, gave_up, segments, queues = visible(fig)
    assert stages.get_ylabel() == "customers (count)" and "share" in queues.get_ylabel()
    grouped = analysis.results_by_setup(model_runs)
    n = len(SETUP_NAMES)
    started, ordered = np.array([p.get_height() for p in stages.patches]).reshape(n, 2).T  # setup-major bars
    assert started == pytest.approx([np.mean([r.kpis["journeys"] for r in grouped[s]]) for s in SETUP_NAMES])
    assert ordered == pytest.approx([np.mean([r.kpis["orders"] for r in grouped[s]]) for s in SETUP_NAMES])
    # customers without an order by segment add up to journeys started minus orders
    per_setup = np.array([p.get_height() for p in segments.patches]).reshape(n, -1).sum(axis=1)
    assert per_setup == pytest.approx(started - ordered)
    # give-ups by funnel stage plus journeys still under way also add up to it
    labels = [t.get_text() for t in gave_up.get_xticklabels()]
    assert labels[-1] == "no order yet" and len(labels) >= 2
    by_stage = np.array([p.get_height() for p in gave_up.patches]).reshape(n, -1)
    assert by_stage.sum(axis=1) == pytest.approx(started - ordered)
    assert (by_stage >= 0).all()


@pytest.mark.slow
def test_channel_flows_png(model_runs, means, tmp_path):
    assert_png(plots.channel_flows(means, tmp_path / "flows.png"))
    fig = plots.channel_flows_figure(means)
    journeys, orders, ratio = visible(fig)
    assert [t.get_text() for t in journeys.get_yticklabels()] == list(SETUP_NAMES)
    grouped = analysis.results_by_setup(model_runs)
    channels = list(grouped["omnichannel"][0].breakdown["channel"])
    assert [t.get_text() for t in orders.get_xticklabels()] == channels
    shown = orders.get_images()[0].get_array()
    expected = [[np.mean([r.breakdown["channel"][c]["orders"] for r in grouped[s]]) for c in channels]
                for s in SETUP_NAMES]
    assert np.asarray(shown) == pytest.approx(np.array(expected))
    labels = [ax.get_label() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(labels) == 3


def test_touchpoint_usage_png(model_runs, means, tmp_path):
    assert_png(plots.touchpoint_usage(means, tmp_path / "touchpoints.png"))
    fig = plots.touchpoint_usage_figure(means)
    (ax,) = visible(fig)
    assert "share (0–1)" in ax.get_xlabel()
    grouped = analysis.results_by_setup(model_runs)
    tps = list(grouped["multichannel"][0].breakdown["touchpoint"])
    assert [t.get_text() for t in ax.get_yticklabels()] == tps
    widths = [p.get_width() for p in ax.patches[: len(tps)]]
    expected = [np.mean([r.breakdown["touchpoint"][t]["usage_share"] for r in grouped["multichannel"]]) for t in tps]
    assert widths == pytest.approx(expected)
    markers = ax.collections[0].get_offsets()
    assert len(markers) == len([t for t in tps if t in plots.MARKET_USAGE])
    no_ref = plots.touchpoint_usage_figure(means, reference=None)
    assert not visible(no_ref)[0].collections


@pytest.mark.slow
def test_charts_of_one_run_per_setup(scenario, tmp_path):
    """A mapping setup -> one Result (e.g. from sim.run) is enough for every chart of model runs."""
    results = {s: sim.run(scenario, setup=s, seed=5) for s in ("multichannel", "omnichannel")}
    assert_png(plots.stock_over_time(analysis.daily_means(results), tmp_path / "stock_over_time.png"))
    for name in ("queue_waits", "funnel", "channel_flows", "touchpoint_usage"):
        assert_png(getattr(plots, name)(analysis.result_means(results), tmp_path / f"{name}.png"))


def test_distribution_kpis_are_shares():
    from sim.outputs.plots import kpi_unit

    assert kpi_unit("numeric_distribution") == kpi_unit("fill_rate") != "count"


def warmup_spans(ax) -> list[tuple[float, float]]:
    """The x extent of each shaded warm-up on a panel."""
    spans = []
    for patch in ax.patches:
        if patch.get_label() == plots.WARMUP_LABEL:
            spans.append((float(patch.get_x()), float(patch.get_x() + patch.get_width())))  # axvspan's Rectangle
    return spans


def test_the_warm_up_is_shaded_on_every_time_chart():
    days = range(1, 15)
    daily = pd.DataFrame([(setup, name, d, float(d)) for setup in SETUPS
                          for name in ("on_hand_units", "stockout_rate", "on_hand_units.s1", "orders")
                          for d in days], columns=["setup", "series", "day", "mean"])
    figures = [plots.stock_over_time_figure(daily, warmup_days=5), plots.daily_series_figure(daily, ["orders"],
                                                                                             warmup_days=5)]
    for fig in figures:
        panels = visible(fig)
        assert panels and all(warmup_spans(ax) == [(0.5, 5.5)] for ax in panels)  # days 1..5, not day 6
        assert plots.WARMUP_LABEL in [t.get_text() for t in panels[0].get_legend().get_texts()]
    for fig in (plots.stock_over_time_figure(daily), plots.daily_series_figure(daily, ["orders"], warmup_days=0)):
        assert all(warmup_spans(ax) == [] for ax in visible(fig))
