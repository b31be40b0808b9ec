"""Which database a command uses: STOCKD_DATABASE_URL, or the embedded one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import typer

from stockd.adapters.embedded import EmbeddedPostgres, EmbeddedPostgresFailed
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
    started (or joined, if `stockd serve` runs it) and let go of afterwards:
    it stops when no other process uses it."""
    if settings.database_url:
        if upgrade:
            migrate.upgrade(settings.database_url)
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.home)
    try:
        with err.status(f"starting embedded PostgreSQL in {embedded.pgdata}"):
            url = embedded.start()
        if upgrade:
            migrate.upgrade(url)
        yield url
    except EmbeddedPostgresFailed as e:
        err.print(f"stockd: {e}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
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
