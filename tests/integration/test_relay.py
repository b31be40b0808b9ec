"""The relay to NATS JetStream, in process, against real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import orjson
import pytest
import pytest_asyncio

from stockd.adapters.nats.jetstream import JetStreamPublisher, StreamSettings
from stockd.adapters.postgres.leadership import PostgresLeadership
from stockd.adapters.postgres.relay_cursors import PostgresRelayCursors
from stockd.adapters.postgres.uow import PostgresUnitOfWorkFactory
from stockd.bootstrap import Container
from stockd.domain.events import StockAdjusted
from stockd.domain.quantities import LevelKey, Quantities
from stockd.entrypoints.api.schemas.events import EventRead
from stockd.service.ports import PublisherUnavailable
from stockd.service.relay import Relay, RelayPolicy
from tests.nats_server import NatsServer
from tests.relay_support import adjustments, stream_messages, wait_for_id
from tests.support import ADMIN, T0, seed


@pytest_asyncio.fixture
async def relaying(
    db: Container, nats_server: NatsServer
) -> AsyncIterator[tuple[Container, str, str]]:
    """A relay running over the test database into a stream of its own:
    (container, NATS URL, stream)."""
    assert db.pool is not None
    assert db.database_url is not None
    stream = f"T_{secrets.token_hex(4)}"
    relay = Relay(
        db.reads,
        db.watch,
        JetStreamPublisher(nats_server.url, StreamSettings(name=stream)),
        # A key of its own: the session's other tests share this database.
        PostgresLeadership(db.database_url, key=secrets.randbits(62)),
        PostgresRelayCursors(db.pool),
        RelayPolicy(source="/stockd/test", idle=0.2),
    )
    task = asyncio.create_task(relay.run())
    try:
        yield db, nats_server.url, stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_relay_publishes_each_event_once_in_seq_order_as_a_cloudevent(
    relaying: tuple[Container, str, str],
) -> None:
    db, url, stream = relaying
    await seed(db.bus, skus={"A": 0, "B": 0}, locations={"x": 1}, stock={("A", "x"): 5})
    await db.bus.handle(adjustments(10, ["A", "B"], "x"), ADMIN)
    records = await db.reads.events(0, 1000)
    await wait_for_id(url, stream, records[-1].seq)

    messages = await stream_messages(url, stream)
    assert [int(h["Nats-Msg-Id"]) for _, h, _ in messages] == [r.seq for r in records]
    for (subject, headers, body), record in zip(messages, records, strict=True):
        assert subject == f"stockd.events.{record.event.type}"
        assert body["id"] == headers["Nats-Msg-Id"] == str(record.seq)
    # One document, field by field: the event as GET /v1/events shows it.
    subject, headers, body = next(m for m in messages if m[2]["type"] == "stockd.stock.adjusted")
    record = next(r for r in records if str(r.seq) == body["id"])
    assert subject == "stockd.events.stock.adjusted"
    assert body == {
        "specversion": "1.0",
        "id": str(record.seq),
        "source": "/stockd/test",
        "type": "stockd.stock.adjusted",
        "subject": "A",
        "time": "2026-01-01T12:00:00Z",
        "datacontenttype": "application/json",
        "data": orjson.loads(EventRead.of(record).model_dump_json()),
    }
    assert body["data"]["seq"] == record.seq
    assert body["data"]["delta"] == {"on_hand": 5}
    # An event about no SKU has no `subject` (CloudEvents: absent, not null).
    location = next(b for _, _, b in messages if b["type"] == "stockd.location.created")
    assert "subject" not in location


async def test_a_rolled_back_transaction_is_never_published_and_the_relay_goes_past_its_gap(
    relaying: tuple[Container, str, str],
) -> None:
    db, url, stream = relaying
    assert db.pool is not None
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    factory = PostgresUnitOfWorkFactory(db.pool)
    async with factory() as uow:  # never committed: rolled back on exit
        await uow.ledger.append(
            [
                StockAdjusted(
                    at=T0,
                    actor="test",
                    key=LevelKey("A", "x"),
                    delta=Quantities(on_hand=1),
                    after=Quantities(on_hand=2),
                )
            ]
        )
        await uow.ledger.flush()
        rolled_back = await uow._conn.fetchval("SELECT max(seq) FROM ledger_events")
    await db.bus.handle(adjustments(3, ["A"], "x"), ADMIN)
    seqs = [r.seq for r in await db.reads.events(0, 1000)]
    assert rolled_back not in seqs
    assert seqs[-1] > rolled_back
    await wait_for_id(url, stream, seqs[-1])
    ids = [int(h["Nats-Msg-Id"]) for _, h, _ in await stream_messages(url, stream)]
    assert ids == seqs


async def test_relay_resumes_from_its_database_cursor_when_the_stream_was_purged(
    relaying: tuple[Container, str, str],
) -> None:
    db, url, stream = relaying
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 1})
    first = await db.reads.ledger_head()
    await wait_for_id(url, stream, first)
    nc = await nats.connect(url)
    try:
        await nc.jetstream().purge_stream(stream)
    finally:
        await nc.close()
    await db.bus.handle(adjustments(2, ["A"], "x"), ADMIN)
    head = await db.reads.ledger_head()
    await wait_for_id(url, stream, head)
    ids = [int(h["Nats-Msg-Id"]) for _, h, _ in await stream_messages(url, stream)]
    assert ids == [r.seq for r in await db.reads.events(first, 1000)]


async def test_the_nats_consumer_in_the_docs_runs_and_prints_each_event(
    relaying: tuple[Container, str, str], tmp_path: Path
) -> None:
    db, url, stream = relaying
    text = (Path(__file__).parents[2] / "docs" / "events.md").read_text()
    code = text.split("<!-- nats-consumer -->\n```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 12
    script = tmp_path / "consumer.py"
    script.write_text(
        code.replace("nats://127.0.0.1:4222", url).replace('"STOCKD_EVENTS"', f'"{stream}"')
    )
    await seed(db.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 4})
    records = await db.reads.events(0, 1000)
    consumer = await asyncio.create_subprocess_exec(
        sys.executable, str(script), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert consumer.stdout is not None
        lines = [
            (await asyncio.wait_for(consumer.stdout.readline(), 20)).decode().split(" ", 3)
            for _ in records
        ]
    finally:
        consumer.kill()
        await consumer.wait()
    assert [int(x[0]) for x in lines] == [r.seq for r in records]
    assert lines[-1][1:] == ["stockd.stock.adjusted", "A", "{'on_hand': 4}\n"]


async def test_a_stream_nats_will_not_create_is_reported_by_its_reason(nats_server):
    nc = await nats.connect(nats_server.url)
    try:
        await nc.jetstream().add_stream(name="SOMEONE_ELSES", subjects=["stockd.events.>"])
        publisher = JetStreamPublisher(nats_server.url, StreamSettings(name="STOCKD_EVENTS"))
        with pytest.raises(PublisherUnavailable, match="subjects overlap"):
            await publisher.prepare()
        await publisher.close()
    finally:
        await nc.close()
