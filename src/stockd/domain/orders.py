"""Orders: units committed at locations, then shipped, cancelled or returned.

An order keeps, per SKU and location it is fulfilled from, how many units
were ordered and how many are still committed, shipped or cancelled — every
ordered unit is exactly one of those — and how many of the shipped came back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stockd.domain.capacity import ProductionLine
from stockd.domain.geo import Point


class OrderStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class ReturnCondition(StrEnum):
    RESELLABLE = "resellable"
    DAMAGED = "damaged"
    QUALITY_CONTROL = "quality_control"


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    location: str
    ordered: int
    committed: int
    shipped: int = 0
    cancelled: int = 0
    returned: int = 0

    @property
    def returnable(self) -> int:
        return self.shipped - self.returned


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    status: OrderStatus
    lines: tuple[OrderLine, ...]
    created_at: datetime
    fingerprint: str = ""
    reservation_id: str | None = None
    strategy: str | None = None
    ship_to: Point | None = None
    region: str | None = None
    pickup_location: str | None = None
    channel: str | None = None
    production: tuple[ProductionLine, ...] = ()
    """Made-to-order lines: units booked in production weeks (and, once the
    order is cancelled, given back: `cancelled`)."""

    def line(self, sku: str, location: str) -> OrderLine | None:
        return next((x for x in self.lines if x.sku == sku and x.location == location), None)

    @property
    def outstanding(self) -> int:
        return sum(x.committed for x in self.lines)


def status_after(lines: Sequence[OrderLine], cancelled: bool = False) -> OrderStatus:
    """The status an order's lines put it in (an explicit cancel wins)."""
    if cancelled:
        return OrderStatus.CANCELLED
    shipped = sum(x.shipped for x in lines)
    if shipped == 0:
        return OrderStatus.OPEN
    if any(x.committed for x in lines):
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.SHIPPED


def split_return(
    lines: Sequence[OrderLine], sku: str, quantity: int
) -> list[tuple[str, int]] | None:
    """Which shipped lines of `sku` a return of `quantity` units counts
    against (by location), or None when fewer than that were shipped and not
    yet returned."""
    out: list[tuple[str, int]] = []
    remaining = quantity
    for line in sorted((x for x in lines if x.sku == sku), key=lambda x: x.location):
        take = min(line.returnable, remaining)
        if take > 0:
            out.append((line.location, take))
            remaining -= take
    return out if remaining == 0 else None
