"""Orders: units committed at locations, then shipped, cancelled or returned.

An order keeps, per SKU and location it is fulfilled from, how many units
were ordered and how many are still committed, shipped or cancelled — every
ordered unit is exactly one of those — and how many of the shipped came back.
Made-to-order units are booked in production weeks (`production`) until the
workshop reports them made: then they join the order's lines as committed
stock at the workshop, and ship like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
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
    deliver_by: date | None = None
    """The date the shop promised its customer, if it said."""

    def line(self, sku: str, location: str) -> OrderLine | None:
        return next((x for x in self.lines if x.sku == sku and x.location == location), None)

    @property
    def outstanding(self) -> int:
        """Units still to ship: committed, or still to make."""
        return sum(x.committed for x in self.lines) + sum(x.unproduced for x in self.production)


def status_after(
    lines: Sequence[OrderLine],
    cancelled: bool = False,
    production: Sequence[ProductionLine] = (),
) -> OrderStatus:
    """The status an order's lines put it in (an explicit cancel wins): it
    is not shipped while units are still to make."""
    if cancelled:
        return OrderStatus.CANCELLED
    shipped = sum(x.shipped for x in lines)
    if shipped == 0:
        return OrderStatus.OPEN
    if any(x.committed for x in lines) or any(x.unproduced for x in production):
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.SHIPPED


def split_production(
    production: Sequence[ProductionLine],
    sku: str,
    options: Mapping[str, str],
    quantity: int,
) -> list[tuple[ProductionLine, int]] | None:
    """Which made-to-order lines of `sku` with `options` a report of
    `quantity` units made counts against, earliest week first; None when
    fewer are still to make."""
    out: list[tuple[ProductionLine, int]] = []
    remaining = quantity
    matching = (x for x in production if x.sku == sku and dict(x.options) == dict(options))
    for line in sorted(matching, key=lambda x: x.week):
        take = min(line.unproduced, remaining)
        if take > 0:
            out.append((line, take))
            remaining -= take
    return out if remaining == 0 else None


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
