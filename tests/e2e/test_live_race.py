"""50 real HTTP clients race for the last 10 units on a real server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx

from tests.e2e.server import LiveServer, cli_env, stockd


def setup_stock(live: LiveServer, sku: str, location: str, units: int) -> None:
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        assert c.post("/v1/locations", json={"id": location, "name": location}).status_code == 201
        r = c.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
        assert r.status_code == 201
        change = {
            "sku": sku,
            "location": location,
            "state": "on_hand",
            "delta": units,
            "reason": "r",
        }
        assert c.post("/v1/adjustments", json={"changes": [change]}).status_code == 200


def test_50_http_clients_race_for_the_last_10_units(
    live: LiveServer, unique: str, tmp_path: Path
) -> None:
    sku, location = f"HOT-{unique}", f"wh-{unique}"
    setup_stock(live, sku, location, 10)
    clients = 50
    barrier = threading.Barrier(clients)

    def buy(i: int) -> int:
        with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as c:
            c.get("/healthz")  # connect before the start line
            barrier.wait()
            r = c.post("/v1/reservations", json={"lines": [{"sku": sku, "quantity": 1}]})
            if r.status_code == 409:
                assert r.json()["code"] == "insufficient_stock"
            return r.status_code

    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(buy, range(clients)))

    assert sorted(statuses) == [201] * 10 + [409] * 40
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        availability = c.get(f"/v1/availability/{sku}").json()
    assert (availability["available"], availability["reserved"]) == (0, 10)

    verify = stockd("ledger", "verify", env=cli_env(live.database_url, tmp_path))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "clean" in verify.stdout


def test_the_expiry_worker_expires_a_hold_within_about_a_second(
    live: LiveServer, unique: str
) -> None:
    sku, location = f"EXP-{unique}", f"ex-{unique}"
    setup_stock(live, sku, location, 3)
    with httpx.Client(base_url=live.url, headers=live.headers) as c:
        held = c.post(
            "/v1/reservations", json={"lines": [{"sku": sku, "quantity": 3}], "ttl_seconds": 1}
        ).json()
        deadline = datetime.fromisoformat(held["expires_at"])
        expired = None
        for _ in range(100):  # polls for at most ~5 s
            events = c.get("/v1/events", params={"sku": sku}).json()["items"]
            expired = next((e for e in events if e["type"] == "reservation.expired"), None)
            if expired:
                break
            time.sleep(0.05)
        assert expired is not None, "the hold was not expired within 5 s"
        lag = (datetime.fromisoformat(expired["at"]) - deadline).total_seconds()
        assert 0 <= lag < 1.5
        assert c.get(f"/v1/reservations/{held['id']}").json()["status"] == "expired"
