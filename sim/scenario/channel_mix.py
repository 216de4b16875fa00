"""The channel-mix lever: ``channel_mix.online_share`` rescales every segment's purchase channels so that the share
of orders expected online hits a target.

*Online* is every purchase channel but the store (web, app, marketplace and the call centre: orders placed
remotely, as the ``online_share`` KPI counts them). The *expected order mix* is what the segments' fields promise
before any run: the share of orders placed in channel ``c`` is ``sum over segments of share x channels[c]`` (each
journey starts with the intent to buy in one channel; conversion, stock-view switches and the setup then move the
measured mix, which the ``online_share`` KPI and the channel breakdown report).

How the lever moves the segments: every segment's odds of buying online, ``o / (1 - o)``, are multiplied by one
factor ``k`` (its log-odds shifted by ``log k``), found so that the expected
online share is the target (``scipy.optimize.brentq``). So each segment
keeps its rank (a web-leaning segment stays the most online), a segment with no online channel stays in store and
one without the store stays online, no share leaves 0..1, and within a segment the online channels keep their
relative weights (web : app : marketplace : call centre) while the store takes the rest. Applying the lever to a
scenario already at its target changes nothing (``k = 1``; the schema then leaves it as it is), so a results folder's ``scenario.yaml``, which holds
both the lever and the rescaled channels, loads to the same scenario.

What it leaves alone: the touchpoint mixes of the journeys (research stays where it was), the browsing visits and
sessions, the segment shares, the traffic and every other field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

CHANNEL_STORE = "store"  # as sim.scenario.schema.CHANNEL_STORE (this module sits below the schema)
FIELD = "channel_mix.online_share"


def order_mix(segments: Sequence[Any]) -> dict[str, float]:
    """Expected share of orders by purchase channel from the segments (``share`` x ``channels``), largest first."""
    mix: dict[str, float] = {}
    for seg in segments:
        for ch, p in seg.channels.items():
            mix[ch] = mix.get(ch, 0.0) + seg.share * p
    return dict(sorted(mix.items(), key=lambda kv: (-kv[1], kv[0])))


def online_of(channels: Mapping[str, float]) -> float:
    """A segment's share of purchases online: every channel but the store."""
    return float(sum(p for ch, p in channels.items() if ch != CHANNEL_STORE))


def expected_online_share(segments: Sequence[Any]) -> float:
    """The share of orders expected online (every purchase channel but the store), from the segments."""
    return float(sum(seg.share * online_of(seg.channels) for seg in segments))


def reachable(segments: Sequence[Any]) -> tuple[float, float]:
    """The online shares the lever can reach: segments without online channels stay in store, those without the
    store stay online."""
    low = sum(s.share for s in segments if online_of(s.channels) >= 1.0)
    high = sum(s.share for s in segments if online_of(s.channels) > 0.0)
    return low, high


def problems(segments: Sequence[Any], target: float) -> list[str]:
    """One line naming :data:`FIELD` when ``target`` cannot be reached with these segments; empty when it can."""
    if not 0.0 <= target <= 1.0:
        return [f"{FIELD}: must be a share between 0 and 1 (got {target!r})"]
    low, high = reachable(segments)
    if low - 1e-12 <= target <= high + 1e-12:
        return []
    if high <= 0.0:
        return [f"{FIELD}: no segment buys online (segments.*.channels name only the store), so there is no online "
                "share to rescale; give a segment a web, app, marketplace or call_centre channel"]
    if low >= 1.0:
        return [f"{FIELD}: no segment buys in store (segments.*.channels), so the online share stays 1; remove the "
                "lever or give a segment a store channel"]
    return [f"{FIELD}: {target:g} cannot be reached: segments without an online channel keep the store and those "
            f"without the store stay online, so the share can go from {low:.4g} to {high:.4g}"]


def _scaled(o: float, shift: float) -> float:
    """A segment's online share after adding ``shift`` to its log-odds (multiplying its odds by ``exp(shift)``;
    ``+inf``: every partly online segment goes fully online, ``-inf``: fully in store)."""
    if o <= 0.0 or o >= 1.0:
        return o
    if math.isinf(shift):
        return 1.0 if shift > 0 else 0.0
    x = math.log(o) - math.log1p(-o) + shift  # the logit, shifted; then its inverse, without overflow
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def log_odds_shift(segments: Sequence[Any], target: float) -> float:
    """``log k``: the shift of every segment's log-odds of buying online that makes the expected online share
    ``target`` (``-inf`` or ``+inf`` at the ends of the reachable range). Raises ``ValueError`` with
    :func:`problems`' line."""
    bad = problems(segments, target)
    if bad:
        raise ValueError(bad[0])
    low, high = reachable(segments)
    if target <= low:
        return -math.inf
    if target >= high:
        return math.inf
    from scipy.optimize import brentq  # 0.4 s to import: only when the lever is used

    def gap(shift: float) -> float:
        return float(sum(s.share * _scaled(online_of(s.channels), shift) for s in segments)) - target

    lo, hi = -1.0, 1.0
    while gap(lo) > 0 and lo > -1e4:  # logit of the smallest positive double is about -745
        lo *= 2.0
    while gap(hi) < 0 and hi < 1e4:
        hi *= 2.0
    return float(brentq(gap, lo, hi, xtol=1e-13, rtol=1e-15, maxiter=500))


def rescaled_channels(segments: Sequence[Any], target: float) -> list[dict[str, float]]:
    """Each segment's purchase channels with the expected online share at ``target`` (see the module docstring)."""
    shift = log_odds_shift(segments, target)
    out = []
    for seg in segments:
        o = online_of(seg.channels)
        new = _scaled(o, shift)
        if new == o:
            out.append(dict(seg.channels))
            continue
        channels = {ch: (p / o * new if ch != CHANNEL_STORE else 0.0) for ch, p in seg.channels.items()}
        channels[CHANNEL_STORE] = 1.0 - new
        out.append(channels)
    return out


def describe(mix: Mapping[str, float]) -> str:
    """``store 70.3 %, web 19.0 %, ...; online 29.7 %``: an order mix as people read it."""
    parts = ", ".join(f"{ch} {100 * p:.1f} %" for ch, p in mix.items())
    online = sum(p for ch, p in mix.items() if ch != CHANNEL_STORE)
    return f"{parts}; online {100 * online:.1f} %"
