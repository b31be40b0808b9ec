"""`priority`: the preferred location first (lowest priority value), then the
one with most available, then by id."""

from __future__ import annotations

from collections.abc import Mapping

from stockd.domain.allocation.base import PlanRequest, Rejection
from stockd.domain.allocation.ranked import RankedStrategy, holding


class PriorityStrategy(RankedStrategy):
    name = "priority"

    def rank(self, sku: str, request: PlanRequest) -> tuple[list[str], list[Rejection]]:
        stock = request.stock_of(sku)
        sites = request.sites
        ordered = sorted(holding(stock), key=lambda s: (sites[s].priority, -stock[s].available, s))
        return ordered, []

    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        return (
            f"priority {request.sites[site].priority}, "
            f"{request.stock_of(sku)[site].available} available"
        )

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        return float(
            sum(request.sites[loc].priority * sum(u.values()) for loc, u in shipments.items())
        )
