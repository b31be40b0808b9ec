"""Orders: place (from lines or from a hold), ship, cancel.

Lock order: the reservation or order row first, then levels sorted by
(sku, location), as everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from stockd import errors
from stockd.domain.commands import CancelOrder, LineRequest, PlaceOrder, ShipOrder
from stockd.domain.events import (
    Movement,
    OrderAllocated,
    OrderCancelled,
    OrderPlaced,
    OrderShipped,
    OrderStatusChanged,
    Production,
    ProductionAllocated,
    ReservationCommitted,
)
from stockd.domain.orders import Order, OrderLine, OrderStatus, status_after
from stockd.domain.promises import Holder, HolderKind, TiedUnits, ready_of
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.service import planning, promises
from stockd.service.channel_book import ChannelBook
from stockd.service.context import Context, Deps
from stockd.service.handlers import holds, lines, placing, production, replanning
from stockd.service.handlers.moves import move
from stockd.service.ports import OrderLineChange, UnitOfWork


@dataclass(frozen=True, slots=True)
class Placed:
    """An order placed (or found placed before: `replayed`), how the strategy
    placed it (if one did), and the movements that commit its units."""

    order: Order
    planned: planning.Planned | None = None
    replanned: bool = False
    replayed: bool = False
    movements: tuple[Movement, ...] = ()
    production: tuple[Production, ...] = ()
    """The events that book its made-to-order lines."""


async def place_order(cmd: PlaceOrder, uow: UnitOfWork, ctx: Context, deps: Deps) -> Placed:
    existing = await uow.orders.get(cmd.order_id)
    if existing is not None:
        if existing.fingerprint != cmd.fingerprint:
            raise errors.AlreadyExists(
                f"order {cmd.order_id!r} was already placed with a different request",
                resource="order",
                id=cmd.order_id,
            )
        return Placed(existing, replayed=True)
    if (cmd.reservation_id is None) == (not cmd.lines):
        raise errors.InvalidRequest(errors.Issue("give either 'lines' or 'reservation_id'"))
    if cmd.reservation_id is not None:
        reservation = await _hold_for(uow, cmd.reservation_id, deps)
        placed = await _from_reservation(cmd, reservation, uow, ctx, deps, replan=True)
    else:
        placed = await _from_lines(cmd, uow, ctx, deps)
    if not await uow.orders.add(placed.order):
        # Placed concurrently under the same id: retrying replays that one.
        raise errors.TransientConflict(f"order {cmd.order_id} placed concurrently")
    await _record(uow, placed, ctx)
    await _promise(uow, placed, ctx)
    return placed


async def commit_reservation(
    reservation_id: str, order_id: str, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Order:
    """The hold becomes order `order_id`, its units committed where they are."""
    cmd = PlaceOrder(order_id, f"reservation:{reservation_id}", reservation_id=reservation_id)
    reservation = await holds.active_hold(uow, reservation_id, deps.clock)
    placed = await _from_reservation(cmd, reservation, uow, ctx, deps, replan=False)
    if not await uow.orders.add(placed.order):
        raise errors.AlreadyExists(
            f"order {order_id!r} already exists", resource="order", id=order_id
        )
    await _record(uow, placed, ctx)
    await _promise(uow, placed, ctx)
    return placed.order


async def _promise(uow: UnitOfWork, placed: Placed, ctx: Context) -> None:
    """Backordered units tied to inbound (a hold's ties pass to the order),
    and each line's ready date recorded as promised (the at-risk list
    compares it with the ties as they move). Levels never below zero cost
    no query here."""
    order = placed.order
    now = order.created_at
    followed = await promises.follow(uow, placed.movements, ctx, now)
    if followed.changed:
        await uow.ledger.append(followed.changed)
    if not followed.tied:
        return
    holder = Holder(HolderKind.ORDER, order.id)
    by_line: dict[LevelKey, list[TiedUnits]] = defaultdict(list)
    for t in await uow.ties.of_holders([holder]):
        by_line[t.key].append(t)
    await uow.ties.set_promised(
        order.id,
        {k: ready for k, ties in by_line.items() if (ready := ready_of(ties, now)) is not None},
    )


async def _record(uow: UnitOfWork, placed: Placed, ctx: Context) -> None:
    """`order.placed`, then the movements that commit its units."""
    order = placed.order
    point = order.ship_to
    event = OrderPlaced(
        at=order.created_at,
        actor=ctx.actor,
        idempotency_key=ctx.idempotency_key,
        order_id=order.id,
        reservation_id=order.reservation_id,
        channel=order.channel,
        lines=tuple(
            {"sku": x.sku, "location": x.location, "quantity": x.ordered} for x in order.lines
        ),
        status=order.status.value,
        strategy=order.strategy,
        ship_to=({"lat": point.lat, "lon": point.lon, "region": order.region} if point else None),
        pickup_location=order.pickup_location,
    )
    await uow.ledger.append([event, *placed.movements, *placed.production])


async def _from_lines(cmd: PlaceOrder, uow: UnitOfWork, ctx: Context, deps: Deps) -> Placed:
    """Stock lines are committed at levels; made-to-order lines take units
    of production weeks (`committed`), in the same transaction."""
    now = deps.clock.now()
    made, stock = await _made_to_order(uow, cmd.lines)
    units: dict[LevelKey, int] = {}
    planned: planning.Planned | None = None
    if stock:
        placing.reject_duplicates(stock)
        skus = await placing.check_references(uow, stock)
        placement = _placement(cmd)
        units, planned = await placing.place(uow, stock, skus, placement, deps.default_strategy)
        # Preorders sell before any stock arrived: the level may not exist yet.
        preorder = [k for k in units if skus[k.sku].policy.preorders_at(now)]
        if preorder:
            await uow.levels.create_missing(preorder, now)
        await ChannelBook.check(uow, cmd.channel, units)
    strategy = planned.plan.strategy if planned else None
    short: dict[LevelKey, int] = {}
    movements: list[Movement] = []
    for key in sorted(units):
        delta = Quantities(committed=units[key])
        after = await uow.levels.apply(key, delta, now)
        if after is None:
            short[key] = units[key]
            continue
        movements.append(
            OrderAllocated(
                key=key,
                delta=delta,
                after=after.quantities,
                at=now,
                actor=ctx.actor,
                reason=f"order {cmd.order_id}" + (f" ({strategy})" if strategy else ""),
                order_id=cmd.order_id,
                idempotency_key=ctx.idempotency_key,
                channel=cmd.channel,
            )
        )
    if short:
        raise placing.short_of(short, await uow.levels.read(short))
    booked = await production.book(uow, made, None, deps, commit=True) if made else []
    await uow.capacity.add_lines(booked, None, cmd.order_id)
    order = replace(_new_order(cmd, units, now, strategy), production=tuple(booked))
    events = production.events(
        ProductionAllocated,
        booked,
        now,
        ctx,
        None,
        reason=f"order {cmd.order_id}",
        order_id=cmd.order_id,
    )
    return Placed(
        order,
        planned,
        movements=tuple(movements),
        production=tuple(events),
    )


async def _made_to_order(
    uow: UnitOfWork, lines: Sequence[LineRequest]
) -> tuple[list[tuple[int, LineRequest]], tuple[LineRequest, ...]]:
    """The lines to make — of made-to-order SKUs, naming no location — with
    their index, and the stock lines: the others, a made-to-order SKU's too
    when it names where units of it are on hand (one returned, a floor
    model). Options choose how a unit is made: on a stock line, a 422."""
    skus = await uow.catalog.skus({x.sku for x in lines})
    made = [
        (i, x)
        for i, x in enumerate(lines)
        if x.location is None and x.sku in skus and skus[x.sku].made_to_order
    ]
    taken = {i for i, _ in made}
    stray = [
        errors.Issue(
            "options are for made-to-order lines that name no location; this line sells"
            f" stock{f' at {x.location!r}' if x.location else ''}",
            f"lines[{i}].options",
            i,
        )
        for i, x in enumerate(lines)
        if i not in taken and x.options
    ]
    if stray:
        raise errors.InvalidRequest(*stray)
    return made, tuple(x for i, x in enumerate(lines) if i not in taken)


async def _from_reservation(
    cmd: PlaceOrder,
    reservation: Reservation,
    uow: UnitOfWork,
    ctx: Context,
    deps: Deps,
    *,
    replan: bool,
) -> Placed:
    """Commit a hold's units for the order — where they are held, or, when
    `replan` and the order names a strategy that finds a strictly better
    feasible placement for the units it may move (`replanning`),
    where it says (the held units are given back in the same transaction)."""
    now = deps.clock.now()
    if cmd.channel is not None and cmd.channel != reservation.channel:
        raise errors.InvalidRequest(
            errors.Issue(
                f"reservation {reservation.id!r} sells through"
                f" {reservation.channel or 'no channel'}, not {cmd.channel!r}",
                "channel",
            )
        )
    held = {holds.hold_key(x): x.quantity for x in reservation.lines}
    if cmd.pickup_location is not None and cmd.pickup_location != reservation.pickup_location:
        raise errors.InvalidRequest(
            errors.Issue(
                f"reservation {reservation.id!r} is not held for pickup at {cmd.pickup_location!r}",
                "pickup_location",
            )
        )
    pickup = reservation.pickup_location
    target, planned = dict(held), None
    if replan and pickup is None and cmd.strategy is not None:
        target, planned = await replanning.better_placement(cmd, uow, deps, reservation)
    replanned = target != held
    strategy = planned.plan.strategy if planned else None

    movements: list[Movement] = []
    for key in sorted(held.keys() | target.keys()):
        delta = Quantities(reserved=-held.get(key, 0), committed=target.get(key, 0))
        after = await uow.levels.apply(key, delta, now)
        if after is None:
            raise errors.InvariantViolation(f"{key}: could not commit the held units")
        event = OrderAllocated if replanned else ReservationCommitted
        movements.append(
            event(
                key=key,
                delta=delta,
                after=after.quantities,
                at=now,
                actor=ctx.actor,
                reason=(
                    f"order {cmd.order_id}, re-planned by {strategy}"
                    if replanned and strategy
                    else f"order {cmd.order_id}"
                ),
                reference=reservation.reference,
                reservation_id=reservation.id,
                order_id=cmd.order_id,
                idempotency_key=ctx.idempotency_key,
                channel=reservation.channel,
            )
        )
    await uow.reservations.close(reservation.id, ReservationStatus.COMMITTED, now, cmd.order_id)
    order = _new_order(cmd, target, now, strategy, reservation, pickup=pickup)
    return Placed(
        order,
        planned,
        replanned=replanned,
        movements=tuple(movements),
    )


async def _hold_for(uow: UnitOfWork, reservation_id: str, deps: Deps) -> Reservation:
    try:
        return await holds.active_hold(uow, reservation_id, deps.clock)
    except errors.NotFound:
        raise errors.UnknownReference(
            errors.Issue(f"unknown reservation {reservation_id!r}", "reservation_id")
        ) from None


def _placement(cmd: PlaceOrder) -> planning.Placement:
    return planning.Placement(
        cmd.ship_to.point if cmd.ship_to else None, cmd.strategy, cmd.pickup_location
    )


def _new_order(
    cmd: PlaceOrder,
    units: Mapping[LevelKey, int],
    now: datetime,
    strategy: str | None,
    reservation: Reservation | None = None,
    pickup: str | None = None,
) -> Order:
    return Order(
        id=cmd.order_id,
        status=OrderStatus.OPEN,
        lines=tuple(OrderLine(k.sku, k.location, q, q) for k, q in sorted(units.items())),
        created_at=now,
        fingerprint=cmd.fingerprint,
        reservation_id=reservation.id if reservation else None,
        strategy=strategy,
        ship_to=cmd.ship_to.point if cmd.ship_to else None,
        region=cmd.ship_to.region if cmd.ship_to else None,
        pickup_location=pickup if pickup is not None else cmd.pickup_location,
        channel=reservation.channel if reservation else cmd.channel,
        deliver_by=cmd.deliver_by,
    )


async def ship_order(cmd: ShipOrder, uow: UnitOfWork, ctx: Context, deps: Deps) -> Order:
    now = deps.clock.now()
    order = await locked(uow, cmd.order_id)
    if order.status is OrderStatus.CANCELLED:
        raise errors.OrderClosed(
            f"order {order.id!r} is cancelled", order_status=order.status.value
        )
    lines.unique_skus(cmd.lines)
    await lines.known_location(uow, cmd.location)
    await lines.known_skus(uow, cmd.lines)
    problems = []
    for i, line in enumerate(cmd.lines):
        found = order.line(line.sku, cmd.location)
        if found is None:
            detail = f"{line.sku} is not in this order at {cmd.location}"
            problems.append(lines.problem(i, "not_in_order", detail))
        elif line.quantity > found.committed:
            detail = (
                f"{line.sku}@{cmd.location}: {line.quantity} to ship, {found.committed} committed"
            )
            problems.append(lines.problem(i, "exceeds_committed", detail))
    lines.raise_beyond(problems)
    shipment = deps.new_id("shp")
    movements: list[Movement] = []
    for line in sorted(cmd.lines, key=lambda x: x.sku):
        key = LevelKey(line.sku, cmd.location)
        q = line.quantity
        if not await uow.orders.change_line(
            order.id, key.sku, key.location, OrderLineChange(committed=-q, shipped=q)
        ):
            raise errors.InvariantViolation(f"{key}: order line refused the shipment")
        delta = Quantities(on_hand=-q, committed=-q)
        after = await uow.levels.apply(key, delta, now)
        if after is None:
            raise await _not_on_hand(uow, key, q)
        if after.floor < 0:  # a backorder level: shipped units need no tie
            left = order.line(key.sku, key.location)
            assert left is not None  # checked above
            await promises.after_shipment(uow, order.id, key, left.committed - q)
        movements.append(
            OrderShipped(
                key=key,
                delta=delta,
                after=after.quantities,
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                reason=f"shipment {shipment}",
                reference=cmd.reference or shipment,
                order_id=order.id,
                channel=order.channel,
            )
        )
    await uow.ledger.append(movements)
    return await restatus(uow, order.id, now, ctx)


async def _not_on_hand(uow: UnitOfWork, key: LevelKey, q: int) -> errors.InsufficientStock:
    """Why `q` committed units cannot ship from `key`: the level is in
    backorder, and only some of them (if any) are physically there. Shipping
    leaves `available` as it is, so only `on_hand` can refuse it."""
    level = (await uow.levels.read([key])).get(key)
    there = min(level.quantities.sound if level else 0, q)
    return errors.InsufficientStock(
        f"{key}: {q - there} of the {q} units to ship are not on hand yet (backordered);"
        f" {there} can ship now",
        [errors.ShortLine(key.sku, key.location, q, there)],
    )


async def cancel_order(cmd: CancelOrder, uow: UnitOfWork, ctx: Context, deps: Deps) -> Order:
    now = deps.clock.now()
    order = await locked(uow, cmd.order_id)
    if order.status is OrderStatus.CANCELLED:
        raise errors.OrderClosed(
            f"order {order.id!r} is already cancelled", order_status=order.status.value
        )
    if order.outstanding == 0:
        raise errors.OrderClosed(
            f"order {order.id!r} has nothing left to cancel: all shipped",
            order_status=order.status.value,
        )
    movements: list[Movement] = []
    for line in sorted(order.lines, key=lambda x: (x.sku, x.location)):
        if not line.committed:
            continue
        c = line.committed
        if not await uow.orders.change_line(
            order.id, line.sku, line.location, OrderLineChange(committed=-c, cancelled=c)
        ):
            raise errors.InvariantViolation(f"{line.sku}@{line.location}: cancel refused")
        movements.append(
            await move(
                uow,
                OrderCancelled,
                LevelKey(line.sku, line.location),
                Quantities(committed=-c),
                now,
                ctx,
                f"cannot release {c} committed units",
                reason=cmd.reason or "cancelled",
                order_id=order.id,
                channel=order.channel,
            )
        )
    given_back = await production.give_back(order, uow, ctx, now, cmd.reason or "cancelled")
    followed = await promises.follow(uow, movements, ctx, now)
    await uow.ledger.append([*movements, *followed.changed, *given_back])
    await _set_status(uow, order, OrderStatus.CANCELLED, now, ctx)
    return await _reload(uow, order.id)


async def locked(uow: UnitOfWork, order_id: str) -> Order:
    """The order, under its row lock (404 when there is none)."""
    order = await uow.orders.get(order_id, lock=True)
    if order is None:
        raise errors.NotFound(f"order {order_id!r} does not exist")
    return order


async def _reload(uow: UnitOfWork, order_id: str) -> Order:
    order = await uow.orders.get(order_id)
    assert order is not None
    return order


async def restatus(uow: UnitOfWork, order_id: str, now: datetime, ctx: Context) -> Order:
    order = await _reload(uow, order_id)
    status = status_after(order.lines, production=order.production)
    if status is not order.status:
        await _set_status(uow, order, status, now, ctx)
        order = await _reload(uow, order_id)
    return order


async def _set_status(
    uow: UnitOfWork, order: Order, status: OrderStatus, now: datetime, ctx: Context
) -> None:
    await uow.orders.set_status(order.id, status, now)
    await uow.ledger.append(
        [
            OrderStatusChanged(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                order_id=order.id,
                channel=order.channel,
                previous=order.status.value,
                status=status.value,
            )
        ]
    )
