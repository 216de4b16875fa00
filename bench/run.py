"""Benchmark: the model against raw SimPy, measured in one run on this machine.

Reports, for one replication of the default scenario: customers simulated per second, SimPy events processed per
second, and peak memory (each horizon in a fresh process); and raw SimPy's events and customers per second on a
bare M/M/c queue, with the ratios. Rates are per second of process CPU time (this shared machine's wall clock
drifts with its neighbours); each ratio is the median of interleaved model/raw pairs. Medians over ``--repeats``
runs. The build this process runs (compiled when built: ``omnisim --version``) is measured, and the pure-Python
build of the same sources (``OMNISIM_PURE=1``, a fresh process) in the same loop when the core is compiled. With
``--against REV`` the model at git revision REV (by default the code before issue 29, pure Python) runs its own
default scenario in the same interleaved loop, so "twice as fast" is measured, not remembered. Issue 13's targets
are printed beside. Usage::

    .venv/bin/python bench/run.py [--repeats 3] [--days 28] [--against REV] [--json bench/last.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sim._build import PURE_ENV, build_info  # noqa: E402  (which build runs: sim/_build.py)

DEFAULT = ROOT / "scenarios" / "default.yaml"
BEFORE = "179c952"  # the last commit before issue 29's work (a compiled core): its "today's" speed
TARGETS = {  # issue 13, on the default scenario
    "journeys_ratio_vs_before": 2.0,       # journeys/s over raw customers/s, at least twice the code's before
    "ratio_model_to_raw": 0.45,            # model events/s over raw events/s (goal 0.75)
}


RAW_CUSTOMERS = 200_000


def raw_mmc(customers: int = RAW_CUSTOMERS, servers: int = 12, lam: float = 200 / 60, mean_service: float = 3.0,
            seed: int = 1) -> tuple[float, int]:
    """A bare M/M/c queue in plain SimPy (exponentials drawn in numpy batches): (seconds, events processed)."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, customers).tolist()
    services = rng.exponential(mean_service, customers).tolist()
    env = simpy.Environment()
    res = simpy.Resource(env, servers)

    def customer(s):
        with res.request() as req:
            yield req
            yield env.timeout(s)

    def source():
        for g, s in zip(gaps, services, strict=True):
            yield env.timeout(g)
            env.process(customer(s))

    env.process(source())
    t0 = time.process_time()
    env.run()
    return time.process_time() - t0, next(env._eid) - len(env._queue)


def model_once(days: float, setup: str) -> dict:
    import sim

    sc = sim.load_scenario(DEFAULT, {"horizon_days": days, "warmup_days": 0})  # the same work at any warm-up
    t0 = time.process_time()
    r = sim.run(sc, setup, seed=1)
    return {"cpu_s": time.process_time() - t0, "wall_s": r.wall_s, "events": r.events, "customers": r.customers}


CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
import sim
sc = sim.load_scenario({path!r}, {{"horizon_days": {days!r}, "warmup_days": 0}})
t0 = time.process_time()
r = sim.run(sc, {setup!r}, seed=1)
cpu_s = time.process_time() - t0
with open("/proc/self/status", encoding="ascii") as f:  # own_peak_mb, inline: an older checkout may lack it
    peak_mb = next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")) / 1024
print(json.dumps({{"cpu_s": cpu_s, "wall_s": r.wall_s, "events": r.events, "customers": r.customers,
                  "peak_mb": peak_mb}}))
"""


def model_at(root: Path, days: float, setup: str, path: Path = DEFAULT, pure: bool = False) -> dict:
    """One replication of ``path`` for ``days`` days with the ``sim`` package of the checkout at ``root``, in a
    fresh process (the pure-Python build with ``pure``): CPU and wall seconds, events, customers (journeys) and the
    process's peak memory in MB."""
    code = CHILD.format(root=str(root), path=str(path), days=days, setup=setup)
    env = {**os.environ, PURE_ENV: "1"} if pure else {k: v for k, v in os.environ.items() if k != PURE_ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                         env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def own_peak_mb() -> float:
    """This process's peak resident memory, MB, from its own ``VmHWM`` (Linux). Not ``getrusage``: its
    ``ru_maxrss`` survives ``exec``, so a child started by a larger process would report that parent's peak."""
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")) / 1024


def peak_memory_mb(days: float, setup: str) -> float:
    """Peak resident memory of a fresh process running one replication of ``days`` days, MB."""
    return float(model_at(ROOT, days, setup)["peak_mb"])


def report(title: str, fig: dict, notes: dict, json_path: Path | None, target: str = "target") -> None:
    """Print the figures as a Markdown table with each one's target verdict beside it; write them as JSON too."""
    print(title)
    print(f"| measure | value | {target} |\n| --- | --- | --- |")
    for k, v in fig.items():
        print(f"| {k} | {v} | {notes.get(k, '')} |")
    if json_path:
        json_path.write_text(json.dumps({**fig, "targets": notes}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--days", type=float, default=28.0)
    ap.add_argument("--setup", default="omnichannel")
    ap.add_argument("--against", default=BEFORE, metavar="REV",
                    help="git revision to run in the same loop ('' for none; default: the code before issue 29)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        old = None
        if a.against:
            old = Path(tmp) / "before"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(old), a.against],
                           check=True, capture_output=True)
        try:
            compiled = build_info()["build"] == "compiled"
            raw, runs, pure, before = [], [], [], []
            for _ in range(a.repeats):  # interleaved, so a noisy neighbour slows every side alike
                raw.append(raw_mmc())
                runs.append(model_once(a.days, a.setup))
                if compiled:
                    pure.append(model_at(ROOT, a.days, a.setup, pure=True))
                if old is not None:
                    # on its own default scenario: an older model refuses the fields added since
                    before.append(model_at(old, a.days, a.setup, old / "scenarios" / "default.yaml"))
        finally:
            if old is not None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False,
                               capture_output=True)
    raw_eps = statistics.median(ev / s for s, ev in raw)
    model_eps = statistics.median(r["events"] / r["cpu_s"] for r in runs)
    model_cps = statistics.median(r["customers"] / r["cpu_s"] for r in runs)

    def pair_ratio(rs: list[dict], key: str, raw_units: bool) -> float:
        """Median over interleaved pairs of the model's rate over raw SimPy's: robust to the machine's speed
        drifting between pairs. Events against raw events, or journeys against raw customers."""
        return statistics.median((r[key] / r["cpu_s"]) / ((ev if raw_units else RAW_CUSTOMERS) / s)
                                 for (s, ev), r in zip(raw, rs, strict=True))

    ratio = pair_ratio(runs, "events", True)
    jratio = pair_ratio(runs, "customers", False)
    wall = statistics.median(r["wall_s"] for r in runs)
    mem7 = statistics.median(peak_memory_mb(7, a.setup) for _ in range(a.repeats))
    mem28 = statistics.median(peak_memory_mb(28, a.setup) for _ in range(a.repeats))
    fig = {
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
                   f"simpy {simpy.__version__}",
        "build": "compiled" if compiled else "pure",
        "raw_simpy_mmc_events_per_s": round(raw_eps),
        "model_events_per_s": round(model_eps),
        "ratio_model_to_raw": round(ratio, 3),
        "model_customers_per_s": round(model_cps),
        "replication_wall_s": round(wall, 2),
        "events_per_customer": round(runs[0]["events"] / runs[0]["customers"], 2),
        "peak_memory_7d_mb": round(mem7, 1),
        "peak_memory_28d_mb": round(mem28, 1),
        "memory_ratio_28d_to_7d": round(mem28 / mem7, 3),
        "ratio_journeys_to_raw_customers": round(jratio, 4),
    }
    notes = {"ratio_model_to_raw": _verdict(ratio, TARGETS["ratio_model_to_raw"]) + " (goal 0.75)"}
    if pure:
        fig.update({
            "pure_customers_per_s": round(statistics.median(r["customers"] / r["cpu_s"] for r in pure)),
            "pure_ratio_journeys_to_raw_customers": round(pair_ratio(pure, "customers", False), 4),
            "compiled_over_pure": round(statistics.median(
                (r["customers"] / r["cpu_s"]) / (p["customers"] / p["cpu_s"]) for r, p in zip(runs, pure, strict=True)),
                2),
        })
    if before:
        jratio_before = pair_ratio(before, "customers", False)
        fig.update({
            "before": a.against,
            "before_customers_per_s": round(statistics.median(r["customers"] / r["cpu_s"] for r in before)),
            "before_events_per_customer": round(before[0]["events"] / before[0]["customers"], 2),
            "before_ratio_model_to_raw": round(pair_ratio(before, "events", True), 3),
            "before_ratio_journeys_to_raw_customers": round(jratio_before, 4),
            "journeys_ratio_vs_before": round(jratio / jratio_before, 2),
        })
        notes["journeys_ratio_vs_before"] = _verdict(fig["journeys_ratio_vs_before"],
                                                     TARGETS["journeys_ratio_vs_before"])
    report(f"Benchmark ({a.repeats} repeats, medians; {a.days:g}-day replication of {DEFAULT.name}, {a.setup})",
           fig, notes, a.json, "issue 13 target")
    return 0


def _verdict(value: float, at_least: float) -> str:
    return f">= {at_least:g}: {'met' if value >= at_least else 'missed'}"


if __name__ == "__main__":
    raise SystemExit(main())
