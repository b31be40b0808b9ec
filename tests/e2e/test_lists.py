"""GET /v1/orders, /v1/reservations, /v1/transfers, /v1/sales, /v1/returns
over HTTP: newest first, filters, cursors, and one SQL query per page."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from tests.e2e.conftest import Api

LISTS = ["/v1/orders", "/v1/reservations", "/v1/transfers", "/v1/sales", "/v1/returns"]


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def everything(api: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor."""
    items: list[dict[str, Any]] = []
    while True:
        page = await ok(await api.get(path, params=params))
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


async def trade(api: httpx.AsyncClient, orders: int) -> None:
    """Locations x, y; SKUs A, B; `orders` orders of two lines, each shipped,
    returned, transferred, sold and held once."""
    for loc in ("x", "y"):
        await ok(await api.post("/v1/locations", json={"id": loc, "name": loc}), 201)
    for sku in ("A", "B"):
        await ok(await api.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku}), 201)
    changes = [
        {"sku": s, "location": loc, "state": "on_hand", "delta": 1000, "reason": "r"}
        for s in ("A", "B")
        for loc in ("x", "y")
    ]
    await ok(await api.post("/v1/adjustments", json={"changes": changes}))
    two = [
        {"sku": "A", "quantity": 1, "location": "x"},
        {"sku": "B", "quantity": 1, "location": "x"},
    ]
    units = [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1}]
    for i in range(orders):
        await ok(await api.post("/v1/orders", json={"order_id": f"O{i}", "lines": two}), 201)
        await ok(
            await api.post(f"/v1/orders/O{i}/shipments", json={"location": "x", "lines": units})
        )
        body = {"order_id": f"O{i}", "location": "y", "condition": "resellable", "lines": units}
        await ok(await api.post("/v1/returns", json=body), 201)
        body = {"from": "x", "to": "y", "lines": units}
        await ok(await api.post("/v1/transfers", json=body), 201)
        body = {"location": "y", "external_id": f"R{i}", "lines": units}
        await ok(await api.post("/v1/sales", json=body), 201)
        await ok(await api.post("/v1/reservations", json={"lines": two, "reference": f"c{i}"}), 201)


async def test_every_list_pages_through_everything_newest_first(api: Api, db: Container) -> None:
    assert isinstance(db.clock, ManualClock)
    await trade(api, 5)
    for path in LISTS:
        whole = (await ok(await api.get(path, params={"limit": 100})))["items"]
        assert len(whole) == 5, path
        assert await everything(api, path, limit=2) == whole, path
    orders = [x["order_id"] for x in await everything(api, "/v1/orders", limit=2)]
    assert orders == ["O4", "O3", "O2", "O1", "O0"]
    sales = [x["external_id"] for x in await everything(api, "/v1/sales", limit=1)]
    assert sales == ["R4", "R3", "R2", "R1", "R0"]
    assert all(x["replayed"] is None for x in await everything(api, "/v1/sales"))
    first = (await ok(await api.get("/v1/orders", params={"limit": 1})))["items"][0]
    assert first == await ok(await api.get("/v1/orders/O4")) | {"events": None}


async def test_list_filters_over_http(api: Api, db: Container) -> None:
    assert isinstance(db.clock, ManualClock)
    await trade(api, 2)
    db.clock.advance(3600)
    await ok(
        await api.post(
            "/v1/orders",
            json={"order_id": "LATE", "lines": [{"sku": "A", "quantity": 1, "location": "x"}]},
        ),
        201,
    )

    async def ids(path: str, key: str, **params: Any) -> list[str]:
        return [x[key] for x in await everything(api, path, **params)]

    assert await ids("/v1/orders", "order_id", status="open") == ["LATE"]
    assert await ids("/v1/orders", "order_id", status="shipped") == ["O1", "O0"]
    assert await ids("/v1/orders", "order_id", sku="B") == ["O1", "O0"]
    assert await ids("/v1/orders", "order_id", location="x") == ["LATE", "O1", "O0"]
    assert await ids("/v1/orders", "order_id", location="y") == []
    late = db.clock.now().isoformat()
    assert await ids("/v1/orders", "order_id", created_after=late) == ["LATE"]
    assert await ids("/v1/orders", "order_id", created_before=late) == ["O1", "O0"]
    assert await ids("/v1/reservations", "reference", reference="c1") == ["c1"]
    assert await ids("/v1/reservations", "reference", status="expired") == ["c1", "c0"]
    assert await ids("/v1/reservations", "reference", status="active") == []
    assert await ids("/v1/reservations", "reference", sku="A", location="x") == ["c1", "c0"]
    assert len(await ids("/v1/transfers", "id", status="in_transit", source="x", sku="A")) == 2
    assert await ids("/v1/transfers", "id", destination="x") == []
    assert await ids("/v1/sales", "external_id", location="y", sku="B") == ["R1", "R0"]
    assert await ids("/v1/returns", "order_id", order_id="O0") == ["O0"]
    assert await ids("/v1/returns", "order_id", location="x") == []


@pytest.mark.parametrize("path", LISTS)
async def test_a_cursor_that_stockd_did_not_hand_out_is_a_400(api: Api, path: str) -> None:
    # Not base64 JSON; one part; a time that is not one (with two and three parts).
    for cursor in ("nope", "WyJ4Il0", "WyJub3QgYSB0aW1lIiwieCJd", "WyJub3QgYSB0aW1lIiwieCIsInkiXQ"):
        r = await api.get(path, params={"cursor": cursor})
        assert (r.status_code, r.json()["code"]) == (400, "invalid_cursor"), cursor


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"created_after": "2026-01-01T12:00:00"}, "created_after"),  # no offset
        ({"created_before": "yesterday"}, "created_before"),
        ({"created_after": "9999-12-31T23:59:59-14:00"}, "created_after"),  # beyond year 9999
        ({"sku": "bad sku"}, "sku"),
    ],
)
async def test_bad_order_filters_are_a_422_naming_the_parameter(
    api: Api, params: dict[str, str], field: str
) -> None:
    r = await api.get("/v1/orders", params=params)
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")
    assert field in r.text


# -- how many queries a page costs ---------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("filtered", [False, True])
async def test_a_page_is_one_query_whatever_its_size(
    counted: tuple[httpx.AsyncClient, list[str]], path: str, filtered: bool
) -> None:
    client, statements = counted
    await trade(client, 12)
    # asyncpg looks up a type it has not met yet (bigint[]) once per connection.
    await ok(await client.get(path))
    filters = {
        "/v1/orders": {"sku": "A", "status": "shipped"},
        "/v1/reservations": {"sku": "B", "status": "active", "location": "x"},
        "/v1/transfers": {"sku": "A", "source": "x", "destination": "y"},
        "/v1/sales": {"sku": "B", "location": "y"},
        "/v1/returns": {"location": "y"},
    }[path]
    for size in (1, 12):
        await asyncio.sleep(0)  # query loggers are called soon, not at once
        statements.clear()
        params = {"limit": size} | (filters if filtered else {})
        page = await ok(await client.get(path, params=params))
        assert len(page["items"]) == size
        cursor = page["next_cursor"] or ""
        if cursor:
            await ok(await client.get(path, params=params | {"cursor": cursor}))
        await asyncio.sleep(0)
        assert len(statements) == (2 if cursor else 1), statements
