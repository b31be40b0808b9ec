"""Where sellable units come from, and when they are ready.

Three kinds of supply are sold side by side, each with an honest date:

- `on_hand`: stock on the shelf, ready now;
- `inbound`: units already ordered (a purchase order) or on their way (a
  transfer), ready at their ETA;
- `production`: made-to-order capacity, ready when its ISO week ends.

A `Tie` says which supply stands behind some units of a hold or an order:
what promises are made of (backordered units are tied to inbound, made-to-order
units to a production week). ATP steps, promises and at-risk lists all speak
in these terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    ON_HAND = "on_hand"
    INBOUND = "inbound"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Tie:
    """`quantity` units backed by one supply, ready at `ready_at`.

    `reference` names the supply: a purchase order (`po:<id>`), a transfer
    (`transfer:<id>`), a production week (`pool:<id>/<YYYY-Www>`); none for
    stock on hand."""

    source: Source
    quantity: int
    ready_at: datetime
    reference: str | None = None
    location: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "quantity": self.quantity,
            "ready_at": self.ready_at,
            "reference": self.reference,
            "location": self.location,
        }


def ready_at(ties: tuple[Tie, ...] | list[Tie]) -> datetime | None:
    """When all the tied units are ready: the latest tie's date."""
    return max((t.ready_at for t in ties), default=None)
