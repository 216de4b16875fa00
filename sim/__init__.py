"""omnisim: a discrete-event simulator comparing multichannel, cross-channel and omnichannel retail setups.

This module is the public API: the names in ``__all__`` are what notebooks, the docs and the dashboard use, and
they stay stable; every other module of the package is internal and may change. ::

    sc = sim.load_scenario("scenarios/default.yaml", overrides={"stores.0.staff": 4})
    res = sim.run(sc, setup="omnichannel", seed=1)        # one replication: res.kpis, res.daily
    df = sim.compare(sc, replications=10, seed=1)         # tidy table with CIs and paired differences (pandas)

``import sim`` loads the scenario schema and the model core only (simpy, numpy, scipy, pydantic, PyYAML); the
experiment and output names load their wing (pandas, matplotlib) on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sim._version import __version__
from sim.core.kpis import KPIS
from sim.core.model import Result, run
from sim.scenario.schema import ScenarioError, available_setups, load_scenario, scenario_from_dict
from sim.scenario.setups import SETUP_NAMES

_LAZY = {  # name -> module that holds it (loaded on first use: these need pandas or matplotlib)
    # experiments: replications, comparisons, designs, precision, searches
    "compare": "sim.experiments.replicate",
    "compare_runs": "sim.experiments.replicate",
    "compare_behaviour": "sim.experiments.behaviour",
    "replicate_results": "sim.experiments.replicate",
    "BatchError": "sim.experiments.batch",
    "summarise": "sim.experiments.analysis",
    "DECIDING": "sim.experiments.changes",
    "sweep": "sim.experiments.sweep",
    "load_experiment": "sim.experiments.designs",
    "experiment_from_dict": "sim.experiments.designs",
    "sensitivity_table": "sim.experiments.sensitivity",
    "sequential": "sim.experiments.sequential",
    "recommend_staff": "sim.experiments.staffing",
    "staff_per_store": "sim.experiments.staffing",
    "suggest_warmup": "sim.experiments.warmup",
    "check_plausibility": "sim.experiments.plausibility",
    "calibrate": "sim.experiments.calibration",
    # outputs: the decision, the results folder, the report, the charts
    "decision_summary": "sim.outputs.decision",
    "behaviour_table": "sim.outputs.decision",
    "write_comparison": "sim.outputs.results",
    "write_report": "sim.outputs.report",
    "for_people": "sim.outputs.people",
    "kpi_bars_figure": "sim.outputs.plots",
    "paired_differences_figure": "sim.outputs.plots",
    "changes_figure": "sim.outputs.plots",
    "lever_figure": "sim.outputs.plots",
    "tornado_figure": "sim.outputs.plots",
    "behaviour_tornado_figure": "sim.outputs.plots",
    "roi_chart_figure": "sim.outputs.roi",
    "staffing_table": "sim.outputs.staffing",
    "staffing_figure": "sim.outputs.staffing",
}
_RENAMED = {"sensitivity_table": "analyse", "staffing_table": "display_table"}  # the face's name -> the module's

__all__ = ["__version__", "ScenarioError", "load_scenario", "scenario_from_dict", "SETUP_NAMES", "available_setups",
           "run", "Result", "KPIS", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), _RENAMED.get(name, name))
        globals()[name] = value  # looked up once
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
