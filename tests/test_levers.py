"""Levers in the scenario reference's notation (issue 28): ``*`` over list items in experiment files, tied factors,
KPI names checked before any run, and sweeps that report money (operating margin, payback, ROI per design point)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
import sim.experiments.sweep as sweep_module
from sim.experiments import analysis
from sim.experiments.designs import Design, Experiment, ExperimentError, Factor, experiment_from_dict
from sim.experiments.replicate import ModelEvaluator
from sim.experiments.sweep import experiment_evaluator, sweep
from sim.interfaces import cli
from sim.outputs import roi
from sim.outputs.decision import decision_summary
from sim.outputs.report import _sweep_point
from sim.outputs.results import SWEEP_PAYBACK, sweep_payback, write_sweep
from sim.scenario import channel_mix
from sim.scenario.schema import ScenarioError, load_scenario, scenario_from_dict, scenario_hash, scenario_yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
# a week (the payback needs whole weeks) of a tenth of a small day's traffic on a short catalogue: ~0.1 s a run
WEEK = {"horizon_days": 7, "warmup_days": 0, "customers_per_day": 150, "catalogue.generator.n_skus": 200}


def _staffing(**changes) -> Experiment:
    data = {"name": "levers", "scenario": str(DEFAULT), "overrides": WEEK, "setups": ["multichannel", "omnichannel"],
            "replications": 2, "seed": 3,
            "design": Design(kind="grid", factors={"staffing": Factor(paths=["stores.*.staff", "stores.*.tills"],
                                                                      levels=[1, 3])})}
    return Experiment(**{**data, **changes})


# --------------------------------------------------------------------------------------------- * in experiment files
def test_star_in_experiment_overrides_and_factors_sets_every_store():
    exp = Experiment(name="x", scenario=str(DEFAULT), overrides={**WEEK, "stores.*.staff": 3},
                     design=Design(kind="grid", factors={"stores.*.tills": Factor(levels=[1, 4])}))
    ev = experiment_evaluator(exp)
    assert len(ev.scenario.stores) == 10 and {s.staff for s in ev.scenario.stores} == {3}
    for point, tills in zip(exp.points(), (1, 4), strict=True):
        scenario = ev.prepare(point)[0]
        assert [s.tills for s in scenario.stores] == [tills] * 10
        assert [s.staff for s in scenario.stores] == [3] * 10  # the overrides stay under the factor


def test_star_factor_over_an_empty_list_is_named():
    exp = Experiment(name="x", scenario=str(DEFAULT), overrides=WEEK,
                     design=Design(kind="grid", factors={"promotions.*.discount": Factor(levels=[0.1, 0.2])}))
    with pytest.raises(ExperimentError) as err:
        experiment_evaluator(exp)
    assert err.value.problems[0].startswith("design.factors.promotions.*.discount: value 0.1 is refused"), \
        err.value.problems


# --------------------------------------------------------------------------------------------- tied factors
@pytest.mark.parametrize("kind", ["grid", "lhs", "sobol", "morris"])
def test_a_tied_factor_moves_all_its_paths_as_one_factor(kind):
    tied = Factor(paths=["stores.*.staff", "stores.0.tills", "call_centre.agents"], low=1, high=9, integer=True,
                  **({"n": 3} if kind == "grid" else {}))
    design = Design(kind=kind, n=None if kind == "grid" else 4,
                    factors={"staffing": tied, "customers_per_day": Factor(low=100, high=200, n=2, integer=True)})
    assert design.names == ["staffing", "customers_per_day"]  # two factors, not four
    points = design.points(seed=2)
    assert len(points) == design.size() == {"grid": 6, "lhs": 4, "sobol": 4, "morris": 12}[kind]
    for p in points:
        assert set(p) == {"stores.*.staff", "stores.0.tills", "call_centre.agents", "customers_per_day"}
        assert p["stores.*.staff"] == p["stores.0.tills"] == p["call_centre.agents"]
    assert len({p["stores.*.staff"] for p in points}) > 1  # it moves


def test_a_tied_factor_is_stored_with_every_path_per_design_point(tmp_path):
    result = sweep(_staffing(replications=1, setups=["multichannel"]), tmp_path / "r.sqlite", workers=1,
                   progress=False)
    points = result.points()
    assert points["stores.*.staff"].tolist() == points["stores.*.tills"].tolist() == [1, 3]
    ev = experiment_evaluator(result.experiment)
    for params in result.plan.points:
        scenario = ev.prepare(params)[0]
        assert {s.staff for s in scenario.stores} == {s.tills for s in scenario.stores} == {params["stores.*.staff"]}
    served = result.runs().pivot_table(index="point", columns="kpi", values="value")["store_service_level"]
    assert served[1] > served[0]  # three staff and tills per store serve more of the queue in time than one


@pytest.mark.parametrize(("factors", "words"), [
    ({"a": {"paths": ["stores.0.staff", "stores.0.staff"], "levels": [1]}}, "a path is named twice"),
    ({"a": {"paths": ["stores.0.staff"], "levels": [1]}, "stores.0.staff": {"levels": [2]}},
     "factors a and stores.0.staff both set stores.0.staff"),
    ({"a": {"paths": [], "levels": [1]}}, "at least 1 item"),
])
def test_bad_tied_factors_are_one_line_each(factors, words):
    with pytest.raises(ExperimentError) as err:
        experiment_from_dict({"name": "x", "design": {"kind": "grid", "factors": factors}})
    assert len(err.value.problems) == 1 and words in err.value.problems[0], err.value.problems


def test_a_tied_factor_refused_by_the_scenario_names_the_factor():
    exp = _staffing(design=Design(kind="grid", factors={"staffing": Factor(paths=["stores.*.staff",
                                                                                  "stores.*.tils"], levels=[1])}))
    with pytest.raises(ExperimentError) as err:
        experiment_evaluator(exp)
    assert err.value.problems[0].startswith("design.factors.staffing: value 1 is refused by the scenario: "), \
        err.value.problems


# --------------------------------------------------------------------------------------------- KPI names
@pytest.mark.parametrize("kind", ["grid", "morris"])
def test_an_unknown_kpi_is_refused_before_any_replication(kind, monkeypatch, tmp_path, capsys):
    def no_run(*args, **kwargs):
        raise AssertionError("a replication ran")

    monkeypatch.setattr(sweep_module, "run_batch", no_run)
    design = {"kind": kind, "factors": {"stores.*.staff": {"low": 1, "high": 3, "integer": True,
                                                           **({"n": 2} if kind == "grid" else {})}},
              **({"n": 2} if kind == "morris" else {})}
    data = {"name": "x", "scenario": str(DEFAULT), "overrides": WEEK, "design": design,
            "kpis": ["operating_margin", "bogus_kpi"]}
    with pytest.raises(ExperimentError) as err:
        sweep(experiment_from_dict(data), progress=False)
    assert len(err.value.problems) == 1
    line = err.value.problems[0]
    assert line.startswith("kpis: unknown 'bogus_kpi'; allowed: ") and "operating_margin" in line
    assert "store_service_level" in line and "\n" not in line
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    err_text = capsys.readouterr().err.strip()
    assert err_text == f"{path}: {line}" and not (tmp_path / "out").exists()


def test_allowed_kpis_are_the_models_and_the_derived_margins():
    assert "operating_margin" in ModelEvaluator.kpi_names and "net_margin" in ModelEvaluator.kpi_names
    exp = _staffing(kpis=["operating_margin", "store_service_level"])
    experiment_evaluator(exp)  # accepted


# --------------------------------------------------------------------------------------------- money per point
@pytest.fixture(scope="module")
def money_sweep():
    exp = _staffing(kpis=["operating_margin", "store_service_level"])
    ev = experiment_evaluator(exp)
    return sweep(exp, None, workers=1, progress=False, evaluator=ev), ev


def test_operating_margin_per_design_point_with_its_interval(money_sweep):
    result, _ = money_sweep
    runs, summary = result.runs(), result.summary_table()
    rows = summary[summary["kpi"] == "operating_margin"]
    assert len(rows) == 2 * 2 and rows[["ci_low", "ci_high"]].notna().all().all()
    assert rows[rows["setup"] == "omnichannel"][["diff_ci_low", "diff_ci_high"]].notna().all().all()
    # the definition: gross margin less the costs, per replication (margins.derived_margin), then its mean
    wide = runs.pivot_table(index=["point", "setup", "replication"], columns="kpi", values="value")
    rate = wide["gross_margin"] / wide["revenue"]
    expect = (wide["gross_margin"] - wide["fulfilment_cost"] - wide["offer_cost"] - wide["refunds"] * rate
              - wide["staff_cost"] - wide["carrying_cost"]).groupby(["point", "setup"]).mean()
    got = rows.set_index(["point", "setup"])["mean"]
    assert np.allclose(got.loc[expect.index], expect, rtol=1e-12)


def test_payback_per_design_point_equals_the_decision_summarys(money_sweep):
    result, ev = money_sweep
    table = sweep_payback(result, ev)
    assert table["point"].tolist() == [0, 1] and set(table["setup"]) == {"omnichannel"}
    assert "stores.*.staff" in table.columns and table["margin_kpi"].eq("operating_margin").all()
    runs = result.store.kpi_table(result.keys)
    for point, params in enumerate(result.plan.points):
        scenario = ev.prepare(params)[0]
        rows = runs[runs["point"] == point].drop(columns="point").reset_index(drop=True)
        summary = analysis.summarise(rows, baseline="multichannel", confidence=0.95)
        decided = decision_summary(summary, 0.95, scenario.horizon_days - scenario.warmup_days, rows, scenario,
                                   costs=roi.scenario_costs(scenario)).payback
        mine = table[table["point"] == point][list(roi.ROI_COLUMNS)].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, decided.reset_index(drop=True), check_dtype=False)
        assert np.isfinite(mine[["roi_12m", "roi_12m_low", "roi_12m_high", "yearly_gain_ci_low"]].to_numpy()).all()


def test_the_sweep_folder_holds_the_payback_and_the_measured_days(money_sweep, tmp_path):
    result, ev = money_sweep
    write_sweep(result, tmp_path, ev)
    money = pd.read_csv(tmp_path / SWEEP_PAYBACK)
    assert money["point"].tolist() == [0, 1] and {"payback_months_low", "payback_months_high"} <= set(money.columns)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["measured_days_by_point"] == {"0": 7, "1": 7} and "horizon_days_by_point" not in meta
    assert meta["costs"] == roi.scenario_costs(ev.scenario) and meta["stores"] == 10
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert (summary["kpi"] == "operating_margin").sum() == 4


def test_a_sweep_folder_of_before_the_rename_still_gives_its_days():
    summary = pd.DataFrame({"point": [0, 1], "stores.0.staff": [2, 3], **{c: [np.nan, np.nan]
                                                                         for c in analysis.SUMMARY_COLUMNS}})
    for key in ("horizon_days_by_point", "measured_days_by_point"):
        info = {key: {"0": 7, "1": 14}, "experiment": "old"}
        _sweep_point(Path("."), summary, None, info, 1)
        assert info["horizon_days"] == 14 and key not in info


# --------------------------------------------------------------------------------------------- channel mix
def _mix_scenario(target=None, **more):
    overrides = {**WEEK, "horizon_days": 2, "customers_per_day": 400, **more}
    if target is not None:
        overrides["channel_mix.online_share"] = target
    return load_scenario(DEFAULT, overrides)


@pytest.mark.parametrize("target", [0.0, 0.05, 0.301, 0.62, 1.0])
def test_the_channel_mix_lever_hits_its_target_exactly(target):
    base, moved = _mix_scenario(), _mix_scenario(target)
    assert channel_mix.expected_online_share(moved.segments) == pytest.approx(target, abs=1e-12)
    assert sum(channel_mix.order_mix(moved.segments).values()) == pytest.approx(1.0, abs=1e-12)
    for old, new in zip(base.segments, moved.segments, strict=True):
        assert new.journey == old.journey and new.share == old.share  # touchpoint mixes and shares untouched
        online = [c for c in old.channels if c != "store"]
        o_old, o_new = channel_mix.online_of(old.channels), channel_mix.online_of(new.channels)
        if 0 < o_new:  # the online channels keep their relative weights
            assert [new.channels[c] / o_new for c in online] == pytest.approx([old.channels[c] / o_old
                                                                               for c in online], rel=1e-12)
        assert new.channels["store"] == pytest.approx(1.0 - o_new, abs=1e-12)
    # one factor on every segment's odds: their order by online share is kept
    before = [channel_mix.online_of(s.channels) for s in base.segments]
    after = [channel_mix.online_of(s.channels) for s in moved.segments]
    if 0 < target < 1:
        assert np.argsort(before).tolist() == np.argsort(after).tolist()


def test_the_lever_is_recorded_and_its_scenario_reloads_to_the_same_runs():
    moved = _mix_scenario(0.45)
    text = scenario_yaml(moved)
    assert "channel_mix:\n  online_share: 0.45" in text
    again = scenario_from_dict(yaml.safe_load(text))
    assert scenario_hash(again) == scenario_hash(moved) and again.segments == moved.segments


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=1, max_size=4),
       st.floats(0.0, 1.0))
def test_odds_scaling_reaches_every_reachable_target(raw, target):
    total = sum(w for w, _, _ in raw)
    segments = [SimpleNamespace(share=w / total, channels={"store": 1 - o, "web": o * split, "app": o * (1 - split)})
                for w, o, split in raw]
    low, high = channel_mix.reachable(segments)
    if not low - 1e-12 <= target <= high + 1e-12:  # the tolerance problems() gives float sums of shares
        assert channel_mix.problems(segments, target)
        return
    moved = [SimpleNamespace(share=s.share, channels=c)
             for s, c in zip(segments, channel_mix.rescaled_channels(segments, target), strict=True)]
    assert channel_mix.expected_online_share(moved) == pytest.approx(target, abs=1e-9)
    assert all(min(s.channels.values()) >= -1e-12 and sum(s.channels.values()) == pytest.approx(1.0) for s in moved)


def test_a_higher_online_share_moves_the_measured_orders_online():
    """Common random numbers: the same customers under a 15 % and a 60 % target; the orders placed online (every
    purchase channel but the store, as the channel breakdown counts them) and the online_share KPI rise."""
    def online_orders(target, seed):
        result = sim.run(_mix_scenario(target), "omnichannel", seed=seed)
        orders = {ch: row["orders"] for ch, row in result.breakdown["channel"].items()}
        return sum(v for ch, v in orders.items() if ch != "store") / sum(orders.values()), result.kpis["online_share"]

    for seed in (1, 2):
        (low_share, low_kpi), (high_share, high_kpi) = online_orders(0.15, seed), online_orders(0.6, seed)
        assert high_share > low_share + 0.2 and high_kpi > low_kpi + 0.2
        assert abs(low_share - 0.15) < 0.1 and abs(high_share - 0.6) < 0.15  # near what the segments promise


@pytest.mark.parametrize(("value", "words"), [
    (1.5, "channel_mix.online_share: must be at most 1 (got 1.5)"),
    (-0.1, "channel_mix.online_share: must be at least 0 (got -0.1)"),
    (True, "channel_mix.online_share: must be a share between 0 and 1, not true/false"),
])
def test_bad_channel_mix_values_are_one_line(value, words):
    with pytest.raises(ScenarioError) as err:
        _mix_scenario(value)
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith(words), err.value.problems


def test_a_scenario_the_lever_cannot_move_says_why_in_one_line(capsys):
    with pytest.raises(ScenarioError) as err:
        _mix_scenario(0.3, **{"segments.*.channels": {"store": 1.0}})
    assert err.value.problems == [
        "channel_mix.online_share: no segment buys online (segments.*.channels name only the store), so there is no "
        "online share to rescale; give a segment a web, app, marketplace or call_centre channel"]
    with pytest.raises(ScenarioError) as err:
        _mix_scenario(1.0, **{"segments.0.channels": {"store": 1.0}})
    (line,) = err.value.problems
    assert line.startswith("channel_mix.online_share: 1 cannot be reached") and "from 0 to 0.7" in line
    assert cli.main(["validate", str(DEFAULT), "--set", "channel_mix.online_share=2"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_validate_prints_the_channel_mix(capsys):
    assert cli.main(["validate", str(DEFAULT), "--set", "channel_mix.online_share=0.45"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("channel mix"))
    assert "(channel_mix.online_share 0.45)" in line and line.endswith("; online 45.0 %") and "store 55.0 %" in line
    assert cli.main(["validate", str(DEFAULT)]) == 0
    fitted = channel_mix.expected_online_share(sim.load_scenario(DEFAULT).segments)  # the default's segments as fitted
    assert 0.2 < fitted < 0.45 and f"online {100 * fitted:.1f} %" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------- one setup
ONE = ["--set", "horizon_days=7", "--set", "warmup_days=0", "--set", "customers_per_day=150",
       "--set", "catalogue.generator.n_skus=200"]


def test_compare_of_a_single_setup_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "one"
    argv = ["compare", str(DEFAULT), *ONE, "--setups", "omnichannel", "--replications", "2", "--workers", "1",
            "--no-progress", "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "One setup (omnichannel): its means and intervals only, no paired differences" in printed
    assert "store_service_level" in printed and "verdict" not in printed  # its figures, no empty change table
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "kpis.png", "decision.json"} <= names and "differences.png" not in names
    meta = json.loads((out / "meta.json").read_text())
    assert meta["setups"] == ["omnichannel"] and meta["note"].startswith("one setup (omnichannel)")
    decision = json.loads((out / "decision.json").read_text())
    assert decision["changes"] == [] and decision["payback"] is None
    assert cli.main(["report", str(out)]) == 0 and "One setup only" in (out / "report.html").read_text()
    assert cli.main([*argv[:-1], str(tmp_path / "two"), "--decompose"]) == 2
    assert capsys.readouterr().err.strip().endswith("--decompose: needs at least two setups, the first the baseline "
                                                    "(got 'omnichannel')")


def test_compare_of_a_single_setup_in_python():
    sc = load_scenario(DEFAULT, WEEK)
    table = sim.compare(sc, setups=["cross-channel"], replications=2, seed=4)
    assert set(table["setup"]) == {"cross-channel"} and table.attrs["note"].startswith("one setup (cross-channel)")
    assert table[["diff_ci_low", "diff_ci_high"]].isna().all().all() and (table["ci_low"].notna()).any()
    two = sim.compare(sc, setups=["cross-channel", "omnichannel"], replications=2, seed=4)
    assert "note" not in two.attrs  # the same means for the shared setup: the same customers (CRN)
    pd.testing.assert_series_equal(table["mean"], two[two["setup"] == "cross-channel"]["mean"].reset_index(drop=True))


@pytest.mark.slow
def test_the_dashboard_runs_a_single_setup(tmp_path):
    pytest.importorskip("panel")
    from sim.interfaces import dashboard

    board = dashboard.Dashboard(results_root=tmp_path)
    board.setups.value = ["omnichannel"]
    board.assumptions.value = 3
    board._start()  # a behaviour spread is of changes between setups
    assert board.messages.visible and "assumptions:" in board.messages.object and board.job is None
    board.assumptions.value = 0
    board.days.value, board.customers.value, board.replications.value, board.workers.value = 1, 150, 2, 1
    board._start()
    board.job.thread.join(120)
    board._check()
    assert not board.job.error and board.progress.value == 2
    text = " ".join(str(getattr(o, "object", "")) for o in board.results.objects)
    assert "One setup (omnichannel)" in text and "No payback: one setup (omnichannel)" in text
