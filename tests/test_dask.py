"""Dask backends give the same tables, to the last digit, as a serial run and a process pool.

A real ``dask scheduler`` and two ``dask worker`` processes are started on 127.0.0.1 by the fixture (and always
stopped by it); a ``LocalCluster`` with two worker processes is used as well. Work goes through Dask's own
``concurrent.futures`` interface (``client.get_executor()``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.experiments.designs import Design, Experiment, Factor
from sim.experiments.margins import DERIVED
from sim.experiments.replicate import replicate
from sim.experiments.sweep import sweep
from sim.interfaces import cli
from sim.scenario.schema import load_scenario

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
TINY = {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 800}
DASK = Path(sys.executable).parent / "dask"
SETUPS = ["multichannel", "cross-channel", "omnichannel"]


def experiment() -> Experiment:
    return Experiment(name="dask", scenario=str(DEFAULT), overrides=TINY, setups=["multichannel", "omnichannel"],
                      replications=2, seed=6,
                      design=Design(kind="lhs", n=3, factors={"stores.0.staff": Factor(low=1, high=6, integer=True),
                                                              "fulfilment.cart_friction": Factor(low=0, high=0.6)}))


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):  # workers first, then the scheduler
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in reversed(procs):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory):
    """Start ``dask scheduler`` and two single-threaded ``dask worker`` processes; yield the scheduler address."""
    tmp = tmp_path_factory.mktemp("dask")
    sched_file = tmp / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs: list[subprocess.Popen] = []

    def start(*args: str, log: str) -> None:
        out = open(tmp / log, "w")  # the child keeps its own descriptor
        procs.append(subprocess.Popen([str(DASK), *args], cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True))
        out.close()

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
              str(sched_file), log="scheduler.log")
        _wait_for(lambda: sched_file.exists() and sched_file.stat().st_size > 0, 60, "the scheduler file")
        address = json.loads(sched_file.read_text())["address"]
        for i in range(2):
            start("worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                  "--no-dashboard", "--name", f"w{i}", log=f"worker{i}.log")
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
            assert sum(client.nthreads().values()) == 2
        yield address
    finally:
        _stop(procs)


@pytest.fixture(scope="module")
def local_client():
    from distributed import Client, LocalCluster

    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory):
    res = sweep(experiment(), tmp_path_factory.mktemp("serial") / "r.sqlite", workers=1, progress=False)
    return res.runs(), res.daily()


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(DEFAULT, TINY)


def test_scheduler_and_workers_sweep_equals_serial(scheduler_address, serial_sweep, tmp_path):
    res = sweep(experiment(), tmp_path / "r.sqlite", scheduler=scheduler_address, progress=False)
    assert res.summary.ok == 3 * 2 * 2
    pd.testing.assert_frame_equal(res.runs(), serial_sweep[0])
    pd.testing.assert_frame_equal(res.daily(), serial_sweep[1])
    workers = set(res.store.runs_table(res.keys)["worker"])
    assert len(workers) == 2, workers  # both worker processes took part


def test_client_compare_equals_serial_and_process_pool(scheduler_address, scenario):
    serial = replicate(scenario, SETUPS, 2, seed=9, workers=1)
    with distributed.Client(scheduler_address, timeout="30s") as client:
        on_dask = replicate(scenario, SETUPS, 2, seed=9, client=client)
    pool = replicate(scenario, SETUPS, 2, seed=9, workers=2)
    pd.testing.assert_frame_equal(on_dask, serial)
    pd.testing.assert_frame_equal(pool, serial)


def test_cli_sweep_and_compare_with_scheduler(scheduler_address, serial_sweep, tmp_path, capsys):
    exp_file = tmp_path / "exp.yaml"
    exp_file.write_text(yaml.safe_dump(experiment().model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(exp_file), "--out", str(out), "--scheduler", scheduler_address,
                     "--no-progress"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")  # the store's replications: the model's KPIs (summary.csv adds the
    model = serial_sweep[0][~serial_sweep[0]["kpi"].isin(DERIVED)].reset_index(drop=True)  # margins derived from them)
    pd.testing.assert_frame_equal(runs[["point", "setup", "replication", "kpi", "value"]], model, check_dtype=False)
    cmp_out = tmp_path / "cmp"
    argv = ["compare", str(DEFAULT), "--set", "horizon_days=1", "--set", "warmup_days=0", "--set", "customers_per_day=800",
            "--replications", "2", "--setups", "multichannel,omnichannel", "--no-progress"]
    assert cli.main([*argv, "--scheduler", scheduler_address, "--out", str(cmp_out)]) == 0
    assert cli.main([*argv, "--workers", "1", "--out", str(tmp_path / "cmp1")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(cmp_out / "runs.csv"), pd.read_csv(tmp_path / "cmp1" / "runs.csv"))
    capsys.readouterr()


def test_local_cluster_sweep_equals_serial(local_client, serial_sweep, tmp_path):
    res = sweep(experiment(), tmp_path / "r.sqlite", client=local_client, progress=False)
    pd.testing.assert_frame_equal(res.runs(), serial_sweep[0])
    pd.testing.assert_frame_equal(res.daily(), serial_sweep[1])
    rerun = sweep(experiment(), tmp_path / "r.sqlite", client=local_client, progress=False)
    assert rerun.summary.ran == 0 and rerun.summary.stored_before == 12


def test_bad_scheduler_address_is_one_line(tmp_path, capsys):
    assert cli.main(["sweep", str(ROOT / "experiments" / "staffing-grid.yaml"), "--out", str(tmp_path / "o"),
                     "--scheduler", "not-an-address"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "tcp://host:8786" in err


def test_national_chain_sweep_on_a_scheduler_by_address(scheduler_address, tmp_path):
    """The national chain's experiment file, cut to a short horizon, sent to a real scheduler with two workers:
    every replication stored, both workers used, and a rerun on the same store runs nothing (resumable)."""
    from sim.experiments.designs import load_experiment

    exp = load_experiment(ROOT / "experiments" / "national-chain.yaml")
    short = exp.model_copy(update={"overrides": {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 1500},
                                   "replications": 2})
    res = sweep(short, tmp_path / "r.sqlite", scheduler=scheduler_address, progress=False)
    assert res.summary.ok == 3 * 2 and res.summary.failed_total == 0
    assert len(set(res.store.runs_table(res.keys)["worker"])) == 2
    assert len(load_scenario(ROOT / "scenarios" / "national_chain.yaml").stores) == 100
    again = sweep(short, tmp_path / "r.sqlite", scheduler=scheduler_address, progress=False)
    assert again.summary.ran == 0 and again.summary.stored_before == 6
