"""Benchmark of the experiment runner: parallel efficiency, per-replication overhead, parent memory.

1. Parallel efficiency: 16 replications of the default scenario (omnichannel, ``--days`` days: its own 28 by
   default, about half a second each compiled; shorter ones measure mostly the pool's fixed costs) run serially,
   on 2 local processes and on a 2-worker Dask LocalCluster (one thread each). Efficiency = serial time / (2 x parallel time). The pool and
   the cluster are started and warmed up (the model imported in every worker) before the clock starts; their
   start-up time is reported separately. The three tables are checked to be identical.
2. Per-replication overhead of the runner and the SQLite store: 1,000 replications of a trivial evaluator that
   returns a model-sized result (34 KPIs, 10 daily series of 28 days) into a file store, serially and on 2
   processes; and a tiny-horizon model run directly vs through the runner + store.
3. Memory: a 1,000-replication sweep (one simulated day, 200 customers) on 2 processes into a file store, in a
   fresh process whose peak resident memory is read from its own ``VmHWM`` (see ``bench/run.py``).

Prints a markdown table and writes ``bench/parallel.json``. Usage::

    .venv/bin/python bench/parallel.py [--days 28] [--reps 16] [--json bench/parallel.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
sys.path.insert(0, str(ROOT))

from bench.run import own_peak_mb  # noqa: E402
from sim.experiments.designs import Experiment  # noqa: E402
from sim.experiments.replicate import replicate  # noqa: E402
from sim.experiments.sweep import sweep  # noqa: E402
from sim.scenario.schema import load_scenario  # noqa: E402


def _warm(_: object = None) -> int:
    import sim.core.model  # noqa: F401  (imports the model in the worker before timing)

    time.sleep(0.5)  # long enough for the pool to start its second worker for the second call
    return os.getpid()


def trivial(payload, setup, seed):
    """No simulation: a model-sized result drawn from the seed (34 KPIs, 10 daily series of 28 days)."""
    rng = np.random.default_rng(seed)
    return ({f"kpi_{i}": float(v) for i, v in enumerate(rng.random(34))},
            {f"series_{i}": rng.random(28).tolist() for i in range(10)})


class Trivial:
    evaluate = staticmethod(trivial)
    default_setups = ["only"]

    def check_setups(self, setups):
        return list(setups)

    def prepare(self, params):
        return dict(params), "trivial"


def wait_idle(limit_s: float, threshold: float = 0.6) -> float:
    """Wait (at most ``limit_s``) until the 1-minute load average drops below ``threshold``; return it.

    Parallel efficiency on a shared 2-core machine means nothing while another job holds a core.
    """
    deadline = time.monotonic() + limit_s
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def efficiency(days: int, reps: int, idle_s: float = 0.0) -> dict:
    from distributed import Client, LocalCluster

    scenario = load_scenario(DEFAULT, {"horizon_days": days, "warmup_days": 0})
    out: dict = {"days": days, "replications": reps, "load_avg_at_start": wait_idle(idle_s)}
    t0 = time.perf_counter()
    serial = replicate(scenario, ["omnichannel"], reps, seed=1, workers=1)
    out["serial_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_warm, range(2)))
        out["pool_startup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pooled = replicate(scenario, ["omnichannel"], reps, seed=1, executor=pool)
        out["pool_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        client.run(_warm)
        out["dask_startup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        on_dask = replicate(scenario, ["omnichannel"], reps, seed=1, client=client)
        out["dask_s"] = time.perf_counter() - t0
    out["pool_efficiency"] = out["serial_s"] / (2 * out["pool_s"])
    out["dask_efficiency"] = out["serial_s"] / (2 * out["dask_s"])
    out["identical_tables"] = bool(serial.equals(pooled) and serial.equals(on_dask))
    return out


def overhead(n: int = 1000) -> dict:
    from sim.core.model import run

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        exp = Experiment(name="overhead", replications=n, seed=1)
        t0 = time.perf_counter()
        sweep(exp, Path(tmp) / "serial.sqlite", workers=1, evaluator=Trivial(), progress=False)
        out["trivial_serial_ms"] = (time.perf_counter() - t0) / n * 1e3
        t0 = time.perf_counter()
        sweep(exp, Path(tmp) / "pool.sqlite", workers=2, evaluator=Trivial(), progress=False)
        out["trivial_pool2_ms_incl_startup"] = (time.perf_counter() - t0) / n * 1e3

        scenario = load_scenario(DEFAULT, {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 200})
        m = 200
        seeds = np.random.SeedSequence(1).spawn(m)
        t0 = time.perf_counter()
        for s in seeds:
            run(scenario, setup="omnichannel", seed=s)
        direct = time.perf_counter() - t0
        t0 = time.perf_counter()
        replicate(scenario, ["omnichannel"], m, seed=1, workers=1, store=Path(tmp) / "tiny.sqlite")
        through = time.perf_counter() - t0
        out["tiny_model_direct_ms"] = direct / m * 1e3
        out["tiny_model_runner_ms"] = through / m * 1e3
        out["tiny_model_overhead_ms"] = (through - direct) / m * 1e3
    return out


def memory_child() -> None:
    """Run a 1,000-replication sweep on 2 processes; print the parent's peak RSS in MB (JSON)."""
    with tempfile.TemporaryDirectory() as tmp:
        exp = Experiment(name="memory", scenario=str(DEFAULT),
                         overrides={"horizon_days": 1, "warmup_days": 0, "customers_per_day": 200},
                         setups=["omnichannel"], replications=1000, seed=1)
        t0 = time.perf_counter()
        res = sweep(exp, Path(tmp) / "m.sqlite", workers=2, progress=False)
        wall = time.perf_counter() - t0
        rows = len(res.runs())
    peak_mb = own_peak_mb()
    print(json.dumps({"replications": res.summary.ok, "kpi_rows": rows, "wall_s": wall, "parent_peak_rss_mb": peak_mb}))


def memory() -> dict:
    proc = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True, text=True, check=True,
                          cwd=ROOT, timeout=900)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=28, help="horizon of the default scenario (default: 28 days)")
    ap.add_argument("--reps", type=int, default=16)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "parallel.json")
    ap.add_argument("--wait-idle", type=float, default=600.0, metavar="S",
                    help="wait up to S seconds for the machine to be idle (load < 0.6) before timing")
    ap.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child()
        return
    eff = efficiency(args.days, args.reps, args.wait_idle)
    ovh = overhead()
    mem = memory()
    result = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg": os.getloadavg()},
              "efficiency": eff, "overhead": ovh, "memory": mem}
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rows = [
        (f"{eff['replications']} replications, default scenario ({eff['days']} days), serial", f"{eff['serial_s']:.1f} s"),
        ("same on 2 local processes (warm pool)", f"{eff['pool_s']:.1f} s"),
        ("parallel efficiency, 2 processes (target >= 0.85)", f"{eff['pool_efficiency']:.2f}"),
        ("same on a 2-worker Dask LocalCluster (warm)", f"{eff['dask_s']:.1f} s"),
        ("parallel efficiency, Dask (target >= 0.8)", f"{eff['dask_efficiency']:.2f}"),
        ("start-up: process pool / Dask cluster", f"{eff['pool_startup_s']:.1f} s / {eff['dask_startup_s']:.1f} s"),
        ("same table serial, pool and Dask", "yes" if eff["identical_tables"] else "NO"),
        ("1-minute load average when timing started", f"{eff['load_avg_at_start']:.2f}"),
        ("runner + store per replication, trivial evaluator, serial", f"{ovh['trivial_serial_ms']:.2f} ms"),
        ("same on 2 processes (incl. pool start-up)", f"{ovh['trivial_pool2_ms_incl_startup']:.2f} ms"),
        ("tiny model run: direct / through runner + store", f"{ovh['tiny_model_direct_ms']:.1f} ms / "
                                                            f"{ovh['tiny_model_runner_ms']:.1f} ms"),
        ("runner + store overhead per replication, tiny model (target < 50 ms)", f"{ovh['tiny_model_overhead_ms']:.2f} ms"),
        (f"{mem['replications']}-replication sweep on 2 processes: parent peak RSS (target < 500 MB)",
         f"{mem['parent_peak_rss_mb']:.0f} MB ({mem['wall_s']:.0f} s)"),
    ]
    print("| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(f"\nwritten {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
