"""Stock per node and SKU: on hand, on order, backorders; replenishment policies; a stale view for syncs.

Nodes are the stores (0..n-1) then the warehouse (n, if any). Stock is held in plain lists of ints; each node keeps
its total on hand and a time-weighted area, so ``avg_on_hand_units`` needs no record per event.

Event order at one instant (VALIDATION.md): period end (measure) -> receive -> review and order -> demand.
"""

from __future__ import annotations

import math

import simpy

from .rng import Sampler

# SimPy pops events by (time, priority, id); timeouts and processes use 0 (urgent) and 1 (normal).
PRIO_PERIOD_END = -3
PRIO_RECEIVE = -2
PRIO_REVIEW = -1


class NodePolicy:
    """Replenishment of one node: kind, levels per SKU (units), review period and lead time (minutes)."""

    __slots__ = ("kind", "S", "s", "Q", "review_min", "lead", "backorders")

    def __init__(self, kind: str, S: list[int], s: list[int], review_min: float, lead: Sampler, backorders: bool,
                 Q: int | None = None):
        """``s[sku]`` = -inf-like (below any position) for a pure order-up-to review; ``Q`` for (s,Q)."""
        self.kind, self.S, self.s, self.Q, self.review_min = kind, S, s, Q, review_min
        self.lead, self.backorders = lead, backorders

    def order_size(self, sku: int, position: int) -> int:
        """Units to order at this position: 0 above the reorder point; else up to S, or enough multiples of Q
        to lift the position above s."""
        if position > self.s[sku]:
            return 0
        if self.Q is None:
            return max(self.S[sku] - position, 0)
        return (((self.s[sku] - position) // self.Q) + 1) * self.Q


class Inventory:
    """All stock of the network, with the counters that the stock KPIs and invariants need."""

    def __init__(self, env: simpy.Environment, policies: list[NodePolicy], n_skus: int, price: list[float]):
        self.env = env
        self.policies = policies
        self.continuous = [p.kind == "continuous" for p in policies]
        self.n_nodes = len(policies)
        self.price = price
        # initial stock is the order-up-to level S
        self.on_hand = [list(p.S) if p.kind != "none" else [0] * n_skus for p in policies]
        self.on_order = [[0] * n_skus for _ in policies]
        self.backorders = [[0] * n_skus for _ in policies]
        self.short_in_cycle = [[False] * n_skus for _ in policies]
        self.total = [sum(row) for row in self.on_hand]
        self.area = [0.0] * self.n_nodes       # integral of total on hand over time, unit-minutes
        self.bo_total = [0] * self.n_nodes     # units owed, and their integral over time
        self.bo_area = [0.0] * self.n_nodes
        self.bo_last = [0.0] * self.n_nodes
        self.last = [0.0] * self.n_nodes
        self.initial_units = sum(self.total)
        # flows in units, cumulative from t = 0
        self.received = [0] * self.n_nodes
        self.returned = [0] * self.n_nodes     # units customers brought back
        self.handling = 0                      # of which still being handled (not yet sellable nor written off)
        self.written_off = [0] * self.n_nodes  # returned units found unsellable
        self.shipped = [0] * self.n_nodes      # units leaving the node to customers (incl. backorder fills)
        self.units_out = 0                     # units taken at once from on hand by customers' orders
        self.value_out = 0.0                   # their value at selling price
        self.in_transit = 0                    # units ordered from the supplier not yet received
        self.orders_placed = [0] * self.n_nodes
        self.cycles = [0] * self.n_nodes
        self.cycles_ok = [0] * self.n_nodes
        self.eod_on_hand = [0] * self.n_nodes  # summed at each period end, before receipts
        self.eod_count = [0] * self.n_nodes
        self.snapshot: list[list[int]] | None = None  # stale view, refreshed by sync()
        for node, p in enumerate(policies):
            if p.kind == "periodic":
                self._schedule(self._period_end, node, PRIO_PERIOD_END, 0.0)

    # ----------------------------------------------------------------------------------------- hot path
    def take(self, node: int, sku: int, qty: int) -> int:
        """Withdraw up to ``qty`` units at once from on hand; return how many were taken."""
        row = self.on_hand[node]
        have = row[sku]
        got = qty if have >= qty else have
        if got < qty:
            self.short_in_cycle[node][sku] = True
        if got:
            now = self.env._now  # SimPy's clock attribute: the property costs a call
            self.area[node] += self.total[node] * (now - self.last[node])
            self.last[node] = now
            row[sku] = have - got
            self.total[node] -= got
            self.shipped[node] += got
            self.units_out += got
            self.value_out += got * self.price[sku]
        if self.continuous[node]:
            self._continuous_review(node, sku)
        return got

    def backorder(self, node: int, sku: int, qty: int) -> None:
        """Record ``qty`` units owed to customers, filled first from the next receipts."""
        self._owe(node, qty)
        self.backorders[node][sku] += qty
        if self.continuous[node]:
            self._continuous_review(node, sku)

    def _owe(self, node: int, change: int) -> None:
        now = self.env._now
        self.bo_area[node] += self.bo_total[node] * (now - self.bo_last[node])
        self.bo_last[node] = now
        self.bo_total[node] += change

    def position(self, node: int, sku: int) -> int:
        """Inventory position: on hand - backorders + on order."""
        return self.on_hand[node][sku] - self.backorders[node][sku] + self.on_order[node][sku]

    # ----------------------------------------------------------------------------------------- replenishment
    def _continuous_review(self, node: int, sku: int) -> None:
        qty = self.policies[node].order_size(sku, self.position(node, sku))
        if qty:
            self._close_cycle(node, sku)
            self._order(node, sku, qty)

    def _close_cycle(self, node: int, sku: int) -> None:
        self.cycles[node] += 1
        if not self.short_in_cycle[node][sku] and self.backorders[node][sku] == 0:
            self.cycles_ok[node] += 1
        self.short_in_cycle[node][sku] = False

    def _order(self, node: int, sku: int, qty: int) -> None:
        if qty <= 0:
            return
        self.orders_placed[node] += 1
        lead = self.policies[node].lead.next()
        self.on_order[node][sku] += qty
        self.in_transit += qty
        if lead <= 0:
            self._receive(node, sku, qty)
        else:
            self._schedule(lambda _e: self._receive(node, sku, qty), None, PRIO_RECEIVE, lead)

    def _receive(self, node: int, sku: int, qty: int) -> None:
        now = self.env._now  # SimPy's clock attribute: the property costs a call
        self.on_order[node][sku] -= qty
        self.in_transit -= qty
        self.received[node] += qty
        owed = self.backorders[node][sku]
        fill = owed if owed < qty else qty
        if fill:  # backorders are served first and leave at once
            self._owe(node, -fill)
            self.backorders[node][sku] = owed - fill
            self.shipped[node] += fill
        put = qty - fill
        if put:
            self.area[node] += self.total[node] * (now - self.last[node])
            self.last[node] = now
            self.on_hand[node][sku] += put
            self.total[node] += put

    def return_in(self, node: int, qty: int) -> None:
        """A customer brings ``qty`` units back to ``node``: they are in handling until put back or written off."""
        self.returned[node] += qty
        self.handling += qty

    def put_back(self, node: int, sku: int, qty: int) -> None:
        """Returned units back in sellable stock at ``node`` (they do not fill backorders: a simplification)."""
        now = self.env._now
        self.area[node] += self.total[node] * (now - self.last[node])
        self.last[node] = now
        self.on_hand[node][sku] += qty
        self.total[node] += qty
        self.handling -= qty

    def write_off(self, node: int, qty: int) -> None:
        """Returned units that cannot be sold again."""
        self.handling -= qty
        self.written_off[node] += qty

    def _period_end(self, node: int) -> None:
        """Periodic review, first half: measure the period that ends now, before this instant's receipts."""
        if self.env.now > 0:
            self.eod_on_hand[node] += self.total[node]
            self.eod_count[node] += 1
            for sku in range(len(self.on_hand[node])):
                self._close_cycle(node, sku)
        self._schedule(self._review, node, PRIO_REVIEW, 0.0)
        self._schedule(self._period_end, node, PRIO_PERIOD_END, self.policies[node].review_min)

    def _review(self, node: int) -> None:
        """Periodic review, second half (after receipts): order each SKU at or below s up to S."""
        p = self.policies[node]
        for sku in range(len(p.S)):
            self._order(node, sku, p.order_size(sku, self.position(node, sku)))

    def _schedule(self, fn, node: int | None, priority: int, delay: float) -> None:
        ev = simpy.Event(self.env)
        ev.callbacks.append(fn if node is None else (lambda _e: fn(node)))
        ev._ok = True
        ev._value = None
        self.env.schedule(ev, priority, delay)

    # ----------------------------------------------------------------------------------------- views
    def sync(self, interval_min: float) -> None:
        """Start a periodic copy of every node's on hand: the stale view of the cross-channel setup."""
        self.snapshot = [list(row) for row in self.on_hand]

        def refresh(_e):
            self.snapshot = [list(row) for row in self.on_hand]
            self._schedule(refresh, None, PRIO_REVIEW, interval_min)

        self._schedule(refresh, None, PRIO_REVIEW, interval_min)

    def flush(self) -> None:
        """Bring every time-weighted area up to now (before reading it)."""
        now = self.env._now  # SimPy's clock attribute: the property costs a call
        for node in range(self.n_nodes):
            self.area[node] += self.total[node] * (now - self.last[node])
            self.last[node] = now
            self._owe(node, 0)

    def invariant_problems(self) -> list[str]:
        """Conservation and sign checks; an empty list when the books balance."""
        out = []
        on_hand = sum(self.total)
        if self.initial_units + sum(self.received) + sum(self.returned) != \
                sum(self.shipped) + on_hand + self.handling + sum(self.written_off):
            out.append(f"units: initial {self.initial_units} + received {sum(self.received)} + returned "
                       f"{sum(self.returned)} != shipped {sum(self.shipped)} + on hand {on_hand} + in return "
                       f"handling {self.handling} + written off {sum(self.written_off)}")
        if self.handling < 0:
            out.append("units in return handling below zero")
        if self.in_transit != sum(map(sum, self.on_order)):
            out.append("units in transit differ from the sum of on-order")
        for node, row in enumerate(self.on_hand):
            if sum(row) != self.total[node]:
                out.append(f"node {node}: on-hand total out of step with the SKU rows")
            if min(row, default=0) < 0:
                out.append(f"node {node}: negative on hand")
            if not self.policies[node].backorders and any(self.backorders[node]):
                out.append(f"node {node}: backorders under a lost-sales policy")
        return out


def levels(days: float | None, units: int | None, daily_demand: list[float]) -> list[int]:
    """A stock level per SKU: fixed ``units``, or ``days`` of expected demand rounded to whole units."""
    if units is not None:
        return [units] * len(daily_demand)
    assert days is not None
    return [int(math.floor(d * days + 0.5)) for d in daily_demand]
