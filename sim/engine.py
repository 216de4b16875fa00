"""The one place that touches SimPy's internals (SimPy 4.1; ``tests/test_engine.py`` pins the behaviour).

The model uses SimPy's public API everywhere else. What it needs that has no public form:

- a callback scheduled at a given *priority* and delay without a process (the event order of one instant that
  VALIDATION.md fixes: period end, supplier, receipts, review, then demand): SimPy's ``Timeout`` always has
  normal priority, so an event is marked triggered by hand and handed to the public ``Environment.schedule``;
- light processes (:class:`Light`) and servers that cost no event when free (:class:`Servers`): the customer
  journeys, which are most of a run's events, at half the events of SimPy's processes and resources, in the
  same order (issue 13: the golden outputs did not move, only their event counts);
- the number of events processed in a run (for the benchmark's events per second), read from SimPy's event
  counter and queue.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Generator
from functools import partial
from heapq import heappop, heappush
from itertools import count
from typing import Any

import simpy
from simpy.events import NORMAL, Event

INF = float("inf")

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


def call_at(env: simpy.Environment, t: float, callback: Callable[[Any], Any], priority: int = NORMAL,
            data: Any = None) -> None:
    """Call ``callback(event)`` at time ``t`` exactly, ``event.data`` being ``data``: ``Environment.schedule``
    takes a delay, and ``now + (t - now)`` need not be ``t`` in floating point (SimPy's own queue entry, with an
    absolute time, and the lightest event its loop can process)."""
    ev = _Tick()
    ev.callbacks, ev._ok, ev._value, ev.data = [callback], True, None, data
    heappush(env._queue, (t, priority, next(env._eid), ev))  # type: ignore[attr-defined, misc]


def events_processed(env: simpy.Environment) -> int:
    """Events SimPy has scheduled and already processed: its event counter minus those still queued (read on a
    copy of the counter, which reading must not advance)."""
    return next(copy.copy(env._eid)) - len(env._queue)  # type: ignore[attr-defined]


class _Tick:
    """The lightest event SimPy's loop can process: its callbacks, a success flag with no value, and data for
    the callback."""

    __slots__ = ("callbacks", "_ok", "_value", "data")
    callbacks: list[Callable[[Any], Any]] | None
    _ok: bool
    _value: None
    data: Any


class Light:
    """Generators run as light processes on ``env``: no start event, no end event, and a delay is yielded as a
    plain number (``yield 4.5``) and costs one scheduled callback instead of a ``Timeout``. A generator may also
    yield any SimPy event (it resumes with the event's value). It starts at once, in the caller's step, and runs
    to its first yield; an exception it raises propagates out of ``env.run`` like a process's.

    SimPy's processes cost three events more per journey (start, end, and each ``Timeout`` an object with a
    value); the model's journeys are most of its events, and never wait for each other to end."""

    __slots__ = ("env", "_schedule")

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._schedule = env.schedule

    def start(self, gen: Generator[Any, Any, Any]) -> None:
        """Run ``gen`` now until its first yield."""
        self._advance(gen, None)

    def _advance(self, gen: Generator[Any, Any, Any], value: Any) -> None:
        while True:
            try:
                y = gen.send(value)
            except StopIteration:
                return
            if not isinstance(y, Event):  # a delay
                tick = _Tick()
                tick.callbacks, tick._ok, tick._value, tick.data = [self._on_tick], True, None, gen
                self._schedule(tick, NORMAL, y)  # type: ignore[arg-type]
                return
            if y.callbacks is not None:  # not processed yet: resume when it is
                y.callbacks.append(partial(self._on_event, gen))
                return
            value = y._value  # already processed: go on with its value

    def _on_tick(self, tick: _Tick) -> None:
        self._advance(tick.data, None)

    def _on_event(self, gen: Generator[Any, Any, Any], ev: Event) -> None:
        self._advance(gen, ev._value)


class Servers:
    """``capacity`` identical servers (tills, advisers, agents) and one first-come first-served queue: SimPy's
    ``Resource`` as the model uses it, without its events. A free server is taken at once (:meth:`take`); a
    customer who finds none waits on :meth:`wait`, whose event succeeds with True when a releasing customer hands
    them their server, or with False when their patience runs out first (they leave the queue then)."""

    __slots__ = ("env", "capacity", "count", "waiting", "_queue")

    def __init__(self, env: simpy.Environment, capacity: int):
        self.env = env
        self.capacity = capacity
        self.count = 0      # servers busy
        self.waiting = 0    # customers in the queue
        self._queue: deque[Event] = deque()  # their grants, in arrival order; those who gave up are skipped

    def take(self) -> bool:
        """Take a free server if there is one."""
        if self.count < self.capacity:  # then nobody waits: a released server goes to the first waiting
            self.count += 1
            return True
        return False

    def wait(self, patience: float = INF) -> Event:
        """Join the queue; the event's value says whether a server came (True) before ``patience`` ran out."""
        grant = Event(self.env)
        self._queue.append(grant)
        self.waiting += 1
        if patience != INF:
            schedule_callback(self.env, partial(self._give_up, grant), NORMAL, patience)
        return grant

    def _give_up(self, grant: Event, _event: object) -> None:
        if not grant.triggered:
            self.waiting -= 1
            grant.succeed(False)

    def release(self) -> None:
        """Hand the server to the first customer still waiting, or free it."""
        queue = self._queue
        while queue:
            grant = queue.popleft()
            if not grant.triggered:  # else: gave up, and already counted out
                self.waiting -= 1
                grant.succeed(True)
                return
        self.count -= 1


class Agenda:
    """Calls due later, held compactly: a heap of ``(time, order, function, arguments)`` under SimPy events for
    the earliest ones only (one per distinct due time, or fewer), all at one ``priority``. For the many pending
    things of a long run (stock on its way, returns, repeat journeys): a tuple each instead of an event with its
    callback list and closure. Calls due at the same instant run in the order they were put on the agenda, as
    events of one priority would."""

    __slots__ = ("env", "priority", "_heap", "_order", "_wakes")

    def __init__(self, env: simpy.Environment, priority: int = NORMAL):
        self.env = env
        self.priority = priority
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._order = count()
        self._wakes: list[float] = []  # times of the wake-ups scheduled in SimPy and not yet run

    def __len__(self) -> int:
        return len(self._heap)

    def call(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` after ``delay``."""
        t = self.env.now + delay
        heappush(self._heap, (t, next(self._order), fn, args))
        if not self._wakes or t < self._wakes[0]:
            self._wake_at(t)

    def _wake_at(self, t: float) -> None:
        heappush(self._wakes, t)
        call_at(self.env, t, self._wake, self.priority)

    def _wake(self, _event: object) -> None:
        heappop(self._wakes)  # this wake-up's own time: wake-ups run in time order
        now, heap = self.env.now, self._heap
        while heap and heap[0][0] <= now:
            _, _, fn, args = heappop(heap)
            fn(*args)
        if heap and (not self._wakes or heap[0][0] < self._wakes[0]):
            self._wake_at(heap[0][0])
