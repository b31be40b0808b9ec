"""The read side in PostgreSQL. Reads run outside write transactions and take
no locks; quantities are live (holds past their deadline do not count)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import asyncpg

from stockd.adapters.postgres import lists, rows
from stockd.adapters.postgres.capacity import PostgresCapacity
from stockd.adapters.postgres.channels import PostgresChannels, pools_of, share_pooled_of
from stockd.adapters.postgres.event_rows import EVENT_COLUMNS, event
from stockd.adapters.postgres.orders import PostgresOrders
from stockd.adapters.postgres.overview import overview
from stockd.adapters.postgres.purchase_orders import PostgresPurchaseOrders
from stockd.adapters.postgres.ties import PostgresTies
from stockd.adapters.postgres.transfers import PostgresTransfers
from stockd.adapters.postgres.verify import verify
from stockd.domain.capacity import CapacityPool, CapacityWeek, SlotBooking
from stockd.domain.catalog import Location, Sku
from stockd.domain.channels import Channel, PoolShare, SkuChannels
from stockd.domain.inbound import PurchaseOrder
from stockd.domain.orders import Order
from stockd.domain.promises import Holder, HolderKind
from stockd.domain.quantities import Level, LevelKey
from stockd.domain.reservations import Reservation
from stockd.domain.transfers import Transfer
from stockd.domain.weeks import IsoWeek
from stockd.service.listing import (
    AtRisk,
    OrderFilter,
    Position,
    PurchaseOrderFilter,
    ReservationFilter,
    ReturnFilter,
    SaleFilter,
    TransferFilter,
)
from stockd.service.ports import ReturnRecord, SaleRecord
from stockd.service.queries import (
    EventFilter,
    LedgerRecord,
    LocatedLevel,
    Overview,
    Promises,
    VerifyReport,
)

_LIVE_COLUMNS = ", ".join(
    "l.reserved - coalesce(o.quantity, 0) AS reserved" if c == "reserved" else f"l.{c}"
    for c in rows.LEVEL_COLUMNS.split(", ")
)

# Units still counted in `reserved` for holds whose deadline has passed.
_OVERDUE = """
overdue AS (
    SELECT rl.sku, rl.location, sum(rl.quantity)::bigint AS quantity
    FROM reservations r JOIN reservation_lines rl ON rl.reservation_id = r.id
    WHERE r.status = 'active' AND r.expires_at <= $1 {filter}
    GROUP BY rl.sku, rl.location
)
"""


class PostgresReadModel:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._locations: dict[str, Location] = {}

    async def sku(self, code: str) -> Sku | None:
        row = await self.pool.fetchrow(f"SELECT {rows.SKU_COLUMNS} FROM skus WHERE sku = $1", code)
        return None if row is None else rows.sku(row)

    async def skus(self, after: str | None, limit: int, *, archived: bool = False) -> list[Sku]:
        # Spelled out rather than `archived = $3`, so that archived = true
        # reads its partial index.
        found = await self.pool.fetch(
            f"SELECT {rows.SKU_COLUMNS} FROM skus"
            f" WHERE sku > $1 AND {'' if archived else 'NOT '}archived ORDER BY sku LIMIT $2",
            after or "",
            limit,
        )
        return [rows.sku(r) for r in found]

    async def location(self, location_id: str) -> Location | None:
        row = await self.pool.fetchrow(
            f"SELECT {rows.LOCATION_COLUMNS} FROM locations WHERE id = $1", location_id
        )
        return None if row is None else rows.location(row)

    async def locations(
        self, after: str | None, limit: int, *, archived: bool = False
    ) -> list[Location]:
        found = await self.pool.fetch(
            f"SELECT {rows.LOCATION_COLUMNS} FROM locations"
            f" WHERE id > $1 AND {'' if archived else 'NOT '}archived ORDER BY id LIMIT $2",
            after or "",
            limit,
        )
        return [rows.location(r) for r in found]

    async def channel(self, channel_id: str) -> Channel | None:
        row = await self.pool.fetchrow(
            f"SELECT {rows.CHANNEL_COLUMNS} FROM channels WHERE id = $1", channel_id
        )
        return None if row is None else rows.channel(row)

    async def channels(self, after: str | None, limit: int) -> list[Channel]:
        found = await self.pool.fetch(
            f"SELECT {rows.CHANNEL_COLUMNS} FROM channels WHERE id > $1 ORDER BY id LIMIT $2",
            after or "",
            limit,
        )
        return [rows.channel(r) for r in found]

    async def channel_pools(self, sku: str) -> list[PoolShare]:
        return await pools_of(self.pool, sku)

    async def channel_stock(self, skus: Collection[str]) -> dict[str, SkuChannels]:
        async with self.pool.acquire() as conn:
            return await PostgresChannels(conn).stock(skus)

    async def share_pooled_skus(self, after: str | None, limit: int) -> list[str]:
        return await share_pooled_of(self.pool, after, limit)

    async def levels(
        self,
        now: datetime,
        *,
        sku: str | None,
        location: str | None,
        after: LevelKey | None,
        limit: int,
    ) -> list[Level]:
        # Conditions are added only when asked for, so each shape of query
        # gets a plan that uses the right index.
        args: list[object] = [now]
        where = []
        if sku is not None:
            args.append(sku)
            where.append(f"l.sku = ${len(args)}")
        if location is not None:
            args.append(location)
            where.append(f"l.location = ${len(args)}")
        if after is not None:
            args += [after.sku, after.location]
            where.append(f"(l.sku, l.location) > (${len(args) - 1}, ${len(args)})")
        args.append(limit)
        overdue_filter = "AND rl.sku = $2" if sku is not None else ""
        found = await self.pool.fetch(
            f"""
            WITH {_OVERDUE.format(filter=overdue_filter)}
            SELECT {_LIVE_COLUMNS}
            FROM levels l LEFT JOIN overdue o USING (sku, location)
            {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY l.sku, l.location
            LIMIT ${len(args)}
            """,
            *args,
        )
        return [rows.level(r) for r in found]

    async def availability_of(
        self, now: datetime, skus: Collection[str]
    ) -> dict[str, list[LocatedLevel]]:
        found = await self.pool.fetch(
            f"""
            WITH {_OVERDUE.format(filter="AND rl.sku = ANY($2::text[])")}
            SELECT {_LIVE_COLUMNS}, loc.version AS loc_version
            FROM levels l
            JOIN locations loc ON loc.id = l.location
            LEFT JOIN overdue o USING (sku, location)
            WHERE l.sku = ANY($2::text[])
            ORDER BY l.sku, loc.priority, l.location
            """,
            now,
            list(skus),
        )
        # Locations are built once per version and kept: the level rows carry
        # only the version, and the few unknown or changed ones are read.
        if len(self._locations) > 10_000:
            self._locations.clear()
        stale = {
            r["location"]
            for r in found
            if (known := self._locations.get(r["location"])) is None
            or known.version != r["loc_version"]
        }
        if stale:
            self._locations.update(await self.locations_by_id(stale))
        located: dict[str, list[LocatedLevel]] = {}
        for r in found:
            located.setdefault(r["sku"], []).append(
                LocatedLevel(rows.level(r), self._locations[r["location"]])
            )
        # A SKU without levels is known or not: asked only for those, which
        # a storefront rarely reads (one more query then, none otherwise).
        empty = [sku for sku in skus if sku not in located]
        if empty:
            for sku in await self.pool.fetch(
                "SELECT sku FROM skus WHERE sku = ANY($1::text[])", empty
            ):
                located[sku["sku"]] = []
        return located

    async def levels_of(self, now: datetime, skus: Collection[str]) -> list[Level]:
        found = await self.pool.fetch(
            f"""
            WITH {_OVERDUE.format(filter="AND rl.sku = ANY($2::text[])")}
            SELECT {_LIVE_COLUMNS}
            FROM levels l LEFT JOIN overdue o USING (sku, location)
            WHERE l.sku = ANY($2::text[])
            """,
            now,
            list(skus),
        )
        return [rows.level(r) for r in found]

    async def locations_by_id(self, ids: Collection[str]) -> dict[str, Location]:
        found = await self.pool.fetch(
            f"SELECT {rows.LOCATION_COLUMNS} FROM locations WHERE id = ANY($1::text[])", list(ids)
        )
        return {r["id"]: rows.location(r) for r in found}

    async def order(self, order_id: str) -> Order | None:
        async with self.pool.acquire() as conn:
            return await PostgresOrders(conn).get(order_id)

    async def transfer(self, transfer_id: str) -> Transfer | None:
        async with self.pool.acquire() as conn:
            return await PostgresTransfers(conn).get(transfer_id)

    async def capacity_pool(self, pool_id: str) -> CapacityPool | None:
        async with self.pool.acquire() as conn:
            return (await PostgresCapacity(conn).pools([pool_id])).get(pool_id)

    async def capacity_pools(self, after: str | None, limit: int) -> list[CapacityPool]:
        async with self.pool.acquire() as conn:
            return await PostgresCapacity(conn).page(after, limit)

    async def capacity_weeks(self, pool: str, first: IsoWeek, last: IsoWeek) -> list[CapacityWeek]:
        async with self.pool.acquire() as conn:
            return await PostgresCapacity(conn).weeks(pool, first, last)

    async def slot(self, slot_id: str) -> SlotBooking | None:
        async with self.pool.acquire() as conn:
            return await PostgresCapacity(conn).slot(slot_id)

    async def purchase_order(self, purchase_order_id: str) -> PurchaseOrder | None:
        async with self.pool.acquire() as conn:
            return await PostgresPurchaseOrders(conn).get(purchase_order_id)

    async def reservation(self, reservation_id: str) -> Reservation | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {rows.RESERVATION_COLUMNS} FROM reservations WHERE id = $1",
                reservation_id,
            )
            if row is None:
                return None
            lines = await conn.fetch(
                "SELECT sku, location, quantity, named FROM reservation_lines"
                " WHERE reservation_id = $1 ORDER BY sku, location",
                reservation_id,
            )
        return rows.reservation(row, lines)

    async def orders(self, only: OrderFilter, after: Position | None, limit: int) -> list[Order]:
        return await lists.orders(self.pool, only, after, limit)

    async def reservations(
        self, now: datetime, only: ReservationFilter, after: Position | None, limit: int
    ) -> list[Reservation]:
        return await lists.reservations(self.pool, now, only, after, limit)

    async def transfers(
        self, only: TransferFilter, after: Position | None, limit: int
    ) -> list[Transfer]:
        return await lists.transfers(self.pool, only, after, limit)

    async def purchase_orders(
        self, only: PurchaseOrderFilter, after: Position | None, limit: int
    ) -> list[PurchaseOrder]:
        return await lists.purchase_orders(self.pool, only, after, limit)

    async def unpromised(self, keys: Collection[LevelKey]) -> dict[LevelKey, int]:
        async with self.pool.acquire() as conn:
            return await PostgresTies(conn).unpromised(keys)

    async def promises(self, holder: Holder) -> Promises:
        async with self.pool.acquire() as conn:
            ties = await PostgresTies(conn).of_holders([holder])
            promised: dict[LevelKey, datetime] = {}
            if holder.kind is HolderKind.ORDER:
                rows = await conn.fetch(
                    "SELECT sku, location, promised_ready_at FROM order_lines"
                    " WHERE order_id = $1 AND promised_ready_at IS NOT NULL",
                    holder.id,
                )
                promised = {LevelKey(r["sku"], r["location"]): r["promised_ready_at"] for r in rows}
        return Promises(tuple(ties), promised)

    async def at_risk(self, now: datetime, after: Position | None, limit: int) -> list[AtRisk]:
        return await lists.at_risk(self.pool, now, after, limit)

    async def sales(self, only: SaleFilter, after: Position | None, limit: int) -> list[SaleRecord]:
        return await lists.sales(self.pool, only, after, limit)

    async def returns(
        self, only: ReturnFilter, after: Position | None, limit: int
    ) -> list[ReturnRecord]:
        return await lists.returns(self.pool, only, after, limit)

    async def events(
        self, after: int, limit: int, only: EventFilter | None = None
    ) -> list[LedgerRecord]:
        only = only or EventFilter()
        args: list[object] = [after, limit]
        where = ["seq > $1"]
        for column in ("sku", "location", "order_id", "reservation_id"):
            value = getattr(only, column)
            if value is not None:
                args.append(value)
                where.append(f"{column} = ${len(args)}")
        if only.types or only.families:
            args += [sorted(only.types), sorted(only.families)]
            where.append(
                f"(type = ANY(${len(args) - 1}::text[])"
                f" OR split_part(type, '.', 1) = ANY(${len(args)}::text[]))"
            )
        found = await self.pool.fetch(
            f"SELECT {EVENT_COLUMNS} FROM ledger_events WHERE {' AND '.join(where)}"
            " ORDER BY seq LIMIT $2",
            *args,
        )
        return [LedgerRecord(r["seq"], event(r)) for r in found]

    async def ledger_head(self) -> int:
        # Events are numbered under a lock held until commit, so no event
        # below the highest visible one is still to commit.
        head = await self.pool.fetchval("SELECT coalesce(max(seq), 0) FROM ledger_events")
        return int(head)

    async def verify(self) -> VerifyReport:
        return await verify(self.pool)

    async def stats(self, now: datetime) -> dict[str, int]:
        row = await self.pool.fetchrow(
            """
            SELECT
                (SELECT count(*) FROM skus) AS skus,
                (SELECT count(*) FROM locations) AS locations,
                (SELECT count(*) FROM levels) AS levels,
                (SELECT count(*) FROM reservations
                  WHERE status = 'active' AND expires_at > $1) AS active_reservations,
                (SELECT count(*) FROM reservations
                  WHERE status = 'active' AND expires_at <= $1) AS overdue_reservations,
                (SELECT coalesce(max(seq), 0) FROM ledger_events) AS ledger_head
            """,
            now,
        )
        assert row is not None
        return dict(row)

    async def overview(self, now: datetime, low_stock_below: int, limit: int) -> Overview:
        return await overview(self.pool, now, low_stock_below, limit)
