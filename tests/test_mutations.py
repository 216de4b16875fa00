"""Property (issue 14): any mutation of a library scenario — a field deleted, renamed or given the wrong type, a
non-finite or extreme number, the text truncated or re-encoded — either loads or is refused with the project's
own error, one line per problem, each naming a field path or the file; never another exception, never slow."""

from __future__ import annotations

import math
import re
import tempfile
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario.schema import Scenario, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "scenarios").glob("*.yaml"))
ODD_VALUES = [math.nan, math.inf, -math.inf, 1e308, -1, 0, 10**30, -(10**30), "x", "", [], {}, None, True, [1, 2],
              {"a": 1}, 1e-300, "2024-01-01", 0.5]
# a problem line: a file-level line (the path, then what is wrong) or a field path (dotted, may hold '*',
# or '(top level)'), then ': ' and the message
LINE = re.compile(r"^(\(top level\)|[^\s:][^:]*): \S")
SETTINGS = settings(max_examples=60, deadline=5000, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@cache
def raw(i: int) -> str:
    return FILES[i].read_text(encoding="utf-8")


@cache
def parsed(i: int) -> dict:
    return yaml.safe_load(raw(i))


def paths(node, prefix=()):
    """Every path into a parsed scenario (mapping keys and list indices)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        yield (*prefix, k)
        yield from paths(v, (*prefix, k))


def load_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.yaml"
        path.write_bytes(data)
        try:
            return load_scenario(path)
        except ScenarioError as exc:
            assert exc.problems, "an error with no problem line"
            for line in exc.problems:
                assert LINE.match(line), f"not a one-line problem naming a field or the file: {line!r}"
                assert "\n" not in line and "Traceback" not in line
            return exc


@st.composite
def mutated_dicts(draw):
    i = draw(st.integers(0, len(FILES) - 1))
    data = yaml.safe_load(raw(i))  # a fresh copy to mutate
    all_paths = list(paths(data))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(all_paths))
        parent = data
        try:
            for k in path[:-1]:
                parent = parent[k]
            key = path[-1]
            parent[key]  # noqa: B018 - the path may be gone after an earlier mutation
        except (KeyError, IndexError, TypeError):
            continue
        action = draw(st.sampled_from(["delete", "value", "rename", "wrap"]))
        if action == "delete":
            del parent[key]
        elif action == "value":
            parent[key] = draw(st.sampled_from(ODD_VALUES))
        elif action == "rename" and isinstance(parent, dict):
            parent[f"{key}_{draw(st.sampled_from(['x', 'typo', '2']))}"] = parent.pop(key)
        else:
            parent[key] = [parent[key]]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")


@pytest.mark.slow
@given(mutated_dicts())
@SETTINGS
def test_mutated_fields_load_or_are_refused_with_a_field_path(data):
    out = load_bytes(data)
    assert isinstance(out, Scenario | ScenarioError)


@st.composite
def mutated_texts(draw):
    text = raw(draw(st.integers(0, len(FILES) - 1)))
    action = draw(st.sampled_from(["truncate", "utf-16", "latin-1", "cp1252", "insert", "duplicate-line"]))
    if action == "truncate":
        return text[: draw(st.integers(0, len(text)))].encode("utf-8")
    if action in ("utf-16", "latin-1", "cp1252"):
        accented = text.replace("name: ", "name: é", 1)
        return accented.encode(action, errors="replace")
    lines = text.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines)))
    if action == "duplicate-line" and lines:
        return "".join([*lines[:at], lines[min(at, len(lines) - 1)], *lines[at:]]).encode("utf-8")
    junk = draw(st.sampled_from([b"\x00", b"\xff\xfe", b"\xe9", b": :", b"&a [*a]", b"- .inf\n", b"\t", b"{{"]))
    return "".join(lines[:at]).encode("utf-8") + junk + "".join(lines[at:]).encode("utf-8")


@given(mutated_texts())
@SETTINGS
def test_mutated_text_loads_or_is_refused_in_one_line(data):
    out = load_bytes(data)
    assert isinstance(out, Scenario | ScenarioError)
