"""SimPy's internals used by sim/core/engine.py behave as the model needs, on the SimPy versions the project allows."""

from __future__ import annotations

import heapq
from functools import partial
from types import GeneratorType

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core import engine
from sim.core.engine import (
    INF,
    NORMAL,
    SUPPORTED,
    Engine,
    Feed,
    Later,
    Light,
    Servers,
    events_processed,
    make_engine,
    schedule_callback,
)
from sim.core.environment import Environment


def test_simpy_version_is_supported():
    version = tuple(int(x) for x in simpy.__version__.split(".")[:2])
    assert SUPPORTED[0] <= version < SUPPORTED[1], (
        f"SimPy {simpy.__version__}: sim/core/engine.py was checked on {SUPPORTED[0]} <= version < {SUPPORTED[1]}; "
        "check its two functions on this version, then widen SUPPORTED and the bound in pyproject.toml")


def test_callbacks_run_by_priority_before_ordinary_events_of_the_same_instant():
    env = Environment()
    seen = []
    env.timeout(5).callbacks.append(lambda e: seen.append(("timeout", env.now)))
    for prio in (-1, -4, -2):
        schedule_callback(env, lambda e, p=prio: seen.append((p, env.now, e.ok, e.value)), prio, 5)
    schedule_callback(env, lambda e: seen.append(("earlier", env.now)), -1, 2)
    env.run()
    assert seen == [("earlier", 2), (-4, 5, True, None), (-2, 5, True, None), (-1, 5, True, None), ("timeout", 5)]


def test_events_processed_counts_what_ran_not_what_waits():
    env = Environment()
    for t in (1, 2, 3):
        env.timeout(t)
    env.run()
    assert events_processed(env) == events_processed(env) == 3  # reading it does not advance SimPy's counter
    env.timeout(1)
    env.timeout(2)
    assert events_processed(env) == 3  # scheduled, not yet processed
    env.run(until=env.now + 1.5)  # one of the two ran, and SimPy's own stop event
    assert events_processed(env) == 5


def _customer(env, servers, name, arrive, patience, service, log):
    """A customer as the model's journeys are written: a light process yielding delays and server grants."""
    yield arrive
    if not servers.take() and not (yield servers.wait(patience)):
        log.append((name, "gave up", env.now))
        return
    log.append((name, "served", env.now))
    yield service
    servers.release()


def _simpy_customer(env, res, name, arrive, patience, service, log):
    """The same customer as the model wrote it before: a SimPy process on a ``Resource``, woken by whichever of
    the grant and the patience timeout comes first."""
    yield env.timeout(arrive)
    req = res.request()
    if not req.triggered:
        wake = simpy.Event(env)

        def first(_ev):
            if not wake.triggered:
                wake.succeed()

        req.callbacks.append(first)
        env.timeout(patience).callbacks.append(first)
        yield wake
        if not req.triggered:
            req.cancel()
            log.append((name, "gave up", env.now))
            return
    log.append((name, "served", env.now))
    yield env.timeout(service)
    res.release(req)


@settings(max_examples=60, deadline=None)
@given(capacity=st.integers(1, 3),
       people=st.lists(st.tuples(st.integers(0, 20), st.integers(1, 15), st.integers(1, 10)), min_size=1, max_size=25))
def test_light_processes_on_servers_replay_simpy_processes_on_a_resource(capacity, people):
    """First come, first served, a free server taken at once, a released one handed to the first still waiting,
    patience running out: the same log, at the same times, as SimPy's processes on a ``Resource``."""
    # times apart by irrational steps: no two events at one instant (whose order is SimPy's own bookkeeping)
    people = [(a + i * 2 ** 0.5 / 97, p + i * 3 ** 0.5 / 89, s + i * 5 ** 0.5 / 83) for i, (a, p, s) in enumerate(people)]
    logs = []
    for light in (True, False):
        env, log = Environment(), []
        if light:
            servers, run = Servers(env, capacity), Light(env)
            for i, (a, p, s) in enumerate(people):
                run.start(_customer(env, servers, i, a, p, s, log))
        else:
            res = simpy.Resource(env, capacity)
            for i, (a, p, s) in enumerate(people):
                env.process(_simpy_customer(env, res, i, a, p, s, log))
        env.run()
        logs.append(sorted(log, key=lambda x: (x[2], x[0])))
        if light:
            assert servers.count == 0 and servers.waiting == 0  # every server back, nobody left in the queue
    assert logs[0] == logs[1]


def test_a_place_settled_before_it_is_yielded_resumes_at_once_with_its_answer():
    """A ``Grant`` is what a SimPy event is to a light process: yielded once its tick has run (the patience ran
    out meanwhile), it resumes the process at once with its answer, False, as a processed event would; yielded
    before, it resumes it when its tick runs. The model always yields it at once; this holds the other case."""
    env, log = Environment(), []
    servers, light = Servers(env, 1), Light(env)
    assert servers.take()
    late = servers.wait(patience=1.0)
    on_time = servers.wait(patience=5.0)

    def customer(place, name, after):
        yield after
        log.append((name, (yield place), env.now))

    light.start(customer(late, "late", 2.0))      # yields after its patience ran out (t=1)
    light.start(customer(on_time, "on time", 0.5))  # waits, and is handed the server at t=3
    Later(env, lambda _d: servers.release()).at(3.0)
    env.run()
    assert log == [("late", False, 2.0), ("on time", True, 3.0)]
    assert late.processed and on_time.processed and servers.waiting == 0


def test_light_process_costs_one_event_per_delay_and_none_to_start_or_end():
    env = Environment()
    seen = []

    def gen():
        seen.append(env.now)
        yield 2.0
        seen.append(env.now)
        value = yield env.timeout(1.5, value="v")
        seen.append((env.now, value))

    Light(env).start(gen())
    assert seen == [0]  # started at once, in the caller's step
    env.run()
    assert seen == [0, 2.0, (3.5, "v")]
    assert events_processed(env) == 2  # the delay, the timeout: no start or end event


def test_an_exception_in_a_light_process_stops_the_run():
    env = Environment()

    def gen():
        yield 1
        raise KeyError("inside")

    Light(env).start(gen())
    with pytest.raises(KeyError, match="inside"):
        env.run()


@settings(max_examples=60, deadline=None)
@given(calls=st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.5]), st.sampled_from([0.0, 1.0, 3.0, 7.25])),
                      min_size=1, max_size=30), period=st.sampled_from([None, 1.0, 2.5]))
def test_later_calls_run_at_the_times_and_in_the_order_of_one_event_each(calls, period):
    """Calls made at various times with various delays (ties included, on period boundaries too) run at the same
    times and in the same order as SimPy events of the same priority, interleaved with other events, whether
    they wait in period buckets or on SimPy's queue; ``at`` hits its time exactly."""
    logs = []
    for light in (True, False):
        env, log = Environment(), []
        later = Later(env, lambda i, env=env, log=log: log.append((env.now, i)), priority=-2, period=period)

        def make(i, delay, later=later, env=env, log=log, light=light):
            if light:
                later.after(delay, i)
            else:
                schedule_callback(env, lambda _e: log.append((env.now, i)), -2, delay)

        for i, (start, delay) in enumerate(calls):
            schedule_callback(env, lambda _e, i=i, d=delay: make(i, d), -1, start)
            schedule_callback(env, lambda _e, i=i, log=log, env=env: log.append((env.now, "other", i)), -2,
                              start + delay + 0.5)
        env.run()
        logs.append(log)
        assert not later.waiting()
    assert logs[0] == logs[1]
    env, seen = Environment(), []
    env.run(until=1.1)
    Later(env, seen.append).at(7.3, "exact")  # 1.1 + (7.3 - 1.1) == 7.299999999999999
    env.run()
    assert seen == ["exact"] and env.now == 7.3


LONG = st.sampled_from([0.0, 2.5, 4.0, 60.0, 61.5, 120.0, 125.0])  # minutes: short delays, an hour or more, boundaries


@settings(max_examples=80, deadline=None)
@given(plan=st.lists(st.tuples(st.sampled_from(["light", "after", "later"]), LONG, st.lists(LONG, min_size=1, max_size=4)),
                     min_size=1, max_size=20),
       until=st.sampled_from([None, 61.0, 130.0]))
def test_a_light_process_waiting_an_hour_or_more_runs_as_it_would_on_simpys_queue(plan, until):
    """Light processes waiting an hour or more (LONG_WAIT) wait outside SimPy's queue, numbered when they start
    waiting: with other events of normal priority tied to theirs (on the hours too), every resumption runs at the
    same time and in the same order as with every delay on the queue, and as on plain SimPy. The only difference
    is the count: one event more per hour that opened with waits in it."""
    logs, counts = [], []
    for mode, long_wait in (("fast", engine.LONG_WAIT), ("fast", INF), ("reference", None)):
        eng = make_engine(mode)
        env, log = eng.env, []
        light = Light(env, long_wait) if long_wait is not None else eng.light()
        later = eng.later(lambda data, env=env, log=log: log.append((env.now, *data)))

        def make(i, kind, delays, env=env, log=log, light=light, later=later, eng=eng):
            if kind == "light":
                light.start(_light_run(env, log, i, delays))
            elif kind == "after":
                for j, d in enumerate(delays):
                    eng.call_after(d, lambda _e, j=j: log.append((env.now, i, j)), NORMAL)
            else:
                for j, d in enumerate(delays):
                    later.after(d, (i, j))

        for i, (kind, start, delays) in enumerate(plan):
            eng.call_after(start, lambda _e, a=(i, kind, delays): make(*a), NORMAL)
        env.run(until=until)
        logs.append(log)
        counts.append(events_processed(env))
        if mode == "fast" and long_wait == engine.LONG_WAIT:
            # no light process waiting an hour or more is on the queue (only the opening of its hour)
            assert not [t for t, _, _, ev in env._queue
                        if t - env.now >= engine.LONG_WAIT and isinstance(getattr(ev, "data", None), GeneratorType)]
    assert logs[0] == logs[1] == logs[2]
    # the hours opened: those a light process parked a resumption in, whose boundary the run reached
    parked = set()
    for kind, start, delays in plan:
        t = start
        for d in delays:
            if kind == "light" and d >= engine.LONG_WAIT and (until is None or t < until):
                parked.add(int((t + d) // engine.LONG_WAIT))
            t += d
    opened = sum(1 for k in parked if until is None or k * engine.LONG_WAIT <= until)
    assert counts[0] - counts[1] == opened


def test_a_negative_delay_is_refused_as_simpy_refuses_it():
    env = Environment()

    def gen():
        yield -1.0

    with pytest.raises(ValueError, match="negative delay"):
        Light(env).start(gen())
    with pytest.raises(ValueError, match="negative delay"):
        Later(env, print).after(-0.5)
    env.run(until=2)
    with pytest.raises(ValueError, match="in the past"):
        Later(env, print).at(1.5)


def test_a_periodic_later_keeps_far_calls_off_simpys_queue():
    """Calls days away wait in their day's bucket: SimPy's queue holds one opening per day, not one event per
    call, and every call still runs at its time."""
    env, seen = Environment(), []
    later = Later(env, lambda t: seen.append((env.now, t)), period=1.0)
    delays = [0.25 + 0.01 * i for i in range(0, 1000, 7)] + [2.0 + 0.007 * i for i in range(1000)]
    for d in delays:
        later.after(d, d)
    days = {int(d) for d in delays if d >= 1.0}
    assert len(days) == 10 and len(env._queue) == sum(d < 1.0 for d in delays) + len(days)  # one opening a day
    assert later.waiting() == sum(d >= 1.0 for d in delays)
    env.run()
    assert sorted(seen) == sorted((d, d) for d in delays) and all(t == d for t, d in seen)
    assert later.waiting() == 0


@settings(max_examples=80, deadline=None)
@given(batches=st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.5]),
                                  st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, 7.25]), max_size=12)),
                        min_size=1, max_size=6),
       until=st.sampled_from([None, 2.0, 4.0]))
def test_a_feed_runs_its_calls_as_events_scheduled_at_once_would_run(batches, until):
    """Batches of calls made at various times (ties within a batch, across batches and with other events of the
    same priority included) run at the same times and in the same order whether each is its own event or the
    batch is one feed; a run stopped midway counts the same events processed, the calls still to come excluded."""
    logs, counts = [], []
    for fed in (True, False):
        env, log = Environment(), []

        def make(b, delays, env=env, log=log, fed=fed):
            if fed:
                Feed(env, lambda i, b=b, env=env: log.append((env.now, b, i)), [env.now + d for d in delays],
                     list(range(len(delays))))
            else:
                for i, d in enumerate(delays):
                    schedule_callback(env, lambda _e, b=b, i=i: log.append((env.now, b, i)), NORMAL, d)
            for d in delays:  # another event at the very time of each call, scheduled after the batch
                schedule_callback(env, lambda _e, b=b, log=log: log.append((env.now, "after", b)), NORMAL, d)

        for b, (start, delays) in enumerate(batches):
            schedule_callback(env, lambda _e, b=b, d=delays: make(b, d), NORMAL, start)
            for d in delays:  # and one scheduled before it
                schedule_callback(env, lambda _e, b=b, log=log, env=env: log.append((env.now, "before", b)),
                                  NORMAL, start + d)
        env.run(until=until)
        logs.append(log)
        counts.append(events_processed(env))
    assert logs[0] == logs[1]
    assert counts[0] == counts[1]


def test_a_feed_holds_one_entry_on_simpys_queue():
    env, seen = Environment(), []
    times = [5.0 - 0.01 * i for i in range(500)]  # made in reverse time order
    Feed(env, seen.append, times, times)
    assert len(env._queue) == 1
    env.run()
    assert seen == sorted(times) and env.now == max(times) and events_processed(env) == 500


def test_a_feed_lets_go_of_what_it_has_called():
    """A day's journeys can end days apart: the feed must not keep the customers it has already started alive."""
    import weakref

    class Thing:
        pass

    env = Environment()
    things = [Thing() for _ in range(3)]
    refs = [weakref.ref(t) for t in things]
    Feed(env, lambda t: None, [1.0, 2.0, 3.0], things)
    del things
    env.run(until=2.5)
    assert [r() is None for r in refs] == [True, True, False]


def test_a_finished_feed_is_freed_without_the_cyclic_collector():
    """The run disables Python's cyclic collector: a feed that referenced itself (through its own bound method)
    would keep its arrays for the rest of the run, a day's worth each day (about +1.3 MB a day on the
    national chain). Reference counting alone must free it once its last call has run."""
    import gc

    gc.collect()  # whatever earlier tests left behind
    collecting = gc.isenabled()
    gc.disable()
    try:
        env = Environment()
        Feed(env, lambda _d: None, [1.0, 2.0], ["a", "b"])
        assert sum(isinstance(o, Feed) for o in gc.get_objects()) == 1
        env.run()
        assert sum(isinstance(o, Feed) for o in gc.get_objects()) == 0
    finally:
        if collecting:
            gc.enable()


# ------------------------------------------------------------------------------------------------ the two modes
MODES = ("fast", "reference")
TIMES = st.sampled_from([0.0, 1.0, 2.5, 4.0])  # few values: many calls fall on one instant


def _light_run(env, log, name, delays):
    log.append((env.now, name, "start"))
    for d in delays:
        yield d
        log.append((env.now, name, d))


def _make(engine, light, laters, periodic, log, i, kind, delays, prio):
    """Call ``i`` of a plan: one primitive of the scheduling API, called now with ``delays`` at ``prio``."""
    env = engine.env

    def note(_e, j=0):
        log.append((env.now, i, j))

    if kind == "after":
        for j, d in enumerate(delays):
            engine.call_after(d, partial(note, j=j), prio)
    elif kind == "at":
        for j, d in enumerate(delays):
            engine.call_at(env.now + d, partial(note, j=j), prio)
    elif kind in ("later", "periodic"):
        for j, d in enumerate(delays):
            (periodic if kind == "periodic" else laters[prio]).after(d, (i, j))
    elif kind == "later_at":
        for j, d in enumerate(delays):
            laters[prio].at(env.now + d, (i, j))
    elif kind == "feed":
        engine.feed(lambda j: log.append((env.now, i, j)), [env.now + d for d in delays], list(range(len(delays))),
                    prio)
    else:  # a light process is started in a step of normal priority, as the model starts them
        light.start(_light_run(env, log, i, delays))


@settings(max_examples=80, deadline=None)
@given(plan=st.lists(st.tuples(st.sampled_from(["after", "at", "later", "later_at", "periodic", "feed", "light"]),
                               TIMES, st.lists(TIMES, min_size=1, max_size=4), st.sampled_from([-4, -1, 0, NORMAL])),
                     min_size=1, max_size=25),
       until=st.sampled_from([None, 3.0]))
def test_both_modes_run_every_call_at_the_same_time_and_in_the_same_order(plan, until):
    """Every primitive of the scheduling API, called at a few instants with a few delays and priorities (so that
    many calls tie), runs at the same times and in the same order in the fast mode and on plain SimPy. The calls of
    the periodic ``Later`` have a priority of their own, as the model's have (a call waiting in a bucket would run
    after an event of its very time and priority scheduled by other means before its period began: see Later)."""
    logs = []
    for mode in MODES:
        engine = make_engine(mode)
        env, log = engine.env, []
        light = engine.light()
        laters = {prio: engine.later(lambda data, env=env, log=log: log.append((env.now, *data)), prio)
                  for prio in (-4, -1, 0, NORMAL)}
        periodic = engine.later(lambda data, env=env, log=log: log.append((env.now, *data)), -2, period=1.0)
        for i, (kind, start, delays, prio) in enumerate(plan):
            call = (engine, light, laters, periodic, log, i, kind, delays, prio)
            engine.call_after(start, lambda _e, call=call: _make(*call), NORMAL if kind == "light" else -1)
        env.run(until=until)
        logs.append(log)
    assert logs[0] == logs[1]


@settings(max_examples=100, deadline=None)
@given(capacity=st.integers(1, 3),
       people=st.lists(st.tuples(st.integers(0, 6), st.sampled_from([0, 1, 2, 5, INF]), st.integers(1, 4)),
                       min_size=1, max_size=12))
def test_both_modes_serve_the_same_customers_at_the_same_times_ties_included(capacity, people):
    """Customers arriving, giving up and being served at integer times (ties everywhere): whoever is served or
    gives up, and when, is the same with :class:`Servers` and with SimPy's ``Resource``. (The order in which two
    customers resume at one instant may differ: SimPy's ``Resource`` hands a freed server over one event later.)"""
    logs = []
    for mode in MODES:
        engine = make_engine(mode)
        env, log = engine.env, []
        servers, light = engine.servers(capacity), engine.light()
        for i, (a, p, s) in enumerate(people):
            light.start(_customer(env, servers, i, a, p, s, log))
        env.run()
        logs.append(sorted(log))
        assert servers.count == 0 and servers.waiting == 0
    assert logs[0] == logs[1]


@pytest.mark.parametrize("mode", MODES)
def test_customers_served_at_one_instant_resume_in_the_order_they_queued(mode):
    """Two servers freed at one instant: the first in the queue (patient) resumes before the second (who would
    wait for ever), whether or not a patience timeout stands beside their grant."""
    engine = make_engine(mode)
    env, log = engine.env, []
    servers, light = engine.servers(2), engine.light()
    for name, patience in (("a", INF), ("b", INF), ("first", 10.0), ("second", INF)):
        light.start(_customer(env, servers, name, 0.0 if name in "ab" else 1.0, patience, 4.0, log))
    env.run()
    assert [x for x in log if x[1] == "served"] == [("a", "served", 0.0), ("b", "served", 0.0),
                                                      ("first", "served", 4.0), ("second", "served", 4.0)]


def _two_calls(env, servers, log):
    """A customer served twice in a row (a journey's second call): releases, and asks again in the same step."""
    for i in range(2):
        if not servers.take():
            log.append(("again", "waits", env.now, servers.count, servers.waiting))
            yield servers.wait()
        log.append(("again", i, env.now))
        yield 2.0
        servers.release()


@pytest.mark.parametrize("mode", MODES)
def test_a_customer_asking_again_at_release_queues_behind_those_waiting(mode):
    """The server a customer frees goes to the first waiting, even if the customer asks again at once: in SimPy's
    ``Resource`` the hand-over waits for the release's event, and the customer must not take the server back."""
    engine = make_engine(mode)
    env, log = engine.env, []
    servers, light = engine.servers(1), engine.light()
    light.start(_two_calls(env, servers, log))
    light.start(_customer(env, servers, "other", 1.0, INF, 1.0, log))
    env.run()
    assert log == [("again", 0, 0.0), ("again", "waits", 2.0, 1, 0), ("other", "served", 2.0), ("again", 1, 3.0)]


@pytest.mark.parametrize("mode", MODES)
def test_a_light_process_in_either_mode_refuses_a_negative_delay_and_raises_what_it_raises(mode):
    def bad_delay():
        yield -1.0

    def raising():
        yield 1
        raise KeyError("inside")

    for gen, error, match in ((bad_delay, ValueError, "negative delay"), (raising, KeyError, "inside")):
        engine = make_engine(mode)
        with pytest.raises(error, match=match):
            engine.light().start(gen())
            engine.env.run()
    with pytest.raises(ValueError, match="negative delay"):
        make_engine(mode).later(print).after(-0.5)


def test_the_reference_mode_puts_only_simpys_own_events_on_its_queue():
    """Plain SimPy: whatever the reference schedules is a SimPy event, and nothing waits outside SimPy's queue."""
    engine = make_engine("reference")
    env = engine.env
    engine.call_after(1.0, print, -3)
    engine.call_at(2.0, print)
    engine.later(print, -2, period=1.0).after(5.0, "far")
    engine.feed(print, [1.0, 3.0], ["a", "b"])
    servers = engine.servers(1)
    engine.light().start(_customer(env, servers, 0, 1.0, 2.0, 3.0, []))
    engine.light().start(_customer(env, servers, 1, 1.0, 2.0, 3.0, []))
    seen = set()
    while env.peek() < float("inf"):
        seen |= {type(entry[-1]) for entry in env._queue}
        env.step()
    assert seen and all(issubclass(kind, simpy.Event) for kind in seen), seen
    assert {simpy.Timeout, simpy.Process} <= seen and not hasattr(env, "_feeds")
    assert isinstance(servers._res, simpy.Resource)


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine 'slow'"):
        make_engine("slow")


def test_only_the_engine_schedules_on_simpy():
    """The mechanisms schedule through the engine's API (so that both modes run the whole model): no SimPy
    process, timeout, event, resource or queue of their own anywhere in the package but sim/core/engine.py."""
    import re
    from pathlib import Path

    import sim

    pattern = re.compile(r"\.(process|timeout|schedule|event|succeed)\(|simpy\.[A-Z]\w*\(|from simpy|\._queue\b|\._eid\b")
    root = Path(sim.__file__).parent
    found = sorted((p.name, line.strip()) for p in root.rglob("*.py") if p.name != "engine.py"
                   for line in p.read_text().splitlines() if pattern.search(line))
    assert not found, found


def _schedule(env: simpy.Environment, plan: list[tuple[float, int, bool]], seen: list) -> None:
    """Events at ``(time, priority)``, each recording (its index, the clock) when processed; some schedule one more
    event at their own time (normal priority) when they run."""
    for i, (t, urgent, child) in enumerate(plan):
        ev = simpy.Event(env)
        ev._ok, ev._value = True, None

        def on(_e, i=i, child=child):
            seen.append((i, env.now))
            if child:
                more = simpy.Event(env)
                more._ok, more._value = True, None
                more.callbacks.append(lambda _m, i=i: seen.append((-i - 1, env.now)))
                env.schedule(more, simpy.events.NORMAL, 0)

        ev.callbacks.append(on)
        env.schedule(ev, simpy.events.URGENT if urgent else simpy.events.NORMAL, t)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.5, 5.0, 7.5]), st.booleans(), st.booleans()), max_size=30),
       st.sampled_from([2.5, 5.0, 8.0]))
def test_the_engine_loop_processes_what_simpys_run_processes(plan, until):
    """``Engine.run(until)`` (the loop compiled with the core) against SimPy's ``env.run(until=...)``: the same
    events, in the same order, at the same clock, the same events left and the same event count; events due at
    ``until`` itself are left for later, whatever their priority, as SimPy's stop event comes first."""
    got = []
    for run in (lambda e, u: e.run(until=u), lambda e, u: Engine(e).run(u)):
        env, seen = Environment(), []
        _schedule(env, plan, seen)
        run(env, until)
        got.append((seen, env.now, sorted((t, p, i) for t, p, i, _ in env._queue), events_processed(env)))
    assert got[0] == got[1]


def test_the_engine_loop_raises_what_a_failed_event_raised():
    for run in (lambda e: e.run(until=5), lambda e: Engine(e).run(5)):
        env = Environment()
        env.timeout(1).callbacks.append(lambda _e: None)
        env.event().fail(KeyError("lost"))
        with pytest.raises(KeyError, match="lost") as info:
            run(env)
        assert isinstance(info.value.__cause__, KeyError) and env.now == 0
    with pytest.raises(ValueError, match="must be greater"):
        Engine(Environment(initial_time=3)).run(2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 0.0, 1.5, 2.0, 2.0000000000000004, 1e9]), st.integers(-100, 1),
                          st.booleans()), max_size=60),
       st.lists(st.booleans(), max_size=120))
def test_the_engines_heap_is_heapq_on_simpys_queue(entries, pops):
    """The queue functions the engine pushes and pops with (compiled with native comparisons when built) lay out
    and pop SimPy's queue exactly as heapq does, with entries pushed by either (SimPy's ``schedule`` uses heapq):
    same list after every step, same entry popped."""
    ours: list = []
    theirs: list = []
    for eid, (t, prio, by_heapq) in enumerate(entries):
        entry = (t, prio, eid, object())
        (heapq.heappush if by_heapq else engine._heap_push)(ours, entry)
        heapq.heappush(theirs, entry)
        assert ours == theirs
    for pop in pops:
        if not theirs:
            break
        if pop:
            assert engine._heap_pop(ours) is heapq.heappop(theirs)
            assert ours == theirs
    assert [engine._heap_pop(ours) for _ in range(len(ours))] == sorted(theirs, key=lambda e: e[:3])
