"""Reservations (checkout holds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import ValidationError
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.commands import CommitReservation, ExtendReservation, ReleaseReservation
from stockd.domain.promises import Holder, HolderKind
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.entrypoints.api import lean
from stockd.entrypoints.api.deps import (
    Now,
    ReadKey,
    Reads,
    Writer,
)
from stockd.entrypoints.api.problems import invalid, problem_for
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
    reservation_document,
)
from stockd.entrypoints.api.writes import Write
from stockd.service.auth import Scope, may_name
from stockd.service.listing import ReservationFilter
from stockd.service.ports import Clock

router = APIRouter(prefix="/v1/reservations", tags=["reservations"])
hot = lean.router("/v1/reservations", ["reservations"])

ReservationId = Annotated[str, Path(pattern=CODE_PATTERN, description="The reservation id.")]


def _document(status: int, clock: Clock) -> Callable[[Reservation], tuple[int, dict[str, Any]]]:
    """A reservation's answer, as the plain `ReservationRead` document."""

    def render(r: Reservation) -> tuple[int, dict[str, Any]]:
        return status, reservation_document(r, clock.now())

    return render


@hot.post(
    "",
    status_code=201,
    response_model=ReservationRead,
    responses=problems(409, 422),
    summary="Hold stock for a checkout",
    openapi_extra=lean.operation(body=ReservationCreate, idempotent=True),
)
async def create(request: Request) -> Response:
    """All lines or none. A line without `location` is placed by location
    priority, then most available, and split across locations when one cannot
    fill it. A shortfall is 409 `insufficient_stock` listing the short lines.

    The flash-sale path: a lean route (`stockd.entrypoints.api.lean`) that
    reads its own body, with the same model, rules and problems as any
    route."""
    path: str = request.scope["path"]
    container: Container = request.app.state.container
    try:
        key = await container.auth.authenticate(lean.bearer(request), Scope.WRITE)
        idem_key = lean.header(request, b"idempotency-key")
        if idem_key is not None and not lean.KEY_PATTERN.match(idem_key):
            return invalid(
                [
                    {
                        "loc": ("Idempotency-Key",),
                        "msg": "must be 1-255 visible ASCII characters",
                        "type": "string_pattern_mismatch",
                    }
                ],
                path,
                ("header",),
            )
        try:
            body = ReservationCreate.model_validate_json(await lean.body(request))
        except ValidationError as e:
            return invalid(e.errors(), path, ("body",))
        except ClientDisconnect:
            return Response(status_code=499)  # nobody is listening
        may_name(key, body.channel)
        write = Write(container.bus, key, request, idem_key)
        return await write(body.to_command(), _document(201, container.clock), body=body)
    except errors.StockdError as e:
        return problem_for(e, path)


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
    promises = await reads.promises(Holder(HolderKind.RESERVATION, found.id))
    return ReservationRead.of(found, clock.now(), promises)


@router.post(
    "/{reservation_id}/extend", response_model=ReservationRead, responses=problems(404, 409, 422)
)
async def extend(
    reservation_id: ReservationId,
    body: ReservationExtend,
    write: Writer,
    clock: Now,
) -> Response:
    """The hold then expires at the later of now + ttl_seconds and its current deadline."""
    return await write(
        ExtendReservation(reservation_id, body.ttl_seconds), _document(200, clock), body=body
    )


@router.post(
    "/{reservation_id}/release", response_model=ReservationRead, responses=problems(404, 409)
)
async def release(
    reservation_id: ReservationId,
    write: Writer,
    clock: Now,
) -> Response:
    return await write(ReleaseReservation(reservation_id), _document(200, clock))


@router.post(
    "/{reservation_id}/commit", response_model=ReservationRead, responses=problems(404, 409, 422)
)
async def commit(
    reservation_id: ReservationId,
    body: ReservationCommit,
    write: Writer,
    clock: Now,
) -> Response:
    """Held units move from `reserved` to `committed` for the order."""
    return await write(
        CommitReservation(reservation_id, body.order_id), _document(200, clock), body=body
    )
