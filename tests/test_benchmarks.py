"""The operating benchmarks table itself: every sector judges each size KPI once, with a source, and the derived
rows agree with the rows they are derived from (fast: no simulation)."""

from __future__ import annotations

import pytest

from sim.scenario import benchmarks

SIZE_KPIS = ("sales_per_m2", "tickets_per_store_day", "avg_ticket", "online_share", "inventory_turns",
             "store_inventory_turns", "warehouse_inventory_turns", "store_conversion_rate",
             "session_conversion_rate", "checkout_abandon_rate")
STORE_KPIS = {"sales_per_m2", "tickets_per_store_day", "avg_ticket", "store_inventory_turns",
              "store_conversion_rate"}
ONLINE_KPIS = {"online_share", "warehouse_inventory_turns", "session_conversion_rate", "checkout_abandon_rate"}
SHARES = {"online_share", "store_conversion_rate", "session_conversion_rate", "checkout_abandon_rate"}
# store areas (m2) and trading days a year the tickets rows were derived with (see the comments in the module)
AREA = {"fashion": (300.0, 300.0), "electronics": (1_000.0, 2_000.0), "grocery": (1_500.0, 2_500.0)}
DAYS = {"fashion": 306.0, "electronics": 306.0, "grocery": 310.0}


def _row(sector: str, kpi: str) -> benchmarks.Benchmark:
    (row,) = [b for b in benchmarks.applicable(sector) if b.kpi == kpi]
    return row


@pytest.mark.parametrize("sector", benchmarks.SECTORS)
def test_every_sector_judges_each_size_kpi_exactly_once(sector):
    kpis = [b.kpi for b in benchmarks.applicable(sector)]
    assert {k: kpis.count(k) for k in SIZE_KPIS} == dict.fromkeys(SIZE_KPIS, 1)


def test_every_row_has_a_source_an_ordered_range_and_a_known_part():
    for b in benchmarks.BENCHMARKS:
        assert b.source.strip() and b.what.strip(), b
        assert b.low < b.high, b
        assert b.sectors and set(b.sectors) <= set(benchmarks.SECTORS), b
        assert b.needs in ("", "stores", "online", "call_centre"), b
        if b.kpi in SHARES:
            assert 0.0 <= b.low and b.high <= 1.0, b


def test_every_row_says_what_evidence_it_rests_on_and_how_it_was_checked():
    """The docs' benchmarks page shows each row's kinds of evidence and how its figures were checked: known words
    only, and a derived row says so (its arithmetic is checked below, not read anywhere)."""
    assert set(benchmarks.SIZE_KPIS) == set(SIZE_KPIS)
    for b in benchmarks.BENCHMARKS:
        kinds = [k.strip() for k in b.kind.split(",")]
        assert b.kind and set(kinds) <= set(benchmarks.KINDS), b
        assert b.checked in benchmarks.CHECKS, b
        if b.checked == "derived":
            assert "derived" in kinds and ("derived" in b.source or "union" in b.source), b
        if kinds == ["assumption"]:
            assert b.checked == "none", b


def test_size_kpis_are_judged_only_where_the_network_has_the_part():
    for b in benchmarks.BENCHMARKS:
        if b.kpi in STORE_KPIS:
            assert b.needs == "stores", b
        elif b.kpi in ONLINE_KPIS:
            assert b.needs == "online", b
    web_only = {b.kpi for b in benchmarks.applicable("fashion", frozenset({"online"}))}
    shop_only = {b.kpi for b in benchmarks.applicable("fashion", frozenset({"stores"}))}
    assert web_only & set(SIZE_KPIS) == ONLINE_KPIS | {"inventory_turns"}
    assert shop_only & set(SIZE_KPIS) == STORE_KPIS | {"inventory_turns"}


@pytest.mark.parametrize("sector", ["fashion", "electronics", "grocery"])
def test_the_general_row_is_at_least_as_wide_as_each_sector(sector):
    for kpi in SIZE_KPIS:
        row, general = _row(sector, kpi), _row("general", kpi)
        assert general.low <= row.low and row.high <= general.high, (sector, kpi)


@pytest.mark.parametrize("sector", ["fashion", "electronics", "grocery"])
def test_tickets_per_day_bracket_sales_density_times_area_over_ticket(sector):
    """The tickets row is derived: sales per m2 x store area / trading days / average ticket, at the ends of the
    ranges. A change to one of those rows without the other would make the baseline fail one or the other."""
    dens, ticket, tickets = (_row(sector, k) for k in ("sales_per_m2", "avg_ticket", "tickets_per_store_day"))
    small, large = AREA[sector]
    fewest = dens.low * small / DAYS[sector] / ticket.high
    most = dens.high * large / DAYS[sector] / ticket.low
    assert tickets.low <= fewest * 1.05 and most * 0.95 <= tickets.high, (fewest, most, tickets)
    # and not much wider than the arithmetic (orders of magnitude, not a blank cheque)
    assert tickets.low >= fewest * 0.5 and tickets.high <= most * 1.5, (fewest, most, tickets)


@pytest.mark.parametrize("sector", ["fashion", "electronics", "grocery"])
def test_node_turns_follow_the_network_turns_and_the_stock_split(sector):
    """Stores holding 30-80 % of the network's stock turn T/0.8..T/0.3, the warehouse (20-70 %) T/0.7..T/0.2."""
    net, store, wh = (_row(sector, k) for k in ("inventory_turns", "store_inventory_turns",
                                                 "warehouse_inventory_turns"))
    assert store.low == pytest.approx(net.low / 0.8, rel=0.2) and store.high == pytest.approx(net.high / 0.3, rel=0.1)
    assert wh.low == pytest.approx(net.low / 0.7, rel=0.2) and wh.high == pytest.approx(net.high / 0.2, rel=0.1)


def test_the_issue_25_default_is_caught_by_the_fashion_rows():
    """The figures issue 25 read on the default fashion chain (23 kEUR/m2, 69-89 turns, 9 days of store cover)
    must now be outside; the grocery rows accept a grocer's 9 days of cover."""
    verdicts = {v.benchmark.kpi: v for v in benchmarks.judge(
        {"sales_per_m2": 23_000.0, "inventory_turns": 80.0, "store_inventory_turns": 365 / 9}, "fashion")}
    assert not any(verdicts[k].inside for k in ("sales_per_m2", "inventory_turns", "store_inventory_turns"))
    grocer = {v.benchmark.kpi: v for v in benchmarks.judge({"store_inventory_turns": 365 / 9}, "grocery")}
    assert grocer["store_inventory_turns"].inside
