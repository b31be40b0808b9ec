"""What a location offers of a SKU, and why it offers nothing when it does not.

A storefront asking "why can't I sell this here?" gets one reason per
location, the first of these that holds:

    archived          the location is archived,
    inactive          or not active
    out_of_stock      nothing on hand, and no backorder allowance
    damaged           what is on hand is damaged,
    quality_control   or awaiting inspection,
    safety_stock      or kept back as safety stock (whichever keeps back most)
    held              the rest is held for checkouts and orders
"""

from __future__ import annotations

from typing import NamedTuple

from stockd.domain.catalog import Location
from stockd.domain.quantities import NOT_FOR_SALE, Level


class Offer(NamedTuple):
    """A named tuple, not a dataclass: made for every location of every
    availability read (a frozen dataclass costs five times as much)."""

    sellable: int
    # Units that can still be held here, backorder allowance included.
    reason: str | None
    # Why nothing can be held here (None when something can).


def offer(level: Level, location: Location) -> Offer:
    if not location.usable:
        return Offer(0, "archived" if location.archived else "inactive")
    sellable = level.sellable
    if sellable > 0:
        return Offer(sellable, None)
    q = level.quantities
    if q.on_hand == 0:
        return Offer(0, "out_of_stock")
    if q.for_sale <= 0:
        kept = max(NOT_FOR_SALE, key=q.get)
        return Offer(0, kept.value)
    return Offer(0, "held")
