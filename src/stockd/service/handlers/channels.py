"""Creating and changing sales channels."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from stockd import errors
from stockd.domain.catalog import changes
from stockd.domain.channels import (
    Channel,
    ChannelKind,
    PoolShare,
    check_shares,
    rebalanced,
    short_of_pool,
)
from stockd.domain.commands import (
    CreateChannel,
    RebalanceChannels,
    SetChannelPools,
    UpdateChannel,
)
from stockd.domain.events import ChannelChanged, ChannelCreated, ChannelPoolsSet, ChannelRebalanced
from stockd.service.context import Context, Deps
from stockd.service.handlers.catalog import check_version
from stockd.service.ports import UnitOfWork
from stockd.service.rebalancing import Move, RebalanceReport

CHANGEABLE = frozenset(
    {"name", "kind", "priority", "safety_buffer_pct", "default_share_pct", "waterfall", "active"}
)


RESERVED = frozenset({"rebalance"})
"""Ids no channel may have: they name routes beside `/v1/channels/{id}`."""


async def create_channel(cmd: CreateChannel, uow: UnitOfWork, ctx: Context, deps: Deps) -> Channel:
    if cmd.channel.id in RESERVED:
        raise errors.InvalidRequest(
            errors.Issue(f"{cmd.channel.id!r} is reserved (POST /v1/channels/rebalance)", "id")
        )
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


async def rebalance_channels(
    cmd: RebalanceChannels, uow: UnitOfWork, ctx: Context, deps: Deps
) -> RebalanceReport:
    """Split the percentage pools again by sales velocity where a channel is
    short of its pool (`stockd.service.rebalancing`), under the SKUs' locks:
    each move a `channel.rebalanced` event."""
    now = deps.clock.now()
    channels = await uow.channels.all()
    skus = list(cmd.skus) if cmd.skus is not None else await uow.channels.share_pooled()
    stocks = await uow.channels.stock(skus, lock=not cmd.dry_run) if channels else {}
    report = RebalanceReport(cmd.dry_run, cmd.window_seconds)
    report.checked = sum(1 for s in stocks.values() if s.shares)
    due = [
        s
        for s in stocks.values()
        if any(p.share_pct is not None for p in s.shares)
        and short_of_pool(s, channels, cmd.threshold_pct)
    ]
    report.short = len(due)
    since = now - timedelta(seconds=cmd.window_seconds)
    sold = await uow.channels.sales([s.sku for s in due], since) if due else {}
    for stock in due:
        velocities = {
            p.channel: sold.get((stock.sku, p.channel), 0)
            for p in stock.shares
            if p.share_pct is not None
        }
        moved = rebalanced(stock.shares, velocities, channels, cmd.max_move_pct)
        if moved is None:
            continue
        before = tuple(sorted(stock.shares, key=lambda p: p.channel))
        after = tuple(sorted(moved, key=lambda p: p.channel))
        report.moves.append(Move(stock.sku, before, after, velocities, not cmd.dry_run))
        if cmd.dry_run:
            continue
        await uow.channels.set_pools(stock.sku, after, now)
        await uow.ledger.append(
            [
                ChannelRebalanced(
                    at=now,
                    actor=ctx.actor,
                    idempotency_key=ctx.idempotency_key,
                    reason="sales velocity",
                    sku=stock.sku,
                    before=tuple(p.as_dict() for p in before),
                    after=tuple(p.as_dict() for p in after),
                    velocities=velocities,
                    window_seconds=cmd.window_seconds,
                )
            ]
        )
    return report


def _channel_changes(given: Any) -> dict[str, Any]:
    unknown = set(given) - CHANGEABLE
    assert not unknown, f"the API lets through only changeable fields, not {unknown}"
    found = dict(given)
    if "kind" in found:
        found["kind"] = ChannelKind(found["kind"])
    return found
