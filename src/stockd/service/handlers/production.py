"""Made-to-order lines: booking production weeks, and slot bookings' lifecycle.

`book` is shared by slot bookings (units `held`, with a deadline) and orders
(units `committed` at once). Each line takes, in one conditional UPDATE, the
earliest week of its pool from its first week through the booking window
with room for the whole line; a line no week takes makes the whole request
fail (the transaction rolls back, nothing is booked).

Lock order: the slot booking row (or the order row) first, then the pools
in which the request has more than one line (in id order), then capacity
weeks by pool; lines of one request are booked pool by pool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from stockd import errors
from stockd.domain.capacity import (
    CapacityPool,
    ProductionLine,
    SlotBooking,
    SlotStatus,
    earliest_after,
    parse_week,
    ready_at,
)
from stockd.domain.catalog import Sku
from stockd.domain.commands import (
    BookSlots,
    CommitSlot,
    ExpireDueSlots,
    ExtendSlot,
    LineRequest,
    ReleaseSlot,
)
from stockd.domain.events import (
    OrderPlaced,
    Production,
    ProductionBooked,
    ProductionCancelled,
    ProductionCommitted,
    ProductionExpired,
    ProductionExtended,
    ProductionReleased,
)
from stockd.domain.orders import Order, OrderStatus
from stockd.domain.weeks import IsoWeek
from stockd.service.context import Context, Deps
from stockd.service.handlers import references
from stockd.service.ports import Clock, UnitOfWork

Indexed = Sequence[tuple[int, LineRequest]]
"""Lines with their index in the request (problems name `lines[i]`)."""


@dataclass(frozen=True, slots=True)
class _Line:
    index: int
    request: LineRequest
    sku: Sku
    pool: CapacityPool


async def book_slots(cmd: BookSlots, uow: UnitOfWork, ctx: Context, deps: Deps) -> SlotBooking:
    now = deps.clock.now()
    try:
        expires_at = deps.ttl.deadline(now, cmd.ttl_seconds)
    except ValueError as e:
        raise errors.InvalidRequest(errors.Issue(str(e), "ttl_seconds")) from None
    requested = _week(cmd.earliest_week)
    lines = await book(uow, list(enumerate(cmd.lines)), requested, deps, commit=False)
    slot = SlotBooking(
        id=deps.new_id("slot"),
        status=SlotStatus.ACTIVE,
        lines=tuple(lines),
        created_at=now,
        expires_at=expires_at,
        reference=cmd.reference,
    )
    await uow.capacity.add_slot(slot)
    await uow.ledger.append(events(ProductionBooked, slot.lines, now, ctx, slot, reason="booked"))
    return slot


async def book(
    uow: UnitOfWork, lines: Indexed, requested: IsoWeek | None, deps: Deps, *, commit: bool
) -> list[ProductionLine]:
    """Book made-to-order lines (`held`, or with `commit` `committed`), in the
    order given; InsufficientCapacity naming every line no week takes."""
    resolved = await _resolve(uow, lines)
    now = deps.clock.now()
    window = deps.production_window_weeks
    workshops = await uow.catalog.locations({x.pool.location for x in resolved})
    planned: list[tuple[_Line, tzinfo, IsoWeek]] = []
    for line in sorted(resolved, key=lambda x: (x.pool.id, x.index)):
        zone = workshops[line.pool.location].zone
        first = line.pool.first_week(now, zone)
        if requested is not None:
            if requested < IsoWeek.at(now, zone):
                detail = f"{requested} is in the past at {line.pool.location}"
                raise errors.InvalidRequest(errors.Issue(detail, "earliest_week"))
            first = max(first, requested)
        planned.append((line, zone, first))
    # Which week a line takes depends on its quantity, so two bookings with
    # several lines in a pool can take its weeks in opposite orders: such a
    # booking locks the pool first (pools in id order, before any week). A
    # booking with one line a pool takes one week there and needs no more.
    lines_in = Counter(line.pool.id for line in resolved)
    crowded = [p for p, n in lines_in.items() if n > 1]
    if crowded:  # no round trip for the rest
        await uow.capacity.lock_pools(crowded)
    booked: dict[int, ProductionLine] = {}
    short: list[tuple[_Line, IsoWeek]] = []
    for line, where, first in planned:
        q = line.request.quantity
        week = await uow.capacity.take(line.pool.id, first, first + (window - 1), q, commit=commit)
        if week is None:
            short.append((line, first))
            continue
        booked[line.index] = ProductionLine(
            sku=line.sku.sku,
            quantity=q,
            pool=line.pool.id,
            week=week.week,
            ready_at=ready_at(week.week, where),
            location=line.pool.location,
            options=dict(line.request.options),
        )
    if short:
        raise await _short(uow, short, window)
    return [booked[i] for i, _ in lines]


async def _resolve(uow: UnitOfWork, lines: Indexed) -> list[_Line]:
    """Each line's SKU (known, not archived, made to order) and pool."""
    skus = await uow.catalog.skus({x.sku for _, x in lines})
    missing = references.missing_references([(x.sku, None) for _, x in lines], skus, ())
    if missing:
        raise errors.UnknownReference(*missing, detail=references.unknown(missing))
    archived = references.archived_skus([x.sku for _, x in lines], skus)
    if archived is not None:
        raise archived
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    issues = []
    pools: dict[int, str] = {}
    for i, x in lines:
        sku = skus[x.sku]
        first = seen.setdefault((x.sku, tuple(sorted(x.options))), i)
        if first != i:
            issues.append(errors.Issue(f"same SKU and options as line {first}", f"lines[{i}]", i))
        found = sku.pool_for(dict(x.options))
        if not sku.made_to_order or found is None:
            detail = f"SKU {x.sku!r} is not made to order: hold its stock with /v1/reservations"
            issues.append(errors.Issue(detail, f"lines[{i}].sku", i))
            continue
        pools[i] = found
    if issues:
        raise errors.InvalidRequest(*issues)
    known = await uow.capacity.pools(set(pools.values()))
    unknown = [
        errors.Issue(f"unknown capacity pool {p!r} (of SKU {x.sku!r})", f"lines[{i}].options", i)
        for i, x in lines
        if (p := pools[i]) not in known
    ]
    if unknown:
        raise errors.UnknownReference(*unknown)
    return [_Line(i, x, skus[x.sku], known[pools[i]]) for i, x in lines]


async def _short(
    uow: UnitOfWork, short: Sequence[tuple[_Line, IsoWeek]], window: int
) -> errors.InsufficientCapacity:
    """The problem for lines no week of the window takes: for each, the
    earliest later week with capacity set that could."""
    out = []
    for line, first in sorted(short, key=lambda s: s[0].index):
        last = first + (window - 1)
        later = await uow.capacity.weeks(line.pool.id, last + 1, None)
        q = line.request.quantity
        found = earliest_after({w.week: w.free for w in later}, last, q)
        out.append(
            errors.CapacityShort(
                line.index,
                line.sku.sku,
                line.pool.id,
                q,
                str(first),
                None if found is None else str(found),
            )
        )
    detail = "; ".join(
        f"line {s.index}: no week of pool {s.pool!r} from {s.first_week} for {window} weeks"
        f" has {s.quantity} units free"
        + (f" (the earliest that has: {s.earliest_week})" if s.earliest_week else "")
        for s in out
    )
    return errors.InsufficientCapacity(detail, out)


# -- the lifecycle of a slot booking -----------------------------------------------


async def extend(cmd: ExtendSlot, uow: UnitOfWork, ctx: Context, deps: Deps) -> SlotBooking:
    slot = await active_slot(uow, cmd.slot_id, deps.clock)
    now = deps.clock.now()
    try:
        expires_at = deps.ttl.extended(slot.expires_at, now, cmd.ttl_seconds)
    except ValueError as e:
        raise errors.InvalidRequest(errors.Issue(str(e), "ttl_seconds")) from None
    await uow.capacity.set_slot_deadline(slot.id, expires_at)
    await uow.ledger.append(
        events(
            ProductionExtended,
            slot.lines,
            now,
            ctx,
            slot,
            reason=f"extended to {expires_at.isoformat()}",
        )
    )
    return await _reload(uow, slot.id)


async def release(cmd: ReleaseSlot, uow: UnitOfWork, ctx: Context, deps: Deps) -> SlotBooking:
    slot = await active_slot(uow, cmd.slot_id, deps.clock)
    await _close(uow, [slot], SlotStatus.RELEASED, deps.clock.now(), ctx)
    return await _reload(uow, slot.id)


async def expire_due(cmd: ExpireDueSlots, uow: UnitOfWork, ctx: Context, deps: Deps) -> int:
    """Expire up to `cmd.limit` bookings past their deadline; how many."""
    now = deps.clock.now()
    due = await uow.capacity.lock_due_slots(now, cmd.limit)
    await _close(uow, due, SlotStatus.EXPIRED, now, ctx)
    return len(due)


async def commit(cmd: CommitSlot, uow: UnitOfWork, ctx: Context, deps: Deps) -> SlotBooking:
    """The booking's units become the order's: `held` → `committed`. An open
    order gets them as more lines; without an order of that id, a new order
    of just these lines is placed."""
    slot = await active_slot(uow, cmd.slot_id, deps.clock)
    now = deps.clock.now()
    order = await uow.orders.get(cmd.order_id, lock=True)
    placed: list[OrderPlaced] = []
    if order is None:
        order = Order(
            id=cmd.order_id,
            status=OrderStatus.OPEN,
            lines=(),
            created_at=now,
            fingerprint=f"slot:{slot.id}",
        )
        if not await uow.orders.add(order):
            raise errors.TransientConflict(f"order {cmd.order_id} placed concurrently")
        placed.append(
            OrderPlaced(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                order_id=order.id,
                reference=slot.reference,
                lines=(),
                status=order.status.value,
            )
        )
    elif order.status in (OrderStatus.CANCELLED, OrderStatus.SHIPPED):
        raise errors.OrderClosed(
            f"order {order.id!r} is {order.status.value}: it takes no more lines",
            order_status=order.status.value,
        )
    for line in slot.lines:
        if not await uow.capacity.move(line.pool, line.week, -line.quantity, line.quantity):
            raise errors.InvariantViolation(f"{line.reference}: could not commit the held units")
    await uow.capacity.close_slot(slot.id, SlotStatus.COMMITTED, now, order.id)
    await uow.ledger.append(
        [
            *placed,
            *events(
                ProductionCommitted,
                slot.lines,
                now,
                ctx,
                slot,
                reason=f"order {order.id}",
                order_id=order.id,
            ),
        ]
    )
    return await _reload(uow, slot.id)


async def give_back(
    order: Order, uow: UnitOfWork, ctx: Context, now: datetime, reason: str
) -> list[Production]:
    """A cancelled order's made-to-order units not yet made go back to their
    weeks. Units made keep the capacity they used: they are the order's
    committed stock at the workshop, cancelled as its other lines are."""
    closed = await uow.capacity.cancel_order_lines(order.id)
    back = [replace(x, quantity=x.unproduced, produced=0) for x in closed if x.unproduced]
    for line in sorted(back, key=lambda x: (x.pool, x.week)):
        if not await uow.capacity.move(line.pool, line.week, 0, -line.quantity):
            raise errors.InvariantViolation(f"{line.reference}: could not give back the units")
    return events(ProductionCancelled, back, now, ctx, None, reason=reason, order_id=order.id)


async def active_slot(uow: UnitOfWork, slot_id: str, clock: Clock) -> SlotBooking:
    """The locked booking, if it is active and not past its deadline (judged
    under the lock, on the service's clock, as for holds)."""
    slot = await uow.capacity.slot(slot_id, lock=True)
    if slot is None:
        raise errors.NotFound(f"slot booking {slot_id!r} does not exist")
    status = slot.status_at(clock.now())
    if status is not SlotStatus.ACTIVE:
        detail = f"slot booking {slot_id!r} is {status.value}"
        if status is SlotStatus.EXPIRED:
            detail += f" (since {errors.timestamp(slot.expires_at)})"
        raise errors.SlotNotActive(detail, slot_status=status.value)
    return slot


async def _close(
    uow: UnitOfWork, slots: Sequence[SlotBooking], status: SlotStatus, now: datetime, ctx: Context
) -> None:
    event = ProductionReleased if status is SlotStatus.RELEASED else ProductionExpired
    out: list[Production] = []
    for slot in slots:
        for line in slot.lines:
            if not await uow.capacity.move(line.pool, line.week, -line.quantity, 0):
                raise errors.InvariantViolation(f"{line.reference}: could not give back the units")
        await uow.capacity.close_slot(slot.id, status, now)
        out += events(event, slot.lines, now, ctx, slot, reason=status.value)
    await uow.ledger.append(out)


def events(
    cls: type[Production],
    lines: Sequence[ProductionLine],
    now: datetime,
    ctx: Context,
    slot: SlotBooking | None,
    *,
    reason: str,
    order_id: str | None = None,
) -> list[Production]:
    return [
        cls(
            at=now,
            actor=ctx.actor,
            idempotency_key=ctx.idempotency_key,
            reason=reason,
            reference=slot.reference if slot else None,
            order_id=order_id,
            pool=line.pool,
            week=str(line.week),
            sku=line.sku,
            quantity=line.quantity,
            slot_id=slot.id if slot else None,
        )
        for line in lines
    ]


def _week(text: str | None) -> IsoWeek | None:
    if text is None:
        return None
    try:
        return parse_week(text)
    except ValueError as e:
        raise errors.InvalidRequest(errors.Issue(str(e), "earliest_week")) from None


async def _reload(uow: UnitOfWork, slot_id: str) -> SlotBooking:
    slot = await uow.capacity.slot(slot_id)
    assert slot is not None
    return slot
