"""One replication: build the network and the setup from a validated scenario, run SimPy, return numbers.

The model never prints, plots or writes files; it returns a :class:`Result`. Every run checks its own books
(customers, units, money) and raises :class:`InvariantError` rather than return numbers that do not add up.
"""

from __future__ import annotations

import bisect
import gc
import math
import time
from dataclasses import dataclass, field

import numpy as np
import simpy

from .catalogue import build_catalogue, segment_popularity
from .config import CHANNEL_CALL, CHANNEL_STORE, Dist, Replenishment, Scenario
from .customers import DAY_MIN, Population
from .engine import events_processed
from .fulfilment import Fulfilment
from .inventory import Inventory, NodePolicy, levels
from .journey import journey
from .kpis import breakdown, compute_kpis, ratio
from .ledger import Layout, Leave, Ledger, StockFigures, window
from .rng import Streams, as_seed_sequence
from .setups import resolve


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


class StoreRt:
    """A store at run time: its resources and hours in minutes of the day."""

    def __init__(self, env: simpy.Environment, cfg):
        self.staff = simpy.Resource(env, cfg.staff) if cfg.staff else None
        self.tills = simpy.Resource(env, cfg.tills) if cfg.tills else None
        self.open_min = cfg.open_hour * 60.0
        self.close_min = cfg.close_hour * 60.0
        self.advice_prob = cfg.advice_prob if cfg.staff != 0 else 0.0
        self.queue_capacity = cfg.queue_capacity


class CallRt:
    def __init__(self, env: simpy.Environment, cfg):
        self.agents = simpy.Resource(env, cfg.agents) if cfg.agents else None
        self.open_min = cfg.open_hour * 60.0
        self.close_min = cfg.close_hour * 60.0


def purchase_channels(sc: Scenario) -> list[str]:
    """Channel index order: store, the selling touchpoints, call centre."""
    out = [CHANNEL_STORE] if sc.stores else []
    out += [k for k, t in sc.touchpoints.items() if t.sells]
    return out + ([CHANNEL_CALL] if sc.call_centre else [])


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
                      cfg.order_quantity, skus, name)


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


class World:
    """Everything one replication's processes share."""

    def __init__(self, sc: Scenario, setup: str, seed):
        self.sc = sc
        self.caps = resolve(sc, setup)
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.cat = build_catalogue(sc.catalogue)
        self.channels = purchase_channels(sc)
        self.ch_store = self.channels.index(CHANNEL_STORE) if CHANNEL_STORE in self.channels else -1
        self.ch_call = self.channels.index(CHANNEL_CALL) if CHANNEL_CALL in self.channels else -1
        self.research = list(sc.touchpoints) + [CHANNEL_STORE, CHANNEL_CALL]
        self.channel_bit = [1 << self.research.index(ch) for ch in self.channels]
        self.channels_mask = sum(self.channel_bit)  # research bits of the places where one can buy
        self.store_bit = self.channel_bit[self.ch_store] if self.ch_store >= 0 else 0
        self.n_stores = len(sc.stores)
        self.wh = self.n_stores if sc.warehouse else -1
        self.stores = [StoreRt(self.env, s) for s in sc.stores]
        self.call = CallRt(self.env, sc.call_centre) if sc.call_centre else None
        self.demand = demand = expected_daily_demand(sc, self.cat,
                                                     self.caps.personalisation and self.caps.customer_data)
        cfgs = [s.replenishment for s in sc.stores] + ([sc.warehouse.replenishment] if sc.warehouse else [])
        policies = [node_policies(cfg, demand[i], self.streams, i, self.cat.category) for i, cfg in enumerate(cfgs)]
        self.inv = Inventory(self.env, policies, self.cat.n, self.cat.price, sc.supplier.capacity_units_per_day,
                             DAY_MIN)
        if self.caps.visibility == "stale":
            self.inv.sync(sc.fulfilment.sync_interval_min)
        call_target = sc.call_centre.target_wait_s / 60.0 if sc.call_centre else 0.0
        self.book = Ledger(Layout(tuple(self.channels), tuple(s.name for s in sc.stores),
                                  tuple(s.name for s in sc.segments), tuple(self.research)),
                           sc.fulfilment.store_wait_target_min, call_target)
        # chance that a channel switch loses the cart
        self.restart_abandon = [s.restart_abandon_prob for s in sc.segments]
        self.cart_loss = {"none": 1.0, "friction": sc.fulfilment.cart_friction, "full": 0.0}[self.caps.cart_continuity]
        self.fulfil = Fulfilment(self)
        self.repeat_chance = [(s.after_sale.repeat_promoter, s.after_sale.repeat_passive,
                               s.after_sale.repeat_detractor) for s in sc.segments]
        self.line_return = self._line_return_chances()
        self.return_u = self.streams.uniform("returns.decide")
        self.writeoff_u = self.streams.uniform("returns.writeoff")
        self.review_prob = [s.after_sale.review_prob for s in sc.segments]
        self.promoter_prob = [s.after_sale.promoter_prob for s in sc.segments]
        self.review_u = self.streams.uniform("reviews")
        self.return_delay = [self.streams.sampler(f"returns.{i}", Dist(mean=s.after_sale.return_after_days),
                                                  DAY_MIN) for i, s in enumerate(sc.segments)]
        self.repeat_delay = [self.streams.sampler(f"repeats.{i}", Dist(mean=s.after_sale.repeat_after_days),
                                                  DAY_MIN) for i, s in enumerate(sc.segments)]
        self.population = Population(sc, self.streams, self.channels, self.research, self.cat.popularity,
                                     self.cat.price)
        self.active = 0
        self.horizon = sc.horizon_days * DAY_MIN
        self.warmup_state: tuple[Ledger, dict] | None = None
        self._today: list = []
        self._today_t: list[float] = []
        self.daily_state: list[tuple[dict, dict]] = []

    def _line_return_chances(self) -> list[tuple[list[float] | None, list[float] | None]]:
        """Per segment, (store, online): the chance that each SKU's order line is returned; None for never."""
        factors = self.sc.fulfilment.return_category_factor
        factor = [factors.get(cat, 1.0) for cat in self.cat.category]
        def chances(base: float) -> list[float] | None:
            return [base * f for f in factor] if base else None

        return [(chances(s.after_sale.return_store), chances(s.after_sale.return_online)) for s in self.sc.segments]

    # ----------------------------------------------------------------------------------------- processes
    def arrivals(self):
        """Start each journey at its time; journey counts are booked per batch in bulk."""
        env = self.env
        k = self.population.block_days()
        for d0 in range(0, math.ceil(self.sc.horizon_days), k):
            batch = self.population.days(d0, k, self.horizon)
            self.book.journeys(batch, +1)
            self._today = batch
            self._today_t = [c.t for c in batch]
            for c in batch:
                yield env.timeout(c.t - env.now)
                env.process(journey(self, c))
            end = min(d0 + k, math.ceil(self.sc.horizon_days)) * DAY_MIN
            if env.now < end:
                yield env.timeout(end - env.now)

    def _snapshot(self) -> Ledger:
        """Counters as of now: today's customers who have not arrived yet are taken out of the copy."""
        pending = self._today[bisect.bisect_right(self._today_t, self.env.now):]
        self.book.journeys(pending, -1)
        state = self.book.snapshot()
        self.book.journeys(pending, +1)
        return state

    def ticks(self):
        """Daily snapshot of the light counters (for the time series) and the warm-up snapshot."""
        env = self.env
        warm = self.sc.warmup_days * DAY_MIN
        day = 0
        while True:
            nxt = (day + 1) * DAY_MIN
            if self.warmup_state is None and 0 < warm <= nxt:
                yield env.timeout(warm - env.now)
                self.inv.flush()
                self.book.flush(env.now)
                self.warmup_state = (self._snapshot(), self.stock_state())
            yield env.timeout(nxt - env.now)
            self.daily_state.append((self.light_state(), self.stock_state()))
            day += 1

    def close_order(self, c, ch: int, units: int, value: float, cogs: float,
                    reason: Leave = Leave.NOTHING_AVAILABLE, sold: list | None = None, collect: bool = False) -> int:
        """Book a finished checkout: an order if anything was bought, else a customer who left empty-handed.
        ``sold`` lists the (SKU, units) bought, each line returned with its segment, channel and category's
        chance; ``collect``: the buyer will collect in store. Returns the buyer's class, ``2 * segment + multi``
        (multi: the journey used two or more channels, see ``Metrics.class_orders``), or -1 for no order."""
        if not units:
            self.book.customer_left(reason)
            return -1
        chances = self.line_return[c.seg][ch != self.ch_store]
        if chances is not None and sold:
            u = self.return_u.next
            back = [(sku, n) for sku, n in sold if u() < chances[sku]]
            if back:
                self.env.process(self._return(c, ch, back))
        return self.book.order(c, ch, units, value, cogs, collect)

    def rate(self, c, problems: int | None) -> None:
        """How the customer will speak of it (NPS-like): no problem = promoter (with the segment's
        ``promoter_prob``, else passive), one = passive, more or nothing bought (``None``) = detractor.
        Problems: a wait over target, a missing item, a late parcel.
        Loyalty follows: the segment's chance of a repeat journey for that rating."""
        grade = 2 if problems is None or problems >= 2 else problems
        if grade == 0 and c.u_rate >= self.promoter_prob[c.seg]:
            grade = 1  # nothing went wrong, yet not enthusiastic enough to recommend (price, product, mood)
        self.book.rating(grade)
        if self.review_prob[c.seg] and self.review_u.next() < self.review_prob[c.seg]:
            self.book.review(grade)
        if c.u_repeat < self.repeat_chance[c.seg][grade]:
            delay = self.repeat_delay[c.seg].next()
            if self.env.now + delay < self.horizon:
                self.env.process(self._repeat(c, delay))

    def _return(self, c, ch: int, lines: list):
        """The customer brings ``lines`` of an order back where the setup takes them: their own store with
        ``return_anywhere``, else the selling channel's node. After handling, each unit is sellable again or,
        with the scenario's write-off share, written off."""
        yield self.env.timeout(self.return_delay[c.seg].next())
        if self.caps.return_anywhere and self.n_stores or ch == self.ch_store or self.wh < 0:
            node = c.store
        else:
            node = self.wh
        book, inv, f = self.book, self.inv, self.sc.fulfilment
        units = sum(n for _, n in lines)
        book.returned(units, sum(n * self.cat.price[sku] for sku, n in lines), node != self.wh, ch != self.ch_store)
        inv.return_in(node, units)
        yield self.env.timeout(f.return_handling_days * DAY_MIN)
        share = f.return_writeoff_share
        for sku, n in lines:
            bad = sum(self.writeoff_u.next() < share for _ in range(n)) if share else 0
            if bad:
                inv.write_off(node, bad)
                book.written_off(bad)
            if n > bad:
                inv.put_back(node, sku, n - bad)

    def _repeat(self, c, delay: float):
        """The same customer comes back with the same kind of wishes; a repeat never repeats itself."""
        yield self.env.timeout(delay)
        again = c._replace(t=self.env.now, repeat=True, u_repeat=1.0)
        self.book.repeat_journey(again)
        yield from journey(self, again)

    # ----------------------------------------------------------------------------------------- snapshots
    def light_state(self) -> dict[str, float]:
        m = self.book
        # booked with their batch, still to come
        not_yet = len(self._today_t) - bisect.bisect_right(self._today_t, self.env.now)
        return {"customers": m.arrived - not_yet, "orders": sum(m.orders_ch), "revenue": m.revenue,
                "units_demanded": m.units_demanded, "units_out": self.inv.units_out, "lost_sales_units": m.units_lost,
                "requests": sum(m.requests_ch), "stockouts": sum(m.stockouts_ch),
                "store_wait_sum": sum(q.wait_sum for q in m.store_q), "store_served": sum(q.served for q in m.store_q),
                "call_wait_sum": m.call_q.wait_sum,
                "call_served": m.call_q.served, "on_hand_units": sum(self.inv.total)}

    def stock_state(self) -> dict:
        inv = self.inv
        pop = self.cat.popularity
        nd = wd = math.nan
        if self.n_stores:
            held = np.array([[x > 0 for x in row] for row in inv.on_hand[: self.n_stores]]).mean(axis=0)
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
        end_of_period_on_hand=ratio(w.cat.n * (end["eod"] - s["eod"]), end["eod_n"] - s["eod_n"]),
        supplier_backlog_units=(end["backlog_area"] - s["backlog_area"]) / window_min,
    )


def _daily_series(w: World) -> dict[str, list[float]]:
    rows = [st for st, _ in w.daily_state]
    prev = dict.fromkeys(rows[0], 0) if rows else {}
    out: dict[str, list[float]] = {k: [] for k in ("customers", "orders", "revenue", "units_demanded",
                                                   "lost_sales_units",
                                                   "fill_rate", "stockout_rate", "store_wait_mean_min",
                                                   "call_wait_mean_min", "on_hand_units")}
    for r in rows:
        d = {k: r[k] - prev[k] for k in r}
        for k in ("customers", "orders", "revenue", "units_demanded", "lost_sales_units"):
            out[k].append(float(d[k]))
        out["fill_rate"].append(ratio(d["units_out"], d["units_demanded"]))
        out["stockout_rate"].append(ratio(d["stockouts"], d["requests"]))
        out["store_wait_mean_min"].append(ratio(d["store_wait_sum"], d["store_served"]))
        out["call_wait_mean_min"].append(ratio(d["call_wait_sum"], d["call_served"]))
        out["on_hand_units"].append(float(r["on_hand_units"]))
        prev = r
    return out


def _books(w: World) -> dict[str, float]:
    """Whole-run totals that must balance; raises InvariantError if they do not."""
    m = w.book
    orders = sum(m.orders_ch)
    left = sum(m.left)
    problems = w.inv.invariant_problems()
    if m.arrived != orders + left + w.active:
        problems.append(f"customers: arrived {m.arrived} != ordered {orders} + left {left} + inside {w.active}")
    if m.units_demanded != w.inv.units_out + m.units_backordered + m.units_lost:
        problems.append(f"units: demanded {m.units_demanded} != taken from stock {w.inv.units_out} + backordered "
                        f"{m.units_backordered} + lost {m.units_lost}")
    if not math.isclose(m.revenue, w.inv.value_out + m.value_backordered, rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"money: revenue {m.revenue:.2f} != value taken from stock {w.inv.value_out:.2f} "
                        f"+ value backordered {m.value_backordered:.2f}")
    if not math.isclose(m.revenue, sum(m.value_ch), rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"money: revenue {m.revenue:.2f} != sum of order values {sum(m.value_ch):.2f}")
    if problems:
        raise InvariantError("; ".join(problems))
    return {"arrived": m.arrived, "repeat_journeys": m.repeat_journeys, "ordered": orders, "left": left,
            "inside": w.active,
            "units_demanded": m.units_demanded, "units_sold": sum(w.inv.shipped), "revenue": m.revenue,
            "order_value": sum(m.value_ch)}


def run(scenario: Scenario, setup: str = "omnichannel", seed: int | np.random.SeedSequence = 0) -> Result:
    """Simulate one replication of ``setup`` on ``scenario``.

    The same ``seed`` under two setups replays the same customers with the same wishes (common random numbers).
    Returns KPIs over the window after warm-up (DESIGN.md section 3, plus a few diagnostics), daily series,
    breakdowns by channel, store and segment, and run statistics (SimPy events, customers, seconds).
    """
    t0 = time.perf_counter()
    ss = as_seed_sequence(seed)
    w = World(scenario, setup, ss)
    env = w.env
    env.process(w.arrivals())
    env.process(w.ticks())
    # Python's cyclic collector would walk the growing set of live events and customers every few hundred
    # allocations (a third of the run time); the model makes few cycles, so collect once at the end instead
    # (peak memory of a 28-day run equals a 7-day one's: bench/run.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        env.run(until=w.horizon)
    finally:
        if collecting:
            gc.enable()
    w.inv.flush()
    w.book.flush(env.now)
    if len(w.daily_state) < math.ceil(scenario.horizon_days):  # the tick at the horizon itself
        w.daily_state.append((w.light_state(), w.stock_state()))
    books = _books(w)
    start_met, start_stock = w.warmup_state or (None, None)
    window_min = w.horizon - scenario.warmup_days * DAY_MIN
    win = window(w.book, start_met)
    kpis = compute_kpis(win, window_min, _stock_figures(w, start_stock, w.stock_state(), window_min))
    events = events_processed(env)
    return Result(scenario=scenario.name, setup=setup, seed=f"{ss.entropy}:{ss.spawn_key}", kpis=kpis,
                  daily=_daily_series(w), breakdown=breakdown(win, window_min), events=events,
                  customers=w.book.arrived, wall_s=time.perf_counter() - t0, books=books, research=w.research,
                  usage_masks=dict(win.tp_usage_masks))
