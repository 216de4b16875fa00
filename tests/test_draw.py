"""The day's draw in columns: the vectorised shortcuts of the customer draw and of its booking give what the
one-by-one code they replace gives, to the last bit (the golden outputs rest on it)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.core import customers
from sim.core.customers import _PICK_GATHER, Shares, _pick
from sim.core.journey import clock
from sim.core.ledger import Ledger
from sim.core.model import World

from .reference import ROOT


def _loop(now: float, times: list[float]) -> list[float]:
    """What :meth:`sim.core.journey.Journeys.arrive` did: wait for each start in turn."""
    out = []
    for t in times:
        now += t - now
        out.append(now)
    return out


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 5000.0), st.lists(st.floats(0.0, 5000.0), min_size=1, max_size=60),
       st.sampled_from([1.0, 1e-3, 1e-9, 3.0]))
def test_the_clock_reaches_the_times_a_loop_reaches(now, gaps, scale):
    """Sorted start times from ``now``, many of them far apart relative to their size (near 0, where
    ``now + (t - now)`` is not ``t``): every time is the loop's, bit for bit."""
    times = np.sort(now + np.array(gaps) * scale)
    assert clock(now, times).tolist() == _loop(now, times.tolist())


def test_the_clock_follows_the_loop_where_it_does_not_reach_a_time():
    """``now + (t - now)`` is not ``t`` where ``t - now`` rounds to a tie (``now`` far below ``t``): from
    2**-53, 1 + 2**-52 is reached as 1.0, and from there 2**53 + 2 as 2**53; the times after follow from those."""
    now = 2.0**-53
    times = [1.0 + 2.0**-52, 2.0**53 + 2.0, 2.0**53 + 4.0, 2.0**54, 2.0**54, 2.0**56 + 8.0, 2.0**60]
    want = _loop(now, times)
    assert want[:2] == [1.0, 2.0**53]  # the loop moves them: the test can tell
    assert clock(now, np.array(times)).tolist() == want
    for k in range(1, len(times)):  # every suffix: the walk starting at its first time
        assert clock(want[k - 1], np.array(times[k:])).tolist() == _loop(want[k - 1], times[k:])
    rng = np.random.default_rng(5)  # a day's worth of uniform start times from t = 0, the model's case
    day = np.sort(rng.random(40_000) * 1440.0)
    assert clock(0.0, day).tolist() == _loop(0.0, day.tolist())


def test_shares_pick_what_the_gathered_rows_pick():
    """The looked-up categorical draw against the row-wise one, below and above the gathering threshold,
    with uniforms on the cumulative shares themselves (ties: the comparison's side matters)."""
    rng = np.random.default_rng(2)
    table = np.cumsum(rng.random((7, 5)) * (rng.random((7, 5)) > 0.3), axis=1)
    shares = Shares(table)
    assert shares.width  # a lookup table
    for m in (3, _PICK_GATHER - 1, _PICK_GATHER, 5 * _PICK_GATHER):
        row = rng.integers(0, 7, m)
        u = rng.random(m)
        u[::4] = (table[row, 1] / table[row, -1])[::4]  # on a share's edge
        u[1::9] = 0.0
        assert np.array_equal(shares.pick(row, u), _pick(table[row], u))


_SHARE = st.one_of(st.just(0.0), st.floats(0.0, 1.0), st.sampled_from([1e-300, 5e-324, 0.1, 0.2, 0.3, 1.0, 7.5]))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 30), st.integers(1, 12), st.data())
def test_the_lookup_picks_what_the_gathered_rows_pick(n_rows, n_states, data):
    """Any table of shares (zero-probability states, equal shares, rows ending below or above 1, subnormal and
    far-apart shares, rows that decrease, negative shares): :meth:`Shares.pick` gives :func:`_pick`'s states,
    for uniforms on the shares' edges, at 0, just below 1 and at random."""
    probs = np.array(data.draw(st.lists(_SHARE, min_size=n_rows * n_states, max_size=n_rows * n_states)))
    table = probs.reshape(n_rows, n_states)
    if data.draw(st.booleans()):
        table = np.cumsum(table, axis=1)  # the model's tables: cumulative
    if data.draw(st.booleans()):
        table[0, 0] = -0.25  # not a share: gathered
    m = 3 * _PICK_GATHER
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    row = rng.integers(0, n_rows, m)
    u = rng.random(m)
    last = table[row, -1]
    edge = table[row, rng.integers(0, n_states, m)]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        on_edge = np.where(last > 0, edge / last, 0.0)
    u[::3] = np.clip(on_edge, 0.0, np.nextafter(1.0, 0.0))[::3]
    u[1::7] = 0.0
    u[2::11] = np.nextafter(1.0, 0.0)
    assert np.array_equal(Shares(table).pick(row, u), _pick(table[row], u))


def test_customers_built_in_blocks_are_those_built_at_once(monkeypatch):
    """The day's customers built a few rows at a time (each block with its own customers' lines, research steps and
    calls) are field for field those built in one block."""
    sc = sim.load_scenario(ROOT / "scenarios" / "default.yaml", {"horizon_days": 1, "warmup_days": 0})

    def day(rows: int) -> list[tuple]:
        monkeypatch.setattr(customers, "ASSEMBLE_ROWS", rows)
        w = World(sc, "omnichannel", 5)
        return [c.astuple() for c in w.population.draw(0, 1, customers.DAY_MIN)[0]]

    blocks, whole = day(7), day(10**9)
    assert len(whole) > 100 and blocks == whole


def test_a_batch_is_booked_as_its_customers_one_by_one():
    """The ledger books a day's columns (and takes back any suffix of them, as the snapshots do) to the same
    counters as the customers booked one at a time (``repeat_journey`` counts the same fields)."""
    sc = sim.load_scenario(ROOT / "scenarios" / "default.yaml", {"horizon_days": 2, "warmup_days": 0})
    w = World(sc, "omnichannel", 11)
    batch, starts = w.population.draw(0, 2, w.horizon)
    assert len(starts) == len(batch) > 100 and starts.t.tolist() == [c.t for c in batch]
    fields = ("arrived", "journeys_ch", "journeys_seg", "research_min", "tp_visits", "store_research", "switches")

    def fresh() -> Ledger:
        return Ledger(w.book.layout, 1.0, 1.0)

    for i in (0, 1, len(batch) // 3, len(batch) - 1, len(batch)):
        bulk, one = fresh(), fresh()
        bulk.journeys(starts.since(i))
        for c in batch[i:]:
            one.repeat_journey(c)
        assert [getattr(bulk, f) for f in fields] == [getattr(one, f) for f in fields], i
        back, head = fresh(), fresh()  # the batch less its suffix: the customers before i
        back.journeys(starts)
        back.journeys(starts.since(i), -1)
        for c in batch[:i]:
            head.repeat_journey(c)
        counts = [f for f in fields if f != "research_min"]  # minutes: a difference of sums, not a sum
        assert [getattr(back, f) for f in counts] == [getattr(head, f) for f in counts], i
