"""`stockd bench relay`: commit → JetStream consumer latency through the relay.

A database of its own (on the PostgreSQL server of `--server-url`), a
`stockd worker relay` process publishing into a stream of its own on the NATS
of STOCKD_NATS_URL, and an ordered push consumer. Events are offered at a
fixed rate (a transaction of `batch` adjustments every `batch / rate`
seconds); each event's latency is the time it reached the consumer minus its
`at` (the time of its transaction, taken before the commit). The stream is
deleted and the database dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import nats
import orjson
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from stockd.adapters.postgres import migrate
from stockd.bench.run import _db_url
from stockd.bootstrap import build
from stockd.config import Settings
from stockd.domain.adjustments import Change
from stockd.domain.catalog import Location, Sku
from stockd.domain.commands import Adjust, CreateLocation, CreateSku
from stockd.domain.quantities import LevelKey, State
from stockd.service.context import Context


@dataclass(frozen=True, slots=True)
class RelayLatency:
    offered_per_second: float
    achieved_per_second: float
    events: int
    received: int
    p50_ms: float
    p99_ms: float
    max_ms: float


async def measure(
    server_url: str, nats_url: str, rate: float = 1000, seconds: float = 20, batch: int = 10
) -> RelayLatency:
    name = f"stockd_bench_relay_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _db_url(server_url, name)
    stream = f"BENCH_{secrets.token_hex(4).upper()}"
    await asyncio.to_thread(migrate.upgrade, url)
    settings = Settings(env="test", _env_file=None)
    c = await build(settings, url)
    ctx = Context(actor="stockd:bench")
    skus = [f"B{i}" for i in range(batch)]
    await c.bus.handle(CreateLocation(Location("x", "X")), ctx)
    for sku in skus:
        await c.bus.handle(CreateSku(Sku(sku, "P", sku)), ctx)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKD_")}
    env |= {
        "STOCKD_DATABASE_URL": url,
        "STOCKD_NATS_URL": nats_url,
        "STOCKD_NATS_STREAM": stream,
        "STOCKD_LOG_LEVEL": "warning",
    }
    relay = subprocess.Popen(  # noqa: ASYNC220 (started once, before the clock runs)
        [sys.executable, "-m", "stockd", "worker", "relay"], env=env
    )
    nc = await nats.connect(nats_url)
    latencies: list[float] = []
    try:
        js = nc.jetstream()
        head = await c.reads.ledger_head()
        while True:  # the relay has created the stream and caught up
            try:
                info = await js.stream_info(stream)
                if info.state.messages >= head:
                    break
            except nats.js.errors.NotFoundError:
                pass
            await asyncio.sleep(0.1)

        async def arrived(msg: Msg) -> None:
            now = time.time()
            at = datetime.fromisoformat(orjson.loads(msg.data)["time"].replace("Z", "+00:00"))
            latencies.append((now - at.timestamp()) * 1000)

        sub = await js.subscribe(
            "stockd.events.>",
            stream=stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
            cb=arrived,
        )
        changes = Adjust(
            tuple(Change(LevelKey(s, "x"), State.ON_HAND, "bench", delta=1) for s in skus)
        )
        interval = batch / rate
        rounds = int(seconds / interval)
        start = time.monotonic()
        for i in range(rounds):
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await c.bus.handle(changes, ctx)
        took = time.monotonic() - start
        deadline = time.monotonic() + 30
        while len(latencies) < rounds * batch and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await sub.unsubscribe()
        await js.delete_stream(stream)
    finally:
        await nc.close()
        relay.terminate()
        relay.wait(10)
        await c.close()
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
    ordered = sorted(latencies)
    return RelayLatency(
        offered_per_second=rate,
        achieved_per_second=rounds * batch / took,
        events=rounds * batch,
        received=len(ordered),
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[int(len(ordered) * 0.99) - 1],
        max_ms=ordered[-1],
    )
