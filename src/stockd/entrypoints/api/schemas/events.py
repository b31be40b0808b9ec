"""Ledger events."""

from __future__ import annotations

from datetime import datetime

from stockd.entrypoints.api.schemas.common import Output
from stockd.service.queries import LedgerRecord


class EventRead(Output):
    seq: int
    type: str
    sku: str
    location: str
    delta: dict[str, int]
    after: dict[str, int]
    reason: str | None
    reference: str | None
    reservation_id: str | None
    order_id: str | None
    transfer_id: str | None
    actor: str
    idempotency_key: str | None
    at: datetime

    @classmethod
    def of(cls, record: LedgerRecord) -> EventRead:
        m = record.movement
        return cls(
            seq=record.seq,
            type=m.type,
            sku=m.key.sku,
            location=m.key.location,
            delta={k: v for k, v in m.delta.as_dict().items() if v},
            after=m.after.as_dict() | {"available": m.after.available},
            reason=m.reason,
            reference=m.reference,
            reservation_id=m.reservation_id,
            order_id=m.order_id,
            transfer_id=m.transfer_id,
            actor=m.actor,
            idempotency_key=m.idempotency_key,
            at=m.at,
        )


class EventPage(Output):
    items: list[EventRead]
    next_after: int
