"""Reservations (checkout holds) in PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from stockd.adapters.postgres import hold_batch, rows
from stockd.domain.events import Event, Movement
from stockd.domain.quantities import LevelKey, Quantities
from stockd.domain.reservations import Reservation, ReservationStatus
from stockd.service.ports import ChannelGuard

_LINES = """
SELECT reservation_id, sku, location, quantity, named FROM reservation_lines
WHERE reservation_id = ANY($1::text[]) ORDER BY reservation_id, sku, location
"""


class PostgresReservations:
    def __init__(self, conn: PoolConnectionProxy, written: list[Event] | None = None) -> None:
        self.conn = conn
        self.written = [] if written is None else written
        """Events `place` wrote (in its one statement, not through the ledger)."""

    async def add_many(self, reservations: Sequence[Reservation]) -> None:
        if not reservations:
            return
        lines = [(r.id, x) for r in reservations for x in r.lines]
        await self.conn.execute(
            """
            WITH r AS (
                INSERT INTO reservations
                    (id, status, reference, created_at, expires_at, pickup_location, channel)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                                     $5::timestamptz[], $6::text[], $12::text[])
            )
            INSERT INTO reservation_lines (reservation_id, sku, location, quantity, named)
            SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[])
            """,
            [r.id for r in reservations],
            [r.status.value for r in reservations],
            [r.reference for r in reservations],
            [r.created_at for r in reservations],
            [r.expires_at for r in reservations],
            [r.pickup_location for r in reservations],
            [rid for rid, _ in lines],
            [x.sku for _, x in lines],
            [x.location for _, x in lines],
            [x.quantity for _, x in lines],
            [x.named for _, x in lines],
            [r.channel for r in reservations],
        )

    async def place(
        self,
        reservations: Sequence[Reservation],
        deltas: Mapping[LevelKey, tuple[Quantities, int]],
        movements: Sequence[Movement],
        now: datetime,
        guards: Sequence[ChannelGuard] = (),
    ) -> bool:
        try:
            await hold_batch.place(self.conn, reservations, deltas, movements, now, guards)
        except asyncpg.PostgresError as e:
            if e.sqlstate == hold_batch.REFUSED:
                return False
            raise
        self.written.extend(movements)  # the statement wrote their events
        return True

    async def get(self, reservation_id: str, *, lock: bool = False) -> Reservation | None:
        row = await self.conn.fetchrow(
            f"SELECT {rows.RESERVATION_COLUMNS} FROM reservations WHERE id = $1"
            + (" FOR UPDATE" if lock else ""),
            reservation_id,
        )
        if row is None:
            return None
        lines = await self.conn.fetch(_LINES, [reservation_id])
        return rows.reservation(row, lines)

    async def close(
        self,
        reservation_id: str,
        status: ReservationStatus,
        now: datetime,
        order_id: str | None = None,
    ) -> None:
        done = await self.conn.execute(
            """
            UPDATE reservations SET status = $2, closed_at = $3, order_id = $4
            WHERE id = $1 AND status = 'active'
            """,
            reservation_id,
            status.value,
            now,
            order_id,
        )
        if done != "UPDATE 1":
            raise RuntimeError(f"reservation {reservation_id} was not active under lock")

    async def close_many(
        self,
        reservation_ids: Sequence[str],
        status: ReservationStatus,
        now: datetime,
        order_id: str | None = None,
    ) -> None:
        if not reservation_ids:
            return
        done = await self.conn.execute(
            """
            UPDATE reservations SET status = $2, closed_at = $3, order_id = $4
            WHERE id = ANY($1::text[]) AND status = 'active'
            """,
            list(reservation_ids),
            status.value,
            now,
            order_id,
        )
        if done != f"UPDATE {len(set(reservation_ids))}":
            raise RuntimeError("a reservation to close was not active under lock")

    async def set_deadline(self, reservation_id: str, expires_at: datetime) -> None:
        await self.conn.execute(
            "UPDATE reservations SET expires_at = $2 WHERE id = $1", reservation_id, expires_at
        )

    async def lock_due(
        self,
        now: datetime,
        limit: int,
        skus: Collection[str] = (),
        reservation_ids: Collection[str] = (),
    ) -> list[Reservation]:
        found = await self.conn.fetch(
            f"""
            SELECT {rows.RESERVATION_COLUMNS} FROM reservations r
            WHERE status = 'active' AND expires_at <= $1
              AND (cardinality($3::text[]) = 0 OR EXISTS (
                  SELECT 1 FROM reservation_lines l
                  WHERE l.reservation_id = r.id AND l.sku = ANY($3::text[])))
              AND (cardinality($4::text[]) = 0 OR id = ANY($4::text[]))
            ORDER BY expires_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """,
            now,
            limit,
            list(skus),
            list(reservation_ids),
        )
        if not found:
            return []
        lines = defaultdict(list)
        for line in await self.conn.fetch(_LINES, [r["id"] for r in found]):
            lines[line["reservation_id"]].append(line)
        return [rows.reservation(r, lines[r["id"]]) for r in found]
