"""The acceptance rule of VALIDATION.md, shared by the reference-case tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats

import sim

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "scenarios" / "validation"


def replicate(name: str, setup: str, n: int, seed: int, overrides: dict | None = None,
              daily: bool = False) -> list[sim.Result]:
    """``n`` independent replications of a validation scenario (children of one SeedSequence), by default without
    daily series (most references are window figures; thousands of day-end snapshots would dominate)."""
    sc = sim.load_scenario(VALIDATION / name, overrides)
    return [sim.run(sc, setup, seed=s, daily=daily) for s in np.random.SeedSequence(seed).spawn(n)]


def check(values: list[float] | np.ndarray, exact: float, tol: float, what: str) -> None:
    """Pass if the 95 % half-width is below ``tol`` and ``exact`` lies in the 99 % CI or within ``tol``."""
    v = np.asarray(values, dtype=float)
    mean = v.mean()
    sem = stats.sem(v)
    hw95 = stats.t.ppf(0.975, v.size - 1) * sem
    hw99 = stats.t.ppf(0.995, v.size - 1) * sem
    assert hw95 < tol, f"{what}: too vague to judge, 95 % half-width {hw95:.5g} >= tolerance {tol:.5g}"
    assert abs(mean - exact) <= hw99 or abs(mean - exact) <= tol, \
        f"{what}: mean {mean:.5g} (99 % CI ±{hw99:.3g}) vs exact {exact:.5g}, tolerance {tol:.3g}"


def kpi(results: list[sim.Result], fn: Callable[[sim.Result], float]) -> np.ndarray:
    return np.array([fn(r) for r in results])
