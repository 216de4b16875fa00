"""Stock per node and SKU: on hand, on order, backorders; replenishment policies; the supplier; a stale view.

Nodes are the stores (0..n-1) then the warehouse (n, if any). Stock is held in plain lists of ints; each node keeps
its total on hand and a time-weighted area, so ``avg_on_hand_units`` needs no record per event. The counters
(flows, areas, cycles) are booked into the ledger's stock section (:class:`sim.core.ledger.StockCounters`), handed to
the inventory when it is built; the levels (on hand, on order, owed, in transit) are kept here.

Policies are per (node, SKU): each node has one or more policy groups (:class:`NodePolicy`), its own policy for
most SKUs and one group per catalogue category that has a policy of its own (``replenishment.by_category``).
``policy_of[node][sku]`` is the SKU's group; each periodic group has its own review events and period, each group
its own lead-time stream.

Every order goes to one supplier. Without a capacity it ships every order at once. With a capacity of C units a
day it ships at most C units per calendar day, all nodes and SKUs together: an order ships at once (partially if
need be) while the day's capacity lasts and no earlier order is waiting; the rest waits in one first-in first-out
backlog, released from the next days' capacity at midnight. Each shipment then travels its group's lead time.
Units waiting at the supplier are on order: they count in the inventory position and in ``in_transit``.

Event order at one instant (VALIDATION.md, plus the supplier): period end (measure) -> the supplier's new day
(release the backlog) -> receive -> review and order -> demand.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

from sim.core.engine import Engine
from sim.core.ledger import StockCounters
from sim.core.rng import Sampler

# SimPy pops events by (time, priority, id); timeouts and processes use 0 (urgent) and 1 (normal).
PRIO_PERIOD_END = -4
PRIO_SUPPLIER = -3
PRIO_RECEIVE = -2
PRIO_REVIEW = -1


class NodePolicy:
    """Replenishment of a group of SKUs at one node: kind, levels per SKU (units, indexed by SKU over the whole
    catalogue), review period and lead time (minutes), lost sales or backorders.

    ``skus`` lists the SKUs the group governs (None: all of them); ``name`` is its category ('' for the node's own
    policy); ``together``: what a periodic review ships travels as one delivery with one lead time.
    """

    __slots__ = ("kind", "S", "s", "Q", "review_min", "lead", "backorders", "skus", "name", "together")

    def __init__(self, kind: str, S: list[int], s: list[int], review_min: float, lead: Sampler, backorders: bool,
                 Q: int | None = None, skus: list[int] | None = None, name: str = "", together: bool = False):
        """``s[sku]`` = -inf-like (below any position) for a pure order-up-to review; ``Q`` for (s,Q)."""
        self.kind, self.S, self.s, self.Q, self.review_min = kind, S, s, Q, review_min
        self.lead, self.backorders = lead, backorders
        self.skus = list(range(len(S))) if skus is None else list(skus)
        self.name = name
        self.together = together

    def order_size(self, sku: int, position: int) -> int:
        """Units to order at this position: 0 above the reorder point; else up to S, or enough multiples of Q
        to lift the position above s."""
        if position > self.s[sku]:
            return 0
        if self.Q is None:
            return max(self.S[sku] - position, 0)
        return (((self.s[sku] - position) // self.Q) + 1) * self.Q


class Inventory:
    """All stock of the network and its supplier. The counters that the stock KPIs and invariants need are booked
    into ``counts``, the ledger's stock section (:class:`sim.core.ledger.StockCounters`); the levels are here."""

    def __init__(self, engine: Engine, policies: Sequence[list[NodePolicy] | NodePolicy], n_skus: int,
                 price: list[float], supplier_capacity: int | None = None, day_min: float = 1440.0,
                 counts: StockCounters | None = None, unit_cost: list[float] | None = None):
        """``policies[node]``: the node's policy groups, covering each SKU exactly once (a single NodePolicy is a
        one-group node). ``supplier_capacity``: units shipped per day of ``day_min`` minutes; None = unlimited.
        ``engine``: the run's scheduling API (sim.core.engine). ``counts``: the ledger's stock section to book
        into, fresh (None: a section of its own). ``unit_cost``: per SKU, what a unit on hand is worth at cost
        (None: nothing; the stock's value is then 0)."""
        self.clock = engine.clock  # the time, read natively
        self._call_after = engine.call_after
        self.groups = [[p] if isinstance(p, NodePolicy) else list(p) for p in policies]
        self.n_nodes = len(self.groups)
        self.policy_of = [_cover(node, gs, n_skus) for node, gs in enumerate(self.groups)]
        # per (node, SKU), read on the hot path
        self.continuous = [[p.kind == "continuous" for p in row] for row in self.policy_of]
        # whether a node reviews any SKU continuously: a node that reviews none (a store's weekly allocation) skips
        # the per-SKU row, a cache miss on every take of a large catalogue
        self.any_continuous = [any(row) for row in self.continuous]
        self.backorders_ok = [[p.backorders for p in row] for row in self.policy_of]
        self.price = price
        # initial stock is the order-up-to level S
        self.on_hand = [[p.S[sku] if p.kind != "none" else 0 for sku, p in enumerate(row)] for row in self.policy_of]
        self.on_order = [[0] * n_skus for _ in range(self.n_nodes)]
        self.backorders = [[0] * n_skus for _ in range(self.n_nodes)]
        self.short_in_cycle = [[False] * n_skus for _ in range(self.n_nodes)]
        self.total = [sum(row) for row in self.on_hand]
        # the value on hand at cost per node, kept beside the units (its time integral is counts.value_area)
        self.cost = list(unit_cost) if unit_cost is not None else [0.0] * n_skus
        self.value = [sum(q * c for q, c in zip(row, self.cost, strict=True)) for row in self.on_hand]
        self.last = [0.0] * self.n_nodes       # when counts.area was last brought up to date, per node
        self.bo_total = [0] * self.n_nodes     # units owed
        self.bo_last = [0.0] * self.n_nodes
        self.initial_units = sum(self.total)
        self.counts = counts = StockCounters.for_nodes(self.n_nodes) if counts is None else counts
        if len(counts.area) != self.n_nodes or counts != StockCounters.for_nodes(self.n_nodes):
            raise ValueError(f"the stock section must be fresh and have {self.n_nodes} nodes")
        self.handling = 0                      # returned units still being handled (not yet sellable nor written off)
        self.in_transit = 0                    # units ordered from the supplier not yet received
        self.snapshot: list[list[int]] | None = None  # stale view, refreshed by sync()
        # the supplier: units ordered, shipped, and waiting in its backlog (a FIFO of [node, sku, units])
        self.capacity = supplier_capacity
        self.day_min = day_min
        self.budget = supplier_capacity or 0   # units it may still ship today
        self.backlog: deque[list[int]] = deque()
        self.backlog_units = 0
        self.backlog_last = 0.0
        # stock on its way from the supplier (days away: waits outside SimPy's queue until its day, see Later)
        self._arrival = engine.later(self._arrived, PRIO_RECEIVE, period=day_min)
        self._delivery = engine.later(self._delivered, PRIO_RECEIVE, period=day_min)  # a review's orders on one truck
        self._truck: list[tuple[int, int]] | None = None  # loaded while a per-review delivery's review ships
        for node, gs in enumerate(self.groups):
            for g in gs:
                if g.kind == "periodic":
                    self._schedule(self._period_end_cb(node, g), PRIO_PERIOD_END, 0.0)
        if supplier_capacity is not None:
            self._schedule(self._supplier_day, PRIO_SUPPLIER, day_min)

    # ----------------------------------------------------------------------------------------- hot path
    def take(self, node: int, sku: int, qty: int) -> int:
        """Withdraw up to ``qty`` units at once from on hand; return how many were taken."""
        row = self.on_hand[node]
        have = row[sku]
        got = qty if have >= qty else have
        if got < qty:
            self.short_in_cycle[node][sku] = True
        if got:
            now = self.clock.now
            c = self.counts
            total, last = self.total, self.last
            dt = now - last[node]
            c.area[node] += total[node] * dt
            c.value_area[node] += self.value[node] * dt
            last[node] = now
            row[sku] = have - got
            total[node] -= got
            self.value[node] -= got * self.cost[sku]
            c.shipped[node] += got
            c.units_out += got
            c.value_out += got * self.price[sku]
        if self.any_continuous[node] and self.continuous[node][sku]:
            self._continuous_review(node, sku)
        return got

    def backorder(self, node: int, sku: int, qty: int) -> None:
        """Record ``qty`` units owed to customers, filled first from the next receipts."""
        self._owe(node, qty)
        self.backorders[node][sku] += qty
        if self.any_continuous[node] and self.continuous[node][sku]:
            self._continuous_review(node, sku)

    def _owe(self, node: int, change: int) -> None:
        now = self.clock.now
        self.counts.bo_area[node] += self.bo_total[node] * (now - self.bo_last[node])
        self.bo_last[node] = now
        self.bo_total[node] += change

    def position(self, node: int, sku: int) -> int:
        """Inventory position: on hand - backorders + on order (units waiting at the supplier included)."""
        return self.on_hand[node][sku] - self.backorders[node][sku] + self.on_order[node][sku]

    # ----------------------------------------------------------------------------------------- replenishment
    def _continuous_review(self, node: int, sku: int) -> None:
        qty = self.policy_of[node][sku].order_size(sku, self.position(node, sku))
        if qty:
            self._close_cycle(node, sku)
            self._order(node, sku, qty)

    def _close_cycle(self, node: int, sku: int) -> None:
        c = self.counts
        c.cycles[node] += 1
        if not self.short_in_cycle[node][sku] and self.backorders[node][sku] == 0:
            c.cycles_ok[node] += 1
        self.short_in_cycle[node][sku] = False

    def _order(self, node: int, sku: int, qty: int) -> None:
        if qty <= 0:
            return
        c = self.counts
        c.orders_placed[node] += 1
        self.on_order[node][sku] += qty
        self.in_transit += qty
        c.ordered_units += qty
        if self.capacity is None:
            self._ship(node, sku, qty)
        else:
            self._to_supplier(node, sku, qty)

    def _ship(self, node: int, sku: int, qty: int) -> None:
        """The supplier ships ``qty`` units; they travel the lead time of the SKU's policy group at ``node``."""
        self.counts.released += qty
        if self._truck is not None:  # leaves with the review's other orders
            self._truck.append((sku, qty))
            return
        lead = self.policy_of[node][sku].lead.next()
        if lead <= 0:
            self._receive(node, sku, qty)
        else:
            self._arrival.after(lead, (node, sku, qty))

    def _to_supplier(self, node: int, sku: int, qty: int) -> None:
        """An order under a capacity: ship what is left of today's capacity unless older orders wait; queue the
        rest (first in, first out)."""
        if self.budget and not self.backlog:
            now = qty if qty <= self.budget else self.budget
            self.budget -= now
            self._ship(node, sku, now)
            qty -= now
        if qty:
            self._wait(qty)
            self.backlog.append([node, sku, qty])

    def _wait(self, change: int) -> None:
        now = self.clock.now
        self.counts.backlog_area += self.backlog_units * (now - self.backlog_last)
        self.backlog_last = now
        self.backlog_units += change

    def _supplier_day(self, _e: object) -> None:
        """Midnight at the supplier: a new day's capacity, spent on the backlog oldest order first (the last one
        served may ship in part)."""
        budget = self.capacity or 0  # scheduled only when the supplier has a capacity
        backlog = self.backlog
        while backlog and budget:
            entry = backlog[0]
            node, sku, qty = entry
            n = qty if qty <= budget else budget
            budget -= n
            if n == qty:
                backlog.popleft()
            else:
                entry[2] = qty - n
            self._wait(-n)
            self._ship(node, sku, n)
        self.budget = budget
        self._schedule(self._supplier_day, PRIO_SUPPLIER, self.day_min)

    def _arrived(self, receipt: tuple[int, int, int]) -> None:
        self._receive(*receipt)

    def _delivered(self, delivery: tuple[int, list[tuple[int, int]]]) -> None:
        node, lines = delivery
        for sku, qty in lines:
            self._receive(node, sku, qty)

    def _receive(self, node: int, sku: int, qty: int) -> None:
        now = self.clock.now
        c = self.counts
        self.on_order[node][sku] -= qty
        self.in_transit -= qty
        c.received[node] += qty
        owed = self.backorders[node][sku]
        fill = owed if owed < qty else qty
        if fill:  # backorders are served first and leave at once
            self._owe(node, -fill)
            self.backorders[node][sku] = owed - fill
            c.shipped[node] += fill
        put = qty - fill
        if put:
            self._accrue(node, now)
            self.on_hand[node][sku] += put
            self.total[node] += put
            self.value[node] += put * self.cost[sku]

    def return_in(self, node: int, qty: int) -> None:
        """A customer brings ``qty`` units back to ``node``: they are in handling until put back or written off."""
        self.counts.returned[node] += qty
        self.handling += qty

    def put_back(self, node: int, sku: int, qty: int) -> None:
        """Returned units back in sellable stock at ``node`` (they do not fill backorders: a simplification)."""
        self._accrue(node, self.clock.now)
        self.on_hand[node][sku] += qty
        self.total[node] += qty
        self.value[node] += qty * self.cost[sku]
        self.handling -= qty

    def _accrue(self, node: int, now: float) -> None:
        """Bring the node's time-weighted areas (units and value on hand) up to ``now``."""
        dt = now - self.last[node]
        self.counts.area[node] += self.total[node] * dt
        self.counts.value_area[node] += self.value[node] * dt
        self.last[node] = now

    def write_off(self, node: int, qty: int) -> None:
        """Returned units that cannot be sold again."""
        self.handling -= qty
        self.counts.written_off[node] += qty

    def _period_end_cb(self, node: int, group: NodePolicy) -> Callable[[object], None]:
        return lambda _e: self._period_end(node, group)

    def _period_end(self, node: int, group: NodePolicy) -> None:
        """Periodic review of one group, first half: measure the period that ends now, before this instant's
        receipts (on hand of the group's SKUs, and how many SKUs that covers)."""
        if self.clock.now > 0:
            row = self.on_hand[node]
            n = len(group.skus)
            c = self.counts
            c.eod_on_hand[node] += self.total[node] if n == len(row) else sum(row[sku] for sku in group.skus)
            c.eod_count[node] += n
            for sku in group.skus:
                self._close_cycle(node, sku)
        self._schedule(lambda _e: self._review(node, group), PRIO_REVIEW, 0.0)
        self._schedule(self._period_end_cb(node, group), PRIO_PERIOD_END, group.review_min)

    def _review(self, node: int, group: NodePolicy) -> None:
        """Periodic review, second half (after receipts): order each SKU of the group at or below s up to S. With
        ``together``, what the supplier ships now travels as one delivery: one lead time, the SKUs received in
        the order they were ordered (as separate orders with that lead time would be). Units a capacity-bound
        supplier releases on later days travel on their own."""
        if group.together:
            self._truck = []
        for sku in group.skus:
            self._order(node, sku, group.order_size(sku, self.position(node, sku)))
        if group.together:
            truck, self._truck = self._truck, None
            if truck:
                lead = group.lead.next()
                if lead <= 0:
                    self._delivered((node, truck))
                else:
                    self._delivery.after(lead, (node, truck))

    def _schedule(self, callback: Callable[[object], None], priority: int, delay: float) -> None:
        self._call_after(delay, callback, priority)

    # ----------------------------------------------------------------------------------------- views
    def sync(self, interval_min: float) -> None:
        """Start a periodic copy of every node's on hand: the stale view of the cross-channel setup."""
        self.snapshot = [list(row) for row in self.on_hand]

        def refresh(_e: object) -> None:
            self.snapshot = [list(row) for row in self.on_hand]
            self._schedule(refresh, PRIO_REVIEW, interval_min)

        self._schedule(refresh, PRIO_REVIEW, interval_min)

    def flush(self) -> None:
        """Bring every time-weighted area up to now (before reading it)."""
        now = self.clock.now
        for node in range(self.n_nodes):
            self._accrue(node, now)
            self._owe(node, 0)
        self._wait(0)

    def counts_now(self) -> StockCounters:
        """A typed copy of the counters with every area brought up to now in the copy only (the live integrals
        are not split, which would move their last bits): what a day's end snapshot holds."""
        now = self.clock.now
        out = self.counts.copy()
        for node in range(self.n_nodes):
            out.area[node] += self.total[node] * (now - self.last[node])
            out.value_area[node] += self.value[node] * (now - self.last[node])
            out.bo_area[node] += self.bo_total[node] * (now - self.bo_last[node])
        out.backlog_area += self.backlog_units * (now - self.backlog_last)
        return out

    def invariant_problems(self) -> list[str]:
        """Conservation and sign checks; an empty list when the books balance."""
        out = []
        c = self.counts
        on_hand = sum(self.total)
        if self.initial_units + sum(c.received) + sum(c.returned) != \
                sum(c.shipped) + on_hand + self.handling + sum(c.written_off):
            out.append(f"units: initial {self.initial_units} + received {sum(c.received)} + returned "
                       f"{sum(c.returned)} != shipped {sum(c.shipped)} + on hand {on_hand} + in return "
                       f"handling {self.handling} + written off {sum(c.written_off)}")
        if self.handling < 0:
            out.append("units in return handling below zero")
        if self.in_transit != sum(map(sum, self.on_order)):
            out.append("units in transit differ from the sum of on-order")
        out += self._supplier_problems()
        for node, row in enumerate(self.on_hand):
            if sum(row) != self.total[node]:
                out.append(f"node {node}: on-hand total out of step with the SKU rows")
            if min(row, default=0) < 0:
                out.append(f"node {node}: negative on hand")
            lost = [sku for sku, (b, ok) in enumerate(zip(self.backorders[node], self.backorders_ok[node],
                                                          strict=True)) if b and not ok]
            if lost:
                out.append(f"node {node}: backorders under a lost-sales policy (SKUs {lost[:5]})")
        return out

    def _supplier_problems(self) -> list[str]:
        out = []
        c = self.counts
        if self.backlog_units != sum(e[2] for e in self.backlog) or min((e[2] for e in self.backlog), default=1) <= 0:
            out.append("supplier: backlog total out of step with its orders")
        if c.ordered_units != c.released + self.backlog_units:
            out.append(f"supplier: ordered {c.ordered_units} != shipped {c.released} + waiting "
                       f"{self.backlog_units}")
        if c.released - sum(c.received) != self.in_transit - self.backlog_units:
            out.append("supplier: units on the road differ from in transit minus the backlog")
        if self.capacity is not None and not 0 <= self.budget <= self.capacity:
            out.append(f"supplier: capacity left today {self.budget} outside 0..{self.capacity}")
        return out


def _cover(node: int, groups: list[NodePolicy], n_skus: int) -> list[NodePolicy]:
    """The policy group of each SKU at ``node``; every SKU must be in exactly one group."""
    row: list[NodePolicy | None] = [None] * n_skus
    for g in groups:
        for sku in g.skus:
            if row[sku] is not None:
                raise ValueError(f"node {node}: SKU {sku} is in two policy groups")
            row[sku] = g
    missing = [sku for sku, g in enumerate(row) if g is None]
    if missing:
        raise ValueError(f"node {node}: SKUs {missing[:5]} have no policy group")
    return row  # type: ignore[return-value]


def levels(days: float | None, units: int | None, daily_demand: list[float]) -> list[int]:
    """A stock level per SKU: fixed ``units``, or ``days`` of expected demand rounded to whole units."""
    if units is not None:
        return [units] * len(daily_demand)
    assert days is not None
    return [int(math.floor(d * days + 0.5)) for d in daily_demand]
