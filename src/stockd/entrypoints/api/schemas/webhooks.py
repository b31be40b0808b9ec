"""Webhooks: subscriptions and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from stockd.domain.webhooks import Webhook
from stockd.entrypoints.api.schemas.common import Code, Input, Name, Output
from stockd.service.ports import Delivery

Url = Annotated[
    str,
    StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://[\x21-\x7e]+$"),
    Field(description="Where to POST: http(s); not a loopback, private or link-local address."),
]
EventName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Events = Annotated[
    list[EventName],
    Field(
        min_length=1,
        max_length=100,
        description="Ledger event types (docs/events.md), families such as `order.*`, and"
        " `stock.out_of_stock`, `stock.back_in_stock`, `stock.low`, `availability.changed`.",
        examples=[["stock.out_of_stock", "stock.back_in_stock", "availability.changed"]],
    ),
]
Skus = Annotated[
    list[Code],
    Field(min_length=1, max_length=1000, description="Only messages about these SKUs."),
]
Threshold = Annotated[
    int,
    Field(ge=1, le=1_000_000_000, description="`stock.low` when the figure falls below it."),
]
DeliveryStatus = Literal["pending", "failed", "delivered", "dead"]


class WebhookCreate(Input):
    url: Url
    events: Events
    channel: Code | None = Field(
        None,
        description="The figures of `stock.*` and `availability.changed` are this channel's"
        " `advertised` units; without one, the SKU's `available` units.",
    )
    skus: Skus | None = None
    low_stock_threshold: Threshold | None = None
    description: Name | None = None

    def to_domain(self) -> Webhook:
        return Webhook(
            id="",
            url=self.url,
            events=tuple(dict.fromkeys(self.events)),
            channel=self.channel,
            skus=None if self.skus is None else tuple(dict.fromkeys(self.skus)),
            low_stock_threshold=self.low_stock_threshold,
            description=self.description,
        )


class WebhookUpdate(Input):
    """Only the fields given change; `channel`, `skus`, `low_stock_threshold`
    and `description` may be set to null. `active: false` pauses deliveries
    (events keep being recorded for it)."""

    url: Url | None = None
    events: Events | None = None
    channel: Code | None = None
    skus: Skus | None = None
    low_stock_threshold: Threshold | None = None
    description: Name | None = None
    active: bool | None = None

    def changes(self) -> dict[str, Any]:
        given = self.model_dump(exclude_unset=True)
        nullable = {"channel", "skus", "low_stock_threshold", "description"}
        found = {k: v for k, v in given.items() if v is not None or k in nullable}
        for name in ("events", "skus"):
            if found.get(name) is not None:
                found[name] = tuple(dict.fromkeys(found[name]))
        return found


class WebhookRead(Output):
    id: str
    url: str
    events: list[str]
    channel: str | None
    skus: list[str] | None
    low_stock_threshold: int | None
    description: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookRead:
        return cls.model_validate(webhook.as_dict())


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="The signing secret (`whsec_…`): shown only now. Verify each message's"
        " `webhook-signature` with it (Standard Webhooks)."
    )


class WebhookSecret(Output):
    secret: str = Field(
        description="The new signing secret, shown only now; the old one keeps signing"
        " beside it for STOCKD_WEBHOOKS_SECRET_GRACE_HOURS."
    )


class WebhookPage(Output):
    items: list[WebhookRead]
    next_cursor: str | None


class DeliveryRead(Output):
    id: int
    message_id: str = Field(description="The `webhook-id` header: one per message.")
    seq: int = Field(description="The ledger event it comes from (the latest, if coalesced).")
    type: str
    sku: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None = Field(description="The receiver's last HTTP status, if any.")
    last_error: str | None
    last_response: str | None = Field(description="The receiver's last answer, truncated.")
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any] = Field(description="The body sent: `{type, timestamp, data}`.")

    @classmethod
    def of(cls, d: Delivery) -> DeliveryRead:
        return cls(
            id=d.id,
            message_id=d.message_id,
            seq=d.seq,
            type=d.type,
            sku=d.sku,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_attempt_at=d.last_attempt_at,
            last_status=d.last_status,
            last_error=d.last_error,
            last_response=d.last_response,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
            payload=d.payload,
        )


class DeliveryPage(Output):
    items: list[DeliveryRead]
    next_cursor: str | None


class Replay(Input):
    """`from_seq`: every message from this ledger event on, sent again; without
    it, the dead letters."""

    from_seq: Annotated[int, Field(ge=0, le=2**62)] | None = None


class Replayed(Output):
    queued: int = Field(description="Messages queued to be sent again.")
