"""The baselines stockd is measured against, served by the same server stack.

Each takes one hold per line on a table shaped like stockd's levels
(`bench_levels`), the way the pattern is usually written:

- `naive`: one conditional UPDATE per line (`… WHERE on_hand - reserved >= q`);
- `occ_retry`: read the version, update where the version still matches,
  retry up to 3 times (the optimistic pattern commonly recommended);
- `for_update`: `SELECT … FOR UPDATE`, check in Python, update (the
  pessimistic pattern Saleor uses).

A cart is one transaction, all lines or none. No ledger, no idempotency, no
expiry: the baselines do strictly less work than stockd.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SCHEMA = """
CREATE TABLE IF NOT EXISTS bench_levels (
    sku text NOT NULL,
    location text NOT NULL,
    on_hand bigint NOT NULL,
    reserved bigint NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (sku, location),
    CHECK (reserved >= 0 AND on_hand - reserved >= 0)
)
"""

_OK = Response(b'{"held":true}', 201, media_type="application/json")
_SHORT = Response(b'{"held":false}', 409, media_type="application/json")


class Short(Exception):
    pass


async def _lines(request: Request) -> list[tuple[str, str, int]]:
    body = orjson.loads(await request.body())
    return sorted((x["sku"], x["location"], x["quantity"]) for x in body["lines"])


async def naive(request: Request) -> Response:
    lines = await _lines(request)
    pool: asyncpg.Pool = request.app.state.pool
    try:
        async with pool.acquire() as conn, conn.transaction():
            for sku, location, q in lines:
                done = await conn.execute(
                    "UPDATE bench_levels SET reserved = reserved + $3"
                    " WHERE sku = $1 AND location = $2 AND on_hand - reserved >= $3",
                    sku,
                    location,
                    q,
                )
                if done != "UPDATE 1":
                    raise Short
    except Short:
        return _SHORT
    return _OK


async def occ_retry(request: Request) -> Response:
    lines = await _lines(request)
    pool: asyncpg.Pool = request.app.state.pool
    for _ in range(3):
        try:
            async with pool.acquire() as conn, conn.transaction():
                for sku, location, q in lines:
                    row = await conn.fetchrow(
                        "SELECT on_hand, reserved, version FROM bench_levels"
                        " WHERE sku = $1 AND location = $2",
                        sku,
                        location,
                    )
                    if row is None or row["on_hand"] - row["reserved"] < q:
                        raise Short
                    done = await conn.execute(
                        "UPDATE bench_levels SET reserved = reserved + $3, version = version + 1"
                        " WHERE sku = $1 AND location = $2 AND version = $4",
                        sku,
                        location,
                        q,
                        row["version"],
                    )
                    if done != "UPDATE 1":
                        raise LookupError  # lost the race: retry the cart
            return _OK
        except Short:
            return _SHORT
        except LookupError:
            continue
    return _SHORT


async def for_update(request: Request) -> Response:
    lines = await _lines(request)
    pool: asyncpg.Pool = request.app.state.pool
    try:
        async with pool.acquire() as conn, conn.transaction():
            for sku, location, q in lines:
                row = await conn.fetchrow(
                    "SELECT on_hand, reserved FROM bench_levels"
                    " WHERE sku = $1 AND location = $2 FOR UPDATE",
                    sku,
                    location,
                )
                if row is None or row["on_hand"] - row["reserved"] < q:
                    raise Short
                await conn.execute(
                    "UPDATE bench_levels SET reserved = reserved + $3"
                    " WHERE sku = $1 AND location = $2",
                    sku,
                    location,
                    q,
                )
    except Short:
        return _SHORT
    return _OK


async def availability(request: Request) -> Response:
    pool: asyncpg.Pool = request.app.state.pool
    rows = await pool.fetch(
        "SELECT location, on_hand - reserved AS available FROM bench_levels WHERE sku = $1",
        request.path_params["sku"],
    )
    return Response(orjson.dumps([dict(r) for r in rows]), media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["STOCKD_DATABASE_URL"], min_size=4, max_size=20
    )
    yield
    await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/naive", naive, methods=["POST"]),
        Route("/occ_retry", occ_retry, methods=["POST"]),
        Route("/for_update", for_update, methods=["POST"]),
        Route("/availability/{sku}", availability, methods=["GET"]),
    ],
    lifespan=lifespan,
)
