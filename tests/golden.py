"""Golden outputs: every KPI, breakdown, daily series and book total of a few short replications, stored as JSON
and compared exactly by ``tests/test_golden.py``, so that a restructuring of the model core provably changes no
number. The file is written by the fast engine; the plain-SimPy reference engine (``engine="reference"``, see
``sim/core/engine.py``) must find the same numbers, its event counts aside. A change that is meant to change
numbers regenerates the file with an explicit command, and the diff of ``tests/golden.json`` is what a reviewer
reads::

    make golden          # = .venv/bin/python -m tests.golden --write
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]
FILE = Path(__file__).with_name("golden.json")

# (case name, library scenario, overrides): short horizons, every setup, two seeds each. Each case sets its own
# warm-up, so fitting the library's warm-ups (omnisim warmup) leaves these numbers as they were.
CASES = (
    ("default", "default", {"horizon_days": 3, "warmup_days": 1, "customers_per_day": 1500}),
    ("electronics", "electronics", {"horizon_days": 2, "warmup_days": 0, "customers_per_day": 600}),
    ("grocery", "grocery", {"horizon_days": 2, "warmup_days": 0, "customers_per_day": 800}),
    ("small_business", "small_business", {"horizon_days": 8, "warmup_days": 0}),
    ("black_friday", "black_friday", {"horizon_days": 2, "warmup_days": 0, "customers_per_day": 1500}),
)
SEEDS = (0, 1)


def _plain(x):
    """JSON-ready numbers: floats as they are (NaN and infinities as strings, which JSON has no words for)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    return x


def outputs(engine: str = "fast") -> dict:
    """Every golden case's numbers, keyed ``case/setup/seed``, run on ``engine``."""
    out = {}
    for case, name, overrides in CASES:
        sc = sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides)
        for setup in sim.SETUP_NAMES:
            for seed in SEEDS:
                r = sim.run(sc, setup, seed=seed, engine=engine)
                out[f"{case}/{setup}/{seed}"] = _plain({
                    "kpis": r.kpis, "breakdown": r.breakdown, "daily": r.daily, "books": r.books,
                    "events": r.events, "customers": r.customers})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"regenerate {FILE.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    if not args.write:
        ap.error("nothing to do: pass --write to regenerate the golden file (then read its diff)")
    FILE.write_text(json.dumps(outputs(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FILE.relative_to(ROOT)}: review its diff before committing")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
