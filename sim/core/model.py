"""One replication: build the network and the setup from a validated scenario, run SimPy, return numbers.

The model never prints, plots or writes files; it returns a :class:`Result`. Every run checks its own books
(customers, units, money) and raises :class:`InvariantError` rather than return numbers that do not add up.
"""

from __future__ import annotations

import bisect
import gc
import math
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from sim.core.aftersale import AfterSale
from sim.core.catalogue import Catalogue, build_catalogue, segment_popularity
from sim.core.customers import DAY_MIN, Customer, Population
from sim.core.engine import URGENT, Engine, make_engine
from sim.core.fulfilment import Fulfilment
from sim.core.inventory import Inventory, NodePolicy, levels
from sim.core.journey import Journeys
from sim.core.kpis import breakdown, compute_kpis, stock_figures
from sim.core.ledger import Layout, Ledger, StockCounters, StockFigures, window
from sim.core.marketing import Marketing
from sim.core.network import CallRt, Network, StoreRt, purchase_channels, research_touchpoints
from sim.core.rng import Streams, as_seed_sequence
from sim.scenario.schema import CHANNEL_STORE, Replenishment, Scenario, Segment
from sim.scenario.setups import Capabilities, resolve


class InvariantError(AssertionError):
    """A run whose customers, units or money do not add up: a bug in the model, never a user error."""


@dataclass
class Result:
    """One replication of one setup. KPIs follow DESIGN.md section 3; ``daily`` holds one value per day."""

    scenario: str
    setup: str
    seed: str
    kpis: dict[str, float]
    daily: dict[str, list[float]]
    breakdown: dict[str, dict[str, dict[str, float]]]
    events: int
    customers: int
    wall_s: float
    books: dict[str, float] = field(default_factory=dict)
    research: list[str] = field(default_factory=list)       # research touchpoints, in bit order
    usage_masks: dict[int, int] = field(default_factory=dict)  # buyers by the set of touchpoints they used


def channels_used(sc: Scenario, seg: Segment) -> float:
    """Expected number of purchase channels a segment's journey uses (research visits or the purchase): each
    channel is used unless neither the purchase nor any of the mean number of research steps lands there."""
    channels = purchase_channels(sc)
    mix = seg.journey.touchpoint_mix
    steps = seg.journey.mean_touchpoints if mix else 0.0
    used: float = sum(1 - (1 - seg.channels.get(ch, 0.0)) * (1 - mix.get(ch, 0.0)) ** steps for ch in channels)
    return used


def expected_daily_demand(sc: Scenario, cat: Catalogue, recommends: bool = False) -> list[list[float]]:
    """Mean units asked per day of each node (stores, then warehouse) and SKU, before any loss and outside
    promotions: what stock levels given in days of demand are sized on. Where the setup recommends, the
    recommended units a segment is expected to accept are part of its demand (a retailer sizes cover on the
    sales it sees)."""
    store = np.zeros(cat.n)
    online = np.zeros(cat.n)
    for s in sc.segments:
        units = sc.customers_per_day * s.share * s.basket.lines_mean * s.basket.units_per_line_mean
        if recommends:
            units += sc.customers_per_day * s.share * s.recommendation_accept * channels_used(sc, s)
        pop = segment_popularity(cat.popularity, cat.price, s.price_sensitivity)
        store += units * s.channels.get(CHANNEL_STORE, 0.0) * pop
        online += units * (1 - s.channels.get(CHANNEL_STORE, 0.0)) * pop
    w = np.array([s.traffic_weight for s in sc.stores])
    rows = [(store * wk / w.sum()).tolist() for wk in w]
    if sc.warehouse:
        rows.append(online.tolist())
    return rows


def _policy(cfg: Replenishment, demand: list[float], streams: Streams, stream: str, skus: list[int] | None = None,
            name: str = "") -> NodePolicy:
    """One policy group: levels sized on each SKU's expected daily ``demand``, lead times on their own stream."""
    S = levels(cfg.order_up_to_days, cfg.order_up_to, demand) if cfg.policy != "none" else [0] * len(demand)
    if cfg.reorder_point is not None or cfg.reorder_point_days is not None:
        s = levels(cfg.reorder_point_days, cfg.reorder_point, demand)
        s = [min(a, b - 1) for a, b in zip(s, S, strict=True)]
    else:  # periodic order-up-to: every position below S orders
        s = [b - 1 for b in S]
    lead = streams.sampler(stream, cfg.lead_time_days, DAY_MIN)
    return NodePolicy(cfg.policy, S, s, cfg.review_days * DAY_MIN, lead, cfg.stockout == "backorders",
                      cfg.order_quantity, skus, name, together=cfg.delivery == "per_review")


def node_policies(cfg: Replenishment, demand: list[float], streams: Streams, node: int,
                  category: list[str]) -> list[NodePolicy]:
    """The policy groups of one node: its own policy for the SKUs whose category has none in ``by_category``
    (lead times on stream ``lead_times.node{node}``), then one group per category listed there (stream
    ``lead_times.node{node}.{category}``). Groups without SKUs are left out."""
    stream = f"lead_times.node{node}"
    own = [i for i, c in enumerate(category) if c not in cfg.by_category]
    groups = [_policy(cfg, demand, streams, stream, own)] if own else []
    for name, sub in cfg.by_category.items():
        skus = [i for i, c in enumerate(category) if c == name]
        if skus:
            groups.append(_policy(sub, demand, streams, f"{stream}.{name}", skus, name))
    return groups


def build_network(sc: Scenario, caps: Capabilities, engine: Engine, streams: Streams, horizon: float,
                  stock: StockCounters | None = None) -> Network:
    """Stores and call centre as resources, the catalogue, and the stock with its replenishment processes; stock
    levels given in days are sized on the expected demand (recommended units included where the setup
    recommends), and a stale view of stock is synchronised where the setup has one. ``stock``: the ledger's
    stock section the inventory books into (None: one of its own)."""
    cat = build_catalogue(sc.catalogue)
    demand = expected_daily_demand(sc, cat, caps.personalisation and caps.customer_data)
    stores = [StoreRt(engine, s) for s in sc.stores]
    call = CallRt(engine, sc.call_centre) if sc.call_centre else None
    cfgs = [s.replenishment for s in sc.stores] + ([sc.warehouse.replenishment] if sc.warehouse else [])
    policies = [node_policies(cfg, demand[i], streams, i, cat.category) for i, cfg in enumerate(cfgs)]
    inv = Inventory(engine, policies, cat.n, cat.price, sc.supplier.capacity_units_per_day, DAY_MIN, stock)
    if caps.visibility == "stale":
        inv.sync(sc.fulfilment.sync_interval_min)
    return Network(engine, cat, inv, stores, call, purchase_channels(sc), research_touchpoints(sc), demand, horizon,
                   sc.warehouse is not None)


# the daily series that are KPIs: each is its declared KPI over a one-day window
DAILY_KPIS = ("customers", "orders", "revenue", "lost_sales_units", "fill_rate", "stockout_rate",
              "store_wait_mean_min", "call_wait_mean_min")


@dataclass(frozen=True)
class DayEnd:
    """The end of one day (or the horizon, if in mid-day): the counters as of then (a light snapshot of the
    ledger, stock section included, areas brought up to then) and the stock's states, which are not counters."""

    t: float
    book: Ledger
    on_hand: tuple[int, ...]        # units on hand per node
    numeric_distribution: float     # share of stores holding a SKU, mean over SKUs (NaN without stores)
    weighted_distribution: float    # the same weighted by each SKU's share of demand


class World:
    """One replication, built: the network, the ledger and the mechanisms, each given only what it needs.

    Built in this order (SimPy processes are created in it, so it is part of the model's numbers): the network
    (resources, stock and its replenishment processes), the ledger, marketing (its promotions on the clock), the
    journeys with the after-sale and the fulfilment they build (see :class:`Journeys`), the offers' campaigns, and
    the population of customers. :meth:`arrivals` (a block of days' customers at a time, from
    :meth:`start_arrivals`) starts the journeys; :meth:`start_ticks` puts the daily and
    warm-up snapshots.
    """

    def __init__(self, sc: Scenario, setup: str, seed: int | np.random.SeedSequence, engine: str = "fast"):
        self.sc = sc
        self.caps = caps = resolve(sc, setup)
        self.engine = make_engine(engine)  # how every mechanism schedules, and the clock (sim.core.engine)
        self.env = self.engine.env
        self.streams = streams = Streams(seed)
        self.horizon = sc.horizon_days * DAY_MIN
        stock = StockCounters.for_nodes(len(sc.stores) + (sc.warehouse is not None))  # the ledger's, booked by the stock
        self.net = net = build_network(sc, caps, self.engine, streams, self.horizon, stock)
        call_target = sc.call_centre.target_wait_s / 60.0 if sc.call_centre else 0.0
        self.book = book = Ledger(Layout(tuple(net.channels), tuple(s.name for s in sc.stores),
                                         tuple(s.name for s in sc.segments), tuple(net.research)),
                                  sc.fulfilment.store_wait_target_min, call_target, sc.fulfilment.staff_cost_per_hour,
                                  stock)
        self.marketing = marketing = Marketing(net, book, sc, caps, streams)
        # recent detractors, kept where an offer targets them; bounded whatever the horizon
        lapsed: deque[tuple[float, Customer]] | None = deque(maxlen=1_000_000) if marketing.wants_lapsed else None
        self.journeys = Journeys(net, book, marketing, sc, caps, streams, lapsed)
        self.after: AfterSale = self.journeys.after
        self.fulfil: Fulfilment = self.journeys.sales
        if marketing.offers:
            marketing.start_offers(self.journeys.start, lambda: self._today, lapsed)
        self.population = Population(sc, streams, net.channels, net.research, net.cat.popularity, net.cat.price)
        self.warmup_state: Ledger | None = None
        self._today: list[Customer] = []
        self._today_t: list[float] = []
        self.day_ends: list[DayEnd] = []

    # ----------------------------------------------------------------------------------------- processes
    def start_arrivals(self) -> None:
        """The first block of customers is drawn at t = 0 where a process would start: after the stock's events."""
        self.engine.call_at(0.0, lambda _e: self.arrivals(), URGENT)

    def arrivals(self, d0: int = 0) -> None:
        """Draw the customers of the block of days from ``d0`` and put their journeys on the clock; journey
        counts are booked per block in bulk. The next block is drawn when this one ends: at its last customer's
        start, a wait to the block's end is set (the events and their order those of a loop over the block)."""
        days = math.ceil(self.sc.horizon_days)
        k = self.population.block_days()
        self._today, self._today_t = [], []  # the last block's customers have all arrived: let them go first
        batch = self.population.days(d0, k, self.horizon)
        self.book.journeys(batch, +1)
        self._today = batch
        self._today_t = [c.t for c in batch]
        last = self.journeys.arrive(batch, self.env.now)
        if d0 + k < days:
            if batch:
                self.engine.call_at(last, partial(self._block_end, d0 + k))
            else:
                self._block_end(d0 + k, None)

    def _block_end(self, d1: int, _event: object) -> None:
        """Wait for day ``d1``, the next block's first (every start of this block was before it)."""
        self.engine.call_after(d1 * DAY_MIN - self.env.now, lambda _e: self.arrivals(d1))

    def _snapshot(self) -> Ledger:
        """Counters as of now: today's customers who have not arrived yet are taken out of the copy."""
        pending = self._today[bisect.bisect_right(self._today_t, self.env.now):]
        self.book.journeys(pending, -1)
        state = self.book.snapshot()
        self.book.journeys(pending, +1)
        return state

    def start_ticks(self) -> None:
        """The day ends' snapshots (for the daily series) and the warm-up snapshot, a chain of calls on the clock
        that starts at t = 0 (each call schedules the next: at the warm-up's end if it falls in the coming day,
        else at the day's end)."""
        self.engine.call_at(0.0, lambda _e: self._next_tick(0), URGENT)

    def _next_tick(self, day: int) -> None:
        warm = self.sc.warmup_days * DAY_MIN
        if self.warmup_state is None and 0 < warm <= (day + 1) * DAY_MIN:
            self.engine.call_after(warm - self.env.now, lambda _e: self._warmed_up(day))
        else:
            self._to_day_end(day)

    def _to_day_end(self, day: int) -> None:
        self.engine.call_after((day + 1) * DAY_MIN - self.env.now, lambda _e: self._day_ended(day))

    def _warmed_up(self, day: int) -> None:
        self.net.inv.flush()
        self.book.flush(self.env.now)
        self.warmup_state = self._snapshot()
        self._to_day_end(day)

    def _day_ended(self, day: int) -> None:
        self.day_ends.append(self.day_end())
        self._next_tick(day + 1)

    # ----------------------------------------------------------------------------------------- snapshots
    def day_end(self) -> DayEnd:
        """The counters and stock states as of now, for the daily series: a light snapshot of the ledger (no
        wait histograms; the areas brought up to now in the copy, never in the live counters, so measuring a day
        changes no number of the run), today's customers who have not arrived yet taken out of the copy."""
        now = self.env.now
        book = self.book.light_snapshot(now, self.net.inv.counts_now())
        book.journeys(self._today[bisect.bisect_right(self._today_t, now):], -1)  # booked with their batch, to come
        inv = self.net.inv
        nd = wd = math.nan
        if self.net.n_stores:
            held = (np.array(inv.on_hand[: self.net.n_stores]) > 0).mean(axis=0)
            nd, wd = float(held.mean()), float((held * self.net.cat.popularity).sum())
        return DayEnd(now, book, tuple(inv.total), nd, wd)


def _distributions(w: World) -> tuple[float, float]:
    """Numeric and weighted distribution over the window: their means over the ends of its days."""
    warm = w.sc.warmup_days * DAY_MIN
    snaps = [d for i, d in enumerate(w.day_ends) if (i + 1) * DAY_MIN > warm]
    if not snaps:
        return math.nan, math.nan
    return (float(np.mean([d.numeric_distribution for d in snaps])),
            float(np.mean([d.weighted_distribution for d in snaps])))


def day_windows(w: World) -> list[tuple[Ledger, float, StockFigures]]:
    """Each day as a measured window, from the previous day's end (t = 0 for the first) to its own: its counters,
    its length in minutes and its stock figures (the day's distributions are those of its end)."""
    out = []
    start: DayEnd | None = None
    for end in w.day_ends:
        t0 = start.t if start else 0.0
        win = window(end.book, start.book if start else None)
        figures = stock_figures(end.book.stock, start.book.stock if start else None, end.t - t0, w.net.cat.n,
                                end.numeric_distribution, end.weighted_distribution)
        out.append((win, end.t - t0, figures))
        start = end
    return out


def _daily_series(w: World) -> dict[str, list[float]]:
    """One value per day: the KPIs of :data:`DAILY_KPIS` over each one-day window (the declared KPIs, as over
    the measured window), the units asked for that day, and the stock on hand at the day's end, in all and per
    node (stock levels are states, not window figures)."""
    out: dict[str, list[float]] = {k: [] for k in ("customers", "orders", "revenue", "units_demanded",
                                                   "lost_sales_units", "fill_rate", "stockout_rate",
                                                   "store_wait_mean_min", "call_wait_mean_min", "on_hand_units")}
    nodes = [f"on_hand_units.{s.name}" for s in w.sc.stores] + (["on_hand_units.warehouse"] if w.sc.warehouse else [])
    out.update({name: [] for name in nodes})  # stock on hand of each node at the end of each day
    for (win, minutes, figures), end in zip(day_windows(w), w.day_ends, strict=True):
        for name, value in compute_kpis(win, minutes, figures, DAILY_KPIS).items():
            out[name].append(value)
        out["units_demanded"].append(float(win.units_demanded))
        out["on_hand_units"].append(float(sum(end.on_hand)))
        for name, units in zip(nodes, end.on_hand, strict=True):
            out[name].append(float(units))
    return out


def _books(w: World) -> dict[str, float]:
    """Whole-run totals that must balance; raises InvariantError if they do not."""
    m = w.book
    orders = sum(m.orders_ch)
    left = sum(m.left)
    problems = w.net.inv.invariant_problems()
    if m.arrived != orders + left + w.journeys.active:
        problems.append(f"customers: arrived {m.arrived} != ordered {orders} + left {left} + inside {w.journeys.active}")
    if m.units_demanded != m.stock.units_out + m.units_backordered + m.units_lost:
        problems.append(f"units: demanded {m.units_demanded} != taken from stock {m.stock.units_out} + backordered "
                        f"{m.units_backordered} + lost {m.units_lost}")
    if not math.isclose(m.revenue + m.price_adjustment, m.stock.value_out + m.value_backordered, rel_tol=1e-9,
                        abs_tol=1e-6):
        problems.append(f"money: revenue {m.revenue:.2f} + price adjustments {m.price_adjustment:.2f} != value "
                        f"taken from stock {m.stock.value_out:.2f} + value backordered {m.value_backordered:.2f}")
    if not math.isclose(m.revenue, sum(m.value_ch), rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"money: revenue {m.revenue:.2f} != sum of order values {sum(m.value_ch):.2f}")
    if problems:
        raise InvariantError("; ".join(problems))
    return {"arrived": m.arrived, "repeat_journeys": m.repeat_journeys, "ordered": orders, "left": left,
            "inside": w.journeys.active,
            "units_demanded": m.units_demanded, "units_sold": sum(m.stock.shipped), "revenue": m.revenue,
            "order_value": sum(m.value_ch)}


def simulate(w: World) -> None:
    """Run a built world to its horizon: arrivals and the day ends on the clock, SimPy run, the areas brought up
    to the horizon and the last day's end taken there if the horizon is in mid-day."""
    env = w.env
    w.start_arrivals()
    w.start_ticks()
    # Python's cyclic collector would walk the growing set of live events and customers every few hundred
    # allocations (a third of the run time); the model makes few cycles, so it is off while SimPy runs. Turned on
    # again, its first young collection would walk every object the run left alive (a second on the national
    # chain): they are handed to the oldest generation instead (freeze, then unfreeze), walked only by its rare
    # full collections, and most die with the world by reference counting anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        env.run(until=w.horizon)
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
    w.net.inv.flush()
    w.book.flush(env.now)
    if len(w.day_ends) < math.ceil(w.sc.horizon_days):  # the tick at the horizon itself
        w.day_ends.append(w.day_end())


def measured_window(w: World) -> tuple[Ledger, float, StockFigures]:
    """The measured window of a simulated world, from the end of the warm-up to the horizon: its counters, its
    length in minutes and its stock figures (what the declared KPIs are computed from)."""
    start = w.warmup_state
    window_min = w.horizon - w.sc.warmup_days * DAY_MIN
    figures = stock_figures(w.book.stock, start.stock if start else None, window_min, w.net.cat.n,
                            *_distributions(w))
    return window(w.book, start), window_min, figures


def run(scenario: Scenario, setup: str = "omnichannel", seed: int | np.random.SeedSequence = 0,
        engine: str = "fast") -> Result:
    """Simulate one replication of ``setup`` on ``scenario``.

    ``engine`` picks how the mechanisms schedule (sim.core.engine): ``"fast"``, the product's primitives, or
    ``"reference"``, the same on SimPy's public API only (slower; the golden test checks both give the same
    numbers, their event counts aside).

    The same ``seed`` under two setups replays the same customers with the same wishes (common random numbers).
    Returns KPIs over the window after warm-up (DESIGN.md section 3, plus a few diagnostics), daily series (the
    same KPIs over each day, and the stock at each day's end), breakdowns by channel, store and segment, and run
    statistics (SimPy events, customers, seconds).
    """
    t0 = time.perf_counter()
    ss = as_seed_sequence(seed)
    w = World(scenario, setup, ss, engine)
    simulate(w)
    books = _books(w)
    win, window_min, figures = measured_window(w)
    kpis = compute_kpis(win, window_min, figures)
    events = w.engine.events()
    return Result(scenario=scenario.name, setup=setup, seed=f"{ss.entropy}:{ss.spawn_key}", kpis=kpis,
                  daily=_daily_series(w), breakdown=breakdown(win, window_min), events=events,
                  customers=w.book.arrived, wall_s=time.perf_counter() - t0, books=books, research=w.net.research,
                  usage_masks=dict(win.tp_usage_masks))
