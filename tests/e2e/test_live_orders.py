"""Orders on a real server (system clock, real connections)."""

from __future__ import annotations

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
