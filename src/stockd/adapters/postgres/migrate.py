"""Applying the schema migrations (Alembic) to a database.

Alembic (and SQLAlchemy under it) is imported only when there is something
to migrate: every CLI command and every `stockd serve` brings its database
to the latest schema first, and one that is there already is told so by one
query (a second or more saved on each command)."""

from __future__ import annotations

import asyncio
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(url: str) -> Config:
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = sqlalchemy_url(url)
    return config


def sqlalchemy_url(url: str) -> str:
    """postgresql://… as SQLAlchemy's asyncpg dialect wants it."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+asyncpg://{rest}" if scheme in ("postgres", "postgresql") else url


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database to `revision`. Blocking; run it off the event loop."""
    if revision == "head" and _at_head(url):
        return
    from alembic import command

    command.upgrade(_config(url), revision)


def _at_head(url: str) -> bool:
    """Whether the database is at the latest revision already (False when
    that cannot be asked here without Alembic: inside an event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(current_revision(url)) == head()
    return False


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


_REVISION = re.compile(r"^revision = \"(\w+)\"$", re.MULTILINE)
_DOWN = re.compile(r"^down_revision = \"(\w+)\"$", re.MULTILINE)


@cache
def head() -> str:
    """The latest revision: the one no other revises (read from the scripts'
    `revision` / `down_revision` lines without loading Alembic; a test checks
    it against Alembic's own answer)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        text = script.read_text()
        revisions.update(_REVISION.findall(text))
        revised.update(_DOWN.findall(text))
    [latest] = revisions - revised
    return latest


def run_script(sql: str) -> None:
    """Run several SQL statements in one go, inside the migration's transaction.

    For use in migrations: SQLAlchemy's asyncpg driver prepares each statement,
    and a prepared statement holds only one command."""
    from alembic import op

    op.get_bind().connection.dbapi_connection.run_async(  # type: ignore[union-attr]
        lambda conn: conn.execute(sql)
    )


async def current_revision(url: str) -> str | None:
    """The revision the database is at (None before the first migration)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        revision: str | None = (
            await conn.fetchval("SELECT version_num FROM alembic_version") if exists else None
        )
        return revision
    finally:
        await conn.close()
