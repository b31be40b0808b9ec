"""Returns: shipped units come back to a location, restocked in a condition."""

from __future__ import annotations

from collections import defaultdict

from stockd import errors
from stockd.domain.commands import ReturnItems
from stockd.domain.events import Movement, OrderReturned
from stockd.domain.orders import ReturnCondition, split_return
from stockd.domain.quantities import LevelKey, Quantities, State
from stockd.service import promises
from stockd.service.context import Context, Deps
from stockd.service.handlers import lines
from stockd.service.handlers.moves import move
from stockd.service.ports import OrderLineChange, ReturnRecord, UnitOfWork

_RESTOCK_AS = {
    ReturnCondition.RESELLABLE: None,
    ReturnCondition.DAMAGED: State.DAMAGED,
    ReturnCondition.QUALITY_CONTROL: State.QUALITY_CONTROL,
}


async def return_items(cmd: ReturnItems, uow: UnitOfWork, ctx: Context, deps: Deps) -> ReturnRecord:
    now = deps.clock.now()
    condition = ReturnCondition(cmd.condition)
    lines.unique_skus(cmd.lines)
    order = await uow.orders.get(cmd.order_id, lock=True)
    if order is None:
        raise errors.UnknownReference(errors.Issue(f"unknown order {cmd.order_id!r}", "order_id"))
    await lines.usable_location(uow, cmd.location)
    await lines.known_skus(uow, cmd.lines)

    counted: dict[tuple[str, str], int] = defaultdict(int)
    problems = []
    for i, line in enumerate(cmd.lines):
        split = split_return(order.lines, line.sku, line.quantity)
        if split is None:
            returnable = sum(x.returnable for x in order.lines if x.sku == line.sku)
            problems.append(
                lines.problem(
                    i,
                    "exceeds_shipped",
                    f"{line.sku}: {line.quantity} returned, {returnable} shipped and not returned",
                )
            )
            continue
        for location, q in split:
            counted[(line.sku, location)] += q
    lines.raise_beyond(problems)

    record = ReturnRecord(deps.new_id("ret"), order.id, cmd.location, condition, cmd.lines, now)
    for (sku, shipped_from), q in sorted(counted.items()):
        if not await uow.orders.change_line(
            order.id, sku, shipped_from, OrderLineChange(returned=q)
        ):
            raise errors.InvariantViolation(f"{sku}@{shipped_from}: return refused")

    keys = {LevelKey(x.sku, cmd.location) for x in cmd.lines}
    await uow.levels.create_missing(keys, now)
    movements: list[Movement] = []
    for line in sorted(cmd.lines, key=lambda x: x.sku):
        key = LevelKey(line.sku, cmd.location)
        delta = Quantities(on_hand=line.quantity)
        restock_as = _RESTOCK_AS[condition]
        if restock_as is not None:
            delta = delta + Quantities.of(restock_as, line.quantity)
        movements.append(
            await move(
                uow,
                OrderReturned,
                key,
                delta,
                now,
                ctx,
                "the store refused the restock",
                reason=f"returned {condition.value}",
                reference=cmd.reference or record.id,
                order_id=order.id,
                channel=order.channel,
            )
        )
    await uow.orders.add_return(record)
    # Restocked units cover backordered ones of the level, first come first served.
    followed = await promises.follow(uow, movements, ctx, now)
    await uow.ledger.append([*movements, *followed.changed])
    return record
