"""The margins derived per replication from the replicate table: what the payback (:mod:`sim.outputs.roi`), the
decomposition (:mod:`sim.experiments.decompose`), the behaviour runs (:mod:`sim.experiments.behaviour`) and any analysis of the CFO's margin read. One definition here, in
the experiments wing, so that analyses below the outputs can use it; :mod:`sim.outputs.roi` re-exports it.

Uses pandas only (on a table it is given: not imported here, so the names below load light); no model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

DERIVED = ("net_margin", "operating_margin")
"""Margins computed per replication from the replicate table (:func:`derived_margin`)."""

OPERATING_MARGIN_KPIS = ("gross_margin", "fulfilment_cost", "offer_cost", "refunds", "revenue", "staff_cost",
                         "carrying_cost")
"""The KPIs :func:`derived_margin` reads."""


def derived_margin(runs: pd.DataFrame, margin: str) -> pd.DataFrame:
    """The replicate table (``setup, replication, kpi, value``) of a derived margin, euros over the measured days:
    ``net_margin`` = gross margin − fulfilment cost; ``operating_margin`` = net margin − cost of offers − margin
    given back on returned sales (refunds × gross margin / revenue) − ``staff_cost`` − ``carrying_cost``. A KPI
    absent from ``runs`` counts 0 (results written before it existed).

    ``staff_cost`` prices the store staff minutes that online orders take from other work: picking them in store
    (pickup from store stock, ship-from-store, transfers), at the scenario's loaded hourly cost
    (``fulfilment.staff_cost_per_hour``; :data:`sim.core.kpis.KPIS`). Advice and till minutes are not priced: store
    staff are paid whether idle or busy, so only the work a setup adds to their day costs it something. Returns
    handled in store take no staff minutes in the model (a delay only), so none are priced. The rate is the
    scenario's, the same for every setup, and the minutes come from each replication's own customers: the paired
    difference stays paired.

    ``carrying_cost`` prices the stock held over the measured days (yearly carrying rate
    ``fulfilment.carrying_cost_rate`` × mean stock value at cost × days / 365): a setup that holds more stock, e.g.
    because its stock levels are sized on a larger demand, pays for it."""
    need = list(OPERATING_MARGIN_KPIS)
    wide = runs[runs["kpi"].isin(need)].pivot_table(index=["setup", "replication"], columns="kpi", values="value",
                                                    sort=False)
    for k in need:
        if k not in wide.columns:
            wide[k] = 0.0
    value = wide["gross_margin"] - wide["fulfilment_cost"]
    if margin == "operating_margin":
        rate = (wide["gross_margin"] / wide["revenue"].where(wide["revenue"] != 0)).fillna(0.0)
        value = (value - wide["offer_cost"] - wide["refunds"] * rate - wide["staff_cost"]
                 - wide["carrying_cost"].fillna(0.0))
    return value.rename("value").reset_index().assign(kpi=margin)[["setup", "replication", "kpi", "value"]]
