"""The newest-first lists in PostgreSQL: one statement per page.

A page is read by one statement: the parent rows, filtered and ordered by
(created_at, id) descending through the indexes of migration 0005 and cut at
the limit, then each row's lines gathered into arrays beside it by a LATERAL
subquery on the lines' primary key. One round trip and one snapshot, however
large the page: an order is never shown with lines from another moment.
Filters are added only when asked for, so each shape of query gets the plan
that uses its index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from stockd.adapters.postgres import capacity, rows
from stockd.adapters.postgres import orders as order_rows
from stockd.adapters.postgres import purchase_orders as po_rows
from stockd.adapters.postgres import transfers as transfer_rows
from stockd.domain.commands import SkuQuantity
from stockd.domain.inbound import PurchaseOrder, PurchaseOrderLine
from stockd.domain.orders import Order, OrderLine, ReturnCondition
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.domain.transfers import Transfer, TransferLine
from stockd.service.listing import (
    AtRisk,
    AtRiskLine,
    OrderFilter,
    Position,
    PurchaseOrderFilter,
    ReservationFilter,
    ReturnFilter,
    SaleFilter,
    TransferFilter,
)
from stockd.service.ports import ReturnRecord, SaleRecord


class _Query:
    """WHERE terms and their arguments, numbered as they are added."""

    def __init__(self) -> None:
        self.args: list[object] = []
        self.terms: list[str] = []

    def arg(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, term: str) -> None:
        self.terms.append(term)

    def below(self, after: Position | None, *columns: str) -> None:
        """Only rows that sort after `after` in newest-first order."""
        if after is not None:
            values = [self.arg(after.created_at), *(self.arg(x) for x in after.id)]
            self.where(f"({', '.join(columns)}) < ({', '.join(values)})")

    @property
    def condition(self) -> str:
        return " AND ".join(self.terms) or "true"


def _columns(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def _gathered(columns: Sequence[str], order: str) -> str:
    """Aggregates collecting each line column into an array `l_<column>`, in
    the lines' own order."""
    return ", ".join(f"array_agg({c} ORDER BY {order}) AS l_{c}" for c in columns)


def _lines(row: asyncpg.Record, columns: Sequence[str], prefix: str = "l_") -> list[dict[str, Any]]:
    arrays = [row[f"{prefix}{c}"] or [] for c in columns]
    return [dict(zip(columns, values, strict=True)) for values in zip(*arrays, strict=True)]


_ORDER_LINES = ("sku", "location", "ordered", "committed", "shipped", "cancelled", "returned")
_PRODUCTION_LINES = {
    "id": "x.id",
    "sku": "x.sku",
    "quantity": "x.quantity",
    "pool": "x.pool",
    "week": "x.week",
    "options": "x.options::text",
    "cancelled": "x.cancelled",
    "produced": "x.produced",
    "promised_ready_at": "x.promised_ready_at",
    "location": "p.location",
    "timezone": "z.timezone",
}
"""An order's made-to-order lines as `capacity.LINES` reads them, gathered."""
_PRODUCTION_GATHERED = ", ".join(
    f"array_agg({e} ORDER BY x.id) AS p_{c}" for c, e in _PRODUCTION_LINES.items()
)
_HOLD_LINES = ("sku", "location", "quantity", "named")
_TRANSFER_LINES = ("sku", "quantity", "received")
_RETURN_LINES = ("sku", "quantity")
_AT_RISK_LINES = ("sku", "location", "promised_ready_at", "ready_at", "supply", "week")
_AT_RISK_GATHERED = ", ".join(
    f"array_agg(k.{c} ORDER BY k.sku, k.location, k.week NULLS FIRST) AS l_{c}"
    for c in _AT_RISK_LINES
)
_RETURN_COLUMNS = "id, order_id, location, condition, created_at"


async def orders(
    pool: asyncpg.Pool, only: OrderFilter, after: Position | None, limit: int
) -> list[Order]:
    q = _Query()
    if only.status is not None:
        q.where(f"o.status = {q.arg(only.status.value)}")
    if only.sku is not None:
        q.where(
            "EXISTS (SELECT 1 FROM order_lines x"
            f" WHERE x.order_id = o.id AND x.sku = {q.arg(only.sku)})"
        )
    if only.location is not None:
        q.where(
            "EXISTS (SELECT 1 FROM order_lines x"
            f" WHERE x.order_id = o.id AND x.location = {q.arg(only.location)})"
        )
    if only.created_after is not None:
        q.where(f"o.created_at >= {q.arg(only.created_after)}")
    if only.created_before is not None:
        q.where(f"o.created_at < {q.arg(only.created_before)}")
    q.below(after, "o.created_at", "o.id")
    found = await pool.fetch(
        f"""
        SELECT o.*, l.*, m.*
        FROM (
            SELECT {_columns("o", order_rows.COLUMNS)} FROM orders o
            WHERE {q.condition}
            ORDER BY o.created_at DESC, o.id DESC
            LIMIT {q.arg(limit)}
        ) o
        CROSS JOIN LATERAL (
            SELECT {_gathered(_ORDER_LINES, "sku, location")}
            FROM order_lines WHERE order_id = o.id
        ) l
        CROSS JOIN LATERAL (
            SELECT {_PRODUCTION_GATHERED}
            FROM production_lines x
            JOIN capacity_pools p ON p.id = x.pool
            JOIN locations z ON z.id = p.location
            WHERE x.order_id = o.id
        ) m
        ORDER BY o.created_at DESC, o.id DESC
        """,
        *q.args,
    )
    return [
        replace(
            order_rows.order_of(r, [OrderLine(**x) for x in _lines(r, _ORDER_LINES)]),
            production=tuple(
                capacity.line_of(x) for x in _lines(r, tuple(_PRODUCTION_LINES), "p_")
            ),
        )
        for r in found
    ]


async def reservations(
    pool: asyncpg.Pool,
    now: datetime,
    only: ReservationFilter,
    after: Position | None,
    limit: int,
) -> list[Reservation]:
    q = _Query()
    # The live status, as `Reservation.status_at` has it.
    if only.status is ReservationStatus.ACTIVE:
        q.where(f"r.status = 'active' AND r.expires_at > {q.arg(now)}")
    elif only.status is ReservationStatus.EXPIRED:
        q.where(f"(r.status = 'expired' OR (r.status = 'active' AND r.expires_at <= {q.arg(now)}))")
    elif only.status is not None:
        q.where(f"r.status = {q.arg(only.status.value)}")
    if only.sku is not None:
        q.where(
            "EXISTS (SELECT 1 FROM reservation_lines x"
            f" WHERE x.reservation_id = r.id AND x.sku = {q.arg(only.sku)})"
        )
    if only.location is not None:
        q.where(
            "EXISTS (SELECT 1 FROM reservation_lines x"
            f" WHERE x.reservation_id = r.id AND x.location = {q.arg(only.location)})"
        )
    if only.reference is not None:
        q.where(f"r.reference = {q.arg(only.reference)}")
    q.below(after, "r.created_at", "r.id")
    found = await pool.fetch(
        f"""
        SELECT r.*, l.*
        FROM (
            SELECT {_columns("r", rows.RESERVATION_COLUMNS)} FROM reservations r
            WHERE {q.condition}
            ORDER BY r.created_at DESC, r.id DESC
            LIMIT {q.arg(limit)}
        ) r
        CROSS JOIN LATERAL (
            SELECT {_gathered(_HOLD_LINES, "sku, location")}
            FROM reservation_lines WHERE reservation_id = r.id
        ) l
        ORDER BY r.created_at DESC, r.id DESC
        """,
        *q.args,
    )
    return [rows.reservation(r, _lines(r, _HOLD_LINES)) for r in found]


async def transfers(
    pool: asyncpg.Pool, only: TransferFilter, after: Position | None, limit: int
) -> list[Transfer]:
    q = _Query()
    if only.status is not None:
        q.where(f"t.status = {q.arg(only.status.value)}")
    if only.source is not None:
        q.where(f"t.source = {q.arg(only.source)}")
    if only.destination is not None:
        q.where(f"t.destination = {q.arg(only.destination)}")
    if only.sku is not None:
        q.where(
            "EXISTS (SELECT 1 FROM transfer_lines x"
            f" WHERE x.transfer_id = t.id AND x.sku = {q.arg(only.sku)})"
        )
    q.below(after, "t.created_at", "t.id")
    found = await pool.fetch(
        f"""
        SELECT t.*, l.*
        FROM (
            SELECT {_columns("t", transfer_rows.COLUMNS)} FROM transfers t
            WHERE {q.condition}
            ORDER BY t.created_at DESC, t.id DESC
            LIMIT {q.arg(limit)}
        ) t
        CROSS JOIN LATERAL (
            SELECT {_gathered(_TRANSFER_LINES, "sku")}
            FROM transfer_lines WHERE transfer_id = t.id
        ) l
        ORDER BY t.created_at DESC, t.id DESC
        """,
        *q.args,
    )
    return [
        transfer_rows.transfer_of(r, [TransferLine(**x) for x in _lines(r, _TRANSFER_LINES)])
        for r in found
    ]


async def purchase_orders(
    pool: asyncpg.Pool, only: PurchaseOrderFilter, after: Position | None, limit: int
) -> list[PurchaseOrder]:
    q = _Query()
    if only.status is not None:
        q.where(f"p.status = {q.arg(only.status.value)}")
    if only.location is not None:
        q.where(f"p.location = {q.arg(only.location)}")
    if only.supplier is not None:
        q.where(f"p.supplier = {q.arg(only.supplier)}")
    if only.sku is not None:
        q.where(
            "EXISTS (SELECT 1 FROM purchase_order_lines x"
            f" WHERE x.purchase_order_id = p.id AND x.sku = {q.arg(only.sku)})"
        )
    q.below(after, "p.created_at", "p.id")
    found = await pool.fetch(
        f"""
        SELECT p.*, l.*
        FROM (
            SELECT {_columns("p", po_rows.COLUMNS)} FROM purchase_orders p
            WHERE {q.condition}
            ORDER BY p.created_at DESC, p.id DESC
            LIMIT {q.arg(limit)}
        ) p
        CROSS JOIN LATERAL (
            SELECT {_gathered(po_rows.LINE_COLUMNS, "sku")}
            FROM purchase_order_lines WHERE purchase_order_id = p.id
        ) l
        ORDER BY p.created_at DESC, p.id DESC
        """,
        *q.args,
    )
    return [
        po_rows.purchase_order_of(
            r, [PurchaseOrderLine(**x) for x in _lines(r, po_rows.LINE_COLUMNS)]
        )
        for r in found
    ]


async def at_risk(
    pool: asyncpg.Pool, now: datetime, after: Position | None, limit: int
) -> list[AtRisk]:
    q = _Query()
    q.below(after, "o.created_at", "o.id")
    found = await pool.fetch(
        f"""
        WITH ready AS (
            SELECT t.holder_id AS order_id, t.sku, t.location,
                   bool_or(t.supply = 'none') AS undated,
                   max(coalesce(p.expected_at, x.expected_at)) AS ready_at
            FROM supply_ties t
            LEFT JOIN purchase_orders p ON t.supply = 'po' AND p.id = t.supply_id
            LEFT JOIN transfers x ON t.supply = 'transfer' AND x.id = t.supply_id
            WHERE t.holder = 'order'
            GROUP BY 1, 2, 3
        ), made AS (
            -- A week's units are ready when it ends in the workshop's zone.
            SELECT x.order_id, x.sku, p.location, x.week, x.promised_ready_at,
                   (to_date(x.week, 'IYYY-"W"IW') + 7)::timestamp AT TIME ZONE z.timezone
                       AS ready_at
            FROM production_lines x
            JOIN capacity_pools p ON p.id = x.pool
            JOIN locations z ON z.id = p.location
            WHERE x.order_id IS NOT NULL AND NOT x.cancelled AND x.produced < x.quantity
        ), risky AS (
            SELECT l.order_id, l.sku, l.location, l.promised_ready_at,
                   CASE WHEN r.undated THEN NULL ELSE r.ready_at END AS ready_at,
                   'inbound' AS supply, NULL AS week
            FROM order_lines l JOIN ready r USING (order_id, sku, location)
            WHERE l.promised_ready_at IS NOT NULL AND l.committed > 0
              AND (r.undated OR r.ready_at > l.promised_ready_at)
            UNION ALL
            SELECT order_id, sku, location, coalesce(promised_ready_at, ready_at),
                   CASE WHEN ready_at <= {q.arg(now)} THEN NULL ELSE ready_at END,
                   'production', week
            FROM made
            WHERE ready_at <= {q.arg(now)} OR ready_at > coalesce(promised_ready_at, ready_at)
        )
        SELECT o.id, o.created_at, o.deliver_by,
               {_AT_RISK_GATHERED}
        FROM orders o JOIN risky k ON k.order_id = o.id
        WHERE o.status IN ('open', 'partially_shipped') AND {q.condition}
        GROUP BY o.id, o.created_at, o.deliver_by
        ORDER BY o.created_at DESC, o.id DESC
        LIMIT {q.arg(limit)}
        """,
        *q.args,
    )
    return [
        AtRisk(
            r["id"],
            r["created_at"],
            tuple(AtRiskLine(**x) for x in _lines(r, _AT_RISK_LINES)),
            r["deliver_by"],
        )
        for r in found
    ]


async def sales(
    pool: asyncpg.Pool, only: SaleFilter, after: Position | None, limit: int
) -> list[SaleRecord]:
    q = _Query()
    if only.location is not None:
        q.where(f"s.location = {q.arg(only.location)}")
    if only.sku is not None:
        # `@>` rather than `= ANY(…)`: the form the GIN index on skus serves.
        q.where(f"s.skus @> ARRAY[{q.arg(only.sku)}::text]")
    q.below(after, "s.created_at", "s.location", "s.external_id")
    found = await pool.fetch(
        f"""
        SELECT {_columns("s", transfer_rows.SALE_COLUMNS)} FROM sales s
        WHERE {q.condition}
        ORDER BY s.created_at DESC, s.location DESC, s.external_id DESC
        LIMIT {q.arg(limit)}
        """,
        *q.args,
    )
    return [transfer_rows.sale_of(r) for r in found]


async def returns(
    pool: asyncpg.Pool, only: ReturnFilter, after: Position | None, limit: int
) -> list[ReturnRecord]:
    q = _Query()
    if only.order_id is not None:
        q.where(f"r.order_id = {q.arg(only.order_id)}")
    if only.location is not None:
        q.where(f"r.location = {q.arg(only.location)}")
    q.below(after, "r.created_at", "r.id")
    found = await pool.fetch(
        f"""
        SELECT r.*, l.*
        FROM (
            SELECT {_columns("r", _RETURN_COLUMNS)} FROM order_returns r
            WHERE {q.condition}
            ORDER BY r.created_at DESC, r.id DESC
            LIMIT {q.arg(limit)}
        ) r
        CROSS JOIN LATERAL (
            SELECT {_gathered(_RETURN_LINES, "sku")}
            FROM order_return_lines WHERE return_id = r.id
        ) l
        ORDER BY r.created_at DESC, r.id DESC
        """,
        *q.args,
    )
    return [
        ReturnRecord(
            id=r["id"],
            order_id=r["order_id"],
            location=r["location"],
            condition=ReturnCondition(r["condition"]),
            lines=tuple(SkuQuantity(**x) for x in _lines(r, _RETURN_LINES)),
            created_at=r["created_at"],
        )
        for r in found
    ]
