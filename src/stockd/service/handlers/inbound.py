"""Inbound — purchase orders and transfers in flight — follows one set of
rules whichever it is: which lines a receipt may name, how received units
arrive (and the promises tied to them settle), and how a new ETA re-dates
the holders tied to it.

Lock order: the caller holds the inbound's row; then its levels in (sku,
location) order, then the ties (as holds take levels before ties)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockd import errors
from stockd.domain.commands import SkuQuantity
from stockd.domain.events import Event, InboundEtaChanged, Movement, PromiseChanged
from stockd.domain.promises import Claim, Holder, SupplyKind
from stockd.domain.quantities import LevelKey, Quantities
from stockd.service import promises
from stockd.service.context import Context
from stockd.service.handlers import lines
from stockd.service.handlers.moves import move
from stockd.service.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class LineNames:
    """How one kind of inbound names its lines in problems."""

    not_in: str
    """The problem code of a SKU the inbound does not carry."""
    exceeds: str
    """The problem code of more units than the line still has to come."""
    to_come: str
    """What the units still to come are called (`open`, `in transit`)."""


async def check_lines(
    uow: UnitOfWork,
    wanted: Sequence[SkuQuantity],
    to_come: Mapping[str, int],
    names: LineNames,
    label: str,
    what: str,
) -> None:
    """Each line names a SKU of the inbound (`to_come`: its units still to
    come by SKU), once, with no more units than are still to come: 409
    `beyond_recorded` naming each line that does not."""
    lines.unique_skus(wanted)
    await lines.known_skus(uow, wanted)
    problems = []
    for i, line in enumerate(wanted):
        left = to_come.get(line.sku)
        if left is None:
            problems.append(lines.problem(i, names.not_in, f"{line.sku} is not in {label}"))
        elif line.quantity > left:
            detail = f"{line.sku}: {line.quantity} {what}, {left} {names.to_come}"
            problems.append(lines.problem(i, names.exceeds, detail))
    lines.raise_beyond(problems)


async def receive(
    uow: UnitOfWork,
    supply: SupplyKind,
    supply_id: str,
    location: str,
    arrived: Sequence[SkuQuantity],
    record: Callable[[str, int], Awaitable[bool]],
    event: type[Movement],
    ctx: Context,
    now: datetime,
    **fields: Any,
) -> list[Event]:
    """Arrived units move from `incoming` to `on_hand` at `location`
    (`record` counts them on the inbound's line); the ties they cover are
    settled and each holder ready sooner gets a `promise.changed`."""
    # Levels before inbound lines, as holds lock them: no deadlock between the two.
    await uow.levels.lock([LevelKey(x.sku, location) for x in arrived])
    events: list[Event] = []
    for line in sorted(arrived, key=lambda x: x.sku):
        key = LevelKey(line.sku, location)
        settled = await promises.settle_receipt(uow, supply, supply_id, key, line.quantity, now)
        if not await record(line.sku, line.quantity):
            raise errors.InvariantViolation(f"{line.sku}: the inbound line refused the receipt")
        received = await move(
            uow,
            event,
            key,
            Quantities(incoming=-line.quantity, on_hand=line.quantity),
            now,
            ctx,
            "the store refused the receipt",
            **fields,
        )
        events += [received, *await promises.after_receipt(uow, received, settled, ctx, now)]
    return events


def needs_change(expected_at: datetime, current: datetime | None, now: datetime) -> bool:
    """Whether `expected_at` moves the ETA: 422 naming the field if it is
    before today; the same ETA again changes nothing."""
    lines.not_before(expected_at, now)
    return expected_at != current


@dataclass(frozen=True, slots=True)
class Arrival:
    """Where and when the inbound's open units arrive, before the change."""

    location: str
    keys: Sequence[LevelKey]
    """The levels of its lines with units still to come."""
    previous: datetime
    reference: str | None


async def move_eta(
    uow: UnitOfWork,
    supply: SupplyKind,
    supply_id: str,
    at: Arrival,
    expected_at: datetime,
    set_eta: Callable[[], Awaitable[int]],
    ctx: Context,
    now: datetime,
) -> None:
    """Untie the holders tied to this inbound at its levels, record the new
    ETA (`set_eta`: the inbound's version after it), tie them again, and
    append `inbound.eta_changed` with a `promise.changed` per holder re-dated."""
    await uow.levels.lock(at.keys)
    affected: dict[LevelKey, tuple[dict[Holder, datetime | None], list[Claim]]] = {}
    for key in sorted(at.keys):
        tied = await uow.ties.of_supply(supply, supply_id, key.sku)
        if tied:
            before = await promises.ready_at(uow, key, now)
            affected[key] = (before, await promises.free(uow, [(t, t.quantity) for t in tied]))
    version = await set_eta()
    changed: list[PromiseChanged] = []
    for key, (before, claims) in sorted(affected.items()):
        changed += await promises.retie(uow, key, claims, before, ctx, now)
    moved = InboundEtaChanged(
        at=now,
        actor=ctx.actor,
        idempotency_key=ctx.idempotency_key,
        reference=at.reference,
        purchase_order_id=supply_id if supply is SupplyKind.PURCHASE_ORDER else None,
        transfer_id=supply_id if supply is SupplyKind.TRANSFER else None,
        location=at.location,
        previous=at.previous,
        expected_at=expected_at,
        version=version,
    )
    await uow.ledger.append([moved, *changed])
