"""`most_stock`: the location with the most available units, then by priority
and id (spreads picks towards full shelves)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from stockd.domain.allocation.base import PlanRequest
from stockd.domain.allocation.ranked import RankedStrategy, ranked_lazily


class MostStockStrategy(RankedStrategy):
    name = "most_stock"

    def candidates(self, sku: str, request: PlanRequest, prepared: object) -> Iterator[str]:
        stock = request.stock_of(sku)
        sites = request.sites
        yield from ranked_lazily([(-st.available, sites[s].priority, s) for s, st in stock.items()])

    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        return f"{request.stock_of(sku)[site].available} available"

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        # Where a hold already sits is as good as any: never re-plan for this.
        return 0.0
