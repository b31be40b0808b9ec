"""What stands behind a hold's or an order's units: ties to supply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from stockd.domain.promises import SupplyKind, TiedUnits
from stockd.domain.supply import Tie
from stockd.entrypoints.api.schemas.common import Output
from stockd.service.listing import AtRisk

SUPPLY_DESCRIPTION = (
    "Which supply stands behind the line's units beyond stock on hand (backordered units:"
    " the inbound they are tied to, first come first served). Absent when every unit is on"
    " hand."
)


def _absent(value: object) -> bool:
    return value is None


class TieRead(Output):
    source: Literal["on_hand", "inbound", "production"]
    quantity: int
    ready_at: datetime | None = Field(
        description="When these units are ready (the inbound's ETA); null: no inbound is"
        " behind them yet (preordered, or a cut took theirs), they have no date."
    )
    reference: str | None = Field(
        description="The supply: `po:<id>`, `transfer:<id>`, `preorder:<sku>` (preordered"
        " units); null for units a cut left without inbound."
    )
    location: str | None

    @classmethod
    def of_tie(cls, tie: Tie) -> TieRead:
        return cls.model_validate(tie.as_dict())

    @classmethod
    def of(cls, t: TiedUnits) -> TieRead:
        tie = t.as_tie()
        if tie is None:
            preorder = t.supply is SupplyKind.PREORDER
            return cls(
                source="inbound",
                quantity=t.quantity,
                ready_at=None,
                reference=f"preorder:{t.key.sku}" if preorder else None,
                location=t.key.location,
            )
        return cls(
            source=tie.source.value,
            quantity=tie.quantity,
            ready_at=tie.ready_at,
            reference=tie.reference,
            location=tie.location,
        )


def supply_of(ties: Sequence[TiedUnits]) -> list[TieRead] | None:
    """A line's ties as read models show them; None (left out) without any."""
    return [TieRead.of(t) for t in ties] or None


def supply_field() -> Any:
    """The `supply` member of a line: left out when absent."""
    return Field(None, description=SUPPLY_DESCRIPTION, exclude_if=_absent)


def promised_field() -> Any:
    """An order line's `promised_ready_at`: left out when absent."""
    return Field(
        None,
        description="The date the line's units were promised ready when the order was placed"
        " (set when some were backordered; absent otherwise).",
        exclude_if=_absent,
    )


class AtRiskLineRead(Output):
    sku: str
    location: str = Field(
        description="Where the units are committed (a made-to-order line: the workshop)."
    )
    promised_ready_at: datetime = Field(description="The date promised when it was placed.")
    ready_at: datetime | None = Field(
        description="When its units are ready now; null: no date (backordered units some of"
        " which have no inbound, or made-to-order units past their week's end and not all"
        " made)."
    )
    supply: Literal["inbound", "production"] = Field(
        "inbound",
        description="What the line waits for: `inbound` (backordered units tied to purchase"
        " orders and transfers) or `production` (a made-to-order line).",
    )
    week: str | None = Field(
        None,
        description="A made-to-order line's production week. Absent for inbound lines.",
        exclude_if=_absent,
    )


class AtRiskRead(Output):
    order_id: str
    created_at: datetime
    deliver_by: date | None = Field(
        None, description="The date the shop promised its customer, if the order says."
    )
    lines: list[AtRiskLineRead] = Field(description="The lines whose supply is late.")

    @classmethod
    def of(cls, found: AtRisk) -> AtRiskRead:
        return cls(
            order_id=found.id,
            created_at=found.created_at,
            deliver_by=found.deliver_by,
            lines=[
                AtRiskLineRead(
                    sku=x.sku,
                    location=x.location,
                    promised_ready_at=x.promised_ready_at,
                    ready_at=x.ready_at,
                    supply="production" if x.supply == "production" else "inbound",
                    week=x.week,
                )
                for x in found.lines
            ],
        )


class AtRiskPage(Output):
    """Open orders at risk, newest first."""

    items: list[AtRiskRead]
    next_cursor: str | None
