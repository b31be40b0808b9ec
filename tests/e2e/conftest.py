"""HTTP fixtures: the app in-process over the test database, and a real server."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from stockd.adapters.postgres.pool import create_pool
from stockd.adapters.postgres.reads import PostgresReadModel
from stockd.bootstrap import Container
from stockd.entrypoints.api.app import create_app
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.server import LiveServer, cli_env, start, stop
from tests.support import create_database, drop_database


class Api(httpx.AsyncClient):
    token: str

    async def setup_basics(self) -> None:
        """Location x (priority 1), y (2); SKU A with 10 on hand at x."""
        for loc, prio in (("x", 1), ("y", 2)):
            r = await self.post("/v1/locations", json={"id": loc, "name": loc, "priority": prio})
            assert r.status_code == 201, r.text
        r = await self.post("/v1/skus", json={"sku": "A", "product_id": "P", "name": "A"})
        assert r.status_code == 201, r.text
        r = await self.post(
            "/v1/adjustments",
            json={
                "changes": [
                    {"sku": "A", "location": "x", "state": "on_hand", "delta": 10, "reason": "r"}
                ]
            },
        )
        assert r.status_code == 200, r.text


@pytest_asyncio.fixture
async def api(db: Container) -> AsyncIterator[Api]:
    """An admin client of the app over the (emptied) test database."""
    _, token = await create_key(db.bus, "test admin", {Scope.ADMIN})
    app = create_app(db, workers=False, max_body_bytes=256 * 1024)
    async with Api(
        transport=httpx.ASGITransport(app=app),
        base_url="http://stockd.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        client.token = token
        yield client


@pytest_asyncio.fixture
async def counted(
    db: Container, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """A client of an app whose read model has a pool of its own, of one
    connection that logs every statement it sends (the app's writes and key
    checks go through the other pool)."""
    statements: list[str] = []
    pool = await create_pool(database_url, min_size=1, max_size=1)
    async with pool.acquire() as conn:
        conn.add_query_logger(lambda record: statements.append(record.query))
    container = dataclasses.replace(db, reads=PostgresReadModel(pool))
    _, token = await create_key(db.bus, "counted", {Scope.ADMIN})
    app = create_app(container, workers=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://stockd.test",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            yield client, statements
    finally:
        await pool.close()


@contextmanager
def serving_nodes(
    pg_server_url: str,
    home: Path,
    prefix: str,
    count: int,
    args: Sequence[str] = (),
    **settings: str,
) -> Iterator[list[LiveServer]]:
    """`count` `stockd serve` processes (nodes) in subprocesses, on one
    database of their own, each with its workers and its own STOCKD_HOME
    (and these `STOCKD_*` settings, and these arguments of serve); every
    node is stopped and the database dropped however the block ends."""
    url = asyncio.run(create_database(pg_server_url, prefix))
    admin = "sk_e2e_" + secrets.token_urlsafe(24)
    started: list[LiveServer] = []
    try:
        for i in range(count):
            own = home if count == 1 else home / f"node{i}"
            own.mkdir(parents=True, exist_ok=True)
            env = cli_env(
                url,
                own,
                STOCKD_BOOTSTRAP_ADMIN_KEY=admin,
                STOCKD_AUTH_CACHE_SECONDS="0",
                **settings,
            )
            log = own / "serve.log"
            process, base = start(env, log, args=args)
            started.append(LiveServer(base, admin, url, process, log))
        yield started
    finally:
        for node in started:
            stop(node.process)
        asyncio.run(drop_database(pg_server_url, url))


@contextmanager
def serving(pg_server_url: str, home: Path, prefix: str, **settings: str) -> Iterator[LiveServer]:
    """`stockd serve` in a subprocess, on a database of its own, with its
    workers (and these `STOCKD_*` settings)."""
    with serving_nodes(pg_server_url, home, prefix, 1, **settings) as (server,):
        yield server


@pytest.fixture(scope="session")
def live(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server shared by the session: use fresh codes (`unique`)."""
    with serving(pg_server_url, tmp_path_factory.mktemp("live"), "stockd_e2e") as server:
        yield server


@pytest.fixture(scope="module")
def empty_live(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A real server of the module's own, starting empty: for walk-throughs
    that name fixed ids (`berlin`, `TSHIRT-M`) another test may also create."""
    with serving(pg_server_url, tmp_path_factory.mktemp("empty_live"), "stockd_e2e") as server:
        yield server


@pytest.fixture
def fresh_db(pg_server_url: str) -> Iterator[str]:
    """An empty database of its own (the CLI migrates it)."""
    url = asyncio.run(create_database(pg_server_url, "stockd_cli"))
    yield url
    asyncio.run(drop_database(pg_server_url, url))


@pytest.fixture
def unique() -> str:
    """A fresh code, so tests sharing the live server never see each other's data."""
    return secrets.token_hex(4).upper()
