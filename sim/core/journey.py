"""One customer journey: research, a possible channel switch, then the purchase.

A journey is a generator run as a light process (:class:`sim.core.engine.Light`): it yields a delay as a number, or
the event of a wait for a server. Research steps that touch no shared state are merged into one delay; calls to
customer service go through the call centre's agents like any other call. In store, advice staff and tills are
servers (:class:`sim.core.engine.Servers`): a customer who finds one free takes it without an event, and leaves when
the total wait exceeds their patience.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np

from sim.core.aftersale import AfterSale
from sim.core.choice import StockView
from sim.core.customers import Customer, next_open
from sim.core.fulfilment import Fulfilment
from sim.core.ledger import Leave, Ledger, QueueStats, Starts
from sim.core.marketing import HAGGLE, LEAVE, SWITCH, Marketing
from sim.core.network import Network
from sim.core.rng import Streams
from sim.scenario.schema import Scenario
from sim.scenario.setups import Capabilities

Process = Generator[Any, Any, None]


def clock(now: float, t: np.ndarray) -> np.ndarray:
    """The times a loop from ``now`` waiting for each of the sorted times ``t`` in turn reaches, to the last bit:
    ``now += t[i] - now`` for each ``i``. That is ``t[i]`` itself wherever the time before was exact and the
    difference exact (nearly always: two close times), so the loop runs only from where a step was not, until
    the times meet again."""
    prev = np.empty_like(t)
    prev[0] = now
    prev[1:] = t[:-1]
    out: np.ndarray = prev + (t - prev)  # right wherever the time before is ``prev``
    last = t.size - 1
    done = -1
    for i in np.flatnonzero(out != t).tolist():
        if i <= done or i == last:
            continue
        cur = float(out[i])  # off its time: the next ones follow from it, one by one, until one is exact again
        j = i + 1
        while True:
            tj = float(t[j])
            cur += tj - cur
            out[j] = cur
            if cur == tj or j == last:
                break
            j += 1
        done = j
    return out


class Journeys:
    """The journeys of one replication: research, then a purchase in store, by phone or online.

    A journey hands its buyer to the fulfilment and its customer's rating to the after-sale, and both hand
    customers back: the after-sale a repeat customer (:meth:`start`), the fulfilment a buyer who got nothing and
    comes back after a reminder (:meth:`come_back`). So the journeys build the two, handing them these methods:
    every link is fixed when its holder is built, none set afterwards. ``lapsed`` is the after-sale's record of
    recent detractors (None where no offer targets them).

    ``cart_loss`` is the setup's weight on the segments' ``restart_abandon`` chance (1 without cart continuity,
    0 with a cart that follows the customer); ``active`` counts the journeys under way (the books' "inside"),
    a customer waiting to come back to an abandoned cart after a reminder included, and a drawn block's customers
    from the moment it is drawn (read at the horizon, when every one of them has started)."""

    def __init__(self, net: Network, book: Ledger, marketing: Marketing, scenario: Scenario,
                 capabilities: Capabilities, streams: Streams, lapsed: deque[tuple[float, Customer]] | None):
        self.net, self.book, self.marketing = net, book, marketing
        self.clock = net.clock
        self.light = net.engine.light()
        self._researched = net.engine.later(self._after_research)
        # chance that a channel switch loses the cart
        self.cart_loss = {"none": 1.0, "friction": scenario.fulfilment.cart_friction,
                          "full": 0.0}[capabilities.cart_continuity]
        self.restart_abandon = [s.restart_abandon_prob for s in scenario.segments]
        self.view = StockView(net, book, scenario, capabilities)  # the store stock shown online, where shown
        # a customer may change channel before buying (sim.core.choice, the answer to channel prices)
        self.choosing = self.view.on or marketing.pricing.on
        self.active = 0
        self.after_sale = AfterSale(net, book, scenario, capabilities, streams, restart=self.start, lapsed=lapsed)
        self.fulfilment = Fulfilment(net, book, self.after_sale, marketing, scenario, capabilities, streams,
                                     retry=self.come_back)

    def start(self, c: Customer) -> None:
        """Start ``c``'s journey now (a repeat customer, an offer-taker)."""
        self.active += 1
        if c.research_min > 0:
            self._researched.after(c.research_min, c)
        else:
            self.light.start(self.run(c))

    def arrive(self, batch: list[Customer], starts: Starts, now: float) -> float:
        """Put the journeys of ``batch`` (sorted by start time, none before ``now``; ``starts`` its columns) on
        the clock at once: each is one event, when its research ends, fed to SimPy's queue in turn. Returns the
        last one's start time. The times are those a loop waiting for each start in turn would reach
        (``now + (t - now)``), to the last bit (:func:`clock`)."""
        self.active += len(batch)  # "inside" from now: the ledger counts the batch as arrived, less those to come
        if not batch:
            return now
        at = clock(now, starts.t)
        self.net.engine.feed(self._after_research, at + starts.research_min, batch)
        return float(at[-1])

    def _after_research(self, c: Customer) -> None:
        self.light.start(self.run(c))

    def run(self, c: Customer) -> Process:
        """One journey, its research done, to an order or a departure (counted inside from its start): the
        research calls, the cart's fate, the store stock seen online and the answer to a lower price seen elsewhere,
        then the purchase in store, by phone or online. (One generator: each level of ``yield from`` would cost every resumption a frame.)"""
        try:
            problems = 0  # contacts the chatbot answered badly
            for i in range(c.calls):
                problems += yield from self.call(c, c.handle_min[i], purchase=False)
            if c.dropped:
                ch = self.marketing.online_cart(c) if self.marketing.reminds else -1
                if ch < 0 or not self.marketing.comes_back(c):
                    self.book.customer_left(Leave.RESEARCH)
                    return
                c = yield from self._reminded(c, dropped=False)
            else:
                ch = c.channel
                if c.switch and c.u_abandon < self.cart_loss * self.restart_abandon[c.seg]:
                    if not self.marketing.comes_back(c):
                        self.book.customer_left(Leave.CART_LOST)
                        self.after_sale.rate(c, None)
                        return
                    c = yield from self._reminded(c)
            net = self.net
            if self.choosing:
                c, ch = self._choose(c, ch)
                if ch < 0:
                    return
            if ch == net.ch_store:
                yield from self.store_visit(c, ch, problems)
            elif ch == net.ch_call:
                yield from self.call(c, c.handle_min[c.calls], purchase=True, problems=problems)
            else:
                self.book.checkout(ch)
                if self.marketing.abandons and not c.recovered and c.u_checkout < self.marketing.abandon[c.seg]:
                    self.book.checkout_abandoned(ch)  # leaves the cart at checkout
                    if not self.marketing.comes_back(c):
                        self.book.customer_left(Leave.CART_ABANDONED)
                        return
                    c = yield from self._reminded(c)
                    self.book.checkout(ch)  # back to the cart: another checkout
                self.fulfilment.online_sale(c, ch, problems)
        finally:
            self.active -= 1

    def _choose(self, c: Customer, ch: int) -> tuple[Customer, int]:
        """The customer about to buy in ``ch`` and the channel they buy in, once they have seen their store's stock
        online (where the setup shows it) and answered a lower price seen elsewhere; channel -1: they leave."""
        if self.view.on:
            ch = self.view.channel(c, ch)
        if self.marketing.pricing.on:
            return self._price_answer(c, ch)
        return c, ch

    def _price_answer(self, c: Customer, ch: int) -> tuple[Customer, int]:
        """The customer about to buy in ``ch`` and the channel they buy in, after their answer to a lower price
        seen elsewhere; channel -1: they leave."""
        net = self.net
        reaction, cheaper = self.marketing.price_reaction(c, ch)
        if reaction == LEAVE:
            self.book.customer_left(Leave.PRICE)
            self.after_sale.rate(c, None)
            return c, -1
        if reaction == SWITCH:
            self.book.price_switch()
            return c, cheaper
        if reaction == HAGGLE and (ch == net.ch_store or ch == net.ch_call):  # matched, after a while
            extra = self.marketing.haggle_min[c.seg]
            c = c.replace(price_ch=cheaper, till_min=c.till_min + extra if ch == net.ch_store else c.till_min,
                           handle_min=[*c.handle_min[:-1], c.handle_min[-1] + extra] if ch == net.ch_call
                           else c.handle_min)
        return c, ch

    def _reminded(self, c: Customer, **changes: Any) -> Generator[Any, Any, Customer]:
        """Wait for a reminded customer to come back to their cart (inside meanwhile); the customer returning."""
        yield self.marketing.reminder_delay.next()
        return c.replace(recovered=True, **changes)

    def come_back(self, c: Customer, ch: int) -> None:
        """``c`` left an online checkout with nothing and comes back after a reminder to order in ``ch`` again
        (inside until then)."""
        self.active += 1
        self.light.start(self._come_back(c, ch))

    def _come_back(self, c: Customer, ch: int) -> Process:
        try:
            yield self.marketing.reminder_delay.next()
            self.book.checkout(ch)  # back to the checkout after a reminder
            self.fulfilment.online_sale(c, ch)
        finally:
            self.active -= 1

    def store_visit(self, c: Customer, ch: int, problems: int = 0) -> Process:
        """Advice (some customers), then the till; the sale is booked when the till has served the customer."""
        clock = self.clock
        k = c.store
        st = self.net.stores[k]
        q = self.book.store_q[k]
        closed = next_open(clock.now, st.open_min, st.close_min)
        if closed:  # found it closed: comes back at a uniform time of the next opening hours
            yield closed + c.u_defer * (st.close_min - st.open_min)
            closed = next_open(clock.now, st.open_min, st.close_min)
            if closed:
                yield closed
        tills = st.tills
        # full: every till busy and every waiting place taken (with no waiting room, a free till still serves)
        if st.queue_capacity is not None and tills is not None and tills.full(st.queue_capacity):
            q.balk()
            self.book.customer_left(Leave.STORE_FULL)
            self.after_sale.rate(c, None)
            return
        t_in = clock.now
        q.enter(t_in)
        patience = c.store_patience
        waited = 0.0  # time in queues only: time with an adviser is not waiting, and does not use up patience
        if st.staff is not None and c.u_advice < st.advice_prob:
            if not st.staff.take() and not (yield st.staff.wait(patience)):
                return self._give_up(c, q, t_in)
            now = clock.now
            waited = now - t_in
            yield c.advice_min
            st.staff.release()
        if tills is not None:
            t_q = clock.now
            if not tills.take() and not (yield tills.wait(patience - waited)):
                return self._give_up(c, q, t_in)
            now = clock.now
            waited += now - t_q
        q.waited(waited)
        if c.till_min:
            yield c.till_min
        # booked as the customer leaves: "inside" until then
        self.fulfilment.store_sale(c, k, ch, problems + (waited > q.target))
        if tills is not None:
            tills.release()
        q.leave(clock.now, t_in)

    def _give_up(self, c: Customer, q: QueueStats, t_in: float) -> None:
        q.gave_up(self.clock.now, t_in)
        self.book.customer_left(Leave.STORE_QUEUE)
        self.after_sale.rate(c, None)

    def call(self, c: Customer, handle: float, purchase: bool, problems: int = 0) -> Generator[Any, Any, int]:
        """One call to the call centre; a purchase call places an order when it ends. A service contact meets the
        chatbot first where there is one (at any hour); returns 1 if the chatbot answered it badly, else 0."""
        clock = self.clock
        if not purchase and self.marketing.bots:
            answered, failed = self.marketing.chatbot(c)
            if answered:
                yield self.marketing.bot_time.next()
                return int(failed)
        cc = self.net.call
        assert cc is not None, "a journey calls only where the scenario has a call centre"
        q = self.book.call_q
        closed = next_open(clock.now, cc.open_min, cc.close_min)
        if closed:  # as for stores: call back after opening
            yield closed + c.u_defer * (cc.close_min - cc.open_min)
            closed = next_open(clock.now, cc.open_min, cc.close_min)
            if closed:
                yield closed
        t_in = clock.now
        q.enter(t_in)
        agents = cc.agents
        if agents is not None and not agents.take() and not (yield agents.wait(c.call_patience)):
            q.gave_up(clock.now, t_in)
            if purchase:
                self.book.customer_left(Leave.CALL_QUEUE)
                self.after_sale.rate(c, None)
            return 0
        now = clock.now
        waited = now - t_in
        q.waited(waited)
        yield handle
        if agents is not None:
            agents.release()
        q.leave(clock.now, t_in)
        if purchase:
            self.fulfilment.online_sale(c, self.net.ch_call, problems + (waited > q.target))
        return 0

