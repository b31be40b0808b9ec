"""What every handler gets besides its command and unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from stockd.domain.reservations import TtlPolicy
from stockd.service.ports import Clock


@dataclass(frozen=True, slots=True)
class Context:
    """Who is asking, and under which idempotency key (stamped on ledger events)."""

    actor: str
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Deps:
    clock: Clock
    ttl: TtlPolicy
    default_strategy: str
    new_id: Callable[[str], str]
    """A fresh id with the given prefix ("res", "trf", …)."""
    production_window_weeks: int = 8
    """How many weeks from its first a made-to-order line may be booked in."""
    transfer_transit: timedelta = timedelta(days=7)
    """When a transfer that names no `expected_at` is expected: this long after it leaves."""
