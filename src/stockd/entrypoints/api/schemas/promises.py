"""Available-to-promise and delivery-date promises."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from stockd.domain.atp import Atp, Step
from stockd.domain.promise import Leg, LinePromise
from stockd.entrypoints.api.schemas.common import Input, Output, ShipTo
from stockd.entrypoints.api.schemas.orders import UnitsIn
from stockd.service.promising import Promise

SourceName = Literal["on_hand", "inbound", "production"]

MAX_PROMISE_LINES = 100

# The supply an ATP step stands for, as both an ATP step and a promise's
# shipment (which draws on one) show it: one meaning, one description.
ReadyAt = Annotated[
    datetime,
    Field(
        description="When these units are ready: now (on hand), the ETA (inbound) or the"
        " end of the production week in the workshop's zone."
    ),
]
ReadyOn = Annotated[
    date, Field(description="The calendar date of `ready_at` in the location's zone.")
]
SupplyReference = Annotated[
    str | None,
    Field(
        description="The supply: `po:<id>`, `transfer:<id>`, `pool:<id>/<YYYY-Www>`; null on hand."
    ),
]


def supply_of(step: Step) -> dict[str, Any]:
    """The fields of a step's supply (`ReadyAt`, `ReadyOn`, `SupplyReference`,
    source and location)."""
    return {
        "ready_at": step.ready_at,
        "ready_on": step.ready_on,
        "source": step.source.value,
        "reference": step.reference,
        "location": step.location,
    }


class AtpStepRead(Output):
    ready_at: ReadyAt
    ready_on: ReadyOn
    source: SourceName
    reference: SupplyReference
    location: str
    quantity: int = Field(description="Units this step adds (none of them held or promised).")
    cumulative: int = Field(description="Units that can be promised by `ready_at`.")

    @classmethod
    def of(cls, step: Step) -> AtpStepRead:
        return cls(**supply_of(step), quantity=step.quantity, cumulative=step.cumulative)


class AtpRead(Output):
    sku: str
    as_of: datetime
    until: datetime
    location: str | None = Field(description="Only this location's supply; null: every one.")
    total: int = Field(description="Units that can be promised by `until`.")
    unbacked: int = Field(
        description="Units sold beyond stock (backorders) that no inbound due by `until`"
        " covers: owed, and taken from no step."
    )
    steps: list[AtpStepRead] = Field(description="By `ready_at`; `cumulative` only grows.")

    @classmethod
    def of(cls, atp: Atp) -> AtpRead:
        return cls(
            sku=atp.sku,
            as_of=atp.as_of,
            until=atp.until,
            location=atp.location,
            total=atp.total,
            unbacked=atp.unbacked,
            steps=[AtpStepRead.of(s) for s in atp.steps],
        )


class PromiseRequest(Input):
    lines: Annotated[
        list[UnitsIn],
        Field(
            min_length=1,
            max_length=MAX_PROMISE_LINES,
            description=f"1 to {MAX_PROMISE_LINES} lines, one per SKU.",
        ),
    ]
    ship_to: ShipTo


class DeliveryLegRead(Output):
    """Units of one ATP step and the terms of their delivery date:
    `deliver_by = ready_on + handling_days + transit_days +
    delivery_window_days + safety_buffer_days` (calendar days)."""

    location: str = Field(description="Where they ship from.")
    source: SourceName
    reference: SupplyReference
    quantity: int
    ready_at: ReadyAt
    ready_on: ReadyOn
    handling_days: int
    transit_days: int
    transit_basis: Literal["region", "distance", "default"] = Field(
        description="`region`: the region table; `distance`: great-circle km at the set pace;"
        " `default`: the location has neither."
    )
    distance_km: float | None
    delivery_window_days: int
    safety_buffer_days: int = Field(description="None for on hand; for inbound and production.")
    deliver_by: date

    @classmethod
    def of(cls, leg: Leg) -> DeliveryLegRead:
        return cls(
            **supply_of(leg.step),
            quantity=leg.quantity,
            handling_days=leg.handling_days,
            transit_days=leg.transit.days,
            transit_basis=leg.transit.basis.value,
            distance_km=leg.transit.distance_km,
            delivery_window_days=leg.delivery_window_days,
            safety_buffer_days=leg.safety_buffer_days,
            deliver_by=leg.deliver_by,
        )


class LinePromiseRead(Output):
    sku: str
    quantity: int
    deliver_by: date = Field(description="The latest `deliver_by` of its shipments.")
    shipments: list[DeliveryLegRead]

    @classmethod
    def of(cls, line: LinePromise) -> LinePromiseRead:
        return cls(
            sku=line.sku,
            quantity=line.quantity,
            deliver_by=line.deliver_by,
            shipments=[DeliveryLegRead.of(x) for x in line.legs],
        )


class PromiseRead(Output):
    as_of: datetime
    until: datetime = Field(description="How far the promise looked for supply.")
    lines: list[LinePromiseRead]

    @classmethod
    def of(cls, made: Promise) -> PromiseRead:
        return cls(
            as_of=made.as_of,
            until=made.until,
            lines=[LinePromiseRead.of(x) for x in made.lines],
        )
