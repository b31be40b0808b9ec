"""Reservations (checkout holds)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from stockd.domain.commands import LineRequest, Reserve
from stockd.domain.reservations import Reservation
from stockd.entrypoints.api.schemas.common import Code, Input, Output, Reference

LineQuantity = Annotated[int, Field(ge=1, le=1_000_000)]
TtlSeconds = Annotated[int, Field(ge=1, le=31_536_000)]


class LineIn(Input):
    sku: Code
    quantity: LineQuantity
    location: Code | None = Field(
        None, description="Hold at this location; without it stockd chooses (and may split)."
    )


class ReservationCreate(Input):
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    ttl_seconds: TtlSeconds | None = Field(
        None, description="Seconds until the hold expires; the server's default when absent."
    )
    reference: Reference | None = None

    def to_command(self) -> Reserve:
        return Reserve(
            lines=tuple(LineRequest(x.sku, x.quantity, x.location) for x in self.lines),
            ttl_seconds=self.ttl_seconds,
            reference=self.reference,
        )


class ReservationExtend(Input):
    ttl_seconds: TtlSeconds


class ReservationCommit(Input):
    order_id: Code


class LineRead(Output):
    sku: str
    quantity: int
    location: str


class ReservationRead(Output):
    id: str
    status: Literal["active", "committed", "released", "expired"]
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    reference: str | None
    order_id: str | None
    lines: list[LineRead]

    @classmethod
    def of(cls, r: Reservation, now: datetime) -> ReservationRead:
        return cls(
            id=r.id,
            status=r.status_at(now).value,
            created_at=r.created_at,
            expires_at=r.expires_at,
            closed_at=r.closed_at,
            reference=r.reference,
            order_id=r.order_id,
            lines=[LineRead(sku=x.sku, quantity=x.quantity, location=x.location) for x in r.lines],
        )
