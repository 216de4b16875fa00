"""Experimental designs over scenario parameters named by dotted path, and experiment files.

A *factor* is a scenario field (``stores.0.staff``, ``customers_per_day``; ``*`` stands for every item of a list,
``stores.*.staff``) with a range (``low``, ``high``, optionally ``integer``) or a list of ``levels``. A *tied factor*
sets several fields to its one value: its key is then a name and ``paths`` lists the fields
(``staffing: {paths: [stores.*.staff, stores.*.tills], levels: [2, 3]}``); every design treats it as one factor
(one grid axis, one column of a Latin hypercube, Sobol or Morris sample, one sensitivity index). A *design* turns
factors into design points, each a mapping ``dotted path -> value`` (every path of a tied factor) applied as
overrides to the base scenario:

- ``grid``: full factorial over the levels (a range gives ``n`` evenly spaced levels);
- ``lhs``: Latin hypercube of ``n`` points (``scipy.stats.qmc.LatinHypercube``);
- ``sobol``: ``n`` points of a scrambled Sobol sequence (``scipy.stats.qmc.Sobol``);
- ``sobol-indices``: the Saltelli layout for first- and total-order Sobol indices, ``n * (d + 2)`` points (SALib);
- ``morris``: ``n`` Morris trajectories of ``d + 1`` points each on a ``levels``-level grid (SALib);
- ``none``: a single point, the base scenario (a plain comparison of setups).

Sampled designs draw in the unit hypercube and map each coordinate ``u`` to ``low + u (high - low)`` (rounded
for an integer factor) or to one of the ``levels``. The design's own randomness (scrambling, permutations) comes
from the experiment's ``SeedSequence`` through the purpose key ``"design"``, never from a global seed.

An experiment file (``experiments/*.yaml``) names the scenario, overrides, setups, replications, seed, design and
the KPIs to analyse; it is validated like a scenario: one line per problem naming the field.
"""

from __future__ import annotations

import itertools
import math
import os
import zlib
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import qmc

from sim.scenario.schema import ScenarioError, format_error, read_yaml, scenario_from_dict

DESIGN_KINDS = ("none", "grid", "lhs", "sobol", "sobol-indices", "morris")


class ExperimentError(ScenarioError):
    """An experiment that cannot be run; ``problems`` holds one line per problem, each naming its field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MAX_POINTS = 1_000_000
"""Most design points an experiment may have (a grid's product of levels, or what a sampled design makes)."""


class Factor(_Model):
    """One scenario parameter varied by a design: a range ``[low, high]`` or a list of ``levels``."""

    low: float | None = Field(None, description="lower end of the range, in the field's own unit")
    high: float | None = Field(None, description="upper end of the range, in the field's own unit")
    integer: bool = Field(False, description="round sampled values to the nearest integer (staff, tills, ...)")
    n: int | None = Field(None, ge=2, le=10_000, description="grid only: number of evenly spaced levels over the "
                                                                  "range; at most 10,000")
    levels: list[Any] | None = Field(None, min_length=1, max_length=10_000, description="explicit values (any YAML "
                                                                                     "scalar)")
    paths: list[str] | None = Field(None, min_length=1, max_length=1_000, description="a tied factor: the dotted "
                                    "paths it sets, all to its one value (its key is then a name, not a path)")

    @model_validator(mode="after")
    def _one_form(self) -> Factor:
        has_range = self.low is not None or self.high is not None
        if self.levels is not None and has_range:
            raise ValueError("give either levels or low/high, not both")
        if self.levels is None:
            if self.low is None or self.high is None:
                raise ValueError("give low and high (a range) or levels (a list of values)")
            if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high <= self.low:
                raise ValueError(f"high must be greater than low (got low={self.low}, high={self.high})")
        if self.paths is not None:
            bad = [p for p in self.paths if not p.strip() or p != p.strip()]
            if bad:
                raise ValueError(f"paths: every path must be a dotted field name (got {bad[0]!r})")
            if len(set(self.paths)) < len(self.paths):
                raise ValueError("paths: a path is named twice")
        return self

    def targets(self, key: str) -> list[str]:
        """The dotted paths this factor sets: its ``paths`` (a tied factor), else its key."""
        return list(self.paths) if self.paths is not None else [key]

    def grid_levels(self) -> list[Any]:
        """The levels of a full factorial grid (``levels``, or ``n`` evenly spaced values over the range)."""
        if self.levels is not None:
            return list(self.levels)
        if self.n is None:
            raise ValueError("a range in a grid design needs n (the number of levels)")
        return [self._value(u) for u in np.linspace(0.0, 1.0, self.n).tolist()]

    def _value(self, u: float) -> Any:
        assert self.low is not None and self.high is not None
        x = self.low + u * (self.high - self.low)
        return int(round(x)) if self.integer else float(x)

    def from_unit(self, u: float, nearest: bool = False) -> Any:
        """Map ``u`` in [0, 1] to a value: on the range, or to a level (``floor(u k)``; ``nearest``: ``round(u (k-1))``)."""
        if self.levels is None:
            return self._value(u)
        k = len(self.levels)
        i = int(round(u * (k - 1))) if nearest else min(int(u * k), k - 1)
        return self.levels[i]


class Design(_Model):
    """How design points are made from the factors (see the module docstring for each ``kind``)."""

    kind: Literal["none", "grid", "lhs", "sobol", "sobol-indices", "morris"] = Field(
        "none", description="none | grid | lhs | sobol | sobol-indices | morris")
    n: int | None = Field(None, ge=1, le=MAX_POINTS, description="lhs, sobol: points; sobol-indices: base sample (a "
                                                                 "power of 2); morris: trajectories; at most 1e6")
    levels: int = Field(4, ge=2, le=1_000, description="morris: number of grid levels")
    factors: dict[str, Factor] = Field(default_factory=dict, description="dotted path (or a tied factor's name, "
                                       "with paths) -> range or levels")

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        if self.kind == "none":
            if self.factors:
                raise ValueError("design kind none takes no factors; choose grid, lhs, sobol, sobol-indices or morris")
            return self
        if not self.factors:
            raise ValueError(f"design kind {self.kind} needs at least one factor")
        seen: dict[str, str] = {}
        for key, factor in self.factors.items():
            for path in factor.targets(key):
                if path in seen:
                    raise ValueError(f"factors {seen[path]} and {key} both set {path}; a path belongs to one factor")
                seen[path] = key
        if self.kind == "grid":
            missing = [p for p, f in self.factors.items() if f.levels is None and f.n is None]
            if missing:
                raise ValueError(f"a grid needs levels or n for every factor (missing for {', '.join(missing)})")
        elif self.n is None:
            raise ValueError(f"design kind {self.kind} needs n")
        if self.kind == "sobol-indices" and self.n is not None and self.n & (self.n - 1):
            raise ValueError(f"sobol-indices needs n a power of 2 (got {self.n})")
        if self.size() > MAX_POINTS:
            raise ValueError(f"the design has {self.size():,} points; at most {MAX_POINTS:,} (fewer levels or a "
                             "sampled design: lhs, sobol)")
        return self

    def size(self) -> int:
        """The number of design points, computed without making them."""
        d = len(self.factors)
        if self.kind == "none":
            return 1
        if self.kind == "grid":
            return math.prod(len(f.levels) if f.levels is not None else (f.n or 1) for f in self.factors.values())
        n = self.n or 0
        return n * (d + 2) if self.kind == "sobol-indices" else n * (d + 1) if self.kind == "morris" else n

    @property
    def names(self) -> list[str]:
        return list(self.factors)

    def unit_sample(self, seed: int) -> np.ndarray | None:
        """The design in the unit hypercube, shape ``(points, factors)``; None for ``grid`` and ``none``."""
        d = len(self.factors)
        rng = np.random.default_rng(design_seed(seed))
        if self.kind in ("none", "grid"):
            return None
        assert self.n is not None
        if self.kind == "lhs":

            return qmc.LatinHypercube(d, rng=rng).random(self.n)
        if self.kind == "sobol":

            sampler = qmc.Sobol(d, scramble=True, rng=rng)
            m = int(math.log2(self.n))
            return sampler.random_base2(m) if 2**m == self.n else sampler.random(self.n)
        problem = unit_problem(self.names)
        if self.kind == "sobol-indices":
            from SALib.sample import sobol as salib_sobol

            return salib_sobol.sample(problem, self.n, calc_second_order=False, scramble=True, seed=rng)
        from SALib.sample import morris as salib_morris

        return salib_morris.sample(problem, self.n, num_levels=self.levels, seed=rng)

    def points(self, seed: int = 0) -> list[dict[str, Any]]:
        """Return the design points in order: a list of ``{dotted path: value}`` (a tied factor's value under each
        of its paths); ``[{}]`` for kind ``none``."""
        if self.kind == "none":
            return [{}]
        names = self.names
        if self.kind == "grid":
            levels = [self.factors[n].grid_levels() for n in names]
            return [self._expand(combo) for combo in itertools.product(*levels)]
        unit = self.unit_sample(seed)
        assert unit is not None
        nearest = self.kind == "morris"
        return [self._expand([self.factors[n].from_unit(float(u), nearest) for n, u in zip(names, row, strict=True)])
                for row in unit.tolist()]

    def _expand(self, values: Any) -> dict[str, Any]:
        """``{dotted path: value}`` of one point from its factor values (in factor order)."""
        return {path: value for (key, factor), value in zip(self.factors.items(), values, strict=True)
                for path in factor.targets(key)}


def unit_problem(names: list[str]) -> dict[str, Any]:
    """SALib problem over the unit hypercube (designs are mapped to factor values afterwards)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def purpose_seed(seed: int, purpose: str) -> np.random.SeedSequence:
    """A SeedSequence for one purpose of an experiment, independent of every replication's stream."""
    return np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(purpose.encode()),))


def design_seed(seed: int) -> np.random.SeedSequence:
    """The SeedSequence that draws the design itself (scrambling, permutations)."""
    return purpose_seed(seed, "design")


class Experiment(_Model):
    """An experiment: the base scenario, the setups, the replications, the design and the KPIs to analyse."""

    name: str = Field(min_length=1, description="name, used in reports")
    scenario: str | None = Field(None, description="scenario file, relative to the experiment file")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted path -> value, applied first")
    setups: list[str] | None = Field(None, min_length=1, description="setups to run; the first is the baseline")
    replications: int = Field(5, ge=1, le=100_000, description="replications per design point and setup; at most "
                                                                  "100,000")
    seed: int = Field(0, ge=0, lt=2**63, description="root of the experiment's SeedSequence")
    design: Design = Field(default_factory=Design, description="design points over scenario parameters")
    kpis: list[str] | None = Field(None, min_length=1, description="KPIs to summarise and analyse")
    confidence: float = Field(0.95, gt=0, lt=1, description="confidence level of intervals")

    def points(self) -> list[dict[str, Any]]:
        """The design points (``{dotted path: value}``), in order; point ids are their positions."""
        return self.design.points(self.seed)


def experiment_from_dict(data: Any, base: Path | None = None) -> Experiment:
    """Validate a mapping into an ``Experiment``; a relative ``scenario`` is resolved against ``base``.

    An experiment built in code (a notebook, the dashboard), with the checks of an experiment file: the fields
    ``name``, ``scenario``, ``overrides``, ``setups``, ``replications``, ``seed``, ``design``, ``kpis`` and
    ``confidence`` (see ``sim.load_experiment``). The scenario itself, the KPI names and the factors' values are
    checked by ``sim.sweep``, before any replication runs.

    Parameters
    ----------
    data : dict
        The experiment's fields as plain data (what ``yaml.safe_load`` gives for an experiment file).
    base : pathlib.Path, optional
        The folder a relative ``scenario`` path is resolved against (an experiment file's folder). Default None:
        the path is kept as given, relative to the working directory.

    Returns
    -------
    Experiment
        The validated experiment (immutable); ``points()`` lists its design points (``{dotted path: value}``).

    Raises
    ------
    ExperimentError
        (a ``ScenarioError``) ``data`` is not a mapping, or one line per refused field naming it: an unknown
        field, a design kind that is not ``none``, ``grid``, ``lhs``, ``sobol``, ``sobol-indices`` or ``morris``,
        a factor with both ``levels`` and a range or ``high <= low``, a grid factor without ``levels`` or ``n``,
        ``sobol-indices`` with ``n`` not a power of 2, more than 1,000,000 design points, ``replications`` outside
        1–100,000, ``confidence`` not strictly between 0 and 1.

    See Also
    --------
    - ``sim.load_experiment`` : the same from a YAML file.
    - ``sim.sweep`` : runs it.

    Examples
    --------
    ```python
    import sim

    exp = sim.experiment_from_dict({
        "name": "staff-demo",
        "scenario": "scenarios/default.yaml",
        "overrides": {"horizon_days": 7, "warmup_days": 0},
        "setups": ["multichannel", "omnichannel"],
        "replications": 2,
        "seed": 1,
        "design": {"kind": "grid", "factors": {"stores.0.staff": {"levels": [2, 4]}}},
        "kpis": ["store_service_level", "conversion_rate"],
    })
    print(exp.design.kind, exp.design.size(), exp.points())
    ```
    """
    if not isinstance(data, dict):
        raise ExperimentError(["(top level): an experiment must be a mapping of fields"])
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError([format_error(e) for e in exc.errors()]) from None
    if exp.scenario is not None and base is not None and not Path(exp.scenario).is_absolute():
        exp = exp.model_copy(update={"scenario": str(base / exp.scenario)})
    return exp


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read and validate an experiment YAML file; raise ``ExperimentError`` listing every problem.

    An experiment file (``experiments/*.yaml``) names the ``scenario`` (relative to the file), ``overrides``
    (dotted paths applied first), ``setups`` (the first is the baseline), ``replications`` per design point and
    setup, a ``seed``, a ``design`` (``kind``: ``none``, ``grid``, ``lhs``, ``sobol``, ``sobol-indices`` or
    ``morris``, and its ``factors``: a scenario field, ``*`` for every item of a list, with a range ``low``/
    ``high`` in the field's own unit or a list of ``levels``; a tied factor sets several ``paths`` to one value),
    the ``kpis`` to analyse and the intervals' ``confidence``. It is read as safely as a scenario (at most 5 MB,
    strict UTF-8, no duplicate keys).

    Parameters
    ----------
    path : str or os.PathLike
        The experiment file (YAML), e.g. ``"experiments/staffing-grid.yaml"``.

    Returns
    -------
    Experiment
        The validated experiment, its ``scenario`` resolved against the file's folder; ``points()`` lists the
        design points.

    Raises
    ------
    ExperimentError
        (a ``ScenarioError``) One line per problem, naming the file or the field: a missing, unreadable or bad
        file, or a refused field (see ``sim.experiment_from_dict``).

    See Also
    --------
    - ``sim.experiment_from_dict`` : the same checks on a mapping built in code.
    - ``sim.sweep`` : runs the experiment.

    Examples
    --------
    ```python
    import sim

    exp = sim.load_experiment("experiments/staffing-grid.yaml")
    print(exp.name, exp.setups, exp.replications, exp.design.kind, len(exp.points()))
    print(exp.scenario)  # resolved against the experiment file's folder
    ```
    """
    return experiment_from_dict(read_yaml(path, ExperimentError, kind="experiment"), Path(path).parent)


def kpi_problems(exp: Experiment, allowed: Any) -> list[str]:
    """One line naming the KPIs of ``exp.kpis`` not in ``allowed`` (the evaluator's names) and listing the allowed
    ones; empty when every name is known (or the experiment names none)."""
    names = list(allowed)
    unknown = [k for k in exp.kpis or [] if k not in set(names)]
    if not unknown:
        return []
    what = ", ".join(repr(k) for k in unknown)
    return [f"kpis: unknown {what}; allowed: {', '.join(names)}"]


def factor_problems(exp: Experiment, scenario_data: dict[str, Any]) -> list[str]:
    """Check every factor's extreme values on the base scenario; one line per problem, naming the factor.

    ``scenario_data`` is the base scenario as a mapping (overrides applied). Each factor is set alone to its
    low and high end (or each level) and the scenario validated, so a path that does not exist or a range the
    scenario refuses is reported before any replication runs.
    """
    problems: list[str] = []
    for key, factor in exp.design.factors.items():
        values = factor.levels if factor.levels is not None else [factor.from_unit(0.0), factor.from_unit(1.0)]
        for value in values:
            try:
                scenario_from_dict(scenario_data, dict.fromkeys(factor.targets(key), value))
            except ScenarioError as exc:
                problems += [f"design.factors.{key}: value {value!r} is refused by the scenario: {p}"
                             for p in exc.problems]
                break
    return problems
