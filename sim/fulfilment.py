"""Checkout and fulfilment: which node serves each basket line, shipments, store picking and on-time promises.

The setup's capability switches decide what is visible and allowed (shared pool, stale view, endless aisle,
click & collect, ship-from-store); the same code serves every setup. Store picks take minutes from the same
staff resource that advises walk-in customers.
"""

from __future__ import annotations

from .config import REACTIONS
from .customers import DAY_MIN, Customer, next_open

HOME, COLLECT_WH, STORE_PICKUP, SHIP_FROM_STORE = "home", "collect_warehouse", "store_pickup", "ship_from_store"
SUBSTITUTE, OTHER_STORE, WAIT, DROP_ITEM, DROP_BASKET = range(len(REACTIONS))


class Order:
    """An order with shipments still to be ready or delivered; ``deadline`` and times in minutes."""

    __slots__ = ("t0", "deadline", "pending", "last", "customer", "problems")

    def __init__(self, t0: float, deadline: float, customer: Customer, problems: int):
        self.t0, self.deadline, self.pending, self.last = t0, deadline, 0, t0
        self.customer, self.problems = customer, problems  # rated when the last parcel is ready


class Fulfilment:
    def __init__(self, world):
        self.w = world
        f = world.sc.fulfilment
        self.f = f
        self.caps = world.caps
        self.wh = world.wh
        streams = world.streams
        self.home_days = streams.sampler("delivery.home", f.home_delivery_days, DAY_MIN)
        self.sfs_days = streams.sampler("delivery.ship_from_store", f.ship_from_store_days, DAY_MIN)
        self.pick_min = streams.sampler("picking", f.pick_time_min)
        self.handling = world.sc.warehouse.handling_days * DAY_MIN if world.sc.warehouse else 0.0
        self.other_stores_ok = self.caps.shared_stock and self.caps.ship_from_store
        # recommendations need the unified customer record: switched on without it, they have nothing to use
        self.recommends = self.caps.personalisation and self.caps.customer_data
        self.collect_share = [s.click_collect_share for s in world.sc.segments]  # per segment, for the hot path
        self.reco_accept = [s.recommendation_accept for s in world.sc.segments]
        # substitutes: the other SKUs of the same category, most popular first (at most five are tried)
        cat = world.cat
        order = sorted(range(cat.n), key=lambda i: -cat.popularity[i])
        by_cat: dict[str, list[int]] = {}
        for i in order:
            by_cat.setdefault(cat.category[i], []).append(i)
        self.similar = [[j for j in by_cat[cat.category[i]] if j != i][:5] for i in range(cat.n)]

    # ----------------------------------------------------------------------------------------- checkout
    def store_sale(self, c: Customer, k: int, ch: int, problems: int) -> None:
        """A walk-in customer pays at the till of store ``k``: take from the shelf, react to what is missing."""
        w = self.w
        inv, met, price, cost = w.inv, w.met, w.cat.price, w.cat.unit_cost
        take = inv.take
        lines = self._basket(c)
        met.requests_ch[ch] += len(lines)
        met.requests_store[k] += len(lines)
        if c.reaction == DROP_BASKET:  # leaves if a line is short that would not be backordered
            shelf, owed_ok = inv.on_hand[k], inv.backorders_ok[k]
            if any(shelf[sku] < qty and not owed_ok[sku] for sku, qty in lines):
                return self._drop_basket(c, ch, lines, [k])
        units = short = 0
        value = cogs = 0.0
        ships: dict[int, int] = {}
        bought = []
        for sku, qty in lines:
            got = take(k, sku, qty)
            if got:
                units += got
                value += got * price[sku]
                cogs += got * cost[sku]
                bought.append((sku, got))
            if got < qty:
                short = 1
                sold, n = self._store_shortage(c, k, ch, sku, qty - got, ships)
                if n:
                    units += n
                    value += n * price[sold]
                    cogs += n * cost[sold]
                    bought.append((sold, n))
        if units:
            met.orders_store[k] += 1
        w.close_order(c, ch, units, value, cogs, sold=bought)
        if ships:  # rated when the parcels arrive
            self._ship(c, ships, collect=False, problems=problems + short)
        elif units:
            w.rate(c, problems + short)

    def _store_shortage(self, c: Customer, k: int, ch: int, sku: int, short: int,
                        ships: dict[int, int]) -> tuple[int, int]:
        """(SKU sold, units) when the shelf is short: the node's backorder policy, else the customer's reaction:
        delivery from elsewhere where the setup offers it ('wait'), a similar SKU, another store, or nothing."""
        w = self.w
        inv, met = w.inv, w.met
        if inv.backorders_ok[k][sku]:
            inv.backorder(k, sku, short)
            met.units_backordered += short
            met.value_backordered += short * w.cat.price[sku]
            met.stockouts_ch[ch] += 1
            met.stockouts_store[k] += 1
            return sku, short
        node, visible = self._elsewhere_for_store(k, sku, short)
        if not visible:
            met.stockouts_ch[ch] += 1
            met.stockouts_store[k] += 1
        sent, sold = 0, sku
        if c.reaction == WAIT and node >= 0:
            sent = inv.take(node, sku, short)
            met.units_failed_promise += short - sent   # only a stale view can promise too much
            met.units_remote += sent
            if sent:
                ships[node] = ships.get(node, 0) + sent
        elif c.reaction == SUBSTITUTE:
            sub = self._substitute(k, sku, short)
            if sub >= 0:
                sent, sold = inv.take(k, sub, short), sub
                met.units_substituted += sent
        elif c.reaction == OTHER_STORE:
            other = (k + 1) % w.n_stores  # the next store on the customer's way, whatever the setup shows
            if other != k and inv.on_hand[other][sku] >= short:
                sent = inv.take(other, sku, short)
                met.units_remote += sent
        met.units_lost += short - sent
        met.value_lost += (short - sent) * w.cat.price[sku]
        return sold, sent

    def _substitute(self, node: int, sku: int, qty: int) -> int:
        """The most popular SKU of the same category with ``qty`` units on the shelf of ``node``, or -1."""
        shelf = self.w.inv.on_hand[node]
        for alt in self.similar[sku]:
            if shelf[alt] >= qty:
                return alt
        return -1

    def _drop_basket(self, c: Customer, ch: int, lines: list[tuple[int, int]], nodes: list[int]) -> None:
        """The customer leaves everything because something is missing: every unit is a lost sale."""
        w = self.w
        met, price = w.met, w.cat.price
        for sku, qty in lines:
            if all(w.inv.on_hand[n][sku] < qty for n in nodes):
                met.stockouts_ch[ch] += 1
                if nodes[0] < w.n_stores:
                    met.stockouts_store[nodes[0]] += 1
            met.units_lost += qty
            met.value_lost += qty * price[sku]
        w.close_order(c, ch, 0, 0.0, 0.0, reason="dropped_basket")
        w.rate(c, None)

    def online_sale(self, c: Customer, ch: int, problems: int = 0) -> None:
        """An order placed online or by phone: route each line to a node, then ship or prepare for pickup."""
        w = self.w
        inv, met, price, cost = w.inv, w.met, w.cat.price, w.cat.unit_cost
        collect = self.caps.click_collect and c.u_collect < self.collect_share[c.seg]
        pickup = c.store if collect else -1
        wh = self.wh
        lines = self._basket(c)
        met.requests_ch[ch] += len(lines)
        owed_ok = inv.backorders_ok[wh] if wh >= 0 else [False] * w.cat.n  # per SKU: backorders at the warehouse
        if c.reaction == DROP_BASKET and \
                any(not owed_ok[sku] and self._route_online(sku, qty, pickup) < 0 for sku, qty in lines):
            return self._drop_basket(c, ch, lines, [wh] if wh >= 0 else list(range(w.n_stores)))
        units = short = 0
        value = cogs = 0.0
        ships: dict[int, int] = {}
        bought = []
        for sku, qty in lines:
            sold, ship = sku, True
            node = self._route_online(sku, qty, pickup)
            if node < 0:
                short = 1
                met.stockouts_ch[ch] += 1
                if owed_ok[sku]:
                    inv.backorder(wh, sku, qty)
                    met.units_backordered += qty
                    met.value_backordered += qty * price[sku]
                    units += qty
                    value += qty * price[sku]
                    cogs += qty * cost[sku]
                    bought.append((sku, qty))
                    continue
                sold, node, ship = self._online_reaction(c, sku, qty, pickup)
                if node < 0:
                    met.units_lost += qty
                    met.value_lost += qty * price[sku]
                    continue
            inv.take(node, sold, qty)  # routing only picks a node holding the whole line
            if node != wh:
                met.units_remote += qty
            if ship:
                ships[node] = ships.get(node, 0) + qty
            units += qty
            value += qty * price[sold]
            cogs += qty * cost[sold]
            bought.append((sold, qty))
        w.close_order(c, ch, units, value, cogs, sold=bought)
        if ships:
            self._ship(c, ships, collect, problems + short)
        elif units:
            w.rate(c, problems + short)

    def _online_reaction(self, c: Customer, sku: int, qty: int, pickup: int) -> tuple[int, int, bool]:
        """(SKU, node, shipped) an online buyer ends up with when no node can serve ``sku``; node -1: nothing."""
        if c.reaction == SUBSTITUTE:
            for alt in self.similar[sku]:
                node = self._route_online(alt, qty, pickup)
                if node >= 0:
                    self.w.met.units_substituted += qty
                    return alt, node, True
        elif c.reaction == OTHER_STORE and self.w.n_stores and self.w.inv.on_hand[c.store][sku] >= qty:
            return sku, c.store, False  # goes and buys it in their store, whatever the setup shows
        return sku, -1, False

    def _basket(self, c: Customer) -> list[tuple[int, int]]:
        """The lines the customer asks for: their wishes, plus an accepted recommendation where data allows."""
        met = self.w.met
        if self.recommends and c.u_reco < self.reco_accept[c.seg]:
            met.units_recommended += 1
            met.units_demanded += c.units + 1
            return [*c.lines, (c.reco, 1)]
        met.units_demanded += c.units
        return c.lines

    # ----------------------------------------------------------------------------------------- routing
    def _elsewhere_for_store(self, k: int, sku: int, qty: int) -> tuple[int, bool]:
        """(node that could deliver the missing units or -1, whether any stock was visible to the store)."""
        inv = self.w.inv
        if self.caps.shared_stock:
            node = self._route(sku, qty, exclude=k)
            return node, node >= 0
        if self.caps.endless_aisle and self.wh >= 0:
            view = inv.snapshot if self.caps.visibility == "stale" and inv.snapshot is not None else inv.on_hand
            if view[self.wh][sku] >= qty:
                return self.wh, True
        return -1, False

    def _route_online(self, sku: int, qty: int, pickup_store: int) -> int:
        inv = self.w.inv
        if self.caps.shared_stock:
            if pickup_store >= 0 and self.caps.store_pickup and inv.on_hand[pickup_store][sku] >= qty:
                return pickup_store
            return self._route(sku, qty, exclude=-1)
        return self.wh if self.wh >= 0 and inv.on_hand[self.wh][sku] >= qty else -1

    def _route(self, sku: int, qty: int, exclude: int) -> int:
        """Order management over the live shared pool: the scenario's routing rule, -1 if no node can serve."""
        on_hand = self.w.inv.on_hand
        wh = self.wh
        if self.f.routing == "warehouse_first" and wh >= 0 and wh != exclude and on_hand[wh][sku] >= qty:
            return wh
        best, best_have = -1, qty - 1
        candidates = range(self.w.n_stores) if self.other_stores_ok else ()
        for node in candidates:
            if node != exclude and on_hand[node][sku] > best_have:
                best, best_have = node, on_hand[node][sku]
        if wh >= 0 and wh != exclude and on_hand[wh][sku] > best_have:
            best = wh
        return best

    # ----------------------------------------------------------------------------------------- shipments
    def _ship(self, c: Customer, ships: dict[int, int], collect: bool, problems: int) -> None:
        w = self.w
        env, met, f = w.env, w.met, self.f
        now = env.now
        met.online_orders += 1
        if collect:
            promise = f.collect_promise_days * DAY_MIN
            if c.store in ships and c.store != self.wh:  # served from the pickup store's own shelf
                st = w.stores[c.store]
                promise = next_open(now, st.open_min, st.close_min) + f.store_collect_promise_min
        else:
            promise = f.home_promise_days * DAY_MIN
        order = Order(now, now + promise, c, problems)
        for node in ships:
            if node == self.wh:
                kind = COLLECT_WH if collect else HOME
                met.shipments[kind] += 1
                met.fulfilment_cost += f.collect_cost if collect else f.home_cost
                self._done(order, now + self.handling + self.home_days.next())
            else:
                pickup = collect and node == c.store
                kind = STORE_PICKUP if pickup else SHIP_FROM_STORE
                met.shipments[kind] += 1
                met.fulfilment_cost += f.store_collect_cost if pickup else f.ship_from_store_cost
                met.picks_store[node] += 1
                order.pending += 1
                env.process(self._pick(order, node, pickup))
        if not order.pending:
            self._finish(order)

    def _pick(self, order: Order, node: int, pickup: bool):
        """Store staff pick the parcel during opening hours, then it waits for pickup or a carrier."""
        w = self.w
        env = w.env
        st = w.stores[node]
        closed = next_open(env.now, st.open_min, st.close_min)
        if closed:
            yield env.timeout(closed)
        if st.staff is None:
            yield env.timeout(self.pick_min.next())
        else:
            req = st.staff.request()
            yield req
            yield env.timeout(self.pick_min.next())
            st.staff.release(req)
        ready = env.now if pickup else env.now + self.sfs_days.next()
        order.pending -= 1
        self._done(order, ready)
        if not order.pending:
            self._finish(order)

    @staticmethod
    def _done(order: Order, ready: float) -> None:
        if ready > order.last:
            order.last = ready

    def _finish(self, order: Order) -> None:
        met = self.w.met
        met.online_done += 1
        met.lead_time_sum_days += (order.last - order.t0) / DAY_MIN
        late = order.last > order.deadline
        if not late:
            met.on_time += 1
        self.w.rate(order.customer, order.problems + late)
