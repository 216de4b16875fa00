"""What moved the default's headline in issue 24 (docs/background/evidence.md, "The old headline beside the new one"): the default file
as it was before the issue, run under today's model, then moved to the evidence register's values one group at a
time, omnichannel against multichannel on the same customers (2 weeks measured after the warm-up).

    python bench/headline_steps.py [--before f3b94d8] [--replications 3]

The old file is read from git (``git show REV:scenarios/default.yaml``); prints one JSON line per step with each
KPI's relative change and its interval."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import yaml

import sim
from sim.scenario.assumptions import with_values
from sim.scenario.evidence import by_path

ROOT = Path(__file__).resolve().parents[1]
MEASURED = {"horizon_days": 39}  # the default's 25-day warm-up, then two weeks
STEPS = (
    ("+ recommendation uptake 0.2-0.3 -> 0.08", ("segments.*.recommendation_accept",)),
    ("+ restart abandonment 0.08-0.15 -> 0.07, cart friction 0.3 -> 0.4",
     ("segments.*.restart_abandon_prob", "fulfilment.cart_friction")),
    ("+ extra purchase at pickup 0.5 -> 0.25", ("fulfilment.pickup_extra_purchase_prob",)),
    ("+ store stock shown online", ("segments.*.stock_view_to_store_prob", "segments.*.stock_view_skip_trip_prob")),
)
KPIS = ("revenue", "basket_value", "conversion_rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="f3b94d8", help="the commit whose default file is the old one")
    parser.add_argument("--replications", type=int, default=3)
    args = parser.parse_args()
    text = subprocess.run(["git", "show", f"{args.before}:scenarios/default.yaml"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    old = sim.scenario_from_dict(yaml.safe_load(text), MEASURED)
    register = by_path()
    steps, values = [("old default file, today's model", old)], {}
    for label, paths in STEPS:
        values.update({p: register[p].default for p in paths})
        steps.append((label, with_values(old, values)))
    steps.append(("= today's default", sim.load_scenario(ROOT / "scenarios" / "default.yaml", MEASURED)))
    for label, scenario in steps:
        table = sim.compare(scenario, setups=["multichannel", "omnichannel"], replications=args.replications)
        base = table[table.setup == "multichannel"].set_index("kpi")["mean"]
        omni = table[table.setup == "omnichannel"].set_index("kpi")
        print(json.dumps({"step": label, **{k: [round(float(omni.loc[k, c] / base[k]), 4)
                                                for c in ("diff", "diff_ci_low", "diff_ci_high")] for k in KPIS}}),
              flush=True)


if __name__ == "__main__":
    main()
