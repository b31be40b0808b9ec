"""Quotes: the plan a strategy would make now, holding nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stockd import errors
from stockd.domain.allocation import OrderLine
from stockd.domain.catalog import PolicyKind
from stockd.service import planning
from stockd.service.channel_book import ChannelBook
from stockd.service.handlers import references
from stockd.service.queries import ReadModel


async def quote(
    reads: ReadModel,
    now: datetime,
    lines: Sequence[OrderLine],
    placement: planning.Placement,
    default_strategy: str,
    channel: str | None = None,
) -> planning.Planned:
    """Plan `lines` over live availability (holds past their deadline do not
    count), through `channel`: a quote the channel's pools would refuse is
    refused as the hold would be. Nothing is locked or held: a reservation
    made afterwards may come out differently if stock moves in between."""
    first: dict[str, int] = {}
    dupes = []
    for i, line in enumerate(lines):
        if first.setdefault(line.sku, i) != i:
            detail = f"same SKU {line.sku!r} as line {first[line.sku]}"
            dupes.append(errors.Issue(detail, f"lines[{i}].sku", i))
    if dupes:
        raise errors.DuplicateLines(*dupes, detail="each SKU may appear once; merge the quantities")
    strategy = planning.strategy_named(placement.strategy, default_strategy)
    levels = await reads.levels_of(now, first)
    stocked = {lvl.key.sku for lvl in levels}
    known = stocked | {s for s in first.keys() - stocked if await reads.sku(s) is not None}
    missing = references.missing_references([(x.sku, None) for x in lines], known, ())
    if missing:
        raise errors.UnknownReference(*missing, detail=references.unknown(missing))
    await _within_pools(reads, channel, {x.sku: x.quantity for x in lines})
    wanted = {lvl.key.location for lvl in levels}
    if placement.pickup_location is not None:
        wanted.add(placement.pickup_location)
    locations = await reads.locations_by_id(wanted)
    if placement.pickup_location is not None:
        planning.check_pickup(locations.get(placement.pickup_location), placement.pickup_location)
    below = {lvl.key.sku for lvl in levels if lvl.floor < 0}
    backorder = {
        s
        for s in below
        if (sku := await reads.sku(s)) is not None and sku.policy.kind is PolicyKind.BACKORDER
    }
    keys = planning.backorder_levels(levels, backorder)
    inbound = await reads.unpromised(keys) if keys else {}
    request = planning.plan_request(
        lines, levels, locations, placement, inbound={k: inbound.get(k, 0) for k in keys}
    )
    return planning.run(strategy, request)


async def _within_pools(reads: ReadModel, channel: str | None, units: dict[str, int]) -> None:
    book = await ChannelBook.read(reads, units)
    problem = book.unknown(channel) or book.refusal_of(channel, units)
    if problem is not None:
        raise problem
