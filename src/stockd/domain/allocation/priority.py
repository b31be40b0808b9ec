"""Default strategy: the preferred location first, then the one with most stock."""

from __future__ import annotations

from collections.abc import Sequence

from stockd.domain.allocation.base import Allocation, Candidate, Placement


class PriorityThenMostAvailable:
    """Fill from locations in order of (priority, most available, id).

    Units in stock anywhere are taken before any location goes into backorder,
    so a split never backorders while another location still has stock.
    """

    name = "priority"

    def place(self, sku: str, quantity: int, candidates: Sequence[Candidate]) -> Placement:
        ordered = sorted(candidates, key=lambda c: (c.priority, -c.available, c.location))
        taken: dict[str, int] = {}
        reasons: dict[str, str] = {}
        remaining = quantity
        for phase, capacity in (("in stock", _in_stock), ("backorder", _backorderable)):
            for c in ordered:
                if remaining == 0:
                    break
                take = min(capacity(c), remaining)
                if take <= 0:
                    continue
                taken[c.location] = taken.get(c.location, 0) + take
                reasons.setdefault(
                    c.location, f"priority {c.priority}, {c.available} available ({phase})"
                )
                remaining -= take
        allocations = tuple(
            Allocation(loc, qty, reasons[loc])
            for loc, qty in sorted(taken.items(), key=lambda kv: _rank(ordered, kv[0]))
        )
        return Placement(sku, quantity, allocations, remaining)


def _in_stock(c: Candidate) -> int:
    return c.in_stock


def _backorderable(c: Candidate) -> int:
    return c.backorderable


def _rank(ordered: Sequence[Candidate], location: str) -> int:
    return next(i for i, c in enumerate(ordered) if c.location == location)
