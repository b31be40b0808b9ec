"""Creating and changing sales channels."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stockd import errors
from stockd.domain.catalog import changes
from stockd.domain.channels import Channel, ChannelKind, PoolShare, check_shares
from stockd.domain.commands import CreateChannel, SetChannelPools, UpdateChannel
from stockd.domain.events import ChannelChanged, ChannelCreated, ChannelPoolsSet
from stockd.service.context import Context, Deps
from stockd.service.handlers.catalog import check_version
from stockd.service.ports import UnitOfWork

CHANGEABLE = frozenset(
    {"name", "kind", "priority", "safety_buffer_pct", "default_share_pct", "waterfall", "active"}
)


async def create_channel(cmd: CreateChannel, uow: UnitOfWork, ctx: Context, deps: Deps) -> Channel:
    now = deps.clock.now()
    channel = replace(cmd.channel, version=1)
    if not await uow.channels.add(channel, now):
        raise errors.AlreadyExists(
            f"channel {channel.id!r} already exists", resource="channel", id=channel.id
        )
    await uow.ledger.append(
        [
            ChannelCreated(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                channel=channel.id,
                attributes=channel.as_dict(),
            )
        ]
    )
    return channel


async def update_channel(cmd: UpdateChannel, uow: UnitOfWork, ctx: Context, deps: Deps) -> Channel:
    """Change the given fields; a change that changes nothing is no change at
    all (same version, no event)."""
    current = await uow.channels.lock(cmd.channel_id)
    if current is None:
        raise errors.NotFound(f"channel {cmd.channel_id!r} does not exist")
    check_version(cmd.expected_version, current.version, f"channel {cmd.channel_id!r}")
    try:
        updated = replace(current, **_channel_changes(cmd.changes))
    except ValueError as e:
        raise errors.InvalidRequest(errors.Issue(str(e))) from e
    changed = changes(current.as_dict(), updated.as_dict())
    if not changed:
        return current
    now = deps.clock.now()
    saved = await uow.channels.save(updated, now)
    await uow.ledger.append(
        [
            ChannelChanged(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                channel=saved.id,
                changes=changed,
                version=saved.version,
            )
        ]
    )
    return saved


async def set_pools(
    cmd: SetChannelPools, uow: UnitOfWork, ctx: Context, deps: Deps
) -> list[PoolShare]:
    """Replace a SKU's pools, all or nothing. Setting the pools it has is no
    change (no event)."""
    problems = [errors.Issue(detail, "pools") for detail in check_shares(cmd.pools)]
    if problems:
        raise errors.InvalidRequest(*problems)
    sku = await uow.catalog.lock_sku(cmd.sku)
    if sku is None:
        raise errors.NotFound(f"SKU {cmd.sku!r} does not exist")
    known = await uow.channels.get_many({p.channel for p in cmd.pools})
    unknown = [
        errors.Issue(f"unknown channel {p.channel!r}", f"pools[{i}].channel", i)
        for i, p in enumerate(cmd.pools)
        if p.channel not in known
    ]
    if unknown:
        raise errors.UnknownReference(*unknown)
    wanted = sorted(cmd.pools, key=lambda p: p.channel)
    if wanted == await uow.channels.pools(cmd.sku):
        return wanted
    now = deps.clock.now()
    await uow.channels.set_pools(cmd.sku, wanted, now)
    await uow.ledger.append(
        [
            ChannelPoolsSet(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                sku=cmd.sku,
                pools=tuple(p.as_dict() for p in wanted),
            )
        ]
    )
    return wanted


def _channel_changes(given: Any) -> dict[str, Any]:
    unknown = set(given) - CHANGEABLE
    assert not unknown, f"the API lets through only changeable fields, not {unknown}"
    found = dict(given)
    if "kind" in found:
        found["kind"] = ChannelKind(found["kind"])
    return found
