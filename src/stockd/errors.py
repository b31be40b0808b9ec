"""The one exception hierarchy of stockd.

Every error a caller can cause or meet is a `StockdError` with a stable `code`;
`stockd.entrypoints.api.problems` maps each class to an HTTP status and an
RFC 9457 problem document, in that one place.

    StockdError
    ├── InvalidRequest            the request cannot be carried out as written (422)
    │   ├── UnknownReference      it names SKUs, locations, orders or holds that do not exist
    │   ├── DuplicateLines        the same SKU (and location) appears twice
    │   └── IdempotencyKeyReused  the key was used before with another request
    ├── BadCursor                 a list cursor that stockd did not issue (400)
    ├── NotFound                  the resource in the path does not exist (404)
    ├── Conflict                  the request is valid but the state forbids it (409)
    │   ├── AlreadyExists
    │   ├── VersionConflict       If-Match / expected value did not match: lost update
    │   ├── InsufficientStock     not enough units; lists the short lines
    │   ├── InvariantViolation    the change would break a level invariant
    │   ├── LastAdminKey          revoking the last active admin key (without force)
    │   ├── ReservationNotActive  the hold is committed, released or expired
    │   │   └── ReservationExpired
    │   ├── InsufficientCapacity  no production week in the window takes a line
    │   ├── CapacityBelowBooked   lowering weeks below what is held + committed
    │   ├── SlotNotActive         the slot booking is committed, released or expired
    │   ├── OrderClosed           the order is cancelled or has nothing left to do
    │   ├── NothingInTransit      receiving a transfer that has nothing left in transit
    │   ├── BeyondRecorded        shipping, returning or receiving more than there is
    │   └── BulkRejected          an atomic bulk with failing items (409 or 422)
    ├── Unauthorized              no or unknown API key (401)
    ├── Forbidden                 the key lacks the scope (403)
    └── Busy                      contention did not clear: retries ran out, or a lock
                                  wait passed the lock timeout (503)

**One code, one shape.** Besides the standard members (`type`, `title`,
`status`, `detail`, `code`, `instance`), a problem document carries exactly
the members its code declares (`members` below), wherever it was raised; each
class's constructor is the only way to fill them:

    code                            members
    invalid_request,                errors: [{index, field, detail}]  (Issue)
      unknown_reference,
      duplicate_lines
    insufficient_stock              lines: [{sku, location, requested, available, short}]
                                                                      (ShortLine)
    beyond_recorded, bulk_rejected  errors: [{index, code, detail}]   (ItemError)
    already_exists                  resource (sku, location, order, sale), id
    version_conflict                current_version
    reservation_not_active          reservation_status
    reservation_expired             reservation_status ("expired"), expires_at
    order_closed                    order_status
    insufficient_capacity           lines: [{index, sku, pool, quantity, first_week,
                                             earliest_week}]  (CapacityShort)
    capacity_below_booked           weeks: [{week, units, held, committed}]
    slot_not_active                 slot_status
    nothing_in_transit              transfer_status
    forbidden                       scopes (the key's), needed
    every other code                none

docs/api.md shows the same table to clients. A time in a problem (in
`detail` or a member) is written by `timestamp`, in the form resources use:
RFC 3339 in UTC with `Z`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

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
    members: ClassVar[tuple[str, ...]] = ()
    """The members this code's problem document carries besides the standard ones."""
    follow_up: FollowUp | None = None

    def __init__(self, detail: str, *, members: Mapping[str, Any] | None = None) -> None:
        """`members`: exactly those the class declares (its own constructor
        fills them; callers give only `detail` and typed arguments)."""
        extra = dict(members or {})
        if set(extra) != set(self.members):
            raise TypeError(
                f"{type(self).__name__} carries {sorted(self.members)}, not {sorted(extra)}"
            )
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def then(self, follow_up: FollowUp) -> Self:
        """This error, with what the bus should run before raising it."""
        self.follow_up = follow_up
        return self


# -- the request as written --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Issue:
    """What is wrong with one part of a request."""

    detail: str
    field: str | None = None
    """Where: a path into the body (`lines[2].location`, `ttl_seconds`), a
    header (`If-Match`) or query parameter (`type`); None when it is the
    request as a whole, or stockd cannot tell."""
    index: int | None = None
    """The line or change it concerns, if any (the number in `field`)."""

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "detail": self.detail}


class InvalidRequest(StockdError):
    """`errors` lists every issue found: `[{index, field, detail}]`."""

    code = "invalid_request"
    title = "Invalid request"
    members: ClassVar[tuple[str, ...]] = ("errors",)

    def __init__(self, *issues: Issue, detail: str | None = None) -> None:
        if not issues:
            raise TypeError("an invalid request names at least one issue")
        super().__init__(
            detail or "; ".join(i.detail for i in issues[:10]),
            members={"errors": [i.as_dict() for i in issues]},
        )
        self.issues = issues


class UnknownReference(InvalidRequest):
    code = "unknown_reference"
    title = "Unknown reference"


class DuplicateLines(InvalidRequest):
    code = "duplicate_lines"
    title = "Duplicate lines"


class IdempotencyKeyReused(InvalidRequest):
    code = "idempotency_key_reused"
    title = "Idempotency key reused with a different request"
    members: ClassVar[tuple[str, ...]] = ()

    def __init__(self, detail: str) -> None:
        StockdError.__init__(self, detail)


class BadCursor(StockdError):
    code = "invalid_cursor"
    title = "Invalid cursor"


class NotFound(StockdError):
    code = "not_found"
    title = "Not found"


# -- the state forbids it ----------------------------------------------------------


class Conflict(StockdError):
    code = "conflict"
    title = "Conflict"


class AlreadyExists(Conflict):
    code = "already_exists"
    title = "Already exists"
    members: ClassVar[tuple[str, ...]] = ("resource", "id")

    def __init__(self, detail: str, *, resource: str, id: str) -> None:
        super().__init__(detail, members={"resource": resource, "id": id})


class VersionConflict(Conflict):
    code = "version_conflict"
    title = "Version conflict"
    members: ClassVar[tuple[str, ...]] = ("current_version",)

    def __init__(self, detail: str, *, current_version: int) -> None:
        super().__init__(detail, members={"current_version": current_version})


@dataclass(frozen=True, slots=True)
class ShortLine:
    """A line that cannot be filled: of `requested` units, `available` could
    be had (at `location`, or wherever the strategy looked when None)."""

    sku: str
    location: str | None
    requested: int
    available: int

    @property
    def short(self) -> int:
        """How many of the requested units cannot be had."""
        return self.requested - min(max(self.available, 0), self.requested)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "location": self.location,
            "requested": self.requested,
            "available": max(self.available, 0),
            "short": self.short,
        }


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Insufficient stock"
    members: ClassVar[tuple[str, ...]] = ("lines",)

    def __init__(self, detail: str, lines: Sequence[ShortLine]) -> None:
        super().__init__(detail, members={"lines": [x.as_dict() for x in lines]})
        self.lines = tuple(lines)


class ChannelShort(Conflict):
    """A request through a channel (or through none: the shared pool) asks
    more of a SKU than the channel's pools let it take, though the stock may
    be there for other channels."""

    code = "insufficient_channel_stock"
    title = "Not enough stock for this channel"
    members: ClassVar[tuple[str, ...]] = ("channel", "lines")

    def __init__(self, detail: str, *, channel: str | None, lines: Sequence[ChannelLine]) -> None:
        super().__init__(
            detail, members={"channel": channel, "lines": [x.as_dict() for x in lines]}
        )
        self.lines = tuple(lines)


@dataclass(frozen=True, slots=True)
class ChannelLine:
    """A SKU a channel is short of: asked for, and what it may still take."""

    sku: str
    requested: int
    room: int

    def as_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "requested": self.requested, "room": self.room}


class LastAdminKey(Conflict):
    """Revoking this key would leave no active admin key (pass `force`)."""

    code = "last_admin_key"
    title = "The last active admin key"


class InvariantViolation(Conflict):
    code = "invariant_violation"
    title = "Change would break a stock invariant"


class ReservationNotActive(Conflict):
    code = "reservation_not_active"
    title = "Reservation is not active"
    members: ClassVar[tuple[str, ...]] = ("reservation_status",)

    def __init__(self, detail: str, *, reservation_status: str) -> None:
        super().__init__(detail, members={"reservation_status": reservation_status})


class ReservationExpired(ReservationNotActive):
    code = "reservation_expired"
    title = "Reservation has expired"
    members: ClassVar[tuple[str, ...]] = ("reservation_status", "expires_at")

    def __init__(self, detail: str, *, expires_at: str) -> None:
        StockdError.__init__(
            self, detail, members={"reservation_status": "expired", "expires_at": expires_at}
        )


@dataclass(frozen=True, slots=True)
class CapacityShort:
    """A production line (`index` in the request) that no week from
    `first_week` through the booking window has room for; `earliest_week` is
    the earliest later week with capacity set that could take it whole
    (None: none can)."""

    index: int
    sku: str
    pool: str
    quantity: int
    first_week: str
    earliest_week: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "sku": self.sku,
            "pool": self.pool,
            "quantity": self.quantity,
            "first_week": self.first_week,
            "earliest_week": self.earliest_week,
        }


class InsufficientCapacity(Conflict):
    code = "insufficient_capacity"
    title = "Insufficient production capacity"
    members: ClassVar[tuple[str, ...]] = ("lines",)

    def __init__(self, detail: str, lines: Sequence[CapacityShort]) -> None:
        super().__init__(detail, members={"lines": [x.as_dict() for x in lines]})
        self.lines = tuple(lines)


class CapacityBelowBooked(Conflict):
    """Capacity set below the units already held and committed in a week."""

    code = "capacity_below_booked"
    title = "Capacity below what is booked"
    members: ClassVar[tuple[str, ...]] = ("weeks",)

    def __init__(self, detail: str, weeks: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(detail, members={"weeks": [dict(w) for w in weeks]})


class SlotNotActive(Conflict):
    code = "slot_not_active"
    title = "Slot booking is not active"
    members: ClassVar[tuple[str, ...]] = ("slot_status",)

    def __init__(self, detail: str, *, slot_status: str) -> None:
        super().__init__(detail, members={"slot_status": slot_status})


class OrderClosed(Conflict):
    code = "order_closed"
    title = "Order is closed"
    members: ClassVar[tuple[str, ...]] = ("order_status",)

    def __init__(self, detail: str, *, order_status: str) -> None:
        super().__init__(detail, members={"order_status": order_status})


class NothingInTransit(Conflict):
    code = "nothing_in_transit"
    title = "Nothing left in transit"
    members: ClassVar[tuple[str, ...]] = ("transfer_status",)

    def __init__(self, detail: str, *, transfer_status: str) -> None:
        super().__init__(detail, members={"transfer_status": transfer_status})


@dataclass(frozen=True, slots=True)
class ItemError:
    """Why one item of a bulk request (or one line) failed."""

    index: int
    code: str
    detail: str

    @property
    def is_validation(self) -> bool:
        return self.code in _VALIDATION_CODES

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "detail": self.detail}


class BeyondRecorded(Conflict):
    """More units than the order or transfer has in that state; `errors`
    lists each line (codes: not_in_order, exceeds_committed, exceeds_shipped,
    exceeds_unproduced, not_in_transfer, exceeds_in_transit,
    not_in_purchase_order, exceeds_open, nothing_open)."""

    code = "beyond_recorded"
    title = "More units than recorded"
    members: ClassVar[tuple[str, ...]] = ("errors",)

    def __init__(self, items: Sequence[ItemError]) -> None:
        super().__init__(
            "; ".join(i.detail for i in items), members={"errors": [i.as_dict() for i in items]}
        )
        self.items = tuple(items)


class BulkRejected(Conflict):
    code = "bulk_rejected"
    title = "Bulk request rejected; nothing was applied"
    members: ClassVar[tuple[str, ...]] = ("errors",)

    def __init__(self, items: Sequence[ItemError]) -> None:
        super().__init__(
            f"{len(items)} item(s) failed; nothing was applied",
            members={"errors": [i.as_dict() for i in items]},
        )
        self.items = tuple(items)

    @property
    def is_validation(self) -> bool:
        return any(i.is_validation for i in self.items)


# -- who is asking, and how busy we are ----------------------------------------------


class Unauthorized(StockdError):
    code = "unauthorized"
    title = "Missing or unknown API key"


class Forbidden(StockdError):
    code = "forbidden"
    title = "API key lacks the required scope"
    members: ClassVar[tuple[str, ...]] = ("scopes", "needed")

    def __init__(self, detail: str, *, scopes: Sequence[str], needed: str) -> None:
        super().__init__(detail, members={"scopes": list(scopes), "needed": needed})


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
