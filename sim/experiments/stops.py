"""Clean stops: Ctrl-C, ``kill`` (SIGTERM) and a closed terminal (SIGHUP) all end a command the same way.

:func:`handling_signals` (used by the command line around a command) turns SIGINT, SIGTERM and SIGHUP into one
exception, :class:`Interrupted` (a ``KeyboardInterrupt``), raised in the main thread. The batch runner answers it
by cancelling the queued replications, keeping those that finish within :data:`GRACE_S` seconds and stopping its
worker processes (:mod:`sim.experiments.batch`); the command line then says how many were cut and exits
128 + the signal's number (130, 143, 129).

Python delivers a signal by raising in whatever the main thread is running, and an exception raised inside a
weakref callback or a ``__del__`` is printed and dropped ("Exception ignored in ...") — a ``kill -INT`` of the
main process alone could then be lost, the command finish and exit 0. So the handler also records the signal:
the batch runner polls :func:`check` between outcomes, the command line checks :func:`requested` when a command
returns, and a dropped ``KeyboardInterrupt`` is not printed while signals are handled here.

Knows nothing of the model, files or pools.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

GRACE_S = 3.0
"""Seconds an interrupted batch waits for the replications already running before it stops its workers."""

_requested: int | None = None


class Interrupted(KeyboardInterrupt):
    """A command stopped by a signal (``signum``): ``kept`` replications finished within the grace period and
    were stored, ``cut`` were running and were stopped (a rerun runs them)."""

    def __init__(self, signum: int = signal.SIGINT, kept: int = 0, cut: int = 0):
        super().__init__(signal_name(signum))
        self.signum, self.kept, self.cut = int(signum), int(kept), int(cut)

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process ended by it (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)."""
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def requested() -> int | None:
    """The signal received while :func:`handling_signals` was active (None: none)."""
    return _requested


def check() -> None:
    """Raise :class:`Interrupted` if a signal was received (and its exception possibly dropped)."""
    if _requested is not None:
        raise Interrupted(_requested)


def as_interrupted(exc: BaseException) -> Interrupted:
    """``exc`` (a ``KeyboardInterrupt``) as an :class:`Interrupted`, with the signal actually received."""
    if isinstance(exc, Interrupted):
        return exc
    return Interrupted(_requested or signal.SIGINT)


def _handler(signum: int, frame: Any) -> None:
    global _requested
    if _requested is None:
        _requested = signum
    raise Interrupted(signum)


def _unraisable(default: Any) -> Any:
    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and _requested is not None:
            return  # a signal raised inside a callback: recorded, answered by check()
        default(unraisable)
    return hook


HANDLED = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
                if s is not None)


@contextmanager
def handling_signals() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread (and are
    recorded). A signal the process was started ignoring (``nohup``, a background job's SIGINT) stays ignored;
    a handler set by someone else is left alone. Outside the main thread this does nothing."""
    global _requested
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for sig in HANDLED:
        current = signal.getsignal(sig)
        if current is signal.SIG_DFL or current is signal.default_int_handler:
            previous[sig] = current
            signal.signal(sig, _handler)
    hook = sys.unraisablehook
    sys.unraisablehook = _unraisable(hook)
    _requested = None
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        sys.unraisablehook = hook
        _requested = None
