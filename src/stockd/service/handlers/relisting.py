"""Relisting: the repair of channel drift (`stockd.service.channel_drift`).

A relisting is a ledger event, not a side table: the channel's feed and its
webhooks already follow the ledger by `seq`, so the one `channel.relisted`
event reaches both, in order with every other change of the SKU, and the
repair stays on the record."""

from __future__ import annotations

from stockd import errors
from stockd.domain.commands import RelistChannelSkus
from stockd.domain.events import ChannelRelisted
from stockd.service.context import Context, Deps
from stockd.service.ports import UnitOfWork


async def relist(cmd: RelistChannelSkus, uow: UnitOfWork, ctx: Context, deps: Deps) -> int:
    """Append one `channel.relisted` event per channel and SKU named (a
    pair named twice, once); how many. Unknown channels: 404, nothing
    recorded."""
    wanted = {(r.channel, r.sku): r for r in cmd.relistings}
    known = await uow.channels.get_many({channel for channel, _ in wanted})
    missing = sorted({channel for channel, _ in wanted} - known.keys())
    if missing:
        raise errors.NotFound(f"channel {missing[0]!r} does not exist")
    now = deps.clock.now()
    await uow.ledger.append(
        [
            ChannelRelisted(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                channel=r.channel,
                sku=r.sku,
                sent=r.sent,
                figure=r.figure,
                receivers=r.receivers,
            )
            for _, r in sorted(wanted.items())
        ]
    )
    return len(wanted)
