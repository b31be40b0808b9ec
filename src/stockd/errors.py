"""The one exception hierarchy of stockd.

Every error a caller can cause or meet is a `StockdError` with a stable `code`;
`stockd.entrypoints.api.problems` maps each class to an HTTP status and an
RFC 9457 problem document, in that one place.

    StockdError
    ├── InvalidRequest            the request cannot be carried out as written (422)
    │   ├── UnknownReference      it names SKUs or locations that do not exist
    │   ├── DuplicateLines        the same SKU and location appear twice
    │   └── IdempotencyKeyReused  the key was used before with another request
    ├── BadCursor                 a list cursor that stockd did not issue (400)
    ├── NotFound                  the resource in the path does not exist (404)
    ├── Conflict                  the request is valid but the state forbids it (409)
    │   ├── AlreadyExists
    │   ├── VersionConflict       If-Match / expected value did not match: lost update
    │   ├── InsufficientStock     not enough sellable units; lists the short lines
    │   ├── InvariantViolation    the change would break a level invariant
    │   ├── ReservationNotActive  the hold is committed, released or expired
    │   │   └── ReservationExpired
    │   ├── OrderClosed           the order is cancelled or has nothing left to do
    │   ├── BeyondRecorded        shipping, returning or receiving more than there is
    │   └── BulkRejected          an atomic bulk with failing items (409 or 422)
    ├── Unauthorized              no or unknown API key (401)
    ├── Forbidden                 the key lacks the scope (403)
    └── Busy                      contention did not clear: retries ran out, or a lock
                                  wait passed the lock timeout (503)

A time in a problem (in `detail` or a member) is written by `timestamp`, in
the form resources use: RFC 3339 in UTC with `Z`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from stockd.domain.commands import Command


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What to run, in a transaction of its own, before the caller hears of an
    error: e.g. expire the overdue holds that stood in the way. With `retry`,
    the failed command is then tried once more if the follow-up changed
    anything (its result is truthy)."""

    command: Command
    retry: bool = False
    actor: str = "stockd"
    """Who the ledger names for what the follow-up changes."""


def timestamp(at: datetime) -> str:
    """`at` as resources show times: `2026-01-01T12:00:00Z` (microseconds
    only when there are any), whatever zone it was in."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class StockdError(Exception):
    code = "error"
    title = "Request failed"
    follow_up: FollowUp | None = None

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def then(self, follow_up: FollowUp) -> Self:
        """This error, with what the bus should run before raising it."""
        self.follow_up = follow_up
        return self


class InvalidRequest(StockdError):
    code = "invalid_request"
    title = "Invalid request"


class UnknownReference(InvalidRequest):
    code = "unknown_reference"
    title = "Unknown SKU or location"


class DuplicateLines(InvalidRequest):
    code = "duplicate_lines"
    title = "Duplicate lines"


class IdempotencyKeyReused(InvalidRequest):
    code = "idempotency_key_reused"
    title = "Idempotency key reused with a different request"


class BadCursor(StockdError):
    code = "invalid_cursor"
    title = "Invalid cursor"


class NotFound(StockdError):
    code = "not_found"
    title = "Not found"


class Conflict(StockdError):
    code = "conflict"
    title = "Conflict"


class AlreadyExists(Conflict):
    code = "already_exists"
    title = "Already exists"


class VersionConflict(Conflict):
    code = "version_conflict"
    title = "Version conflict"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"


class InvariantViolation(Conflict):
    code = "invariant_violation"
    title = "Change would break a stock invariant"


class ReservationNotActive(Conflict):
    code = "reservation_not_active"
    title = "Reservation is not active"


class ReservationExpired(ReservationNotActive):
    code = "reservation_expired"
    title = "Reservation has expired"


class OrderClosed(Conflict):
    code = "order_closed"
    title = "Order is closed"


class BeyondRecorded(Conflict):
    """More units than the order or transfer has in that state; `errors`
    lists each line (codes: not_in_order, exceeds_committed, exceeds_shipped,
    exceeds_in_transit)."""

    code = "beyond_recorded"
    title = "More units than recorded"


@dataclass(frozen=True, slots=True)
class ItemError:
    """Why one item of a bulk request failed."""

    index: int
    code: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_validation(self) -> bool:
        return self.code in _VALIDATION_CODES

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "detail": self.detail, **self.extra}


class BulkRejected(Conflict):
    code = "bulk_rejected"
    title = "Bulk request rejected; nothing was applied"

    def __init__(self, items: Sequence[ItemError]) -> None:
        super().__init__(
            f"{len(items)} item(s) failed; nothing was applied",
            errors=[i.as_dict() for i in items],
        )
        self.items = tuple(items)

    @property
    def is_validation(self) -> bool:
        return any(i.is_validation for i in self.items)


class Unauthorized(StockdError):
    code = "unauthorized"
    title = "Missing or unknown API key"


class Forbidden(StockdError):
    code = "forbidden"
    title = "API key lacks the required scope"


class Busy(StockdError):
    code = "busy"
    title = "Too much contention; retry"


class TransientConflict(Exception):
    """A store-level deadlock or serialization failure: the transaction may be
    retried as a whole. Never reaches a client (the bus retries, then `Busy`)."""


_VALIDATION_CODES = frozenset(
    {
        InvalidRequest.code,
        UnknownReference.code,
        DuplicateLines.code,
        "invalid_change",
    }
)
