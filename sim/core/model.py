"""One replication: build the network and the setup from a validated scenario, run SimPy, return numbers.

The model never prints, plots or writes files; it returns a :class:`Result`. Every run checks its own books
(customers, units, money) and raises :class:`InvariantError` rather than return numbers that do not add up.
"""

from __future__ import annotations

import gc
import math
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from sim.core.aftersale import AfterSale
from sim.core.browsing import Browsing
from sim.core.catalogue import Catalogue, build_catalogue, segment_popularity
from sim.core.customers import DAY_MIN, NO_STARTS, Customer, Population
from sim.core.engine import URGENT, Engine, make_engine
from sim.core.fulfilment import Fulfilment
from sim.core.inventory import Inventory, NodePolicy, levels
from sim.core.journey import Journeys
from sim.core.kpis import breakdown, compute_kpis, stock_figures
from sim.core.ledger import Layout, Ledger, Starts, StockCounters, StockFigures, window
from sim.core.marketing import Marketing
from sim.core.network import CallRt, Network, StoreRt, purchase_channels, research_touchpoints
from sim.core.rng import Streams, as_seed_sequence, seed_argument
from sim.scenario.schema import CHANNEL_STORE, Replenishment, Scenario, ScenarioArgument, scenario_argument
from sim.scenario.setups import Capabilities, resolve


class InvariantError(AssertionError):
    """A run whose customers, units or money do not add up: a bug in the model, never a user error."""


@dataclass
class Result:
    """One replication of one setup. KPIs follow DESIGN.md section 3; ``daily`` holds one value per day.

    What ``sim.run`` returns (and ``sim.replicate_results`` holds, one per replication). A single replication is
    one draw of the simulation's noise: compare setups over several replications (``sim.compare``) before reading
    a difference.

    Attributes
    ----------
    scenario : str
        The scenario's ``name``.
    setup : str
        The setup simulated.
    seed : str
        The seed as ``"entropy:spawn_key"`` of its ``numpy.random.SeedSequence``: enough to replay the run.
    kpis : dict of str to float
        Every KPI of ``sim.KPIS`` (in that order) over the measured window, from the end of the warm-up to the
        horizon, each in its declared unit (euros, share 0–1, minutes, days, units, counts...); NaN where the
        window has no data (no call centre, no queue).
    daily : dict of str to list of float
        Day-by-day series over the whole horizon, warm-up days included (one value per simulated day):
        ``customers``, ``orders``, ``revenue`` (euros), ``units_demanded``, ``lost_sales_units``, ``fill_rate`` and
        ``stockout_rate`` (shares 0–1), ``store_wait_mean_min`` and ``call_wait_mean_min`` (minutes),
        ``footfall``, ``online_sessions``, and the stock on hand at each day's end (units): ``on_hand_units`` for
        the network and ``on_hand_units.<store name>`` / ``on_hand_units.warehouse`` per node. Empty when run with
        ``daily=False``.
    breakdown : dict of str to dict of str to dict of str to float
        KPIs over the measured window by dimension, then member: ``channel`` (per purchase channel),
        ``store`` (per store name: waits, service level, stockouts, picks, footfall...), ``segment``,
        ``call_centre``, ``touchpoint`` (usage share, visits), ``funnel`` (research, evaluation, decision, ordered:
        who gave up where) and ``fulfilment`` (parcels per kind and their share).
    events : int
        SimPy events processed over the run.
    customers : int
        Journeys started over the whole run, warm-up and repeat journeys included (the measured window's people
        are ``kpis["customers"]``).
    wall_s : float
        Wall-clock seconds the run took.
    books : dict of str to float
        Whole-run totals that balance, checked before the result is returned: ``arrived = ordered + left +
        inside``, units demanded = taken from stock + backordered + lost, revenue = value of the orders.
    research : list of str
        The research touchpoints, in the bit order of ``usage_masks``.
    usage_masks : dict of int to int
        Buyers over the measured window by the set of touchpoints they used (a bit mask over ``research``): what
        the calibration's usage shares are measured from.

    See Also
    --------
    - ``sim.run`` : makes one.
    - ``sim.KPIS`` : each KPI's label, unit and definition.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    res = sim.run(sc, setup="omnichannel", seed=1)
    print(res.setup, res.seed, res.kpis["revenue"], res.kpis["fill_rate"])
    print(res.daily["orders"])                       # one value per simulated day
    print(res.breakdown["store"]["paris-rivoli"]["store_service_level"])
    ```
    """

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


def expected_daily_demand(scenario: Scenario, cat: Catalogue) -> list[list[float]]:
    """Mean units asked per day of each node (stores, then warehouse) and SKU, before any loss and outside
    promotions: what stock levels given in days of demand are sized on, the same in every setup (the lines
    recommendations add are left out, so that a setup's stock is not raised by its own uplift and pooling is
    not confused with holding more stock)."""
    store = np.zeros(cat.n)
    online = np.zeros(cat.n)
    for s in scenario.segments:
        units = scenario.customers_per_day * s.share * s.basket.lines_mean * s.basket.units_per_line_mean
        pop = segment_popularity(cat.popularity, cat.price, s.price_sensitivity)
        store += units * s.channels.get(CHANNEL_STORE, 0.0) * pop
        online += units * (1 - s.channels.get(CHANNEL_STORE, 0.0)) * pop
    weights = np.array([s.traffic_weight for s in scenario.stores])
    rows = [(store * weight / weights.sum()).tolist() for weight in weights]
    if scenario.warehouse:
        rows.append(online.tolist())
    return rows


def store_area(scenario: Scenario) -> float:
    """The stores' sales area added up, m²; NaN when any store's is not given (sales density is then unknown)."""
    areas = [s.area_m2 for s in scenario.stores]
    return math.nan if not areas or any(a is None for a in areas) else float(sum(a for a in areas if a is not None))


def _policy(cfg: Replenishment, demand: list[float], streams: Streams, stream: str, skus: list[int] | None = None,
            name: str = "") -> NodePolicy:
    """One policy group: levels sized on each SKU's expected daily ``demand``, lead times on their own stream."""
    S = levels(cfg.order_up_to_days, cfg.order_up_to, demand) if cfg.policy != "none" else [0] * len(demand)
    if cfg.presentation_units:  # a display minimum: slow lines still show a size run
        S = [max(x, cfg.presentation_units) for x in S]
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


def build_network(scenario: Scenario, capabilities: Capabilities, engine: Engine, streams: Streams, horizon: float,
                  stock: StockCounters | None = None) -> Network:
    """Stores and call centre as resources, the catalogue, and the stock with its replenishment processes; stock
    levels given in days are sized on the expected demand (the same in every setup), and a stale view of stock is synchronised where the setup has one. ``stock``: the ledger's
    stock section the inventory books into (None: one of its own)."""
    cat = build_catalogue(scenario.catalogue)
    demand = expected_daily_demand(scenario, cat)
    stores = [StoreRt(engine, s) for s in scenario.stores]
    call = CallRt(engine, scenario.call_centre) if scenario.call_centre else None
    warehouse = scenario.warehouse
    cfgs = [s.replenishment for s in scenario.stores] + ([warehouse.replenishment] if warehouse else [])
    policies = [node_policies(cfg, demand[i], streams, i, cat.category) for i, cfg in enumerate(cfgs)]
    inv = Inventory(engine, policies, cat.n, cat.price, scenario.supplier.capacity_units_per_day, DAY_MIN, stock,
                    unit_cost=cat.unit_cost)
    if capabilities.visibility == "stale":
        inv.sync(scenario.fulfilment.sync_interval_min)
    return Network(engine, cat, inv, stores, call, purchase_channels(scenario), research_touchpoints(scenario),
                   demand, horizon, warehouse is not None)


# the daily series that are KPIs: each is its declared KPI over a one-day window
DAILY_KPIS = ("customers", "orders", "revenue", "lost_sales_units", "fill_rate", "stockout_rate",
              "store_wait_mean_min", "call_wait_mean_min", "footfall", "online_sessions")


@dataclass(frozen=True)
class DayEnd:
    """The end of one day (or the horizon, if in mid-day): the counters as of then (a light snapshot of the
    ledger, stock section included, areas brought up to then; None in a run without daily series) and the
    stock's states, which are not counters (the distributions are window KPIs: means over the days' ends)."""

    t: float
    book: Ledger | None
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

    def __init__(self, scenario: Scenario, setup: str, seed: int | np.random.SeedSequence, engine: str = "fast",
                 daily: bool = True):
        self.scenario = scenario
        self.daily = daily  # take a snapshot at each day's end, for the daily series
        self.capabilities = capabilities = resolve(scenario, setup)
        self.engine = make_engine(engine)  # how every mechanism schedules, and the clock (sim.core.engine)
        self.env = self.engine.env
        self.streams = streams = Streams(seed)
        self.horizon = scenario.horizon_days * DAY_MIN
        # the ledger's stock section, booked by the stock
        stock = StockCounters.for_nodes(len(scenario.stores) + (scenario.warehouse is not None))
        self.net = net = build_network(scenario, capabilities, self.engine, streams, self.horizon, stock)
        call_target = scenario.call_centre.target_wait_s / 60.0 if scenario.call_centre else 0.0
        self.book = book = Ledger(Layout(tuple(net.channels), tuple(s.name for s in scenario.stores),
                                         tuple(s.name for s in scenario.segments), tuple(net.research)),
                                  scenario.fulfilment.store_wait_target_min, call_target,
                                  scenario.fulfilment.staff_cost_per_hour, stock,
                                  carrying_rate=scenario.fulfilment.carrying_cost_rate,
                                  store_area_m2=store_area(scenario))
        self.marketing = marketing = Marketing(net, book, scenario, capabilities, streams)
        # recent detractors, kept where an offer targets them; bounded whatever the horizon
        lapsed: deque[tuple[float, Customer]] | None = deque(maxlen=1_000_000) if marketing.wants_lapsed else None
        self.journeys = Journeys(net, book, marketing, scenario, capabilities, streams, lapsed)
        self.after_sale: AfterSale = self.journeys.after_sale
        self.fulfilment: Fulfilment = self.journeys.fulfilment
        if marketing.offers:
            marketing.start_offers(self.journeys.start, lambda: self._today, lapsed)
        self.population = Population(scenario, streams, net.channels, net.research, net.cat.popularity, net.cat.price)
        self.browsing = Browsing(scenario, streams, book)  # visitors who leave without buying, booked per day
        self.warmup_state: Ledger | None = None
        self._today: list[Customer] = []
        self._starts: Starts = NO_STARTS  # their columns, as booked
        self.day_ends: list[DayEnd] = []

    # ----------------------------------------------------------------------------------------- processes
    def start_arrivals(self) -> None:
        """The first block of customers is drawn at t = 0 where a process would start: after the stock's events."""
        self.engine.call_at(0.0, lambda _e: self.arrivals(), URGENT)

    def arrivals(self, d0: int = 0) -> None:
        """Draw the customers of the block of days from ``d0`` and put their journeys on the clock; journey
        counts are booked per block in bulk. The next block is drawn when this one ends: at its last customer's
        start, a wait to the block's end is set (the events and their order those of a loop over the block)."""
        days = math.ceil(self.scenario.horizon_days)
        k = self.population.block_days()
        self._today, self._starts = [], NO_STARTS  # the last block's customers have all arrived: let them go first
        batch, starts = self.population.draw(d0, k, self.horizon)
        self.book.journeys(starts, +1)
        self._today = batch
        self._starts = starts
        last = self.journeys.arrive(batch, starts, self.env.now)
        if d0 + k < days:
            if batch:
                self.engine.call_at(last, partial(self._block_end, d0 + k))
            else:
                self._block_end(d0 + k, None)

    def _block_end(self, d1: int, _event: object) -> None:
        """Wait for day ``d1``, the next block's first (every start of this block was before it)."""
        self.engine.call_after(d1 * DAY_MIN - self.env.now, lambda _e: self.arrivals(d1))

    def _pending(self, now: float) -> Starts:
        """The block's customers who have not arrived by ``now`` (they start after it)."""
        starts = self._starts
        return starts.since(int(np.searchsorted(starts.t, now, side="right")))

    def _snapshot(self) -> Ledger:
        """Counters as of now: today's customers who have not arrived yet are taken out of the copy."""
        pending = self._pending(self.env.now)
        self.book.journeys(pending, -1)
        state = self.book.snapshot()
        self.book.journeys(pending, +1)
        return state

    def start_ticks(self) -> None:
        """The day ends' snapshots (for the daily series) and the warm-up snapshot, a chain of calls on the clock
        that starts at t = 0 (each call schedules the next: at the warm-up's end if it falls in the coming day,
        else at the day's end). Without daily series the day ends still come (the warm-up's end is scheduled from
        the day it falls in, so the events of its instant run in the same order), and take no snapshot."""
        self.engine.call_at(0.0, lambda _e: self._next_tick(0), URGENT)

    def _next_tick(self, day: int) -> None:
        warm = self.scenario.warmup_days * DAY_MIN
        if self.browsing.on:  # the day's visitors who buy nothing; those after a mid-day warm-up's end at its end
            t0, end = day * DAY_MIN, min((day + 1) * DAY_MIN, self.horizon)
            self.browsing.visit(day, t0, warm if t0 < warm < end else end)
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
        warm, end = self.scenario.warmup_days * DAY_MIN, min((day + 1) * DAY_MIN, self.horizon)
        if self.browsing.on and day * DAY_MIN < warm < end:  # the rest of a day whose warm-up ends in its middle
            self.browsing.visit(day, warm, end)
        self._to_day_end(day)

    def _day_ended(self, day: int) -> None:
        self.day_ends.append(self.day_end())
        self._next_tick(day + 1)

    # ----------------------------------------------------------------------------------------- snapshots
    def day_end(self) -> DayEnd:
        """The counters and stock states as of now, for the daily series: a light snapshot of the ledger (no
        wait histograms; the areas brought up to now in the copy, never in the live counters, so measuring a day
        changes no number of the run), today's customers who have not arrived yet taken out of the copy. Without
        daily series, only the stock's states."""
        now = self.env.now
        book = None
        if self.daily:
            book = self.book.light_snapshot(now, self.net.inv.counts_now())
            book.journeys(self._pending(now), -1)  # booked with their batch
        inv = self.net.inv
        nd = wd = math.nan
        if self.net.n_stores:
            held = (np.array(inv.on_hand[: self.net.n_stores]) > 0).mean(axis=0)
            nd, wd = float(held.mean()), float((held * self.net.cat.popularity).sum())
        return DayEnd(now, book, tuple(inv.total), nd, wd)


def _distributions(world: World) -> tuple[float, float]:
    """Numeric and weighted distribution over the window: their means over the ends of its days."""
    warm = world.scenario.warmup_days * DAY_MIN
    snaps = [d for i, d in enumerate(world.day_ends) if (i + 1) * DAY_MIN > warm]
    if not snaps:
        return math.nan, math.nan
    return (float(np.mean([d.numeric_distribution for d in snaps])),
            float(np.mean([d.weighted_distribution for d in snaps])))


def day_windows(world: World) -> list[tuple[Ledger, float, StockFigures]]:
    """Each day as a measured window, from the previous day's end (t = 0 for the first) to its own: its counters,
    its length in minutes and its stock figures (the day's distributions are those of its end)."""
    if not world.daily:
        raise ValueError("this world was run without daily series (daily=False)")
    out = []
    t0, before = 0.0, None
    for end in world.day_ends:
        assert end.book is not None  # a daily world snapshots every day's end
        win = window(end.book, before)
        figures = stock_figures(end.book.stock, before.stock if before else None, end.t - t0, world.net.cat.n,
                                end.numeric_distribution, end.weighted_distribution, len(world.scenario.stores))
        out.append((win, end.t - t0, figures))
        t0, before = end.t, end.book
    return out


def _daily_series(world: World) -> dict[str, list[float]]:
    """One value per day: the KPIs of :data:`DAILY_KPIS` over each one-day window (the declared KPIs, as over
    the measured window), the units asked for that day, and the stock on hand at the day's end, in all and per
    node (stock levels are states, not window figures)."""
    out: dict[str, list[float]] = {k: [] for k in ("customers", "orders", "revenue", "units_demanded",
                                                   "lost_sales_units", "fill_rate", "stockout_rate",
                                                   "store_wait_mean_min", "call_wait_mean_min", "footfall",
                                                   "online_sessions", "on_hand_units")}
    scenario = world.scenario
    nodes = [f"on_hand_units.{s.name}" for s in scenario.stores] + \
        (["on_hand_units.warehouse"] if scenario.warehouse else [])
    out.update({name: [] for name in nodes})  # stock on hand of each node at the end of each day
    for (win, minutes, figures), end in zip(day_windows(world), world.day_ends, strict=True):
        for name, value in compute_kpis(win, minutes, figures, DAILY_KPIS).items():
            out[name].append(value)
        out["units_demanded"].append(float(win.units_demanded))
        out["on_hand_units"].append(float(sum(end.on_hand)))
        for name, units in zip(nodes, end.on_hand, strict=True):
            out[name].append(float(units))
    return out


def _books(world: World) -> dict[str, float]:
    """Whole-run totals that must balance; raises InvariantError if they do not."""
    book = world.book
    orders = sum(book.orders_ch)
    left = sum(book.left)
    problems = world.net.inv.invariant_problems()
    inside = world.journeys.active
    if book.arrived != orders + left + inside:
        problems.append(f"customers: arrived {book.arrived} != ordered {orders} + left {left} + inside {inside}")
    if book.units_demanded != book.stock.units_out + book.units_backordered + book.units_lost:
        problems.append(f"units: demanded {book.units_demanded} != taken from stock {book.stock.units_out} + "
                        f"backordered {book.units_backordered} + lost {book.units_lost}")
    if not math.isclose(book.revenue + book.price_adjustment, book.stock.value_out + book.value_backordered,
                        rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"money: revenue {book.revenue:.2f} + price adjustments {book.price_adjustment:.2f} != value "
                        f"taken from stock {book.stock.value_out:.2f} + value backordered "
                        f"{book.value_backordered:.2f}")
    if not math.isclose(book.revenue, sum(book.value_ch), rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"money: revenue {book.revenue:.2f} != sum of order values {sum(book.value_ch):.2f}")
    if problems:
        raise InvariantError("; ".join(problems))
    return {"arrived": book.arrived, "repeat_journeys": book.repeat_journeys, "ordered": orders, "left": left,
            "inside": inside,
            "units_demanded": book.units_demanded, "units_sold": sum(book.stock.shipped), "revenue": book.revenue,
            "order_value": sum(book.value_ch)}


def simulate(world: World) -> None:
    """Run a built world to its horizon: arrivals and the day ends on the clock, SimPy run, the areas brought up
    to the horizon and the last day's end taken there if the horizon is in mid-day."""
    env = world.env
    world.start_arrivals()
    world.start_ticks()
    # Python's cyclic collector would walk the growing set of live events and customers every few hundred
    # allocations (a third of the run time); the model makes few cycles, so it is off while SimPy runs. Turned on
    # again, its first young collection would walk every object the run left alive (a second on the national
    # chain): they are handed to the oldest generation instead (freeze, then unfreeze), walked only by its rare
    # full collections, and most die with the world by reference counting anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        world.engine.run(world.horizon)
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
    world.net.inv.flush()
    world.book.flush(env.now)
    if len(world.day_ends) < math.ceil(world.scenario.horizon_days):  # the tick at the horizon itself
        world.day_ends.append(world.day_end())


def measured_window(world: World) -> tuple[Ledger, float, StockFigures]:
    """The measured window of a simulated world, from the end of the warm-up to the horizon: its counters, its
    length in minutes and its stock figures (what the declared KPIs are computed from)."""
    start = world.warmup_state
    window_min = world.horizon - world.scenario.warmup_days * DAY_MIN
    figures = stock_figures(world.book.stock, start.stock if start else None, window_min, world.net.cat.n,
                            *_distributions(world), n_stores=len(world.scenario.stores))
    return window(world.book, start), window_min, figures


def run(scenario: ScenarioArgument, setup: str = "omnichannel", seed: int | np.random.SeedSequence = 0,
        engine: str = "fast", daily: bool = True) -> Result:
    """Simulate one replication of ``setup`` on ``scenario``.

    What one simulated stretch of trading looks like under a setup: the customers of ``horizon_days`` arrive,
    research, buy or give up, are served, shipped and return goods; the KPIs are measured after the warm-up. One
    replication is one draw of the simulation's noise: to compare setups, use ``sim.compare`` (several
    replications, intervals, paired differences).

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.
    setup : str, default "omnichannel"
        One of ``sim.available_setups(scenario)``: a built-in setup (``SETUP_NAMES``) or one the scenario defines.
    seed : int or numpy.random.SeedSequence, default 0
        A non-negative integer or a ``SeedSequence``. The same ``seed`` under two setups replays the same
        customers with the same wishes (common random numbers), so their difference is the setups'.
    engine : {"fast", "reference"}
        How the mechanisms schedule (``sim.core.engine``): ``"fast"`` (the default), the product's primitives, or
        ``"reference"``, the same on SimPy's public API only (slower; the golden test checks both give the same
        numbers, their event counts aside).
    daily : bool, default True
        ``False`` takes no snapshot at the days' ends: the window's numbers are the same, ``Result.daily`` is
        empty and a long run with few customers a day (the validation cases) costs less.

    Returns
    -------
    Result
        KPIs over the window after warm-up (DESIGN.md section 3, plus a few diagnostics; each in the unit
        ``sim.KPIS`` declares), daily series (a few KPIs over each day, and the stock at each day's end),
        breakdowns by channel, store, segment, touchpoint and funnel stage, and run statistics (SimPy events,
        journeys, wall-clock seconds).

    Raises
    ------
    ScenarioError
        ``scenario`` is a path whose file cannot be read or is refused (one line per problem).
    TypeError
        ``scenario`` is neither a ``Scenario`` nor a path (a dict: ``sim.scenario_from_dict`` first), or ``seed``
        is not an integer or a ``SeedSequence`` (a bool or a float included); one line naming the argument.
    ValueError
        A negative ``seed``, a ``setup`` the scenario does not offer (the allowed ones named) or an unknown
        ``engine``.

    See Also
    --------
    - ``sim.compare`` : several replications of several setups, with intervals.
    - ``sim.Result`` : what is in the result.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml", overrides={"stores.0.staff": 4})
    res = sim.run(sc, setup="omnichannel", seed=1)
    print(res.kpis["stockout_rate"], res.daily["revenue"][:3], res.breakdown["store"]["paris-rivoli"]["orders"])
    ```
    """
    t0 = time.perf_counter()
    scenario = scenario_argument(scenario)
    ss = as_seed_sequence(seed_argument(seed))
    world = World(scenario, setup, ss, engine, daily)
    simulate(world)
    books = _books(world)
    win, window_min, figures = measured_window(world)
    kpis = compute_kpis(win, window_min, figures)
    events = world.engine.events()
    return Result(scenario=scenario.name, setup=setup, seed=f"{ss.entropy}:{ss.spawn_key}", kpis=kpis,
                  daily=_daily_series(world) if daily else {}, breakdown=breakdown(win, window_min), events=events,
                  customers=world.book.arrived, wall_s=time.perf_counter() - t0, books=books,
                  research=world.net.research,
                  usage_masks=dict(win.tp_usage_masks))
