"""Inbound stock: units ordered from a supplier (purchase orders) that are
not here yet, each with its expected time of arrival (ETA).

A purchase order raises `incoming` at its location when it is placed;
receiving moves units from `incoming` to `on_hand`; cutting (a cancelled
order, a line the supplier cannot deliver in full) takes them out of
`incoming`. A line's `open` units are those still to arrive. Transfers in
flight are inbound too (`domain.transfers`), at their own ETA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PurchaseOrderStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    """Nothing left open, and some units arrived (the rest may have been cut)."""
    CANCELLED = "cancelled"
    """Nothing left open, and nothing arrived: every unit was cut."""


@dataclass(frozen=True, slots=True)
class PurchaseOrderLine:
    sku: str
    quantity: int
    """Units ordered."""
    received: int = 0
    cut: int = 0
    """Units that will not come: the order was cancelled or the line reduced."""

    @property
    def open(self) -> int:
        """Units still expected."""
        return self.quantity - self.received - self.cut


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    id: str
    supplier: str
    location: str
    status: PurchaseOrderStatus
    expected_at: datetime
    lines: tuple[PurchaseOrderLine, ...]
    created_at: datetime
    reference: str | None = None
    version: int = 1

    def line(self, sku: str) -> PurchaseOrderLine | None:
        return next((x for x in self.lines if x.sku == sku), None)

    @property
    def supply(self) -> str:
        """How ties and promises name it: `po:<id>`."""
        return f"po:{self.id}"


def purchase_order_status(lines: Sequence[PurchaseOrderLine]) -> PurchaseOrderStatus:
    """What the lines say: open while nothing arrived and something is
    expected; partially received while both; received or cancelled once
    nothing is expected (received if anything arrived)."""
    arrived = any(x.received for x in lines)
    if any(x.open for x in lines):
        return PurchaseOrderStatus.PARTIALLY_RECEIVED if arrived else PurchaseOrderStatus.OPEN
    return PurchaseOrderStatus.RECEIVED if arrived else PurchaseOrderStatus.CANCELLED
