"""The simulation's time as the compiled core reads it: a module of its own, below the SimPy environment that keeps
its time in it (``sim.core.environment``, not compiled) and the engine that runs it (``sim.core.engine``)."""

from __future__ import annotations


class Clock:
    """The simulation's time, ``now``: a machine number read natively by the compiled core. SimPy keeps it in its
    environment's ``__dict__``, a dictionary lookup (and a boxed float) for each of the dozen reads of a journey;
    the environment the mechanisms run on keeps it here instead (``env.clock``)."""

    __slots__ = ("now",)

    def __init__(self, now: float = 0.0):
        self.now = now
