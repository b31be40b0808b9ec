"""What problem documents say: scopes, times, allowed methods, contention."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from stockd.bootstrap import Container, build
from stockd.config import Settings
from stockd.entrypoints.api.app import create_app
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api


async def test_a_forbidden_problem_names_scopes_plainly(api: Api, db: Container) -> None:
    _, token = await create_key(db.bus, "reader", {Scope.READ})
    r = await api.post(
        "/v1/skus",
        json={"sku": "Z", "product_id": "P", "name": "Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403
    problem = r.json()
    assert problem["detail"] == "this key has scope 'read'; the request needs 'admin'"
    assert (problem["scopes"], problem["needed"]) == (["read"], "admin")


async def test_times_in_problems_read_like_times_in_resources(api: Api, db: Container) -> None:
    await api.setup_basics()
    r = await api.post(
        "/v1/reservations", json={"lines": [{"sku": "A", "quantity": 1}], "ttl_seconds": 30}
    )
    held = r.json()
    assert held["expires_at"] == "2026-01-01T12:00:30Z"
    db.clock.advance(31)  # type: ignore[attr-defined]
    # Past its deadline while active, then closed as expired: both are reported.
    for _ in range(2):
        r = await api.post(f"/v1/reservations/{held['id']}/commit", json={"order_id": "O"})
        problem = r.json()
        assert problem["code"] == "reservation_expired"
        assert problem["expires_at"] == held["expires_at"]
        assert held["expires_at"] in problem["detail"]


async def test_every_405_names_the_methods_the_path_allows(api: Api) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    checked = 0
    patterns = {t: re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$") for t in paths}
    for template in paths:
        path = re.sub(r"\{[^}]+\}", "X1", template)
        # A literal path may also match a template with a parameter
        # (`/v1/channels/rebalance` and `/v1/channels/{channel_id}`).
        allowed = {m.upper() for t, ops in paths.items() if patterns[t].match(path) for m in ops}
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed):
            r = await api.request(method, path)
            assert r.status_code == 405, (method, path, r.text)
            assert set(r.headers["allow"].split(", ")) == allowed, (method, path)
            assert r.json()["code"] == "method_not_allowed"
            checked += 1
    assert checked > 50
    r = await api.post("/openapi.json")  # a plain Starlette route
    assert (r.status_code, r.headers["allow"]) == (405, "GET, HEAD")


@pytest.fixture
async def impatient(db: Container, database_url: str, settings: Settings) -> AsyncIterator[Api]:
    """A client of an app whose writes wait at most 200 ms for a row lock."""
    container = await build(
        settings.model_copy(update={"lock_timeout_ms": 200}), database_url, clock=db.clock
    )
    _, token = await create_key(container.bus, "impatient", {Scope.ADMIN})
    try:
        async with Api(
            transport=httpx.ASGITransport(app=create_app(container, workers=False)),
            base_url="http://stockd.test",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            yield client
    finally:
        await container.close()


HOLD = {"lines": [{"sku": "A", "quantity": 1}]}


@pytest.mark.parametrize(
    ("locked", "method", "path", "body"),
    [
        ("skus WHERE sku = 'A'", "PATCH", "/v1/skus/A", {"name": "B"}),
        ("levels WHERE sku = 'A'", "POST", "/v1/reservations", HOLD),
    ],
    ids=["catalog write", "hold (hot path)"],
)
async def test_a_lock_held_past_the_lock_timeout_is_a_503_busy(
    api: Api,
    impatient: Api,
    raw: asyncpg.Connection,
    locked: str,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    await api.setup_basics()
    async with raw.transaction():
        await raw.execute(f"SELECT 1 FROM {locked} FOR UPDATE")
        r = await impatient.request(method, path, json=body)
    assert (r.status_code, r.headers["content-type"]) == (503, "application/problem+json")
    assert (r.json()["code"], r.headers["retry-after"]) == ("busy", "1")
    assert "lock" in r.json()["detail"]
    r = await impatient.request(method, path, json=body)  # the lock is gone
    assert r.status_code in (200, 201), r.text
