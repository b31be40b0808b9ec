"""Counts, stock reports and sources over HTTP: blind by default,
idempotent, bad input a 422 naming what is wrong, admin to register."""

from __future__ import annotations

from datetime import timedelta

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api
from tests.support import T0

COUNTED_AT = "2026-01-01T12:30:00Z"
"""After `setup_basics` received 10 of A at T0 (12:00); `later` moves the clock to 13:00."""


def later(db: Container) -> None:
    assert isinstance(db.clock, ManualClock)
    db.clock.set(T0 + timedelta(hours=1))


async def test_a_blind_count_hides_what_was_expected_until_asked(api: Api, db: Container) -> None:
    await api.setup_basics()  # 10 of A at x
    later(db)
    r = await api.post(
        "/v1/counts",
        json={"location": "x", "counted_at": COUNTED_AT, "lines": [{"sku": "A", "quantity": 7}]},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    [line] = body["lines"]
    assert line["outcome"] == "applied"
    assert (line["expected"], line["adjustment"], line["short"]) == (None, None, None)
    r = await api.get(f"/v1/counts/{body['id']}")
    assert r.json()["location"] == "x"
    assert [(x["expected"], x["adjustment"]) for x in r.json()["lines"]] == [(10, -3)]
    r = await api.post(
        "/v1/counts",
        json={
            "location": "x",
            "counted_at": "2026-01-01T12:45:00Z",
            "lines": [{"sku": "A", "quantity": 9}],
            "blind": False,
        },
    )
    assert [(x["expected"], x["adjustment"]) for x in r.json()["lines"]] == [(7, 2)]
    events = (await api.get("/v1/events", params={"type": "stock.counted"})).json()["items"]
    assert [e["data"] for e in events] == [
        {"counted": 7, "expected": 10, "effective_at": "2026-01-01T12:30:00Z"},
        {"counted": 9, "expected": 7, "effective_at": "2026-01-01T12:45:00Z"},
    ]


async def test_a_count_retried_with_its_idempotency_key_counts_once(
    api: Api, db: Container
) -> None:
    await api.setup_basics()
    later(db)
    body = {"location": "x", "counted_at": COUNTED_AT, "lines": [{"sku": "A", "quantity": 4}]}
    first = await api.post("/v1/counts", json=body, headers={"Idempotency-Key": "c-1"})
    again = await api.post("/v1/counts", json=body, headers={"Idempotency-Key": "c-1"})
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.json() == first.json()
    levels = (await api.get("/v1/levels", params={"sku": "A"})).json()["items"]
    assert [x["on_hand"] for x in levels] == [4]


async def test_bad_counts_are_422s_that_name_the_field(api: Api, db: Container) -> None:
    await api.setup_basics()
    later(db)
    cases = [
        ({"counted_at": "2026-01-01T13:01:00Z"}, "counted_at", "in the future"),
        ({"counted_at": "2025-01-01T13:00:00Z"}, "counted_at", "STOCKD_CORRECTION_MAX_AGE_HOURS"),
        ({"counted_at": "2026-01-01T11:00:00"}, "counted_at", "timezone"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku", "unknown SKU 'NOPE'"),
        ({"lines": [{"sku": "A", "quantity": -1}]}, "quantity", "greater than or equal"),
        (
            {"lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 2}]},
            "lines[1].sku",
            "counted twice",
        ),
    ]
    for change, field, words in cases:
        body = {
            "location": "x",
            "counted_at": COUNTED_AT,
            "lines": [{"sku": "A", "quantity": 1}],
            **change,
        }
        r = await api.post("/v1/counts", json=body)
        assert r.status_code == 422, (change, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert field in r.text, (change, r.text)
        assert words in r.text, (change, r.text)
    levels = (await api.get("/v1/levels", params={"sku": "A"})).json()["items"]
    assert [x["on_hand"] for x in levels] == [10]


async def test_sources_are_registered_by_admins_and_listed(api: Api, db: Container) -> None:
    r = await api.post("/v1/sources", json={"id": "pos-1", "priority": 2, "policy": "priority"})
    assert r.status_code == 201, r.text
    assert r.json() == {
        "id": "pos-1",
        "priority": 2,
        "policy": "priority",
        "created_at": T0.isoformat().replace("+00:00", "Z"),
    }
    assert (await api.post("/v1/sources", json={"id": "pos-1"})).status_code == 409
    r = await api.post("/v1/sources", json={"id": "x", "policy": "loudest"})
    assert r.status_code == 422
    assert "policy" in r.text
    assert [s["id"] for s in (await api.get("/v1/sources")).json()["items"]] == ["pos-1"]
    assert (await api.get("/v1/sources/pos-1")).json()["priority"] == 2
    assert (await api.get("/v1/sources/nope")).status_code == 404
    _, writer = await create_key(db.bus, "writer", {Scope.WRITE})
    r = await api.post(
        "/v1/sources", json={"id": "pos-2"}, headers={"Authorization": f"Bearer {writer}"}
    )
    assert r.status_code == 403


async def test_stock_reports_answer_per_line(api: Api, db: Container) -> None:
    await api.setup_basics()
    later(db)
    await api.post("/v1/sources", json={"id": "pos-1", "priority": 1})
    await api.post("/v1/sources", json={"id": "wms", "priority": 5})
    r = await api.put("/v1/locations/x/report-policy", json={"policy": "priority"})
    assert r.json() == {"location": "x", "policy": "priority"}
    line = {"sku": "A", "location": "x", "quantity": 12, "observed_at": "2026-01-01T12:10:00Z"}
    r = await api.post("/v1/stock-reports", json={"source": "wms", "lines": [line]})
    assert r.status_code == 200, r.text
    [answer] = r.json()["lines"]
    assert (answer["outcome"], answer["adjustment"], answer["on_hand"]) == ("applied", 2, 12)
    low = {**line, "quantity": 3, "observed_at": "2026-01-01T12:11:00Z"}
    r = await api.post("/v1/stock-reports", json={"source": "pos-1", "lines": [low, low]})
    assert [x["outcome"] for x in r.json()["lines"]] == ["superseded", "ignored"]
    assert "highest-priority" in r.json()["lines"][0]["why"]
    r = await api.post("/v1/stock-reports", json={"source": "ghost", "lines": [line]})
    assert r.status_code == 422
    assert "unknown source 'ghost'" in r.text
    r = await api.put("/v1/locations/nowhere/report-policy", json={"policy": "priority"})
    assert r.status_code == 404
    r = await api.put("/v1/locations/x/report-policy", json={"policy": None})
    assert (await api.get("/v1/locations/x/report-policy")).json()["policy"] is None
