"""`stockd serve` and `stockd worker`: the API and the background workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
import sys
from typing import Annotated, Any

import typer
import uvicorn

from stockd import __version__, logs
from stockd.adapters.embedded import EmbeddedPostgres
from stockd.adapters.postgres import migrate
from stockd.adapters.prometheus import MULTIPROC_ENV
from stockd.bootstrap import Container, build
from stockd.config import Settings
from stockd.entrypoints.cli import lifeline
from stockd.entrypoints.cli.database import database, redacted, with_container
from stockd.entrypoints.cli.output import console
from stockd.entrypoints.cli.settings import load as load_settings
from stockd.entrypoints.cli.startup import BootstrapKeyRevoked, ensure_admin_key
from stockd.entrypoints.workers import loops

err = console(stderr=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default STOCKD_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default STOCKD_PORT).")] = None,
    workers: Annotated[bool, typer.Option(help="Run the background workers too.")] = True,
    processes: Annotated[
        int, typer.Option("--processes", "-p", min=1, help="API worker processes.")
    ] = 1,
) -> None:
    """Serve the HTTP API (and the workers), migrating the database first.

    Without STOCKD_DATABASE_URL an embedded PostgreSQL is started under
    STOCKD_HOME and stopped when serve stops, however it stops. With several
    processes the background workers run in one process of their own."""
    settings = load_settings()
    _configure_logging(settings)
    with database(settings) as url:
        try:
            token = asyncio.run(ensure_admin_key(settings, url))
        except BootstrapKeyRevoked as e:
            err.print(
                f"stockd: bad setting STOCKD_BOOTSTRAP_ADMIN_KEY: it is key {e.key_id},"
                " which was revoked; unset it (or set a new key) and start again",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(2) from None
        _announce(settings, url, token)
        bind_host, bind_port = host or settings.host, port or settings.port
        if processes > 1:
            _serve_processes(settings, url, bind_host, bind_port, processes, workers)
        else:
            _serve_in_process(settings, url, bind_host, bind_port, workers)


def worker(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(loops.NAMES)}, or all.")],
    end_with_parent: Annotated[
        bool, typer.Option(hidden=True, help="End when the process that started it ends.")
    ] = False,
) -> None:
    """Run one background worker alone, or all of them (scale-out: API nodes
    run with --no-workers)."""
    if name != "all" and name not in loops.NAMES:
        err.print(f"unknown worker {name!r}; choose from {', '.join(loops.NAMES)} or all")
        raise typer.Exit(2)
    if end_with_parent:
        lifeline.end_with_parent()
    names = list(loops.NAMES) if name == "all" else [name]
    settings = load_settings()
    if name == "relay" and not settings.nats_url:
        err.print("stockd worker relay publishes to NATS JetStream: set STOCKD_NATS_URL")
        raise typer.Exit(2)
    _configure_logging(settings)

    async def run(c: Container) -> None:
        await asyncio.gather(*(loops.run(n, c) for n in names))

    with database(settings) as url, contextlib.suppress(KeyboardInterrupt):
        with_container(settings, url, run)


def _configure_logging(settings: Settings) -> None:
    logs.configure(settings.log_level, settings.log_format)
    if settings.log_level != "debug":
        # Alembic narrates every start ("Context impl PostgresqlImpl."); the
        # start-up line gives the schema revision instead.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _announce(settings: Settings, url: str, token: str | None) -> None:
    """A few plain lines on stderr: what runs where, and a new admin key set
    apart on a line of its own (plain print: rich would fold or colour it)."""
    if settings.database_url:
        where = redacted(url)
    else:
        embedded = EmbeddedPostgres(settings.home)
        where = f"the embedded PostgreSQL in {embedded.pgdata} (its log: {embedded.log_file})"
    lines = [f"stockd {__version__}, schema {migrate.head()}, on {where}"]
    if token:
        lines += [
            "",
            "No API keys yet, so stockd created an admin key. It is shown only this once:",
            "",
            f"    {token}",
            "",
            "Keep it safe (stockd stores only a digest of it). Send it as",
            '"Authorization: Bearer <key>"; create more keys with `stockd keys create`.',
            "",
        ]
    sys.stdout.flush()
    print("\n".join(lines), file=sys.stderr, flush=True)


def _serve_in_process(settings: Settings, url: str, host: str, port: int, workers: bool) -> None:
    from stockd.entrypoints.api.app import create_app

    async def open_container() -> Container:
        return await build(settings, url)

    api = create_app(
        open_container=open_container, workers=workers, max_body_bytes=settings.max_body_bytes
    )
    _uvicorn(api, settings, host, port)


def _serve_processes(
    settings: Settings, url: str, host: str, port: int, processes: int, workers: bool
) -> None:
    os.environ["STOCKD_DATABASE_URL"] = url
    os.environ["STOCKD_API_RUNS_WORKERS"] = "0"
    # Every process of this serve writes its figures here, and a scrape of
    # any of them reads them all (stockd.adapters.prometheus); created fresh,
    # removed at exit.
    figures = settings.home.resolve() / "run" / f"metrics-{os.getpid()}"
    shutil.rmtree(figures, ignore_errors=True)
    figures.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(figures)
    background = (
        subprocess.Popen([sys.executable, "-m", "stockd", "worker", "all", "--end-with-parent"])
        if workers
        else None
    )
    try:
        _uvicorn("stockd.entrypoints.cli.served_asgi:app", settings, host, port, processes)
    finally:
        _stop_background(background)
        shutil.rmtree(figures, ignore_errors=True)


def _stop_background(background: subprocess.Popen[bytes] | None) -> None:
    if background is not None:
        background.terminate()
        try:
            background.wait(10)
        except subprocess.TimeoutExpired:
            background.kill()
            background.wait()


def _uvicorn(app: Any, settings: Settings, host: str, port: int, processes: int = 1) -> None:
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=processes if processes > 1 else None,
        log_level=settings.log_level,
        # Logging is stockd's (`stockd.logs`): uvicorn's records go through
        # its handler, and the access log is RequestObserver's (with the
        # route, the duration and the request id).
        log_config=None,
        loop="uvloop",
        http="httptools",
        access_log=False,
        proxy_headers=False,
        # Open event streams never finish by themselves: without a bound,
        # shutting down would wait for their clients to leave.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
