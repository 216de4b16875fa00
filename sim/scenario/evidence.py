"""The evidence register for behaviour: every parameter through which a setup changes what customers do, as data.

Each entry names the scenario field it governs (a dotted path, ``*`` for every item of a list), a default and a
plausible range in the field's unit, the kind of evidence behind them, the source, what the figure measures and
why the default sits where it does, and the capability switches (``sim.scenario.setups.Capabilities``) it acts
through. Defaults sit where the strongest evidence sits; a parameter with only an assumption behind it gets a wide
range and a default in the middle of it. Each note says whether its figures were read at the source (an abstract,
the article, or the study's own page), on a secondary page that reports the source, or only in the compiled
evidence brief.

The market studies the product was specified from (``/work/shared/market-studies/``, French) make claims of
another kind: they compare omnichannel customers with the others, or state targets. They are kept apart, as
:data:`CLAIMS`, and as the named preset ``market-studies`` (:data:`PRESETS`), the values a scenario would take if
those claims were causal effects, so that both worlds can be shown side by side.

Like ``benchmarks`` this module is data and imports nothing of the package; the model does not read it yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The kinds of evidence, strongest first.
KINDS = ("field experiment", "quasi-experiment", "observational", "survey", "vendor claim", "market-study claim",
         "assumption")
# How the figures of an entry were checked for this register: read at the source (the paper's abstract or text,
# the study's own page); on a secondary page that reports the source; only in the compiled evidence brief
# (/work/shared/evidence/brief.md, "verify before citing"); nothing to check (an assumption).
CHECKS = ("source", "secondary", "brief", "none")
# the capability switches of sim/scenario/setups.py (kept here as names so that this module imports nothing)
CAPABILITIES = ("shared_stock", "visibility", "cart_continuity", "click_collect", "store_pickup", "ship_from_store",
                "endless_aisle", "customer_data", "personalisation", "return_anywhere", "transfers",
                "cart_reminders", "chatbot", "unified_pricing", "clienteling")


@dataclass(frozen=True)
class Evidence:
    """One behavioural parameter: its default and plausible range (``low`` to ``high``, in ``unit``), the kind of
    evidence, the source (author, title, venue, year), what the figure measures and why the default sits there
    (``note``), how the figures were checked (one of :data:`CHECKS`), and the capabilities it acts through
    (``mechanism``; empty: it acts in every setup). ``balance`` names the field of the same group that takes up a
    change so that the group still sums to 1 (a stockout or price reaction), "" when there is none."""

    path: str
    default: float
    low: float
    high: float
    unit: str
    kind: str
    source: str
    note: str
    checked: str
    mechanism: tuple[str, ...]
    balance: str = ""


@dataclass(frozen=True)
class Claim:
    """A market study's figure, in our words: what it states, the file it is in, the kind (a market-study claim),
    the register paths it bears on (none: an outcome, a target to compare results with), and why it is not a
    causal effect."""

    figure: str
    what: str
    source: str
    paths: tuple[str, ...]
    note: str
    kind: str = "market-study claim"


REGISTER: tuple[Evidence, ...] = (
    # ---------------------------------------------------------------- recommendations (personalisation)
    Evidence(
        "segments.*.recommendation_accept", 0.08, 0.0, 0.20, "probability per recommendation shown", "field experiment",
        "Belluf, Xavier & Giglio, 'Case study on the business value impact of personalized recommendations on a large "
        "online retailer', ACM RecSys 2012; Sharma, Hofman & Watts, 'Estimating the causal impact of recommendation "
        "systems from observational data', ACM EC 2015; Lee & Hosanagar, 'People who liked this study also "
        "liked...' (working paper); Scherpinski & Lessmann, personalisation in e-grocery, 2021",
        "The chance that a shown recommendation adds a line that would not have been bought otherwise. A "
        "recommendation is shown in each of the retailer's own digital selling channels the journey used (not on "
        "a marketplace), and in store or on the phone only with clienteling. Randomised tests put the whole online "
        "revenue gain of a recommender at about +8-20 % (Belluf et al.: one-month A/B test, 600,000 users, Nova "
        "Pontocom; read in the abstract) and +7 % in e-grocery (Scherpinski & Lessmann; brief's reading); a "
        "purchase-based widget raised items bought by 35 %, a view-based one by 9 % not significantly (Lee & "
        "Hosanagar; brief's reading). Sharma et al. find at least 75 % of click-throughs on Amazon's "
        "recommendations would have happened anyway (read in the abstract): the 'third of Amazon's sales' once "
        "quoted is a share attributed, not caused. The value is fitted to the experiments through the model: on "
        "the default scenario under omnichannel, 0.08 raises online revenue by about 8 %, the e-grocery test's +7 % "
        "and the low end of Belluf et al.'s range, where a vendor's own case study is more likely to sit high than "
        "low; 0.20 gives about +20 %, the top of that range; 0, no causal effect at all, is what Sharma et al.'s "
        "finding leaves possible (tests/test_evidence.py checks the fit).",
        "source", ("personalisation", "customer_data")),
    # ---------------------------------------------------------------- cart continuity
    Evidence(
        "segments.*.restart_abandon_prob", 0.07, 0.0, 0.15, "probability", "assumption",
        "none found: assumption (the compiled evidence brief has no figure for it)",
        "The chance that a customer whose cart is lost on a channel switch gives up instead of rebuilding it in the "
        "next channel. No study measures it. Baymard's checkout studies count people leaving a checkout, mostly "
        "browsers, which is another thing. A switch to the store needs no cart at all, and rebuilding a fashion "
        "basket of two lines takes minutes, so a high value is hard to defend; the range is wide relative to its "
        "scale and the default sits in its middle. It weighs heavily: with most journeys switching channel, this "
        "value makes most of the conversion gain of cart continuity (issue 24).",
        "none", ("cart_continuity",)),
    Evidence(
        "fulfilment.cart_friction", 0.4, 0.1, 0.7, "probability", "assumption",
        "none found: assumption",
        "Cross-channel only: the chance that a cart does not follow the customer to another channel when the "
        "channels keep separate systems (a saved basket a shopper must log in to find, a store that cannot see "
        "it). No measurement exists; the default is the middle of a wide range.",
        "none", ("cart_continuity",)),
    # ---------------------------------------------------------------- click & collect and delivery choice
    Evidence(
        "fulfilment.pickup_extra_purchase_prob", 0.25, 0.10, 0.60, "probability per pickup", "survey",
        "Forrester research on click-and-collect in six European countries, reported by MyCustomer (River Island's "
        "figure); YouGov European survey, reported by shopsafe.co.uk; ICSC click-and-collect survey, reported by "
        "Chain Store Age (2019); Bell and Howell 2017 Click and Collect Retail Consumer Preference Study, reported "
        "by OrderDynamics/Tecsys; Gallino & Moreno, Management Science 60(6), 2014",
        "The chance that a customer collecting an order in store buys one more item there. The fashion retailer "
        "River Island reports 25 % of its click-and-collect customers buying more when they collect, and 24 % of "
        "European adults say they often do (both read on the secondary pages named). US surveys find 59-67 % "
        "who have bought more at some pickup (ICSC: 67 %, Bell and Howell: 59 %; read on the secondary pages): "
        "'ever', not 'per pickup', and stated, not observed. Gallino & Moreno name a cross-selling effect of "
        "pickup without a size in the abstract. Default at the per-visit figures, 0.25; the surveys' 'ever' "
        "share bounds it from above.",
        "secondary", ("click_collect", "store_pickup")),
    Evidence(
        "segments.*.click_collect_share", 0.30, 0.10, 0.55, "share of online buyers", "observational",
        "FEVAD via JLL France, 'Comment le click and collect continue sa percée' (2018); Commerce Magazine, 'Comment "
        "le click and collect continue d'évoluer dans le retail' (trade press); Eram, reported by "
        "definitions-marketing.com (2018)",
        "Online buyers who prefer to collect in store when it is offered. FEVAD: 38 % of French online shoppers "
        "used click & collect in 2017 (read on JLL's page); DIY and furniture chains route 8-25 % of their "
        "orders through store pickup (trade press); the shoe chain Eram had more than one online order in two "
        "collected in store in early 2018 (company figure quoted on a glossary page). Observed shares of one or a "
        "few retailers, so a wide range; the default is near the middle.",
        "secondary", ("click_collect", "store_pickup")),
    Evidence(
        "segments.*.pickup_point_share", 0.20, 0.10, 0.35, "share of online buyers", "observational",
        "FEVAD and parcel carriers, reported by RMC/BFM ('Livraison en point relais', Dec. 2023; Geopost/GfK "
        "study, Sept. 2025); FEVAD via envoimoinscher.com (about 2013)",
        "Online buyers who want delivery to a pickup point (offered in every setup; it shares its uniform with "
        "click & collect, so it changes what that capability can take). About 100 million of the 500 million "
        "parcels of French e-commerce go to relay points (about 20 %, my arithmetic), an older FEVAD figure is "
        "26 %, and 57 % of French shoppers say they prefer relay points (all read on the secondary pages named). "
        "Default at the share of parcels.",
        "secondary", ()),
    # ---------------------------------------------------------------- channel choice when store stock is shown online
    Evidence(
        "segments.*.stock_view_to_store_prob", 0.10, 0.0, 0.30, "probability per online buyer", "assumption",
        "Gallino & Moreno, 'Integration of online and offline channels in retail: the impact of sharing reliable "
        "inventory availability information', Management Science 60(6), 2014 (direction); Gao & Su, 'Omnichannel "
        "retail operations with buy-online-and-pick-up-in-store', Management Science 63(8), 2017 (mechanism)",
        "A customer who researched online and meant to buy online goes to buy in their store when the web shows "
        "that store holding their basket (sim/core/choice.py). Gallino & Moreno's difference-in-differences on a "
        "US housewares chain found that buy-online-pick-up-in-store with store availability shown online lowered "
        "online sales and raised store sales and traffic, a shift of online customers to the stores (read in the "
        "abstract of the SSRN version); Gao & Su model the same information effect of real-time availability on "
        "channel choice (read in the SSRN abstract). Neither gives a per-customer share the model could take: "
        "the direction is a quasi-experiment's, the size an assumption. Wide range from none to almost a third "
        "of the online buyers whose store holds everything (same-day, no delivery fee, the item seen); default "
        "in its lower half, as online sales fell by less than store sales rose in the study.",
        "source", ("visibility",)),
    Evidence(
        "segments.*.stock_view_skip_trip_prob", 0.40, 0.10, 0.80, "probability per store buyer", "assumption",
        "Gao & Su, 'Omnichannel retail operations with buy-online-and-pick-up-in-store', Management Science "
        "63(8), 2017 (mechanism); Gallino & Moreno, Management Science 60(6), 2014 (availability information "
        "lowers the risk of a store visit)",
        "A customer who researched online and meant to buy in store does not make the trip, and orders online "
        "instead, when the web shows their store lacking an item of their basket. In Gao & Su's model a customer "
        "who sees the item unavailable never visits (a share of 1); Gallino & Moreno explain the channel shift by "
        "the lower risk of a wasted visit once availability is credible (both read in the abstracts). Real "
        "shoppers do not all look at the stock page, and some go for the rest of the basket or a substitute, so "
        "the share is below 1; no measurement was found: an assumption with a wide range, default near its "
        "middle.",
        "source", ("visibility",)),
    # ---------------------------------------------------------------- stockouts
    Evidence(
        "segments.*.stockout_reaction.wait", 0.35, 0.15, 0.60, "probability", "survey",
        "ICSC click-and-collect survey, reported by Chain Store Age (2019); Gruen, Corsten & Bharadwaj, 'Retail "
        "out-of-stocks: a worldwide examination', GMA 2002 (brief's list of benchmarks)",
        "A customer facing a missing item who accepts delivery later, where the setup can offer it (endless aisle "
        "from the warehouse, another store's stock, a transfer); without it the line is lost. 70 % of US "
        "click-and-collect users say they would wait up to two days for an out-of-stock item (ICSC, read on the "
        "secondary page): stated, and among people already ordering. Grocery studies find a minority delaying the "
        "purchase (Gruen et al., not checked here). Stated intentions overstate behaviour, so the default sits at "
        "half the stated share and the range runs from a grocery-like minority to near the stated share. "
        "Changing it moves drop_item the other way.",
        "secondary", ("endless_aisle", "shared_stock", "transfers"),
        balance="segments.*.stockout_reaction.drop_item"),
    # ---------------------------------------------------------------- marketing automation
    Evidence(
        "segments.*.marketing.cart_abandon_prob", 0.30, 0.15, 0.50, "probability", "survey",
        "Baymard Institute, cart abandonment rate list (69.82 % over 46 studies, 2021; 70.19 % later; 58.6 % of US "
        "abandoners 'just browsing'); SaleCycle Remarketing Report Q1 2018 (fashion 69.1 %)",
        "An online buyer set on buying who leaves the cart at checkout, and is lost unless a reminder brings them "
        "back: the pool abandoned-cart reminders work on. Baymard's ~70 % counts the carts of people browsing; "
        "removing its 58.6 % 'just browsing' leaves 0.7 x 0.414 / (1 - 0.7 x 0.586) ~ 0.49 of decided buyers' carts "
        "abandoned (0.34-0.69 over the studies' 55-84 %). Survey reasons are per person and several per person, "
        "and some of these buyers come back unprompted (the model counts them lost), so the default sits lower, "
        "at 0.30 (issue 25: was 0.15, an assumption that left the reminders almost nothing to work on); the range "
        "runs from half that to the derived middle. Plausibility benchmark of the resulting KPI: 0.20-0.70.",
        "secondary", ("cart_reminders",)),
    Evidence(
        "segments.*.marketing.reminder_return_prob", 0.025, 0.005, 0.12, "probability per reminded cart",
        "vendor claim",
        "Klaviyo, 'Ecommerce industry benchmark report: abandoned carts' (2017; 9.3 million e-mails), reported by "
        "MediaPost, 'There's gold in those abandoned carts' (2017)",
        "A customer who abandoned a cart comes back to it after a reminder. Klaviyo: stores with average orders of "
        "$100-500 recover 4-5 % of abandoned carts, under $50 about 3 %, the top tenth three times the average "
        "(read on MediaPost's report). These are orders attributed to the e-mail; in the model a customer with no "
        "reminder never returns, so the parameter must be the share caused by it, and no study of that was found "
        "(the brief found none either). Default: 4 % times an assumed incrementality of about 0.6; high: the top "
        "tenth, all of it caused.",
        "secondary", ("cart_reminders", "customer_data")),
    Evidence(
        "segments.*.marketing.chatbot_containment", 0.25, 0.09, 0.60, "probability per contact", "survey",
        "Gartner customer-service research (8,000 resolution journeys), 'Rethink your customer service strategy to "
        "drive self-service' (gartner.com.au, 2019); Gartner, 'Do you know why customers bail on self-service?' "
        "(Smarter with Gartner, Nov. 2020)",
        "Service contacts the chatbot answers without an agent. Only 9 % of customers fully resolve an issue in "
        "self-service although 70 % use it at some point, and service leaders think 20-40 % of live volume could "
        "be handled by the self-service they already have (both read on Gartner's pages). Vendors quote 20-75 % "
        "containment by bot type, which counts abandoned chats too (brief's reading). Default inside the leaders' "
        "20-40 %; low at the resolved 9 %; high at a good vendor figure.",
        "source", ("chatbot",)),
    Evidence(
        "segments.*.marketing.chatbot_failure", 0.4, 0.1, 0.7, "share of contained contacts", "assumption",
        "Gartner, 'Rethink your customer service strategy to drive self-service' (2019): assumption from the gap "
        "between use and resolution",
        "Of the contacts the chatbot answers, those answered badly (one problem in the customer's rating). No "
        "measured rate was found. Containment above the 9 % that self-service fully resolves (Gartner, read at "
        "the source) implies part of what a bot 'answers' is not resolved; the brief suggests containment 0.35 "
        "against resolution 0.20, a failed share of about 0.4 (my arithmetic on the brief's reading). Wide range.",
        "none", ("chatbot",)),
    # ---------------------------------------------------------------- prices that differ by channel
    Evidence(
        "segments.*.marketing.price_reaction.switch", 0.15, 0.0, 0.40, "probability", "assumption",
        "none found: assumption",
        "A customer who saw the basket cheaper in another channel buys there instead. Acts only where channels "
        "have their own prices (no unified pricing). No measurement found; wide range, default near its middle. "
        "Changing it moves 'accept' the other way.",
        "none", ("unified_pricing",), balance="segments.*.marketing.price_reaction.accept"),
    Evidence(
        "segments.*.marketing.price_reaction.haggle", 0.05, 0.0, 0.20, "probability", "assumption",
        "none found: assumption",
        "A customer who saw a lower price elsewhere asks the store or the agent to match it. No measurement found; "
        "wide range, default in the lower half because matching needs staff willing to do it. Changing it moves "
        "'accept' the other way.",
        "none", ("unified_pricing",), balance="segments.*.marketing.price_reaction.accept"),
    Evidence(
        "segments.*.marketing.price_reaction.leave", 0.05, 0.0, 0.20, "probability", "assumption",
        "none found: assumption",
        "A customer who saw a lower price elsewhere leaves without buying. No measurement found; wide range. "
        "Changing it moves 'accept' the other way.",
        "none", ("unified_pricing",), balance="segments.*.marketing.price_reaction.accept"),
    Evidence(
        "marketing.price_gap_noticed", 0.05, 0.01, 0.10, "share of the basket", "assumption",
        "none found: assumption",
        "A price gap between channels smaller than this share of the basket goes unnoticed. No measurement found "
        "for retail baskets; the range spans what a shopper comparing two screens might miss, the default its "
        "middle.",
        "none", ("unified_pricing",)),
    # ---------------------------------------------------------------- targeted offers
    Evidence(
        "marketing.offers.*.uptake", 0.03, 0.005, 0.10, "probability per recipient", "assumption",
        "none found: assumption",
        "A customer who receives a targeted offer comes to buy. Offers go out only where the setup has the "
        "customer record and personalisation. No independent figure was checked for this register; response "
        "rates of a few per cent are the usual order of magnitude of direct marketing, and part of them would "
        "have bought anyway. Wide range.",
        "none", ("customer_data", "personalisation")),
)

MARKET_STUDIES = "market-studies"

CLAIMS: tuple[Claim, ...] = (
    Claim("average basket +15-35 %",
          "omnichannel customers' average basket is 15 to 35 % above the others'",
          "002_19829b2ba6ddba5f.txt", ("segments.*.recommendation_accept",),
          "A comparison of customers, not what going omnichannel does to a customer: the most engaged customers "
          "use more channels. Sopadjieva, Dholakia & Benjamin ('A study of 46,000 shoppers shows that "
          "omnichannel retailing works', Harvard Business Review, 2017) found omnichannel shoppers of one US "
          "retailer spending 4 % more per store trip and 10 % more online than single-channel ones and warn of "
          "self-selection (read on Which-50's report and the article's opening page). In the model the basket "
          "gain of a setup comes mostly from recommendations shown online: read as their gain on the online "
          "basket, +25 % needs about 0.25-0.30 per recommendation (about +10 % online revenue per 0.10 on the "
          "default, see the register's entry)."),
    Claim("sales +25 % from personalisation",
          "a French fashion chain's e-commerce director credits recommendations based on cross-channel purchase "
          "history with a 25 % rise in sales",
          "002_19829b2ba6ddba5f.txt", ("segments.*.recommendation_accept",),
          "One unnamed retailer's statement, with no control group: a vendor-style testimonial. Randomised tests "
          "find +7 to +20 % online (see the register)."),
    Claim("cross-channel conversion +15 % (target)",
          "a target of 15 % more conversion across channels",
          "002_19829b2ba6ddba5f.txt", ("segments.*.restart_abandon_prob",),
          "A target a retailer sets, not a measured effect. In the model the conversion gain of cart continuity is "
          "about s*r/(1 - s*r) with s the share of journeys switching channel and r the restart abandonment; with "
          "s about 0.78 in the default (issue 24's measurement), +15 % needs r of about 0.17 (my arithmetic)."),
    Claim("omnichannel revenue +30 % (target)",
          "a target of 30 % more revenue from omnichannel",
          "002_19829b2ba6ddba5f.txt", (),
          "A target, and an outcome: the model must produce it from mechanisms, so it is a figure to compare "
          "results with, not a parameter."),
    Claim("loyalty +25 %",
          "omnichannel retention 25 % above the others'",
          "002_19829b2ba6ddba5f.txt", (),
          "A comparison of customers again (self-selection); in the model loyalty follows from how purchases "
          "went (segments.*.after_sale), not from a parameter a setup switches."),
)

# The values a scenario would take if the market studies' claims were causal effects (see CLAIMS for the
# arithmetic). A path not named keeps the register's default.
PRESETS: dict[str, dict[str, float]] = {
    MARKET_STUDIES: {
        "segments.*.recommendation_accept": 0.25,
        "segments.*.restart_abandon_prob": 0.17,
    },
}
# preset values that sit outside the evidence's range on purpose: the claims read as causal go beyond it
OUTSIDE_ON_PURPOSE: dict[str, frozenset[str]] = {
    MARKET_STUDIES: frozenset({"segments.*.recommendation_accept", "segments.*.restart_abandon_prob"}),
}


# Short human labels of the register's parameters, for sentences ("... as long as <label> is at least X").
LABELS: dict[str, str] = {
    "segments.*.recommendation_accept": "the share of shown recommendations that add a line",
    "segments.*.restart_abandon_prob": "the share of customers who give up when their cart is lost",
    "fulfilment.cart_friction": "the share of carts lost on a channel switch (cross-channel)",
    "fulfilment.pickup_extra_purchase_prob": "the share of pickups with an extra purchase",
    "segments.*.click_collect_share": "the share of online buyers choosing click & collect",
    "segments.*.pickup_point_share": "the share of online buyers choosing a pickup point",
    "segments.*.stockout_reaction.wait": "the share of customers who wait for a missing item",
    "segments.*.marketing.cart_abandon_prob": "the share of decided online buyers who abandon their cart",
    "segments.*.marketing.reminder_return_prob": "the share of reminded carts that come back",
    "segments.*.marketing.chatbot_containment": "the share of contacts the chatbot answers",
    "segments.*.marketing.chatbot_failure": "the share of chatbot answers that fail",
    "segments.*.marketing.price_reaction.switch": "the share of customers who switch channel for a lower price",
    "segments.*.marketing.price_reaction.haggle": "the share of customers who ask for a price match",
    "segments.*.marketing.price_reaction.leave": "the share of customers who leave over a price gap",
    "marketing.price_gap_noticed": "the smallest price gap customers notice (share of the basket)",
    "marketing.offers.*.uptake": "the share of targeted offers that bring a purchase",
    "segments.*.stock_view_to_store_prob": "the share of online researchers who buy in store when it shows stock",
    "segments.*.stock_view_skip_trip_prob": "the share of store-goers who order online when the store lacks stock",
}


def label(path: str) -> str:
    """A short label for people of the register parameter at ``path`` (:data:`LABELS`), or the path's last
    part in words."""
    return LABELS.get(path) or path.rsplit(".", 1)[-1].replace("_", " ")


def by_path() -> dict[str, Evidence]:
    """The register's entries by path."""
    return {e.path: e for e in REGISTER}


def outside(preset: str) -> frozenset[str]:
    """The paths whose value in ``preset`` lies outside the register's range."""
    reg = by_path()
    return frozenset(p for p, v in PRESETS[preset].items() if not reg[p].low <= v <= reg[p].high)


def concrete_paths(data: Any, path: str, keep_missing: bool = False) -> list[str]:
    """The dotted paths ``path`` names in ``data`` (plain dicts and lists, e.g. a scenario's ``model_dump()``),
    one per list item or mapping key where the path has ``*``, list indexes as numbers; [] where a list is empty or
    a key is missing, unless ``keep_missing``: then a path through a key the data lacks is kept as named (for a
    caller that adds it: ``omnisim calibrate`` writing ``--set`` overrides into the user's file)."""
    found: list[str] = []

    def walk(node: Any, parts: list[str], done: list[str]) -> None:
        if not parts:
            found.append(".".join(done))
            return
        head, rest = parts[0], parts[1:]
        if head == "*":
            keys: list[str] = ([str(i) for i in range(len(node))] if isinstance(node, list)
                               else list(node) if isinstance(node, Mapping) else [])
            for k in keys:
                walk(node[int(k)] if isinstance(node, list) else node[k], rest, [*done, k])
        elif isinstance(node, list) and head.lstrip("-").isdigit() and -len(node) <= int(head) < len(node):
            walk(node[int(head)], rest, [*done, head])
        elif isinstance(node, Mapping) and head in node:
            walk(node[head], rest, [*done, head])
        elif keep_missing:
            found.append(".".join([*done, *parts]))

    walk(data, path.split("."), [])
    return found


def value_at(data: Any, dotted: str) -> Any:
    """The value at a concrete dotted path of plain data (list indexes as numbers)."""
    node = data
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def values_at(data: Any, path: str) -> list[Any]:
    """Every value ``path`` names in ``data`` (see :func:`concrete_paths`)."""
    return [value_at(data, p) for p in concrete_paths(data, path)]
