"""Sales channels over HTTP: create, read, list, change; admin to write,
`If-Match` on PATCH; bad input is a 422 naming the field."""

from __future__ import annotations

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
    assert [(e["type"], e["data"].get("channel")) for e in events] == [
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
