"""Moving the ETA of inbound (a purchase order, a transfer in flight): one
rule for both. The holders tied to the inbound are tied again, first come
first served, to the inbound open at its levels — this one at its new ETA,
or other inbound that now comes sooner — and each whose ready date moved
gets a `promise.changed`.

Lock order: the caller holds the inbound's row; then its levels in (sku,
location) order, then the ties (as receipts and cuts take them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from stockd.domain.events import InboundEtaChanged, PromiseChanged
from stockd.domain.promises import Claim, Holder, SupplyKind
from stockd.domain.quantities import LevelKey
from stockd.service import promises
from stockd.service.context import Context
from stockd.service.handlers import lines
from stockd.service.ports import UnitOfWork


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


async def move(
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
