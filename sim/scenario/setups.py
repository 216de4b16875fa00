"""The three setups as data: named bundles of capability switches (DESIGN.md section 1).

Processes read these switches; no process ever tests a setup's name. This module is data and the rules that
combine it: it sits below the scenario models (``sim.scenario.schema`` reads it to check a scenario's own setups) and
imports nothing of the package; the scenario types below are for the type checker only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only: config imports this module, not the reverse
    from sim.scenario.schema import Scenario, SetupSpec


@dataclass(frozen=True)
class Capabilities:
    """What a setup lets the retailer do.

    shared_stock: one logical pool; any node may serve any channel (order management picks the node).
    visibility: which stock a channel sees beyond its own pool: "own" (none), "stale" (periodic sync), "live".
    cart_continuity: on a channel switch the cart is lost ("none"), survives with the scenario's friction
        ("friction"), or always survives ("full").
    click_collect: online orders may be collected in store from warehouse stock.
    store_pickup: click & collect served from the store's own stock (needs shared stock).
    ship_from_store: online orders may be picked from store stock by store staff (needs shared stock).
    endless_aisle: a store customer facing a stockout may order from the warehouse for delivery.
    customer_data: one customer record across channels (a unified CRM): what personalisation feeds on.
    personalisation: recommendations that may add a line to the basket; they only work with customer data, and
        are shown in the retailer's own digital channels (a touchpoint with ``recommends: false``, such as a
        marketplace, shows none).
    clienteling: store staff and call-centre agents see the customer record and recommend too (a tablet at the
        till, the record on the agent's screen); without it a store or phone purchase gets no personalised
        recommendation. Needs customer_data and personalisation.
    return_anywhere: a return is taken back in the customer's store whatever the channel it was bought in
        (otherwise it goes back to the selling channel: the store, or the warehouse for online orders).
    transfers: another store's stock may be sent to a customer's store, where they collect it (a store customer
        willing to wait, or a click & collect order the pickup store cannot serve); needs shared stock.
    cart_reminders: a customer who abandons an online cart gets a reminder (needs customer data to send it).
    chatbot: service contacts meet a chatbot first, which answers some and hands the rest to the agents.
    unified_pricing: one price in every channel (the catalogue's), promotions included; otherwise each channel
        may have its own price index and its own promotions.
    """

    shared_stock: bool
    visibility: str
    cart_continuity: str
    click_collect: bool
    store_pickup: bool
    ship_from_store: bool
    endless_aisle: bool
    customer_data: bool
    personalisation: bool
    return_anywhere: bool
    transfers: bool
    cart_reminders: bool = False
    chatbot: bool = False
    unified_pricing: bool = False
    clienteling: bool = False

    def problems(self) -> list[str]:
        """Combinations that cannot work, one line each."""
        out = []
        if self.ship_from_store and not self.shared_stock:
            out.append("ship_from_store needs shared_stock: true (siloed store stock cannot serve online orders)")
        if self.store_pickup and not self.shared_stock:
            out.append("store_pickup needs shared_stock: true")
        if self.transfers and not self.shared_stock:
            out.append("transfers needs shared_stock: true (a store cannot promise another store's siloed stock)")
        if self.cart_reminders and not self.customer_data:
            out.append("cart_reminders needs customer_data: true (a reminder goes to a known customer)")
        if self.clienteling and not (self.customer_data and self.personalisation):
            out.append("clienteling needs customer_data: true and personalisation: true (staff recommend from the "
                       "customer record)")
        if self.shared_stock and self.visibility != "live":
            out.append("shared_stock needs visibility: live (one pool is by definition seen in real time)")
        return out


SETUPS: dict[str, Capabilities] = {
    "multichannel": Capabilities(
        shared_stock=False, visibility="own", cart_continuity="none", click_collect=False,
        store_pickup=False, ship_from_store=False, endless_aisle=False, customer_data=False,
        personalisation=False, return_anywhere=False, transfers=False),
    "cross-channel": Capabilities(
        shared_stock=False, visibility="stale", cart_continuity="friction", click_collect=True,
        store_pickup=False, ship_from_store=False, endless_aisle=True, customer_data=False,
        personalisation=False, return_anywhere=False, transfers=False),
    "omnichannel": Capabilities(
        shared_stock=True, visibility="live", cart_continuity="full", click_collect=True,
        store_pickup=True, ship_from_store=True, endless_aisle=True, customer_data=True,
        personalisation=True, return_anywhere=True, transfers=True, cart_reminders=True, chatbot=True,
        unified_pricing=True),
}
SETUP_NAMES: tuple[str, ...] = tuple(SETUPS)
"""The three built-in setups, from the least to the most integrated: ``multichannel`` (each channel on its own
stock, no cart carried across), ``cross-channel`` (click and collect, the endless aisle, a stale view of the stores'
stock, a cart carried across with friction) and ``omnichannel`` (one stock pool seen live, store pickup,
ship-from-store, transfers, one customer record, personalisation, returns anywhere, cart reminders, the chatbot,
one price). The default setups of ``sim.compare``; the first is the baseline of the paired differences."""


def _apply(spec: SetupSpec) -> Capabilities:
    changes = {f.name: getattr(spec, f.name) for f in fields(Capabilities) if getattr(spec, f.name) is not None}
    return replace(SETUPS[spec.base], **changes)


def available(scenario: Scenario) -> list[str]:
    """Names of every setup a validated scenario can run: the three built-in ones, then its own (the public face's
    ``sim.available_setups``, :func:`sim.scenario.schema.available_setups`, also takes a path)."""
    return list(SETUP_NAMES) + [k for k in scenario.setups if k not in SETUPS]


def resolve(scenario: Scenario, name: str) -> Capabilities:
    """The capability switches of setup ``name``, with the scenario's adjustments applied.

    A scenario entry under a built-in name adjusts that setup; under a new name it defines a mix.
    Raises ValueError naming what is allowed when the name is unknown or the mix cannot work.
    """
    if name in scenario.setups:
        spec = scenario.setups[name]
        if name in SETUPS and "base" not in spec.model_fields_set:
            spec = spec.model_copy(update={"base": name})
        caps = _apply(spec)
    elif name in SETUPS:
        caps = SETUPS[name]
    else:
        raise ValueError(f"unknown setup {name!r}; allowed: {', '.join(available(scenario))}")
    problems = caps.problems()
    if problems:
        raise ValueError(f"setup {name!r}: " + "; ".join(problems))
    return caps


def setup_problems(scenario: Scenario) -> list[str]:
    """Every unusable setup defined or adjusted in a scenario, one line each naming it."""
    out = []
    for name in scenario.setups:
        try:
            resolve(scenario, name)
        except ValueError as exc:
            out.append(f"setups.{name}: {exc}")
    return out
