"""The SQLite results store (sim.experiments.store): one transaction per replication, keys, retries, reading and export."""

from __future__ import annotations

import math
import sqlite3
import sys

import pandas as pd
import pytest

from sim.experiments.store import STATUS_FAILED, STATUS_OK, Outcome, PlanKeys, RunKey, Store


def outcome(point=0, setup="a", rep=0, seed=1, h="h0", status=STATUS_OK, kpis=None, error=None) -> Outcome:
    kpis = {"x": 1.0 + rep, "y": float("nan"), "z": -2.5} if kpis is None and status == STATUS_OK else kpis or {}
    daily = {"orders": [1.0, 2.0], "revenue": [3.0, 4.0]} if status == STATUS_OK else {}
    return Outcome(RunKey(h, point, setup, rep, seed), f"{seed}:{point},{rep}", status, kpis, daily, error, 0.01, "w:1")


def plan(points=(("h0", 0),), setups=("a", "b"), reps=2, seed=1) -> PlanKeys:
    return PlanKeys(tuple(points), tuple(setups), reps, seed)


def test_write_and_read_back_in_plan_order(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        st.begin_batch("test")
        for rep in (1, 0):  # finishing order differs from plan order
            for setup in ("b", "a"):
                st.write(outcome(setup=setup, rep=rep))
        table = st.kpi_table(plan())
    assert list(table.columns) == ["point", "setup", "replication", "kpi", "value"]
    assert list(zip(table["setup"], table["replication"], table["kpi"], strict=True))[:4] == [
        ("a", 0, "x"), ("a", 0, "y"), ("a", 0, "z"), ("a", 1, "x")]
    assert list(table["setup"])[6:] == ["b"] * 6
    assert math.isnan(table["value"].iloc[1]) and table["value"].iloc[2] == -2.5  # NaN survives as NaN


def test_plan_filters_other_scenarios_seeds_and_replications(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        st.write(outcome(h="h0"))
        st.write(outcome(h="changed"))         # the same point of a changed scenario
        st.write(outcome(seed=2))              # another root seed
        st.write(outcome(rep=5))               # beyond the plan's replications
        st.write(outcome(setup="other"))       # a setup not in the plan
        table = st.kpi_table(plan())
        assert set(zip(table["setup"], table["replication"], strict=True)) == {("a", 0)}
        assert st.count() == 5 and len(st.kpi_table()) == 15


def test_failed_run_is_stored_with_traceback_and_replaced_on_retry(tmp_path):
    path = tmp_path / "r.sqlite"
    with Store(path) as st:
        st.write(outcome(status=STATUS_FAILED, error="Traceback ...\nZeroDivisionError: boom"))
        fails = st.failures(plan())
        assert len(fails) == 1 and "ZeroDivisionError" in fails["error"].iloc[0]
        assert fails["seed_key"].iloc[0] == "1:0,0"
        assert st.status(1) == {("h0", 0, "a", 0): STATUS_FAILED}
        assert st.kpi_table(plan()).empty
        st.write(outcome())  # the retry succeeds
        assert st.status(1) == {("h0", 0, "a", 0): STATUS_OK}
        assert st.failures(plan()).empty and len(st.kpi_table(plan())) == 3
        assert st.count() == 1


def test_each_write_is_committed_and_readable_by_another_connection(tmp_path):
    path = tmp_path / "r.sqlite"
    st = Store(path)
    st.write(outcome())
    other = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert other.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1  # visible before close
    assert other.execute("SELECT COUNT(*) FROM kpis").fetchone()[0] == 3
    other.close()
    st.close()
    assert Store(path).status(1) == {("h0", 0, "a", 0): STATUS_OK}


def test_a_failing_write_leaves_nothing_half_written(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        bad = outcome(kpis={"x": 1.0, "y": "not a number"})
        with pytest.raises(ValueError):
            st.write(bad)
        assert st.count() == 0
        assert st.conn.execute("SELECT COUNT(*) FROM kpis").fetchone()[0] == 0


def test_points_daily_and_export(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        st.write_points([("h0", 0, {"stores.0.staff": 3, "customers_per_day": 5000})])
        st.write(outcome(setup="a"))
        st.write(outcome(setup="b"))
        keys = plan(reps=1)
        points = st.points_table(keys)
        assert list(points.columns) == ["point", "scenario_hash", "stores.0.staff", "customers_per_day"]
        daily = st.daily_table(keys)
        assert list(daily["series"])[:4] == ["orders", "orders", "revenue", "revenue"]
        paths = st.export(tmp_path / "out", keys)
        assert sorted(p.name for p in paths) == sorted(
            f"{n}.{f}" for n in ("runs", "points", "replications", "daily") for f in ("csv", "parquet"))
        runs_csv = pd.read_csv(tmp_path / "out" / "runs.csv")
        runs_pq = pd.read_parquet(tmp_path / "out" / "runs.parquet")
        assert list(runs_pq.columns) == ["point", "setup", "replication", "kpi", "value", "stores.0.staff",
                                         "customers_per_day"]
        pd.testing.assert_frame_equal(runs_csv, runs_pq, check_dtype=False)
        with pytest.raises(ValueError, match="unknown format 'xls'"):
            st.export(tmp_path / "out", keys, formats=("xls",))


def test_export_without_pyarrow_writes_csv_and_names_the_extra(tmp_path, monkeypatch):
    """pyarrow is the ``parquet`` extra, not a core dependency: without it a sweep's export writes CSV only, and
    Parquet asked for by name is one line naming the extra (was an ImportError traceback at the end of a sweep)."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)   # `import pyarrow` now raises ImportError, as when absent
    with Store(tmp_path / "r.sqlite") as st:
        st.write_points([("h0", 0, {"stores.0.staff": 3})])
        st.write(outcome(setup="a"))
        keys = plan(reps=1)
        paths = st.export(tmp_path / "out", keys)
        assert sorted(p.name for p in paths) == sorted(f"{n}.csv" for n in ("runs", "points", "replications", "daily"))
        with pytest.raises(ValueError, match=r"'parquet' needs pyarrow \(pip install 'omnisim\[parquet\]'\)"):
            st.export(tmp_path / "out", keys, formats=("parquet",))
