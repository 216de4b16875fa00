"""The SimPy process of one customer journey: research, a possible channel switch, then the purchase.

Research steps that touch no shared state are merged into one timeout (fewer events); calls to customer service
go through the call centre's agents like any other call. In store, advice staff and tills are SimPy resources;
a customer leaves when the total wait exceeds their patience.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy
from simpy.events import Event
from simpy.resources.resource import Request

from .customers import Customer, next_open
from .ledger import Leave, Ledger, QueueStats
from .marketing import HAGGLE, LEAVE, SWITCH, Marketing
from .network import Network

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .aftersale import AfterSale
    from .fulfilment import Fulfilment

INF = float("inf")
Process = Generator[Any, Any, None]


class Journeys:
    """The journeys of one replication: research, then a purchase in store, by phone or online.

    ``cart_loss`` is the setup's weight on the segments' ``restart_abandon`` chance (1 without cart continuity,
    0 with a cart that follows the customer); ``active`` counts the journeys under way (the books' "inside"),
    a customer waiting to come back to an abandoned cart after a reminder included."""

    def __init__(self, net: Network, book: Ledger, sales: Fulfilment, after: AfterSale, marketing: Marketing,
                 cart_loss: float, restart_abandon: list[float]):
        self.net, self.book, self.sales, self.after, self.mk = net, book, sales, after, marketing
        self.env = net.env
        self.cart_loss = cart_loss
        self.restart_abandon = restart_abandon
        self.active = 0

    def run(self, c: Customer) -> Process:
        """Generator for ``env.process``: one journey from first touchpoint to order or departure."""
        env = self.env
        self.active += 1
        try:
            if c.research_min > 0:
                yield env.timeout(c.research_min)
            problems = 0  # contacts the chatbot answered badly
            for i in range(c.calls):
                problems += yield from self.call(c, c.handle_min[i], purchase=False)
            if c.dropped:
                cart = self.mk.online_cart(c) if self.mk.reminds else -1
                if cart < 0 or not self.mk.comes_back(c):
                    self.book.customer_left(Leave.RESEARCH)
                    return
                c = yield from self._reminded(c, dropped=False)
                yield from self.purchase(c, cart, problems)
                return
            if c.switch and c.u_abandon < self.cart_loss * self.restart_abandon[c.seg]:
                if not self.mk.comes_back(c):
                    self.book.customer_left(Leave.CART_LOST)
                    self.after.rate(c, None)
                    return
                c = yield from self._reminded(c)
            yield from self.purchase(c, c.channel, problems)
        finally:
            self.active -= 1

    def purchase(self, c: Customer, ch: int, problems: int = 0) -> Process:
        """The purchase in channel ``ch``, after the customer's answer to a lower price seen elsewhere."""
        net = self.net
        if self.mk.pricing.on:
            reaction, cheaper = self.mk.price_reaction(c, ch)
            if reaction == LEAVE:
                self.book.customer_left(Leave.PRICE)
                self.after.rate(c, None)
                return
            if reaction == SWITCH:
                self.book.price_switch()
                ch = cheaper
            elif reaction == HAGGLE and (ch == net.ch_store or ch == net.ch_call):  # matched, after a while
                extra = self.mk.haggle_min[c.seg]
                c = c._replace(price_ch=cheaper, till_min=c.till_min + extra if ch == net.ch_store else c.till_min,
                               handle_min=[*c.handle_min[:-1], c.handle_min[-1] + extra] if ch == net.ch_call
                               else c.handle_min)
        if ch == net.ch_store:
            yield from self.store_visit(c, ch, problems)
        elif ch == net.ch_call:
            yield from self.call(c, c.handle_min[c.calls], purchase=True, problems=problems)
        else:
            if self.mk.abandons and not c.recovered and c.u_checkout < self.mk.abandon[c.seg]:
                if not self.mk.comes_back(c):  # leaves the cart at checkout
                    self.book.customer_left(Leave.CART_ABANDONED)
                    return
                c = yield from self._reminded(c)
            self.sales.online_sale(c, ch, problems)

    def _reminded(self, c: Customer, **changes: Any) -> Generator[Any, Any, Customer]:
        """Wait for a reminded customer to come back to their cart (inside meanwhile); the customer returning."""
        yield self.env.timeout(self.mk.reminder_delay.next())
        return c._replace(recovered=True, **changes)

    def come_back(self, c: Customer, ch: int) -> None:
        """``c`` left an online checkout with nothing and comes back after a reminder to order in ``ch`` again
        (inside until then)."""
        self.active += 1
        self.env.process(self._come_back(c, ch))

    def _come_back(self, c: Customer, ch: int) -> Process:
        try:
            yield self.env.timeout(self.mk.reminder_delay.next())
            self.sales.online_sale(c, ch)
        finally:
            self.active -= 1

    def store_visit(self, c: Customer, ch: int, problems: int = 0) -> Process:
        """Advice (some customers), then the till; the sale is booked when the till has served the customer."""
        env = self.env
        k = c.store
        st = self.net.stores[k]
        q = self.book.store_q[k]
        closed = next_open(env.now, st.open_min, st.close_min)
        if closed:  # found it closed: comes back at a uniform time of the next opening hours
            yield env.timeout(closed + c.u_defer * (st.close_min - st.open_min))
            closed = next_open(env.now, st.open_min, st.close_min)
            if closed:
                yield env.timeout(closed)
        tills = st.tills
        # full: every till busy and every waiting place taken (with no waiting room, a free till still serves)
        if st.queue_capacity is not None and tills is not None and tills.count >= tills.capacity \
                and len(tills.queue) >= st.queue_capacity:
            q.balk()
            self.book.customer_left(Leave.STORE_FULL)
            self.after.rate(c, None)
            return
        t_in = env.now
        q.enter(t_in)
        patience = c.store_patience
        waited = 0.0  # time in queues only: time with an adviser is not waiting, and does not use up patience
        if st.staff is not None and c.u_advice < st.advice_prob:
            req = st.staff.request()
            if not req.triggered and not (yield from _wait(env, req, patience)):
                return self._give_up(c, q, t_in)
            waited = env.now - t_in
            yield env.timeout(c.advice_min)
            st.staff.release(req)
        till = None
        if tills is not None:
            t_q = env.now
            till = tills.request()
            if not till.triggered and not (yield from _wait(env, till, patience - waited)):
                return self._give_up(c, q, t_in)
            waited += env.now - t_q
        q.waited(waited)
        if c.till_min:
            yield env.timeout(c.till_min)
        # booked as the customer leaves: "inside" until then
        self.sales.store_sale(c, k, ch, problems + (waited > q.target))
        if till is not None and tills is not None:
            tills.release(till)
        q.leave(env.now, t_in)

    def _give_up(self, c: Customer, q: QueueStats, t_in: float) -> None:
        q.gave_up(self.env.now, t_in)
        self.book.customer_left(Leave.STORE_QUEUE)
        self.after.rate(c, None)

    def call(self, c: Customer, handle: float, purchase: bool, problems: int = 0) -> Generator[Any, Any, int]:
        """One call to the call centre; a purchase call places an order when it ends. A service contact meets the
        chatbot first where there is one (at any hour); returns 1 if the chatbot answered it badly, else 0."""
        env = self.env
        if not purchase and self.mk.bots:
            answered, failed = self.mk.chatbot(c)
            if answered:
                yield env.timeout(self.mk.bot_time.next())
                return int(failed)
        cc = self.net.call
        assert cc is not None, "a journey calls only where the scenario has a call centre"
        q = self.book.call_q
        closed = next_open(env.now, cc.open_min, cc.close_min)
        if closed:  # as for stores: call back after opening
            yield env.timeout(closed + c.u_defer * (cc.close_min - cc.open_min))
            closed = next_open(env.now, cc.open_min, cc.close_min)
            if closed:
                yield env.timeout(closed)
        t_in = env.now
        q.enter(t_in)
        agents = cc.agents
        req = None
        if agents is not None:
            req = agents.request()
            if not req.triggered and not (yield from _wait(env, req, c.call_patience)):
                q.gave_up(env.now, t_in)
                if purchase:
                    self.book.customer_left(Leave.CALL_QUEUE)
                    self.after.rate(c, None)
                return 0
        waited = env.now - t_in
        q.waited(waited)
        yield env.timeout(handle)
        if req is not None and agents is not None:
            agents.release(req)
        q.leave(env.now, t_in)
        if purchase:
            self.sales.online_sale(c, self.net.ch_call, problems + (waited > q.target))
        return 0


def _wait(env: simpy.Environment, req: Request, patience: float) -> Generator[Any, Any, bool]:
    """Wait for a request that was not granted at once; True if granted, False if patience ran out first.

    Whichever of the grant and the patience timeout comes first wakes the customer: a bare event with two
    callbacks, cheaper than SimPy's general ``req | timeout`` condition.
    """
    if patience == INF:
        yield req
        return True
    wake = Event(env)

    def first(_ev: Any, wake: Event = wake) -> None:
        if not wake.triggered:
            wake.succeed()

    assert req.callbacks is not None
    req.callbacks.append(first)
    timeout = env.timeout(patience)
    assert timeout.callbacks is not None
    timeout.callbacks.append(first)
    yield wake
    if req.triggered:
        return True
    req.cancel()
    return False
