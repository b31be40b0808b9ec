"""`stockd bench atp`: `GET /v1/atp/{sku}` and `POST /v1/promise` for one
variant of a product with thousands of variants, beside `GET
/v1/availability/{sku}` in the same run, over HTTP.

Starts one `stockd serve` over a new database (on STOCKD_BENCH_SERVER_URL,
or an embedded PostgreSQL), loads the data through the API (so every unit
has its ledger events), then times the three requests interleaved, one at a
time from one keep-alive connection: latency, not throughput.

The data is loaded by the steps in `LOADERS`, each a name and a function
of the client and the `Shape`: the issue's shape is a product of 5,000
made-to-order variants across 3 capacity pools with 52 weeks of capacity
each, 200 open purchase orders, and (here) stock on hand and transfers in
flight too, so that every kind of supply is read.
"""

from __future__ import annotations

import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from stockd.bench.run import _wait, bench_database, free_port, server_env, stop_all
from stockd.domain.weeks import IsoWeek


@dataclass(frozen=True)
class Shape:
    variants: int = 5_000
    """Variants (SKUs) of the one product."""
    transfers: int = 20
    """Transfers in flight carrying the measured variant."""
    units: int = 50
    """On hand per variant and location."""
    pools: int = 3
    """Capacity pools the variants are made in (variant i in pool i % pools)."""
    weeks: int = 52
    """Weeks of capacity set in each pool, from its first bookable week."""
    purchase_orders: int = 200
    """Open purchase orders, each with the measured variant and four others."""

    def variant(self, i: int) -> str:
        return f"SOFA-{i:05d}"

    @property
    def measured(self) -> str:
        """The variant whose ATP and promise are timed: the middle one."""
        return self.variant(self.variants // 2)


# Warehouses with their zones: ATP dates are in each one's calendar.
LOCATIONS = (
    ("ber", "DE", 52.52, 13.40, "Europe/Berlin"),
    ("muc", "DE", 48.14, 11.58, "Europe/Berlin"),
    ("par", "FR", 48.86, 2.35, "Europe/Paris"),
    ("mad", "ES", 40.42, -3.70, "Europe/Madrid"),
    ("lax", "US", 34.05, -118.24, "America/Los_Angeles"),
)
SHIP_TO = {"lat": 53.55, "lon": 9.99, "region": "DE"}


@dataclass
class Timing:
    request: str
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float


Loader = Callable[[httpx.Client, Shape], None]


def load_locations(client: httpx.Client, shape: Shape) -> None:
    for i, (loc, region, lat, lon, zone) in enumerate(LOCATIONS):
        body = {
            "id": loc,
            "name": loc,
            "region": region,
            "lat": lat,
            "lon": lon,
            "timezone": zone,
            "priority": i + 1,
        }
        _ok(client.post("/v1/locations", json=body))


def pool(i: int) -> str:
    return f"pool-{i}"


def load_pools(client: httpx.Client, shape: Shape) -> None:
    """The capacity pools (workshops at the first locations, two weeks' lead
    time), each with `weeks` weeks of 40 units from its first bookable week."""
    for i in range(shape.pools):
        workshop = LOCATIONS[i % len(LOCATIONS)][0]
        body = {"id": pool(i), "location": workshop, "name": pool(i), "lead_time_weeks": 2}
        _ok(client.post("/v1/capacity-pools", json=body))
        shown = client.get(f"/v1/capacity-pools/{pool(i)}/weeks")
        _ok(shown)
        first = IsoWeek.parse(shown.json()["weeks"][0]["week"]) + 2
        weeks = [{"week": str(first + n), "units": 40} for n in range(shape.weeks)]
        _ok(client.put(f"/v1/capacity-pools/{pool(i)}/weeks", json={"weeks": weeks}))


def load_variants(client: httpx.Client, shape: Shape) -> None:
    """The product's variants, made to order in the pools, and stock of each
    at every other location (`units` each: floor models and returns), in
    adjustments of up to 1,000 changes."""
    for i in range(shape.variants):
        sku = shape.variant(i)
        body = {
            "sku": sku,
            "product_id": "SOFA",
            "name": sku,
            "inventory_type": "made_to_order",
            "capacity_pool": pool(i % shape.pools),
        }
        _ok(client.post("/v1/skus", json=body))
    changes = [
        {
            "sku": shape.variant(i),
            "location": loc,
            "state": "on_hand",
            "delta": shape.units,
            "reason": "bench load",
        }
        for i in range(shape.variants)
        for j, (loc, *_) in enumerate(LOCATIONS)
        if (i + j) % 2 == 0
    ]
    for start in range(0, len(changes), 1000):
        _ok(client.post("/v1/adjustments", json={"changes": changes[start : start + 1000]}))


def load_transfers(client: httpx.Client, shape: Shape) -> None:
    """Transfers in flight of the measured variant (inbound at their ETA)."""
    sku = shape.measured
    stocked = [x["location"] for x in client.get(f"/v1/availability/{sku}").json()["locations"]]
    places = [loc for loc, *_ in LOCATIONS]
    for n in range(shape.transfers):
        source = stocked[n % len(stocked)]
        destination = next(p for p in places[n % len(places) :] + places if p != source)
        body = {"from": source, "to": destination, "lines": [{"sku": sku, "quantity": 1}]}
        _ok(client.post("/v1/transfers", json=body))


def load_purchase_orders(client: httpx.Client, shape: Shape) -> None:
    """Open purchase orders due over the coming months, each with the
    measured variant (so its ATP reads every one) and four others."""
    now = datetime.now(UTC)
    for n in range(shape.purchase_orders):
        others = [shape.variant((n * 4 + k) % shape.variants) for k in range(1, 5)]
        skus = [shape.measured, *(x for x in others if x != shape.measured)]
        body = {
            "id": f"PO-{n:04d}",
            "supplier": "bench",
            "location": LOCATIONS[n % len(LOCATIONS)][0],
            "lines": [{"sku": sku, "quantity": 5} for sku in skus],
            "expected_at": (now + timedelta(days=1 + n % 180)).isoformat(),
        }
        _ok(client.post("/v1/purchase-orders", json=body))


LOADERS: tuple[tuple[str, Loader], ...] = (
    ("locations", load_locations),
    ("capacity pools and their weeks", load_pools),
    ("variants and their stock", load_variants),
    ("transfers in flight", load_transfers),
    ("purchase orders", load_purchase_orders),
)


def _ok(response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")


def run(
    shape: Shape, requests: int = 2000, say: Callable[[str], None] = print
) -> tuple[list[Timing], float]:
    """The timings of each request, and the seconds the load took."""
    with bench_database("stockd_atp") as db_url:
        key = "sk_bench_" + secrets.token_urlsafe(24)
        home = Path(tempfile.mkdtemp(prefix="stockd-atp-"))
        procs: list[subprocess.Popen[bytes]] = []
        try:
            env = server_env(db_url, key, STOCKD_HOME=str(home))
            port = free_port()
            log = home / "serve.log"
            p = subprocess.Popen(
                [sys.executable, "-m", "stockd", "serve", "--port", str(port)],
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            procs.append(p)
            url = f"http://127.0.0.1:{port}"
            _wait(f"{url}/readyz", p, log)
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                started = time.perf_counter()
                for name, step in LOADERS:
                    say(f"loading {name}")
                    step(client, shape)
                loaded = time.perf_counter() - started
                say(f"loaded in {loaded:.1f}s; timing {requests} requests of each")
                return measure(client, shape, requests), loaded
        finally:
            stop_all(procs)
            shutil.rmtree(home, ignore_errors=True)


def measure(client: httpx.Client, shape: Shape, requests: int) -> list[Timing]:
    """Each request `requests` times (after a tenth as many to warm up),
    the three interleaved so that they meet the same server state."""
    sku = shape.measured
    promise = {"lines": [{"sku": sku, "quantity": 2}], "ship_to": SHIP_TO}
    calls: dict[str, Callable[[], httpx.Response]] = {
        "GET /v1/availability/{sku}": lambda: client.get(f"/v1/availability/{sku}"),
        "GET /v1/atp/{sku}": lambda: client.get(f"/v1/atp/{sku}"),
        "POST /v1/promise": lambda: client.post("/v1/promise", json=promise),
    }
    seen: dict[str, list[float]] = {name: [] for name in calls}
    warm = max(1, requests // 10)
    for i in range(warm + requests):
        for name, call in calls.items():
            t = time.perf_counter()
            response = call()
            elapsed = (time.perf_counter() - t) * 1000
            _ok(response)
            if i >= warm:
                seen[name].append(elapsed)
    return [_timing(name, sorted(times)) for name, times in seen.items()]


def _timing(name: str, times: list[float]) -> Timing:
    return Timing(
        request=name,
        requests=len(times),
        p50_ms=statistics.median(times),
        p99_ms=times[min(len(times) - 1, int(len(times) * 0.99))],
        max_ms=times[-1],
        mean_ms=statistics.fmean(times),
    )
