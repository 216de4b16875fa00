"""The resource guard: what one replication of a scenario will cost, estimated before it runs.

From the scenario alone (no simulation): the journeys it starts (customers a day over the horizon, promotions'
uplifts, repeat journeys, offer campaigns), the SimPy events they make, the CPU time and the peak memory of one
replication. The CLI refuses a run above :data:`MAX_CPU_S` or :data:`MAX_MEMORY_MB` per replication unless
``--force`` is given, and ``omnisim validate`` prints the estimate.

The rates below were measured on this project's reference machine (2 cores, CPython 3.11, SimPy 4.1) with the
code of the commit that set them: ``python -m sim.experiments.guard`` runs the measurements (each replication in a fresh
process: ``time.process_time`` around :func:`sim.core.model.run`, the process's own peak ``VmHWM``) and fits the
constants; paste what it prints here when the model's speed changes. ``tests/test_guard.py`` checks the estimate
against a measured run (within a factor of 2). Sits above the model core; the core knows nothing of it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim._build import PURE_ENV, build_info
from sim.scenario.schema import Scenario, load_scenario

# ------------------------------------------------------------------------------------------- measured rates
# Measured by `python -m sim.experiments.guard` (see the module docstring) at commit 48ca084 (issue 13's light events) on
# default.yaml (3 and 14 days: 16,013 and 89,155 journeys in 0.42 and 2.81 CPU s, peaks 82 and 99 MB),
# small_business.yaml (14 days) and national_chain.yaml (2 and 5 days: 71,469 and 202,421 journeys in 2.36 and
# 6.60 CPU s, peaks 243 and 298 MB); the memory terms are a least-squares fit of those five peaks (within 11 %).
# The CPU per journey refitted for issue 29's compiled core on both builds (same cases, same run; its third round):
# compiled 63,500-71,800 journeys a CPU second on the chain's 2 and 5 days (58,900 on the default's 14 days), pure
# Python 31,300-33,700; a long run is slower per journey than its first days (returns and repeat journeys start
# over the first month: bench/scale.py's 84 days, 43,200 compiled and 26,400 pure; a measured year 47,700 and
# 24,000), so the rates sit at the long runs': a year of the
# national chain is estimated at 6.7 and 12.8 CPU-minutes (make bench-year measured 6.1 and 12.2). Its fourth round
# ran on a faster machine (raw SimPy 1.5 times as fast): chain 2 and 5 days 83,600-93,600 compiled, 39,400-40,600
# pure, a measured year 72,600 and 29,500 (4.0 and 9.9 CPU-minutes); the same code as the third round's measured a
# year there in 4.2 minutes. The rates are kept: they still hold on the slower machine, and a guard that
# overestimates refuses a run too early rather than let one through that is too big.
EVENTS_PER_JOURNEY = 3.0
"""SimPy events per journey (library scenarios: 2.3-3.5)."""
CPU_S_PER_JOURNEY = {"compiled": 1 / 48_000, "pure": 1 / 25_000}
"""CPU seconds per journey, by build of the core (``omnisim --version``)."""
CPU_S_PER_STOCK_CELL_DAY = 1e-7
"""CPU seconds per SKU x node x simulated day (stock reviews, daily stock state): too small to measure at the
national chain's 202,000 cells; this is the most the fit allows."""
CPU_S_BASE = 0.01
"""CPU seconds to build the world (catalogue, network, customers' streams) before the first event."""
MEMORY_BASE_MB = 63.0
"""Peak resident memory of a process with the model imported and a scenario loaded (51 MB measured), and the
world's fixed parts, MB."""
MEMORY_MB_PER_STOCK_CELL = 7.4e-4
"""MB per SKU x node (stock lists, policies, reserves, the cell's share of the daily stock snapshots)."""
MEMORY_MB_PER_LIVE_JOURNEY = 3.6e-4
"""MB per journey alive at once (researching, waiting for a parcel, a return or a repeat)."""
LIVE_DAYS = 14.0
"""Days of journeys alive at once: research, deliveries, pending returns (~7 days) and repeats (~14 days)."""

MAX_CPU_S = 2 * 3600.0
"""Largest estimated CPU time of one replication the CLI runs without ``--force``: two hours."""
MAX_MEMORY_MB = 8 * 1024.0
"""Largest estimated peak memory of one replication the CLI runs without ``--force``: 8 GB."""


@dataclass(frozen=True)
class Estimate:
    """What one replication of a scenario is expected to cost."""

    journeys: float
    events: float
    cpu_s: float
    memory_mb: float
    stock_cells: int
    build: str = "pure"  # the build of the core the CPU time is for: "compiled" or "pure"

    @property
    def too_big(self) -> bool:
        return self.cpu_s > MAX_CPU_S or self.memory_mb > MAX_MEMORY_MB

    def describe(self) -> str:
        """One line: journeys, events, CPU time and memory of one replication."""
        core = "the compiled core" if self.build == "compiled" else "pure Python"
        return (f"about {_count(self.journeys)} journeys, {_count(self.events)} SimPy events, "
                f"{_duration(self.cpu_s)} of CPU ({core}) and {_memory(self.memory_mb)} of memory per replication")

    def refusal(self, horizon_days: float) -> str:
        """The one-line refusal of a run above the caps: the estimate and how to go on."""
        over, ways = [], ["--force (if the machine has it)"]
        if self.cpu_s > MAX_CPU_S:
            over.append(f"above the {_duration(MAX_CPU_S)} CPU cap")
            ways.append(f"a shorter horizon (--set horizon_days={max(1, math.floor(horizon_days * MAX_CPU_S / self.cpu_s))})")
        if self.memory_mb > MAX_MEMORY_MB:
            over.append(f"above the {_memory(MAX_MEMORY_MB)} memory cap")
            ways.append("fewer customers a day or SKUs")
        ways.append("a bigger machine, or a cluster for many replications (--scheduler)")
        return f"estimated {self.describe()} ({' and '.join(over)}); to go on: {', '.join(ways)}"


def _count(x: float) -> str:
    for unit, size in (("billion", 1e9), ("million", 1e6)):
        if x >= size:
            return f"{x / size:.3g} {unit}"
    return f"{x:,.0f}"


def _duration(s: float) -> str:
    if s >= 86400 * 2:
        return f"{s / 86400:.3g} days"
    if s >= 3600:
        return f"{s / 3600:.3g} hours"
    if s >= 60:
        return f"{s / 60:.3g} minutes"
    return f"{s:.2g} seconds" if s < 10 else f"{s:.0f} seconds"


def _memory(mb: float) -> str:
    return f"{mb / 1024:.3g} GB" if mb >= 1024 else f"{mb:.0f} MB"


# ------------------------------------------------------------------------------------------- the estimate
def _traffic_days(sc: Scenario) -> float:
    """Days of traffic over the horizon, each weighted by the promotions' uplift and pull-forward dip."""
    n = max(1, math.ceil(sc.horizon_days))
    total = 0.0
    for day in range(n):
        w = min(1.0, sc.horizon_days - day)
        for p in sc.promotions:
            end = p.start_day + p.days
            if p.start_day <= day < end:
                w *= p.traffic_uplift
            elif p.pull_forward and p.traffic_uplift > 1 and end <= day < end + p.days:
                w *= max(0.0, 1.0 - p.pull_forward * (p.traffic_uplift - 1.0))
        total += w
    return total


def _repeat_factor(sc: Scenario) -> float:
    """Journeys per first journey once repeats are counted (a geometric chain, bounded by the horizon)."""
    out = 0.0
    for seg in sc.segments:
        a = seg.after_sale
        p = min(0.999, max(a.repeat_promoter, a.repeat_passive, a.repeat_detractor))
        chain = min(p / (1 - p), p * sc.horizon_days / a.repeat_after_days)
        out += seg.share * chain
    return 1.0 + out


def _offer_journeys(sc: Scenario) -> float:
    total = 0.0
    for o in sc.marketing.offers:
        if o.start_day < sc.horizon_days:
            campaigns = math.ceil((sc.horizon_days - o.start_day) / o.every_days)
            total += campaigns * o.recipients * o.uptake
    return total


def stock_cells(sc: Scenario) -> int:
    """SKUs x nodes (stores and warehouse): the size of the stock tables."""
    cat = sc.catalogue
    skus = len(cat.skus) if cat.skus is not None else (cat.generator.n_skus if cat.generator else 0)
    return skus * (len(sc.stores) + (1 if sc.warehouse is not None else 0))


def estimate(sc: Scenario, build: str | None = None) -> Estimate:
    """The estimated cost of one replication of ``sc`` (any setup: the omnichannel one, the dearest) on ``build``
    (``"compiled"`` or ``"pure"``; None: the build this process runs, ``omnisim --version``)."""
    journeys = sc.customers_per_day * _traffic_days(sc) * _repeat_factor(sc) + _offer_journeys(sc)
    cells = stock_cells(sc)
    days = sc.horizon_days
    build = build or build_info()["build"]
    per_journey = CPU_S_PER_JOURNEY[build]
    cpu = CPU_S_BASE + journeys * per_journey + cells * days * CPU_S_PER_STOCK_CELL_DAY
    live = sc.customers_per_day * min(days, LIVE_DAYS) * _repeat_factor(sc)
    memory = MEMORY_BASE_MB + cells * MEMORY_MB_PER_STOCK_CELL + live * MEMORY_MB_PER_LIVE_JOURNEY
    return Estimate(journeys=journeys, events=journeys * EVENTS_PER_JOURNEY, cpu_s=cpu, memory_mb=memory,
                    stock_cells=cells, build=build)


# ------------------------------------------------------------------------------------------- measurement
_MEASURE = """
import json, sys, time
import sim
from sim.experiments.guard import own_peak_mb
path, overrides, setup = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sc = sim.load_scenario(path, overrides)
base = own_peak_mb()
t0 = time.process_time()
r = sim.run(sc, setup, seed=1)
cpu = time.process_time() - t0
print(json.dumps({"cpu_s": cpu, "events": r.events, "journeys": r.customers, "peak_mb": own_peak_mb(),
                  "base_mb": base}))
"""


def own_peak_mb() -> float:
    """This process's peak resident memory, MB, from its own ``VmHWM`` (Linux; NaN elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return math.nan


def measure(path: str, overrides: Mapping[str, Any] | None = None, setup: str = "omnichannel",
            pure: bool = False) -> dict[str, float]:
    """Run one replication in a fresh process (on the pure-Python build with ``pure``, else on the build this
    process runs); return its ``cpu_s``, ``events``, ``journeys``, ``peak_mb`` and the ``base_mb`` of the process
    before the run."""
    env = {**os.environ, PURE_ENV: "1"} if pure else None
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path), json.dumps(dict(overrides or {})), setup],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("scenarios/default.yaml", {"horizon_days": 3, "warmup_days": 1}),
    ("scenarios/default.yaml", {"horizon_days": 14, "warmup_days": 0}),
    ("scenarios/small_business.yaml", {"horizon_days": 14, "warmup_days": 0}),
    ("scenarios/national_chain.yaml", {"horizon_days": 2, "warmup_days": 1}),
    ("scenarios/national_chain.yaml", {"horizon_days": 5, "warmup_days": 1}),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the library cases and print each one's measured and estimated figures (for the constants above):
    on the build this process runs, and on the pure-Python one too when that is the compiled build."""
    builds = ["compiled", "pure"] if build_info()["build"] == "compiled" else ["pure"]
    for path, overrides in CASES:
        for build in builds:
            m = measure(path, overrides, pure=build == "pure")
            e = estimate(load_scenario(path, overrides), build)
            print(json.dumps({"case": f"{path} {overrides}", "build": build, "cells": e.stock_cells,
                              **{k: round(v, 3) for k, v in m.items()},
                              "events_per_journey": round(m["events"] / max(1, m["journeys"]), 2),
                              "journeys_per_cpu_s": round(m["journeys"] / m["cpu_s"]),
                              "est_journeys": round(e.journeys), "est_cpu_s": round(e.cpu_s, 2),
                              "est_peak_mb": round(e.memory_mb)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
