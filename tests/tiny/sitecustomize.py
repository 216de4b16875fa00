"""Makes every scenario tiny in the processes the docs examples run in (tests/test_docs.py).

Python imports ``sitecustomize`` at start-up from its path: tests/test_docs.py puts this folder first on
``PYTHONPATH`` for each example it runs, so the example's own process, the pool workers it spawns and the Dask
workers it starts all load scenarios through the wrapped ``scenario_from_dict``. The example's code is the docs',
unchanged; only its scale is: one day, no warm-up, 300 customers a day (the figures the docs quote come from the
full runs they name).
"""

from __future__ import annotations

import sys
from typing import Any

import sim.scenario.schema as _schema

TINY = {"horizon_days": 1, "warmup_days": 0, "customers_per_day": 300}
_original = _schema.scenario_from_dict


def _tiny(data: Any, overrides: dict[str, Any] | None = None) -> Any:
    return _original(data, {**(overrides or {}), **TINY})


_schema.scenario_from_dict = _tiny
for _module in list(sys.modules.values()):  # modules that imported the name before this ran (sim's own face)
    if getattr(_module, "__name__", "").startswith("sim") and getattr(_module, "scenario_from_dict", None) is _original:
        _module.scenario_from_dict = _tiny  # type: ignore[attr-defined]
