"""Ledger events as CloudEvents 1.0 (structured mode), for the relay to NATS.

One envelope per event: `id` is its `seq` (so a consumer, and JetStream's
duplicate check, recognise it), `type` is `stockd.<event type>`, `subject`
its SKU (absent when it has none: CloudEvents treats null as absent), `time`
its `at`, and `data` the event exactly as `GET /v1/events` shows it.
"""

from __future__ import annotations

from typing import Any

from stockd.domain.events import Event, document, sku_of

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
SUBJECT_PREFIX = "stockd.events"
"""Each event is published on `stockd.events.<event type>`."""


def subject_of(event_type: str) -> str:
    """The NATS subject of an event type (`reservation.created` →
    `stockd.events.reservation.created`)."""
    return f"{SUBJECT_PREFIX}.{event_type}"


def cloudevent(seq: int, event: Event, source: str) -> dict[str, Any]:
    """The CloudEvents document of ledger event `seq` (times as datetimes:
    the encoder writes them as RFC 3339 UTC)."""
    envelope: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": str(seq),
        "source": source,
        "type": f"stockd.{event.type}",
    }
    sku = sku_of(event)
    if sku is not None:
        envelope["subject"] = sku
    envelope["time"] = event.at
    envelope["datacontenttype"] = CONTENT_TYPE
    envelope["data"] = document(seq, event)
    return envelope
