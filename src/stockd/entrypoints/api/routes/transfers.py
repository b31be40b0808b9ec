"""Transfers between locations, and store sales from a point of sale."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from stockd import errors
from stockd.domain.commands import ChangeTransferEta, CreateTransfer, ReceiveTransfer, RecordSale
from stockd.domain.transfers import TransferStatus
from stockd.entrypoints.api.deps import (
    AppContainer,
    ReadKey,
    Reads,
    Writer,
)
from stockd.entrypoints.api.routes.catalog import IfMatch
from stockd.entrypoints.api.routes.common import (
    CodeFilter,
    Cursor,
    Limit,
    newest_first,
    problems,
    resume_at,
)
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.orders import (
    SaleCreate,
    SalePage,
    SaleRead,
    TransferCreate,
    TransferPage,
    TransferRead,
    TransferReceive,
    TransferStatusName,
    TransferUpdate,
)
from stockd.entrypoints.api.writes import expected_version, fingerprint
from stockd.service.auth import may_name
from stockd.service.handlers.sales import SaleResult
from stockd.service.listing import SaleFilter, TransferFilter

router = APIRouter(prefix="/v1", tags=["transfers and sales"])

TransferId = Annotated[str, Path(pattern=CODE_PATTERN, description="The transfer id.")]


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransferRead,
    responses=problems(409, 422),
    summary="Send units from one location to another",
)
async def create(
    body: TransferCreate,
    write: Writer,
) -> Response:
    """Units leave `on_hand` at the source now (they must be available) and
    appear as `incoming` at the destination until received."""
    cmd = CreateTransfer(
        body.source,
        body.destination,
        tuple(x.to_domain() for x in body.lines),
        body.reference,
        body.expected_at,
    )
    return await write(cmd, lambda t: (201, TransferRead.of(t)), body=body, etag=True)


@router.get("/transfers", response_model=TransferPage, responses=problems())
async def list_transfers(
    key: ReadKey,
    reads: Reads,
    limit: Limit,
    status: Annotated[
        TransferStatusName | None, Query(description="Transfers in this status.")
    ] = None,
    source: Annotated[CodeFilter, Query(description="Sent from this location (`from`).")] = None,
    destination: Annotated[CodeFilter, Query(description="Sent to this location (`to`).")] = None,
    sku: Annotated[CodeFilter, Query(description="Transfers with a line of this SKU.")] = None,
    cursor: Cursor = None,
) -> TransferPage:
    """Transfers, newest first (by creation time, then id). Every filter
    given must match."""
    only = TransferFilter(TransferStatus(status) if status else None, source, destination, sku)
    found = await reads.transfers(only, resume_at(cursor), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return TransferPage(items=[TransferRead.of(t) for t in page], next_cursor=next_cursor)


@router.get("/transfers/{transfer_id}", response_model=TransferRead, responses=problems(404))
async def get(
    transfer_id: TransferId, key: ReadKey, container: AppContainer, response: Response
) -> TransferRead:
    found = await container.reads.transfer(transfer_id)
    if found is None:
        raise errors.NotFound(f"transfer {transfer_id!r} does not exist")
    response.headers["ETag"] = f'"{found.version}"'
    return TransferRead.of(found)


@router.patch(
    "/transfers/{transfer_id}",
    response_model=TransferRead,
    responses=problems(404, 409, 422),
    summary="Move the ETA of a transfer's units in transit",
)
async def update(
    transfer_id: TransferId, body: TransferUpdate, write: Writer, if_match: IfMatch = None
) -> Response:
    """A new `expected_at` is recorded as an `inbound.eta_changed` event and
    the backorders tied to the transfer are re-dated (`promise.changed`), as
    for a purchase order; the same ETA again changes nothing. 409
    `nothing_in_transit` once all of it was received, `version_conflict` if `If-Match`
    names another version."""
    cmd = ChangeTransferEta(transfer_id, body.expected_at, expected_version(if_match))
    return await write(cmd, lambda t: (200, TransferRead.of(t)), body=body, etag=True)


@router.post(
    "/transfers/{transfer_id}/receive",
    response_model=TransferRead,
    responses=problems(409, 422),
    summary="Receive what arrived (partial receipts allowed)",
)
async def receive(
    transfer_id: TransferId,
    write: Writer,
    body: TransferReceive | None = None,
) -> Response:
    """Received units move from `incoming` to `on_hand` at the destination.
    Without lines, everything still in transit is received."""
    lines = tuple(x.to_domain() for x in body.lines) if body and body.lines else ()
    return await write(
        ReceiveTransfer(transfer_id, lines), lambda t: (200, TransferRead.of(t)), body=body
    )


@router.get("/sales", response_model=SalePage, responses=problems())
async def list_sales(
    key: ReadKey,
    reads: Reads,
    limit: Limit,
    location: Annotated[CodeFilter, Query(description="Sold at this location.")] = None,
    sku: Annotated[CodeFilter, Query(description="Sales with a line of this SKU.")] = None,
    cursor: Cursor = None,
) -> SalePage:
    """Store sales, newest first (by the time recorded, then location and
    receipt id); `replayed` is null here."""
    found = await reads.sales(SaleFilter(location, sku), resume_at(cursor, ids=2), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return SalePage(items=[SaleRead.of(x) for x in page], next_cursor=next_cursor)


@router.post(
    "/sales",
    status_code=201,
    response_model=SaleRead,
    responses={
        200: {
            "model": SaleRead,
            "description": "The sale recorded before (same receipt, same lines)",
        },
        **problems(409, 422),
    },
    summary="Record a store sale from a point of sale; idempotent by external_id",
)
async def sale(
    body: SaleCreate,
    write: Writer,
) -> Response:
    """Sold units leave `on_hand` at the store at once; they must be
    available (not held for online orders). The same receipt sent again
    returns the first result (200, `replayed: true`) and changes nothing."""
    cmd = RecordSale(
        body.location,
        body.external_id,
        tuple(x.to_domain() for x in body.lines),
        fingerprint(body),
        body.channel,
    )
    may_name(write.key, body.channel)

    def render(result: SaleResult) -> tuple[int, SaleRead]:
        return (200 if result.replayed else 201), SaleRead.of(result.sale, result.replayed)

    return await write(cmd, render, body=body)
