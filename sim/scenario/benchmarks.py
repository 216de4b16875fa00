"""Operating benchmarks of real retailers: where a plausible baseline's KPIs lie.

A comparison of setups is only worth reading if the baseline world runs like a retailer: calls answered, queues
short, parcels on time, shelves mostly full, and a chain the size it claims (sales per m2, tickets per store and
day, average ticket, online share, stock turns of the network, stores and warehouse, footfall and web-session
conversion, checkout abandonment by decided buyers). This module holds the ranges as data, each with its source, per
sector (a scenario's ``sector``), and judges a KPI table against them. It knows nothing of files or of how the
KPIs were obtained; ``sim.experiments.plausibility.check_plausibility`` runs the replications and the CLI prints the verdict.

The ranges are orders of magnitude that published benchmarks agree on, not one study's point estimate: a baseline
outside them is not impossible, but it is not the average retailer the library scenarios stand for. Each size row
exists once per sector (fashion, electronics, grocery) plus a wide "general" row; where nothing neutral was found
the comment above the row says "assumption" and what the range brackets, and derived rows show their arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SECTORS = ("fashion", "electronics", "grocery", "general")
ALL = SECTORS
# The kinds of evidence a range rests on (a row names one or more, comma-separated, the main one first).
KINDS = ("academic study", "industry study", "regulator report", "industry benchmark", "industry federation",
         "industry panel", "survey", "company figures", "market study", "analyst estimate", "trade press",
         "vendor data", "market-study claim", "derived", "assumption")
# How a row's figures were checked for this table.
CHECKS = {
    "search": "figures read on public pages found by a web search (2026): the source itself or a page reporting it, "
              "as the row's comment says",
    "named": "the source is named; its figures were not read again for this table",
    "derived": "arithmetic on other rows, or their union (tests/test_benchmarks.py checks the arithmetic)",
    "none": "an assumption: nothing to read",
}
# The size benchmarks (issue 25): is the chain the size it claims? The other rows judge how it operates.
SIZE_KPIS = ("sales_per_m2", "tickets_per_store_day", "avg_ticket", "online_share", "inventory_turns",
             "store_inventory_turns", "warehouse_inventory_turns", "store_conversion_rate",
             "session_conversion_rate", "checkout_abandon_rate")


@dataclass(frozen=True)
class Benchmark:
    """A KPI's plausible range for a retailer's baseline, in the KPI's own unit, in the sectors it applies to."""

    kpi: str
    low: float
    high: float
    what: str          # what the range describes, for the printed table
    source: str        # where the range comes from
    sectors: tuple[str, ...] = ALL
    needs: str = ""    # the part of the network the KPI measures ("call_centre", "stores", "online"); "" = any
    kind: str = ""     # the kinds of evidence behind the range (of KINDS, comma-separated, the main one first)
    checked: str = ""  # how its figures were checked for this table (a key of CHECKS)

    def holds(self, value: float) -> bool:
        return not math.isnan(value) and self.low <= value <= self.high


# One row per (KPI, sector group). Sources are named so that a reader can check them; shares are 0..1.
BENCHMARKS: tuple[Benchmark, ...] = (
    # Call centres are run to the "80 % of calls answered within 20 s" convention; retail centres report
    # 70-90 % achieved (ICMI and COPC service-level benchmarks; SQM Group's contact-centre studies).
    Benchmark("call_service_level", 0.70, 0.90, "calls answered within the target wait (80/20 convention)",
              "ICMI / COPC contact-centre service-level benchmarks", needs="call_centre",
              kind="industry benchmark", checked="named"),
    # Abandoned calls: 5-10 % is the usual band, 2 % the best centres (ICMI, SQM Group).
    Benchmark("call_abandon_rate", 0.02, 0.10, "calls abandoned before an agent answers",
              "ICMI / SQM Group contact-centre abandonment benchmarks", needs="call_centre",
              kind="industry benchmark", checked="named"),
    # Customers leaving a checkout queue: a few per cent in studies of retail queues (queue-management vendors'
    # and academic checkout studies; e.g. Lu, Musalem, Olivares & Schilkrut, Management Science 2013).
    Benchmark("store_abandon_rate", 0.0, 0.05, "store customers leaving the queue unserved",
              "retail checkout-queue studies (Lu et al., Management Science 2013)", needs="stores",
              kind="academic study", checked="named"),
    # Parcels delivered by the promised day: 90-97 % for French and European parcel carriers (ARCEP's postal
    # quality reports; carriers' published on-time rates for 48-72 h services).
    Benchmark("on_time_rate", 0.90, 0.97, "online orders ready or delivered by the promised time",
              "ARCEP postal-service quality reports; parcel carriers' on-time rates", needs="online",
              kind="regulator report, company figures", checked="named"),
    # On-shelf availability: out-of-stocks of about 8 % on average worldwide, 5-10 % in most categories (Gruen,
    # Corsten & Bharadwaj 2002; ECR Europe 2003); fashion size availability in the same band.
    Benchmark("on_shelf_availability", 0.90, 0.97, "store item requests found on the shelf",
              "Gruen, Corsten & Bharadwaj 2002 (GMA/FMI); ECR Europe OSA study 2003", needs="stores",
              kind="industry study", checked="named"),
    # Online returns: 20-35 % of units in fashion (FEVAD; the market studies quote fashion as the high-return
    # category), 5-15 % in consumer electronics, near zero in grocery (perishables are not sent back).
    Benchmark("online_return_rate", 0.20, 0.35, "units bought online that come back",
              "FEVAD e-commerce reports (fashion)", ("fashion",), needs="online",
              kind="industry federation", checked="named"),
    Benchmark("online_return_rate", 0.05, 0.15, "units bought online that come back",
              "FEVAD e-commerce reports; electronics retailers' annual reports", ("electronics",), needs="online",
              kind="industry federation, company figures", checked="named"),
    Benchmark("online_return_rate", 0.0, 0.05, "units bought online that come back",
              "FEVAD e-commerce reports (food and household)", ("grocery",), needs="online",
              kind="industry federation", checked="named"),
    # NPS of retailers: roughly 0 to 60 in published sector benchmarks (NICE Satmetrix; Bain); the market
    # studies set > 50 as an omnichannel target (002_19829b2ba6ddba5f.txt), so a baseline may sit lower.
    Benchmark("satisfaction", 0.0, 60.0, "NPS-like score, promoters minus detractors, -100..100",
              "NICE Satmetrix / Bain retail NPS benchmarks; target NPS > 50 in 002_19829b2ba6ddba5f.txt",
              kind="vendor data, market-study claim", checked="named"),
    # CSAT: the market studies set > 85 % as the target (002_19829b2ba6ddba5f.txt); retail baselines in customer
    # satisfaction indices sit around 75-85 % satisfied (ACSI retail scores of the high 70s out of 100).
    Benchmark("csat", 0.70, 0.92, "rated customers who were satisfied",
              "ACSI retail trade scores; target CSAT > 85 % in 002_19829b2ba6ddba5f.txt",
              kind="survey, market-study claim", checked="named"),

    # ---------------------------------------------------------------------------------------------------------
    # Size benchmarks (issue 25): is the chain the size it claims? Per sector: fashion = a mid-market French chain
    # of ~300 m2 city stores; electronics = a French consumer-electronics specialist, 1,000-2,000 m2 stores;
    # grocery = a French supermarket chain with a drive, 1,500-2,500 m2; general = wide ranges across retail (the
    # union of the three, widened). Euros include VAT unless said. Each row's comment names its sources, their kind
    # and how they were checked (read through a web search of public pages in 2026), and the arithmetic behind it.
    #
    # sales_per_m2: store sales a year / store area (EUR/m2/yr).
    # Fashion - market study + analyst estimate + trade press. Read via search: GfK "European retail in 2019" puts
    # all-retail sales density at about 2,700 (Romania, Poland) to 7,200 (Luxembourg) EUR/m2; RBC (quoted by the
    # FT) puts Inditex at about 5,000 (2013) to 8,000 EUR/m2; German mid-sized textile retailers about 3,500 against
    # Primark's 8,000-9,000 (Immobilien Zeitung via verkaufspreis-optimierung.de). No French fashion-chain figure
    # found (evidence brief sec. 7), so the range brackets these.
    Benchmark("sales_per_m2", 2_000.0, 9_000.0, "store sales per m2 of store area per year (EUR/m2/yr)",
              "GfK European retail 2019; RBC estimate for Inditex (FT); Primark vs mid-sized textile (Immobilien "
              "Zeitung)", ("fashion",), needs="stores",
              kind="market study, analyst estimate, trade press", checked="search"),
    # Electronics - company figures in the trade press, my arithmetic. Boulanger 2009: 1.2 bn EUR excl. VAT over
    # 91 stores of 2,400-4,000 m2 (La Tribune) = about 3,300-5,500 EUR/m2 excl. VAT; Darty 2014/15: 3.51 bn EUR,
    # 400 stores, a classic store about 1,200 m2, franchises 600-700 m2 (LSA) = about 7,300 EUR/m2 with its
    # ~16 % online share in, 6,100 without. Fnac Darty's own density not found.
    Benchmark("sales_per_m2", 3_000.0, 9_000.0, "store sales per m2 of store area per year (EUR/m2/yr)",
              "Boulanger 2009 sales and store sizes (La Tribune); Darty 2014/15 sales and stores (LSA)",
              ("electronics",), needs="stores",
              kind="company figures, trade press", checked="search"),
    # Grocery - panel-based trade ranking (Vigie Grande Conso, 2023, incl. VAT, excl. fuel, via O. Dauvers):
    # Monoprix 6,700, Carrefour Market about 7,000, Intermarche Super 7,100, Leclerc 10,500, Grand Frais 10,600
    # EUR/m2; hypermarkets 8,000-9,600 (Auchan 7,973, Hyper U 8,502, Leclerc 9,561; jebosseengrandedistribution.fr
    # 2025). Read via search.
    Benchmark("sales_per_m2", 5_000.0, 12_000.0, "store sales per m2 of store area per year (EUR/m2/yr)",
              "Vigie Grande Conso 2023 ranking of French grocery banners (olivierdauvers.fr)", ("grocery",),
              needs="stores",
              kind="industry panel", checked="search"),
    # General - the union of the sector rows, widened down to furniture/DIY-like densities (assumption).
    Benchmark("sales_per_m2", 1_500.0, 12_000.0, "store sales per m2 of store area per year (EUR/m2/yr)",
              "union of the sector rows (GfK 2019 all-retail 2,700-7,200 EUR/m2 inside)", ("general",),
              needs="stores",
              kind="derived, assumption", checked="derived"),

    # tickets_per_store_day: derived, not read - (sales per m2 x store area) / ~306 trading days (Monday-Saturday)
    # / average ticket, each at the ends of its own range (my arithmetic; see the sources note).
    # Fashion: 2,000-9,000 EUR/m2 x 300 m2 / 306 / 90..25 EUR = about 22-350.
    Benchmark("tickets_per_store_day", 20.0, 350.0, "store tickets per store per trading day",
              "derived: sales_per_m2 x 300 m2 / 306 days / avg_ticket (fashion rows)", ("fashion",),
              needs="stores",
              kind="derived", checked="derived"),
    # Electronics: 3,000-9,000 EUR/m2 x 1,000-2,000 m2 / 306 / 300..50 EUR = about 33-1,180.
    Benchmark("tickets_per_store_day", 30.0, 1_200.0, "store tickets per store per trading day",
              "derived: sales_per_m2 x 1,000-2,000 m2 / 306 days / avg_ticket (electronics rows)",
              ("electronics",), needs="stores",
              kind="derived", checked="derived"),
    # Grocery: 5,000-12,000 EUR/m2 x 1,500-2,500 m2 / ~310 days (some Sunday mornings) / 60..20 EUR = about
    # 400-4,800.
    Benchmark("tickets_per_store_day", 400.0, 5_000.0, "store tickets per store per trading day",
              "derived: sales_per_m2 x 1,500-2,500 m2 / 310 days / avg_ticket (grocery rows)", ("grocery",),
              needs="stores",
              kind="derived", checked="derived"),
    Benchmark("tickets_per_store_day", 20.0, 5_000.0, "store tickets per store per trading day",
              "union of the sector rows (derived)", ("general",), needs="stores",
              kind="derived", checked="derived"),

    # avg_ticket: mean store ticket, EUR incl. VAT.
    # Fashion - consumer panel + trade press + consultant (no neutral French store-ticket figure: evidence brief
    # sec. 7). Kantar Worldpanel: 16.1 EUR per textile item (May 2013), 115 EUR for 6.4 items a month (Dec 2013,
    # = 18 EUR/item) via FashionNetwork; a ticket of 1.5-4 items = about 25-70 EUR; an H&M Paris salesman reports
    # 30-60 EUR per customer at Christmas 2011 (FashionUnited); a business-plan vendor quotes 30-40 EUR for small
    # boutiques. Mid-market chains sell dearer items than H&M: top at 90.
    Benchmark("avg_ticket", 25.0, 90.0, "mean store ticket, EUR incl. VAT",
              "Kantar Worldpanel textile price per item 2013 (FashionNetwork) x items per ticket; FashionUnited",
              ("fashion",), needs="stores",
              kind="industry panel, trade press", checked="search"),
    # Electronics - assumption. Not found for a French specialist. Brackets a ticket of accessories, books and
    # games (Fnac, a few tens of EUR) and of one appliance or TV (Darty, several hundred EUR); an e-commerce
    # vendor's electronics revenue per user of 111.60 USD (convertcart.com) sits inside.
    Benchmark("avg_ticket", 50.0, 300.0, "mean store ticket, EUR incl. VAT",
              "assumption (Fnac/Darty product mix); convertcart.com electronics revenue per user inside",
              ("electronics",), needs="stores",
              kind="assumption, vendor data", checked="search"),
    # Grocery - consumer panels. Kantar Worldpanel: an average checkout basket of about 40 EUR (France Bleu, 2016);
    # MarketingScan (Angers/Le Mans, 9,000 households, hypers and supers) 53 EUR per checkout pass (Sept 2009);
    # Nielsen: 17 items at a staffed till, 10 at self-checkout (2019). Supermarkets sit below hypermarkets.
    Benchmark("avg_ticket", 20.0, 60.0, "mean store ticket, EUR incl. VAT",
              "Kantar Worldpanel average basket 2016 (France Bleu); MarketingScan panel 2009 (e-marketing.fr)",
              ("grocery",), needs="stores",
              kind="industry panel", checked="search"),
    Benchmark("avg_ticket", 10.0, 300.0, "mean store ticket, EUR incl. VAT", "union of the sector rows",
              ("general",), needs="stores",
              kind="derived", checked="derived"),

    # online_share: share of the chain's revenue ordered online.
    # Fashion - industry panels. IFM: online 14.7 % of French clothing spending in 2019, 23 % in 2024 of which
    # about 6 points Shein, Temu and Amazon (Le Monde copy); Federation du pret-a-porter feminin: 13.1 % of
    # womenswear online in 2018, brand-retailers with stores 36 % of that. A store chain sits at or below the
    # market (evidence brief sec. 7 suggests 0.12-0.30); low end widened for a chain starting online.
    Benchmark("online_share", 0.08, 0.30, "share of revenue ordered online (web, app, marketplace, phone)",
              "IFM French clothing online share 2019-2024; Federation du pret-a-porter feminin 2018",
              ("fashion",), needs="online",
              kind="industry panel", checked="search"),
    # Electronics - company filings as reported in the press. Fnac Darty: online 18 % of sales in H1 2019, 19 %
    # in 2019, 29 % in 2020 (lockdowns), 26 % over 9 months of 2021, "around 26 %" in 2023 (CEO interview); Darty
    # alone >16 % in 2014/15 (Zonebourse, Neomag). Read via search.
    Benchmark("online_share", 0.12, 0.35, "share of revenue ordered online (web, app, marketplace, phone)",
              "Fnac Darty results 2019-2023 (L'Usine Nouvelle, ActuaLitte); Darty 2014/15 (Zonebourse)",
              ("electronics",), needs="online",
              kind="company figures, trade press", checked="search"),
    # Grocery - retail panels. NielsenIQ: online (drive 5.7 + home delivery 1.4) = 7.1 % of French FMCG in 2019,
    # 9 % of PGC-FLS in mid-2021 (drive 92 % of it); Kantar: 5.5 % in 2016; IRI 2020: 11.4 % in outer-urban
    # areas, 10.9 % urban, 3.1 % hyper-urban. Read via search.
    Benchmark("online_share", 0.03, 0.15, "share of revenue ordered online (drive, delivery)",
              "NielsenIQ/Fevad drive and e-commerce shares 2019-2021; Kantar 2016; IRI 2020", ("grocery",),
              needs="online",
              kind="industry panel", checked="search"),
    Benchmark("online_share", 0.03, 0.35, "share of revenue ordered online", "union of the sector rows",
              ("general",), needs="online",
              kind="derived", checked="derived"),

    # inventory_turns (network), store_inventory_turns, warehouse_inventory_turns: units sold a year / average
    # units on hand (= turns at cost when unit costs are alike). Node rows are derived from the network row: when
    # all units pass through a node holding a share s of the network's stock, the node turns T/s; with stores
    # holding s = 0.3-0.8 of the stock (assumption), stores turn T/0.8..T/0.3 and the warehouse T/0.7..T/0.2.
    # Fashion - company filings (secondary compilation) + vendor blogs. Inventory / revenue 2018: Inditex 10.4 %,
    # H&M 17.9 % (The MDS) = 9.6 and 5.6 turns at retail value; at cost (gross margins of roughly 50-60 %, an
    # assumption here) about 4-5 and 2-3; vendor blogs quote mid-market 4-6 (evidence brief sec. 7).
    Benchmark("inventory_turns", 2.0, 6.0, "units sold a year / average units held in the network",
              "Inditex and H&M inventory/revenue 2018 (The MDS), converted at cost; vendor blogs (4-6)",
              ("fashion",),
              kind="company figures, vendor data", checked="search"),
    # Electronics - company filing via a data site: Best Buy cost of revenue / year-end inventory 6.3-7.1 in
    # FY2020-FY2025, 52-58 days on hand (stock-data.online). Fnac Darty's not found. Widened both ways.
    Benchmark("inventory_turns", 4.0, 10.0, "units sold a year / average units held in the network",
              "Best Buy inventory turnover FY2020-2025 (10-K via stock-data.online)", ("electronics",),
              kind="company figures", checked="search"),
    # Grocery - company filing via a data site: Carrefour days of inventory on hand 34-42 (2013-2023,
    # markets.sh) = 8.7-10.7 turns, with slow hypermarket non-food in; fresh-heavy supermarkets turn faster.
    Benchmark("inventory_turns", 7.0, 25.0, "units sold a year / average units held in the network",
              "Carrefour days of inventory 2013-2023 (annual reports via markets.sh)", ("grocery",),
              kind="company figures", checked="search"),
    Benchmark("inventory_turns", 2.0, 25.0, "units sold a year / average units held in the network",
              "union of the sector rows", ("general",),
              kind="derived", checked="derived"),
    # Stores: derived from the network rows (T/0.8 .. T/0.3), rounded.
    Benchmark("store_inventory_turns", 2.5, 20.0, "units sold by the stores a year / average units in stores",
              "derived from the fashion network turns, stores holding 30-80 % of the stock (assumption)",
              ("fashion",), needs="stores",
              kind="derived, assumption", checked="derived"),
    Benchmark("store_inventory_turns", 5.0, 35.0, "units sold by the stores a year / average units in stores",
              "derived from Best Buy's turns, stores holding 30-80 % of the stock (assumption)", ("electronics",),
              needs="stores",
              kind="derived, assumption", checked="derived"),
    Benchmark("store_inventory_turns", 8.0, 80.0, "units sold by the stores a year / average units in stores",
              "derived from Carrefour's turns, stores holding 30-80 % of the stock (assumption)", ("grocery",),
              needs="stores",
              kind="derived, assumption", checked="derived"),
    Benchmark("store_inventory_turns", 2.5, 80.0, "units sold by the stores a year / average units in stores",
              "union of the sector rows (derived)", ("general",), needs="stores",
              kind="derived", checked="derived"),
    # Warehouse: derived from the network rows (T/0.7 .. T/0.2), rounded; the warehouse exists with the web shop.
    Benchmark("warehouse_inventory_turns", 2.5, 30.0, "units shipped by the warehouse a year / its average units",
              "derived from the fashion network turns, warehouse holding 20-70 % of the stock (assumption)",
              ("fashion",), needs="online",
              kind="derived, assumption", checked="derived"),
    Benchmark("warehouse_inventory_turns", 5.0, 50.0, "units shipped by the warehouse a year / its average units",
              "derived from Best Buy's turns, warehouse holding 20-70 % of the stock (assumption)",
              ("electronics",), needs="online",
              kind="derived, assumption", checked="derived"),
    Benchmark("warehouse_inventory_turns", 10.0, 125.0,
              "units shipped by the warehouse a year / its average units",
              "derived from Carrefour's turns, warehouse holding 20-70 % of the stock (assumption)", ("grocery",),
              needs="online",
              kind="derived, assumption", checked="derived"),
    Benchmark("warehouse_inventory_turns", 2.5, 125.0, "units shipped by the warehouse a year / its average units",
              "union of the sector rows (derived)", ("general",), needs="online",
              kind="derived", checked="derived"),

    # store_conversion_rate: store tickets / store visitors (footfall conversion).
    # Fashion - vendor data + practitioner glossary: 25 % apparel, 27 % footwear (AlterVision traffic counters,
    # 2023); a Lacoste flagship at 13-14 % called low for textile (definitions-marketing.com); 20-30 % (Daiom).
    Benchmark("store_conversion_rate", 0.10, 0.35, "store visitors who buy (tickets / visitors)",
              "AlterVision 2023 counter data (apparel 25 %); definitions-marketing.com (13-14 % low)",
              ("fashion",), needs="stores",
              kind="vendor data", checked="search"),
    # Electronics - vendor data, secondary: TruRating via Bumbee Labs puts big-box at 10-20 % and specialty retail
    # at 15-30 %; Daiom says electronics converts above fashion; Darty reported rising conversion with falling
    # footfall (2015) but no figure. Top widened to 0.40 (assumption: planned appliance purchases).
    Benchmark("store_conversion_rate", 0.10, 0.40, "store visitors who buy (tickets / visitors)",
              "TruRating format benchmarks via Bumbee Labs (big-box 10-20 %, specialty 15-30 %); assumption",
              ("electronics",), needs="stores",
              kind="vendor data, assumption", checked="search"),
    # Grocery - assumption with one vendor figure: TruRating (via Bumbee Labs) 20-40 % for grocery, counting every
    # person through the door (companions, children); a shopping party that enters a supermarket nearly always
    # leaves with a ticket, hence the top at 0.95.
    Benchmark("store_conversion_rate", 0.20, 0.95, "store visitors who buy (tickets / visitors)",
              "TruRating grocery 20-40 % per person (via Bumbee Labs); assumption up to one ticket per party",
              ("grocery",), needs="stores",
              kind="vendor data, assumption", checked="search"),
    Benchmark("store_conversion_rate", 0.08, 0.95, "store visitors who buy (tickets / visitors)",
              "union of the sector rows", ("general",), needs="stores",
              kind="derived", checked="derived"),

    # session_conversion_rate: orders / sessions on the retailer's web and app.
    # Fashion - vendor data: Dynamic Yield, fashion 3.59 % (rolling 12 months), 3.01-3.27 % in 2024 (via Oberlo);
    # Shopify stores 1.4 % (2024, via CleverTap); convertcart retail 1.7-1.9 %.
    Benchmark("session_conversion_rate", 0.01, 0.05, "web and app sessions ending in an order",
              "Dynamic Yield conversion benchmarks (fashion 3.0-3.6 %); Shopify average 1.4 % (CleverTap)",
              ("fashion",), needs="online",
              kind="vendor data", checked="search"),
    # Electronics - vendor data: convertcart electronics and home appliances 2.41 %; Dynamic Yield home &
    # furniture 0.95-1.24 % and all-sector 2.7-3.7 % (via Oberlo, convertcart).
    Benchmark("session_conversion_rate", 0.008, 0.04, "web and app sessions ending in an order",
              "convertcart electronics 2.41 %; Dynamic Yield home & furniture ~1 %, all sectors ~3 %",
              ("electronics",), needs="online",
              kind="vendor data", checked="search"),
    # Grocery - vendor data: Dynamic Yield food & beverage 5.96-6.11 % (2024, via Oberlo), grocery & pharma 6.8 %
    # (2022, Oberlo); drive shoppers order from a list, so the top is widened (assumption).
    Benchmark("session_conversion_rate", 0.03, 0.15, "web and app sessions ending in an order",
              "Dynamic Yield food & beverage ~6 % (via Oberlo); assumption above", ("grocery",), needs="online",
              kind="vendor data, assumption", checked="search"),
    Benchmark("session_conversion_rate", 0.008, 0.15, "web and app sessions ending in an order",
              "union of the sector rows", ("general",), needs="online",
              kind="derived", checked="derived"),

    # checkout_abandon_rate: checkouts abandoned / started by buyers set on buying - one row for all sectors.
    # Derived (my arithmetic) from Baymard: cart abandonment a of 70.19 % (studies ranging 55-84.27 %), of whose
    # abandoners 58.6 % were "just browsing / not ready to buy". Decided abandoners a x 0.414 over decided buyers
    # (1 - a) + a x 0.414: 0.49 at the average, 0.34-0.69 across the studies; SaleCycle's fashion 69.1 % gives 0.48.
    # The low end is widened to 0.20 (assumption: the survey counts people who abandoned once in three months, not
    # checkouts, and a well-built checkout loses fewer).
    Benchmark("checkout_abandon_rate", 0.20, 0.70, "online checkouts abandoned by decided buyers",
              "derived from Baymard cart abandonment (70.19 %, 55-84 %) less its 58.6 % 'just browsing'",
              needs="online",
              kind="derived, survey, assumption", checked="search"),
)


def applicable(sector: str, parts: frozenset[str] | None = None) -> list[Benchmark]:
    """The benchmarks of one sector, in table order; with ``parts`` (the parts a network has: "call_centre",
    "stores", "online"), only those whose part it has: a shop without a call centre has no call service level."""
    if sector not in SECTORS:
        raise ValueError(f"unknown sector {sector!r}; allowed: {', '.join(SECTORS)}")
    return [b for b in BENCHMARKS if sector in b.sectors and (parts is None or not b.needs or b.needs in parts)]


@dataclass(frozen=True)
class Verdict:
    benchmark: Benchmark
    value: float               # mean over replications
    half_width: float          # of its confidence interval (0 with one replication)

    @property
    def inside(self) -> bool:
        return self.benchmark.holds(self.value)

    def line(self) -> str:
        b = self.benchmark
        return (f"{b.kpi}: {self.value:.4g} is {'inside' if self.inside else 'OUTSIDE'} the plausible range "
                f"[{b.low:g}, {b.high:g}] ({b.what}; {b.source})")


def judge(kpis: dict[str, float], sector: str, half_widths: dict[str, float] | None = None,
          parts: frozenset[str] | None = None) -> list[Verdict]:
    """Each benchmark of ``sector`` (and of the network's ``parts``) against the KPI means in ``kpis``; a KPI the
    run has no data for is NaN, and therefore outside."""
    hw = half_widths or {}
    return [Verdict(b, float(kpis.get(b.kpi, math.nan)), float(hw.get(b.kpi, 0.0)))
            for b in applicable(sector, parts)]
