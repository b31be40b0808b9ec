"""`GET /v1/overview`: counts and the out-of-stock and low-stock lists over
HTTP, its parameters, its scope, and what it costs in queries."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from stockd.bootstrap import Container
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api


async def ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


async def shop(api: Api) -> None:
    """x and y; A 10 at x (setup_basics), B 3 at x + 1 at y, C 1 at y, Z none."""
    await api.setup_basics()
    for code in ("B", "C", "Z"):
        sku = {"sku": code, "product_id": "P", "name": f"Item {code}"}
        r = await api.post("/v1/skus", json=sku)
        assert r.status_code == 201, r.text
    changes = [
        {"sku": sku, "location": loc, "state": "on_hand", "delta": n, "reason": "received"}
        for sku, loc, n in (("B", "x", 3), ("B", "y", 1), ("C", "y", 1))
    ]
    assert (await api.post("/v1/adjustments", json={"changes": changes})).status_code == 200
    r = await api.post("/v1/reservations", json={"lines": [{"sku": "C", "quantity": 1}]})
    assert r.status_code == 201, r.text


async def test_the_overview_counts_and_lists_lowest_first(api: Api) -> None:
    await shop(api)
    head = (await ok(await api.get("/v1/events", params={"after": 0, "limit": 1000})))["next_after"]
    found = await ok(await api.get("/v1/overview"))
    assert found == {
        "skus": 4,
        "locations": 2,
        "active_reservations": 1,
        "ledger_head": head,
        "low_stock_below": 5,
        "out_of_stock_count": 2,
        "low_stock_count": 1,
        "out_of_stock": [
            {"sku": "C", "name": "Item C", "available": 0, "locations": 1},
            {"sku": "Z", "name": "Item Z", "available": 0, "locations": 0},
        ],
        "low_stock": [{"sku": "B", "name": "Item B", "available": 4, "locations": 2}],
    }


async def test_the_threshold_and_limit_shape_the_lists(api: Api) -> None:
    await shop(api)
    found = await ok(await api.get("/v1/overview", params={"low_stock_below": 11, "limit": 1}))
    assert [s["sku"] for s in found["out_of_stock"]] == ["C"]
    assert [s["sku"] for s in found["low_stock"]] == ["B"]
    assert (found["out_of_stock_count"], found["low_stock_count"]) == (2, 2)  # B 4, A 10
    assert found["low_stock_below"] == 11
    found = await ok(await api.get("/v1/overview", params={"low_stock_below": 1}))
    assert (found["low_stock"], found["low_stock_count"]) == ([], 0)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"low_stock_below": 0}, "query.low_stock_below"),
        ({"low_stock_below": "few"}, "query.low_stock_below"),
        ({"low_stock_below": 10**10}, "query.low_stock_below"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"below": 3}, "query.below"),
    ],
)
async def test_bad_parameters_are_a_problem_naming_them(
    api: Api, params: dict[str, Any], field: str
) -> None:
    r = await api.get("/v1/overview", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "validation_failed"
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_a_read_key_may_read_it_and_a_key_without_read_may_not(
    api: Api, db: Container, raw: asyncpg.Connection
) -> None:
    reader, token = await create_key(db.bus, "dashboard", {Scope.READ})
    as_reader = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/v1/overview", headers=as_reader)).status_code == 200
    # No key can be made without a scope; one whose scopes were taken away
    # (by hand, in the table) is refused like any key short of `read`.
    await raw.execute("UPDATE api_keys SET scopes = '{}' WHERE id = $1", reader.id)
    r = await api.get("/v1/overview", headers=as_reader)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await api.get("/v1/overview", headers={"Authorization": "Bearer sk_nope"})
    assert r.status_code == 401


async def test_the_overview_is_two_queries_whatever_the_catalogue(
    counted: tuple[httpx.AsyncClient, list[str]],
) -> None:
    client, statements = counted
    for n in (1, 30):
        codes = [f"S{n}-{i}" for i in range(n)]
        for code in codes:
            r = await client.post("/v1/skus", json={"sku": code, "product_id": "P", "name": code})
            assert r.status_code == 201, r.text
        await asyncio.sleep(0)  # query loggers are called soon, not at once
        statements.clear()
        found = await ok(await client.get("/v1/overview", params={"limit": 100}))
        await asyncio.sleep(0)
        assert len(statements) == 2, statements
        assert found["out_of_stock_count"] >= n
