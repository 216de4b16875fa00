"""A self-contained HTML report of a comparison folder, for a consultant to send to a client.

:func:`write_report` reads what ``omnisim compare --out DIR`` wrote (``summary.csv``, ``runs.csv``, ``kpis.png``,
``differences.png``) and whatever else is there (``scenario.yaml``, ``meta.json``, other ``*.png`` charts), and
writes one HTML file: tables as HTML, charts embedded as base64 data URIs, the scenario text, the seed, the
package version and the confidence level. Nothing is fetched from the network when the file is opened. A small
inline script sets ``document.body.dataset.imagesLoaded`` (and ``imagesTotal``) once the page has loaded, so a
headless browser can check that every chart decoded.

Run facts the folder does not record (the seed, the scenario's name, the measured days) come from ``meta``;
a confidence level not given is inferred from the summary's own t intervals and marked as inferred.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim._version import __version__
from sim.core.kpis import KPI_BY_NAME, KPIS, LATE_RULE, SERVICE_LEVELS, SHARE, label_of, unit_of
from sim.scenario.schema import ScenarioError, scenario_from_dict
from sim.scenario.userfiles import load_yaml, read_text

REQUIRED = ("summary.csv",)
KNOWN_CHARTS = {
    "funnel.png": "The funnel: where customers give up, by stage and setup",
    "channel_flows.png": "Channel flows: where customers research and where they buy, by setup",
    "queue_waits.png": "Queues against their targets: waits and service levels in store and on the phone",
    "stock_over_time.png": "Stock on hand and stockouts day by day (whole network)",
    "kpis.png": "Headline KPIs by setup (mean, error bars: confidence interval)",
    "differences.png": "Paired differences against the baseline setup (same customers), with confidence interval",
}
MAX_RUN_ROWS = 5000


class ReportError(ValueError):
    """A results folder the report cannot read: one line naming the file and what is wrong with it."""


def _read(path: Path) -> str:
    """A results folder's text file, read safely (size cap, strict UTF-8: sim/scenario/userfiles.py)."""
    try:
        return read_text(path, "results", ScenarioError)
    except ScenarioError as exc:
        raise ReportError(exc.problems[0]) from None


def _csv(path: Path, needs: Sequence[str] = ()) -> pd.DataFrame:
    """A CSV table of a results folder; a file that is not one, or lacks a column the report needs, raises
    :class:`ReportError`."""
    text = _read(path)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ReportError(f"{path}: not a CSV table ({str(exc).splitlines()[0][:120]})") from None
    missing = [c for c in needs if c not in frame.columns]
    if missing:
        raise ReportError(f"{path}: missing column(s) {', '.join(missing)}; is this an omnisim compare folder?")
    return frame

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;max-width:1200px;
color:#1a1a1a;line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #d0d0d0;padding:.25rem .5rem;text-align:right}
th{background:#f0f4f8}td:first-child,th:first-child{text-align:left}
tr:nth-child(even) td{background:#fafafa}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #e0e0e0}figcaption{font-size:.85rem;color:#444}
pre{background:#f6f6f6;padding:.8rem;overflow-x:auto;font-size:.8rem;border:1px solid #e0e0e0}
#meta-table td{text-align:left}#meta-table td:first-child{font-weight:600}.note{font-size:.85rem;color:#555}
#decision{background:#f7faf7;border:1px solid #cfe3d4;padding:.2rem 1rem 1rem;margin-top:1rem}
#sentences li{margin:.3rem 0}.gain{color:#00734f;font-weight:600}.loss{color:#b34700;font-weight:600}
#glossary td{text-align:left}th.sort{cursor:pointer}th.sort:after{content:" \\2195";color:#999}
@media print{details{display:block}#decision{break-inside:avoid}}
"""
SCRIPT = """
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.dataset.imagesLoaded = String(ok);
  document.body.dataset.imagesTotal = String(imgs.length);
  // where the decision and the first full table sit on the page (px from the top), for a headless check
  var top = function (id) { var e = document.getElementById(id); return e ? String(Math.round(
    e.getBoundingClientRect().top + window.scrollY)) : ""; };
  document.body.dataset.decisionTop = top("decision");
  document.body.dataset.firstTableTop = top("kpi-table");
  document.body.dataset.viewportHeight = String(window.innerHeight);
});
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.classList.add("sort");
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.dataset.dir !== "up"; th.dataset.dir = up ? "up" : "down";
      var key = function (r) {
        var t = r.cells[col].textContent.replace(/[\u2212]/g, "-").replace(/[^0-9.eE+-]/g, "");
        var x = parseFloat(t); return isNaN(x) ? r.cells[col].textContent : x;
      };
      rows.sort(function (a, b) { var x = key(a), y = key(b); return (x > y ? 1 : x < y ? -1 : 0) * (up ? 1 : -1); });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


# --------------------------------------------------------------------------------------------- formatting
def _num(value: Any, digits: int = 3) -> str:
    """A number for people: ``digits`` significant figures, thin spaces between thousands, never in scientific
    notation; NaN as "no data", infinities spelled out."""
    from sim.outputs.decision import fmt_number

    if isinstance(value, int | np.integer) and not isinstance(value, bool):  # a count, a seed, a replication
        return f"{int(value):,}".replace(",", "\u202f")
    try:
        x = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if math.isnan(x):
        return "no data"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return fmt_number(x, digits).replace(",", "\u202f")  # thin space as thousands separator


def _p_value(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={_num(p, 2)}"


def _shown(kpi: str, difference: bool = False) -> tuple[float, str]:
    """The scale and unit a KPI's values are shown in: shares as percentages (differences in percentage points),
    every other KPI in its declared unit."""
    unit = _unit(kpi)
    if unit == SHARE:
        return 100.0, "percentage points" if difference else "%"
    return 1.0, unit


def _with_late_rule(caption: str, kpis: Any) -> str:
    return f"{caption}. {LATE_RULE}" if any(k in SERVICE_LEVELS for k in kpis) else caption


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str, caption: str = "",
           sortable: bool = False) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption class='note'>{html.escape(caption)}</caption>" if caption else ""
    cls = " class='sortable'" if sortable else ""
    return f"<table id='{table_id}'{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _unit(kpi: str) -> str:

    return unit_of(kpi)


def _kpi_cell(kpi: str) -> str:
    """A KPI as people read it: its declared label, its name, and its definition on hover (sim/core/kpis.py)."""
    k = KPI_BY_NAME.get(kpi)
    if k is None:
        return f"<code>{html.escape(kpi)}</code>"
    return (f"<a href='#kpi-{html.escape(kpi)}' title='{html.escape(k.definition, quote=True)}'>"
            f"{html.escape(k.label)}</a><br><code>{html.escape(kpi)}</code>")


BREAKDOWN_KPIS = {
    "store": ("orders", "footfall", "store_conversion_rate", "stockout_rate", "on_shelf_availability",
              "store_service_level", "store_wait_mean_min", "picks"),
    "channel": ("journeys", "orders", "conversion_rate", "session_conversion_rate", "checkout_abandon_rate",
                "basket_value", "revenue", "stockout_rate"),
    "segment": ("journeys", "orders", "conversion_rate", "basket_units", "revenue", "multichannel_customer_share"),
}


def _breakdowns(folder: Path) -> str:
    """Sortable tables of the breakdowns by store, channel and segment (means over replications), when the
    folder has ``breakdown.csv``."""
    path = folder / "breakdown.csv"
    if not path.is_file():
        return ""
    frame = _csv(path, ("dimension", "setup", "member", "kpi", "value"))
    means = frame.groupby(["dimension", "setup", "member", "kpi"], sort=False)["value"].mean()
    parts = []
    for dim, kpis in BREAKDOWN_KPIS.items():
        if dim not in means.index.get_level_values(0):
            continue
        table = means.loc[dim].unstack("kpi")
        cols = [k for k in kpis if k in table.columns]
        rows = [[html.escape(str(setup)), html.escape(str(member)),
                 *(_people(table.loc[(setup, member), k], k) for k in cols)] for setup, member in table.index]
        parts.append(f"<h3>By {dim}</h3>" + _table(["setup", dim, *(_label(k) for k in cols)], rows,
                                                     f"breakdown-{dim}", _with_late_rule(
                                                         "mean over replications; click a column to sort", cols),
                                                     sortable=True))
    return "".join(parts)


def _people(value: float, kpi: str) -> str:
    from sim.outputs.decision import fmt_value

    return html.escape(fmt_value(float(value), _unit(kpi)))


def _label(kpi: str) -> str:

    return label_of(kpi) if kpi != "picks" else "store picks"


def _glossary() -> str:
    """The KPI glossary, from the declarations (sim/core/kpis.py): the same text as the docs' (docs/reference/kpis.md)."""
    rows = [f"<tr id='kpi-{html.escape(k.name)}'><td>{html.escape(k.label)}<br><code>{html.escape(k.name)}</code>"
            f"</td><td>{html.escape(k.unit)}</td><td>{html.escape(k.definition)}</td></tr>" for k in KPIS]
    return ("<table id='glossary-table'><thead><tr><th>KPI</th><th>unit</th><th>what it says</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def payback_caption(margin: str) -> str:
    """What the payback figures are, said exactly: which margin gain, what is deducted, what the interval holds."""
    what = ("the operating-margin gain (gross margin less the fulfilment costs, offers, margin of returned sales, "
            "store staff minutes of picking and the carrying cost of the stock held, as the runs measured them)"
            if margin == "operating_margin" else f"the {margin.replace('_', '-')} gain (the folder has no runs.csv "
            "to derive the operating margin: fulfilment, offers, returns, staff and stock carrying costs not "
            "deducted)")
    return ("payback of the systems each setup needs that the baseline lacks: the one-off cost for this chain (fixed, "
            f"per store, change management's share) against {what}, scaled from the measured days to a year, ramping "
            "up linearly after go-live, less the running costs a year (licences, per store, per order) from go-live; "
            "12-month ROI = (12 months' gain − running costs − one-off) / (one-off + 12 months' running costs); the "
            "interval pairs the ends of the cost range with the ends of the gain's confidence interval (the gain's "
            "simulation noise: how customers behave is not in it)")


def _store_count(meta: Mapping[str, Any], scenario: Mapping[str, Any] | None) -> int | None:
    """The number of stores the costs are priced for: meta.json's, else the folder's scenario's."""
    if isinstance(meta.get("stores"), int):
        return int(meta["stores"])
    stores = (scenario or {}).get("stores")
    return len(stores) if isinstance(stores, list) else None


def _decision_section(decision: Any, chart_uri: str | None) -> str:
    """The first screen: the sentences, the headline changes chart, the changes table and the payback."""
    from sim.outputs.decision import GAIN, LOSS, payback_table

    items = "".join(f"<li>{html.escape(s)}</li>" for s in decision.sentences)
    table = decision.table()
    verdict_cls = {GAIN: "gain", LOSS: "loss"}
    rows = [[html.escape(r["setup"]), _kpi_cell(k), html.escape(r["baseline"]), html.escape(r["setup value"]),
             html.escape(r["change"]),
             f"<span class='{verdict_cls.get(r['verdict'], '')}'>{html.escape(r['verdict'])}</span>"]
            for r, k in zip(table.to_dict("records"), decision.changes["kpi"], strict=True)]
    level = f"{decision.confidence:.0%}"
    parts = [f"<ul id='sentences'>{items}</ul>"]
    if chart_uri:
        parts.append(f"<figure><img src='{chart_uri}' alt='What each setup changes against {decision.baseline}' "
                     f"data-file='changes.png'><figcaption>What each setup changes against {decision.baseline}: "
                     f"relative change of amounts, change in points of shares and scores; bars show the {level} "
                     "confidence interval of the paired difference (same customers)</figcaption></figure>")
    parts.append(_table(["setup", "KPI", f"{decision.baseline}", "setup", "change [interval]", "verdict"], rows,
                        "decision-table", f"change against {decision.baseline}: % for amounts, points for shares "
                        f"and scores; interval at {level}; a verdict only where the interval excludes zero",
                        sortable=True))
    if decision.payback is not None and len(decision.payback):
        pay = payback_table(decision.payback)
        pay_rows = [[html.escape(str(v)) for v in r] for r in pay.itertuples(index=False)]
        parts.append(_table(list(pay.columns), pay_rows, "payback-table",
                            payback_caption(str(decision.payback["margin_kpi"].iloc[0]))))
    return "".join(parts)


# --------------------------------------------------------------------------------------------- reading
def infer_confidence(summary: pd.DataFrame) -> float | None:
    """Return the confidence level of a summary's t intervals (rounded to 0.1 %), or None if none is usable.

    Solves ``half_width = t(p, n-1) * std / sqrt(n)`` for the level on the first row with a positive spread.
    """
    need = {"n", "std", "half_width"}
    if not need <= set(summary.columns):
        return None
    rows = summary[(summary["n"] >= 2) & (summary["std"] > 0) & np.isfinite(summary["half_width"])]
    if rows.empty:
        return None
    r = rows.iloc[0]
    t = float(r["half_width"]) * math.sqrt(float(r["n"])) / float(r["std"])
    return round(2.0 * float(stats.t.cdf(t, df=float(r["n"]) - 1.0)) - 1.0, 3)


def _read_meta(folder: Path, meta: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    path = folder / "meta.json"
    if path.is_file():
        try:
            loaded = json.loads(_read(path))
        except json.JSONDecodeError as exc:
            raise ReportError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if isinstance(loaded, dict):
            out.update(loaded)
    out.update(dict(meta or {}))
    return out


def _scenario_text(folder: Path) -> tuple[str | None, dict[str, Any]]:
    for name in ("scenario.yaml", "scenario.yml"):
        path = folder / name
        if path.is_file():
            text = _read(path)
            try:

                data = load_yaml(text, str(path), ScenarioError)
            except ScenarioError:  # the text is still shown as written
                data = None
            return text, data if isinstance(data, dict) else {}
    return None, {}


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _charts(folder: Path, extra: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Return (file name, caption, data URI) of the folder's PNG charts, the compare charts first."""
    names = [n for n in KNOWN_CHARTS if (folder / n).is_file()]
    # changes.png is drawn again, from the summary, at the top of the decision section
    names += sorted(p.name for p in folder.glob("*.png") if p.name not in KNOWN_CHARTS
                    and p.name not in ("changes.png", "waterfall.png", "tornado.png"))  # on the first screen
    out = [(n, KNOWN_CHARTS.get(n, n.removesuffix(".png").replace("_", " ")), _data_uri(folder / n)) for n in names]
    return out + [(Path(p).name, caption, _data_uri(Path(p))) for p, caption in extra]


# --------------------------------------------------------------------------------------------- sections
def _facts(meta: Mapping[str, Any], scenario: Mapping[str, Any], summary: pd.DataFrame,
           runs: pd.DataFrame | None) -> list[tuple[str, str]]:
    confidence = meta.get("confidence")
    conf_text = f"{float(confidence):.1%}" if confidence is not None else None
    if conf_text is None:
        guess = infer_confidence(summary)
        conf_text = f"{guess:.1%} (inferred from the intervals)" if guess is not None else "not recorded"
    setups = list(pd.unique(summary["setup"]))
    reps = meta.get("replications")
    if reps is None and runs is not None and "replication" in runs.columns:
        reps = int(runs["replication"].nunique())
    rows = [
        ("scenario", meta.get("scenario") or scenario.get("name") or "not recorded"),
        ("description", meta.get("description") or str(scenario.get("description", "")).strip() or "—"),
        ("setups compared", ", ".join(setups)),
        ("baseline of the paired differences", str(summary["baseline"].dropna().iloc[0])
         if "baseline" in summary and summary["baseline"].notna().any() else setups[0]),
        ("replications per setup", reps if reps is not None else "not recorded"),
        ("seed", meta.get("seed") if meta.get("seed") is not None else "not recorded"),
        ("confidence level", conf_text),
        ("measured days per replication", meta.get("horizon_days", "not recorded")),
        ("omnisim version", meta.get("version") or __version__),
        ("report written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
    shown = {k for k, _ in rows} | {"scenario", "description", "version", "confidence", "replications", "seed",
                                     "horizon_days"}
    rows += [(str(k), v) for k, v in meta.items() if k not in shown and not isinstance(v, dict | list)]
    return [(k, html.escape(str(v))) for k, v in rows]


def _headline_table(summary: pd.DataFrame) -> str:
    setups = list(pd.unique(summary["setup"]))
    cell = {(r.setup, r.kpi): (r.mean, r.half_width) for r in summary.itertuples()}
    rows = []
    for kpi in pd.unique(summary["kpi"]):
        values = []
        scale, unit = _shown(kpi)
        for s in setups:
            mean, half = cell.get((s, kpi), (math.nan, math.nan))
            values.append(_num(scale * mean) + ("" if math.isnan(half) else f" ± {_num(scale * half, 2)}"))
        rows.append([_kpi_cell(kpi), html.escape(unit), *values])
    return _table(["KPI", "unit", *setups], rows, "kpi-table",
                  _with_late_rule("mean over replications ± half-width of the confidence interval",
                                  pd.unique(summary["kpi"])))


def _differences_table(summary: pd.DataFrame) -> str:
    baseline = str(summary["baseline"].dropna().iloc[0]) if summary["baseline"].notna().any() else None
    others = [s for s in pd.unique(summary["setup"]) if s != baseline]
    cell = {(r.setup, r.kpi): r for r in summary.itertuples()}
    rows = []
    for kpi in pd.unique(summary["kpi"]):
        values = []
        scale, unit = _shown(kpi, difference=True)
        for s in others:
            r = cell.get((s, kpi))
            if r is None or math.isnan(r.diff):
                values.append("no data")
                continue
            ci = "" if math.isnan(r.diff_ci_low) else \
                f" [{_num(scale * r.diff_ci_low)}, {_num(scale * r.diff_ci_high)}]"
            p = "" if math.isnan(r.diff_p_value) else f" ({_p_value(r.diff_p_value)})"
            values.append(f"{_num(scale * r.diff)}{ci}{p}")
        rows.append([_kpi_cell(kpi), html.escape(unit), *values])
    return _table(["KPI", "unit", *(f"{s} − {baseline}" for s in others)], rows, "differences-table",
                  _with_late_rule("paired difference (same customers), [confidence interval], two-sided paired-t "
                                  "p-value", pd.unique(summary["kpi"])))


def _frame_table(frame: pd.DataFrame, table_id: str, caption: str) -> str:
    rows = [[html.escape(str(v)) if isinstance(v, str) else _num(v, 6) for v in row]
            for row in frame.itertuples(index=False)]
    return _table(list(frame.columns), rows, table_id, caption)


def _setups_of(scenario: Mapping[str, Any] | None) -> Any:
    """The folder's scenario, validated, when it defines setups of its own (their capability switches decide which
    systems they need); None otherwise or when it no longer loads (the built-in setups need no scenario)."""
    if not scenario or not scenario.get("setups"):
        return None
    try:
        return scenario_from_dict(scenario)
    except ScenarioError:
        return None


def _roi_section(summary: pd.DataFrame, runs: pd.DataFrame | None, meta: Mapping[str, Any],
                 workdir: Path, scenario: Mapping[str, Any] | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Return the ROI section's HTML and its chart (path, caption) when the measured days are known."""
    days = meta.get("horizon_days")
    if days is None or "gross_margin" not in set(summary["kpi"]) or summary["setup"].nunique() < 2:
        return "", []
    from sim.outputs import roi
    from sim.outputs.decision import fmt_value

    margin = "operating_margin" if runs is not None else "gross_margin"
    stores = _store_count(meta, scenario)
    built = _setups_of(scenario)
    table = roi.roi_table(summary, float(days), costs=meta.get("costs"), runs=runs, margin=margin, stores=stores,
                          ramp_up_months=roi.DEFAULT_RAMP_UP_MONTHS, scenario=built)
    if not table["whole_weeks"].all():
        note = html.escape(str(table["note"].iloc[0]))
        return (f"<p class='note warning'>No return on investment: the {note}.</p>", [])
    chart = roi.roi_chart(table, workdir / "roi.png")
    cols = ["setup", "systems", "items", "cost_low", "cost_high", "running_low", "running_high", "yearly_gain",
            "yearly_gain_ci_low", "yearly_gain_ci_high", "payback_months", "payback_months_low",
            "payback_months_high", "roi_12m", "roi_12m_low", "roi_12m_high"]
    lines = roi.cost_table(summary, float(days), costs=meta.get("costs"), stores=stores, scenario=built)
    euros = lambda low, high: html.escape(f"{fmt_value(low, '€')} – {fmt_value(high, '€')}")  # noqa: E731
    cost_rows = [[html.escape(str(r.setup)), html.escape(str(r.item)), html.escape(str(r.label)),
                  html.escape(str(r.systems)), euros(r.one_off_low, r.one_off_high),
                  euros(r.running_low, r.running_high), html.escape(f"{r.source} ({r.kind})")]
                 for r in lines.itertuples()]
    where = str(meta.get("costs_from") or "the small-firm preset")  # the caption is escaped by _table
    body = (
        f"<p class='note'>{html.escape(payback_caption(margin)[0].upper() + payback_caption(margin)[1:])}. The gain "
        f"is scaled from the measured days to a year (365 / {_num(days)}) and ramps up over "
        f"{_num(roi.DEFAULT_RAMP_UP_MONTHS)} months after go-live.</p>"
        + _frame_table(table[cols], "roi-table", "€, € a year, months; roi_12m a share of the one-off cost plus 12 "
                       "months' running costs")
        + _table(["setup", "item", "what", "paid for", "one-off for this chain", "running a year for this chain",
                  "source (kind of evidence)"], cost_rows, "costs-table",
                 f"what each cost item costs this chain ({stores if stores is not None else 'unknown'} stores; per-order "
                 f"amounts on each setup's orders scaled to a year); costs from {where}; change them in the "
                 "scenario's costs: section or with omnisim compare --costs FILE")
    )
    return body, [(str(chart), "Return on investment: yearly margin gain against cost, and payback")]


def _sampled(folder: Path) -> Any:
    """The behaviour runs a comparison folder records (``omnisim compare --assumptions N``: the ``behaviour``,
    ``ranking`` and ``break_evens`` keys of ``decision.json``) as the fields the decision's sentences and tables
    read (``n``, ``replications``, ``summary``, ``ranking``, ``break_evens``); None when behaviour was not sampled."""
    path = folder / "decision.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("behaviour"), dict):
        return None
    from sim.experiments.behaviour import BREAK_EVEN_COLUMNS, RANKING_COLUMNS, SUMMARY_COLUMNS

    b = data["behaviour"]
    frame = lambda rows, cols: pd.DataFrame(rows or [], columns=list(cols))  # noqa: E731 - three tables alike
    return SimpleNamespace(n=b.get("draws"), replications=b.get("replications"), parameters=b.get("parameters", []),
                           summary=frame(b.get("kpis"), SUMMARY_COLUMNS),
                           ranking=frame(data.get("ranking"), RANKING_COLUMNS),
                           break_evens=frame(data.get("break_evens"), BREAK_EVEN_COLUMNS))


def _behaviour_section(sampled: Any, folder: Path) -> str:
    """Across plausible behaviour, on the first screen when behaviour was sampled: each deciding KPI's range across
    the draws beside the simulation's noise, with its verdict and driver; the tornado of the parameters behind the
    operating-margin gain; the break-evens. Empty otherwise."""
    if sampled is None or sampled.summary.empty:
        return ""
    from sim.outputs.decision import behaviour_table, break_even_sentence

    table = behaviour_table(sampled)
    rows = [[html.escape(str(v)) for v in r] for r in table.itertuples(index=False)]
    parts = ["<div id='behaviour'><h3>Across plausible behaviour</h3>",
             f"<p>Each setup was run on {sampled.n} sets of behavioural parameters drawn from the evidence's ranges "
             f"({len(sampled.parameters)} parameters, docs/reference/evidence-register.md), {sampled.replications} "
             "replications each on the same customers. <em>Across behaviour</em> is the lowest to the highest change "
             "over the draws; <em>noise</em> is the simulation's own sampling interval, kept apart. A gain or a loss "
             "is robust only when every draw shows it.</p>",
             _table(list(table.columns), rows, "behaviour-table", "change against the baseline at the scenario's "
                    "point values, across plausible behaviour, and the noise", sortable=True)]
    tornado = folder / "tornado.png"
    if tornado.is_file():
        parts.append(f"<figure><img id='tornado' src='{_data_uri(tornado)}' alt='What the operating-margin gain "
                     "depends on' data-file='tornado.png'><figcaption>What the operating-margin gain depends on: "
                     "each parameter's share of its spread across the draws (squared rank correlation; the line is "
                     "what an unrelated parameter reaches by chance)</figcaption></figure>")
    evens = [break_even_sentence(s[0].upper() + s[1:], b) for s, b in
             zip(sampled.break_evens["setup"], sampled.break_evens.itertuples(), strict=True)]
    if evens:
        parts.append("<h4>What must be true</h4><ul id='break-evens'>"
                     + "".join(f"<li>{html.escape(e)}</li>" for e in evens) + "</ul>")
    return "".join(parts) + "</div>"


def _decision(summary: pd.DataFrame, runs: pd.DataFrame | None, meta: Mapping[str, Any], workdir: Path,
              scenario: Mapping[str, Any] | None = None, sampled: Any = None) -> str:
    """The decision section's HTML (empty with a single setup): sentences, changes chart, table, payback;
    ``scenario``: the folder's scenario data, for the cautions on behaviour; ``sampled``: its behaviour runs
    (:func:`_sampled`), whose ranges open the sentences."""
    if summary["setup"].nunique() < 2:
        return ""
    from sim.outputs import plots
    from sim.outputs.decision import decision_summary

    level = meta.get("confidence") or infer_confidence(summary) or 0.95
    decision = decision_summary(summary, float(level), meta.get("horizon_days"), runs, costs=meta.get("costs"),
                                behaviour=scenario or None, assumptions=sampled, stores=_store_count(meta, scenario),
                                scenario=_setups_of(scenario))
    chart = plots.changes_chart(decision.changes, workdir / "changes.png") if len(decision.changes) else None
    return _decision_section(decision, _data_uri(chart) if chart else None)


def _decomposition_section(folder: Path, workdir: Path) -> str:
    """What drives the gain, on the first screen when the folder has ``decomposition.csv`` (``omnisim compare
    --decompose``): the operating margin's waterfall by capability and the table of its steps; empty otherwise."""
    path = folder / "decomposition.csv"
    if not path.is_file():
        return ""
    from sim.outputs import plots
    from sim.outputs.decision import fmt_number

    table = _csv(path, plots.DECOMPOSITION_COLUMNS)
    if table.empty:
        return ""
    kpi = "operating_margin" if (table["kpi"] == "operating_margin").any() else str(table["kpi"].iloc[0])
    chart = plots.waterfall(table, workdir / "waterfall.png", kpi)
    rows = table[(table["kpi"] == kpi) & (table["kind"].isin(["step", "total"]))]
    cells = [[html.escape(str(r.setup)), "total" if r.kind == "total" else str(int(r.step)), html.escape(str(r.label)),
              f"{fmt_number(r.change, 2)} [{fmt_number(r.change_low, 2)}; {fmt_number(r.change_high, 2)}] "
              f"{html.escape(str(r.change_unit))}"] for r in rows.itertuples()]
    base = html.escape(str(table["baseline"].iloc[0]))
    return ("<div id='decomposition'><h3>What drives the gain</h3>"
            f"<figure><img id='waterfall' src='{_data_uri(chart)}' alt='Waterfall of {html.escape(kpi)} by capability' "
            f"data-file='waterfall.png'><figcaption>{html.escape(label_of(kpi))} against {base}, split by capability: "
            "each capability switched on in turn, in a fixed order, on the same customers; the steps add up to the "
            "total. The split depends on the order where capabilities act together.</figcaption></figure>"
            + _table(["setup", "step", "capability", "change [interval]"], cells, "decomposition-table",
                     f"change of {label_of(kpi)} at each step against {base}") + "</div>")


# --------------------------------------------------------------------------------------------- the report
def _sweep_point(folder: Path, summary: pd.DataFrame, runs: pd.DataFrame | None, info: dict[str, Any],
                 point: int | None) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """One design point of a sweep folder's tables (summary and runs with a ``point`` column), its factor values
    added to ``info`` as run facts; :class:`ReportError` when no point is chosen among several, or an unknown one."""
    from sim.experiments.analysis import SUMMARY_COLUMNS

    points = sorted(int(p) for p in pd.unique(summary["point"]))
    if point is None:
        if len(points) > 1:
            raise ReportError(f"{folder}: a sweep folder with {len(points)} design points ({points[0]}–{points[-1]}, "
                              "listed in points.csv); choose one with --point N")
        point = points[0]
    if point not in points:
        raise ReportError(f"{folder}: no design point {point}; the sweep has points {points[0]}–{points[-1]}")
    rows = summary[summary["point"] == point]
    factors = {c: rows[c].iloc[0] for c in rows.columns if c not in SUMMARY_COLUMNS and c != "point"}
    summary = rows[list(SUMMARY_COLUMNS)].reset_index(drop=True)
    if runs is not None and "point" in runs.columns:
        runs = runs[runs["point"] == point][["setup", "replication", "kpi", "value"]].reset_index(drop=True)
    name = info.get("experiment") or info.get("scenario") or folder.name
    where = ", ".join(f"{k} = {v}" for k, v in factors.items())
    info["scenario"] = f"{name}, design point {point}" + (f" ({where})" if where else "")
    info["design point"] = f"{point} of {len(points)} (points {points[0]}–{points[-1]}: omnisim report --point N)"
    for k, v in factors.items():
        info[f"factor {k}"] = v
    days = info.pop("measured_days_by_point", None)
    old = info.pop("horizon_days_by_point", None)  # what folders written before issue 28 call it
    days = old if days is None else days
    if isinstance(days, dict) and str(point) in days:
        info["horizon_days"] = days[str(point)]
    return summary, runs, point


def write_report(results_dir: str | Path, out_html: str | Path | None = None,
                 meta: Mapping[str, Any] | None = None, point: int | None = None) -> Path:
    """Write a self-contained HTML report of a ``omnisim compare --out`` folder; return the HTML path.

    One file a consultant can send to a client: the decision first (changes, verdicts, payback, cautions), then
    the charts, the tables, the scenario and a glossary; charts are embedded, nothing is fetched when it opens.

    Parameters
    ----------
    results_dir : str or pathlib.Path
        The results folder (``omnisim compare --out``, ``sim.write_comparison``, or ``omnisim sweep --out``). It
        must hold ``summary.csv``; ``runs.csv``, the charts (every ``*.png``), ``scenario.yaml`` and
        ``meta.json`` are used when present.
    out_html : str or pathlib.Path, optional
        The HTML file to write. Default None: ``results_dir/report.html`` (``report-point-N.html`` for a sweep).
    meta : mapping, optional
        Run facts overriding ``meta.json``: ``scenario`` (name), ``seed``, ``version`` (default
        ``__version__``), ``confidence`` (a level in 0–1; inferred from the intervals when absent),
        ``replications``, ``horizon_days`` (measured days per replication: adds the return-on-investment section
        of ``sim.outputs.roi``), ``costs`` (a cost table for it) and any other scalar facts to list.
    point : int, optional
        For a sweep folder (a ``point`` column in its tables): the design point to report, needed when there are
        several; its factor values become run facts.

    Returns
    -------
    pathlib.Path
        The HTML file written.

    Raises
    ------
    FileNotFoundError
        The folder or its ``summary.csv`` is missing.
    ValueError
        A file of the folder that cannot be read (``ReportError``, one line naming the file): a summary without
        rows or with non-numeric columns, a sweep folder without ``point`` when it has several points, ``point``
        for a folder that is not a sweep's.

    See Also
    --------
    - ``sim.write_comparison`` : writes the folder.

    Examples
    --------
    A folder from ``sim.write_comparison`` (or ``omnisim compare --out``) has every chart and fact; this one
    holds the two tables only, the least the report reads:

    ```python
    from pathlib import Path

    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    summary, runs = sim.compare_runs(sc, setups=["multichannel", "omnichannel"], replications=2, seed=1)
    folder = Path("results/report-demo")
    folder.mkdir(parents=True, exist_ok=True)
    summary.to_csv(folder / "summary.csv", index=False)
    runs.to_csv(folder / "runs.csv", index=False)
    print(sim.write_report(folder, meta={"scenario": sc.name, "seed": 1, "replications": 2}))
    ```
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such results folder")
    for name in REQUIRED:
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name}: missing; run `omnisim compare --out {folder}` first")
    from sim.experiments.analysis import SUMMARY_COLUMNS

    summary = _csv(folder / "summary.csv", SUMMARY_COLUMNS)
    if point is not None and "point" not in summary.columns:
        raise ReportError(f"{folder}: --point is for a sweep folder; this one holds a single comparison")
    bad = [c for c in SUMMARY_COLUMNS[2:-1] if c in summary.columns and not pd.api.types.is_numeric_dtype(summary[c])
           and summary[c].notna().any()]
    if bad or summary.empty:
        raise ReportError(f"{folder / 'summary.csv'}: " + (f"column(s) {', '.join(bad)} must be numbers" if bad
                                                          else "no rows"))
    runs = _csv(folder / "runs.csv", ("setup", "replication", "kpi", "value")) if (folder / "runs.csv").is_file() \
        else None
    info = _read_meta(folder, meta)
    default_name = "report.html"
    sweep = "point" in summary.columns
    if sweep:
        summary, runs, point = _sweep_point(folder, summary, runs, info, point)
        default_name = f"report-point-{point}.html"
    scenario_text, scenario = _scenario_text(folder)
    if info.get("costs") is None and isinstance(scenario.get("costs"), dict):  # e.g. a sweep folder's scenario
        info["costs"], info["costs_from"] = scenario["costs"], info.get("costs_from") or "the scenario's costs"
    out = Path(out_html) if out_html is not None else folder / default_name
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".report-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        roi_html, roi_charts = _roi_section(summary, runs, info, work, scenario)
        sampled = None if sweep else _sampled(folder)
        decision_html = (_decision(summary, runs, info, work, scenario, sampled) + _behaviour_section(sampled, folder)
                         + _decomposition_section(folder, work))
        charts = [c for c in _charts(folder, roi_charts) if not (sweep and c[0].startswith("tornado-"))]
        page = _page(info, scenario, scenario_text, summary, runs, charts, roi_html,
                     decision_html, _breakdowns(folder))
        tmp = work / "report.html"
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        for p in work.iterdir():
            p.unlink()
        work.rmdir()
    return out


def _page(meta: Mapping[str, Any], scenario: Mapping[str, Any], scenario_text: str | None, summary: pd.DataFrame,
          runs: pd.DataFrame | None, charts: Sequence[tuple[str, str, str]], roi_html: str,
          decision_html: str, breakdowns: str = "") -> str:
    """The report: the decision first, then the charts of the mechanisms, the full tables, the glossary, the
    scenario and the run facts."""
    facts = _facts(meta, scenario, summary, runs)
    name = dict(facts)["scenario"]
    figures = "".join(f"<figure><img src='{uri}' alt='{html.escape(caption)}' data-file='{html.escape(fname)}'>"
                      f"<figcaption>{html.escape(caption)}</figcaption></figure>" for fname, caption, uri in charts)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>omnisim report: {name}</title><style>{CSS}</style></head><body>",
        f"<h1>Omnichannel simulation report: {name}</h1>",
        "<p class='note'>Discrete-event simulation of the same customers under each setup (common random numbers); "
        "every figure below was computed by the runs listed, none is assumed. KPI names link to the "
        "<a href='#glossary'>glossary</a>.</p>",
        "<section id='decision'><h2>What changes, and whether it pays</h2>",
        decision_html or "<p class='note'>One setup only: nothing to compare.</p>", "</section>",
        "<h2 id='mechanisms'>Behind the changes</h2>",
        figures or "<p class='note'>No chart in the results folder.</p>", breakdowns,
        "<h2 id='tables'>Full tables</h2><h3>KPIs by setup</h3>", _headline_table(summary),
        "<h3>Differences against the baseline</h3>", _differences_table(summary),
    ]
    if roi_html:
        parts += ["<h3>Return on investment</h3>", roi_html]
    parts += ["<h2 id='glossary'>Glossary</h2>", _glossary(),
              "<h2>Scenario</h2>",
              f"<pre id='scenario'>{html.escape(scenario_text)}</pre>" if scenario_text is not None else
              "<p class='note'>No scenario.yaml in the results folder.</p>",
              "<h2>Run</h2>", _table(["fact", "value"], facts, "meta-table"),
              "<h2>All figures</h2><details><summary>Summary table (summary.csv)</summary>",
              _frame_table(summary, "summary-table", "one row per setup and KPI"), "</details>"]
    if runs is not None:
        shown = runs.head(MAX_RUN_ROWS)
        note = f"first {MAX_RUN_ROWS} of {len(runs)} rows" if len(runs) > MAX_RUN_ROWS else f"{len(runs)} rows"
        parts += ["<details><summary>Replications (runs.csv)</summary>",
                  _frame_table(shown, "runs-table", f"one row per setup, replication and KPI; {note}"), "</details>"]
    parts += [f"<script>{SCRIPT}</script></body></html>"]
    return "\n".join(parts)
