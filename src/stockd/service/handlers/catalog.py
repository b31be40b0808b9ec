"""Creating, changing and archiving SKUs and locations.

Archiving is for good and changes nothing but the flag: levels, stock,
holds, orders and history all stay. Holds and orders that already exist keep
being served (committed, shipped, cancelled, returned); what the archive
stops is new work naming the SKU or location — see `placing.reference_problem`,
`planning.exclusion` and `lines`. Archiving what is archived is no change
(no event, same version), whatever `If-Match` says: a retried DELETE is safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stockd import errors
from stockd.domain.catalog import (
    InventoryType,
    Location,
    PolicyKind,
    Sku,
    StockPolicy,
    changes,
)
from stockd.domain.commands import (
    ArchiveLocation,
    ArchiveSku,
    CreateLocation,
    CreateSku,
    UpdateLocation,
    UpdateSku,
)
from stockd.domain.events import (
    LocationArchived,
    LocationChanged,
    LocationCreated,
    SkuArchived,
    SkuChanged,
    SkuCreated,
)
from stockd.service.context import Context, Deps
from stockd.service.ports import UnitOfWork


async def create_sku(cmd: CreateSku, uow: UnitOfWork, ctx: Context, deps: Deps) -> Sku:
    now = deps.clock.now()
    sku = replace(cmd.sku, version=1, archived=False)
    await check_production(uow, sku)
    await check_channels(uow, sku)
    if not await uow.catalog.add_sku(sku, now):
        raise errors.AlreadyExists(f"SKU {sku.sku!r} already exists", resource="sku", id=sku.sku)
    await uow.ledger.append(
        [
            SkuCreated(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                sku=sku.sku,
                attributes=sku.as_dict(),
            )
        ]
    )
    return sku


async def update_sku(cmd: UpdateSku, uow: UnitOfWork, ctx: Context, deps: Deps) -> Sku:
    """Change the given fields; a change that changes nothing is no change at
    all (same version, no event)."""
    current = await uow.catalog.lock_sku(cmd.sku)
    if current is None:
        raise errors.NotFound(f"SKU {cmd.sku!r} does not exist")
    check_version(cmd.expected_version, current.version, f"SKU {cmd.sku!r}")
    updated = replace(current, **_sku_changes(current, cmd.changes))
    changed = changes(current.as_dict(), updated.as_dict())
    if not changed:
        return current
    await check_production(uow, updated)
    await check_channels(uow, updated)
    if updated.policy.floor != current.policy.floor:
        levels = await uow.levels.lock(skus=[cmd.sku])
        broken = [
            f"{lvl.key}: {'; '.join(problems)}"
            for lvl in levels.values()
            if (problems := lvl.quantities.violations(updated.policy.floor))
        ]
        if broken:
            raise errors.InvariantViolation(
                "the new policy would leave levels below their floor: " + " | ".join(broken)
            )
    now = deps.clock.now()
    saved = await uow.catalog.save_sku(updated, now)
    await uow.ledger.append(
        [
            SkuChanged(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                sku=saved.sku,
                changes=changed,
                version=saved.version,
            )
        ]
    )
    return saved


async def create_location(
    cmd: CreateLocation, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Location:
    now = deps.clock.now()
    location = replace(cmd.location, version=1, archived=False)
    if not await uow.catalog.add_location(location, now):
        raise errors.AlreadyExists(
            f"location {location.id!r} already exists", resource="location", id=location.id
        )
    await uow.ledger.append(
        [
            LocationCreated(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                location=location.id,
                attributes=location.as_dict(),
            )
        ]
    )
    return location


async def update_location(
    cmd: UpdateLocation, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Location:
    """Change the given fields; a change that changes nothing is no change."""
    current = await uow.catalog.lock_location(cmd.location_id)
    if current is None:
        raise errors.NotFound(f"location {cmd.location_id!r} does not exist")
    check_version(cmd.expected_version, current.version, f"location {cmd.location_id!r}")
    updated = replace(current, **cmd.changes)
    if (updated.lat is None) != (updated.lon is None):
        raise errors.InvalidRequest(errors.Issue("lat and lon must be given together", "lat"))
    changed = changes(current.as_dict(), updated.as_dict())
    if not changed:
        return current
    now = deps.clock.now()
    saved = await uow.catalog.save_location(updated, now)
    await uow.ledger.append(
        [
            LocationChanged(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                location=saved.id,
                changes=changed,
                version=saved.version,
            )
        ]
    )
    return saved


async def archive_sku(cmd: ArchiveSku, uow: UnitOfWork, ctx: Context, deps: Deps) -> Sku:
    current = await uow.catalog.lock_sku(cmd.sku)
    if current is None:
        raise errors.NotFound(f"SKU {cmd.sku!r} does not exist")
    if current.archived:
        return current
    check_version(cmd.expected_version, current.version, f"SKU {cmd.sku!r}")
    now = deps.clock.now()
    saved = await uow.catalog.save_sku(replace(current, archived=True), now)
    await uow.ledger.append(
        [
            SkuArchived(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                sku=saved.sku,
                version=saved.version,
            )
        ]
    )
    return saved


async def archive_location(
    cmd: ArchiveLocation, uow: UnitOfWork, ctx: Context, deps: Deps
) -> Location:
    current = await uow.catalog.lock_location(cmd.location_id)
    if current is None:
        raise errors.NotFound(f"location {cmd.location_id!r} does not exist")
    if current.archived:
        return current
    check_version(cmd.expected_version, current.version, f"location {cmd.location_id!r}")
    now = deps.clock.now()
    saved = await uow.catalog.save_location(replace(current, archived=True), now)
    await uow.ledger.append(
        [
            LocationArchived(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                location=saved.id,
                version=saved.version,
            )
        ]
    )
    return saved


async def check_production(uow: UnitOfWork, sku: Sku) -> None:
    """A made-to-order SKU names its pool (and only pools that exist); a
    physical one names none."""
    problems = sku.capacity_problems()
    if problems:
        raise errors.InvalidRequest(*(errors.Issue(detail, name) for name, detail in problems))
    named = {p.pool: f"option_pools[{i}].pool" for i, p in enumerate(sku.option_pools)}
    if sku.capacity_pool is not None:
        named[sku.capacity_pool] = "capacity_pool"
    known = await uow.capacity.pools(named)
    missing = [
        errors.Issue(f"unknown capacity pool {pool!r}", where)
        for pool, where in named.items()
        if pool not in known
    ]
    if missing:
        raise errors.UnknownReference(*missing)


async def check_channels(uow: UnitOfWork, sku: Sku) -> None:
    """Preorder caps name channels that exist (a SKU with none reads nothing)."""
    caps = sku.policy.preorder_channel_caps
    if not caps:
        return
    known = await uow.channels.get_many({c.channel for c in caps})
    missing = [
        errors.Issue(f"unknown channel {c.channel!r}", f"preorder_channel_caps[{i}].channel")
        for i, c in enumerate(caps)
        if c.channel not in known
    ]
    if missing:
        raise errors.UnknownReference(*missing)


_POLICY_FIELDS = ("backorder_cap", "preorder_cap", "preorder_until", "preorder_channel_caps")


def _sku_changes(current: Sku, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Field changes for `replace`; `policy`, its caps and `preorder_until`
    combine with the current policy (switching policy drops the fields the
    new one does not take); switching to `physical` drops the pool and option
    pools unless they are given (and then refused)."""
    out = dict(changes)
    kind_of_stock = out.pop("inventory_type", None)
    if kind_of_stock is not None:
        out["inventory_type"] = InventoryType(kind_of_stock)
        if out["inventory_type"] is InventoryType.PHYSICAL:
            out.setdefault("capacity_pool", None)
            out.setdefault("option_pools", ())
    kind = out.pop("policy", None)
    given = {f: out.pop(f) for f in _POLICY_FIELDS if f in out}
    if kind is None and not given:
        return out
    new_kind = PolicyKind(kind) if kind is not None else current.policy.kind
    kept = current.policy.kind is new_kind
    fields: dict[str, Any] = {
        f: given.get(f, getattr(current.policy, f) if kept else None) for f in _POLICY_FIELDS
    }
    try:
        out["policy"] = StockPolicy(
            new_kind,
            fields["backorder_cap"] or 0,
            fields["preorder_cap"] or 0,
            fields["preorder_until"],
            fields["preorder_channel_caps"] or (),
        )
    except ValueError as e:
        field = next((f for f in reversed(_POLICY_FIELDS) if f in str(e)), "policy")
        raise errors.InvalidRequest(errors.Issue(str(e), field)) from None
    return out


def check_version(expected: int | None, actual: int, what: str) -> None:
    """A `VersionConflict` unless `expected` (an If-Match) is None or `actual`."""
    if expected is not None and expected != actual:
        raise errors.VersionConflict(
            f"{what} is at version {actual}, not {expected}; re-read it and retry",
            current_version=actual,
        )
