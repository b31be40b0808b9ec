"""Helpers shared by everything that closes checkout holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stockd import errors
from stockd.domain.events import (
    Movement,
    ReservationCommitted,
    ReservationExpired,
    ReservationReleased,
)
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reservations import HoldLine, Reservation, ReservationStatus
from stockd.service import overdue, promises
from stockd.service.context import Context
from stockd.service.handlers.level_batch import LevelBatch
from stockd.service.ports import Clock, UnitOfWork


async def active_hold(uow: UnitOfWork, reservation_id: str, clock: Clock) -> Reservation:
    """The locked hold, if it is active and not past its deadline.

    The deadline is judged after the lock is held, on the service's clock
    (the one reads use): a request that waited for the lock past the deadline
    finds the hold expired, as any read at that moment would. An overdue hold
    is reported with a follow-up that expires it in a transaction of its own."""
    reservation = await uow.reservations.get(reservation_id, lock=True)
    if reservation is None:
        raise errors.NotFound(f"reservation {reservation_id!r} does not exist")
    now = clock.now()
    if reservation.status is ReservationStatus.EXPIRED:
        raise errors.ReservationExpired(
            f"reservation {reservation_id!r} expired at {errors.timestamp(reservation.expires_at)}",
            expires_at=errors.timestamp(reservation.expires_at),
        )
    if reservation.status is not ReservationStatus.ACTIVE:
        raise errors.ReservationNotActive(
            f"reservation {reservation_id!r} is {reservation.status}",
            reservation_status=reservation.status.value,
        )
    if reservation.expires_at <= now:
        raise errors.ReservationExpired(
            f"reservation {reservation_id!r} expired at {errors.timestamp(reservation.expires_at)}",
            expires_at=errors.timestamp(reservation.expires_at),
        ).then(overdue.sweep_hold(reservation.id))
    return reservation


_CLOSING_EVENT: dict[ReservationStatus, type[Movement]] = {
    ReservationStatus.RELEASED: ReservationReleased,
    ReservationStatus.EXPIRED: ReservationExpired,
    ReservationStatus.COMMITTED: ReservationCommitted,
}


async def close_holds(
    reservations: Sequence[Reservation],
    status: ReservationStatus,
    uow: UnitOfWork,
    ctx: Context,
    now: datetime,
    order_id: str | None = None,
) -> None:
    """Give back (or commit) the held units of locked active holds and record
    why: levels locked once in (sku, location) order across all of them, each
    line checked against the levels as the lines before it left them, and the
    sums written in one conditional UPDATE — so expiring 500 holds of a hot
    SKU holds its row for one statement, not five hundred."""
    work = sorted(
        ((hold_key(line), r.id, line, r) for r in reservations for line in r.lines),
        key=lambda w: (w[0], w[1]),
    )
    batch = LevelBatch(await uow.levels.lock({key for key, *_ in work}))
    movements: list[Movement] = []
    for key, _, line, r in work:
        delta = Quantities(reserved=-line.quantity)
        if status is ReservationStatus.COMMITTED:
            delta = Quantities(reserved=-line.quantity, committed=line.quantity)
        if not batch.fits(key, delta):
            raise errors.InvariantViolation(
                f"{key}: cannot take {line.quantity} out of reserved for {r.id}"
            )
        movements.append(
            _CLOSING_EVENT[status](
                key=key,
                delta=delta,
                after=batch.take(key, delta),
                at=now,
                actor=ctx.actor,
                reason=status.value if order_id is None else f"order {order_id}",
                order_id=order_id,
                reference=r.reference,
                reservation_id=r.id,
                idempotency_key=ctx.idempotency_key,
                channel=r.channel,
            )
        )
    await batch.write(uow, now, "to close the holds")
    await uow.reservations.close_many([r.id for r in reservations], status, now, order_id)
    followed = await promises.follow(uow, movements, ctx, now)
    await uow.ledger.append([*movements, *followed.changed])


def hold_key(line: HoldLine) -> LevelKey:
    return LevelKey(line.sku, line.location)
