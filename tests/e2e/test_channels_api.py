"""Sales channels over HTTP: create, read, list, change; admin to write,
`If-Match` on PATCH; bad input is a 422 naming the field."""

from __future__ import annotations

import asyncio

import pytest

from stockd.bootstrap import Container
from stockd.client import StockdClient
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api
from tests.e2e.server import LiveServer

AMAZON = {"id": "amazon", "name": "Amazon", "kind": "marketplace", "priority": 2}


async def test_a_channel_is_created_read_listed_and_changed(api: Api) -> None:
    r = await api.post("/v1/channels", json={**AMAZON, "safety_buffer_pct": 5})
    assert (r.status_code, r.headers["etag"]) == (201, '"1"')
    assert r.json() == {
        **AMAZON,
        "safety_buffer_pct": 5,
        "default_share_pct": None,
        "waterfall": True,
        "active": True,
        "version": 1,
    }
    r = await api.post("/v1/channels", json={"id": "web", "name": "Own site", "kind": "web"})
    assert r.json()["priority"] == 1
    r = await api.get("/v1/channels/amazon")
    assert (r.status_code, r.headers["etag"], r.json()["name"]) == (200, '"1"', "Amazon")
    page = (await api.get("/v1/channels", params={"limit": 1})).json()
    assert [c["id"] for c in page["items"]] == ["amazon"]
    rest = (await api.get("/v1/channels", params={"cursor": page["next_cursor"]})).json()
    assert ([c["id"] for c in rest["items"]], rest["next_cursor"]) == (["web"], None)

    r = await api.patch(
        "/v1/channels/amazon",
        json={"safety_buffer_pct": 10, "default_share_pct": 30},
        headers={"If-Match": '"1"'},
    )
    assert (r.status_code, r.headers["etag"]) == (200, '"2"')
    assert (r.json()["safety_buffer_pct"], r.json()["default_share_pct"]) == (10, 30)
    r = await api.patch("/v1/channels/amazon", json={"default_share_pct": None})
    assert (r.json()["default_share_pct"], r.json()["version"]) == (None, 3)
    r = await api.patch("/v1/channels/amazon", json={"name": "Amazon"})
    assert r.json()["version"] == 3  # nothing changed

    events = (await api.get("/v1/events", params={"type": "channel.*"})).json()["items"]
    assert [(e["type"], e["channel"]) for e in events] == [
        ("channel.created", "amazon"),
        ("channel.created", "web"),
        ("channel.changed", "amazon"),
        ("channel.changed", "amazon"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**AMAZON, "safety_buffer_pct": 51}, "body.safety_buffer_pct"),
        ({**AMAZON, "priority": 0}, "body.priority"),
        ({**AMAZON, "kind": "fax"}, "body.kind"),
        ({**AMAZON, "default_share_pct": 101}, "body.default_share_pct"),
        ({**AMAZON, "id": "no spaces"}, "body.id"),
        ({**AMAZON, "colour": "red"}, "body.colour"),
        ({"id": "amazon"}, "body.name"),
        ({**AMAZON, "id": "rebalance"}, "id"),
    ],
)
async def test_bad_channels_are_a_422_naming_the_field(
    api: Api, body: dict[str, object], field: str
) -> None:
    r = await api.post("/v1/channels", json=body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert (await api.get("/v1/channels")).json()["items"] == []


async def test_only_admins_write_and_a_stale_version_or_a_duplicate_is_a_409(
    api: Api, db: Container
) -> None:
    assert (await api.post("/v1/channels", json=AMAZON)).status_code == 201
    r = await api.post("/v1/channels", json=AMAZON)
    assert (r.status_code, r.json()["code"], r.json()["resource"]) == (
        409,
        "already_exists",
        "channel",
    )
    r = await api.patch("/v1/channels/amazon", json={"name": "A"}, headers={"If-Match": '"7"'})
    assert (r.status_code, r.json()["code"], r.json()["current_version"]) == (
        409,
        "version_conflict",
        1,
    )
    _, token = await create_key(db.bus, "writer", {Scope.WRITE})
    writer = {"Authorization": f"Bearer {token}"}
    r = await api.post("/v1/channels", json={**AMAZON, "id": "ebay"}, headers=writer)
    assert r.status_code == 403
    r = await api.patch("/v1/channels/amazon", json={"name": "A"}, headers=writer)
    assert r.status_code == 403
    assert (await api.get("/v1/channels/amazon", headers=writer)).status_code == 200
    assert (await api.get("/v1/channels/nope")).status_code == 404
    assert (await api.patch("/v1/channels/nope", json={"name": "N"})).status_code == 404


def test_the_client_manages_channels(live: LiveServer, unique: str) -> None:
    code = f"ch-{unique.lower()}"
    with StockdClient(live.url, live.admin_key) as client:
        made = client.channels.create(code, "Stores", kind="store", priority=3)
        assert (made.kind, made.priority, made.version) == ("store", 3, 1)
        changed = client.channels.update(code, {"waterfall": False}, if_match=1)
        assert (changed.waterfall, changed.version) == (False, 2)
        assert client.channels.get(code) == changed
        assert code in [c.id for c in client.channels.iter()]
        client.skus.create(code, "P", code)
        pools = client.channels.set_pools(code, [{"channel": code, "units": 5}])
        assert (pools.sellable, pools.pools[0].resolved, pools.shared) == (0, 0, 0)
        assert client.channels.pools(code) == pools


async def setup_pools(api: Api) -> None:
    await api.setup_basics()  # SKU A: 10 on hand at x
    r = await api.post(
        "/v1/adjustments",
        json={
            "changes": [
                {"sku": "A", "location": "x", "state": "on_hand", "delta": 90, "reason": "r"},
                {"sku": "A", "location": "x", "state": "damaged", "delta": 5, "reason": "r"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    for body in (
        {"id": "web", "name": "Own site", "kind": "web"},
        AMAZON,
        {"id": "stores", "name": "Stores", "kind": "store", "priority": 3},
    ):
        assert (await api.post("/v1/channels", json=body)).status_code == 201


SPLIT = [
    {"channel": "web", "share_pct": 50},
    {"channel": "amazon", "share_pct": 30},
    {"channel": "stores", "units": 20},
]


async def test_pools_are_set_and_read_with_the_units_they_stand_for(api: Api) -> None:
    await setup_pools(api)
    r = await api.get("/v1/skus/A/channel-pools")
    assert r.json() == {"sku": "A", "sellable": 95, "pools": [], "defaults": True, "shared": 95}
    r = await api.put("/v1/skus/A/channel-pools", json={"pools": SPLIT})
    assert r.status_code == 200, r.text
    # 95 sellable (100 on hand, 5 damaged): stores 20 first; web and amazon
    # ask 47.5 + 28.5 = 76 of the 75 left, so both shrink by 75/76 (46.875
    # and 28.125), and the unit left over goes to web (the larger fraction).
    assert r.json() == {
        "sku": "A",
        "sellable": 95,
        "pools": [
            {"channel": "amazon", "share_pct": 30, "units": None, "resolved": 28},
            {"channel": "stores", "share_pct": None, "units": 20, "resolved": 20},
            {"channel": "web", "share_pct": 50, "units": None, "resolved": 47},
        ],
        "defaults": False,
        "shared": 0,
    }
    assert (await api.get("/v1/skus/A/channel-pools")).json() == r.json()
    r = await api.put("/v1/skus/A/channel-pools", json={"pools": []})
    assert r.json()["defaults"] is True
    types = [e["type"] for e in (await api.get("/v1/events", params={"sku": "A"})).json()["items"]]
    assert types.count("channel.pools_set") == 2


@pytest.mark.parametrize(
    ("pools", "field"),
    [
        ([{"channel": "web", "share_pct": 70}, {"channel": "amazon", "share_pct": 40}], "pools"),
        ([{"channel": "ebay", "units": 3}], "pools[0].channel"),
        ([{"channel": "web", "units": -1}], "body.pools[0].units"),
        ([{"channel": "web", "share_pct": 101}], "body.pools[0].share_pct"),
        ([{"channel": "web"}], "body.pools[0]"),
        ([{"channel": "web", "units": 1, "share_pct": 1}], "body.pools[0]"),
        ([{"channel": "web", "units": 1}, {"channel": "web", "units": 2}], "pools"),
    ],
)
async def test_bad_pools_are_a_422_naming_what_is_wrong(
    api: Api, pools: list[dict[str, object]], field: str
) -> None:
    await setup_pools(api)
    r = await api.put("/v1/skus/A/channel-pools", json={"pools": pools})
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert (await api.get("/v1/skus/A/channel-pools")).json()["defaults"] is True


async def test_pools_need_an_admin_and_a_sku_that_exists(api: Api, db: Container) -> None:
    await setup_pools(api)
    _, token = await create_key(db.bus, "writer", {Scope.WRITE})
    writer = {"Authorization": f"Bearer {token}"}
    r = await api.put("/v1/skus/A/channel-pools", json={"pools": SPLIT}, headers=writer)
    assert r.status_code == 403
    assert (await api.get("/v1/skus/A/channel-pools", headers=writer)).status_code == 200
    assert (await api.get("/v1/skus/NOPE/channel-pools")).status_code == 404
    r = await api.put("/v1/skus/NOPE/channel-pools", json={"pools": SPLIT})
    assert r.status_code == 404


async def test_concurrent_replacements_leave_one_whole_set(api: Api) -> None:
    await setup_pools(api)
    sets = [
        [{"channel": "web", "share_pct": 10 * i}, {"channel": "amazon", "share_pct": 100 - 10 * i}]
        for i in range(10)
    ]
    answers = await asyncio.gather(
        *(api.put("/v1/skus/A/channel-pools", json={"pools": s}) for s in sets)
    )
    assert all(r.status_code == 200 for r in answers)
    final = (await api.get("/v1/skus/A/channel-pools")).json()["pools"]
    shares = {p["channel"]: p["share_pct"] for p in final}
    assert shares["web"] + shares["amazon"] == 100
    assert sum(p["resolved"] for p in final) == 95
