"""Applying the schema migrations (Alembic) to a database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(url: str) -> Config:
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
    command.upgrade(_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


def head() -> str:
    head = ScriptDirectory.from_config(_config("postgresql://")).get_current_head()
    assert head is not None
    return head


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
