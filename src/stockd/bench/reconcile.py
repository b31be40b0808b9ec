"""`stockd bench reconcile`: time `stockd reconcile` over many levels.

A database of its own is filled in a few SQL statements (`generate_series`):
SKUs × locations levels, each with the `stock.counted` event that explains
it (so the ledger replays to the levels), and one level in `drift_every`
changed behind the ledger's back. Then `stockd reconcile --json` runs as a
user runs it (a process of its own), dry and then with `--apply`; the
figures are its wall time and its peak resident memory.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import asyncpg
import orjson

from stockd.adapters.postgres.rows import COUNTERS
from stockd.bench.run import bench_database

LOCATIONS = 10


@dataclass(frozen=True)
class Timed:
    mode: str
    levels: int
    differences: int
    repaired: int
    seconds: float
    levels_per_second: float
    peak_rss_mb: float
    exit_code: int


async def load(url: str, levels: int, drift_every: int) -> int:
    """Fill the database; how many levels drifted."""
    skus = max(1, levels // LOCATIONS)
    zeros = ", ".join("0" for _ in COUNTERS[1:])
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            f"""
            INSERT INTO locations (id, name, type, priority, created_at, updated_at)
            SELECT 'L' || lpad(j::text, 2, '0'), 'L' || j, 'warehouse', 1, now(), now()
            FROM generate_series(0, {LOCATIONS - 1}) j;
            INSERT INTO skus (sku, product_id, name, created_at, updated_at)
            SELECT 'SKU-' || lpad(i::text, 7, '0'), 'P', 'bench', now(), now()
            FROM generate_series(0, {skus - 1}) i;
            INSERT INTO levels (sku, location, on_hand, version, updated_at)
            SELECT s.sku, l.id, 100, 2, now() FROM skus s CROSS JOIN locations l
            ORDER BY 1, 2;
            INSERT INTO ledger_events (seq, type, sku, location,
                {", ".join(f"d_{c}" for c in COUNTERS)}, {", ".join(COUNTERS)}, actor, at)
            SELECT row_number() OVER (ORDER BY sku, location), 'stock.counted', sku, location,
                   100, {zeros}, 100, {zeros}, 'bench', now()
            FROM levels;
            SELECT setval('ledger_seq', (SELECT max(seq) FROM ledger_events));
            """
        )
        drifted = await conn.execute(
            f"""UPDATE levels SET on_hand = on_hand + 1
                WHERE abs(hashtext(sku || '@' || location)) % {drift_every} = 0"""
        )
        await conn.execute("VACUUM (ANALYZE) skus, locations, levels, ledger_events")
        return int(drifted.split()[-1])
    finally:
        await conn.close()


def reconcile(url: str, apply: bool) -> Timed:
    """Run `stockd reconcile --json` once; its time and peak memory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKD_")}
    env |= {
        "STOCKD_DATABASE_URL": url,
        "STOCKD_LOG_LEVEL": "warning",
        "STOCKD_HOME": tempfile.mkdtemp(prefix="stockd-bench-"),
    }
    args = [sys.executable, "-m", "stockd", "reconcile", "--json", *(["--apply"] if apply else [])]
    with tempfile.TemporaryFile() as out:
        started = time.monotonic()
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        report = orjson.loads(out.read())
    return Timed(
        mode="--apply" if apply else "report",
        levels=report["levels_checked"],
        differences=report["differences"],
        repaired=report["repaired"],
        seconds=round(seconds, 1),
        levels_per_second=round(report["levels_checked"] / seconds),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        exit_code=process.returncode,
    )


def run(levels: int, drift_every: int, say: object = print) -> tuple[int, float, list[Timed]]:
    """Load, then reconcile (report, repair, report again); the drifted
    levels, the load's seconds and the timed runs."""
    with bench_database("stockd_bench_reconcile") as url:
        started = time.monotonic()
        drifted = asyncio.run(load(url, levels, drift_every))
        loaded = time.monotonic() - started
        return drifted, loaded, [reconcile(url, False), reconcile(url, True), reconcile(url, False)]
