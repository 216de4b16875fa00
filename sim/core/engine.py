"""The one scheduling API of the model, and the one place that touches SimPy's internals (SimPy 4.1;
``tests/test_engine.py`` pins the behaviour).

Every mechanism schedules through an :class:`Engine`, built once per run (:class:`sim.core.model.World`) and handed
to the mechanisms as they are built (``Network.engine``): light processes (:meth:`Engine.light`), calls made many
times (:meth:`Engine.later`), many calls known at once (:meth:`Engine.feed`), single calls at a time or after a
delay at a priority (:meth:`Engine.call_at`, :meth:`Engine.call_after`) and servers (:meth:`Engine.servers`).
No mechanism creates a SimPy process, timeout, event or resource of its own (a test holds it; World's daily tick
process is, for now, the one exception).

Two modes, chosen per run (``sim.run(..., engine=...)``):

- ``"fast"`` (the default, the product): the primitives below, which need what SimPy has no public form for:

  - a callback scheduled at a given *priority* and delay without a process (the event order of one instant that
    VALIDATION.md fixes: period end, supplier, receipts, review, then demand): SimPy's ``Timeout`` always has
    normal priority, so an event is marked triggered by hand and handed to the public ``Environment.schedule``;
  - light processes (:class:`Light`), servers that cost no event when free (:class:`Servers`) and calls made at a
    time or after a delay as the lightest event SimPy's loop can process (:class:`Later`): the customer journeys
    and the many things pending on a long run at a third of the events and less memory than SimPy's processes,
    resources and timeouts, in the same order (issue 13: the golden outputs did not move, only their event
    counts);
  - many calls known at once (a day's journeys, a day's returns) fed to SimPy's queue one at a time
    (:class:`Feed`): a small heap is a fast one;
  - the number of events processed in a run (for the benchmark's events per second), read from SimPy's event
    counter and queue.

- ``"reference"`` (:class:`Reference`): the same API on SimPy's public API only, as a plain SimPy model would be
  written: a light process is a SimPy process (a delay a ``Timeout``), every call its own SimPy event (a
  ``Timeout`` at normal priority, else an event given its priority through ``Environment.schedule``), a feed its
  calls' events scheduled at once, servers a ``Resource`` (patience: ``request | timeout``). About three times the
  events and half the speed; it exists to check the fast primitives. The golden test runs every case in both
  modes: every KPI, breakdown, daily value and book total must be the same, only the event counts differ.

Where the two may differ, by design, within one instant only (the model avoids each; the tests say so):
a periodic :class:`Later`'s call waiting in its bucket runs after an event of its very time and priority that
was scheduled by other means before its period began (not a numbered one's: a light process's long delay);
SimPy's ``Resource`` hands a freed server over one event later than :class:`Servers`, and a customer whose patience ran out leaves its queue an event later, so two
customers resuming at one instant may do so in another order, and a count read in between may count one who has
given up (who is served, who gives up, and when, do not differ); a light process runs to its first yield in the
caller's step, a SimPy process at the next event (the same, as the model starts them from a step of normal
priority that touches nothing the process starts with).

No new primitive, and no change to one, without the golden check in both modes: add it to :class:`Engine` and
:class:`Reference` alike, and to ``tests/test_engine.py``'s comparison of the two.
"""

from __future__ import annotations

import copy
import math
from array import array
from collections import deque
from collections.abc import Callable, Generator, Sequence
from functools import partial
from heapq import heappop, heappush
from itertools import islice
from types import FunctionType
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event, EventPriority
from simpy.events import URGENT as URGENT  # for the mechanisms: SimPy's priorities come from here
from simpy.resources.resource import Request

from sim.core.environment import Environment

INF = float("inf")
PRIO_OPEN = -100
"""A :class:`Later`'s period boundary: before any other event of its instant (the model's lowest is -4)."""
LONG_WAIT = 60.0
"""A light process's delay of at least this many minutes (a customer who found the store closed waits for it to
open) waits outside SimPy's queue until its hour begins (:class:`Light`)."""

SUPPORTED = ((4, 1), (4, 2))  # SimPy versions whose internals these functions were checked on (>= first, < last)


Entry = tuple[Any, ...]
"""An entry of SimPy's event queue: (time, priority, event number, event), a min-heap on the first three."""


def _before(a: Entry, b: Entry) -> bool:
    """``a < b`` as tuples compare, the event itself never reached (event numbers are unique). Compiled, the time,
    then the priority and number on a tie, are compared as machine numbers."""
    ta: float = a[0]
    tb: float = b[0]
    if ta != tb:
        return ta < tb
    pa: int = a[1]
    pb: int = b[1]
    if pa != pb:
        return pa < pb
    ea: int = a[2]
    eb: int = b[2]
    return ea < eb


def _heap_push(heap: list[Entry], entry: Entry) -> None:
    """``heapq.heappush(heap, entry)``, the same algorithm, compiled with :func:`_before` (SimPy's own
    ``schedule`` pushes with heapq's: one heap, one order)."""
    heap.append(entry)
    _sift_up(heap, len(heap) - 1, entry)


def _heap_pop(heap: list[Entry]) -> Entry:
    """``heapq.heappop(heap)``, the same algorithm (the smaller child moved up to a leaf, then the last entry
    sifted up from there), compiled with :func:`_before` (times compared first, inline)."""
    last = heap.pop()
    if not heap:
        return last
    top = heap[0]
    end = len(heap)
    pos = 0
    child = 1
    while child < end:
        item = heap[child]
        right = child + 1
        if right < end:
            other = heap[right]
            t_item: float = item[0]
            t_other: float = other[0]
            if t_other < t_item or (t_other == t_item and _before(other, item)):
                child, item = right, other
        heap[pos] = item
        pos = child
        child = 2 * pos + 1
    _sift_up(heap, pos, last)
    return top


def _sift_up(heap: list[Entry], pos: int, entry: Entry) -> None:
    """Put ``entry`` at ``pos`` and move it towards the root past every parent it precedes."""
    t: float = entry[0]
    while pos > 0:
        up = (pos - 1) >> 1
        parent = heap[up]
        t_parent: float = parent[0]
        if t > t_parent or (t == t_parent and not _before(entry, parent)):
            break
        heap[pos] = parent
        pos = up
    heap[pos] = entry


if isinstance(_before, FunctionType):  # interpreted: C's heapq is faster than the functions above run as Python
    globals().update(_heap_push=heappush, _heap_pop=heappop)


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
    unfed: int = sum(f.unfed() for f in getattr(env, "_feeds", ()))  # their numbers are taken, their events to come
    return next(copy.copy(env._eid)) - len(env._queue) - unfed


class _Tick:
    """The lightest event SimPy's loop can process: a (shared) tuple of callbacks and the data they are for.
    SimPy's step reads ``callbacks`` (and sets it to None), ``_ok`` and ``_value``; the last two are the same
    for every tick, so they are class attributes, not slots."""

    __slots__ = ("callbacks", "data")
    _ok = True
    _value = None

    def __init__(self, callbacks: tuple[Callable[[Any], Any], ...], data: Any):
        self.callbacks: tuple[Callable[[Any], Any], ...] | None = callbacks
        self.data = data


class Later:
    """One kind of call made many times, each at its own time: ``fn(data)`` at ``t`` (:meth:`at`) or after a
    delay (:meth:`after`), as an event of two slots on SimPy's queue at ``priority``. The model's many pending
    things (a repeat journey ending its research, stock on its way, returns, patience) cost a small object and
    SimPy's queue entry each, instead of an ``Event`` with its callback list and a closure; calls of one instant
    run in the order they were made, like any events of one priority.

    With ``period`` (a day), calls due from the next period boundary on wait outside SimPy's queue, in that
    period's bucket (a time in an array and the data in a list: 16 bytes each instead of ~200 for a queued
    event), and are fed to the queue from the boundary on (:class:`Feed`), before anything else of that instant
    and numbered then, in the order they were made. Calls run in the same
    order as without a period, ties included, among themselves and against events scheduled before they were
    made or during their period (a bucket keeps the order its calls were made in, and they were made before any
    call of their period). Only an event scheduled by other means between a call and its period's boundary, for
    that very time and priority, would now run first: the model's periodic calls are returns, repeat journeys and
    stock on its way, at continuous times or (stock) commuting with each other. The days-long waits of a long run
    then leave SimPy's heap small; each period with calls costs one more event.

    ``numbered``: a call waiting in a bucket takes its event number when it is made, as a call put on the queue
    would, rather than when its period begins. The calls then run in exactly the order they would run on the
    queue, ties with any event included (only the event count differs, by the periods' boundaries).
    :class:`Light`'s long delays wait so."""

    __slots__ = ("env", "clock", "fn", "_queue", "_eid", "priority", "_callbacks", "period", "_buckets", "_numbered")

    def __init__(self, env: Environment, fn: Callable[[Any], Any], priority: int = NORMAL,
                 period: float | None = None, numbered: bool = False):
        self.env = env
        self.clock = env.clock
        self.fn = fn  # also what a pending call is for, read by bench/live_state.py
        self._queue: list[Any] = env._queue
        self._eid = env._eid
        self.priority = priority
        self._callbacks = (self._fire,)
        self.period = period
        self._buckets: dict[int, tuple[array[float], list[Any], array[int]]] = {}
        self._numbered = numbered
        if numbered:  # its waiting calls' numbers are taken: events_processed counts them as still to come
            env.__dict__.setdefault("_feeds", set()).add(self)

    def _fire(self, tick: _Tick) -> None:
        self.fn(tick.data)

    def at(self, t: float, data: Any = None) -> None:
        """``fn(data)`` at time ``t`` exactly (``Environment.schedule`` takes a delay, and ``now + (t - now)``
        need not be ``t`` in floating point)."""
        if t < self.clock.now:
            raise ValueError(f"time {t} is in the past (now {self.clock.now})")
        self._push(t, data)

    def after(self, delay: float, data: Any = None) -> None:
        """``fn(data)`` after ``delay``: at ``now + delay``, as ``Environment.schedule`` computes it. A negative
        delay is refused, as SimPy's ``Timeout`` refuses it: the clock never runs backwards."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        self._push(self.clock.now + delay, data)

    def _push(self, t: float, data: Any) -> None:
        period = self.period
        if period is not None:
            k = int(t // period)
            if k * period > self.clock.now:  # due after the next boundary: wait
                bucket = self._buckets.get(k)
                if bucket is None:
                    bucket = self._buckets[k] = (array("d"), [], array("q"))
                    call_at(self.env, k * period, partial(self._open, k), PRIO_OPEN)
                bucket[0].append(t)
                bucket[1].append(data)
                if self._numbered:
                    bucket[2].append(next(self._eid))
                return
        _heap_push(self._queue, (t, self.priority, next(self._eid), _Tick(self._callbacks, data)))

    def _open(self, k: int, _tick: object) -> None:
        """Period ``k`` begins: its calls are fed to SimPy's queue, numbered now in the order they were made (or
        with the numbers they took when made: ``numbered``)."""
        times, datas, eids = self._buckets.pop(k)
        Feed(self.env, self.fn, times, datas, self.priority, eids if self._numbered else None)

    def waiting(self) -> int:
        """Calls waiting in buckets, outside SimPy's queue."""
        return sum(len(d) for _, d, _ in self._buckets.values())

    def unfed(self) -> int:
        """Calls whose event numbers are taken and that are not yet on SimPy's queue (numbered calls waiting)."""
        return self.waiting() if self._numbered else 0


class Feed:
    """Calls ``fn(datas[i])`` at ``times[i]`` for every ``i``, all made now, with SimPy's queue holding only the
    next one due: the rest wait in time order, outside it. They run exactly as ``len(times)`` events scheduled now
    in that order would run, ties and all: their event numbers are taken from SimPy's counter now, and each call,
    as it runs, puts the next one on the queue, which no other event can then precede (it would precede the call
    just made too). A day's journeys or returns, tens of thousands at once, then cost a heap of the events under
    way, not of the whole day: each heap operation touches fewer levels and less memory.

    ``eids``: the event numbers the calls took when they were made, increasing in call order (a numbered
    :class:`Later`'s bucket); they then run exactly as those queued events would have. None: numbered now."""

    __slots__ = ("env", "fn", "_queue", "_times", "_eids", "_datas", "_prio")

    def __init__(self, env: Environment, fn: Callable[[Any], Any], times: Sequence[float] | np.ndarray,
                 datas: Sequence[Any], priority: int = NORMAL, eids: array[int] | None = None):
        n = len(times)
        if n == 0:
            return
        at = np.asarray(times, dtype=float)
        order = np.argsort(at, kind="stable")[::-1]  # time order, ties in call order, reversed: the next one last
        if eids is None:
            eid = env._eid
            first = next(eid)
            deque(islice(eid, n - 1), maxlen=0)  # numbers first .. first + n - 1 are this feed's, in call order
            numbers = order + first
        else:
            numbers = np.frombuffer(eids, dtype=np.int64)[order]
        self.env, self.fn, self._prio = env, fn, priority
        self._queue: list[Any] = env._queue
        self._times = array("d", at[order].tobytes())  # 8 bytes a call, a float object only once it is due
        self._eids = array("q", numbers.astype(np.int64).tobytes())
        self._datas = [datas[j] for j in order.tolist()]
        env.__dict__.setdefault("_feeds", set()).add(self)
        # the tick keeps its callbacks in its data too (SimPy clears them): the feed holds no reference to its own
        # method, a cycle the run's disabled collector would never free, with the arrays it holds
        callbacks = (self._call,)
        _heap_push(self._queue, (self._times.pop(), priority, self._eids.pop(), _Tick(callbacks, callbacks)))

    def _call(self, tick: _Tick) -> None:
        data = self._datas.pop()  # not held once called: a day's journeys may end days later
        if self._times:  # the next one, before this call makes anything of its own
            tick.callbacks = tick.data
            _heap_push(self._queue, (self._times.pop(), self._prio, self._eids.pop(), tick))
        else:
            self.env.__dict__["_feeds"].discard(self)
        self.fn(data)

    def unfed(self) -> int:
        """Calls not yet on SimPy's queue."""
        return len(self._times)


def call_at(env: simpy.Environment, t: float, callback: Callable[[Any], Any], priority: int = NORMAL) -> None:
    """A single call of ``callback(event)`` at time ``t`` exactly."""
    _heap_push(env._queue, (t, priority, next(env._eid), _Tick((callback,), None)))


class Light:
    """Generators run as light processes on ``env``: no start event, no end event, and a delay is yielded as a
    plain number (``yield 4.5``) and costs one scheduled callback instead of a ``Timeout``. A generator may also
    yield any SimPy event (it resumes with the event's value). It starts at once, in the caller's step, and runs
    to its first yield; an exception it raises propagates out of ``env.run`` like a process's.

    SimPy's processes cost three events more per journey (start, end, and each ``Timeout`` an object with a
    value); the model's journeys are most of its events, and never wait for each other to end.

    A delay of ``long_wait`` or more waits outside SimPy's queue until its period of that length begins (a
    numbered :class:`Later`): the same times and order as on the queue, ties included, and one event more per
    period with such waits. Customers who found their store closed were nine in ten of the national chain's queue
    entries; a smaller heap is a faster one (its entries stay in the processor's caches)."""

    __slots__ = ("env", "clock", "_queue", "_eid", "_callbacks", "long_wait", "_long")

    def __init__(self, env: Environment, long_wait: float = LONG_WAIT):
        self.env = env
        self.clock = env.clock
        self._queue: list[Any] = env._queue
        self._eid = env._eid
        self._callbacks = (self._resume,)
        self.long_wait = long_wait
        self._long = Later(env, self._next, NORMAL, period=long_wait, numbered=True)

    def start(self, gen: Generator[Any, Any, Any]) -> None:
        """Run ``gen`` now until its first yield."""
        self._next(gen)

    def _next(self, gen: Generator[Any, Any, Any], tick: _Tick | None = None) -> None:
        """Resume ``gen`` with None (a delay ended, or a start) until it yields what it must wait for. Iterated
        rather than sent to: compiled, ``for`` calls the generator's C-level next and its end costs no
        ``StopIteration`` object; resuming with a value goes through :meth:`_advance`. ``tick``: the processed
        tick that resumed it, queued again for its next delay (one object fewer made and freed per delay)."""
        for y in gen:
            if isinstance(y, float):  # a delay (the model's are floats)
                self._delay(gen, y, tick)
                return
            if not isinstance(y, Event) or y.callbacks is not None or y._value is not None:
                self._wait(gen, y)
                return

    def _delay(self, gen: Generator[Any, Any, Any], y: float, tick: _Tick | None) -> None:
        """``gen`` waits ``y`` minutes: resumed by a tick (``tick``, when given, is queued again), or from its
        period's bucket when ``y`` is ``long_wait`` or more."""
        if y < 0.0:
            raise ValueError(f"negative delay {y}")
        now = self.clock.now
        if y >= self.long_wait:
            self._long._push(now + y, gen)
            return
        if tick is None:
            tick = _Tick(self._callbacks, gen)
        else:  # processed: SimPy's loop has taken its callbacks
            tick.callbacks = self._callbacks
        _heap_push(self._queue, (now + y, NORMAL, next(self._eid), tick))

    def _advance(self, gen: Generator[Any, Any, Any], value: Any) -> None:
        """Resume ``gen`` with ``value`` until it yields what it must wait for."""
        try:
            y = gen.send(value)
        except StopIteration:
            return
        self._wait(gen, y)

    def _wait(self, gen: Generator[Any, Any, Any], y: Any) -> None:
        """``gen`` yielded ``y``: a delay (any number), a place in a queue of :class:`Servers`, or an event to wait
        for (gone on at once with its value when already processed)."""
        if isinstance(y, Grant):
            if y.processed:  # (never in the model: a place is yielded as soon as it is taken)
                self._advance(gen, y.value)
            else:
                y.light, y.gen = self, gen
        elif not isinstance(y, Event):  # a delay (any number)
            self._delay(gen, y, None)
        elif y.callbacks is not None:  # not processed yet: resume when it is
            y.callbacks.append(partial(self._on_event, gen))
        elif y._value is None:  # already processed: go on with its value
            self._next(gen)
        else:
            self._advance(gen, y._value)

    def _resume(self, tick: _Tick) -> None:
        self._next(tick.data, tick)

    def _on_event(self, gen: Generator[Any, Any, Any], ev: Event) -> None:
        self._advance(gen, ev._value)


class Pool:
    """What the mechanisms use of a set of servers: :class:`Servers`, or SimPy's ``Resource`` in reference mode
    (:class:`_RefServers`). A base class rather than a protocol: compiled, the journeys' calls through it are
    native calls."""

    __slots__ = ()

    def take(self) -> bool:
        """Take a free server if there is one."""
        raise NotImplementedError

    def wait(self, patience: float = INF) -> Any:
        """Join the queue; yielded by a light process, which resumes with True (served) or False (gave up)."""
        raise NotImplementedError

    def release(self) -> None:
        """Hand the server to the first customer still waiting, or free it."""
        raise NotImplementedError

    def full(self, places: int) -> bool:
        """Every server busy and ``places`` customers or more waiting."""
        raise NotImplementedError


class Grant:
    """A customer's place in the queue of :class:`Servers`, yielded by a light process: it resumes with True when a
    releasing customer hands it a server, or with False when its patience runs out first. It is what a SimPy event
    succeeded at that moment would be to the process, at the same place in the event order (a tick numbered when
    the place is granted or given up, at normal priority, as ``Event.succeed`` schedules), without the event:
    SimPy's ``Event``, ``succeed`` and ``schedule`` run as Python, and its callback list holds a closure."""

    __slots__ = ("triggered", "processed", "value", "light", "gen")

    def __init__(self) -> None:
        self.triggered = False   # granted or given up: its tick is queued
        self.processed = False   # its tick has run
        self.value = False       # True: granted
        self.light: Light | None = None  # the light process waiting on it, once yielded
        self.gen: Generator[Any, Any, Any] | None = None


class Servers(Pool):
    """``capacity`` identical servers (tills, advisers, agents) and one first-come first-served queue: SimPy's
    ``Resource`` as the model uses it, without its events. A free server is taken at once (:meth:`take`); a
    customer who finds none waits on :meth:`wait`, whose :class:`Grant` resumes them with True when a releasing
    customer hands them their server, or with False when their patience runs out first (they leave the queue
    then)."""

    __slots__ = ("clock", "capacity", "count", "waiting", "_queue", "_patience", "_heap", "_eid", "_callbacks")

    def __init__(self, env: Environment, capacity: int):
        self.clock = env.clock
        self.capacity = capacity
        self.count = 0      # servers busy
        self.waiting = 0    # customers in the queue
        self._queue: deque[Grant] = deque()  # their places, in arrival order; those who gave up are skipped
        self._patience = Later(env, self._give_up)  # the moment each waiting customer would give up
        self._heap: list[Any] = env._queue
        self._eid = env._eid
        self._callbacks = (self._resume,)

    def take(self) -> bool:
        """Take a free server if there is one."""
        if self.count < self.capacity:  # then nobody waits: a released server goes to the first waiting
            self.count += 1
            return True
        return False

    def wait(self, patience: float = INF) -> Grant:
        """Join the queue; the place resumes its process with whether a server came (True) before ``patience``
        ran out."""
        grant = Grant()
        self._queue.append(grant)
        self.waiting += 1
        if patience != INF:  # (what is left of a patience partly spent may round below zero: gives up at once)
            self._patience.after(patience if patience > 0.0 else 0.0, grant)
        return grant

    def _give_up(self, grant: Grant) -> None:
        if not grant.triggered:
            self.waiting -= 1
            self._trigger(grant, False)

    def release(self) -> None:
        """Hand the server to the first customer still waiting, or free it."""
        queue = self._queue
        while queue:
            grant = queue.popleft()
            if not grant.triggered:  # else: gave up, and already counted out
                self.waiting -= 1
                self._trigger(grant, True)
                return
        self.count -= 1

    def _trigger(self, grant: Grant, value: bool) -> None:
        """Settle ``grant`` now: its process resumes with ``value`` when the tick queued here runs."""
        grant.triggered = True
        grant.value = value
        _heap_push(self._heap, (self.clock.now, NORMAL, next(self._eid), _Tick(self._callbacks, grant)))

    @staticmethod
    def _resume(tick: _Tick) -> None:
        grant: Grant = tick.data
        grant.processed = True
        light, gen = grant.light, grant.gen
        if light is not None and gen is not None:
            grant.light = grant.gen = None
            light._advance(gen, grant.value)

    def full(self, places: int) -> bool:
        return self.count >= self.capacity and self.waiting >= places



class Engine:
    """The one scheduling API of a run, built once per run and handed to the mechanisms as they are built: its
    SimPy environment, and a factory for each primitive (this class: the fast ones of this module)."""

    mode = "fast"

    def __init__(self, env: Environment | None = None):
        self.env = env if env is not None else Environment()
        self.clock = self.env.clock  # the time, read natively by the mechanisms

    def light(self) -> Light:
        """Generators run as processes (:class:`Light`)."""
        return Light(self.env)

    def later(self, fn: Callable[[Any], Any], priority: int = NORMAL, period: float | None = None) -> Later:
        """One kind of call made many times (:class:`Later`)."""
        return Later(self.env, fn, priority, period)

    def feed(self, fn: Callable[[Any], Any], times: Sequence[float] | np.ndarray, datas: Sequence[Any],
             priority: int = NORMAL) -> None:
        """``fn(datas[i])`` at ``times[i]`` for every ``i``, as events scheduled now in that order (:class:`Feed`)."""
        Feed(self.env, fn, times, datas, priority)

    def call_at(self, t: float, callback: Callable[[Any], Any], priority: int = NORMAL) -> None:
        """``callback(event)`` at time ``t`` exactly (:func:`call_at`)."""
        call_at(self.env, t, callback, priority)

    def call_after(self, delay: float, callback: Callable[[Any], Any], priority: int = NORMAL) -> None:
        """``callback(event)`` after ``delay`` (:func:`schedule_callback`)."""
        schedule_callback(self.env, callback, priority, delay)

    def servers(self, capacity: int) -> Pool:
        """``capacity`` servers and their first-come first-served queue (:class:`Servers`)."""
        return Servers(self.env, capacity)

    def events(self) -> int:
        """Events processed so far (:func:`events_processed`)."""
        return events_processed(self.env)

    def run(self, until: float) -> None:
        """Process every event due before ``until`` and stop there: ``env.run(until=until)`` with SimPy's loop
        written out here, so that it is compiled with the rest of the core (it is a tenth of a run as Python).
        The same stop event, scheduled the same way, and the same events in the same order; a failed event that
        nobody defused raises a copy of its exception, as SimPy's ``step`` does. (:class:`Reference` runs SimPy's
        own loop.)"""
        env, clock = self.env, self.clock
        at = until if isinstance(until, int) else float(until)
        if at <= clock.now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = Event(env)  # what SimPy's run schedules: before any other event of its instant
        stop._ok = True
        stop._value = None
        env.schedule(stop, URGENT, at - clock.now)
        queue: list[Any] = env._queue
        while queue:
            now, _, _, event = _heap_pop(queue)
            clock.now = now  # SimPy's env._now reads it (Environment)
            if isinstance(event, _Tick):  # most events: read natively when compiled, and never failed
                ticks = event.callbacks
                event.callbacks = None
                assert ticks is not None, "a tick is processed once"
                for tick_callback in ticks:
                    tick_callback(event)
                continue
            if event is stop:  # SimPy's StopSimulation puts the stop event back, first of its instant
                stop.callbacks = []
                env.schedule(stop, EventPriority(-1))
                return
            callbacks = event.callbacks
            event.callbacks = None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                value = event._value
                exc = type(value)(*value.args)
                exc.__cause__ = value
                raise exc
        raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {stop}')


# ------------------------------------------------------------------------------------------------ reference mode
class _Scheduling:
    """What ``Event.succeed`` takes for its environment in :func:`_triggered`: SimPy's public ``schedule``, called
    with the priority and delay asked for instead of succeed's own (normal, now)."""

    __slots__ = ("env", "priority", "delay")

    def __init__(self, env: simpy.Environment, priority: int, delay: float):
        self.env, self.priority, self.delay = env, priority, delay

    def schedule(self, event: Event, _priority: int = NORMAL, _delay: float = 0) -> None:
        self.env.schedule(event, self.priority, self.delay)  # type: ignore[arg-type]


def _triggered(env: simpy.Environment, priority: int, delay: float) -> Event:
    """A plain SimPy event processed after ``delay`` at ``priority``: a ``Timeout`` at normal priority; at any
    other, an event succeeded through ``Environment.schedule`` with that priority and delay (SimPy's public API
    has no other way to a triggered event of another priority: ``succeed`` schedules at normal priority, now)."""
    if priority == NORMAL:
        return env.timeout(delay)
    ev = Event(_Scheduling(env, priority, delay))  # type: ignore[arg-type]
    ev.succeed()
    ev.env = env
    return ev


def _delay_to(env: simpy.Environment, t: float) -> float:
    """The delay that SimPy's ``now + delay`` takes to ``t`` exactly (``t - now`` may miss it by a rounding)."""
    now = env._now
    if t < now:
        raise ValueError(f"time {t} is in the past (now {now})")
    d = t - now
    for _ in range(64):
        if now + d < t:
            d = math.nextafter(d, INF)
        elif now + d > t:
            d = math.nextafter(d, -INF)
        else:
            return d
    raise ArithmeticError(f"no delay takes {now} to {t}")  # pragma: no cover - every double t >= now has one


def _call(fn: Callable[[Any], Any], data: Any, _event: Event) -> None:
    fn(data)


class _Queued:
    """A customer in a SimPy ``Resource``'s queue, as a reference light process yields it: the request, and what
    it waits on (the request, or the request or the patience timeout, whichever comes first)."""

    __slots__ = ("request", "event")

    def __init__(self, request: Request, event: Event):
        self.request, self.event = request, event

    def settle(self) -> bool:
        """Served (True), or gave up and left the queue (False). Decided as the customer resumes, the event after
        their patience ran out: a server released before that moment (whose ``Release`` SimPy processes one event
        later) is theirs, as :class:`Servers` would have handed it to them."""
        if self.request.triggered:
            return True
        self.request.cancel()
        return False


class _RefLight(Light):
    """:class:`Light` in reference mode: each generator a SimPy process, a delay a ``Timeout``."""

    __slots__ = ()

    def __init__(self, env: Environment):
        self.env = env

    def start(self, gen: Generator[Any, Any, Any]) -> None:
        self.env.process(self._drive(gen))

    def _drive(self, gen: Generator[Any, Any, Any]) -> Generator[Event, Any, None]:
        env = self.env
        value = None
        while True:
            try:
                y = gen.send(value)
            except StopIteration:
                return
            if isinstance(y, _Queued):
                yield y.event
                value = y.settle()
            elif isinstance(y, Event):
                value = yield y
            else:
                if y < 0:
                    raise ValueError(f"negative delay {y}")
                value = yield env.timeout(y)


class _RefLater(Later):
    """:class:`Later` in reference mode: each call a SimPy event of its own on SimPy's queue, never in a bucket."""

    __slots__ = ()

    def __init__(self, env: Environment, fn: Callable[[Any], Any], priority: int = NORMAL,
                 period: float | None = None):
        self.env, self.fn, self.priority, self.period = env, fn, priority, period

    def at(self, t: float, data: Any = None) -> None:
        _triggered(self.env, self.priority, _delay_to(self.env, t)).callbacks.append(partial(_call, self.fn, data))

    def after(self, delay: float, data: Any = None) -> None:
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        _triggered(self.env, self.priority, delay).callbacks.append(partial(_call, self.fn, data))

    def waiting(self) -> int:
        return 0


class _RefServers(Pool):
    """:class:`Servers` in reference mode: a SimPy ``Resource``; patience is ``request | timeout``.

    A ``Resource`` hands a released server to the first waiting request when its ``Release`` event is processed,
    not at the release: in between, ``users`` is one short while requests wait. ``count`` and ``waiting`` are
    read as the hand-over will leave them (as :class:`Servers` keeps them), and :meth:`take` takes a server only
    if nobody waits: a customer who releases and asks again at once (a second call) queues behind the others
    instead of taking back the server they just freed."""

    __slots__ = ("env", "capacity", "_res")

    def __init__(self, env: simpy.Environment, capacity: int):
        self.env = env
        self.capacity = capacity
        self._res = simpy.Resource(env, capacity)

    @property
    def count(self) -> int:
        return min(self.capacity, self._res.count + len(self._res.queue))

    @property
    def waiting(self) -> int:
        return max(0, len(self._res.queue) - (self.capacity - self._res.count))

    def take(self) -> bool:
        res = self._res
        if res.count < self.capacity and not res.queue:  # a free server nobody waits for: granted at once
            res.request()
            return True
        return False

    def wait(self, patience: float = INF) -> _Queued:
        req = self._res.request()
        if patience == INF:
            # ``request | never``: the same two events (the grant, then the condition) as a patient customer's,
            # so that customers granted at one instant resume in the order they were granted (one woken by the
            # grant itself would overtake those granted before them)
            return _Queued(req, req | self.env.event())
        return _Queued(req, req | self.env.timeout(patience if patience > 0.0 else 0.0))

    def release(self) -> None:
        self._res.release(self._res.users[0])  # the servers are alike: whichever is freed, the first waiting gets it

    def full(self, places: int) -> bool:
        return self.count >= self.capacity and self.waiting >= places


class Reference(Engine):
    """The plain-SimPy reference of the primitives, on SimPy's public API only: light processes are SimPy
    processes, calls are SimPy events (a ``Timeout`` at normal priority), a feed is its calls' events scheduled at
    once, servers are a ``Resource``. Slower and heavier; the golden test checks that both modes give the same
    numbers."""

    mode = "reference"

    def light(self) -> Light:
        return _RefLight(self.env)

    def later(self, fn: Callable[[Any], Any], priority: int = NORMAL, period: float | None = None) -> Later:
        return _RefLater(self.env, fn, priority, period)

    def feed(self, fn: Callable[[Any], Any], times: Sequence[float] | np.ndarray, datas: Sequence[Any],
             priority: int = NORMAL) -> None:
        for t, data in zip(times.tolist() if isinstance(times, np.ndarray) else times, datas, strict=True):
            self.call_at(t, partial(_call, fn, data), priority)

    def call_at(self, t: float, callback: Callable[[Any], Any], priority: int = NORMAL) -> None:
        _triggered(self.env, priority, _delay_to(self.env, t)).callbacks.append(callback)

    def call_after(self, delay: float, callback: Callable[[Any], Any], priority: int = NORMAL) -> None:
        _triggered(self.env, priority, delay).callbacks.append(callback)

    def servers(self, capacity: int) -> Pool:
        return _RefServers(self.env, capacity)

    def run(self, until: float) -> None:
        self.env.run(until=until)


ENGINES: dict[str, type[Engine]] = {"fast": Engine, "reference": Reference}


def make_engine(mode: str = "fast") -> Engine:
    """A run's scheduling API in ``mode``: ``"fast"`` (the product) or ``"reference"`` (plain SimPy, the check)."""
    try:
        return ENGINES[mode]()
    except KeyError:
        raise ValueError(f"engine {mode!r}: expected one of {', '.join(ENGINES)}") from None
