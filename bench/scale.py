"""Scale benchmark: one replication of the national chain (scenarios/national_chain.yaml: 100 stores, 2,000 SKUs,
42,000 journeys a day) at two horizons, each in a fresh process, next to raw SimPy in the same run.

Reports wall and CPU time, journeys and SimPy events per CPU second, the ratios to raw SimPy's event rate and
customer rate on a bare M/M/c queue (measured between the model runs, so both see the machine alike), the peak
memory of each fresh process and its growth from the shorter to the longer horizon, and the CPU time a year
would take (measured when a horizon is 365 days, else extrapolated from the longer one), each with its target
beside it. The build this process runs is measured (compiled when built: ``omnisim --version``); when it is the
compiled one, the pure-Python build of the same sources runs the longer horizon too (``OMNISIM_PURE=1``), for the
figure beside it (``--no-pure`` skips it). Usage::

    .venv/bin/python bench/scale.py [--days 28 84] [--setup omnichannel] [--no-pure] [--json bench/scale.json]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.run import RAW_CUSTOMERS, model_at, raw_mmc, report  # noqa: E402  (the same references as bench/run.py)
from sim._build import build_info  # noqa: E402

NATIONAL = ROOT / "scenarios" / "national_chain.yaml"
TARGETS = {  # issue 13; a year's CPU time: issue 29 (compiled)
    "year_cpu_min": ("<", 5.0),
    "memory_ratio": ("<=", 1.1),
    "peak_memory_long_mb": ("<", 500.0),
}
def verdict(name: str, value: float) -> str:
    op, target = TARGETS[name]
    ok = value < target if op == "<" else value <= target
    return f"target {op} {target:g}: {'met' if ok else 'missed'}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, nargs=2, default=(28.0, 84.0), metavar=("SHORT", "LONG"))
    ap.add_argument("--setup", default="omnichannel")
    ap.add_argument("--scenario", type=Path, default=NATIONAL)
    ap.add_argument("--no-pure", action="store_true", help="do not run the pure-Python build beside the compiled one")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)

    short_days, long_days = sorted(a.days)
    build = build_info()["build"]  # before the runs: what they import (an edit of the core meanwhile would not count)
    raw = [raw_mmc()]
    short = model_at(ROOT, short_days, a.setup, a.scenario)
    raw.append(raw_mmc())
    long = model_at(ROOT, long_days, a.setup, a.scenario)
    raw.append(raw_mmc())
    pure = model_at(ROOT, long_days, a.setup, a.scenario, pure=True) if build == "compiled" and not a.no_pure \
        else None
    raw_eps = statistics.median(ev / s for s, ev in raw)
    raw_cps = statistics.median(RAW_CUSTOMERS / s for s, _ in raw)
    eps = long["events"] / long["cpu_s"]
    jps = long["customers"] / long["cpu_s"]
    year_cpu_min = long["cpu_s"] * 365.0 / long_days / 60.0
    fig = {
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
                   f"simpy {simpy.__version__}",
        "scenario": a.scenario.name, "setup": a.setup, "build": build,
        "raw_simpy_mmc_events_per_s": round(raw_eps),
        f"wall_s_{short_days:g}d": round(short["wall_s"], 1), f"cpu_s_{short_days:g}d": round(short["cpu_s"], 1),
        f"wall_s_{long_days:g}d": round(long["wall_s"], 1), f"cpu_s_{long_days:g}d": round(long["cpu_s"], 1),
        "journeys_per_cpu_s": round(jps),
        "events_per_cpu_s": round(eps),
        "events_per_journey": round(long["events"] / long["customers"], 2),
        "ratio_events_to_raw_simpy": round(eps / raw_eps, 3),
        "ratio_journeys_to_raw_customers": round(jps / raw_cps, 4),
        f"peak_memory_{short_days:g}d_mb": round(short["peak_mb"], 1),
        f"peak_memory_{long_days:g}d_mb": round(long["peak_mb"], 1),
        "memory_ratio": round(long["peak_mb"] / short["peak_mb"], 3),
        "year_cpu_min": round(year_cpu_min, 1),
        "year_cpu_measured": long_days >= 365,
    }
    if pure is not None:
        fig.update({f"pure_cpu_s_{long_days:g}d": round(pure["cpu_s"], 1),
                    "pure_journeys_per_cpu_s": round(pure["customers"] / pure["cpu_s"]),
                    f"pure_peak_memory_{long_days:g}d_mb": round(pure["peak_mb"], 1),
                    "pure_year_cpu_min": round(pure["cpu_s"] * 365.0 / long_days / 60.0, 1),
                    "compiled_over_pure": round(pure["cpu_s"] / long["cpu_s"], 2)})
    notes = {"memory_ratio": verdict("memory_ratio", fig["memory_ratio"]),
             f"peak_memory_{long_days:g}d_mb": verdict("peak_memory_long_mb", long["peak_mb"]),
             "year_cpu_min": verdict("year_cpu_min", year_cpu_min)
             + ("" if long_days >= 365 else f" (extrapolated from {long_days:g} days)")}
    report(f"Scale benchmark: {a.scenario.name}, {a.setup}, one replication per horizon, each in a fresh process",
           fig, notes, a.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
