"""Allocation quotes, orders, shipments, returns, transfers and store sales."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from stockd.domain.capacity import ProductionLine
from stockd.domain.commands import LineRequest, SkuQuantity
from stockd.domain.orders import Order
from stockd.domain.quantities import LevelKey
from stockd.domain.transfers import Transfer
from stockd.entrypoints.api.schemas.common import (
    CHANNEL_DESCRIPTION,
    ChannelName,
    Code,
    Input,
    Instant,
    Output,
    Reference,
    ShipTo,
    StrategyName,
)
from stockd.entrypoints.api.schemas.events import EventRead
from stockd.entrypoints.api.schemas.production import Options, ProductionLineIn
from stockd.entrypoints.api.schemas.reservations import LineIn, LineQuantity
from stockd.entrypoints.api.schemas.supply import (
    TieRead,
    promised_field,
    supply_field,
    supply_of,
)
from stockd.service.planning import Planned
from stockd.service.ports import ReturnRecord, SaleRecord
from stockd.service.queries import LedgerRecord, Promises


class UnitsIn(Input):
    sku: Code
    quantity: LineQuantity

    def to_domain(self) -> SkuQuantity:
        return SkuQuantity(self.sku, self.quantity)


class Units(Output):
    sku: str
    quantity: int


Lines = Annotated[list[UnitsIn], Field(min_length=1, max_length=1000)]


# -- allocation plans -------------------------------------------------------------


class QuoteRequest(Input):
    lines: Lines
    ship_to: ShipTo | None = None
    strategy: StrategyName | None = None
    pickup_location: Code | None = None
    channel: ChannelName | None = Field(
        None,
        description="Quote as a hold through this channel would be decided: one its pools"
        " refuse is the same 409 `insufficient_channel_stock`.",
    )


class AllocationRead(Output):
    location: str
    quantity: int
    reason: str


class RejectionRead(Output):
    location: str
    reason: str


class LinePlanRead(Output):
    sku: str
    quantity: int
    placed: int
    shortfall: int
    allocations: list[AllocationRead]
    rejected: list[RejectionRead] = Field(
        description="The next-best locations passed over, and why."
    )
    others_rejected: int = Field(description="How many more were passed over, unnamed.")


class ShipmentPlanRead(Output):
    location: str
    lines: list[Units]


class PlanRead(Output):
    strategy: str
    feasible: bool
    note: str
    lines: list[LinePlanRead]
    shipments: list[ShipmentPlanRead]
    distance_km: float | None = Field(description="Sum of units x km to the ship-to point.")
    shipping_cost: float | None = Field(description="Under each location's shipping cost.")

    @classmethod
    def of(cls, planned: Planned) -> PlanRead:
        plan, distance, cost = planned.plan, planned.distance_units, planned.shipping_cost
        return cls(
            strategy=plan.strategy,
            feasible=plan.feasible,
            note=plan.note,
            lines=[
                LinePlanRead(
                    sku=line.sku,
                    quantity=line.requested,
                    placed=line.placed,
                    shortfall=line.shortfall,
                    allocations=[
                        AllocationRead(location=a.location, quantity=a.quantity, reason=a.reason)
                        for a in line.allocations
                    ],
                    rejected=[
                        RejectionRead(location=r.location, reason=r.reason) for r in line.rejected
                    ],
                    others_rejected=line.others_rejected,
                )
                for line in plan.lines
            ],
            shipments=[
                ShipmentPlanRead(
                    location=loc,
                    lines=[Units(sku=s, quantity=q) for s, q in units.items()],
                )
                for loc, units in plan.shipments.items()
            ],
            distance_km=None if distance is None else round(distance, 3),
            shipping_cost=None if cost is None else round(cost, 2),
        )


# -- orders -------------------------------------------------------------------------


class OrderLineIn(LineIn):
    options: Options | None = Field(
        None,
        description='A made-to-order line\'s options (`{"fabric": "velvet"}`): the SKU\'s'
        " `option_pools` may make it in another pool. Not for stock lines.",
    )


DeliverBy = Annotated[
    date | None,
    Field(
        strict=False,  # a `YYYY-MM-DD` string: JSON has no date type
        description="The date the shop promised its customer (as `POST /v1/promise` answers"
        " it): kept with the order, shown on it and in `GET /v1/promises/at-risk`.",
    ),
]


class OrderCreate(Input):
    """Place an order from `lines` or from an active `reservation_id` (not both).
    Lines of made-to-order SKUs take production capacity (each the earliest
    week with room, as `POST /v1/production/slots` books it), in the same
    transaction as the stock lines: all lines or none."""

    order_id: Code
    lines: list[OrderLineIn] | None = Field(None, min_length=1, max_length=1000)
    reservation_id: Code | None = None
    ship_to: ShipTo | None = None
    strategy: StrategyName | None = None
    pickup_location: Code | None = None
    channel: ChannelName | None = Field(
        None,
        description=CHANNEL_DESCRIPTION + " From a reservation: the reservation's channel"
        " (naming another is a 422).",
    )
    deliver_by: DeliverBy = None

    @model_validator(mode="after")
    def _one_source(self) -> OrderCreate:
        if (self.lines is None) == (self.reservation_id is None):
            raise ValueError("give either 'lines' or 'reservation_id'")
        return self

    def line_requests(self) -> tuple[LineRequest, ...]:
        return tuple(
            LineRequest(x.sku, x.quantity, x.location, tuple(sorted((x.options or {}).items())))
            for x in self.lines or ()
        )


class ChannelOrderCreate(Input):
    """An order that arrived on a channel, named by the channel's id for it."""

    external_id: Code = Field(
        description="The channel's id for the order (its marketplace order number…): with"
        " the channel, it names the order (`<channel>:<external_id>`), once."
    )
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    ship_to: ShipTo | None = None
    strategy: StrategyName | None = None
    pickup_location: Code | None = None
    deliver_by: DeliverBy = None

    def line_requests(self) -> tuple[LineRequest, ...]:
        return tuple(LineRequest(x.sku, x.quantity, x.location) for x in self.lines)


class OrderLineRead(Output):
    sku: str
    ordered: int
    committed: int = Field(description="Still to ship.")
    shipped: int
    cancelled: int
    returned: int
    promised_ready_at: datetime | None = promised_field()
    supply: list[TieRead] | None = supply_field()
    produced: int | None = Field(
        None,
        description="A made-to-order line: units the workshop made so far. They left this"
        " line (its `committed` is what is still to make) for the order's stock line of the"
        " SKU at the workshop, which ships them. Absent for stock lines.",
        exclude_if=lambda v: v is None,
    )
    week: str | None = Field(
        None,
        description="A made-to-order line: the ISO week it is made in. Absent for stock lines.",
        exclude_if=lambda v: v is None,
    )

    @classmethod
    def of_production(cls, made: ProductionLine) -> OrderLineRead:
        """A made-to-order line: `committed` is what is still to make;
        `cancelled` what the order's cancel gave back."""
        left = made.unproduced
        return cls(
            sku=made.sku,
            ordered=made.quantity,
            committed=left,
            shipped=0,
            cancelled=made.quantity - made.produced if made.cancelled else 0,
            returned=0,
            promised_ready_at=made.promised,
            supply=[TieRead.of_tie(replace(made.tie(), quantity=left))] if left else [],
            produced=made.produced,
            week=str(made.week),
        )


class ShipmentRead(Output):
    location: str
    lines: list[OrderLineRead]


class ShipToRead(Output):
    lat: float
    lon: float
    region: str | None


OrderStatusName = Literal["open", "partially_shipped", "shipped", "cancelled"]
TransferStatusName = Literal["in_transit", "partially_received", "received"]


class OrderRead(Output):
    order_id: str
    status: OrderStatusName
    reservation_id: str | None
    strategy: str | None
    ship_to: ShipToRead | None
    pickup_location: str | None
    channel: str | None = Field(None, description="The sales channel it sells through.")
    deliver_by: date | None = Field(
        None, description="The date the shop promised its customer, if it was given."
    )
    created_at: datetime
    shipments: list[ShipmentRead] = Field(description="What each location ships, line by line.")
    replanned: bool | None = Field(
        None, description="Placing from a reservation: whether the holds were moved."
    )
    plan: PlanRead | None = Field(None, description="How the strategy placed the lines.")
    events: list[EventRead] | None = Field(None, description="The order's ledger events.")

    @classmethod
    def of(
        cls,
        order: Order,
        *,
        plan: PlanRead | None = None,
        replanned: bool | None = None,
        events: list[LedgerRecord] | None = None,
        promises: Promises | None = None,
    ) -> OrderRead:
        by_location: dict[str, list[OrderLineRead]] = {}
        for x in order.lines:
            key = LevelKey(x.sku, x.location)
            by_location.setdefault(x.location, []).append(
                OrderLineRead(
                    sku=x.sku,
                    ordered=x.ordered,
                    committed=x.committed,
                    shipped=x.shipped,
                    cancelled=x.cancelled,
                    returned=x.returned,
                    promised_ready_at=promises.promised.get(key) if promises else None,
                    supply=supply_of(promises.at(key)) if promises else None,
                )
            )
        for made in order.production:
            by_location.setdefault(made.location, []).append(OrderLineRead.of_production(made))
        point = order.ship_to
        return cls(
            order_id=order.id,
            status=order.status.value,
            reservation_id=order.reservation_id,
            strategy=order.strategy,
            ship_to=ShipToRead(lat=point.lat, lon=point.lon, region=order.region)
            if point
            else None,
            pickup_location=order.pickup_location,
            channel=order.channel,
            deliver_by=order.deliver_by,
            created_at=order.created_at,
            shipments=[ShipmentRead(location=loc, lines=ls) for loc, ls in by_location.items()],
            replanned=replanned,
            plan=plan,
            events=[EventRead.of(e) for e in events] if events is not None else None,
        )


class OrderPage(Output):
    """Orders, newest first; each as `GET /v1/orders/{id}` shows it, without
    its events."""

    items: list[OrderRead]
    next_cursor: str | None


class ShipmentCreate(Input):
    location: Code
    lines: Lines
    reference: Reference | None = None


class ProduceRequest(Input):
    """Units of the order's made-to-order lines the workshop made."""

    lines: list[ProductionLineIn] = Field(
        min_length=1,
        max_length=1000,
        description="Each SKU (with the options it was ordered with) once, and how many were"
        " made; they count against its earliest weeks first.",
    )
    reference: Reference | None = None

    def line_requests(self) -> tuple[LineRequest, ...]:
        return tuple(
            LineRequest(x.sku, x.quantity, options=tuple(sorted((x.options or {}).items())))
            for x in self.lines
        )


class CancelRequest(Input):
    reason: Reference | None = None


# -- returns ------------------------------------------------------------------------


class ReturnCreate(Input):
    order_id: Code
    location: Code = Field(description="Where the units are restocked.")
    condition: Literal["resellable", "damaged", "quality_control"]
    lines: Lines
    reference: Reference | None = None


class ReturnRead(Output):
    id: str
    order_id: str
    location: str
    condition: str
    lines: list[Units]
    created_at: datetime

    @classmethod
    def of(cls, r: ReturnRecord) -> ReturnRead:
        return cls(
            id=r.id,
            order_id=r.order_id,
            location=r.location,
            condition=r.condition.value,
            lines=[Units(sku=x.sku, quantity=x.quantity) for x in r.lines],
            created_at=r.created_at,
        )


class ReturnPage(Output):
    """Returns, newest first."""

    items: list[ReturnRead]
    next_cursor: str | None


# -- transfers ----------------------------------------------------------------------


class TransferCreate(Input):
    source: Code = Field(alias="from")
    destination: Code = Field(alias="to")
    lines: Lines
    reference: Reference | None = None
    expected_at: Instant | None = Field(
        None,
        strict=False,
        description="When the units should arrive (RFC 3339), today or later: until then they"
        " are inbound at the destination with this ETA. Default: now +"
        " STOCKD_TRANSFER_DEFAULT_DAYS.",
    )


class TransferUpdate(Input):
    expected_at: Instant = Field(
        strict=False,
        description="When the units still in transit should arrive now (RFC 3339), today or later.",
    )


class TransferReceive(Input):
    lines: list[UnitsIn] | None = Field(
        None, min_length=1, max_length=1000, description="What arrived; all in transit if absent."
    )


class TransferLineRead(Output):
    sku: str
    quantity: int
    received: int
    in_transit: int


class TransferRead(Output):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    id: str
    source: str = Field(serialization_alias="from")
    destination: str = Field(serialization_alias="to")
    status: TransferStatusName
    reference: str | None
    created_at: datetime
    expected_at: datetime | None = Field(description="When the units should arrive.")
    version: int = Field(description="Raised by each change of the ETA; send it as `If-Match`.")
    lines: list[TransferLineRead]

    @classmethod
    def of(cls, t: Transfer) -> TransferRead:
        return cls(
            id=t.id,
            source=t.source,
            destination=t.destination,
            status=t.status.value,
            reference=t.reference,
            created_at=t.created_at,
            expected_at=t.expected_at,
            version=t.version,
            lines=[
                TransferLineRead(
                    sku=x.sku, quantity=x.quantity, received=x.received, in_transit=x.in_transit
                )
                for x in t.lines
            ],
        )


class TransferPage(Output):
    """Transfers, newest first."""

    items: list[TransferRead]
    next_cursor: str | None


# -- store sales --------------------------------------------------------------------


class SaleCreate(Input):
    location: Code
    external_id: Code = Field(description="The receipt id from the point of sale.")
    lines: Lines
    channel: ChannelName | None = Field(None, description=CHANNEL_DESCRIPTION)


class SaleRead(Output):
    location: str
    external_id: str
    lines: list[Units]
    recorded_at: datetime
    replayed: bool | None = Field(
        None,
        description="Answering a POST: true when this receipt had been recorded before."
        " Null in lists.",
    )

    @classmethod
    def of(cls, sale: SaleRecord, replayed: bool | None = None) -> SaleRead:
        return cls(
            location=sale.location,
            external_id=sale.external_id,
            lines=[Units(sku=x.sku, quantity=x.quantity) for x in sale.lines],
            recorded_at=sale.created_at,
            replayed=replayed,
        )


class SalePage(Output):
    """Store sales, newest first."""

    items: list[SaleRead]
    next_cursor: str | None
