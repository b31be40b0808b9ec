"""`nearest`: the location closest to the ship-to point (great-circle), then
by priority and id. Locations without coordinates are not used."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

from stockd.domain.allocation.base import NeedsShipTo, PlanRequest, Rejection, distance_units
from stockd.domain.allocation.ranked import RankedStrategy


class NearestStrategy(RankedStrategy):
    name = "nearest"

    def prepare(self, request: PlanRequest) -> list[str]:
        """Sites with coordinates, nearest first (sorted once per request)."""
        if request.ship_to is None:
            raise NeedsShipTo("strategy 'nearest' needs ship_to")
        km = request.distances
        sites = request.sites
        return sorted(km, key=lambda s: (km[s], sites[s].priority, s))

    def candidates(self, sku: str, request: PlanRequest, prepared: list[str]) -> Iterator[str]:
        stock = request.stock_of(sku)
        if len(stock) * 8 < len(prepared):
            # Few sites hold this SKU: rank just those rather than walk them all.
            km, sites = request.distances, request.sites
            yield from sorted(
                (s for s in stock if s in km), key=lambda s: (km[s], sites[s].priority, s)
            )
            return
        yield from (s for s in prepared if s in stock)

    def ruled_out(self, sku: str, request: PlanRequest, prepared: list[str]) -> list[Rejection]:
        km = request.distances
        return [
            Rejection(s, "no coordinates") for s in sorted(request.stock_of(sku)) if s not in km
        ]

    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        return (
            f"{request.distances[site]:.1f} km away, "
            f"{request.stock_of(sku)[site].available} available"
        )

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        value = distance_units(shipments, request)
        return math.inf if value is None else value
