"""The results folder: what a comparison, a single run or a sweep writes, staged so it appears whole or not at all.

Used by the command line (``omnisim run | compare | sweep``), the dashboard and the report (which reads the folder
:func:`write_comparison` writes: :data:`COMPARE_FILES`). Notes for the user (a KPI the model did not report, indices
skipped) go to the ``note`` callable the caller gives; the interfaces print them.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim._build import build_info
from sim._version import __version__
from sim.experiments import analysis, sensitivity
from sim.experiments.tables import breakdown_table, daily_table, kpi_table
from sim.outputs import plots, roi
from sim.outputs.decision import decision_summary
from sim.scenario.schema import scenario_yaml


def _ignore(_note: str) -> None:
    """The default ``note``: say nothing."""


HEADLINE_KPIS = (
    "basket_units",
    "basket_value",
    "multichannel_basket_uplift",
    "conversion_rate",
    "store_conversion_rate",
    "session_conversion_rate",
    "stockout_rate",
    "fill_rate",
    "on_shelf_availability",
    "store_service_level",
    "call_service_level",
    "on_time_rate",
    "csat",
)


def headline_kpis(summary: Any, note: Callable[[str], None] = _ignore) -> list[str]:
    """The headline KPIs the summary holds, in :data:`HEADLINE_KPIS` order; ``note`` hears of those missing."""
    present = set(summary["kpi"])
    missing = [k for k in HEADLINE_KPIS if k not in present]
    if missing:
        note(f"the model reported no {', '.join(missing)}; not charted")
    return [k for k in HEADLINE_KPIS if k in present]


SWEEP_KEEP = ("results.sqlite", "results.sqlite-journal", "results.sqlite-wal", "results.sqlite-shm",
              "results.sqlite.lock", "sweep.log")
"""What a sweep folder keeps from one run to the next (the resumable store and its log); every other file in it
is the previous run's export and is replaced by the new one."""


@contextmanager
def staged_output(out: Path, keep: Sequence[str] | None = None) -> Iterator[Path]:
    """Yield a temporary directory next to ``out``; on success publish it as ``out``, else delete it.

    The published folder holds exactly the new files, never a stale one beside them: if ``out`` does not exist,
    or ``keep`` is None, the whole temporary directory replaces it (renamed into place, so it appears complete
    or not at all; an old ``out`` is moved aside first and deleted after). With ``keep`` (names of files that
    outlive a run, e.g. a sweep's results store), each new file replaces its namesake atomically and every other
    file or folder of ``out`` not named in ``keep`` is deleted.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()  # not tempfile.mkdtemp: its 0700 mode would become the mode of --out
    try:
        yield tmp
        _publish(tmp, out, keep)
    finally:
        _remove(tmp)


def _remove(folder: Path) -> None:
    """Delete a staging folder, even if Ctrl-C is pressed again while it is being deleted."""
    while True:
        try:
            shutil.rmtree(folder, ignore_errors=True)
            return
        except KeyboardInterrupt:
            continue


def _publish(tmp: Path, out: Path, keep: Sequence[str] | None = None) -> None:
    if keep is None and out.is_dir():  # move the old folder aside, put the new one in place, delete the old
        old = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except OSError:
            os.rename(old, out)
            raise
        _remove(old)
        return
    if not out.exists():
        try:
            os.rename(tmp, out)
            return
        except OSError:  # created meanwhile, or a platform that will not rename: fall back to file by file
            out.mkdir(parents=True, exist_ok=True)
    new = {item.name for item in tmp.iterdir()}
    for item in sorted(tmp.iterdir()):
        os.replace(item, out / item.name)
    for item in sorted(out.iterdir()):  # the previous run's files: stale beside the new ones
        if item.name not in new and item.name not in (keep or ()):
            shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()


def write_run(result: Any, out: Path) -> list[Path]:
    """Write one replication's ``kpis.csv`` and ``daily.csv`` to ``out`` (staged); return their paths."""
    kpis = pd.DataFrame({"kpi": list(result.kpis), "value": [float(v) for v in result.kpis.values()]})
    daily = pd.DataFrame({name: pd.Series(values, dtype=float) for name, values in result.daily.items()})
    daily.insert(0, "day", range(1, len(daily) + 1))
    with staged_output(out) as tmp:
        kpis.to_csv(tmp / "kpis.csv", index=False)
        daily.to_csv(tmp / "daily.csv", index=False)
    return [out / "kpis.csv", out / "daily.csv"]


COMPARE_FILES = ("summary.csv", "runs.csv", "kpis.png", "differences.png", "scenario.yaml", "meta.json",
                 "decision.json", "changes.png", "breakdown.csv", "daily.csv", "funnel.png", "channel_flows.png",
                 "queue_waits.png", "stock_over_time.png", "behaviour.csv", "tornado.png")
"""What ``omnisim compare --out`` writes (the report reads it): tables, the decision, the scenario, the charts; with
behaviour sampled (``--assumptions N``) also ``behaviour.csv`` (per draw, per setup, KPI change) and ``tornado.png``."""


DECOMPOSITION_FILES = ("decomposition.csv", "waterfall.png")
"""What a comparison with a decomposition adds to its folder: the waterfall's table and its chart (operating
margin); decision.json gets its ``decomposition`` key."""


def write_comparison(scenario: Any, results: Any, out: Path, *, replications: int, seed: int,
                     confidence: float = 0.95, file: str = "", overrides: Sequence[str] = (),
                     note: Callable[[str], None] = _ignore, behaviour: Any = None,
                     decomposition: Any = None, costs: Any = None, costs_from: str = "") -> tuple[Any, Any, list[Path]]:
    """Write the compare output folder ``out`` from the full results of ``sim.replicate_results``.

    The folder ``omnisim compare --out`` writes and ``sim.write_report`` reads (``COMPARE_FILES``):
    ``summary.csv``, ``runs.csv``, ``decision.json``, ``breakdown.csv``, ``daily.csv``, ``scenario.yaml``,
    ``meta.json`` and the charts (headline KPIs, paired differences, changes, funnel, channel flows, queue waits,
    stock over time). It is staged so it appears complete or not at all. The baseline is the first setup of the
    results. Used by ``omnisim compare`` and the dashboard.

    Parameters
    ----------
    scenario : Scenario
        The scenario the results were run on: its name, YAML, costs, stores, warm-up and wait targets.
    results : list of Replication
        What ``sim.replicate_results`` returned (objects with ``setup``, ``replication`` and ``result``).
    out : pathlib.Path
        The folder to write (a ``Path``, not a string), created with its parents; an existing folder is replaced
        whole.
    replications : int
        The number of replications per setup, recorded in ``meta.json`` and the charts' titles.
    seed : int
        The root seed the results were run with, recorded in ``meta.json``.
    confidence : float, default 0.95
        Level of the summary's intervals, strictly between 0 and 1.
    file : str, default ""
        The scenario file's name, recorded in ``meta.json``.
    overrides : sequence of str, default ()
        The overrides applied (``"stores.0.staff=4"``), recorded in ``meta.json``.
    note : callable, optional
        Told, in a sentence, of anything left out (a headline KPI the model did not report). Default: silent.
    behaviour : BehaviourResult, optional
        A ``sim.compare_behaviour`` result of the same comparison: its table goes to ``behaviour.csv``, its
        tornado to ``tornado.png``, its intervals, ranking and break-evens into the decision (``decision.json``).
    decomposition : Decomposition, optional
        A ``sim.experiments.decompose.Decomposition`` of the same comparison, written as ``DECOMPOSITION_FILES``
        (``decomposition.csv``, ``waterfall.png``) and under ``decomposition`` in ``decision.json``.
    costs : dict or str, optional
        The cost table of the payback (a table or a preset name, ``sim.outputs.roi.scenario_costs``; default the
        scenario's ``costs:``, else the small-firm preset), recorded checked in ``meta.json`` (``costs``,
        ``costs_from``, ``stores``).
    costs_from : str, default ""
        Where the costs came from, for ``meta.json``. Default: said from ``costs``.

    Returns
    -------
    decision : DecisionSummary
        As ``sim.decision_summary`` gives it, with the payback on the operating margin.
    summary : pandas.DataFrame
        The summary table (``sim.summarise`` of the results).
    paths : list of pathlib.Path
        The files written, in ``COMPARE_FILES`` order.

    Raises
    ------
    ValueError
        An unknown cost preset or a cost table refused; ``confidence`` not strictly between 0 and 1.
    OSError
        The folder cannot be written (nothing is left half-written).

    See Also
    --------
    - ``sim.write_report`` : the HTML report of the folder.

    Notes
    -----
    An existing ``out`` is replaced whole, without asking (the command line refuses a folder that is not empty
    unless ``--force``).

    Examples
    --------
    ```python
    from pathlib import Path

    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    results = sim.replicate_results(sc, ["multichannel", "omnichannel"], replications=2, seed=1)
    decision, summary, paths = sim.write_comparison(sc, results, Path("results/cmp"), replications=2, seed=1,
                                                    file="scenarios/default.yaml")
    print([path.name for path in paths])
    ```
    """
    setups = list(dict.fromkeys(r.setup for r in results))
    runs = kpi_table(results)
    summary = analysis.summarise(runs, baseline=setups[0], confidence=confidence)
    kpis = headline_kpis(summary, note)
    names = COMPARE_FILES
    meta = {"scenario": scenario.name, "file": file, "overrides": list(overrides), "seed": seed,
            "replications": replications, "confidence": confidence, "setups": setups,
            "horizon_days": scenario.horizon_days - scenario.warmup_days, "version": __version__,
            "build": build_info()}
    if behaviour is not None:
        meta["assumptions"] = behaviour.n
    meta["costs_from"] = costs_from or (f"preset {costs}" if isinstance(costs, str) else "given" if costs is not None
                                        else "the scenario's costs" if scenario.costs else f"preset {roi.SMALL_FIRM}")
    meta["costs"] = roi.scenario_costs(scenario, costs)
    meta["stores"] = len(scenario.stores)
    if len(setups) == 1:
        meta["note"] = analysis.ONE_SETUP.format(setup=setups[0])
    decision = decision_summary(summary, confidence, meta["horizon_days"], runs, scenario, costs=meta["costs"],
                                assumptions=behaviour)
    with staged_output(out) as tmp:
        summary.to_csv(tmp / names[0], index=False)
        runs.to_csv(tmp / names[1], index=False)
        (tmp / names[4]).write_text(scenario_yaml(scenario))
        (tmp / names[5]).write_text(json.dumps(meta, indent=2) + "\n")
        if kpis:
            title = f"{scenario.name}: {replications} replications, {confidence:.0%} confidence intervals"
            plots.kpi_bars(summary, kpis, tmp / names[2], title=title)
            if len(setups) > 1:  # one setup: nothing to pair
                plots.paired_differences(summary, kpis, tmp / names[3])
        (tmp / names[6]).write_text(json.dumps(decision_json(decision, decomposition), indent=2) + "\n")
        if decomposition is not None:
            write_decomposition(decomposition, tmp)
        if len(decision.changes):
            plots.changes_chart(decision.changes, tmp / names[7])
        breakdown_table(results).to_csv(tmp / names[8], index=False)
        daily_table(results).to_csv(tmp / names[9], index=False)
        mechanism_charts(scenario, results, tmp)
        if behaviour is not None:
            behaviour.table().to_csv(tmp / names[14], index=False)
            if len(behaviour.ranking):
                plots.behaviour_tornado(behaviour.ranking, tmp / names[15])
    return decision, summary, [out / name for name in (*names, *DECOMPOSITION_FILES) if (out / name).exists()]


def decision_json(decision: Any, decomposition: Any = None) -> dict[str, Any]:
    """What decision.json holds (and ``omnisim compare --json`` prints): the decision summary's dict, with the
    decomposition (per setup and KPI: the total and the steps with their change and interval) when there is one."""
    out = decision.to_dict()
    if decomposition is not None:
        out["decomposition"] = decomposition.to_dict()
    return out


def write_decomposition(decomposition: Any, folder: Path) -> list[Path]:
    """Write ``decomposition.csv`` (one row per setup, KPI and step, the totals and any switched-off rows) and
    ``waterfall.png`` (the operating margin's waterfall) to ``folder``; return the paths written."""
    table = decomposition.table
    paths = [folder / DECOMPOSITION_FILES[0]]
    table.to_csv(paths[0], index=False)
    kpi = "operating_margin" if (table["kpi"] == "operating_margin").any() else str(table["kpi"].iloc[0])
    if len(table):
        paths.append(plots.waterfall(table, folder / DECOMPOSITION_FILES[1], kpi))
    return paths


def mechanism_charts(scenario: Any, results: Any, folder: Path) -> None:
    """The charts behind the changes: the funnel, channel flows, queue waits against targets, stock over time."""
    means = analysis.result_means(results)
    plots.funnel(means, folder / "funnel.png")
    plots.channel_flows(means, folder / "channel_flows.png")
    call_target = scenario.call_centre.target_wait_s / 60.0 if scenario.call_centre else None
    plots.queue_waits(means, folder / "queue_waits.png", scenario.fulfilment.store_wait_target_min, call_target)
    plots.stock_over_time(analysis.daily_means(results), folder / "stock_over_time.png",
                          warmup_days=scenario.warmup_days)


def sweep_meta(result: Any, evaluator: Any) -> dict[str, Any]:
    """meta.json of a sweep folder: what the report of one design point needs (``omnisim report --point``): the
    measured days of each point (``measured_days_by_point``: horizon minus warm-up; older folders call it
    ``horizon_days_by_point``), and the base scenario's cost table and number of stores for the payback."""
    exp = result.experiment
    days = {}
    for i, params in enumerate(exp.points()):
        sc = evaluator.prepare(params)[0]
        days[str(i)] = sc.horizon_days - sc.warmup_days
    meta = {"kind": "sweep", "experiment": exp.name, "scenario": evaluator.scenario.name,
            "setups": list(result.plan.setups), "replications": exp.replications, "seed": exp.seed,
            "confidence": exp.confidence, "measured_days_by_point": days, "version": __version__,
            "build": build_info()}
    if hasattr(evaluator.scenario, "costs"):
        meta["costs_from"] = "the scenario's costs" if evaluator.scenario.costs else f"preset {roi.SMALL_FIRM}"
        meta["costs"] = roi.scenario_costs(evaluator.scenario)
        meta["stores"] = len(evaluator.scenario.stores)
    return meta


SWEEP_PAYBACK = "payback.csv"
"""The sweep folder's money table (:func:`sweep_payback`), one row per design point and non-baseline setup."""


def sweep_payback(result: Any, evaluator: Any) -> pd.DataFrame:
    """Operating-margin gain, payback and 12-month ROI of each setup against the first, per design point, with
    their intervals: :func:`sim.outputs.roi.roi_table` on each point's replications exactly as the decision summary
    calls it (``operating_margin``, :data:`sim.outputs.roi.DEFAULT_RAMP_UP_MONTHS`), with the point's own scenario
    (its ``costs:``, else the small-firm preset; its stores; its measured days). Columns: ``point``, the factors,
    then :data:`sim.outputs.roi.ROI_COLUMNS`. Empty with one setup or without the model's margins; a point whose
    cost table leaves a needed system unpriced raises ``ValueError`` naming it."""
    runs = result.store.kpi_table(result.keys)
    columns = ["point", *list(roi.ROI_COLUMNS)]
    if len(result.plan.setups) < 2 or runs.empty or "gross_margin" not in set(runs["kpi"]):
        return pd.DataFrame(columns=columns)
    baseline, confidence = result.plan.setups[0], result.experiment.confidence
    parts = []
    for point, grp in runs.groupby("point", sort=True):
        scenario = evaluator.prepare(result.plan.points[int(point)])[0]
        rows = grp.drop(columns="point").reset_index(drop=True)
        summary = analysis.summarise(rows, baseline=baseline, confidence=confidence)
        table = roi.roi_table(summary, float(scenario.horizon_days - scenario.warmup_days), runs=rows,
                              scenario=scenario, margin="operating_margin", confidence=confidence,
                              ramp_up_months=roi.DEFAULT_RAMP_UP_MONTHS)
        parts.append(table.assign(point=int(point)))
    table = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    points = result.points()
    if not points.empty:
        factors = points.drop(columns=[c for c in ("scenario_hash",) if c in points.columns])
        table = table.merge(factors, on="point", how="left")
        table = table[["point", *[c for c in factors.columns if c != "point"], *roi.ROI_COLUMNS]]
    return table


def write_sweep(result: Any, tmp: Path, evaluator: Any = None, note: Callable[[str], None] = _ignore) -> None:
    """Write the sweep's tables, summary, meta.json, failures and (for a sensitivity design) indices and tornado
    charts."""
    result.store.export(tmp, result.keys)
    if evaluator is not None:
        (tmp / "meta.json").write_text(json.dumps(sweep_meta(result, evaluator), indent=2) + "\n")
    runs = result.runs()
    if not runs.empty:
        result.summary_table().to_csv(tmp / "summary.csv", index=False)
        if evaluator is not None and len(result.plan.setups) > 1:
            try:
                money = sweep_payback(result, evaluator)
            except ValueError as exc:  # a cost table that leaves a system unpriced: the runs stand, no payback
                note(f"no {SWEEP_PAYBACK}: {exc}")
            else:
                if len(money):
                    money.to_csv(tmp / SWEEP_PAYBACK, index=False)
    failures = result.failures()
    if len(failures):
        failures.to_csv(tmp / "failures.csv", index=False)
    kind = result.experiment.design.kind
    if kind not in ("sobol-indices", "morris"):
        return
    if result.summary.failed_total:
        note("sensitivity indices need every design point; skipped until the failed replications succeed")
        return

    kpis = result.experiment.kpis or [k for k in HEADLINE_KPIS if k in set(runs["kpi"])]
    table = sensitivity.analyse(result, kpis)
    table.to_csv(tmp / "sensitivity.csv", index=False)
    for (kpi, setup), grp in table.groupby(["kpi", "setup"], sort=False):
        plots.tornado(grp, tmp / f"tornado-{kpi}-{setup}.png", title=f"{result.experiment.name}: {kpi} ({setup})")
