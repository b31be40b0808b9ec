"""Checkout holds: reserve, extend, release, commit, expire.

Lock order, everywhere: the reservation row first (when there is one), then
levels sorted by (sku, location). Reserving takes every level it may touch in
one sorted pass before changing any, so multi-line carts cannot deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from stockd import errors
from stockd.domain.allocation import OrderLine
from stockd.domain.commands import (
    CommitReservation,
    ExpireDueReservations,
    ExtendReservation,
    LineRequest,
    ReleaseReservation,
    Reserve,
)
from stockd.domain.ledger import (
    Movement,
    ReservationCommitted,
    ReservationExpired,
    ReservationExtended,
    ReservationReleased,
    Reserved,
)
from stockd.domain.quantities import Level, LevelKey, Quantities
from stockd.domain.reservations import HoldLine, Reservation, ReservationStatus
from stockd.service import planning
from stockd.service.context import Context, Deps
from stockd.service.handlers.references import unknown_references
from stockd.service.ports import UnitOfWork


async def reserve(cmd: Reserve, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    now = deps.clock.now()
    try:
        expires_at = deps.ttl.deadline(now, cmd.ttl_seconds)
    except ValueError as e:
        raise errors.InvalidRequest(str(e)) from None
    _reject_duplicates(cmd.lines)
    await _check_references(uow, cmd.lines)

    holds = await _plan(uow, cmd, deps)
    short: list[dict[str, object]] = []
    applied: dict[LevelKey, Level] = {}
    for key in sorted(holds):
        after = await uow.levels.apply(key, Quantities(reserved=holds[key]), now)
        if after is None:
            short.append({"sku": key.sku, "location": key.location, "requested": holds[key]})
        else:
            applied[key] = after
    if short:
        raise _insufficient(short)

    reservation = Reservation(
        id=deps.new_id("res"),
        status=ReservationStatus.ACTIVE,
        lines=tuple(HoldLine(k.sku, k.location, q) for k, q in sorted(holds.items())),
        created_at=now,
        expires_at=expires_at,
        reference=cmd.reference,
        pickup_location=cmd.pickup_location,
    )
    await uow.reservations.add(reservation)
    await uow.ledger.append(
        [
            Reserved(
                key=_key(line),
                delta=Quantities(reserved=line.quantity),
                after=applied[_key(line)].quantities,
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
    reservation = await _active(uow, cmd.reservation_id, now)
    try:
        expires_at = deps.ttl.extended(reservation.expires_at, now, cmd.ttl_seconds)
    except ValueError as e:
        raise errors.InvalidRequest(str(e)) from None
    await uow.reservations.set_deadline(reservation.id, expires_at)
    levels = await uow.levels.lock([_key(line) for line in reservation.lines])
    await uow.ledger.append(
        [
            ReservationExtended(
                key=_key(line),
                delta=Quantities(),
                after=levels[_key(line)].quantities,
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
    reservation = await _active(uow, cmd.reservation_id, now)
    await _close([reservation], ReservationStatus.RELEASED, uow, ctx, now)
    return await _reload(uow, reservation.id)


async def commit(cmd: CommitReservation, uow: UnitOfWork, ctx: Context, deps: Deps) -> Reservation:
    now = deps.clock.now()
    reservation = await _active(uow, cmd.reservation_id, now)
    await _close([reservation], ReservationStatus.COMMITTED, uow, ctx, now, cmd.order_id)
    return await _reload(uow, reservation.id)


async def expire_due(cmd: ExpireDueReservations, uow: UnitOfWork, ctx: Context, deps: Deps) -> int:
    """Expire up to `cmd.limit` holds past their deadline; how many were expired."""
    now = deps.clock.now()
    due = await uow.reservations.lock_due(now, cmd.limit, cmd.skus)
    await _close(due, ReservationStatus.EXPIRED, uow, ctx, now)
    return len(due)


# -- helpers ------------------------------------------------------------------


def _reject_duplicates(lines: Sequence[LineRequest]) -> None:
    seen: dict[tuple[str, str | None], int] = {}
    dupes = []
    for index, line in enumerate(lines):
        first = seen.setdefault((line.sku, line.location), index)
        if first != index:
            where = f" at {line.location!r}" if line.location else ""
            dupes.append(
                {"index": index, "detail": f"same SKU {line.sku!r}{where} as line {first}"}
            )
    if dupes:
        raise errors.DuplicateLines(
            "each SKU (and location) may appear once; merge the quantities", errors=dupes
        )


async def _check_references(uow: UnitOfWork, lines: Sequence[LineRequest]) -> None:
    missing = await unknown_references(uow, [(line.sku, line.location) for line in lines])
    if missing:
        raise errors.UnknownReference(
            "; ".join(f"line {i}: {d}" for i, d in sorted(missing.items())),
            errors=[{"index": i, "detail": d} for i, d in sorted(missing.items())],
        )
    named = {line.location for line in lines if line.location is not None}
    inactive = sorted(
        loc.id for loc in (await uow.catalog.locations(named)).values() if not loc.active
    )
    if inactive:
        raise errors.InvalidRequest(
            f"location(s) {', '.join(inactive)} are inactive", locations=inactive
        )


async def _plan(uow: UnitOfWork, cmd: Reserve, deps: Deps) -> dict[LevelKey, int]:
    """Where each line's units are held: named locations as asked (or the
    pickup store), the others by the allocation strategy over the levels as
    they are under lock."""
    if cmd.pickup_location is not None:
        return await _at_pickup(uow, cmd)
    holds: dict[LevelKey, int] = defaultdict(int)
    for line in cmd.lines:
        if line.location is not None:
            holds[LevelKey(line.sku, line.location)] += line.quantity
    open_lines = [OrderLine(x.sku, x.quantity) for x in cmd.lines if x.location is None]
    if not open_lines:
        return dict(holds)
    strategy = planning.strategy_named(cmd.strategy, deps.default_strategy)
    levels = await uow.levels.lock(list(holds), skus={x.sku for x in open_lines})
    locations = await uow.catalog.locations({key.location for key in levels})
    placement = planning.Placement(cmd.ship_to, cmd.strategy)
    request = planning.plan_request(open_lines, levels.values(), locations, placement, holds)
    plan = planning.run(strategy, request)
    if not plan.feasible:
        raise planning.shortfall(plan)
    for line_plan in plan.lines:
        for a in line_plan.allocations:
            holds[LevelKey(line_plan.sku, a.location)] += a.quantity
    return dict(holds)


async def _at_pickup(uow: UnitOfWork, cmd: Reserve) -> dict[LevelKey, int]:
    pickup = cmd.pickup_location
    assert pickup is not None
    planning.check_pickup((await uow.catalog.locations([pickup])).get(pickup), pickup)
    elsewhere = sorted({x.location for x in cmd.lines if x.location not in (None, pickup)})
    if elsewhere:
        raise errors.InvalidRequest(
            f"a pickup at {pickup!r} holds only there; lines name {', '.join(elsewhere)}"
        )
    holds: dict[LevelKey, int] = defaultdict(int)
    for line in cmd.lines:
        holds[LevelKey(line.sku, pickup)] += line.quantity
    return dict(holds)


def _insufficient(short: list[dict[str, object]]) -> errors.InsufficientStock:
    names = ", ".join(
        f"{s['sku']}" + (f"@{s['location']}" if s.get("location") else "") for s in short
    )
    return errors.InsufficientStock(
        f"not enough stock for {names}",
        lines=short,
        skus=sorted({str(s["sku"]) for s in short}),
    )


async def _active(uow: UnitOfWork, reservation_id: str, now: datetime) -> Reservation:
    """The locked hold, if it is active and not past its deadline. (The bus
    expires a hold found past its deadline, in a transaction of its own.)"""
    reservation = await uow.reservations.get(reservation_id, lock=True)
    if reservation is None:
        raise errors.NotFound(f"reservation {reservation_id!r} does not exist")
    if reservation.status is ReservationStatus.EXPIRED:
        raise errors.ReservationExpired(
            f"reservation {reservation_id!r} expired at {reservation.expires_at.isoformat()}",
            reservation_status=reservation.status.value,
            expires_at=reservation.expires_at.isoformat(),
        )
    if reservation.status is not ReservationStatus.ACTIVE:
        raise errors.ReservationNotActive(
            f"reservation {reservation_id!r} is {reservation.status}",
            reservation_status=reservation.status.value,
        )
    if reservation.expires_at <= now:
        raise errors.ReservationExpired(
            f"reservation {reservation_id!r} expired at {reservation.expires_at.isoformat()}",
            reservation_status=ReservationStatus.EXPIRED.value,
            expires_at=reservation.expires_at.isoformat(),
            skus=sorted({line.sku for line in reservation.lines}),
        )
    return reservation


_CLOSING_EVENT: dict[ReservationStatus, type[Movement]] = {
    ReservationStatus.RELEASED: ReservationReleased,
    ReservationStatus.EXPIRED: ReservationExpired,
    ReservationStatus.COMMITTED: ReservationCommitted,
}


async def _close(
    reservations: Sequence[Reservation],
    status: ReservationStatus,
    uow: UnitOfWork,
    ctx: Context,
    now: datetime,
    order_id: str | None = None,
) -> None:
    """Give back (or commit) the held units of locked active holds, levels in
    lock order across all of them, and record why."""
    work = sorted(
        ((_key(line), r.id, line, r) for r in reservations for line in r.lines),
        key=lambda w: (w[0], w[1]),
    )
    movements: list[Movement] = []
    for key, _, line, r in work:
        delta = Quantities(reserved=-line.quantity)
        if status is ReservationStatus.COMMITTED:
            delta = Quantities(reserved=-line.quantity, committed=line.quantity)
        after = await uow.levels.apply(key, delta, now)
        if after is None:
            raise errors.InvariantViolation(
                f"{key}: cannot take {line.quantity} out of reserved for {r.id}"
            )
        movements.append(
            _CLOSING_EVENT[status](
                key=key,
                delta=delta,
                after=after.quantities,
                at=now,
                actor=ctx.actor,
                reason=status.value if order_id is None else f"order {order_id}",
                reference=r.reference,
                reservation_id=r.id,
                idempotency_key=ctx.idempotency_key,
            )
        )
    for r in reservations:
        await uow.reservations.close(r.id, status, now, order_id)
    await uow.ledger.append(movements)


async def _reload(uow: UnitOfWork, reservation_id: str) -> Reservation:
    reservation = await uow.reservations.get(reservation_id)
    assert reservation is not None
    return reservation


def _key(line: HoldLine) -> LevelKey:
    return LevelKey(line.sku, line.location)
