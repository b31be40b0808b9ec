"""The figures channels were sent, in `channel_figures_sent` (migration 0015).

Webhook deliveries write their rows in `webhooks.py` (the statement that
marks a delivery delivered); feed pages write theirs here. A feed page is a
GET: its write waits for no lock and runs no longer than a moment, and the
caller drops it when it fails (`stockd.service.channel_drift`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg

from stockd.domain.webhooks import AVAILABILITY_CHANGED
from stockd.service.ports import LedgerChange, SentFigure, SentKey

RECORD_LOCK_TIMEOUT_MS = 100
RECORD_STATEMENT_TIMEOUT_MS = 500

WIDE_SCAN = 1000
"""Most events of the wide types one `changes_since` reads (they are rare:
channel and location changes)."""

_FAMILY = AVAILABILITY_CHANGED.split(".", 1)[0] + ".*"


class PostgresChannelFigures:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        lock_timeout_ms: int = RECORD_LOCK_TIMEOUT_MS,
        statement_timeout_ms: int = RECORD_STATEMENT_TIMEOUT_MS,
    ) -> None:
        self.pool = pool
        self.lock_timeout_ms = int(lock_timeout_ms)
        self.statement_timeout_ms = int(statement_timeout_ms)

    async def record_served(
        self,
        channel: str,
        figures: Sequence[tuple[str, int, int]],
        reference: str,
        now: datetime,
    ) -> None:
        ordered = sorted(figures)  # rows locked in one order: concurrent pages cannot deadlock
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"SET LOCAL lock_timeout = '{self.lock_timeout_ms}ms';"
                f" SET LOCAL statement_timeout = '{self.statement_timeout_ms}ms'"
            )
            await conn.execute(
                """
                INSERT INTO channel_figures_sent
                    (channel, sku, via, endpoint, figure, seq, sent_at, reference)
                SELECT $1, f.sku, 'feed', '', f.figure, f.seq, $5, $6
                FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS f(sku, figure, seq)
                ON CONFLICT (channel, sku, via, endpoint) DO UPDATE
                SET figure = excluded.figure, seq = excluded.seq,
                    sent_at = excluded.sent_at, reference = excluded.reference
                """,
                channel,
                [sku for sku, _, _ in ordered],
                [figure for _, figure, _ in ordered],
                [seq for _, _, seq in ordered],
                now,
                reference,
            )

    async def sent(
        self,
        channel: str | None,
        skus: Collection[str] | None,
        after: SentKey | None,
        limit: int,
    ) -> list[SentFigure]:
        found = await self.pool.fetch(
            """
            SELECT f.channel, f.sku, f.via, f.endpoint, f.figure, f.seq, f.sent_at, f.reference
            FROM channel_figures_sent f
            LEFT JOIN webhooks w ON f.via = 'webhook' AND w.id = f.endpoint
            WHERE ($1::text IS NULL OR f.channel = $1)
              AND ($2::text[] IS NULL OR f.sku = ANY($2::text[]))
              AND (f.channel, f.sku, f.via, f.endpoint) > ($3, $4, $5, $6)
              AND (f.via = 'feed'
                   OR (w.active AND w.channel = f.channel
                       AND ($7 = ANY(w.events) OR $8 = ANY(w.events))))
            ORDER BY f.channel, f.sku, f.via, f.endpoint
            LIMIT $9
            """,
            channel,
            None if skus is None else list(skus),
            *(after or ("", "", "", "")),
            AVAILABILITY_CHANGED,
            _FAMILY,
            limit,
        )
        return [
            SentFigure(
                r["channel"],
                r["sku"],
                r["via"],
                r["endpoint"],
                r["figure"],
                r["seq"],
                r["sent_at"],
                r["reference"],
            )
            for r in found
        ]

    async def changes_since(
        self, since: Collection[tuple[str, int]], wide: Collection[str], limit: int
    ) -> dict[tuple[str, int], list[LedgerChange]]:
        if not since:
            return {}
        pairs = sorted(set(since))
        own = await self.pool.fetch(
            """
            SELECT s.sku, s.after, e.seq, e.at
            FROM unnest($1::text[], $2::bigint[]) AS s(sku, after)
            CROSS JOIN LATERAL (
                SELECT seq, at FROM ledger_events
                WHERE sku = s.sku AND seq > s.after ORDER BY seq LIMIT $3) e
            """,
            [sku for sku, _ in pairs],
            [after for _, after in pairs],
            limit,
        )
        widening = await self.pool.fetch(
            "SELECT seq, at FROM ledger_events WHERE seq > $1 AND type = ANY($2::text[])"
            " ORDER BY seq LIMIT $3",
            min(after for _, after in pairs),
            list(wide),
            WIDE_SCAN,
        )
        found: dict[tuple[str, int], list[LedgerChange]] = defaultdict(list)
        for r in own:
            found[(r["sku"], r["after"])].append(LedgerChange(r["seq"], r["at"]))
        result = {}
        for sku, after in pairs:
            merged = found[(sku, after)] + [
                LedgerChange(r["seq"], r["at"]) for r in widening if r["seq"] > after
            ]
            result[(sku, after)] = sorted(merged, key=lambda c: c.seq)[:limit]
        return result
