"""Alembic environment: runs the migrations over the asyncpg driver.

The database URL comes from `config.attributes["url"]`, set by
`stockd.adapters.postgres.migrate`. Processes that start together (several
API nodes) migrate one at a time: each holds an advisory lock on a
connection of its own while it migrates, and the next finds the schema
already at head.
"""

import asyncio

import asyncpg
from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


MIGRATION_LOCK = 0x5709_4D16


async def _main() -> None:
    url = context.config.attributes["url"]
    lock = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await lock.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
        await engine.dispose()
    finally:
        await lock.close()  # the lock goes with its session


if context.is_offline_mode():
    raise SystemExit("stockd migrations run online only")
asyncio.run(_main())
