"""The `stockd` command line, run as a user runs it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx

from stockd import __version__
from stockd.adapters.postgres import migrate
from tests.e2e.server import LiveServer, cli_env, stockd


def test_keys_can_be_created_listed_used_and_revoked(live: LiveServer, tmp_path: Path) -> None:
    env = cli_env(live.database_url, tmp_path)
    created = stockd("keys", "create", "--scope", "read", "--name", "dashboard", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("sk_")
    listed = stockd("keys", "list", env=env)
    assert "dashboard" in listed.stdout
    assert token not in listed.stdout
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live.url, headers=headers) as c:
        assert c.get("/v1/locations").status_code == 200
        assert (
            c.post("/v1/skus", json={"sku": "X", "product_id": "P", "name": "X"}).status_code == 403
        )
        key_id = token.split("_")[1]
        revoked = stockd("keys", "revoke", key_id, env=env)
        assert revoked.returncode == 0, revoked.stdout
        assert c.get("/v1/locations").status_code == 401
    assert stockd("keys", "revoke", key_id, env=env).returncode == 1


def test_import_keeps_good_rows_and_reports_bad_ones_by_line(
    live: LiveServer, tmp_path: Path, unique: str
) -> None:
    env = cli_env(live.database_url, tmp_path)
    locations = tmp_path / "locations.csv"
    locations.write_text(
        "id,name,type,priority,lat,lon\n"
        f"imp-{unique},Import DC,warehouse,3,52.5,13.4\n"
        f"bad-{unique},Bad,castle,1,,\n"
    )
    skus = tmp_path / "skus.csv"
    skus.write_text(
        "sku,product_id,name,policy,backorder_cap\n"
        f"I1-{unique},P,One,deny,\n"
        f"I2-{unique},P,Two,backorder,5\n"
        f"I3-{unique},P,Three,deny,5\n"
        f"bad sku,P,Four,deny,\n"
    )
    levels = tmp_path / "levels.csv"
    levels.write_text(
        "sku,location,on_hand,safety_stock\n"
        f"I1-{unique},imp-{unique},40,2\n"
        f"I2-{unique},imp-{unique},-3,\n"
        f"NOPE-{unique},imp-{unique},1,\n"
        f"I2-{unique},imp-{unique},7,\n"
    )
    result = stockd("import", "locations", str(locations), env=env)
    assert result.returncode == 1
    assert "1 of 2 rows imported, 1 bad" in result.stdout
    assert "line 3: type: \"castle\" is not one of 'warehouse', 'store' or 'supplier'" in (
        result.stdout
    )

    result = stockd("import", "skus", str(skus), env=env)
    assert result.returncode == 1
    assert "2 of 4 rows imported, 2 bad" in result.stdout
    assert "line 4: " in result.stdout
    assert "backorder_cap needs policy 'backorder'" in result.stdout
    assert "line 5: sku: String should match pattern" in result.stdout

    result = stockd("import", "levels", str(levels), env=env)
    assert result.returncode == 1, result.stdout
    assert "2 of 4 rows imported, 2 bad" in result.stdout
    assert "line 3: " in result.stdout
    assert f"line 4: unknown SKU 'NOPE-{unique}'" in result.stdout

    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        level = c.get("/v1/levels", params={"sku": f"I1-{unique}"}).json()["items"][0]
        assert (level["on_hand"], level["safety_stock"], level["available"]) == (40, 2, 38)
        two = c.get("/v1/availability/" + f"I2-{unique}").json()
        assert two["available"] == 7
        assert c.get(f"/v1/skus/I2-{unique}").json()["backorder_cap"] == 5

    # Importing again updates what exists rather than failing.
    skus.write_text(f"sku,product_id,name\nI1-{unique},P,Renamed\n")
    assert stockd("import", "skus", str(skus), env=env).returncode == 0
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        assert c.get(f"/v1/skus/I1-{unique}").json()["name"] == "Renamed"


def test_status_shows_the_schema_and_the_counts(live: LiveServer, tmp_path: Path) -> None:
    result = stockd("status", env=cli_env(live.database_url, tmp_path))
    assert result.returncode == 0, result.stderr
    for words in ("schema", "skus", "active reservations", "ledger head"):
        assert words in result.stdout


def test_db_upgrade_migrates_a_fresh_database(fresh_db: str, tmp_path: Path) -> None:
    result = stockd("db", "upgrade", env=cli_env(fresh_db, tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"revision {migrate.head()}" in result.stdout.replace("\n", " ")


def test_a_database_at_the_latest_schema_is_used_without_loading_alembic(
    fresh_db: str, tmp_path: Path
) -> None:
    """Each command migrates its database first; once it is up to date that
    is one query, not an Alembic run (a second or more on every command)."""
    env = cli_env(fresh_db, tmp_path)
    assert stockd("db", "upgrade", env=env).returncode == 0
    probe = (
        "import sys; from stockd.adapters.postgres import migrate;"
        f" migrate.upgrade({fresh_db!r}); print(sorted(m for m in ('alembic', 'sqlalchemy')"
        " if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert (run.returncode, run.stdout.strip()) == (0, "[]"), run.stderr


def test_ledger_verify_exits_non_zero_and_names_a_tampered_level(
    fresh_db: str, tmp_path: Path
) -> None:
    env = cli_env(fresh_db, tmp_path)
    assert stockd("db", "upgrade", env=env).returncode == 0
    (tmp_path / "l.csv").write_text("id,name\nx,X\n")
    (tmp_path / "s.csv").write_text("sku,product_id,name\nA,P,A\n")
    (tmp_path / "v.csv").write_text("sku,location,on_hand\nA,x,5\n")
    for kind, name in (("locations", "l"), ("skus", "s"), ("levels", "v")):
        assert stockd("import", kind, str(tmp_path / f"{name}.csv"), env=env).returncode == 0
    clean = stockd("ledger", "verify", env=env)
    assert clean.returncode == 0, clean.stdout
    assert "3 events, 1 levels: clean" in clean.stdout  # location, SKU, stock

    async def tamper() -> None:
        conn = await asyncpg.connect(fresh_db)
        try:
            await conn.execute("UPDATE levels SET on_hand = 6")
        finally:
            await conn.close()

    asyncio.run(tamper())
    broken = stockd("ledger", "verify", env=env)
    assert broken.returncode == 1
    assert "A@x" in broken.stdout
    assert "on_hand: level 6, ledger 5" in broken.stdout


def test_version_alone_prints_the_version(tmp_path: Path) -> None:
    result = stockd("--version", env=cli_env(None, tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == __version__
