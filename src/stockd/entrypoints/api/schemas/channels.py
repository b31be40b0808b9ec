"""Sales channels."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stockd.domain.channels import MAX_SAFETY_BUFFER_PCT, Channel, ChannelKind, PoolShare
from stockd.entrypoints.api.schemas.common import Code, Count, Input, Name, Output

ChannelKindName = Literal["web", "marketplace", "store", "other"]
ChannelPriority = Annotated[
    int,
    Field(
        ge=1,
        le=1_000_000,
        description="1 is the most important: a channel never takes units ring-fenced for"
        " a more important one.",
    ),
]
SafetyBufferPct = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_SAFETY_BUFFER_PCT,
        description="Percent by which the figure published to the channel is lowered (to"
        " absorb its sync delay); what an order from the channel may take is not.",
    ),
]
DefaultSharePct = Annotated[
    int,
    Field(ge=0, le=100, description="The channel's pool of a SKU that has no pools of its own."),
]
Waterfall = Annotated[
    bool,
    Field(
        description="Past its own pool and the shared pool, it may take from the pools of"
        " lower-priority channels."
    ),
]


class ChannelCreate(Input):
    id: Code
    name: Name
    kind: ChannelKindName = "other"
    priority: ChannelPriority = 1
    safety_buffer_pct: SafetyBufferPct = 0
    default_share_pct: DefaultSharePct | None = None
    waterfall: Waterfall = True
    active: bool = True

    def to_domain(self) -> Channel:
        return Channel(
            id=self.id,
            name=self.name,
            kind=ChannelKind(self.kind),
            priority=self.priority,
            safety_buffer_pct=self.safety_buffer_pct,
            default_share_pct=self.default_share_pct,
            waterfall=self.waterfall,
            active=self.active,
        )


class ChannelUpdate(Input):
    """Only the fields given change; `default_share_pct` may be set to null."""

    name: Name | None = None
    kind: ChannelKindName | None = None
    priority: ChannelPriority | None = None
    safety_buffer_pct: SafetyBufferPct | None = None
    default_share_pct: DefaultSharePct | None = None
    waterfall: Waterfall | None = None
    active: bool | None = None

    def changes(self) -> dict[str, object]:
        given = self.model_dump(exclude_unset=True)
        return {k: v for k, v in given.items() if v is not None or k == "default_share_pct"}


class ChannelRead(Output):
    id: str
    name: str
    kind: ChannelKindName
    priority: int
    safety_buffer_pct: int
    default_share_pct: int | None
    waterfall: bool
    active: bool
    version: int

    @classmethod
    def of(cls, channel: Channel) -> ChannelRead:
        return cls.model_validate(channel.as_dict())


class ChannelPage(Output):
    items: list[ChannelRead]
    next_cursor: str | None


class PoolIn(Input):
    """One channel's pool of the SKU: `share_pct` or `units`, not both."""

    channel: Code
    share_pct: Annotated[int, Field(ge=0, le=100)] | None = None
    units: Count | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> PoolIn:
        if (self.share_pct is None) == (self.units is None):
            raise ValueError("give exactly one of share_pct and units")
        return self

    def to_domain(self) -> PoolShare:
        return PoolShare(self.channel, self.share_pct, self.units)


class PoolsSet(Input):
    """The SKU's pools, replacing the ones it has; `[]` gives it back to the
    channels' default shares."""

    pools: list[PoolIn] = Field(max_length=1_000)


class PoolRead(Output):
    channel: str
    share_pct: int | None
    units: int | None
    resolved: int = Field(description="The units the pool stands for now.")


class PoolsRead(Output):
    sku: str
    sellable: int = Field(
        description="The SKU's sellable units, before any hold, that the pools split"
        " (on hand less damaged, quality control and safety stock, at usable locations)."
    )
    pools: list[PoolRead] = Field(
        description="The SKU's own pools or, with none, the channels' default shares."
    )
    defaults: bool = Field(description="True when the pools are the channels' default shares.")
    shared: int = Field(description="Units no pool claims: open to every channel.")


class ChannelPoolRead(Output):
    units: int = Field(description="Units of the channel's own pool of the SKU.")
    outstanding: int = Field(description="Units the channel holds or has committed.")
    free: int = Field(description="Of its own pool, what is not in use.")


class ChannelAvailabilityRead(Output):
    channel: str
    sku: str
    sellable: int = Field(
        description="What a hold through the channel may take now: its pool, the shared"
        " pool and (waterfall) what it may borrow, never above what the SKU has available."
    )
    advertised: int = Field(
        description="What is published to the channel: `sellable` lowered by its safety"
        " buffer (rounded down), never above what the SKU has available."
    )
    pool: ChannelPoolRead
    shared_free: int = Field(description="Of the shared pool, what is not in use.")
    borrowable: int = Field(
        description="Of the pools of channels with a lower priority, what is free and the"
        " channel may take (0 without waterfall)."
    )


class FeedItemRead(Output):
    sku: str
    advertised: int = Field(
        description="What to publish on the channel now (as `GET"
        " /v1/channels/{id}/availability/{sku}` shows it)."
    )
    sellable: int = Field(description="What an order through the channel may take now.")
    seq: int = Field(
        description="The figures account for every ledger event up to this `seq` (at least)."
    )


class FeedPage(Output):
    items: list[FeedItemRead] = Field(
        description="Every SKU whose figure for the channel may have changed since the cursor,"
        " once, at its figure now (SKUs by code while the catalogue is listed, then in the"
        " order of their last change). Empty when nothing changed."
    )
    next_cursor: str = Field(
        description="The cursor of the next poll (the feed never ends: keep it and poll again)."
    )


class RebalanceRequest(Input):
    skus: Annotated[list[Code], Field(min_length=1, max_length=1000)] | None = Field(
        None, description="Only these SKUs (default: every SKU with percentage pools)."
    )
    dry_run: bool = Field(False, description="Say what would move; move nothing.")


class ShareRead(Output):
    channel: str
    share_pct: int | None
    units: int | None


class RebalanceMove(Output):
    sku: str
    before: list[ShareRead]
    after: list[ShareRead]
    velocities: dict[str, int] = Field(description="Units each channel sold in the window.")
    applied: bool = Field(description="False in a dry run, or when the pools changed meanwhile.")


class RebalanceReport(Output):
    dry_run: bool
    window_seconds: int
    checked: int = Field(description="SKUs with pools of their own looked at.")
    short: int = Field(
        description="Of those, SKUs where a channel's free pool was below the threshold."
    )
    moves: list[RebalanceMove]
