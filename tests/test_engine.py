"""SimPy's internals used by sim/engine.py behave as the model needs, on the SimPy versions the project allows."""

from __future__ import annotations

import simpy

from sim.engine import SUPPORTED, events_processed, schedule_callback


def test_simpy_version_is_supported():
    version = tuple(int(x) for x in simpy.__version__.split(".")[:2])
    assert SUPPORTED[0] <= version < SUPPORTED[1], (
        f"SimPy {simpy.__version__}: sim/engine.py was checked on {SUPPORTED[0]} <= version < {SUPPORTED[1]}; "
        "check its two functions on this version, then widen SUPPORTED and the bound in pyproject.toml")


def test_callbacks_run_by_priority_before_ordinary_events_of_the_same_instant():
    env = simpy.Environment()
    seen = []
    env.timeout(5).callbacks.append(lambda e: seen.append(("timeout", env.now)))
    for prio in (-1, -4, -2):
        schedule_callback(env, lambda e, p=prio: seen.append((p, env.now, e.ok, e.value)), prio, 5)
    schedule_callback(env, lambda e: seen.append(("earlier", env.now)), -1, 2)
    env.run()
    assert seen == [("earlier", 2), (-4, 5, True, None), (-2, 5, True, None), (-1, 5, True, None), ("timeout", 5)]


def test_events_processed_counts_what_ran_not_what_waits():
    env = simpy.Environment()
    for t in (1, 2, 3):
        env.timeout(t)
    env.run()
    assert events_processed(env) == events_processed(env) == 3  # reading it does not advance SimPy's counter
    env.timeout(1)
    env.timeout(2)
    assert events_processed(env) == 3  # scheduled, not yet processed
    env.run(until=env.now + 1.5)  # one of the two ran, and SimPy's own stop event
    assert events_processed(env) == 5
