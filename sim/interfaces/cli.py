"""Command line: ``omnisim validate | run | compare`` on scenario files, ``omnisim sweep`` on experiment files.

Bad input (an invalid scenario, an unknown setup, a malformed option) gives one line per problem on
stderr and exit status 2, never a traceback. Outputs are written to a temporary directory next to
``--out`` and moved into place only when everything succeeded. The command line parses, calls the wings below
and maps their errors to one line; the results folders are written by :mod:`sim.outputs.results`, the same writer
the dashboard uses.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NoReturn

from sim import _build
from sim._version import __version__
from sim.core import model
from sim.core.kpis import (
    GLOSSARY_END,
    GLOSSARY_START,
    LATE_RULE,
    SERVICE_LEVELS,
    glossary_markdown,
    unit_of,
    with_glossary,
)
from sim.experiments.batch import SchedulerError, SetupError
from sim.experiments.batch import log as logger
from sim.experiments.guard import estimate
from sim.experiments.replicate import check_setups, replicate_results
from sim.experiments.seeding import seeds
from sim.experiments.stops import (
    GRACE_S,
    Interrupted,
    as_interrupted,
    handling_signals,
    requested,
    signal_name,
)
from sim.experiments.store import Store, StoreError
from sim.outputs.numbers import fmt_number
from sim.outputs.reference import evidence_markdown, library_default, reference_markdown, schema_text
from sim.outputs.reference_pages import (
    API_FILE,
    BENCHMARKS_FILE,
    CLI_FILE,
    KPIS_FILE,
    api_markdown,
    benchmarks_markdown,
    cli_markdown,
)
from sim.scenario import channel_mix
from sim.scenario.assumptions import preset_names, with_preset
from sim.scenario.schema import ScenarioError, load_scenario, parse_override, scenario_from_dict
from sim.scenario.setups import SETUP_NAMES, available

PROG = "omnisim"
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
WARMUP_PREFIX = re.compile(r"^warm-up \d+ \+ [\d.]+ measured days(: |$)")
"""What ``omnisim warmup --write`` puts before the author's comment on ``horizon_days`` (replaced on a refit)."""


def _note(text: str) -> None:
    """Tell the user something worth knowing that is not an error (stderr, one line)."""
    print(f"{PROG}: note: {text}", file=sys.stderr)


class UsageError(Exception):
    """Bad input from the user: each line of ``lines`` is printed to stderr and the exit status is 2."""

    def __init__(self, *lines: str):
        self.lines = list(lines)
        super().__init__("\n".join(lines))


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line (``omnisim compare: error: ...``) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# --------------------------------------------------------------------------------------------- option types
def _int_at_least(minimum: int, meaning: str = "") -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}{meaning} (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}{meaning} (got {value})")
        return value

    return parse


def _days(minimum: float, strict: bool) -> Callable[[str], float]:
    what = f"a number of days {'>' if strict else '>='} {minimum:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} (got {text!r})") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {what} (got {text!r})")
        return value

    return parse


def _setup_list(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated setup names such as a,b,c (got {text!r})")
    return names


def _add_workers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_int_at_least(1), default=None, metavar="N",
                   help="local worker processes; 1 runs serially (default: one per CPU available)")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, metavar="FILE", help="scenario YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V",
                   help="override a field by dotted path, e.g. stores.0.staff=4 or stores.*.staff=2 for every "
                        "store (repeatable)")
    p.add_argument("--assumptions-preset", dest="preset", choices=preset_names(), default=None, metavar="NAME",
                   help="set every behavioural parameter of the evidence register "
                        "(docs/reference/evidence-register.md) to a named preset before --set: 'register' (the "
                        "register's defaults, where the strongest evidence sits) or 'market-studies' (the market "
                        "studies' claims read as causal effects); default: the scenario's own values")


def _add_force(p: argparse.ArgumentParser, out: bool = True) -> None:
    what = ("replace the contents of a non-empty --out folder (refused otherwise), and run even if one "
            "replication is estimated above 2 CPU hours or 8 GB (sim/experiments/guard.py)") if out else \
        "run even if one replication is estimated above 2 CPU hours or 8 GB (sim/experiments/guard.py)"
    p.add_argument("--force", action="store_true", help=what)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``omnisim`` argument parser with its ``validate``, ``run`` and ``compare`` subcommands."""
    parser = _Parser(prog=PROG, description="Discrete-event simulation of multichannel, cross-channel and "
                                            "omnichannel retail setups.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}, {_build.describe()}",
                        help="the version, and which build of the core runs (compiled or pure Python)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a scenario file and summarise it")
    _add_common(p)

    p = sub.add_parser("check-plausibility", help="run the baseline briefly and check it against real retailers' "
                                                  "operating benchmarks (exit 1 when a figure is out of range)")
    _add_common(p)
    p.add_argument("--setup", default="multichannel", help="setup to check (default: multichannel, the baseline)")
    p.add_argument("--replications", type=_int_at_least(1), default=3, metavar="N",
                   help="replications (default: 3)")
    p.add_argument("--days", type=_days(0, strict=True), default=None, metavar="D",
                   help="days measured after the warm-up (default: 14)")
    p.add_argument("--warmup", type=_days(0, strict=False), default=None, metavar="D",
                   help="warm-up days, not measured (default: 14)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, metavar="N", help="random seed (default: 0)")
    _add_workers(p)
    _add_force(p, out=False)

    p = sub.add_parser("run", help="run one replication of one setup and print its KPIs")
    _add_common(p)
    p.add_argument("--setup", default="omnichannel", help="setup to run (default: omnichannel)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, metavar="N", help="random seed (default: 0)")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write kpis.csv and daily.csv to DIR")
    _add_force(p)

    p = sub.add_parser("compare", help="replicate several setups with common random numbers and compare them")
    _add_common(p)
    p.add_argument("--setups", type=_setup_list, default=None, metavar="A,B,C",
                   help="setups to compare, the first is the baseline (default: the three named setups)")
    p.add_argument("--replications", type=_int_at_least(2, " (confidence intervals need two)"), default=10,
                   metavar="N", help="replications per setup (default: 10)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, metavar="N", help="random seed (default: 0)")
    _add_workers(p)
    p.add_argument("--confidence", type=_confidence, default=0.95, metavar="LEVEL", help="confidence level (default: 0.95)")
    _add_scheduler(p)
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.add_argument("--out", type=Path, metavar="DIR", required=True,
                   help="write summary.csv, runs.csv, decision.json and the charts to DIR")
    p.add_argument("--all", action="store_true", help="after the decision summary, print every headline KPI")
    p.add_argument("--json", action="store_true",
                   help="print the decision summary as JSON on standard output (paths go to standard error)")
    p.add_argument("--assumptions", type=_int_at_least(2, " (a spread needs two sets of behaviour)"), default=None,
                   metavar="N",
                   help="also run every setup on N sets of behavioural parameters drawn from the evidence "
                        "register's ranges (a Latin hypercube; common random numbers): the decision gives each "
                        "deciding KPI's range across plausible behaviour apart from the sampling noise, the "
                        "parameters that drive the operating-margin gain (tornado.png) and their break-evens; "
                        "behaviour.csv holds every draw")
    p.add_argument("--assumptions-store", dest="assumptions_store", type=Path, default=None, metavar="FILE",
                   help="keep the --assumptions runs in this results store (SQLite), so that the same command run "
                        "again resumes where it stopped (default: in memory)")
    p.add_argument("--break-evens", dest="break_evens", type=_int_at_least(0), default=3, metavar="K",
                   help="with --assumptions: for each setup's K parameters that drive its operating-margin gain "
                        "most, the value where the payback passes 12 months (the gain reaches zero when the "
                        "measured days are not whole weeks), by a few extra runs (default: 3; 0: none)")
    p.add_argument("--decompose", action="store_true",
                   help="also split each setup's change by capability (a waterfall: capabilities switched on one at "
                        "a time, each step a custom setup on the same customers): decomposition.csv, waterfall.png "
                        "and decomposition in decision.json; costs one more comparison per step")
    p.add_argument("--costs", default=None, metavar="FILE|small-firm",
                   help="the cost table of the payback: a YAML file holding a costs: section (or the bare mapping) of the "
                        "scenario's shape (docs/reference/scenario-fields.md, costs), or 'small-firm' for the market "
                        "studies' table (whole-firm ranges whatever the number of stores); default: the scenario's "
                        "own costs:, else small-firm. Recorded in meta.json")
    _add_force(p)

    p = sub.add_parser("sweep", help="run an experiment file (design points x setups x replications); resumable")
    p.add_argument("file", type=Path, metavar="EXPERIMENT", help="experiment YAML file (see experiments/)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V",
                   help="override a field of the experiment's scenario by dotted path (repeatable)")
    _add_workers(p)
    _add_scheduler(p)
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.add_argument("--out", type=Path, metavar="DIR", required=True,
                   help="keep the results store (results.sqlite) and the log (sweep.log) in DIR and write the "
                        "tables (CSV and Parquet), summary.csv and any sensitivity charts there")
    _add_force(p)

    p = sub.add_parser("calibrate", help="fit journey parameters to market figures (or a chain to a journey log)")
    _add_common(p)
    p.add_argument("--targets", type=Path, metavar="YAML",
                   help="targets file naming any of touchpoints_per_journey, usage {touchpoint: share}, ropo_share; "
                        "only what it names is fitted (default: the market figures of DESIGN.md)")
    p.add_argument("--refit", action="append", default=[], choices=["channels"],
                   help="also refit a field the user set: channels (the segments' purchase channel shares; "
                        "kept as written by default)")
    p.add_argument("--log", type=Path, metavar="CSV",
                   help="fit a Markov chain from a journey log (customer_id, timestamp, touchpoint) instead")
    p.add_argument("--segment", action="append", default=None, metavar="NAME",
                   help="with --log: the segment(s) that get the fitted chain (default: all)")
    p.add_argument("--setup", default="multichannel", help="setup simulated to correct the fit (default: multichannel, "
                                                          "the baseline: the market figures describe today's shoppers, and "
                                                          "the other setups change where they buy)")
    p.add_argument("--out", type=Path, metavar="FILE", required=True,
                   help="write the fitted scenario here: the scenario file with the fitted numbers replaced, its "
                        "comments and layout kept")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists (refused otherwise)")

    p = sub.add_parser("staff", help="choose the floor staff of each store (and its tills, with --tills) that meets "
                                     "every store's target at the least staff cost; staff exclude cashiers",
                       description="Choose the floor staff of each store that meets every store's target at the "
                                   "least staff cost (docs/tutorials/consultant.md). Staff exclude cashiers: tills are "
                                   "separate servers. Exit 0 when every store meets, 1 when a store stays below "
                                   "target (named), 2 for bad input.")
    _add_staff(p)

    p = sub.add_parser("warmup", help="suggest a warm-up from Welch's method on the daily stock of every setup; "
                                      "--write puts it in the scenario file")
    p.add_argument("file", type=Path, metavar="FILE", help="scenario YAML file")
    p.add_argument("--replications", type=_int_at_least(1), default=None, metavar="N",
                   help="replications of each setup (default: 10)")
    p.add_argument("--days", type=_days(0, strict=True), default=None, metavar="D",
                   help="days simulated from the start, stock at order-up-to (default: 56)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, metavar="N", help="random seed (default: 0)")
    p.add_argument("--window", type=_int_at_least(1), default=None, metavar="W",
                   help="Welch's window: the moving average spans 2W+1 days (default: the longest review cycle, at "
                        "least a week: W=3)")
    p.add_argument("--tolerance", type=_open_unit("0.05"), default=None, metavar="SHARE",
                   help="settled when Welch's average stays within this share of its steady level (default: 0.02)")
    _add_workers(p)
    p.add_argument("--write", action="store_true",
                   help="rewrite warmup_days (and horizon_days, so the measured days stay as they were) in FILE, "
                        "its comments and layout kept")
    p.add_argument("--plot", type=Path, metavar="DIR",
                   help="write Welch's chart of each setup to DIR (welch-SETUP.png)")
    p.add_argument("--force", action="store_true",
                   help="replace the contents of a non-empty --plot folder (refused otherwise), and run even if one "
                        "replication is estimated above 2 CPU hours or 8 GB (sim/experiments/guard.py)")

    p = sub.add_parser("kpis", help="print the KPI glossary (name, label, unit, definition), or write it into a "
                                    "Markdown file's glossary markers")
    p.add_argument("--into", "--readme", dest="into", type=Path, metavar="FILE",
                   help="rewrite the glossary between the markers of FILE (the docs site's page: "
                        f"{KPIS_FILE}); --readme is the older name of this option")

    p = sub.add_parser("reference", help="print the scenario reference (every field: type, unit, default, range, "
                                         "meaning), or write it, the scenario JSON Schema and the docs site's other "
                                         "reference pages to files")
    p.add_argument("--markdown", type=Path, metavar="FILE", help="write the Markdown reference to FILE "
                                                               "(docs/reference/scenario-fields.md)")
    p.add_argument("--schema", type=Path, metavar="FILE", help="write the JSON Schema of scenario files to FILE "
                                                             "(docs/scenario.schema.json)")
    p.add_argument("--evidence", type=Path, metavar="FILE", help="write the evidence register for behaviour to FILE "
                                                               "(docs/reference/evidence-register.md)")
    p.add_argument("--cli", type=Path, metavar="FILE", help=f"write the command-line reference to FILE ({CLI_FILE})")
    p.add_argument("--api", type=Path, metavar="FILE",
                   help=f"write the Python API page (mkdocstrings directives for sim.__all__) to FILE ({API_FILE})")
    p.add_argument("--benchmarks", type=Path, metavar="FILE",
                   help=f"write the operating and size benchmarks to FILE ({BENCHMARKS_FILE})")

    p = sub.add_parser("report", help="write a self-contained HTML report of a compare output folder")
    p.add_argument("results", type=Path, metavar="RESULTS_DIR",
                   help="a folder written by omnisim compare --out (or omnisim sweep --out, with --point)")
    p.add_argument("--out", type=Path, metavar="FILE", help="HTML file (default: RESULTS_DIR/report.html, or "
                                                          "RESULTS_DIR/report-point-N.html for a sweep's point)")
    p.add_argument("--point", type=_int_at_least(0), default=None, metavar="N",
                   help="for a sweep folder: the design point to report (points.csv lists them)")
    p.add_argument("--costs", default=None, metavar="FILE|small-firm",
                   help="price the payback with this cost table instead of the one meta.json records: a YAML file "
                        "holding a costs: section (or the bare mapping), or 'small-firm'")
    return parser


def _add_staff(p: argparse.ArgumentParser) -> None:
    """``omnisim staff``'s options (:func:`sim.experiments.staffing.staff_per_store`)."""
    _add_common(p)
    p.add_argument("--target", dest="targets", action="append", default=[], metavar="KPI=VALUE",
                   help="a store KPI every store must meet (repeatable): store_service_level or store_abandon_rate "
                        "(a share), store_wait_mean_min or store_wait_p95_min (minutes) (default: "
                        "store_service_level=0.8)")
    p.add_argument("--setup", default="omnichannel", help="setup to staff (default: omnichannel)")
    p.add_argument("--max-staff", dest="max_staff", type=_int_at_least(1), default=None, metavar="N",
                   help="most floor staff a store may get (default: twice the largest level in the file, at least 4)")
    p.add_argument("--tills", action="store_true", help="also choose each store's tills (a cashier per open till, "
                                                        "priced like a floor staff hour)")
    p.add_argument("--max-tills", dest="max_tills", type=_int_at_least(1), default=None, metavar="N",
                   help="with --tills: most tills a store may get (default: twice the largest in the file, at least 4)")
    p.add_argument("--replications", type=_int_at_least(2, " (confidence intervals need two)"), default=20,
                   metavar="N", help="most replications per staffing tried, and the confirmation run's count "
                                     "(default: 20); the search starts at 5 and adds more while a store is unclear")
    p.add_argument("--seed", type=_int_at_least(0), default=0, metavar="N", help="random seed (default: 0)")
    p.add_argument("--confidence", type=_confidence, default=0.95, metavar="LEVEL",
                   help="joint confidence over the stores (Bonferroni) (default: 0.95)")
    _add_workers(p)
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the search's steps")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write staffing.csv and staffing.json to DIR")
    _add_force(p)


def _add_scheduler(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", type=_address, default=None, metavar="ADDR",
                   help="run on the Dask cluster whose scheduler is at ADDR, e.g. tcp://host:8786 "
                        "(--workers is then ignored)")


def _address(text: str) -> str:
    proto, sep, rest = text.rpartition("://")
    host, colon, port = rest.rpartition(":")
    if (sep and not proto) or not colon or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected a scheduler address such as tcp://host:8786 (got {text!r})")
    return text if sep else f"tcp://{text}"


def _open_unit(example: str) -> Callable[[str], float]:
    """A number strictly between 0 and 1 (a confidence level, a share), its error giving ``example``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0.0 < value < 1.0:
            raise argparse.ArgumentTypeError(f"must be a number strictly between 0 and 1, e.g. {example} "
                                             f"(got {text!r})")
        return value

    return parse


_confidence = _open_unit("0.95")


# --------------------------------------------------------------------------------------------- scenario
def _overrides(items: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        try:
            key, value = parse_override(item)
        except ScenarioError as exc:
            raise UsageError(*exc.problems) from None
        out[key] = value
    return out


def _load(file: Path, overrides: Sequence[str], preset: str | None = None) -> Any:
    """Return the validated scenario (with the behavioural values of ``preset``, then the ``--set`` overrides),
    or raise UsageError with one line per problem prefixed by the file."""
    values = _overrides(overrides)
    try:
        if preset is None:
            return load_scenario(file, values)
        scenario = with_preset(load_scenario(file), preset)
        return scenario_from_dict(scenario.model_dump(mode="json"), values) if values else scenario
    except ScenarioError as exc:
        prefix = f"{file}: "
        raise UsageError(*(p if p.startswith(prefix) else prefix + p for p in exc.problems)) from None


def _guard(scenario: Any, force: bool, where: str = "") -> None:
    """Refuse (exit 2, one line) a run whose replication is estimated above the resource caps, unless forced."""
    est = estimate(scenario)
    if not est.too_big:
        return
    line = f"{PROG}: {where}{est.refusal(scenario.horizon_days)}"
    if not force:
        raise UsageError(line)
    print(f"{line.replace(PROG + ': ', PROG + ': note: ', 1)}; running anyway (--force)", file=sys.stderr)


def _check_setups(scenario: Any, names: Sequence[str], option: str) -> list[str]:
    """The library's check of setup names (:func:`sim.experiments.replicate.check_setups`), its problem said for ``option``."""
    try:
        return check_setups(scenario, names)
    except SetupError as exc:
        if exc.unknown:
            raise UsageError(f"{PROG}: {option}: unknown setup {exc.unknown[0]!r}; allowed: "
                             f"{', '.join(exc.allowed)}") from None
        if exc.repeated:
            raise UsageError(f"{PROG}: {option}: setup {', '.join(map(repr, exc.repeated))} given more than "
                             "once") from None
        raise UsageError(f"{PROG}: {option}: {exc}") from None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _sku_count(scenario: Any) -> int:
    cat = scenario.catalogue
    return len(cat.skus) if cat.skus is not None else int(cat.generator.n_skus)


# --------------------------------------------------------------------------------------------- output
def _check_out(out: Path, force: bool = False, sweep: bool = False, option: str = "--out") -> Path:
    """The absolute ``--out`` folder (or ``option``'s); refused (exit 2, one line, nothing touched) when it is a
    file, or a non-empty folder without ``--force``. A sweep may resume in a folder that holds its results store."""
    out = out.expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise UsageError(f"{PROG}: {option} {out}: exists and is not a directory")
    _check_writable(out, option)
    if force or not out.is_dir():
        return out
    entries = sorted(p.name for p in out.iterdir())
    if sweep and "results.sqlite" in entries:
        return out  # resuming: the store is the sweep's own
    if entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        count = "1 entry" if len(entries) == 1 else f"{len(entries)} entries"
        raise UsageError(f"{PROG}: {option} {out}: not empty ({count}: {shown}); give a new folder, or --force to "
                         "replace its contents")
    return out


def _check_writable(out: Path, option: str = "--out") -> None:
    """Refuse (exit 2, one line, before any run) an output path that cannot be written: one under an existing
    file, or where the nearest existing folder takes no new entry (``/proc``, a read-only file system, no
    permission). Checked by making and removing an empty folder there, as the output will be staged."""
    where = out.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    if not where.is_dir():
        raise UsageError(f"{PROG}: {option} {out}: cannot be written: {where} is a file, not a folder")
    places = [where] + ([out] if out.is_dir() else [])  # a folder that exists is written into (a sweep's store)
    for place in places:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".omnisim-probe-", dir=place))
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise UsageError(f"{PROG}: {option} {out}: cannot be written: nothing can be created in {place} ({reason})") \
                from None


def _check_out_file(out: Path, force: bool = False, option: str = "--out", what: str = "file") -> Path:
    """The absolute ``--out`` file (or ``option``'s); refused (exit 2, one line, nothing touched) when it is a
    folder, cannot be written, or exists without ``--force``."""
    out = out.expanduser().absolute()
    if out.is_dir():
        raise UsageError(f"{PROG}: {option} {out}: is a folder; give the path of the {what} to write")
    _check_writable(out, option)
    if out.exists() and not force:
        raise UsageError(f"{PROG}: {option} {out}: exists; give a new file, or --force to overwrite it")
    return out


def _fmt(value: float, digits: int = 4) -> str:
    return "no data" if value is None or math.isnan(value) else fmt_number(value, digits)


def _late_rule(kpis: Iterable[str]) -> None:
    """The footnote of a table that shows a service level: customers who gave up count as late."""
    if any(k in SERVICE_LEVELS for k in kpis):
        print(f"Note: {LATE_RULE}")


def _print_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))


# --------------------------------------------------------------------------------------------- commands
def cmd_validate(args: argparse.Namespace) -> int:
    """Print ``OK: <name> (<n> stores, <m> SKUs, setups: ...)``; return 0."""
    scenario = _load(args.file, args.overrides, args.preset)
    print(f"OK: {scenario.name} ({_plural(len(scenario.stores), 'store')}, {_plural(_sku_count(scenario), 'SKU')}, "
          f"setups: {', '.join(available(scenario))})")
    est = estimate(scenario)
    print(f"estimate: {est.describe()}")
    print(_channel_mix_line(scenario))
    if est.too_big:
        print(f"{PROG}: note: {est.refusal(scenario.horizon_days)}", file=sys.stderr)
    return EXIT_OK


def _channel_mix_line(scenario: Any) -> str:
    """The purchase-channel mix the segments promise (sim/scenario/channel_mix.py), and the lever when it is set."""
    lever = scenario.channel_mix.online_share
    why = f" (channel_mix.online_share {lever:g})" if lever is not None else ""
    return (f"channel mix, share of orders expected from the segments{why}: "
            f"{channel_mix.describe(channel_mix.order_mix(scenario.segments))}")


def cmd_check_plausibility(args: argparse.Namespace) -> int:
    """Print each operating benchmark of the scenario's sector with the baseline's value and the verdict;
    return 1 if a figure is out of range and not one of the scenario's declared ``benchmark_exceptions``."""
    from sim.experiments.plausibility import PLAUSIBILITY_DAYS, PLAUSIBILITY_WARMUP_DAYS, check_plausibility

    scenario = _load(args.file, args.overrides, args.preset)
    _check_setups(scenario, [args.setup], "--setup")

    days = PLAUSIBILITY_DAYS if args.days is None else args.days
    warmup = PLAUSIBILITY_WARMUP_DAYS if args.warmup is None else args.warmup
    _guard(scenario.model_copy(update={"horizon_days": days + warmup, "warmup_days": warmup}), args.force)
    verdicts = check_plausibility(scenario, args.setup, args.replications, args.seed, days, warmup, args.workers)
    expected = scenario.benchmark_exceptions
    rows = []
    for v in verdicts:
        b = v.benchmark
        status = "in" if v.inside else ("out (expected)" if b.kpi in expected else "OUT")
        rows.append((b.kpi, f"{_fmt(v.value)} ± {_fmt(v.half_width, 2)}", f"{b.low:g} – {b.high:g}", status,
                     b.source))
    print(f"{scenario.name} ({scenario.sector}), setup {args.setup}: {args.replications} replications of "
          f"{days:g} days after {warmup:g} days of warm-up; mean ± 95 % half-width")
    _print_table(rows, ("kpi", "value", "plausible", "verdict", "source"))
    print(_channel_mix_line(scenario))
    measured = next((v for v in verdicts if v.benchmark.kpi == "online_share"), None)
    if measured is not None:
        print(f"measured online_share (share of the orders' value placed online, phone included): "
              f"{_fmt(measured.value)} ± {_fmt(measured.half_width, 2)}")
    _late_rule(v.benchmark.kpi for v in verdicts)
    for v in verdicts:
        if not v.inside and v.benchmark.kpi in expected:
            print(f"{v.benchmark.kpi}: outside on purpose: {expected[v.benchmark.kpi]}")
    bad = [v for v in verdicts if not v.inside and v.benchmark.kpi not in expected]
    for v in bad:
        print(f"{PROG}: {v.line()}", file=sys.stderr)
    return EXIT_FAILURE if bad else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run one replication; print the KPI table (name, value in the KPI's unit); optionally write CSVs."""
    from sim.outputs.results import write_run

    out = _check_out(args.out, args.force) if args.out else None
    scenario = _load(args.file, args.overrides, args.preset)
    _check_setups(scenario, [args.setup], "--setup")
    _guard(scenario, args.force)

    # child 0 of SeedSequence(seed): the same customers as replication 0 of `compare --seed N`
    result = model.run(scenario, setup=args.setup, seed=seeds(args.seed, 1)[0])
    print(f"{scenario.name}: setup {result.setup}, seed {args.seed}: {result.customers} customers, "
          f"{result.events} events in {result.wall_s:.2f} s", file=sys.stderr)

    _print_table([(k, unit_of(k), _fmt(float(v), 6)) for k, v in result.kpis.items()], ("kpi", "unit", "value"))
    _late_rule(result.kpis)
    if out is not None:
        for path in write_run(result, out):
            print(path)
    return EXIT_OK


def cmd_staff(args: argparse.Namespace) -> int:
    """Choose the floor staff per store (:func:`sim.experiments.staffing.staff_per_store`); print the table and
    the answer; with ``--out`` write staffing.csv and staffing.json."""
    from sim.experiments.staffing import check_targets, staff_per_store
    from sim.outputs.staffing import display_table, write_staffing

    given: dict[str, str] = {}
    for item in args.targets or ["store_service_level=0.8"]:
        kpi, sep, value = item.partition("=")
        if not sep or not kpi.strip():
            raise UsageError(f"{PROG}: --target {item!r}: expected KPI=VALUE, e.g. store_service_level=0.8")
        given[kpi.strip()] = value.strip()
    try:
        targets = {kpi: x for kpi, (_, x) in check_targets(given).items()}
    except ValueError as exc:
        raise UsageError(f"{PROG}: --{exc}") from None
    out = _check_out(args.out, args.force) if args.out else None
    scenario = _load(args.file, args.overrides, args.preset)
    _check_setups(scenario, [args.setup], "--setup")
    if args.max_tills is not None and not args.tills:
        raise UsageError(f"{PROG}: --max-tills: only with --tills (the tills are searched only then)")
    _guard(scenario, args.force)
    step = (lambda text: print(f"{PROG}: {text}", file=sys.stderr)) if args.progress else None
    try:
        plan = staff_per_store(scenario, args.setup, targets, tills=args.tills, max_staff=args.max_staff,
                               max_tills=args.max_tills, confidence=args.confidence,
                               min_replications=min(5, args.replications), max_replications=args.replications,
                               seed=args.seed, workers=args.workers, on_step=step)
    except ValueError as exc:  # e.g. --max-staff below a store's floor
        raise UsageError(f"{PROG}: {exc}") from None
    table = display_table(plan)
    _print_table([list(map(str, r)) for r in table.itertuples(index=False)], list(table.columns))
    print()
    for line in plan.lines():
        print(textwrap.fill(line, width=110, subsequent_indent="  "))
    if out is not None:
        meta = {"file": str(args.file), "overrides": list(args.overrides), "preset": args.preset,
                "seed": args.seed, "replications": args.replications, "workers": args.workers}
        for path in write_staffing(plan, out, meta):
            print(path)
    return EXIT_OK if plan.all_met else EXIT_FAILURE


def _print_compare(summary: Any, kpis: Sequence[str]) -> None:
    setups = list(dict.fromkeys(summary["setup"]))
    cell = {(r.setup, r.kpi): f"{_fmt(r.mean)} ± {_fmt(r.half_width, 2)}" for r in summary.itertuples()}
    baseline = summary["baseline"].iloc[0]
    print(f"mean ± half-width of the confidence interval; paired differences vs {baseline} in summary.csv"
          if len(setups) > 1 else f"mean ± half-width of the confidence interval; {summary.attrs.get('note', '')}")

    _print_table([(k, unit_of(k), *(cell.get((s, k), "-") for s in setups)) for k in kpis], ("kpi", "unit", *setups))
    _late_rule(kpis)


def _costs(text: str | None) -> tuple[Any, str]:
    """``--costs``: a preset name or a checked cost table read from a file, and where it came from; a bad file is
    one line (exit 2) before anything is run or written."""
    if text is None:
        return None, ""
    from sim.outputs.roi import COST_PRESETS, load_costs

    if text in COST_PRESETS:
        return text, f"preset {text} (--costs)"
    try:
        return load_costs(Path(text).expanduser()), f"{text} (--costs)"
    except ValueError as exc:
        raise UsageError(f"{PROG}: --costs {text}: {exc}") from None


def cmd_compare(args: argparse.Namespace) -> int:
    """Replicate the setups, write summary.csv, runs.csv, kpis.png, differences.png; print a table and paths."""
    from sim.outputs.results import HEADLINE_KPIS, write_comparison

    costs, costs_from = _costs(args.costs)
    out = _check_out(args.out, args.force)
    scenario = _load(args.file, args.overrides, args.preset)

    setups = _check_setups(scenario, args.setups or list(SETUP_NAMES), "--setups")
    if len(setups) < 2 and (args.decompose or args.assumptions):  # a single setup: its figures, no paired change
        what = "--decompose" if args.decompose else "--assumptions"
        raise UsageError(f"{PROG}: {what}: needs at least two setups, the first the baseline (got {setups[0]!r})")
    from sim.outputs.roi import check_priced

    try:
        check_priced(scenario, setups, costs)
    except ValueError as exc:
        raise UsageError(f"{PROG}: {'--costs ' + args.costs + ': ' if args.costs else ''}{exc}") from None
    _guard(scenario, args.force)

    # full results (breakdowns and daily series too): what the report's mechanism charts and tables need
    results = replicate_results(scenario, setups, args.replications, args.seed, args.workers,
                                progress=args.progress and sys.stderr.isatty(), scheduler=args.scheduler)
    behaviour = _behaviour(args, scenario, setups, results, costs) if args.assumptions else None
    decomposition = None
    if args.decompose:
        from sim.experiments.decompose import decompose
        from sim.experiments.tables import kpi_table

        decomposition = decompose(scenario, setups, args.replications, args.seed, args.workers, args.confidence,
                                  progress=args.progress and sys.stderr.isatty(), runs=kpi_table(results),
                                  scheduler=args.scheduler)
    decision, summary, paths = write_comparison(scenario, results, out, replications=args.replications,
                                                seed=args.seed, confidence=args.confidence, file=str(args.file),
                                                overrides=args.overrides, note=_note, behaviour=behaviour,
                                                decomposition=decomposition, costs=costs, costs_from=costs_from)
    if args.json:
        from sim.outputs.results import decision_json

        print(json.dumps(decision_json(decision, decomposition), indent=2))
        for path in paths:
            print(path, file=sys.stderr)
        return EXIT_OK
    _print_decision(decision)
    _print_behaviour(decision)
    if decomposition is not None:
        from sim.experiments.decompose import summary_lines

        print()
        for line in summary_lines(decomposition):
            print(textwrap.fill(line, width=110, subsequent_indent="  "))
    if args.all or len(setups) == 1:  # one setup: no changes to show, so its figures
        print()
        _print_compare(summary, [k for k in HEADLINE_KPIS if k in set(summary["kpi"])])
    for path in paths:
        print(path)
    return EXIT_OK


def _behaviour(args: argparse.Namespace, scenario: Any, setups: Sequence[str], results: Any = None,
               costs: Any = None) -> Any:
    """The ``--assumptions N`` runs (:func:`sim.experiments.behaviour.compare_behaviour`), their break-evens aimed at
    a 12-month payback when the measured days are whole weeks (:func:`sim.outputs.roi.payback_targets`), at a zero
    operating-margin gain otherwise."""
    from sim.experiments.behaviour import compare_behaviour
    from sim.experiments.tables import kpi_table
    from sim.outputs.roi import orders_by_setup, payback_targets

    measured = scenario.horizon_days - scenario.warmup_days
    orders = orders_by_setup(kpi_table(results)) if results is not None else None
    try:
        targets = payback_targets(scenario, setups, measured, costs, orders=orders)
    except ValueError as exc:
        raise UsageError(f"{PROG}: --costs: {exc}") from None
    criterion = "payback within 12 months" if targets else "operating-margin gain of zero"
    store = None
    if args.assumptions_store is not None:
        store = args.assumptions_store.expanduser().absolute()
        if store.exists() and not store.is_file():
            raise UsageError(f"{PROG}: --assumptions-store {store}: exists and is not a file")
        store.parent.mkdir(parents=True, exist_ok=True)
    try:
        return compare_behaviour(scenario, setups, args.assumptions, args.replications, args.seed, args.workers,
                                 args.confidence, progress=args.progress and sys.stderr.isatty(),
                                 scheduler=args.scheduler, store=store, targets=targets, criterion=criterion,
                                 break_evens=args.break_evens)
    except ValueError as exc:
        if isinstance(exc, StoreError):
            raise
        raise UsageError(f"{PROG}: --assumptions: {exc}") from None


def _print_behaviour(decision: Any) -> None:
    """The behaviour table after the decision: per setup and KPI, the change at the point values, its range
    across plausible behaviour, the noise, the verdict and the parameter that drives it."""
    from sim.outputs.decision import behaviour_table

    if decision.behaviour is None:
        return
    table = behaviour_table(decision.behaviour)
    print()
    print(f"across plausible behaviour ({decision.behaviour.n} draws of the evidence's ranges, "
          f"{decision.behaviour.replications} replications each; every draw in behaviour.csv):")
    _print_table([tuple(str(v) for v in row) for row in table.itertuples(index=False)], tuple(table.columns))


def _print_decision(decision: Any) -> None:
    """The decision first: the sentences, then the deciding KPIs' changes as people read them."""
    for line in decision.sentences:
        print(textwrap.fill(line, width=110, subsequent_indent="  "))
    print()
    table = decision.table()
    if table.empty:  # one setup: nothing changed against anything
        return
    _print_table([tuple(str(v) for v in row) for row in table.itertuples(index=False)], tuple(table.columns))
    print(f"(every KPI: --all; the tables and charts: {', '.join(('summary.csv', 'changes.png'))})")


def _load_experiment(file: Path, overrides: Sequence[str]) -> tuple[Any, Any]:
    """Return ``(experiment, evaluator)``, or raise UsageError with one line per problem naming the field.

    Problems of the experiment file are prefixed with its path; problems of its scenario with the scenario's.
    """
    from sim.experiments.designs import ExperimentError, load_experiment
    from sim.experiments.sweep import experiment_evaluator

    values = _overrides(overrides)
    prefixes = [f"{file}: "]
    try:
        exp = load_experiment(file)
        if exp.scenario is not None:
            prefixes.append(f"{exp.scenario}: ")
        evaluator = experiment_evaluator(exp, values)
        evaluator.check_setups(exp.setups or evaluator.default_setups)
    except ExperimentError as exc:
        raise UsageError(*(p if p.startswith(tuple(prefixes)) else prefixes[0] + p for p in exc.problems)) from None
    except ValueError as exc:  # an unknown or repeated setup name
        raise UsageError(f"{prefixes[0]}{exc}") from None
    return exp, evaluator


@contextmanager
def _file_log(path: Path) -> Iterator[None]:
    """Append the runner's per-replication log (logger ``sim.experiments.batch``) to ``path`` while the block runs."""


    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s pid=%(process)d %(levelname)s %(message)s"))
    old = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
        handler.close()


def _guard_points(exp: Any, evaluator: Any, force: bool) -> None:
    """The resource guard on the experiment's dearest design point."""
    worst, where = None, ""
    for i, params in enumerate(exp.points()):
        scenario = evaluator.prepare(params)[0]
        if worst is None or estimate(scenario).cpu_s > estimate(worst).cpu_s:
            worst, where = scenario, (f"design point {i}: " if params else "")
    if worst is not None:
        _guard(worst, force, where)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run an experiment into DIR/results.sqlite (resuming), export its tables; exit 1 if replications failed."""
    from sim.experiments.sweep import default_store_path, sweep
    from sim.outputs.results import SWEEP_KEEP, staged_output, write_sweep

    out = _check_out(args.out, args.force, sweep=True)
    exp, evaluator = _load_experiment(args.file, args.overrides)
    _guard_points(exp, evaluator, args.force)

    out.mkdir(parents=True, exist_ok=True)
    with Store(default_store_path(out)) as store, _file_log(out / "sweep.log"):
        result = sweep(exp, store, workers=args.workers, scheduler=args.scheduler, evaluator=evaluator,
                       progress=args.progress and sys.stderr.isatty(), command=" ".join([PROG, *sys.argv[1:]]))
        with staged_output(out, keep=SWEEP_KEEP) as tmp:
            write_sweep(result, tmp, evaluator, note=_note)
            names = sorted(p.name for p in tmp.iterdir())
    print(f"{exp.name}: {result.summary.describe()}", file=sys.stderr)
    for name in [default_store_path(out).name, "sweep.log", *names]:
        print(out / name)
    return EXIT_FAILURE if result.summary.failed_total else EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the journeys (to targets, or a chain to a log), write the user's file with the fitted values, print
    the figures."""
    from sim.experiments.calibration import (
        MARKET_TARGETS,
        calibrate,
        fit_chain,
        fitted_changes,
        read_targets,
        with_chain,
        write_fitted,
    )

    _check_out_file(args.out, args.force)  # checked before any fitting: nothing is touched
    scenario = _load(args.file, args.overrides, args.preset)
    if args.log is not None:
        if not args.log.is_file():
            raise UsageError(f"{PROG}: --log {args.log}: no such file")
        chain, counts = fit_chain(args.log)
        fitted = with_chain(scenario, chain, args.segment)
        changes = [(("segments", i, "journey", "chain"), new.model_dump(mode="json")) for i, seg in enumerate(fitted.segments)
                   if (new := seg.journey.chain) is not None and new != scenario.segments[i].journey.chain]
        print(f"fitted a chain over {len(chain.transitions)} touchpoints from "
              f"{sum(counts['start'].values())} journeys")
    else:
        targets = MARKET_TARGETS if args.targets is None else read_targets(args.targets)
        fitted, report = calibrate(scenario, targets, setup=args.setup, refit=args.refit)
        after = report["after"]
        rows = [("touchpoints_per_journey", _fmt(targets["touchpoints_per_journey"]),
                 _fmt(after["touchpoints_per_journey"]))] if "touchpoints_per_journey" in targets else []
        rows += [(f"usage {k}", _fmt(v), _fmt(after["usage"][k])) for k, v in targets.get("usage", {}).items()]
        if "ropo_share" in targets:
            rows.append(("ropo_share", _fmt(targets["ropo_share"]), _fmt(after["ropo_share"])))
        _print_table(rows, ("figure", "target", "simulated"))
        changes = fitted_changes(scenario, fitted)
        kept = "" if args.refit else "; purchase channels kept as written (--refit channels to fit them too)"
        print(f"{_plural(len(changes), 'value')} fitted{kept}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(write_fitted(args.file, changes, args.out, overrides=_overrides(args.overrides), expected=fitted))
    return EXIT_OK


def _check_warmup_write(file: Path, scenario: Any) -> None:
    """Refuse ``warmup --write`` (one line, before any run) where rewriting the file would be unsafe."""
    if file.is_symlink() or not file.is_file():
        raise UsageError(f"{PROG}: {file}: --write needs a regular file to rewrite")
    if not os.access(file, os.W_OK):
        raise UsageError(f"{PROG}: {file}: not writable; --write would change nothing")
    if scenario.promotions:
        first = scenario.promotions[0]
        raise UsageError(f"{PROG}: {file}: --write refused: promotions are placed by simulated day (promotions.0 "
                         f"{first.name!r} starts on day {first.start_day:g}), so a warm-up would move the measured "
                         "days against them; shift them by the warm-up yourself, then set warmup_days")


def _fitted_horizon_comment(warmup: int, measured: float) -> Callable[[str], str]:
    """The new comment of ``horizon_days``: the warm-up and measured days, then the author's own reason."""
    def rewrite(old: str) -> str:
        reason = WARMUP_PREFIX.sub("", old)
        head = f"warm-up {warmup} + {measured:g} measured days"
        return f"{head}: {reason}" if reason else head

    return rewrite


def cmd_warmup(args: argparse.Namespace) -> int:
    """Run the scenario from full stock under each setup, print Welch's warm-up for each and the suggestion (the
    setup that settles last); with ``--write``, rewrite ``warmup_days`` and ``horizon_days`` in the file.
    Exit 1 when a setup's stock has not settled within the run (nothing written)."""
    from sim.experiments.warmup import (
        WARMUP_REPLICATIONS,
        WARMUP_RUN_DAYS,
        WARMUP_TOLERANCE,
        suggest_warmup,
        welch_window,
    )
    from sim.outputs.results import staged_output

    plot = _check_out(args.plot, args.force, option="--plot") if args.plot else None
    scenario = _load(args.file, [])
    if args.write:
        _check_warmup_write(args.file, scenario)

    window = args.window or welch_window(scenario)
    days = WARMUP_RUN_DAYS if args.days is None else args.days
    reps = WARMUP_REPLICATIONS if args.replications is None else args.replications
    tolerance = WARMUP_TOLERANCE if args.tolerance is None else args.tolerance
    band = f"{100 * tolerance:g} %"
    if days < 4 * window + 2:
        raise UsageError(f"{PROG}: --days {days:g}: Welch's method needs two moving averages of {2 * window + 1} days;"
                         f" give at least {4 * window + 2}")
    _guard(scenario.model_copy(update={"horizon_days": days, "warmup_days": 0.0}), args.force)
    found = suggest_warmup(scenario, None, reps, days, args.seed, args.workers, window, tolerance,
                           progress=sys.stderr.isatty())
    rows = [(setup, f"{w.warmup} days" if found.settled(setup) else "not settled", f"{w.period_means[0]:,.0f}",
             f"{w.level:,.0f}") for setup, w in found.welch.items()]
    print(f"{scenario.name}: Welch's method on {found.series} (stock on hand, whole network, end of day), "
          f"{_plural(reps, 'replication')} of {days:g} days from order-up-to, seed {args.seed}, moving average of "
          f"{2 * window + 1} days, within {band} of the steady level")
    _print_table(rows, ("setup", "warm-up", "day 1 units", "steady units"))
    if plot is not None:
        from sim.outputs.plots import welch_plot

        with staged_output(plot) as tmp:
            for setup, w in found.welch.items():
                welch_plot(w, tmp / f"welch-{setup}.png", f"{scenario.name}, {setup}: Welch's method, "
                                                          f"{_plural(reps, 'replication')} of {days:g} days")
        for setup in found.welch:
            print(plot / f"welch-{setup}.png")
    if found.days is None:
        print(f"{PROG}: {args.file}: the stock of {' and '.join(found.slowest)} has not settled within {days:g} days "
              f"(Welch's average must stay within {band} of its level from the first half of the run on); rerun with "
              f"more days (--days {2 * days:g}) or replications (--replications {2 * reps}), or a wider --tolerance; "
              "nothing written", file=sys.stderr)
        return EXIT_FAILURE
    last = ("every setup's stock settles by then" if len(found.slowest) == len(found.welch) else
            f"{' and '.join(found.slowest)} {'settles' if len(found.slowest) == 1 else 'settle'} last")
    print(f"suggested warm-up: {found.days} days ({last})")
    if not args.write:
        return EXIT_OK
    from sim.experiments.calibration import write_fitted

    measured = scenario.horizon_days - scenario.warmup_days
    fitted = scenario.model_copy(update={"warmup_days": float(found.days), "horizon_days": found.days + measured})
    command = " ".join([f"omnisim warmup --replications {reps} --days {days:g}",
                        *([f"--seed {args.seed}"] if args.seed else []),
                        *([f"--window {args.window}"] if args.window else []),
                        *([f"--tolerance {args.tolerance:g}"] if args.tolerance else [])])
    note = f"fitted by `{command}` (Welch on the daily network stock: {last})"
    changes = [(("warmup_days",), found.days), (("horizon_days",), _whole(found.days + measured))]
    write_fitted(args.file, changes, args.file, expected=fitted,
                 comments={("warmup_days",): lambda _old: note,
                           ("horizon_days",): _fitted_horizon_comment(found.days, measured)})
    print(f"{args.file}: warmup_days {scenario.warmup_days:g} -> {found.days}, horizon_days "
          f"{scenario.horizon_days:g} -> {found.days + measured:g} ({measured:g} measured days kept)")
    return EXIT_OK


def _whole(x: float) -> int | float:
    """An integer where the number is one (written ``49``, not ``49.0``)."""
    return int(x) if float(x).is_integer() else x


def cmd_kpis(args: argparse.Namespace) -> int:
    """Print the KPI glossary as a Markdown table, or rewrite it between the glossary markers of ``--into``."""
    if args.into is None:
        print(glossary_markdown())
        return EXIT_OK
    try:
        text = args.into.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{PROG}: --into {args.into}: cannot read it ({exc})") from None
    try:
        new = with_glossary(text)
    except ValueError:
        raise UsageError(f"{PROG}: --into {args.into}: no glossary markers; put the lines {GLOSSARY_START!r} "
                         f"and {GLOSSARY_END!r} where the glossary goes") from None
    if new != text:
        tmp = args.into.with_name(args.into.name + ".tmp")
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, args.into)
    print(args.into)
    return EXIT_OK


def cmd_reference(args: argparse.Namespace) -> int:
    """Print the scenario reference, or write it (``--markdown``), the JSON Schema (``--schema``), the evidence
    register (``--evidence``) and the docs site's command-line, API and benchmarks pages (``--cli``, ``--api``,
    ``--benchmarks``) and print the paths written."""
    pages: tuple[tuple[Path | None, Callable[[], str]], ...] = (
        (args.markdown, reference_markdown), (args.schema, schema_text),
        (args.evidence, lambda: evidence_markdown(library_default())),
        (args.cli, lambda: cli_markdown(build_parser())), (args.api, api_markdown),
        (args.benchmarks, benchmarks_markdown))
    if all(path is None for path, _ in pages):
        print(reference_markdown(), end="")
        return EXIT_OK
    for path, text in pages:
        if path is None:
            continue
        tmp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text(), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            with suppress(OSError):  # nothing written, or no folder to write it in
                tmp.unlink()
            raise UsageError(f"{PROG}: {path}: cannot write it ({exc})") from None
        print(path)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Write the HTML report of a compare folder and print its path."""
    from sim.outputs.report import ReportError, write_report

    if not (args.results / "summary.csv").is_file():
        raise UsageError(f"{PROG}: {args.results}: not a compare output folder (no summary.csv)")
    if args.out is not None:  # a report is rewritten in place: an existing file is no refusal
        _check_out_file(args.out, force=True, what="HTML report")
    costs, costs_from = _costs(args.costs)
    if costs is not None:
        from sim.outputs.roi import scenario_costs

        meta = {"costs": scenario_costs(None, costs), "costs_from": costs_from}
    try:
        print(write_report(args.results, args.out, point=args.point, meta=meta if costs is not None else None))
    except ReportError as exc:
        raise UsageError(f"{PROG}: {exc}") from None
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": cmd_validate,
    "check-plausibility": cmd_check_plausibility,
    "run": cmd_run,
    "compare": cmd_compare,
    "calibrate": cmd_calibrate,
    "warmup": cmd_warmup,
    "kpis": cmd_kpis,
    "reference": cmd_reference,
    "report": cmd_report,
    "sweep": cmd_sweep,
    "staff": cmd_staff,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``omnisim`` console script; return the exit status (0 ok, 2 bad input, 130 interrupted
    by Ctrl-C, 143 by SIGTERM, 129 by SIGHUP)."""
    with handling_signals():
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help, or an argparse error already printed on one line
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        except KeyboardInterrupt as exc:
            stop = as_interrupted(exc)
            print(f"{PROG}: interrupted{_by(stop)}", file=sys.stderr)
            return stop.exit_code
        try:
            code = _main(args)
            late = requested()
            if late is not None and code != 128 + late:  # its exception was dropped where Python cannot raise
                print(f"{PROG}: interrupted{_by(Interrupted(late))} as the command finished; what it printed and "
                      "wrote above is complete", file=sys.stderr)
                return 128 + late
            return code
        except KeyboardInterrupt as exc:  # pressed while the first one was being reported
            return as_interrupted(exc).exit_code


def _by(stop: Interrupted) -> str:
    """How an interrupt is named in a message: nothing for Ctrl-C, ``(SIGTERM)`` otherwise."""
    return "" if stop.signum == EXIT_INTERRUPTED - 128 else f" ({signal_name(stop.signum)})"


def _interrupted(command: str, stop: Interrupted) -> int:
    """Say in one line that ``command`` was interrupted, and what it kept; return 128 + the signal's number."""
    if command == "sweep":
        grace = ""
        if stop.kept or stop.cut:
            grace = (f"; {_plural(stop.kept, 'replication')} finished within the {GRACE_S:g}-s grace period and "
                     f"{stop.cut} in flight {'was' if stop.cut == 1 else 'were'} cut")
        print(f"{PROG}: interrupted{_by(stop)}; the results store keeps every replication that finished (each in "
              f"its own transaction){grace}: run the same command again to resume", file=sys.stderr)
    else:
        print(f"{PROG}: interrupted{_by(stop)}; nothing written", file=sys.stderr)
    return stop.exit_code


def _main(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except SchedulerError as exc:  # --scheduler ADDR: nothing listens there
        print(f"{PROG}: --scheduler {exc.address}: cannot connect to a Dask scheduler ({exc.reason})",
              file=sys.stderr)
        return EXIT_USAGE
    except ScenarioError as exc:  # e.g. a journey log or targets file that does not fit
        for line in exc.problems:
            print(f"{PROG}: {line}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:  # a results store that is not one, or one another sweep is writing
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        return _interrupted(args.command, as_interrupted(exc))
    except BrokenPipeError:  # e.g. `omnisim run ... | head`: stop quietly like other command-line tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
