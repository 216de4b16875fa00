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
from collections.abc import Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from sim.core.aftersale import AfterSale
from sim.core.catalogue import build_catalogue, segment_popularity
from sim.core.customers import DAY_MIN, Customer, Population
from sim.core.engine import URGENT, Engine, make_engine
from sim.core.fulfilment import Fulfilment
from sim.core.inventory import Inventory, NodePolicy, levels
from sim.core.journey import Journeys
from sim.core.kpis import breakdown, compute_kpis, ratio
from sim.core.ledger import Layout, Ledger, StockFigures, window
from sim.core.marketing import Marketing
from sim.core.network import CallRt, Network, StoreRt, purchase_channels, research_touchpoints
from sim.core.rng import Streams, as_seed_sequence
from sim.scenario.schema import CHANNEL_STORE, Replenishment, Scenario
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


def channels_used(sc: Scenario, seg) -> float:
    """Expected number of purchase channels a segment's journey uses (research visits or the purchase): each
    channel is used unless neither the purchase nor any of the mean number of research steps lands there."""
    channels = purchase_channels(sc)
    mix = seg.journey.touchpoint_mix
    steps = seg.journey.mean_touchpoints if mix else 0.0
    return sum(1 - (1 - seg.channels.get(ch, 0.0)) * (1 - mix.get(ch, 0.0)) ** steps for ch in channels)


def expected_daily_demand(sc: Scenario, cat, recommends: bool = False) -> list[list[float]]:
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


def build_network(sc: Scenario, caps: Capabilities, engine: Engine, streams: Streams, horizon: float) -> Network:
    """Stores and call centre as resources, the catalogue, and the stock with its replenishment processes; stock
    levels given in days are sized on the expected demand (recommended units included where the setup
    recommends), and a stale view of stock is synchronised where the setup has one."""
    cat = build_catalogue(sc.catalogue)
    demand = expected_daily_demand(sc, cat, caps.personalisation and caps.customer_data)
    stores = [StoreRt(engine, s) for s in sc.stores]
    call = CallRt(engine, sc.call_centre) if sc.call_centre else None
    cfgs = [s.replenishment for s in sc.stores] + ([sc.warehouse.replenishment] if sc.warehouse else [])
    policies = [node_policies(cfg, demand[i], streams, i, cat.category) for i, cfg in enumerate(cfgs)]
    inv = Inventory(engine, policies, cat.n, cat.price, sc.supplier.capacity_units_per_day, DAY_MIN)
    if caps.visibility == "stale":
        inv.sync(sc.fulfilment.sync_interval_min)
    return Network(engine, cat, inv, stores, call, purchase_channels(sc), research_touchpoints(sc), demand, horizon,
                   sc.warehouse is not None)


class World:
    """One replication, built: the network, the ledger and the mechanisms, each given only what it needs.

    Built in this order (SimPy processes are created in it, so it is part of the model's numbers): the network
    (resources, stock and its replenishment processes), the ledger, after-sale, fulfilment, journeys, and the
    population of customers. :meth:`arrivals` (a block of days' customers at a time, from
    :meth:`start_arrivals`) starts the journeys; :meth:`ticks`, the world's own process, takes the daily and
    warm-up snapshots.
    """

    def __init__(self, sc: Scenario, setup: str, seed: int | np.random.SeedSequence, engine: str = "fast"):
        self.sc = sc
        self.caps = caps = resolve(sc, setup)
        self.engine = make_engine(engine)  # how every mechanism schedules, and the clock (sim.core.engine)
        self.env = self.engine.env
        self.streams = streams = Streams(seed)
        self.horizon = sc.horizon_days * DAY_MIN
        self.net = net = build_network(sc, caps, self.engine, streams, self.horizon)
        call_target = sc.call_centre.target_wait_s / 60.0 if sc.call_centre else 0.0
        self.book = book = Ledger(Layout(tuple(net.channels), tuple(s.name for s in sc.stores),
                                         tuple(s.name for s in sc.segments), tuple(net.research)),
                                  sc.fulfilment.store_wait_target_min, call_target, sc.fulfilment.staff_cost_per_hour)
        self.after = after = AfterSale(net, book, sc, caps, streams)
        self.marketing = marketing = Marketing(net, book, sc, caps, streams)
        self.fulfil = Fulfilment(net, book, after, marketing, sc, caps, streams)
        # chance that a channel switch loses the cart
        cart_loss = {"none": 1.0, "friction": sc.fulfilment.cart_friction, "full": 0.0}[caps.cart_continuity]
        self.journeys = Journeys(net, book, self.fulfil, after, marketing, cart_loss,
                                 [s.restart_abandon_prob for s in sc.segments])
        after.restart = self.journeys.start
        self.fulfil.retry = self.journeys.come_back
        if marketing.wants_lapsed:
            after.lapsed = deque(maxlen=1_000_000)  # recent detractors; bounded whatever the horizon
        if marketing.offers:
            marketing.start_offers(self.journeys.start, lambda: self._today, after.lapsed)
        self.population = Population(sc, streams, net.channels, net.research, net.cat.popularity, net.cat.price)
        self.warmup_state: tuple[Ledger, dict] | None = None
        self._today: list[Customer] = []
        self._today_t: list[float] = []
        self.daily_state: list[tuple[dict, dict]] = []

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

    def ticks(self) -> Generator[Any, Any, None]:
        """Daily snapshot of the light counters (for the time series) and the warm-up snapshot."""
        env = self.env
        warm = self.sc.warmup_days * DAY_MIN
        day = 0
        while True:
            nxt = (day + 1) * DAY_MIN
            if self.warmup_state is None and 0 < warm <= nxt:
                yield env.timeout(warm - env.now)
                self.net.inv.flush()
                self.book.flush(env.now)
                self.warmup_state = (self._snapshot(), self.stock_state())
            yield env.timeout(nxt - env.now)
            self.daily_state.append((self.light_state(), self.stock_state()))
            day += 1

    # ----------------------------------------------------------------------------------------- snapshots
    def light_state(self) -> dict[str, Any]:
        m = self.book
        # booked with their batch, still to come
        not_yet = len(self._today_t) - bisect.bisect_right(self._today_t, self.env.now)
        inv = self.net.inv
        return {"customers": m.arrived - not_yet, "orders": sum(m.orders_ch), "revenue": m.revenue,
                "units_demanded": m.units_demanded, "units_out": inv.units_out, "lost_sales_units": m.units_lost,
                "requests": sum(m.requests_ch), "stockouts": sum(m.stockouts_ch),
                "store_wait_sum": sum(q.wait_sum for q in m.store_q), "store_served": sum(q.served for q in m.store_q),
                "call_wait_sum": m.call_q.wait_sum,
                "call_served": m.call_q.served, "on_hand_units": sum(inv.total), "node_on_hand": list(inv.total)}

    def stock_state(self) -> dict:
        inv = self.net.inv
        pop = self.net.cat.popularity
        nd = wd = math.nan
        if self.net.n_stores:
            held = (np.array(inv.on_hand[: self.net.n_stores]) > 0).mean(axis=0)
            nd, wd = float(held.mean()), float((held * pop).sum())
        return {"area": sum(inv.area), "bo_area": sum(inv.bo_area), "shipped": sum(inv.shipped),
                "units_out": inv.units_out,
                "cycles": sum(inv.cycles),
                "cycles_ok": sum(inv.cycles_ok), "nd": nd, "wd": wd, "eod": sum(inv.eod_on_hand),
                "eod_n": sum(inv.eod_count), "backlog_area": inv.backlog_area}


def _stock_figures(w: World, start: dict | None, end: dict, window_min: float) -> StockFigures:
    s = start or {"area": 0.0, "bo_area": 0.0, "shipped": 0, "units_out": 0, "cycles": 0, "cycles_ok": 0, "eod": 0,
                  "eod_n": 0, "backlog_area": 0.0}
    avg = (end["area"] - s["area"]) / window_min
    days = window_min / DAY_MIN
    warm = w.sc.warmup_days * DAY_MIN
    snaps = [st for (i, (_, st)) in enumerate(w.daily_state) if (i + 1) * DAY_MIN > warm]
    return StockFigures(
        avg_on_hand_units=avg,
        avg_backorder_units=(end["bo_area"] - s["bo_area"]) / window_min,
        units_out=end["units_out"] - s["units_out"],
        inventory_turns=ratio((end["shipped"] - s["shipped"]) * 365.0 / days, avg),
        cycle_service_level=ratio(end["cycles_ok"] - s["cycles_ok"], end["cycles"] - s["cycles"]),
        numeric_distribution=float(np.mean([x["nd"] for x in snaps])) if snaps else math.nan,
        weighted_distribution=float(np.mean([x["wd"] for x in snaps])) if snaps else math.nan,
        # mean on hand per SKU at the end of its review periods, times the SKUs: a node's on hand at period end
        # when all its SKUs share one review period (ints: the division is exact to the last bit)
        end_of_period_on_hand=ratio(w.net.cat.n * (end["eod"] - s["eod"]), end["eod_n"] - s["eod_n"]),
        supplier_backlog_units=(end["backlog_area"] - s["backlog_area"]) / window_min,
    )


def _daily_series(w: World) -> dict[str, list[float]]:
    rows = [st for st, _ in w.daily_state]
    prev: dict = dict.fromkeys(rows[0], 0) if rows else {}
    out: dict[str, list[float]] = {k: [] for k in ("customers", "orders", "revenue", "units_demanded",
                                                   "lost_sales_units",
                                                   "fill_rate", "stockout_rate", "store_wait_mean_min",
                                                   "call_wait_mean_min", "on_hand_units")}
    nodes = [f"on_hand_units.{s.name}" for s in w.sc.stores] + (["on_hand_units.warehouse"] if w.sc.warehouse else [])
    out.update({name: [] for name in nodes})  # stock on hand of each node at the end of each day
    for r in rows:
        d = {k: r[k] - prev[k] for k in r if k != "node_on_hand"}
        for k in ("customers", "orders", "revenue", "units_demanded", "lost_sales_units"):
            out[k].append(float(d[k]))
        out["fill_rate"].append(ratio(d["units_out"], d["units_demanded"]))
        out["stockout_rate"].append(ratio(d["stockouts"], d["requests"]))
        out["store_wait_mean_min"].append(ratio(d["store_wait_sum"], d["store_served"]))
        out["call_wait_mean_min"].append(ratio(d["call_wait_sum"], d["call_served"]))
        out["on_hand_units"].append(float(r["on_hand_units"]))
        for name, units in zip(nodes, r["node_on_hand"], strict=True):
            out[name].append(float(units))
        prev = r
    return out


def _books(w: World) -> dict[str, float]:
    """Whole-run totals that must balance; raises InvariantError if they do not."""
    m = w.book
    orders = sum(m.orders_ch)
    left = sum(m.left)
    problems = w.net.inv.invariant_problems()
    if m.arrived != orders + left + w.journeys.active:
        problems.append(f"customers: arrived {m.arrived} != ordered {orders} + left {left} + inside {w.journeys.active}")
    if m.units_demanded != w.net.inv.units_out + m.units_backordered + m.units_lost:
        problems.append(f"units: demanded {m.units_demanded} != taken from stock {w.net.inv.units_out} + backordered "
                        f"{m.units_backordered} + lost {m.units_lost}")
    if not math.isclose(m.revenue + m.price_adjustment, w.net.inv.value_out + m.value_backordered, rel_tol=1e-9,
                        abs_tol=1e-6):
        problems.append(f"money: revenue {m.revenue:.2f} + price adjustments {m.price_adjustment:.2f} != value "
                        f"taken from stock {w.net.inv.value_out:.2f} + value backordered {m.value_backordered:.2f}")
    if not math.isclose(m.revenue, sum(m.value_ch), rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"money: revenue {m.revenue:.2f} != sum of order values {sum(m.value_ch):.2f}")
    if problems:
        raise InvariantError("; ".join(problems))
    return {"arrived": m.arrived, "repeat_journeys": m.repeat_journeys, "ordered": orders, "left": left,
            "inside": w.journeys.active,
            "units_demanded": m.units_demanded, "units_sold": sum(w.net.inv.shipped), "revenue": m.revenue,
            "order_value": sum(m.value_ch)}


def run(scenario: Scenario, setup: str = "omnichannel", seed: int | np.random.SeedSequence = 0,
        engine: str = "fast") -> Result:
    """Simulate one replication of ``setup`` on ``scenario``.

    ``engine`` picks how the mechanisms schedule (sim.core.engine): ``"fast"``, the product's primitives, or
    ``"reference"``, the same on SimPy's public API only (slower; the golden test checks both give the same
    numbers, their event counts aside).

    The same ``seed`` under two setups replays the same customers with the same wishes (common random numbers).
    Returns KPIs over the window after warm-up (DESIGN.md section 3, plus a few diagnostics), daily series,
    breakdowns by channel, store and segment, and run statistics (SimPy events, customers, seconds).
    """
    t0 = time.perf_counter()
    ss = as_seed_sequence(seed)
    w = World(scenario, setup, ss, engine)
    env = w.env
    w.start_arrivals()
    env.process(w.ticks())
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
    if len(w.daily_state) < math.ceil(scenario.horizon_days):  # the tick at the horizon itself
        w.daily_state.append((w.light_state(), w.stock_state()))
    books = _books(w)
    start_met, start_stock = w.warmup_state or (None, None)
    window_min = w.horizon - scenario.warmup_days * DAY_MIN
    win = window(w.book, start_met)
    kpis = compute_kpis(win, window_min, _stock_figures(w, start_stock, w.stock_state(), window_min))
    events = w.engine.events()
    return Result(scenario=scenario.name, setup=setup, seed=f"{ss.entropy}:{ss.spawn_key}", kpis=kpis,
                  daily=_daily_series(w), breakdown=breakdown(win, window_min), events=events,
                  customers=w.book.arrived, wall_s=time.perf_counter() - t0, books=books, research=w.net.research,
                  usage_masks=dict(win.tp_usage_masks))
