"""The vocabulary of allocation: which locations fulfil an order, and why.

A strategy is a pure function from a `PlanRequest` (the order, the eligible
sites and their stock as seen under lock, the ship-to point) to a `Plan` that
says, for every line, where its units come from, the reason for each choice,
the next-best alternatives it passed over and any shortfall. The service
layer applies a plan with conditional updates, so no plan can oversell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from stockd.domain.catalog import ShippingCost
from stockd.domain.geo import Point

FREE_SHIPPING = ShippingCost()

REJECTIONS_SHOWN = 5
"""How many passed-over locations a line's explanation names (the rest are counted)."""


@dataclass(frozen=True, slots=True)
class Site:
    """A location as allocation sees it."""

    id: str
    priority: int = 100
    point: Point | None = None
    cost: ShippingCost = FREE_SHIPPING


@dataclass(frozen=True, slots=True)
class Stock:
    """One SKU at one site: `available` and the floor it may go down to."""

    available: int
    floor: int = 0

    @property
    def in_stock(self) -> int:
        return max(self.available, 0)

    @property
    def backorderable(self) -> int:
        return max(self.available - self.floor, 0) - self.in_stock


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class PlanRequest:
    lines: tuple[OrderLine, ...]
    sites: Mapping[str, Site]
    """Sites that may be used (active, shipping or the pickup store)."""
    stock: Mapping[str, Mapping[str, Stock]]
    """sku -> site id -> stock, for eligible sites."""
    ship_to: Point | None = None
    excluded: Mapping[str, str] = field(default_factory=dict)
    """Sites that hold stock but may not be used, and why."""
    unusable: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """sku -> the excluded sites that hold it (for explaining plans)."""

    @cached_property
    def distances(self) -> dict[str, float]:
        """Kilometres from each site with coordinates to the ship-to point."""
        if self.ship_to is None:
            return {}
        to = self.ship_to
        return {s.id: s.point.km_to(to) for s in self.sites.values() if s.point is not None}

    def stock_of(self, sku: str) -> Mapping[str, Stock]:
        return self.stock.get(sku, {})


@dataclass(frozen=True, slots=True)
class Allocation:
    location: str
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class Rejection:
    location: str
    reason: str


@dataclass(frozen=True, slots=True)
class LinePlan:
    sku: str
    requested: int
    allocations: tuple[Allocation, ...]
    rejected: tuple[Rejection, ...] = ()
    others_rejected: int = 0
    """Passed-over locations not named in `rejected`."""

    @property
    def placed(self) -> int:
        return sum(a.quantity for a in self.allocations)

    @property
    def shortfall(self) -> int:
        return self.requested - self.placed


@dataclass(frozen=True)
class Plan:
    strategy: str
    lines: tuple[LinePlan, ...]
    note: str = ""

    @property
    def feasible(self) -> bool:
        return all(line.shortfall == 0 for line in self.lines)

    @property
    def shortfall(self) -> int:
        return sum(line.shortfall for line in self.lines)

    @cached_property
    def shipments(self) -> dict[str, dict[str, int]]:
        """location -> sku -> units, locations in the order first used."""
        out: dict[str, dict[str, int]] = defaultdict(dict)
        for line in self.lines:
            for a in line.allocations:
                out[a.location][line.sku] = out[a.location].get(line.sku, 0) + a.quantity
        return dict(out)

    def distance_units(self, request: PlanRequest) -> float | None:
        """Sum of units x km; None without a ship-to point or coordinates."""
        return distance_units(self.shipments, request)

    def cost(self, request: PlanRequest) -> float | None:
        return shipping_cost(self.shipments, request)


class Strategy(Protocol):
    name: str

    def plan(self, request: PlanRequest) -> Plan: ...

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        """How good a placement is by this strategy's own measure (lower is
        better): placing an order re-plans its holds only for a lower value.
        `shipments` places units only at `request.sites` (callers leave out
        units held where the strategy may not ship from)."""
        ...


class NeedsShipTo(ValueError):
    """The strategy ranks by distance and the request has no ship-to point."""


def distance_units(
    shipments: Mapping[str, Mapping[str, int]], request: PlanRequest
) -> float | None:
    km = request.distances
    if request.ship_to is None or any(loc not in km for loc in shipments):
        return None
    return sum(km[loc] * sum(units.values()) for loc, units in shipments.items())


def shipping_cost(shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float | None:
    km = request.distances
    if request.ship_to is None or any(loc not in km for loc in shipments):
        return None
    return sum(
        request.sites[loc].cost.of(km[loc], sum(units.values())) for loc, units in shipments.items()
    )


def units_of(shipments: Mapping[str, Mapping[str, int]]) -> Iterable[tuple[str, int]]:
    for loc, units in shipments.items():
        yield loc, sum(units.values())
