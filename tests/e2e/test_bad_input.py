# ruff: noqa: E501  (the table of cases reads best one case a line)
"""Bad input gets a clear 4xx problem that names what is wrong, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from stockd.bootstrap import Container
from tests.e2e.conftest import Api

PROBLEM = "application/problem+json"


async def snapshot(db: Container) -> tuple[Any, ...]:
    assert db.pool is not None
    levels = await db.pool.fetch("SELECT * FROM levels ORDER BY sku, location")
    events = await db.pool.fetchval("SELECT count(*) FROM ledger_events")
    holds = await db.pool.fetchval("SELECT count(*) FROM reservations")
    return tuple(map(tuple, levels)), events, holds


def line(**overrides: Any) -> dict[str, Any]:
    return {"sku": "A", "quantity": 1} | overrides


def change(**overrides: Any) -> dict[str, Any]:
    return {"sku": "A", "location": "x", "state": "on_hand", "delta": 1, "reason": "r"} | overrides


CASES: list[tuple[str, str, Any, int, str, str]] = [
    # (name, path, body, status, code, words the detail must contain)
    ("wrong type", "/v1/reservations", {"lines": [line(quantity="3")]}, 422, "validation_failed", "lines[0].quantity"),
    ("zero quantity", "/v1/reservations", {"lines": [line(quantity=0)]}, 422, "validation_failed", "lines[0].quantity"),
    ("negative quantity", "/v1/reservations", {"lines": [line(quantity=-2)]}, 422, "validation_failed", "greater than or equal to 1"),
    ("absurd quantity", "/v1/reservations", {"lines": [line(quantity=10**12)]}, 422, "validation_failed", "less than or equal to 1000000"),
    ("float quantity", "/v1/reservations", {"lines": [line(quantity=1.5)]}, 422, "validation_failed", "lines[0].quantity"),
    ("unknown field", "/v1/reservations", {"lines": [line(colour="red")]}, 422, "validation_failed", "lines[0].colour"),
    ("no lines", "/v1/reservations", {"lines": []}, 422, "validation_failed", "lines"),
    ("unknown sku", "/v1/reservations", {"lines": [line(sku="NOPE")]}, 422, "unknown_reference", "unknown SKU 'NOPE'"),
    ("unknown location", "/v1/reservations", {"lines": [line(location="mars")]}, 422, "unknown_reference", "unknown location 'mars'"),
    ("duplicate lines", "/v1/reservations", {"lines": [line(), line(quantity=2)]}, 422, "duplicate_lines", "merge"),
    ("control characters", "/v1/reservations", {"lines": [line()], "reference": "a\u0000b"}, 422, "validation_failed", "reference"),
    ("bad sku code", "/v1/reservations", {"lines": [line(sku="../etc")]}, 422, "validation_failed", "lines[0].sku"),
    ("ttl too long", "/v1/reservations", {"lines": [line()], "ttl_seconds": 10**6}, 422, "invalid_request", "ttl_seconds"),
    ("both delta and set", "/v1/adjustments", {"changes": [change(set=3)]}, 422, "validation_failed", "exactly one of 'delta' and 'set'"),
    ("zero delta", "/v1/adjustments", {"changes": [change(delta=0)]}, 422, "validation_failed", "must not be 0"),
    ("absurd delta", "/v1/adjustments", {"changes": [change(delta=10**10)]}, 422, "validation_failed", "changes[0].delta"),
    ("reserved is not adjustable", "/v1/adjustments", {"changes": [change(state="reserved")]}, 422, "validation_failed", "changes[0].state"),
    ("move needs positive delta", "/v1/adjustments", {"changes": [change(state="damaged", from_state="on_hand", delta=-1)]}, 422, "validation_failed", "positive"),
    ("oversize bulk", "/v1/adjustments", {"changes": [change()] * 1001}, 422, "validation_failed", "at most 1000"),
    ("unknown sku in bulk", "/v1/adjustments", {"changes": [change(), change(sku="NOPE")]}, 422, "bulk_rejected", "nothing was applied"),
    ("stock below holds", "/v1/adjustments", {"changes": [change(delta=-11)]}, 409, "bulk_rejected", "nothing was applied"),
    ("not enough stock", "/v1/reservations", {"lines": [line(quantity=11)]}, 409, "insufficient_stock", "not enough stock for A"),
    ("sku exists", "/v1/skus", {"sku": "A", "product_id": "P", "name": "A"}, 409, "already_exists", "already exists"),
    ("cap without backorder", "/v1/skus", {"sku": "Z", "product_id": "P", "name": "Z", "backorder_cap": 4}, 422, "validation_failed", "backorder"),
    ("lat without lon", "/v1/locations", {"id": "z", "name": "Z", "lat": 1.0}, 422, "validation_failed", "together"),
    ("latitude out of range", "/v1/locations", {"id": "z", "name": "Z", "lat": 91.0, "lon": 0.0}, 422, "validation_failed", "lat"),
    ("not an object", "/v1/reservations", [1, 2], 422, "validation_failed", "body"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "status", "code", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_input_is_a_problem_naming_what_is_wrong_and_writes_nothing(
    api: Api, db: Container, path: str, body: Any, status: int, code: str, words: str
) -> None:
    await api.setup_basics()
    before = await snapshot(db)
    r = await api.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["type"] == f"urn:stockd:problem:{code}"
    assert words in problem["detail"] or words in str(problem.get("errors")), problem
    assert await snapshot(db) == before


async def test_an_atomic_bulk_lists_every_failing_item(api: Api) -> None:
    await api.setup_basics()
    r = await api.post(
        "/v1/adjustments",
        json={
            "changes": [change(), change(sku="NOPE"), change(delta=-50), change(location="mars")]
        },
    )
    assert r.status_code == 422
    assert [(e["index"], e["code"]) for e in r.json()["errors"]] == [
        (1, "unknown_reference"),
        (2, "invariant_violation"),
        (3, "unknown_reference"),
    ]


async def test_an_insufficient_stock_problem_lists_the_short_lines(api: Api) -> None:
    await api.setup_basics()
    r = await api.post("/v1/reservations", json={"lines": [line(quantity=11, location="x")]})
    assert r.status_code == 409
    assert r.json()["lines"] == [
        {"sku": "A", "location": "x", "requested": 11, "available": 10, "short": 1}
    ]


async def test_malformed_json_is_a_400(api: Api, db: Container) -> None:
    await api.setup_basics()
    before = await snapshot(db)
    r = await api.post(
        "/v1/reservations", content=b'{"lines": [', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"
    assert await snapshot(db) == before


async def test_a_body_over_the_limit_is_a_413(api: Api) -> None:
    r = await api.post("/v1/adjustments", content=b"x" * (300 * 1024))
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_a_bad_cursor_is_a_400(api: Api) -> None:
    r = await api.get("/v1/levels", params={"cursor": "not-a-cursor"})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_cursor"


async def test_a_page_limit_below_1_is_refused(api: Api) -> None:
    r = await api.get("/v1/levels", params={"limit": 0})
    assert r.status_code == 422
    assert "limit" in r.json()["detail"]


async def test_a_page_limit_over_the_cap_is_served_as_the_cap(api: Api) -> None:
    r = await api.get("/v1/levels", params={"limit": 1001})
    assert r.status_code == 200


async def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    r = await api.get("/v1/nothing-here")
    assert (r.status_code, r.headers["content-type"]) == (404, PROBLEM)
    r = await api.put("/v1/skus/A", json={})
    assert (r.status_code, r.headers["content-type"]) == (405, PROBLEM)


async def test_a_missing_key_is_a_401_with_a_bearer_challenge(api: Api) -> None:
    r = await api.get("/v1/locations", headers={"Authorization": ""})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = await api.get("/v1/locations", headers={"Authorization": "Bearer sk_nope"})
    assert r.status_code == 401


async def test_a_read_key_cannot_write(api: Api, db: Container) -> None:
    from stockd.service.auth import Scope
    from stockd.service.keys import create_key

    _, token = await create_key(db.bus, "reader", {Scope.READ})
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/v1/locations", headers=headers)).status_code == 200
    r = await api.post("/v1/reservations", json={"lines": [line()]}, headers=headers)
    assert r.status_code == 403
    assert "needs 'write'" in r.json()["detail"]


async def test_health_endpoints_need_no_key(api: Api) -> None:
    assert (await api.get("/healthz", headers={"Authorization": ""})).json() == {"status": "ok"}
    assert (await api.get("/readyz", headers={"Authorization": ""})).status_code == 200


async def test_the_hot_paths_refuse_oversize_bodies_and_bad_paths_like_the_rest(api: Api) -> None:
    r = await api.post("/v1/reservations", content=b"x" * (300 * 1024))
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")
    r = await api.get("/v1/availability/")
    assert r.status_code == 404
    r = await api.get("/v1/availability/bad%20sku")
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")
    r = await api.post("/v1/reservations", json={"lines": [line()]}, headers={"Authorization": ""})
    assert (r.status_code, r.headers["www-authenticate"]) == (401, "Bearer")
    r = await api.post(
        "/v1/reservations", json={"lines": [line()]}, headers={"Idempotency-Key": "bad key"}
    )
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")
