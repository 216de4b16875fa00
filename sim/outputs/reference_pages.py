"""The generated pages of the docs site's Reference section besides the scenario fields and the evidence register
(:mod:`sim.outputs.reference`), each committed under ``docs/reference/`` and rewritten by ``make docs``
(``omnisim reference --cli FILE --api FILE --benchmarks FILE``):

- :func:`cli_markdown`: the command line, from the argparse parser the interfaces wing passes in (this wing does
  not import the command line): every command's description, usage line and a table of its arguments;
- :func:`api_markdown`: the Python API, one mkdocstrings directive per name of the public face ``sim.__all__``
  (read from ``sim/__init__.py`` without importing it), grouped by wing, and a table of its constants;
- :func:`benchmarks_markdown`: the operating and size benchmarks of ``sim/scenario/benchmarks.py``, per KPI and
  sector, with the kind of evidence, the source, how it was checked and the notes beside each row.

Each page is checked current by a test that names the command regenerating it. Tables escape ``|``; nothing links
outside ``docs/`` (repository files are code spans), so ``mkdocs build --strict`` takes every page.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

from sim.scenario import benchmarks

CLI_FILE = "docs/reference/cli.md"
API_FILE = "docs/reference/api.md"
BENCHMARKS_FILE = "docs/reference/benchmarks.md"
KPIS_FILE = "docs/reference/kpis.md"
USAGE_WIDTH = 76  # the usage lines are wrapped at a fixed width, whatever the terminal that writes the page
PACKAGE = Path(__file__).resolve().parents[1]  # sim/


def _text(text: str) -> str:
    """Prose for a Markdown table cell or paragraph, on one line: outside its code spans, ``|`` escaped and ``*``,
    ``<`` and ``\\`` taken literally."""
    parts = re.split(r"(`[^`]*`)", " ".join(text.split()))
    return "".join(part if part.startswith("`") else
                   part.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("<", "&lt;")
                   for part in parts)


def _code(text: str) -> str:
    """A code span (Python-Markdown's tables do not split cells at a ``|`` inside one: it stays as it is)."""
    return f"`{text}`"


# --------------------------------------------------------------------------------------------- the command line
CLI_HEADER = """# Command line

<!-- generated from the argparse parser of sim/interfaces/cli.py by `omnisim reference --cli` (make docs): do not edit -->

`omnisim` is installed with the package; `python -m sim` is the same command. Every command takes `-h`/`--help`,
which prints what this page says. Bad input (an invalid scenario, an unknown setup, a malformed option) gives one
line per problem on standard error and exit status 2; an interrupt (Ctrl-C) exits with 130.
"""


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(prog=parser.prog, width=USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _value(action: argparse.Action) -> str:
    """What an argument takes: its metavar, and the allowed values when they are fixed."""
    if action.nargs == 0:
        return "—"
    if not action.option_strings:
        return "positional"
    if isinstance(action.metavar, str):
        name = action.metavar
    elif action.choices is not None:
        name = "{" + ",".join(map(str, action.choices)) + "}"
    else:
        name = action.dest.upper()
    text = _code(name)
    if action.choices is not None and action.metavar is not None:
        text += ": one of " + ", ".join(_code(str(c)) for c in action.choices)
    return text


def _default(action: argparse.Action) -> str:
    if action.required and action.option_strings:
        return "required"
    if action.nargs == 0 or action.default in (None, argparse.SUPPRESS, []) or not action.option_strings:
        return "—"
    return _code(str(action.default))


def _argument_rows(parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        flags = ", ".join(_code(f) for f in action.option_strings) or _code(str(action.metavar or action.dest))
        value = _value(action) + (" (repeatable)" if isinstance(action, argparse._AppendAction) else "")
        text = action.help % {**vars(action), "prog": parser.prog} if action.help else "—"  # as --help expands it
        yield f"| {flags} | {value} | {_default(action)} | {_text(text)} |"


def _command(parser: argparse.ArgumentParser, summary: str = "") -> list[str]:
    parts = []
    description = (parser.description or summary).strip()
    if description:  # a command's one-line help is a phrase: here it opens a paragraph
        parts.append(_text(description[0].upper() + description[1:].rstrip(".") + ".") + "\n")
    parts.append(f"```text\n{_usage(parser)}\n```\n")
    rows = list(_argument_rows(parser))
    if rows:
        parts.append("| argument | value | default | meaning |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")
    return parts


def cli_markdown(parser: argparse.ArgumentParser) -> str:
    """The command-line reference in Markdown: the program's description and usage, a table of its commands, then
    one section per command with its description (or its one-line help), usage line and a table of its arguments
    (flags, the value they take, the default, the help)."""
    parts = [CLI_HEADER, *_command(parser)]
    sub = _subcommands(parser)
    if sub is None:
        return "\n".join(parts)
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    parts.append("| command | what it does |\n|---|---|\n" + "\n".join(
        f"| [{_code(name)}](#{name}) | {_text(helps.get(name, ''))} |" for name in sub.choices) + "\n")
    for name, command in sub.choices.items():
        parts.append(f"## {command.prog} {{ #{name} }}\n")
        parts.extend(_command(command, helps.get(name, "")))
    return "\n".join(parts)


def command_names(parser: argparse.ArgumentParser) -> list[str]:
    """The names of the parser's subcommands, in their order."""
    sub = _subcommands(parser)
    return list(sub.choices) if sub is not None else []


# --------------------------------------------------------------------------------------------- the Python API
API_HEADER = """# Python API

<!-- generated from sim/__init__.py (__all__) and the docstrings by `omnisim reference --api` (make docs): do not edit -->

`import sim` gives the names below: the public face, which the notebooks, the dashboard and these pages use and
which stays stable; every other module of the package is internal and may change. `import sim` loads the scenario
schema and the model core only; the experiment and output names load their wing (pandas, matplotlib) on first
use. Each name is documented where it is defined; its heading is the name to use (`sim.compare`).
"""
# the groups of the page: the wings a name's module belongs to
GROUPS = (("Scenario and model", ("sim._version", "sim.scenario", "sim.core")),
          ("Experiments", ("sim.experiments",)),
          ("Outputs", ("sim.outputs",)))
SEE = {"KPIS": "[the KPI glossary](kpis.md)"}  # where a constant's items are listed in full


def _module_file(module: str) -> Path:
    path = PACKAGE.parent / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def face(path: Path | None = None) -> list[tuple[str, str, str]]:
    """(public name, module, name in the module) for every name of ``sim.__all__``, in its order, read from
    ``sim/__init__.py`` (its imports, ``_LAZY`` and ``_RENAMED``) without importing the package."""
    tree = ast.parse((path or PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    eager: dict[str, tuple[str, str]] = {}
    lazy: dict[str, str] = {}
    renamed: dict[str, str] = {}
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sim":
            eager.update({a.asname or a.name: (node.module or "", a.name) for a in node.names})
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
            if target == "_LAZY":
                lazy = ast.literal_eval(node.value)
            elif target == "_RENAMED":
                renamed = ast.literal_eval(node.value)
            elif target == "__all__" and isinstance(node.value, ast.List):
                for elt in node.value.elts:
                    names.extend(lazy if isinstance(elt, ast.Starred) else [ast.literal_eval(elt)])
    return [(n, lazy[n], renamed.get(n, n)) if n in lazy else (n, *eager[n]) for n in names]


def _definition(module: str, name: str) -> tuple[str, str]:
    """What ``name`` is in ``module`` ("class", "function" or "constant") and, for a constant, the docstring that
    follows its last assignment (an attribute docstring), read from the module's source."""
    body = ast.parse(_module_file(module).read_text(encoding="utf-8")).body
    kind, doc = "", ""
    for i, node in enumerate(body):
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == name:
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            following = body[i + 1] if i + 1 < len(body) else None
            after = following.value if isinstance(following, ast.Expr) else None
            kind = "constant"
            doc = inspect.cleandoc(after.value) if isinstance(after, ast.Constant) and isinstance(after.value, str) \
                else ""
    return kind, doc


def _constant_value(name: str, module: str, attr: str) -> str:
    value = getattr(import_module(module), attr)
    if isinstance(value, tuple | list) and value and all(isinstance(v, str) for v in value):
        return ", ".join(_code(v) for v in value)
    if isinstance(value, tuple | list) and value:
        return f"{len(value)} `{type(value[0]).__name__}` items" + (f": {SEE[name]}" if name in SEE else "")
    return "—"


def _rst(text: str) -> str:
    """A docstring's reStructuredText roles and literals as Markdown code spans."""
    text = re.sub(r":(?:func|class|mod|data|attr|meth):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def api_markdown(path: Path | None = None) -> str:
    """The Python API page: per group (scenario and model, experiments, outputs), a table of the constants of
    ``sim.__all__`` (value and attribute docstring) and one mkdocstrings directive per class and function, headed
    by its public name, all in ``__all__`` order."""
    names = face(path)
    parts = [API_HEADER]
    for title, prefixes in GROUPS:
        members = [(n, m, a) for n, m, a in names if any(m == p or m.startswith(p + ".") for p in prefixes)]
        if not members:
            continue
        parts.append(f"## {title}\n")
        constants = []
        for name, module, attr in members:
            kind, doc = _definition(module, attr)
            if kind == "constant":
                constants.append(f"| {_code('sim.' + name)} | {_constant_value(name, module, attr)} | "
                                 f"{_text(_rst(doc)) or '—'} |")
        if constants:
            parts.append("| constant | value | meaning |\n|---|---|---|\n" + "\n".join(constants) + "\n")
        for name, module, attr in members:
            if _definition(module, attr)[0] != "constant":
                parts.append(f"::: {module}.{attr}\n    options:\n      heading: sim.{name}\n"
                             f"      toc_label: sim.{name}\n      show_root_heading: true\n")
    missing = [n for n, m, _ in names if not any(m == p or m.startswith(p + ".") for _, ps in GROUPS for p in ps)]
    if missing:
        raise ValueError(f"names of sim.__all__ outside the page's groups: {missing}")
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------- the benchmarks
BENCHMARKS_HEADER = """# Operating and size benchmarks

<!-- generated from sim/scenario/benchmarks.py by `omnisim reference --benchmarks` (make docs): do not edit -->

Where a plausible baseline's KPIs lie: the ranges that published benchmarks agree on, per sector (a scenario's
`sector`: {sectors}). `omnisim check-plausibility FILE` runs the scenario's multichannel baseline and judges it
against every row of its sector whose part the network has (a call centre, stores, online sales): the KPI's mean,
its confidence half-width, inside or outside; a scenario names the breaches it means in `benchmark_exceptions`. The
ranges are orders of magnitude, not one study's point estimate: a baseline outside them is not impossible, but it is
not the average retailer the library scenarios stand for. Several are derived or partly assumed, as the **kind**
column says; the notes below the tables (follow a KPI's name) say what each KPI measures and give each row's figures
and arithmetic, from the comments of `sim/scenario/benchmarks.py`.

**Kind** names the evidence behind a range, the main kind first. **Checked** says how its figures were checked for
this table: {checks}.
"""
PARTS = {"call_centre": "a call centre", "stores": "stores", "online": "online sales", "": "always"}


def _range_number(x: float) -> str:
    return format(x, ",g")


def _benchmark_source() -> tuple[list[str], list[ast.expr]]:
    """The lines of sim/scenario/benchmarks.py and the expressions of the rows of its ``BENCHMARKS``."""
    source = Path(inspect.getfile(benchmarks)).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if not isinstance(node, ast.AnnAssign | ast.Assign):
            continue
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        if isinstance(target, ast.Name) and target.id == "BENCHMARKS" and isinstance(node.value, ast.Tuple):
            return source.splitlines(), node.value.elts
    raise ValueError("sim/scenario/benchmarks.py has no BENCHMARKS tuple")


def _is_rule(text: str) -> bool:
    """A bare ``#`` or a ``# ----`` line: the end of a comment that belongs to the row below it."""
    return not text or set(text) <= {"-"}


def benchmark_notes() -> list[str]:
    """The comment right above each row of ``BENCHMARKS`` (up to a bare ``#`` or a rule), "" where a row has none."""
    lines, rows = _benchmark_source()
    notes = []
    for row in rows:
        block: list[str] = []
        i = row.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#") and not _is_rule(lines[i].strip()[1:].strip()):
            block.insert(0, lines[i].strip()[1:].strip())
            i -= 1
        notes.append(" ".join(block))
    return notes


def _benchmark_table(rows: list[benchmarks.Benchmark]) -> str:
    return "| KPI | sectors | range | kind | checked | source |\n|---|---|---|---|---|---|\n" + "\n".join(
        "| " + " | ".join((
            f"[{_code(b.kpi)}](#{_anchor(b.kpi)})",
            "all" if set(b.sectors) == set(benchmarks.SECTORS) else ", ".join(b.sectors),
            f"{_range_number(b.low)} – {_range_number(b.high)}", _text(b.kind) or "—", _text(b.checked) or "—",
            _text(b.source))) + " |"
        for b in rows) + "\n"


def _anchor(kpi: str) -> str:
    return "bm-" + kpi.replace("_", "-")


def benchmarks_markdown() -> str:
    """The benchmarks page: the operating rows and the size rows (``SIZE_KPIS``) of ``BENCHMARKS`` in two tables
    (KPI, sectors, range, kind of evidence, how checked, source), then per KPI what it measures, the part of the
    network it needs and its notes: the comments above its rows in the module."""
    parts = [BENCHMARKS_HEADER.format(
        sectors=", ".join(_code(s) for s in benchmarks.SECTORS),
        checks="; ".join(f"{_code(k)}: {_text(v)}" for k, v in benchmarks.CHECKS.items()))]
    size = [b for b in benchmarks.BENCHMARKS if b.kpi in benchmarks.SIZE_KPIS]
    operating = [b for b in benchmarks.BENCHMARKS if b.kpi not in benchmarks.SIZE_KPIS]
    parts.append("## Operating benchmarks\n\nHow the baseline runs: calls answered, queues, parcels on time, shelves, "
                 "returns, satisfaction. One row for every sector unless the sectors column says otherwise.\n")
    parts.append(_benchmark_table(operating))
    parts.append("## Size benchmarks\n\nWhether the chain is the size it claims: sales density, tickets, the "
                 "average ticket, the online share, stock turns, conversion. One row per sector, and a wide "
                 "`general` row.\n")
    parts.append(_benchmark_table(size))
    parts.append("## Notes\n")
    notes: dict[str, list[str]] = {}
    for b, note in zip(benchmarks.BENCHMARKS, benchmark_notes(), strict=True):
        if note and note not in notes.setdefault(b.kpi, []):
            notes[b.kpi].append(note)
    for kpi, texts in notes.items():
        first = next(b for b in benchmarks.BENCHMARKS if b.kpi == kpi)
        parts.append(f"### `{kpi}` {{ #{_anchor(kpi)} }}\n\n**Measures**: {_text(first.what)}. **Judged when the "
                     f"network has**: {PARTS.get(first.needs, first.needs)}.\n\n"
                     + "\n\n".join(_text(t) for t in texts) + "\n")
    return "\n".join(parts)
