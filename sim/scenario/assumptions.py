"""Behavioural assumptions applied to a scenario: the evidence register's values (a preset, a draw of a design,
the break-even of one parameter) written into a validated scenario, and the ranges a scenario's runs use.

A register path (``segments.*.recommendation_accept``) names one field in every item of a list: a value set
through it goes to every item. Where the entry has a ``balance`` (a stockout or price reaction whose shares sum
to 1), the balancing field of the same item takes up the change, and a value that would push it below zero is
refused with the path named. A scenario may give its own range for any register path, with its source
(``evidence:`` in the scenario file); :func:`ranges` merges those over the register's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sim.scenario.evidence import PRESETS, REGISTER, Evidence, by_path, concrete_paths, value_at
from sim.scenario.schema import Scenario, ScenarioError, scenario_from_dict

REGISTER_DEFAULTS = "register"
"""The name of the preset that sets every register parameter to its default (where the strongest evidence sits)."""


def preset_names() -> list[str]:
    """Every named preset: the register's defaults, then the named sets of :data:`sim.scenario.evidence.PRESETS`."""
    return [REGISTER_DEFAULTS, *PRESETS]


def preset_values(name: str) -> dict[str, float]:
    """The values of preset ``name`` by register path: for a named set, its own values over the register's
    defaults. Raises ScenarioError naming the allowed presets when ``name`` is unknown."""
    if name not in preset_names():
        raise ScenarioError([f"--assumptions-preset {name!r}: unknown preset; allowed: {', '.join(preset_names())}"])
    values = {e.path: e.default for e in REGISTER}
    values.update(PRESETS.get(name, {}))
    return values


@dataclass(frozen=True)
class Range:
    """The range a scenario's runs use for one register parameter: the register's entry, or that entry with the
    scenario's own range, default, kind and source (``own``)."""

    entry: Evidence
    own: bool = False

    @property
    def low(self) -> float:
        return self.entry.low

    @property
    def high(self) -> float:
        return self.entry.high

    @property
    def default(self) -> float:
        return self.entry.default

    @property
    def source(self) -> str:
        return self.entry.source

    @property
    def kind(self) -> str:
        return self.entry.kind


def ranges(scenario: Scenario) -> dict[str, Range]:
    """The plausible range of every register parameter the scenario uses, by path: the scenario's own
    (``evidence:``) where it gives one, the register's otherwise. Parameters the scenario has no field for
    (an empty list of offers) are left out."""
    data = scenario.model_dump(mode="json")
    out: dict[str, Range] = {}
    for e in REGISTER:
        if not concrete_paths(data, e.path):
            continue
        own = scenario.evidence.get(e.path)
        out[e.path] = Range(e) if own is None else Range(
            replace(e, low=own.low, high=own.high, default=min(max(e.default, own.low), own.high),
                    source=own.source, kind=own.kind), own=True)
    return out


def with_values(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """``scenario`` with each register path of ``values`` set to its value in every item it names (balancing
    fields adjusted), validated again. Raises ScenarioError naming the path when it is not in the register,
    names no field of this scenario, or would push its balancing field below zero."""
    if not values:
        return scenario
    reg = by_path()
    data = scenario.model_dump(mode="json")
    problems: list[str] = []

    def put(concrete: str, value: float) -> None:
        head, _, last = concrete.rpartition(".")
        parent = value_at(data, head)
        parent[int(last) if isinstance(parent, list) else last] = value

    for path, value in values.items():
        entry = reg.get(path)
        if entry is None:
            problems.append(f"{path}: not a parameter of the evidence register; allowed: {', '.join(reg)}")
            continue
        found = concrete_paths(data, path)
        if not found:
            problems.append(f"{path}: names no field of this scenario (an empty list: nothing to set)")
        for concrete in found:
            if entry.balance:  # the balancing field of the same item takes up the change
                other = f"{concrete.rsplit('.', 1)[0]}.{entry.balance.rsplit('.', 1)[1]}"
                room = float(value_at(data, concrete)) + float(value_at(data, other))
                if value > room + 1e-9:
                    problems.append(f"{concrete}: {value:g} would leave {other} below zero (it takes up the change "
                                    f"so that the shares still sum to 1); allowed: at most {room:g}")
                    continue
                put(other, max(round(room - float(value), 12), 0.0))
            put(concrete, float(value))
    if problems:
        raise ScenarioError(problems)
    return scenario_from_dict(data)


def with_preset(scenario: Scenario, name: str) -> Scenario:
    """``scenario`` with the values of preset ``name`` (see :func:`preset_values`) for every register parameter
    it has a field for."""
    data = scenario.model_dump(mode="json")
    return with_values(scenario, {p: v for p, v in preset_values(name).items() if concrete_paths(data, p)})
