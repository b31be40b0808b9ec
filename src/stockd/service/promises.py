"""Keeping the promises of backordered units: ties to inbound follow every
change to the units a hold or an order has backordered at a level.

Under `policy: backorder` a level may be sold below zero `available` (down to
its floor), but only as far as open inbound that is not yet promised covers:
every backordered unit is tied to one inbound unit (`domain.promises`), so
every promise has a date. Handlers call in here in the same transaction as
the level change: `follow` after units are held, committed, released or
cancelled; `settle_receipt` / `free` + `retie` around receipts, cuts and
ETA changes of the inbound itself, which re-date the holders affected and
record a `promise.changed` event for each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from stockd import errors
from stockd.domain.catalog import StockPolicy
from stockd.domain.events import (
    Movement,
    OrderAllocated,
    OrderCancelled,
    PromiseChanged,
    ReservationCommitted,
    ReservationExpired,
    ReservationReleased,
    Reserved,
)
from stockd.domain.promises import (
    Claim,
    Holder,
    HolderKind,
    SupplyKind,
    TiedUnits,
    backordered_change,
    cover,
    fifo,
    ready_of,
)
from stockd.domain.quantities import LevelKey
from stockd.service import overdue
from stockd.service.context import Context
from stockd.service.ports import UnitOfWork

HOLDING: tuple[type[Movement], ...] = (
    Reserved,
    ReservationReleased,
    ReservationExpired,
    ReservationCommitted,
    OrderAllocated,
    OrderCancelled,
)
"""Movements that take or give back a holder's units: the holder they name
is the one whose ties change. Others (receipts, returns, adjustments) move
the level for no holder: they only untie, first come first served."""


def holder_of(m: Movement) -> Holder | None:
    if not isinstance(m, HOLDING):
        return None
    if m.order_id is not None:
        return Holder(HolderKind.ORDER, m.order_id)
    if m.reservation_id is not None:
        return Holder(HolderKind.RESERVATION, m.reservation_id)
    return None


@dataclass(frozen=True, slots=True)
class Followed:
    changed: list[PromiseChanged]
    """Holders other than the acting one whose ready date moved."""
    tied: bool
    """Whether the acting holders have ties now (made or handed over)."""


async def follow(
    uow: UnitOfWork, movements: Sequence[Movement], ctx: Context, now: datetime
) -> Followed:
    """After holds, orders, commits, releases or cancellations: each level a
    movement took further below zero ties the new backordered units of its
    holder to inbound (first the hold's ties pass to its order on commit);
    each level that came back up unties as many units, the holder's own
    first. Levels that were never below zero cost nothing here."""
    changed: list[PromiseChanged] = []
    tied = False
    # A hold has ties only at levels below zero (as many as are backordered
    # there), and its commit moves every level it holds at: when none of
    # them is below zero, before or after, there is nothing to hand over.
    handed = {
        (m.reservation_id, m.order_id)
        for m in movements
        if isinstance(m, ReservationCommitted | OrderAllocated)
        and m.reservation_id is not None
        and m.order_id is not None
        and min(m.after.available, m.after.available - m.delta.available) < 0
    }
    for reservation_id, order_id in sorted(handed):
        tied |= await uow.ties.hand_over(
            Holder(HolderKind.RESERVATION, reservation_id), Holder(HolderKind.ORDER, order_id)
        )
    for m in movements:
        more = backordered_change(m.after.available, m.delta.available)
        holder = holder_of(m)
        if more > 0 and holder is not None:
            await tie(uow, holder, m.key, more, now, m.channel)
            tied = True
        elif more < 0:
            changed += await untie(uow, m.key, -more, holder, ctx, now)
    return Followed(changed, tied)


async def tie(
    uow: UnitOfWork,
    holder: Holder,
    key: LevelKey,
    units: int,
    now: datetime,
    channel: str | None = None,
) -> None:
    """Tie `units` backordered units of `holder` at `key` to the earliest
    open inbound not yet promised — and, for a SKU taking preorders, the
    rest to its preorder allowance (and to the cap of `channel`, the one the
    holder sells through, if it has one); 409 insufficient_stock when there
    is not enough (the caller's transaction then writes nothing). A preorder
    SKU past its `preorder_until` sells as `deny`: nothing beyond stock."""
    policy = (await uow.catalog.skus([key.sku]))[key.sku].policy
    if policy.preorders_ended(now):
        raise overdue.shortage(
            f"{key.sku}: preorders ended at {errors.timestamp(policy.preorder_until or now)}",
            [errors.ShortLine(key.sku, key.location, units, 0)],
        )
    inbound = await uow.ties.inbound(key)
    free = sum(s.free for s in inbound)
    covered = cover(units, free, policy, now)
    refused = covered.short > 0 or (
        covered.preorder > 0
        and not await uow.ties.add_preorder(holder, key, covered.preorder, now, channel)
    )
    if refused:
        raise overdue.shortage(
            f"not enough inbound to backorder {key}: {units} units beyond stock, {free} inbound"
            " not yet promised" + capped_note([policy], channel),
            [errors.ShortLine(key.sku, key.location, units, free)],
        )
    for g in fifo([Claim(holder, covered.inbound, now)], inbound):
        if g.inbound is None or not await uow.ties.add(holder, key, g.inbound, g.units, now):
            raise errors.InvariantViolation(f"{key}: inbound refused the promise")


def capped_note(policies: Iterable[StockPolicy], channel: str | None) -> str:
    """For a refusal: the channel's preorder cap, when one of these caps it."""
    if channel is None or not any(
        c.channel == channel for p in policies for c in p.preorder_channel_caps
    ):
        return ""
    return f" (within the preorder cap of channel {channel!r})"


async def untie(
    uow: UnitOfWork,
    key: LevelKey,
    units: int,
    holder: Holder | None,
    ctx: Context,
    now: datetime,
    prefer: tuple[SupplyKind, str] | None = None,
) -> list[PromiseChanged]:
    """Untie `units` at a level that has that many fewer backordered: the
    acting holder's own ties first (undated, then the latest), then those on
    `prefer` (an inbound that just arrived), then the others first come,
    first served (their units are on hand now)."""
    ties = await uow.ties.of_level(key)
    if not ties:
        return []
    before = _ready(ties, now)
    await _untie_units(uow, ties, units, holder, prefer)
    after = _ready(await uow.ties.of_level(key), now)
    return _changes(before, after, {holder} if holder else set(), ctx, now)


async def _untie_units(
    uow: UnitOfWork,
    ties: Sequence[TiedUnits],
    units: int,
    holder: Holder | None,
    prefer: tuple[SupplyKind, str] | None = None,
) -> None:
    def rank(t: TiedUnits) -> tuple[int, int, float, int]:
        if t.holder == holder:
            latest = t.ready_at.timestamp() if t.ready_at is not None else float("inf")
            return (0, 0, -latest, -t.id)
        if prefer is not None and (t.supply, t.supply_id) == prefer:
            return (1, 0, t.since.timestamp(), t.id)
        return (2, 0 if t.ready_at is None else 1, t.since.timestamp(), t.id)

    left = units
    for t in sorted(ties, key=rank):
        if not left:
            break
        taken = min(left, t.quantity)
        await uow.ties.reduce(t, taken)
        left -= taken


async def free(uow: UnitOfWork, ties: Iterable[tuple[TiedUnits, int]]) -> list[Claim]:
    """Untie these units, to be tied again (`retie`): the claims they leave,
    one per holder and level, keeping the holder's place in line."""
    claims: dict[tuple[Holder, LevelKey], Claim] = {}
    for t, units in ties:
        await uow.ties.reduce(t, units)
        found = claims.get((t.holder, t.key))
        claims[(t.holder, t.key)] = Claim(
            t.holder,
            units + (found.units if found else 0),
            min(t.since, found.since) if found else t.since,
            min(t.id, found.rank) if found else t.id,
        )
    return list(claims.values())


async def retie(
    uow: UnitOfWork,
    key: LevelKey,
    claims: Sequence[Claim],
    before: dict[Holder, datetime | None],
    ctx: Context,
    now: datetime,
) -> list[PromiseChanged]:
    """Tie freed claims at `key` again, first come first served, to the
    inbound now open there; units none covers stay without a date. A
    `promise.changed` for each holder whose ready date moved from `before`."""
    for g in fifo(claims, await uow.ties.inbound(key)):
        if not await uow.ties.add(g.claim.holder, key, g.inbound, g.units, g.claim.since):
            raise errors.InvariantViolation(f"{key}: inbound refused the promise")
    after = _ready(await uow.ties.of_level(key), now)
    return _changes({(h, key): r for h, r in before.items()}, after, set(), ctx, now, only=before)


async def ready_at(uow: UnitOfWork, key: LevelKey, now: datetime) -> dict[Holder, datetime | None]:
    """When each holder with ties at the level is ready, as things stand."""
    return {h: r for (h, _), r in _ready(await uow.ties.of_level(key), now).items()}


async def date_undated(
    uow: UnitOfWork, keys: Iterable[LevelKey], ctx: Context, now: datetime
) -> list[PromiseChanged]:
    """New inbound at these levels: backordered units left without a date
    are tied to it, first come first served."""
    changed: list[PromiseChanged] = []
    for key in sorted(set(keys)):
        ties = await uow.ties.of_level(key)
        undated = [(t, t.quantity) for t in ties if t.supply is SupplyKind.NONE]
        if not undated:
            continue
        before = {h: r for (h, _), r in _ready(ties, now).items()}
        claims = await free(uow, undated)
        changed += await retie(uow, key, claims, before, ctx, now)
    return changed


@dataclass(frozen=True, slots=True)
class Settled:
    untied: int
    before: dict[tuple[Holder, LevelKey], datetime | None] | None
    """Ready dates at the level before, if the inbound had ties."""


async def settle_receipt(
    uow: UnitOfWork, kind: SupplyKind, supply_id: str, key: LevelKey, units: int, now: datetime
) -> Settled:
    """Before `units` of an inbound line arrive: its ties, first come first
    served, are covered by the units on hand now and untied (the line may
    not keep more promised than it has open)."""
    ties = await uow.ties.of_supply(kind, supply_id, key.sku)
    if not ties:
        return Settled(0, None)
    before = _ready(await uow.ties.of_level(key), now)
    left = units
    for t in ties:
        if not left:
            break
        taken = min(left, t.quantity)
        await uow.ties.reduce(t, taken)
        left -= taken
    return Settled(units - left, before)


async def after_receipt(
    uow: UnitOfWork, m: Movement, settled: Settled, ctx: Context, now: datetime
) -> list[PromiseChanged]:
    """After a receipt movement: units that arrived beyond the ties of their
    own inbound cover other backordered units of the level (which are
    untied, first come first served). A `promise.changed` for every holder
    whose units are ready sooner for it."""
    fewer = -backordered_change(m.after.available, m.delta.available) - settled.untied
    if settled.before is None:
        return await untie(uow, m.key, fewer, None, ctx, now) if fewer > 0 else []
    if fewer > 0:
        await _untie_units(uow, await uow.ties.of_level(m.key), fewer, None)
    after = _ready(await uow.ties.of_level(m.key), now)
    return _changes(settled.before, after, set(), ctx, now)


async def after_shipment(uow: UnitOfWork, order_id: str, key: LevelKey, left: int) -> None:
    """A shipped unit needs no tie: an order line keeps no more ties than
    units it still has to ship (the latest untied first)."""
    holder = Holder(HolderKind.ORDER, order_id)
    ties = [t for t in await uow.ties.of_holders([holder]) if t.key == key]
    excess = sum(t.quantity for t in ties) - left
    for t in sorted(ties, key=lambda t: -t.id):
        if excess <= 0:
            break
        taken = min(excess, t.quantity)
        await uow.ties.reduce(t, taken)
        excess -= taken


def _ready(
    ties: Sequence[TiedUnits], now: datetime
) -> dict[tuple[Holder, LevelKey], datetime | None]:
    grouped: dict[tuple[Holder, LevelKey], list[TiedUnits]] = defaultdict(list)
    for t in ties:
        grouped[(t.holder, t.key)].append(t)
    return {k: ready_of(v, now) for k, v in grouped.items()}


def _changes(
    before: dict[tuple[Holder, LevelKey], datetime | None],
    after: dict[tuple[Holder, LevelKey], datetime | None],
    acting: set[Holder],
    ctx: Context,
    now: datetime,
    only: dict[Holder, datetime | None] | None = None,
) -> list[PromiseChanged]:
    """A `promise.changed` per holder and level whose ready date moved (the
    acting holder knows already: none for it). A holder with no tie left is
    ready now: its units are on hand."""
    out = []
    for holder, key in sorted(before.keys() | after.keys()):
        if holder in acting or (only is not None and holder not in only):
            continue
        old = before.get((holder, key), now)
        new = after.get((holder, key), now)
        if old == new:
            continue
        out.append(
            PromiseChanged(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                reservation_id=holder.id if holder.kind is HolderKind.RESERVATION else None,
                order_id=holder.id if holder.kind is HolderKind.ORDER else None,
                sku=key.sku,
                location=key.location,
                previous=old,
                ready_at=new,
            )
        )
    return out
