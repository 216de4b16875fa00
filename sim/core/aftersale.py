"""After the sale: returns (where they are taken back, handling, write-offs), ratings and public reviews, and the
repeat journeys that loyalty brings. Receives the network, the ledger and the scenario; books through the ledger.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from sim.core.customers import DAY_MIN, Customer, Journey, pack, unpack
from sim.core.ledger import Ledger
from sim.core.network import Network
from sim.core.rng import Streams
from sim.scenario.schema import Dist, Scenario
from sim.scenario.setups import Capabilities


class AfterSale:
    """Returns, ratings, reviews and repeat journeys of one replication.

    ``restart`` starts the journey a repeat customer goes through again (the journeys, which build the after-sale
    and hand it their customers to rate, give their own ``start``). ``lapsed`` keeps (time, customer) of recent
    detractors for the offers that target them; None where no offer does.
    """

    def __init__(self, net: Network, book: Ledger, scenario: Scenario, capabilities: Capabilities, streams: Streams,
                 restart: Journey, lapsed: deque[tuple[float, Customer]] | None):
        self.net, self.book = net, book
        self.clock = net.clock
        # returns on their way back and in handling, repeat journeys to come: many pending at once on long horizons,
        # days away (they wait outside SimPy's queue until their day, see Later)
        self._back = net.engine.later(self._brought_back, period=DAY_MIN)
        self._handling = net.engine.later(self._handled, period=DAY_MIN)
        self._repeating = net.engine.later(self._repeat, period=DAY_MIN)
        self.settings = scenario.fulfilment  # the scenario's fulfilment settings (returns handling among them)
        self.return_anywhere = capabilities.return_anywhere
        self.restart = restart
        self.lapsed = lapsed
        segs = scenario.segments
        self.repeat_chance = [(s.after_sale.repeat_promoter, s.after_sale.repeat_passive,
                               s.after_sale.repeat_detractor) for s in segs]
        self.line_return = self._line_return_chances(scenario)
        self.return_u = streams.uniform("returns.decide")
        self.writeoff_u = streams.uniform("returns.writeoff")
        self.review_prob = [s.after_sale.review_prob for s in segs]
        self.promoter_prob = [s.after_sale.promoter_prob for s in segs]
        self.content_prob = [1.0 - s.after_sale.detractor_prob for s in segs]  # below it, a faultless buyer is content
        self.review_u = streams.uniform("reviews")
        self.return_delay = [streams.sampler(f"returns.{i}", Dist(mean=s.after_sale.return_after_days), DAY_MIN)
                             for i, s in enumerate(segs)]
        self.repeat_delay = [streams.sampler(f"repeats.{i}", Dist(mean=s.after_sale.repeat_after_days), DAY_MIN)
                             for i, s in enumerate(segs)]

    def _line_return_chances(self, scenario: Scenario) -> list[tuple[list[float] | None, list[float] | None]]:
        """Per segment, (store, online): the chance that each SKU's order line is returned; None for never."""
        factors = scenario.fulfilment.return_category_factor
        factor = [factors.get(cat, 1.0) for cat in self.net.cat.category]

        def chances(base: float) -> list[float] | None:
            return [base * x for x in factor] if base else None

        return [(chances(s.after_sale.return_store), chances(s.after_sale.return_online)) for s in scenario.segments]

    # ----------------------------------------------------------------------------------------- returns
    def sold(self, c: Customer, ch: int, lines: Sequence[tuple[int, int]]) -> None:
        """An order's (SKU, units) lines were sold in channel ``ch``: each is returned with its segment, channel
        and category's chance, one uniform per line."""
        chances = self.line_return[c.seg][ch != self.net.ch_store]
        if chances is not None and lines:
            u = self.return_u
            back = [(sku, n) for sku, n in lines if u.next() < chances[sku]]
            if back:  # the store is all a return needs of its customer: the customer is not held
                self._back.after(self.return_delay[c.seg].next(), (c.store, ch, back))

    def _brought_back(self, ret: tuple[int, int, list[tuple[int, int]]]) -> None:
        """The customer brings ``lines`` of an order back where the setup takes them: their own store with
        ``return_anywhere``, else the selling channel's node; they are handled for ``return_handling_days``."""
        store, ch, lines = ret
        net = self.net
        if self.return_anywhere and net.n_stores or ch == net.ch_store or net.wh < 0:
            node = store
        else:
            node = net.wh
        units = sum(n for _, n in lines)
        self.book.returned(units, sum(n * net.cat.price[sku] for sku, n in lines), node != net.wh,
                           ch != net.ch_store)
        net.inv.return_in(node, units)
        self._handling.after(self.settings.return_handling_days * DAY_MIN, (node, lines))

    def _handled(self, ret: tuple[int, list[tuple[int, int]]]) -> None:
        """After handling, each returned unit is sellable again or, with the write-off share, written off."""
        node, lines = ret
        book, inv = self.book, self.net.inv
        share = self.settings.return_writeoff_share
        for sku, n in lines:
            bad = sum(self.writeoff_u.next() < share for _ in range(n)) if share else 0
            if bad:
                inv.write_off(node, bad)
                book.written_off(bad)
            if n > bad:
                inv.put_back(node, sku, n - bad)

    # ----------------------------------------------------------------------------------------- loyalty
    def rate(self, c: Customer, problems: int | None) -> None:
        """How the customer will speak of it (NPS-like): no problem = promoter (with the segment's
        ``promoter_prob``; a detractor with its ``detractor_prob``, unhappy with what the model does not see:
        product, fit, price; else passive), one = passive, more or nothing bought (``None``) = detractor.
        Problems: a wait over target, a missing item, a late parcel.
        Loyalty follows: the segment's chance of a repeat journey for that rating."""
        grade = 2 if problems is None or problems >= 2 else problems
        if grade == 0 and c.u_rate >= self.promoter_prob[c.seg]:
            # nothing went wrong, yet not enthusiastic enough to recommend (price, product, mood), or unhappy
            grade = 1 if c.u_rate < self.content_prob[c.seg] else 2
        self.book.rating(grade)
        if grade == 2 and self.lapsed is not None:
            self.lapsed.append((self.clock.now, c))
        if self.review_prob[c.seg] and self.review_u.next() < self.review_prob[c.seg]:
            self.book.review(grade)
        if c.u_repeat < self.repeat_chance[c.seg][grade]:
            delay = self.repeat_delay[c.seg].next()
            if self.clock.now + delay < self.net.horizon:  # packed: tens of thousands wait weeks on a long run
                self._repeating.after(delay, pack(c))

    def _repeat(self, packed: bytes) -> None:
        """The same customer comes back with the same kind of wishes; a repeat never repeats itself."""
        again = unpack(packed).replace(t=self.clock.now, repeat=True, u_repeat=1.0)
        self.book.repeat_journey(again)
        self.restart(again)
