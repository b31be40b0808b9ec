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
from stockd.domain.events import (
    ReservationExtended,
)
from stockd.domain.quantities import Quantities
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.service.context import Context, Deps
from stockd.service.handlers import holds, orders
from stockd.service.handlers.reserve_batch import Request as BatchRequest
from stockd.service.handlers.reserve_batch import reserve_batch
from stockd.service.ports import UnitOfWork


async def reserve(cmd: Reserve, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    """One hold: a group commit of one (see `reserve_batch`), so a request
    gets exactly the same decision whichever way it arrives."""
    decided = await reserve_batch([BatchRequest(cmd, ctx)], uow, deps)
    assert decided is not None  # decided under lock: never refused
    [outcome] = decided
    if isinstance(outcome, errors.StockdError):
        raise outcome
    return outcome


async def extend(cmd: ExtendReservation, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    reservation = await holds.active_hold(uow, cmd.reservation_id, deps.clock)
    now = deps.clock.now()
    try:
        expires_at = deps.ttl.extended(reservation.expires_at, now, cmd.ttl_seconds)
    except ValueError as e:
        raise errors.InvalidRequest(errors.Issue(str(e), "ttl_seconds")) from None
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
                channel=reservation.channel,
            )
            for line in reservation.lines
        ]
    )
    return await _reload(uow, reservation.id)


async def release(
    cmd: ReleaseReservation, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Reservation:
    reservation = await holds.active_hold(uow, cmd.reservation_id, deps.clock)
    now = deps.clock.now()
    await holds.close_holds([reservation], ReservationStatus.RELEASED, uow, ctx, now)
    return await _reload(uow, reservation.id)


async def commit(cmd: CommitReservation, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    """The hold becomes an order (`order_id`): held units move to committed."""
    await orders.commit_reservation(cmd.reservation_id, cmd.order_id, uow, ctx, deps)
    return await _reload(uow, cmd.reservation_id)


async def expire_due(cmd: ExpireDueReservations, uow: UnitOfWork, ctx: Context, deps: Deps) -> int:
    """Expire up to `cmd.limit` holds past their deadline; how many were expired."""
    now = deps.clock.now()
    due = await uow.reservations.lock_due(now, cmd.limit, cmd.skus, cmd.reservation_ids)
    await holds.close_holds(due, ReservationStatus.EXPIRED, uow, ctx, now)
    return len(due)


# -- helpers ------------------------------------------------------------------


async def _reload(uow: UnitOfWork, reservation_id: str) -> Reservation:
    reservation = await uow.reservations.get(reservation_id)
    assert reservation is not None
    return reservation
