"""Which database a command uses: STOCKD_DATABASE_URL, or the embedded one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from stockd.adapters.embedded import EmbeddedPostgres
from stockd.adapters.postgres import migrate
from stockd.bootstrap import Container, build
from stockd.config import Settings
from stockd.entrypoints.cli.output import console

T = TypeVar("T")
err = console(stderr=True)


@contextmanager
def database(settings: Settings, *, upgrade: bool = True) -> Iterator[str]:
    """The database URL for this command, migrated to the current schema.

    Without STOCKD_DATABASE_URL the embedded server under STOCKD_HOME is
    started (or joined, if `stockd serve` runs it) and stopped afterwards
    unless another process still uses it."""
    embedded = None
    if settings.database_url:
        url = settings.database_url
    else:
        embedded = EmbeddedPostgres(settings.home)
        with err.status(f"starting embedded PostgreSQL in {embedded.pgdata}"):
            url = embedded.start()
    try:
        if upgrade:
            migrate.upgrade(url)
        yield url
    finally:
        if embedded is not None:
            embedded.stop()


def with_container(settings: Settings, url: str, work: Callable[[Container], Awaitable[T]]) -> T:
    async def run() -> T:
        container = await build(settings, url)
        try:
            return await work(container)
        finally:
            await container.close()

    return asyncio.run(run())


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
