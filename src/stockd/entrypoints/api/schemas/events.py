"""Ledger events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from stockd.domain.events import document
from stockd.entrypoints.api.schemas.common import Output
from stockd.service.queries import LedgerRecord


class EventRead(Output):
    """One event of the ledger (every type and its fields: docs/events.md)."""

    seq: int = Field(description="Position in the stream, in commit order; may skip numbers.")
    type: str = Field(examples=["reservation.created"])
    sku: str | None
    location: str | None
    delta: dict[str, int] | None = Field(
        description="Movements: the change per state (only states that moved); else null."
    )
    after: dict[str, int] | None = Field(
        description="Movements: every state after the change, and `available`; else null."
    )
    data: dict[str, Any] | None = Field(
        description="The fields the event's type adds (docs/events.md); for movements null,"
        " except a correction's `stock.counted` (counted, expected, effective_at, source)."
    )
    reason: str | None
    reference: str | None
    reservation_id: str | None
    order_id: str | None
    transfer_id: str | None
    actor: str
    idempotency_key: str | None
    at: datetime
    channel: str | None = Field(None, description="The sales channel it concerns.")

    @classmethod
    def of(cls, record: LedgerRecord) -> EventRead:
        return cls.model_validate(document(record.seq, record.event))


class EventPage(Output):
    items: list[EventRead]
    next_after: int = Field(description="Pass as `after` for the next page.")
