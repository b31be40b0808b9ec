# ruff: noqa: E501  (the table of cases reads best one case a line)
"""Production capacity over HTTP: pools and weeks, slot bookings through
their lifecycle, made-to-order lines in orders, and bad input (a 4xx naming
what is wrong, nothing written)."""

from __future__ import annotations

from typing import Any

import pytest

from stockd.bootstrap import Container
from stockd.entrypoints.workers.loops import expire_once
from tests.e2e.conftest import Api

PROBLEM = "application/problem+json"
# T0 (the test clock) is Thursday 1 January 2026, 12:00 UTC: 2026-W01
# everywhere but east of UTC+12. The workshop works on Berlin time.


async def ok(api: Api, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    r = await api.request(method, path, json=body)
    assert r.status_code == status, (path, r.text)
    return r.json()


async def workshop(api: Api) -> None:
    """Workshop `works` (Europe/Berlin); pools `upholstery` (lead time 1 week)
    and `leather`; SOFA made in upholstery (leather fabric: in `leather`),
    physical SKU A with 10 on hand at x; capacity: upholstery 2026-W02 10,
    W03 20; leather W02 2."""
    await api.setup_basics()
    await ok(
        api,
        "POST",
        "/v1/locations",
        {"id": "works", "name": "Works", "timezone": "Europe/Berlin"},
        201,
    )
    pool = await ok(
        api,
        "POST",
        "/v1/capacity-pools",
        {"id": "upholstery", "location": "works", "name": "Upholstery", "lead_time_weeks": 1},
        201,
    )
    assert pool == {
        "id": "upholstery",
        "location": "works",
        "name": "Upholstery",
        "lead_time_weeks": 1,
        "version": 1,
    }
    await ok(
        api,
        "POST",
        "/v1/capacity-pools",
        {"id": "leather", "location": "works", "name": "Leather"},
        201,
    )
    sofa = await ok(
        api,
        "POST",
        "/v1/skus",
        {
            "sku": "SOFA",
            "product_id": "SOFA",
            "name": "Sofa",
            "inventory_type": "made_to_order",
            "capacity_pool": "upholstery",
            "option_pools": [{"option": "fabric", "value": "leather", "pool": "leather"}],
        },
        201,
    )
    assert (sofa["inventory_type"], sofa["capacity_pool"]) == ("made_to_order", "upholstery")
    await ok(
        api,
        "PUT",
        "/v1/capacity-pools/upholstery/weeks",
        {"weeks": [{"week": "2026-W02", "units": 10}, {"week": "2026-W03", "units": 20}]},
    )
    await ok(
        api,
        "PUT",
        "/v1/capacity-pools/leather/weeks",
        {"weeks": [{"week": "2026-W02", "units": 2}]},
    )


async def week(api: Api, pool: str, name: str) -> dict[str, int]:
    found = await ok(api, "GET", f"/v1/capacity-pools/{pool}/weeks?from={name}&to={name}")
    [w] = found["weeks"]
    return {k: w[k] for k in ("capacity", "held", "committed", "free")}


async def test_pools_show_every_week_of_the_range_with_what_is_free(api: Api) -> None:
    await workshop(api)
    shown = await ok(api, "GET", "/v1/capacity-pools/upholstery/weeks")
    # From this week, as far as a booking made now looks: lead time 1 + 8 weeks.
    assert [w["week"] for w in shown["weeks"]] == [f"2026-W{i:02d}" for i in range(1, 10)]
    assert shown["weeks"][1] == {
        "week": "2026-W02",
        "capacity": 10,
        "held": 0,
        "committed": 0,
        "free": 10,
    }
    assert shown["weeks"][0]["capacity"] == 0
    listed = await ok(api, "GET", "/v1/capacity-pools")
    assert [p["id"] for p in listed["items"]] == ["leather", "upholstery"]
    assert (await ok(api, "GET", "/v1/capacity-pools/leather"))["lead_time_weeks"] == 0
    r = await api.get("/v1/capacity-pools/nope")
    assert r.status_code == 404


async def test_a_slot_booking_lives_like_a_hold(api: Api, db: Container) -> None:
    await workshop(api)
    slot = await ok(
        api,
        "POST",
        "/v1/production/slots",
        {
            "lines": [
                {"sku": "SOFA", "quantity": 6},
                {"sku": "SOFA", "quantity": 6, "options": {"fabric": "velvet"}},
            ],
            "ttl_seconds": 60,
            "reference": "cart-1",
        },
        201,
    )
    # This week + a week's lead time: W02 takes the first line whole, not the second.
    assert [(x["pool"], x["week"]) for x in slot["lines"]] == [
        ("upholstery", "2026-W02"),
        ("upholstery", "2026-W03"),
    ]
    assert slot["lines"][0]["ready_at"] == "2026-01-11T23:00:00Z"  # Monday 12th, 00:00 in Berlin
    assert slot["lines"][1]["options"] == {"fabric": "velvet"}
    assert (slot["status"], slot["reference"]) == ("active", "cart-1")
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 6,
        "committed": 0,
        "free": 4,
    }

    extended = await ok(
        api, "POST", f"/v1/production/slots/{slot['id']}/extend", {"ttl_seconds": 600}
    )
    assert extended["expires_at"] == "2026-01-01T12:10:00Z"
    released = await ok(api, "POST", f"/v1/production/slots/{slot['id']}/release")
    assert released["status"] == "released"
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 0,
        "committed": 0,
        "free": 10,
    }
    r = await api.post(f"/v1/production/slots/{slot['id']}/release")
    assert (r.status_code, r.json()["code"], r.json()["slot_status"]) == (
        409,
        "slot_not_active",
        "released",
    )

    # Expiry: the worker gives the units back once the deadline passes.
    short = await ok(
        api,
        "POST",
        "/v1/production/slots",
        {
            "lines": [{"sku": "SOFA", "quantity": 2, "options": {"fabric": "leather"}}],
            "ttl_seconds": 30,
        },
        201,
    )
    assert short["lines"][0]["pool"] == "leather"
    assert await week(api, "leather", "2026-W02") == {
        "capacity": 2,
        "held": 2,
        "committed": 0,
        "free": 0,
    }
    db.clock.advance(30)  # type: ignore[attr-defined]
    assert (await ok(api, "GET", f"/v1/production/slots/{short['id']}"))["status"] == "expired"
    assert await expire_once(db) == 1
    assert await week(api, "leather", "2026-W02") == {
        "capacity": 2,
        "held": 0,
        "committed": 0,
        "free": 2,
    }
    r = await api.post(f"/v1/production/slots/{short['id']}/commit", json={"order_id": "LATE"})
    assert (r.status_code, r.json()["slot_status"]) == (409, "expired")

    # Commit: held becomes committed, the order shows the week as the line's supply.
    booked = await ok(
        api, "POST", "/v1/production/slots", {"lines": [{"sku": "SOFA", "quantity": 3}]}, 201
    )
    committed = await ok(
        api, "POST", f"/v1/production/slots/{booked['id']}/commit", {"order_id": "ORDER-1"}
    )
    assert (committed["status"], committed["order_id"]) == ("committed", "ORDER-1")
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 0,
        "committed": 3,
        "free": 7,
    }
    order = await ok(api, "GET", "/v1/orders/ORDER-1")
    [shipment] = order["shipments"]
    assert shipment["location"] == "works"
    assert shipment["lines"][0]["supply"] == [
        {
            "source": "production",
            "quantity": 3,
            "ready_at": "2026-01-11T23:00:00Z",
            "reference": "pool:upholstery/2026-W02",
            "location": "works",
        }
    ]
    types = [e["type"] for e in (await ok(api, "GET", "/v1/events?type=production.*"))["items"]]
    assert types == [
        "production.booked",
        "production.booked",
        "production.extended",
        "production.extended",
        "production.released",
        "production.released",
        "production.booked",
        "production.expired",
        "production.booked",
        "production.committed",
    ]
    assert (await db.reads.verify()).clean


async def test_a_week_that_is_full_sends_the_line_on_or_names_the_earliest_that_could(
    api: Api,
) -> None:
    await workshop(api)
    await ok(
        api,
        "PUT",
        "/v1/capacity-pools/upholstery/weeks",
        {"weeks": [{"week": "2026-W15", "units": 50}]},
    )
    r = await api.post(
        "/v1/production/slots",
        json={"lines": [{"sku": "A", "quantity": 1}, {"sku": "SOFA", "quantity": 21}]},
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_request")  # A is physical
    r = await api.post(
        "/v1/production/slots",
        json={
            "lines": [
                {"sku": "SOFA", "quantity": 5},
                {"sku": "SOFA", "quantity": 21, "options": {"fabric": "linen"}},
            ]
        },
    )
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "insufficient_capacity"
    assert problem["lines"] == [
        {
            "index": 1,
            "sku": "SOFA",
            "pool": "upholstery",
            "quantity": 21,
            "first_week": "2026-W02",
            "earliest_week": "2026-W15",
        }
    ]
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 0,
        "committed": 0,
        "free": 10,
    }
    later = await ok(
        api,
        "POST",
        "/v1/production/slots",
        {"lines": [{"sku": "SOFA", "quantity": 5}], "earliest_week": "2026-W03"},
        201,
    )
    assert later["lines"][0]["week"] == "2026-W03"


async def test_orders_take_made_to_order_lines_beside_stock_lines_all_or_none(
    api: Api, db: Container
) -> None:
    await workshop(api)
    await ok(
        api,
        "PUT",
        "/v1/capacity-pools/leather/weeks",
        {"weeks": [{"week": "2026-W03", "units": 5}]},
    )
    placed = await ok(
        api,
        "POST",
        "/v1/orders",
        {
            "order_id": "MIX",
            "lines": [
                {"sku": "A", "quantity": 2},
                {"sku": "SOFA", "quantity": 4, "options": {"fabric": "leather"}},
                {"sku": "SOFA", "quantity": 8},
            ],
        },
        201,
    )
    by_location = {s["location"]: s["lines"] for s in placed["shipments"]}
    assert "supply" not in by_location["x"][0]  # stock on hand only: nothing to name
    assert [(x["ordered"], x["supply"][0]["reference"]) for x in by_location["works"]] == [
        (4, "pool:leather/2026-W03"),  # leather W02 has 2: too few for the whole line
        (8, "pool:upholstery/2026-W02"),
    ]
    assert (await ok(api, "GET", "/v1/orders/MIX"))["shipments"] == placed["shipments"]
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 0,
        "committed": 8,
        "free": 2,
    }

    # A short made-to-order line refuses the whole order: no stock is committed either.
    r = await api.post(
        "/v1/orders",
        json={
            "order_id": "NO",
            "lines": [{"sku": "A", "quantity": 1}, {"sku": "SOFA", "quantity": 21}],
        },
    )
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_capacity")
    # … and a short stock line refuses the made-to-order lines.
    r = await api.post(
        "/v1/orders",
        json={
            "order_id": "NO",
            "lines": [{"sku": "A", "quantity": 9}, {"sku": "SOFA", "quantity": 1}],
        },
    )
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    assert (await api.get("/v1/orders/NO")).status_code == 404
    assert (await ok(api, "GET", "/v1/availability/A"))["available"] == 8
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 0,
        "committed": 8,
        "free": 2,
    }

    # Cancelling gives the weeks their units back.
    await ok(api, "POST", "/v1/orders/MIX/cancel", {"reason": "changed mind"})
    after = {
        s["location"]: s["lines"] for s in (await ok(api, "GET", "/v1/orders/MIX"))["shipments"]
    }
    assert [
        (x["ordered"], x["committed"], x["cancelled"], x["supply"]) for x in after["works"]
    ] == [
        (4, 0, 4, []),
        (8, 0, 8, []),
    ]
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 0,
        "committed": 0,
        "free": 10,
    }
    assert await week(api, "leather", "2026-W03") == {
        "capacity": 5,
        "held": 0,
        "committed": 0,
        "free": 5,
    }
    cancelled = (await ok(api, "GET", "/v1/events?type=production.cancelled"))["items"]
    assert [(e["sku"], e["order_id"], e["data"]["quantity"]) for e in cancelled] == [
        ("SOFA", "MIX", 4),
        ("SOFA", "MIX", 8),
    ]
    assert (await db.reads.verify()).clean


async def test_lowering_a_week_below_what_is_booked_is_refused_naming_the_week(api: Api) -> None:
    await workshop(api)
    await ok(api, "POST", "/v1/production/slots", {"lines": [{"sku": "SOFA", "quantity": 6}]}, 201)
    r = await api.put(
        "/v1/capacity-pools/upholstery/weeks",
        json={"weeks": [{"week": "2026-W03", "units": 1}, {"week": "2026-W02", "units": 5}]},
    )
    assert r.status_code == 409
    assert r.json()["code"] == "capacity_below_booked"
    assert r.json()["weeks"] == [{"week": "2026-W02", "units": 5, "held": 6, "committed": 0}]
    assert await week(api, "upholstery", "2026-W03") == {
        "capacity": 20,
        "held": 0,
        "committed": 0,
        "free": 20,
    }
    done = await ok(
        api,
        "PUT",
        "/v1/capacity-pools/upholstery/weeks",
        {"weeks": [{"week": "2026-W02", "units": 6}]},
    )
    assert done["weeks"] == [
        {"week": "2026-W02", "capacity": 6, "held": 6, "committed": 0, "free": 0}
    ]


def mto(**overrides: Any) -> dict[str, Any]:
    return {
        "sku": "NEW",
        "product_id": "P",
        "name": "New",
        "inventory_type": "made_to_order",
        "capacity_pool": "upholstery",
    } | overrides


CASES: list[tuple[str, str, str, Any, int, str, str]] = [
    # (name, method, path, body, status, code, field named)
    ("week in the past", "PUT", "/v1/capacity-pools/upholstery/weeks", {"weeks": [{"week": "2026-W03", "units": 1}, {"week": "2025-W52", "units": 5}]}, 422, "invalid_request", "weeks[1].week"),
    ("malformed week", "PUT", "/v1/capacity-pools/upholstery/weeks", {"weeks": [{"week": "2026-3", "units": 1}]}, 422, "invalid_request", "weeks[0].week"),
    ("no such week", "PUT", "/v1/capacity-pools/upholstery/weeks", {"weeks": [{"week": "2027-W53", "units": 1}]}, 422, "invalid_request", "weeks[0].week"),
    ("week off the calendar", "PUT", "/v1/capacity-pools/upholstery/weeks", {"weeks": [{"week": "9999-W52", "units": 1}]}, 422, "invalid_request", "weeks[0].week"),
    ("negative capacity", "PUT", "/v1/capacity-pools/upholstery/weeks", {"weeks": [{"week": "2026-W04", "units": 3}, {"week": "2026-W05", "units": -1}]}, 422, "invalid_request", "weeks[1].units"),
    ("capacity past any integer", "PUT", "/v1/capacity-pools/upholstery/weeks", {"weeks": [{"week": "2026-W04", "units": -11590483214167220380031540210434048}]}, 422, "validation_failed", "units"),  # found by schemathesis
    ("week twice", "PUT", "/v1/capacity-pools/upholstery/weeks", {"weeks": [{"week": "2026-W04", "units": 3}, {"week": "2026-W04", "units": 4}]}, 422, "invalid_request", "weeks[1].week"),
    ("weeks of an unknown pool", "PUT", "/v1/capacity-pools/nope/weeks", {"weeks": [{"week": "2026-W04", "units": 3}]}, 404, "not_found", ""),
    ("pool at an unknown workshop", "POST", "/v1/capacity-pools", {"id": "p2", "location": "mars", "name": "P"}, 422, "unknown_reference", "location"),
    ("pool id taken", "POST", "/v1/capacity-pools", {"id": "leather", "location": "works", "name": "P"}, 409, "already_exists", ""),
    ("negative lead time", "POST", "/v1/capacity-pools", {"id": "p2", "location": "works", "name": "P", "lead_time_weeks": -1}, 422, "validation_failed", "lead_time_weeks"),
    ("made to order without pool", "POST", "/v1/skus", mto(capacity_pool=None), 422, "invalid_request", "capacity_pool"),
    ("physical with pool", "POST", "/v1/skus", mto(inventory_type="physical"), 422, "invalid_request", "capacity_pool"),
    ("unknown pool", "POST", "/v1/skus", mto(capacity_pool="nope"), 422, "unknown_reference", "capacity_pool"),
    ("unknown option pool", "POST", "/v1/skus", mto(option_pools=[{"option": "fabric", "value": "silk", "pool": "nope"}]), 422, "unknown_reference", "option_pools[0].pool"),
    ("pool on a physical sku", "PATCH", "/v1/skus/A", {"capacity_pool": "upholstery"}, 422, "invalid_request", "capacity_pool"),
    ("made to order without pool by patch", "PATCH", "/v1/skus/A", {"inventory_type": "made_to_order"}, 422, "invalid_request", "capacity_pool"),
    ("booking a physical sku", "POST", "/v1/production/slots", {"lines": [{"sku": "A", "quantity": 1}]}, 422, "invalid_request", "lines[0].sku"),
    ("booking an unknown sku", "POST", "/v1/production/slots", {"lines": [{"sku": "NOPE", "quantity": 1}]}, 422, "unknown_reference", "lines[0].sku"),
    ("booking from a past week", "POST", "/v1/production/slots", {"lines": [{"sku": "SOFA", "quantity": 1}], "earliest_week": "2025-W50"}, 422, "invalid_request", "earliest_week"),
    ("booking a malformed week", "POST", "/v1/production/slots", {"lines": [{"sku": "SOFA", "quantity": 1}], "earliest_week": "soon"}, 422, "invalid_request", "earliest_week"),
    ("booking the same line twice", "POST", "/v1/production/slots", {"lines": [{"sku": "SOFA", "quantity": 1}, {"sku": "SOFA", "quantity": 2}]}, 422, "invalid_request", "lines[1]"),
    ("booking too long", "POST", "/v1/production/slots", {"lines": [{"sku": "SOFA", "quantity": 1}], "ttl_seconds": 10**6}, 422, "invalid_request", "ttl_seconds"),
    ("booking nothing", "POST", "/v1/production/slots", {"lines": []}, 422, "validation_failed", "lines"),
    ("unknown booking", "POST", "/v1/production/slots/nope/release", None, 404, "not_found", ""),
    ("weeks backwards", "GET", "/v1/capacity-pools/upholstery/weeks?from=2026-W05&to=2026-W02", None, 422, "invalid_request", "to"),
    ("weeks malformed", "GET", "/v1/capacity-pools/upholstery/weeks?from=W05", None, 422, "invalid_request", "from"),
]  # fmt: skip


async def snapshot(db: Container) -> list[Any]:
    """Every row of the capacity tables and the SKUs, and the ledger's length."""
    assert db.pool is not None
    rows: list[Any] = []
    for table in (
        "capacity_pools",
        "capacity_weeks",
        "production_slots",
        "production_lines",
        "skus",
    ):
        rows.append([tuple(r) for r in await db.pool.fetch(f"SELECT * FROM {table} ORDER BY 1, 2")])
    rows.append(await db.pool.fetchval("SELECT count(*) FROM ledger_events"))
    return rows


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "status", "code", "field"), CASES, ids=[c[0] for c in CASES]
)
async def test_bad_input_is_a_problem_naming_it_and_writes_nothing(
    api: Api,
    db: Container,
    name: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    field: str,
) -> None:
    await workshop(api)
    before = await snapshot(db)
    r = await api.request(method, path, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["code"] == code
    if field:
        named = {e.get("field") for e in problem["errors"]}
        assert any(f.endswith(field) for f in named if f), named
    assert await snapshot(db) == before
