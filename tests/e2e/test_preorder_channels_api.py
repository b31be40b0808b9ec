"""Preorder caps per channel over HTTP: set on the SKU, shown with the units
preordered through each channel, enforced on holds, and refused when bad."""

from __future__ import annotations

from typing import Any

import pytest

from stockd.bootstrap import Container
from tests.e2e.conftest import Api


async def preorder_sku(api: Api, **extra: Any) -> None:
    """Location x; channels web and app; SKU P preorders up to 5, web up to 2."""
    r = await api.post("/v1/locations", json={"id": "x", "name": "x"})
    assert r.status_code == 201, r.text
    for channel in ("web", "app"):
        r = await api.post("/v1/channels", json={"id": channel, "name": channel})
        assert r.status_code == 201, r.text
    body = {
        "sku": "P",
        "product_id": "P",
        "name": "Preordered",
        "policy": "preorder",
        "preorder_cap": 5,
        "preorder_channel_caps": [{"channel": "web", "cap": 2}],
    }
    r = await api.post("/v1/skus", json=body | extra)
    assert r.status_code == 201, r.text


def hold(units: int, channel: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"lines": [{"sku": "P", "quantity": units, "location": "x"}]}
    if channel is not None:
        body["channel"] = channel
    return body


async def test_a_channel_cap_shows_its_preorders_and_refuses_beyond(
    api: Api, db: Container
) -> None:
    await preorder_sku(api)
    r = await api.get("/v1/skus/P")
    assert r.json()["preorder_channel_caps"] == [{"channel": "web", "cap": 2, "preordered": 0}]

    first = await api.post("/v1/reservations", json=hold(2, "web"))
    assert first.status_code == 201, first.text
    r = await api.post("/v1/reservations", json=hold(1, "web"))
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    assert "channel 'web'" in r.json()["detail"]
    r = await api.post("/v1/reservations", json=hold(3, "app"))  # the rest of the total
    assert r.status_code == 201, r.text
    r = await api.post("/v1/reservations", json=hold(1))
    assert r.status_code == 409

    r = await api.get("/v1/skus/P")
    assert r.json()["preorder_channel_caps"] == [{"channel": "web", "cap": 2, "preordered": 2}]
    r = await api.post(f"/v1/reservations/{first.json()['id']}/release")
    assert r.status_code == 200, r.text
    skus = (await api.get("/v1/skus")).json()["items"]
    assert skus[0]["preorder_channel_caps"] == [{"channel": "web", "cap": 2, "preordered": 0}]

    # PATCH replaces the list; the SKU's event records the caps, not the counts.
    caps = [{"channel": "web", "cap": 1}, {"channel": "app", "cap": 4}]
    r = await api.patch("/v1/skus/P", json={"preorder_channel_caps": caps})
    assert r.status_code == 200, r.text
    assert r.json()["preorder_channel_caps"] == [
        {"channel": "app", "cap": 4, "preordered": 3},
        {"channel": "web", "cap": 1, "preordered": 0},
    ]
    events = (await api.get("/v1/events", params={"type": "sku.changed"})).json()["items"]
    assert events[-1]["data"]["changes"]["preorder_channel_caps"]["to"] == [
        {"channel": "app", "cap": 4},
        {"channel": "web", "cap": 1},
    ]
    assert (await db.reads.verify()).discrepancies == ()


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"preorder_channel_caps": [{"channel": "web", "cap": -1}]}, 422, "cap"),
        ({"preorder_channel_caps": [{"channel": "ebay", "cap": 1}]}, 422, "channel"),
        (
            {"preorder_channel_caps": [{"channel": "web", "cap": 1}, {"channel": "web", "cap": 2}]},
            422,
            "preorder_channel_caps",
        ),
        (
            {"policy": "deny", "preorder_channel_caps": [{"channel": "web", "cap": 1}]},
            422,
            "preorder_channel_caps",
        ),
    ],
    ids=["negative cap", "unknown channel", "channel twice", "not a preorder SKU"],
)
async def test_bad_channel_caps_are_422_naming_the_field_and_change_nothing(
    api: Api, change: dict[str, Any], status: int, field: str
) -> None:
    await preorder_sku(api)
    r = await api.patch("/v1/skus/P", json=change)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text
    sku = (await api.get("/v1/skus/P")).json()
    assert (sku["version"], sku["preorder_channel_caps"]) == (
        1,
        [{"channel": "web", "cap": 2, "preordered": 0}],
    )


async def test_creating_a_sku_with_bad_channel_caps_writes_nothing(api: Api) -> None:
    await preorder_sku(api)
    bad = {"sku": "Q", "product_id": "P", "name": "Q", "policy": "preorder"}
    r = await api.post(
        "/v1/skus", json=bad | {"preorder_channel_caps": [{"channel": "ebay", "cap": 1}]}
    )
    assert (r.status_code, r.json()["code"]) == (422, "unknown_reference")
    assert r.json()["errors"][0]["field"] == "preorder_channel_caps[0].channel"
    r = await api.post(
        "/v1/skus",
        json=bad | {"policy": "deny", "preorder_channel_caps": [{"channel": "web", "cap": 1}]},
    )
    assert r.status_code == 422
    assert "preorder_channel_caps" in r.text
    assert (await api.get("/v1/skus/Q")).status_code == 404
