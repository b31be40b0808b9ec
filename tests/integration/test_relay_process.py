"""`stockd worker relay` as a real process: killed, restarted, NATS
restarted under it, two of them at once. A JetStream consumer must see every
`seq` of the ledger exactly once, in order."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_asyncio

from stockd.adapters.postgres import migrate
from stockd.bootstrap import Container, build
from stockd.config import Settings
from tests.e2e.server import cli_env
from tests.nats_server import NatsServer
from tests.relay_support import last_id, stream_ids, wait_for_id, write_events
from tests.support import create_database, drop_database, seed

pytestmark = pytest.mark.slow

STREAM = "STOCKD_EVENTS"
SKUS = [f"R{i}" for i in range(100)]


@pytest_asyncio.fixture
async def ledger(pg_server_url: str, settings: Settings) -> AsyncIterator[Container]:
    """A database of its own (a relay publishes its whole ledger), seeded."""
    url = await create_database(pg_server_url, "stockd_relay")
    await asyncio.to_thread(migrate.upgrade, url)
    container = await build(settings, url)
    try:
        await seed(container.bus, skus=dict.fromkeys(SKUS, 0), locations={"x": 1})
        yield container
    finally:
        await container.close()
        await drop_database(pg_server_url, url)


@contextmanager
def relay_process(
    database_url: str, nats_url: str, home: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`stockd worker relay`, SIGKILLed at the end if it still runs."""
    home.mkdir(parents=True, exist_ok=True)
    env = cli_env(database_url, home, STOCKD_NATS_URL=nats_url, STOCKD_LOG_LEVEL="info")
    process = subprocess.Popen(
        [sys.executable, "-m", "stockd", "worker", "relay"],
        env=env,
        stdout=(home / "relay.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def published_past(nats_url: str, seq: int, within: float = 60) -> None:
    """Until the stream's last message is past `seq`."""
    await wait_for_id(nats_url, STREAM, seq + 1, within=within)


async def assert_every_seq_once_in_order(c: Container, nats_url: str) -> None:
    head = await c.reads.ledger_head()
    await wait_for_id(nats_url, STREAM, head, within=60)
    seqs = [r.seq for r in await c.reads.events(0, 100_000)]
    ids = await stream_ids(nats_url, STREAM)
    assert len(ids) == len(seqs)
    assert ids == seqs  # once each, ascending, and nothing that is not in the ledger


async def test_relay_killed_mid_stream_and_restarted_publishes_every_seq_once_in_order(
    ledger: Container, nats_server: NatsServer, tmp_path: Path
) -> None:
    assert ledger.database_url is not None
    start = await ledger.reads.ledger_head()
    writing = asyncio.create_task(write_events(ledger.bus, 10_000, SKUS, "x"))
    with relay_process(ledger.database_url, nats_server.url, tmp_path / "a") as first:
        await published_past(nats_server.url, start + 3_000)
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed_at = await last_id(nats_server.url, STREAM)
    with relay_process(ledger.database_url, nats_server.url, tmp_path / "b"):
        await writing
        await assert_every_seq_once_in_order(ledger, nats_server.url)
    assert start + 3_000 < killed_at < await ledger.reads.ledger_head()


async def test_relay_rides_out_a_nats_restart_mid_stream(
    ledger: Container, nats_server: NatsServer, tmp_path: Path
) -> None:
    assert ledger.database_url is not None
    start = await ledger.reads.ledger_head()
    writing = asyncio.create_task(write_events(ledger.bus, 10_000, SKUS, "x"))
    with relay_process(ledger.database_url, nats_server.url, tmp_path / "relay") as relay:
        await published_past(nats_server.url, start + 3_000)
        nats_server.stop()
        await asyncio.sleep(1)
        nats_server.start()
        await writing
        await assert_every_seq_once_in_order(ledger, nats_server.url)
        assert relay.poll() is None
    log = (tmp_path / "relay" / "relay.log").read_text()
    assert "broker unavailable" in log


async def test_only_the_leader_publishes_and_another_takes_over_within_seconds(
    ledger: Container, nats_server: NatsServer, tmp_path: Path
) -> None:
    assert ledger.database_url is not None
    url = ledger.database_url
    logs = {name: tmp_path / name / "relay.log" for name in ("a", "b")}
    with (
        relay_process(url, nats_server.url, tmp_path / "a") as a,
        relay_process(url, nats_server.url, tmp_path / "b") as b,
    ):
        await write_events(ledger.bus, 1_000, SKUS, "x")
        await assert_every_seq_once_in_order(ledger, nats_server.url)
        leading = [n for n, log in logs.items() if "relay: leading" in log.read_text()]
        assert len(leading) == 1, leading
        leader, other = (a, b) if leading == ["a"] else (b, a)
        leader.send_signal(signal.SIGKILL)
        leader.wait()
        killed = time.monotonic()
        await write_events(ledger.bus, 100, SKUS, "x")
        await wait_for_id(nats_server.url, STREAM, await ledger.reads.ledger_head(), within=10)
        took = time.monotonic() - killed
        assert other.poll() is None
        await write_events(ledger.bus, 1_000, SKUS, "x")
        await assert_every_seq_once_in_order(ledger, nats_server.url)
    assert took < 5, f"the other relay took over after {took:.1f} s"
    assert all("relay: leading" in log.read_text() for log in logs.values())
