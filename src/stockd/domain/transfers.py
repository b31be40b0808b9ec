"""Transfers: units leave one location's stock and arrive later at another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TransferStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"


@dataclass(frozen=True, slots=True)
class TransferLine:
    sku: str
    quantity: int
    received: int = 0

    @property
    def in_transit(self) -> int:
        return self.quantity - self.received


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    source: str
    destination: str
    status: TransferStatus
    lines: tuple[TransferLine, ...]
    created_at: datetime
    reference: str | None = None
    expected_at: datetime | None = None
    """When the units should arrive: inbound stock at the destination until then."""
    version: int = 1
    """Raised by each change of the ETA (`If-Match`)."""

    def line(self, sku: str) -> TransferLine | None:
        return next((x for x in self.lines if x.sku == sku), None)


def transfer_status(lines: Sequence[TransferLine]) -> TransferStatus:
    received = sum(x.received for x in lines)
    if received == 0:
        return TransferStatus.IN_TRANSIT
    if all(x.in_transit == 0 for x in lines):
        return TransferStatus.RECEIVED
    return TransferStatus.PARTIALLY_RECEIVED
