"""Filling lines from locations in a ranked order (the per-line strategies)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from stockd.domain.allocation.base import (
    REJECTIONS_SHOWN,
    Allocation,
    LinePlan,
    OrderLine,
    Plan,
    PlanRequest,
    Rejection,
    Stock,
)


def fill(
    line: OrderLine,
    ordered: Sequence[str],
    stock: Mapping[str, Stock],
    reason: Callable[[str], str],
    rejected_first: Sequence[Rejection] = (),
) -> LinePlan:
    """Take `line` from `ordered` sites: units in stock at every site first,
    then backorder allowances in the same order, so no site backorders while
    another still has stock."""
    taken: dict[str, int] = {}
    remaining = line.quantity
    for backorder in (False, True):
        for site in ordered:
            if remaining == 0:
                break
            s = stock[site]
            capacity = s.backorderable if backorder else s.in_stock
            if capacity > 0:
                take = min(capacity, remaining)
                taken[site] = taken.get(site, 0) + take
                remaining -= take
        if remaining == 0:
            break
    allocations = tuple(
        Allocation(site, qty, reason(site) + (" (backorder)" if stock[site].in_stock < qty else ""))
        for site, qty in taken.items()
    )
    passed = [Rejection(s, "passed over: " + reason(s)) for s in ordered if s not in taken]
    rejected = (*rejected_first, *passed)
    shown = rejected[:REJECTIONS_SHOWN]
    return LinePlan(line.sku, line.quantity, allocations, tuple(shown), len(rejected) - len(shown))


def holding(stock: Mapping[str, Stock]) -> list[str]:
    """Sites that can give at least one unit (stock or backorder allowance)."""
    return [site for site, s in stock.items() if s.available > s.floor]


class RankedStrategy:
    """Base of strategies that rank sites per line and fill greedily."""

    name = "ranked"

    def rank(self, sku: str, request: PlanRequest) -> tuple[list[str], list[Rejection]]:
        """The sites to draw from, best first, and those ruled out for this line."""
        raise NotImplementedError

    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        raise NotImplementedError

    def plan(self, request: PlanRequest) -> Plan:
        return Plan(self.name, tuple(self.fill_line(line, request) for line in request.lines))

    def fill_line(self, line: OrderLine, request: PlanRequest) -> LinePlan:
        ordered, ruled_out = self.rank(line.sku, request)
        return fill(
            line,
            ordered,
            request.stock_of(line.sku),
            lambda site: self.reason(site, line.sku, request),
            ruled_out,
        )
