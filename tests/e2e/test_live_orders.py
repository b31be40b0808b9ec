"""Orders on a real server (system clock, real connections)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import httpx

from tests.e2e.server import LiveServer


def stock(c: httpx.Client, sku: str, location: str, units: int, **fields: object) -> None:
    r = c.post("/v1/locations", json={"id": location, "name": location, **fields})
    assert r.status_code == 201, r.text
    if c.get(f"/v1/skus/{sku}").status_code == 404:
        r = c.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
        assert r.status_code == 201, r.text
    change = {"sku": sku, "location": location, "state": "on_hand", "delta": units, "reason": "r"}
    assert c.post("/v1/adjustments", json={"changes": [change]}).status_code == 200


def test_a_placed_order_answers_the_created_at_it_is_stored_with(
    live: LiveServer, unique: str
) -> None:
    sku = f"T-{unique}"
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        stock(c, sku, f"wh-{unique}", 10)
        for i in range(5):
            body = {"order_id": f"O-{unique}-{i}", "lines": [{"sku": sku, "quantity": 1}]}
            placed = c.post("/v1/orders", json=body)
            assert placed.status_code == 201, placed.text
            stored = c.get(f"/v1/orders/{body['order_id']}").json()
            assert placed.json()["created_at"] == stored["created_at"]


def test_an_order_from_a_hold_at_a_store_is_placed_and_the_connection_kept(
    live: LiveServer, unique: str
) -> None:
    """Once a 500 (a KeyError in the strategy), which also closed the client's
    keep-alive connection: the next request on it failed."""
    sku, store = f"T-{unique}", f"store-{unique}"
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        stock(c, sku, f"wh-{unique}", 10, priority=1)
        stock(c, sku, store, 5, type="store", priority=0)
        r = c.post(
            "/v1/reservations", json={"lines": [{"sku": sku, "quantity": 1, "location": store}]}
        )
        assert r.status_code == 201, r.text
        hold = r.json()["id"]
    url = urlsplit(live.url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        body = {"order_id": f"S-{unique}", "reservation_id": hold, "strategy": "priority"}
        conn.request(
            "POST",
            "/v1/orders",
            json.dumps(body),
            {**live.headers, "Content-Type": "application/json"},
        )
        placed = conn.getresponse()
        assert placed.status == 201, placed.read()
        assert [s["location"] for s in json.loads(placed.read())["shipments"]] == [store]
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
