"""HTTP fixtures: the app in-process over the test database, and a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from stockd.bootstrap import Container
from stockd.entrypoints.api.app import create_app
from stockd.service.auth import Scope, create_key


class Api(httpx.AsyncClient):
    token: str

    async def setup_basics(self) -> None:
        """Location x (priority 1), y (2); SKU A with 10 on hand at x."""
        for loc, prio in (("x", 1), ("y", 2)):
            r = await self.post("/v1/locations", json={"id": loc, "name": loc, "priority": prio})
            assert r.status_code == 201, r.text
        r = await self.post("/v1/skus", json={"sku": "A", "product_id": "P", "name": "A"})
        assert r.status_code == 201, r.text
        r = await self.post(
            "/v1/adjustments",
            json={
                "changes": [
                    {"sku": "A", "location": "x", "state": "on_hand", "delta": 10, "reason": "r"}
                ]
            },
        )
        assert r.status_code == 200, r.text


@pytest_asyncio.fixture
async def api(db: Container) -> AsyncIterator[Api]:
    """An admin client of the app over the (emptied) test database."""
    _, token = await create_key(db.keys, "test admin", {Scope.ADMIN}, db.clock.now())
    app = create_app(db, workers=False, max_body_bytes=256 * 1024)
    async with Api(
        transport=httpx.ASGITransport(app=app),
        base_url="http://stockd.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        client.token = token
        yield client
