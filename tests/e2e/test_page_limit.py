"""Every list's page size is capped by STOCKD_PAGE_LIMIT_MAX: a larger
`limit` (or the default 100, when the cap is lower) is served as the cap."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from stockd.bootstrap import Container
from stockd.entrypoints.api.app import create_app
from stockd.service.auth import Scope
from stockd.service.keys import create_key

CAP = 3


@pytest_asyncio.fixture
async def capped(db: Container) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of an app whose settings cap pages at CAP items, with
    five SKUs and locations, levels and ledger events to list."""
    settings = db.settings.model_copy(update={"page_limit_max": CAP})
    container = dataclasses.replace(db, settings=settings)
    _, token = await create_key(db.bus, "test admin", {Scope.ADMIN})
    app = create_app(container, workers=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://stockd.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        for i in range(5):
            r = await client.post("/v1/locations", json={"id": f"L{i}", "name": "L"})
            assert r.status_code == 201, r.text
            r = await client.post("/v1/skus", json={"sku": f"S{i}", "product_id": "P", "name": "S"})
            assert r.status_code == 201, r.text
        changes = [
            {"sku": "S0", "location": f"L{i}", "state": "on_hand", "delta": 1, "reason": "r"}
            for i in range(5)
        ]
        r = await client.post("/v1/adjustments", json={"changes": changes})
        assert r.status_code == 200, r.text
        yield client


LISTS = ["/v1/skus", "/v1/locations", "/v1/levels", "/v1/events"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("asked", [None, CAP + 1, 1000])
async def test_a_page_never_holds_more_than_the_configured_cap(
    capped: httpx.AsyncClient, path: str, asked: int | None
) -> None:
    r = await capped.get(path, params={} if asked is None else {"limit": asked})
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == CAP


async def test_a_page_size_below_the_cap_is_served_as_asked(capped: httpx.AsyncClient) -> None:
    r = await capped.get("/v1/skus", params={"limit": 2})
    assert [x["sku"] for x in r.json()["items"]] == ["S0", "S1"]


async def test_the_cap_still_pages_through_everything(capped: httpx.AsyncClient) -> None:
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 100}
    while True:
        page = (await capped.get("/v1/skus", params=params)).json()
        seen += [x["sku"] for x in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [f"S{i}" for i in range(5)]
