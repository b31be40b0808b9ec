"""Webhook subscriptions over HTTP: create (the secret shown once), read,
change, rotate, deliveries, replay, delete — and the URLs refused."""

from __future__ import annotations

from tests.e2e.conftest import Api

PUBLIC = "http://93.184.215.14/hooks/stockd"
"""A public address (never called: these tests run no worker)."""


async def test_a_subscription_from_creation_to_deletion(api: Api) -> None:
    body = {
        "url": PUBLIC,
        "events": ["stock.out_of_stock", "availability.changed", "order.*"],
        "low_stock_threshold": 5,
        "description": "storefront cache",
    }
    r = await api.post("/v1/webhooks", json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["secret"].startswith("whsec_")
    assert r.headers["location"] == f"/v1/webhooks/{made['id']}"
    r = await api.get(f"/v1/webhooks/{made['id']}")
    assert r.status_code == 200
    assert "secret" not in r.json()
    assert r.headers["etag"] == '"1"'
    assert [w["id"] for w in (await api.get("/v1/webhooks")).json()["items"]] == [made["id"]]

    r = await api.patch(
        f"/v1/webhooks/{made['id']}",
        json={"active": False, "low_stock_threshold": None},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["active"], r.json()["low_stock_threshold"], r.json()["version"]) == (
        False,
        None,
        2,
    )
    r = await api.patch(
        f"/v1/webhooks/{made['id']}", json={"active": True}, headers={"If-Match": '"1"'}
    )
    assert (r.status_code, r.json()["code"]) == (409, "version_conflict")

    r = await api.post(f"/v1/webhooks/{made['id']}/rotate-secret")
    assert r.status_code == 200
    assert r.json()["secret"] not in (made["secret"], None)

    r = await api.get(f"/v1/webhooks/{made['id']}/deliveries", params={"status": "dead"})
    assert r.json() == {"items": [], "next_cursor": None}
    r = await api.post(f"/v1/webhooks/{made['id']}/replay", json={})
    assert r.json() == {"queued": 0}

    assert (await api.delete(f"/v1/webhooks/{made['id']}")).status_code == 204
    assert (await api.get(f"/v1/webhooks/{made['id']}")).status_code == 404
    assert (await api.delete(f"/v1/webhooks/{made['id']}")).status_code == 404


async def test_bad_subscriptions_are_refused_with_what_is_wrong(api: Api) -> None:
    for url, words in (
        ("http://127.0.0.1:8080/hook", "loopback, private or link-local"),
        ("http://10.1.2.3/hook", "loopback, private or link-local"),
        ("http://169.254.169.254/latest/meta-data", "loopback, private or link-local"),
        ("http://[::1]/hook", "loopback, private or link-local"),
    ):
        r = await api.post("/v1/webhooks", json={"url": url, "events": ["order.placed"]})
        assert r.status_code == 422, url
        assert words in r.text
        assert r.json()["errors"][0]["field"] == "url"
    for body, field in (
        ({"url": "ftp://93.184.215.14/x", "events": ["order.placed"]}, "url"),
        ({"url": PUBLIC, "events": []}, "events"),
        ({"url": PUBLIC, "events": ["stock.gone"]}, "events"),
        ({"url": PUBLIC, "events": ["order.placed"], "low_stock_threshold": 0}, "threshold"),
        ({"url": PUBLIC, "events": ["order.placed"], "secret": "mine"}, "secret"),
    ):
        r = await api.post("/v1/webhooks", json=body)
        assert r.status_code == 422, body
        assert field in r.text
    r = await api.post(
        "/v1/webhooks", json={"url": PUBLIC, "events": ["order.placed"], "channel": "ebay"}
    )
    assert (r.status_code, r.json()["code"]) == (422, "unknown_reference")
    assert (await api.get("/v1/webhooks/wh_00")).status_code == 404
    assert (await api.get("/v1/webhooks/nope")).status_code == 422
    assert (await api.get("/v1/webhooks")).json()["items"] == []
