"""How the cost of a journey moves along a long run: CPU per journey, events per journey, SimPy's queue and resident
memory, period by period, in one replication (the national chain by default): whether a journey costs more late in
a long run than early, and whether events, the queue or memory grow with it. Periods of whole weeks compare like
with like (a Saturday's journeys cost more than a Monday's). Usage::

    .venv/bin/python bench/growth.py [--days 112] [--every 14] [--scenario scenarios/national_chain.yaml]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import sim  # noqa: E402
from bench.live_state import rss_mb  # noqa: E402
from sim.core.customers import DAY_MIN  # noqa: E402
from sim.core.model import World  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=112)
    ap.add_argument("--every", type=int, default=14)
    ap.add_argument("--setup", default="omnichannel")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "national_chain.yaml")
    a = ap.parse_args(argv)
    sc = sim.load_scenario(a.scenario, {"horizon_days": a.days, "warmup_days": 0})
    w = World(sc, a.setup, np.random.SeedSequence(1), "fast", True)
    w.start_arrivals()
    w.start_ticks()
    gc.disable()  # as sim.run does while SimPy runs
    print("| up to day | journeys per CPU s | events per journey | SimPy queue | resident MB |\n| --- | --- | --- | --- | --- |")
    last_t, last_j, last_e = time.process_time(), 0, 0
    for day in range(a.every, a.days + 1, a.every):
        w.engine.run(day * DAY_MIN)
        t, j, e = time.process_time(), w.book.arrived, w.engine.events()
        print(f"| {day} | {(j - last_j) / (t - last_t):,.0f} | {(e - last_e) / max(j - last_j, 1):.2f} | "
              f"{len(w.env._queue):,} | {rss_mb():,.0f} |", flush=True)
        last_t, last_j, last_e = t, j, e
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
