"""Channel drift: what a channel was last sent that stockd no longer computes."""

from __future__ import annotations

from contextlib import aclosing

from fastapi import APIRouter

from stockd import errors
from stockd.entrypoints.api.deps import AppContainer, ReadKey
from stockd.entrypoints.api.routes.channels import ChannelId
from stockd.entrypoints.api.routes.common import Cursor, Limit, problems
from stockd.entrypoints.api.schemas.channel_drift import ChannelDriftPage, ChannelDriftRead
from stockd.service.channel_drift import ChannelDrift
from stockd.service.cursors import decode_cursor, encode_cursor
from stockd.service.ports import SentKey

router = APIRouter(prefix="/v1", tags=["channels"])


@router.get(
    "/channels/{channel_id}/drift", response_model=ChannelDriftPage, responses=problems(404)
)
async def channel_drift(
    channel_id: ChannelId,
    container: AppContainer,
    key: ReadKey,
    limit: Limit,
    cursor: Cursor = None,
) -> ChannelDriftPage:
    """The channel's figures that drifted: what each receiver (a webhook of
    the channel, or its feed) was last sent of a SKU, where stockd computes
    another figure now and the difference is older than
    `STOCKD_CHANNEL_DRIFT_GRACE_SECONDS` (docs/channels.md, "Channel
    drift"). Read only: the reconciler re-sends them."""
    if await container.reads.channel(channel_id) is None:
        raise errors.NotFound(f"channel {channel_id!r} does not exist")
    drifts = container.channel_drift
    assert drifts is not None, "wired in bootstrap"
    found: list[ChannelDrift] = []
    async with aclosing(
        drifts.find_drift(channel_id, after=_after(channel_id, cursor), chunk=max(limit, 100))
    ) as stream:
        async for drift in stream:
            found.append(drift)
            if len(found) > limit:
                break
    page = found[:limit]
    last = page[-1] if page and len(found) > limit else None
    return ChannelDriftPage(
        items=[ChannelDriftRead.model_validate(d.as_dict()) for d in page],
        next_cursor=None if last is None else encode_cursor(last.sku, last.via, last.endpoint),
    )


def _after(channel_id: str, cursor: str | None) -> SentKey | None:
    if cursor is None:
        return None
    sku, via, endpoint = decode_cursor(cursor, 3)
    if via not in ("webhook", "feed"):
        raise errors.BadCursor("the cursor is not one this list handed out")
    return (channel_id, sku, via, endpoint)
