"""Checkout holds: lines of units held at locations until a deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class HoldLine:
    sku: str
    location: str
    quantity: int
    named: int = 0
    """How many of the units are here because the caller named this location
    (a line's `location`, or the pickup store); the rest stockd placed. Placing
    an order never moves the named ones."""

    @property
    def placed(self) -> int:
        """Units stockd chose this location for."""
        return self.quantity - self.named


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    status: ReservationStatus
    lines: tuple[HoldLine, ...]
    created_at: datetime
    expires_at: datetime
    reference: str | None = None
    order_id: str | None = None
    closed_at: datetime | None = None
    pickup_location: str | None = None
    channel: str | None = None

    def status_at(self, now: datetime) -> ReservationStatus:
        """An active hold past its deadline is expired, whether or not the
        expiry worker has got to it yet."""
        if self.status is ReservationStatus.ACTIVE and self.expires_at <= now:
            return ReservationStatus.EXPIRED
        return self.status

    def is_live(self, now: datetime) -> bool:
        return self.status_at(now) is ReservationStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class TtlPolicy:
    """How long holds last when the caller does not say, and at most."""

    default_seconds: int
    max_seconds: int

    def __post_init__(self) -> None:
        if not 0 < self.default_seconds <= self.max_seconds:
            raise ValueError("need 0 < default TTL <= max TTL")

    def deadline(self, now: datetime, ttl_seconds: int | None) -> datetime:
        seconds = self.default_seconds if ttl_seconds is None else ttl_seconds
        if not 0 < seconds <= self.max_seconds:
            raise ValueError(f"ttl_seconds must be between 1 and {self.max_seconds}")
        return now + timedelta(seconds=seconds)

    def extended(self, current: datetime, now: datetime, ttl_seconds: int) -> datetime:
        """Extending never shortens a hold: the later of now + ttl and the old deadline."""
        return max(current, self.deadline(now, ttl_seconds))
