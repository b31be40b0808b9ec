"""`stockd reconcile`, run as a user runs it: exit 0 when clean, 1 when it
found differences (also with --apply, which repairs them), 2 for an unknown
SKU; --json prints the report."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg

from tests.e2e.server import cli_env, stockd


def _sql(url: str, statement: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def test_reconcile_reports_exits_and_repairs_a_tampered_level(
    fresh_db: str, tmp_path: Path
) -> None:
    env = cli_env(fresh_db, tmp_path)
    (tmp_path / "l.csv").write_text("id,name\nx,X\ny,Y\n")
    (tmp_path / "s.csv").write_text("sku,product_id,name\nA,P,A\nB,P,B\n")
    (tmp_path / "v.csv").write_text("sku,location,on_hand\nA,x,5\nA,y,3\nB,x,2\n")
    for kind, name in (("locations", "l"), ("skus", "s"), ("levels", "v")):
        assert stockd("import", kind, str(tmp_path / f"{name}.csv"), env=env).returncode == 0
    clean = stockd("reconcile", env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "3 levels checked, 0 differences" in clean.stdout

    _sql(fresh_db, "UPDATE levels SET on_hand = 7 WHERE sku = 'A' AND location = 'x'")
    found = stockd("reconcile", "--json", env=env)
    assert found.returncode == 1, found.stderr
    report = json.loads(found.stdout)
    assert report["id"].startswith("rec_")
    assert (report["levels_checked"], report["differences"], report["repaired"]) == (3, 1, 0)
    assert report["discrepancy_rate"] == round(1 / 3, 6)
    [finding] = report["findings"]
    assert (finding["check"], finding["subject"]) == ("replay", "A@x")
    assert (finding["expected"], finding["actual"]) == ({"on_hand": 5}, {"on_hand": 7})
    assert finding["seqs"]

    only_b = stockd("reconcile", "--sku", "B", env=env)
    assert only_b.returncode == 0, only_b.stdout
    assert "1 levels checked, 0 differences" in only_b.stdout

    repaired = stockd("reconcile", "--apply", env=env)
    assert repaired.returncode == 1, repaired.stderr  # it found one (and repaired it)
    assert "1 differences" in repaired.stdout
    assert "1 repaired" in repaired.stdout
    assert "A@x" in repaired.stdout
    assert stockd("ledger", "verify", env=env).returncode == 0
    assert stockd("reconcile", env=env).returncode == 0

    unknown = stockd("reconcile", "--sku", "NOPE", env=env)
    assert unknown.returncode == 2
    assert "unknown SKU 'NOPE'" in unknown.stderr
