"""omnisim: a discrete-event simulator comparing multichannel, cross-channel and omnichannel retail setups.

Core entry points (need only simpy, numpy, scipy, pydantic, PyYAML)::

    sc = sim.load_scenario("scenarios/default.yaml", overrides={"stores.0.staff": 4})
    res = sim.run(sc, setup="omnichannel", seed=1)        # one replication: res.kpis, res.daily
    df = sim.compare(sc, replications=10, seed=1)         # tidy table with CIs and paired differences (pandas)
"""

from __future__ import annotations

from sim._version import __version__
from sim.core.model import Result, run
from sim.scenario.schema import ScenarioError, load_scenario
from sim.scenario.setups import SETUP_NAMES

__all__ = ["ScenarioError", "load_scenario", "run", "Result", "SETUP_NAMES", "compare", "sweep", "calibrate",
           "__version__"]


def __getattr__(name: str):
    # the experiment layer needs pandas: imported on first use so the core stays light
    if name == "compare":
        from sim.experiments.runner import compare

        return compare
    if name == "sweep":
        from sim.experiments.runner import sweep

        return sweep
    if name == "calibrate":
        from sim.experiments.calibration import calibrate

        return calibrate
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
