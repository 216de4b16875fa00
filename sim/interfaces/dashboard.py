"""The dashboard for strategists and consultants (Panel): pick a library scenario or upload one, choose the setups
and the main levers, run the comparison in the background, read the decision and the charts, download the results.

``make dashboard`` (``python -m sim.interfaces.dashboard --port 5006``) serves it on 127.0.0.1; in a notebook,
``sim.interfaces.dashboard.Dashboard().view`` shows the same objects. The page never waits for a run: the comparison runs
in a thread of its own (its replications on local worker processes) and a periodic callback of the session
moves the progress bar and shows the results when they are ready. Every figure and table comes from the same
functions as ``omnisim compare`` and the HTML report: the results folder is :func:`sim.outputs.results.write_comparison`'s,
the report :func:`sim.outputs.report.write_report`'s.

The levers are changes to the chosen scenario, applied as dotted-path overrides (so the loader checks them and
names the field of any problem): an empty field keeps the scenario's value. The behaviour levers are the evidence
register's leading parameters (:data:`BEHAVIOUR_LEVERS`), each bounded by the range the scenario's runs use
(:func:`sim.scenario.assumptions.ranges`: the register's, or the scenario's own ``evidence:``) with that range, its
kind of evidence and the register's default beside it; they, and a preset of assumptions, are written in with
:func:`sim.scenario.assumptions.with_values` (balancing shares adjusted). "Plausible behaviours to sample" (N >= 2)
also runs every setup on N draws of the register's ranges (:func:`sim.compare_behaviour`, as ``omnisim compare
--assumptions N``): the results then show each deciding KPI's range across plausible behaviour beside the sampling
noise, the tornado and the break-evens. Every lever is also a URL query parameter
(``?scenario=default&days=2&replications=2&rec_accept=0.05&assumptions=8``), so a view can be bookmarked or sent.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn

import sim
from sim.core.kpis import KPI_BY_NAME, SHARE, label_of, unit_of
from sim.experiments.batch import cpus
from sim.experiments.staffing import check_targets
from sim.experiments.tables import kpi_table
from sim.outputs.decision import behaviour_table, fmt_parameter, fmt_value, payback_table
from sim.outputs.numbers import _digits
from sim.outputs.report import BREAKDOWN_KPIS
from sim.outputs.roi import SMALL_FIRM, orders_by_setup, payback_targets, scenario_costs
from sim.outputs.staffing import display_table, staffing_figure
from sim.scenario.assumptions import Range, preset_names, ranges, with_preset, with_values
from sim.scenario.evidence import values_at
from sim.scenario.schema import read_yaml
from sim.scenario.setups import resolve
from sim.scenario.userfiles import decode, load_yaml

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
"""The scenario library of a source checkout (``scenarios/*.yaml``); an installed package has none: upload one."""
UPLOADED = "(uploaded file)"
POLL_MS = 300
STAFF_REPLICATIONS = 10  # the staffing search's least cap: intervals simultaneous over the stores need a few
DEFAULT_DAYS = 7.0  # a first look in seconds to a minute; a decision wants the scenario's horizon and 10+ replications
BREAKDOWN_DIMENSIONS = ("store", "channel")
LABEL = "label" if "label" in pn.widgets.Select.param else "name"  # Panel 1.9 renamed a widget's caption
COLOUR = "color" if "color" in pn.widgets.Button.param else "button_type"  # ... and a button's style


BEHAVIOUR_LEVERS: tuple[tuple[str, str, str], ...] = (  # register path, URL query key, caption
    ("segments.*.recommendation_accept", "rec_accept", "Recommendation uptake (per recommendation shown)"),
    ("segments.*.restart_abandon_prob", "restart_abandon", "Gives up when the cart is lost"),
    ("segments.*.stockout_reaction.wait", "stockout_wait", "Waits for a missing item"),
    ("fulfilment.pickup_extra_purchase_prob", "pickup_extra", "Extra purchase at pickup"),
    ("segments.*.stock_view_to_store_prob", "view_to_store", "Goes to the store when the web shows its stock"),
    ("segments.*.stock_view_skip_trip_prob", "view_skip_trip", "Skips the trip when the web shows none"),
)
"""The evidence register's leading parameters (what moves the gain most), offered as levers."""
OWN_VALUES = "the scenario's own values"
"""The preset selector's choice that keeps the scenario's behavioural values (the others: :func:`preset_names`)."""
DEFAULT_BREAK_EVENS = 3


def _widget(cls: Any, label: str, **params: Any) -> Any:
    """A widget captioned ``label`` on any Panel from 1.4 on (``name`` before 1.9, ``label`` since)."""
    return cls(**{LABEL: label}, **params)


# --------------------------------------------------------------------------------------------- scenarios
def library() -> dict[str, Path]:
    """Library scenario name (file stem) -> path, the default first."""
    files = sorted(LIBRARY.glob("*.yaml")) if LIBRARY.is_dir() else []
    return dict(sorted(((p.stem, p) for p in files), key=lambda kv: (kv[0] != "default", kv[0])))


def read_upload(data: bytes, filename: str) -> dict[str, Any]:
    """The mapping of an uploaded YAML scenario, validated as it stands; raise :class:`sim.ScenarioError` with one
    line per problem, each prefixed with the file name (the loader's messages, as ``omnisim validate`` prints)."""
    # the CLI's reader of user files: size cap, binary and encodings, duplicate keys, bounded aliases
    raw = load_yaml(decode(data, filename, "scenario", sim.ScenarioError), filename, sim.ScenarioError)
    try:
        sim.scenario_from_dict(raw)
    except sim.ScenarioError as exc:
        raise sim.ScenarioError([f"{filename}: {p}" for p in exc.problems]) from None
    return raw


@dataclass
class Levers:
    """The main levers, as changes to a scenario; None keeps the scenario's value."""

    staff_change: int = 0                 # floor staff added to (or taken from) every store; at least 1 remains
    stock_cover_days: float | None = None  # stores' order-up-to level in days of demand (stores that use days)
    sync_interval_min: float | None = None  # cross-channel's stale stock sync period
    reminders: bool = True                # abandoned-cart reminders where a setup sends them
    chatbot: bool = True                  # the chatbot where a setup has one
    days: float | None = None             # days measured (after the warm-up)
    customers_per_day: float | None = None
    preset: str | None = None             # a preset of assumptions (sim.scenario.assumptions.preset_names())
    behaviour: dict[str, float] = field(default_factory=dict)  # register path -> value, over the preset


def evidence_text(rng: Range) -> str:
    """What a behaviour lever shows beside it: the range the runs use, its kind of evidence, the default."""
    unit = rng.entry.unit
    whose = "this scenario's evidence" if rng.own else "evidence"
    return (f"{whose}: {fmt_parameter(rng.low, unit)}–{fmt_parameter(rng.high, unit)} ({rng.kind}); "
            f"default {fmt_parameter(rng.default, unit)}")


def scenario_value(scenario: Any, path: str, unit: str) -> str:
    """The scenario's value of a register path, for people: one value, or the lowest to the highest over items."""
    vals = sorted({float(v) for v in values_at(scenario.model_dump(mode="json"), path)})
    if not vals:
        return "–"
    if len(vals) == 1:
        return fmt_parameter(vals[0], unit)
    return f"{fmt_parameter(vals[0], unit)}–{fmt_parameter(vals[-1], unit)}"


def check_behaviour(scenario: Any, values: dict[str, float]) -> None:
    """Raise ScenarioError, one line per value, for a behaviour lever outside the range the scenario's runs use
    (:func:`sim.scenario.assumptions.ranges`) or for a parameter this scenario has no field for."""
    known = ranges(scenario)
    problems = []
    for path, value in values.items():
        rng = known.get(path)
        if rng is None:
            problems.append(f"{path}: this scenario has no field for this parameter; leave it empty")
        elif not rng.low - 1e-12 <= value <= rng.high + 1e-12:
            problems.append(f"{path}: {value:g} is outside the evidence's range; allowed: {rng.low:g} to "
                            f"{rng.high:g} ({rng.kind})")
    if problems:
        raise sim.ScenarioError(problems)


def lever_overrides(scenario: Any, levers: Levers, setups: Sequence[str]) -> dict[str, Any]:
    """The dotted-path overrides that apply ``levers`` to ``scenario`` for a comparison of ``setups``."""
    out: dict[str, Any] = {}
    for i, store in enumerate(scenario.stores):
        if levers.staff_change and store.staff is not None:
            out[f"stores.{i}.staff"] = max(1, store.staff + levers.staff_change)
        if levers.stock_cover_days is not None and store.replenishment.order_up_to_days is not None:
            out[f"stores.{i}.replenishment.order_up_to_days"] = levers.stock_cover_days
    if levers.sync_interval_min is not None:
        out["fulfilment.sync_interval_min"] = levers.sync_interval_min
    for name in setups:
        caps = resolve(scenario, name)
        if not levers.reminders and caps.cart_reminders:
            out[f"setups.{name}.cart_reminders"] = False
        if not levers.chatbot and caps.chatbot:
            out[f"setups.{name}.chatbot"] = False
    if levers.days is not None:
        out["horizon_days"] = scenario.warmup_days + levers.days
    if levers.customers_per_day is not None:
        out["customers_per_day"] = levers.customers_per_day
    return out


def lever_scenario(data: dict[str, Any], scenario: Any, levers: Levers,
                   setups: Sequence[str]) -> tuple[Any, list[str]]:
    """The scenario ``levers`` describe, from the scenario's plain ``data`` (``scenario`` is it loaded): the
    dotted-path overrides of :func:`lever_overrides` checked by the loader, then the preset of assumptions, then
    the behaviour levers (register paths, every item a ``*`` names, balancing shares adjusted), each checked
    against the evidence's range. Returns it with the changes as recorded in the results (``meta.json``'s
    ``overrides``). Raises ScenarioError naming the field of any problem."""
    overrides = lever_overrides(scenario, levers, setups)
    out = sim.scenario_from_dict(data, overrides)
    record = [f"{k}={json.dumps(v)}" for k, v in overrides.items()]
    if levers.preset:
        out = with_preset(out, levers.preset)
        record.append(f"assumptions preset: {levers.preset}")
    if levers.behaviour:
        check_behaviour(out, levers.behaviour)
        out = with_values(out, levers.behaviour)
        record += [f"{k}={json.dumps(v)}" for k, v in levers.behaviour.items()]
    return out, record


OWN_COSTS = "the scenario's costs"


def costs_text(scenario: Any, preset: str | None = None) -> str:
    """The cost items a comparison of ``scenario`` is priced with (its ``costs:``, else the small-firm preset; or
    ``preset``), one line each with its ranges and source, for the page: what the payback sets against the gain."""
    items = scenario_costs(scenario, preset)
    where = (f"preset {preset}" if preset else "the scenario's costs: section" if scenario.costs
             else f"preset {SMALL_FIRM} (the scenario has no costs: section)")
    n = len(scenario.stores)

    def rng(r: dict[str, float], unit: str = "€") -> str:
        return f"{fmt_value(r['low'], unit)}–{fmt_value(r['high'], unit)}"

    lines = []
    for it in items.values():
        parts = [f"{label} {rng(it[k1][k2])}" for k1, k2, label in (
            ("one_off", "fixed", "one-off"), ("one_off", "per_store", "one-off per store"),
            ("running", "per_year", "a year"), ("running", "per_store_per_year", "a year per store"),
            ("running", "per_order", "per order")) if it[k1][k2]["high"] > 0]
        if it.get("share_of_systems"):
            parts.append(f"{rng(it['share_of_systems'], SHARE)} of the systems' one-off")
        systems = "any new system" if it["systems"] == "any" else ", ".join(it["systems"])
        lines.append(f"- **{it['label']}** ({systems}): {'; '.join(parts) or 'nothing'}. *{it['kind']}*: "
                     f"{it['source']}")
    return f"Priced with {where}, for {n} stores:\n\n" + "\n".join(lines)


# --------------------------------------------------------------------------------------------- runs
@dataclass
class Job:
    """A comparison running in a thread of its own: the session polls ``done``/``total`` and ``finished``."""

    total: int
    done: int = 0
    finished: bool = False
    error: list[str] = field(default_factory=list)
    folder: Path | None = None
    decision: Any = None
    summary: pd.DataFrame | None = None
    roi_png: bytes | None = None
    report: Path | None = None
    thread: threading.Thread | None = None
    assumptions: int = 0                  # plausible behaviours sampled after the comparison (0: none)
    sampling: bool = False                # the behaviour runs are under way (no count: the bar spins)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total


def sample_behaviour(scenario: Any, setups: Sequence[str], n: int, replications: int, seed: int, workers: int,
                     break_evens: int = DEFAULT_BREAK_EVENS, costs: Any = None,
                     orders: dict[str, float] | None = None) -> Any:
    """``omnisim compare --assumptions n``'s runs: :func:`sim.compare_behaviour` with its break-evens aimed at a
    12-month payback when the measured days are whole weeks, at a zero operating-margin gain otherwise."""
    measured = scenario.horizon_days - scenario.warmup_days
    targets = payback_targets(scenario, list(setups), measured, costs, orders=orders)
    criterion = "payback within 12 months" if targets else "operating-margin gain of zero"
    return sim.compare_behaviour(scenario, list(setups), n, replications, seed, workers, targets=targets,
                                 criterion=criterion, break_evens=break_evens)


def run_comparison(scenario: Any, setups: Sequence[str], replications: int, seed: int, workers: int,
                   folder: Path, job: Job, overrides: Sequence[str] = (), break_evens: int = DEFAULT_BREAK_EVENS,
                   costs: Any = None) -> None:
    """Run the comparison into ``folder`` (the ``omnisim compare --out`` folder, plus ``report.html``), recording
    progress and outcome in ``job``; with ``job.assumptions`` >= 2, also the behaviour runs
    (:func:`sample_behaviour`), written into the same folder. Meant for a background thread: it never raises."""
    try:
        results = sim.replicate_results(scenario, list(setups), replications, seed, workers, on_result=job.progress)
        behaviour = None
        if job.assumptions:
            job.sampling = True
            orders = orders_by_setup(kpi_table(results))
            behaviour = sample_behaviour(scenario, setups, job.assumptions, replications, seed, workers, break_evens,
                                         costs, orders)
            job.sampling = False
        decision, summary, _ = sim.write_comparison(scenario, results, folder, replications=replications, seed=seed,
                                                file=f"dashboard: {scenario.name}", overrides=overrides,
                                                behaviour=behaviour, costs=costs,
                                                costs_from=f"preset {costs} (dashboard)" if costs else "")
        if decision.payback is not None and len(decision.payback):
            job.roi_png = sim.roi_chart_figure(decision.payback).png()
        job.report = sim.write_report(folder)
        job.folder, job.decision, job.summary = folder, decision, summary
    except Exception as exc:  # noqa: BLE001 - shown in the page, never a dead session
        job.error = page_errors(exc, "the run")
    finally:
        job.finished = True


def page_errors(exc: Exception, what: str) -> list[str]:
    """The lines a failed background job shows in the page: a batch error's first line, a scenario's problems, or
    what failed and why."""
    if isinstance(exc, sim.BatchError):
        return [str(exc).splitlines()[0]]
    if isinstance(exc, sim.ScenarioError | ValueError):
        return list(getattr(exc, "problems", [str(exc)]))
    return [f"{what} failed: {exc.__class__.__name__}: {exc}"]


@dataclass
class StaffJob:
    """A per-store staffing search (:func:`sim.staff_per_store`) in a thread of its own: the session polls
    ``finished`` and shows ``step``, the search's last staffing tried."""

    finished: bool = False
    step: str = ""
    error: list[str] = field(default_factory=list)
    plan: Any = None
    png: bytes | None = None
    thread: threading.Thread | None = None


def run_staffing(scenario: Any, setup: str, target: float, replications: int, seed: int, workers: int,
                 job: StaffJob) -> None:
    """``omnisim staff``'s search for a store service level ``target`` in every store, recording its steps and
    outcome (the plan and its chart) in ``job``. Meant for a background thread: it never raises."""
    try:
        plan = sim.staff_per_store(scenario, setup, {"store_service_level": target},
                                   min_replications=min(5, replications), max_replications=replications, seed=seed,
                                   workers=workers, on_step=lambda text: setattr(job, "step", text))
        job.png = staffing_figure(plan).png()
        job.plan = plan
    except Exception as exc:  # noqa: BLE001 - shown in the page, never a dead session
        job.error = page_errors(exc, "the staffing search")
    finally:
        job.finished = True


def staffing_panes(plan: Any, png: bytes | None) -> list[Any]:
    """The per-store staffing answer: its sentences (staff exclude cashiers), the table and the chart."""
    lines = "\n".join(f"- {line}" for line in plan.lines())
    out: list[Any] = [pn.pane.Markdown(f"## Staff per store\n{lines}", css_classes=["omnisim-staffing"]),
                      pn.pane.DataFrame(display_table(plan), index=False, css_classes=["omnisim-staffing-table"])]
    if png:
        out.append(_png(png, "staffing"))
    return out


def zip_folder(folder: Path) -> io.BytesIO:
    """The results folder as a zip archive in memory (files under the folder's name)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, Path(folder.name) / path.relative_to(folder))
    buf.seek(0)
    return buf


def people_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A breakdown as the report shows it, for a Tabulator: shares as percentages, each KPI titled with its label and
    unit, 3 significant figures at the column's scale with thousands separated; the cells stay numbers, so that a
    click still sorts them by value. Returns the frame to show and the Tabulator's ``titles`` and ``formatters``."""
    out = frame.copy()
    titles, formatters = {}, {}
    for col in frame.columns:
        if col not in KPI_BY_NAME or not pd.api.types.is_numeric_dtype(frame[col]):
            continue
        unit = unit_of(col)
        if unit == SHARE:
            out[col] = 100 * frame[col]
            unit = "%"
        top = float(out[col].abs().max())
        decimals = min(3, max(0, _digits(top, 3))) if math.isfinite(top) and top > 0 else 0
        titles[col] = label_of(col) if unit in ("count", "") else f"{label_of(col)} ({unit})"
        formatters[col] = {"type": "money", "thousand": ",", "symbol": "", "precision": decimals}
    return out, {"titles": titles, "formatters": formatters}


def breakdown_frame(folder: Path, dimension: str) -> pd.DataFrame:
    """Means over replications of the report's breakdown KPIs for one dimension: a row per setup and member."""
    frame = pd.read_csv(folder / "breakdown.csv")
    rows = frame[frame["dimension"] == dimension]
    if rows.empty:
        return pd.DataFrame()
    means = rows.groupby(["setup", "member", "kpi"], sort=False)["value"].mean().unstack("kpi")
    cols = [k for k in BREAKDOWN_KPIS.get(dimension, ()) if k in means.columns]
    out = means[cols].reset_index().rename(columns={"member": dimension})
    return out.round(3)


# --------------------------------------------------------------------------------------------- the page
def _png(data: bytes, name: str) -> pn.pane.PNG:
    return pn.pane.PNG(data, name=name, sizing_mode="scale_width", max_width=1100, css_classes=["omnisim-chart"])


class Dashboard:
    """The dashboard's widgets, callbacks and layout for one session (``.view``)."""

    def __init__(self, results_root: Path | None = None):


        self.results_root = results_root or Path(tempfile.gettempdir()) / "omnisim-dashboard"
        self.session = uuid.uuid4().hex[:8]
        self.runs = 0
        self.job: Job | None = None
        self.uploaded: dict[str, Any] | None = None
        self._poll: Any = None
        names = list(library())
        w = pn.widgets
        self.scenario = _widget(w.Select, "Scenario", options=[*names, UPLOADED], value=names[0] if names else UPLOADED)
        self.upload = _widget(w.FileInput, "Upload a scenario", accept=".yaml,.yml", multiple=False)
        self.setups = _widget(w.MultiChoice, "Setups (the first is the baseline)", options=[], value=[])
        self.staff = _widget(w.IntSlider, "Staff per store (change)", start=-3, end=6, value=0)
        self.stock = _widget(w.FloatInput, "Store stock cover (days)", value=None, start=0.5, end=90, step=0.5)
        self.sync = _widget(w.FloatInput, "Sync interval, cross-channel (min)", value=None, start=1, step=15)
        self.reminders = _widget(w.Checkbox, "Abandoned-cart reminders (where a setup sends them)", value=True)
        self.chatbot = _widget(w.Checkbox, "Chatbot (where a setup has one)", value=True)
        self.replications = _widget(w.IntSlider, "Replications", start=2, end=30, value=3)
        self.days = _widget(w.FloatInput, "Days measured", value=DEFAULT_DAYS, start=0.25, step=1)
        self.customers = _widget(w.FloatInput, "Customers per day", value=None, start=10, step=100)
        self.seed = _widget(w.IntInput, "Seed", value=0, start=0)
        self.preset = _widget(w.Select, "Assumptions preset", options=[OWN_VALUES, *preset_names()], value=OWN_VALUES)
        self.costs = _widget(w.Select, "Costs of the systems", options=[OWN_COSTS, SMALL_FIRM], value=OWN_COSTS)
        self.costs_text = pn.pane.Markdown("", css_classes=["omnisim-costs"], margin=(-8, 10, 4, 10))
        self.behaviour = {path: _widget(w.FloatInput, caption, value=None, step=0.01)
                          for path, _, caption in BEHAVIOUR_LEVERS}
        self.evidence = {path: pn.pane.Markdown("", css_classes=["omnisim-evidence"], margin=(-12, 10, 4, 10))
                         for path, _, _ in BEHAVIOUR_LEVERS}
        self.assumptions = _widget(w.IntInput, "Plausible behaviours to sample (0 = off, else 2 or more)", value=0,
                                   start=0, end=256)
        self.break_evens = _widget(w.IntInput, "Break-evens per setup (with behaviours sampled)",
                                   value=DEFAULT_BREAK_EVENS, start=0, end=5)
        self.workers = _widget(w.IntInput, "Worker processes", value=min(2, cpus()), start=1, end=max(1, cpus()))
        self.run = _widget(w.Button, "Run the comparison", css_classes=["omnisim-run"], **{COLOUR: "primary"})
        self.staff_setup = _widget(w.Select, "Setup to staff", options=[], value=None)
        self.staff_target = _widget(w.FloatInput, "Store service level to hold in every store", value=0.8,
                                    start=0.01, end=0.99, step=0.05)
        self.staff_run = _widget(w.Button, "Choose staff per store", css_classes=["omnisim-staff-run"])
        self.staff_job: StaffJob | None = None
        self._staff_poll: Any = None
        self.progress = pn.indicators.Progress(value=0, max=1, visible=False, sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("", css_classes=["omnisim-status"])
        self.messages = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["omnisim-messages"])
        self.results = pn.Column(pn.pane.Markdown(INTRO), sizing_mode="stretch_width")
        self.scenario.param.watch(self._scenario_changed, "value")
        self.upload.param.watch(self._uploaded, "value")
        self.costs.param.watch(self._scenario_changed, "value")
        self.run.on_click(self._start)
        self.staff_run.on_click(self._start_staffing)
        self._scenario_changed()
        controls = pn.Column(
            pn.pane.Markdown("### Scenario"), self.scenario, self.upload, self.setups,
            pn.pane.Markdown("### Levers"), self.staff, self.stock, self.sync, self.reminders, self.chatbot,
            pn.pane.Markdown("### Behaviour (evidence register)", css_classes=["omnisim-behaviour-levers"]),
            self.preset, *[x for path, _, _ in BEHAVIOUR_LEVERS for x in (self.behaviour[path], self.evidence[path])],
            pn.pane.Markdown("### Costs (payback)"), self.costs, self.costs_text,
            pn.pane.Markdown("### Runs"), self.replications, self.days, self.customers, self.seed, self.workers,
            self.assumptions, self.break_evens, self.run, self.progress, self.status,
            pn.pane.Markdown("### Staff per store (staff exclude cashiers)"), self.staff_setup, self.staff_target,
            self.staff_run, width=330)
        self.view = pn.Row(controls, pn.Column(self.messages, self.results, sizing_mode="stretch_width"),
                           sizing_mode="stretch_width")

    # ----------------------------------------------------------------------------------- scenario and levers
    def sync_url(self) -> None:
        """Keep the levers in the URL's query (bookmarkable; also how a test or a link sets them)."""
        loc = pn.state.location
        if loc is None:
            return
        for widget, key in ((self.scenario, "scenario"), (self.staff, "staff"), (self.stock, "stock_days"),
                            (self.sync, "sync_min"), (self.reminders, "reminders"), (self.chatbot, "chatbot"),
                            (self.replications, "replications"), (self.days, "days"),
                            (self.customers, "customers"), (self.seed, "seed"), (self.workers, "workers"),
                            (self.setups, "setups"), (self.preset, "preset"), (self.assumptions, "assumptions"),
                            (self.break_evens, "break_evens"), (self.costs, "costs"),
                            *((self.behaviour[path], key) for path, key, _ in BEHAVIOUR_LEVERS)):
            loc.sync(widget, {"value": key})

    def _base(self) -> tuple[Any, dict[str, Any] | Path]:
        """The chosen scenario as loaded, and where it comes from (an uploaded mapping or a library file)."""
        if self.scenario.value == UPLOADED:
            if self.uploaded is None:
                raise sim.ScenarioError(["no scenario uploaded yet: choose a file with 'Upload a scenario'"])
            return sim.scenario_from_dict(self.uploaded), self.uploaded
        path = library()[self.scenario.value]
        return sim.load_scenario(path), path

    def _scenario_changed(self, *_: Any) -> None:
        try:
            scenario = self._base()[0]
        except sim.ScenarioError as exc:
            self._show_messages(exc.problems)
            return
        self._show_messages([])
        names = sim.available_setups(scenario)
        keep = [s for s in self.setups.value if s in names]
        self.setups.options = names
        self.setups.value = keep or names[:3]
        self.staff_setup.options = names
        if self.staff_setup.value not in names:
            self.staff_setup.value = "omnichannel" if "omnichannel" in names else names[-1]
        store = scenario.stores[0] if scenario.stores else None
        cover = store.replenishment.order_up_to_days if store else None
        self.stock.placeholder = f"as in the scenario ({cover:g})" if cover is not None else "as in the scenario"
        self.sync.placeholder = f"as in the scenario ({scenario.fulfilment.sync_interval_min:g})"
        self.customers.placeholder = f"as in the scenario ({scenario.customers_per_day:g})"
        self.days.placeholder = f"as in the scenario ({scenario.horizon_days - scenario.warmup_days:g})"
        known = ranges(scenario)
        for path in self.behaviour:
            widget, text, rng = self.behaviour[path], self.evidence[path], known.get(path)
            widget.visible = text.visible = rng is not None
            if rng is None:  # this scenario has no field for it (e.g. no segment reacts to a stockout)
                continue
            if widget.value is not None and not rng.low <= widget.value <= rng.high:
                widget.value = None
            widget.start, widget.end = rng.low, rng.high
            widget.step = max((rng.high - rng.low) / 50.0, 1e-4)
            widget.placeholder = f"as in the scenario ({scenario_value(scenario, path, rng.entry.unit)})"
            text.object = evidence_text(rng)
        self.costs_text.object = costs_text(scenario, None if self.costs.value == OWN_COSTS else self.costs.value)
        self.status.object = f"**{scenario.name}**: {scenario.description.strip()}"

    def _uploaded(self, event: Any) -> None:
        if not event.new:
            return
        name = self.upload.filename or "uploaded.yaml"
        try:
            self.uploaded = read_upload(event.new, name)
        except sim.ScenarioError as exc:
            self.uploaded = None
            self._show_messages(exc.problems, title=f"{name} cannot be used")
            return
        if self.scenario.value == UPLOADED:
            self._scenario_changed()
        else:
            self.scenario.value = UPLOADED

    def _show_messages(self, lines: Sequence[str], title: str = "The scenario has problems") -> None:
        if not lines:
            self.messages.visible = False
            self.messages.object = ""
            return
        self.messages.object = f"**{title}** (one line per problem):\n\n" + "\n".join(f"- `{ln}`" for ln in lines)
        self.messages.visible = True

    def levers(self) -> Levers:
        return Levers(staff_change=int(self.staff.value), stock_cover_days=self.stock.value,
                      sync_interval_min=self.sync.value, reminders=bool(self.reminders.value),
                      chatbot=bool(self.chatbot.value), days=self.days.value,
                      customers_per_day=self.customers.value,
                      preset=None if self.preset.value == OWN_VALUES else self.preset.value,
                      behaviour={path: float(w.value) for path, w in self.behaviour.items()
                                 if w.visible and w.value is not None})

    # ----------------------------------------------------------------------------------- running
    def _start(self, *_: Any) -> None:
        if self.job is not None and not self.job.finished:
            return
        setups = list(self.setups.value)
        try:
            base, source = self._base()
            if not setups:
                raise sim.ScenarioError(["setups: choose at least one setup (the first is the baseline)"])
            assumptions = int(self.assumptions.value or 0)
            if assumptions and len(setups) < 2:
                raise sim.ScenarioError(["assumptions: the behaviour spread is of changes between setups; choose "
                                         "at least two setups or set 0 (off)"])
            if assumptions == 1 or assumptions < 0:
                raise sim.ScenarioError([f"assumptions: {assumptions} plausible behaviours; allowed: 0 (off) or an "
                                         "integer >= 2 (a spread needs at least two sets of behaviour)"])
            data = source if isinstance(source, dict) else read_yaml(source)
            scenario, record = lever_scenario(data, base, self.levers(), setups)
        except sim.ScenarioError as exc:
            self._show_messages(exc.problems)
            return
        self._show_messages([])
        self.runs += 1
        folder = self.results_root / self.session / f"run-{self.runs}"
        reps = int(self.replications.value)
        self.job = job = Job(total=len(setups) * reps, assumptions=assumptions)
        job.thread = threading.Thread(target=run_comparison, name=f"omnisim-{self.session}-{self.runs}", daemon=True,
                                      args=(scenario, setups, reps, int(self.seed.value or 0),
                                            int(self.workers.value or 1), folder, job, record,
                                            int(self.break_evens.value or 0),
                                            None if self.costs.value == OWN_COSTS else self.costs.value))
        self.run.disabled = True
        self.progress.value, self.progress.max, self.progress.visible = 0, job.total, True
        then = f", then every setup on {assumptions} plausible behaviours" if assumptions else ""
        self.status.object = f"Running {job.total} replications of **{scenario.name}**{then} in the background..."
        job.thread.start()
        self._poll = pn.state.add_periodic_callback(self._check, period=POLL_MS)

    def _check(self) -> None:
        job = self.job
        if job is None:
            return
        self.progress.max = max(1, job.total)
        if job.sampling:  # the behaviour runs report no count: the bar spins
            self.progress.value = -1
            self.status.object = (f"{job.total} replications done; now running every setup on {job.assumptions} "
                                  "plausible behaviours (and the break-evens)...")
        else:
            self.progress.value = min(job.done, job.total)
            self.status.object = f"{job.done} of {job.total} replications done"
        if not job.finished:
            return
        if self._poll is not None:
            self._poll.stop()
            self._poll = None
        self.run.disabled = False
        self.progress.visible = False
        if job.error:
            self._show_messages(job.error, title="The comparison could not run")
            self.status.object = "The run failed: see the message."
            return
        sampled = f" and {job.assumptions} plausible behaviours" if job.assumptions else ""
        self.status.object = f"Done: {job.total} replications{sampled}. Results folder: `{job.folder}`"
        self.results.objects = self._result_panes(job)

    def _start_staffing(self, *_: Any) -> None:
        """Choose the floor staff per store (the levers, days, customers, replications and seed of the page) in
        the background; the session's poll shows the search's steps and then the table."""
        if (self.job is not None and not self.job.finished) or (self.staff_job is not None
                                                                  and not self.staff_job.finished):
            return
        setup = self.staff_setup.value
        try:
            base, source = self._base()
            check_targets({"store_service_level": self.staff_target.value})
            data = source if isinstance(source, dict) else read_yaml(source)
            scenario, _record = lever_scenario(data, base, self.levers(), [setup])
        except sim.ScenarioError as exc:
            self._show_messages(exc.problems)
            return
        except ValueError as exc:
            self._show_messages([str(exc)])
            return
        self._show_messages([])
        self.staff_job = job = StaffJob()
        job.thread = threading.Thread(target=run_staffing, name=f"omnisim-{self.session}-staff", daemon=True,
                                      args=(scenario, setup, float(self.staff_target.value),
                                            max(STAFF_REPLICATIONS, int(self.replications.value)),
                                            int(self.seed.value or 0),
                                            int(self.workers.value or 1), job))
        self.run.disabled = self.staff_run.disabled = True
        self.status.object = (f"Choosing the staff of each store of **{scenario.name}** under {setup} (up to "
                              f"{max(STAFF_REPLICATIONS, int(self.replications.value))} replications a staffing)...")
        job.thread.start()
        self._staff_poll = pn.state.add_periodic_callback(self._check_staffing, period=POLL_MS)

    def _check_staffing(self) -> None:
        job = self.staff_job
        if job is None:
            return
        if job.step:
            self.status.object = f"Staffing search: {job.step}"
        if not job.finished:
            return
        if self._staff_poll is not None:
            self._staff_poll.stop()
            self._staff_poll = None
        self.run.disabled = self.staff_run.disabled = False
        if job.error:
            self._show_messages(job.error, title="The staffing search could not run")
            self.status.object = "The staffing search failed: see the message."
            return
        self.status.object = "Done: staff per store below."
        self.results.objects = staffing_panes(job.plan, job.png)

    # ----------------------------------------------------------------------------------- results
    def _result_panes(self, job: Job) -> list[Any]:
        assert job.folder is not None and job.decision is not None
        folder, decision = job.folder, job.decision
        chart = {p.name: p.read_bytes() for p in folder.glob("*.png")}
        sentences = "\n".join(f"- {s}" for s in decision.sentences)
        out: list[Any] = [
            pn.pane.Markdown(f"## The decision\n{sentences}", css_classes=["omnisim-summary"]),
        ]
        if "changes.png" in chart:
            out.append(_png(chart["changes.png"], "changes"))
        out.append(pn.pane.DataFrame(decision.table(), index=False, css_classes=["omnisim-decision-table"]))
        if decision.behaviour is not None:
            out += self._behaviour_panes(decision.behaviour, chart.get("tornado.png"))
        out.append(pn.pane.Markdown("## Payback"))
        if decision.payback is not None and len(decision.payback):
            # the report's first-screen table, cell for cell (sim.outputs.decision.payback_table)
            out.append(pn.pane.DataFrame(payback_table(decision.payback), index=False, escape=True,
                                         css_classes=["omnisim-payback-table"]))
            if job.roi_png:
                out.append(_png(job.roi_png, "payback"))
        elif decision.changes.empty and job.summary is not None and job.summary.attrs.get("note"):
            out.append(pn.pane.Markdown(f"No payback: {job.summary.attrs['note']}."))
        else:
            out.append(pn.pane.Markdown("No payback: the comparison has no margin to set against costs."))
        for name, heading in (("kpis.png", "## Headline KPIs"), ("differences.png", "## Paired differences")):
            if name in chart:
                out += [pn.pane.Markdown(heading), _png(chart[name], name.removesuffix(".png"))]
        out.append(pn.pane.Markdown("## By store and channel"))
        for dim in BREAKDOWN_DIMENSIONS:
            frame, columns = people_table(breakdown_frame(folder, dim))
            if len(frame):
                out += [pn.pane.Markdown(f"### By {dim} (means over replications; click a column to sort)"),
                        pn.widgets.Tabulator(frame, disabled=True, show_index=False, pagination="local",
                                             page_size=12, sizing_mode="stretch_width", **columns)]
        for name in ("channel_flows.png", "queue_waits.png", "funnel.png", "stock_over_time.png"):
            if name in chart:
                out.append(_png(chart[name], name.removesuffix(".png")))
        out.append(pn.pane.Markdown("## Downloads"))
        out.append(pn.Row(
            pn.widgets.FileDownload(callback=lambda: zip_folder(folder), filename=f"omnisim-{folder.name}.zip",
                                    label="Results folder (zip)", **{COLOUR: "success"}),
            pn.widgets.FileDownload(file=str(job.report), filename="omnisim-report.html",
                                    label="HTML report", embed=False, **{COLOUR: "success"})))
        return out

    @staticmethod
    def _behaviour_panes(result: Any, tornado: bytes | None) -> list[Any]:
        """The ranges across plausible behaviour: the table (point values, range, noise, verdict, driver), the
        tornado of what drives the operating-margin gain, and the parameters drawn with their ranges."""
        params = "; ".join(f"{p.entry.path} {fmt_parameter(p.low, p.entry.unit)}–{fmt_parameter(p.high, p.entry.unit)}"
                           f" ({p.kind})" for p in result.parameters)
        out: list[Any] = [
            pn.pane.Markdown(
                f"## Across plausible behaviour\n{result.n} sets of behaviour drawn from the evidence's ranges "
                f"(a Latin hypercube), {result.replications} replications each, on the same customers. *Across "
                "behaviour* is the lowest to the highest change over the draws (what the evidence leaves open); "
                "*noise* is the simulation's own sampling interval at one set of behaviour. A KPI whose range "
                "crosses zero is never called a gain or a loss.", css_classes=["omnisim-behaviour"]),
            pn.pane.DataFrame(behaviour_table(result), index=False, css_classes=["omnisim-behaviour-table"])]
        if tornado:
            out += [pn.pane.Markdown("### What the operating-margin gain depends on"), _png(tornado, "tornado")]
        out.append(pn.pane.Markdown(f"Parameters drawn: {params}.", css_classes=["omnisim-behaviour-parameters"]))
        return out


INTRO = """## What would each setup do for this retailer?
Choose a scenario from the library (or upload your own YAML file), the setups to compare (the first is the
baseline) and the levers, then **Run the comparison**. The same simulated customers are replayed under every setup,
so the differences are paired. The run goes on in the background; the decision, the charts and the breakdowns
appear here when it is done, with the results folder and the HTML report to download.

Empty lever fields keep the scenario's own values. The behaviour levers are bounded by their evidence's range (shown
under each); "Plausible behaviours to sample" also runs every setup on that many draws of the evidence's ranges, so
the answer shows what the evidence leaves open beside the simulation's own noise. A few days and replications give a
first look in seconds; a decision wants the scenario's full horizon and 10 or more replications."""


def app() -> pn.viewable.Viewable:
    """One session's page (what ``panel serve`` or :func:`serve` shows)."""
    pn.extension("tabulator", notifications=False)
    board = Dashboard()
    board.sync_url()
    return board.view


def serve(port: int = 5006, address: str = "127.0.0.1", show: bool = False) -> None:
    """Serve the dashboard on ``address:port`` until interrupted."""
    pn.serve({"/": app}, port=port, address=address, websocket_origin=[f"{address}:{port}", f"localhost:{port}"],
             show=show, title="omnisim dashboard", verbose=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.interfaces.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5006, help="port (default 5006)")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--show", action="store_true", help="open a browser on the page")
    args = parser.parse_args(argv)
    serve(args.port, args.address, args.show)
    return 0


__all__ = ["BEHAVIOUR_LEVERS", "Dashboard", "Levers", "app", "lever_overrides", "lever_scenario", "read_upload",
           "serve"]

if __name__ == "__main__":
    raise SystemExit(main())
