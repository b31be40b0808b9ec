"""Placing an order from a hold: whether the strategy should move the held
units, and where.

Only units stockd placed may move (a hold line's `placed`), and only from
locations the strategy may use: units whose location the caller named, and
units held where the strategy may not ship from, stay. The strategy plans
the movable units, counting them as available, and they move only if the
result is strictly better by its own measure (`Strategy.objective`), which
is only ever given the request's own sites.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from stockd.domain.allocation import OrderLine as PlanLine
from stockd.domain.allocation import PlanRequest
from stockd.domain.commands import PlaceOrder
from stockd.domain.quantities import LevelKey
from stockd.domain.reservations import Reservation
from stockd.service import planning
from stockd.service.context import Deps
from stockd.service.handlers import holds, placing
from stockd.service.ports import UnitOfWork


async def better_placement(
    cmd: PlaceOrder, uow: UnitOfWork, deps: Deps, reservation: Reservation
) -> tuple[dict[LevelKey, int], planning.Planned | None]:
    """Units per level for the order, and the strategy's plan if it was
    asked: where the strategy would put the held units it may move, or where
    they are held unless that is strictly better."""
    strategy = planning.strategy_named(cmd.strategy, deps.default_strategy)
    placement = planning.Placement(
        cmd.ship_to.point if cmd.ship_to else None, cmd.strategy, cmd.pickup_location
    )
    held = {holds.hold_key(x): x.quantity for x in reservation.lines}
    where = await uow.catalog.locations({x.location for x in reservation.lines})
    movable = {
        holds.hold_key(x): x.placed
        for x in reservation.lines
        if x.placed and planning.exclusion(where[x.location], placement) is None
    }
    if not movable:
        return held, None
    per_sku: dict[str, int] = defaultdict(int)
    for key, q in movable.items():
        per_sku[key.sku] += q
    levels = await uow.levels.lock(skus=per_sku)
    locations = await uow.catalog.locations({key.location for key in levels})
    below = {k.sku for k, level in levels.items() if level.floor < 0}
    inbound = (
        await placing.beyond_stock(uow, levels, await uow.catalog.skus(below), below)
        if below
        else {}
    )
    request = planning.plan_request(
        [PlanLine(sku, q) for sku, q in sorted(per_sku.items())],
        levels.values(),
        locations,
        placement,
        returned=movable,
        inbound=inbound,
    )
    planned = planning.run(strategy, request)
    if not planned.plan.feasible:
        return held, planned
    proposed: dict[LevelKey, int] = defaultdict(int)
    for key, q in held.items():
        if q > movable.get(key, 0):
            proposed[key] += q - movable.get(key, 0)
    for line in planned.plan.lines:
        for a in line.allocations:
            proposed[LevelKey(line.sku, a.location)] += a.quantity
    better = strategy.objective(_at_sites(proposed, request), request) < strategy.objective(
        _at_sites(held, request), request
    )
    return (dict(proposed) if better else held), planned


def _at_sites(units: Mapping[LevelKey, int], request: PlanRequest) -> dict[str, dict[str, int]]:
    """location -> sku -> units, at the request's sites only: units held
    elsewhere stay where they are in every placement compared, so leaving
    them out changes no comparison."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for key, q in units.items():
        if key.location in request.sites:
            out[key.location][key.sku] = q
    return dict(out)
