"""Holding through a channel over HTTP: the `channel` field, its refusals,
and real clients racing for a marketplace's pool on a real server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from stockd.bootstrap import Container
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api
from tests.e2e.server import LiveServer, cli_env, stockd
from tests.e2e.test_live_race import setup_stock


def hold(units: int, channel: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"lines": [{"sku": "A", "quantity": units, "location": "x"}]}
    if channel is not None:
        body["channel"] = channel
    return body


async def test_a_hold_names_its_channel_and_is_refused_past_the_channels_room(
    api: Api, db: Container
) -> None:
    await api.setup_basics()  # 10 of A at x
    for body in (
        {"id": "web", "name": "Own site", "kind": "web"},
        {"id": "amazon", "name": "Amazon", "kind": "marketplace", "priority": 2},
    ):
        assert (await api.post("/v1/channels", json=body)).status_code == 201
    r = await api.put(
        "/v1/skus/A/channel-pools",
        json={"pools": [{"channel": "web", "share_pct": 60}, {"channel": "amazon", "units": 2}]},
    )
    assert r.status_code == 200, r.text

    r = await api.post("/v1/reservations", json=hold(3, "amazon"))  # its 2 and the shared 2
    assert (r.status_code, r.json()["channel"]) == (201, "amazon"), r.text
    r = await api.post("/v1/reservations", json=hold(2, "amazon"))
    assert r.status_code == 409
    problem = r.json()
    assert (problem["code"], problem["channel"]) == ("insufficient_channel_stock", "amazon")
    assert problem["lines"] == [{"sku": "A", "requested": 2, "room": 1}]
    r = await api.post("/v1/reservations", json=hold(2))  # the shared pool: 1 left
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_channel_stock")
    assert r.json()["channel"] is None

    # Bad names, and `*` needs an admin key.
    r = await api.post("/v1/reservations", json=hold(1, "no such!"))
    assert r.status_code == 422
    assert "body.channel" in r.text
    r = await api.post("/v1/reservations", json=hold(1, "ebay"))
    assert (r.status_code, r.json()["code"]) == (422, "unknown_reference")
    _, writer = await create_key(db.bus, "writer", frozenset({Scope.WRITE}))
    r = await api.post(
        "/v1/reservations", json=hold(1, "*"), headers={"Authorization": f"Bearer {writer}"}
    )
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await api.post("/v1/reservations", json=hold(1, "*"))
    assert (r.status_code, r.json()["channel"]) == (201, "*")

    events = (await api.get("/v1/events", params={"type": "reservation.*"})).json()["items"]
    assert [e["channel"] for e in events] == ["amazon", "*"]


def test_40_http_buyers_on_a_30_unit_marketplace_pool_while_the_web_sells(
    live: LiveServer, unique: str, tmp_path: Path
) -> None:
    sku, location = f"CH-{unique}", f"wh-ch-{unique}"
    web, market = f"web-{unique}".lower(), f"mkt-{unique}".lower()
    setup_stock(live, sku, location, 100)
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        for body in (
            {"id": web, "name": "Web", "kind": "web", "priority": 1},
            {"id": market, "name": "Market", "kind": "marketplace", "priority": 2},
        ):
            assert c.post("/v1/channels", json=body).status_code == 201
        pools = [{"channel": web, "share_pct": 70}, {"channel": market, "share_pct": 30}]
        r = c.put(f"/v1/skus/{sku}/channel-pools", json={"pools": pools})
        assert r.status_code == 200, r.text
    clients = 60
    barrier = threading.Barrier(clients)

    def buy(i: int) -> tuple[str, int]:
        channel = market if i < 40 else web
        with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as c:
            c.get("/healthz")
            barrier.wait()
            body = {"lines": [{"sku": sku, "quantity": 1}], "channel": channel}
            r = c.post("/v1/reservations", json=body)
            if r.status_code == 409:
                assert r.json()["code"] == "insufficient_channel_stock"
            return channel, r.status_code

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(buy, range(clients)))

    assert sorted(s for c, s in results if c == market) == [201] * 30 + [409] * 10
    assert [s for c, s in results if c == web] == [201] * 20  # its pool untouched
    verify = stockd("ledger", "verify", env=cli_env(live.database_url, tmp_path))
    assert verify.returncode == 0, verify.stdout + verify.stderr


async def test_a_channels_availability_over_http(api: Api) -> None:
    await api.setup_basics()  # 10 of A at x
    body = {"id": "amazon", "name": "Amazon", "kind": "marketplace", "safety_buffer_pct": 20}
    assert (await api.post("/v1/channels", json=body)).status_code == 201
    r = await api.put(
        "/v1/skus/A/channel-pools", json={"pools": [{"channel": "amazon", "units": 5}]}
    )
    assert r.status_code == 200, r.text
    r = await api.get("/v1/channels/amazon/availability/A")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "channel": "amazon",
        "sku": "A",
        "sellable": 10,
        "advertised": 8,
        "pool": {"units": 5, "outstanding": 0, "free": 5},
        "shared_free": 5,
        "borrowable": 0,
    }
    assert (await api.get("/v1/channels/ebay/availability/A")).status_code == 404
    assert (await api.get("/v1/channels/amazon/availability/B")).status_code == 404
    assert (await api.get("/v1/channels/amazon/availability/A?x=1")).status_code == 422


async def test_an_order_that_arrived_on_a_channel_is_recorded_once(api: Api) -> None:
    await api.setup_basics()  # 10 of A at x
    body = {"id": "amazon", "name": "Amazon", "kind": "marketplace"}
    assert (await api.post("/v1/channels", json=body)).status_code == 201
    order = {"external_id": "114-123", "lines": [{"sku": "A", "quantity": 2}]}
    r = await api.post("/v1/channels/amazon/orders", json=order)
    assert r.status_code == 201, r.text
    assert (r.json()["order_id"], r.json()["channel"]) == ("amazon:114-123", "amazon")
    again = await api.post("/v1/channels/amazon/orders", json=order)
    assert (again.status_code, again.json()["order_id"]) == (200, "amazon:114-123")
    other = {**order, "lines": [{"sku": "A", "quantity": 3}]}
    r = await api.post("/v1/channels/amazon/orders", json=other)
    assert (r.status_code, r.json()["code"]) == (409, "already_exists")
    r = await api.post("/v1/channels/ebay/orders", json=order)
    assert r.status_code == 404
    r = await api.post("/v1/channels/amazon/orders", json={**order, "external_id": "x" * 127})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "external_id")
    r = await api.get("/v1/orders/amazon:114-123")
    assert (r.status_code, r.json()["channel"]) == (200, "amazon")
    dated = {"external_id": "114-124", "lines": [{"sku": "A", "quantity": 1}]}
    r = await api.post("/v1/channels/amazon/orders", json={**dated, "deliver_by": "2026-01-20"})
    assert (r.status_code, r.json()["deliver_by"]) == (201, "2026-01-20")
    r = await api.post("/v1/channels/amazon/orders", json={**dated, "deliver_by": "soon"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.deliver_by")


async def test_sales_and_direct_orders_name_their_channel(api: Api, db: Container) -> None:
    await api.setup_basics()  # 10 of A at x
    body = {"id": "stores", "name": "Stores", "kind": "store"}
    assert (await api.post("/v1/channels", json=body)).status_code == 201
    pools = {"pools": [{"channel": "stores", "units": 8}]}
    assert (await api.put("/v1/skus/A/channel-pools", json=pools)).status_code == 200
    sale = {"location": "x", "external_id": "R-1", "lines": [{"sku": "A", "quantity": 3}]}
    r = await api.post("/v1/sales", json=sale)  # no channel: the shared 2 only
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_channel_stock")
    r = await api.post("/v1/sales", json={**sale, "channel": "stores"})
    assert r.status_code == 201, r.text
    order = {"order_id": "O-1", "lines": [{"sku": "A", "quantity": 3}]}
    r = await api.post("/v1/orders", json=order)
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_channel_stock")
    _, writer = await create_key(db.bus, "writer", frozenset({Scope.WRITE}))
    r = await api.post(
        "/v1/orders",
        json={**order, "channel": "*"},
        headers={"Authorization": f"Bearer {writer}"},
    )
    assert r.status_code == 403
    r = await api.post("/v1/orders", json={**order, "channel": "*"})
    assert (r.status_code, r.json()["channel"]) == (201, "*")
    quote = {"lines": [{"sku": "A", "quantity": 1}], "channel": "nope"}
    r = await api.post("/v1/allocations/quote", json=quote)
    assert (r.status_code, r.json()["code"]) == (422, "unknown_reference")
