"""Three `stockd serve` API nodes against one PostgreSQL, one NATS JetStream
and one Redis: holds through any node never oversell; a change through one
node is seen through the others within the staleness bound; SIGKILL of the
node that leads the relay loses nothing acknowledged, and the relay moves to
a surviving node; afterwards the stream holds every seq once, in order, and
`stockd ledger verify` is clean."""

from __future__ import annotations

import asyncio
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from stockd.adapters.postgres.leadership import RELAY_LOCK
from tests.e2e.conftest import serving_nodes
from tests.e2e.server import LiveServer, cli_env, stockd
from tests.nats_server import NatsServer
from tests.redis_server import RedisServer
from tests.relay_support import stream_ids, wait_for_id

pytestmark = pytest.mark.slow

UNITS = 60
ATTEMPTS_PER_NODE = 40
TTL = "60"
"""Long cache TTLs: a change seen sooner was seen through invalidation."""


@pytest.fixture
def cluster(
    pg_server_url: str, nats_server: NatsServer, redis_server: RedisServer, tmp_path: Path
) -> Iterator[tuple[list[LiveServer], str]]:
    with serving_nodes(
        pg_server_url,
        tmp_path,
        "stockd_three",
        3,
        STOCKD_NATS_URL=nats_server.url,
        STOCKD_REDIS_URL=redis_server.url,
        STOCKD_CACHE_TTL_SECONDS=TTL,
        STOCKD_CACHE_L2_TTL_SECONDS=TTL,
    ) as nodes:
        yield nodes, nodes[0].database_url


def leader(nodes: list[LiveServer], database_url: str) -> int | None:
    """Which node's process holds the relay's lock (its connection's
    application_name names the process)."""

    async def holder() -> str | None:
        conn = await asyncpg.connect(database_url)
        try:
            name: str | None = await conn.fetchval(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
                RELAY_LOCK,
            )
            return name
        finally:
            await conn.close()

    name = asyncio.run(holder())
    found = re.search(r" pid (\d+)$", name or "")
    if found is None:
        return None
    pid = int(found.group(1))
    for i, node in enumerate(nodes):
        if node.process.poll() is not None:
            continue
        tree = [psutil.Process(node.process.pid)]
        tree += tree[0].children(recursive=True)
        if any(p.pid == pid for p in tree):
            return i
    return None


def until(check, within: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {within} s")


def test_three_nodes_share_the_stock_the_caches_and_the_relay(cluster, nats_server):
    nodes, database_url = cluster
    h = nodes[0].headers
    first = nodes[0].url
    assert httpx.post(f"{first}/v1/locations", json={"id": "w", "name": "W"}, headers=h).is_success
    sku = {"sku": "TRIO", "product_id": "P", "name": "Trio"}
    assert httpx.post(f"{first}/v1/skus", json=sku, headers=h).is_success
    change = {"sku": "TRIO", "location": "w", "state": "on_hand", "delta": UNITS, "reason": "in"}
    assert httpx.post(f"{first}/v1/adjustments", json={"changes": [change]}, headers=h).is_success

    # Every node's cache holds the figure; a change through one is seen by all.
    for node in nodes:
        assert available(node, "TRIO") == UNITS

    the_leader = until(lambda: leader(nodes, database_url), 10, "a relay leads")

    # Holds through all three nodes at once; the relay's leader is SIGKILLed
    # part-way through. Twice as many asked for as there are.
    acknowledged: list[str] = []
    lock = threading.Lock()

    def hold(node: LiveServer) -> None:
        with httpx.Client(headers=h, timeout=10) as client:
            for _ in range(ATTEMPTS_PER_NODE):
                try:
                    r = client.post(
                        f"{node.url}/v1/reservations",
                        json={"lines": [{"sku": "TRIO", "quantity": 1}]},
                    )
                except httpx.TransportError:
                    return  # the node was killed: what it did not answer, it did not promise
                if r.status_code == 201:
                    with lock:
                        acknowledged.append(r.json()["id"])
                else:
                    assert r.status_code == 409, r.text

    workers = [threading.Thread(target=hold, args=(n,)) for n in nodes]
    for w in workers:
        w.start()
    until(lambda: True if len(acknowledged) >= 10 else None, 30, "holds acknowledged")
    nodes[the_leader].process.send_signal(signal.SIGKILL)
    nodes[the_leader].process.wait()
    for w in workers:
        w.join()
    survivors = [n for i, n in enumerate(nodes) if i != the_leader]

    # The relay moved to a surviving node within seconds.
    new_leader = until(lambda: leader(nodes, database_url), 15, "another relay leads")
    assert new_leader != the_leader

    # Nothing acknowledged was lost; nothing oversold.
    with httpx.Client(headers=h, timeout=10) as client:
        for rid in acknowledged:
            r = client.get(f"{survivors[0].url}/v1/reservations/{rid}")
            assert r.status_code == 200, rid
            assert r.json()["status"] == "active", rid
        level = client.get(f"{survivors[1].url}/v1/levels?sku=TRIO").json()["items"][0]
    assert len(acknowledged) <= UNITS
    assert level["reserved"] <= level["on_hand"] == UNITS
    assert level["reserved"] >= len(acknowledged)

    # A change through one survivor is seen through the other by invalidation.
    adjust = {"sku": "TRIO", "location": "w", "state": "on_hand", "delta": 5, "reason": "in"}
    r = httpx.post(f"{survivors[0].url}/v1/adjustments", json={"changes": [adjust]}, headers=h)
    assert r.is_success
    expected = UNITS + 5 - level["reserved"]
    until(
        lambda: True if available(survivors[1], "TRIO") == expected else None,
        2,
        "the change seen through the other node",
    )

    # The stream holds every seq of the ledger once, in order.
    head = asyncio.run(ledger_head(database_url))
    asyncio.run(wait_for_id(nats_server.url, "STOCKD_EVENTS", head))
    seqs = asyncio.run(ledger_seqs(database_url))
    assert asyncio.run(stream_ids(nats_server.url, "STOCKD_EVENTS")) == seqs

    verified = stockd("ledger", "verify", env=cli_env(database_url, Path(nodes[0].log).parent))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def available(node: LiveServer, sku: str) -> int:
    r = httpx.get(f"{node.url}/v1/availability/{sku}", headers=node.headers, timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["available"])


async def ledger_head(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM ledger_events"))
    finally:
        await conn.close()


async def ledger_seqs(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [
            int(r["seq"]) for r in await conn.fetch("SELECT seq FROM ledger_events ORDER BY seq")
        ]
    finally:
        await conn.close()
