"""Channel drift over HTTP: a feed's served figures recorded, the drift of
one channel listed (`GET /v1/channels/{id}/drift`), and a relisting that
puts the SKU on the channel's next feed page — and on no other channel's."""

from __future__ import annotations

from typing import Any

import asyncpg

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from tests.e2e.conftest import Api


async def channel(api: Api, channel_id: str) -> None:
    body = {"id": channel_id, "name": channel_id, "kind": "marketplace"}
    r = await api.post("/v1/channels", json=body)
    assert r.status_code == 201, r.text


async def poll(api: Api, channel_id: str, cursor: str | None) -> dict[str, Any]:
    params = {"limit": 100} | ({} if cursor is None else {"cursor": cursor})
    r = await api.get(f"/v1/channels/{channel_id}/feed", params=params)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


async def drift(api: Api, channel_id: str, **params: Any) -> dict[str, Any]:
    r = await api.get(f"/v1/channels/{channel_id}/drift", params=params)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


def shown(page: dict[str, Any]) -> list[tuple[str, int]]:
    return [(x["sku"], x["advertised"]) for x in page["items"]]


async def test_a_feed_page_served_but_not_recorded_shows_as_drift_until_relisted(
    api: Api, db: Container, database_url: str
) -> None:
    assert isinstance(db.clock, ManualClock)
    assert db.channel_drift is not None
    await api.setup_basics()  # 10 of A at x
    await channel(api, "amazon")
    await channel(api, "ebay")
    amazon = await poll(api, "amazon", None)
    ebay = await poll(api, "ebay", None)
    assert shown(amazon) == shown(ebay) == [("A", 10)]
    r = await api.post(
        "/v1/adjustments",
        json={
            "changes": [
                {"sku": "A", "location": "x", "state": "on_hand", "delta": -4, "reason": "r"}
            ]
        },
    )
    assert r.status_code == 200, r.text
    ebay = await poll(api, "ebay", ebay["next_cursor"])
    assert shown(ebay) == [("A", 6)]

    locker = await asyncpg.connect(database_url)
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE channel_figures_sent IN ACCESS EXCLUSIVE MODE")
            amazon = await poll(api, "amazon", amazon["next_cursor"])  # answered all the same
    finally:
        await locker.close()
    assert shown(amazon) == [("A", 6)]

    assert (await drift(api, "amazon"))["items"] == []  # younger than the grace period
    db.clock.advance(61)
    [found] = (await drift(api, "amazon"))["items"]
    head = (await api.get("/v1/events", params={"limit": 1000})).json()["items"][-1]["seq"]
    assert {k: found[k] for k in ("channel", "sku", "via", "webhook_id", "sent", "now")} == {
        "channel": "amazon",
        "sku": "A",
        "via": "feed",
        "webhook_id": None,
        "sent": 10,
        "now": 6,
    }
    assert found["seqs"] == [head]
    assert "the feed was last sent 10" in found["detail"]
    assert (await drift(api, "ebay"))["items"] == []

    drifts = [d async for d in db.channel_drift.find_drift("amazon")]
    assert await db.channel_drift.repush(drifts) == 1
    assert shown(await poll(api, "amazon", amazon["next_cursor"])) == [("A", 6)]
    assert shown(await poll(api, "ebay", ebay["next_cursor"])) == []  # not its repair
    assert (await drift(api, "amazon"))["items"] == []


async def test_the_drift_list_is_paged_and_names_what_is_wrong(api: Api, db: Container) -> None:
    assert db.pool is not None
    await api.setup_basics()
    for sku in ("B", "C"):
        r = await api.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
        assert r.status_code == 201
    await channel(api, "amazon")
    await poll(api, "amazon", None)  # the catalogue: A 10, B 0, C 0
    await db.pool.execute("UPDATE levels SET on_hand = on_hand - 1 WHERE sku = 'A'")
    await db.pool.execute(
        "INSERT INTO levels (sku, location, on_hand, updated_at)"
        " SELECT sku, 'x', 2, now() FROM skus WHERE sku IN ('B', 'C')"
    )
    first = await drift(api, "amazon", limit=2)
    assert [(x["sku"], x["sent"], x["now"]) for x in first["items"]] == [("A", 10, 9), ("B", 0, 2)]
    second = await drift(api, "amazon", limit=2, cursor=first["next_cursor"])
    assert [(x["sku"], x["sent"], x["now"]) for x in second["items"]] == [("C", 0, 2)]
    assert second["next_cursor"] is None

    r = await api.get("/v1/channels/nowhere/drift")
    assert r.status_code == 404
    assert "nowhere" in r.json()["detail"]
    r = await api.get("/v1/channels/amazon/drift", params={"cursor": "bogus"})
    assert r.status_code == 400
