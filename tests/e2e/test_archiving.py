"""DELETE /v1/skus/{sku} and /v1/locations/{id} archive over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from stockd.bootstrap import Container
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api

RESOURCES = [("/v1/skus", "A"), ("/v1/locations", "x")]


async def archived_events(api: Api) -> list[dict[str, Any]]:
    r = await api.get("/v1/events", params={"type": "sku.archived,location.archived"})
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.mark.parametrize(("base", "code"), RESOURCES)
async def test_delete_archives_once_and_the_resource_stays_readable(
    api: Api, base: str, code: str
) -> None:
    await api.setup_basics()
    before = await api.get(f"{base}/{code}")
    r = await api.delete(f"{base}/{code}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["archived"] is True
    assert body["version"] == before.json()["version"] + 1
    assert r.headers["ETag"] == f'"{body["version"]}"'
    again = await api.delete(f"{base}/{code}", headers={"If-Match": before.headers["ETag"]})
    assert (again.status_code, again.json(), again.headers["ETag"]) == (
        200,
        body,
        r.headers["ETag"],
    )
    assert (await api.get(f"{base}/{code}")).json() == body
    assert len(await archived_events(api)) == 1


@pytest.mark.parametrize(("base", "code"), RESOURCES)
async def test_delete_checks_if_match_the_scope_and_the_path(
    api: Api, db: Container, base: str, code: str
) -> None:
    await api.setup_basics()
    r = await api.delete(f"{base}/{code}", headers={"If-Match": '"99"'})
    assert (r.status_code, r.json()["code"], r.json()["current_version"]) == (
        409,
        "version_conflict",
        1,
    )
    r = await api.delete(f"{base}/{code}", headers={"If-Match": "soon"})
    assert r.status_code == 422
    _, token = await create_key(db.bus, "writer", {Scope.WRITE})
    r = await api.delete(f"{base}/{code}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert (await api.delete(f"{base}/nope")).status_code == 404
    assert await archived_events(api) == []
    r = await api.delete(f"{base}/{code}", headers={"If-Match": '"1"'})
    assert r.status_code == 200


@pytest.mark.parametrize(("base", "code", "key"), [(*RESOURCES[0], "sku"), (*RESOURCES[1], "id")])
async def test_lists_leave_archived_ones_out_unless_asked_for(
    api: Api, base: str, code: str, key: str
) -> None:
    await api.setup_basics()
    before = [x[key] for x in (await api.get(base)).json()["items"]]
    assert code in before
    await api.delete(f"{base}/{code}")
    assert [x[key] for x in (await api.get(base)).json()["items"]] == [
        c for c in before if c != code
    ]
    only = (await api.get(base, params={"archived": "true"})).json()["items"]
    assert [x[key] for x in only] == [code]
    assert (await api.get(base, params={"archived": "false"})).json()["items"] == (
        await api.get(base)
    ).json()["items"]


async def test_an_archived_sku_cannot_be_held_ordered_or_sold(api: Api) -> None:
    await api.setup_basics()
    await api.delete("/v1/skus/A")
    attempts = [
        ("/v1/reservations", {"lines": [{"sku": "A", "quantity": 1}]}),
        ("/v1/reservations", {"lines": [{"sku": "A", "quantity": 1, "location": "x"}]}),
        ("/v1/orders", {"order_id": "O1", "lines": [{"sku": "A", "quantity": 1}]}),
        (
            "/v1/sales",
            {"location": "x", "external_id": "R1", "lines": [{"sku": "A", "quantity": 1}]},
        ),
    ]
    for path, body in attempts:
        r = await api.post(path, json=body)
        assert (r.status_code, r.json()["code"]) == (422, "invalid_request"), (path, r.text)
        assert [e["detail"] for e in r.json()["errors"]] == [
            "SKU 'A' is archived: no longer held, ordered or sold"
        ]
    level = (await api.get("/v1/levels", params={"sku": "A", "location": "x"})).json()["items"]
    assert level[0]["reserved"] == level[0]["committed"] == 0


async def test_an_archived_location_is_never_chosen_nor_counted_as_available(api: Api) -> None:
    await api.setup_basics()
    change = {"sku": "A", "location": "y", "state": "on_hand", "delta": 4, "reason": "r"}
    assert (await api.post("/v1/adjustments", json={"changes": [change]})).status_code == 200
    await api.delete("/v1/locations/x")
    r = await api.post("/v1/allocations/quote", json={"lines": [{"sku": "A", "quantity": 2}]})
    [line] = r.json()["lines"]
    assert [a["location"] for a in line["allocations"]] == ["y"]
    assert {"location": "x", "reason": "archived"} in line["rejected"]
    r = await api.post("/v1/reservations", json={"lines": [{"sku": "A", "quantity": 5}]})
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    r = await api.post(
        "/v1/reservations", json={"lines": [{"sku": "A", "quantity": 1, "location": "x"}]}
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "lines[0].location")
    assert r.json()["errors"][0]["detail"] == "location 'x' is archived"
    availability = (await api.get("/v1/availability/A")).json()
    assert (availability["available"], availability["on_hand"]) == (4, 14)
