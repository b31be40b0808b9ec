"""`priority`: the preferred location first (lowest priority value), then the
one with most available, then by id."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from itertools import groupby

from stockd.domain.allocation.base import PlanRequest
from stockd.domain.allocation.ranked import RankedStrategy, ranked_lazily

Groups = list[list[str]]


class PriorityStrategy(RankedStrategy):
    name = "priority"

    def prepare(self, request: PlanRequest) -> Groups:
        """Sites grouped by priority, best group first (sorted once per request)."""
        sites = request.sites
        ordered = sorted(sites, key=lambda s: sites[s].priority)
        return [list(g) for _, g in groupby(ordered, key=lambda s: sites[s].priority)]

    def candidates(self, sku: str, request: PlanRequest, prepared: Groups) -> Iterator[str]:
        stock = request.stock_of(sku)
        for group in prepared:
            keys = [(-stock[s].available, s) for s in group if s in stock]
            yield from ranked_lazily(keys)

    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        return (
            f"priority {request.sites[site].priority}, "
            f"{request.stock_of(sku)[site].available} available"
        )

    def objective(self, shipments: Mapping[str, Mapping[str, int]], request: PlanRequest) -> float:
        # A placement at a site that may no longer be used (units held at a
        # location archived or deactivated since) is worse than any other.
        sites = request.sites
        if any(loc not in sites for loc in shipments):
            return math.inf
        return float(sum(sites[loc].priority * sum(u.values()) for loc, u in shipments.items()))
