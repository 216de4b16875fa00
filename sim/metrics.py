"""Counters and time-weighted monitors collected while running, and the KPI table computed from them.

Nothing here keeps a record per customer: totals, histograms of waits and time-weighted areas only. Counters are
cumulative from t = 0; warm-up is handled by subtracting a snapshot taken at the end of the warm-up, so the books
(customers, units, money) can still be balanced over the whole run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from .config import CHANNEL_STORE

WAIT_BIN_MIN = 0.1        # histogram bin width for queue waits, minutes (p95 to 6 s)
WAIT_BINS = 6_000         # up to 600 minutes; longer waits go to the last bin
NAN = float("nan")


class QueueStats:
    """One queueing station (a store or the call centre): number inside over time, sojourns and waits.

    Little's law is checked on these: the time-average number inside (from ``area``) against arrival rate times
    mean time inside, both over the same window.
    """

    __slots__ = ("target", "n", "last", "area", "arrivals", "departures", "sojourn", "served", "wait_sum",
                 "wait_pos", "within", "hist", "abandoned", "balked")

    def __init__(self, target_min: float):
        self.target = target_min
        self.n = 0
        self.last = 0.0
        self.area = 0.0
        self.arrivals = self.departures = self.served = self.wait_pos = self.within = 0
        self.abandoned = self.balked = 0
        self.sojourn = self.wait_sum = 0.0
        self.hist = [0] * WAIT_BINS

    def enter(self, now: float) -> None:
        self.area += self.n * (now - self.last)
        self.last = now
        self.n += 1
        self.arrivals += 1

    def leave(self, now: float, since: float) -> None:
        self.area += self.n * (now - self.last)
        self.last = now
        self.n -= 1
        self.departures += 1
        self.sojourn += now - since

    def waited(self, wait: float) -> None:
        """A customer reached a server after ``wait`` minutes."""
        self.served += 1
        self.wait_sum += wait
        if wait > 0:
            self.wait_pos += 1
        if wait <= self.target:
            self.within += 1
        b = int(wait / WAIT_BIN_MIN)
        self.hist[b if b < WAIT_BINS else WAIT_BINS - 1] += 1

    def flush(self, now: float) -> None:
        self.area += self.n * (now - self.last)
        self.last = now


class Metrics:
    """Every counter of one replication. Index lists run over channels, stores, segments and touchpoints."""

    def __init__(self, channels: list[str], stores: list[str], segments: list[str], touchpoints: list[str],
                 store_target_min: float, call_target_min: float):
        self.channels, self.store_names, self.segments, self.touchpoints = channels, stores, segments, touchpoints
        nc, ns, ng = len(channels), len(stores), len(segments)
        # customers
        self.arrived = 0
        self.left = {"research": 0, "cart_lost": 0, "dropped_basket": 0, "store_queue": 0, "store_full": 0, "call_queue": 0, "nothing_available": 0}
        self.journeys_ch = [0] * nc          # journeys by intended purchase channel
        self.journeys_seg = [0] * ng
        self.research_min = 0.0              # time spent researching (visits and gaps, calls excluded), minutes
        self.tp_visits = [0] * len(touchpoints)  # visits per research touchpoint, all journeys
        self.tp_visits_ordered = 0           # research touchpoints of the journeys that ended in an order
        self.switches = 0                    # journeys whose cart was built in another channel than the purchase
        self.ropo = 0                        # store purchases preceded by online research
        self.tp_usage_masks: dict[int, int] = {}  # ordering customers by the set (bit mask) of touchpoints used
        # orders and money
        self.orders_ch = [0] * nc
        self.orders_seg = [0] * ng
        self.units_ch = [0] * nc
        self.units_seg = [0] * ng
        self.value_ch = [0.0] * nc
        self.value_seg = [0.0] * ng
        # buyers by class 2 * segment + multi, multi = 1 when the journey used two or more channels (the places
        # where one can buy: store, selling touchpoints, call centre; collecting an order in store uses the
        # store); units and value include what a buyer adds at pickup
        self.class_orders = [0] * (2 * ng)
        self.class_units = [0] * (2 * ng)
        self.class_value = [0.0] * (2 * ng)
        self.orders_store = [0] * ns
        self.revenue = 0.0                   # price x units, accumulated line by line
        self.cogs = 0.0
        self.fulfilment_cost = 0.0
        # item requests (one per basket line) and units
        self.requests_ch = [0] * nc
        self.stockouts_ch = [0] * nc
        self.requests_store = [0] * ns
        self.stockouts_store = [0] * ns
        self.shelf_short_store = [0] * ns    # store lines whose SKU was short on the shelf (on-shelf availability)
        self.units_demanded = 0
        self.units_remote = 0                # of which from another node than the channel's own
        self.units_backordered = 0
        self.value_backordered = 0.0
        self.units_lost = 0
        self.value_lost = 0.0
        self.units_failed_promise = 0        # promised on a stale view, not there at picking
        self.failed_promises = 0             # order lines so promised and cancelled at picking
        self.units_recommended = 0
        self.rated = [0, 0, 0]              # promoters, passives, detractors (see World.rate)
        self.reviews = [0, 0, 0]            # public reviews written, by the same grades
        self.repeat_journeys = 0
        self.returned_orders = 0             # orders brought back (counted when the customer brings them)
        self.returned_units = 0              # units brought back
        self.returned_units_online = 0       # of which bought online or by phone
        self.written_off_units = 0           # of which found unsellable at handling
        self.returns_at_store = 0            # returns taken back in a store (not the warehouse)
        self.refunds = 0.0
        self.repeat_orders = 0
        self.units_substituted = 0           # taken from stock as a substitute for a missing SKU
        # online orders and shipments
        self.online_orders = 0
        self.online_done = 0
        self.on_time = 0
        self.lead_time_sum_days = 0.0
        self.shipments = {"home": 0, "collect_warehouse": 0, "store_pickup": 0, "ship_from_store": 0,
                          "pickup_point": 0, "transfer": 0}
        self.transfers = 0                   # store-to-store transfers for a customer to collect
        self.delivery_km = 0.0               # distance from the shipping node to the customer's area, all parcels
        self.picks_store = [0] * ns
        self.pickup_extra_units = 0          # impulse buys by customers collecting an order in store
        self.pickup_extra_value = 0.0
        # queues
        self.store_q = [QueueStats(store_target_min) for _ in stores]
        self.call_q = QueueStats(call_target_min)

    # ----------------------------------------------------------------------------------------- snapshots
    def state(self, copy_: bool = True) -> dict:
        """Every counter by name: a deep copy (a snapshot for warm-up deletion), or the live objects."""
        live = dict(self.__dict__)
        return copy.deepcopy(live) if copy_ else live


def _diff(a, b):
    """Counter-wise ``a - b`` for nested numbers, lists, dicts and QueueStats."""
    if isinstance(a, int | float):
        return a - b
    if isinstance(a, list):
        return [_diff(x, y) for x, y in zip(a, b, strict=True)]
    if isinstance(a, dict):
        return {k: _diff(a[k], b.get(k, 0)) for k in a}
    if isinstance(a, QueueStats):
        out = QueueStats(a.target)
        for name in QueueStats.__slots__:
            if name not in ("target", "n", "last"):
                setattr(out, name, _diff(getattr(a, name), getattr(b, name)))
        out.n = a.n
        return out
    return a


def window(end: dict, start: dict | None) -> dict:
    """Counters of the measured window: ``end`` minus the snapshot ``start`` (None: the whole run)."""
    return end if start is None else {k: _diff(v, start[k]) if k in start else v for k, v in end.items()}


# --------------------------------------------------------------------------------------------- KPI table
def ratio(a: float, b: float) -> float:
    return a / b if b else NAN


def percentile_from_hist(hist: list[int], q: float) -> float:
    """The q-quantile (0..1) of a wait histogram, interpolated within its bin, minutes."""
    total = sum(hist)
    if not total:
        return NAN
    rank = q * total
    acc = 0
    for i, c in enumerate(hist):
        if c and acc + c >= rank:
            return (i + (rank - acc) / c) * WAIT_BIN_MIN
        acc += c
    return len(hist) * WAIT_BIN_MIN


def merge_queues(qs: list[QueueStats]) -> QueueStats:
    out = QueueStats(qs[0].target if qs else 0.0)
    for q in qs:
        for name in ("area", "arrivals", "departures", "sojourn", "served", "wait_sum", "wait_pos", "within",
                     "abandoned", "balked"):
            setattr(out, name, getattr(out, name) + getattr(q, name))
        out.hist = [x + y for x, y in zip(out.hist, q.hist, strict=True)]
    return out


def service_level(q: QueueStats) -> float:
    """Share of the customers who queued that were served within the target; those who gave up count as late."""
    return ratio(q.within, q.served + q.abandoned + q.balked)


def _sum(x) -> float:
    return sum(x) if isinstance(x, list) else x


def _store_visits(w: dict) -> int:
    tps = w["touchpoints"]
    browse = w["tp_visits"][tps.index(CHANNEL_STORE)] if CHANNEL_STORE in tps else 0
    return browse + sum(q.arrivals for q in w["store_q"])


def _store_units(w: dict) -> int:
    chs = w["channels"]
    return w["units_ch"][chs.index(CHANNEL_STORE)] if CHANNEL_STORE in chs else 0


def uplift(value: list[float], orders: list[int], segment: int | None = None) -> float:
    """Mean basket value of multichannel buyers over that of single-channel buyers, minus 1 (over every segment,
    or one); ``value`` and ``orders`` are indexed by buyer class ``2 * segment + multi``."""
    sl = slice(None) if segment is None else slice(2 * segment, 2 * segment + 2)
    v, n = value[sl], orders[sl]
    single = ratio(sum(v[0::2]), sum(n[0::2]))
    multi = ratio(sum(v[1::2]), sum(n[1::2]))
    return ratio(multi, single) - 1


def queue_kpis(q: QueueStats, window_min: float, prefix: str) -> dict[str, float]:
    """Wait KPIs of one station, and the two sides of Little's law over the window."""
    return {
        f"{prefix}_wait_mean_min": ratio(q.wait_sum, q.served),
        f"{prefix}_wait_p95_min": percentile_from_hist(q.hist, 0.95),
        f"{prefix}_service_level": service_level(q),
        f"{prefix}_wait_prob": ratio(q.wait_pos, q.served),
        f"{prefix}_abandon_rate": ratio(q.abandoned + q.balked, q.arrivals),
        f"{prefix}_L": q.area / window_min if window_min else NAN,
        # arrivals that balked (found it full) never entered: L counts only the admitted, so does lambda
        f"{prefix}_lambda_W": ((q.arrivals - q.balked) / window_min) * ratio(q.sojourn, q.departures)
        if window_min else NAN,
    }


def little_gap(q: QueueStats, window_min: float) -> float:
    """Relative gap between L and lambda*W over the window (0 = Little's law holds exactly)."""
    k = queue_kpis(q, window_min, "q")
    return abs(k["q_L"] - k["q_lambda_W"]) / k["q_L"] if k["q_L"] else 0.0


# KPI name -> function of (window counters w, window length in minutes, extra stock figures).
KPI: dict[str, Callable[[dict, float, dict], float]] = {
    "customers": lambda w, T, x: w["arrived"] - w["repeat_journeys"],  # people: a repeat journey is not new
    "journeys": lambda w, T, x: w["arrived"],
    "orders": lambda w, T, x: _sum(w["orders_ch"]),
    "conversion_rate": lambda w, T, x: ratio(_sum(w["orders_ch"]), _sum(w["journeys_ch"])),
    "basket_units": lambda w, T, x: ratio(_sum(w["units_ch"]), _sum(w["orders_ch"])),
    "basket_value": lambda w, T, x: ratio(_sum(w["value_ch"]), _sum(w["orders_ch"])),
    "revenue": lambda w, T, x: w["revenue"],
    "gross_margin": lambda w, T, x: w["revenue"] - w["cogs"],
    "fulfilment_cost": lambda w, T, x: w["fulfilment_cost"],
    "fill_rate": lambda w, T, x: ratio(x["units_out"] - w["units_substituted"], w["units_demanded"]),
    # basket lines not served in full from stock when asked (missing and not delivered or fetched from another
    # node: lost, substituted, backordered, or dropped with their basket): 1 - fill rate, counted in lines
    "stockout_rate": lambda w, T, x: ratio(_sum(w["stockouts_ch"]), _sum(w["requests_ch"])),
    # store lines whose SKU was on the shelf in full when the customer reached it (before any rescue elsewhere)
    "on_shelf_availability": lambda w, T, x: 1 - ratio(_sum(w["shelf_short_store"]), _sum(w["requests_store"])),
    "sell_out_units": lambda w, T, x: _sum(w["units_ch"]),
    # store tickets per store visit (browsing visits during research, and purchase visits): footfall conversion
    "store_conversion_rate": lambda w, T, x: ratio(_sum(w["orders_store"]), _store_visits(w)),
    "lost_sales_units": lambda w, T, x: w["units_lost"],
    "lost_sales_value": lambda w, T, x: w["value_lost"],
    "failed_promise_units": lambda w, T, x: w["units_failed_promise"],
    "failed_promises": lambda w, T, x: w["failed_promises"],
    "transfers": lambda w, T, x: w["transfers"],
    "delivery_distance_km": lambda w, T, x: ratio(w["delivery_km"], sum(w["shipments"].values())),
    "pickup_extra_revenue": lambda w, T, x: w["pickup_extra_value"],
    "remote_fill_share": lambda w, T, x: ratio(w["units_remote"], x["units_out"]),
    "cycle_service_level": lambda w, T, x: x["cycle_service_level"],
    "numeric_distribution": lambda w, T, x: x["numeric_distribution"],
    "weighted_distribution": lambda w, T, x: x["weighted_distribution"],
    "avg_on_hand_units": lambda w, T, x: x["avg_on_hand_units"],
    "inventory_turns": lambda w, T, x: x["inventory_turns"],
    "store_wait_mean_min": lambda w, T, x: queue_kpis(merge_queues(w["store_q"]), T, "s")["s_wait_mean_min"],
    "store_wait_p95_min": lambda w, T, x: queue_kpis(merge_queues(w["store_q"]), T, "s")["s_wait_p95_min"],
    "store_service_level": lambda w, T, x: queue_kpis(merge_queues(w["store_q"]), T, "s")["s_service_level"],
    "store_abandon_rate": lambda w, T, x: queue_kpis(merge_queues(w["store_q"]), T, "s")["s_abandon_rate"],
    "call_wait_mean_min": lambda w, T, x: ratio(w["call_q"].wait_sum, w["call_q"].served),
    "call_wait_prob": lambda w, T, x: ratio(w["call_q"].wait_pos, w["call_q"].served),
    "call_service_level": lambda w, T, x: service_level(w["call_q"]),
    "call_abandon_rate": lambda w, T, x: ratio(w["call_q"].abandoned, w["call_q"].arrivals),
    "on_time_rate": lambda w, T, x: ratio(w["on_time"], w["online_done"]),
    "delivery_lead_time_days": lambda w, T, x: ratio(w["lead_time_sum_days"], w["online_done"]),
    "satisfaction": lambda w, T, x: 100 * ratio(w["rated"][0] - w["rated"][2], sum(w["rated"])),
    # satisfied = promoter or passive (nothing or one thing went wrong): the top two boxes of a CSAT survey
    "csat": lambda w, T, x: ratio(w["rated"][0] + w["rated"][1], sum(w["rated"])),
    "multichannel_customer_share": lambda w, T, x: ratio(_sum(w["class_orders"][1::2]), _sum(w["class_orders"])),
    "multichannel_basket_uplift": lambda w, T, x: uplift(w["class_value"], w["class_orders"]),
    "repeat_purchase_rate": lambda w, T, x: ratio(w["repeat_orders"], _sum(w["orders_ch"])),
    "review_score": lambda w, T, x: 100 * ratio(w["reviews"][0] - w["reviews"][2], sum(w["reviews"])),
    "return_rate": lambda w, T, x: ratio(w["returned_units"], _sum(w["units_ch"])),
    "online_return_rate": lambda w, T, x: ratio(w["returned_units_online"],
                                                _sum(w["units_ch"]) - _store_units(w)),
    "returned_units": lambda w, T, x: w["returned_units"],
    "returns_in_store_share": lambda w, T, x: ratio(w["returns_at_store"], w["returned_orders"]),
    "refunds": lambda w, T, x: w["refunds"],
    "written_off_units": lambda w, T, x: w["written_off_units"],
    "touchpoints_per_journey": lambda w, T, x: ratio(w["tp_visits_ordered"], _sum(w["orders_ch"])),
    "channel_switch_rate": lambda w, T, x: ratio(w["switches"], w["arrived"]),
    # DESIGN.md: "71 % of shoppers research online before buying in store": a share of all buyers
    "ropo_share": lambda w, T, x: ratio(w["ropo"], _sum(w["orders_ch"])),
    # units ordered and waiting at a supplier with a capacity, time average (0 when it is unlimited)
    "supplier_backlog_units": lambda w, T, x: x["supplier_backlog_units"],
}
KPI_NAMES: tuple[str, ...] = tuple(KPI)


def compute_kpis(w: dict, window_min: float, stock: dict) -> dict[str, float]:
    """The KPI table of one replication: every name of ``KPI_NAMES``, NaN where there was no data."""
    return {name: float(fn(w, window_min, stock)) for name, fn in KPI.items()}


def _class_kpis(w: dict, seg: int) -> dict[str, float]:
    """One segment's buyers split into single- and multichannel: share, mean basket of each, uplift."""
    n, u, v = (w[k][2 * seg: 2 * seg + 2] for k in ("class_orders", "class_units", "class_value"))
    return {"multichannel_customer_share": ratio(n[1], n[0] + n[1]),
            "single_channel_basket_units": ratio(u[0], n[0]), "multichannel_basket_units": ratio(u[1], n[1]),
            "single_channel_basket_value": ratio(v[0], n[0]), "multichannel_basket_value": ratio(v[1], n[1]),
            "multichannel_basket_uplift": uplift(w["class_value"], w["class_orders"], seg)}


def breakdown(w: dict, window_min: float) -> dict[str, dict[str, dict[str, float]]]:
    """KPIs by channel, store and segment."""
    ch = {name: {
        "journeys": w["journeys_ch"][i], "orders": w["orders_ch"][i],
        "conversion_rate": ratio(w["orders_ch"][i], w["journeys_ch"][i]),
        "basket_units": ratio(w["units_ch"][i], w["orders_ch"][i]),
        "basket_value": ratio(w["value_ch"][i], w["orders_ch"][i]), "revenue": w["value_ch"][i],
        "stockout_rate": ratio(w["stockouts_ch"][i], w["requests_ch"][i]),
    } for i, name in enumerate(w["channels"])}
    st = {}
    for i, name in enumerate(w["store_names"]):
        q = w["store_q"][i]
        k = queue_kpis(q, window_min, "store")
        k["store_balk_rate"] = ratio(q.balked, q.arrivals)  # blocking: arrivals that found every place taken
        k.update(orders=w["orders_store"][i], stockout_rate=ratio(w["stockouts_store"][i], w["requests_store"][i]),
                 on_shelf_availability=1 - ratio(w["shelf_short_store"][i], w["requests_store"][i]),
                 picks=w["picks_store"][i], little_gap=little_gap(q, window_min))
        st[name] = k
    seg = {name: {
        "journeys": w["journeys_seg"][i], "orders": w["orders_seg"][i],
        "conversion_rate": ratio(w["orders_seg"][i], w["journeys_seg"][i]),
        "basket_units": ratio(w["units_seg"][i], w["orders_seg"][i]), "revenue": w["value_seg"][i],
        **_class_kpis(w, i),
    } for i, name in enumerate(w["segments"])}
    orders = _sum(w["orders_ch"])
    tp = {name: {"usage_share": ratio(sum(n for mask, n in w["tp_usage_masks"].items() if mask >> i & 1), orders),
                 "visits": w["tp_visits"][i], "visits_per_journey": ratio(w["tp_visits"][i], w["arrived"])}
          for i, name in enumerate(w["touchpoints"])}
    left = w["left"]
    store = merge_queues(w["store_q"])
    funnel = {"research": {"gave_up": left["research"], "minutes_per_journey": ratio(w["research_min"], w["arrived"])},
              "evaluation": {"gave_up": left["cart_lost"]},
              "decision": {"gave_up": left["store_queue"] + left["store_full"] + left["call_queue"]
                           + left["nothing_available"] + left["dropped_basket"],
                           "store_minutes_per_visit": ratio(store.sojourn, store.departures),
                           "call_minutes_per_call": ratio(w["call_q"].sojourn, w["call_q"].departures)},
              "ordered": {"customers": orders}}
    cq = queue_kpis(w["call_q"], window_min, "call")
    cq["little_gap"] = little_gap(w["call_q"], window_min)
    parcels = sum(w["shipments"].values())
    ful = {kind: {"parcels": n, "share": ratio(n, parcels)} for kind, n in w["shipments"].items()}
    return {"channel": ch, "store": st, "segment": seg, "call_centre": {"call_centre": cq},
            "touchpoint": tp, "funnel": funnel, "fulfilment": ful}

