"""Sales channels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from stockd import errors
from stockd.bootstrap import Container, rebalance_policy
from stockd.domain.commands import CreateChannel, SetChannelPools, UpdateChannel
from stockd.entrypoints.api.deps import AdminWriter, AppContainer, ReadKey, Reads
from stockd.entrypoints.api.responses import Json
from stockd.entrypoints.api.routes.catalog import IfMatch, SkuCode
from stockd.entrypoints.api.routes.common import Cursor, Limit, after_code, by_code, problems
from stockd.entrypoints.api.schemas.channels import (
    ChannelAvailabilityRead,
    ChannelCreate,
    ChannelPage,
    ChannelRead,
    ChannelUpdate,
    FeedItemRead,
    FeedPage,
    PoolsRead,
    PoolsSet,
    RebalanceReport,
    RebalanceRequest,
)
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.writes import expected_version
from stockd.service.feed import FeedCursor, feed_page
from stockd.service.pools import channel_availability, sku_pools

router = APIRouter(prefix="/v1", tags=["channels"])

ChannelId = Annotated[str, Path(pattern=CODE_PATTERN, description="The channel id.")]


@router.post("/channels", status_code=201, response_model=ChannelRead, responses=problems(409, 422))
async def create_channel(body: ChannelCreate, write: AdminWriter) -> Response:
    """A place that sells: the own site, a marketplace, the stores. Admin only."""
    return await write(
        CreateChannel(body.to_domain()), lambda c: (201, ChannelRead.of(c)), body=body, etag=True
    )


@router.get("/channels", response_model=ChannelPage, responses=problems())
async def list_channels(
    reads: Reads, key: ReadKey, limit: Limit, cursor: Cursor = None
) -> ChannelPage:
    """Channels by id."""
    found = await reads.channels(after_code(cursor), limit + 1)
    page, next_cursor = by_code(found, limit, lambda c: c.id)
    return ChannelPage(items=[ChannelRead.of(c) for c in page], next_cursor=next_cursor)


@router.post("/channels/rebalance", response_model=RebalanceReport, responses=problems())
async def rebalance_channels(
    body: RebalanceRequest, container: AppContainer, write: AdminWriter
) -> Response:
    """Split the percentage pools again by sales velocity (admin), for the
    SKUs where a channel's free pool fell below the threshold (settings
    `STOCKD_REBALANCE_*`), in one transaction. Fixed pools never move; each
    share moves at most `STOCKD_REBALANCE_MAX_MOVE_PCT` points per move.
    Each move is a `channel.rebalanced` event. The rebalance worker does the
    same on its own every `STOCKD_REBALANCE_INTERVAL_SECONDS`."""
    cmd = rebalance_policy(container.settings).command(body.skus, dry_run=body.dry_run)
    return await write(cmd, lambda r: (200, RebalanceReport.model_validate(r.as_dict())), body=body)


@router.get("/channels/{channel_id}", response_model=ChannelRead, responses=problems(404))
async def get_channel(
    channel_id: ChannelId, reads: Reads, key: ReadKey, response: Response
) -> ChannelRead:
    found = await reads.channel(channel_id)
    if found is None:
        raise errors.NotFound(f"channel {channel_id!r} does not exist")
    response.headers["ETag"] = f'"{found.version}"'
    return ChannelRead.of(found)


@router.patch(
    "/channels/{channel_id}", response_model=ChannelRead, responses=problems(404, 409, 422)
)
async def update_channel(
    channel_id: ChannelId, body: ChannelUpdate, write: AdminWriter, if_match: IfMatch = None
) -> Response:
    """Change the fields given (admin; `If-Match` to guard against a lost update).
    A change that changes nothing keeps the version and records nothing."""
    cmd = UpdateChannel(channel_id, body.changes(), expected_version(if_match))
    return await write(cmd, lambda c: (200, ChannelRead.of(c)), body=body, etag=True)


@router.get("/skus/{sku}/channel-pools", response_model=PoolsRead, responses=problems(404))
async def get_pools(sku: SkuCode, container: AppContainer, key: ReadKey) -> PoolsRead:
    """The SKU's pools with the units each stands for now (largest-remainder
    rounding: the pools and the shared pool add up to `sellable` exactly)."""
    return await _pools_read(container, sku)


@router.put("/skus/{sku}/channel-pools", response_model=PoolsRead, responses=problems(404, 422))
async def set_pools(
    sku: SkuCode, body: PoolsSet, container: AppContainer, write: AdminWriter
) -> PoolsRead:
    """Replace the SKU's pools (admin): each channel's `share_pct` of its
    sellable units or a fixed number of `units`; what no pool claims is the
    shared pool. `[]` gives the SKU back to the channels' default shares.
    Shares above 100% in total, unknown channels or a channel twice: 422,
    and nothing changes. Answers as `GET` does."""
    await write.run(SetChannelPools(sku, tuple(p.to_domain() for p in body.pools)))
    return await _pools_read(container, sku)


@router.get(
    "/channels/{channel_id}/availability/{sku}",
    response_model=ChannelAvailabilityRead,
    responses=problems(404),
)
async def channel_availability_read(
    channel_id: ChannelId, sku: SkuCode, container: AppContainer, key: ReadKey
) -> Response:
    """What the channel may sell of the SKU now (`sellable`), what it is
    shown (`advertised`: lowered by its safety buffer), and where the units
    would come from: its own pool, the shared pool, the pools below it. A
    SKU without pools sells to every channel alike (all of it is shared).
    Answered from the read caches when they hold it (docs/caching.md)."""

    async def render() -> bytes:
        found = await channel_availability(container.reads, container.availability, channel_id, sku)
        return ChannelAvailabilityRead.model_validate(found.as_dict()).model_dump_json().encode()

    document = await container.cache.get(sku, f"c:{channel_id}", render)
    assert document is not None  # render answers or raises
    return Json(200, document)


@router.get("/channels/{channel_id}/feed", response_model=FeedPage, responses=problems(404))
async def channel_feed(
    channel_id: ChannelId,
    container: AppContainer,
    key: ReadKey,
    limit: Limit,
    cursor: Cursor = None,
) -> FeedPage:
    """The channel's availability feed, to pull: every SKU whose figure for
    the channel may have changed since `cursor`, each once at its figure
    now. Without a cursor it starts with the whole catalogue. Poll again
    with `next_cursor` (an empty page means nothing changed): a channel that
    does never misses a change, however writes and polls interleave
    (docs/channels.md, "The availability feed")."""
    page = await feed_page(
        container.reads,
        container.availability,
        channel_id,
        None if cursor is None else FeedCursor.parse(cursor),
        limit,
    )
    if container.channel_drift is not None:
        # What the channel was served, for channel drift; never fails the page.
        await container.channel_drift.record_served(channel_id, page)
    return FeedPage(
        items=[
            FeedItemRead(
                sku=x.figure.sku,
                advertised=x.figure.advertised,
                sellable=x.figure.sellable,
                seq=x.seq,
            )
            for x in page.items
        ],
        next_cursor=page.next.token(),
    )


async def _pools_read(container: Container, sku: str) -> PoolsRead:
    found = await sku_pools(container.reads, sku)
    if found is None:
        raise errors.NotFound(f"SKU {sku!r} does not exist")
    return PoolsRead.model_validate(found.as_dict())
