"""The ledger of one replication: the only writer of its counters, one booking method per thing that happened.

Mechanisms (journeys, fulfilment, after-sale) never touch a counter: they call the ledger with what happened
(an order, a line asked for, a stockout, a customer leaving for a :class:`Leave` reason, a parcel, a return) and
the ledger books it. Nothing here keeps a record per customer: totals, histograms of waits and time-weighted areas
only. Counters are cumulative from t = 0; warm-up is handled by subtracting a :meth:`Ledger.snapshot` taken at the
end of the warm-up (:func:`window`), so the books (customers, units, money) can still be balanced over the whole
run. The KPIs are declared once, as functions of a ledger window, in :mod:`sim.core.kpis`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
from mypy_extensions import mypyc_attr

from sim.scenario.schema import CHANNEL_CALL, CHANNEL_STORE

if TYPE_CHECKING:  # the customers' module books its draws here (Starts): imported for the types only
    from sim.core.customers import Customer

WAIT_BIN_MIN = 0.1        # histogram bin width for queue waits, minutes (p95 to 6 s)
WAIT_BINS = 6_000         # up to 600 minutes; longer waits go to the last bin


class Leave(IntEnum):
    """Why a customer left without buying."""

    RESEARCH = 0           # gave up while researching
    CART_LOST = 1          # switched channel and did not rebuild the cart
    DROPPED_BASKET = 2     # left everything because an item was missing
    STORE_QUEUE = 3        # ran out of patience in a store queue
    STORE_FULL = 4         # found every till and waiting place taken
    CALL_QUEUE = 5         # hung up waiting for an agent on a purchase call
    NOTHING_AVAILABLE = 6  # reached checkout and could get nothing
    PRICE = 7              # saw the basket cheaper in another channel and left
    CART_ABANDONED = 8     # left an online cart at checkout (extra costs, distraction: outside the model)

    @property
    def key(self) -> str:
        return self.name.lower()


# copied (copy.copy, deepcopy) without calling __init__ when compiled (mypyc's serializable; allowing interpreted
# subclasses too is what makes mypyc 2.4's tp_init run __init__ when pure Python constructs one)
@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)
class QueueStats:
    """One queueing station (a store or the call centre): number inside over time, sojourns and waits.

    Little's law is checked on these: the time-average number inside (from ``area``) against arrival rate times
    mean time inside, both over the same window. Its methods are the ledger's bookings for that station.
    """

    __slots__ = ("target", "n", "last", "area", "arrivals", "departures", "sojourn", "served", "wait_sum",
                 "wait_pos", "within", "hist", "abandoned", "balked")
    COUNTERS: ClassVar[tuple[str, ...]] = ("area", "arrivals", "departures", "sojourn", "served", "wait_sum",
                                           "wait_pos", "within", "abandoned", "balked")

    def __init__(self, target_min: float):
        self.target = target_min
        self.n = 0
        self.last = 0.0
        self.area = 0.0
        self.arrivals = self.departures = self.served = self.wait_pos = self.within = 0
        self.abandoned = self.balked = 0
        self.sojourn = self.wait_sum = 0.0
        self.hist = [0] * WAIT_BINS

    def enter(self, now: float) -> None:
        self.area += self.n * (now - self.last)
        self.last = now
        self.n += 1
        self.arrivals += 1

    def leave(self, now: float, since: float) -> None:
        self.area += self.n * (now - self.last)
        self.last = now
        self.n -= 1
        self.departures += 1
        self.sojourn += now - since

    def waited(self, wait: float) -> None:
        """A customer reached a server after ``wait`` minutes."""
        self.served += 1
        if wait == 0.0:  # most customers: a free server at once (adding 0.0 to the sum would change nothing)
            if self.target >= 0.0:
                self.within += 1
            self.hist[0] += 1
            return
        self.wait_sum += wait
        if wait > 0:
            self.wait_pos += 1
        if wait <= self.target:
            self.within += 1
        b = int(wait / WAIT_BIN_MIN)
        self.hist[b if b < WAIT_BINS else WAIT_BINS - 1] += 1

    def gave_up(self, now: float, since: float) -> None:
        """A customer inside since ``since`` ran out of patience before reaching a server."""
        self.abandoned += 1
        self.leave(now, since)

    def balk(self) -> None:
        """An arrival that found every place taken and never entered."""
        self.arrivals += 1
        self.balked += 1

    def flush(self, now: float) -> None:
        self.area += self.n * (now - self.last)
        self.last = now

    def light_copy(self, now: float) -> QueueStats:
        """The counters as of ``now`` without the wait histogram (left empty): the area brought up to ``now`` in
        the copy only, so the station's own integral is not split (which would move its last bits)."""
        out = copy.copy(self)
        out.hist = []
        out.area = self.area + self.n * (now - self.last)
        out.last = now
        return out


def merge_queues(qs: Sequence[QueueStats]) -> QueueStats:
    """One station's figures for several (e.g. every store): counters added, histograms added bin by bin."""
    out = QueueStats(qs[0].target if qs else 0.0)
    if qs:
        out.hist = [0] * len(qs[0].hist)  # light copies have none
    for q in qs:
        for name in QueueStats.COUNTERS:
            setattr(out, name, getattr(out, name) + getattr(q, name))
        out.hist = [x + y for x, y in zip(out.hist, q.hist, strict=True)]
    return out


def _fields_of(obj: Any) -> tuple[Any, ...]:
    """A frozen dataclass's ``__reduce__``: its class and its fields, so copies and pickles call ``__init__``
    (what a compiled frozen class needs; mypyc's ``serializable`` would assign its frozen fields)."""
    return type(obj), tuple(getattr(obj, f.name) for f in fields(obj))


@dataclass(frozen=True)
class Layout:
    """What the counters are indexed by (not counters: a window keeps it as it is)."""

    channels: tuple[str, ...]      # purchase channels: store, the selling touchpoints, call centre
    stores: tuple[str, ...]
    segments: tuple[str, ...]
    touchpoints: tuple[str, ...]   # research touchpoints, in bit order (store and call centre last)

    @property
    def ch_store(self) -> int:
        return self.channels.index(CHANNEL_STORE) if CHANNEL_STORE in self.channels else -1

    @property
    def ch_call(self) -> int:
        return self.channels.index(CHANNEL_CALL) if CHANNEL_CALL in self.channels else -1

    @property
    def channel_bit(self) -> list[int]:
        """Each purchase channel's bit in a customer's mask of research touchpoints."""
        return [1 << self.touchpoints.index(ch) for ch in self.channels]

    def __reduce__(self) -> tuple[Any, ...]:
        return _fields_of(self)


@dataclass(frozen=True)
class StockFigures:
    """The inventory's figures over a window (they come from the stock, not from customers' bookings)."""

    units_out: int                   # units taken from stock (sold or sent), substitutes included
    avg_on_hand_units: float
    avg_backorder_units: float
    inventory_turns: float
    cycle_service_level: float
    numeric_distribution: float
    weighted_distribution: float
    end_of_period_on_hand: float
    supplier_backlog_units: float
    avg_stock_value: float = float("nan")  # stock on hand valued at unit cost, time average, euros
    store_inventory_turns: float = float("nan")      # the stores' units shipped a year over their units on hand
    warehouse_inventory_turns: float = float("nan")  # the same for the warehouse (NaN without one)

    def __reduce__(self) -> tuple[Any, ...]:
        return _fields_of(self)


@mypyc_attr(serializable=True)
@dataclass(slots=True)
class StockCounters:
    """The inventory's section of the ledger: its counters, cumulative from t = 0, per node (stores, then the
    warehouse) where a list. :class:`sim.core.inventory.Inventory` books into it with plain increments (it is
    handed the section when built); levels (on hand, on order, owed, in transit) stay with the inventory, being
    states, not counters. Time-weighted areas are brought up to date lazily, at the next change of their level.
    """

    area: list[float]           # integral of the units on hand over time, unit-minutes
    bo_area: list[float]        # integral of the units owed on backorder over time
    received: list[int]         # units received from the supplier
    returned: list[int]         # units customers brought back
    written_off: list[int]      # returned units found unsellable
    shipped: list[int]          # units leaving the node to customers (backorder fills included)
    orders_placed: list[int]    # replenishment orders
    cycles: list[int]           # replenishment cycles closed, of (node, SKU)
    cycles_ok: list[int]        # of which without a shortage
    eod_on_hand: list[int]      # a policy group's on hand summed at each of its period ends, before receipts
    eod_count: list[int]        # SKU-periods: the group's number of SKUs added at each period end
    units_out: int = 0          # units taken at once from on hand by customers' orders
    value_out: float = 0.0      # their value at selling price
    ordered_units: int = 0      # units ordered from the supplier
    released: int = 0           # of which the supplier has shipped
    backlog_area: float = 0.0   # integral of the units waiting at the supplier over time, unit-minutes
    value_area: list[float] = field(default_factory=list)  # integral of the stock's value at cost, euro-minutes

    @classmethod
    def for_nodes(cls, n: int) -> StockCounters:
        """A fresh section for ``n`` nodes."""
        return cls(area=[0.0] * n, bo_area=[0.0] * n, received=[0] * n, returned=[0] * n, written_off=[0] * n,
                   shipped=[0] * n, orders_placed=[0] * n, cycles=[0] * n, cycles_ok=[0] * n,
                   eod_on_hand=[0] * n, eod_count=[0] * n, value_area=[0.0] * n)

    def copy(self) -> StockCounters:
        """A typed copy (the lists copied, so later bookings do not reach it)."""
        return StockCounters(**{f.name: _copied(getattr(self, f.name)) for f in fields(self)})


def _copied(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


class Starts:
    """A batch of journeys starting, as the columns the ledger counts (one entry per customer, in start order):
    start times, intended purchase channel, segment, store, research minutes, whether the cart was built in
    another channel, research steps; ``steps`` holds every customer's research touchpoints in visiting order, one
    customer after the other (``n_tp`` of them each). Drawn with the customers (:mod:`sim.core.customers`), so
    the ledger books a batch without reading its customers one by one."""

    def __init__(self, t: np.ndarray, channel: np.ndarray, seg: np.ndarray, store: np.ndarray,
                 research_min: np.ndarray, switch: np.ndarray, n_tp: np.ndarray, steps: np.ndarray):
        self.t = t
        self.channel = channel
        self.seg = seg
        self.store = store
        self.research_min = research_min
        self.switch = switch
        self.n_tp = n_tp
        self.steps = steps

    def __len__(self) -> int:
        return int(self.t.size)

    def since(self, i: int) -> Starts:
        """The customers from the ``i``-th on (the batch's suffix)."""
        first = int(self.n_tp[:i].sum())
        return Starts(self.t[i:], self.channel[i:], self.seg[i:], self.store[i:], self.research_min[i:],
                      self.switch[i:], self.n_tp[i:], self.steps[first:])


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)  # copied: see QueueStats
class Ledger:
    """Every counter of one replication and the bookings that write them. Lists run over the :class:`Layout`'s
    channels, stores, segments and touchpoints."""

    PARAMETERS: ClassVar[tuple[str, ...]] = ("layout", "staff_cost_per_hour", "carrying_rate", "store_area_m2")
    """What a window keeps as it is: what the counters are indexed by, the price of staff time, the yearly
    carrying rate of stock and the stores' sales area."""

    def __init__(self, layout: Layout, store_target_min: float, call_target_min: float,
                 staff_cost_per_hour: float = 0.0, stock: StockCounters | None = None, carrying_rate: float = 0.0,
                 store_area_m2: float = float("nan")):
        """``stock``: the inventory's section, the one handed to the inventory (None: an empty one, no nodes);
        ``carrying_rate``: the yearly cost of holding stock, a share of its value at cost; ``store_area_m2``: the
        stores' sales area added up (NaN when a store's is unknown)."""
        self.layout = layout
        self.store_area_m2 = store_area_m2  # a size, not a counter: sales density divides by it
        self.stock = stock if stock is not None else StockCounters.for_nodes(0)
        self.staff_cost_per_hour = staff_cost_per_hour  # a price, not a counter: the KPIs price picking with it
        self.carrying_rate = carrying_rate  # a price too: the KPIs price the stock's value held with it
        nc, ns, ng = len(layout.channels), len(layout.stores), len(layout.segments)
        self._ch_store = layout.ch_store
        self._channel_bit = layout.channel_bit
        self._channels_mask = sum(self._channel_bit)  # research bits of the places where one can buy
        self._store_bit = self._channel_bit[self._ch_store] if self._ch_store >= 0 else 0
        self._store_tp = layout.touchpoints.index(CHANNEL_STORE) if CHANNEL_STORE in layout.touchpoints else -1
        # customers
        self.arrived = 0
        self.left = [0] * len(Leave)         # by Leave reason
        self.journeys_ch = [0] * nc          # journeys by intended purchase channel
        self.journeys_seg = [0] * ng
        self.research_min = 0.0              # time spent researching (visits and gaps, calls excluded), minutes
        self.tp_visits = [0] * len(layout.touchpoints)  # visits per research touchpoint, all journeys
        self.store_research = [0] * ns       # of which research visits to a store, per store (the customer's own)
        self.tp_visits_ordered = 0           # research touchpoints of the journeys that ended in an order
        self.switches = 0                    # journeys whose cart was built in another channel than the purchase
        self.ropo = 0                        # store purchases preceded by online research
        self.tp_usage_masks: dict[int, int] = {}  # ordering customers by the set (bit mask) of touchpoints used
        self.repeat_journeys = 0
        self.repeat_orders = 0
        self.view_to_store = 0               # customers the store stock shown online sent to the store to buy
        self.view_to_online = 0              # customers it kept from a store trip: they ordered online instead
        self.wasted_store_trips = 0          # store buyers who found a line they came for short on the shelf
        # orders and money
        self.orders_ch = [0] * nc
        self.orders_seg = [0] * ng
        self.units_ch = [0] * nc
        self.units_seg = [0] * ng
        self.value_ch = [0.0] * nc
        self.value_seg = [0.0] * ng
        # buyers by class 2 * segment + multi, multi = 1 when the journey used two or more channels (the places
        # where one can buy: store, selling touchpoints, call centre; collecting an order in store uses the
        # store); units and value include what a buyer adds at pickup
        self.class_orders = [0] * (2 * ng)
        self.class_units = [0] * (2 * ng)
        self.class_value = [0.0] * (2 * ng)
        self.orders_store = [0] * ns
        self.revenue = 0.0                   # price x units, accumulated line by line
        self.value_shipped = 0.0             # value of online and phone orders not collected in store
        self.cogs = 0.0
        self.fulfilment_cost = 0.0
        # item requests (one per basket line) and units
        self.requests_ch = [0] * nc
        self.stockouts_ch = [0] * nc
        self.requests_store = [0] * ns
        self.stockouts_store = [0] * ns
        self.shelf_short_store = [0] * ns    # store lines whose SKU was short on the shelf (on-shelf availability)
        self.units_demanded = 0
        self.units_remote = 0                # of which from another node than the channel's own
        self.units_backordered = 0
        self.value_backordered = 0.0
        self.units_lost = 0
        self.value_lost = 0.0
        self.units_failed_promise = 0        # promised on a stale view, not there at picking
        self.failed_promises = 0             # order lines so promised and cancelled at picking
        self.units_recommended = 0
        self.value_recommended = 0.0         # their value at the price quoted to the customer
        self.units_substituted = 0           # taken from stock as a substitute for a missing SKU
        # after-sale
        self.rated = [0, 0, 0]               # promoters, passives, detractors
        self.reviews = [0, 0, 0]             # public reviews written, by the same grades
        self.returned_orders = 0             # orders brought back (counted when the customer brings them)
        self.returned_units = 0              # units brought back
        self.returned_units_online = 0       # of which bought online or by phone
        self.written_off_units = 0           # of which found unsellable at handling
        self.returns_at_store = 0            # returns taken back in a store (not the warehouse)
        self.refunds = 0.0
        # online orders and shipments
        self.online_orders = 0
        self.online_done = 0
        self.on_time = 0
        self.lead_time_sum_days = 0.0
        self.shipments = {"home": 0, "collect_warehouse": 0, "store_pickup": 0, "ship_from_store": 0,
                          "pickup_point": 0, "transfer": 0}
        self.transfers = 0                   # store-to-store transfers for a customer to collect
        self.delivery_km = 0.0               # distance from the shipping node to the customer's area, all parcels
        self.picks_store = [0] * ns
        self.pick_min_store = [0.0] * ns     # staff minutes spent picking online orders, counted as a pick starts
        self.pickup_extra_units = 0          # impulse buys by customers collecting an order in store
        self.pickup_extra_value = 0.0
        # marketing
        self.reminders_sent = 0              # abandoned online carts reminded (counted when the cart is abandoned)
        self.carts_recovered = 0             # orders by customers who came back to their cart after a reminder
        self.recovered_revenue = 0.0
        self.chatbot_contacts = 0            # service contacts that met the chatbot
        self.chatbot_answered = 0            # of which it answered without an agent
        self.chatbot_failed = 0              # of which it answered badly
        self.price_mismatches = 0            # checkouts where a researched channel showed the basket cheaper
        self.price_switches = 0              # of which the customer bought in the cheaper channel instead
        self.price_adjustment = 0.0          # catalogue value minus value paid (discounts and channel prices)
        self.promotion_revenue = 0.0         # value paid for units on promotion
        self.offers_sent = 0                 # targeted offers sent
        self.offer_cost = 0.0                # their sending cost
        self.offer_orders = 0                # orders by customers an offer brought
        self.offer_revenue = 0.0
        # visitors who leave without buying (sim.core.browsing): counted per day, not simulated one by one
        self.browsers_store = [0] * ns       # store visitors who bought nothing, beyond the journeys, per store
        self.sessions_ch = [0] * nc          # sessions without an order on each selling touchpoint, by channel
        # online checkouts (a customer who comes back to a cart after a reminder starts another)
        self.checkouts_ch = [0] * nc         # checkouts started on each online channel
        self.checkouts_abandoned_ch = [0] * nc  # of which left at checkout (whether a reminder brings them back)
        # queues
        self.store_q = [QueueStats(store_target_min) for _ in layout.stores]
        self.call_q = QueueStats(call_target_min)

    # ----------------------------------------------------------------------------------------- journeys
    def journeys(self, batch: Starts, sign: int = 1) -> None:
        """Journeys starting: a batch of customers booked in bulk from their columns (``sign`` -1 takes them
        back: a suffix of the batch, :meth:`Starts.since`)."""
        n = len(batch)
        if not n:
            return
        ch = np.bincount(batch.channel, minlength=len(self.journeys_ch)).tolist()
        seg = np.bincount(batch.seg, minlength=len(self.journeys_seg)).tolist()
        self.journeys_ch = [a + sign * b for a, b in zip(self.journeys_ch, ch, strict=True)]
        self.journeys_seg = [a + sign * b for a, b in zip(self.journeys_seg, seg, strict=True)]
        self.arrived += sign * n
        self.research_min += sign * sum(batch.research_min.tolist())  # Python's sum: left to right, as one by one
        steps = batch.steps
        visits = np.bincount(steps, minlength=len(self.tp_visits)).tolist()
        self.tp_visits = [a + sign * b for a, b in zip(self.tp_visits, visits, strict=True)]
        if self._store_tp >= 0 and visits[self._store_tp]:  # research visits to a store, by the customer's store
            owner = np.repeat(batch.store, batch.n_tp)
            per = np.bincount(owner[steps == self._store_tp], minlength=len(self.store_research)).tolist()
            self.store_research = [a + sign * b for a, b in zip(self.store_research, per, strict=True)]
        self.switches += sign * int(np.count_nonzero(batch.switch))

    def repeat_journey(self, c: Customer) -> None:
        """One returning customer's journey starting (the counters of :meth:`journeys`, without numpy's cost)."""
        self.arrived += 1
        self.repeat_journeys += 1
        self.journeys_ch[c.channel] += 1
        self.journeys_seg[c.seg] += 1
        self.research_min += c.research_min
        self.switches += c.switch
        for tp in c.path:
            self.tp_visits[tp] += 1
            if tp == self._store_tp:
                self.store_research[c.store] += 1

    def customer_left(self, reason: Leave) -> None:
        self.left[reason] += 1

    def stock_view_switch(self, to_store: bool) -> None:
        """A customer changed channel on seeing their store's stock online: to the store, or to an online order."""
        if to_store:
            self.view_to_store += 1
        else:
            self.view_to_online += 1

    def wasted_trip(self) -> None:
        """A store buyer reached the shelf and found a line they came for short."""
        self.wasted_store_trips += 1

    # ----------------------------------------------------------------------------------------- orders
    def order(self, c: Customer, ch: int, units: int, value: float, cogs: float, collect: bool = False) -> int:
        """An order of ``units`` worth ``value`` in channel ``ch``; ``collect``: the buyer collects in store.
        Returns the buyer's class, ``2 * segment + multi`` (multi: the journey used two or more channels)."""
        self.revenue += value
        self.cogs += cogs
        self.repeat_orders += c.repeat
        self.orders_ch[ch] += 1
        self.units_ch[ch] += units
        self.value_ch[ch] += value
        self.orders_seg[c.seg] += 1
        self.units_seg[c.seg] += units
        self.value_seg[c.seg] += value
        if ch == self._ch_store:
            self.ropo += c.online
        elif not collect:
            self.value_shipped += value
        self.tp_visits_ordered += c.n_tp
        usage = self.tp_usage_masks  # decoded into counts per touchpoint after the run
        mask = c.tp_mask | self._channel_bit[ch]  # where they bought counts as used
        usage[mask] = usage.get(mask, 0) + 1
        if collect:
            mask |= self._store_bit
        cls: int = 2 * c.seg + (((mask & self._channels_mask).bit_count()) > 1)
        self.class_orders[cls] += 1
        self.class_units[cls] += units
        self.class_value[cls] += value
        if c.recovered:
            self.carts_recovered += 1
            self.recovered_revenue += value
        if c.offer >= 0:
            self.offer_orders += 1
            self.offer_revenue += value
        return cls

    def store_ticket(self, store: int) -> None:
        """A store customer left the till with something."""
        self.orders_store[store] += 1

    def extra_purchase(self, ch: int, cls: int, price: float, cost: float) -> None:
        """One unit bought on impulse when collecting an order: adds to the buyer's spend, not to the orders."""
        self.units_demanded += 1
        self.revenue += price
        self.cogs += cost
        self.units_ch[ch] += 1
        self.value_ch[ch] += price
        self.pickup_extra_units += 1
        self.pickup_extra_value += price
        self.class_units[cls] += 1
        self.class_value[cls] += price

    # ----------------------------------------------------------------------------------------- basket lines
    def demanded(self, units: int, recommended: int = 0, recommended_value: float = 0.0) -> None:
        """A basket asked for: ``units`` in all, of which ``recommended`` from accepted recommendations, worth
        ``recommended_value`` at the price quoted to the customer."""
        self.units_demanded += units
        self.units_recommended += recommended
        self.value_recommended += recommended_value

    def lines_asked(self, ch: int, n: int, store: int = -1) -> None:
        """``n`` basket lines asked for in channel ``ch`` (and in ``store`` for a walk-in customer)."""
        self.requests_ch[ch] += n
        if store >= 0:
            self.requests_store[store] += n

    def stockout(self, ch: int, store: int = -1, lines: int = 1) -> None:
        """``lines`` basket lines not served in full from stock when asked."""
        self.stockouts_ch[ch] += lines
        if store >= 0:
            self.stockouts_store[store] += lines

    def shelf_short(self, store: int) -> None:
        """A store line whose SKU was short on the shelf when the customer reached it."""
        self.shelf_short_store[store] += 1

    def lost(self, units: int, value: float) -> None:
        """Units asked for and not sold: a lost sale."""
        self.units_lost += units
        self.value_lost += value

    def backordered(self, units: int, value: float) -> None:
        self.units_backordered += units
        self.value_backordered += value

    def failed_promise(self, units: int) -> None:
        """A line promised on a stale view of stock and cancelled at picking for ``units`` missing units."""
        self.units_failed_promise += units
        self.failed_promises += 1

    def remote(self, units: int) -> None:
        """Units served from another node than the channel's own."""
        self.units_remote += units

    def substituted(self, units: int) -> None:
        self.units_substituted += units

    # ----------------------------------------------------------------------------------------- shipments
    def online_order(self) -> None:
        """An order with parcels to prepare or deliver."""
        self.online_orders += 1

    def parcel(self, kind: str, km: float, cost: float, store: int = -1, transfer: bool = False) -> None:
        """A parcel of ``kind`` over ``km`` at ``cost``; ``store``: the store that picks it (-1: the warehouse)."""
        self.shipments[kind] += 1
        self.delivery_km += km
        self.fulfilment_cost += cost
        if store >= 0:
            self.picks_store[store] += 1
            self.transfers += transfer

    def picked(self, store: int, minutes: float) -> None:
        """Staff of ``store`` start picking a parcel, which takes them ``minutes``."""
        self.pick_min_store[store] += minutes

    def order_done(self, lead_days: float, on_time: bool) -> None:
        """An order's last parcel is ready, ``lead_days`` after the order."""
        self.online_done += 1
        self.lead_time_sum_days += lead_days
        self.on_time += on_time

    # ----------------------------------------------------------------------------------------- after-sale
    def rating(self, grade: int) -> None:
        """How a customer speaks of it: 0 promoter, 1 passive, 2 detractor."""
        self.rated[grade] += 1

    def review(self, grade: int) -> None:
        self.reviews[grade] += 1

    def returned(self, units: int, refund: float, at_store: bool, online: bool) -> None:
        """An order's lines brought back: ``units`` refunded ``refund``, in a store or at the warehouse."""
        self.returned_orders += 1
        self.refunds += refund
        self.returns_at_store += at_store
        self.returned_units += units
        if online:
            self.returned_units_online += units

    def written_off(self, units: int) -> None:
        self.written_off_units += units

    # ----------------------------------------------------------------------------------------- marketing
    def reminder_sent(self) -> None:
        self.reminders_sent += 1

    def chatbot_contact(self, answered: bool, failed: bool) -> None:
        """A service contact met the chatbot, which answered it (well or badly) or handed it to the agents."""
        self.chatbot_contacts += 1
        self.chatbot_answered += answered
        self.chatbot_failed += failed

    def price_mismatch(self) -> None:
        self.price_mismatches += 1

    def price_switch(self) -> None:
        """A customer bought in another channel than meant for a lower price: a channel switch."""
        self.price_switches += 1
        self.switches += 1

    def offers(self, sent: int, cost: float) -> None:
        """A campaign of ``sent`` targeted offers, costing ``cost`` to send."""
        self.offers_sent += sent
        self.offer_cost += cost

    def priced(self, adjustment: float, promoted: float) -> None:
        """A sale's catalogue value minus what was paid, and the value paid for units on promotion."""
        self.price_adjustment += adjustment
        self.promotion_revenue += promoted

    # ----------------------------------------------------------------------------------------- browsing, checkouts
    def browsed(self, stores: Sequence[int], sessions: Sequence[int]) -> None:
        """Visitors who left without buying, in bulk: ``stores`` per store, ``sessions`` per purchase channel."""
        self.browsers_store = [a + b for a, b in zip(self.browsers_store, stores, strict=True)]
        self.sessions_ch = [a + b for a, b in zip(self.sessions_ch, sessions, strict=True)]

    def checkout(self, ch: int) -> None:
        """A customer reached the checkout of online channel ``ch``."""
        self.checkouts_ch[ch] += 1

    def checkout_abandoned(self, ch: int) -> None:
        """A customer left their cart at the checkout of online channel ``ch``."""
        self.checkouts_abandoned_ch[ch] += 1

    # ----------------------------------------------------------------------------------------- snapshots
    def flush(self, now: float) -> None:
        """Bring the time-weighted areas of the queues up to ``now``."""
        for q in self.store_q:
            q.flush(now)
        self.call_q.flush(now)

    def snapshot(self) -> Ledger:
        """A deep copy: the counters as of now (e.g. at the end of the warm-up)."""
        return copy.deepcopy(self)

    def light_snapshot(self, now: float, stock: StockCounters) -> Ledger:
        """The counters as of ``now`` without the queues' wait histograms (what a percentile needs; a day's copy
        of every store's would cost more than the day's bookings), with ``stock`` as the inventory's section
        (a copy with its areas brought up to ``now``); the queues' areas are brought up to ``now`` in the copy."""
        out = copy.copy(self)
        for name, value in self.counters().items():
            if isinstance(value, list):
                value = [q.light_copy(now) for q in value] if value and isinstance(value[0], QueueStats) \
                    else list(value)
            elif isinstance(value, dict):
                value = dict(value)
            elif isinstance(value, QueueStats):
                value = value.light_copy(now)
            setattr(out, name, value)
        out.stock = stock
        return out

    def counters(self) -> dict[str, Any]:
        """Every counter by name (what a window subtracts); the :data:`PARAMETERS` and private fields are left out."""
        state: dict[str, Any] = self.__getstate__()  # type: ignore[assignment]  # vars(), compiled or not
        return {k: v for k, v in state.items() if not k.startswith("_") and k not in self.PARAMETERS}


T = TypeVar("T")


def _diff(a: T, b: T) -> T:
    """Counter-wise ``a - b`` for nested numbers, lists, dicts and QueueStats."""
    if isinstance(a, int | float):
        return a - b  # type: ignore[operator, return-value]
    if isinstance(a, list):
        return [_diff(x, y) for x, y in zip(a, b, strict=True)]  # type: ignore[call-overload, return-value]
    if isinstance(a, dict):
        return {k: _diff(a[k], b.get(k, 0)) for k in a}  # type: ignore[attr-defined, return-value]
    if isinstance(a, QueueStats):
        out = QueueStats(a.target)
        for name in (*QueueStats.COUNTERS, "hist"):
            setattr(out, name, _diff(getattr(a, name), getattr(b, name)))
        out.n = a.n
        return out  # type: ignore[return-value]
    if isinstance(a, StockCounters):
        return StockCounters(**{f.name: _diff(getattr(a, f.name), getattr(b, f.name))  # type: ignore[return-value]
                                for f in fields(a)})
    return a


def window(end: Ledger, start: Ledger | None) -> Ledger:
    """The counters of the measured window: ``end`` minus the snapshot ``start`` (None: the whole run)."""
    if start is None:
        return end
    out = copy.copy(end)
    for name, value in end.counters().items():
        setattr(out, name, _diff(value, getattr(start, name)))
    return out
