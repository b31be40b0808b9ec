"""`GET /v1/stream`: the ledger live over Server-Sent Events, against a real
server. A client that reconnects with Last-Event-ID during writes misses
nothing and gets nothing twice; idle connections get heartbeats; a client
that stops reading is cut off; the server stops with streams open."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.conftest import serving
from tests.e2e.server import LiveServer, stop

SEND_TIMEOUT = 2.0
EVENTS = 16_000
"""Events the cut-off test makes a stalled client miss."""


@pytest.fixture(scope="module")
def streaming(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(
        pg_server_url,
        tmp_path_factory.mktemp("stream"),
        "stockd_stream",
        STOCKD_STREAM_HEARTBEAT_SECONDS="0.3",
        STOCKD_STREAM_SEND_TIMEOUT_SECONDS=str(SEND_TIMEOUT),
    ) as server:
        yield server


def set_up(server: LiveServer, sku: str, location: str) -> None:
    with httpx.Client(base_url=server.url, headers=server.headers) as c:
        assert c.post("/v1/locations", json={"id": location, "name": location}).status_code == 201
        r = c.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
        assert r.status_code == 201


def adjust(c: httpx.Client, sku: str, location: str, n: int, reason: str = "r") -> None:
    change = {"sku": sku, "location": location, "state": "on_hand", "delta": 1, "reason": reason}
    r = c.post("/v1/adjustments", json={"changes": [change] * n})
    assert r.status_code == 200, r.text


def messages(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """SSE messages (comment lines as {"comment": ...})."""
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if fields:
                yield fields
            fields = {}
        elif line.startswith(":"):
            yield {"comment": line[1:].strip()}
        else:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def read_events(
    server: LiveServer, params: dict[str, str], headers: dict[str, str], count: int
) -> list[dict[str, Any]]:
    """`count` events from a new stream, then disconnect."""
    found: list[dict[str, Any]] = []
    with (
        httpx.Client(base_url=server.url, headers=server.headers, timeout=20) as c,
        c.stream("GET", "/v1/stream", params=params, headers=headers) as r,
    ):
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for m in messages(r.iter_lines()):
            if "comment" in m:
                continue
            event = orjson.loads(m["data"])
            assert (int(m["id"]), m["event"]) == (event["seq"], event["type"])
            found.append(event)
            if len(found) == count:
                break
    return found


def test_a_client_reconnecting_with_last_event_id_during_writes_misses_nothing(
    streaming: LiveServer, unique: str
) -> None:
    sku, location = f"S-{unique}", f"wh-{unique}"
    set_up(streaming, sku, location)
    writes, per_write = 40, 5
    params = {"sku": sku, "type": "stock.adjusted", "after": "0"}

    def write() -> None:
        with httpx.Client(base_url=streaming.url, headers=streaming.headers) as c:
            for _ in range(writes):
                adjust(c, sku, location, per_write)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        seen: list[dict[str, Any]] = []
        last: dict[str, str] = {}
        while len(seen) < writes * per_write:  # reconnect after every 37 events
            chunk = read_events(streaming, params, last, min(37, writes * per_write - len(seen)))
            seen += chunk
            last = {"Last-Event-ID": str(chunk[-1]["seq"])}
    finally:
        writer.join()
    seqs = [e["seq"] for e in seen]
    assert seqs == sorted(set(seqs)), "in seq order, none twice"
    with httpx.Client(base_url=streaming.url, headers=streaming.headers) as c:
        page = c.get("/v1/events", params={"sku": sku, "type": "stock.adjusted", "limit": "1000"})
    assert seqs == [e["seq"] for e in page.json()["items"]], "none missed"
    assert seen == page.json()["items"], "each event as GET /v1/events shows it"


def test_a_stream_without_a_start_gets_only_new_events_and_heartbeats(
    streaming: LiveServer, unique: str
) -> None:
    sku, location = f"S-{unique}", f"wh-{unique}"
    set_up(streaming, sku, location)
    with httpx.Client(base_url=streaming.url, headers=streaming.headers, timeout=20) as c:
        adjust(c, sku, location, 1, reason="before")
        with c.stream("GET", "/v1/stream", params={"sku": sku}) as r:
            stream = messages(r.iter_lines())
            assert next(stream) == {"comment": "keep-alive"}  # idle: a heartbeat
            adjust(c, sku, location, 1, reason="after")
            m = next(m for m in stream if "comment" not in m)
    assert (m["event"], orjson.loads(m["data"])["reason"]) == ("stock.adjusted", "after")


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({}, {"Last-Event-ID": "abc"}, "Last-Event-ID"),
        ({"type": "nope.thing"}, {}, "type"),
        ({"after": "-1"}, {}, "query.after"),
        ({"order_id": "x"}, {}, "query.order_id"),  # not a filter of the stream
    ],
)
def test_bad_stream_requests_are_named(
    streaming: LiveServer, params: dict[str, str], headers: dict[str, str], field: str
) -> None:
    r = httpx.get(f"{streaming.url}/v1/stream", params=params, headers=streaming.headers | headers)
    assert r.status_code in (400, 422), r.text
    assert field in r.text


def test_a_client_that_stops_reading_is_cut_off(streaming: LiveServer, unique: str) -> None:
    sku, location = f"S-{unique}", f"wh-{unique}"
    set_up(streaming, sku, location)
    client = socket.create_connection(("127.0.0.1", int(streaming.url.rsplit(":", 1)[1])))
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the client's kernel holds little
    request = (
        f"GET /v1/stream?sku={sku} HTTP/1.1\r\nHost: t\r\n"
        f"Authorization: Bearer {streaming.admin_key}\r\n\r\n"
    )
    client.sendall(request.encode())
    time.sleep(0.5)
    with httpx.Client(base_url=streaming.url, headers=streaming.headers, timeout=30) as c:
        for _ in range(EVENTS // 1000):  # ~10 MB of messages: more than sockets hold (~4 MB)
            adjust(c, sku, location, 1000, reason="x" * 200)
    time.sleep(SEND_TIMEOUT + 2)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)  # drain fast
    client.settimeout(15)
    received = 0
    while chunk := client.recv(65536):  # drains what was sent, then the server's close
        received += len(chunk)
    client.close()
    assert 0 < received < EVENTS * 400, "cut off before the stream ended (~600 bytes each)"
    assert httpx.get(f"{streaming.url}/readyz").status_code == 200


def test_the_server_stops_with_a_stream_open(pg_server_url: str, tmp_path: Path) -> None:
    grace = {"STOCKD_SHUTDOWN_GRACE_SECONDS": "1"}
    with (
        serving(pg_server_url, tmp_path, "stockd_stream_stop", **grace) as server,
        httpx.Client(base_url=server.url, headers=server.headers, timeout=20) as c,
        c.stream("GET", "/v1/stream") as r,
    ):
        assert r.status_code == 200
        started = time.monotonic()
        stop(server.process)  # SIGINT, as a user's Ctrl-C; killed after 20 s
        assert server.process.returncode == 0
        assert time.monotonic() - started < 10
