"""`nearest`: the location closest to the ship-to point (great-circle), then
by priority and id. Locations without coordinates are not used."""

from __future__ import annotations

import math
from collections.abc import Mapping

from stockd.domain.allocation.base import NeedsShipTo, PlanRequest, Rejection, distance_units
from stockd.domain.allocation.ranked import RankedStrategy, holding


class NearestStrategy(RankedStrategy):
    name = "nearest"

    def rank(self, sku: str, request: PlanRequest) -> tuple[list[str], list[Rejection]]:
        if request.ship_to is None:
            raise NeedsShipTo("strategy 'nearest' needs ship_to")
        km = request.distances
        sites = request.sites
        candidates = holding(request.stock_of(sku))
        ordered = sorted(
            (s for s in candidates if s in km), key=lambda s: (km[s], sites[s].priority, s)
        )
        unplaced = [Rejection(s, "no coordinates") for s in sorted(candidates) if s not in km]
        return ordered, unplaced

    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        return (
            f"{request.distances[site]:.1f} km away, "
            f"{request.stock_of(sku)[site].available} available"
        )

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        value = distance_units(shipments, request)
        return math.inf if value is None else value
