"""Journey calibration: fit the journey parameters to market figures, or the chain to a journey log.

- :func:`calibrate` fits each segment's touchpoint mix and mean count so that touchpoints per purchase, the share
  of buyers using each touchpoint and the ROPO share come out at their targets. It fits only what the targets
  name (no ``touchpoints_per_journey`` target: the mean counts stay; no usage or ROPO target: the mixes stay) and
  keeps the segments' purchase channels as the user set them unless asked (``refit=("channels",)``).
- :func:`write_fitted` writes the fitted values into the user's own file, number by number: every comment,
  anchor and line the fit did not touch stays as it was (positions from ruamel.yaml's round-trip loader). The figures of a mix-and-mean
  journey have closed forms (a geometric number of independent steps), so the fit is a least-squares problem
  solved by scipy, regularised towards the scenario's own values; the simulation then checks it (tests).
- :func:`fit_chain` estimates a Markov chain (maximum likelihood: transition counts) from a CSV journey log
  with columns ``customer_id, timestamp, touchpoint``, where a journey may end with a ``decide`` or ``drop`` row.
- :func:`journey_log` writes such a log from the model's own journeys (for checking the fit).
- :func:`expected_visits` solves the traffic equations of a chain: visits per journey to each touchpoint.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from sim.core.customers import Population
from sim.core.model import run
from sim.core.network import purchase_channels
from sim.core.rng import Streams
from sim.scenario.evidence import concrete_paths
from sim.scenario.schema import (
    CHANNEL_CALL,
    CHANNEL_STORE,
    DECIDE,
    DROP,
    Chain,
    Scenario,
    ScenarioArgument,
    ScenarioError,
    load_scenario,
    scenario_argument,
    scenario_from_dict,
    scenario_yaml,
)
from sim.scenario.userfiles import read_text, read_yaml

# The market figures quoted in DESIGN.md (France): share of buyers using each touchpoint on the way to a purchase,
# touchpoints consulted before a purchase, and research online before buying in store (ROPO). "Customer
# service" is the call centre or the chatbot: a usage key joins touchpoints with '+'.
MARKET_TARGETS: dict = {
    "touchpoints_per_journey": 10.0,
    "usage": {"web": 0.89, CHANNEL_STORE: 0.82, "social": 0.67, "app": 0.58, f"{CHANNEL_CALL}+chatbot": 0.45},
    "ropo_share": 0.71,
}
TOLERANCE = {"touchpoints_per_journey": 0.5, "share": 0.02}
FIGURES = ("touchpoints_per_journey", "usage", "ropo_share")
"""The figures a targets file may name (each optional, at least one)."""
REFIT = ("channels",)
"""Fields the user set that calibration may refit only when asked: the segments' purchase channel shares."""


def read_targets(path: str | Path) -> dict:
    """A targets file (YAML: ``touchpoints_per_journey``, ``usage: {touchpoint: share}``, ``ropo_share``), checked:
    raises :class:`ScenarioError` with one line per problem naming the field."""
    data = read_yaml(path, "targets", ScenarioError)
    return check_targets(data, str(path))


def check_targets(data: Any, where: str = "targets") -> dict:
    """``data`` if it is a valid targets mapping; otherwise :class:`ScenarioError`, one line per problem: unknown
    keys (with the allowed ones), shares outside 0–1 (a value in percent is named as such), at least one figure."""

    def number(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)

    def share(key: str, x: Any) -> str | None:
        if number(x) and 0 <= x <= 1:
            return None
        hint = f"; give shares, e.g. {x / 100:g} for {x:g} %" if number(x) and 1 < x <= 100 else ""
        return f"{where}: {key}: a share between 0 and 1 (got {x!r}{hint})"

    if not isinstance(data, dict):
        raise ScenarioError([f"{where}: (top level): targets must be a mapping of figures; allowed: "
                             f"{', '.join(FIGURES)}"])
    problems = [f"{where}: {k}: unknown figure; allowed: {', '.join(FIGURES)}" for k in data if k not in FIGURES]
    if not problems and not any(k in data for k in FIGURES):
        problems.append(f"{where}: (top level): name at least one figure of {', '.join(FIGURES)}")
    if "touchpoints_per_journey" in data:
        tp = data["touchpoints_per_journey"]
        if not (number(tp) and 1 <= tp <= 100):
            problems.append(f"{where}: touchpoints_per_journey: a number from 1 to 100 (got {tp!r})")
    usage = data.get("usage", {})
    if not isinstance(usage, dict) or ("usage" in data and not usage):
        problems.append(f"{where}: usage: a mapping of touchpoint to share of buyers, e.g. {{web: 0.89}} "
                        f"(got {usage!r})")
    else:
        problems += [line for k, v in usage.items() if (line := share(f"usage.{k}", v))]
    if "ropo_share" in data and (line := share("ropo_share", data["ropo_share"])):
        problems.append(line)
    if problems:
        raise ScenarioError(problems)
    return data


class _Arrays:
    """The calibration problem as arrays: segments x research touchpoints."""

    def __init__(self, sc: Scenario, targets: dict, refit: Sequence[str] = ()):
        self.research = list(sc.touchpoints) + [CHANNEL_STORE, CHANNEL_CALL]
        self.online = np.array([t in sc.touchpoints for t in self.research])
        self.segs = [s for s in sc.segments if s.journey.touchpoint_mix]
        self.share = np.array([s.share for s in self.segs])
        self.buy0 = np.array([[s.channels.get(t, 0.0) for t in self.research] for s in self.segs])
        self.mix0 = np.array([[s.journey.touchpoint_mix.get(t, 0.0) for t in self.research] for s in self.segs])
        self.m0 = np.array([s.journey.mean_touchpoints for s in self.segs])
        self.support = self.mix0 > 0
        self.buy_support = self.buy0 > 0
        self.groups = {}
        for key in targets.get("usage", {}):
            idx = [self.research.index(t) for t in key.split("+") if t in self.research]
            if len(idx) != len(key.split("+")):
                raise ScenarioError([f"targets.usage.{key}: unknown touchpoint; allowed: {sorted(self.research)}"
                                     " (join several with '+')"])
            self.groups[key] = idx
        self.theta0 = np.concatenate([np.log(self.mix0[self.support]), np.log(self.m0 - 1 + 1e-9),
                                      np.log(self.buy0[self.buy_support])])
        # only what the targets name moves: the mean counts for touchpoints per journey, the mixes for usage and
        # ROPO, the purchase channels only when asked
        shapes = [(self.support.sum(), bool(targets.get("usage")) or "ropo_share" in targets),
                  (len(self.segs), "touchpoints_per_journey" in targets),
                  (self.buy_support.sum(), "channels" in refit)]
        self.free = np.concatenate([np.full(int(n), on) for n, on in shapes])

    def full(self, free_theta: np.ndarray) -> np.ndarray:
        """The whole parameter vector: the fitted entries from ``free_theta``, the others as in the scenario."""
        theta = self.theta0.copy()
        theta[self.free] = free_theta
        return theta

    def decode(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(touchpoint mix, mean touchpoints, purchase channel shares) per segment."""
        a, b = self.support.sum(), self.support.sum() + len(self.segs)
        return _softmax(theta[:a], self.support), 1 + np.exp(theta[a:b]), _softmax(theta[b:], self.buy_support)

    def figures(self, mix: np.ndarray, m: np.ndarray, buy: np.ndarray) -> dict:
        """Closed forms: with q = 1/m, a set of step share a is avoided by a whole journey with probability
        (1-a) q / (1 - (1-q)(1-a)); where the customer buys counts as used. Weighted by segment share."""
        q = (1 / m)[:, None]

        def avoid(a):
            return (1 - a) * q / (1 - (1 - q) * (1 - a))

        usage = {}
        for key, idx in self.groups.items():
            used = 1 - avoid(mix[:, idx].sum(axis=1, keepdims=True)) * (1 - buy[:, idx].sum(axis=1, keepdims=True))
            usage[key] = float(self.share @ used[:, 0])
        online = 1 - avoid((mix * self.online).sum(axis=1, keepdims=True))[:, 0]
        ropo = self.share * buy[:, self.research.index(CHANNEL_STORE)] * online
        return {"touchpoints_per_journey": float(self.share @ m), "usage": usage,
                "ropo_share": float(ropo.sum() / self.share.sum())}


def _softmax(theta: np.ndarray, support: np.ndarray) -> np.ndarray:
    logits = np.full(support.shape, -np.inf)
    logits[support] = theta
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def _residuals(figs: dict, targets: dict) -> list[float]:
    r = [(figs["touchpoints_per_journey"] - targets["touchpoints_per_journey"]) / TOLERANCE["touchpoints_per_journey"]
         ] if "touchpoints_per_journey" in targets else []
    r += [(figs["usage"][k] - v) / TOLERANCE["share"] for k, v in targets.get("usage", {}).items()]
    if "ropo_share" in targets:
        r.append((figs["ropo_share"] - targets["ropo_share"]) / TOLERANCE["share"])
    return r


def _shift(targets: dict, bias: dict) -> dict:
    return {**({"touchpoints_per_journey": targets["touchpoints_per_journey"] - bias["touchpoints_per_journey"]}
               if "touchpoints_per_journey" in targets else {}),
            "usage": {k: v - bias["usage"][k] for k, v in targets.get("usage", {}).items()},
            **({"ropo_share": targets["ropo_share"] - bias["ropo_share"]} if "ropo_share" in targets else {})}


def _diff(a: dict, b: dict) -> dict:
    return {"touchpoints_per_journey": a["touchpoints_per_journey"] - b["touchpoints_per_journey"],
            "usage": {k: a["usage"][k] - b["usage"][k] for k in a["usage"]}, "ropo_share": a["ropo_share"] - b["ropo_share"]}


def measured(result, targets: dict) -> dict:
    """The calibration figures of a simulated replication (buyers only), for the keys of ``targets``."""
    research = result.research
    masks = result.usage_masks
    buyers = sum(masks.values())
    usage = {}
    for key in targets.get("usage", {}):
        bits = sum(1 << research.index(t) for t in key.split("+"))
        usage[key] = sum(n for mask, n in masks.items() if mask & bits) / buyers if buyers else float("nan")
    return {"touchpoints_per_journey": result.kpis["touchpoints_per_journey"], "usage": usage,
            "ropo_share": result.kpis["ropo_share"]}


def calibrate(sc: ScenarioArgument, targets: dict | None = None, setup: str = "multichannel", days: float = 6,
              seed: int = 0, rounds: int = 2, prior_weight: float = 0.2,
              refit: Sequence[str] = ()) -> tuple[Scenario, dict]:
    """Fit the segments' journeys so that the simulated buyers show the ``targets`` (default: the market figures).

    Moves only what the targets name: ``mean_touchpoints`` for a ``touchpoints_per_journey`` target,
    ``touchpoint_mix`` for ``usage`` and ``ropo_share`` targets. Segments keep the purchase channels the user set
    unless ``refit`` holds ``"channels"`` (then they are fitted too); a touchpoint absent from a segment's mix
    stays absent; ``prior_weight`` pulls towards the scenario's own values where the targets leave freedom.

    Each round fits the closed forms by least squares, simulates ``days`` (after a two-day warm-up) under
    ``setup``, and moves the closed-form targets by what the simulation showed they miss (buyers are not a
    uniform sample of journeys).

    Parameters
    ----------
    sc : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    targets : dict, optional
        The figures to reach, each optional (at least one): ``touchpoints_per_journey`` (touchpoints consulted
        per purchase, 1 to 100), ``usage`` (touchpoint to the share of buyers who used it, 0–1; ``"a+b"`` joins
        touchpoints, e.g. ``"call_centre+chatbot"``) and ``ropo_share`` (the share of buyers who research online
        and buy in store, 0–1). Default None: the French market figures of DESIGN.md (10 touchpoints; web 0.89,
        store 0.82, social 0.67, app 0.58, call centre or chatbot 0.45; ROPO 0.71).
    setup : str, default "multichannel"
        The setup each round simulates to check the fit.
    days : float, default 6
        Measured days of each check run (after a two-day warm-up).
    seed : int, default 0
        The seed of the check runs.
    rounds : int, default 2
        Rounds of fit and check (at least one is run).
    prior_weight : float, default 0.2
        The pull towards the scenario's own values (on the log scale of the fitted parameters), against misses
        measured in tolerances (0.5 touchpoints, 0.02 of a share); 0 lets the targets alone decide.
    refit : sequence of str, default ()
        Fields the user set that may be refitted too: ``("channels",)`` fits the segments' purchase channel
        shares.

    Returns
    -------
    fitted : Scenario
        The scenario with the fitted fields only (touchpoint mixes and channel shares to 4 decimals, summing to
        one; mean touchpoints to 2); every other field keeps its value exactly.
    report : dict
        ``targets`` (as checked), ``rounds`` (per round, the ``closed_form`` and the ``simulated`` figures:
        ``touchpoints_per_journey``, ``usage`` per key, ``ropo_share``) and ``after`` (the last round's
        simulated figures).

    Raises
    ------
    ScenarioError
        ``sc`` is a path whose file cannot be read or is refused; one line per problem of the targets: an
        unknown figure (with the allowed ones), a share outside 0–1 (a value in percent is named as such), a
        touchpoint the scenario does not have, no figure at all; an unknown ``refit`` field.
    TypeError
        ``sc`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first); one line
        naming the argument.

    See Also
    --------
    - ``omnisim calibrate`` : the same from the command line, writing the fitted numbers into the user's file.

    Notes
    -----
    The simulated figures of the report come from one short run per round: they carry the simulation's noise.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    fitted, report = sim.calibrate(sc, targets={"usage": {"web": 0.85}, "ropo_share": 0.7}, days=2, rounds=1)
    print(report["targets"], report["after"])
    print([segment.journey.touchpoint_mix for segment in fitted.segments])
    ```
    """
    sc = scenario_argument(sc, "sc")
    targets = check_targets(targets or MARKET_TARGETS)
    unknown = [r for r in refit if r not in REFIT]
    if unknown:
        raise ScenarioError([f"--refit {unknown[0]}: unknown field; allowed: {', '.join(REFIT)}"])
    arr = _Arrays(sc, targets, refit)
    aim = targets
    report: dict = {"targets": targets, "rounds": []}
    fitted = sc
    for _ in range(max(1, rounds)):
        def residuals(th, aim=aim):
            full = arr.full(th)
            return np.concatenate([_residuals(arr.figures(*arr.decode(full)), aim),
                                   prior_weight * (th - arr.theta0[arr.free])])

        fit = least_squares(residuals, arr.theta0[arr.free])
        fitted = _with_journeys(sc, arr, *arr.decode(arr.full(fit.x)), targets, refit)
        closed = arr.figures(*_rounded_arrays(fitted, arr))
        probe = scenario_from_dict(fitted.model_dump(mode="json"),
                                   {"horizon_days": days + 2, "warmup_days": 2})
        sim = measured(run(probe, setup, seed=seed), targets)
        report["rounds"].append({"closed_form": closed, "simulated": sim})
        aim = _shift(aim, _diff(sim, closed))
    report["after"] = report["rounds"][-1]["simulated"]
    return fitted, report


def _with_journeys(sc: Scenario, arr: _Arrays, mix: np.ndarray, m: np.ndarray, buy: np.ndarray, targets: dict,
                   refit: Sequence[str] = ()) -> Scenario:
    """The scenario with the fitted fields only: mixes and channel shares (4 decimals, summing to one), means
    (2 decimals); a field the targets do not name keeps the scenario's value exactly."""
    data = sc.model_dump(mode="json")
    for i, seg in enumerate(arr.segs):
        seg_data = data["segments"][sc.segments.index(seg)]
        if targets.get("usage") or "ropo_share" in targets:
            seg_data["journey"]["touchpoint_mix"] = _rounded_row(mix[i], arr.support[i], arr.research)
        if "touchpoints_per_journey" in targets:
            seg_data["journey"]["mean_touchpoints"] = round(float(m[i]), 2)
        if "channels" in refit:
            seg_data["channels"] = _rounded_row(buy[i], arr.buy_support[i], arr.research)
    return scenario_from_dict(data)


def _rounded_row(row: np.ndarray, support: np.ndarray, names: list[str]) -> dict[str, float]:
    vals = np.round(row[support], 4)
    vals[np.argmax(vals)] += 1.0 - vals.sum()
    return dict(zip([n for n, on in zip(names, support, strict=True) if on], np.round(vals, 4).tolist(),
                    strict=True))


def _rounded_arrays(sc: Scenario, arr: _Arrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    segs = [s for s in sc.segments if s.journey.touchpoint_mix]
    return (np.array([[s.journey.touchpoint_mix.get(t, 0.0) for t in arr.research] for s in segs]),
            np.array([s.journey.mean_touchpoints for s in segs]),
            np.array([[s.channels.get(t, 0.0) for t in arr.research] for s in segs]))


def fitted_changes(before: Scenario, after: Scenario) -> list[tuple[tuple, Any]]:
    """The journey fields calibration changed, as (path in the scenario file, new value) pairs."""
    out: list[tuple[tuple, Any]] = []
    for i, (a, b) in enumerate(zip(before.segments, after.segments, strict=True)):
        for k, v in b.journey.touchpoint_mix.items():
            if a.journey.touchpoint_mix.get(k) != v:
                out.append((("segments", i, "journey", "touchpoint_mix", k), v))
        if a.journey.mean_touchpoints != b.journey.mean_touchpoints:
            out.append((("segments", i, "journey", "mean_touchpoints"), b.journey.mean_touchpoints))
        for k, v in b.channels.items():
            if a.channels.get(k) != v:
                out.append((("segments", i, "channels", k), v))
    return out


_SCALAR = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?=\s*(?:[,}\]#]|$))")
_TAIL = re.compile(r"(?P<space>[ \t]*)(?P<comment>#[^\r\n]*)?(?P<newline>\r?\n|)")


def _yaml_io() -> Any:
    from ruamel.yaml import YAML

    y = YAML()  # round-trip: comments, key order, anchors and flow styles are kept
    y.width = 4096
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _surgical(text: str, data: Any, changes: Sequence[tuple[tuple, Any]],
              comments: Mapping[tuple, Callable[[str], str]] | None = None) -> str | None:
    """``text`` with each changed number replaced where it is written, and the end-of-line comment of each path
    in ``comments`` rewritten (``comments[path](old comment)`` gives the new one, at the old one's column); None
    when one cannot be (a key the file does not write itself, a value that is not a plain number, one place
    holding two different new values, a comment for a line that holds more than its own value)."""
    lines = text.splitlines(keepends=True)
    edits: dict[tuple[int, int], tuple[int, str]] = {}
    where: dict[tuple, tuple[int, int]] = {}
    for path, value in changes:
        node = data
        for key in path[:-1]:
            node = node[key]
        key = path[-1]
        lc = getattr(node, "lc", None)
        if lc is None or key not in getattr(lc, "data", {}):
            return None  # inherited through a merge key, or not in the file: no place of its own
        line, col = lc.value(key)
        match = _SCALAR.match(lines[line], col)
        if match is None:
            return None
        new = repr(value) if isinstance(value, float) else str(value)
        if edits.get((line, col), (0, new))[1] != new:
            return None
        edits[(line, col)] = (match.end() - col, new)
        where[tuple(path)] = (line, col)
    tails: dict[int, Callable[[str], str]] = {}
    for path, rewrite in (comments or {}).items():
        if tuple(path) not in where:
            return None
        line, col = where[tuple(path)]
        if not _TAIL.fullmatch(lines[line], col + edits[(line, col)][0]):
            return None  # a flow mapping or another value after this one: not a line of its own
        tails[line] = rewrite
    for (line, col), (length, new) in sorted(edits.items(), reverse=True):
        old, end = lines[line], col + len(new)
        lines[line] = old[:col] + new + old[col + length:]
        tail = _TAIL.fullmatch(old, col + length)
        if line in tails and tail is not None:  # the comment at its old column (two spaces after the value if none)
            column = tail.start("comment") if tail["comment"] else end + 2
            comment = tails[line]((tail["comment"] or "#")[1:].strip())
            lines[line] = lines[line][:end] + (" " * max(1, column - end) + "# " + comment if comment else "") + \
                tail["newline"]
    return "".join(lines)


def _eol_comment(node: Any, key: Any) -> str:
    """The end-of-line comment of ``node[key]`` as ruamel.yaml holds it (its first line, without ``#``)."""
    token = getattr(getattr(node, "ca", None), "items", {}).get(key, [None, None, None])
    value = getattr(token[2] if len(token) > 2 else None, "value", "") or ""
    first = value.split("\n", 1)[0].strip()
    return first[1:].strip() if first.startswith("#") else ""


def write_fitted(source: str | Path, changes: Sequence[tuple[tuple, Any]], path: str | Path,
                 overrides: dict[str, Any] | None = None, expected: Scenario | None = None,
                 comments: Mapping[tuple, Callable[[str], str]] | None = None) -> Path:
    """Write the user's scenario file ``source`` to ``path`` with ``changes`` ((path, value) pairs, e.g. from
    :func:`fitted_changes`) and the dotted ``overrides`` applied; return ``path``.

    Each changed number is replaced where the file writes it, so comments, anchors, flow mappings and every
    other line stay byte for byte. When a value has no place of its own (inherited through a merge key, or
    absent from the file), the file is rewritten by ruamel.yaml's round-trip dumper instead: values, comments,
    key order and anchors kept, spacing inside flow collections normalised. With ``expected``, the written
    file is loaded again and must give that scenario (``ScenarioError`` otherwise, nothing written).
    ``comments`` rewrites the end-of-line comment of changed values: ``comments[path](old comment)`` is the new
    comment of the line of ``path`` (e.g. to say which command fitted it), at the old comment's column.
    """
    text = read_text(source, "scenario", ScenarioError)
    y = _yaml_io()
    data = y.load(text)
    edits = list(changes) + [(tuple(int(p) if p.lstrip("-").isdigit() else p for p in concrete.split(".")), v)
                             for k, v in (overrides or {}).items()
                             for concrete in concrete_paths(data, k, keep_missing=True)]
    out = _surgical(text, data, edits, comments)
    if out is None:
        for key_path, value in edits:
            node = data
            for key in key_path[:-1]:
                if isinstance(node, dict) and node.get(key) is None:  # a section the file leaves out
                    node[key] = {}
                node = node[key]
            old = _eol_comment(node, key_path[-1])
            node[key_path[-1]] = value
            rewrite = (comments or {}).get(tuple(key_path))
            if rewrite is not None:
                node.yaml_add_eol_comment("# " + rewrite(old), key_path[-1])
        buf = io.StringIO()
        y.dump(data, buf)
        out = buf.getvalue()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(out, encoding="utf-8")
    try:
        if expected is not None:
            got = load_scenario(tmp)
            if got.model_dump(mode="json", exclude={"name"}) != expected.model_dump(mode="json", exclude={"name"}):
                raise ScenarioError([f"{path}: the fitted file does not load as the fitted scenario; not written"])
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_scenario(sc: Scenario, path: str | Path) -> Path:
    """Write a scenario as YAML (defaults included, so the file says every value the model used)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".partial")
    tmp.write_text(scenario_yaml(sc))
    tmp.replace(path)
    return path


def with_chain(sc: Scenario, chain: Chain, segments: list[str] | None = None) -> Scenario:
    """The scenario with ``chain`` as the journey of the named segments (all when None)."""
    data = sc.model_dump(mode="json")
    names = [s.name for s in sc.segments]
    for name in segments or names:
        if name not in names:
            raise ScenarioError([f"--segment {name}: unknown segment; allowed: {', '.join(names)}"])
        seg = data["segments"][names.index(name)]
        seg["journey"]["chain"] = chain.model_dump(mode="json")
    return scenario_from_dict(data)


# --------------------------------------------------------------------------------------------- chains and logs
def expected_visits(chain: Chain, research: list[str]) -> dict[str, float]:
    """Traffic equations of an absorbing chain: expected visits per journey, v = s (I - Q)^-1."""
    k = len(research)
    s = np.array([chain.start.get(t, 0.0) for t in research])
    q = np.zeros((k, k))
    for tp, row in chain.transitions.items():
        q[research.index(tp)] = [row.get(t, 0.0) for t in research]
    v = np.linalg.solve((np.eye(k) - q).T, s)
    return dict(zip(research, v.tolist(), strict=True))


def journey_log(sc: Scenario, days: int = 1, seed: int = 0) -> pd.DataFrame:
    """A journey log of the model's own customers: ``customer_id, timestamp, touchpoint`` (timestamps in minutes
    from the start, steps spaced by their visit times), each journey closed by a ``decide`` or ``drop`` row."""
    research = list(sc.touchpoints) + [CHANNEL_STORE, CHANNEL_CALL]
    pop = Population(sc, Streams(seed), purchase_channels(sc), research, np.full(1, 1.0))
    rows = []
    for i, c in enumerate(pop.days(0, days, days * 1440.0)):
        t = c.t
        for tp in c.path:
            rows.append((i, t, research[tp]))
            t += sc.touchpoints[research[tp]].visit_min if research[tp] in sc.touchpoints else 1.0
        rows.append((i, t, DROP if c.dropped else DECIDE))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "touchpoint"])


def fit_chain(log: pd.DataFrame | str | Path) -> tuple[Chain, dict]:
    """Maximum-likelihood chain from a journey log (CSV path or DataFrame). Returns the chain and the counts
    ``{"start": {tp: n}, "transitions": {tp: {next: n}}}`` for judging sampling error. A journey without an
    end row contributes its transitions but no ending (censored)."""
    df = read_log(log) if isinstance(log, str | Path) else log
    missing = {"customer_id", "timestamp", "touchpoint"} - set(df.columns)
    if missing:
        raise ScenarioError([f"journey log: missing column(s) {sorted(missing)}; need customer_id, timestamp, "
                             "touchpoint"])
    if df.empty:
        raise ScenarioError(["journey log: no rows"])
    if df["touchpoint"].isna().any() or df["customer_id"].isna().any():
        raise ScenarioError(["journey log: empty customer_id or touchpoint cells"])
    df = df.assign(touchpoint=df["touchpoint"].astype(str))
    if not pd.api.types.is_numeric_dtype(df["timestamp"]):
        try:
            df = df.assign(timestamp=pd.to_datetime(df["timestamp"]))
        except (ValueError, TypeError, OverflowError):
            raise ScenarioError(["journey log: timestamp: neither numbers nor dates"]) from None
    df = df.sort_values(["customer_id", "timestamp"], kind="stable")
    first = df.groupby("customer_id", sort=False)["touchpoint"].first()
    nxt = df.groupby("customer_id", sort=False)["touchpoint"].shift(-1)
    pairs = pd.DataFrame({"from": df["touchpoint"], "to": nxt}).dropna()
    pairs = pairs[~pairs["from"].isin([DECIDE, DROP])]
    start_n = first.value_counts().to_dict()
    trans_n: dict[str, dict[str, int]] = {}
    for (a, b), n in pairs.groupby(["from", "to"]).size().items():
        trans_n.setdefault(a, {})[b] = int(n)
    try:
        chain = Chain(start=_normalise(start_n), transitions={a: _normalise(r) for a, r in trans_n.items()})
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ScenarioError([f"journey log: the fitted chain is not usable ({str(exc).splitlines()[0]})"]) from None
    return chain, {"start": start_n, "transitions": trans_n}


def read_log(path: str | Path) -> pd.DataFrame:
    """A journey log CSV read safely (size cap, strict UTF-8; sim/scenario/userfiles.py); bad files raise ScenarioError."""
    text = read_text(path, "journey log", ScenarioError)
    try:
        return pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ScenarioError([f"{path}: not a CSV journey log ({str(exc).splitlines()[0][:120]})"]) from None


def _normalise(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    probs = {k: v / total for k, v in counts.items()}
    # absorb float rounding so that the row passes the sum-to-one check exactly
    last = max(probs, key=probs.__getitem__)
    probs[last] += 1.0 - sum(probs.values())
    return probs
