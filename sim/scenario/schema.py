"""Scenario files: pydantic models, loading, dotted-path overrides and readable errors.

A scenario is validated once, at the boundary, into frozen models; everything below this module trusts it.
Times carry their unit in the field name (``_min``, ``_days``, ``_hour``); money is in the scenario's currency.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import types
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.scenario import channel_mix  # the channel-mix lever on plain segments
from sim.scenario.benchmarks import applicable  # data only, imports nothing of the package
from sim.scenario.evidence import KINDS, REGISTER  # data only, imports nothing of the package
from sim.scenario.setups import available, setup_problems  # the setups table (data): a scenario's own setups
from sim.scenario.userfiles import load_yaml, plain
from sim.scenario.userfiles import read_yaml as _read_user_yaml

PROB_TOL = 1e-6
CHANNEL_STORE = "store"
CHANNEL_CALL = "call_centre"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` holds one line per problem, each naming its field path.

    Raised by ``sim.load_scenario`` and ``sim.scenario_from_dict``, and so by every function that takes the path of
    a scenario file, when the file cannot be read or a field is refused. Each line names the field path and what
    is allowed, e.g. ``segments.1.channels: channels must sum to 1 (got 1.18)``; the command line prints the lines
    and exits with code 2, without a traceback. An experiment file's error (``ExperimentError``) and a
    calibration targets file's are of this class too.

    Parameters
    ----------
    problems : list of str
        One line per problem, each naming its field path and what is allowed.

    Attributes
    ----------
    problems : list of str
        The lines given, in order; ``str(error)`` joins them with newlines.

    Examples
    --------
    ```python
    import sim

    try:
        sim.load_scenario("scenarios/default.yaml", overrides={"stores.0.staff": -1})
    except sim.ScenarioError as exc:
        for line in exc.problems:
            print(line)  # stores.0.staff: ... (got -1)
    ```
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class Model(BaseModel):
    # no NaN or infinity anywhere: ``.inf`` in a file is refused with its field path
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, v: Any, info: ValidationInfo) -> Any:
        # pydantic takes ``true`` as 1 where a number is asked (``staff: true`` would be one staff): refused
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _bool_for_number(field.annotation, v):
            whole = _asks_int(field.annotation)
            raise ValueError(f"{'a whole number' if whole else 'a number'} is asked here, not true/false")
        return v


def _bool_for_number(annotation: Any, value: Any) -> bool:
    """Whether ``value`` holds a boolean where ``annotation`` asks for a number (directly or in a list or
    mapping); a field that accepts booleans (``bool | float``) is left alone."""
    if annotation is int or annotation is float:
        return isinstance(value, bool)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _bool_for_number(args[0], value)
    if origin is Union or origin is types.UnionType:
        if bool in args:
            return False
        return any(_bool_for_number(a, value) for a in args if a is not type(None))
    if origin in (list, tuple) and isinstance(value, list | tuple) and args:
        return any(_bool_for_number(args[0], x) for x in value)
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return any(_bool_for_number(args[1], x) for x in value.values())
    return False


def _asks_int(annotation: Any) -> bool:
    return annotation is int or any(_asks_int(a) for a in get_args(annotation))


# Upper bounds: far above any retailer (the library's largest scenario is far below each), so that a typo or a
# script's absurd value (a trillion customers, a billion days) is refused with its field path instead of running
# out of memory; the resource guard (sim/experiments/guard.py) judges what is left. Each bound is stated in its description.
BIG = 1e9  # any amount of money, time or distance
MAX_DAYS = 36_500  # 100 years: horizons, periods and delays in days
MAX_MIN = 525_600  # a year, for times in minutes
NonNeg = Annotated[float, Field(ge=0, le=BIG, description="at most 1e9")]
Prob = Annotated[float, Field(ge=0, le=1)]


class Dist(Model):
    """A non-negative random duration or quantity, given by its mean and coefficient of variation."""

    dist: Literal["fixed", "exponential", "lognormal", "gamma"] = Field("exponential", description="family")
    mean: float = Field(ge=0, le=1e6, description="mean, in the unit of the field that holds it; at most 1e6")
    cv: float = Field(0.5, gt=0, le=100, description="coefficient of variation (lognormal, gamma only); at most 100")

    @model_validator(mode="before")
    @classmethod
    def _plain_number(cls, v: Any) -> Any:
        # a plain number means a fixed value: ``lead_time_days: 4``
        if isinstance(v, int | float) and not isinstance(v, bool):
            return {"dist": "fixed", "mean": v}
        return v

    @model_validator(mode="after")
    def _zero(self) -> Dist:
        if self.mean == 0 and self.dist != "fixed":
            raise ValueError("a mean of 0 is only allowed with dist: fixed")
        return self


def _check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    total = sum(shares.values())
    if shares and abs(total - 1.0) > PROB_TOL:
        raise ValueError(f"{what} must sum to 1 (got {total:.6g})")
    return shares


def _profile(values: list[float], n: int, what: str) -> list[float]:
    if len(values) != n:
        raise ValueError(f"{what} needs exactly {n} weights (got {len(values)})")
    if any(not 0 <= v <= 1e6 for v in values) or sum(values) <= 0:
        raise ValueError(f"{what} weights must be between 0 and 1e6 with a positive sum")
    return values


# --------------------------------------------------------------------------------------------- catalogue
class Sku(Model):
    id: str = Field(description="the SKU's id, unique in the catalogue (promotions name SKUs by it)")
    price: float = Field(gt=0, le=BIG, description="selling price, currency per unit; at most 1e9")
    unit_cost: float = Field(ge=0, le=BIG, description="purchase cost, currency per unit; at most 1e9")
    category: str = Field("all", description="catalogue category (replenishment.by_category, promotions and "
                                             "fulfilment.return_category_factor name categories)")
    popularity: float = Field(1.0, gt=0, le=BIG, description="relative demand weight; at most 1e9")


class CatalogueGenerator(Model):
    n_skus: int = Field(gt=0, le=1_000_000, description="number of SKUs; at most 1,000,000 (a hypermarket has 50,000)")
    categories: list[str] = Field(default_factory=lambda: ["all"], min_length=1, max_length=10_000,
                                  description="category names; the SKUs are spread over them in turn")
    price_median: float = Field(gt=0, le=BIG, description="median price, currency per unit (lognormal prices); "
                                                          "at most 1e9")
    price_sigma: float = Field(0.0, ge=0, le=5, description="sigma of log price; 0 gives one price for all; at most 5")
    margin: float = Field(0.5, ge=0, lt=1, description="gross margin as a share of price")
    zipf_exponent: float = Field(0.0, ge=0, le=10, description="popularity of the k-th SKU ~ 1/k**exponent; at most 10")


class Catalogue(Model):
    skus: list[Sku] | None = Field(None, description="the SKUs, one by one (give this or generator)")
    generator: CatalogueGenerator | None = Field(None, description="parameters of a generated catalogue (give this "
                                                                   "or skus)")

    @model_validator(mode="after")
    def _one_source(self) -> Catalogue:
        if (self.skus is None) == (self.generator is None):
            raise ValueError("give exactly one of 'skus' (a list) or 'generator' (parameters)")
        if self.skus is not None and not self.skus:
            raise ValueError("skus: at least one SKU is needed (or give generator: n_skus)")
        if self.skus is not None and (twice := _repeated(s.id for s in self.skus)):
            raise ValueError(f"skus: SKU ids must be unique; given more than once: {', '.join(map(repr, twice))}")
        return self


def _repeated(names: Iterable[str]) -> list[str]:
    """The names given more than once, in first-seen order."""
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [n for n, k in seen.items() if k > 1]


# --------------------------------------------------------------------------------------------- inventory
class Replenishment(Model):
    """Stock policy of one node: applied to every SKU it holds, except the SKUs of the catalogue categories that
    ``by_category`` gives a policy of their own."""

    policy: Literal["periodic", "continuous", "none"] = Field(
        "periodic", description="periodic: (R,S) order-up-to, or (R,s,S) with a reorder point; continuous: (s,S), "
                                "base stock when s = S-1, or (s,Q) with an order quantity")
    review_days: float = Field(1.0, ge=0.01, le=MAX_DAYS, description="review period R, days (periodic only); from "
                                                                     "0.01 (15 minutes) to 36,500")
    order_up_to: int | None = Field(None, ge=0, le=BIG, description="S in units, the same for every SKU; at most 1e9")
    order_up_to_days: float | None = Field(None, ge=0, le=MAX_DAYS, description="S as days of expected demand per "
                                                                                 "SKU; at most 36,500")
    reorder_point: int | None = Field(None, ge=-1, le=BIG, description="s in units: order when the position is <= s;"
                                                                          " at most 1e9")
    reorder_point_days: float | None = Field(None, ge=0, le=MAX_DAYS, description="s as days of expected demand; at "
                                                                                   "most 36,500")
    order_quantity: int | None = Field(None, ge=1, le=BIG, description="Q in units: (s,Q) orders multiples of Q "
                                                                          "(continuous); at most 1e9")
    presentation_units: int = Field(0, ge=0, le=BIG, description="presentation minimum: S (and the first stock) is "
                                    "at least this many units of every SKU, whatever its demand: the display quantity "
                                    "or size run a store keeps to show a line; 0 = none; at most 1e9")
    lead_time_days: Dist = Field(Dist(dist="fixed", mean=2.0), description="supplier lead time, days")
    delivery: Literal["per_order", "per_review"] = Field(
        "per_order", description="per_order: each SKU's order travels a lead time of its own; per_review (periodic "
                                 "only): what a review orders travels together, one lead time (a store's weekly "
                                 "truck). Each SKU's lead time has the same distribution either way")
    stockout: Literal["lost_sales", "backorders"] = Field(
        "lost_sales", description="what a shortage becomes: lost_sales (the customer's stockout reaction applies) "
                                  "or backorders (owed, filled first from the next receipts)")
    by_category: dict[str, Replenishment] = Field(
        default_factory=dict,
        description="a full policy of its own (kind, levels, review period, lead time, lost sales or backorders, Q) "
                    "for the SKUs of a catalogue category, by category name; other categories use this policy. "
                    "One level only: a policy given here has no by_category")

    @field_validator("by_category")
    @classmethod
    def _one_level(cls, v: dict[str, Replenishment]) -> dict[str, Replenishment]:
        nested = [name for name, r in v.items() if r.by_category]
        if nested:
            raise ValueError(f"a category's policy cannot have a by_category of its own (in {', '.join(nested)}); "
                             "give each category's policy here")
        return v

    @model_validator(mode="after")
    def _levels(self) -> Replenishment:
        if self.policy == "none":
            return self
        if (self.order_up_to is None) == (self.order_up_to_days is None):
            raise ValueError("give exactly one of 'order_up_to' (units) or 'order_up_to_days'")
        if self.reorder_point is not None and self.reorder_point_days is not None:
            raise ValueError("give at most one of 'reorder_point' or 'reorder_point_days'")
        if self.policy == "continuous" and self.reorder_point is None and self.reorder_point_days is None:
            raise ValueError("continuous review needs 'reorder_point' or 'reorder_point_days'")
        if self.reorder_point is not None and self.order_up_to is not None and self.reorder_point >= self.order_up_to:
            raise ValueError("reorder_point must be below order_up_to")
        if self.order_quantity is not None and self.policy != "continuous":
            raise ValueError("order_quantity (s,Q) needs policy: continuous")
        if self.delivery == "per_review" and self.policy != "periodic":
            raise ValueError("delivery: per_review needs policy: periodic (a continuous review orders one SKU at a "
                             "time)")
        return self


# --------------------------------------------------------------------------------------------- network
class Node(Model):
    """What stores and the warehouse share: a stock policy, a place, and a reserve for their own channel."""

    replenishment: Replenishment = Field(description="the node's stock policy")
    x_km: float = Field(0.0, ge=-40_000, le=40_000, description="location east, km (for nearest and cheapest "
                                                                "routing); within +-40,000 (the Earth's girth)")
    y_km: float = Field(0.0, ge=-40_000, le=40_000, description="location north, km; customers live near their own "
                                                                "store; within +-40,000")
    reserve_units: int | None = Field(
        None, ge=0, le=BIG, description="units of each SKU held back for the node's own channel (walk-in customers in a "
                                "store, online orders at the warehouse): the shared pool's other channels see on "
                                "hand minus the reserve")
    reserve_days: float | None = Field(None, ge=0, le=MAX_DAYS, description="the reserve as days of expected demand "
                                                                             "per SKU")

    @model_validator(mode="after")
    def _reserve(self) -> Node:
        _reserve_problem(self.reserve_units, self.reserve_days, self.replenishment)
        return self


class Store(Node):
    name: str = Field(description="the store's name, unique among the stores")
    traffic_weight: float = Field(1.0, gt=0, le=1e6, description="relative share of store visits; at most 1e6")
    area_m2: float | None = Field(None, gt=0, le=1e6, description="sales area, m² (for sales per m², judged by "
                                                                  "`omnisim check-plausibility`); null = unknown")
    open_hour: float = Field(9, ge=0, lt=24, description="opening time, hour of day")
    close_hour: float = Field(20, gt=0, le=24, description="closing time, hour of day")
    staff: int | None = Field(description="advice and picking staff on the floor; null = unlimited; at most 10,000",
                              ge=0, le=10_000)
    tills: int | None = Field(description="open tills; null = unlimited; at most 1,000", ge=0, le=1_000)
    till_time_min: Dist | None = Field(None, description="service at the till, minutes; null = instant")
    advice_prob: Prob = Field(0.0, description="share of visitors who ask staff for advice")
    advice_time_min: Dist | None = Field(None, description="advice duration, minutes")
    queue_capacity: int | None = Field(None, ge=0, le=1_000_000, description="waiting places at the tills; null = "
                                                                              "unlimited; at most 1,000,000")
    ship_from_store: bool = Field(True, description="this store's stock may be picked for online orders and "
                                                    "transfers, where the setup allows it")
    click_collect: bool = Field(True, description="online buyers may collect here, where the setup allows it")

    @model_validator(mode="after")
    def _hours(self) -> Store:
        if self.close_hour <= self.open_hour:
            raise ValueError("close_hour must be after open_hour")
        if self.advice_prob > 0 and self.advice_time_min is None:
            raise ValueError("advice_prob > 0 needs advice_time_min")
        if self.advice_prob > 0 and self.staff == 0:
            raise ValueError("advice_prob > 0 needs staff > 0")
        if self.tills == 0:
            raise ValueError("tills must be >= 1 or null (unlimited)")
        if self.ship_from_store and self.staff == 0:
            raise ValueError("ship_from_store: true needs staff to pick orders (staff is 0); set ship_from_store: "
                             "false or staff >= 1")
        return self


def _reserve_problem(units: int | None, days: float | None, rep: Replenishment) -> None:
    """A reserve is part of the stock the policy holds: given in the same unit as S and no larger than it."""
    if units is not None and days is not None:
        raise ValueError("give at most one of 'reserve_units' or 'reserve_days'")
    if units is None and days is None:
        return
    if rep.policy == "none" and (units or days):
        raise ValueError("a reserve needs stock: replenishment.policy is 'none'")
    for where, p in [("replenishment", rep), *((f"replenishment.by_category.{k}", v)
                                                for k, v in rep.by_category.items())]:
        if p.policy == "none":
            continue  # SKUs not stocked here: nothing to hold back
        if units is not None:
            if p.order_up_to is None:
                raise ValueError(f"reserve_units needs {where}.order_up_to in units (or give reserve_days)")
            if units > p.order_up_to:
                raise ValueError(f"reserve_units {units} is larger than the stock the policy holds "
                                 f"({where}.order_up_to {p.order_up_to})")
        elif days is not None:
            if p.order_up_to_days is None:
                raise ValueError(f"reserve_days needs {where}.order_up_to_days (or give reserve_units)")
            if days > p.order_up_to_days:
                raise ValueError(f"reserve_days {days:g} is larger than the stock the policy holds "
                                 f"({where}.order_up_to_days {p.order_up_to_days:g})")


class Supplier(Model):
    """The one supplier every node (stores and warehouse) orders from."""

    capacity_units_per_day: int | None = Field(
        None, ge=0, le=10**12,
        description="most units shipped per calendar day, all nodes and SKUs together; null = unlimited (every order "
                    "ships at once). An order ships at once while the day's capacity lasts and no earlier order "
                    "waits; the rest waits in one first-in first-out backlog and ships (in part if need be) from the "
                    "next days' capacity, released at midnight. Each shipment then takes the ordering policy's "
                    "lead time; waiting units count as on order")


class Warehouse(Node):
    handling_days: NonNeg = Field(0.5, description="pick and pack time before the carrier, days")


class CallCentre(Model):
    agents: int | None = Field(ge=1, le=100_000, description="agents; null = unlimited; at most 100,000")
    open_hour: float = Field(8, ge=0, lt=24, description="opening time, hour of day")
    close_hour: float = Field(20, gt=0, le=24, description="closing time, hour of day")
    handle_time_min: Dist = Field(description="talk and wrap-up time, minutes")
    target_wait_s: float = Field(20, ge=0, le=86_400, description="service-level target, seconds (80/20 style); at "
                                                                   "most a day")

    @model_validator(mode="after")
    def _hours(self) -> CallCentre:
        if self.close_hour <= self.open_hour:
            raise ValueError("close_hour must be after open_hour")
        return self


class Touchpoint(Model):
    visit_min: NonNeg = Field(description="time spent on one visit, minutes")
    sells: bool = Field(False, description="can the customer build a cart and order here")
    recommends: bool = Field(True, description="a selling touchpoint the retailer runs, where its personalised "
                                               "recommendations can be shown; false for one it does not control "
                                               "(a marketplace)")


# --------------------------------------------------------------------------------------------- customers
DECIDE, DROP = "decide", "drop"  # absorbing states of a journey chain: go and buy, or give up


class Chain(Model):
    """A Markov chain over research touchpoints, absorbed in ``decide`` (go and buy) or ``drop`` (give up)."""

    start: dict[str, Prob] = Field(description="first touchpoint of a journey (may be 'decide': no research)")
    transitions: dict[str, dict[str, Prob]] = Field(
        description="per touchpoint, probabilities of the next touchpoint, 'decide' or 'drop' (each row sums to 1)")

    @field_validator("start")
    @classmethod
    def _start_sum(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, "start")

    @field_validator("transitions")
    @classmethod
    def _rows_sum(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for tp, row in v.items():
            _check_shares(row, f"transitions.{tp}")
        return v


class Journey(Model):
    """Research before the purchase: either a mix and a mean count (steps drawn independently), or a ``chain``."""

    touchpoint_mix: dict[str, Prob] = Field(
        default_factory=dict, description="share of research steps spent at each touchpoint (sums to 1)")
    mean_touchpoints: float = Field(1.0, ge=1, le=100, description="research touchpoints per journey, mean; 1 to 100")
    chain: Chain | None = Field(None, description="a Markov chain over touchpoints; replaces mix and mean")
    gap_min: NonNeg = Field(0.0, description="mean time between two touchpoints, minutes (exponential)")
    store_visit_min: NonNeg = Field(20.0, description="time of a research (browsing) visit to a store, minutes")

    @field_validator("touchpoint_mix")
    @classmethod
    def _sum(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, "touchpoint_mix")

    def as_chain(self) -> Chain | None:
        """The chain this journey walks; a mix with mean m is the chain whose every row is the mix, leaving
        for 'decide' with probability 1/m (a geometric number of steps with mean m). None: no research."""
        if self.chain is not None:
            return self.chain
        if not self.touchpoint_mix:
            return None
        stay = 1.0 - 1.0 / self.mean_touchpoints
        row = {tp: p * stay for tp, p in self.touchpoint_mix.items()}
        row[DECIDE] = 1.0 / self.mean_touchpoints
        return Chain.model_construct(start=dict(self.touchpoint_mix), transitions=dict.fromkeys(self.touchpoint_mix, row))


class Basket(Model):
    lines_mean: float = Field(1.0, ge=1, le=200, description="distinct SKUs per basket, mean (1 + Poisson); 1 to 200")
    units_per_line_mean: float = Field(1.0, ge=1, le=1_000, description="units per SKU line, mean (1 + Poisson); 1 to "
                                                                        "1,000")


class Reaction(Model):
    """What a customer does when an item is not there to take (probabilities summing to 1)."""

    substitute: Prob = Field(0.0, description="takes a similar SKU of the same category, if there is one")
    other_store: Prob = Field(0.0, description="gets it at another store that has it (their own effort)")
    wait: Prob = Field(0.0, description="accepts delivery later or a backorder, where the retailer offers one")
    drop_item: Prob = Field(1.0, description="buys the rest without it")
    drop_basket: Prob = Field(0.0, description="leaves without buying anything")

    @model_validator(mode="after")
    def _sum(self) -> Reaction:
        _check_shares(self.model_dump(), "stockout_reaction")
        return self


class AfterSale(Model):
    """Loyalty: the chance of coming back for another purchase within the horizon, by how the last one went
    (promoter: nothing went wrong; passive: one thing did; detractor: more, or nothing bought)."""

    repeat_promoter: Prob = Field(0.0, description="chance of a repeat journey after a faultless purchase")
    repeat_passive: Prob = Field(0.0, description="... after a purchase with one problem (wait, stockout, late)")
    repeat_detractor: Prob = Field(0.0, description="... after two problems or more")
    repeat_after_days: float = Field(14.0, ge=0.1, le=MAX_DAYS, description="mean time to the repeat journey, days "
                                                                           "(exponential); 0.1 to 36,500")
    return_store: Prob = Field(0.0, description="chance that an order line bought in store is returned (times "
                                                "fulfilment.return_category_factor of its category)")
    return_online: Prob = Field(0.0, description="the same for a line bought online or by phone")
    return_after_days: float = Field(7.0, gt=0, le=MAX_DAYS, description="mean time from order to return, days "
                                                                        "(exponential); at most 36,500")
    review_prob: Prob = Field(0.0, description="chance that a rated customer writes a public review")
    promoter_prob: Prob = Field(1.0, description="chance that a customer for whom nothing went wrong recommends "
                                                 "the retailer (a promoter); the others are passives")
    detractor_prob: Prob = Field(0.0, description="chance that a customer for whom nothing the model sees went wrong is "
                                                  "still unhappy (product, fit, price): a detractor; at most "
                                                  "1 - promoter_prob")

    @model_validator(mode="after")
    def _grades(self) -> AfterSale:
        if self.promoter_prob + self.detractor_prob > 1 + 1e-9:
            raise ValueError(f"promoter_prob + detractor_prob must be at most 1 (got {self.promoter_prob:g} + "
                             f"{self.detractor_prob:g})")
        return self


class PriceReaction(Model):
    """What a customer does at checkout when a channel they researched showed the basket cheaper (probabilities
    summing to 1)."""

    accept: Prob = Field(1.0, description="pays the price of the channel they buy in")
    switch: Prob = Field(0.0, description="buys in the cheaper channel instead")
    haggle: Prob = Field(0.0, description="asks the staff (store) or the agent (phone) to match it: extra minutes, "
                                          "pays the lower price; online, where nobody can match, accepts")
    leave: Prob = Field(0.0, description="leaves without buying")

    @model_validator(mode="after")
    def _sum(self) -> PriceReaction:
        _check_shares(self.model_dump(), "price_reaction")
        return self


class SegmentMarketing(Model):
    """How a segment answers the retailer's marketing (reminders, chatbot, prices that differ by channel)."""

    cart_abandon_prob: Prob = Field(
        0.0, description="an online buyer leaves the cart at checkout for reasons outside the model (extra costs, "
                         "an account to create, distraction): a cart a reminder can bring back")
    reminder_return_prob: Prob = Field(
        0.0, description="a customer who abandoned an online cart comes back to it after a reminder (where the "
                         "setup sends reminders)")
    chatbot_containment: Prob = Field(
        0.0, description="service contacts the chatbot answers without an agent (where the setup has one)")
    chatbot_failure: Prob = Field(
        0.0, description="of the contacts the chatbot answers, those answered badly: one problem in the rating")
    price_reaction: PriceReaction = Field(PriceReaction(), description="what the segment does when another "
                                                                         "channel showed the basket cheaper")
    haggle_min: NonNeg = Field(2.0, description="extra minutes at the till or on the phone to match a price")


class Segment(Model):
    name: str = Field(description="the segment's name, unique among the segments (offers target segments by it)")
    share: Prob = Field(description="share of customers (all segments sum to 1)")
    hourly_profile: list[float] | None = Field(
        None, description="24 relative weights of journey starts by hour; null = flat over 24 h")
    weekly_profile: list[float] | None = Field(
        None, description="7 weights Monday..Sunday for this segment; null = the scenario's weekly_profile")
    price_sensitivity: NonNeg = Field(
        0.0, description="price elasticity of SKU choice: weight ~ popularity x (price / median)^-sensitivity")
    channels: dict[str, Prob] = Field(description="purchase channel shares: 'store', 'call_centre' or a selling touchpoint")
    journey: Journey = Field(Journey(), description="research before the purchase")
    basket: Basket = Field(Basket(), description="size of a basket")
    store_patience_min: Dist | None = Field(None, description="longest tolerated queue wait in store; null = infinite")
    call_patience_min: Dist | None = Field(None, description="longest tolerated call wait; null = infinite")
    click_collect_share: Prob = Field(0.0, description="online buyers preferring click & collect when offered")
    pickup_point_share: Prob = Field(0.0, description="online buyers preferring delivery to a pickup point "
                                                      "(offered in every setup; with click_collect_share <= 1)")
    stockout_reaction: Reaction = Field(Reaction(), description="what a customer does about a missing item")
    restart_abandon_prob: Prob = Field(
        0.0, description="a customer whose cart is lost on a channel switch gives up instead of starting over")
    recommendation_accept: Prob = Field(
        0.0, description="chance that a personalised recommendation adds a line; with the unified customer record "
                         "each channel the journey used shows one")
    stock_view_to_store_prob: Prob = Field(
        0.0, description="where the web shows store stock (visibility stale or live): a customer who researched "
                         "online and meant to buy online goes to buy in their store instead when the view shows "
                         "it holds their whole basket; 0 = the view changes nothing")
    stock_view_skip_trip_prob: Prob = Field(
        0.0, description="where the web shows store stock (visibility stale or live): a customer who researched "
                         "online and meant to buy in store orders online instead when the view shows their store "
                         "lacks an item of their basket; 0 = the view changes nothing")
    after_sale: AfterSale = Field(AfterSale(), description="repeat purchases, returns and reviews")
    marketing: SegmentMarketing = Field(SegmentMarketing(), description="how the segment answers the retailer's "
                                                                        "marketing")

    @field_validator("channels")
    @classmethod
    def _sum(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v, "channels")

    @model_validator(mode="before")
    @classmethod
    def _accept_delivery(cls, v: Any) -> Any:
        # shorthand: ``accept_delivery_prob: p`` is ``stockout_reaction: {wait: p, drop_item: 1 - p}``
        if isinstance(v, dict) and "accept_delivery_prob" in v:
            v = dict(v)
            p = v.pop("accept_delivery_prob")
            if "stockout_reaction" in v:
                raise ValueError("give accept_delivery_prob or stockout_reaction, not both")
            if isinstance(p, int | float) and 0 <= p <= 1:
                v["stockout_reaction"] = {"wait": p, "drop_item": 1 - p}
            else:
                raise ValueError(f"accept_delivery_prob must be a probability between 0 and 1 (got {p!r})")
        return v

    @field_validator("hourly_profile")
    @classmethod
    def _hours(cls, v: list[float] | None) -> list[float] | None:
        return None if v is None else _profile(v, 24, "hourly_profile")

    @model_validator(mode="after")
    def _delivery(self) -> Segment:
        if self.click_collect_share + self.pickup_point_share > 1 + PROB_TOL:
            raise ValueError("click_collect_share + pickup_point_share must not exceed 1 (got "
                             f"{self.click_collect_share + self.pickup_point_share:.6g})")
        return self

    @field_validator("weekly_profile")
    @classmethod
    def _week(cls, v: list[float] | None) -> list[float] | None:
        return None if v is None else _profile(v, 7, "weekly_profile")


class Fulfilment(Model):
    home_delivery_days: Dist = Field(Dist(dist="gamma", mean=2.0, cv=0.4), description="carrier time, days")
    home_promise_days: float = Field(3.0, gt=0, le=MAX_DAYS, description="promised delivery time, days")
    home_cost: NonNeg = Field(6.0, description="cost per home delivery, currency")
    collect_promise_days: float = Field(3.0, gt=0, le=MAX_DAYS, description="click & collect from warehouse "
                                                                           "promise, days")
    collect_cost: NonNeg = Field(3.0, description="cost per click & collect order from the warehouse")
    store_collect_promise_min: float = Field(120, gt=0, le=MAX_MIN, description="pickup from store stock ready "
                                                                               "within, minutes; at most a year")
    store_collect_cost: NonNeg = Field(1.0, description="cost per click & collect order from store stock")
    pick_time_min: Dist = Field(Dist(dist="gamma", mean=6.0, cv=0.3), description="store staff time to pick one order")
    staff_cost_per_hour: float = Field(
        25.0, ge=0, le=10_000, description="loaded cost of an hour of store staff (wages and employer contributions): "
        "prices the minutes staff spend picking online orders in store (KPI staff_cost, out of the payback's "
        "operating margin; not in the parcel costs); 0 leaves them unpriced; default from INSEE's labour cost "
        "survey 2020 (23.8 EUR an hour in low-wage accommodation and food, 38.7 on average), to be replaced by the "
        "retailer's payroll; at most 10,000")
    # 0.25: the middle of the textbook range of 20-30 % a year (capital, storage, insurance, shrinkage and
    # obsolescence); practitioner glossaries quote 20-40 % (sig.org "Inventory Holding (Carrying) Cost"), a
    # management-accounting text "unlikely to fall below 25 per cent and could reach 35 per cent". Checked with
    # the search tool (pages corpus), 2025.
    carrying_cost_rate: float = Field(
        0.25, ge=0, le=10, description="yearly cost of holding stock, a share of its value at unit cost (capital, "
        "storage, insurance, shrinkage, obsolescence): prices the stock on hand (KPI carrying_cost = rate x mean "
        "stock value at cost x measured days / 365, out of the payback's operating margin), so a setup that holds "
        "more stock pays for it; default 0.25, the middle of the textbook range of 20-30 % a year (practitioner "
        "glossaries quote 20-40 %), to be replaced by the retailer's own; 0 leaves stock unpriced; at most 10")
    ship_from_store_days: Dist = Field(Dist(dist="gamma", mean=1.5, cv=0.4), description="carrier time, days")
    ship_from_store_cost: NonNeg = Field(8.0, description="cost per ship-from-store parcel")
    pickup_point_days: Dist = Field(Dist(dist="gamma", mean=2.5, cv=0.4), description="carrier time to a "
                                                                                    "pickup point, days")
    pickup_point_promise_days: float = Field(4.0, gt=0, le=MAX_DAYS, description="promised time to a pickup point, "
                                                                                "days")
    pickup_point_cost: NonNeg = Field(3.5, description="cost per parcel to a pickup point")
    transfer_days: Dist = Field(Dist(dist="gamma", mean=1.0, cv=0.4), description="store-to-store transfer, days")
    transfer_promise_days: float = Field(2.0, gt=0, le=MAX_DAYS, description="promised time for a transfer to be "
                                                                            "collected, days")
    transfer_cost: NonNeg = Field(4.0, description="cost per store-to-store transfer")
    cost_per_km: NonNeg = Field(0.0, description="carrier cost per km from the shipping node to the customer's "
                                                 "store area, added to every parcel")
    routing: Literal["warehouse_first", "most_stock", "nearest", "cheapest"] = Field(
        "warehouse_first", description="which node serves an online order from the shared pool: the warehouse if "
        "it can, else the store with most stock; the store with most stock; the nearest node; the cheapest node "
        "(cost per parcel + cost_per_km x distance)")
    pickup_extra_purchase_prob: Prob = Field(0.0, description="chance that a customer collecting an order in "
                                                              "store buys one more item there")
    return_category_factor: dict[str, NonNeg] = Field(
        default_factory=dict, description="per catalogue category, multiplies the segments' return chances "
                                          "(per order line); categories not named use 1")
    return_writeoff_share: Prob = Field(0.0, description="share of returned units that cannot be sold again")
    sync_interval_min: float = Field(240, ge=1, le=MAX_MIN, description="stale stock sync period in cross-channel, "
                                                                       "minutes; 1 to 525,600 (a year)")
    cart_friction: Prob = Field(0.3, description="cross-channel: chance the cart does not survive a channel switch")
    store_wait_target_min: float = Field(5.0, ge=0, le=1_440, description="store service-level target wait, minutes;"
                                                                        " at most a day")
    return_handling_days: NonNeg = Field(1.0, description="returned units back in sellable stock after, days")


class SetupSpec(Model):
    """A named bundle of capability switches: ``base`` names a built-in setup, other fields override it."""

    base: Literal["multichannel", "cross-channel", "omnichannel"] = Field(
        "omnichannel", description="the built-in setup whose switches the other fields adjust")
    shared_stock: bool | None = None
    visibility: Literal["own", "stale", "live"] | None = None
    cart_continuity: Literal["none", "friction", "full"] | None = None
    click_collect: bool | None = None
    store_pickup: bool | None = None
    ship_from_store: bool | None = None
    endless_aisle: bool | None = None
    customer_data: bool | None = None
    personalisation: bool | None = None
    return_anywhere: bool | None = None
    transfers: bool | None = None
    cart_reminders: bool | None = None
    chatbot: bool | None = None
    unified_pricing: bool | None = None
    clienteling: bool | None = None


class Promotion(Model):
    """A promotion: a traffic peak, and/or a discount on some SKUs in some channels for a window of days."""

    name: str = Field("", description="a label for tables and charts")
    start_day: float = Field(ge=0, le=MAX_DAYS, description="first day of the promotion (0 = first simulated day)")
    days: float = Field(gt=0, le=MAX_DAYS, description="length, days; at most 36,500")
    traffic_uplift: float = Field(1.0, gt=0, le=100, description="multiplies journeys started per day while it runs;"
                                                                    " at most 100")
    pull_forward: Prob = Field(
        0.0, description="share of the extra journeys taken from the same number of days after it (customers "
                         "who bought earlier than they would have)")
    discount: float = Field(0.0, ge=0, lt=1, description="price cut on the SKUs in scope, a share of the price")
    basket_uplift: float = Field(1.0, ge=1, le=100, description="multiplies the units of a basket line in scope; 1 "
                                                                   "to 100")
    channels: list[str] | None = Field(None, description="purchase channels in scope; null = every channel "
                                                         "(under unified pricing, every channel anyway)")
    categories: list[str] | None = Field(None, description="categories in scope; null = every category")
    skus: list[str] | None = Field(None, description="SKU ids in scope (with categories: either); null = no list")

    @property
    def prices(self) -> bool:
        """Whether the promotion changes prices or baskets (not only traffic)."""
        return self.discount > 0 or self.basket_uplift > 1


class Chatbot(Model):
    handle_time_min: Dist = Field(Dist(mean=3.0), description="minutes a customer spends with the chatbot")


class Offer(Model):
    """A targeted offer campaign, sent where the setup has the customer record and personalisation: every
    ``every_days`` from ``start_day`` to ``recipients`` known customers of a segment (or to those who recently had
    a bad experience), each of whom comes to buy with chance ``uptake`` and gets ``discount`` off their basket."""

    name: str = Field("", description="a label for tables and charts")
    segment: str | None = Field(None, description="segment targeted; null = every segment")
    audience: Literal["segment", "lapsed"] = Field(
        "segment", description="'segment': known customers of the segment; 'lapsed': those rated detractors "
                               "(two problems or more, or nothing bought) within the last lapsed_days")
    lapsed_days: float = Field(30.0, gt=0, le=MAX_DAYS, description="how recent a bad experience makes a customer "
                                                                   "'lapsed'")
    start_day: float = Field(0.0, ge=0, le=MAX_DAYS, description="first campaign, day")
    every_days: float = Field(7.0, ge=0.1, le=MAX_DAYS, description="days between campaigns; 0.1 to 36,500")
    recipients: int = Field(ge=0, le=10_000_000, description="customers reached per campaign (at most those "
                                                             "lapsed, for that audience)")
    uptake: Prob = Field(description="chance that a recipient comes to buy (a journey like their last one)")
    discount: float = Field(0.0, ge=0, lt=1, description="share off the basket of a customer who comes")
    cost_per_offer: NonNeg = Field(0.0, description="sending cost per recipient (e-mail, SMS, print), currency")


class Marketing(Model):
    """The retailer's marketing levers; what each segment does about them is in ``segments.*.marketing``."""

    reminder_delay_hours: Dist = Field(
        Dist(mean=4.0), description="hours from an abandoned cart to the customer's return after a reminder")
    chatbot: Chatbot = Field(Chatbot(), description="the chatbot, where the setup has one")
    channel_price_index: dict[str, float] = Field(
        default_factory=dict, description="price of each purchase channel relative to the catalogue price "
                                          "(1 = catalogue; missing channels: 1); ignored under unified pricing")
    price_gap_noticed: Prob = Field(
        0.02, description="a price gap between channels smaller than this share of the basket goes unnoticed")
    offers: list[Offer] = Field(default_factory=list, description="targeted offer campaigns (need customer data "
                                                                  "and personalisation)")

    @field_validator("channel_price_index")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for ch, x in v.items():
            if not (isinstance(x, int | float) and math.isfinite(x) and 0 < x <= 10):
                raise ValueError(f"{ch}: a price index must be a number in (0, 10] (got {x!r})")
        return v


class Browsing(Model):
    """Visitors who leave without buying: what a door counter and web analytics add to the customers set on
    buying (each of whom is a journey). Counted per day, not simulated one by one: they take no staff, till,
    stock or basket (a limit), and serve footfall and session conversion (`store_conversion_rate`,
    `session_conversion_rate`)."""

    store_visits_per_day: float = Field(
        0.0, ge=0, le=1e8, description="people a day, over the whole chain, who enter a store and leave without "
                                       "buying (the door counter's count beyond the journeys' visits), spread over "
                                       "the stores by traffic_weight and over the days like the customers (weekly "
                                       "profiles, promotions' traffic uplift); at most 1e8")
    sessions_per_day: dict[str, float] = Field(
        default_factory=dict, description="sessions a day on each digital selling touchpoint (touchpoints with "
                                          "sells: true), by name, that end without an order, beyond the journeys' "
                                          "own visits; missing touchpoints: 0; each at most 1e8")

    @field_validator("sessions_per_day")
    @classmethod
    def _sessions(cls, v: dict[str, float]) -> dict[str, float]:
        for name, x in v.items():
            if not (isinstance(x, int | float) and math.isfinite(x) and 0 <= x <= 1e8):
                raise ValueError(f"{name}: sessions a day must be a number from 0 to 1e8 (got {x!r})")
        return v


class EvidenceRange(Model):
    """A scenario's own plausible range for one parameter of the evidence register (a client's measurement, a
    study of its market), with its source: it replaces the register's range in assumption runs and cautions."""

    low: Prob = Field(description="lowest plausible value, in the register entry's unit (all are shares, 0 to 1)")
    high: Prob = Field(description="highest plausible value")
    source: str = Field(min_length=1, description="where the range comes from (every number has its evidence)")
    kind: Literal[KINDS] = Field(description=f"the kind of evidence; one of: {', '.join(KINDS)}")  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _order(self) -> EvidenceRange:
        if self.low > self.high:
            raise ValueError(f"low must not exceed high (got {self.low:g} and {self.high:g})")
        return self


# --------------------------------------------------------------------------------------------- costs
COST_SYSTEMS = ("crm", "pim", "oms")
"""The IT systems a setup's capabilities need (sim/outputs/roi.py SYSTEM_NEEDS says which switch needs which)."""


class CostRange(Model):
    """A range of euros, ``{low, high}``; a plain number is a range of one value."""

    low: float = Field(0.0, ge=0, le=BIG, description="lowest plausible amount, euros; at most 1e9")
    high: float = Field(0.0, ge=0, le=BIG, description="highest plausible amount, euros; at most 1e9")

    @model_validator(mode="before")
    @classmethod
    def _plain_number(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return {"low": v, "high": v}
        return v

    @model_validator(mode="after")
    def _order(self) -> CostRange:
        if self.low > self.high:
            raise ValueError(f"low must not exceed high (got {self.low:g} and {self.high:g})")
        return self


class ShareRange(Model):
    """A range of shares of the systems' one-off cost, ``{low, high}`` in 0-1."""

    low: Prob = Field(description="lowest plausible share (0 to 1)")
    high: Prob = Field(description="highest plausible share (0 to 1)")

    @model_validator(mode="after")
    def _order(self) -> ShareRange:
        if self.low > self.high:
            raise ValueError(f"low must not exceed high (got {self.low:g} and {self.high:g})")
        return self


class OneOffCost(Model):
    fixed: CostRange = Field(CostRange(), description="one-off amount for the whole chain, euros")
    per_store: CostRange = Field(CostRange(), description="one-off amount per store (devices, training), euros")


class RunningCost(Model):
    per_year: CostRange = Field(CostRange(), description="running amount a year for the whole chain (licences, "
                                                         "hosting, upkeep), euros")
    per_store_per_year: CostRange = Field(CostRange(), description="running amount a year per store, euros")
    per_order: CostRange = Field(CostRange(), description="running amount per order of the setup (all channels; "
                                                          "transaction fees), euros")


class CostItem(Model):
    """One cost of adopting a setup's systems: paid when the setup needs one of ``systems`` that its baseline lacks
    (``any``: whenever it needs at least one, e.g. change management and training). Costs are not simulated: they
    are set against the margin gain in the payback (sim/outputs/roi.py)."""

    label: str = Field("", description="what the item is, for people (default: its name)")
    systems: list[str] | Literal["any"] = Field(
        description=f"systems whose adoption pays this item: a list of {', '.join(COST_SYSTEMS)}, or 'any' (paid "
                    "whenever the setup needs at least one new system)")
    one_off: OneOffCost = Field(OneOffCost(), description="one-off costs at go-live")
    share_of_systems: ShareRange | None = Field(
        None, description="one-off amount as a share of the one-off cost of the other items paid (change management: "
                          "about 10 % of the project); null = none")
    running: RunningCost = Field(RunningCost(), description="running costs from go-live")
    source: str = Field(min_length=1, description="where the figures come from (every number has its evidence)")
    kind: Literal[KINDS] = Field(description=f"the kind of evidence; one of: {', '.join(KINDS)}")  # type: ignore[valid-type]

    @field_validator("systems", mode="before")
    @classmethod
    def _systems(cls, v: Any) -> Any:
        if v == "any":
            return v
        if not isinstance(v, list) or not v or any(s not in COST_SYSTEMS for s in v):
            raise ValueError(f"expected 'any' or a non-empty list of {', '.join(COST_SYSTEMS)}")
        return v


class ChannelMix(Model):
    """Levers on the purchase channels of every segment at once (sim/scenario/channel_mix.py)."""

    online_share: Prob | None = Field(
        None, description="share of orders expected online (every purchase channel but the store: web, app, "
        "marketplace, call centre), from the segments' shares and channels; set, every segment's odds of buying "
        "online are scaled by one factor to hit it, its online channels keeping their relative weights and the "
        "store taking the rest (touchpoint mixes untouched); null = the segments' channels as written")

    @field_validator("online_share", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("must be a share between 0 and 1, not true/false")
        return v


class Scenario(Model):
    name: str = Field(description="the scenario's name, shown in reports")
    description: str = Field("", description="free text for readers")
    sector: Literal["fashion", "electronics", "grocery", "general"] = Field(
        "general", description="retail sector: which operating benchmarks apply (sim/scenario/benchmarks.py)")
    benchmark_exceptions: dict[str, str] = Field(
        default_factory=dict, description="benchmarks this scenario's baseline is meant to breach, by KPI name, "
                                          "with the reason (e.g. a peak day): reported, not failed")
    horizon_days: float = Field(gt=0, le=MAX_DAYS, description="simulated days; at most 36,500 (100 years)")
    warmup_days: float = Field(0.0, ge=0, le=MAX_DAYS, description="days simulated but not measured, within "
                                                                   "horizon_days (the library's are fitted by "
                                                                   "omnisim warmup)")
    customers_per_day: float = Field(ge=0, le=10_000_000, description="journeys started per day, all segments; at "
                                                                        "most 10,000,000 (the largest chains serve a "
                                                                        "few million a day)")
    weekly_profile: list[float] | None = Field(None, description="7 weights Monday..Sunday; null = flat")
    promotions: list[Promotion] = Field(default_factory=list, description="traffic peaks (sales, Black Friday) "
                                                                        "and discounts by channel and category")
    marketing: Marketing = Field(Marketing(), description="the retailer's marketing levers")
    catalogue: Catalogue = Field(description="the SKUs sold: a list, or parameters to generate them")
    stores: list[Store] = Field(default_factory=list, max_length=100_000, description="the stores; at most "
                                                                                          "100,000")
    warehouse: Warehouse | None = Field(None, description="the warehouse that serves online orders; needed by "
                                                          "online channels")
    call_centre: CallCentre | None = Field(None, description="the call centre; null = none")
    touchpoints: dict[str, Touchpoint] = Field(default_factory=dict, description="digital and other research "
                                                                                 "touchpoints, by name")
    segments: list[Segment] = Field(min_length=1, description="customer segments (shares sum to 1)")
    fulfilment: Fulfilment = Field(Fulfilment(), description="delivery, collection, returns and stock sync")
    setups: dict[str, SetupSpec] = Field(default_factory=dict, description="custom or adjusted setups")
    supplier: Supplier = Field(Supplier(), description="the supplier all replenishment orders go to")
    browsing: Browsing = Field(Browsing(), description="visitors and sessions that end without a purchase "
                                                       "(footfall and session conversion); none by default")
    channel_mix: ChannelMix = Field(ChannelMix(), description="levers on every segment's purchase channels at once")
    evidence: dict[str, EvidenceRange] = Field(
        default_factory=dict, description="the scenario's own plausible ranges for parameters of the evidence "
                                          "register (docs/reference/evidence-register.md), by path, each with its "
                                          "source")
    costs: dict[str, CostItem] | None = Field(
        None, max_length=1000, description="what adopting the setups' systems costs this chain, by item name "
                                           "(one-off, running, per store, per order; ranges with their source); null "
                                           "= the market studies' small-firm table (sim/outputs/roi.py); not "
                                           "simulated, set against the margin gain in the payback")

    @field_validator("weekly_profile")
    @classmethod
    def _week(cls, v: list[float] | None) -> list[float] | None:
        return None if v is None else _profile(v, 7, "weekly_profile")

    def reference_problems(self) -> list[str]:
        """Problems that involve several fields (names that must exist elsewhere), one line each."""
        return list(self._reference_problems())

    def _reference_problems(self) -> Iterator[str]:
        if self.warmup_days >= self.horizon_days:
            yield (f"warmup_days: must be shorter than horizon_days (got {self.warmup_days:g} and "
                   f"{self.horizon_days:g}); the horizon includes the warm-up: to measure D days give horizon_days "
                   f"{self.warmup_days:g} + D, or set warmup_days too")
        total = sum(s.share for s in self.segments)
        if abs(total - 1) > PROB_TOL:
            yield f"segments.*.share: shares must sum to 1 (got {total:.6g})"
        if twice := _repeated(s.name for s in self.stores):
            yield f"stores: store names must be unique; given more than once: {', '.join(map(repr, twice))}"
        if twice := _repeated(s.name for s in self.segments):
            yield f"segments: segment names must be unique; given more than once: {', '.join(map(repr, twice))}"
        for i, seg in enumerate(self.segments):
            yield from self._segment_problems(i, seg)
        yield from self._return_problems()
        yield from self._category_problems()
        yield from self._marketing_problems()
        yield from self._browsing_problems()
        register = [e.path for e in REGISTER]
        for path in self.evidence:
            if path not in register:
                yield f"evidence.{path}: not a parameter of the evidence register; allowed: {', '.join(register)}"
        judged = sorted({b.kpi for b in applicable(self.sector)})
        for kpi in self.benchmark_exceptions:
            if kpi not in judged:
                yield f"benchmark_exceptions.{kpi}: no benchmark of sector {self.sector!r} has this KPI; allowed: {judged}"
        yield from cost_problems(self.costs)

    def _browsing_problems(self) -> Iterator[str]:
        """Non-buying sessions only on digital selling touchpoints; non-buying store visitors only with stores."""
        selling = [k for k, t in self.touchpoints.items() if t.sells]
        for name in self.browsing.sessions_per_day:
            if name not in selling:
                yield (f"browsing.sessions_per_day.{name}: not a digital selling touchpoint (sells: true); "
                       f"allowed: {selling}")
        if self.browsing.store_visits_per_day > 0 and not self.stores:
            yield "browsing.store_visits_per_day: the scenario has no stores; allowed: 0"

    def categories(self) -> list[str]:
        """The catalogue's category names, in first-seen order."""
        if self.catalogue.skus is not None:
            return list(dict.fromkeys(s.category for s in self.catalogue.skus))
        assert self.catalogue.generator is not None
        return list(dict.fromkeys(self.catalogue.generator.categories))

    def _return_problems(self) -> Iterator[str]:
        cats = self.categories()
        factors = self.fulfilment.return_category_factor
        for cat, f in factors.items():
            if cat not in cats:
                yield f"fulfilment.return_category_factor.{cat}: unknown category; allowed: {cats}"
                continue
            for i, seg in enumerate(self.segments):
                worst = max(seg.after_sale.return_store, seg.after_sale.return_online) * f
                if worst > 1:
                    yield (f"fulfilment.return_category_factor.{cat}: {f:g} makes segments.{i}'s return chance "
                           f"{worst:.3g}, above 1")

    def _marketing_problems(self) -> Iterator[str]:
        """Channels, categories and SKUs named by the marketing levers must exist."""
        selling = [k for k, t in self.touchpoints.items() if t.sells]
        channels = ([CHANNEL_STORE] if self.stores else []) + selling + ([CHANNEL_CALL] if self.call_centre else [])
        for ch in self.marketing.channel_price_index:
            if ch not in channels:
                yield f"marketing.channel_price_index.{ch}: unknown purchase channel; allowed: {channels}"
        segments = [s.name for s in self.segments]
        for i, o in enumerate(self.marketing.offers):
            if o.segment is not None and o.segment not in segments:
                yield f"marketing.offers.{i}.segment: unknown segment {o.segment!r}; allowed: {segments}"
        yield from self._promotion_problems(channels)

    def _promotion_problems(self, channels: list[str]) -> Iterator[str]:
        """Each promotion's channels, categories and SKUs must exist."""
        cats = self.categories()
        if self.catalogue.skus is not None:
            skus = [s.id for s in self.catalogue.skus]
        else:  # the generator's ids (sim/core/catalogue.py)
            assert self.catalogue.generator is not None
            skus = [f"SKU{i:04d}" for i in range(self.catalogue.generator.n_skus)]
        for i, p in enumerate(self.promotions):
            for ch in p.channels or []:
                if ch not in channels:
                    yield f"promotions.{i}.channels: unknown purchase channel {ch!r}; allowed: {channels}"
            for cat in p.categories or []:
                if cat not in cats:
                    yield f"promotions.{i}.categories: unknown category {cat!r}; allowed: {cats}"
            for sku in p.skus or []:
                if sku not in skus:
                    yield f"promotions.{i}.skus: unknown SKU {sku!r} (ids like {skus[0]!r})"

    def _category_problems(self) -> Iterator[str]:
        """Each ``by_category`` key must name a catalogue category."""
        known = sorted(self.categories())
        nodes = [(f"stores.{i}.replenishment", s.replenishment) for i, s in enumerate(self.stores)]
        if self.warehouse is not None:
            nodes.append(("warehouse.replenishment", self.warehouse.replenishment))
        for where, repl in nodes:
            for name in repl.by_category:
                if name not in known:
                    yield f"{where}.by_category.{name}: unknown category; allowed: {known}"

    def _segment_problems(self, i: int, seg: Segment) -> Iterator[str]:
        selling = {k for k, t in self.touchpoints.items() if t.sells}
        channels = selling | {CHANNEL_STORE, CHANNEL_CALL}
        research = set(self.touchpoints) | {CHANNEL_STORE, CHANNEL_CALL}
        for ch in seg.channels:
            if ch not in channels:
                yield f"segments.{i}.channels.{ch}: unknown purchase channel; allowed: {sorted(channels)}"
        for tp in seg.journey.touchpoint_mix:
            if tp not in research:
                yield f"segments.{i}.journey.touchpoint_mix.{tp}: unknown touchpoint; allowed: {sorted(research)}"
        if seg.journey.chain is not None:
            yield from _chain_problems(f"segments.{i}.journey.chain", seg.journey.chain, research)
        uses = set(seg.channels) | set(seg.journey.touchpoint_mix)
        if CHANNEL_STORE in uses and not self.stores:
            yield f"segments.{i}: uses 'store' but the scenario has no stores"
        if CHANNEL_CALL in uses and self.call_centre is None:
            yield f"segments.{i}: uses 'call_centre' but the scenario has no call_centre"
        if set(seg.channels) - {CHANNEL_STORE} and self.warehouse is None:
            yield f"segments.{i}.channels: online channels need a warehouse"


def _chain_problems(where: str, chain: Chain, research: set[str]) -> Iterator[str]:
    ends = {DECIDE, DROP}
    for tp in chain.start:
        if tp not in research | {DECIDE}:
            yield f"{where}.start.{tp}: unknown touchpoint; allowed: {sorted(research | {DECIDE})}"
    for tp, row in chain.transitions.items():
        if tp not in research:
            yield f"{where}.transitions.{tp}: unknown touchpoint; allowed: {sorted(research)}"
        for nxt in row:
            if nxt not in research | ends:
                yield f"{where}.transitions.{tp}.{nxt}: unknown state; allowed: {sorted(research | ends)}"
    reached = (set(chain.start) | {n for row in chain.transitions.values() for n in row}) - ends
    for tp in sorted(reached - set(chain.transitions)):
        yield f"{where}.transitions: no row for '{tp}', which the chain can reach"
    # every touchpoint must be able to end the journey, or a customer could wander for ever
    can_end = {tp for tp, row in chain.transitions.items() if any(row.get(e, 0) > 0 for e in ends)}
    grew = True
    while grew:
        more = {tp for tp, row in chain.transitions.items() if any(row.get(n, 0) > 0 for n in can_end)}
        grew = not more <= can_end
        can_end |= more
    for tp in sorted(set(chain.transitions) - can_end):
        yield f"{where}.transitions.{tp}: journeys from here never reach 'decide' or 'drop'"


def cost_problems(costs: Mapping[str, CostItem] | None, where: str = "costs") -> Iterator[str]:
    """A cost table must price every system (an item for each of crm, pim, oms; 0 when it costs nothing)."""
    if not costs:
        return
    priced = {s for item in costs.values() if item.systems != "any" for s in item.systems}
    for system in COST_SYSTEMS:
        if system not in priced:
            yield (f"{where}: no item is paid for {system}; give every system of {', '.join(COST_SYSTEMS)} an item "
                   "(a range of 0 when it costs this chain nothing)")


# --------------------------------------------------------------------------------------------- loading
_BOUND_WORDS = {"less_than_equal": "must be at most", "less_than": "must be below",
                "greater_than_equal": "must be at least", "greater_than": "must be above"}


def format_error(err: Mapping[str, Any]) -> str:
    """One line for one pydantic error: the field path, then what is allowed (and what was given)."""
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{loc}: required field is missing"
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown field (check the spelling)"
    if err["type"] == "finite_number":
        return f"{loc}: must be a finite number, not infinity or NaN (got {err.get('input')!r})"
    bound = _BOUND_WORDS.get(err["type"])
    if bound is not None:
        limit = next(iter((err.get("ctx") or {}).values()), None)
        if isinstance(limit, int | float):
            msg = f"{bound} {int(limit):,}" if float(limit).is_integer() else f"{bound} {limit:g}"
    shown = err.get("input")
    if isinstance(shown, dict | list):
        return f"{loc}: {msg}"
    return f"{loc}: {msg} (got {shown!r})"


def _set_path(data: Any, dotted: str, value: Any) -> None:
    """Set ``value`` at a dotted path of plain data; ``*`` stands for every item of a list (or every key of a
    mapping) at that level, as the scenario reference names fields (``stores.*.staff``)."""
    _set_parts(data, dotted.split("."), 0, value)


def _set_parts(node: Any, parts: list[str], i: int, value: Any) -> None:
    part, last = parts[i], i == len(parts) - 1
    where = ".".join(parts[: i + 1])
    if part == "*" and isinstance(node, list | dict):
        keys = range(len(node)) if isinstance(node, list) else list(node)
        if not keys:
            raise ScenarioError([f"{where}: the {'list' if isinstance(node, list) else 'mapping'} is empty, so "
                                 f"'*' names nothing"])
        for key in keys:
            if last:
                node[key] = copy.deepcopy(value)
            else:
                _set_parts(node[key], parts, i + 1, value)
    elif isinstance(node, list):
        if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
            raise ScenarioError([f"{where}: no such list index (the list has {len(node)} items; '*' for all)"])
        if last:
            node[int(part)] = value
        else:
            _set_parts(node[int(part)], parts, i + 1, value)
    elif isinstance(node, dict):
        if last:
            node[part] = value
        else:
            if part not in node or node[part] is None:
                node[part] = {}
            _set_parts(node[part], parts, i + 1, value)
    else:
        raise ScenarioError([f"{where}: cannot set a field inside a {type(node).__name__}"])


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``dotted.path=value`` (value read as a YAML scalar or list) into ``(path, value)``."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([f"--set {text!r}: expected KEY=VALUE, e.g. stores.0.staff=4"])
    return key.strip(), load_yaml(raw, f"--set {key.strip()}", ScenarioError)


def scenario_from_dict(data: Any, overrides: dict[str, Any] | None = None) -> Scenario:
    """Validate a raw mapping (as read from YAML) after applying dotted-path ``overrides``.

    The same checks as ``sim.load_scenario`` without the file, for a scenario built or edited in code (a notebook,
    a test, the dashboard): every field against its type and allowed range (``docs/reference/scenario-fields.md``), the
    references between fields (store names, setups) and the channel-mix lever, which rescales the segments'
    purchase channels when ``channel_mix.online_share`` is set. ``data`` is copied first and left unchanged.

    Parameters
    ----------
    data : dict
        The scenario's fields as plain data: what ``yaml.safe_load`` gives for a scenario file, or a scenario's
        ``model_dump(mode="json")``. Values are in each field's own unit (days, per day, share 0–1, euros...).
    overrides : dict of str to object, optional
        Dotted paths to values, set on the copy before validation as ``omnisim --set`` does:
        ``{"stores.0.staff": 4}``, ``{"stores.*.staff": 3}`` (``*``: every item of a list), ``{"horizon_days": 18}``.
        Default None: ``data`` as it is.

    Returns
    -------
    Scenario
        The validated scenario (``sim.scenario.schema.Scenario``, an immutable pydantic model): what ``sim.run``,
        ``sim.compare`` and the other functions take.

    Raises
    ------
    ScenarioError
        One line per problem, each naming its field path: ``data`` is not a mapping, a field is unknown, missing,
        of the wrong type or outside its range, an override names a list index or field that does not exist, a
        channel-mix target the segments cannot reach.

    See Also
    --------
    - ``sim.load_scenario`` : the same from a YAML file.

    Examples
    --------
    ```python
    import yaml

    import sim

    with open("scenarios/default.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["customers_per_day"] = 900  # plain data, edited in code
    sc = sim.scenario_from_dict(data, overrides={"stores.*.staff": 3})
    print(sc.customers_per_day, [store.staff for store in sc.stores])
    ```
    """
    if not isinstance(data, dict):
        raise ScenarioError(["(top level): a scenario must be a mapping of fields"])
    data = plain(data, "(scenario)", ScenarioError)  # a deep copy of plain data: dates as text, no odd types
    for key, value in (overrides or {}).items():
        _set_path(data, key, plain(value, f"--set {key}", ScenarioError))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([format_error(e) for e in exc.errors()]) from None
    problems = scenario.reference_problems() + setup_problems(scenario)
    if problems:
        raise ScenarioError(problems)
    if scenario.channel_mix.online_share is not None:
        scenario = _with_channel_mix(scenario, scenario.channel_mix.online_share)
    return scenario


def _with_channel_mix(scenario: Scenario, target: float) -> Scenario:
    """The scenario with every segment's purchase channels rescaled to ``target`` (sim/scenario/channel_mix.py)."""
    bad = channel_mix.problems(scenario.segments, target)
    if bad:
        raise ScenarioError(bad)
    if abs(channel_mix.expected_online_share(scenario.segments) - target) <= 1e-12:
        return scenario  # already there (e.g. a results folder's scenario.yaml): the same scenario, the same hash
    data = scenario.model_dump(mode="json")
    for seg, channels in zip(data["segments"], channel_mix.rescaled_channels(scenario.segments, target), strict=True):
        seg["channels"] = channels
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - the rescaled shares sum to 1 by construction
        raise ScenarioError([format_error(e) for e in exc.errors()]) from None


def read_yaml(path: str | os.PathLike[str], error: type[Exception] = ScenarioError, kind: str = "scenario") -> Any:
    """The data of a YAML user file (sim/scenario/userfiles.py: size cap, strict UTF-8, bounded aliases, no duplicate
    keys); a missing, unreadable or bad file raises ``error`` with one line saying where and what."""
    return _read_user_yaml(path, kind, error)


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read and validate a YAML scenario file; raise ``ScenarioError`` listing every problem.

    The starting point of every study: the scenario describes the retailer (stores, segments, channels, stock,
    fulfilment, costs) and the run (horizon, warm-up, customers a day); ``docs/reference/scenario-fields.md`` lists every
    field with its unit, default and allowed range. The file is read safely (at most 5 MB, strict UTF-8, no
    duplicate keys, bounded aliases), ``overrides`` are applied, then it is validated as by
    ``sim.scenario_from_dict``.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file (YAML), e.g. ``"scenarios/default.yaml"``; a relative path is relative to the working
        directory.
    overrides : dict of str to object, optional
        Dotted paths to values applied before validation, as ``omnisim --set`` does: ``{"stores.0.staff": 4}``,
        ``{"stores.*.staff": 3}`` (``*``: every item of a list), ``{"horizon_days": 18}``; values in the field's
        own unit. Default None: the file as it is.

    Returns
    -------
    Scenario
        The validated scenario (``sim.scenario.schema.Scenario``, an immutable pydantic model).

    Raises
    ------
    ScenarioError
        One line per problem, each naming the file or the field path: a missing, unreadable, oversized or
        non-UTF-8 file, a YAML error or duplicate key, a field unknown, missing, of the wrong type or outside its
        range, an override that names nothing.

    See Also
    --------
    - ``sim.scenario_from_dict`` : the same checks on a mapping built in code.
    - ``sim.run``, ``sim.compare`` : what to do with the scenario.

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml", overrides={"stores.0.staff": 4})
    print(sc.name, sc.horizon_days, sc.warmup_days, sc.customers_per_day, len(sc.stores))
    ```
    """
    return scenario_from_dict(read_yaml(path), overrides)


ScenarioArgument = Scenario | str | os.PathLike[str]
"""What the Python API takes as a scenario: a validated one, or the path of a scenario file."""


def scenario_argument(value: Any, name: str = "scenario") -> Scenario:
    """``value`` as a validated scenario: a :class:`Scenario` as given, a path (``str`` or ``os.PathLike``) loaded
    with :func:`load_scenario`; anything else is a ``TypeError`` naming the argument (one line)."""
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str | os.PathLike):
        return load_scenario(Path(value))
    hint = " (a dict: sim.scenario_from_dict(data) first)" if isinstance(value, Mapping) else ""
    raise TypeError(f"{name}: expected a Scenario (sim.load_scenario(path)) or the path of a scenario file, "
                    f"got {type(value).__name__}{hint}")


def available_setups(scenario: ScenarioArgument) -> list[str]:
    """Names of every setup a scenario can run: the three built-in ones, then its own.

    A scenario's ``setups:`` section may adjust a built-in setup (under its name) or define a new one (a new name:
    a built-in ``base`` with some capability switches changed); any of these names can be given to ``sim.run`` or
    in the ``setups`` of ``sim.compare``.

    Parameters
    ----------
    scenario : Scenario or str or os.PathLike
        A validated scenario (``sim.load_scenario``) or the path of a scenario file.

    Returns
    -------
    list of str
        ``SETUP_NAMES`` in order, then the new setups the scenario defines, in the file's order.

    Raises
    ------
    ScenarioError
        The file cannot be read or a field is refused (one line per problem).
    TypeError
        ``scenario`` is neither a scenario nor a path (one line naming the argument).

    Examples
    --------
    ```python
    import sim

    sc = sim.load_scenario("scenarios/default.yaml")
    print(sim.available_setups(sc))  # ['multichannel', 'cross-channel', 'omnichannel', ...]
    ```
    """
    return available(scenario_argument(scenario))


def scenario_yaml(scenario: Scenario) -> str:
    """The validated scenario as YAML text, defaults included: every value the model used."""
    text: str = yaml.safe_dump(scenario.model_dump(mode="json", exclude_none=True), sort_keys=False)
    return text


def scenario_hash(scenario: Scenario) -> str:
    """Content hash of a validated scenario (sha256 of its canonical JSON, its ``costs`` and ``channel_mix`` left
    out), 16 hex digits."""
    # costs are not simulated: editing them keeps the runs a results store holds for the scenario; the channel-mix
    # lever is simulated through the segments' channels it rescaled, which the hash holds
    blob = json.dumps(scenario.model_dump(mode="json", exclude={"costs", "channel_mix"}), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]

