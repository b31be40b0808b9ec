"""Allocation quotes, orders and their shipments, cancellations and returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from stockd import errors
from stockd.domain.allocation import OrderLine
from stockd.domain.commands import (
    CancelOrder,
    PlaceOrder,
    ProduceOrder,
    ReturnItems,
    ShipOrder,
    ShipTo,
)
from stockd.domain.orders import OrderStatus
from stockd.domain.promises import Holder, HolderKind
from stockd.entrypoints.api.deps import (
    AppContainer,
    Now,
    ReadKey,
    Reads,
    Writer,
)
from stockd.entrypoints.api.routes.channels import ChannelId
from stockd.entrypoints.api.routes.common import (
    CodeFilter,
    Cursor,
    Limit,
    TimeFilter,
    newest_first,
    problems,
    resume_at,
)
from stockd.entrypoints.api.schemas.common import CODE_PATTERN, MAX_CODE
from stockd.entrypoints.api.schemas.orders import (
    CancelRequest,
    ChannelOrderCreate,
    OrderCreate,
    OrderPage,
    OrderRead,
    OrderStatusName,
    PlanRead,
    ProduceRequest,
    QuoteRequest,
    ReturnCreate,
    ReturnPage,
    ReturnRead,
    ShipmentCreate,
)
from stockd.entrypoints.api.writes import fingerprint
from stockd.service import planning, quotes
from stockd.service.auth import may_name
from stockd.service.handlers.orders import Placed
from stockd.service.listing import OrderFilter, ReturnFilter
from stockd.service.queries import EventFilter

router = APIRouter(prefix="/v1", tags=["orders"])

ORDER_EVENTS = 1000
"""Most events an order's answer shows (`GET /v1/events?order_id=` pages them all)."""

OrderId = Annotated[str, Path(pattern=CODE_PATTERN, description="The order id.")]


@router.post(
    "/allocations/quote",
    response_model=PlanRead,
    responses=problems(409),
    summary="Which locations would fulfil these lines, and why (holds nothing)",
)
async def quote(body: QuoteRequest, key: ReadKey, container: AppContainer, clock: Now) -> PlanRead:
    placement = planning.Placement(
        body.ship_to.to_domain() if body.ship_to else None, body.strategy, body.pickup_location
    )
    planned = await quotes.quote(
        container.reads,
        clock.now(),
        [OrderLine(x.sku, x.quantity) for x in body.lines],
        placement,
        container.settings.default_strategy,
        body.channel,
    )
    return PlanRead.of(planned)


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderRead,
    responses={
        200: {
            "model": OrderRead,
            "description": "The order placed before (same order_id, same request)",
        },
        **problems(409, 422),
    },
    summary="Place an order (from lines or a reservation); idempotent by order_id",
)
async def place(
    body: OrderCreate,
    write: Writer,
) -> Response:
    """Direct lines are allocated by the strategy (or at the location they
    name) and committed atomically. From a reservation, the held units are
    committed where they are held — or where the strategy now finds a strictly
    better feasible placement. Placing the same order again returns it (200);
    the same order_id with another request is a 409."""
    cmd = PlaceOrder(
        order_id=body.order_id,
        fingerprint=fingerprint(body),
        lines=body.line_requests(),
        reservation_id=body.reservation_id,
        ship_to=ShipTo(body.ship_to.to_domain(), body.ship_to.region) if body.ship_to else None,
        strategy=body.strategy,
        pickup_location=body.pickup_location,
        channel=body.channel,
        deliver_by=body.deliver_by,
    )
    may_name(write.key, body.channel)
    return await write(cmd, _placed(from_reservation=body.reservation_id is not None), body=body)


@router.post(
    "/channels/{channel_id}/orders",
    status_code=201,
    response_model=OrderRead,
    responses={
        200: {
            "model": OrderRead,
            "description": "The order recorded before (same external_id, same request)",
        },
        **problems(404, 409, 422),
    },
    summary="Record an order that arrived on a channel; idempotent by external_id",
)
async def place_channel_order(
    channel_id: ChannelId, body: ChannelOrderCreate, write: Writer, reads: Reads
) -> Response:
    """The order is placed as `POST /v1/orders` places direct lines, through
    the channel's pools, under the id `<channel>:<external_id>`: the same
    external id again returns the order (200), with other lines it is a 409."""
    if await reads.channel(channel_id) is None:
        raise errors.NotFound(f"channel {channel_id!r} does not exist")
    order_id = f"{channel_id}:{body.external_id}"
    if len(order_id) > MAX_CODE:
        raise errors.InvalidRequest(
            errors.Issue(
                f"the order id {channel_id!r}:<external_id> may be {MAX_CODE} characters at"
                f" most; this one is {len(order_id)}",
                "external_id",
            )
        )
    cmd = PlaceOrder(
        order_id=order_id,
        fingerprint=fingerprint(body),
        lines=body.line_requests(),
        ship_to=ShipTo(body.ship_to.to_domain(), body.ship_to.region) if body.ship_to else None,
        strategy=body.strategy,
        pickup_location=body.pickup_location,
        channel=channel_id,
        deliver_by=body.deliver_by,
    )
    return await write(cmd, _placed(from_reservation=False), body=body)


def _placed(*, from_reservation: bool) -> Callable[[Placed], tuple[int, OrderRead]]:
    """An order's answer: 201 placed, 200 placed before."""

    def render(placed: Placed) -> tuple[int, OrderRead]:
        plan = PlanRead.of(placed.planned) if placed.planned else None
        replanned = placed.replanned if from_reservation else None
        read = OrderRead.of(placed.order, plan=plan, replanned=replanned)
        return (200 if placed.replayed else 201), read

    return render


@router.get("/orders", response_model=OrderPage, responses=problems())
async def list_orders(
    key: ReadKey,
    reads: Reads,
    limit: Limit,
    status: Annotated[OrderStatusName | None, Query(description="Orders in this status.")] = None,
    sku: Annotated[CodeFilter, Query(description="Orders with a line of this SKU.")] = None,
    location: Annotated[
        CodeFilter, Query(description="Orders fulfilled (in part) from this location.")
    ] = None,
    created_after: Annotated[TimeFilter, Query(description="Placed at or after this time.")] = None,
    created_before: Annotated[TimeFilter, Query(description="Placed before this time.")] = None,
    cursor: Cursor = None,
) -> OrderPage:
    """Orders, newest first (by creation time, then id), each as
    `GET /v1/orders/{id}` shows it without its events. Every filter given
    must match."""
    only = OrderFilter(
        OrderStatus(status) if status else None, sku, location, created_after, created_before
    )
    found = await reads.orders(only, resume_at(cursor), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return OrderPage(items=[OrderRead.of(o) for o in page], next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderRead, responses=problems())
async def get_order(order_id: OrderId, key: ReadKey, container: AppContainer) -> OrderRead:
    order = await container.reads.order(order_id)
    if order is None:
        raise errors.NotFound(f"order {order_id!r} does not exist")
    history = await container.reads.events(0, ORDER_EVENTS, EventFilter(order_id=order_id))
    promises = await container.reads.promises(Holder(HolderKind.ORDER, order_id))
    return OrderRead.of(order, events=history, promises=promises)


@router.post(
    "/orders/{order_id}/shipments",
    response_model=OrderRead,
    responses=problems(409, 422),
    summary="Ship some or all committed units from one location",
)
async def ship(
    order_id: OrderId,
    body: ShipmentCreate,
    write: Writer,
) -> Response:
    """`committed` and `on_hand` go down at the location. Shipping more than
    is committed there is a 409 `beyond_recorded`."""
    cmd = ShipOrder(
        order_id, body.location, tuple(x.to_domain() for x in body.lines), body.reference
    )
    return await write(cmd, lambda o: (200, OrderRead.of(o)), body=body)


@router.post(
    "/orders/{order_id}/produce",
    response_model=OrderRead,
    responses=problems(404, 409, 422),
    summary="Report made-to-order units made: they become the order's stock at the workshop",
)
async def produce(order_id: OrderId, body: ProduceRequest, write: Writer) -> Response:
    """The workshop made units of the order's made-to-order lines. They
    are counted against the line's earliest weeks first (the weeks keep the
    capacity used), appear at the workshop `on_hand` and `committed` to the
    order (`order.produced`), and join the order's line of the SKU at the
    workshop, which `POST /v1/orders/{id}/shipments` ships. A SKU that is
    not made to order is a 422; one this order has not booked
    (`not_in_order`), or more units than it still has to make
    (`exceeds_unproduced`), a 409 `beyond_recorded`; nothing is recorded
    then."""
    cmd = ProduceOrder(order_id, body.line_requests(), body.reference)
    return await write(cmd, lambda o: (200, OrderRead.of(o)), body=body)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderRead,
    responses=problems(409),
    summary="Cancel what is not yet shipped",
)
async def cancel(
    order_id: OrderId,
    write: Writer,
    body: CancelRequest | None = None,
) -> Response:
    cmd = CancelOrder(order_id, body.reason if body else None)
    return await write(cmd, lambda o: (200, OrderRead.of(o)), body=body)


@router.get("/returns", response_model=ReturnPage, responses=problems())
async def list_returns(
    key: ReadKey,
    reads: Reads,
    limit: Limit,
    order_id: CodeFilter = None,
    location: Annotated[CodeFilter, Query(description="Restocked at this location.")] = None,
    cursor: Cursor = None,
) -> ReturnPage:
    """Returns, newest first (by creation time, then id)."""
    found = await reads.returns(ReturnFilter(order_id, location), resume_at(cursor), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return ReturnPage(items=[ReturnRead.of(r) for r in page], next_cursor=next_cursor)


@router.post(
    "/returns",
    status_code=201,
    response_model=ReturnRead,
    responses=problems(409, 422),
    summary="Restock returned units (resellable, damaged or for quality control)",
)
async def create_return(
    body: ReturnCreate,
    write: Writer,
) -> Response:
    """Units come back to `location`: `on_hand` goes up, and `damaged` or
    `quality_control` too for those conditions. Returning more than was
    shipped (and not yet returned) is a 409 `beyond_recorded`."""
    cmd = ReturnItems(
        body.order_id,
        body.location,
        body.condition,
        tuple(x.to_domain() for x in body.lines),
        body.reference,
    )
    return await write(cmd, lambda r: (201, ReturnRead.of(r)), body=body)
