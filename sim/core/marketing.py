"""Marketing: prices and promotions per channel, abandoned-cart reminders and the chatbot.

The market studies' fourth pillar. Siloed setups may price each channel apart (a price index per purchase channel)
and run promotions in some channels only; unified pricing holds the catalogue price everywhere, promotions
included. A customer who researched a channel where their basket is cheaper than where they buy notices it (above
the scenario's ``price_gap_noticed``) and reacts as their segment does: accepts, switches channel, haggles (store
or phone: extra minutes, the lower price) or leaves. Reminders need the unified customer record; the chatbot
answers a share of service contacts first. Every decision reads one of the customer's pre-drawn uniforms
(``u_remind``, ``u_bot``, ``u_price``, ``u_promo``), so each setup replays the same customers; with every lever at
its default nothing here changes a number or an event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from functools import partial
from itertools import accumulate
from typing import Any

import numpy as np

from sim.core.customers import DAY_MIN, Customer, Journey
from sim.core.engine import URGENT
from sim.core.ledger import Ledger
from sim.core.network import Network
from sim.core.rng import Sampler, Streams
from sim.scenario.schema import Offer, Scenario
from sim.scenario.setups import Capabilities

ACCEPT, SWITCH, HAGGLE, LEAVE = range(4)
PRICE_REACTIONS = ("accept", "switch", "haggle", "leave")
HOUR_MIN = 60.0


class Pricing:
    """The price each channel charges for each SKU now, promotions included, and the promoted SKUs per channel.

    ``now[ch]`` is a list of unit prices (the catalogue's own list where nothing changes it); ``promo[ch]`` flags
    the SKUs on promotion and ``uplift[ch]`` their basket multipliers (None: no promotion in that channel). The
    tables change only at promotion boundaries, scheduled once: the checkout reads a list, nothing more.
    """

    def __init__(self, net: Network, scenario: Scenario, capabilities: Capabilities):
        self.net = net
        cat = net.cat
        self.list_price = cat.price
        n_ch = len(net.channels)
        index = [1.0 if capabilities.unified_pricing else scenario.marketing.channel_price_index.get(ch, 1.0)
                 for ch in net.channels]
        self.base = [cat.price if x == 1.0 else [p * x for p in cat.price] for x in index]
        ids = {sku: i for i, sku in enumerate(cat.ids)}
        self.promos = []
        for p in scenario.promotions:
            if not p.prices:
                continue
            chans = set(range(n_ch)) if capabilities.unified_pricing or p.channels is None else \
                {net.channels.index(ch) for ch in p.channels if ch in net.channels}
            in_scope = [(p.categories is None and p.skus is None) or (p.categories is not None and c in p.categories)
                        for c in cat.category]
            for sku in p.skus or []:
                in_scope[ids[sku]] = True
            self.promos.append((p.start_day * DAY_MIN, (p.start_day + p.days) * DAY_MIN, p, chans, in_scope))
        self.on = any(x != 1.0 for x in index) or bool(self.promos)
        self.gap_tol = scenario.marketing.price_gap_noticed
        self.now: list[list[float]] = list(self.base)
        self.promo: list[list[bool] | None] = [None] * n_ch
        self.uplift: list[list[float] | None] = [None] * n_ch
        for start, end, *_ in self.promos:
            for t in (start, end):
                if 0.0 < t < net.horizon:  # a promotion from day 0 is in the tables built just below
                    net.engine.call_after(t - net.clock.now, self._refresh, URGENT)
        self._refresh(None)

    def _refresh(self, _event: object) -> None:
        """Recompute the tables for the promotions running now (overlapping discounts multiply)."""
        now = self.net.clock.now
        running = [(p, chans, scope) for start, end, p, chans, scope in self.promos if start <= now < end]
        for ch in range(len(self.now)):
            mine = [(p, scope) for p, chans, scope in running if ch in chans]
            if not mine:
                self.now[ch], self.promo[ch], self.uplift[ch] = self.base[ch], None, None
                continue
            price = list(self.base[ch])
            flag, up = [False] * len(price), [1.0] * len(price)
            for p, scope in mine:
                for i, hit in enumerate(scope):
                    if hit:
                        price[i] *= 1.0 - p.discount
                        up[i] *= p.basket_uplift
                        flag[i] = True
            self.now[ch], self.promo[ch] = price, flag
            self.uplift[ch] = up if any(x > 1.0 for x in up) else None

    def basket(self, lines: list[tuple[int, int]], ch: int) -> float:
        price = self.now[ch]
        return sum(q * price[sku] for sku, q in lines)

    def cheaper(self, c: Customer, ch: int) -> int:
        """A channel the customer researched where their basket costs noticeably less than in ``ch`` (the cheapest
        such), or -1. The call centre is not compared (a phone price is not seen before calling)."""
        net = self.net
        seen = c.tp_mask & net.channels_mask & ~net.channel_bit[ch]
        if not seen:
            return -1
        best, best_v = -1, self.basket(c.lines, ch) * (1.0 - self.gap_tol)
        for k, bit in enumerate(net.channel_bit):
            if seen & bit and k != net.ch_call:
                v = self.basket(c.lines, k)
                if v < best_v:
                    best, best_v = k, v
        return best

    def uplifted(self, c: Customer, ch: int, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The lines with the promotion's basket uplift on those in scope: ``qty * m`` units, the fraction
        rounded up when the customer's ``u_promo`` falls below it."""
        up = self.uplift[ch]
        if up is None:
            return lines
        out = []
        for sku, q in lines:
            m = up[sku]
            if m > 1.0:
                x = q * m
                q = int(x) + (c.u_promo < x - int(x))
            out.append((sku, q))
        return out

    def book_sale(self, book: Ledger, ch: int, value: float, bought: list[tuple[int, int]]) -> None:
        """Book what prices did to a sale paid at channel ``ch``'s table: catalogue value minus the value paid
        (discounts and channel prices), and the value of the promoted units."""
        lp, flag, price = self.list_price, self.promo[ch], self.now[ch]
        listed = sum(n * lp[sku] for sku, n in bought)
        promoted = sum(n * price[sku] for sku, n in bought if flag[sku]) if flag is not None else 0.0
        book.priced(listed - value, promoted)


class Marketing:
    """The marketing levers of one replication as the journeys meet them: pricing, reminders and the chatbot."""

    def __init__(self, net: Network, book: Ledger, scenario: Scenario, capabilities: Capabilities, streams: Streams):
        self.book = book
        self.pricing = Pricing(net, scenario, capabilities)
        segs = scenario.segments
        self.abandon = [s.marketing.cart_abandon_prob for s in segs]
        self.abandons = any(self.abandon)
        self.remind = [s.marketing.reminder_return_prob if capabilities.cart_reminders else 0.0 for s in segs]
        self.reminds = any(self.remind)
        self.reminder_delay: Sampler = streams.sampler("marketing.reminder_delay",
                                                       scenario.marketing.reminder_delay_hours, HOUR_MIN)
        self.bot = [s.marketing.chatbot_containment if capabilities.chatbot else 0.0 for s in segs]
        self.bot_fails = [s.marketing.chatbot_containment * s.marketing.chatbot_failure for s in segs]
        self.bots = any(self.bot)
        self.bot_time: Sampler = streams.sampler("marketing.chatbot", scenario.marketing.chatbot.handle_time_min)
        self.price_cum = [list(accumulate(getattr(s.marketing.price_reaction, r) for r in PRICE_REACTIONS))
                          for s in segs]
        self.haggle_min = [s.marketing.haggle_min for s in segs]
        # targeted offers: sent where the setup has the customer record and personalisation
        self.horizon, self.streams, self.clock = net.horizon, streams, net.clock
        self.engine = net.engine
        offers = scenario.marketing.offers if capabilities.customer_data and capabilities.personalisation else []
        self.offers = [(o, None if o.segment is None else [s.name for s in segs].index(o.segment)) for o in offers]
        self.offer_discount = [o.discount for o in scenario.marketing.offers]
        self.wants_lapsed = any(o.audience == "lapsed" for o, _ in self.offers)
        # research touchpoints where an online cart is built, mapped to their purchase channel index
        offline = (net.ch_store, net.ch_call)
        self.cart_of_tp = [net.channels.index(t) if t in net.channels and net.channels.index(t) not in offline
                           else -1 for t in net.research]

    def online_cart(self, c: Customer) -> int:
        """The channel of the online cart a customer who gave up while researching left behind (the last online
        place that sells they visited), or -1."""
        for tp in reversed(c.path):
            if self.cart_of_tp[tp] >= 0:
                return self.cart_of_tp[tp]
        return -1

    # ----------------------------------------------------------------------------------------- offers
    def start_offers(self, journey: Journey,
                     known: Callable[[], list[Customer]], lapsed: deque[tuple[float, Customer]] | None) -> None:
        """Start one campaign, a light process, per offer. ``known()`` gives the customers the retailer knows now (the
        day's); ``lapsed`` the recent detractors; an offer-taker starts ``journey`` within a day of the campaign."""
        for i, (offer, seg) in enumerate(self.offers):
            rng = self.streams.generator(f"marketing.offers.{i}")
            self.engine.light().start(self._campaigns(i, offer, seg, rng, journey, known, lapsed))

    def _campaigns(self, i: int, offer: Offer, seg: int | None, rng: np.random.Generator,
                   journey: Journey, known: Callable[[], list[Customer]],
                   lapsed: deque[tuple[float, Customer]] | None) -> Generator[Any, Any, None]:
        clock = self.clock
        t = offer.start_day * DAY_MIN
        while t < self.horizon:
            yield t - clock.now
            if offer.audience == "lapsed":
                since = clock.now - offer.lapsed_days * DAY_MIN
                pool = [c for when, c in (lapsed or ()) if when >= since and (seg is None or c.seg == seg)]
                n = min(offer.recipients, len(pool))
            else:
                pool = [c for c in known() if seg is None or c.seg == seg]
                n = offer.recipients if pool else 0
            self.book.offers(n, n * offer.cost_per_offer)
            takers = int(rng.binomial(n, offer.uptake)) if n else 0
            if takers:
                who = rng.choice(len(pool), takers, replace=takers > len(pool))
                for j, delay in zip(who.tolist(), (rng.random(takers) * DAY_MIN).tolist(), strict=True):
                    c = pool[j].replace(repeat=True, u_repeat=1.0, offer=i, recovered=False, dropped=False,
                                         price_ch=-1)
                    self.engine.call_after(delay, partial(self._comes, c, journey))
            t += offer.every_days * DAY_MIN

    def _comes(self, c: Customer, journey: Journey, _event: object) -> None:
        """An offer-taker starts a journey like their last one (a known customer: a repeat)."""
        c = c.replace(t=self.clock.now)
        self.book.repeat_journey(c)
        journey(c)

    def settle(self, c: Customer, pch: int, value: float, bought: list[tuple[int, int]]) -> float:
        """The value a buyer pays for ``bought`` at price table ``pch``: less their offer's discount; books what
        prices did to the sale (see :meth:`Pricing.book_sale`)."""
        if c.offer >= 0:
            value *= 1.0 - self.offer_discount[c.offer]
        self.pricing.book_sale(self.book, pch, value, bought)
        return value

    # ----------------------------------------------------------------------------------------- reminders
    def comes_back(self, c: Customer) -> bool:
        """A customer who abandoned an online cart: where the setup sends a reminder, book it and say whether
        they come back to the cart (they then wait ``reminder_delay`` first)."""
        p = self.remind[c.seg]
        if not p:
            return False
        self.book.reminder_sent()
        return c.u_remind < p

    def chatbot(self, c: Customer) -> tuple[bool, bool]:
        """(answered by the chatbot, answered badly) for one service contact of ``c``."""
        answered = c.u_bot < self.bot[c.seg]
        failed = answered and c.u_bot < self.bot_fails[c.seg]
        self.book.chatbot_contact(answered, failed)
        return answered, failed

    def price_reaction(self, c: Customer, ch: int) -> tuple[int, int]:
        """(reaction, cheaper channel) of a customer about to buy in ``ch``; ACCEPT and -1 when nothing cheaper
        was seen."""
        cheaper = self.pricing.cheaper(c, ch) if self.pricing.on else -1
        if cheaper < 0:
            return ACCEPT, -1
        self.book.price_mismatch()
        cum = self.price_cum[c.seg]
        reaction = next((i for i, x in enumerate(cum) if c.u_price < x), ACCEPT)
        return reaction, cheaper

