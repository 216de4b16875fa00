"""The docs site's generated Reference pages (docs/reference/: cli.md, api.md, benchmarks.md; kpis.md in
test_ledger): current, complete (every command and option of the parser, every name of ``sim.__all__``, every
benchmark row), and Markdown that ``mkdocs build --strict`` takes (tables whole, links inside docs/)."""

from __future__ import annotations

import argparse
import re
from importlib import import_module

import pytest

import sim
from sim.interfaces import cli
from sim.outputs.reference import EVIDENCE_FILE, MARKDOWN_FILE
from sim.outputs.reference_pages import (
    API_FILE,
    BENCHMARKS_FILE,
    CLI_FILE,
    KPIS_FILE,
    api_markdown,
    benchmark_notes,
    benchmarks_markdown,
    cli_markdown,
    command_names,
    face,
)
from sim.scenario import benchmarks

from .reference import ROOT

REGENERATE = f"run `make docs` or `omnisim reference --cli {CLI_FILE} --api {API_FILE} --benchmarks {BENCHMARKS_FILE}`"
PAGES = {CLI_FILE: lambda: cli_markdown(cli.build_parser()), API_FILE: api_markdown,
         BENCHMARKS_FILE: benchmarks_markdown}
GENERATED = (*PAGES, KPIS_FILE, MARKDOWN_FILE, EVIDENCE_FILE)


@pytest.mark.parametrize("path", list(PAGES))
def test_committed_pages_are_current(path):
    committed = (ROOT / path).read_text(encoding="utf-8")
    assert committed == PAGES[path](), f"{path} is out of date with the code: {REGENERATE}"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_cli_page_names_every_command_and_option_of_the_parser():
    parser = cli.build_parser()
    text = cli_markdown(parser)
    commands = _subparsers(parser)
    assert command_names(parser) == list(commands) and len(commands) >= 10
    missing = []
    for name, command in commands.items():
        section = text.split(f"## omnisim {name} {{ #{name} }}\n", 1)
        if len(section) == 1:
            missing.append(name)
            continue
        body = section[1].split("\n## ", 1)[0]
        assert f"usage: omnisim {name} " in body, name
        missing += [f"{name} {flag}" for a in command._actions for flag in a.option_strings
                    if flag not in ("-h", "--help") and f"`{flag}`" not in body]
        missing += [f"{name} {a.metavar}" for a in command._actions if not a.option_strings
                    and f"| `{a.metavar}` | positional |" not in body]
        assert f"| [`{name}`](#{name}) |" in text, name
    assert not missing, f"commands or options without a row in the command-line page: {missing}"


def test_cli_page_shows_defaults_required_options_and_choices():
    text = cli_markdown(cli.build_parser())
    compare = text.split("## omnisim compare {", 1)[1].split("\n## ", 1)[0]
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in compare.splitlines()
            if line.startswith("| `")}
    assert rows["`--replications`"][:2] == ["`N`", "`10`"]
    assert rows["`--out`"][1] == "required"
    assert rows["`--workers`"][1] == "—"  # None: the help says what happens
    assert rows["`--set`"][0] == "`K=V` (repeatable)"
    assert rows["`--assumptions-preset`"][0].startswith("`NAME`: one of `register`")
    assert rows["`--decompose`"][:2] == ["—", "—"]  # a switch takes no value
    assert "--readme" in text.split("## omnisim kpis {", 1)[1].split("\n## ", 1)[0]  # the alias is documented


def test_api_page_has_a_directive_or_a_row_for_every_public_name():
    text = api_markdown()
    listed = [n for n, _, _ in face()]
    assert listed == list(sim.__all__), "the page reads sim/__init__.py as Python does"
    missing = [n for n in sim.__all__ if f"heading: sim.{n}\n" not in text and f"| `sim.{n}` |" not in text]
    assert not missing, f"names of sim.__all__ missing from {API_FILE}: {missing}"
    for n, module, attr in face():  # each directive documents the very object the face gives
        assert getattr(import_module(module), attr) is getattr(sim, n), n
        if f"heading: sim.{n}\n" in text:
            assert f"::: {module}.{attr}\n    options:\n      heading: sim.{n}\n" in text
    constants = re.findall(r"^\| `sim\.(\w+)` \| .* \| (.*) \|$", text, re.M)
    assert {n for n, _ in constants} == {"__version__", "SETUP_NAMES", "KPIS", "DECIDING"}
    assert all(meaning != "—" for _, meaning in constants), "give each constant an attribute docstring"


def test_benchmarks_page_has_every_row_with_its_evidence():
    text = benchmarks_markdown()
    for b in benchmarks.BENCHMARKS:
        sectors = "all" if set(b.sectors) == set(benchmarks.SECTORS) else ", ".join(b.sectors)
        assert f"`{b.kpi}`](#bm-{b.kpi.replace('_', '-')}) | {sectors} | {b.low:,g} – {b.high:,g} | {b.kind} | " \
               f"{b.checked} |" in text, b
    notes = benchmark_notes()
    assert len(notes) == len(benchmarks.BENCHMARKS)
    for kpi in {b.kpi for b in benchmarks.BENCHMARKS}:  # every KPI's first row carries its comment
        first = next(i for i, b in enumerate(benchmarks.BENCHMARKS) if b.kpi == kpi)
        assert notes[first], f"the first {kpi} row of sim/scenario/benchmarks.py has no comment above it"
        assert f"### `{kpi}` {{ #bm-{kpi.replace('_', '-')} }}\n\n**Measures**: " in text


def _cells(row: str) -> int:
    """Cells of a table row: ``|`` outside code spans and not escaped (as Python-Markdown's tables split)."""
    plain = re.sub(r"`[^`]*`", "", row)
    return len(re.findall(r"(?<!\\)\|", plain)) - 1


@pytest.mark.parametrize("path", GENERATED)
def test_generated_pages_are_whole_tables_and_link_inside_docs(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    header = 0
    for number, line in enumerate(outside.splitlines(), 1):
        if not line.startswith("|"):
            header = 0
        elif not header:
            header = _cells(line)
        else:
            assert _cells(line) == header, f"{path}, line {number}: {_cells(line)} cells, the header has {header}"
    here = (ROOT / path).parent
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", outside):
        assert not target.startswith(("/", "http:", "https:")), f"{path}: link {target}"
        resolved = (here / target).resolve()
        assert resolved.is_relative_to(ROOT / "docs") and resolved.is_file(), f"{path}: link {target} leaves docs/"


def test_cli_writes_the_reference_pages(tmp_path, capsys):
    files = {flag: tmp_path / "docs" / f"{flag}.md" for flag in ("cli", "api", "benchmarks")}
    argv = ["reference", *(arg for flag, path in files.items() for arg in (f"--{flag}", str(path)))]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.split() == [str(p) for p in files.values()]
    assert files["cli"].read_text(encoding="utf-8") == cli_markdown(cli.build_parser())
    assert files["api"].read_text(encoding="utf-8") == api_markdown()
    assert files["benchmarks"].read_text(encoding="utf-8") == benchmarks_markdown()


def test_kpis_writes_the_glossary_into_a_page_whose_marker_names_an_older_command(tmp_path, capsys):
    from sim.core.kpis import GLOSSARY_END, GLOSSARY_START, glossary_markdown

    page = tmp_path / "kpis.md"
    old = "<!-- kpi glossary: written from sim/core/kpis.py by `omnisim kpis --readme README.md` (make docs) -->"
    page.write_text(f"# KPIs\n\nintro\n\n{old}\n| stale |\n{GLOSSARY_END}\n", encoding="utf-8")
    assert cli.main(["kpis", "--into", str(page)]) == 0
    assert capsys.readouterr().out.strip() == str(page)
    assert page.read_text(encoding="utf-8") == (f"# KPIs\n\nintro\n\n{GLOSSARY_START}\n{glossary_markdown()}\n"
                                                f"{GLOSSARY_END}\n")
    assert cli.main(["kpis", "--readme", str(page)]) == 0  # the older name of the option
    assert capsys.readouterr().out.strip() == str(page)
