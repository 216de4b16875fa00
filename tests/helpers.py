"""Plain helpers shared by several test modules (fixtures live in conftest.py): scenarios built in code, paired
runs under common random numbers, the problem lines of a bad scenario."""

from __future__ import annotations

import copy
import functools
import math
import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim import _build
from sim.experiments.analysis import SUMMARY_COLUMNS
from sim.scenario.schema import ScenarioError, scenario_from_dict

from .reference import ROOT

DEFAULT = ROOT / "scenarios" / "default.yaml"
RAW = yaml.safe_load(DEFAULT.read_text())


def problems(mutate) -> list[str]:
    """The problem lines of the default scenario after ``mutate(data)`` on its raw YAML data (which must fail)."""
    data = copy.deepcopy(RAW)
    mutate(data)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    return err.value.problems


PAIRS = 3


def paired(sc, setup_a, setup_b, *kpis):
    """Per-seed differences b - a (common random numbers) of each KPI, one array per KPI."""
    runs = [(sim.run(sc, setup_a, seed=s).kpis, sim.run(sc, setup_b, seed=s).kpis) for s in range(PAIRS)]
    out = [np.array([b[k] - a[k] for a, b in runs]) for k in kpis]
    return out[0] if len(out) == 1 else out


def small_scenario(n_stores, n_skus, cpd, stock, staff, channels_store, backorders, periodic, lot=None,
                   routing="warehouse_first", reserve=0, writeoff=0.0, marketing=False, horizon=3, warmup=0):
    """A scenario small enough for property tests: ``n_stores`` stores, one warehouse, one segment."""
    policy = {"policy": "periodic", "review_days": 1, "order_up_to": stock, "lead_time_days": 1.5} if periodic \
        else {"policy": "continuous", "order_up_to": stock, "reorder_point": max(stock - 3, -1),
              "lead_time_days": {"dist": "exponential", "mean": 1.0}, "order_quantity": lot}
    policy["stockout"] = "backorders" if backorders else "lost_sales"
    stores = [{"name": f"s{i}", "open_hour": 8, "close_hour": 20, "staff": staff, "tills": 1,
               "till_time_min": {"dist": "exponential", "mean": 3}, "advice_prob": 0.3 if staff else 0.0,
               "advice_time_min": {"dist": "exponential", "mean": 4}, "queue_capacity": 4,
               "replenishment": policy, "x_km": 3.0 * i, "y_km": 1.0, "reserve_units": min(reserve, stock),
               "ship_from_store": i != 1} for i in range(n_stores)]
    levers = {"marketing": {"cart_abandon_prob": 0.3, "reminder_return_prob": 0.5, "chatbot_containment": 0.5,
                            "chatbot_failure": 0.3,
                            "price_reaction": {"accept": 0.4, "switch": 0.3, "haggle": 0.2, "leave": 0.1}}} \
        if marketing else {}
    market = {"marketing": {"channel_price_index": {"web": 0.9, "call_centre": 1.1}, "reminder_delay_hours": {
        "dist": "exponential", "mean": 3}},
              "promotions": [{"start_day": 1, "days": 1, "discount": 0.3, "basket_uplift": 1.7, "channels": ["web"],
                              "traffic_uplift": 1.5, "pull_forward": 0.5}]} if marketing else {}
    return scenario_from_dict({
        "name": "prop", "horizon_days": horizon, "warmup_days": warmup, "customers_per_day": cpd, **market,
        "catalogue": {"generator": {"n_skus": n_skus, "price_median": 20, "zipf_exponent": 1.0}},
        "stores": stores,
        "warehouse": {"replenishment": {"policy": "periodic", "order_up_to": stock, "lead_time_days": 2},
                      "x_km": 10.0, "reserve_units": min(reserve, stock)},
        "fulfilment": {"routing": routing, "cost_per_km": 0.5, "return_writeoff_share": writeoff,
                       "pickup_extra_purchase_prob": 0.5, "return_handling_days": 0.2},
        "call_centre": {"agents": 1, "handle_time_min": {"dist": "exponential", "mean": 5}},
        "touchpoints": {"web": {"visit_min": 5, "sells": True}, "social": {"visit_min": 2}},
        "segments": [{"name": "a", "share": 1.0,
                      "channels": {"store": channels_store, "web": (1 - channels_store) / 2,
                                   "call_centre": (1 - channels_store) / 2},
                      "journey": {"touchpoint_mix": {"web": 0.5, "social": 0.3, "call_centre": 0.2},
                                  "mean_touchpoints": 3, "gap_min": 30},
                      "basket": {"lines_mean": 2, "units_per_line_mean": 1.5},
                      "store_patience_min": {"dist": "exponential", "mean": 5},
                      "call_patience_min": {"dist": "exponential", "mean": 2},
                      "click_collect_share": 0.5, "pickup_point_share": 0.3, "restart_abandon_prob": 0.5,
                      "after_sale": {"return_store": 0.3, "return_online": 0.5, "return_after_days": 0.5,
                                     "repeat_promoter": 0.3},
                      "stockout_reaction": {"substitute": 0.2, "other_store": 0.2, "wait": 0.2, "drop_item": 0.2,
                                            "drop_basket": 0.2},
                      "recommendation_accept": 0.3, **levers}],
    })


def last_line(text: str) -> str:
    """The last non-blank line of a program's output, for one-line failure messages."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def summary_of(diffs: dict[str, tuple[float, float, float]], kpi: str = "gross_margin") -> pd.DataFrame:
    """A compare summary whose paired differences (mean, CI low, CI high) against multichannel are given."""
    rows = [{"setup": "multichannel", "kpi": kpi, "n": 5, "mean": 1e5, "diff": 0.0, "diff_ci_low": math.nan,
             "diff_ci_high": math.nan, "n_pairs": 5, "baseline": "multichannel"}]
    for setup, (d, lo, hi) in diffs.items():
        rows.append({"setup": setup, "kpi": kpi, "n": 5, "mean": 1e5 + d, "diff": d, "diff_ci_low": lo,
                     "diff_ci_high": hi, "n_pairs": 5, "baseline": "multichannel"})
    return pd.DataFrame(rows).reindex(columns=list(SUMMARY_COLUMNS))


def one_line(capsys, argv: list[str], *words: str) -> str:
    """Run the CLI; assert exit 2, nothing on stdout, exactly one line on stderr holding every word."""
    from sim.interfaces import cli

    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def on_the_sources(test: Callable[[], None]) -> Callable[[], None]:
    """A test that spies on the core by replacing a method of one of its objects (compiled classes refuse that)
    runs on the sources: in a fresh ``OMNISIM_PURE=1`` pytest process when this one runs the compiled build. The
    golden test finds both builds' numbers identical, so what it checks holds for both."""

    @functools.wraps(test)
    def wrapper() -> None:
        if not _build.compiled_modules():
            return test()
        node = f"{os.path.relpath(sys.modules[test.__module__].__file__ or '', ROOT)}::{test.__name__}"
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, _build.PURE_ENV: "1"})
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert "1 passed" in run.stdout, run.stdout[-2000:]
        return None

    return wrapper
