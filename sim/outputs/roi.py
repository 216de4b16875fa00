"""Return on investment: what the capabilities that separate the setups cost, against the margin they add.

A setup differs from the baseline by capability switches (``sim.scenario.setups``); each switch needs an IT system that
the baseline retailer does not yet run. :data:`SYSTEM_NEEDS` says which:

=========  ===============================================  ============================================
system     needed when the setup has                        what it is
=========  ===============================================  ============================================
``crm``    ``cart_continuity`` friction or full,             CRM / unified customer data: one customer
           ``personalisation``, ``cart_reminders``,          and cart across channels, recommendations,
           ``clienteling``                                   reminders and targeted offers
``pim``    ``visibility`` stale or live, ``click_collect``,  product information management: one product
           ``endless_aisle``                                 reference and content in every channel
``oms``    ``shared_stock``, ``visibility`` live,            order management system: one stock pool,
           ``store_pickup``, ``ship_from_store``             routing of orders to a node, live stock
=========  ===============================================  ============================================

Their one-off implementation costs and yearly running costs (low and high, euros) are an editable table,
:data:`DEFAULT_COSTS`, or a YAML file of the same shape (:func:`load_costs`). The implementation ranges are the
market study's (002_19829b2ba6ddba5f.txt: CRM 30–150 k€, PIM 20–80 k€, OMS 50–200 k€, with 12-month ROIs of
15–25 %, 10–20 % and 20–35 %); the studies give no running cost, so the yearly running ranges (licences, hosting,
integration upkeep) are a stated assumption, 15–25 % of the implementation range a year, to be replaced by quotes.

The gain is the paired difference of a margin KPI between the setup and the baseline over the measured days of a
:func:`sim.experiments.replicate.compare` run, with its confidence interval, scaled to a year. The CFO's margin is
``operating_margin`` (derived per replication): the margin after the fulfilment costs the simulation measures
(parcels, store deliveries, transfers), minus the cost of targeted offers, the margin given back on returned
sales (refunds × gross margin rate; discounts are already out of the gross margin), the store staff minutes
that picking online orders takes, priced at the scenario's hourly staff cost, and the carrying cost of the stock
held (:func:`sim.experiments.margins.derived_margin` says which minutes and why). The gain ramps up linearly
over ``ramp_up_months`` after go-live, and running costs accrue from go-live. From it :func:`roi_table` gives the
payback period in months and the 12-month ROI, each with an interval that combines the low/high costs with the
ends of the gain's interval. Scaling assumes the simulated days are representative of the year: only whole
weeks are scaled (the weekly profile repeats); another measured length gives no yearly figure (NaN, with a
``note``) unless ``require_whole_weeks=False``. Use an ordinary period (not a peak week such as
``scenarios/black_friday.yaml``).

Uses numpy, pandas, PyYAML and matplotlib (the chart only); no model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

# one definition of the derived margins, in the experiments wing (analyses below the outputs read them): re-exported
from sim.experiments.margins import DERIVED as DERIVED
from sim.experiments.margins import derived_margin as derived_margin
from sim.scenario.schema import CostItem, format_error
from sim.scenario.setups import SETUPS, resolve
from sim.scenario.userfiles import read_yaml

DAYS_PER_YEAR = 365.0
MONTHS_PER_YEAR = 12.0
MARKET_ROI_12M = (0.20, 0.35)
"""12-month ROI of OMS projects quoted by the market study in DESIGN.md (share of the cost)."""

DEFAULT_RAMP_UP_MONTHS = 6.0
"""Months after go-live over which the gain grows linearly to its simulated level (staff trained, customers
aware): an assumption, to be replaced by the retailer's roll-out plan."""
RUNNING_SHARE = (0.15, 0.25)
"""Yearly running cost as a share of the implementation cost (assumption: software upkeep and licences are
commonly quoted at about a fifth of the project a year; the studies give no figure)."""

DEFAULT_COSTS: dict[str, dict[str, Any]] = {
    "crm": {
        "label": "CRM / unified customer data",
        "low": 30_000.0, "high": 150_000.0,
        "running_low": 30_000.0 * RUNNING_SHARE[0], "running_high": 150_000.0 * RUNNING_SHARE[1],
        "source": "implementation: 002_19829b2ba6ddba5f.txt (CRM 30-150 kEUR, 15-25 % ROI in 12 months); running: "
                  "assumption, 15-25 % of it a year",
        "kind": "market-study claim",
    },
    "pim": {
        "label": "product information management",
        "low": 20_000.0, "high": 80_000.0,
        "running_low": 20_000.0 * RUNNING_SHARE[0], "running_high": 80_000.0 * RUNNING_SHARE[1],
        "source": "implementation: 002_19829b2ba6ddba5f.txt (PIM 20-80 kEUR, 10-20 % ROI in 12 months); running: "
                  "assumption, 15-25 % of it a year",
        "kind": "market-study claim",
    },
    "oms": {
        "label": "order management system",
        "low": 50_000.0, "high": 200_000.0,
        "running_low": 50_000.0 * RUNNING_SHARE[0], "running_high": 200_000.0 * RUNNING_SHARE[1],
        "source": "implementation: 002_19829b2ba6ddba5f.txt (OMS 50-200 kEUR, 20-35 % ROI in 12 months); running: "
                  "assumption, 15-25 % of it a year",
        "kind": "market-study claim",
    },
}
"""System -> one-off implementation cost range (``low``, ``high``) and yearly running cost range (``running_low``,
``running_high``) in euros, a ``label`` and its ``source``."""

SYSTEM_NEEDS: dict[str, Callable[[Any], bool]] = {
    "crm": lambda c: c.cart_continuity != "none" or bool(c.personalisation) or bool(c.cart_reminders)
    or bool(c.clienteling),
    "pim": lambda c: c.visibility != "own" or bool(c.click_collect) or bool(c.endless_aisle),
    "oms": lambda c: bool(c.shared_stock) or c.visibility == "live" or bool(c.store_pickup) or bool(c.ship_from_store),
}
"""System -> test on a setup's capability switches (:class:`sim.scenario.setups.Capabilities`): does it need the system?"""

ROI_COLUMNS = (
    "setup", "baseline", "systems", "items", "cost_low", "cost_high", "running_low", "running_high", "ramp_up_months",
    "margin_kpi", "measured_days", "whole_weeks", "note", "n_pairs",
    "gain", "gain_ci_low", "gain_ci_high", "yearly_gain", "yearly_gain_ci_low", "yearly_gain_ci_high",
    "payback_months", "payback_months_low", "payback_months_high", "roi_12m", "roi_12m_low", "roi_12m_high",
)


# --------------------------------------------------------------------------------------------- costs
SMALL_FIRM = "small-firm"
COST_PRESETS: dict[str, Mapping[str, Mapping[str, Any]]] = {SMALL_FIRM: DEFAULT_COSTS}
"""Named cost tables: ``small-firm`` is the market studies' table (:data:`DEFAULT_COSTS`: one-off and running
ranges for the whole firm, whatever its number of stores), used when a scenario has no ``costs:`` section."""

_LEGACY = {"label", "low", "high", "running_low", "running_high", "source", "kind"}
_RANGE = {"low": 0.0, "high": 0.0}


def _legacy_item(name: str, entry: Mapping[str, Any], problems: list[str]) -> dict[str, Any] | None:
    """A system's entry of the studies' shape (``low``, ``high``, ``running_low``, ``running_high``) as an item of the
    scenario's shape: paid for that system, a fixed one-off and a running amount a year."""
    try:
        low, high = float(entry["low"]), float(entry["high"])
    except (KeyError, TypeError, ValueError):
        problems.append(f"costs.{name}: low and high must both be numbers (euros)")
        return None
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high < low:
        problems.append(f"costs.{name}: need 0 <= low <= high (got low={low:g}, high={high:g})")
        return None
    try:
        r_low, r_high = float(entry.get("running_low", 0.0)), float(entry.get("running_high", 0.0))
    except (TypeError, ValueError):
        problems.append(f"costs.{name}: running_low and running_high must be numbers (euros a year)")
        return None
    if not (math.isfinite(r_low) and math.isfinite(r_high)) or r_low < 0 or r_high < r_low:
        problems.append(f"costs.{name}: need 0 <= running_low <= running_high (got {r_low:g}, {r_high:g})")
        return None
    unknown = sorted(set(entry) - _LEGACY)
    if unknown:
        problems.append(f"costs.{name}.{unknown[0]}: unknown field; allowed: low, high, running_low, "
                        "running_high, label, source, kind")
        return None
    return {"label": str(entry.get("label", name)), "systems": [str(name)],
            "one_off": {"fixed": {"low": low, "high": high}, "per_store": dict(_RANGE)}, "share_of_systems": None,
            "running": {"per_year": {"low": r_low, "high": r_high}, "per_store_per_year": dict(_RANGE),
                        "per_order": dict(_RANGE)},
            "source": str(entry.get("source") or "(no source given)"), "kind": str(entry.get("kind", "assumption"))}


def check_costs(costs: Any) -> dict[str, dict[str, Any]]:
    """Return a cost table as plain items of the scenario's ``costs:`` shape (:class:`sim.scenario.schema.CostItem`:
    ``label``, ``systems``, ``one_off: {fixed, per_store}``, ``share_of_systems``, ``running: {per_year,
    per_store_per_year, per_order}``, each amount ``{low, high}`` in euros, ``source``, ``kind``), checked; raise
    ``ValueError`` naming every problem by its field path (``costs.oms.one_off.per_store.low: ...``).

    Also takes the market studies' shape (:data:`DEFAULT_COSTS`: per system ``low``, ``high``, ``running_low``,
    ``running_high`` for the whole firm), as meta.json files of earlier versions hold it. The result is JSON data
    that this function takes back unchanged."""
    if not isinstance(costs, Mapping) or not costs:
        raise ValueError("costs: expected a mapping of items (name -> {label, systems, one_off, running, source, "
                         "kind})")
    legacy = all(isinstance(e, Mapping) and "systems" not in e and ("low" in e or "high" in e)
                 for e in costs.values())
    problems: list[str] = []
    if legacy:  # the studies' shape: one entry per system, which may leave a system out
        costs = {str(k): _legacy_item(str(k), v, problems) for k, v in costs.items()}
        if problems:
            raise ValueError("; ".join(problems))
    try:
        checked = TypeAdapter(dict[str, CostItem]).validate_python(dict(costs))
    except ValidationError as exc:
        raise ValueError("; ".join(format_error({**e, "loc": ("costs", *e["loc"])}) for e in exc.errors())) from None
    # a table may leave out a system no setup compared needs (roi_table names one that is needed and missing); the
    # scenario's own costs: section must price all three (sim.scenario.schema.cost_problems)
    return {k: {**v.model_dump(mode="json"), "label": v.label or k} for k, v in checked.items()}


def load_costs(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a cost table from YAML: a ``costs:`` section (as in a scenario) or the bare mapping of items, in the
    scenario's shape or the studies' one (:func:`check_costs`), checked."""

    def error(lines: list[str]) -> ValueError:
        return ValueError("; ".join(lines))

    data = read_yaml(path, "costs", error)  # the shared reader of user files: size cap, UTF-8, bounded YAML
    if isinstance(data, Mapping) and set(data) == {"costs"}:
        data = data["costs"]
    return check_costs(data if data is not None else {})


def scenario_costs(scenario: Any = None, costs: Any = None) -> dict[str, dict[str, Any]]:
    """The cost table to use: ``costs`` when given (a table, or a preset name of :data:`COST_PRESETS`), else the
    scenario's ``costs:`` section when it has one, else the studies' small-firm table; checked."""
    if isinstance(costs, str):
        if costs not in COST_PRESETS:
            raise ValueError(f"costs: unknown preset {costs!r}; allowed: {', '.join(COST_PRESETS)}")
        costs = COST_PRESETS[costs]
    if costs is None and scenario is not None and getattr(scenario, "costs", None):
        costs = {k: v.model_dump(mode="json") for k, v in scenario.costs.items()}
    return check_costs(DEFAULT_COSTS if costs is None else costs)


def _mid(r: Mapping[str, float]) -> float:
    return (r["low"] + r["high"]) / 2.0


def cost_lines(costs: Mapping[str, Mapping[str, Any]], systems: Sequence[str], stores: int | None = None,
               orders_per_year: float | None = None) -> list[dict[str, Any]]:
    """What each item of a checked cost table (:func:`check_costs`) costs this chain for a setup that adopts
    ``systems``: one row per item paid (an item is paid when it names one of ``systems``, or names ``any`` and
    ``systems`` is not empty), with ``one_off_low``/``_high`` (fixed + per store x ``stores`` + its share of the
    other items' one-off) and ``running_low``/``_high`` (euros a year: per year + per store x ``stores`` + per order
    x ``orders_per_year``), ``label``, ``source`` and ``kind``. Raises ``ValueError`` when an item paid has per-store
    or per-order amounts and the number of stores or orders is unknown."""
    chosen = set(systems)
    rows: list[dict[str, Any]] = []
    for name, item in costs.items():
        paid = bool(chosen) if item["systems"] == "any" else bool(chosen & set(item["systems"]))
        if not paid:
            continue
        one, run = item["one_off"], item["running"]
        if (one["per_store"]["high"] > 0 or run["per_store_per_year"]["high"] > 0) and stores is None:
            raise ValueError(f"costs.{name}: per-store amounts need the number of stores (pass scenario= or stores=)")
        if run["per_order"]["high"] > 0 and (orders_per_year is None or not math.isfinite(orders_per_year)):
            raise ValueError(f"costs.{name}: per-order amounts need the setup's orders (the summary's 'orders' KPI)")
        n, orders = float(stores or 0), float(orders_per_year or 0.0)
        row = {"item": name, "label": item["label"], "systems": item["systems"] if item["systems"] == "any"
               else ", ".join(item["systems"]), "source": item["source"], "kind": item["kind"],
               "share_low": 0.0, "share_high": 0.0}
        for end in ("low", "high"):
            row[f"one_off_{end}"] = one["fixed"][end] + one["per_store"][end] * n
            row[f"running_{end}"] = (run["per_year"][end] + run["per_store_per_year"][end] * n
                                     + run["per_order"][end] * orders)
            if item.get("share_of_systems"):
                row[f"share_{end}"] = float(item["share_of_systems"][end])
        rows.append(row)
    for end in ("low", "high"):  # change management: a share of what the other items cost one-off
        base = sum(r[f"one_off_{end}"] for r in rows if r["share_high"] == 0)
        for r in rows:
            r[f"one_off_{end}"] += r[f"share_{end}"] * base
    return rows


def systems_needed(capabilities: Any) -> list[str]:
    """Return the systems of :data:`SYSTEM_NEEDS` that a setup's capability switches need, in table order."""
    return [name for name, needs in SYSTEM_NEEDS.items() if needs(capabilities)]


def _capabilities(setup: str, scenario: Any) -> Any:
    if scenario is not None:
        return resolve(scenario, setup)
    if setup not in SETUPS:
        raise ValueError(f"setup {setup!r} is not built in; pass scenario= to resolve its capability switches")
    return SETUPS[setup]


# --------------------------------------------------------------------------------------------- the table
def _margin_summary(summary: pd.DataFrame, runs: pd.DataFrame | None, margin: str, baseline: str | None,
                    confidence: float) -> pd.DataFrame:
    """Return the summary rows of the margin KPI, recomputed from ``runs`` when needed."""
    from sim.experiments import analysis

    current = str(summary["baseline"].dropna().iloc[0]) if summary["baseline"].notna().any() else None
    derived = margin in DERIVED
    if derived or (baseline is not None and baseline != current):
        if runs is None:
            why = f"{margin} is derived per replication" if derived else \
                f"the summary's paired differences are against {current!r}"
            raise ValueError(f"{why}; pass runs= (the replicate table) to compute it")
        if derived:
            runs = derived_margin(runs, margin)
        summary = analysis.summarise(runs, baseline=baseline or current, confidence=confidence)
    rows = summary[summary["kpi"] == margin]
    if rows.empty:
        raise ValueError(f"the summary has no {margin!r} rows; KPIs: {', '.join(pd.unique(summary['kpi']))}")
    return rows


def _payback(cost: float, yearly_gain: float, running: float = 0.0, ramp: float = 0.0) -> float:
    """Months until the cumulative gain net of running costs repays ``cost`` (euros); inf when it never does.

    The gain (euros a year at full speed) grows linearly from 0 over ``ramp`` months after go-live, then stays;
    ``running`` (euros a year) accrues from go-live. With no cost: 0 when the net gain is positive, NaN otherwise.
    """
    if not math.isfinite(yearly_gain):
        return math.nan
    g, r = yearly_gain / MONTHS_PER_YEAR, running / MONTHS_PER_YEAR
    if cost == 0:  # nothing to repay: immediate if the setup gains, meaningless if it loses
        return 0.0 if g > r else math.nan
    if g <= 0:
        return math.inf
    if ramp > 0:  # during the ramp: g t^2 / (2 R) - r t = cost
        t = (r + math.sqrt(r * r + 2.0 * g * cost / ramp)) * ramp / g
        if t <= ramp:
            return t
    if g <= r:
        return math.inf
    return (cost + g * ramp / 2.0) / (g - r)


def _gain_12m(yearly_gain: float, ramp: float) -> float:
    """Gain over the first 12 months after go-live, with a linear ramp-up of ``ramp`` months."""
    if ramp <= 0:
        return yearly_gain
    if ramp >= MONTHS_PER_YEAR:
        return yearly_gain * MONTHS_PER_YEAR / (2.0 * ramp)
    return yearly_gain * (MONTHS_PER_YEAR - ramp / 2.0) / MONTHS_PER_YEAR


def _roi(cost: float, yearly_gain: float, running: float = 0.0, ramp: float = 0.0) -> float:
    """(12-month gain − 12 months' running cost − cost) / (cost + 12 months' running cost), a share; NaN when
    nothing is spent or the gain is unknown."""
    spent = cost + running
    if spent <= 0 or not math.isfinite(yearly_gain):
        return math.nan
    return (_gain_12m(yearly_gain, ramp) - spent) / spent


def _row(r: Any, baseline: str, systems: list[str], lines: list[dict[str, Any]], margin: str,
         horizon_days: float, days_per_year: float, ramp: float, whole: bool) -> dict[str, Any]:
    scale = days_per_year / horizon_days if whole else math.nan
    low = sum(line["one_off_low"] for line in lines)
    high = sum(line["one_off_high"] for line in lines)
    r_low = sum(line["running_low"] for line in lines)
    r_high = sum(line["running_high"] for line in lines)
    mid, r_mid = (low + high) / 2.0, (r_low + r_high) / 2.0
    gain, g_lo, g_hi = (float(r.diff) * scale, float(r.diff_ci_low) * scale, float(r.diff_ci_high) * scale)
    note = "" if whole else (f"{horizon_days:g} measured days are not whole weeks: not scaled to a year "
                             "(measure 7, 14, 28 ... days)")
    return {
        "setup": r.setup, "baseline": baseline, "systems": ", ".join(systems) or "none",
        "items": ", ".join(line["item"] for line in lines) or "none",
        "cost_low": low, "cost_high": high, "running_low": r_low, "running_high": r_high, "ramp_up_months": ramp,
        "margin_kpi": margin, "measured_days": float(horizon_days), "whole_weeks": whole, "note": note,
        "n_pairs": int(r.n_pairs), "gain": float(r.diff), "gain_ci_low": float(r.diff_ci_low),
        "gain_ci_high": float(r.diff_ci_high), "yearly_gain": gain, "yearly_gain_ci_low": g_lo,
        "yearly_gain_ci_high": g_hi,
        "payback_months": _payback(mid, gain, r_mid, ramp),
        "payback_months_low": _payback(low, g_hi, r_low, ramp),   # best case: cheap project, gain at the top
        "payback_months_high": _payback(high, g_lo, r_high, ramp),  # worst case: dear project, gain at the bottom
        "roi_12m": _roi(mid, gain, r_mid, ramp),
        "roi_12m_low": _roi(high, g_lo, r_high, ramp),
        "roi_12m_high": _roi(low, g_hi, r_low, ramp),
    }


def whole_weeks(days: float) -> bool:
    """True when ``days`` is a positive whole number of weeks (the weekly profile repeats exactly)."""
    return days >= 7 and abs(days / 7.0 - round(days / 7.0)) < 1e-9


def _stores(scenario: Any, stores: int | None) -> int | None:
    if stores is not None:
        return int(stores)
    return len(scenario.stores) if scenario is not None and hasattr(scenario, "stores") else None


def _priced(table: Mapping[str, Mapping[str, Any]], systems: Sequence[str], setup: str) -> None:
    covered = {s for item in table.values() if item["systems"] != "any" for s in item["systems"]}
    missing = [s for s in systems if s not in covered]
    if missing:
        raise ValueError(f"costs: no cost range for {', '.join(missing)} (needed by setup {setup!r})")


def orders_per_year(summary: pd.DataFrame, horizon_days: float,
                    days_per_year: float = DAYS_PER_YEAR) -> dict[str, float]:
    """Setup -> its orders scaled to a year: the summary's ``orders`` mean over the measured days x
    ``days_per_year / horizon_days`` (empty when the summary has no ``orders`` rows)."""
    rows = summary[summary["kpi"] == "orders"]
    return {str(r.setup): float(r.mean) * days_per_year / horizon_days for r in rows.itertuples(index=False)}


def check_priced(scenario: Any, setups: Sequence[str], costs: Any = None) -> None:
    """Raise ``ValueError`` when the cost table (as :func:`roi_table` resolves it) leaves a system that a setup
    needs beyond the first one's without a cost item: checked before any run."""
    table = scenario_costs(scenario, costs)
    have = set(systems_needed(_capabilities(setups[0], scenario)))
    for setup in setups[1:]:
        _priced(table, [s for s in systems_needed(_capabilities(setup, scenario)) if s not in have], setup)


def orders_by_setup(runs: pd.DataFrame) -> dict[str, float]:
    """Setup -> its mean ``orders`` over the replications of a replicate table (``setup, replication, kpi, value``):
    what :func:`payback_targets` prices per-order amounts on."""
    rows = runs[runs["kpi"] == "orders"]
    return {str(k): float(v) for k, v in rows.groupby("setup")["value"].mean().items()}


def cost_table(
    summary: pd.DataFrame,
    horizon_days: float,
    costs: Any = None,
    baseline: str | None = None,
    *,
    scenario: Any = None,
    stores: int | None = None,
    days_per_year: float = DAYS_PER_YEAR,
) -> pd.DataFrame:
    """What each cost item costs this chain, per setup against the baseline (the summary's own unless given):
    one row per setup and item paid (:func:`cost_lines`), the per-order amounts priced on the setup's orders scaled
    to a year. ``costs``: a table or a preset name (default: the scenario's ``costs:``, else the small-firm table);
    ``stores``: the number of stores (default: the scenario's). The rows :func:`roi_table` adds up."""
    table = scenario_costs(scenario, costs)
    base = baseline or (str(summary["baseline"].dropna().iloc[0]) if summary["baseline"].notna().any()
                        else str(summary["setup"].iloc[0]))
    have = set(systems_needed(_capabilities(base, scenario)))
    orders = orders_per_year(summary, horizon_days, days_per_year)
    n = _stores(scenario, stores)
    out = []
    for setup in dict.fromkeys(summary["setup"]):
        if setup == base:
            continue
        systems = [s for s in systems_needed(_capabilities(setup, scenario)) if s not in have]
        _priced(table, systems, setup)
        out += [{"setup": setup, "baseline": base, **line}
                for line in cost_lines(table, systems, n, orders.get(setup))]
    return pd.DataFrame(out, columns=["setup", "baseline", *COST_LINE_COLUMNS])


COST_LINE_COLUMNS = ("item", "label", "systems", "one_off_low", "one_off_high", "running_low", "running_high",
                     "share_low", "share_high", "source", "kind")


def roi_table(
    summary: pd.DataFrame,
    horizon_days: float,
    costs: Any = None,
    baseline: str | None = None,
    *,
    runs: pd.DataFrame | None = None,
    scenario: Any = None,
    stores: int | None = None,
    margin: str = "gross_margin",
    confidence: float = 0.95,
    days_per_year: float = DAYS_PER_YEAR,
    ramp_up_months: float = 0.0,
    require_whole_weeks: bool = True,
) -> pd.DataFrame:
    """Return the ROI of each setup against the baseline: one row per non-baseline setup, columns ROI_COLUMNS.

    ``summary``: a :func:`sim.experiments.replicate.compare` table (paired differences with their interval).
    ``horizon_days``: the measured days it covers (horizon minus warm-up); gains are scaled by
    ``days_per_year / horizon_days``. ``costs``: a cost table (:func:`check_costs`: the scenario's ``costs:`` shape
    or the studies' one) or a preset name of :data:`COST_PRESETS`; default the scenario's ``costs:`` section, else
    the small-firm table :data:`DEFAULT_COSTS`. Each setup pays the items of the systems it needs that the baseline
    lacks (:func:`cost_lines`): fixed and per-store amounts (``stores``, default the scenario's number of stores),
    per-order amounts on the setup's ``orders`` (the summary's mean, scaled to a year), and shares of the other
    items' one-off cost; ``items`` names them, :func:`cost_table` lists them.
    ``baseline``: the setup whose systems the retailer already has; default the summary's own baseline (another
    one needs ``runs``, the replicate table, to pair again). ``margin``: the KPI whose paired difference is the
    gain: ``gross_margin`` (revenue − cost of goods), or, from ``runs``, ``net_margin`` (gross margin − fulfilment
    cost) or ``operating_margin`` (:func:`derived_margin`: also offers, the margin of returned
    sales, the priced staff minutes of picking and the carrying cost of stock).
    ``scenario`` resolves custom setups' capability switches. ``ramp_up_months``: the gain grows linearly to its
    simulated level over these months after go-live (:data:`DEFAULT_RAMP_UP_MONTHS` in the decision summary);
    running costs (euros a year) accrue from go-live and are deducted from the gain.
    ``require_whole_weeks``: measured days that are not whole weeks give no yearly figure (NaN, a ``note``).

    Units: costs and gains in euros (``gain*`` over the measured days, ``yearly_gain*`` per year), payback in
    months (``inf`` when the gain, or that end of its interval, is not positive), ``roi_12m*`` a share of the
    cost ((12-month gain − 12 months' running cost − cost) / (cost + 12 months' running cost)). Central values
    use the middle of the cost ranges; ``_low``/``_high`` pair the cost ranges with the ends of the gain's
    confidence interval (best and worst case).
    """
    if not horizon_days or horizon_days <= 0 or not math.isfinite(horizon_days):
        raise ValueError(f"horizon_days must be a positive number of measured days (got {horizon_days!r})")
    if not (math.isfinite(ramp_up_months) and ramp_up_months >= 0):
        raise ValueError(f"ramp_up_months must be a number of months >= 0 (got {ramp_up_months!r})")
    whole = whole_weeks(horizon_days) or not require_whole_weeks
    table = scenario_costs(scenario, costs)
    rows = _margin_summary(summary, runs, margin, baseline, confidence)
    base = str(rows["baseline"].iloc[0])
    have = set(systems_needed(_capabilities(base, scenario)))
    orders = orders_per_year(summary, horizon_days, days_per_year)
    n = _stores(scenario, stores)
    out = []
    for r in rows[rows["setup"] != base].itertuples(index=False):
        systems = [s for s in systems_needed(_capabilities(r.setup, scenario)) if s not in have]
        _priced(table, systems, r.setup)
        lines = cost_lines(table, systems, n, orders.get(str(r.setup)))
        out.append(_row(r, base, systems, lines, margin, horizon_days, days_per_year, ramp_up_months, whole))
    return pd.DataFrame(out, columns=list(ROI_COLUMNS))


def gain_for_payback(cost: float, running: float = 0.0, ramp: float = 0.0, months: float = MONTHS_PER_YEAR) -> float:
    """The yearly gain (euros a year at full speed) whose payback (:func:`_payback`: the gain ramping up linearly
    over ``ramp`` months, ``running`` euros a year from go-live) is exactly ``months``: any larger gain pays back
    sooner. Closed form of the payback's equation solved for the gain."""
    if months <= 0:
        raise ValueError(f"months must be > 0 (got {months!r})")
    r = running / MONTHS_PER_YEAR
    if months <= ramp:  # paid back during the ramp: g t^2 / (2 R) - r t = cost
        g = 2.0 * ramp * (cost + r * months) / months**2
    else:  # after it: (cost + g R / 2) / (g - r) = t
        g = (cost + r * months) / (months - ramp / 2.0)
    return g * MONTHS_PER_YEAR


def payback_targets(scenario: Any, setups: Sequence[str], measured_days: float, costs: Any = None,
                    months: float = MONTHS_PER_YEAR, ramp_up_months: float = DEFAULT_RAMP_UP_MONTHS,
                    days_per_year: float = DAYS_PER_YEAR, orders: Mapping[str, float] | None = None,
                    stores: int | None = None) -> dict[str, float]:
    """Per setup after the first (the baseline): the margin gain over ``measured_days`` at which its cost items (the
    middle of their ranges, as :func:`roi_table`'s central payback; the same table: ``costs``, else the scenario's,
    else the small-firm one) pay back in exactly ``months``: the target of the behaviour break-evens
    (:func:`sim.experiments.behaviour.compare_behaviour`). ``orders``: setup -> its mean orders over the measured
    days (needed when an item is priced per order). Empty when the measured days are not whole weeks (no yearly
    figure)."""
    if not whole_weeks(measured_days):
        return {}
    table = scenario_costs(scenario, costs)
    have = set(systems_needed(_capabilities(setups[0], scenario)))
    n = _stores(scenario, stores)
    out = {}
    for setup in setups[1:]:
        systems = [s for s in systems_needed(_capabilities(setup, scenario)) if s not in have]
        yearly_orders = None if orders is None or setup not in orders else \
            float(orders[setup]) * days_per_year / measured_days
        lines = cost_lines(table, systems, n, yearly_orders)
        cost = sum((line["one_off_low"] + line["one_off_high"]) / 2.0 for line in lines)
        running = sum((line["running_low"] + line["running_high"]) / 2.0 for line in lines)
        yearly = gain_for_payback(cost, running, ramp_up_months, months)
        out[setup] = yearly * measured_days / days_per_year
    return out


# --------------------------------------------------------------------------------------------- chart
def _bounded(values: Sequence[float] | np.ndarray, cap: float) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return np.where(np.isinf(arr), cap, arr)


def roi_chart_figure(table: pd.DataFrame, title: str | None = None, cap_months: float = 60.0) -> Any:
    """Return a two-panel figure of a ``roi_table``: the margin gain against the cost, and the payback.

    Left: yearly margin gain per setup (k€ a year, bar with its confidence interval) beside the one-off cost
    range (k€, hatched bar from low to high). Right: payback period (months) with its interval; a period beyond
    ``cap_months`` or never reached (gain not positive) is drawn up to the cap and labelled.

    Parameters
    ----------
    table : pandas.DataFrame
        A payback table: a decision summary's ``payback`` (``sim.decision_summary(..., measured_days=...)``), one
        row per non-baseline setup.
    title : str, optional
        The figure's title. Default None: a title saying what is drawn.
    cap_months : float, default 60.0
        The longest payback drawn, in months; longer ones (and "never") are drawn to it, hatched and labelled.

    Returns
    -------
    Figure
        A matplotlib figure on the Agg canvas (``sim.outputs.plots.Figure``, no pyplot): a notebook shows it as a
        PNG; ``fig.savefig(path, dpi=110)`` writes it, ``fig.png()`` gives the bytes.

    Raises
    ------
    ValueError
        The table is empty (compare at least two setups).

    Notes
    -----
    The intervals pair the cost ranges with the ends of the gain's confidence interval (best and worst case);
    measured days that are not whole weeks give no yearly figure (the bars are empty, the labels say "no data").

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    summary, runs = sim.compare_runs(sc, replications=2, seed=1)
    decision = sim.decision_summary(summary, measured_days=sc.horizon_days - sc.warmup_days, runs=runs,
                                    scenario=sc)
    fig = sim.roi_chart_figure(decision.payback, cap_months=36)
    ```
    """
    from sim.outputs.plots import new_figure, setup_colours

    if table.empty:
        raise ValueError("the ROI table is empty: compare at least two setups")
    setups = list(table["setup"])
    colours = setup_colours([str(table["baseline"].iloc[0]), *setups])
    fig = new_figure(figsize=(11.0, 1.8 + 0.7 * len(setups)), layout="constrained")
    ax_gain, ax_pay = fig.subplots(1, 2)
    y = np.arange(len(setups), dtype=float)
    gain = table["yearly_gain"].to_numpy(float) / 1e3
    err = np.vstack([gain - table["yearly_gain_ci_low"].to_numpy(float) / 1e3,
                     table["yearly_gain_ci_high"].to_numpy(float) / 1e3 - gain])
    ax_gain.barh(y - 0.2, np.nan_to_num(gain), 0.38, xerr=None if np.isnan(err).all() else err, capsize=4,
                 color=[colours[s] for s in setups], label="yearly margin gain (CI)")
    low, high = table["cost_low"].to_numpy(float) / 1e3, table["cost_high"].to_numpy(float) / 1e3
    ax_gain.barh(y + 0.2, high - low, 0.38, left=low, color="white", edgecolor="0.2", hatch="///",
                 label="one-off cost, low–high")
    ax_gain.axvline(0.0, color="0.3", linewidth=0.8)
    ax_gain.set_yticks(y, setups, fontsize=8)
    ax_gain.invert_yaxis()
    ax_gain.set_xlabel(f"k€ ({table['margin_kpi'].iloc[0]} gain per year; cost one-off)", fontsize=8)
    ax_gain.set_ylabel("setup", fontsize=8)
    ax_gain.set_title(f"gain vs {table['baseline'].iloc[0]} and cost", fontsize=9)
    ax_gain.legend(fontsize=7, frameon=False, loc="best")
    _payback_panel(ax_pay, table, y, colours, cap_months)
    for ax in (ax_gain, ax_pay):
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title or "Return on investment: margin gain against implementation cost", fontsize=11)
    return fig


def _months(value: float) -> str:
    return "never" if np.isinf(value) else "no data" if np.isnan(value) else f"{value:.1f} mo"


def _payback_panel(ax: Any, table: pd.DataFrame, y: np.ndarray, colours: Mapping[str, str], cap: float) -> None:
    setups = list(table["setup"])
    mid = table["payback_months"].to_numpy(float)
    lo, hi = table["payback_months_low"].to_numpy(float), table["payback_months_high"].to_numpy(float)
    shown = np.minimum(_bounded(mid, cap), cap)
    err = np.vstack([np.clip(shown - np.minimum(_bounded(lo, cap), cap), 0, None),
                     np.clip(np.minimum(_bounded(hi, cap), cap) - shown, 0, None)])
    bars = ax.barh(y, np.nan_to_num(shown), 0.5, xerr=None if np.isnan(err).all() else np.nan_to_num(err),
                   capsize=4, color=[colours[s] for s in setups])
    for bar, m in zip(bars, mid, strict=True):
        if np.isinf(m) or m > cap:  # drawn to the cap only: mark it as cut
            bar.set_hatch("xx")
            bar.set_alpha(0.5)
    for yi, x, m, best, worst in zip(y, shown, mid, lo, hi, strict=True):
        ax.annotate(f"{_months(m)} [{_months(best)} – {_months(worst)}]", (0.0 if np.isnan(x) else x, yi),
                    xytext=(4, 9), textcoords="offset points", fontsize=7, va="bottom")
    ax.axvline(MONTHS_PER_YEAR, color="0.3", linestyle="--", linewidth=0.8)
    ends = _bounded(np.concatenate([mid, hi]), cap)
    top = np.nanmax(ends) if np.isfinite(ends).any() else cap
    ax.set_xlim(0, min(cap, max(1.5 * MONTHS_PER_YEAR, top)) * 1.1)
    ax.set_yticks(y, setups, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("payback period (months; dashed: 12 months)", fontsize=8)
    ax.set_ylabel("setup", fontsize=8)
    ax.set_title("payback with its interval (cost range × gain CI)", fontsize=9)


def roi_chart(table: pd.DataFrame, path: str | Path, title: str | None = None, cap_months: float = 60.0) -> Path:
    """Draw :func:`roi_chart_figure` to ``path`` (PNG); return the path written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    roi_chart_figure(table, title, cap_months).savefig(out, dpi=110)
    return out
