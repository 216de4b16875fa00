"""Setup-dependent channel choice: what a customer does when the web shows their store's stock.

Gallino & Moreno (Management Science 60(6), 2014) found that buy-online-pick-up-in-store, with store availability
shown online, lowered online sales and raised store sales and traffic: customers checked their store's stock online
and went there (Gao & Su, Management Science 2017, model the same information effect). Here, where the setup shows
store stock online (capability ``visibility`` "live", or "stale": the periodic snapshot the cross-channel setup
syncs; under "own" the web shows only its own stock and nothing changes), a customer whose journey included
online research looks at their store's stock of the lines they came for (their drawn basket, recommendations
aside) as the setup's view has it, when their research ends:

- the view shows the store holds every line in full, and they meant to buy online (a selling touchpoint, not the
  call centre): with the segment's ``stock_view_to_store_prob`` they go and buy in the store instead, as walk-in
  customers (the simplest reading of the channel shift, and the only one open where the setup has no pickup from
  store stock, as under cross-channel); they meet the shelf as it is when they reach the till, so a stale view
  can send them on a wasted trip;
- the view shows the store lacks a line, and they meant to buy in store: with ``stock_view_skip_trip_prob`` they
  do not make the trip and order online instead (the selling touchpoint they researched on, else the first one),
  for the delivery they would choose there; what the web cannot serve meets their usual stockout reaction.
  Without a selling touchpoint there is nowhere to order: they go to the store as meant.

One uniform per customer (``Customer.u_view``, drawn on its own stream when the population is drawn) decides
either way, so the same customers switch under every setup that shows the same stock (common random numbers).
The switch books through the ledger (:meth:`sim.core.ledger.Ledger.stock_view_switch`); nothing else changes:
the customer is neither created nor lost, only their channel.
"""

from __future__ import annotations

from sim.core.customers import Customer
from sim.core.ledger import Ledger
from sim.core.network import Network
from sim.scenario.schema import Scenario
from sim.scenario.setups import Capabilities


class StockView:
    """The store stock a setup shows online, and the channel customers choose after seeing it. ``on`` is False
    (and :meth:`channel` never called) where the setup shows no store stock, the scenario has no store, or every
    segment's two chances are 0: the journey's hot path then pays one attribute test."""

    def __init__(self, net: Network, book: Ledger, scenario: Scenario, capabilities: Capabilities):
        self.net, self.book = net, book
        self.to_store = [s.stock_view_to_store_prob for s in scenario.segments]
        self.skip = [s.stock_view_skip_trip_prob for s in scenario.segments]
        # purchase channels one orders from online: the selling touchpoints (not the store, not the call centre)
        self.web = [i for i in range(len(net.channels)) if i != net.ch_store and i != net.ch_call]
        if not self.web:
            self.skip = [0.0] * len(self.skip)  # nowhere to order instead of the trip
        self.stale = capabilities.visibility == "stale"
        self.on = capabilities.visibility in ("stale", "live") and net.ch_store >= 0 and net.n_stores > 0 \
            and any(p > 0 for p in self.to_store + self.skip)

    def holds(self, c: Customer) -> bool:
        """Whether the view shows ``c``'s store holding every line they came for, in full."""
        inv = self.net.inv
        view = inv.snapshot if self.stale and inv.snapshot is not None else inv.on_hand
        row = view[c.store]
        return all(row[sku] >= qty for sku, qty in c.lines)

    def channel(self, c: Customer, ch: int) -> int:
        """The channel ``c``, about to buy in ``ch``, buys in once they have seen their store's stock online."""
        if not c.online:
            return ch
        net = self.net
        if ch == net.ch_store:
            if c.u_view < self.skip[c.seg] and not self.holds(c):
                self.book.stock_view_switch(to_store=False)
                return self._web_channel(c)
        elif ch != net.ch_call:
            if c.u_view < self.to_store[c.seg] and self.holds(c):
                self.book.stock_view_switch(to_store=True)
                return net.ch_store
        return ch

    def _web_channel(self, c: Customer) -> int:
        """The selling touchpoint ``c`` researched on (the first in channel order), else the first one."""
        bits = self.net.channel_bit
        for i in self.web:
            if c.tp_mask & bits[i]:
                return i
        return self.web[0]
