"""Purchase orders: inbound stock with an ETA."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from stockd import errors
from stockd.domain.commands import (
    ChangePurchaseOrderEta,
    CreatePurchaseOrder,
    CutPurchaseOrder,
    ReceivePurchaseOrder,
)
from stockd.domain.inbound import PurchaseOrderStatus
from stockd.entrypoints.api.deps import ReadKey, Reads, Writer
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
from stockd.entrypoints.api.schemas.purchase_orders import (
    PurchaseOrderCreate,
    PurchaseOrderCut,
    PurchaseOrderPage,
    PurchaseOrderRead,
    PurchaseOrderReceive,
    PurchaseOrderStatusName,
    PurchaseOrderUpdate,
)
from stockd.entrypoints.api.writes import expected_version
from stockd.service.listing import PurchaseOrderFilter

router = APIRouter(prefix="/v1", tags=["purchase orders"])

PurchaseOrderId = Annotated[str, Path(pattern=CODE_PATTERN, description="The purchase order id.")]


@router.post(
    "/purchase-orders",
    status_code=201,
    response_model=PurchaseOrderRead,
    responses=problems(409, 422),
    summary="Order units from a supplier: they become incoming, expected at the ETA",
)
async def create(body: PurchaseOrderCreate, write: Writer) -> Response:
    """Each line's units are added to `incoming` at the location now; they
    move to `on_hand` as they are received. 409 `already_exists` if the id
    is taken; 422 for unknown SKUs or location, or an ETA before today."""
    cmd = CreatePurchaseOrder(
        body.id,
        body.supplier,
        body.location,
        tuple(x.to_domain() for x in body.lines),
        body.expected_at,
        body.reference,
    )
    return await write(cmd, lambda po: (201, PurchaseOrderRead.of(po)), body=body, etag=True)


@router.get("/purchase-orders", response_model=PurchaseOrderPage, responses=problems())
async def list_purchase_orders(
    key: ReadKey,
    reads: Reads,
    limit: Limit,
    status: Annotated[
        PurchaseOrderStatusName | None, Query(description="Purchase orders in this status.")
    ] = None,
    location: Annotated[CodeFilter, Query(description="Arriving at this location.")] = None,
    supplier: Annotated[CodeFilter, Query(description="From this supplier.")] = None,
    sku: Annotated[CodeFilter, Query(description="With a line of this SKU.")] = None,
    cursor: Cursor = None,
) -> PurchaseOrderPage:
    """Purchase orders, newest first (by creation time, then id). Every
    filter given must match."""
    only = PurchaseOrderFilter(
        PurchaseOrderStatus(status) if status else None, location, supplier, sku
    )
    found = await reads.purchase_orders(only, resume_at(cursor), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return PurchaseOrderPage(items=[PurchaseOrderRead.of(p) for p in page], next_cursor=next_cursor)


@router.get(
    "/purchase-orders/{purchase_order_id}",
    response_model=PurchaseOrderRead,
    responses=problems(404),
)
async def get(
    purchase_order_id: PurchaseOrderId, key: ReadKey, reads: Reads, response: Response
) -> PurchaseOrderRead:
    found = await reads.purchase_order(purchase_order_id)
    if found is None:
        raise errors.NotFound(f"purchase order {purchase_order_id!r} does not exist")
    response.headers["ETag"] = f'"{found.version}"'
    return PurchaseOrderRead.of(found)


@router.patch(
    "/purchase-orders/{purchase_order_id}",
    response_model=PurchaseOrderRead,
    responses=problems(404, 409, 422),
    summary="Move a purchase order's ETA",
)
async def update(
    purchase_order_id: PurchaseOrderId,
    body: PurchaseOrderUpdate,
    write: Writer,
    if_match: IfMatch = None,
) -> Response:
    """A new `expected_at` is recorded as an `inbound.eta_changed` event
    (the same ETA again changes nothing). 409 `beyond_recorded` once
    nothing is open (received or cancelled)."""
    cmd = ChangePurchaseOrderEta(purchase_order_id, body.expected_at, expected_version(if_match))
    return await write(cmd, lambda po: (200, PurchaseOrderRead.of(po)), body=body, etag=True)


@router.post(
    "/purchase-orders/{purchase_order_id}/receive",
    response_model=PurchaseOrderRead,
    responses=problems(404, 409, 422),
    summary="Receive what arrived (partial receipts allowed)",
)
async def receive(
    purchase_order_id: PurchaseOrderId, body: PurchaseOrderReceive, write: Writer
) -> Response:
    """Received units move from `incoming` to `on_hand` at the order's
    location. 409 `beyond_recorded` naming each line that is not in the
    order (`not_in_purchase_order`) or has fewer units open (`exceeds_open`);
    nothing is received then."""
    cmd = ReceivePurchaseOrder(purchase_order_id, tuple(x.to_domain() for x in body.lines))
    return await write(cmd, lambda po: (200, PurchaseOrderRead.of(po)), body=body)


@router.post(
    "/purchase-orders/{purchase_order_id}/cut",
    response_model=PurchaseOrderRead,
    responses=problems(404, 409, 422),
    summary="Cut units that will not come, or cancel the order",
)
async def cut(
    purchase_order_id: PurchaseOrderId, write: Writer, body: PurchaseOrderCut | None = None
) -> Response:
    """The units cut leave `incoming` (`inbound.cut` events). Without lines
    every open unit is cut: the order is `cancelled` (or `received`, if some
    had arrived). 409 `beyond_recorded` as for receiving (`nothing_open` when
    nothing is left to cut)."""
    lines = tuple(x.to_domain() for x in body.lines) if body and body.lines else ()
    cmd = CutPurchaseOrder(purchase_order_id, lines, body.reason if body else None)
    return await write(cmd, lambda po: (200, PurchaseOrderRead.of(po)), body=body)
