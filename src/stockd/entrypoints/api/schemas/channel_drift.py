"""Channel drift: a channel's figures that are not stockd's figures now."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from stockd.entrypoints.api.schemas.common import Output


class ChannelDriftRead(Output):
    channel: str
    sku: str
    via: Literal["webhook", "feed"] = Field(
        description="How the figure reached the channel: a delivered webhook message, or a"
        " page of its availability feed."
    )
    webhook_id: str | None = Field(description="The webhook it was delivered to (`via` webhook).")
    sent: int = Field(description="The figure the channel was last sent.")
    now: int = Field(description="The figure stockd computes now (`advertised`).")
    sent_at: datetime
    seq: int = Field(description="The ledger event the sent figure accounts for (at least).")
    seqs: list[int] = Field(
        description="The first ledger events since `seq` that may have changed the figure (at"
        " most 20); empty when none explains the difference."
    )
    detail: str


class ChannelDriftPage(Output):
    items: list[ChannelDriftRead] = Field(
        description="The channel's drifted figures, by SKU, then `via` and webhook."
    )
    next_cursor: str | None
