"""Helpers shared by the test suites (not fixtures)."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from stockd.domain.adjustments import Change
from stockd.domain.catalog import Location, PolicyKind, Sku, StockPolicy
from stockd.domain.commands import (
    Adjust,
    CreateLocation,
    CreatePurchaseOrder,
    CreateSku,
    SkuQuantity,
)
from stockd.domain.quantities import LevelKey, State
from stockd.service.context import Context

T = TypeVar("T")

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ADMIN = Context(actor="test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

TABLES = (
    "skus, locations, levels, ledger_events, reservations, reservation_lines,"
    " idempotency_keys, api_keys, orders, order_lines, order_returns, order_return_lines,"
    " transfers, transfer_lines, sales, channels, channel_pools, channel_stock, webhooks,"
    " webhook_deliveries, webhook_figures, relay_cursors, reconciliations,"
    " reconciliation_findings"
    ", channel_figures_sent"
    ", count_lines, stock_reports, location_report_policies, report_sources"
    ", capacity_pools, capacity_weeks, production_slots, production_lines"
    ", purchase_orders, purchase_order_lines, supply_ties, sku_preorder_channels"
)

_NAMES = tuple(t.strip() for t in TABLES.split(","))

RESET = f"""
BEGIN;
SET LOCAL session_replication_role = replica;
{" ".join(f"DELETE FROM {t};" for t in _NAMES)}
DO $$
DECLARE s record;
BEGIN
    FOR s IN
        SELECT q.seqrelid::regclass AS seq, q.seqstart FROM pg_sequence q
        JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = q.seqrelid
        WHERE d.deptype IN ('a', 'i')
          AND d.refobjid = ANY(ARRAY[{", ".join(f"'{t}'" for t in _NAMES)}]::regclass[])
    LOOP
        PERFORM setval(s.seq, s.seqstart, false);
    END LOOP;
END $$;
COMMIT;
"""
"""Empty `TABLES` and restart their sequences: what `TRUNCATE … RESTART
IDENTITY` does, in a few milliseconds instead of a quarter of a second
(TRUNCATE gives every table and index new files; nearly a thousand tests
start this way). As replica the ledger's no-delete trigger and the foreign
keys stand aside, as they do for TRUNCATE."""


def database_at(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url`."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    """A TCP port nothing listens on now (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def create_database(server_url: str, prefix: str) -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_at(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def seed(
    bus: Any,
    *,
    skus: dict[str, int] | None = None,
    locations: dict[str, int] | None = None,
    stock: dict[tuple[str, str], int] | None = None,
    backorder: dict[str, int] | None = None,
    inbound: dict[tuple[str, str], int] | None = None,
) -> None:
    """Create SKUs (code -> backorder cap, 0 for deny), locations (id -> priority),
    on-hand stock and inbound (a purchase order `PO-<sku>-<location>` due in
    30 days per level: what backorders sell against)."""
    for code, priority in (locations or {}).items():
        await bus.handle(CreateLocation(Location(code, code.title(), priority=priority)), ADMIN)
    caps = backorder or {}
    for code in skus or {}:
        cap = caps.get(code, 0)
        policy = StockPolicy(PolicyKind.BACKORDER, cap) if cap else StockPolicy()
        await bus.handle(CreateSku(Sku(code, "P-" + code, code, policy)), ADMIN)
    changes = tuple(
        Change(LevelKey(sku, loc), State.ON_HAND, "seed", delta=qty)
        for (sku, loc), qty in (stock or {}).items()
    )
    if changes:
        await bus.handle(Adjust(changes), ADMIN)
    for (sku, loc), qty in (inbound or {}).items():
        lines = (SkuQuantity(sku, qty),)
        eta = T0 + timedelta(days=30)
        await bus.handle(CreatePurchaseOrder(f"PO-{sku}-{loc}", "seed", loc, lines, eta), ADMIN)


async def race(n: int, work: Callable[[int], Awaitable[T]]) -> list[T | BaseException]:
    """Start `n` coroutines together (released by one barrier) and collect
    each result or exception."""
    barrier = asyncio.Barrier(n)

    async def one(i: int) -> T:
        await barrier.wait()
        return await work(i)

    return await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
