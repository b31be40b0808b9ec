"""Group commit for reservations: many holds, one transaction.

Concurrent reservation requests are gathered (see `stockd.service.batching`)
and decided together: every level any of them may touch is locked once, in
(sku, location) order; each request is then placed and checked, in arrival
order, against the levels as the requests before it left them — all its lines
or none — and the sums are written with one conditional UPDATE, guarded by
the same invariants as a single change (and the CHECK constraints behind it).
Each request keeps its own result and its own ledger events, with the
quantities after it. One lock, one write and one commit serve the whole batch,
which is what lets a hot SKU take thousands of holds a second.

Unlocked (`locked=False`), the batch is decided on the levels as last
committed and written with `ReservationRepository.place`, one atomic step
that re-checks every level's invariants as it writes: the hot rows are then
held only while that step runs. The decisions stay sound because a hold only
takes units: if the batch's sum still fits a level, so does every request's
share of it. Holds through channels are decided on the channels' book as
last committed, and the step re-checks its guards (`ports.ChannelGuard`):
a unit held since takes at most one unit of any channel's room. When the
store refuses (the levels moved, or a guard failed), nothing is written and
the result is None: decide again under lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from stockd import errors
from stockd.domain.catalog import Sku
from stockd.domain.commands import Reserve
from stockd.domain.events import Movement, Reserved
from stockd.domain.promises import PreorderRoom, backordered_change, cover
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reservations import HoldLine, Reservation, ReservationStatus
from stockd.service import overdue, planning, promises
from stockd.service.channel_book import ChannelBook
from stockd.service.context import Context, Deps
from stockd.service.handlers import placing
from stockd.service.handlers.level_batch import LevelBatch
from stockd.service.ports import UnitOfWork

Outcome = Reservation | errors.StockdError


@dataclass(frozen=True, slots=True)
class Request:
    cmd: Reserve
    ctx: Context


class InboundLeft:
    """Inbound not yet promised at the backorder levels a locked batch
    takes below zero (and what preorder SKUs may still preorder, in total
    and per capped channel), as the requests before leave it: a request
    whose units beyond stock it cannot cover (`promises.cover`, the rule
    `promises.tie` follows) is refused alone."""

    def __init__(self, uow: UnitOfWork, skus: Mapping[str, Sku], now: datetime) -> None:
        self.uow = uow
        self.skus = skus
        self.now = now
        self.free: dict[LevelKey, int] = {}
        self.room: dict[str, PreorderRoom] = {}
        self.taken = False

    async def take(
        self, beyond: dict[LevelKey, int], channel: str | None
    ) -> errors.StockdError | None:
        for key in sorted(beyond.keys() - self.free.keys()):
            self.free[key] = sum(s.free for s in await self.uow.ties.inbound(key))
            policy = self.skus[key.sku].policy
            if policy.preorders_at(self.now) and key.sku not in self.room:
                self.room[key.sku] = await self.uow.ties.preorder_room(key.sku)
        # Inbound first; a preorder SKU's allowance (through the channel) for the rest.
        covers = {
            k: cover(b, self.free[k], self.skus[k.sku].policy, self.now) for k, b in beyond.items()
        }
        wanted: dict[str, int] = {}
        for k, c in covers.items():
            wanted[k.sku] = wanted.get(k.sku, 0) + c.beyond_inbound
        room = {sku: self.room[sku].through(channel) if sku in self.room else 0 for sku in wanted}
        short = [
            errors.ShortLine(k.sku, k.location, b, covers[k].inbound + room[k.sku])
            for k, b in sorted(beyond.items())
            if wanted[k.sku] > room[k.sku] and covers[k].beyond_inbound
        ]
        if short:
            return overdue.shortage(
                "not enough inbound to backorder "
                + ", ".join(f"{x.sku}@{x.location}" for x in short)
                + promises.capped_note([self.skus[x.sku].policy for x in short], channel),
                short,
            )
        for key, c in covers.items():
            self.free[key] -= c.inbound
        for sku, n in wanted.items():
            if n:
                self.room[sku] = self.room[sku].took(channel, n)
        self.taken = True
        return None


async def reserve_batch(
    requests: Sequence[Request], uow: UnitOfWork, deps: Deps, *, locked: bool = True
) -> list[Outcome] | None:
    now = deps.clock.now()
    outcomes: list[Outcome | None] = [None] * len(requests)
    deadlines: dict[int, datetime] = {}
    for i, r in enumerate(requests):
        try:
            deadlines[i] = deps.ttl.deadline(now, r.cmd.ttl_seconds)
            placing.reject_duplicates(r.cmd.lines)
        except ValueError as e:
            outcomes[i] = errors.InvalidRequest(errors.Issue(str(e), "ttl_seconds"))
        except errors.StockdError as e:
            outcomes[i] = e
    live = [i for i in range(len(requests)) if outcomes[i] is None]
    touched = {x.sku for i in live for x in requests[i].cmd.lines}
    book = None
    if not locked and any(requests[i].cmd.channel is not None for i in live):
        # Through channels without a lock: decided on the book as read (with
        # the SKUs, in one round trip) and written under its guards. A batch
        # through no channel reads no book: the store refuses it if a SKU is
        # pooled (decided under lock then).
        book, skus = await ChannelBook.snapshot(uow, touched)
    else:
        skus = await uow.catalog.skus(touched)
    named = {x.location for i in live for x in requests[i].cmd.lines if x.location is not None}
    pickups = {c.pickup_location for c in (requests[i].cmd for i in live) if c.pickup_location}
    # Look up what can be looked up before the levels are locked: every round
    # trip under the lock is time the hot rows are held.
    wanted = named | pickups
    locations = dict(await uow.catalog.locations(wanted)) if wanted else {}
    for i in live:
        outcomes[i] = placing.reference_problem(requests[i].cmd.lines, skus, locations)
    live = [i for i in live if outcomes[i] is None]

    named_keys: set[LevelKey] = set()
    open_skus: set[str] = set()
    for i in live:
        cmd = requests[i].cmd
        for line in cmd.lines:
            if cmd.pickup_location is not None:
                named_keys.add(LevelKey(line.sku, cmd.pickup_location))
            elif line.location is not None:
                named_keys.add(LevelKey(line.sku, line.location))
            else:
                open_skus.add(line.sku)
    # Preorders sell before any stock arrived: levels that do not exist yet
    # are made, under lock (a batch that would need one is decided there).
    preorder = {k for k in named_keys if skus[k.sku].policy.preorders_at(now)}
    if preorder:
        if not locked:
            return None
        await uow.levels.create_missing(preorder, now)
    read = uow.levels.lock if locked else uow.levels.read
    batch = LevelBatch(await read(named_keys, skus=open_skus))
    inbound_at: dict[LevelKey, int] = {}
    if open_skus:
        # The strategy needs every location holding an open line's SKU, and
        # how far its backorder levels may go below zero.
        locations |= await uow.catalog.locations(
            {k.location for k in batch.view} - locations.keys()
        )
        inbound_at = await placing.beyond_stock(uow, batch.view, skus, open_skus)

    if locked:
        book = await ChannelBook.load(uow, {x.sku for i in live for x in requests[i].cmd.lines})
    movements: list[Movement] = []
    held: list[Reservation] = []
    inbound = InboundLeft(uow, skus, now)
    for i in live:
        cmd, ctx = requests[i].cmd, requests[i].ctx
        if book is not None and (unknown := book.unknown(cmd.channel)) is not None:
            outcomes[i] = unknown
            continue
        try:
            if cmd.pickup_location is not None:
                pickup = cmd.pickup_location
                units = placing.pickup_units(cmd.lines, pickup, locations.get(pickup))
                named_units = units  # the caller chose the store for every unit
            else:
                named_units = placing.named_units(cmd.lines)
                placement = planning.Placement(cmd.ship_to, cmd.strategy)
                units, _ = placing.planned_units(
                    cmd.lines,
                    named_units,
                    batch.view,
                    locations,
                    placement,
                    deps.default_strategy,
                    inbound_at,
                )
        except errors.StockdError as e:
            outcomes[i] = e
            continue
        short = {k: q for k, q in units.items() if not batch.fits(k, Quantities(reserved=q))}
        if short:
            outcomes[i] = placing.short_of(short, batch.view)
            continue
        beyond = {
            k: b
            for k, q in units.items()
            if (b := backordered_change(batch.view[k].available - q, -q)) > 0
        }
        if beyond:
            if not locked:
                return None  # backorders are tied to inbound under lock: decide there
            if (refused := await inbound.take(beyond, cmd.channel)) is not None:
                outcomes[i] = refused
                continue
        if book is not None and (refused := book.admit(cmd.channel, units)) is not None:
            outcomes[i] = refused
            continue
        reservation = Reservation(
            id=deps.new_id("res"),
            status=ReservationStatus.ACTIVE,
            lines=tuple(
                HoldLine(k.sku, k.location, q, named_units.get(k, 0))
                for k, q in sorted(units.items())
            ),
            created_at=now,
            expires_at=deadlines[i],
            reference=cmd.reference,
            pickup_location=cmd.pickup_location,
            channel=cmd.channel,
        )
        for key, q in sorted(units.items()):
            delta = Quantities(reserved=q)
            movements.append(
                Reserved(
                    key=key,
                    delta=delta,
                    after=batch.take(key, delta),
                    at=now,
                    actor=ctx.actor,
                    reference=cmd.reference,
                    reservation_id=reservation.id,
                    idempotency_key=ctx.idempotency_key,
                    channel=cmd.channel,
                )
            )
        held.append(reservation)
        outcomes[i] = reservation

    if held:
        if not locked:
            guards = book.guards() if book is not None else ()
            if not await uow.reservations.place(held, batch.deltas, movements, now, guards):
                return None
        else:
            await batch.write(uow, now, "a reservation batch")
            await uow.reservations.add_many(held)
            await uow.ledger.append(movements)
            if inbound.taken:  # holds only take: ties made, no promise of others moves
                await promises.follow(uow, movements, requests[live[0]].ctx, now)
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]
