"""The client's one exception tree: every problem document stockd answers.

stockd reports every error as an RFC 9457 problem document with a stable
`code`; the client raises the class for that code, or else the class for
the HTTP status. Classes and codes mirror the server's `stockd.errors`, with
a class per status family above them so callers can catch broadly.

    StockdError                   status, code, title, detail, problem
    ├── BadRequest                400 (malformed_json, …)
    │   └── BadCursor             invalid_cursor
    ├── Unauthorized              401
    ├── Forbidden                 403
    ├── NotFound                  404
    ├── Conflict                  409
    │   ├── AlreadyExists         .resource, .id
    │   ├── VersionConflict       .current_version
    │   ├── InsufficientStock     .lines: the short lines
    │   ├── InvariantViolation
    │   ├── ReservationNotActive  .reservation_status
    │   │   └── ReservationExpired
    │   ├── OrderClosed           .order_status
    │   ├── InsufficientCapacity  .lines: the made-to-order lines no week takes
    │   ├── CapacityBelowBooked
    │   ├── SlotNotActive         .slot_status
    │   ├── NothingInTransit      .transfer_status
    │   ├── BeyondRecorded        .errors: the lines beyond what is recorded
    │   └── BulkRejected          .errors; 409, or 422 when items are invalid
    ├── PayloadTooLarge           413
    ├── InvalidRequest            422 (invalid_request, …); .issues: index, field, detail
    │   ├── ValidationFailed      .errors: field, message, type
    │   ├── UnknownReference      .issues
    │   ├── DuplicateLines        .issues
    │   └── IdempotencyKeyReused
    ├── Busy                      503; retried by the client before it is raised
    ├── ServerError               other 5xx
    └── UnexpectedResponse        a success whose body is not what the endpoint declares

Network failures that outlast the retries are raised as httpx's own
`httpx.TransportError`: there is no problem document to describe them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from stockd.client.decode import Mismatch, decoder

T = TypeVar("T")


class StockdError(Exception):
    """A request stockd refused or could not carry out.

    `problem` is the whole problem document (extension members included);
    `status` is the HTTP status of the response; `retry_after` the seconds
    the server asked to wait, if it did."""

    code_default: ClassVar[str] = "error"

    def __init__(
        self, status: int, problem: Mapping[str, Any], *, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.problem: Mapping[str, Any] = dict(problem)
        self.code = str(problem.get("code") or self.code_default)
        self.title = str(problem.get("title") or "")
        self.detail = str(problem.get("detail") or "")
        self.retry_after = retry_after
        super().__init__(f"{self.detail or self.title} ({status} {self.code})")

    def _text(self, name: str) -> str | None:
        found = self.problem.get(name)
        return found if isinstance(found, str) else None

    def _members(self, name: str, cls: type[T]) -> tuple[T, ...]:
        """Extension member `name` as a tuple of `cls`, skipping malformed items
        (an error report should never fail on its own details)."""
        found = self.problem.get(name)
        if not isinstance(found, list):
            return ()
        decode, out = decoder(cls), []
        for item in found:
            try:
                out.append(decode(item))
            except Mismatch:
                continue
        return tuple(out)


@dataclass(frozen=True, slots=True)
class ShortLine:
    """A line stockd could not fill: `available` is what there was, `short`
    how many of the requested units could not be had."""

    sku: str
    location: str | None
    requested: int
    available: int | None = None
    short: int | None = None


@dataclass(frozen=True, slots=True)
class CapacityShort:
    """A made-to-order line no week of the booking window takes:
    `earliest_week` is the earliest later week that could (None: none)."""

    index: int
    sku: str
    pool: str
    quantity: int
    first_week: str
    earliest_week: str | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """What is wrong with one part of a request: `field` is a path such as
    `lines[2].location` (or a header or query parameter), None for the
    request as a whole; `index` the line it concerns."""

    detail: str
    field: str | None = None
    index: int | None = None


@dataclass(frozen=True, slots=True)
class ItemError:
    """Why one item of a bulk request, or one line, failed."""

    code: str
    detail: str
    index: int | None = None


@dataclass(frozen=True, slots=True)
class FieldError:
    """One validation failure: `field` is a path such as `body.lines[0].quantity`."""

    field: str
    message: str
    type: str


class BadRequest(StockdError):
    code_default = "bad_request"


class BadCursor(BadRequest):
    code_default = "invalid_cursor"


class Unauthorized(StockdError):
    code_default = "unauthorized"


class Forbidden(StockdError):
    code_default = "forbidden"


class NotFound(StockdError):
    code_default = "not_found"


class Conflict(StockdError):
    code_default = "conflict"


class AlreadyExists(Conflict):
    code_default = "already_exists"

    @property
    def resource(self) -> str | None:
        """`sku`, `location`, `order` or `sale`."""
        return self._text("resource")

    @property
    def id(self) -> str | None:
        return self._text("id")


class VersionConflict(Conflict):
    code_default = "version_conflict"

    @property
    def current_version(self) -> int | None:
        found = self.problem.get("current_version")
        return found if isinstance(found, int) else None


class InsufficientStock(Conflict):
    code_default = "insufficient_stock"

    @property
    def lines(self) -> tuple[ShortLine, ...]:
        return self._members("lines", ShortLine)


class InvariantViolation(Conflict):
    code_default = "invariant_violation"


class ReservationNotActive(Conflict):
    code_default = "reservation_not_active"

    @property
    def reservation_status(self) -> str | None:
        return self._text("reservation_status")


class ReservationExpired(ReservationNotActive):
    code_default = "reservation_expired"


class InsufficientCapacity(Conflict):
    code_default = "insufficient_capacity"

    @property
    def lines(self) -> tuple[CapacityShort, ...]:
        return self._members("lines", CapacityShort)


class CapacityBelowBooked(Conflict):
    code_default = "capacity_below_booked"


class SlotNotActive(Conflict):
    code_default = "slot_not_active"

    @property
    def slot_status(self) -> str | None:
        return self._text("slot_status")


class OrderClosed(Conflict):
    code_default = "order_closed"

    @property
    def order_status(self) -> str | None:
        return self._text("order_status")


class NothingInTransit(Conflict):
    code_default = "nothing_in_transit"

    @property
    def transfer_status(self) -> str | None:
        return self._text("transfer_status")


class BeyondRecorded(Conflict):
    code_default = "beyond_recorded"

    @property
    def errors(self) -> tuple[ItemError, ...]:
        return self._members("errors", ItemError)


class BulkRejected(Conflict):
    """Nothing was applied. A Conflict as on the server, though it arrives as
    a 422 when some item is invalid rather than refused by the stock."""

    code_default = "bulk_rejected"

    @property
    def errors(self) -> tuple[ItemError, ...]:
        return self._members("errors", ItemError)


class PayloadTooLarge(StockdError):
    code_default = "payload_too_large"


class InvalidRequest(StockdError):
    code_default = "invalid_request"

    @property
    def issues(self) -> tuple[Issue, ...]:
        """What is wrong, part by part (`ValidationFailed` lists `errors` instead)."""
        return self._members("errors", Issue)


class ValidationFailed(InvalidRequest):
    code_default = "validation_failed"

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return self._members("errors", FieldError)


class UnknownReference(InvalidRequest):
    code_default = "unknown_reference"


class DuplicateLines(InvalidRequest):
    code_default = "duplicate_lines"


class IdempotencyKeyReused(InvalidRequest):
    code_default = "idempotency_key_reused"


class Busy(StockdError):
    code_default = "busy"


class ServerError(StockdError):
    code_default = "internal_error"


class UnexpectedResponse(StockdError):
    code_default = "unexpected_response"


_BY_CODE: dict[str, type[StockdError]] = {
    cls.code_default: cls
    for cls in (
        BadCursor,
        AlreadyExists,
        VersionConflict,
        InsufficientStock,
        InvariantViolation,
        ReservationNotActive,
        ReservationExpired,
        OrderClosed,
        InsufficientCapacity,
        CapacityBelowBooked,
        SlotNotActive,
        NothingInTransit,
        BeyondRecorded,
        BulkRejected,
        ValidationFailed,
        UnknownReference,
        DuplicateLines,
        IdempotencyKeyReused,
        Busy,
    )
}

_BY_STATUS: dict[int, type[StockdError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidRequest,
}


def error_for(
    status: int, problem: Mapping[str, Any], *, retry_after: float | None = None
) -> StockdError:
    """The exception for an error response: by `code`, else by status."""
    code = problem.get("code")
    cls = _BY_CODE.get(code) if isinstance(code, str) else None
    if cls is None:
        cls = _BY_STATUS.get(status, ServerError if status >= 500 else StockdError)
    return cls(status, problem, retry_after=retry_after)
