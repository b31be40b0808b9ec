"""`stockd bench staleness`: how long a change through one node takes to be
seen through another, with the read caches on (docs/caching.md).

Starts a PostgreSQL (STOCKD_BENCH_SERVER_URL or an embedded one), a Redis
(`redis-server` from PATH on a free port) and two `stockd serve` nodes with
long TTLs (so only invalidation can explain a change being seen), keeps the
second node's cache warm for a SKU, then changes it through the first node
`changes` times and measures, each time, from the first node's answer to
the second node's first read that shows it (reads back to back).
"""

from __future__ import annotations

import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from stockd.bench.run import _wait, bench_database, free_port, server_env, stop_all


@dataclass
class Staleness:
    changes: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    reads_per_change: float
    lag_p50_ms: float | None
    """The second node's own figure (`stockd_cache_invalidation_lag_seconds`)."""


@contextmanager
def redis() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("stockd bench staleness needs redis-server (Debian package redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def run(changes: int = 300, say: Callable[[str], None] = print) -> Staleness:
    with bench_database("stockd_stale") as db_url, redis() as redis_url:
        key = "sk_bench_" + secrets.token_urlsafe(24)
        home = Path(tempfile.mkdtemp(prefix="stockd-stale-"))
        procs: list[subprocess.Popen[bytes]] = []
        try:
            env = server_env(
                db_url,
                key,
                STOCKD_REDIS_URL=redis_url,
                STOCKD_CACHE_TTL_SECONDS="600",
                STOCKD_CACHE_L2_TTL_SECONDS="600",
            )
            urls = []
            for node in ("a", "b"):
                port = free_port()
                log = home / f"{node}.log"
                p = subprocess.Popen(
                    [sys.executable, "-m", "stockd", "serve", "--port", str(port)],
                    env=env | {"STOCKD_HOME": str(home / node)},
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
                procs.append(p)
                _wait(f"http://127.0.0.1:{port}/readyz", p, log)
                urls.append(f"http://127.0.0.1:{port}")
            say(f"nodes {urls[0]} and {urls[1]}, Redis {redis_url}")
            return _measure(urls[0], urls[1], key, changes)
        finally:
            stop_all(procs)
            shutil.rmtree(home, ignore_errors=True)


def _measure(a: str, b: str, key: str, changes: int) -> Staleness:
    h = {"Authorization": f"Bearer {key}"}
    with httpx.Client(headers=h, timeout=10) as ca, httpx.Client(headers=h, timeout=10) as cb:
        ca.post(f"{a}/v1/locations", json={"id": "w1", "name": "W1"}).raise_for_status()
        ca.post(f"{a}/v1/skus", json={"sku": "S", "product_id": "P", "name": "S"})
        seen: list[float] = []
        reads = 0
        for i in range(changes):
            cb.get(f"{b}/v1/availability/S")  # warm: B answers from its cache
            change = {"sku": "S", "location": "w1", "state": "on_hand", "delta": 1}
            r = ca.post(f"{a}/v1/adjustments", json={"changes": [change | {"reason": "n"}]})
            r.raise_for_status()
            done = time.perf_counter()
            while True:
                reads += 1
                if cb.get(f"{b}/v1/availability/S").json()["available"] == i + 1:
                    seen.append((time.perf_counter() - done) * 1000)
                    break
        lag = _lag_p50(cb.get(f"{b}/metrics").text)
    seen.sort()
    return Staleness(
        changes=changes,
        p50_ms=statistics.median(seen),
        p99_ms=seen[min(len(seen) - 1, int(len(seen) * 0.99))],
        max_ms=seen[-1],
        reads_per_change=reads / changes,
        lag_p50_ms=lag,
    )


def _lag_p50(text: str) -> float | None:
    """The median of B's invalidation lag histogram (its bucket bound), ms."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        if family.name != "stockd_cache_invalidation_lag_seconds":
            continue
        buckets = [
            (float(s.labels["le"]), s.value) for s in family.samples if s.name.endswith("_bucket")
        ]
        total = buckets[-1][1] if buckets else 0
        for bound, n in buckets:
            if total and n >= total / 2:
                return bound * 1000
    return None
