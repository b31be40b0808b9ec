"""Filling lines from locations in a ranked order (the per-line strategies).

Strategies yield candidate sites lazily, best first, so a line that the
first few sites fill never ranks the other two thousand; rejections are
explained for the next few sites only, and the rest are counted.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

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
    candidates: Iterable[str],
    stock: Mapping[str, Stock],
    reason: Callable[[str], str],
    ruled_out: Sequence[Rejection] = (),
) -> LinePlan:
    """Take `line` from `candidates` (sites holding the SKU, best first):
    units in stock first, then backorder allowances in the same order, so no
    site backorders while another still has stock."""
    taken: dict[str, int] = {}
    seen: list[str] = []
    remaining = line.quantity
    rest = iter(candidates)
    for site in rest:
        seen.append(site)
        capacity = stock[site].in_stock
        if capacity > 0:
            take = min(capacity, remaining)
            taken[site] = take
            remaining -= take
            if remaining == 0:
                break
    if remaining:
        seen.extend(rest)
        for site in seen:
            capacity = stock[site].backorderable
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
    shown = list(ruled_out[:REJECTIONS_SHOWN])
    passed = (s for s in _chain(seen, rest) if s not in taken)
    for site in passed:
        if len(shown) >= REJECTIONS_SHOWN:
            break
        shown.append(Rejection(site, "passed over: " + reason(site)))
    others = len(ruled_out) + len(stock) - len(taken) - len(shown)
    return LinePlan(line.sku, line.quantity, allocations, tuple(shown), max(others, 0))


FIRST_RANKED = 16
"""`ranked_lazily` orders this many candidates first; the rest only if needed."""


def ranked_lazily(keys: list[tuple[Any, ...]]) -> Iterator[str]:
    """The last element of each key tuple, in key order, sorting the whole
    list only if more than the best few are wanted (most lines are filled by
    the first two or three candidates)."""
    if len(keys) <= FIRST_RANKED:
        keys.sort()
        yield from (k[-1] for k in keys)
        return
    first = heapq.nsmallest(FIRST_RANKED, keys)
    yield from (k[-1] for k in first)
    keys.sort()
    yield from (k[-1] for k in keys[FIRST_RANKED:])


def _chain(first: list[str], then: Iterable[str]) -> Iterable[str]:
    yield from first
    yield from then


class RankedStrategy(ABC):
    """Base of strategies that rank sites per line and fill greedily."""

    name = "ranked"

    def prepare(self, request: PlanRequest) -> Any:
        """Work done once per request (e.g. ordering the sites)."""
        return None

    @abstractmethod
    def candidates(self, sku: str, request: PlanRequest, prepared: Any) -> Iterable[str]:
        """Sites holding `sku` that may be used, best first (lazily)."""

    def ruled_out(self, sku: str, request: PlanRequest, prepared: Any) -> list[Rejection]:
        return []

    @abstractmethod
    def reason(self, site: str, sku: str, request: PlanRequest) -> str:
        """Why `site` ranks where it does, for the plan's explanation."""

    def plan(self, request: PlanRequest) -> Plan:
        prepared = self.prepare(request)
        return Plan(
            self.name, tuple(self.fill_line(line, request, prepared) for line in request.lines)
        )

    def fill_line(self, line: OrderLine, request: PlanRequest, prepared: Any = None) -> LinePlan:
        return fill(
            line,
            self.candidates(line.sku, request, prepared),
            request.stock_of(line.sku),
            lambda site: self.reason(site, line.sku, request),
            self.ruled_out(line.sku, request, prepared),
        )
