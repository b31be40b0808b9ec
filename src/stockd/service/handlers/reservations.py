"""Checkout holds: reserve, extend, release, commit, expire.

Lock order, everywhere: the reservation row first (when there is one), then
levels sorted by (sku, location). Reserving takes every level it may touch in
one sorted pass before changing any, so multi-line carts cannot deadlock.
"""

from __future__ import annotations

from stockd import errors
from stockd.domain.commands import (
    CommitReservation,
    ExpireDueReservations,
    ExtendReservation,
    ReleaseReservation,
    Reserve,
)
from stockd.domain.ledger import (
    ReservationExtended,
    Reserved,
)
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.domain.reservations import HoldLine, Reservation, ReservationStatus
from stockd.service import planning
from stockd.service.context import Context, Deps
from stockd.service.handlers import holds, orders, placing
from stockd.service.ports import UnitOfWork


async def reserve(cmd: Reserve, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    now = deps.clock.now()
    try:
        expires_at = deps.ttl.deadline(now, cmd.ttl_seconds)
    except ValueError as e:
        raise errors.InvalidRequest(str(e)) from None
    placing.reject_duplicates(cmd.lines)
    await placing.check_references(uow, cmd.lines)
    placement = planning.Placement(cmd.ship_to, cmd.strategy, cmd.pickup_location)
    units, _ = await placing.place(uow, cmd.lines, placement, deps.default_strategy)
    short: list[dict[str, object]] = []
    applied: dict[LevelKey, Level] = {}
    for key in sorted(units):
        after = await uow.levels.apply(key, Quantities(reserved=units[key]), now)
        if after is None:
            short.append({"sku": key.sku, "location": key.location, "requested": units[key]})
        else:
            applied[key] = after
    if short:
        raise _insufficient(short)

    reservation = Reservation(
        id=deps.new_id("res"),
        status=ReservationStatus.ACTIVE,
        lines=tuple(HoldLine(k.sku, k.location, q) for k, q in sorted(units.items())),
        created_at=now,
        expires_at=expires_at,
        reference=cmd.reference,
        pickup_location=cmd.pickup_location,
    )
    await uow.reservations.add(reservation)
    await uow.ledger.append(
        [
            Reserved(
                key=holds.hold_key(line),
                delta=Quantities(reserved=line.quantity),
                after=applied[holds.hold_key(line)].quantities,
                at=now,
                actor=ctx.actor,
                reference=reservation.reference,
                reservation_id=reservation.id,
                idempotency_key=ctx.idempotency_key,
            )
            for line in reservation.lines
        ]
    )
    return reservation


async def extend(cmd: ExtendReservation, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    now = deps.clock.now()
    reservation = await holds.active_hold(uow, cmd.reservation_id, now)
    try:
        expires_at = deps.ttl.extended(reservation.expires_at, now, cmd.ttl_seconds)
    except ValueError as e:
        raise errors.InvalidRequest(str(e)) from None
    await uow.reservations.set_deadline(reservation.id, expires_at)
    levels = await uow.levels.lock([holds.hold_key(line) for line in reservation.lines])
    await uow.ledger.append(
        [
            ReservationExtended(
                key=holds.hold_key(line),
                delta=Quantities(),
                after=levels[holds.hold_key(line)].quantities,
                at=now,
                actor=ctx.actor,
                reason=f"extended to {expires_at.isoformat()}",
                reference=reservation.reference,
                reservation_id=reservation.id,
                idempotency_key=ctx.idempotency_key,
            )
            for line in reservation.lines
        ]
    )
    return await _reload(uow, reservation.id)


async def release(
    cmd: ReleaseReservation, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Reservation:
    now = deps.clock.now()
    reservation = await holds.active_hold(uow, cmd.reservation_id, now)
    await holds.close_holds([reservation], ReservationStatus.RELEASED, uow, ctx, now)
    return await _reload(uow, reservation.id)


async def commit(cmd: CommitReservation, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    """The hold becomes an order (`order_id`): held units move to committed."""
    await orders.commit_reservation(cmd.reservation_id, cmd.order_id, uow, ctx, deps)
    return await _reload(uow, cmd.reservation_id)


async def expire_due(cmd: ExpireDueReservations, uow: UnitOfWork, ctx: Context, deps: Deps) -> int:
    """Expire up to `cmd.limit` holds past their deadline; how many were expired."""
    now = deps.clock.now()
    due = await uow.reservations.lock_due(now, cmd.limit, cmd.skus)
    await holds.close_holds(due, ReservationStatus.EXPIRED, uow, ctx, now)
    return len(due)


# -- helpers ------------------------------------------------------------------


def _insufficient(short: list[dict[str, object]]) -> errors.InsufficientStock:
    names = ", ".join(
        f"{s['sku']}" + (f"@{s['location']}" if s.get("location") else "") for s in short
    )
    return errors.InsufficientStock(
        f"not enough stock for {names}",
        lines=short,
        skus=sorted({str(s["sku"]) for s in short}),
    )


async def _reload(uow: UnitOfWork, reservation_id: str) -> Reservation:
    reservation = await uow.reservations.get(reservation_id)
    assert reservation is not None
    return reservation
