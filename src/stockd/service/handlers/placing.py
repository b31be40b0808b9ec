"""Deciding where a request's units are held or committed: named locations,
the pickup store, or the allocation strategy over the levels under lock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from stockd import errors
from stockd.domain.allocation import OrderLine
from stockd.domain.catalog import Location, PolicyKind, Sku
from stockd.domain.commands import LineRequest
from stockd.domain.quantities import Level, LevelKey
from stockd.errors import InsufficientStock
from stockd.service import overdue, planning
from stockd.service.handlers import references
from stockd.service.handlers.references import missing_references
from stockd.service.ports import UnitOfWork


def reject_duplicates(lines: Sequence[LineRequest]) -> None:
    seen: dict[tuple[str, str | None], int] = {}
    dupes = []
    for index, line in enumerate(lines):
        first = seen.setdefault((line.sku, line.location), index)
        if first != index:
            where = f" at {line.location!r}" if line.location else ""
            detail = f"same SKU {line.sku!r}{where} as line {first}"
            dupes.append(errors.Issue(detail, f"lines[{index}].sku", index))
    if dupes:
        raise errors.DuplicateLines(
            *dupes, detail="each SKU (and location) may appear once; merge the quantities"
        )


async def check_references(uow: UnitOfWork, lines: Sequence[LineRequest]) -> Mapping[str, Sku]:
    """The SKUs of `lines`, once every SKU and named location is known and usable."""
    skus = await uow.catalog.skus({line.sku for line in lines})
    named = {line.location for line in lines if line.location is not None}
    problem = reference_problem(lines, skus, await uow.catalog.locations(named) if named else {})
    if problem is not None:
        raise problem
    return skus


def reference_problem(
    lines: Sequence[LineRequest], skus: Mapping[str, Sku], locations: Mapping[str, Location]
) -> errors.StockdError | None:
    """What keeps these lines from being held or ordered, against a catalog
    already looked up (a batch looks it up once for all requests): unknown
    SKUs or locations, archived SKUs, archived or inactive named locations."""
    missing = missing_references([(x.sku, x.location) for x in lines], skus, locations)
    if missing:
        return errors.UnknownReference(*missing, detail=references.unknown(missing))
    unusable = [
        errors.Issue(
            f"location {x.location!r} is {'archived' if where.archived else 'inactive'}",
            f"lines[{i}].location",
            i,
        )
        for i, x in enumerate(lines)
        if x.location is not None and not (where := locations[x.location]).usable
    ]
    if unusable:
        return errors.InvalidRequest(*unusable)
    return references.archived_skus([x.sku for x in lines], skus)


def short_of(units: Mapping[LevelKey, int], levels: Mapping[LevelKey, Level]) -> InsufficientStock:
    """The shortfall of units asked for at named levels, with what each could
    still give (`levels` as seen when deciding)."""
    lines = [
        errors.ShortLine(k.sku, k.location, q, levels[k].sellable if k in levels else 0)
        for k, q in sorted(units.items())
    ]
    return overdue.shortage(
        "not enough stock for " + ", ".join(f"{k.sku}@{k.location}" for k in sorted(units)),
        lines,
    )


async def place(
    uow: UnitOfWork,
    lines: Sequence[LineRequest],
    skus: Mapping[str, Sku],
    placement: planning.Placement,
    default_strategy: str,
) -> tuple[dict[LevelKey, int], planning.Planned | None]:
    """Units per level for `lines`, and the strategy's plan if one was needed.

    Lines naming a location take it; with a pickup store every line goes
    there; the rest are placed by the strategy over the locked levels, after
    the named lines have taken their share. A shortfall raises."""
    if placement.pickup_location is not None:
        pickup = placement.pickup_location
        return pickup_units(
            lines, pickup, (await uow.catalog.locations([pickup])).get(pickup)
        ), None
    named = named_units(lines)
    open_skus = {x.sku for x in lines if x.location is None}
    if not open_skus:
        return named, None
    levels = await uow.levels.lock(list(named), skus=open_skus)
    locations = await uow.catalog.locations({key.location for key in levels})
    inbound = await beyond_stock(uow, levels, skus, open_skus)
    return planned_units(lines, named, levels, locations, placement, default_strategy, inbound)


async def beyond_stock(
    uow: UnitOfWork, levels: Mapping[LevelKey, Level], skus: Mapping[str, Sku], open_skus: set[str]
) -> dict[LevelKey, int]:
    """For the strategy: how far each level of an open line's `backorder`
    SKU may go below zero: its open inbound not yet promised (read without
    locks; tying the units decides under lock). Empty, at no cost, when no
    such level may go below zero. Preorder SKUs keep their floor: their
    allowance is the SKU's, not a level's."""
    backorder = {s for s in open_skus if skus[s].policy.kind is PolicyKind.BACKORDER}
    keys = planning.backorder_levels(levels.values(), backorder) if backorder else []
    if not keys:
        return {}
    found = await uow.ties.unpromised(keys)
    return {k: found.get(k, 0) for k in keys}


def named_units(lines: Sequence[LineRequest]) -> dict[LevelKey, int]:
    """Units of the lines that name their location."""
    units: dict[LevelKey, int] = defaultdict(int)
    for line in lines:
        if line.location is not None:
            units[LevelKey(line.sku, line.location)] += line.quantity
    return dict(units)


def pickup_units(
    lines: Sequence[LineRequest], pickup: str, location: Location | None
) -> dict[LevelKey, int]:
    """Every line at the pickup store, which must exist, be active and offer pickup."""
    planning.check_pickup(location, pickup)
    elsewhere = [
        errors.Issue(
            f"a pickup at {pickup!r} holds only there, not at {x.location!r}",
            f"lines[{i}].location",
            i,
        )
        for i, x in enumerate(lines)
        if x.location not in (None, pickup)
    ]
    if elsewhere:
        raise errors.InvalidRequest(*elsewhere)
    units: dict[LevelKey, int] = defaultdict(int)
    for line in lines:
        units[LevelKey(line.sku, pickup)] += line.quantity
    return dict(units)


def planned_units(
    lines: Sequence[LineRequest],
    named: Mapping[LevelKey, int],
    levels: Mapping[LevelKey, Level],
    locations: Mapping[str, Location],
    placement: planning.Placement,
    default_strategy: str,
    inbound: Mapping[LevelKey, int] | None = None,
) -> tuple[dict[LevelKey, int], planning.Planned | None]:
    """Place the lines without a location by the strategy over `levels` (as
    seen under lock), after the `named` units have taken their share; a
    backorder level goes below zero only as far as `inbound` covers
    (`beyond_stock`)."""
    units = dict(named)
    open_lines = [OrderLine(x.sku, x.quantity) for x in lines if x.location is None]
    if not open_lines:
        return units, None
    strategy = planning.strategy_named(placement.strategy, default_strategy)
    skus = {x.sku for x in open_lines}
    request = planning.plan_request(
        open_lines,
        (lvl for k, lvl in levels.items() if k.sku in skus),
        locations,
        placement,
        named,
        inbound=inbound,
    )
    planned = planning.run(strategy, request)
    if not planned.plan.feasible:
        raise planning.shortfall(planned.plan)
    for line_plan in planned.plan.lines:
        for a in line_plan.allocations:
            key = LevelKey(line_plan.sku, a.location)
            units[key] = units.get(key, 0) + a.quantity
    return units, planned
