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
