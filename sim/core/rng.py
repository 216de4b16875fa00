"""Named random streams from one ``numpy.random.SeedSequence``; no global seeding anywhere.

Each purpose (arrivals, journeys, baskets, service times, lead times, ...) gets its own generator, keyed by its
name rather than by creation order, so adding a stream never shifts another's draws. Within a stream draws are
taken in numpy batches and handed out from a ``.tolist()`` buffer: the hot loop never touches numpy scalars.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from itertools import chain, repeat
from typing import Any

import numpy as np

from sim.scenario.schema import Dist

BATCH = 4096
Draw = Callable[[np.random.Generator, int], np.ndarray]  # n draws of one distribution from a generator


def seed_argument(seed: Any, name: str = "seed") -> int | np.random.SeedSequence:
    """``seed`` checked: a non-negative integer (not a bool, not a float) or a ``numpy.random.SeedSequence``;
    a ``TypeError`` or ``ValueError`` naming the argument otherwise."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{name}: expected a non-negative integer (or a numpy SeedSequence), got "
                        f"{type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"{name}: expected a non-negative integer, got {seed!r}")
    return int(seed)


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))


class Streams:
    """Factory of independent generators, one per purpose name."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.root = as_seed_sequence(seed)

    def generator(self, name: str) -> np.random.Generator:
        key = zlib.crc32(name.encode())
        child = np.random.SeedSequence(self.root.entropy, spawn_key=(*self.root.spawn_key, key),
                                       pool_size=self.root.pool_size)
        return np.random.Generator(np.random.PCG64(child))

    def sampler(self, name: str, dist: Dist | None, scale: float = 1.0) -> Sampler:
        """A buffered sampler of ``dist`` (times ``scale``, e.g. days to minutes) on its own stream."""
        return Sampler(self.generator(name), dist, scale)

    def uniform(self, name: str) -> Sampler:
        """A buffered sampler of uniforms on [0, 1) on its own stream (for decisions taken during the run)."""
        return self._drawn(name, lambda g, n: g.random(n))

    def choice(self, name: str, p: np.ndarray) -> Sampler:
        """A buffered sampler of indices 0..len(p)-1 drawn with probabilities ``p``, on its own stream."""
        return self._drawn(name, lambda g, n: g.choice(len(p), n, p=p))

    def _drawn(self, name: str, draw: Draw) -> Sampler:
        """A buffered sampler whose batches come from ``draw(generator, n)``."""
        return Sampler(self.generator(name), None, draw=draw)


class Sampler:
    """Draws from one distribution: ``next()`` hands out the draws of numpy batches in order, at the cost of a
    C-level iterator step (an attribute, not a method: no Python frame on the hot path).

    ``dist=None`` stands for +infinity (no patience limit), a fixed distribution for a constant.
    """

    __slots__ = ("_gen", "_draw", "constant", "next")

    def __init__(self, gen: np.random.Generator, dist: Dist | None, scale: float = 1.0, draw: Draw | None = None):
        """``draw(generator, n)``, if given, draws the batches instead of ``dist``."""
        self._gen = gen
        self.constant: float | None = None
        if draw is not None:
            self._draw = draw
        elif dist is None:
            self.constant = math.inf
        elif dist.dist == "fixed":
            self.constant = dist.mean * scale
        else:
            self._draw = _batch_drawer(dist, scale)
        if self.constant is not None:
            self.next: Callable[[], float] = repeat(self.constant).__next__
        else:  # batch after batch, each drawn when the last is used up
            self.next = chain.from_iterable(iter(self._batch, None)).__next__

    def _batch(self) -> list[float]:
        batch: list[float] = self._draw(self._gen, BATCH).tolist()
        return batch


def _batch_drawer(dist: Dist, scale: float) -> Draw:
    mean = dist.mean * scale
    if dist.dist == "exponential":
        return lambda g, n: g.exponential(mean, n)
    if dist.dist == "gamma":
        k = 1.0 / dist.cv**2
        return lambda g, n: g.gamma(k, mean / k, n)
    if dist.dist == "lognormal":
        sigma = math.sqrt(math.log1p(dist.cv**2))
        mu = math.log(mean) - sigma**2 / 2
        return lambda g, n: g.lognormal(mu, sigma, n)
    raise ValueError(f"unknown distribution {dist.dist!r}")


def draw_many(gen: np.random.Generator, dist: Dist | None, n: int, scale: float = 1.0) -> np.ndarray:
    """``n`` draws of ``dist`` at once (vectorised customer attributes); ``None`` gives +inf."""
    if dist is None:
        return np.full(n, math.inf)
    if dist.dist == "fixed":
        return np.full(n, dist.mean * scale)
    return _batch_drawer(dist, scale)(gen, n)
