"""Purchase orders: inbound units raise `incoming` when ordered, move to
`on_hand` when received, and leave `incoming` when cut.

Lock order: the purchase order row first, then levels in (sku, location)
order (each `move` locks one level; lines are taken sorted by SKU)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stockd import errors
from stockd.domain.commands import (
    ChangePurchaseOrderEta,
    CreatePurchaseOrder,
    CutPurchaseOrder,
    ReceivePurchaseOrder,
    SkuQuantity,
)
from stockd.domain.events import (
    Event,
    InboundCreated,
    InboundCut,
    InboundReceived,
    Movement,
    PurchaseOrderCreated,
    PurchaseOrderStatusChanged,
)
from stockd.domain.inbound import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    purchase_order_status,
)
from stockd.domain.promises import SupplyKind, TiedUnits
from stockd.domain.quantities import LevelKey, Quantities
from stockd.service import promises
from stockd.service.context import Context, Deps
from stockd.service.handlers import inbound, lines
from stockd.service.handlers.catalog import check_version
from stockd.service.handlers.moves import move
from stockd.service.ports import UnitOfWork


async def create_purchase_order(
    cmd: CreatePurchaseOrder, uow: UnitOfWork, ctx: Context, deps: Deps
) -> PurchaseOrder:
    now = deps.clock.now()
    lines.not_before(cmd.expected_at, now)
    lines.unique_skus(cmd.lines)
    await lines.usable_location(uow, cmd.location)
    await lines.sellable_skus(uow, cmd.lines)
    order = PurchaseOrder(
        id=cmd.purchase_order_id,
        supplier=cmd.supplier,
        location=cmd.location,
        status=PurchaseOrderStatus.OPEN,
        expected_at=cmd.expected_at,
        lines=tuple(
            PurchaseOrderLine(x.sku, x.quantity) for x in sorted(cmd.lines, key=lambda x: x.sku)
        ),
        created_at=now,
        reference=cmd.reference,
    )
    if not await uow.purchase_orders.add(order):
        raise errors.AlreadyExists(
            f"purchase order {order.id!r} already exists", resource="purchase_order", id=order.id
        )
    keys = [LevelKey(x.sku, order.location) for x in order.lines]
    await uow.levels.create_missing(keys, now)
    movements: list[Movement] = []
    for line in order.lines:
        movements.append(
            await move(
                uow,
                InboundCreated,
                LevelKey(line.sku, order.location),
                Quantities(incoming=line.quantity),
                now,
                ctx,
                "the store refused the purchase order",
                reason=f"purchase order from {order.supplier}",
                reference=order.reference,
                purchase_order_id=order.id,
                supplier=order.supplier,
                expected_at=order.expected_at,
            )
        )
    created = PurchaseOrderCreated(
        at=now,
        actor=ctx.actor,
        idempotency_key=ctx.idempotency_key,
        reference=order.reference,
        purchase_order_id=order.id,
        supplier=order.supplier,
        location=order.location,
        lines=tuple({"sku": x.sku, "quantity": x.quantity} for x in order.lines),
        expected_at=order.expected_at,
    )
    dated = await promises.date_undated(uow, keys, ctx, now)
    await uow.ledger.append([created, *movements, *dated])
    return order


async def receive_purchase_order(
    cmd: ReceivePurchaseOrder, uow: UnitOfWork, ctx: Context, deps: Deps
) -> PurchaseOrder:
    """Received units move from `incoming` to `on_hand` at the order's location."""
    order = await _order(uow, cmd.purchase_order_id)
    now = deps.clock.now()
    await _check_open(uow, order, cmd.lines, "received")
    events = await inbound.receive(
        uow,
        SupplyKind.PURCHASE_ORDER,
        order.id,
        order.location,
        cmd.lines,
        lambda sku, units: uow.purchase_orders.receive(order.id, sku, units),
        InboundReceived,
        ctx,
        now,
        reason=f"received from {order.supplier}",
        reference=order.reference,
        purchase_order_id=order.id,
    )
    await uow.ledger.append(events)
    return await _restatus(uow, order, now, ctx)


async def cut_purchase_order(
    cmd: CutPurchaseOrder, uow: UnitOfWork, ctx: Context, deps: Deps
) -> PurchaseOrder:
    """Units that will not come leave `incoming`; without lines, every open
    unit does (the order is cancelled, or closed if some had arrived)."""
    order = await _order(uow, cmd.purchase_order_id)
    now = deps.clock.now()
    cut = cmd.lines or tuple(SkuQuantity(x.sku, x.open) for x in order.lines if x.open)
    if not cut:
        raise errors.BeyondRecorded(
            [
                lines.problem(
                    0,
                    "nothing_open",
                    f"purchase order {order.id!r} is {order.status.value}: nothing is open",
                )
            ]
        )
    await _check_open(uow, order, cut, "cut")
    await uow.levels.lock([LevelKey(x.sku, order.location) for x in cut])
    events: list[Event] = []
    for line in sorted(cut, key=lambda x: x.sku):
        key = LevelKey(line.sku, order.location)
        # The line may keep promised no more than it still has open: the
        # holders tied last lose these ties and are tied again below.
        left = order.line(line.sku)
        assert left is not None  # checked above
        tied = await uow.ties.of_supply(SupplyKind.PURCHASE_ORDER, order.id, line.sku)
        excess = sum(t.quantity for t in tied) - (left.open - line.quantity)
        freeing: list[tuple[TiedUnits, int]] = []
        for t in reversed(tied):
            if excess <= 0:
                break
            freeing.append((t, min(excess, t.quantity)))
            excess -= t.quantity
        before = await promises.ready_at(uow, key, now)
        claims = await promises.free(uow, freeing)
        if not await uow.purchase_orders.cut(order.id, line.sku, line.quantity):
            raise errors.InvariantViolation(f"{line.sku}: purchase order line refused the cut")
        events.append(
            await move(
                uow,
                InboundCut,
                LevelKey(line.sku, order.location),
                Quantities(incoming=-line.quantity),
                now,
                ctx,
                "the store refused the cut",
                reason=cmd.reason or "cut",
                reference=order.reference,
                purchase_order_id=order.id,
            )
        )
        if claims:
            events += await promises.retie(uow, key, claims, before, ctx, now)
    await uow.ledger.append(events)
    return await _restatus(uow, order, now, ctx)


async def change_eta(
    cmd: ChangePurchaseOrderEta, uow: UnitOfWork, ctx: Context, deps: Deps
) -> PurchaseOrder:
    order = await _order(uow, cmd.purchase_order_id)
    check_version(cmd.expected_version, order.version, f"purchase order {order.id!r}")
    now = deps.clock.now()
    if not inbound.needs_change(cmd.expected_at, order.expected_at, now):
        return order
    if order.status in (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CANCELLED):
        raise errors.BeyondRecorded(
            [
                lines.problem(
                    0,
                    "nothing_open",
                    f"purchase order {order.id!r} is {order.status.value}: nothing is expected",
                )
            ]
        )
    open_keys = [LevelKey(x.sku, order.location) for x in order.lines if x.open]
    await inbound.move_eta(
        uow,
        SupplyKind.PURCHASE_ORDER,
        order.id,
        inbound.Arrival(order.location, open_keys, order.expected_at, order.reference),
        cmd.expected_at,
        lambda: uow.purchase_orders.set_eta(order.id, cmd.expected_at, now),
        ctx,
        now,
    )
    return await _reload(uow, order.id)


PURCHASE_ORDER_LINES = inbound.LineNames("not_in_purchase_order", "exceeds_open", "open")


async def _check_open(
    uow: UnitOfWork, order: PurchaseOrder, wanted: Sequence[SkuQuantity], what: str
) -> None:
    to_come = {x.sku: x.open for x in order.lines}
    label = f"purchase order {order.id}"
    await inbound.check_lines(uow, wanted, to_come, PURCHASE_ORDER_LINES, label, what)


async def _order(uow: UnitOfWork, purchase_order_id: str) -> PurchaseOrder:
    order = await uow.purchase_orders.get(purchase_order_id, lock=True)
    if order is None:
        raise errors.NotFound(f"purchase order {purchase_order_id!r} does not exist")
    return order


async def _reload(uow: UnitOfWork, purchase_order_id: str) -> PurchaseOrder:
    order = await uow.purchase_orders.get(purchase_order_id)
    assert order is not None  # locked by this transaction
    return order


async def _restatus(
    uow: UnitOfWork, before: PurchaseOrder, now: datetime, ctx: Context
) -> PurchaseOrder:
    updated = await _reload(uow, before.id)
    status = purchase_order_status(updated.lines)
    if status is updated.status:
        return updated
    await uow.purchase_orders.set_status(updated.id, status, now)
    await uow.ledger.append(
        [
            PurchaseOrderStatusChanged(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                reference=updated.reference,
                purchase_order_id=updated.id,
                previous=updated.status.value,
                status=status.value,
            )
        ]
    )
    return await _reload(uow, updated.id)
