"""Capacity pools, their weeks, slot bookings, and the supply behind a line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from stockd.domain.capacity import CapacityPool, CapacityWeek, ProductionLine, SlotBooking
from stockd.domain.commands import BookSlots, LineRequest, WeekUnits
from stockd.entrypoints.api.schemas.common import (
    TEXT_PATTERN,
    Code,
    Input,
    Name,
    Output,
    Reference,
)
from stockd.entrypoints.api.schemas.reservations import LineQuantity, TtlSeconds

Week = Annotated[
    str,
    StringConstraints(min_length=1, max_length=16),
    Field(
        description="An ISO week, `YYYY-Www` (such as `2027-W03`), on the calendar of the"
        " pool's workshop.",
        examples=["2027-W03"],
    ),
]
OptionText = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=TEXT_PATTERN)]
Options = Annotated[
    dict[OptionText, OptionText],
    Field(
        max_length=20,
        description='The line\'s options (`{"fabric": "velvet"}`): a SKU\'s `option_pools`'
        " may make it in another pool.",
    ),
]


# -- pools and weeks -------------------------------------------------------------


class CapacityPoolCreate(Input):
    id: Code
    location: Code = Field(description="The workshop: its time zone is the pool's calendar.")
    name: Name
    lead_time_weeks: int = Field(
        0,
        ge=0,
        le=104,
        description="Weeks from this one before the first week a booking gets by default.",
    )

    def to_domain(self) -> CapacityPool:
        return CapacityPool(self.id, self.location, self.name, self.lead_time_weeks)


class CapacityPoolRead(Output):
    id: str
    location: str
    name: str
    lead_time_weeks: int
    version: int

    @classmethod
    def of(cls, pool: CapacityPool) -> CapacityPoolRead:
        return cls.model_validate(pool.as_dict())


class CapacityPoolPage(Output):
    items: list[CapacityPoolRead]
    next_cursor: str | None


class WeekIn(Input):
    week: Week
    # Bounded both ways so that any number gets a 422 naming it (the request's
    # fingerprint holds 64-bit integers); a negative one the handler refuses
    # naming the week, with the rest of the request's problems.
    units: int = Field(
        ge=-1_000_000_000, le=1_000_000_000, description="The week's capacity in units (0 or more)."
    )


class CapacityWeeksSet(Input):
    weeks: list[WeekIn] = Field(min_length=1, max_length=1000)

    def to_domain(self) -> tuple[WeekUnits, ...]:
        return tuple(WeekUnits(x.week, x.units) for x in self.weeks)


class CapacityWeekRead(Output):
    week: str
    capacity: int
    held: int = Field(description="Units held by active slot bookings.")
    committed: int = Field(description="Units committed to orders.")
    free: int

    @classmethod
    def of(cls, week: CapacityWeek) -> CapacityWeekRead:
        return cls.model_validate(week.as_dict())


class CapacityWeeksRead(Output):
    pool: str
    location: str
    weeks: list[CapacityWeekRead]


# -- slot bookings -----------------------------------------------------------------


class ProductionLineIn(Input):
    sku: Code
    quantity: LineQuantity
    options: Options | None = None


class SlotCreate(Input):
    lines: list[ProductionLineIn] = Field(min_length=1, max_length=1000)
    earliest_week: Week | None = Field(
        None,
        description="Book no week before this one; default (and at least): this week at the"
        " workshop + the pool's lead time.",
    )
    ttl_seconds: TtlSeconds | None = Field(
        None, description="Seconds until the booking expires; the server's default when absent."
    )
    reference: Reference | None = None

    def to_command(self) -> BookSlots:
        return BookSlots(
            lines=tuple(
                LineRequest(x.sku, x.quantity, options=tuple(sorted((x.options or {}).items())))
                for x in self.lines
            ),
            earliest_week=self.earliest_week,
            ttl_seconds=self.ttl_seconds,
            reference=self.reference,
        )


class SlotExtend(Input):
    ttl_seconds: TtlSeconds


class SlotCommit(Input):
    order_id: Code


class ProductionLineRead(Output):
    sku: str
    quantity: int
    options: dict[str, str]
    pool: str
    week: str
    ready_at: datetime = Field(description="When the week ends in the workshop's time zone.")
    location: str = Field(description="The workshop.")

    @classmethod
    def of(cls, line: ProductionLine) -> ProductionLineRead:
        return cls.model_validate(line.as_dict())


SlotStatusName = Literal["active", "committed", "released", "expired"]


class SlotRead(Output):
    id: str
    status: SlotStatusName
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    reference: str | None
    order_id: str | None
    lines: list[ProductionLineRead]

    @classmethod
    def of(cls, slot: SlotBooking, now: datetime) -> SlotRead:
        return cls.model_validate(
            {
                "id": slot.id,
                "status": slot.status_at(now).value,
                "created_at": slot.created_at,
                "expires_at": slot.expires_at,
                "closed_at": slot.closed_at,
                "reference": slot.reference,
                "order_id": slot.order_id,
                "lines": [x.as_dict() for x in slot.lines],
            }
        )
