"""Customers: who arrives when, with which wishes, and the SimPy process of one journey.

Everything a customer wants is drawn when the day's customers are generated, in numpy batches from the
``arrivals``, ``journeys``, ``baskets``, ``decisions`` and ``service`` streams, before any setup-dependent event
happens. So every setup sees the same customers with the same wishes (common random numbers), and a decision
that depends on the setup compares the same pre-drawn uniform against a setup-dependent threshold.
"""

from __future__ import annotations

import marshal
import math
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any, ClassVar

import numpy as np

from sim.core.catalogue import segment_popularity
from sim.core.ledger import Starts
from sim.core.rng import Streams, draw_many
from sim.scenario.schema import CHANNEL_CALL, CHANNEL_STORE, DECIDE, DROP, Scenario, Segment

DAY_MIN = 1440.0

Columns = dict[str, np.ndarray]  # one drawn attribute per name, one entry per customer (or per step, per line)


class Reaction(IntEnum):
    """What a customer does about a missing item (the fields of ``config.Reaction``, in this order)."""

    SUBSTITUTE = 0
    OTHER_STORE = 1
    WAIT = 2
    DROP_ITEM = 3
    DROP_BASKET = 4

    @property
    def field(self) -> str:
        return self.name.lower()


_FIELDS = ("t", "seg", "store", "channel", "n_tp", "tp_mask", "research_min", "calls", "switch", "online", "dropped",
           "path", "lines", "units", "reco", "u_abandon", "u_collect", "reaction", "u_reco", "u_advice", "till_min",
           "advice_min", "store_patience", "call_patience", "handle_min", "u_defer", "u_repeat", "repeat", "u_rate",
           "u_checkout", "u_remind", "u_bot", "u_price", "u_promo", "recovered", "price_ch", "offer", "u_view")


class Customer:
    """One journey's pre-drawn wishes. Times in minutes, ``t`` absolute; ``u_*`` are uniforms drawn once, compared
    with setup-dependent thresholds so that every setup sees the same customers.

    A native class when compiled (its numbers stored unboxed, read natively), slotted in the pure build. Treated as
    immutable: a customer is shared (today's batch, the after-sale's lapsed customers, its own processes), so a
    changed customer is a copy, :meth:`replace`. Not a tuple: :meth:`astuple` gives the fields in order,
    ``FIELDS`` their names; customers compare (and hash) by identity."""

    __slots__ = _FIELDS
    FIELDS: ClassVar[tuple[str, ...]] = _FIELDS

    t: float                  # start of the journey
    seg: int                  # segment index
    store: int                # the customer's store (their area)
    channel: int              # intended purchase channel index
    n_tp: int                 # research touchpoints visited
    tp_mask: int              # bit mask of the research touchpoints used
    research_min: float       # research time (visits and gaps, calls excluded)
    calls: int                # research calls to customer service
    switch: bool              # the cart was built in another channel than the purchase channel
    online: bool              # researched online
    dropped: bool             # gave up during research
    path: tuple[int, ...]     # research touchpoints in visiting order
    lines: list[tuple[int, int]]  # basket: (SKU, units)
    units: int                # units in the basket
    reco: int                 # SKU a recommendation would offer
    u_abandon: float          # gives up when the cart is lost?
    u_collect: float          # delivery mode: click & collect from the bottom, pickup point from the top
    reaction: int             # a Reaction, drawn once
    u_reco: float             # how many recommendations are accepted
    u_advice: float           # asks for advice in store?
    till_min: float
    advice_min: float
    store_patience: float
    call_patience: float
    handle_min: list[float]   # handle time of each call, the purchase call last
    u_defer: float            # when in the next opening hours a customer who found it closed comes back
    u_repeat: float           # comes back for a repeat journey?
    repeat: bool              # this journey is a repeat
    u_rate: float             # a faultless purchase makes a promoter?
    u_checkout: float         # leaves an online cart at checkout?
    u_remind: float           # comes back to an abandoned online cart after a reminder?
    u_bot: float              # the chatbot answers their service contacts (and, lowest, answers badly)?
    u_price: float            # what they do about a lower price seen in another channel
    u_promo: float            # rounds the extra units of a promoted line
    recovered: bool           # this journey resumed an abandoned cart after a reminder
    price_ch: int             # channel whose price they pay (a price matched at the till); -1: their own
    offer: int                # the targeted offer that brought them (index in marketing.offers); -1: none
    u_view: float             # answers the store stock shown online (sim.core.choice); 1.0 where no segment does

    def __init__(self, t: float, seg: int, store: int, channel: int, n_tp: int, tp_mask: int, research_min: float,
                 calls: int, switch: bool, online: bool, dropped: bool, path: tuple[int, ...],
                 lines: list[tuple[int, int]], units: int, reco: int, u_abandon: float, u_collect: float,
                 reaction: int, u_reco: float, u_advice: float, till_min: float, advice_min: float,
                 store_patience: float, call_patience: float, handle_min: list[float], u_defer: float,
                 u_repeat: float, repeat: bool, u_rate: float, u_checkout: float, u_remind: float, u_bot: float,
                 u_price: float, u_promo: float, recovered: bool, price_ch: int, offer: int, u_view: float) -> None:
        self.t = t
        self.seg = seg
        self.store = store
        self.channel = channel
        self.n_tp = n_tp
        self.tp_mask = tp_mask
        self.research_min = research_min
        self.calls = calls
        self.switch = switch
        self.online = online
        self.dropped = dropped
        self.path = path
        self.lines = lines
        self.units = units
        self.reco = reco
        self.u_abandon = u_abandon
        self.u_collect = u_collect
        self.reaction = reaction
        self.u_reco = u_reco
        self.u_advice = u_advice
        self.till_min = till_min
        self.advice_min = advice_min
        self.store_patience = store_patience
        self.call_patience = call_patience
        self.handle_min = handle_min
        self.u_defer = u_defer
        self.u_repeat = u_repeat
        self.repeat = repeat
        self.u_rate = u_rate
        self.u_checkout = u_checkout
        self.u_remind = u_remind
        self.u_bot = u_bot
        self.u_price = u_price
        self.u_promo = u_promo
        self.recovered = recovered
        self.price_ch = price_ch
        self.offer = offer
        self.u_view = u_view

    def astuple(self) -> tuple[Any, ...]:
        """The fields in :data:`FIELDS` order (``Customer(*c.astuple())`` is a copy of ``c``)."""
        return (self.t, self.seg, self.store, self.channel, self.n_tp, self.tp_mask, self.research_min, self.calls,
                self.switch, self.online, self.dropped, self.path, self.lines, self.units, self.reco, self.u_abandon,
                self.u_collect, self.reaction, self.u_reco, self.u_advice, self.till_min, self.advice_min,
                self.store_patience, self.call_patience, self.handle_min, self.u_defer, self.u_repeat, self.repeat,
                self.u_rate, self.u_checkout, self.u_remind, self.u_bot, self.u_price, self.u_promo, self.recovered,
                self.price_ch, self.offer, self.u_view)

    def replace(self, **changes: Any) -> Customer:
        """A copy of this customer with ``changes`` (field names, new values); this one is left as it is."""
        out = Customer(*self.astuple())
        for name, value in changes.items():
            setattr(out, name, value)
        return out

    def __repr__(self) -> str:
        return "Customer(" + ", ".join(f"{f}={v!r}" for f, v in zip(_FIELDS, self.astuple(), strict=True)) + ")"


Journey = Callable[[Customer], None]
"""Starts a customer's journey now (``sim.core.journey.Journeys.start``)."""

def pack(c: Customer) -> bytes:
    """``c`` in a third of its memory, for a long wait (a repeat journey weeks away): its fields in marshal's
    binary form, which gives every float, int, bool, list and tuple back exactly (:func:`unpack`)."""
    return marshal.dumps(c.astuple())


def unpack(data: bytes) -> Customer:
    """The customer :func:`pack` stored."""
    return Customer(*marshal.loads(data))


class Population:
    """Draws each day's customers from the scenario; knows nothing of setups."""

    def __init__(self, scenario: Scenario, streams: Streams, channels: list[str], research: list[str],
                 popularity: np.ndarray, price: list[float] | None = None):
        self.scenario = scenario
        self.channels = channels
        self.research = research
        self.g = {p: streams.generator(p) for p in ("arrivals", "journeys", "baskets", "decisions", "service",
                                                     "marketing", "choice")}
        # whether any segment answers the store stock shown online (else its uniform is not drawn: 1.0, never below
        # a chance of 0)
        self.views = any(s.stock_view_to_store_prob > 0 or s.stock_view_skip_trip_prob > 0 for s in scenario.segments)
        segs = scenario.segments
        hourly = np.array([s.hourly_profile or [1.0] * 24 for s in segs], dtype=float)
        self.hour_w = hourly / hourly.sum(axis=1, keepdims=True) * np.array([s.share for s in segs])[:, None]
        week = np.array([s.weekly_profile or scenario.weekly_profile or [1.0] * 7 for s in segs], dtype=float)
        self.week_w = week / week.mean(axis=1, keepdims=True)                 # segments x 7 days
        weights = np.array([s.traffic_weight for s in scenario.stores] or [1.0])
        self.store_cum = np.cumsum(weights / weights.sum())
        self.chan_cum = Shares(np.array([np.cumsum([s.channels.get(c, 0.0) for c in channels]) for s in segs]))
        start_cum, trans_cum = _chain_matrices(segs, research)
        self.start_cum = Shares(start_cum) if start_cum is not None else None
        # a row per segment and touchpoint: seg * k + touchpoint
        self.trans_cum = Shares(trans_cum.reshape(-1, len(research) + 2)) if trans_cum is not None else None
        self.react_cum = Shares(np.array([np.cumsum([getattr(s.stockout_reaction, r.field) for r in Reaction])
                                          for s in segs]))
        price = price if price is not None else [1.0] * popularity.size
        self.pop_cum = np.array([np.cumsum(segment_popularity(popularity, price, s.price_sensitivity)) for s in segs])
        visit = [scenario.touchpoints[t].visit_min if t in scenario.touchpoints else 0.0 for t in research]
        store_visit = [s.journey.store_visit_min for s in segs]
        self.visit = np.array(visit)
        self.store_visit = np.array(store_visit)
        self.i_call_tp = research.index(CHANNEL_CALL) if CHANNEL_CALL in research else -1
        self.i_store_tp = research.index(CHANNEL_STORE) if CHANNEL_STORE in research else -1
        # research touchpoints where a cart can be built, mapped to their purchase channel index
        self.cart_of_tp = np.array([channels.index(t) if t in channels and t != CHANNEL_CALL else -1
                                    for t in research] or [-1])
        self.online_tp = np.array([t in scenario.touchpoints for t in research] or [False])
        self.tp_bit = np.left_shift(1, np.arange(len(research))).astype(np.int64)  # a touchpoint's bit in the mask
        self.i_store_ch = channels.index(CHANNEL_STORE) if CHANNEL_STORE in channels else -1
        self.i_call_ch = channels.index(CHANNEL_CALL) if CHANNEL_CALL in channels else -1

    def block_days(self) -> int:
        """Days drawn per batch: one for busy scenarios, more when few customers a day (numpy overhead)."""
        scenario = self.scenario
        return max(1, min(math.ceil(scenario.horizon_days), math.ceil(2000 / max(scenario.customers_per_day, 1))))

    def days(self, d0: int, k: int, horizon_min: float) -> list[Customer]:
        """The customers whose journeys start on days ``d0 .. d0+k-1`` (0-based), sorted by start time."""
        return self.draw(d0, k, horizon_min)[0]

    def draw(self, d0: int, k: int, horizon_min: float) -> tuple[list[Customer], Starts]:
        """:meth:`days`' customers, and the columns the ledger books them from (:class:`sim.core.ledger.Starts`,
        in the same order)."""
        scenario, g = self.scenario, self.g
        ga = g["arrivals"]
        ng = len(scenario.segments)
        days = np.arange(d0, d0 + k)
        week = self.week_w[:, days % 7].T                                       # days x segments
        lam = scenario.customers_per_day * (week * _uplift(scenario, days)[:, None])[:, :, None] * self.hour_w[None]
        counts = ga.poisson(lam).ravel()
        seg = np.repeat(np.tile(np.repeat(np.arange(ng), 24), k), counts)
        hour = np.repeat(np.tile(np.arange(24), ng * k), counts)
        day = np.repeat(np.repeat(np.arange(d0, d0 + k), ng * 24), counts)
        t = day * DAY_MIN + (hour + ga.random(seg.size)) * 60.0
        order = np.argsort(t, kind="stable")
        t, seg = t[order], seg[order]
        keep = t < horizon_min
        t, seg = t[keep], seg[keep]
        n = t.size
        if n == 0:
            return [], NO_STARTS
        store = np.searchsorted(self.store_cum, ga.random(n), side="right").clip(0, len(self.store_cum) - 1)
        j = self._journeys(seg, n)
        b = self._baskets(seg, n)
        u = g["decisions"].random((n, 7))
        u[:, 2] = self.react_cum.pick(seg, u[:, 2])  # the reaction to a missing item, drawn once
        s = self._service(seg, store, j["calls"], j["channel"], n)
        m = g["marketing"].random((n, 5))  # its own stream: the draws above are the same with or without it
        v = g["choice"].random(n).tolist() if self.views else [1.0] * n  # its own stream too
        starts = Starts(t, j["channel"], seg, store, j["research"], j["switch"], j["n_tp"], j["tp"])
        return self._assemble(t, seg, store, j, b, u, s, m, v), starts

    def chain_steps(self, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Walk each customer's journey chain: (owner, touchpoint, step minutes, dropped, steps per customer) with
        the steps grouped by customer in visiting order, from the ``journeys`` stream."""
        gj = self.g["journeys"]
        n = seg.size
        k = len(self.research)
        dropped = np.zeros(n, bool)
        trans, start_cum = self.trans_cum, self.start_cum
        if trans is None or start_cum is None:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0), dropped, np.zeros(n, np.intp)
        state = start_cum.pick(seg, gj.random(n))
        idx = np.nonzero(state < k)[0]
        cur = state[idx]
        seg_k = seg * k
        owners, tps = [], []
        for _ in range(MAX_STEPS):
            if not idx.size:
                break
            owners.append(idx)
            tps.append(cur)
            nxt = trans.pick(seg_k[idx] + cur, gj.random(idx.size))
            dropped[idx[nxt == k + 1]] = True
            keep = nxt < k
            idx, cur = idx[keep], nxt[keep]
        # the steps were recorded step by step: group them by customer, the i-th step of each i-th
        n_tp = np.zeros(n, np.intp)
        for i, o in enumerate(owners):
            n_tp[o] = i + 1  # the last step a customer is among the owners of gives their count
        start = np.cumsum(n_tp) - n_tp
        tp = np.empty(int(n_tp.sum()), np.intp)
        for i, o in enumerate(owners):
            tp[start[o] + i] = tps[i]
        owner = np.repeat(np.arange(n), n_tp)
        visit = self.visit[tp]
        gap = np.array([s.journey.gap_min for s in self.scenario.segments])[seg]
        dur = visit + gj.exponential(1.0, owner.size) * np.repeat(gap, n_tp)
        if self.i_store_tp >= 0:  # a store visit lasts the segment's, not the touchpoint's
            at = np.flatnonzero(tp == self.i_store_tp)
            dur[at] = self.store_visit[seg[owner[at]]] + dur[at] - visit[at]
        return owner, tp, dur, dropped, n_tp

    def _journeys(self, seg: np.ndarray, n: int) -> Columns:
        gj = self.g["journeys"]
        channel = self.chan_cum.pick(seg, gj.random(n))
        owner, tp, dur, dropped, n_tp = self.chain_steps(seg)
        out = {"channel": channel, "n_tp": n_tp, "mask": np.zeros(n, np.int64), "research": np.zeros(n),
               "calls": np.zeros(n, int), "switch": np.zeros(n, bool), "online": np.zeros(n, bool),
               "dropped": dropped, "tp": tp}
        if not owner.size:
            return out
        is_call = tp == self.i_call_tp
        out["research"] = np.bincount(owner, weights=np.where(is_call, 0.0, dur), minlength=n)
        out["calls"] = np.bincount(owner[is_call], minlength=n)
        # per-customer reductions over their steps (customers without research keep the zero defaults)
        has = n_tp > 0
        starts = (np.cumsum(n_tp) - n_tp)[has]
        out["mask"][has] = np.bitwise_or.reduceat(self.tp_bit[tp], starts)
        # the cart lives where the customer last browsed a place that sells; a purchase elsewhere is a switch
        cart_tp = self.cart_of_tp[tp]
        pos = np.where(cart_tp >= 0, np.arange(owner.size), -1)
        last = np.maximum.reduceat(pos, starts)
        cart = np.where(last >= 0, cart_tp[np.maximum(last, 0)], -1)
        out["switch"][has] = (cart >= 0) & (cart != channel[has])
        out["online"][has] = np.logical_or.reduceat(self.online_tp[tp], starts)
        return out

    def _baskets(self, seg: np.ndarray, n: int) -> Columns:
        gb = self.g["baskets"]
        segs = self.scenario.segments
        n_lines = 1 + gb.poisson(np.array([s.basket.lines_mean for s in segs])[seg] - 1.0)
        owner = np.repeat(np.arange(n), n_lines)
        seg_o = np.repeat(seg, n_lines)  # seg[owner]
        sku = _draw_skus(self.pop_cum, seg_o, gb.random(owner.size))
        upl = np.array([s.basket.units_per_line_mean for s in segs])[seg_o]
        qty = 1 + gb.poisson(upl - 1.0)
        reco = _draw_skus(self.pop_cum, seg, gb.random(n))
        units = np.bincount(owner, weights=qty, minlength=n).astype(int)
        return {"n_lines": n_lines, "sku": sku, "qty": qty, "units": units, "reco": reco}

    def _service(self, seg: np.ndarray, store: np.ndarray, calls: np.ndarray, channel: np.ndarray,
                 n: int) -> Columns:
        gs = self.g["service"]
        scenario = self.scenario
        till = np.zeros(n)
        advice = np.zeros(n)
        # store by store, in a fixed order: stable under every setup; each store's customers in batch order
        by_store = np.argsort(store, kind="stable")
        ends = np.cumsum(np.bincount(store, minlength=len(scenario.stores))).tolist()
        e0 = 0
        for k, st in enumerate(scenario.stores):
            e1 = ends[k]
            at = by_store[e0:e1]
            till[at] = draw_many(gs, st.till_time_min, e1 - e0) if st.till_time_min else 0.0
            advice[at] = draw_many(gs, st.advice_time_min, e1 - e0) if st.advice_time_min else 0.0
            e0 = e1
        sp = np.empty(n)
        cp = np.empty(n)
        for i, s in enumerate(scenario.segments):
            at = seg == i
            sp[at] = draw_many(gs, s.store_patience_min, int(at.sum()))
            cp[at] = draw_many(gs, s.call_patience_min, int(at.sum()))
        n_calls = calls + (channel == self.i_call_ch)
        call_centre = scenario.call_centre
        handle = draw_many(gs, call_centre.handle_time_min, int(n_calls.sum())) if call_centre else np.zeros(0)
        # a customer who finds the store or the line closed comes back at a uniform time of its next opening hours
        # (not all at opening: the next day's customers do not queue at the door together)
        defer = gs.random(n)
        return {"till": till, "advice": advice, "sp": sp, "cp": cp, "n_calls": n_calls, "handle": handle,
                "defer": defer}

    def _assemble(self, t: np.ndarray, seg: np.ndarray, store: np.ndarray, j: Columns, b: Columns, u: np.ndarray,
                  s: Columns, m: np.ndarray, v: list[float]) -> list[Customer]:
        """The customers, :data:`ASSEMBLE_ROWS` at a time (:meth:`_assemble_rows`): a block's columns become Python
        values and are read back while still in the processor's caches. A day's columns made Python values at
        once are some 1.4 million boxed numbers (tens of MB), read row by row: nearly every read was a cache miss."""
        line_at: list[int] = np.concatenate(([0], np.cumsum(b["n_lines"]))).tolist()
        call_at: list[int] = np.concatenate(([0], np.cumsum(s["n_calls"]))).tolist()
        step_at: list[int] = np.concatenate(([0], np.cumsum(j["n_tp"]))).tolist()
        n = t.size
        out: list[Customer] = []
        for a in range(0, n, ASSEMBLE_ROWS):
            z = min(a + ASSEMBLE_ROWS, n)
            out += self._assemble_rows(t[a:z], seg[a:z], store[a:z], _rows(j, a, z, ("tp",), step_at[a], step_at[z]),
                                       _rows(b, a, z, ("sku", "qty"), line_at[a], line_at[z]), u[a:z],
                                       _rows(s, a, z, ("handle",), call_at[a], call_at[z]), m[a:z], v[a:z])
        return out

    def _assemble_rows(self, t: np.ndarray, seg: np.ndarray, store: np.ndarray, j: Columns, b: Columns,
                       u: np.ndarray, s: Columns, m: np.ndarray, v: list[float]) -> list[Customer]:
        """The customers of a block of rows, one constructor call each from the columns (a native call when
        compiled, the numbers stored unboxed: the columns' Python floats are freed with the lists)."""
        lines = list(zip(b["sku"].tolist(), b["qty"].tolist(), strict=True))
        n_lines: list[int] = b["n_lines"].tolist()
        handle: list[float] = s["handle"].tolist()
        n_calls: list[int] = s["n_calls"].tolist()
        tps: tuple[int, ...] = tuple(j["tp"].tolist())  # a path is a slice of it: one tuple, no list between
        n_tp: list[int] = j["n_tp"].tolist()
        ts: list[float] = t.tolist()
        segs: list[int] = seg.tolist()
        stores: list[int] = store.tolist()
        channel: list[int] = j["channel"].tolist()
        mask: list[int] = j["mask"].tolist()
        research: list[float] = j["research"].tolist()
        calls: list[int] = j["calls"].tolist()
        switch: list[bool] = j["switch"].tolist()
        online: list[bool] = j["online"].tolist()
        dropped: list[bool] = j["dropped"].tolist()
        units: list[int] = b["units"].tolist()
        reco: list[int] = b["reco"].tolist()
        u_abandon: list[float] = u[:, 0].tolist()
        u_collect: list[float] = u[:, 1].tolist()
        reaction: list[int] = u[:, 2].astype(int).tolist()
        u_reco: list[float] = u[:, 3].tolist()
        u_advice: list[float] = u[:, 4].tolist()
        u_repeat: list[float] = u[:, 5].tolist()
        u_rate: list[float] = u[:, 6].tolist()
        till: list[float] = s["till"].tolist()
        advice: list[float] = s["advice"].tolist()
        sp: list[float] = s["sp"].tolist()
        cp: list[float] = s["cp"].tolist()
        defer: list[float] = s["defer"].tolist()
        u_remind: list[float] = m[:, 0].tolist()
        u_bot: list[float] = m[:, 1].tolist()
        u_price: list[float] = m[:, 2].tolist()
        u_promo: list[float] = m[:, 3].tolist()
        u_checkout: list[float] = m[:, 4].tolist()
        n = len(ts)
        assert len(n_lines) == len(n_calls) == len(n_tp) == len(v) == n
        assert sum(n_lines) == len(lines) and sum(n_calls) == len(handle) and sum(n_tp) == len(tps)
        out: list[Customer] = []
        at_line = at_call = at_tp = 0  # where customer i's lines, calls and research steps start
        for i in range(n):
            k_lines, k_calls, k_tp = n_lines[i], n_calls[i], n_tp[i]
            out.append(Customer(  # positional, in FIELDS order (keywords cost the pure build 9 % of a run)
                ts[i], segs[i], stores[i], channel[i], k_tp, mask[i], research[i], calls[i], switch[i], online[i],
                dropped[i], tps[at_tp:at_tp + k_tp], lines[at_line:at_line + k_lines], units[i], reco[i],
                u_abandon[i], u_collect[i], reaction[i], u_reco[i], u_advice[i], till[i], advice[i], sp[i], cp[i],
                handle[at_call:at_call + k_calls], defer[i], u_repeat[i], False, u_rate[i], u_checkout[i],
                u_remind[i], u_bot[i], u_price[i], u_promo[i], False, -1, -1, v[i]))
            at_line += k_lines
            at_call += k_calls
            at_tp += k_tp
        return out


ASSEMBLE_ROWS = 512  # customers built from one block of the columns: its Python values stay in the caches


def _rows(cols: Columns, a: int, z: int, ragged: tuple[str, ...], r0: int, r1: int) -> Columns:
    """Rows ``a:z`` of per-customer columns, and rows ``r0:r1`` of the ``ragged`` ones (per line, per step, per
    call: the block's customers' own)."""
    return {k: col[r0:r1] if k in ragged else col[a:z] for k, col in cols.items()}


def _draw_skus(pop_cum: np.ndarray, seg: np.ndarray, u: np.ndarray) -> np.ndarray:
    """SKU per draw from its segment's cumulative demand shares (segments x SKUs)."""
    out = np.empty(u.size, dtype=int)
    for g in np.flatnonzero(np.bincount(seg)).tolist():  # the segments drawn
        at = seg == g
        out[at] = np.searchsorted(pop_cum[g], u[at] * pop_cum[g, -1], side="right")
    return out.clip(0, pop_cum.shape[1] - 1)


def _uplift(scenario: Scenario, days: np.ndarray) -> np.ndarray:
    """Traffic multiplier of each day from the scenario's promotions (overlapping ones multiply): the uplift while
    one runs, then, for as many days, the dip of the purchases it pulled forward."""
    out = np.ones(days.size)
    for p in scenario.promotions:
        end = p.start_day + p.days
        out *= np.where((days >= p.start_day) & (days < end), p.traffic_uplift, 1.0)
        if p.pull_forward and p.traffic_uplift > 1:
            dip = max(0.0, 1.0 - p.pull_forward * (p.traffic_uplift - 1.0))
            out *= np.where((days >= end) & (days < end + p.days), dip, 1.0)
    return out


NO_STARTS = Starts(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                    np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(0, np.int64))  # a day without customers

MAX_STEPS = 1000  # a journey still wandering after this many touchpoints goes to decide


def _chain_matrices(segs: Sequence[Segment], research: list[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Cumulative start rows (segments x states) and transition rows (segments x touchpoints x states);
    states are the research touchpoints, then 'decide', then 'drop'. None when no segment researches."""
    chains = [s.journey.as_chain() for s in segs]
    if not any(chains):
        return None, None
    states = [*research, DECIDE, DROP]
    k = len(research)
    start = np.zeros((len(segs), k + 2))
    trans = np.zeros((len(segs), k, k + 2))
    trans[:, :, k] = 1.0  # a touchpoint without a row decides at once (validation refuses reachable ones)
    for g, ch in enumerate(chains):
        if ch is None:
            start[g, k] = 1.0
            continue
        start[g] = [ch.start.get(x, 0.0) for x in states]
        for tp, row in ch.transitions.items():
            trans[g, research.index(tp)] = [row.get(x, 0.0) for x in states]
    return np.cumsum(start, axis=1), np.cumsum(trans, axis=2)


_PICK_GATHER = 500  # below this many draws, :meth:`Shares.pick` gathers the rows (fewer numpy calls)
_PICK_BINS = 1024.0  # buckets of a row of :class:`Shares`' lookup table
_TIE = 255           # in the lookup table: a share falls in the bucket, compare


class Shares:
    """Cumulative shares, one row per kind of draw (rows x states), for :meth:`pick`: ``_pick(table[row], u)``,
    the same comparisons and the same picks, without gathering a row per draw.

    A lookup table answers most draws: ``x = u * row[-1]`` (the product :func:`_pick` compares) goes to bucket
    ``int(x * scale)``, and so does every share ``c`` of the table. That map never decreases, so a share in a
    lower bucket than ``x``'s is ``<= x`` and one in a higher bucket is ``> x``: where no share of the row falls
    in ``x``'s bucket, the count of ``x >= c`` is the bucket's, looked up; the few draws in a bucket holding a
    share are compared with :func:`_pick`. Tables with a negative or non-finite share, only subnormal ones, or too
    many states for a byte, are always gathered."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table
        self.last: np.ndarray = np.ascontiguousarray(table[:, -1])
        rows, states = table.shape
        top = float(table.max()) if table.size else 0.0
        scale = _PICK_BINS / top if 0.0 < top < math.inf and states < _TIE and table.min() >= 0.0 else 0.0
        self.scale = scale if scale < math.inf else 0.0  # shares all subnormal: gathered
        self.width = 0  # buckets per row; 0: no lookup table
        self.lut = np.zeros(0, np.uint8)
        if self.scale:
            width = int(top * self.scale) + 1  # no x is above the top share: its bucket is below the width
            bucket = (table * self.scale).astype(np.intp) + np.arange(rows)[:, None] * width
            inside = np.bincount(bucket.ravel(), minlength=rows * width).reshape(rows, width)
            below = np.minimum(np.cumsum(inside, axis=1) - inside, states - 1)  # shares in the lower buckets
            self.lut = np.where(inside > 0, _TIE, below).astype(np.uint8).ravel()
            self.width = width

    def pick(self, row: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The state of each draw: the count of shares of its row ``<= u * row[-1]`` (at most the last state)."""
        if row.size < _PICK_GATHER or not self.width:
            return _pick(self.table[row], u)
        at = (u * self.last.take(row) * self.scale).astype(np.intp)
        at += row * self.width
        looked = self.lut.take(at)
        picked: np.ndarray = looked.astype(np.intp)
        tie = np.flatnonzero(looked == _TIE)
        if tie.size:
            picked[tie] = _pick(self.table[row[tie]], u[tie])
        return picked


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: index of the first cumulative share above ``u`` (rows = draws)."""
    idx = (u[:, None] * cum[:, -1:] >= cum).sum(axis=1)
    picked: np.ndarray = np.minimum(idx, cum.shape[1] - 1)
    return picked


def next_open(now: float, open_min: float, close_min: float) -> float:
    """Minutes until the next opening (0 if open now), for daily hours [open_min, close_min)."""
    tod = now % DAY_MIN
    if open_min <= tod < close_min:
        return 0.0
    return (open_min - tod) % DAY_MIN

