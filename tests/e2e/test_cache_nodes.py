"""The read caches across two API nodes sharing one PostgreSQL and one Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import serving_nodes
from tests.e2e.server import LiveServer
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow

TTL = "60"
"""Long caches: whatever is seen sooner was seen through an invalidation."""


@pytest.fixture
def nodes(
    pg_server_url: str, redis_server: RedisServer, tmp_path: Path
) -> Iterator[tuple[LiveServer, LiveServer]]:
    with serving_nodes(
        pg_server_url,
        tmp_path,
        "stockd_nodes",
        2,
        STOCKD_REDIS_URL=redis_server.url,
        STOCKD_CACHE_TTL_SECONDS=TTL,
        STOCKD_CACHE_L2_TTL_SECONDS=TTL,
        STOCKD_CACHE_L2_TIMEOUT_SECONDS="0.1",
    ) as (a, b):
        yield a, b


def setup_sku(node: LiveServer, sku: str, units: int) -> None:
    h = node.headers
    httpx.post(f"{node.url}/v1/locations", json={"id": "w1", "name": "W1"}, headers=h)
    r = httpx.post(
        f"{node.url}/v1/skus", json={"sku": sku, "product_id": "P", "name": sku}, headers=h
    )
    assert r.status_code == 201, r.text
    adjust(node, sku, units)


def adjust(node: LiveServer, sku: str, delta: int) -> None:
    change = {"sku": sku, "location": "w1", "state": "on_hand", "delta": delta, "reason": "count"}
    r = httpx.post(f"{node.url}/v1/adjustments", json={"changes": [change]}, headers=node.headers)
    assert r.status_code == 200, r.text


def available(node: LiveServer, sku: str) -> int:
    r = httpx.get(f"{node.url}/v1/availability/{sku}", headers=node.headers)
    assert r.status_code == 200, r.text
    return int(r.json()["available"])


def seen_within(node: LiveServer, sku: str, expected: int, within: float) -> float:
    """Seconds until `node` answers `expected`; fails after `within`."""
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < within:
        if available(node, sku) == expected:
            return elapsed
        time.sleep(0.005)
    raise AssertionError(f"{node.url} still answered {available(node, sku)}, not {expected}")


def metrics(node: LiveServer) -> dict[str, float]:
    r = httpx.get(f"{node.url}/metrics")
    assert r.status_code == 200
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            label = s.labels.get("result", "")
            found[s.name + (f"[{label}]" if label else "")] = s.value
    return found


def test_a_change_through_one_node_is_seen_through_the_other_within_the_bound(nodes):
    a, b = nodes
    setup_sku(a, "CACHED", 10)
    assert available(b, "CACHED") == 10
    assert available(b, "CACHED") == 10
    before = metrics(b)
    assert before["stockd_cache_reads_total[l1_hit]"] >= 1
    for delta, expected in ((-3, 7), (5, 12), (-12, 0)):
        adjust(a, "CACHED", delta)
        # Far below the 60 s TTLs: only the invalidation explains it.
        seen_within(b, "CACHED", expected, within=2.0)
    assert metrics(b)["stockd_cache_invalidation_lag_seconds_count"] >= 3


def test_reads_go_on_when_redis_stops_and_recover_when_it_is_back(nodes, redis_server):
    a, b = nodes
    setup_sku(a, "REDIS-DOWN", 4)
    assert available(b, "REDIS-DOWN") == 4
    redis_server.stop()
    adjust(a, "REDIS-DOWN", 1)
    seen_within(b, "REDIS-DOWN", 5, within=2.0)
    assert available(a, "REDIS-DOWN") == 5
    assert metrics(b)["stockd_cache_l2_fallbacks_total"] >= 1
    redis_server.start()  # an empty Redis, as after a restart
    adjust(a, "REDIS-DOWN", 1)
    seen_within(b, "REDIS-DOWN", 6, within=3.0)
    seen_within(a, "REDIS-DOWN", 6, within=3.0)


def test_a_reader_told_of_an_event_by_a_node_reads_what_it_left_there(nodes):
    a, b = nodes
    setup_sku(a, "TOLD", 3)
    assert available(b, "TOLD") == 3  # cached on b
    with httpx.stream(
        "GET", f"{b.url}/v1/stream?sku=TOLD", headers=b.headers, timeout=10
    ) as stream:
        lines = stream.iter_lines()
        for delta, expected in ((2, 5), (-1, 4), (3, 7)):
            adjust(a, "TOLD", delta)
            while not next(lines).startswith("data:"):
                pass
            # No waiting: the node sent the event only once its cache let go.
            assert available(b, "TOLD") == expected
