"""The scenario reference (docs/reference/scenario-fields.md) and JSON Schema (docs/scenario.schema.json): current, complete,
and true to the loader on the library scenarios."""

from __future__ import annotations

import copy
import json

import jsonschema  # a dependency of nbformat (the notebooks extra, in dev)
import pytest

from sim.interfaces import cli
from sim.outputs.reference import MARKDOWN_FILE, SCHEMA_FILE, models, reference_markdown, schema_text
from sim.scenario.schema import Dist, Scenario, read_yaml

from .reference import ROOT

REGENERATE = f"run `make docs` or `omnisim reference --markdown {MARKDOWN_FILE} --schema {SCHEMA_FILE}`"
LIBRARY = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "validation").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / SCHEMA_FILE).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize(("path", "make"), [(MARKDOWN_FILE, reference_markdown), (SCHEMA_FILE, schema_text)])
def test_committed_documents_are_current(path, make):
    committed = (ROOT / path).read_text(encoding="utf-8")
    assert committed == make(), f"{path} is out of date with the models of sim/scenario/schema.py: {REGENERATE}"


def test_every_field_of_every_model_is_in_the_markdown():
    text = reference_markdown()
    found = list(models())
    assert {m for m, _ in found} >= {Scenario, Dist} and len(found) >= 20
    missing = []
    for model, paths in found:
        prefix = "<distribution>." if model is Dist else (paths[0] + "." if paths[0] else "")
        assert f'<a id="{model.__name__.lower()}"></a>' in text, model.__name__
        missing += [f"{model.__name__}.{name}" for name in model.model_fields if f"| `{prefix}{name}` |" not in text]
    assert not missing, f"fields without a row in the reference: {missing}"


def test_rows_show_type_unit_default_range_and_meaning():
    text = reference_markdown()
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ")[1:] for line in text.splitlines()
            if line.startswith("| `")}
    assert rows["stores.*.staff"] == ["int or null", "—", "required (may be null)", "0 to 10,000",
                                      "advice and picking staff on the floor; null = unlimited; at most 10,000 |"]
    assert rows["stores.*.till_time_min"][:3] == ["[distribution](#dist) or null", "minutes", "null"]
    assert rows["horizon_days"][:4] == ["float", "days", "required", "> 0, ≤ 36,500"]
    assert rows["segments.*.channels"][:4] == ["mapping of float", "share 0–1", "required", "each 0 to 1"]
    assert rows["fulfilment.routing"][0].startswith("one of `warehouse_first`/")
    assert rows["fulfilment.home_cost"][1] == "currency"
    assert rows["fulfilment.home_delivery_days"][2] == "gamma, mean 2, cv 0.4"
    assert rows["stores.*.replenishment.lead_time_days"][1:3] == ["days", "fixed 2"]
    assert rows["segments.*.after_sale.review_prob"][1] == "probability 0–1"
    assert rows["segments"][3] == "at least 1 item"
    assert "—" not in {cells[-1] for cells in rows.values()}, "a field without a meaning: give it a description"


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_library_scenarios_validate_against_the_schema(path, validator):
    problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(read_yaml(path))]
    assert not problems, f"{path.name} is refused by {SCHEMA_FILE}: {problems[:5]}"


@pytest.mark.parametrize(("path", "value"), [
    (("customers_per_day",), -5),
    (("horizon_days",), "a week"),
    (("stores", 0, "staff"), 2.5),
    (("stores", 0, "advice_prob"), 1.5),
    (("fulfilment", "routing"), "fastest"),
    (("segments", 0, "journey", "mean_touchpoints"), 0.5),
    (("stores", 0, "stafff"), 3),  # a typo: unknown fields are refused
    (("fulfilment", "home_delivery_days"), -1),  # a distribution given as a number
    (("fulfilment", "home_delivery_days"), {"dist": "weibull", "mean": 2}),
])
def test_known_bad_values_fail_the_schema_as_the_loader_refuses_them(path, value, validator):
    data = copy.deepcopy(read_yaml(ROOT / "scenarios" / "default.yaml"))
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert not validator.is_valid(data), f"{'.'.join(map(str, path))} = {value!r} passes the schema"


def test_the_shorthands_pass_the_schema(validator):
    data = copy.deepcopy(read_yaml(ROOT / "scenarios" / "default.yaml"))
    data["fulfilment"]["home_delivery_days"] = 2  # a plain number: a fixed value
    data["segments"][0].pop("stockout_reaction", None)
    data["segments"][0]["accept_delivery_prob"] = 0.4
    assert validator.is_valid(data)


def test_cli_prints_and_writes_the_reference(tmp_path, capsys):
    assert cli.main(["reference"]) == 0
    assert capsys.readouterr().out == reference_markdown()
    md, schema = tmp_path / "docs" / "ref.md", tmp_path / "docs" / "schema.json"
    assert cli.main(["reference", "--markdown", str(md), "--schema", str(schema)]) == 0
    assert capsys.readouterr().out.split() == [str(md), str(schema)]
    assert md.read_text(encoding="utf-8") == reference_markdown()
    assert json.loads(schema.read_text(encoding="utf-8"))["title"] == "omnisim scenario"
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert cli.main(["reference", "--schema", str(blocker / "schema.json")]) == 2
    assert "cannot write it" in capsys.readouterr().err
