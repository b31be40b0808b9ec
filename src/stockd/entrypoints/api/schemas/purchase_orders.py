"""Purchase orders: inbound stock ordered from suppliers, with an ETA."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from stockd.domain.inbound import PurchaseOrder
from stockd.entrypoints.api.schemas.common import Code, Input, Instant, Name, Output, Reference
from stockd.entrypoints.api.schemas.orders import Lines, UnitsIn

PurchaseOrderStatusName = Literal["open", "partially_received", "received", "cancelled"]

ETA_DESCRIPTION = (
    "When the units are expected (RFC 3339): today or later (UTC calendar); an earlier time is 422."
)


class PurchaseOrderCreate(Input):
    id: Code = Field(description="The purchase order's id, chosen by the caller.")
    supplier: Name = Field(description="Who delivers it.")
    location: Code = Field(description="Where the units arrive (their `incoming` rises).")
    lines: Lines
    expected_at: Instant = Field(strict=False, description=ETA_DESCRIPTION)
    reference: Reference | None = None


class PurchaseOrderUpdate(Input):
    expected_at: Instant = Field(strict=False, description=ETA_DESCRIPTION)


class PurchaseOrderReceive(Input):
    lines: Lines = Field(description="What arrived; no more per line than it has open.")


class PurchaseOrderCut(Input):
    lines: list[UnitsIn] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="Units per line that will not come; every open unit (cancel) if absent.",
    )
    reason: Reference | None = Field(None, description="Why, in words (kept on the events).")


class PurchaseOrderLineRead(Output):
    sku: str
    quantity: int = Field(description="Units ordered.")
    received: int
    cut: int = Field(description="Units that will not come.")
    open: int = Field(description="Units still expected: quantity - received - cut.")


class PurchaseOrderRead(Output):
    id: str
    supplier: str
    location: str
    status: PurchaseOrderStatusName
    expected_at: datetime
    reference: str | None
    created_at: datetime
    version: int
    lines: list[PurchaseOrderLineRead]

    @classmethod
    def of(cls, po: PurchaseOrder) -> PurchaseOrderRead:
        return cls(
            id=po.id,
            supplier=po.supplier,
            location=po.location,
            status=po.status.value,
            expected_at=po.expected_at,
            reference=po.reference,
            created_at=po.created_at,
            version=po.version,
            lines=[
                PurchaseOrderLineRead(
                    sku=x.sku, quantity=x.quantity, received=x.received, cut=x.cut, open=x.open
                )
                for x in po.lines
            ],
        )


class PurchaseOrderPage(Output):
    """Purchase orders, newest first."""

    items: list[PurchaseOrderRead]
    next_cursor: str | None
