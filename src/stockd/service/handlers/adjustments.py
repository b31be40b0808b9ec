"""Admin changes to levels: deltas, counts (compare-and-set) and moves, in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stockd import errors
from stockd.domain.adjustments import Change, ChangeKind, Refusal, movement
from stockd.domain.commands import Adjust
from stockd.domain.events import Movement, StockAdjusted, StockCounted, StockMoved
from stockd.domain.quantities import Level, LevelKey, Quantities, State
from stockd.service import promises
from stockd.service.context import Context, Deps
from stockd.service.handlers.references import unknown_references
from stockd.service.ports import UnitOfWork

_EVENT: dict[ChangeKind, type[Movement]] = {
    ChangeKind.ADJUSTED: StockAdjusted,
    ChangeKind.COUNTED: StockCounted,
    ChangeKind.MOVED: StockMoved,
}


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    index: int
    level: Level | None = None
    error: errors.ItemError | None = None


@dataclass(frozen=True, slots=True)
class AdjustResult:
    outcomes: tuple[ChangeOutcome, ...]

    @property
    def applied(self) -> int:
        return sum(o.error is None for o in self.outcomes)


async def adjust(cmd: Adjust, uow: UnitOfWork, ctx: Context, deps: Deps) -> AdjustResult:
    now = deps.clock.now()
    failed: dict[int, errors.ItemError] = {}
    refs = [(c.key.sku, c.key.location) for c in cmd.changes]
    for issue in await unknown_references(uow, refs, "changes"):
        assert issue.index is not None
        index = issue.index
        found = failed.get(index)
        detail = issue.detail if found is None else f"{found.detail} and {issue.detail}"
        failed[index] = errors.ItemError(index, errors.UnknownReference.code, detail)
    keys = {c.key for i, c in enumerate(cmd.changes) if i not in failed}
    await uow.levels.create_missing(keys, now)
    levels = await uow.levels.lock(keys)
    # Read after the lock: a transfer locks its destination level before it
    # records its lines, so none can add units in transit unseen from here.
    lowering = {
        c.key
        for i, c in enumerate(cmd.changes)
        if i not in failed and c.state is State.INCOMING and (c.delta or 0) <= 0
    }
    in_transit: dict[LevelKey, int] = {}
    if lowering:
        # Inbound units: what transfers and purchase orders still owe each level.
        in_transit = await uow.transfers.in_transit_to(lowering)
        for key, units in (await uow.purchase_orders.open_to(lowering)).items():
            in_transit[key] = in_transit.get(key, 0) + units

    applied: dict[int, Level] = {}
    movements: list[Movement] = []
    for index, change in enumerate(cmd.changes):
        if index in failed:
            continue
        level = levels[change.key]
        delta = movement(change, level, in_transit.get(change.key, 0))
        if isinstance(delta, Refusal):
            failed[index] = errors.ItemError(index, delta.code, delta.detail)
            continue
        if delta.is_zero():  # already so (a count that matches): nothing to record
            applied[index] = level
            continue
        after = await uow.levels.apply(change.key, delta, now)
        if after is None:
            failed[index] = errors.ItemError(
                index, errors.InvariantViolation.code, f"{change.key}: refused by the store"
            )
            continue
        levels[change.key] = applied[index] = after
        movements.append(_event(change, delta, after, now, ctx))

    if failed and cmd.atomic:
        raise errors.BulkRejected(sorted(failed.values(), key=lambda e: e.index))
    # Stock added where units are backordered covers them, first come first served.
    followed = await promises.follow(uow, movements, ctx, now)
    await uow.ledger.append([*movements, *followed.changed])
    return AdjustResult(
        tuple(
            ChangeOutcome(i, level=applied.get(i), error=failed.get(i))
            for i in range(len(cmd.changes))
        )
    )


def _event(
    change: Change, delta: Quantities, after: Level, now: datetime, ctx: Context
) -> Movement:
    return _EVENT[change.kind](
        key=change.key,
        delta=delta,
        after=after.quantities,
        at=now,
        actor=ctx.actor,
        reason=change.reason,
        reference=change.reference,
        idempotency_key=ctx.idempotency_key,
    )
