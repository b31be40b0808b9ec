"""Transfers and store sales in PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

from stockd import errors
from stockd.domain.commands import SkuQuantity
from stockd.domain.quantities import LevelKey
from stockd.domain.transfers import Transfer, TransferLine, TransferStatus
from stockd.service.ports import SaleRecord

COLUMNS = "id, source, destination, status, reference, created_at, expected_at, version"
SALE_COLUMNS = "location, external_id, fingerprint, skus, quantities, created_at"


def transfer_of(row: Record, lines: Sequence[TransferLine]) -> Transfer:
    """A transfer from its row (`COLUMNS`) and its lines."""
    return Transfer(
        id=row["id"],
        source=row["source"],
        destination=row["destination"],
        status=TransferStatus(row["status"]),
        lines=tuple(lines),
        created_at=row["created_at"],
        reference=row["reference"],
        expected_at=row["expected_at"],
        version=row["version"],
    )


def sale_of(row: Record) -> SaleRecord:
    """A sale from its row (`SALE_COLUMNS`)."""
    return SaleRecord(
        location=row["location"],
        external_id=row["external_id"],
        fingerprint=row["fingerprint"],
        lines=tuple(SkuQuantity(s, q) for s, q in zip(row["skus"], row["quantities"], strict=True)),
        created_at=row["created_at"],
    )


class PostgresTransfers:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def add(self, transfer: Transfer) -> None:
        await self.conn.execute(
            """
            WITH t AS (
                INSERT INTO transfers
                    (id, source, destination, status, reference, created_at, updated_at,
                     expected_at)
                VALUES ($1, $2, $3, $4, $5, $6, $6, coalesce($9::timestamptz, $6))
            )
            INSERT INTO transfer_lines (transfer_id, sku, quantity)
            SELECT $1, * FROM unnest($7::text[], $8::bigint[])
            """,
            transfer.id,
            transfer.source,
            transfer.destination,
            transfer.status.value,
            transfer.reference,
            transfer.created_at,
            [x.sku for x in transfer.lines],
            [x.quantity for x in transfer.lines],
            transfer.expected_at,
        )

    async def get(self, transfer_id: str, *, lock: bool = False) -> Transfer | None:
        row = await self.conn.fetchrow(
            f"SELECT {COLUMNS} FROM transfers WHERE id = $1" + (" FOR UPDATE" if lock else ""),
            transfer_id,
        )
        if row is None:
            return None
        lines = await self.conn.fetch(
            "SELECT sku, quantity, received FROM transfer_lines WHERE transfer_id = $1"
            " ORDER BY sku",
            transfer_id,
        )
        return transfer_of(row, [TransferLine(**dict(x)) for x in lines])

    async def receive(self, transfer_id: str, sku: str, quantity: int) -> bool:
        done = await self.conn.execute(
            """
            UPDATE transfer_lines SET received = received + $3
            WHERE transfer_id = $1 AND sku = $2 AND received + $3 <= quantity
            """,
            transfer_id,
            sku,
            quantity,
        )
        return bool(done == "UPDATE 1")

    async def set_status(self, transfer_id: str, status: TransferStatus, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE transfers SET status = $2, updated_at = $3 WHERE id = $1",
            transfer_id,
            status.value,
            now,
        )

    async def set_eta(self, transfer_id: str, expected_at: datetime, now: datetime) -> int:
        version: int = await self.conn.fetchval(
            """
            UPDATE transfers SET expected_at = $2, version = version + 1, updated_at = $3
            WHERE id = $1 RETURNING version
            """,
            transfer_id,
            expected_at,
            now,
        )
        return version

    async def in_transit_to(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        rows = await self.conn.fetch(
            """
            SELECT l.sku, t.destination AS location, sum(l.quantity - l.received)::bigint AS owed
            FROM transfers t JOIN transfer_lines l ON l.transfer_id = t.id
            WHERE t.status <> 'received' AND t.destination = ANY($2::text[])
              AND l.sku = ANY($1::text[]) AND l.received < l.quantity
            GROUP BY l.sku, t.destination
            """,
            list({k.sku for k in keys}),
            list({k.location for k in keys}),
        )
        wanted = set(keys)
        found = {LevelKey(r["sku"], r["location"]): r["owed"] for r in rows}
        return {k: q for k, q in found.items() if k in wanted}


class PostgresSales:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self.conn = conn

    async def claim(self, sale: SaleRecord) -> SaleRecord | None:
        # A concurrent sale with the same receipt waits here on the key.
        inserted = await self.conn.execute(
            """
            INSERT INTO sales (location, external_id, fingerprint, skus, quantities, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
            """,
            sale.location,
            sale.external_id,
            sale.fingerprint,
            [x.sku for x in sale.lines],
            [x.quantity for x in sale.lines],
            sale.created_at,
        )
        if inserted == "INSERT 0 1":
            return None
        row = await self.conn.fetchrow(
            f"SELECT {SALE_COLUMNS} FROM sales WHERE location = $1 AND external_id = $2",
            sale.location,
            sale.external_id,
        )
        if row is None:  # pragma: no cover - the conflicting row committed, so it exists
            raise errors.TransientConflict("sale vanished")
        return sale_of(row)
