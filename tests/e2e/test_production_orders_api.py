# ruff: noqa: E501  (the table of cases reads best one case a line)
"""Made-to-order orders over HTTP: the workshop reports units made, they
ship from the workshop, the order keeps its promised dates, and bad input
is a problem naming what is wrong, with nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from stockd.bootstrap import Container
from tests.e2e.conftest import Api
from tests.e2e.test_production_api import PROBLEM, ok, week, workshop

# The workshop's week 2026-W02 (upholstery: lead time 1 week) ends on Monday
# 12 January 00:00 in Berlin.
W02_READY = "2026-01-11T23:00:00Z"


async def order(api: Api, order_id: str = "O1", quantity: int = 3) -> Any:
    return await ok(
        api,
        "POST",
        "/v1/orders",
        {
            "order_id": order_id,
            "lines": [{"sku": "SOFA", "quantity": quantity}],
            "deliver_by": "2026-01-20",
        },
        201,
    )


def works(order: Any) -> list[Any]:
    return next(s["lines"] for s in order["shipments"] if s["location"] == "works")


async def test_made_units_ship_from_the_workshop_until_the_order_is_shipped(
    api: Api, db: Container
) -> None:
    await workshop(api)
    placed = await order(api)
    assert placed["deliver_by"] == "2026-01-20"
    [booked] = works(placed)
    assert (booked["committed"], booked["produced"], booked["week"]) == (3, 0, "2026-W02")
    assert booked["promised_ready_at"] == W02_READY

    made = await ok(
        api,
        "POST",
        "/v1/orders/O1/produce",
        {"lines": [{"sku": "SOFA", "quantity": 2}], "reference": "batch-7"},
    )
    assert made["status"] == "open"
    stock, booked = works(made)  # the stock line first, then the production line
    assert (stock["ordered"], stock["committed"], "produced" in stock) == (2, 2, False)
    assert (booked["ordered"], booked["committed"], booked["produced"]) == (3, 1, 2)
    assert booked["supply"][0]["quantity"] == 1
    level = await ok(api, "GET", "/v1/levels?sku=SOFA&location=works")
    assert [(x["on_hand"], x["committed"]) for x in level["items"]] == [(2, 2)]
    events = (await ok(api, "GET", "/v1/events?type=order.produced"))["items"]
    assert [(e["delta"], e["data"], e["reference"]) for e in events] == [
        ({"on_hand": 2, "committed": 2}, {"pool": "upholstery", "week": "2026-W02"}, "batch-7")
    ]

    shipped = await ok(
        api,
        "POST",
        "/v1/orders/O1/shipments",
        {"location": "works", "lines": [{"sku": "SOFA", "quantity": 2}]},
    )
    assert shipped["status"] == "partially_shipped"
    await ok(api, "POST", "/v1/orders/O1/produce", {"lines": [{"sku": "SOFA", "quantity": 1}]})
    done = await ok(
        api,
        "POST",
        "/v1/orders/O1/shipments",
        {"location": "works", "lines": [{"sku": "SOFA", "quantity": 1}]},
    )
    assert done["status"] == "shipped"
    assert await week(api, "upholstery", "2026-W02") == {
        "capacity": 10,
        "held": 0,
        "committed": 3,
        "free": 7,
    }
    [listed] = (await ok(api, "GET", "/v1/orders"))["items"]
    assert listed["shipments"] == done["shipments"]
    assert listed["deliver_by"] == "2026-01-20"
    assert (await db.reads.verify()).clean


async def test_late_production_is_at_risk_with_the_promised_dates(api: Api, db: Container) -> None:
    await workshop(api)
    await order(api)
    assert (await ok(api, "GET", "/v1/promises/at-risk"))["items"] == []
    db.clock.advance(11 * 86400)  # type: ignore[attr-defined]  # past W02's end
    [late] = (await ok(api, "GET", "/v1/promises/at-risk"))["items"]
    assert (late["order_id"], late["deliver_by"]) == ("O1", "2026-01-20")
    assert late["lines"] == [
        {
            "sku": "SOFA",
            "location": "works",
            "promised_ready_at": W02_READY,
            "ready_at": None,
            "supply": "production",
            "week": "2026-W02",
        }
    ]


CASES: list[tuple[str, str, Any, int, str, str]] = [
    ("unknown order", "/v1/orders/NOPE/produce", {"lines": [{"sku": "SOFA", "quantity": 1}]}, 404, "not_found", ""),
    ("not made to order", "/v1/orders/O1/produce", {"lines": [{"sku": "A", "quantity": 1}]}, 422, "invalid_request", "lines[0].sku"),
    ("unknown sku", "/v1/orders/O1/produce", {"lines": [{"sku": "NOPE", "quantity": 1}]}, 422, "unknown_reference", "sku"),
    ("quantity 0", "/v1/orders/O1/produce", {"lines": [{"sku": "SOFA", "quantity": 0}]}, 422, "validation_failed", "quantity"),
    ("no lines", "/v1/orders/O1/produce", {"lines": []}, 422, "validation_failed", "lines"),
    ("same line twice", "/v1/orders/O1/produce", {"lines": [{"sku": "SOFA", "quantity": 1}, {"sku": "SOFA", "quantity": 1}]}, 422, "invalid_request", "lines[1]"),
    ("too many", "/v1/orders/O1/produce", {"lines": [{"sku": "SOFA", "quantity": 4}]}, 409, "beyond_recorded", ""),
    ("other options", "/v1/orders/O1/produce", {"lines": [{"sku": "SOFA", "quantity": 1, "options": {"fabric": "leather"}}]}, 409, "beyond_recorded", ""),
    ("deliver_by not a date", "/v1/orders", {"order_id": "O2", "lines": [{"sku": "SOFA", "quantity": 1}], "deliver_by": "soon"}, 422, "validation_failed", "deliver_by"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "path", "body", "status", "code", "field"), CASES, ids=[c[0] for c in CASES]
)
async def test_bad_production_reports_are_problems_naming_them_and_write_nothing(
    api: Api, db: Container, name: str, path: str, body: Any, status: int, code: str, field: str
) -> None:
    await workshop(api)
    await order(api)
    assert db.pool is not None
    before = await db.pool.fetchval("SELECT count(*) FROM ledger_events")
    r = await api.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["code"] == code
    if field:
        named = {e.get("field") for e in problem["errors"]}
        assert any(f.endswith(field) for f in named if f), named
    assert await db.pool.fetchval("SELECT count(*) FROM ledger_events") == before
    made = await db.pool.fetchval("SELECT sum(produced) FROM production_lines")
    assert made == 0
