"""The reference for scenario authors, generated from the pydantic models of sim/scenario/schema.py.

Two documents, both committed under ``docs/`` and rewritten by ``make docs`` (``omnisim reference``):

- :func:`reference_markdown`: one section per model in the order a scenario nests them, a table per section with
  each field's dotted path, type, unit, default, allowed range and meaning (the field's description);
- :func:`json_schema`: pydantic's JSON Schema of :class:`~sim.scenario.schema.Scenario`, with the two shorthands the
  models accept before validation (a plain number for a distribution, ``accept_delivery_prob`` in a segment), so
  that editors complete and check scenario YAML (``# yaml-language-server: $schema=...``).

A third, :func:`evidence_markdown` (``docs/reference/evidence-register.md``), lists the evidence register for
behaviour (sim/scenario/evidence.py) with the values the library's default scenario uses today beside it.

Above the model core: nothing in the simulation imports this module.
"""

from __future__ import annotations

import copy
import inspect
import json
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario import evidence
from sim.scenario.schema import Dist, Scenario, Segment, SetupSpec, load_scenario
from sim.scenario.setups import Capabilities

SCHEMA_FILE = "docs/scenario.schema.json"
MARKDOWN_FILE = "docs/reference/scenario-fields.md"
EVIDENCE_FILE = "docs/reference/evidence-register.md"
# the library's default scenario, whose values today the register is shown beside (absent from an installed wheel)
LIBRARY_DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# the order of the sections: a scenario's top level, then its parts as an author meets them; a model not named
# here (a new one) follows in the order the scenario nests it
ORDER = ("Scenario", "Store", "Warehouse", "Replenishment", "Supplier", "CallCentre", "Touchpoint", "Segment",
         "Journey", "Chain", "Basket", "Reaction", "AfterSale", "SegmentMarketing", "PriceReaction", "Fulfilment",
         "Marketing", "Chatbot", "Offer", "Promotion", "Browsing", "Catalogue", "Sku", "CatalogueGenerator", "SetupSpec", "Dist")
TITLES = {"Scenario": "Top level", "Store": "Stores", "Warehouse": "Warehouse", "Replenishment": "Replenishment",
          "Supplier": "Supplier", "CallCentre": "Call centre", "Touchpoint": "Touchpoints", "Segment": "Segments",
          "Journey": "Segment journey", "Chain": "Journey chain", "Basket": "Segment basket",
          "Reaction": "Stockout reaction", "AfterSale": "After sale", "SegmentMarketing": "Segment marketing",
          "PriceReaction": "Price reaction", "Fulfilment": "Fulfilment", "Marketing": "Marketing",
          "Chatbot": "Chatbot", "Offer": "Offers", "Promotion": "Promotions",
          "Browsing": "Visitors who do not buy", "Catalogue": "Catalogue",
          "Sku": "Catalogue SKUs", "CatalogueGenerator": "Catalogue generator", "SetupSpec": "Setups",
          "Dist": "Distributions"}
DIST_PATH = "<distribution>"  # a distribution's fields, wherever one is used

# what a model accepts besides its fields (a ``mode="before"`` validator rewrites it): (field, type, unit,
# range, meaning) rows of the Markdown, and the same as JSON Schema properties
SHORTHANDS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "Segment": [("accept_delivery_prob", "float", "probability 0–1", "0 to 1",
                 "shorthand for `stockout_reaction: {wait: p, drop_item: 1 - p}`; not together with "
                 "stockout_reaction")],
}
DIST_NUMBER = "a plain number: a fixed value (`dist: fixed` with this mean)"


# --------------------------------------------------------------------------------------------- the models
def _inner(annotation: Any) -> tuple[Any, list[Any]]:
    """The type inside ``Annotated[...]`` and the constraints it carries."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        found: list[Any] = []
        for m in meta:
            found.extend(m.metadata if isinstance(m, FieldInfo) else [m])
        return base, found
    return annotation, []


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _models_in(annotation: Any) -> Iterator[tuple[type[BaseModel], str]]:
    """Each model an annotation holds, with the path suffix that reaches it (``.*`` per list index or key)."""
    annotation, _ = _inner(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, ""
    elif _is_union(annotation):
        for arg in get_args(annotation):
            yield from _models_in(arg)
    elif get_origin(annotation) in (list, dict):
        for model, suffix in _models_in(get_args(annotation)[-1]):
            yield model, ".*" + suffix


def models() -> list[tuple[type[BaseModel], list[str]]]:
    """Every model of a scenario with the dotted paths where it appears (first the one its section shows), in
    section order."""
    paths: dict[type[BaseModel], list[str]] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            for sub, suffix in _models_in(info.annotation):
                path = f"{prefix}{name}{suffix}"
                seen = sub in paths
                paths.setdefault(sub, []).append(path)
                if not seen:
                    walk(sub, path + ".")

    paths[Scenario] = [""]
    walk(Scenario, "")
    rank = {name: i for i, name in enumerate(ORDER)}
    ordered = sorted(paths, key=lambda m: rank.get(m.__name__, len(ORDER)))  # stable: the rest in nesting order
    return [(m, paths[m]) for m in ordered]


# --------------------------------------------------------------------------------------------- the cells
def _anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def type_text(annotation: Any) -> str:
    """A readable type: int, float, bool, text, list of X, mapping of X, one of `a`/`b`, distribution, a model."""
    annotation, _ = _inner(annotation)
    if _is_union(annotation):
        args = get_args(annotation)
        kinds = [type_text(a) for a in args if a is not type(None)]
        text = " or ".join(kinds)
        return text + " or null" if type(None) in args else text
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + "/".join(f"`{a}`" for a in get_args(annotation))
    if origin is list:
        return "list of " + type_text(get_args(annotation)[0])
    if origin is dict:
        return "mapping of " + type_text(get_args(annotation)[1])
    if annotation is Dist:
        return f"[distribution](#{_anchor(Dist)})"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{_anchor(annotation)})"
    names = {int: "int", float: "float", bool: "bool", str: "text"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _number(x: Any) -> str:
    if float(x).is_integer() and abs(x) < 1e7:
        return f"{int(x):,}"
    return f"{x:g}".replace("e+0", "e").replace("e+", "e")


def _bounds(meta: list[Any]) -> str:
    low = high = ""
    lo_v: Any = None
    hi_v: Any = None
    items = []
    for m in meta:
        if isinstance(m, at.Ge):
            low, lo_v = "≥", m.ge
        elif isinstance(m, at.Gt):
            low, lo_v = ">", m.gt
        elif isinstance(m, at.Le):
            high, hi_v = "≤", m.le
        elif isinstance(m, at.Lt):
            high, hi_v = "<", m.lt
        elif isinstance(m, at.MinLen) and m.min_length:
            items.append(f"at least {m.min_length:,} item{'s' if m.min_length > 1 else ''}")
        elif isinstance(m, at.MaxLen):
            items.append(f"at most {m.max_length:,} items")
    if lo_v is not None and hi_v is not None and low == "≥" and high == "≤":
        value = f"{_number(lo_v)} to {_number(hi_v)}"
    else:
        value = ", ".join(p for p in (lo_v is not None and f"{low} {_number(lo_v)}",
                                      hi_v is not None and f"{high} {_number(hi_v)}") if p)
    return "; ".join(p for p in (value, *items) if p)


def range_text(info: FieldInfo) -> str:
    """The field's bounds (ge/le/gt/lt, list lengths); failing those, its items' or values' bounds."""
    own = _bounds(list(info.metadata))
    inner = _element_meta(info.annotation)
    if inner:
        text = _bounds(inner)
        own = "; ".join(p for p in (own, f"each {text}" if text else "") if p)
    return own or "—"


def _element_meta(annotation: Any) -> list[Any]:
    annotation, meta = _inner(annotation)
    if meta:
        return meta
    if _is_union(annotation):
        return [m for a in get_args(annotation) for m in _element_meta(a)]
    if get_origin(annotation) in (list, dict):
        return _element_meta(get_args(annotation)[-1])
    return []


def _is_prob(info: FieldInfo) -> bool:
    meta = list(info.metadata) or _element_meta(info.annotation)
    lo = next((m.ge for m in meta if isinstance(m, at.Ge)), None)
    hi = next((m.le if isinstance(m, at.Le) else m.lt for m in meta if isinstance(m, at.Le | at.Lt)), None)
    return lo == 0 and hi == 1


SUFFIX_UNITS = (("_min", "minutes"), ("_days", "days"), ("_km", "km"), ("_s", "seconds"), ("_hour", "hour of day"),
                ("_hours", "hours"), ("_eur", "€"))
NAMED_UNITS = {"cost_per_km": "currency per km", "staff_cost_per_hour": "currency per hour",
               "price": "currency per unit", "unit_cost": "currency per unit", "price_median": "currency per unit"}
DESCRIPTION_UNITS = ((", days", "days"), (", minutes", "minutes"), ("minutes", "minutes"), ("currency", "currency"),
                     (", km", "km"))


def unit_text(name: str, info: FieldInfo) -> str:
    """The unit: from the name's suffix (``_min``, ``_days``, ...), money and probabilities, else the description."""
    if name in NAMED_UNITS:
        return NAMED_UNITS[name]
    for suffix, unit in SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    if name.endswith("_per_day"):  # before "_day": a rate, not a day
        return "units per day" if "units" in name else "per day"
    if name.endswith("_day"):
        return "day number"
    if "cost" in name:
        return "currency"
    if name.endswith("_units") or name in ("order_up_to", "reorder_point", "order_quantity"):
        return "units"
    if _is_prob(info):
        shares = not name.endswith("_prob") and ("share" in name or "share" in (info.description or "")
                  or get_origin(_inner(info.annotation)[0]) is dict)
        return "share 0–1" if shares else "probability 0–1"
    for word, unit in DESCRIPTION_UNITS:
        if word in (info.description or ""):
            return unit
    return "—"


def _dist_text(d: Dist) -> str:
    if d.dist == "fixed":
        return f"fixed {_number(d.mean)}"
    if d.dist == "exponential":
        return f"exponential, mean {_number(d.mean)}"
    return f"{d.dist}, mean {_number(d.mean)}, cv {_number(d.cv)}"


def default_text(info: FieldInfo) -> str:
    """The default as an author would write it, or "required"."""
    if info.is_required():
        return "required (may be null)" if "null" in type_text(info.annotation) else "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, Dist):
        return _dist_text(value)
    if isinstance(value, BaseModel):
        return "each field's default"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str) and value:
        return f"`{value}`"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------------------------- the documents
HEADER = """# Scenario reference

<!-- generated from the pydantic models of sim/scenario/schema.py by `omnisim reference` (make docs): do not edit -->

Every field of a scenario file, one section per part of a scenario. A path like `stores.*.staff` reads: the
`staff` of each item of the list `stores`; `*` stands for a list index or a mapping key (`touchpoints.web.sells`).
**Type**: `int`, `float`, `bool`, `text`, a list or a mapping (keys are names), one of a few words, a
[distribution](#dist) or a part described in its own section; "or null" means `null` is allowed.
**Unit**: times carry theirs in the field name (`_min` minutes, `_days` days, `_hour` hour of day); money is in the
scenario's currency. **Default**: what a missing field means; "required" fields must be given. **Range**: the
bounds the loader enforces (`omnisim validate` names any value outside them, with its path). Some rules join
several fields (shares that sum to 1, names that must exist elsewhere): they are in the meanings and the
sections' notes, and the loader checks them too.

Editors can complete and check scenario files with the JSON Schema [scenario.schema.json](../scenario.schema.json):
with the YAML extension of VS Code, put this line at the top of the file (the path is relative to it):

```yaml
# yaml-language-server: $schema=../docs/scenario.schema.json
```
"""


def capability_notes() -> dict[str, str]:
    """What each capability switch means, from the docstring of :class:`sim.scenario.setups.Capabilities`."""
    notes: dict[str, str] = {}
    name = ""
    for line in inspect.cleandoc(Capabilities.__doc__ or "").splitlines()[1:]:
        head, sep, text = line.partition(": ")
        if sep and not line.startswith(" ") and head.isidentifier():
            name = head
            notes[name] = text.strip()
        elif name and line.strip():
            notes[name] += " " + line.strip()
    return notes


def meaning_text(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    """The field's description; a setup's switch without one has its capability's."""
    if info.description:
        return info.description
    if model is SetupSpec and name in capability_notes():
        return capability_notes()[name].rstrip(".") + "; null: as in base"
    return "—"


def _rows(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, info in model.model_fields.items():
        cells = (f"`{prefix}{name}`", type_text(info.annotation), unit_text(name, info), default_text(info),
                 range_text(info), meaning_text(model, name, info))
        yield "| " + " | ".join(_cell(c) for c in cells) + " |"
    for name, kind, unit, bounds, meaning in SHORTHANDS.get(model.__name__, []):
        yield "| " + " | ".join(_cell(c) for c in (f"`{prefix}{name}`", kind, unit, "—", bounds, meaning)) + " |"


def reference_markdown() -> str:
    """The scenario reference in Markdown: one section and table per model, every field with its path, type,
    unit, default, allowed range and meaning."""
    parts = [HEADER]
    parts.append("Sections: " + ", ".join(f"[{TITLES.get(m.__name__, m.__name__)}](#{_anchor(m)})"
                                          for m, _ in models()) + ".\n")
    for model, paths in models():
        if model is Dist:
            prefix, where = DIST_PATH + ".", "every field of type distribution"
        else:
            prefix = paths[0] + "." if paths[0] else ""
            where = ", ".join(f"`{p}`" for p in paths) if paths[0] else "the top level of the file"
        title = TITLES.get(model.__name__, model.__name__)
        parts.append(f'<a id="{_anchor(model)}"></a>\n\n## {title} ({model.__name__})\n')
        parts.append(f"Where: {where}.\n")
        doc = model.__dict__.get("__doc__")
        if doc:
            parts.append(inspect.cleandoc(doc).replace("\n", " ") + "\n")
        if model is Dist:
            parts.append(f"Instead of the mapping below, a distribution may be {DIST_NUMBER}, e.g. "
                         "`lead_time_days: 4`.\n")
        parts.append("| field | type | unit | default | range | meaning |\n|---|---|---|---|---|---|\n"
                     + "\n".join(_rows(model, prefix)) + "\n")
    return "\n".join(parts)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file: pydantic's, plus the shorthands the models accept."""
    schema = copy.deepcopy(Scenario.model_json_schema())
    defs = schema["$defs"]
    dist = defs[Dist.__name__]
    mean = Dist.model_fields["mean"].metadata
    number: dict[str, Any] = {"type": "number", "description": DIST_NUMBER}
    for m in mean:
        if isinstance(m, at.Ge):
            number["minimum"] = m.ge
        elif isinstance(m, at.Le):
            number["maximum"] = m.le
    defs[Dist.__name__] = {"title": dist.get("title", Dist.__name__), "description": dist.get("description", ""),
                           "anyOf": [number, {k: v for k, v in dist.items() if k not in ("title", "description")}]}
    segment = defs[Segment.__name__]["properties"]
    for name, _kind, _unit, _bounds, meaning in SHORTHANDS["Segment"]:
        segment[name] = {"type": "number", "minimum": 0, "maximum": 1, "description": meaning.replace("`", "")}
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "omnisim scenario"}


def schema_text() -> str:
    """The JSON Schema as the committed file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------- the evidence register
EVIDENCE_HEADER = """# Evidence register for behaviour

<!-- generated from sim/scenario/evidence.py by `omnisim reference --evidence` (make docs): do not edit -->

Every parameter through which a setup changes what customers do, with the value the evidence supports. **Default**
sits where the strongest evidence sits; **range** is the plausible span (low to high) in the field's unit; **kind**
is the strongest evidence behind it ({kinds}); **checked** says how its figures were read for this register
(`source`: at the source; `secondary`: on a page reporting the source; `brief`: only in the compiled evidence
brief; `none`: an assumption, nothing to read); **acts through** names the capability switches of the setups
(`—`: every setup). **Today** is the value the library's `scenarios/default.yaml` uses (one per segment where the
path has `*`; `—` where the scenario has no such item). The model does not read this register yet: today's values
are what runs.
"""


def _num(x: float) -> str:
    return f"{x:.4g}"


def _today(values: list[Any]) -> str:
    nums = [float(v) for v in values]
    if not nums:
        return "—"
    if min(nums) == max(nums):
        return _num(nums[0])
    return f"{_num(min(nums))}–{_num(max(nums))}"


def library_default() -> Scenario | None:
    """The library's default scenario, or None where the package was installed without its scenarios."""
    return load_scenario(LIBRARY_DEFAULT) if LIBRARY_DEFAULT.is_file() else None


def evidence_markdown(today: Scenario | None = None) -> str:
    """The evidence register in Markdown: a table of every entry (with ``today``'s values beside it, when given),
    each entry's source and note, then the market studies' claims and their preset."""
    data = today.model_dump(mode="json") if today is not None else None
    parts = [EVIDENCE_HEADER.format(kinds=", ".join(evidence.KINDS))]
    parts.append("| parameter | default | range | unit | kind | checked | acts through | today |\n"
                 "|---|---|---|---|---|---|---|---|\n" + "\n".join(
                     "| " + " | ".join(_cell(c) for c in (
                         f"[`{e.path}`](#{_slug(e.path)})", _num(e.default), f"{_num(e.low)}–{_num(e.high)}",
                         e.unit, e.kind, e.checked, ", ".join(f"`{m}`" for m in e.mechanism) or "—",
                         _today(evidence.values_at(data, e.path)) if data is not None else "—")) + " |"
                     for e in evidence.REGISTER) + "\n")
    parts.append("## Entries\n")
    for e in evidence.REGISTER:
        parts.append(f'<a id="{_slug(e.path)}"></a>\n\n### `{e.path}`\n')
        extra = f" Balanced by `{e.balance}` (the group sums to 1)." if e.balance else ""
        parts.append(f"{e.note}{extra}\n\n**Source** ({e.kind}): {e.source}.\n")
    parts.append("## The market studies' claims\n")
    parts.append("Figures of the French market studies the product was specified from (files in the project's "
                 "shared `market-studies` folder, cited by name), in our words. None is a causal effect.\n")
    parts.append("| figure | claim | file | bears on | why it is not an effect |\n|---|---|---|---|---|\n" + "\n".join(
        "| " + " | ".join(_cell(c) for c in (c.figure, c.what, f"`{c.source}`",
                                              ", ".join(f"`{p}`" for p in c.paths) or "an outcome (a target)",
                                              c.note)) + " |"
        for c in evidence.CLAIMS) + "\n")
    for name, values in evidence.PRESETS.items():
        out = evidence.outside(name)
        parts.append(f"### Preset `{name}`\n")
        parts.append("The values a scenario takes if those claims are read as causal effects; other parameters keep "
                     "the register's default. *outside*: beyond the evidence's range, on purpose.\n")
        parts.append("| parameter | preset | register default | range |\n|---|---|---|---|\n" + "\n".join(
            f"| `{p}` | {_num(v)}{' (*outside*)' if p in out else ''} | {_num(evidence.by_path()[p].default)} | "
            f"{_num(evidence.by_path()[p].low)}–{_num(evidence.by_path()[p].high)} |"
            for p, v in values.items()) + "\n")
    return "\n".join(parts)


def _slug(path: str) -> str:
    return "ev-" + path.replace("*", "x").replace(".", "-").replace("_", "-")
