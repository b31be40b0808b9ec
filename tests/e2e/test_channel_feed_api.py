"""The availability feed over HTTP: the catalogue first, then the changes,
and a reader polling while writers commit that ends on the live figures."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import httpx

from stockd.bootstrap import Container
from tests.e2e.conftest import Api
from tests.e2e.server import LiveServer


async def adjust(api: Api, sku: str, delta: int, location: str = "x") -> None:
    change = {"sku": sku, "location": location, "state": "on_hand", "delta": delta, "reason": "r"}
    r = await api.post("/v1/adjustments", json={"changes": [change]})
    assert r.status_code == 200, r.text


async def poll(api: Api, channel: str, cursor: str | None, limit: int = 100) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    r = await api.get(f"/v1/channels/{channel}/feed", params=params)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


async def test_the_feed_lists_the_catalogue_then_each_change_once_per_page(
    api: Api, db: Container
) -> None:
    await api.setup_basics()  # 10 of A at x
    for sku in ("B", "C"):
        r = await api.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
        assert r.status_code == 201
    await adjust(api, "B", 4)
    body = {"id": "amazon", "name": "Amazon", "kind": "marketplace", "safety_buffer_pct": 20}
    assert (await api.post("/v1/channels", json=body)).status_code == 201
    head = (await api.get("/v1/events", params={"limit": 1000})).json()["items"][-1]["seq"]

    # The catalogue, two SKUs a page, at the figures now.
    first = await poll(api, "amazon", None, limit=2)
    assert [(x["sku"], x["advertised"], x["sellable"], x["seq"]) for x in first["items"]] == [
        ("A", 8, 10, head),
        ("B", 3, 4, head),
    ]
    second = await poll(api, "amazon", first["next_cursor"], limit=2)
    assert [x["sku"] for x in second["items"]] == ["C"]
    quiet = await poll(api, "amazon", second["next_cursor"])
    assert quiet["items"] == []
    assert (await poll(api, "amazon", quiet["next_cursor"]))["items"] == []

    # Changes: each SKU once per page, at its latest figure, in the order of
    # its last change.
    await adjust(api, "A", -5)
    await adjust(api, "C", 6)
    await adjust(api, "A", 1)
    changed = await poll(api, "amazon", quiet["next_cursor"])
    assert [(x["sku"], x["advertised"], x["sellable"]) for x in changed["items"]] == [
        ("C", 4, 6),
        ("A", 4, 6),
    ]
    r = await api.post("/v1/reservations", json={"lines": [{"sku": "C", "quantity": 2}]})
    assert r.status_code == 201, r.text
    held = await poll(api, "amazon", changed["next_cursor"])
    assert [(x["sku"], x["sellable"]) for x in held["items"]] == [("C", 4)]

    # A change to the channel may move every figure: the whole catalogue again.
    r = await api.patch("/v1/channels/amazon", json={"safety_buffer_pct": 50})
    assert r.status_code == 200, r.text
    again = await poll(api, "amazon", held["next_cursor"])
    assert [(x["sku"], x["advertised"]) for x in again["items"]] == [("A", 3), ("B", 2), ("C", 2)]
    assert (await poll(api, "amazon", again["next_cursor"]))["items"] == []

    # Pools for one SKU name that SKU.
    r = await api.put(
        "/v1/skus/A/channel-pools", json={"pools": [{"channel": "amazon", "units": 0}]}
    )
    assert r.status_code == 200, r.text
    pools = await poll(api, "amazon", again["next_cursor"])
    assert [x["sku"] for x in pools["items"]] == ["A"]

    # Bad input.
    assert (await api.get("/v1/channels/ebay/feed")).status_code == 404
    r = await api.get("/v1/channels/amazon/feed", params={"cursor": "nonsense"})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_cursor")
    r = await api.get("/v1/channels/amazon/feed", params={"since": "1"})
    assert r.status_code == 422


def test_a_reader_polling_while_writers_commit_ends_on_the_live_figures(
    live: LiveServer, unique: str
) -> None:
    skus = [f"FEED-{unique}-{i}" for i in range(8)]
    location, channel = f"wh-feed-{unique}", f"feed-{unique}".lower()
    with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as c:
        assert c.post("/v1/locations", json={"id": location, "name": location}).status_code == 201
        for sku in skus:
            r = c.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
            assert r.status_code == 201
        body = {"id": channel, "name": "Feed", "kind": "marketplace", "safety_buffer_pct": 10}
        assert c.post("/v1/channels", json=body).status_code == 201
        r = c.put(
            f"/v1/skus/{skus[0]}/channel-pools",
            json={"pools": [{"channel": channel, "share_pct": 40}]},
        )
        assert r.status_code == 200, r.text

    stop = threading.Event()
    errors: list[str] = []

    def write(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as c:
            while not stop.is_set():
                sku = rng.choice(skus)
                if rng.random() < 0.6:
                    change = {
                        "sku": sku,
                        "location": location,
                        "state": "on_hand",
                        "delta": rng.randint(1, 5),
                        "reason": "r",
                    }
                    r = c.post("/v1/adjustments", json={"changes": [change]})
                    if r.status_code != 200:
                        errors.append(r.text)
                else:
                    hold = {"lines": [{"sku": sku, "quantity": 1}], "channel": channel}
                    r = c.post("/v1/reservations", json=hold)
                    if r.status_code not in (201, 409):
                        errors.append(r.text)

    writers = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    seen: dict[str, tuple[int, int]] = {}
    cursor: str | None = None
    with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as reader:

        def drain() -> int:
            nonlocal cursor
            items = 0
            while True:
                params = {"limit": 50} | ({"cursor": cursor} if cursor else {})
                r = reader.get(f"/v1/channels/{channel}/feed", params=params)
                assert r.status_code == 200, r.text
                page = r.json()
                cursor = page["next_cursor"]
                for x in page["items"]:
                    seen[x["sku"]] = (x["advertised"], x["sellable"])
                items += len(page["items"])
                if not page["items"]:
                    return items

        for w in writers:
            w.start()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            drain()
            time.sleep(0.05)
        stop.set()
        for w in writers:
            w.join()
        drain()
        assert not errors, errors[:3]
        for sku in skus:
            r = reader.get(f"/v1/channels/{channel}/availability/{sku}")
            live_figure = (r.json()["advertised"], r.json()["sellable"])
            assert seen[sku] == live_figure, sku
