"""The ledger: the only writer of counters, windows that subtract exactly, and the KPIs declared once."""

from __future__ import annotations

import ast
import dataclasses
import functools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.core import kpis
from sim.core.customers import Customer
from sim.core.ledger import Layout, Leave, Ledger, QueueStats, StockCounters, window
from sim.core.model import World

from .reference import ROOT

LAYOUT = Layout(channels=("store", "web", "call_centre"), stores=("a", "b"), segments=("x", "y"),
                touchpoints=("search", "web", "store", "call_centre"))


def _chain(node: ast.AST) -> list[str]:
    """The names along an assignment target, outermost last: ``self.book.left[k]`` -> ['self', 'book', 'left']."""
    out: list[str] = []
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            out.append(node.attr)
            node = node.value
        else:
            if isinstance(node, ast.Name):
                out.append(node.id)
            return out[::-1]


def test_only_the_ledger_writes_counters():
    """No module but sim/core/ledger.py assigns to a counter of the ledger or of its queue stations: every other
    module books through a method named for what happened. The ledger's stock section is booked into by the
    inventory alone (plain increments, on its hot path): no other module assigns to it."""
    counters = set(Ledger(LAYOUT, 5.0, 1.0).counters()) | set(getattr(QueueStats, "__slots__", None)
                                                              or QueueStats.__mypyc_attrs__)  # compiled: no slots
    stock = {f.name for f in dataclasses.fields(StockCounters)}
    paths = sorted((ROOT / "sim").rglob("*.py"))
    assert len(paths) > 30, "every module of the package, in its wing"
    offences = []
    for path in paths:
        if path.name == "ledger.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
            for t in targets:
                names = _chain(t)
                through_book = any(n in ("book", "met", "store_q", "call_q") for n in names[:-1])
                if through_book and (names[-1] in counters or isinstance(t, ast.Subscript)):
                    offences.append(f"{path.name}:{node.lineno}: {'.'.join(names)}")
                through_stock = any(n in ("stock", "counts") for n in names[:-1])
                if through_stock and names[-1] in stock and path.name != "inventory.py":
                    offences.append(f"{path.name}:{node.lineno}: {'.'.join(names)}")
    assert not offences, offences


# --------------------------------------------------------------------------------------------- windows
def _book(led: Ledger, op: tuple) -> None:
    name, a, b, x = op
    if name == "order":
        c = _drawn().replace(seg=a % 2, repeat=bool(b % 2), online=x > 5, n_tp=b, tp_mask=a,
                             recovered=b % 3 == 0, offer=a % 3 - 1)
        led.order(c, a % 3, b + 1, x, x / 2, collect=bool(b % 2))
    elif name == "left":
        led.customer_left(Leave(a % len(Leave)))
    elif name == "lines":
        led.lines_asked(a % 3, b, store=a % 3 - 1)
        led.stockout(a % 3, a % 3 - 1, lines=b // 2)
        led.lost(b, x)
    elif name == "parcel":
        led.parcel(("home", "transfer", "store_pickup")[a % 3], x, 2 * x, store=a % 3 - 1, transfer=a % 3 == 1)
        led.order_done(x / 10, bool(b % 2))
        led.picked(a % 2, x / 7)
    elif name == "after":
        led.rating(a % 3)
        led.review(b % 3)
        led.returned(b, x, bool(a % 2), bool(b % 2))
        led.written_off(b // 2)
    elif name == "market":
        led.reminder_sent()
        led.chatbot_contact(bool(a % 2), bool(a % 4 == 1))
        led.price_mismatch()
        if b % 2:
            led.price_switch()
        led.priced(x - b, x / 3)
        led.offers(b, x / 10)
    elif name == "wait":
        led.store_q[a % 2].waited(x)
        led.call_q.balk()
    elif name == "stock":  # the inventory's bookings into the ledger's stock section
        c = led.stock
        c.area[a % 2] += x
        c.shipped[a % 2] += b
        c.units_out += b
        c.value_out += x
        c.backlog_area += x / 3


@functools.cache
def _drawn() -> Customer:
    """A drawn customer (the ledger's bookings read a real Customer: a native class when compiled)."""
    w = World(sim.load_scenario(ROOT / "scenarios" / "default.yaml", {"horizon_days": 1, "warmup_days": 0}), "omnichannel", 1)
    return w.population.days(0, 1, w.horizon)[0]


def _close(a, b) -> bool:
    if isinstance(a, StockCounters):
        return type(b) is StockCounters and all(_close(getattr(a, f.name), getattr(b, f.name))
                                                 for f in dataclasses.fields(a))
    if isinstance(a, QueueStats):
        return all(_close(getattr(a, k), getattr(b, k)) for k in (*QueueStats.COUNTERS, "hist"))
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return all(_close(a[k], b.get(k, 0)) for k in a) and all(not v for k, v in b.items() if k not in a)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


OPS = st.tuples(st.sampled_from(["order", "left", "lines", "parcel", "after", "market", "wait", "stock"]),
                st.integers(0, 8),
                st.integers(0, 6), st.floats(0, 50, allow_nan=False))


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(before=st.lists(OPS, max_size=25), after=st.lists(OPS, max_size=25))
def test_window_holds_exactly_what_was_booked_after_the_snapshot(before, after):
    """Counters of the window from a snapshot = the bookings made after it, booked on a fresh ledger; the price
    of staff time is a parameter, which the window keeps."""
    led = Ledger(LAYOUT, 5.0, 1.0, staff_cost_per_hour=30.0, stock=StockCounters.for_nodes(2))
    for op in before:
        _book(led, op)
    start = led.snapshot()
    fresh = Ledger(LAYOUT, 5.0, 1.0, stock=StockCounters.for_nodes(2))
    for op in after:
        _book(led, op)
        _book(fresh, op)
    win = window(led, start).counters()
    assert window(led, start).staff_cost_per_hour == 30.0 and "staff_cost_per_hour" not in win
    for name, value in fresh.counters().items():
        assert _close(win[name], value), name


@settings(max_examples=60, deadline=None)
@given(before=st.lists(OPS, max_size=25), after=st.lists(OPS, max_size=25), now=st.floats(0, 1e4))
def test_a_window_between_light_snapshots_holds_what_was_booked_between(before, after, now):
    """A day's light snapshot is a typed copy (later bookings do not reach it) without the wait histograms; the
    window between two holds the bookings made between them, and the queues' areas are brought up to its time in
    the copy only."""
    led = Ledger(LAYOUT, 5.0, 1.0, stock=StockCounters.for_nodes(2))
    led.store_q[0].enter(0.0)  # one customer inside from t = 0: an area that grows
    for op in before:
        _book(led, op)
    start = led.light_snapshot(now, led.stock.copy())
    assert start.store_q[0].area == now and led.store_q[0].area == 0.0 and start.store_q[0].hist == []
    assert type(start.stock) is StockCounters and start.stock is not led.stock
    fresh = Ledger(LAYOUT, 5.0, 1.0, stock=StockCounters.for_nodes(2))
    for op in after:
        _book(led, op)
        _book(fresh, op)
    win = window(led.light_snapshot(now, led.stock.copy()), start).counters()
    for name, value in fresh.counters().items():
        if name in ("store_q", "call_q"):
            qs = win[name] if name == "store_q" else [win[name]]
            for q, want in zip(qs, value if name == "store_q" else [value], strict=True):
                assert all(_close(getattr(q, k), getattr(want, k)) for k in QueueStats.COUNTERS), name
        else:
            assert _close(win[name], value), name


# --------------------------------------------------------------------------------------------- declarations
def test_every_kpi_is_declared_once_with_label_unit_and_definition():
    names = [k.name for k in kpis.KPIS]
    assert len(names) == len(set(names))
    for k in kpis.KPIS:
        assert k.label and k.unit and k.definition.endswith("."), k.name
    assert (kpis.LESS_IS_BETTER | kpis.NEITHER) <= set(kpis.KPI_NAMES)  # the directions name real KPIs
    assert kpis.KPI_BY_NAME["stockout_rate"].better == -1 and kpis.KPI_BY_NAME["revenue"].better == 1
    r = sim.run(sim.load_scenario(ROOT / "scenarios" / "small_business.yaml", {"horizon_days": 1, "warmup_days": 0}), "omnichannel")
    assert tuple(r.kpis) == kpis.KPI_NAMES


def test_docs_glossary_is_the_declaration():
    """The docs' glossary is written from sim/core/kpis.py (``make docs``): it must be current."""
    text = (ROOT / "docs" / "reference" / "kpis.md").read_text(encoding="utf-8")
    assert kpis.with_glossary(text) == text, "glossary out of date: run `omnisim kpis --into docs/reference/kpis.md`"
    for k in kpis.KPIS:
        assert f"| `{k.name}` | {k.label} | {k.unit} |" in text


def test_units_come_from_the_declaration_then_the_name():
    assert kpis.unit_of("delivery_distance_km") == "km"   # declared
    assert kpis.unit_of("refunds") == "€"                  # declared; no suffix says so
    assert kpis.unit_of("on_hand_units") == "units"        # a daily series, by its suffix
    assert kpis.unit_of("picks") == "count"
    assert kpis.label_of("ropo_share") == "Research online, purchase offline"

