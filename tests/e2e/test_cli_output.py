"""CLI output read by programs: nothing cut off when piped, and `--json` on every listing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg

from stockd import __version__
from stockd.adapters.postgres import migrate
from tests.e2e.server import cli_env, stockd

LONG_NAME = "key for the nightly export to the warehouse management system " * 3


def test_tables_are_not_cut_off_when_stdout_is_not_a_terminal(
    fresh_db: str, tmp_path: Path
) -> None:
    env = cli_env(fresh_db, tmp_path)
    created = stockd("keys", "create", "--scope", "read", "--name", LONG_NAME.strip(), env=env)
    assert created.returncode == 0, created.stderr
    listed = stockd("keys", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "nightly" in line)
    assert LONG_NAME.strip() in row
    assert "…" not in listed.stdout


def test_keys_list_as_json(fresh_db: str, tmp_path: Path) -> None:
    env = cli_env(fresh_db, tmp_path)
    token = stockd("keys", "create", "--scope", "write", "--name", "shop", env=env).stdout.strip()
    result = stockd("keys", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    [key] = json.loads(result.stdout)
    assert key["id"] == token.split("_")[1]
    assert (key["name"], key["scopes"], key["revoked_at"]) == ("shop", ["write"], None)
    assert key["created_at"].endswith("+00:00")
    assert token not in result.stdout


def test_status_as_json(fresh_db: str, tmp_path: Path) -> None:
    result = stockd("status", "--json", env=cli_env(fresh_db, tmp_path))
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["stockd"] == __version__
    assert status["schema"] == status["latest_schema"] == migrate.head()
    assert (status["skus"], status["ledger_head"], status["api_keys"]) == (0, 0, 0)


def test_import_report_and_ledger_verify_as_json(fresh_db: str, tmp_path: Path) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "l.csv").write_text("id,name\nx,X\n")
    (tmp_path / "s.csv").write_text("sku,product_id,name\nA,P,A\nbad sku,P,B\n")
    (tmp_path / "v.csv").write_text("sku,location,on_hand\nA,x,5\n")
    assert stockd("import", "locations", str(tmp_path / "l.csv"), env=env).returncode == 0
    result = stockd("import", "skus", str(tmp_path / "s.csv"), "--json", env=env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["kind"], report["rows"], report["imported"]) == ("skus", 2, 1)
    [bad] = report["bad"]
    assert bad["line"] == 3
    assert bad["problem"].startswith("sku: String should match pattern")
    assert stockd("import", "levels", str(tmp_path / "v.csv"), env=env).returncode == 0

    clean = stockd("ledger", "verify", "--json", env=env)
    assert clean.returncode == 0, clean.stdout
    assert json.loads(clean.stdout) == {
        "clean": True,
        "events": 3,  # the location, the SKU, the stock
        "levels": 1,
        "discrepancies": [],
    }

    async def tamper() -> None:
        conn = await asyncpg.connect(fresh_db)
        try:
            await conn.execute("UPDATE levels SET on_hand = 6")
        finally:
            await conn.close()

    asyncio.run(tamper())
    broken = stockd("ledger", "verify", "--json", env=env)
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["clean"] is False
    assert {
        "check": "replay",
        "level": "A@x",
        "detail": "changed behind the ledger's back: on_hand: level 6, ledger 5",
    } in report["discrepancies"]


def test_bench_quote_as_json(tmp_path: Path) -> None:
    result = stockd("bench", "quote", "--runs", "2", "--json", env=cli_env(None, tmp_path))
    assert result.returncode == 0, result.stderr
    quote = json.loads(result.stdout)
    assert {"scenario", "strategy", "median_ms", "p90_ms"} == set(quote["rows"][0])
