"""Quotes: the plan a strategy would make now, holding nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stockd import errors
from stockd.domain.allocation import OrderLine
from stockd.service import planning
from stockd.service.queries import ReadModel


async def quote(
    reads: ReadModel,
    now: datetime,
    lines: Sequence[OrderLine],
    placement: planning.Placement,
    default_strategy: str,
) -> planning.Planned:
    """Plan `lines` over live availability (holds past their deadline do not
    count). Nothing is locked or held: a reservation made afterwards may come
    out differently if stock moves in between."""
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if line.sku in seen:
            raise errors.DuplicateLines(
                f"line {i}: SKU {line.sku!r} appears twice; merge the quantities"
            )
        seen.add(line.sku)
    strategy = planning.strategy_named(placement.strategy, default_strategy)
    levels = await reads.levels_of(now, seen)
    missing = sorted(seen - {lvl.key.sku for lvl in levels})
    if missing:
        known = {s for s in missing if await reads.sku(s) is not None}
        unknown = [s for s in missing if s not in known]
        if unknown:
            raise errors.UnknownReference(f"unknown SKU(s) {', '.join(unknown)}", skus=unknown)
    wanted = {lvl.key.location for lvl in levels}
    if placement.pickup_location is not None:
        wanted.add(placement.pickup_location)
    locations = await reads.locations_by_id(wanted)
    if placement.pickup_location is not None:
        planning.check_pickup(locations.get(placement.pickup_location), placement.pickup_location)
    request = planning.plan_request(lines, levels, locations, placement)
    return planning.run(strategy, request)
