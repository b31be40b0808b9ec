"""Capacity pools and their weekly capacity.

Setting weeks locks the rows of the weeks given (in week order, as every
booking takes them) before deciding: a week may not go below what is held
and committed in it, and the table's CHECK says the same should anything
slip past.
"""

from __future__ import annotations

from dataclasses import replace

from stockd import errors
from stockd.domain.capacity import CapacityPool, CapacityWeek, parse_week
from stockd.domain.commands import CreateCapacityPool, SetCapacity
from stockd.domain.events import CapacityPoolCreated, CapacitySet
from stockd.domain.weeks import IsoWeek
from stockd.service.context import Context, Deps
from stockd.service.ports import UnitOfWork


async def create_pool(
    cmd: CreateCapacityPool, uow: UnitOfWork, ctx: Context, deps: Deps
) -> CapacityPool:
    now = deps.clock.now()
    pool = replace(cmd.pool, version=1)
    workshop = (await uow.catalog.locations([pool.location])).get(pool.location)
    if workshop is None:
        raise errors.UnknownReference(
            errors.Issue(f"unknown location {pool.location!r}", "location")
        )
    if workshop.archived:
        raise errors.InvalidRequest(
            errors.Issue(f"location {pool.location!r} is archived", "location")
        )
    if not await uow.capacity.add_pool(pool, now):
        raise errors.AlreadyExists(
            f"capacity pool {pool.id!r} already exists", resource="capacity_pool", id=pool.id
        )
    await uow.ledger.append(
        [
            CapacityPoolCreated(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                pool=pool.id,
                attributes=pool.as_dict(),
            )
        ]
    )
    return pool


async def set_capacity(
    cmd: SetCapacity, uow: UnitOfWork, ctx: Context, deps: Deps
) -> tuple[CapacityPool, list[CapacityWeek]]:
    """The pool, and every week given as it is now (all or none)."""
    pool = await known_pool(uow, cmd.pool_id)
    zone = (await uow.catalog.locations([pool.location]))[pool.location].zone
    now = deps.clock.now()
    this_week = IsoWeek.at(now, zone)
    units: dict[IsoWeek, int] = {}
    issues = []
    for i, item in enumerate(cmd.weeks):
        try:
            week = parse_week(item.week)
        except ValueError as e:
            issues.append(errors.Issue(str(e), f"weeks[{i}].week", i))
            continue
        if week < this_week:
            detail = f"{week} is in the past (it is {this_week} at {pool.location})"
            issues.append(errors.Issue(detail, f"weeks[{i}].week", i))
        elif week in units:
            issues.append(errors.Issue(f"{week} is given twice", f"weeks[{i}].week", i))
        if item.units < 0:
            issues.append(errors.Issue("units must not be negative", f"weeks[{i}].units", i))
        units[week] = item.units
    if issues:
        raise errors.InvalidRequest(*issues)
    current = await uow.capacity.lock_weeks(pool.id, units)
    below = [c for w, c in sorted(current.items()) if units[w] < c.held + c.committed]
    if below:
        raise errors.CapacityBelowBooked(
            "capacity below what is already held and committed: "
            + ", ".join(f"{c.week} ({c.held + c.committed} booked)" for c in below),
            [
                {
                    "week": str(c.week),
                    "units": units[c.week],
                    "held": c.held,
                    "committed": c.committed,
                }
                for c in below
            ],
        )
    await uow.capacity.set_units(pool.id, units)
    previous = {w: c.units for w, c in current.items()}
    await uow.ledger.append(
        [
            CapacitySet(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                pool=pool.id,
                week=str(w),
                units=units[w],
                previous=previous.get(w, 0),
            )
            for w in sorted(units)
            if units[w] != previous.get(w, 0) or w not in previous
        ]
    )
    after = await uow.capacity.weeks(pool.id, min(units), max(units))
    return pool, [w for w in after if w.week in units]


async def known_pool(uow: UnitOfWork, pool_id: str) -> CapacityPool:
    pool = (await uow.capacity.pools([pool_id])).get(pool_id)
    if pool is None:
        raise errors.NotFound(f"capacity pool {pool_id!r} does not exist")
    return pool
