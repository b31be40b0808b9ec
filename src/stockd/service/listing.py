"""The lists of orders, reservations, transfers, sales and returns: what each
filter means, and where a page ends.

Every one of these lists runs newest first: by creation time, then by id,
both descending — one total order that rows added later never reshuffle, so
a reader paging from a `Position` sees each item that existed when it
started exactly once. The filters' `matches` are the meaning both read
models implement (the fake calls them; PostgreSQL says the same in SQL, and
the contract tests hold the two to one answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from stockd.domain.inbound import PurchaseOrder, PurchaseOrderStatus
from stockd.domain.orders import Order, OrderStatus
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.domain.transfers import Transfer, TransferStatus
from stockd.service.ports import ReturnRecord, SaleRecord


@dataclass(frozen=True, slots=True)
class AtRiskLine:
    sku: str
    location: str
    promised_ready_at: datetime
    """The ready date promised when the order was placed."""
    ready_at: datetime | None
    """When its units are ready now; None: no date (backordered units some
    of which have no inbound, or made-to-order units past their week's
    end and not all made)."""
    supply: str = "inbound"
    """What the line waits for: `inbound` (backordered units tied to
    purchase orders and transfers) or `production` (a made-to-order line)."""
    week: str | None = None
    """A made-to-order line's production week."""


@dataclass(frozen=True, slots=True)
class AtRisk:
    """An open order with lines whose supply now is ready later than
    promised: backordered lines whose inbound moved past the promised date,
    and made-to-order lines with units still to make after their week's end
    (or whose week now ends later than promised)."""

    id: str
    created_at: datetime
    lines: tuple[AtRiskLine, ...]
    deliver_by: date | None = None
    """The date the shop promised its customer, if the order says."""


Listed = TypeVar(
    "Listed", Order, Reservation, Transfer, ReturnRecord, SaleRecord, PurchaseOrder, AtRisk
)
"""An item of one of these lists."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """An item's place in a newest-first list: its creation time, then its
    id (a sale's is its location and receipt id). The page after a position
    holds what sorts below it: created earlier, or at the same time with a
    smaller id."""

    created_at: datetime
    id: tuple[str, ...]


def position_of(
    item: Order | Reservation | Transfer | ReturnRecord | SaleRecord | PurchaseOrder | AtRisk,
) -> Position:
    if isinstance(item, SaleRecord):
        return Position(item.created_at, (item.location, item.external_id))
    return Position(item.created_at, (item.id,))


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Orders in `status`, with a line of `sku` / at `location`, created in
    [`created_after`, `created_before`) — the bounds are half-open, so
    consecutive windows neither overlap nor leave a gap."""

    status: OrderStatus | None = None
    sku: str | None = None
    location: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def matches(self, order: Order) -> bool:
        return (
            (self.status is None or order.status is self.status)
            and (self.sku is None or any(x.sku == self.sku for x in order.lines))
            and (self.location is None or any(x.location == self.location for x in order.lines))
            and (self.created_after is None or order.created_at >= self.created_after)
            and (self.created_before is None or order.created_at < self.created_before)
        )


@dataclass(frozen=True, slots=True)
class ReservationFilter:
    """Holds whose *live* status is `status` (an active hold past its deadline
    is expired, as every read shows it), with a line of `sku` / at
    `location`, under the caller's `reference`."""

    status: ReservationStatus | None = None
    sku: str | None = None
    location: str | None = None
    reference: str | None = None

    def matches(self, r: Reservation, now: datetime) -> bool:
        return (
            (self.status is None or r.status_at(now) is self.status)
            and (self.sku is None or any(x.sku == self.sku for x in r.lines))
            and (self.location is None or any(x.location == self.location for x in r.lines))
            and (self.reference is None or r.reference == self.reference)
        )


@dataclass(frozen=True, slots=True)
class TransferFilter:
    status: TransferStatus | None = None
    source: str | None = None
    destination: str | None = None
    sku: str | None = None

    def matches(self, t: Transfer) -> bool:
        return (
            (self.status is None or t.status is self.status)
            and (self.source is None or t.source == self.source)
            and (self.destination is None or t.destination == self.destination)
            and (self.sku is None or any(x.sku == self.sku for x in t.lines))
        )


@dataclass(frozen=True, slots=True)
class PurchaseOrderFilter:
    status: PurchaseOrderStatus | None = None
    location: str | None = None
    supplier: str | None = None
    sku: str | None = None

    def matches(self, po: PurchaseOrder) -> bool:
        return (
            (self.status is None or po.status is self.status)
            and (self.location is None or po.location == self.location)
            and (self.supplier is None or po.supplier == self.supplier)
            and (self.sku is None or any(x.sku == self.sku for x in po.lines))
        )


@dataclass(frozen=True, slots=True)
class SaleFilter:
    location: str | None = None
    sku: str | None = None

    def matches(self, sale: SaleRecord) -> bool:
        return (self.location is None or sale.location == self.location) and (
            self.sku is None or any(x.sku == self.sku for x in sale.lines)
        )


@dataclass(frozen=True, slots=True)
class ReturnFilter:
    order_id: str | None = None
    location: str | None = None

    def matches(self, r: ReturnRecord) -> bool:
        return (self.order_id is None or r.order_id == self.order_id) and (
            self.location is None or r.location == self.location
        )
