"""The one place that touches SimPy's internals (SimPy 4.1; ``tests/test_engine.py`` pins the behaviour).

The model uses SimPy's public API everywhere else. Two things it needs have no public form:

- a callback scheduled at a given *priority* and delay without a process (the event order of one instant that
  VALIDATION.md fixes: period end, supplier, receipts, review, then demand): SimPy's ``Timeout`` always has
  normal priority, so an event is marked triggered by hand and handed to the public ``Environment.schedule``;
- the number of events processed in a run (for the benchmark's events per second), read from SimPy's event
  counter and queue.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import simpy

SUPPORTED = ((4, 1), (4, 2))  # SimPy versions whose internals these functions were checked on (>= first, < last)


def schedule_callback(env: simpy.Environment, callback: Callable[[simpy.Event], Any], priority: int,
                      delay: float) -> None:
    """Call ``callback(event)`` after ``delay`` at ``priority`` (lower runs first among events of one instant;
    SimPy's own events use 0 and 1)."""
    ev = simpy.Event(env)
    ev.callbacks.append(callback)
    ev._ok = True       # triggered successfully, with no value: what succeed() would set, without its scheduling
    ev._value = None
    env.schedule(ev, priority, delay)  # type: ignore[arg-type]  # SimPy types the priority as its own enum


def events_processed(env: simpy.Environment) -> int:
    """Events SimPy has scheduled and already processed: its event counter minus those still queued (read on a
    copy of the counter, which reading must not advance)."""
    return next(copy.copy(env._eid)) - len(env._queue)  # type: ignore[attr-defined]
