"""What a long run holds: resident memory and the pending calls on SimPy's queue, by kind, at chosen midnights.

Runs one replication of a scenario (the national chain by default) as ``sim.run`` does, stopping at every
``--every`` days to read the process's resident memory (``VmRSS``) and count what waits on the clock: journeys
ending their research, stock on its way, returns, return handling, repeat journeys (each a ``sim.core.engine.Later``
call), and other events. The figures behind the memory notes of docs/background/performance.md. Usage::

    .venv/bin/python bench/live_state.py [--days 63] [--every 7] [--scenario scenarios/national_chain.yaml]
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import sim  # noqa: E402
from sim.core.customers import DAY_MIN  # noqa: E402
from sim.core.engine import Feed, Later, Light  # noqa: E402
from sim.core.model import World  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")) / 1024


def _name(fn: Any) -> str:
    """What a pending call is for: its function's name, a light process's delay as such (a long one waits in a
    ``Later`` of the ``Light``, then in a ``Feed``)."""
    return "Light (a journey's delay)" if isinstance(getattr(fn, "__self__", None), Light) else fn.__qualname__


def pending(w: World) -> Counter:
    """The calls waiting on SimPy's queue, by the function they will call (other events by their class), and
    those waiting in a ``Later``'s day buckets or in a ``Feed``, by the same name."""
    kinds: Counter = Counter()
    for *_, ev in w.env._queue:
        cb = ev.callbacks[0] if ev.callbacks else None
        owner = getattr(cb, "__self__", None)
        kinds[_name(owner.fn) if isinstance(owner, Later | Feed) else
              "Light (a journey's delay)" if isinstance(owner, Light) else type(ev).__name__] += 1
    for feed in getattr(w.env, "_feeds", ()):
        kinds[_name(feed.fn)] += feed.unfed()
    inv, after = w.net.inv, w.after_sale
    for later in (inv._arrival, inv._delivery, after._back, after._handling, after._repeating):
        kinds[later.fn.__qualname__] += later.waiting()
    return +kinds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "national_chain.yaml")
    ap.add_argument("--days", type=int, default=63)
    ap.add_argument("--every", type=int, default=7)
    ap.add_argument("--setup", default="omnichannel")
    a = ap.parse_args(argv)

    sc = sim.load_scenario(a.scenario, {"horizon_days": a.days, "warmup_days": 0})
    w = World(sc, a.setup, 1)
    w.start_arrivals()
    w.start_ticks()
    gc.disable()  # as sim.run does while SimPy runs
    print(f"{a.scenario.name}, {a.setup}, {a.days} days: resident memory and pending calls at midnight")
    print("| day | RSS MB | queue | largest kinds |\n| --- | --- | --- | --- |")
    for day in range(a.every, a.days + 1, a.every):
        w.env.run(until=day * DAY_MIN)
        kinds = pending(w)
        top = ", ".join(f"{k} {n:,}" for k, n in kinds.most_common(5))
        print(f"| {day} | {rss_mb():.0f} | {sum(kinds.values()):,} | {top} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
