"""Reservations (checkout holds)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from stockd.domain.commands import LineRequest, Reserve
from stockd.domain.quantities import LevelKey
from stockd.domain.reservations import Reservation
from stockd.entrypoints.api.schemas.common import (
    CHANNEL_DESCRIPTION,
    ChannelName,
    Code,
    Input,
    Output,
    Reference,
    ShipTo,
    StrategyName,
)
from stockd.entrypoints.api.schemas.supply import TieRead, supply_field, supply_of
from stockd.service.queries import Promises

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
    ship_to: ShipTo | None = Field(
        None, description="Where the goods will go; needed by 'nearest' and 'lowest_cost'."
    )
    strategy: StrategyName | None = Field(
        None, description="How lines without a location are placed; the server's default if absent."
    )
    pickup_location: Code | None = Field(
        None, description="Collect in this store: every line is held there and only there."
    )
    channel: ChannelName | None = Field(None, description=CHANNEL_DESCRIPTION)

    def to_command(self) -> Reserve:
        return Reserve(
            lines=tuple(LineRequest(x.sku, x.quantity, x.location) for x in self.lines),
            ttl_seconds=self.ttl_seconds,
            reference=self.reference,
            ship_to=self.ship_to.to_domain() if self.ship_to else None,
            strategy=self.strategy,
            pickup_location=self.pickup_location,
            channel=self.channel,
        )


class ReservationExtend(Input):
    ttl_seconds: TtlSeconds


class ReservationCommit(Input):
    order_id: Code


class LineRead(Output):
    sku: str
    quantity: int
    location: str
    supply: list[TieRead] | None = supply_field()


ReservationStatusName = Literal["active", "committed", "released", "expired"]


class ReservationRead(Output):
    id: str
    status: ReservationStatusName
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    reference: str | None
    order_id: str | None
    pickup_location: str | None
    lines: list[LineRead]
    channel: str | None = Field(None, description="The sales channel it sells through.")

    @classmethod
    def of(cls, r: Reservation, now: datetime, promises: Promises | None = None) -> ReservationRead:
        read = cls.model_validate(reservation_document(r, now))
        if promises is not None:
            for line in read.lines:
                line.supply = supply_of(promises.at(LevelKey(line.sku, line.location)))
        return read


class ReservationPage(Output):
    """Reservations, newest first, each with its live status."""

    items: list[ReservationRead]
    next_cursor: str | None


def reservation_document(r: Reservation, now: datetime) -> dict[str, Any]:
    """The `ReservationRead` document as plain data (the hot path serialises
    it directly; `ReservationRead.of` validates the same data)."""
    return {
        "id": r.id,
        "status": r.status_at(now).value,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "closed_at": r.closed_at,
        "reference": r.reference,
        "order_id": r.order_id,
        "pickup_location": r.pickup_location,
        "lines": [{"sku": x.sku, "quantity": x.quantity, "location": x.location} for x in r.lines],
        "channel": r.channel,
    }
