"""The bench's data load writes what stockd itself would: its levels and
their ledger agree, and stockd carries on numbering after them."""

from __future__ import annotations

from stockd.adapters.postgres import migrate
from stockd.bench.data import Shape, load
from stockd.bootstrap import build
from stockd.config import Settings
from stockd.domain.adjustments import Change
from stockd.domain.commands import Adjust
from stockd.domain.quantities import LevelKey, State
from tests.support import ADMIN, create_database, drop_database


async def test_a_small_bench_load_verifies_clean_and_takes_new_events(
    pg_server_url: str, settings: Settings
) -> None:
    url = await create_database(pg_server_url, "stockd_bench")
    try:
        await migrate.upgrade_async(url)
        counts = await load(url, Shape(skus=20, locations=3))
        assert counts["levels"] == 20 * 3 + 2
        c = await build(settings, url)
        try:
            assert (await c.reads.verify()).clean
            key = LevelKey("SKU-000001", "L00")
            await c.bus.handle(Adjust((Change(key, State.ON_HAND, "r", delta=1),)), ADMIN)
            [last] = (await c.reads.events(0, 100_000))[-1:]
            assert last.seq > counts["levels"]  # one counted event per level was loaded
            assert (await c.reads.verify()).clean
        finally:
            await c.close()
    finally:
        await drop_database(pg_server_url, url)
