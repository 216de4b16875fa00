"""Checkout and fulfilment: which node serves each basket line, shipments, store picking and on-time promises.

The setup's capability switches decide what is visible and allowed (shared pool, stale view, endless aisle,
click & collect, ship-from-store, transfers); each store's own options (``ship_from_store``, ``click_collect``,
a reserve for walk-in customers) narrow them further; the same code serves every setup. Store picks take minutes
from the same staff resource that advises walk-in customers.

Stock promised to an order is taken from on hand when the order is accepted: a click & collect or
ship-from-store order's units are no longer sellable in the aisle while they wait to be picked (a reservation).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Generator
from enum import IntEnum
from functools import partial
from operator import itemgetter, sub
from typing import Any, Protocol

from sim.core.aftersale import AfterSale
from sim.core.customers import DAY_MIN, Customer, Reaction, next_open
from sim.core.inventory import levels
from sim.core.ledger import Leave, Ledger
from sim.core.marketing import Marketing
from sim.core.network import Network
from sim.core.rng import Streams
from sim.scenario.schema import Scenario
from sim.scenario.setups import Capabilities

HOME, COLLECT_WH, STORE_PICKUP, SHIP_FROM_STORE = "home", "collect_warehouse", "store_pickup", "ship_from_store"
PICKUP_POINT, TRANSFER = "pickup_point", "transfer"
SHIPMENT_KINDS = (HOME, COLLECT_WH, STORE_PICKUP, SHIP_FROM_STORE, PICKUP_POINT, TRANSFER)
AT_STORE = {COLLECT_WH, STORE_PICKUP, TRANSFER}  # collected by the customer in their store
SUBSTITUTE, OTHER_STORE, WAIT, DROP_ITEM, DROP_BASKET = Reaction


class Mode(IntEnum):
    """How the buyer wants the goods: delivered home, to a pickup point, collected in their store; or a store
    customer waiting for a missing item (home delivery, or a transfer to their store where the setup has them)."""

    TO_HOME = 0
    TO_POINT = 1
    TO_STORE = 2
    WALK_IN = 3


TO_HOME, TO_POINT, TO_STORE, WALK_IN = Mode
WAREHOUSE_PARCEL = {TO_HOME: HOME, TO_POINT: PICKUP_POINT, TO_STORE: COLLECT_WH, WALK_IN: HOME}


class Route(Protocol):
    """A routing rule (see :meth:`Fulfilment.routes`): the node to serve ``qty`` of ``sku`` for ``area``, or -1."""

    def __call__(self, sku: int, qty: int, area: int, stores_ok: list[bool], own: int, exclude: int) -> int: ...


class Order:
    """An order with shipments still to be ready or delivered; ``deadline`` and times in minutes."""

    __slots__ = ("t0", "deadline", "pending", "last", "customer", "problems", "at_store", "cls")

    def __init__(self, t0: float, deadline: float, customer: Customer, problems: int, cls: int):
        self.t0, self.deadline, self.pending, self.last = t0, deadline, 0, t0
        self.customer, self.problems = customer, problems  # rated when the last parcel is ready
        self.at_store = False  # some parcel is collected in the customer's store
        self.cls = cls  # the buyer's class (segment, single- or multichannel), for a purchase at pickup


class _StoresOffer:
    """What each store flagged in a ``stores_ok`` list offers of a SKU (on hand, less its reserve unless it is the
    ordering channel's own node), read across the stores by C-level ``map`` and ``itemgetter``: the ``most_stock``
    scan of a hundred stores without a Python loop."""

    __slots__ = ("nodes", "pos", "rows", "reserve")

    def __init__(self, stores_ok: list[bool], on_hand: list[list[int]], reserve: list[list[int]]):
        self.nodes = [node for node, ok in enumerate(stores_ok) if ok]
        self.pos = {node: i for i, node in enumerate(self.nodes)}
        self.rows = [on_hand[node] for node in self.nodes]  # the inventory's live rows, changed in place
        # per SKU, each store's reserve; None where no store keeps any (then there is nothing to subtract)
        self.reserve: list[list[int] | None] = [list(col) if any(col) else None
                                                for col in zip(*(reserve[node] for node in self.nodes), strict=True)]

    def best(self, sku: int, qty: int, own: int, exclude: int) -> tuple[int, int]:
        """(store, units) of the first store, in store order, offering the most and at least ``qty``, never
        ``exclude``; (-1, qty - 1) if none."""
        if not self.nodes:
            return -1, qty - 1
        reserve = self.reserve[sku]
        pos = self.pos
        if reserve is None:
            have = list(map(itemgetter(sku), self.rows))
        else:
            have = list(map(sub, map(itemgetter(sku), self.rows), reserve))
            if own in pos:
                have[pos[own]] += reserve[pos[own]]
        if exclude in pos:
            have[pos[exclude]] = qty - 1  # offers nothing
        most = max(have)
        if most < qty:
            return -1, qty - 1
        return self.nodes[have.index(most)], most


class Fulfilment:
    """Checkout (store till, online and phone orders), routing over the network, parcels, picking and promises.
    Books through the ledger; hands sold lines and ratings to the after-sale. ``retry(customer, channel)`` brings
    back, after a reminder, an online buyer who got nothing (the journeys, which build the fulfilment, give their
    own ``come_back``)."""

    def __init__(self, net: Network, book: Ledger, after_sale: AfterSale, marketing: Marketing, scenario: Scenario,
                 capabilities: Capabilities, streams: Streams, retry: Callable[[Customer, int], None]):
        self.net, self.book, self.after_sale, self.marketing = net, book, after_sale, marketing
        self.light = net.engine.light()  # store picks are light processes (sim.core.engine)
        self._extra = net.engine.later(self._extra_purchase)  # a buyer collecting in store buys one more item
        self.pricing = marketing.pricing
        self.retry = retry  # a customer who left an online checkout with nothing comes back after a reminder
        settings = scenario.fulfilment
        self.settings = settings  # the scenario's fulfilment settings
        self.capabilities = capabilities
        self.wh = net.wh
        self.home_days = streams.sampler("delivery.home", settings.home_delivery_days, DAY_MIN)
        self.sfs_days = streams.sampler("delivery.ship_from_store", settings.ship_from_store_days, DAY_MIN)
        self.point_days = streams.sampler("delivery.pickup_point", settings.pickup_point_days, DAY_MIN)
        self.transfer_days = streams.sampler("delivery.transfer", settings.transfer_days, DAY_MIN)
        self.pick_min = streams.sampler("picking", settings.pick_time_min)
        self.extra_u = streams.uniform("pickup.extra")
        self.extra_sku = streams.choice("pickup.extra_sku", net.cat.popularity)
        self.handling = scenario.warehouse.handling_days * DAY_MIN if scenario.warehouse else 0.0
        stores = scenario.stores
        # stores whose stock may go to online orders (ship-from-store), and to other stores (transfers)
        shared = capabilities.shared_stock
        self.pickers = [shared and capabilities.ship_from_store and st.ship_from_store for st in stores]
        self.senders = [shared and capabilities.transfers and st.ship_from_store for st in stores]
        self.from_store = [a or b for a, b in zip(self.pickers, self.senders, strict=True)]
        self.collect_at = [st.click_collect for st in stores]
        # units of each SKU a node keeps for its own channel (walk-ins in a store, online orders at the warehouse)
        nodes = list(stores) + ([scenario.warehouse] if scenario.warehouse else [])
        self.reserve = [levels(n.reserve_days, n.reserve_units, net.demand[i])
                        if n.reserve_units is not None or n.reserve_days is not None else [0] * net.cat.n
                        for i, n in enumerate(nodes)]
        self.dist, self.rank = self._geography(scenario)
        self._route: Route = self.routes()[settings.routing]  # the routing rule, looked up once
        # what the stores offer to most_stock routing, for each of the two flag lists it is called with
        self._offers = {id(ok): _StoresOffer(ok, net.inv.on_hand, self.reserve)
                        for ok in (self.pickers, self.from_store)}
        self.parcel_cost = {HOME: settings.home_cost, COLLECT_WH: settings.collect_cost,
                            STORE_PICKUP: settings.store_collect_cost, SHIP_FROM_STORE: settings.ship_from_store_cost,
                            PICKUP_POINT: settings.pickup_point_cost, TRANSFER: settings.transfer_cost}
        self.promise_days = {HOME: settings.home_promise_days, SHIP_FROM_STORE: settings.home_promise_days,
                             COLLECT_WH: settings.collect_promise_days,
                             PICKUP_POINT: settings.pickup_point_promise_days,
                             TRANSFER: settings.transfer_promise_days}
        # carrier leg after a store pick (none: collected where it was picked)
        self.carrier = {STORE_PICKUP: None, TRANSFER: self.transfer_days, PICKUP_POINT: self.point_days,
                        SHIP_FROM_STORE: self.sfs_days}
        # recommendations need the unified customer record: switched on without it, they have nothing to use;
        # they are shown in the selling touchpoints the retailer runs, and in store and on the phone only where
        # staff see the record (clienteling)
        self.recommends = capabilities.personalisation and capabilities.customer_data
        assisted = {i for i in (net.ch_store, net.ch_call) if i >= 0}
        self.reco_mask = sum(bit for i, (ch, bit) in enumerate(zip(net.channels, net.channel_bit, strict=True))
                             if (capabilities.clienteling if i in assisted else scenario.touchpoints[ch].recommends))
        self.collect_share = [s.click_collect_share for s in scenario.segments]  # per segment, for the hot path
        self.point_share = [s.pickup_point_share for s in scenario.segments]
        # with the unified record every channel a customer uses recommends: survival[seg][k][i] is the chance that
        # i + 1 or more of k recommendations (one per channel used) are accepted, each with the segment's chance
        survival = [[[sum(math.comb(k, j) * a ** j * (1 - a) ** (k - j) for j in range(i + 1, k + 1))
                      for i in range(k)] for k in range(len(net.channels) + 2)]
                    for a in (s.recommendation_accept for s in scenario.segments)]
        # negated and sorted, so that the number accepted, the count of chances above the customer's uniform u,
        # is one bisection: the count of -chances below -u
        self.reco_neg = [[sorted(-p for p in row) for row in seg] for seg in survival]
        self.broken = 0  # promises broken during the checkout in progress
        # substitutes: the other SKUs of the same category, most popular first (at most five are tried)
        cat = net.cat
        order = sorted(range(cat.n), key=lambda i: -cat.popularity[i])
        by_cat: dict[str, list[int]] = {}
        for i in order:
            by_cat.setdefault(cat.category[i], []).append(i)
        self.similar = [[j for j in by_cat[cat.category[i]] if j != i][:5] for i in range(cat.n)]
        # the lines recommendations add, in the order they are accepted: the SKU itself, then its substitutes
        self.reco_lines = [[(i, 1), *((j, 1) for j in self.similar[i])] for i in range(cat.n)]

    def _geography(self, scenario: Scenario) -> tuple[list[list[float]], list[list[int]]]:
        """Distances (km) from each customer area (their store; one area without stores) to every node, and the
        nodes in the order a static routing rule tries them: nearest first, or cheapest parcel first."""
        settings = self.settings
        places = [(s.x_km, s.y_km) for s in scenario.stores]
        nodes = places + ([(scenario.warehouse.x_km, scenario.warehouse.y_km)] if scenario.warehouse else [])
        areas = places or [(0.0, 0.0)]
        dist = [[math.dist(a, n) for n in nodes] for a in areas]

        def key(area: int, node: int) -> tuple[float, int]:
            if settings.routing == "nearest":
                return dist[area][node], node
            parcel = settings.home_cost if node == self.wh else settings.ship_from_store_cost
            return parcel + settings.cost_per_km * dist[area][node], node

        rank = [sorted(range(len(nodes)), key=partial(key, a)) for a in range(len(areas))]
        return dist, rank

    # ----------------------------------------------------------------------------------------- checkout
    def store_sale(self, c: Customer, k: int, ch: int, problems: int) -> None:
        """A walk-in customer pays at the till of store ``k``: take from the shelf, react to what is missing."""
        net = self.net
        pch = c.price_ch if c.price_ch >= 0 else ch  # the price table paid: a matched price, else the channel's
        inv, book, price, cost = net.inv, self.book, self.pricing.now[pch], net.cat.unit_cost
        lines = self._basket(c, pch)
        book.lines_asked(ch, len(lines), k)
        own = len(c.lines)  # the first lines are those the customer came for (recommendations follow)
        if c.reaction == DROP_BASKET and self._leaves_store(k, lines, own):
            return self._drop_basket(c, ch, lines, [k])
        units = short = 0
        value = cogs = 0.0
        ships: dict[int, int] = {}
        bought = []
        self.broken = 0
        wasted = False  # a line they came for was short on the shelf: a wasted trip
        for i, (sku, qty) in enumerate(lines):
            got = inv.take(k, sku, qty)  # called on the object: a native call when compiled
            if got:
                units += got
                value += got * price[sku]
                cogs += got * cost[sku]
                bought.append((sku, got))
            if got < qty:
                short = 1
                wasted = wasted or i < own
                book.shelf_short(k)
                sold, n = self._store_shortage(c, k, ch, sku, qty - got, ships)
                if n:
                    units += n
                    value += n * price[sold]
                    cogs += n * cost[sold]
                    bought.append((sold, n))
        if wasted:
            book.wasted_trip()
        if units:
            book.store_ticket(k)
            if self.pricing.on or c.offer >= 0:
                value = self.marketing.settle(c, pch, value, bought)
        cls = self.close_order(c, ch, units, value, cogs, sold=bought)
        problems += short + 2 * self.broken  # a broken promise weighs more than a stockout seen at once
        if ships:  # rated when the parcels arrive
            self._ship(c, ships, WALK_IN, problems, cls)
        elif units:
            self.after_sale.rate(c, problems)

    def _leaves_store(self, k: int, lines: list[tuple[int, int]], own: int) -> bool:
        """Whether a customer who drops the whole basket over a missing item leaves store ``k``: a line is short
        that would not be backordered. Books the trip as wasted when one of the ``own`` first lines (those they came
        for) is short."""
        inv = self.net.inv
        shelf, owed_ok = inv.on_hand[k], inv.backorders_ok[k]
        if not any(shelf[sku] < qty and not owed_ok[sku] for sku, qty in lines):
            return False
        if any(shelf[sku] < qty for sku, qty in lines[:own]):
            self.book.wasted_trip()
        return True

    def close_order(self, c: Customer, ch: int, units: int, value: float, cogs: float,
                    reason: Leave = Leave.NOTHING_AVAILABLE, sold: list[tuple[int, int]] | None = None,
                    collect: bool = False) -> int:
        """Book a finished checkout: an order if anything was bought, else a customer who left empty-handed for
        ``reason``. ``sold`` lists the (SKU, units) bought, for returns; ``collect``: the buyer will collect in
        store. Returns the buyer's class, ``2 * segment + multi`` (see :meth:`Ledger.order`), -1 for no order, or
        -2 when an online buyer who got nothing will come back after a reminder (not gone: still inside)."""
        if not units:
            net = self.net
            if self.marketing.reminds and ch != net.ch_store and ch != net.ch_call and not c.recovered \
                    and self.marketing.comes_back(c):
                self.retry(c.replace(recovered=True), ch)
                return -2
            self.book.customer_left(reason)
            return -1
        if sold:
            self.after_sale.sold(c, ch, sold)
        return self.book.order(c, ch, units, value, cogs, collect)

    def _store_shortage(self, c: Customer, k: int, ch: int, sku: int, short: int,
                        ships: dict[int, int]) -> tuple[int, int]:
        """(SKU sold, units) when the shelf is short: the node's backorder policy, else the customer's reaction:
        delivery from elsewhere where the setup offers it ('wait'), a similar SKU, another store, or nothing.
        The line is a stockout unless the missing units of this very SKU still came from stock (another node's,
        delivered or fetched); a backorder is a stockout too."""
        net = self.net
        inv, book = net.inv, self.book
        if inv.backorders_ok[k][sku]:
            inv.backorder(k, sku, short)
            book.backordered(short, short * net.cat.price[sku])
            book.stockout(ch, k)
            return sku, short
        node = self._elsewhere_for_store(c, k, sku, short)
        sent, sold = 0, sku
        if c.reaction == WAIT and node >= 0:
            sent = self._take_promised(node, sku, short)
            if sent < short:  # only a stale view can promise too much: the line is cancelled at picking
                book.failed_promise(short - sent)
                self.broken += 1
            book.remote(sent)
            if sent:
                ships[node] = ships.get(node, 0) + sent
        elif c.reaction == SUBSTITUTE:
            sub = self._substitute(k, sku, short)
            if sub >= 0:
                sent, sold = inv.take(k, sub, short), sub
                book.substituted(sent)
        elif c.reaction == OTHER_STORE:
            other = (k + 1) % net.n_stores  # the next store on the customer's way, whatever the setup shows
            if other != k and inv.on_hand[other][sku] >= short:
                sent = inv.take(other, sku, short)
                book.remote(sent)
        book.lost(short - sent, (short - sent) * net.cat.price[sku])
        if sold != sku or sent < short:
            book.stockout(ch, k)
        return sold, sent

    def _take_promised(self, node: int, sku: int, qty: int) -> int:
        """Pick units promised on a view of another node's stock: what is there beyond its reserve, up to qty."""
        n = min(qty, self.net.inv.on_hand[node][sku] - self.reserve[node][sku])
        return self.net.inv.take(node, sku, n) if n > 0 else 0

    def _substitute(self, node: int, sku: int, qty: int) -> int:
        """The most popular SKU of the same category with ``qty`` units on the shelf of ``node``, or -1."""
        shelf = self.net.inv.on_hand[node]
        for alt in self.similar[sku]:
            if shelf[alt] >= qty:
                return alt
        return -1

    def _drop_basket(self, c: Customer, ch: int, lines: list[tuple[int, int]], nodes: list[int]) -> None:
        """The customer leaves everything because something is missing: every unit is a lost sale and every line
        a stockout (none was served); a store's shelf counts short only where the line was."""
        net = self.net
        book, price = self.book, net.cat.price
        store = nodes[0] if nodes[0] < net.n_stores else -1
        book.stockout(ch, store, len(lines))
        for sku, qty in lines:
            if store >= 0 and net.inv.on_hand[store][sku] < qty:
                book.shelf_short(store)
            book.lost(qty, qty * price[sku])
        if self.close_order(c, ch, 0, 0.0, 0.0, reason=Leave.DROPPED_BASKET) == -1:
            self.after_sale.rate(c, None)

    def _mode(self, c: Customer) -> Mode:
        """Where an online buyer wants the goods: one uniform decides, so the choice is the same in every setup
        that offers it (click & collect from the bottom of [0, 1), pickup points from the top)."""
        u = c.u_collect
        if u < self.collect_share[c.seg] and self.capabilities.click_collect and self.net.n_stores \
                and self.collect_at[c.store]:
            return TO_STORE
        if u > 1.0 - self.point_share[c.seg]:
            return TO_POINT
        return TO_HOME

    def online_sale(self, c: Customer, ch: int, problems: int = 0) -> None:
        """An order placed online or by phone: route each line to a node, then ship or prepare for pickup."""
        net = self.net
        pch = c.price_ch if c.price_ch >= 0 else ch  # the price table paid: a matched price, else the channel's
        inv, book, price, pay, cost = net.inv, self.book, net.cat.price, self.pricing.now[pch], net.cat.unit_cost
        mode = self._mode(c)
        wh = self.wh
        lines = self._basket(c, pch)
        book.lines_asked(ch, len(lines))
        owed_ok = inv.backorders_ok[wh] if wh >= 0 else [False] * net.cat.n  # per SKU: backorders at the warehouse
        if c.reaction == DROP_BASKET and \
                any(not owed_ok[sku] and self._route_online(sku, qty, c, mode) < 0 for sku, qty in lines):
            return self._drop_basket(c, ch, lines, [wh] if wh >= 0 else list(range(net.n_stores)))
        units = short = 0
        value = cogs = 0.0
        ships: dict[int, int] = {}
        bought = []
        for sku, qty in lines:
            sold, ship = sku, True
            node = self._route_online(sku, qty, c, mode)
            if node < 0:
                short = 1
                if owed_ok[sku]:
                    book.stockout(ch)
                    inv.backorder(wh, sku, qty)
                    book.backordered(qty, qty * price[sku])
                    units += qty
                    value += qty * pay[sku]
                    cogs += qty * cost[sku]
                    bought.append((sku, qty))
                    continue
                sold, node, ship = self._online_reaction(c, sku, qty, mode)
                if node < 0 or sold != sku:  # not served, or a substitute: a stockout
                    book.stockout(ch)
                if node < 0:
                    book.lost(qty, qty * price[sku])
                    continue
            inv.take(node, sold, qty)  # routing only picks a node holding the whole line
            if node != wh:
                book.remote(qty)
            if ship:
                ships[node] = ships.get(node, 0) + qty
            units += qty
            value += qty * pay[sold]
            cogs += qty * cost[sold]
            bought.append((sold, qty))
        if units and (self.pricing.on or c.offer >= 0):
            value = self.marketing.settle(c, pch, value, bought)
        cls = self.close_order(c, ch, units, value, cogs, sold=bought, collect=mode == TO_STORE)
        if ships:
            self._ship(c, ships, mode, problems + short, cls)
        elif units:
            self.after_sale.rate(c, problems + short)

    def _online_reaction(self, c: Customer, sku: int, qty: int, mode: Mode) -> tuple[int, int, bool]:
        """(SKU, node, shipped) an online buyer ends up with when no node can serve ``sku``; node -1: nothing."""
        if c.reaction == SUBSTITUTE:
            for alt in self.similar[sku]:
                node = self._route_online(alt, qty, c, mode)
                if node >= 0:
                    self.book.substituted(qty)
                    return alt, node, True
        elif c.reaction == OTHER_STORE and self.net.n_stores and self.net.inv.on_hand[c.store][sku] >= qty:
            return sku, c.store, False  # goes and buys it in their store, whatever the setup shows
        return sku, -1, False

    def _basket(self, c: Customer, pch: int) -> list[tuple[int, int]]:
        """The lines the customer asks for: their wishes, plus the recommendations they accept where the setup
        has their data, with the basket uplift of a promotion running in the price table ``pch``. Each channel
        the journey used (where they bought included) that shows recommendations (``reco_mask``) shows one, and
        each adds a line with the segment's incremental chance; the number accepted is binomial,
        read from one pre-drawn uniform (the same customers accept under every setup that recommends). The first
        is the customer's drawn SKU, the next ones similar SKUs of its category."""
        net = self.net
        lines, units, n = c.lines, c.units, 0
        if self.recommends:
            used = ((c.tp_mask | net.channel_bit[c.channel]) & self.reco_mask).bit_count()
            n = bisect_left(self.reco_neg[c.seg][used], -c.u_reco)
            if n:
                extra = self.reco_lines[c.reco][:n]
                lines, units, n = lines + extra, units + len(extra), len(extra)
        if self.pricing.uplift[pch] is not None:
            lines = self.pricing.uplifted(c, pch, lines)
            units = sum(q for _, q in lines)
        if n:  # the recommended lines are the last n, in the order added (an uplift keeps the order)
            price = self.pricing.now[pch]
            self.book.demanded(units, n, sum(q * price[sku] for sku, q in lines[-n:]))
            return lines
        self.book.demanded(units, n)
        return lines

    # ----------------------------------------------------------------------------------------- routing
    def _elsewhere_for_store(self, c: Customer, k: int, sku: int, qty: int) -> int:
        """The node whose stock, as the store sees it, could deliver the missing units; -1 if none."""
        inv = self.net.inv
        if self.capabilities.shared_stock:
            return self._route(sku, qty, k, self.from_store, own=-1, exclude=k)
        wh = self.wh
        if self.capabilities.endless_aisle and wh >= 0:
            view = inv.snapshot if self.capabilities.visibility == "stale" and inv.snapshot is not None \
                else inv.on_hand
            if view[wh][sku] - self.reserve[wh][sku] >= qty:
                return wh
        return -1

    def _route_online(self, sku: int, qty: int, c: Customer, mode: Mode) -> int:
        inv = self.net.inv
        wh = self.wh
        if self.capabilities.shared_stock:
            pickup = c.store if mode == TO_STORE else -1
            if pickup >= 0 and self.capabilities.store_pickup and \
                    inv.on_hand[pickup][sku] - self.reserve[pickup][sku] >= qty:
                return pickup
            area = c.store if self.net.n_stores else 0
            return self._route(sku, qty, area, self.from_store if mode == TO_STORE else self.pickers, own=wh,
                               exclude=pickup)
        return wh if wh >= 0 and inv.on_hand[wh][sku] >= qty else -1

    # Order management over the live shared pool: ``_route(sku, qty, area, stores_ok, own, exclude)`` is the
    # scenario's routing rule (chosen once, from routes()), returning a node or -1 if none can serve. Candidates
    # are the warehouse and the stores flagged in ``stores_ok``, never ``exclude``; a node other than ``own``
    # (the ordering channel's node) offers its on hand minus its reserve.
    def _ranked(self, sku: int, qty: int, area: int, stores_ok: list[bool], own: int, exclude: int) -> int:
        """``nearest`` and ``cheapest``: the first node of the area's static ranking that can serve."""
        on_hand, reserve, wh = self.net.inv.on_hand, self.reserve, self.wh
        for node in self.rank[area]:
            if node != exclude and (node == wh or stores_ok[node]) and \
                    on_hand[node][sku] - (0 if node == own else reserve[node][sku]) >= qty:
                return node
        return -1

    def _most_stock(self, sku: int, qty: int, area: int, stores_ok: list[bool], own: int, exclude: int,
                    warehouse_first: bool = False) -> int:
        """``most_stock``: the node with most units to offer (the warehouse on a tie)."""
        on_hand, reserve, wh = self.net.inv.on_hand, self.reserve, self.wh
        wh_have = on_hand[wh][sku] - (0 if wh == own else reserve[wh][sku]) if wh >= 0 and wh != exclude else -1
        if warehouse_first and wh_have >= qty:
            return wh
        best, best_have = self._offers[id(stores_ok)].best(sku, qty, own, exclude)
        return wh if wh_have > best_have else best

    def _warehouse_first(self, sku: int, qty: int, area: int, stores_ok: list[bool], own: int,
                         exclude: int) -> int:
        """``warehouse_first``: the warehouse if it can serve, else the store with most units to offer."""
        return self._most_stock(sku, qty, area, stores_ok, own, exclude, warehouse_first=True)

    def routes(self) -> dict[str, Route]:
        """The routing rules by name (``fulfilment.routing``), bound to this order management."""
        return {"nearest": self._ranked, "cheapest": self._ranked, "most_stock": self._most_stock,
                "warehouse_first": self._warehouse_first}

    # ----------------------------------------------------------------------------------------- shipments
    def _kind(self, c: Customer, node: int, mode: Mode) -> str:
        """What a parcel from ``node`` is, for a buyer wanting ``mode``."""
        if node == self.wh:
            return WAREHOUSE_PARCEL[mode]
        if mode == TO_STORE and node == c.store:
            return STORE_PICKUP
        if (mode == TO_STORE or mode == WALK_IN) and self.senders[node]:
            return TRANSFER
        return PICKUP_POINT if mode == TO_POINT else SHIP_FROM_STORE

    def _promise_min(self, kind: str, now: float, c: Customer) -> float:
        if kind == STORE_PICKUP:
            st = self.net.stores[c.store]
            return next_open(now, st.open_min, st.close_min) + self.settings.store_collect_promise_min
        return self.promise_days[kind] * DAY_MIN

    def _ship(self, c: Customer, ships: dict[int, int], mode: Mode, problems: int, cls: int) -> None:
        net = self.net
        book, settings = self.book, self.settings
        now = net.clock.now
        book.online_order()
        order = Order(now, now, c, problems, cls)
        area = c.store if net.n_stores else 0
        for node in ships:
            kind = self._kind(c, node, mode)
            km = self.dist[area][node]
            book.parcel(kind, km, self.parcel_cost[kind] + settings.cost_per_km * km, -1 if node == self.wh else node,
                        kind == TRANSFER)
            order.deadline = max(order.deadline, now + self._promise_min(kind, now, c))
            order.at_store = order.at_store or kind in AT_STORE
            if node == self.wh:
                carrier = self.point_days if kind == PICKUP_POINT else self.home_days
                self._done(order, now + self.handling + carrier.next())
            else:
                order.pending += 1
                self.light.start(self._pick(order, node, kind))
        if not order.pending:
            self._finish(order)

    def _pick(self, order: Order, node: int, kind: str) -> Generator[Any, Any, None]:
        """Store staff pick the parcel during opening hours, then it waits for pickup or a carrier. The minutes
        picking takes are booked when it starts."""
        net = self.net
        clock = net.clock
        st = net.stores[node]
        closed = next_open(clock.now, st.open_min, st.close_min)
        if closed:
            yield closed
        staff = st.staff
        if staff is not None and not staff.take():
            yield staff.wait()
        minutes = self.pick_min.next()
        self.book.picked(node, minutes)  # the staff time picking takes from the floor (priced in the KPIs)
        yield minutes
        if staff is not None:
            staff.release()
        carrier = self.carrier[kind]
        ready = clock.now if carrier is None else clock.now + carrier.next()
        order.pending -= 1
        self._done(order, ready)
        if not order.pending:
            self._finish(order)

    @staticmethod
    def _done(order: Order, ready: float) -> None:
        if ready > order.last:
            order.last = ready

    def _finish(self, order: Order) -> None:
        net = self.net
        late = order.last > order.deadline
        self.book.order_done((order.last - order.t0) / DAY_MIN, not late)
        c = order.customer
        self.after_sale.rate(c, order.problems + late)
        p = self.settings.pickup_extra_purchase_prob
        if order.at_store and p and self.extra_u.next() < p:  # comes to collect and buys one more item
            st = net.stores[c.store]
            t = order.last + next_open(order.last, st.open_min, st.close_min)
            if t < net.horizon:
                self._extra.after(t - net.clock.now, (c, order.cls))

    def _extra_purchase(self, buyer: tuple[Customer, int]) -> None:
        """An impulse buy at pickup: one unit of a SKU drawn by popularity, bought if it is on the shelf. It adds
        to the buyer's spend (their class's units and value), not to the orders. ``buyer``: the customer and their
        class."""
        c, cls = buyer
        net = self.net
        inv, k = net.inv, c.store
        sku = int(self.extra_sku.next())  # an index drawn by popularity
        if inv.on_hand[k][sku] < 1:
            return  # an impulse buy is of what is seen: nothing missed, nothing demanded
        inv.take(k, sku, 1)
        self.book.extra_purchase(net.ch_store, cls, net.cat.price[sku], net.cat.unit_cost[sku])
