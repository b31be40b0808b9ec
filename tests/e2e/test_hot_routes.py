"""The hot routes are written once: ordinary routes of the app, described in
OpenAPI from their models and behind every middleware."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from stockd.bootstrap import Container
from stockd.entrypoints.api.app import create_app
from stockd.service.auth import Scope as KeyScope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api


async def test_the_hot_routes_are_described_by_their_models(api: Api) -> None:
    spec = (await api.get("/openapi.json")).json()
    hold = spec["paths"]["/v1/reservations"]["post"]
    body = hold["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ReservationCreate"}
    created = spec["components"]["schemas"]["ReservationCreate"]
    assert set(created["properties"]) >= {"lines", "ttl_seconds", "strategy", "pickup_location"}
    assert created["properties"]["lines"]["items"] == {"$ref": "#/components/schemas/LineIn"}
    assert "LineIn" in spec["components"]["schemas"]
    answer = hold["responses"]["201"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/ReservationRead"}
    assert {p["name"] for p in hold["parameters"]} == {"Idempotency-Key"}
    assert hold["security"] == [{"HTTPBearer": []}]
    read = spec["paths"]["/v1/availability/{sku}"]["get"]
    assert [p["name"] for p in read["parameters"]] == ["sku"]
    assert "AvailabilityRead" in str(read["responses"]["200"])
    many = spec["paths"]["/v1/availability"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in many["parameters"]] == [
        ("skus", "query", True)
    ]


async def test_every_middleware_sees_the_hot_routes(db: Container) -> None:
    seen: list[str] = []

    class Recorder:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(f"{scope['method']} {scope['path']}")
            await self.app(scope, receive, send)

    _, token = await create_key(db.bus, "k", {KeyScope.ADMIN})
    app = create_app(db, workers=False)
    app.add_middleware(Recorder)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers
    ) as client:
        await client.post("/v1/locations", json={"id": "x", "name": "X"})
        await client.post("/v1/skus", json={"sku": "A", "product_id": "P", "name": "A"})
        r = await client.post("/v1/reservations", json={"lines": [{"sku": "A", "quantity": 1}]})
        assert r.status_code == 409  # nothing in stock, answered by the route
        assert (await client.get("/v1/availability/A")).status_code == 200
        assert (await client.get("/v1/availability?skus=A")).status_code == 200
    assert seen[-3:] == [
        "POST /v1/reservations",
        "GET /v1/availability/A",
        "GET /v1/availability",
    ]


async def test_availability_of_many_skus_keeps_the_order_asked_and_names_the_missing(
    api: Api,
) -> None:
    await api.setup_basics()  # A: 10 at x
    await api.post("/v1/skus", json={"sku": "B", "product_id": "P", "name": "B"})
    r = await api.get("/v1/availability", params={"skus": "B,NOPE,A,B"})
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    assert [x["sku"] for x in found["items"]] == ["B", "A"]
    assert found["missing"] == ["NOPE"]
    assert (found["items"][0]["locations"], found["items"][1]["available"]) == ([], 10)
    one = (await api.get("/v1/availability/A")).json()
    assert found["items"][1] == one


async def test_availability_of_many_refuses_too_many_or_bad_codes(api: Api) -> None:
    for skus in (",".join(f"S{i}" for i in range(101)), "A,bad code", ""):
        r = await api.get("/v1/availability", params={"skus": skus})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "query.skus"
    assert (await api.get("/v1/availability")).status_code == 422


async def test_availability_shows_every_state_and_why_a_location_offers_nothing(
    api: Api,
) -> None:
    await api.setup_basics()  # A: 10 at x (priority 1); y (2) has no stock
    changes = [
        {"sku": "A", "location": "x", "state": "damaged", "delta": 6, "reason": "r"},
        {"sku": "A", "location": "x", "state": "safety_stock", "delta": 4, "reason": "r"},
        {"sku": "A", "location": "y", "state": "on_hand", "delta": 0 + 1, "reason": "r"},
    ]
    assert (await api.post("/v1/adjustments", json={"changes": changes})).status_code == 200
    await api.patch("/v1/locations/y", json={"active": False})
    doc = (await api.get("/v1/availability/A")).json()
    x, y = doc["locations"]
    assert (x["damaged"], x["safety_stock"], x["sellable"], x["reason"]) == (6, 4, 0, "damaged")
    assert (y["active"], y["sellable"], y["reason"]) == (False, 0, "inactive")
    assert (doc["damaged"], doc["safety_stock"], doc["quality_control"]) == (6, 4, 0)


async def test_an_unexpected_error_is_a_500_problem_on_hot_and_other_routes(
    db: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    _, token = await create_key(db.bus, "k", {KeyScope.ADMIN})
    monkeypatch.setattr(db.availability, "of", broken)
    monkeypatch.setattr(db.reads, "sku", broken)
    app = create_app(db, workers=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://t",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        for path in ("/v1/availability/A", "/v1/skus/A"):
            r = await client.get(path)
            assert r.status_code == 500, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert (r.json()["code"], r.json()["instance"]) == ("internal_error", path)
