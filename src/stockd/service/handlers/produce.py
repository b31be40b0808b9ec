"""Made-to-order units made: the workshop reports them, and they become the
order's committed stock at the workshop, to ship like any other line.

In one transaction, per production week the units were booked in: the
line's `produced` count rises (a conditional update the store refuses past
the line's units), the workshop's level gains them `on_hand` and
`committed` (`order.produced`, created if missing), and the order's line at
the workshop grows by them. The week keeps its capacity used.

Lock order: the order row first, then levels by (sku, location), as
shipping and cancelling take them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from stockd import errors
from stockd.domain.capacity import ProductionLine
from stockd.domain.commands import LineRequest, ProduceOrder, SkuQuantity
from stockd.domain.events import Movement, OrderProduced
from stockd.domain.orders import Order, OrderStatus, split_production
from stockd.domain.quantities import LevelKey, Quantities
from stockd.service.context import Context, Deps
from stockd.service.handlers import lines, orders
from stockd.service.handlers.moves import move
from stockd.service.ports import UnitOfWork


async def produce_order(cmd: ProduceOrder, uow: UnitOfWork, ctx: Context, deps: Deps) -> Order:
    now = deps.clock.now()
    order = await orders.locked(uow, cmd.order_id)
    if order.status is OrderStatus.CANCELLED:
        raise errors.OrderClosed(
            f"order {order.id!r} is cancelled: nothing more is made for it",
            order_status=order.status.value,
        )
    await _check_made_to_order(uow, cmd.lines)
    taken = _split(order, cmd.lines)
    made: dict[LevelKey, list[tuple[ProductionLine, int]]] = defaultdict(list)
    for line, q in taken:
        assert line.id is not None  # read back from the store
        if not await uow.capacity.produce(line.id, q):
            raise errors.InvariantViolation(f"{line.reference}: the line refused {q} units made")
        made[LevelKey(line.sku, line.location)].append((line, q))
    await uow.levels.create_missing(list(made), now)
    movements: list[Movement] = []
    for key in sorted(made):
        for line, q in made[key]:
            movements.append(
                await move(
                    uow,
                    OrderProduced,
                    key,
                    Quantities(on_hand=q, committed=q),
                    now,
                    ctx,
                    f"the workshop level refused {q} units made",
                    reason=f"made in {line.reference}",
                    reference=cmd.reference,
                    order_id=order.id,
                    channel=order.channel,
                    pool=line.pool,
                    week=str(line.week),
                )
            )
        await uow.orders.add_produced(order.id, key.sku, key.location, sum(q for _, q in made[key]))
    await uow.ledger.append(movements)
    return await orders.restatus(uow, order.id, now, ctx)


async def _check_made_to_order(uow: UnitOfWork, requested: Sequence[LineRequest]) -> None:
    """Known SKUs (else 422 unknown_reference), each once with its options
    (else 422), all made to order (else 422 naming the line's `sku`)."""
    skus = await lines.known_skus(uow, [SkuQuantity(x.sku, x.quantity) for x in requested])
    first: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    issues = []
    for i, x in enumerate(requested):
        seen = first.setdefault((x.sku, tuple(sorted(x.options))), i)
        if seen != i:
            issues.append(errors.Issue(f"same SKU and options as line {seen}", f"lines[{i}]", i))
        if not skus[x.sku].made_to_order:
            detail = f"SKU {x.sku!r} is not made to order: its stock ships as it is"
            issues.append(errors.Issue(detail, f"lines[{i}].sku", i))
    if issues:
        raise errors.InvalidRequest(*issues)


def _split(order: Order, requested: Sequence[LineRequest]) -> list[tuple[ProductionLine, int]]:
    """Which booked lines each requested line's units count against; 409
    beyond_recorded naming every line the order does not have, or has fewer
    units still to make of."""
    problems = []
    out: list[tuple[ProductionLine, int]] = []
    for i, x in enumerate(requested):
        options = dict(x.options)
        found = split_production(order.production, x.sku, options, x.quantity)
        if found is not None:
            out += found
            continue
        booked = [y for y in order.production if y.sku == x.sku and dict(y.options) == options]
        what = x.sku + (f" {options}" if options else "")
        if not booked:
            detail = f"{what} is not made to order in this order"
            problems.append(lines.problem(i, "not_in_order", detail))
        else:
            left = sum(y.unproduced for y in booked)
            detail = f"{what}: {x.quantity} made, {left} still to make"
            problems.append(lines.problem(i, "exceeds_unproduced", detail))
    lines.raise_beyond(problems)
    return out
