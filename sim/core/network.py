"""The physical network of one replication: the clock, stores and call centre as servers, the catalogue,
the stock, and how purchase channels map onto a customer's touchpoint bits. Built once by :class:`sim.core.model.World`
and handed, typed, to the mechanisms that need it (fulfilment, journeys, after-sale)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.core.catalogue import Catalogue
from sim.core.clock import Clock
from sim.core.engine import Engine, Pool
from sim.core.inventory import Inventory
from sim.scenario.schema import CHANNEL_CALL, CHANNEL_STORE, CallCentre, Scenario, Store


class StoreRt:
    """A store at run time: its resources and hours in minutes of the day."""

    def __init__(self, engine: Engine, cfg: Store):
        self.staff: Pool | None = engine.servers(cfg.staff) if cfg.staff else None
        self.tills: Pool | None = engine.servers(cfg.tills) if cfg.tills else None
        self.open_min = cfg.open_hour * 60.0
        self.close_min = cfg.close_hour * 60.0
        self.advice_prob = cfg.advice_prob if cfg.staff != 0 else 0.0
        self.queue_capacity = cfg.queue_capacity


class CallRt:
    """The call centre at run time: its agents and hours in minutes of the day."""

    def __init__(self, engine: Engine, cfg: CallCentre):
        self.agents: Pool | None = engine.servers(cfg.agents) if cfg.agents else None
        self.open_min = cfg.open_hour * 60.0
        self.close_min = cfg.close_hour * 60.0


def purchase_channels(scenario: Scenario) -> list[str]:
    """Channel index order: store, the selling touchpoints, call centre."""
    out = [CHANNEL_STORE] if scenario.stores else []
    out += [k for k, t in scenario.touchpoints.items() if t.sells]
    return out + ([CHANNEL_CALL] if scenario.call_centre else [])


def research_touchpoints(scenario: Scenario) -> list[str]:
    """Research touchpoints in bit order: the scenario's, then the store and the call centre."""
    return list(scenario.touchpoints) + [CHANNEL_STORE, CHANNEL_CALL]


@dataclass(eq=False)
class Network:
    """What the mechanisms share: the scheduling API and its clock, places, catalogue, stock, and the channel
    indices and bits."""

    engine: Engine                 # how the mechanisms schedule (sim.core.engine), built once per run
    cat: Catalogue
    inv: Inventory
    stores: list[StoreRt]
    call: CallRt | None
    channels: list[str]            # purchase channels, in index order
    research: list[str]            # research touchpoints, in bit order
    demand: list[list[float]]      # expected daily units per node (stores, then warehouse) and SKU
    horizon: float                 # minutes
    has_warehouse: bool
    clock: Clock = field(init=False)        # the engine's time (Clock.now), read natively
    n_stores: int = field(init=False)
    wh: int = field(init=False)              # the warehouse's node index, -1 without one
    ch_store: int = field(init=False)        # the store's channel index, -1 without stores
    ch_call: int = field(init=False)
    channel_bit: list[int] = field(init=False)  # each purchase channel's research bit
    channels_mask: int = field(init=False)      # research bits of the places where one can buy
    store_bit: int = field(init=False)

    def __post_init__(self) -> None:
        self.clock = self.engine.clock
        self.n_stores = len(self.stores)
        self.wh = self.n_stores if self.has_warehouse else -1
        self.ch_store = self.channels.index(CHANNEL_STORE) if CHANNEL_STORE in self.channels else -1
        self.ch_call = self.channels.index(CHANNEL_CALL) if CHANNEL_CALL in self.channels else -1
        self.channel_bit = [1 << self.research.index(ch) for ch in self.channels]
        self.channels_mask = sum(self.channel_bit)
        self.store_bit = self.channel_bit[self.ch_store] if self.ch_store >= 0 else 0
