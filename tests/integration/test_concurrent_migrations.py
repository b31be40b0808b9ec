"""Several nodes starting together migrate one at a time."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.support import create_database, drop_database


def test_three_processes_migrating_one_new_database_all_succeed(pg_server_url):
    url = asyncio.run(create_database(pg_server_url, "stockd_migrace"))
    try:
        code = f"from stockd.adapters.postgres import migrate; migrate.upgrade({url!r})"
        started = [
            subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(3)
        ]
        results = [(p.wait(120), p.stderr.read().decode() if p.stderr else "") for p in started]
        assert [code for code, _ in results] == [0, 0, 0], results
    finally:
        asyncio.run(drop_database(pg_server_url, url))
