"""The SKU table: prices, costs, categories and demand weights, as plain Python lists for the hot loop."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from sim.scenario.schema import Catalogue as CatalogueConfig


@dataclass(frozen=True)
class Catalogue:
    ids: list[str]
    price: list[float]       # currency per unit
    unit_cost: list[float]   # currency per unit
    category: list[str]
    popularity: np.ndarray   # demand share of each SKU, sums to 1

    @property
    def n(self) -> int:
        return len(self.ids)


def build_catalogue(cfg: CatalogueConfig) -> Catalogue:
    """SKUs from an explicit list, or generated deterministically (no randomness) from the parameters.

    Generated prices follow lognormal quantiles (evenly spaced in probability) so the same parameters always give
    the same catalogue; popularity is Zipf over a price-independent order (every third SKU is a bestseller).
    """
    if cfg.skus is not None:
        pop = np.array([s.popularity for s in cfg.skus], dtype=float)
        return Catalogue([s.id for s in cfg.skus], [s.price for s in cfg.skus],
                         [s.unit_cost for s in cfg.skus], [s.category for s in cfg.skus], pop / pop.sum())
    g = cfg.generator
    assert g is not None
    n = g.n_skus
    z = np.array([NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)])
    price = g.price_median * np.exp(g.price_sigma * z)
    rank = (np.arange(n) * 3) % n if n % 3 else np.arange(n)  # decorrelate price and popularity
    pop = 1.0 / (rank + 1.0) ** g.zipf_exponent
    cats = [g.categories[i % len(g.categories)] for i in range(n)]
    price = np.round(price, 2)
    return Catalogue([f"SKU{i:04d}" for i in range(n)], price.tolist(),
                     np.round(price * (1 - g.margin), 2).tolist(), cats, pop / pop.sum())


def segment_popularity(popularity: np.ndarray, price: list[float], sensitivity: float) -> np.ndarray:
    """Demand shares of the SKUs for a segment with a price elasticity: popularity x (price/median)^-e."""
    if not sensitivity:
        return popularity
    p = np.asarray(price, dtype=float)
    weights = popularity * (p / np.median(p)) ** -sensitivity
    shares: np.ndarray = weights / weights.sum()
    return shares
