"""The API as an importable ASGI app, for servers that start several worker
processes (`stockd serve --workers N`). Settings come from the environment;
STOCKD_DATABASE_URL must be set (`stockd serve` sets it for its workers)."""

from __future__ import annotations

import os

from stockd.bootstrap import Container, build
from stockd.config import Settings
from stockd.entrypoints.api.app import create_app

settings = Settings()


async def _open() -> Container:
    url = settings.database_url
    if not url:
        raise RuntimeError("STOCKD_DATABASE_URL is not set")
    return await build(settings, url)


app = create_app(
    open_container=_open,
    workers=os.environ.get("STOCKD_API_RUNS_WORKERS", "1") == "1",
    max_body_bytes=settings.max_body_bytes,
)
