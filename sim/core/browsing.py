"""Visitors who leave without buying: store visitors and sessions on the digital selling touchpoints that end
with nothing bought (the scenario's ``browsing`` section).

Every journey is a customer set on buying, so without them no visitor ever leaves empty-handed and footfall and
session conversion are not what a door counter or web analytics would read. They are not simulated one by one:
once a day (at the day's start, from the world's day tick) a Poisson count per store and per selling touchpoint is
drawn from the dedicated ``browsing`` stream and booked through the ledger, so their cost is O(stores +
touchpoints) a day and no other stream's draws move. A limit, said in the KPIs' definitions: they take no staff,
till, stock or basket, so they load no queue.

The day's mean is the scenario's rate spread over the days like the customers (the segments' weekly profiles,
weighted by their shares, and the promotions' traffic uplift) and, for a part of a day (a horizon or a warm-up that
ends in mid-day), the share of the customers' hourly profile that falls in it.
"""

from __future__ import annotations

import numpy as np

from sim.core.customers import DAY_MIN, _uplift
from sim.core.ledger import Ledger
from sim.core.rng import Streams
from sim.scenario.schema import Scenario


class Browsing:
    """The non-buying visitors of one replication; ``on`` is False when the scenario has none (then nothing is
    drawn and nothing booked: every number of the run is as without this module)."""

    def __init__(self, scenario: Scenario, streams: Streams, book: Ledger):
        self.scenario = scenario
        self.book = book
        b = scenario.browsing
        channels = book.layout.channels
        weights = np.array([s.traffic_weight for s in scenario.stores], dtype=float)
        store = b.store_visits_per_day * weights / weights.sum() if weights.size else np.zeros(0)
        sessions = np.array([b.sessions_per_day.get(ch, 0.0) for ch in channels], dtype=float)
        self.rates = np.concatenate([store, sessions])  # per store, then per purchase channel
        self.n_stores = store.size
        self.on = bool(self.rates.sum() > 0)
        if not self.on:
            return
        self.g = streams.generator("browsing")
        segs = scenario.segments
        share = np.array([s.share for s in segs])
        week = np.array([s.weekly_profile or scenario.weekly_profile or [1.0] * 7 for s in segs], dtype=float)
        self.week = share @ (week / week.mean(axis=1, keepdims=True))  # the customers' day weights, mean 1
        hourly = np.array([s.hourly_profile or [1.0] * 24 for s in segs], dtype=float)
        hours = share @ (hourly / hourly.sum(axis=1, keepdims=True))
        self.hour_cum = np.concatenate([[0.0], np.cumsum(hours)])  # share of a day's customers before each hour

    def share_of_day(self, t0: float, t1: float) -> float:
        """Share of a day's visitors between minutes ``t0`` and ``t1`` of the day (0 to 1440)."""
        hours = np.arange(25)
        return float(np.interp(t1 / 60.0, hours, self.hour_cum) - np.interp(t0 / 60.0, hours, self.hour_cum))

    def visit(self, day: int, t0: float, t1: float) -> None:
        """Draw and book the visitors of day ``day`` (0-based) between absolute times ``t0`` and ``t1`` within
        it: the whole day in one draw, or its part before and after a warm-up's or a horizon's end."""
        start = day * DAY_MIN
        share = 1.0 if (t0 == start and t1 == start + DAY_MIN) else self.share_of_day(t0 - start, t1 - start)
        lam = self.rates * (self.week[day % 7] * _uplift(self.scenario, np.array([day]))[0] * share)
        counts = self.g.poisson(lam).tolist()
        self.book.browsed(counts[: self.n_stores], counts[self.n_stores:])
