"""The SimPy environment every run's mechanisms and primitives run on: SimPy's, with its time kept in a
:class:`sim.core.clock.Clock` that the compiled core reads natively.

Not compiled (``sim/_build.py``'s modules leave it out): mypyc does not compile a property setter in a subclass of a
Python class. SimPy reads and writes its time through the property; the model reads ``clock.now``, and the fast
loop (:meth:`sim.core.engine.Engine.run`) writes it, without either.
"""

from __future__ import annotations

import simpy

from sim.core.clock import Clock


class Environment(simpy.Environment):
    """SimPy's environment with its time kept in ``self.clock`` (:class:`Clock`): SimPy's own loop (the reference
    engine's, a test's) sets it as it sets ``_now``, :meth:`sim.core.engine.Engine.run` sets it directly.
    :class:`sim.core.engine.Engine` makes one."""

    def __init__(self, initial_time: float = 0.0):
        self.clock = Clock(float(initial_time))
        super().__init__(initial_time)

    @property
    def _now(self) -> float:
        return self.clock.now

    @_now.setter
    def _now(self, t: float) -> None:
        self.clock.now = t
