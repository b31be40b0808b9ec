"""`most_stock`: the location with the most available units, then by priority
and id (spreads picks towards full shelves)."""

from __future__ import annotations

from collections.abc import Mapping

from stockd.domain.allocation.base import PlanRequest, Rejection
from stockd.domain.allocation.ranked import RankedStrategy, holding


class MostStockStrategy(RankedStrategy):
    name = "most_stock"

    def rank(self, sku: str, request: PlanRequest) -> tuple[list[str], list[Rejection]]:
        stock = request.stock_of(sku)
        sites = request.sites
        ordered = sorted(holding(stock), key=lambda s: (-stock[s].available, sites[s].priority, s))
        return ordered, []

    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        return f"{request.stock_of(sku)[site].available} available"

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        # Where a hold already sits is as good as any: never re-plan for this.
        return 0.0
