"""The HTTP contract: idempotent POSTs, If-Match, expiry, pagination, the ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from tests.e2e.conftest import Api


async def state(db: Container) -> tuple[Any, ...]:
    assert db.pool is not None
    levels = await db.pool.fetch("SELECT * FROM levels ORDER BY sku, location")
    events = await db.pool.fetchval("SELECT count(*) FROM ledger_events")
    holds = await db.pool.fetch("SELECT id, status FROM reservations ORDER BY id")
    catalog = await db.pool.fetchval("SELECT count(*) FROM skus") + await db.pool.fetchval(
        "SELECT count(*) FROM locations"
    )
    return tuple(map(tuple, levels)), events, tuple(map(tuple, holds)), catalog


async def hold(api: Api, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    r = await api.post(
        "/v1/reservations", json={"lines": [{"sku": "A", "quantity": quantity}]} | extra
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


PostFactory = Callable[[Api], Awaitable[tuple[str, dict[str, Any] | None]]]


async def _reservation(api: Api) -> tuple[str, dict[str, Any] | None]:
    return "/v1/reservations", {"lines": [{"sku": "A", "quantity": 2}]}


async def _adjustment(api: Api) -> tuple[str, dict[str, Any] | None]:
    change = {"sku": "A", "location": "x", "state": "on_hand", "delta": 3, "reason": "r"}
    return "/v1/adjustments", {"changes": [change]}


async def _sku(api: Api) -> tuple[str, dict[str, Any] | None]:
    return "/v1/skus", {"sku": "NEW", "product_id": "P", "name": "New"}


async def _location(api: Api) -> tuple[str, dict[str, Any] | None]:
    return "/v1/locations", {"id": "z", "name": "Zed"}


async def _extend(api: Api) -> tuple[str, dict[str, Any] | None]:
    return f"/v1/reservations/{(await hold(api))['id']}/extend", {"ttl_seconds": 3000}


async def _release(api: Api) -> tuple[str, dict[str, Any] | None]:
    return f"/v1/reservations/{(await hold(api))['id']}/release", None


async def _commit(api: Api) -> tuple[str, dict[str, Any] | None]:
    return f"/v1/reservations/{(await hold(api))['id']}/commit", {"order_id": "O-1"}


POSTS: dict[str, PostFactory] = {
    "reservation": _reservation,
    "adjustment": _adjustment,
    "sku": _sku,
    "location": _location,
    "extend": _extend,
    "release": _release,
    "commit": _commit,
}


@pytest.mark.parametrize("make", POSTS.values(), ids=POSTS.keys())
async def test_replaying_a_post_with_its_idempotency_key_changes_nothing(
    api: Api, db: Container, make: PostFactory
) -> None:
    await api.setup_basics()
    path, body = await make(api)
    headers = {"Idempotency-Key": "k-1"}
    first = await api.post(path, json=body, headers=headers)
    assert first.status_code in (200, 201), first.text
    after_first = await state(db)
    db.clock.advance(5)  # type: ignore[attr-defined]
    again = await api.post(path, json=body, headers=headers)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await state(db) == after_first


async def test_the_same_key_with_another_body_is_refused(api: Api, db: Container) -> None:
    await api.setup_basics()
    headers = {"Idempotency-Key": "k-2"}
    assert (
        await api.post(
            "/v1/reservations", json={"lines": [{"sku": "A", "quantity": 1}]}, headers=headers
        )
    ).status_code == 201
    before = await state(db)
    r = await api.post(
        "/v1/reservations", json={"lines": [{"sku": "A", "quantity": 2}]}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"
    assert await state(db) == before


async def test_a_failed_request_is_not_stored_so_a_retry_is_evaluated_again(api: Api) -> None:
    await api.setup_basics()
    headers = {"Idempotency-Key": "k-3"}
    body = {"lines": [{"sku": "A", "quantity": 12}]}
    assert (await api.post("/v1/reservations", json=body, headers=headers)).status_code == 409
    change = {"sku": "A", "location": "x", "state": "on_hand", "delta": 5, "reason": "r"}
    assert (await api.post("/v1/adjustments", json={"changes": [change]})).status_code == 200
    assert (await api.post("/v1/reservations", json=body, headers=headers)).status_code == 201


async def test_keys_of_different_callers_do_not_collide(api: Api, db: Container) -> None:
    from stockd.service.auth import Scope
    from stockd.service.keys import create_key

    await api.setup_basics()
    _, other = await create_key(db.bus, "other", {Scope.WRITE})
    body = {"lines": [{"sku": "A", "quantity": 1}]}
    a = await api.post("/v1/reservations", json=body, headers={"Idempotency-Key": "same"})
    b = await api.post(
        "/v1/reservations",
        json=body,
        headers={"Idempotency-Key": "same", "Authorization": f"Bearer {other}"},
    )
    assert a.json()["id"] != b.json()["id"]


async def test_if_match_with_a_stale_etag_is_a_409(api: Api) -> None:
    await api.setup_basics()
    r = await api.get("/v1/skus/A")
    etag = r.headers["etag"]
    assert etag == '"1"'
    r = await api.patch("/v1/skus/A", json={"name": "Renamed"}, headers={"If-Match": etag})
    assert (r.status_code, r.headers["etag"], r.json()["name"]) == (200, '"2"', "Renamed")
    r = await api.patch("/v1/skus/A", json={"name": "Lost update"}, headers={"If-Match": etag})
    assert r.status_code == 409
    assert (r.json()["code"], r.json()["current_version"]) == ("version_conflict", 2)
    assert (await api.get("/v1/skus/A")).json()["name"] == "Renamed"
    r = await api.patch("/v1/locations/x", json={"priority": 5}, headers={"If-Match": '"7"'})
    assert r.status_code == 409


async def test_a_hold_expires_by_the_clock_without_any_sleep(api: Api, db: Container) -> None:
    await api.setup_basics()
    clock = db.clock
    assert isinstance(clock, ManualClock)
    held = await hold(api, 4, ttl_seconds=30)
    assert (await api.get("/v1/availability/A")).json()["available"] == 6
    clock.advance(30)
    assert (await api.get(f"/v1/reservations/{held['id']}")).json()["status"] == "expired"
    assert (await api.get("/v1/availability/A")).json()["available"] == 10
    r = await api.post(f"/v1/reservations/{held['id']}/commit", json={"order_id": "late"})
    assert (r.status_code, r.json()["code"]) == (409, "reservation_expired")
    r = await api.post(f"/v1/reservations/{held['id']}/release")
    assert (r.status_code, r.json()["code"]) == (409, "reservation_expired")
    assert r.json()["reservation_status"] == "expired"


async def test_retrying_a_commit_of_an_expired_hold_with_its_key_gets_409_again(
    api: Api, db: Container
) -> None:
    await api.setup_basics()
    held = await hold(api, 1, ttl_seconds=30)
    db.clock.advance(31)  # type: ignore[attr-defined]
    headers = {"Idempotency-Key": "late-commit"}
    for _ in range(2):
        r = await api.post(
            f"/v1/reservations/{held['id']}/commit", json={"order_id": "O"}, headers=headers
        )
        assert (r.status_code, r.json()["code"]) == (409, "reservation_expired")
    found = (await api.get(f"/v1/reservations/{held['id']}")).json()
    assert (found["status"], found["closed_at"] is not None) == ("expired", True)


async def test_the_reservation_lifecycle_over_http(api: Api) -> None:
    await api.setup_basics()
    held = await hold(api, 3, reference="cart-9")
    assert held["status"] == "active"
    assert held["lines"] == [{"sku": "A", "quantity": 3, "location": "x"}]
    r = await api.post(f"/v1/reservations/{held['id']}/extend", json={"ttl_seconds": 3600})
    assert r.json()["expires_at"] > held["expires_at"]
    r = await api.post(f"/v1/reservations/{held['id']}/commit", json={"order_id": "ORD-9"})
    assert (r.json()["status"], r.json()["order_id"]) == ("committed", "ORD-9")
    availability = (await api.get("/v1/availability/A")).json()
    assert (availability["available"], availability["committed"]) == (7, 3)
    assert (await api.get("/v1/reservations/res_missing")).status_code == 404


async def test_lists_page_through_everything_exactly_once(api: Api) -> None:
    await api.setup_basics()
    for i in range(7):
        await api.post("/v1/skus", json={"sku": f"S{i}", "product_id": "P", "name": "s"})
    changes = [
        {"sku": f"S{i}", "location": loc, "state": "on_hand", "delta": 1, "reason": "r"}
        for i in range(7)
        for loc in ("x", "y")
    ]
    assert (await api.post("/v1/adjustments", json={"changes": changes})).status_code == 200
    for path, key, total in (("/v1/levels", "sku", 15), ("/v1/skus", "sku", 8)):
        seen: list[Any] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
            page = (await api.get(path, params=params)).json()
            seen += [(item[key], item.get("location")) for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == total
        assert seen == sorted(set(seen))
    only_y = (await api.get("/v1/levels", params={"location": "y"})).json()["items"]
    assert {item["location"] for item in only_y} == {"y"}


async def test_the_ledger_pages_in_order_with_after(api: Api) -> None:
    await api.setup_basics()
    held = await hold(api, 2)
    await api.post(f"/v1/reservations/{held['id']}/release")
    first = (await api.get("/v1/events", params={"limit": 5})).json()
    rest = (await api.get("/v1/events", params={"after": first["next_after"]})).json()
    types = [e["type"] for e in first["items"] + rest["items"]]
    assert types == [
        "key.created",  # the test's own admin key
        "location.created",
        "location.created",
        "sku.created",
        "stock.adjusted",
        "reservation.created",
        "reservation.released",
    ]
    seqs = [e["seq"] for e in first["items"] + rest["items"]]
    assert seqs == [1, 2, 3, 4, 5, 6, 7]
    created = rest["items"][0]
    assert created["delta"] == {"reserved": 2}
    assert created["after"]["available"] == 8
    assert created["reservation_id"] == held["id"]
    assert created["data"] is None
    sku = first["items"][3]
    assert (sku["sku"], sku["delta"], sku["data"]["attributes"]["name"]) == ("A", None, "A")
    key = first["items"][0]
    assert set(key["data"]) == {"key_id", "name", "scopes"}  # never the secret
    empty = (await api.get("/v1/events", params={"after": 7})).json()
    assert (empty["items"], empty["next_after"]) == ([], 7)
