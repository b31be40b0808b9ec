"""`stockd serve` with nothing configured: embedded PostgreSQL, first admin key."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.e2e.server import cli_env, start, stop


def test_serve_starts_on_an_embedded_database_and_keeps_its_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(None, home)
    first_log = tmp_path / "first.log"
    process, url = start(env, first_log, timeout=120)
    try:
        found = re.search(r"sk_[0-9a-f]{8}_\S+", first_log.read_text())
        assert found, first_log.read_text()
        headers = {"Authorization": f"Bearer {found.group(0)}"}
        r = httpx.post(f"{url}/v1/locations", json={"id": "home", "name": "Home"}, headers=headers)
        assert r.status_code == 201
    finally:
        stop(process)
    assert (home / "pgdata" / "PG_VERSION").exists()

    second_log = tmp_path / "second.log"
    process, url = start(env, second_log, timeout=120)
    try:
        assert "created an admin key" not in second_log.read_text()
        r = httpx.get(f"{url}/v1/locations/home", headers=headers)
        assert r.status_code == 200
    finally:
        stop(process)
