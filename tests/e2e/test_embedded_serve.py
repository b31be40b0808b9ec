"""`stockd serve` with nothing configured: embedded PostgreSQL, first admin key."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.e2e.server import cli_env, start, stop

KEY = re.compile(r"sk_[0-9a-f]{8}_\S+")
UVICORN_STARTS = "Started server process"


def test_serve_starts_on_an_embedded_database_and_keeps_its_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(None, home)
    first_log = tmp_path / "first.log"
    process, url = start(env, first_log, timeout=120)
    try:
        found = KEY.search(first_log.read_text())
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


def test_the_first_start_is_a_few_lines_with_the_admin_key_set_apart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = tmp_path / "serve.log"
    process, _ = start(cli_env(None, home, STOCKD_LOG_LEVEL="info"), log, timeout=120)
    stop(process)
    lines = log.read_text().splitlines()
    startup = lines[: next(i for i, line in enumerate(lines) if UVICORN_STARTS in line)]
    assert len(startup) <= 10, "\n".join(startup)
    [at] = [i for i, line in enumerate(startup) if KEY.search(line)]
    assert KEY.fullmatch(startup[at].strip()), "the key alone on its line"
    assert startup[at - 1].strip() == startup[at + 1].strip() == "", "set apart by blank lines"
    assert "shown only this once" in startup[at - 2]
    assert "Authorization: Bearer" in "\n".join(startup[at + 2 :]), "what to do with it"


def test_postgres_output_goes_to_a_log_file_not_the_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = tmp_path / "serve.log"
    process, _ = start(cli_env(None, home, STOCKD_LOG_LEVEL="info"), log, timeout=120)
    stop(process)
    said = log.read_text()
    for noise in ("XDG_RUNTIME_DIR", "initdb", "pg_ctl", "Success. You can now start", "alembic"):
        assert noise not in said, said
    postgres_log = (home / "postgres.log").read_text()
    assert "initdb" in postgres_log
    assert "server started" in postgres_log
    assert str((home / "postgres.log").resolve()) in said, "the start-up line says where it is"
