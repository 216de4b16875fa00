"""The KPIs, declared once: name, label, unit, one-sentence definition and how to compute it from a ledger window.

The docs' KPI glossary, the report, the charts' axes and the CLI read :data:`KPIS`; the glossary's table is
written from it (``omnisim kpis --into docs/reference/kpis.md``, run by ``make docs``) and a test checks they
agree. Breakdowns by channel, store, segment, touchpoint and funnel stage are computed here too, from the same
window.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sim.core.customers import DAY_MIN
from sim.core.ledger import WAIT_BIN_MIN, Leave, Ledger, QueueStats, StockCounters, StockFigures, merge_queues
from sim.scenario.schema import CHANNEL_STORE

NAN = float("nan")

# units, as the charts' axes and the tables print them
SHARE = "share (0–1)"
EURO = "€"
MINUTES = "minutes"
DAYS = "days"
UNITS = "units"
COUNT = "count"
KM = "km"
SCORE = "score (−100 to 100)"


# a KPI's value from a ledger window, its length in minutes and the stock's figures over it: the declarations
# below name them ``w, T, x`` (w: the window throughout this module)
Value = Callable[[Ledger, float, StockFigures], float]


@dataclass(frozen=True)
class Kpi:
    """One KPI: its name (the interface: DESIGN.md section 3), a label and unit for people, what it means, and its
    value from a ledger window of ``minutes`` and the stock's figures over that window (NaN where no data).

    A KPI declared as a ratio (:func:`ratio_kpi`) also keeps its numerator and denominator (``ratio_of``), sums
    of counters over the window: its value is their quotient (or that quotient scaled, or its complement), so a
    window's value is the denominator-weighted mean of the values of the windows that tile it."""

    name: str
    label: str
    unit: str
    definition: str
    value: Value
    diagnostic: bool = False  # a check on the model rather than a figure a strategist reads
    better: int = 1           # +1: more is better for the retailer, -1: less is better, 0: neither (a description)
    ratio_of: tuple[Value, Value] | None = None  # (numerator, denominator) of a KPI declared as a ratio


# --------------------------------------------------------------------------------------------- helpers
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


def service_level(q: QueueStats) -> float:
    """Share of the customers who queued that were served within the target; those who gave up count as late."""
    return ratio(q.within, q.served + q.abandoned + q.balked)


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


def uplift(value: list[float], orders: list[int], segment: int | None = None) -> float:
    """Mean basket value of multichannel buyers over that of single-channel buyers, minus 1 (over every segment,
    or one); ``value`` and ``orders`` are indexed by buyer class ``2 * segment + multi``."""
    sl = slice(None) if segment is None else slice(2 * segment, 2 * segment + 2)
    v, n = value[sl], orders[sl]
    single = ratio(sum(v[0::2]), sum(n[0::2]))
    multi = ratio(sum(v[1::2]), sum(n[1::2]))
    return ratio(multi, single) - 1


def _orders(w: Ledger) -> int:
    return sum(w.orders_ch)


def _store_visits(w: Ledger) -> int:
    tps = w.layout.touchpoints
    browse = w.tp_visits[tps.index(CHANNEL_STORE)] if CHANNEL_STORE in tps else 0
    return browse + sum(q.arrivals for q in w.store_q)


def _store_value(w: Ledger) -> float:
    k = w.layout.ch_store
    return w.value_ch[k] if k >= 0 else 0.0


def _footfall(w: Ledger) -> int:
    """Store visits: the journeys' (browsing during research, trips to buy) and the visitors who bought nothing."""
    return _store_visits(w) + sum(w.browsers_store)


def _online(w: Ledger) -> list[int]:
    """Indices of the online purchase channels (the digital selling touchpoints: web, app, marketplace)."""
    lay = w.layout
    return [i for i in range(len(lay.channels)) if i != lay.ch_store and i != lay.ch_call]


def _sessions_of(w: Ledger, i: int) -> int:
    """Sessions on online channel ``i``: the journeys' research visits to it, their checkouts there and the
    sessions that ended without an order."""
    tps = w.layout.touchpoints
    name = w.layout.channels[i]
    research = w.tp_visits[tps.index(name)] if name in tps else 0
    return research + w.checkouts_ch[i] + w.sessions_ch[i]


def _sessions(w: Ledger) -> int:
    return sum(_sessions_of(w, i) for i in _online(w))


def _store_units(w: Ledger) -> int:
    k = w.layout.ch_store
    return w.units_ch[k] if k >= 0 else 0


def _stores(w: Ledger, T: float, key: str) -> float:
    return queue_kpis(merge_queues(w.store_q), T, "s")[f"s_{key}"]


def _all_stores(w: Ledger, *names: str) -> float:
    """A counter (or the sum of several) of every store's queue, added store by store as merge_queues does."""
    total: float = sum(getattr(q, n) for q in w.store_q for n in names)
    return total


def ratio_kpi(name: str, label: str, unit: str, definition: str, num: Value, den: Value, scale: float = 1.0,
              complement: bool = False, diagnostic: bool = False) -> Kpi:
    """A KPI declared as a ratio of window counters: ``num / den``, times ``scale``, or ``1 - num / den``."""
    if complement:
        def value(w: Ledger, T: float, x: StockFigures) -> float:
            return 1 - ratio(num(w, T, x), den(w, T, x))
    elif scale != 1.0:
        def value(w: Ledger, T: float, x: StockFigures) -> float:
            return scale * ratio(num(w, T, x), den(w, T, x))
    else:
        def value(w: Ledger, T: float, x: StockFigures) -> float:
            return ratio(num(w, T, x), den(w, T, x))
    return Kpi(name, label, unit, definition, value, diagnostic, ratio_of=(num, den))


# --------------------------------------------------------------------------------------------- the KPIs
K = Kpi
R = ratio_kpi
KPIS: tuple[Kpi, ...] = (
    # customers and orders
    K("customers", "Customers", COUNT, "People who started a journey in the window (a repeat journey by the same "
      "customer is not a new person).", lambda w, T, x: w.arrived - w.repeat_journeys),
    K("journeys", "Journeys", COUNT, "Journeys started in the window, repeat journeys included.",
      lambda w, T, x: w.arrived),
    K("orders", "Orders", COUNT, "Orders placed, all channels (a store ticket, an online or phone order).",
      lambda w, T, x: _orders(w)),
    R("conversion_rate", "Purchase completion", SHARE, "Orders over journeys: the share of journeys of customers "
      "set on buying that end in an order (not footfall or session conversion, which count visitors who never "
      "meant to buy: `store_conversion_rate`, `session_conversion_rate`).",
      lambda w, T, x: _orders(w), lambda w, T, x: sum(w.journeys_ch)),
    R("basket_units", "Basket size", UNITS, "Mean units per order.",
      lambda w, T, x: sum(w.units_ch), lambda w, T, x: _orders(w)),
    R("basket_value", "Basket value", EURO, "Mean value of an order at selling prices.",
      lambda w, T, x: sum(w.value_ch), lambda w, T, x: _orders(w)),
    K("revenue", "Revenue", EURO, "Sales at selling prices over the window, impulse buys at pickup included "
      "(refunds of returns are not deducted; see `refunds`).", lambda w, T, x: w.revenue),
    K("gross_margin", "Gross margin", EURO, "Revenue (after discounts and channel prices) minus the cost of the "
      "goods sold.",
      lambda w, T, x: w.revenue - w.cogs),
    K("margin_after_fulfilment", "Margin after fulfilment", EURO, "Gross margin minus the fulfilment cost: what "
      "the sales leave once the parcels are paid for.", lambda w, T, x: w.revenue - w.cogs - w.fulfilment_cost),
    K("fulfilment_cost", "Fulfilment cost", EURO, "Parcel costs (per parcel kind) plus the cost per km of "
      "delivery, for every online or phone order shipped or prepared for collection.",
      lambda w, T, x: w.fulfilment_cost),
    K("store_picking_min", "Store picking time", MINUTES, "Staff minutes spent picking online orders in store "
      "(pickup from store stock, ship-from-store, transfers, store parcels to pickup points), counted as each pick "
      "starts: time taken from serving walk-in customers.", lambda w, T, x: sum(w.pick_min_store)),
    K("staff_cost", "Staff cost of picking", EURO, "Store picking time priced at the loaded hourly staff cost "
      "(`fulfilment.staff_cost_per_hour`): minutes × rate / 60. Advice and till time are not priced: the stores' "
      "staff are paid for them whether busy or idle, under every setup.",
      lambda w, T, x: sum(w.pick_min_store) * w.staff_cost_per_hour / 60.0),
    # size: what a retailer's own accounts say of its stores and channels (judged in sim/scenario/benchmarks.py)
    K("sales_per_m2", "Sales density", "€ per m² a year", "Store tickets' value over the measured days, scaled "
      "to a year (× 365 / days), per m² of the stores' sales area (`stores.*.area_m2`; NaN when one is missing). "
      "Online orders collected in store are the web's sales, not the store's.",
      lambda w, T, x: ratio(_store_value(w) * 365.0 * DAY_MIN / T, w.store_area_m2) if T else NAN),
    K("tickets_per_store_day", "Tickets per store a day", COUNT, "Store tickets (transactions at the tills) per "
      "store and day of the window.",
      lambda w, T, x: ratio(sum(w.orders_store) * DAY_MIN / T, len(w.layout.stores)) if T else NAN),
    R("avg_ticket", "Average ticket", EURO, "Mean value of a store ticket (the store channel's basket value).",
      lambda w, T, x: _store_value(w), lambda w, T, x: sum(w.orders_store)),
    R("online_share", "Online share", SHARE, "Share of the orders' value placed remotely (web, app, "
      "marketplace, phone), wherever they are fulfilled: click & collect counts as online.",
      lambda w, T, x: sum(w.value_ch) - _store_value(w), lambda w, T, x: sum(w.value_ch)),
    # stock
    R("fill_rate", "Fill rate", SHARE, "Units handed over (or sent) from stock, of the requested SKU, over units "
      "asked for.", lambda w, T, x: x.units_out - w.units_substituted, lambda w, T, x: w.units_demanded),
    R("stockout_rate", "Stockout rate", SHARE, "Basket lines not served in full from stock when asked: the "
      "customer left without the item, took a substitute, was put on backorder, or dropped the whole basket "
      "over it; a line delivered from another store or the warehouse is served (with one unit per line it is "
      "exactly 1 − `fill_rate`).",
      lambda w, T, x: sum(w.stockouts_ch), lambda w, T, x: sum(w.requests_ch)),
    R("on_shelf_availability", "On-shelf availability", SHARE, "Store lines whose SKU was on the shelf in full "
      "when the customer reached it, before any rescue from another node: what a store audit sees (omnichannel "
      "lowers it, as store shelves also serve web orders, while what a shelf lacks is delivered from elsewhere).",
      lambda w, T, x: sum(w.shelf_short_store), lambda w, T, x: sum(w.requests_store), complement=True),
    K("sell_out_units", "Sell-out", UNITS, "Units sold to end customers, all channels.",
      lambda w, T, x: sum(w.units_ch)),
    R("store_conversion_rate", "Footfall conversion", SHARE, "Store tickets over store visits (`footfall`): "
      "footfall conversion as a door counter reads it.",
      lambda w, T, x: sum(w.orders_store), lambda w, T, x: _footfall(w)),
    K("footfall", "Footfall", COUNT, "Store visits: the journeys' (browsing during research, trips to buy) and "
      "the visitors who left without buying (`browsing.store_visits_per_day`; counted, not simulated: they take "
      "no staff or till).", lambda w, T, x: _footfall(w)),
    R("session_conversion_rate", "Session conversion", SHARE, "Orders placed on the digital selling touchpoints "
      "(web, app, marketplace) over their `online_sessions`: e-commerce conversion as web analytics read it.",
      lambda w, T, x: sum(w.orders_ch[i] for i in _online(w)), lambda w, T, x: _sessions(w)),
    K("online_sessions", "Online sessions", COUNT, "Sessions on the digital selling touchpoints: the journeys' "
      "research visits and checkouts there, and the sessions that ended without an order "
      "(`browsing.sessions_per_day`; counted, not simulated).", lambda w, T, x: _sessions(w)),
    R("checkout_abandon_rate", "Checkout abandonment", SHARE, "Online checkouts left with the cart in it, over "
      "online checkouts started (a customer who comes back to the cart after a reminder starts another).",
      lambda w, T, x: sum(w.checkouts_abandoned_ch), lambda w, T, x: sum(w.checkouts_ch)),
    K("lost_sales_units", "Lost sales", UNITS, "Units asked for and not sold because they were missing.",
      lambda w, T, x: w.units_lost),
    K("lost_sales_value", "Lost sales value", EURO, "Lost sales at selling prices.",
      lambda w, T, x: w.value_lost),
    K("failed_promise_units", "Units of failed promises", UNITS, "Units promised on a stale view of another "
      "node's stock and not there at picking.", lambda w, T, x: w.units_failed_promise, diagnostic=True),
    K("failed_promises", "Failed promises", COUNT, "Order lines promised on a stale view of stock and cancelled "
      "at picking.", lambda w, T, x: w.failed_promises),
    K("transfers", "Transfers", COUNT, "Store-to-store transfers made for a customer to collect.",
      lambda w, T, x: w.transfers),
    R("delivery_distance_km", "Delivery distance", KM, "Mean distance from the shipping node to the customer's "
      "area, per parcel.", lambda w, T, x: w.delivery_km, lambda w, T, x: sum(w.shipments.values())),
    K("pickup_extra_revenue", "Revenue at pickup", EURO, "What customers collecting an order in store buy on "
      "impulse while there.", lambda w, T, x: w.pickup_extra_value),
    K("recommended_units", "Recommended units", UNITS, "Units that accepted recommendations added to baskets, as "
      "asked for (0 without personalisation and customer data; a recommended line that finds no stock is also in "
      "lost sales).", lambda w, T, x: w.units_recommended),
    K("recommended_value", "Value of recommended lines", EURO, "What the lines accepted recommendations added to "
      "baskets are worth at the price quoted to the customer, as asked for (a promotion's basket uplift "
      "included; before stock decides what is sold: the fill rate says how much is).", lambda w, T, x: w.value_recommended),
    R("remote_fill_share", "Remote fill share", SHARE, "Units taken from another node than the selling "
      "channel's own, over all units taken from stock.", lambda w, T, x: w.units_remote, lambda w, T, x: x.units_out,
      diagnostic=True),
    K("cycle_service_level", "Cycle service level", SHARE, "Replenishment cycles of each (node, SKU) in which no "
      "customer found that node short: a per-node measure, which falls under omnichannel, where each store's "
      "stock also serves online orders, even when customers are served from another node.",
      lambda w, T, x: x.cycle_service_level),
    K("numeric_distribution", "Numeric distribution", SHARE, "Share of stores holding a SKU, averaged over SKUs "
      "and days.", lambda w, T, x: x.numeric_distribution),
    K("weighted_distribution", "Weighted distribution", SHARE, "Numeric distribution weighted by each SKU's "
      "share of demand.", lambda w, T, x: x.weighted_distribution),
    K("avg_on_hand_units", "Stock on hand", UNITS, "Units on hand in the whole network, time average.",
      lambda w, T, x: x.avg_on_hand_units),
    K("avg_stock_value", "Stock value", EURO, "Stock on hand in the whole network valued at unit cost, time "
      "average.", lambda w, T, x: x.avg_stock_value),
    K("carrying_cost", "Carrying cost of stock", EURO, "Cost of holding the stock over the window: the yearly "
      "carrying rate (`fulfilment.carrying_cost_rate`, a share of stock value) × `avg_stock_value` × measured "
      "days / 365. Out of the payback's operating margin, so a setup that holds more stock pays for it.",
      lambda w, T, x: w.carrying_rate * x.avg_stock_value * T / (DAY_MIN * 365.0)),
    K("inventory_turns", "Inventory turns", "turns per year", "Units shipped from stock per year over the average "
      "stock on hand (annualised from the window).", lambda w, T, x: x.inventory_turns),
    K("store_inventory_turns", "Store stock turns", "turns per year", "`inventory_turns` of the stores alone: "
      "units they shipped a year (to walk-in and online customers, transfers included) over the units on their "
      "shelves.", lambda w, T, x: x.store_inventory_turns),
    K("warehouse_inventory_turns", "Warehouse stock turns", "turns per year", "`inventory_turns` of the warehouse "
      "alone (NaN without one).", lambda w, T, x: x.warehouse_inventory_turns),
    # queues
    R("store_wait_mean_min", "Store wait", MINUTES, "Mean wait in store queues (advice and till) of the customers "
      "served (those who gave up are not in it; store_service_level counts them as late).",
      lambda w, T, x: _all_stores(w, "wait_sum"), lambda w, T, x: _all_stores(w, "served")),
    K("store_wait_p95_min", "Store wait, 95th percentile", MINUTES, "Wait in store queues that 95 % of the "
      "customers served did not exceed (those who gave up are not in it; store_service_level counts them as "
      "late).", lambda w, T, x: _stores(w, T, "wait_p95_min")),
    R("store_service_level", "Store service level", SHARE, "Store customers served within the wait target, over "
      "all who queued (those who gave up or found it full count as late).",
      lambda w, T, x: _all_stores(w, "within"), lambda w, T, x: _all_stores(w, "served", "abandoned", "balked")),
    R("store_abandon_rate", "Store abandonment", SHARE, "Store arrivals who gave up waiting or found every till "
      "and waiting place taken.", lambda w, T, x: _all_stores(w, "abandoned", "balked"),
      lambda w, T, x: _all_stores(w, "arrivals")),
    R("call_wait_mean_min", "Call wait", MINUTES, "Mean wait for an agent of the calls answered.",
      lambda w, T, x: w.call_q.wait_sum, lambda w, T, x: w.call_q.served),
    R("call_wait_prob", "Calls that wait", SHARE, "Answered calls that waited at all for an agent.",
      lambda w, T, x: w.call_q.wait_pos, lambda w, T, x: w.call_q.served, diagnostic=True),
    R("call_service_level", "Call service level", SHARE, "Calls answered within the target wait, over all calls "
      "that queued (those who hung up count as late).", lambda w, T, x: w.call_q.within,
      lambda w, T, x: w.call_q.served + w.call_q.abandoned + w.call_q.balked),
    R("call_abandon_rate", "Call abandonment", SHARE, "Calls whose caller hung up before an agent answered.",
      lambda w, T, x: w.call_q.abandoned, lambda w, T, x: w.call_q.arrivals),
    # delivery
    R("on_time_rate", "On-time rate", SHARE, "Online and phone orders ready (delivered, or ready to collect) by "
      "the time promised.", lambda w, T, x: w.on_time, lambda w, T, x: w.online_done),
    R("delivery_lead_time_days", "Delivery lead time", DAYS, "Mean time from an online or phone order to its last "
      "parcel being delivered or ready to collect.", lambda w, T, x: w.lead_time_sum_days,
      lambda w, T, x: w.online_done),
    # satisfaction and loyalty
    R("satisfaction", "Satisfaction (NPS-like)", SCORE, "Promoters minus detractors over rated customers, in "
      "points: a customer with no problem is a promoter (or passive), one problem makes a passive, more or "
      "nothing bought a detractor.",
      lambda w, T, x: w.rated[0] - w.rated[2], lambda w, T, x: sum(w.rated), scale=100),
    R("csat", "Satisfied customers (CSAT)", SHARE, "Rated customers who were satisfied: promoters and passives "
      "(nothing, or one thing, went wrong), the top two boxes of a CSAT survey.",
      lambda w, T, x: w.rated[0] + w.rated[1], lambda w, T, x: sum(w.rated)),
    R("multichannel_customer_share", "Multichannel buyers", SHARE, "Buyers whose journey used two or more "
      "channels (store, web, app, marketplace, call centre; collecting an order in store uses the store).",
      lambda w, T, x: sum(w.class_orders[1::2]), lambda w, T, x: sum(w.class_orders)),
    K("multichannel_basket_uplift", "Multichannel basket uplift", "relative (0.2 = +20 %)", "Mean basket value "
      "(what they add at pickup included) of multichannel buyers over that of single-channel buyers, minus 1.",
      lambda w, T, x: uplift(w.class_value, w.class_orders)),
    R("repeat_purchase_rate", "Repeat purchases", SHARE, "Orders placed on a repeat journey, over all orders.",
      lambda w, T, x: w.repeat_orders, lambda w, T, x: _orders(w)),
    R("review_score", "Review score", SCORE, "Positive minus negative public reviews over reviews written, in "
      "points.", lambda w, T, x: w.reviews[0] - w.reviews[2], lambda w, T, x: sum(w.reviews), scale=100),
    # returns
    R("return_rate", "Return rate", SHARE, "Units brought back over units sold.",
      lambda w, T, x: w.returned_units, lambda w, T, x: sum(w.units_ch)),
    R("online_return_rate", "Online return rate", SHARE, "Units bought online or by phone that come back, over "
      "those units.", lambda w, T, x: w.returned_units_online, lambda w, T, x: sum(w.units_ch) - _store_units(w)),
    K("returned_units", "Returned units", UNITS, "Units brought back in the window.",
      lambda w, T, x: w.returned_units),
    R("returns_in_store_share", "Returns in store", SHARE, "Returns taken back in a store rather than at the "
      "warehouse.", lambda w, T, x: w.returns_at_store, lambda w, T, x: w.returned_orders),
    K("refunds", "Refunds", EURO, "Money paid back for returns, at selling prices.", lambda w, T, x: w.refunds),
    K("written_off_units", "Written-off returns", UNITS, "Returned units found unsellable at handling.",
      lambda w, T, x: w.written_off_units),
    # journeys
    R("touchpoints_per_journey", "Touchpoints per purchase", "touchpoints", "Research touchpoints visited before "
      "a purchase, per order.", lambda w, T, x: w.tp_visits_ordered, lambda w, T, x: _orders(w)),
    R("channel_switch_rate", "Channel switches", SHARE, "Journeys whose cart was built in another channel than the "
      "one they meant to buy in.", lambda w, T, x: w.switches, lambda w, T, x: w.arrived),
    R("ropo_share", "Research online, purchase offline", SHARE, "Buyers who researched online and bought in "
      "store, of all buyers.", lambda w, T, x: w.ropo, lambda w, T, x: _orders(w)),
    # channel choice (sim.core.choice): where customers go once the web shows their store's stock
    K("store_trips", "Store trips", COUNT, "Trips to a store to buy: arrivals at the stores' queues, those who "
      "found every place taken included (browsing visits during research are not trips to buy).",
      lambda w, T, x: _all_stores(w, "arrivals")),
    K("wasted_store_trips", "Wasted store trips", COUNT, "Store buyers who reached the shelf and found a line they "
      "came for (their own basket, recommendations aside) short.", lambda w, T, x: w.wasted_store_trips),
    R("wasted_store_trip_rate", "Wasted store trip rate", SHARE, "Wasted store trips over store buyers who "
      "reached the till.", lambda w, T, x: w.wasted_store_trips, lambda w, T, x: _all_stores(w, "served")),
    R("shipped_sales_share", "Shipped sales share", SHARE, "Value of online and phone orders delivered to a home "
      "or a pickup point, over all sales value; the rest is bought or collected in store.",
      lambda w, T, x: w.value_shipped, lambda w, T, x: w.revenue),
    K("stock_view_to_store", "Sent to the store by the stock view", COUNT, "Customers who meant to buy online, saw "
      "online that their store held their basket, and went to buy there.", lambda w, T, x: w.view_to_store,
      diagnostic=True),
    K("stock_view_to_online", "Kept from the store by the stock view", COUNT, "Customers who meant to buy in "
      "store, saw online that their store lacked an item, and ordered online instead.",
      lambda w, T, x: w.view_to_online, diagnostic=True),
    # marketing
    K("reminders_sent", "Cart reminders", COUNT, "Abandoned online carts the retailer sent a reminder about "
      "(where the setup has the customer data to).", lambda w, T, x: w.reminders_sent),
    K("carts_recovered", "Carts recovered", COUNT, "Orders placed by customers who came back to an abandoned cart "
      "after a reminder.", lambda w, T, x: w.carts_recovered),
    K("recovered_revenue", "Recovered revenue", EURO, "Value of the orders of recovered carts.",
      lambda w, T, x: w.recovered_revenue),
    R("chatbot_deflection_rate", "Chatbot deflection", SHARE, "Service contacts the chatbot answered without an "
      "agent, of those that met it.", lambda w, T, x: w.chatbot_answered, lambda w, T, x: w.chatbot_contacts),
    K("calls_to_agents", "Calls to agents", COUNT, "Calls that reached the agents' line (service contacts the "
      "chatbot did not answer, and phone orders).", lambda w, T, x: w.call_q.arrivals),
    K("price_mismatch_encounters", "Price mismatches", COUNT, "Checkouts where a channel the customer researched "
      "showed their basket noticeably cheaper than where they were buying.", lambda w, T, x: w.price_mismatches),
    K("discount_cost", "Discounts", EURO, "Catalogue value of the units sold minus what customers paid for them "
      "(promotions, channel prices, matched prices; negative where a channel sells above the catalogue).",
      lambda w, T, x: w.price_adjustment),
    K("promotion_revenue", "Promotion revenue", EURO, "What customers paid for units on promotion.",
      lambda w, T, x: w.promotion_revenue),
    K("offers_sent", "Targeted offers", COUNT, "Targeted offers sent to known customers (where the setup has the "
      "customer record and personalisation).", lambda w, T, x: w.offers_sent),
    K("offer_orders", "Orders from offers", COUNT, "Orders placed by customers a targeted offer brought.",
      lambda w, T, x: w.offer_orders),
    K("offer_revenue", "Revenue from offers", EURO, "What customers a targeted offer brought paid, after its "
      "discount.", lambda w, T, x: w.offer_revenue),
    K("offer_cost", "Cost of offers", EURO, "What sending the targeted offers cost (their discounts are in "
      "`discount_cost`).", lambda w, T, x: w.offer_cost),
    K("supplier_backlog_units", "Supplier backlog", UNITS, "Units ordered and waiting at a supplier with a "
      "capacity, time average (0 when it is unlimited).", lambda w, T, x: x.supplier_backlog_units,
      diagnostic=True),
    K("end_of_period_on_hand", "Stock at period end", UNITS, "Mean on hand of a node at the end of its review "
      "periods, summed over SKUs.", lambda w, T, x: x.end_of_period_on_hand, diagnostic=True),
    K("avg_backorder_units", "Backorders", UNITS, "Units owed to customers on backorder, time average.",
      lambda w, T, x: x.avg_backorder_units, diagnostic=True),
)
del K, R
# which way is better, for the KPIs where more is not: said once here, read by the decision summary
LESS_IS_BETTER = {
    "fulfilment_cost", "store_picking_min", "staff_cost", "stockout_rate", "lost_sales_units", "lost_sales_value",
    "failed_promise_units", "failed_promises", "delivery_distance_km", "store_wait_mean_min", "store_wait_p95_min", "store_abandon_rate",
    "call_wait_mean_min", "call_wait_prob", "call_abandon_rate", "delivery_lead_time_days", "return_rate",
    "online_return_rate", "returned_units", "refunds", "written_off_units", "discount_cost", "offer_cost",
    "supplier_backlog_units", "avg_backorder_units", "price_mismatch_encounters", "calls_to_agents",
    "carrying_cost", "wasted_store_trips", "wasted_store_trip_rate", "checkout_abandon_rate"}
NEITHER = {
    "customers", "journeys", "transfers", "remote_fill_share", "avg_on_hand_units", "touchpoints_per_journey",
    "channel_switch_rate", "ropo_share", "returns_in_store_share", "end_of_period_on_hand", "reminders_sent",
    "offers_sent", "multichannel_customer_share", "avg_stock_value", "recommended_units", "recommended_value",
    "store_trips", "shipped_sales_share", "stock_view_to_store", "stock_view_to_online", "footfall",
    "online_sessions"}
KPIS = tuple(replace(k, better=-1 if k.name in LESS_IS_BETTER else 0 if k.name in NEITHER else 1) for k in KPIS)
"""Every KPI the model reports, declared once, in the order of ``Result.kpis`` and of a comparison's tables. Each
``Kpi`` has a ``name`` (the interface), a ``label`` and a ``unit`` for people (``"share (0–1)"``, ``"€"``,
``"minutes"``, ``"days"``, ``"units"``, ``"count"``, ``"score (−100 to 100)"``, ...), a one-sentence ``definition``,
``diagnostic`` (a check on the model rather than a figure a strategist reads) and ``better`` (+1: more is better for
the retailer, −1: less is, 0: neither). A run's values are over its measured window (warm-up excluded): totals over
its days for amounts such as ``revenue`` or ``orders``, means, shares or yearly rates for the others, as each
``definition`` says. The KPI glossary (``omnisim kpis``) is written from it."""
KPI_BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}
KPI_NAMES: tuple[str, ...] = tuple(KPI_BY_NAME)

# the unit of a name that is not a KPI (a daily series, a breakdown column), from its suffix
_SUFFIX_UNITS = (("_min", MINUTES), ("_rate", SHARE), ("_level", SHARE), ("_share", SHARE),
                 ("_distribution", SHARE), ("_units", UNITS), ("_value", EURO), ("_revenue", EURO),
                 ("_margin", EURO), ("_cost", EURO), ("_days", DAYS), ("_km", KM))


def unit_of(name: str) -> str:
    """The display unit of a KPI (as declared) or of another figure named like one (e.g. ``on_hand_units``)."""
    if name in KPI_BY_NAME:
        return KPI_BY_NAME[name].unit
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return COUNT


def label_of(name: str) -> str:
    """A KPI's label for people; another name with its underscores as spaces."""
    return KPI_BY_NAME[name].label if name in KPI_BY_NAME else name.replace("_", " ")


def compute_kpis(w: Ledger, window_min: float, stock: StockFigures,
                 names: Sequence[str] = KPI_NAMES) -> dict[str, float]:
    """The KPI table of one window (a replication's, or one of its days): every name of ``names`` (all KPIs by
    default), NaN where there was no data."""
    return {name: float(KPI_BY_NAME[name].value(w, window_min, stock)) for name in names}


def stock_figures(end: StockCounters, start: StockCounters | None, window_min: float, n_skus: int,
                  numeric_distribution: float = NAN, weighted_distribution: float = NAN,
                  n_stores: int | None = None) -> StockFigures:
    """The stock's figures over the window from the ``start`` snapshot of the ledger's stock section (None: from
    t = 0) to ``end``, its areas brought up to the window's end; the distributions are means of end-of-day
    states over the window's days, given as they are (stock states, not counters). ``n_stores``: the nodes that
    are stores (the first ones; a warehouse follows them), for the turns per node type (None: not split)."""
    s = start or StockCounters.for_nodes(len(end.area))
    avg = (sum(end.area) - sum(s.area)) / window_min
    days = window_min / DAY_MIN

    def turns(nodes: slice) -> float:
        held = (sum(end.area[nodes]) - sum(s.area[nodes])) / window_min
        return ratio((sum(end.shipped[nodes]) - sum(s.shipped[nodes])) * 365.0 / days, held) if held else NAN

    split = n_stores is not None
    return StockFigures(
        store_inventory_turns=turns(slice(0, n_stores)) if split and n_stores else NAN,
        warehouse_inventory_turns=turns(slice(n_stores, None)) if split and len(end.area) > (n_stores or 0)
        else NAN,
        avg_on_hand_units=avg,
        avg_backorder_units=(sum(end.bo_area) - sum(s.bo_area)) / window_min,
        units_out=end.units_out - s.units_out,
        inventory_turns=ratio((sum(end.shipped) - sum(s.shipped)) * 365.0 / days, avg),
        cycle_service_level=ratio(sum(end.cycles_ok) - sum(s.cycles_ok), sum(end.cycles) - sum(s.cycles)),
        numeric_distribution=numeric_distribution,
        weighted_distribution=weighted_distribution,
        # mean on hand per SKU at the end of its review periods, times the SKUs: a node's on hand at period end
        # when all its SKUs share one review period (ints: the division is exact to the last bit)
        end_of_period_on_hand=ratio(n_skus * (sum(end.eod_on_hand) - sum(s.eod_on_hand)),
                                    sum(end.eod_count) - sum(s.eod_count)),
        supplier_backlog_units=(end.backlog_area - s.backlog_area) / window_min,
        avg_stock_value=(sum(end.value_area) - sum(s.value_area)) / window_min,
    )


# --------------------------------------------------------------------------------------------- breakdowns
def _class_kpis(w: Ledger, seg: int) -> dict[str, float]:
    """One segment's buyers split into single- and multichannel: share, mean basket of each, uplift."""
    n, u, v = (x[2 * seg: 2 * seg + 2] for x in (w.class_orders, w.class_units, w.class_value))
    return {"multichannel_customer_share": ratio(n[1], n[0] + n[1]),
            "single_channel_basket_units": ratio(u[0], n[0]), "multichannel_basket_units": ratio(u[1], n[1]),
            "single_channel_basket_value": ratio(v[0], n[0]), "multichannel_basket_value": ratio(v[1], n[1]),
            "multichannel_basket_uplift": uplift(w.class_value, w.class_orders, seg)}


def breakdown(w: Ledger, window_min: float) -> dict[str, dict[str, dict[str, float]]]:
    """KPIs by channel, store, segment, call centre, touchpoint, funnel stage and parcel kind."""
    lay = w.layout
    ch = {name: {
        "journeys": w.journeys_ch[i], "orders": w.orders_ch[i],
        "conversion_rate": ratio(w.orders_ch[i], w.journeys_ch[i]),
        "basket_units": ratio(w.units_ch[i], w.orders_ch[i]),
        "basket_value": ratio(w.value_ch[i], w.orders_ch[i]), "revenue": w.value_ch[i],
        "stockout_rate": ratio(w.stockouts_ch[i], w.requests_ch[i]),
    } for i, name in enumerate(lay.channels)}
    for i in _online(w):  # sessions, session conversion and checkout abandonment of each online channel
        sessions = _sessions_of(w, i)
        ch[lay.channels[i]].update(sessions=sessions, session_conversion_rate=ratio(w.orders_ch[i], sessions),
                                   checkout_abandon_rate=ratio(w.checkouts_abandoned_ch[i], w.checkouts_ch[i]))
    st = {}
    for i, name in enumerate(lay.stores):
        q = w.store_q[i]
        k = queue_kpis(q, window_min, "store")
        k["store_balk_rate"] = ratio(q.balked, q.arrivals)  # blocking: arrivals that found every place taken
        k.update(orders=w.orders_store[i], stockout_rate=ratio(w.stockouts_store[i], w.requests_store[i]),
                 on_shelf_availability=1 - ratio(w.shelf_short_store[i], w.requests_store[i]),
                 picks=w.picks_store[i], picking_min=w.pick_min_store[i], little_gap=little_gap(q, window_min))
        footfall = w.store_research[i] + q.arrivals + w.browsers_store[i]
        k.update(footfall=footfall, store_conversion_rate=ratio(w.orders_store[i], footfall))
        st[name] = k
    seg = {name: {
        "journeys": w.journeys_seg[i], "orders": w.orders_seg[i],
        "conversion_rate": ratio(w.orders_seg[i], w.journeys_seg[i]),
        "basket_units": ratio(w.units_seg[i], w.orders_seg[i]), "revenue": w.value_seg[i],
        **_class_kpis(w, i),
    } for i, name in enumerate(lay.segments)}
    orders = _orders(w)
    tp = {name: {"usage_share": ratio(sum(n for mask, n in w.tp_usage_masks.items() if mask >> i & 1), orders),
                 "visits": w.tp_visits[i], "visits_per_journey": ratio(w.tp_visits[i], w.arrived)}
          for i, name in enumerate(lay.touchpoints)}
    left = w.left
    store = merge_queues(w.store_q)
    decision = (Leave.STORE_QUEUE, Leave.STORE_FULL, Leave.CALL_QUEUE, Leave.NOTHING_AVAILABLE,
                Leave.DROPPED_BASKET, Leave.PRICE, Leave.CART_ABANDONED)
    funnel: dict[str, dict[str, float]] = {
        "research": {"gave_up": left[Leave.RESEARCH], "minutes_per_journey": ratio(w.research_min, w.arrived)},
        "evaluation": {"gave_up": left[Leave.CART_LOST]},
        "decision": {"gave_up": sum(left[r] for r in decision),
                     "store_minutes_per_visit": ratio(store.sojourn, store.departures),
                     "call_minutes_per_call": ratio(w.call_q.sojourn, w.call_q.departures)},
        "ordered": {"customers": orders}}
    cq = queue_kpis(w.call_q, window_min, "call")
    cq["little_gap"] = little_gap(w.call_q, window_min)
    parcels = sum(w.shipments.values())
    ful = {kind: {"parcels": n, "share": ratio(n, parcels)} for kind, n in w.shipments.items()}
    return {"channel": ch, "store": st, "segment": seg, "call_centre": {"call_centre": cq},
            "touchpoint": tp, "funnel": funnel, "fulfilment": ful}


# --------------------------------------------------------------------------------------------- the glossary
LATE_RULE = ("Service levels count the customers who gave up waiting (or found every place taken) as late; the "
             "waits (mean, 95th percentile) are those of the customers served: a short wait can sit beside a low "
             "service level.")
"""The rule beside every table of service levels (report, command line, KPI definitions)."""
SERVICE_LEVELS = ("store_service_level", "call_service_level")
"""The KPIs :data:`LATE_RULE` is about."""

GLOSSARY_START = ("<!-- kpi glossary: written from sim/core/kpis.py by `omnisim kpis --into docs/reference/kpis.md` "
                  "(make docs) -->")
GLOSSARY_END = "<!-- end of kpi glossary -->"
GLOSSARY_MARKER = "<!-- kpi glossary:"  # how a start marker begins, whatever command it names


def glossary_markdown(kpis: Sequence[Kpi] = KPIS) -> str:
    """The KPI glossary as a Markdown table: name, label, unit, definition (diagnostics marked)."""
    rows = ["| KPI | label | unit | what it says |", "| --- | --- | --- | --- |"]
    for k in kpis:
        what = k.definition + (" *(diagnostic)*" if k.diagnostic else "")
        rows.append(f"| `{k.name}` | {k.label} | {k.unit} | {what} |")
    return "\n".join(rows)


def with_glossary(text: str) -> str:
    """``text`` (a Markdown page) with the part between the glossary markers replaced by :func:`glossary_markdown`
    (a start marker naming another command, as an older page has, becomes :data:`GLOSSARY_START`)."""
    pattern = re.compile(re.escape(GLOSSARY_MARKER) + r"[^\n]*?-->.*?" + re.escape(GLOSSARY_END), re.S)
    if not pattern.search(text):
        raise ValueError("the glossary markers are missing")
    return pattern.sub(lambda _m: f"{GLOSSARY_START}\n{glossary_markdown()}\n{GLOSSARY_END}", text)

