"""The model's numbers on a few short replications are exactly the stored golden ones (tests/golden.json): a
restructuring that changes any KPI, breakdown, daily value, book total or SimPy event count fails here. The same
cases run on the plain-SimPy reference engine must find every number but the event counts (which are what the fast
engine saves): the check that the fast scheduling primitives schedule as SimPy would."""

from __future__ import annotations

import json

import pytest

import sim

from .golden import FILE, ROOT, _plain, outputs


def _diff(want, got, path="", out=None, limit=20):
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got or k not in want:
                out.append(f"{path}/{k}: {'missing' if k not in got else 'new'}")
            else:
                _diff(want[k], got[k], f"{path}/{k}", out, limit)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            _diff(a, b, f"{path}[{i}]", out, limit)
    elif want != got:
        out.append(f"{path}: stored {want!r}, now {got!r}")
    return out


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_outputs_equal_the_golden_file(engine):
    stored = json.loads(FILE.read_text())
    now = json.loads(json.dumps(outputs(engine)))  # the same round trip as when the file was written
    if engine == "reference":  # its processes, timeouts and resources cost more events: those are not compared
        fewer = [k for k in stored if k in now and now[k]["events"] <= stored[k]["events"]]
        assert not fewer, f"the reference engine did not run (no more events than the fast one): {fewer}"
        for case in (stored, now):
            for out in case.values():
                out.pop("events")
    problems = _diff(stored, now)
    assert not problems, ("numbers changed; if on purpose, run `make golden` and review the diff:\n"
                          + "\n".join(problems))


def test_the_reference_engine_finds_the_fast_numbers_on_busy_days():
    """Two full days of the default scenario (6,000 customers a day: queues at every till and agent, second calls
    made as an agent is freed), every setup: the plain-SimPy reference finds every number of the fast engine. The
    golden cases are too small to meet some ties of one instant (a reference that let a customer take back the
    agent they had just freed passed them, and not this)."""
    sc = sim.load_scenario(ROOT / "scenarios" / "default.yaml", {"horizon_days": 2, "warmup_days": 0})
    for setup in sim.SETUP_NAMES:
        fast, ref = (sim.run(sc, setup, seed=0, engine=engine) for engine in ("fast", "reference"))
        problems = _diff(*(_plain({"kpis": r.kpis, "breakdown": r.breakdown, "daily": r.daily, "books": r.books})
                           for r in (fast, ref)))
        assert not problems, f"{setup}: the reference engine differs:\n" + "\n".join(problems)
