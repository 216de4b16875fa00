"""Seeds of an experiment: one ``numpy.random.SeedSequence`` per (design point, replication).

One ``SeedSequence(seed)`` per experiment. A plain comparison (one design point) gives replication ``r`` the child
with spawn key ``(r,)``, i.e. child ``r`` of ``SeedSequence(seed).spawn(n)`` (so ``omnisim run --seed N`` replays
replication 0 of ``omnisim compare --seed N``); a design gives point ``p``, replication ``r`` the grandchild
``(p, r)``. Inside a replication the model draws one named stream per purpose (``sim.core.rng.Streams``). Every setup of
a (point, replication) gets the same child: common random numbers. A seed depends only on its key, never on the
order tasks are run in or on which worker runs them, so the tables are the same, to the last digit, serially, on a
process pool or on Dask.

Only numpy.
"""

from __future__ import annotations

import numpy as np


def seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """Return the per-replication seed sequences: the children of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed).spawn(replications)


def replication_seed(seed: int, replication: int, point: int | None = None) -> np.random.SeedSequence:
    """The SeedSequence of one replication: spawn key ``(replication,)`` without a design, ``(point, replication)``
    with one. Equal to ``SeedSequence(seed).spawn(...)[replication]`` (or ``.spawn(...)[point].spawn(...)[r]``)."""
    key = (int(replication),) if point is None else (int(point), int(replication))
    return np.random.SeedSequence(int(seed), spawn_key=key)


def fresh(seq: np.random.SeedSequence) -> np.random.SeedSequence:
    """Return an unspawned copy of ``seq``, so every setup starts from the same state.

    ``SeedSequence.spawn`` counts the children it has handed out; if the model spawns from the
    sequence it is given, reusing one object for a second setup would give it other streams.
    """
    return np.random.SeedSequence(entropy=seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size)


def seed_key(seq: np.random.SeedSequence) -> str:
    """The text a results store keeps to name a replication's seed: ``"<entropy>:<spawn key>"``, e.g. ``"5:0,1"``."""
    return f"{seq.entropy}:{','.join(map(str, seq.spawn_key))}"
