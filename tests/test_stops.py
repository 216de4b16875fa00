"""Clean stops (issue 28): an interrupt keeps the replications that finish within the grace period and says how
many were cut; a signal whose exception Python drops (raised inside a weakref callback) still stops the batch and
the command, with no traceback. The real-process test (SIGTERM to a sweep's parent, no orphan) is in
tests/test_interrupt.py."""

from __future__ import annotations

import gc
import signal
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest

from sim.experiments import stops
from sim.experiments.batch import Collector, Plan, run_batch
from sim.interfaces import cli
from tests.helpers import DEFAULT

SHORT = ["--set", "horizon_days=2", "--set", "warmup_days=0", "--set", "customers_per_day=1500"]
RELEASE = threading.Event()


class Timed:
    """An evaluator whose setup names its duration: ``fast`` takes 50 ms, ``slow`` waits for :data:`RELEASE`."""

    default_setups = ("fast", "slow")

    def check_setups(self, setups):
        return list(setups)

    def prepare(self, params):
        return None, "h"

    @staticmethod
    def evaluate(payload, setup, seq):
        if setup == "fast":
            time.sleep(0.05)
        else:
            RELEASE.wait(30)
        return {"x": 1.0}, {}


class Breaking(Collector):
    """A sink that answers its first write with an interrupt, as a Ctrl-C landing while the runner stores."""

    def __init__(self):
        super().__init__()
        self.writes = 0

    def write(self, outcome):
        self.writes += 1
        if self.writes == 1:
            raise KeyboardInterrupt
        super().write(outcome)


def test_an_interrupt_keeps_what_finishes_within_the_grace_period_and_counts_the_cut():
    RELEASE.clear()
    plan = Plan(({},), ("fast", "slow"), 2, seed=0)  # 4 tasks, all in flight at once: 2 fast, 2 slow
    sink = Breaking()
    with ThreadPoolExecutor(4) as pool:
        try:
            t0 = time.monotonic()
            with pytest.raises(stops.Interrupted) as caught:
                run_batch(plan, Timed(), sink, pool, slots=2, grace=1.0)
            waited = time.monotonic() - t0
        finally:
            RELEASE.set()
    assert (caught.value.kept, caught.value.cut, caught.value.exit_code) == (1, 2, 130)
    assert [o.key.setup for o in sink.outcomes.values()] == ["fast"]  # the other fast one, finished in the grace
    assert 1.0 <= waited < 5  # waited out the grace period for the slow ones, no longer


def test_no_grace_for_results_held_in_memory():
    RELEASE.clear()
    sink = Breaking()
    with ThreadPoolExecutor(4) as pool:
        try:
            t0 = time.monotonic()
            with pytest.raises(stops.Interrupted) as caught:
                run_batch(Plan(({},), ("slow", "fast"), 2, seed=0), Timed(), sink, pool, slots=2)
            waited = time.monotonic() - t0
        finally:
            RELEASE.set()
    assert caught.value.kept == 0 and waited < 1.0  # a Collector's results are discarded by an interrupt anyway


def drop_a_signal(signum: int = signal.SIGINT) -> None:
    """Deliver ``signum`` as Python does when it lands inside a weakref callback: raised there, printed as
    "Exception ignored in ..." and dropped."""

    class Thing:
        pass

    thing = Thing()
    ref = weakref.ref(thing, lambda _: stops._handler(signum, None))
    del thing
    gc.collect()
    assert ref() is None


def test_a_signal_dropped_in_a_weakref_callback_still_stops_the_batch(capsys):
    plan = Plan(({},), ("fast",), 5, seed=0)
    sink = Collector()

    class DropsOnce(Timed):
        @staticmethod
        def evaluate(payload, setup, seq):
            if not sink.outcomes:
                drop_a_signal(signal.SIGTERM)
            return {"x": 1.0}, {}

    with stops.handling_signals(), pytest.raises(stops.Interrupted) as caught:
        run_batch(plan, DropsOnce(), sink)
    assert caught.value.exit_code == 143
    assert len(sink.outcomes) == 1  # the replication that was running finished, none after it started
    err = capsys.readouterr().err
    assert "Exception ignored" not in err and "Traceback" not in err, err
    assert stops.requested() is None  # cleared on leaving


def test_a_dropped_signal_interrupts_the_command_in_one_line(tmp_path, capsys, monkeypatch):
    real = cli.replicate_results

    def dropped_then_run(*args, **kwargs):
        drop_a_signal(signal.SIGINT)  # e.g. landed in concurrent.futures' weakref callback
        return real(*args, **kwargs)

    monkeypatch.setattr("sim.interfaces.cli.replicate_results", dropped_then_run)
    out = tmp_path / "cmp"
    code = cli.main(["compare", str(DEFAULT), *SHORT, "--replications", "3", "--workers", "1", "--no-progress", "--out", str(out)])
    assert code == 130
    assert capsys.readouterr().err == "omnisim: interrupted; nothing written\n"
    assert not out.exists()


def test_a_signal_the_process_ignores_stays_ignored():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are set in the main thread only")
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    term = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with stops.handling_signals():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is stops._handler
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, before)
        signal.signal(signal.SIGTERM, term)
