"""Webhooks in PostgreSQL: subscriptions, their outbox and delivery log.

One process at a time works on a subscription's outbox: a round takes a
session-level advisory lock on it, from one connection the process keeps for
these locks (a round may wait on a slow endpoint for a while; it holds no
transaction and no pooled connection meanwhile). If that connection drops,
its locks go with it and another process may take over; the cursor moves
only from where the round found it, so the two never record twice, and
a message sent twice keeps its `webhook-id` (receivers drop repeats).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from stockd import errors
from stockd.adapters.postgres import rows
from stockd.domain.webhooks import (
    AVAILABILITY_CHANGED,
    BACK_IN_STOCK,
    LOW,
    OUT_OF_STOCK,
    Webhook,
)
from stockd.service.ports import Attempt, Delivery, NewMessage, WebhookRound

_RESPONSE_LIMIT = 1000
"""Characters of a receiver's answer kept in the delivery log."""


def _settings(webhook: Webhook) -> tuple[object, ...]:
    """The subscription's columns from `id` to `active` ($1 to $8)."""
    return (
        webhook.id,
        webhook.url,
        list(webhook.events),
        webhook.channel,
        None if webhook.skus is None else list(webhook.skus),
        webhook.low_stock_threshold,
        webhook.description,
        webhook.active,
    )


def _lock_key(webhook_id: str) -> int:
    """The advisory lock of a subscription (stable across processes)."""
    return zlib.crc32(f"stockd.webhook.{webhook_id}".encode()) - 2**31


class PostgresWebhookStore:
    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self._locker: asyncpg.Connection | None = None
        self._locking = asyncio.Lock()

    async def get(self, webhook_id: str) -> Webhook | None:
        row = await self.pool.fetchrow(
            f"SELECT {rows.WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1", webhook_id
        )
        return None if row is None else rows.webhook(row)

    async def page(self, after: str | None, limit: int) -> list[Webhook]:
        found = await self.pool.fetch(
            f"SELECT {rows.WEBHOOK_COLUMNS} FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2",
            after or "",
            limit,
        )
        return [rows.webhook(r) for r in found]

    async def secrets(self, webhook_id: str, now: datetime) -> list[str]:
        row = await self.pool.fetchrow(
            "SELECT secret, previous_secret, previous_secret_until FROM webhooks WHERE id = $1",
            webhook_id,
        )
        if row is None:
            return []
        found = [row["secret"]]
        if row["previous_secret"] is not None and row["previous_secret_until"] > now:
            found.append(row["previous_secret"])
        return found

    @asynccontextmanager
    async def round(self, webhook_id: str) -> AsyncIterator[WebhookRound | None]:
        key = _lock_key(webhook_id)
        async with self._locking:
            if self._locker is None or self._locker.is_closed():
                self._locker = await asyncpg.connect(
                    self.url, server_settings={"application_name": "stockd-webhooks"}
                )
            got = await self._locker.fetchval("SELECT pg_try_advisory_lock($1)", key)
        if not got:
            yield None
            return
        try:
            yield _PostgresRound(self.pool, webhook_id)
        finally:
            async with self._locking:
                if self._locker is not None and not self._locker.is_closed():
                    await self._locker.execute("SELECT pg_advisory_unlock($1)", key)

    async def close(self) -> None:
        if self._locker is not None and not self._locker.is_closed():
            await self._locker.close()

    async def deliveries(
        self, webhook_id: str, status: str | None, before: int | None, limit: int
    ) -> list[Delivery]:
        found = await self.pool.fetch(
            """
            SELECT * FROM webhook_deliveries
            WHERE webhook_id = $1 AND ($2::text IS NULL OR status = $2) AND id < $3
            ORDER BY id DESC LIMIT $4
            """,
            webhook_id,
            status,
            before if before is not None else 2**62,
            limit,
        )
        return [rows.delivery(r) for r in found]


class PostgresWebhooks:
    """Subscriptions written in a unit of work."""

    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def add(self, webhook: Webhook, secret: str, now: datetime) -> None:
        await self.conn.execute(
            """
            INSERT INTO webhooks (id, url, events, channel, skus, low_stock_threshold,
                description, active, secret, cursor, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                (SELECT coalesce(max(seq), 0) FROM ledger_events), $10, $10)
            """,
            *_settings(webhook),
            secret,
            now,
        )

    async def lock(self, webhook_id: str) -> Webhook | None:
        row = await self.conn.fetchrow(
            f"SELECT {rows.WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 FOR UPDATE", webhook_id
        )
        return None if row is None else rows.webhook(row)

    async def save(self, webhook: Webhook, now: datetime) -> Webhook:
        row = await self.conn.fetchrow(
            f"""
            UPDATE webhooks SET url = $2, events = $3, channel = $4, skus = $5,
                low_stock_threshold = $6, description = $7, active = $8,
                version = version + 1, updated_at = $9
            WHERE id = $1 RETURNING {rows.WEBHOOK_COLUMNS}
            """,
            *_settings(webhook),
            now,
        )
        assert row is not None
        return rows.webhook(row)

    async def delete(self, webhook_id: str) -> None:
        await self.conn.execute("DELETE FROM webhooks WHERE id = $1", webhook_id)
        # What it had delivered goes with it (channel drift no longer asks).
        await self.conn.execute(
            "DELETE FROM channel_figures_sent WHERE via = 'webhook' AND endpoint = $1", webhook_id
        )

    async def rotate(
        self, webhook_id: str, secret: str, previous_until: datetime, now: datetime
    ) -> None:
        await self.conn.execute(
            """
            UPDATE webhooks SET previous_secret = secret, previous_secret_until = $3,
                secret = $2, updated_at = $4
            WHERE id = $1
            """,
            webhook_id,
            secret,
            previous_until,
            now,
        )

    async def replay(self, webhook_id: str, from_seq: int | None, now: datetime) -> int:
        status = await self.conn.execute(
            """
            UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3
            WHERE webhook_id = $1
              AND CASE WHEN $2::bigint IS NULL THEN status = 'dead' ELSE seq >= $2 END
            """,
            webhook_id,
            from_seq,
            now,
        )
        return int(status.split()[-1])


_FOLD = """
UPDATE webhook_deliveries d SET payload = $4, seq = $5
WHERE d.id = (SELECT id FROM webhook_deliveries
              WHERE webhook_id = $1 AND sku = $2 AND type = $3
                AND status = 'pending' AND attempts = 0
              ORDER BY id DESC LIMIT 1)
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                  WHERE e.webhook_id = $1 AND e.sku = $2 AND e.id > d.id)
RETURNING d.id
"""
"""Fold a newer figure into the unsent message of the same type and SKU —
unless a later message of that SKU is queued behind it (the figure would
then arrive before an older event)."""

_AT_ONCE = frozenset({OUT_OF_STOCK, BACK_IN_STOCK, LOW})


class _PostgresRound:
    def __init__(self, pool: asyncpg.Pool, webhook_id: str) -> None:
        self.pool = pool
        self.webhook_id = webhook_id
        self._cursor: int | None = None

    async def cursor(self) -> int:
        if self._cursor is None:
            found = await self.pool.fetchval(
                "SELECT cursor FROM webhooks WHERE id = $1", self.webhook_id
            )
            if found is None:
                raise errors.NotFound(f"webhook {self.webhook_id!r} does not exist")
            self._cursor = int(found)
        return self._cursor

    async def figures(self, skus: Collection[str] | None) -> dict[str, int]:
        found = await self.pool.fetch(
            "SELECT sku, figure FROM webhook_figures WHERE webhook_id = $1"
            " AND ($2::text[] IS NULL OR sku = ANY($2::text[]))",
            self.webhook_id,
            None if skus is None else list(skus),
        )
        return {r["sku"]: r["figure"] for r in found}

    async def record(
        self,
        messages: Sequence[NewMessage],
        figures: Mapping[str, tuple[int, int]],
        cursor: int,
        now: datetime,
    ) -> None:
        start = await self.cursor()
        async with self.pool.acquire() as conn, conn.transaction():
            moved = await conn.execute(
                "UPDATE webhooks SET cursor = $3 WHERE id = $1 AND cursor = $2",
                self.webhook_id,
                start,
                cursor,
            )
            if moved != "UPDATE 1":
                raise errors.Conflict(
                    f"webhook {self.webhook_id!r}: its cursor moved under this round"
                )
            rows = []
            for m in messages:
                payload = orjson.dumps(m.payload).decode()
                if m.coalesce and await conn.fetchval(
                    _FOLD, self.webhook_id, m.sku, m.type, payload, m.seq
                ):
                    continue  # folded into the unsent one of its SKU: it ends on this figure
                rows.append(
                    (
                        self.webhook_id,
                        m.message_id,
                        m.seq,
                        m.type,
                        m.sku,
                        payload,
                        m.not_before,
                        now,
                    )
                )
            immediate = [m.sku for m in messages if m.sku is not None and m.type in _AT_ONCE]
            if immediate:
                # Sent at once: what waits to be coalesced for its SKU goes first, now.
                await conn.execute(
                    """
                    UPDATE webhook_deliveries SET next_attempt_at = $3
                    WHERE webhook_id = $1 AND sku = ANY($2::text[]) AND status = 'pending'
                      AND next_attempt_at > $3
                    """,
                    self.webhook_id,
                    immediate,
                    now,
                )
            await conn.executemany(
                """
                INSERT INTO webhook_deliveries (webhook_id, message_id, seq, type, sku,
                    payload, next_attempt_at, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (webhook_id, message_id) DO NOTHING
                """,
                rows,
            )
            if figures:
                await conn.execute(
                    """
                    INSERT INTO webhook_figures (webhook_id, sku, figure, seq)
                    SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[])
                    ON CONFLICT (webhook_id, sku)
                    DO UPDATE SET figure = excluded.figure, seq = excluded.seq
                    """,
                    self.webhook_id,
                    list(figures),
                    [f for f, _ in figures.values()],
                    [s for _, s in figures.values()],
                )
        self._cursor = cursor

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        found = await self.pool.fetch(
            """
            SELECT d.* FROM webhook_deliveries d
            WHERE d.webhook_id = $1 AND d.status IN ('pending', 'failed')
              AND d.next_attempt_at <= $2
              AND NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries e
                  WHERE e.webhook_id = d.webhook_id AND e.status IN ('pending', 'failed')
                    AND e.id < d.id AND e.sku IS NOT DISTINCT FROM d.sku
                    AND e.next_attempt_at > $2)
            ORDER BY d.id LIMIT $3
            """,
            self.webhook_id,
            now,
            limit,
        )
        return [rows.delivery(r) for r in found]

    async def attempted(
        self, delivery: Delivery, attempt: Attempt, retry_at: datetime | None, now: datetime
    ) -> None:
        status = "delivered" if attempt.ok else ("failed" if retry_at is not None else "dead")
        # A delivered figure of a channel is what the channel now holds
        # (`channel_figures_sent`, for channel drift): recorded in the same
        # statement, the highest seq winning (a replayed old one is not newer).
        await self.pool.execute(
            """
            WITH d AS (
                UPDATE webhook_deliveries SET status = $2::text, attempts = attempts + 1,
                    next_attempt_at = coalesce($3::timestamptz, next_attempt_at),
                    last_attempt_at = $4::timestamptz, last_status = $5, last_error = $6,
                    last_response = $7,
                    delivered_at = CASE WHEN $2::text = 'delivered' THEN $4::timestamptz END
                WHERE id = $1
                RETURNING webhook_id, message_id, seq, type, sku, payload, status
            )
            INSERT INTO channel_figures_sent
                (channel, sku, via, endpoint, figure, seq, sent_at, reference)
            SELECT d.payload -> 'data' ->> 'channel', d.sku, 'webhook', d.webhook_id,
                (d.payload -> 'data' ->> 'advertised')::bigint, d.seq, $4::timestamptz,
                d.message_id
            FROM d
            WHERE d.status = 'delivered' AND d.type = $8 AND d.sku IS NOT NULL
              AND d.payload -> 'data' ->> 'channel' IS NOT NULL
            ON CONFLICT (channel, sku, via, endpoint) DO UPDATE
            SET figure = excluded.figure, seq = excluded.seq, sent_at = excluded.sent_at,
                reference = excluded.reference
            WHERE channel_figures_sent.seq <= excluded.seq
            """,
            delivery.id,
            status,
            retry_at,
            now,
            attempt.status,
            attempt.error,
            None if attempt.response is None else attempt.response[:_RESPONSE_LIMIT],
            AVAILABILITY_CHANGED,
        )
