"""A typed Python client for the stockd HTTP API, blocking or asyncio.

    from stockd.client import StockdClient

    with StockdClient("http://127.0.0.1:8000", "sk_...") as stockd:
        hold = stockd.reservations.create([{"sku": "TSHIRT-M", "quantity": 2}])
        for event in stockd.events.iter(sku="TSHIRT-M"):
            ...

Results are frozen dataclasses (`stockd.client.models`); nested request parts
are TypedDicts (`stockd.client.inputs`); errors are `StockdError` and its
subclasses (`stockd.client.errors`). Every POST carries an `Idempotency-Key`,
kept across retries. Endpoints are declared once, in
`stockd.client.resources`, for both clients.
"""

from stockd.client.clients import AsyncStockdClient, StockdClient
from stockd.client.errors import (
    AlreadyExists,
    BadCursor,
    BadRequest,
    BeyondRecorded,
    BulkRejected,
    Busy,
    CapacityBelowBooked,
    CapacityShort,
    Conflict,
    DuplicateLines,
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientCapacity,
    InsufficientStock,
    InvalidRequest,
    InvariantViolation,
    Issue,
    ItemError,
    NotFound,
    NothingInTransit,
    OrderClosed,
    PayloadTooLarge,
    ReservationExpired,
    ReservationNotActive,
    ServerError,
    ShortLine,
    SlotNotActive,
    StockdError,
    Unauthorized,
    UnexpectedResponse,
    UnknownReference,
    ValidationFailed,
    VersionConflict,
)
from stockd.client.retry import Retry

__all__ = [
    "AlreadyExists",
    "AsyncStockdClient",
    "BadCursor",
    "BadRequest",
    "BeyondRecorded",
    "BulkRejected",
    "Busy",
    "CapacityBelowBooked",
    "CapacityShort",
    "Conflict",
    "DuplicateLines",
    "FieldError",
    "Forbidden",
    "IdempotencyKeyReused",
    "InsufficientCapacity",
    "InsufficientStock",
    "InvalidRequest",
    "InvariantViolation",
    "Issue",
    "ItemError",
    "NotFound",
    "NothingInTransit",
    "OrderClosed",
    "PayloadTooLarge",
    "ReservationExpired",
    "ReservationNotActive",
    "Retry",
    "ServerError",
    "ShortLine",
    "SlotNotActive",
    "StockdClient",
    "StockdError",
    "Unauthorized",
    "UnexpectedResponse",
    "UnknownReference",
    "ValidationFailed",
    "VersionConflict",
]
