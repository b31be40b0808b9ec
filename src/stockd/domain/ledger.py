"""Ledger entries: the immutable, past-tense record of every stock movement.

Levels are a projection of these entries; replaying them reproduces the levels.
Each entry is one level's change, with the quantities after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from stockd.domain.quantities import LevelKey, Quantities


@dataclass(frozen=True, slots=True, kw_only=True)
class Movement:
    type: ClassVar[str] = "stock.movement"

    key: LevelKey
    delta: Quantities
    after: Quantities
    at: datetime
    actor: str
    reason: str | None = None
    reference: str | None = None
    reservation_id: str | None = None
    idempotency_key: str | None = None
    order_id: str | None = None
    transfer_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAdjusted(Movement):
    type: ClassVar[str] = "stock.adjusted"


@dataclass(frozen=True, slots=True, kw_only=True)
class StockCounted(Movement):
    type: ClassVar[str] = "stock.counted"


@dataclass(frozen=True, slots=True, kw_only=True)
class StockMoved(Movement):
    type: ClassVar[str] = "stock.moved"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reserved(Movement):
    type: ClassVar[str] = "reservation.created"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationExtended(Movement):
    type: ClassVar[str] = "reservation.extended"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationReleased(Movement):
    type: ClassVar[str] = "reservation.released"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationExpired(Movement):
    type: ClassVar[str] = "reservation.expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReservationCommitted(Movement):
    type: ClassVar[str] = "reservation.committed"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAllocated(Movement):
    """Units committed to an order (directly, or re-planned from a hold)."""

    type: ClassVar[str] = "order.allocated"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderShipped(Movement):
    type: ClassVar[str] = "order.shipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(Movement):
    type: ClassVar[str] = "order.cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReturned(Movement):
    type: ClassVar[str] = "order.returned"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferSent(Movement):
    type: ClassVar[str] = "transfer.sent"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferIncoming(Movement):
    type: ClassVar[str] = "transfer.incoming"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferReceived(Movement):
    type: ClassVar[str] = "transfer.received"


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleRecorded(Movement):
    type: ClassVar[str] = "sale.recorded"


MOVEMENT_TYPES: dict[str, type[Movement]] = {
    cls.type: cls
    for cls in (
        StockAdjusted,
        StockCounted,
        StockMoved,
        Reserved,
        ReservationExtended,
        ReservationReleased,
        ReservationExpired,
        ReservationCommitted,
        OrderAllocated,
        OrderShipped,
        OrderCancelled,
        OrderReturned,
        TransferSent,
        TransferIncoming,
        TransferReceived,
        SaleRecorded,
    )
}
