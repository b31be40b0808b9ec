"""What every request must meet before a route sees it, hot paths included:
bodies within STOCKD_MAX_BODY_BYTES however they are sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest

from stockd.bootstrap import Container
from tests.e2e.conftest import Api
from tests.e2e.server import LiveServer

PROBLEM = "application/problem+json"
LIMIT = 256 * 1024  # the `api` fixture's
CHUNK = 16 * 1024
HOLD = {"lines": [{"sku": "A", "quantity": 1}]}
ADJUST = {"changes": [{"sku": "A", "location": "x", "state": "on_hand", "delta": 1, "reason": "r"}]}


class Upload:
    """A chunked request body (no Content-Length) that counts what was read."""

    def __init__(self, total: int, chunk: int = CHUNK) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    def chunks(self) -> Iterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b" " * self.chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks():
            yield chunk


async def chunked(document: Any) -> AsyncIterator[bytes]:
    body = orjson.dumps(document)
    for i in range(0, len(body), 7):
        yield body[i : i + 7]


async def holds(db: Container) -> int:
    assert db.pool is not None
    count: int = await db.pool.fetchval("SELECT count(*) FROM reservations")
    return count


# --- body size -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/adjustments", "/v1/reservations", "/v1/skus/A"])
async def test_a_chunked_body_over_the_limit_is_a_413_as_soon_as_the_limit_is_passed(
    api: Api, path: str
) -> None:
    await api.setup_basics()
    upload = Upload(4 * LIMIT)
    method = "PATCH" if path == "/v1/skus/A" else "POST"
    async with asyncio.timeout(30):
        r = await api.request(
            method, path, content=upload, headers={"Content-Type": "application/json"}
        )
    assert "content-length" not in r.request.headers
    assert (r.status_code, r.headers["content-type"]) == (413, PROBLEM), r.text
    assert r.json()["code"] == "payload_too_large"
    assert upload.sent <= LIMIT + CHUNK  # it stopped reading there


async def test_a_chunked_body_within_the_limit_is_read_as_usual(api: Api) -> None:
    await api.setup_basics()
    r = await api.post(
        "/v1/reservations", content=chunked(HOLD), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        "/v1/adjustments", content=chunked(ADJUST), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", ["/v1/adjustments", "/v1/reservations"])
def test_a_real_chunked_upload_over_the_limit_gets_a_413_from_the_server(
    live: LiveServer, path: str
) -> None:
    upload = Upload(4 * 1024 * 1024 + 10 * 65536, chunk=65536)  # the server's limit is 4 MiB
    with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as c:
        r = c.post(path, content=upload.chunks(), headers={"Content-Type": "application/json"})
        assert r.request.headers["transfer-encoding"] == "chunked"
        assert (r.status_code, r.headers["content-type"]) == (413, PROBLEM), r.text
        assert r.json()["code"] == "payload_too_large"
        assert c.get("/healthz").status_code == 200  # and carries on


def test_a_real_chunked_upload_within_the_limit_is_served(live: LiveServer, unique: str) -> None:
    def parts() -> Iterator[bytes]:
        body = orjson.dumps({"id": f"loc-{unique}", "name": "Chunked"})
        yield from (body[i : i + 5] for i in range(0, len(body), 5))

    with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as c:
        r = c.post("/v1/locations", content=parts(), headers={"Content-Type": "application/json"})
        assert r.request.headers["transfer-encoding"] == "chunked"
        assert r.status_code == 201, r.text
