"""Field types and building blocks shared by every schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from stockd import errors
from stockd.domain.geo import Point
from stockd.service.cursors import decode_cursor, encode_cursor
from stockd.service.listing import Position

MAX_CODE = 128
CODE_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._:\-]{{0,{MAX_CODE - 1}}}$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"

Code = Annotated[
    str,
    StringConstraints(pattern=CODE_PATTERN),
    Field(
        description="An identifier chosen by the caller: 1-128 of A-Z a-z 0-9 . _ : - ,"
        " starting with a letter or digit.",
        examples=["SKU-123"],
    ),
]
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=TEXT_PATTERN),
    Field(description="Free text, 1-200 characters, no control characters."),
]
Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=TEXT_PATTERN),
    Field(
        description="The caller's reference (cart, purchase order, ticket…), up to 200 characters."
    ),
]
Count = Annotated[int, Field(ge=0, le=1_000_000_000_000)]
Version = Annotated[int, Field(ge=1, le=2**62)]


class Input(BaseModel):
    """Request bodies: unknown fields and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(Output):
    """RFC 9457 problem details (application/problem+json)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["urn:stockd:problem:insufficient_stock"])
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable, machine-readable error code.")
    instance: str | None = None
    request_id: str | None = Field(
        None, description="The request's id, as in its `X-Request-Id` response header."
    )


def position_cursor(position: Position) -> str:
    """The cursor of a newest-first list that resumes after `position`."""
    return encode_cursor(position.created_at.isoformat(), *position.id)


def position_from(cursor: str, ids: int = 1) -> Position:
    """The position a `position_cursor` holds (`ids`: parts of the item's id)."""
    parts = decode_cursor(cursor, 1 + ids)
    try:
        at = datetime.fromisoformat(parts[0])
        if at.tzinfo is None:
            raise ValueError("no time zone")
        at = at.astimezone(UTC)
    except (ValueError, OverflowError):
        raise errors.BadCursor("the cursor is not one this list handed out") from None
    return Position(at, tuple(parts[1:]))


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


Instant = Annotated[AwareDatetime, AfterValidator(_utc)]
"""An RFC 3339 time with its offset (`Z` or `±hh:mm`), held in UTC."""


StrategyName = Literal["priority", "nearest", "fewest_shipments", "lowest_cost", "most_stock"]


class ShipTo(Input):
    """Where the order goes: a point (for distance and cost), optionally a region."""

    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    region: Code | None = None

    def to_domain(self) -> Point:
        return Point(self.lat, self.lon)


ChannelName = Annotated[
    str, Field(pattern=f"{CODE_PATTERN}|^\\*$", examples=["web", "amazon", "*"])
]
"""A channel's id, or `*`: no pools (admin keys only)."""


CHANNEL_DESCRIPTION = (
    "The sales channel it sells through: it may take that channel's pool, the shared pool,"
    " then (waterfall) the pools of channels of lower priority. Without it, only the shared"
    " pool. `*` (admin keys) bypasses the pools."
)
