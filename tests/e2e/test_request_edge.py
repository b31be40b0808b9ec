"""What every request must meet before a route sees it, hot paths included:
bodies within STOCKD_MAX_BODY_BYTES however they are sent, JSON bodies only,
and only the query parameters the route declares."""

from __future__ import annotations

import asyncio
import re
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


# --- media types -----------------------------------------------------------

NOT_JSON = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    "application/xml",
]


@pytest.mark.parametrize("content_type", NOT_JSON)
@pytest.mark.parametrize(
    ("method", "path", "document"),
    [
        ("POST", "/v1/reservations", HOLD),
        ("POST", "/v1/adjustments", ADJUST),
        ("PATCH", "/v1/skus/A", {"name": "B"}),
    ],
    ids=["hold (hot path)", "adjustment", "sku patch"],
)
async def test_a_body_that_is_not_json_is_a_415_and_changes_nothing(
    api: Api, db: Container, method: str, path: str, document: Any, content_type: str
) -> None:
    await api.setup_basics()
    before = (await api.get("/v1/availability/A")).json(), await holds(db)
    r = await api.request(
        method, path, content=orjson.dumps(document), headers={"Content-Type": content_type}
    )
    assert (r.status_code, r.headers["content-type"]) == (415, PROBLEM), r.text
    problem = r.json()
    assert problem["code"] == "unsupported_media_type"
    assert "application/json" in problem["detail"]
    assert ((await api.get("/v1/availability/A")).json(), await holds(db)) == before


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "application/json; charset=utf-8", "application/vnd.x+json"],
)
@pytest.mark.parametrize(
    ("path", "document", "status"),
    [("/v1/reservations", HOLD, 201), ("/v1/adjustments", ADJUST, 200)],
    ids=["hold (hot path)", "adjustment"],
)
async def test_json_bodies_are_read_with_a_json_content_type_or_none(
    api: Api, path: str, document: Any, status: int, content_type: str | None
) -> None:
    await api.setup_basics()
    headers = {"Content-Type": content_type} if content_type else {}
    r = await api.post(path, content=orjson.dumps(document), headers=headers)
    assert "content-type" not in r.request.headers or content_type
    assert r.status_code == status, r.text


async def test_a_post_without_a_body_needs_no_content_type(api: Api) -> None:
    await api.setup_basics()
    held = (await api.post("/v1/reservations", json=HOLD)).json()
    r = await api.post(
        f"/v1/reservations/{held['id']}/release",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text


# --- query parameters ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "unknown", "accepted"),
    [
        (
            "/v1/events?typo=1",
            ["typo"],
            ["after", "limit", "type", "sku", "location", "order_id", "reservation_id", "wait"],
        ),
        ("/v1/levels?skus=x&limit=5", ["skus"], ["sku", "location", "limit", "cursor"]),
        ("/v1/availability/A?location=x&b=", ["b", "location"], []),
        ("/v1/skus/A?expand=all", ["expand"], []),
    ],
)
async def test_an_unknown_query_parameter_is_a_422_naming_it_and_the_accepted_ones(
    api: Api, path: str, unknown: list[str], accepted: list[str]
) -> None:
    await api.setup_basics()
    r = await api.get(path)
    assert (r.status_code, r.headers["content-type"]) == (422, PROBLEM), r.text
    problem = r.json()
    assert problem["code"] == "validation_failed"
    assert [e["field"] for e in problem["errors"]] == [f"query.{u}" for u in unknown]
    assert sorted(problem["accepted"]) == sorted(accepted)
    for name in unknown + accepted:
        assert name in problem["detail"]


async def test_every_get_refuses_an_unknown_query_parameter(api: Api) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    gets = [re.sub(r"\{[^}]+\}", "X1", p) for p, ops in paths.items() if "get" in ops]
    assert len(gets) >= 10
    for path in gets:
        r = await api.get(path, params={"zzz": "1"})
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "query.zzz"), path


async def test_a_post_with_an_unknown_query_parameter_does_nothing(api: Api, db: Container) -> None:
    await api.setup_basics()
    r = await api.post("/v1/reservations", params={"dry_run": "true"}, json=HOLD)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "query.dry_run")
    assert await holds(db) == 0


async def test_declared_query_parameters_still_work(api: Api) -> None:
    await api.setup_basics()
    r = await api.get("/v1/levels", params={"sku": "A", "location": "x", "limit": 5})
    assert r.status_code == 200, r.text
    assert (await api.get("/v1/events", params={"after": 0, "sku": "A"})).status_code == 200
    assert (await api.get("/v1/availability/A")).status_code == 200
