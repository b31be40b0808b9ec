"""Webhooks: what a subscription wants, what a change of a figure tells it,
how a message is signed (Standard Webhooks) and when a failed one is tried
again. Pure: the outbox and the sender (`stockd.service.webhooks`) use it.

A subscription names ledger event types (`reservation.created`, families as
`order.*`) and the messages stockd derives from the figures it publishes,
per SKU (and per channel when the subscription names one):

- `stock.out_of_stock`: the figure fell to 0; `stock.back_in_stock`: it
  rose from 0; `stock.low`: it fell below the subscription's
  `low_stock_threshold` (still above 0). Sent at once.
- `availability.changed`: the figure changed; coalesced per SKU within a
  window (a setting), always ending on the latest figure.

The figure is the channel's `advertised` units when the subscription names
a channel, else the SKU's `available` units over its usable locations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockd.domain.events import EVENT_TYPES, split_types

OUT_OF_STOCK = "stock.out_of_stock"
BACK_IN_STOCK = "stock.back_in_stock"
LOW = "stock.low"
AVAILABILITY_CHANGED = "availability.changed"

DERIVED: dict[str, str] = {
    OUT_OF_STOCK: "The figure fell to 0 (sent at once).",
    BACK_IN_STOCK: "The figure rose from 0 (sent at once).",
    LOW: "The figure fell below the subscription's `low_stock_threshold`, still above 0.",
    AVAILABILITY_CHANGED: "The figure changed (coalesced per SKU; the last one carries the"
    " latest figure).",
}
"""The message types stockd derives from figures, and what each means."""

SECRET_PREFIX = "whsec_"


def unknown_types(names: Iterable[str]) -> list[str]:
    """The names that are neither a ledger event type, a derived type, nor a
    family (`order.*`)."""
    return split_types(names, EVENT_TYPES.keys() | DERIVED.keys())[2]


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription: where to send what."""

    id: str
    url: str
    events: tuple[str, ...]
    channel: str | None = None
    skus: tuple[str, ...] | None = None
    """Only messages about these SKUs (events about no SKU are left out)."""
    low_stock_threshold: int | None = None
    description: str | None = None
    active: bool = True
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def wants(self, type_: str) -> bool:
        return type_ in self.events or f"{type_.split('.', 1)[0]}.*" in self.events

    @property
    def derives(self) -> bool:
        """Whether it wants any message derived from figures."""
        return any(self.wants(t) for t in DERIVED)

    def about(self, sku: str | None) -> bool:
        return self.skus is None or (sku is not None and sku in self.skus)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "channel": self.channel,
            "skus": None if self.skus is None else list(self.skus),
            "low_stock_threshold": self.low_stock_threshold,
            "description": self.description,
            "active": self.active,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def changes(before: int | None, now: int, threshold: int | None) -> list[str]:
    """The derived messages a figure going from `before` (None: never seen)
    to `now` calls for, in the order they are sent."""
    if before == now:
        return []
    found = []
    if now <= 0 and (before is None or before > 0):
        found.append(OUT_OF_STOCK)
    elif now > 0 and before is not None and before <= 0:
        found.append(BACK_IN_STOCK)
    if (
        threshold is not None
        and 0 < now < threshold
        and (before is None or before >= threshold or before <= 0)
    ):
        found.append(LOW)
    found.append(AVAILABILITY_CHANGED)
    return found


def new_secret() -> str:
    """A signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature (`v1,` and the base64 HMAC-SHA256 of
    `{id}.{timestamp}.{body}` keyed with the secret's bytes)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def retry_delay(attempts: int, base: float, cap: float, jitter: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: `base`
    doubled per attempt, at most `cap`, then scaled by a random factor in
    [0.5, 1) (`jitter` in [0, 1)) so endpoints that failed together are not
    retried together."""
    return float(min(cap, base * 2 ** max(attempts - 1, 0)) * (0.5 + jitter / 2))
