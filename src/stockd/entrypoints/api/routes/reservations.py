"""Reservations (checkout holds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from stockd import errors
from stockd.domain.commands import CommitReservation, ExtendReservation, ReleaseReservation
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.entrypoints.api.deps import (
    Bus,
    IdempotencyKey,
    Now,
    ReadKey,
    Reads,
    WriteKey,
    idempotency,
)
from stockd.entrypoints.api.routes.common import (
    CodeFilter,
    Cursor,
    Limit,
    newest_first,
    problems,
    resume_at,
)
from stockd.entrypoints.api.schemas.common import CODE_PATTERN, TEXT_PATTERN
from stockd.entrypoints.api.schemas.reservations import (
    ReservationCommit,
    ReservationCreate,
    ReservationExtend,
    ReservationPage,
    ReservationRead,
    ReservationStatusName,
)
from stockd.entrypoints.api.writes import execute
from stockd.service.listing import ReservationFilter
from stockd.service.ports import Clock

router = APIRouter(prefix="/v1/reservations", tags=["reservations"])

ReservationId = Annotated[str, Path(pattern=CODE_PATTERN, description="The reservation id.")]


def _render(status: int, clock: Clock) -> Callable[[Reservation], tuple[int, ReservationRead]]:
    def render(r: Reservation) -> tuple[int, ReservationRead]:
        return status, ReservationRead.of(r, clock.now())

    return render


@router.post(
    "",
    status_code=201,
    response_model=ReservationRead,
    responses=problems(409, 422),
    summary="Hold stock for a checkout",
)
async def create(
    body: ReservationCreate,
    key: WriteKey,
    bus: Bus,
    clock: Now,
    request: Request,
    idem_key: IdempotencyKey = None,
) -> Response:
    """Served by `stockd.entrypoints.api.fast` (same model, same semantics).

    All lines or none. A line without `location` is placed by location
    priority, then most available, and split across locations when one cannot
    fill it. A shortfall is 409 `insufficient_stock` listing the short lines."""
    return await execute(
        bus,
        body.to_command(),
        key,
        idempotency(idem_key, key, request, body),
        _render(201, clock),
    )


@router.get("", response_model=ReservationPage, responses=problems())
async def list_reservations(
    reads: Reads,
    key: ReadKey,
    clock: Now,
    limit: Limit,
    status: Annotated[
        ReservationStatusName | None,
        Query(description="Live status: an active hold past its deadline is `expired`."),
    ] = None,
    sku: Annotated[CodeFilter, Query(description="Holds with a line of this SKU.")] = None,
    location: Annotated[CodeFilter, Query(description="Holds with units at this location.")] = None,
    reference: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=TEXT_PATTERN, description="Exact match."),
    ] = None,
    cursor: Cursor = None,
) -> ReservationPage:
    """Reservations, newest first (by creation time, then id), each with its
    live status, as `GET /v1/reservations/{id}` shows it. Every filter given
    must match."""
    now = clock.now()
    only = ReservationFilter(
        ReservationStatus(status) if status else None, sku, location, reference
    )
    found = await reads.reservations(now, only, resume_at(cursor), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return ReservationPage(
        items=[ReservationRead.of(r, now) for r in page], next_cursor=next_cursor
    )


@router.get("/{reservation_id}", response_model=ReservationRead, responses=problems(404))
async def get(
    reservation_id: ReservationId, reads: Reads, key: ReadKey, clock: Now
) -> ReservationRead:
    found = await reads.reservation(reservation_id)
    if found is None:
        raise errors.NotFound(f"reservation {reservation_id!r} does not exist")
    return ReservationRead.of(found, clock.now())


@router.post(
    "/{reservation_id}/extend", response_model=ReservationRead, responses=problems(404, 409, 422)
)
async def extend(
    reservation_id: ReservationId,
    body: ReservationExtend,
    key: WriteKey,
    bus: Bus,
    clock: Now,
    request: Request,
    idem_key: IdempotencyKey = None,
) -> Response:
    """The hold then expires at the later of now + ttl_seconds and its current deadline."""
    return await execute(
        bus,
        ExtendReservation(reservation_id, body.ttl_seconds),
        key,
        idempotency(idem_key, key, request, body),
        _render(200, clock),
    )


@router.post(
    "/{reservation_id}/release", response_model=ReservationRead, responses=problems(404, 409)
)
async def release(
    reservation_id: ReservationId,
    key: WriteKey,
    bus: Bus,
    clock: Now,
    request: Request,
    idem_key: IdempotencyKey = None,
) -> Response:
    return await execute(
        bus,
        ReleaseReservation(reservation_id),
        key,
        idempotency(idem_key, key, request, None),
        _render(200, clock),
    )


@router.post(
    "/{reservation_id}/commit", response_model=ReservationRead, responses=problems(404, 409, 422)
)
async def commit(
    reservation_id: ReservationId,
    body: ReservationCommit,
    key: WriteKey,
    bus: Bus,
    clock: Now,
    request: Request,
    idem_key: IdempotencyKey = None,
) -> Response:
    """Held units move from `reserved` to `committed` for the order."""
    return await execute(
        bus,
        CommitReservation(reservation_id, body.order_id),
        key,
        idempotency(idem_key, key, request, body),
        _render(200, clock),
    )
