"""Operating benchmarks of real retailers: where a plausible baseline's KPIs lie.

A comparison of setups is only worth reading if the baseline world runs like a retailer: calls answered, queues
short, parcels on time, shelves mostly full. This module holds the ranges as data, each with its source, per
sector (a scenario's ``sector``), and judges a KPI table against them. It knows nothing of files or of how the
KPIs were obtained; ``sim.experiments.plausibility.check_plausibility`` runs the replications and the CLI prints the verdict.

The ranges are orders of magnitude that published benchmarks agree on, not one study's point estimate: a baseline
outside them is not impossible, but it is not the average retailer the library scenarios stand for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SECTORS = ("fashion", "electronics", "grocery", "general")
ALL = SECTORS


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

    def holds(self, value: float) -> bool:
        return not math.isnan(value) and self.low <= value <= self.high


# One row per (KPI, sector group). Sources are named so that a reader can check them; shares are 0..1.
BENCHMARKS: tuple[Benchmark, ...] = (
    # Call centres are run to the "80 % of calls answered within 20 s" convention; retail centres report
    # 70-90 % achieved (ICMI and COPC service-level benchmarks; SQM Group's contact-centre studies).
    Benchmark("call_service_level", 0.70, 0.90, "calls answered within the target wait (80/20 convention)",
              "ICMI / COPC contact-centre service-level benchmarks", needs="call_centre"),
    # Abandoned calls: 5-10 % is the usual band, 2 % the best centres (ICMI, SQM Group).
    Benchmark("call_abandon_rate", 0.02, 0.10, "calls abandoned before an agent answers",
              "ICMI / SQM Group contact-centre abandonment benchmarks", needs="call_centre"),
    # Customers leaving a checkout queue: a few per cent in studies of retail queues (queue-management vendors'
    # and academic checkout studies; e.g. Lu, Musalem, Olivares & Schilkrut, Management Science 2013).
    Benchmark("store_abandon_rate", 0.0, 0.05, "store customers leaving the queue unserved",
              "retail checkout-queue studies (Lu et al., Management Science 2013)", needs="stores"),
    # Parcels delivered by the promised day: 90-97 % for French and European parcel carriers (ARCEP's postal
    # quality reports; carriers' published on-time rates for 48-72 h services).
    Benchmark("on_time_rate", 0.90, 0.97, "online orders ready or delivered by the promised time",
              "ARCEP postal-service quality reports; parcel carriers' on-time rates", needs="online"),
    # On-shelf availability: out-of-stocks of about 8 % on average worldwide, 5-10 % in most categories (Gruen,
    # Corsten & Bharadwaj 2002; ECR Europe 2003); fashion size availability in the same band.
    Benchmark("on_shelf_availability", 0.90, 0.97, "store item requests found on the shelf",
              "Gruen, Corsten & Bharadwaj 2002 (GMA/FMI); ECR Europe OSA study 2003", needs="stores"),
    # Online returns: 20-35 % of units in fashion (FEVAD; the market studies quote fashion as the high-return
    # category), 5-15 % in consumer electronics, near zero in grocery (perishables are not sent back).
    Benchmark("online_return_rate", 0.20, 0.35, "units bought online that come back",
              "FEVAD e-commerce reports (fashion)", ("fashion",), needs="online"),
    Benchmark("online_return_rate", 0.05, 0.15, "units bought online that come back",
              "FEVAD e-commerce reports; electronics retailers' annual reports", ("electronics",), needs="online"),
    Benchmark("online_return_rate", 0.0, 0.05, "units bought online that come back",
              "FEVAD e-commerce reports (food and household)", ("grocery",), needs="online"),
    # NPS of retailers: roughly 0 to 60 in published sector benchmarks (NICE Satmetrix; Bain); the market
    # studies set > 50 as an omnichannel target (002_19829b2ba6ddba5f.txt), so a baseline may sit lower.
    Benchmark("satisfaction", 0.0, 60.0, "NPS-like score, promoters minus detractors, -100..100",
              "NICE Satmetrix / Bain retail NPS benchmarks; target NPS > 50 in 002_19829b2ba6ddba5f.txt"),
    # CSAT: the market studies set > 85 % as the target (002_19829b2ba6ddba5f.txt); retail baselines in customer
    # satisfaction indices sit around 75-85 % satisfied (ACSI retail scores of the high 70s out of 100).
    Benchmark("csat", 0.70, 0.92, "rated customers who were satisfied",
              "ACSI retail trade scores; target CSAT > 85 % in 002_19829b2ba6ddba5f.txt"),
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
