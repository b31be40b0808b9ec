"""`GET /v1/atp/{sku}` and `POST /v1/promise` over HTTP on PostgreSQL: stock
on hand, transfers in flight at their `expected_at`, production weeks of a
made-to-order SKU, purchase orders less the units backorders tied to them
(once), promises recomputed by hand from the ATP answer, and bad input
refused with a problem that names it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from stockd.bootstrap import Container
from stockd.domain.geo import Point
from stockd.domain.weeks import IsoWeek
from stockd.service.auth import Scope
from stockd.service.keys import create_key
from tests.e2e.conftest import Api
from tests.support import T0

# T0 is 2026-01-01T12:00Z: 13:00 in Berlin, 04:00 in Los Angeles.
PLACES = {
    "ber": {"region": "DE", "lat": 52.52, "lon": 13.40, "timezone": "Europe/Berlin"},
    "muc": {"region": "DE", "lat": 48.14, "lon": 11.58, "timezone": "Europe/Berlin"},
    "lax": {"region": "US", "lat": 34.05, "lon": -118.24, "timezone": "America/Los_Angeles"},
}
WORKS = {"region": "DE", "lat": 51.05, "lon": 13.74, "timezone": "Europe/Berlin"}
"""The workshop made-to-order SKUs are made at (Dresden)."""
HAMBURG = {"lat": 53.55, "lon": 9.99, "region": "DE"}


async def network(api: Api) -> dict[str, Any]:
    """Three locations; SOFA: 3 at ber, 10 at muc, 2 at lax, and 4 more on
    their way from muc to ber (expected at the default time); LAMP stocked
    nowhere. The transfer."""
    for i, (loc, where) in enumerate(PLACES.items()):
        body = {"id": loc, "name": loc, "priority": i + 1, **where}
        r = await api.post("/v1/locations", json=body)
        assert r.status_code == 201, r.text
    for sku in ("SOFA", "LAMP"):
        r = await api.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
        assert r.status_code == 201, r.text
    changes = [
        {"sku": "SOFA", "location": loc, "state": "on_hand", "delta": n, "reason": "seed"}
        for loc, n in (("ber", 3), ("muc", 14), ("lax", 2))
    ]
    r = await api.post("/v1/adjustments", json={"changes": changes})
    assert r.status_code == 200, r.text
    lines = [{"sku": "SOFA", "quantity": 4}]
    r = await api.post("/v1/transfers", json={"from": "muc", "to": "ber", "lines": lines})
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


async def test_atp_shows_stock_on_hand_then_transfers_in_flight(api: Api, db: Container) -> None:
    sent = await network(api)
    transfer = sent["id"]
    r = await api.get("/v1/atp/SOFA")
    assert r.status_code == 200, r.text
    atp = r.json()
    # A transfer is due at its own expected_at (here the default: sent + 7 days).
    due = T0 + timedelta(days=db.settings.transfer_default_days)
    assert sent["expected_at"] == due.isoformat().replace("+00:00", "Z")
    assert atp["sku"] == "SOFA"
    assert atp["total"] == 19
    assert atp["unbacked"] == 0
    assert [
        (s["source"], s["location"], s["reference"], s["quantity"], s["cumulative"], s["ready_on"])
        for s in atp["steps"]
    ] == [
        ("on_hand", "ber", None, 3, 3, "2026-01-01"),
        ("on_hand", "muc", None, 10, 13, "2026-01-01"),
        ("on_hand", "lax", None, 2, 15, "2026-01-01"),
        ("inbound", "ber", f"transfer:{transfer}", 4, 19, due.date().isoformat()),
    ]
    assert atp["steps"][3]["ready_at"] == due.isoformat().replace("+00:00", "Z")

    r = await api.get("/v1/atp/SOFA", params={"location": "ber"})
    assert [s["quantity"] for s in r.json()["steps"]] == [3, 4]
    soon = (T0 + timedelta(days=1)).isoformat()
    r = await api.get("/v1/atp/SOFA", params={"until": soon})
    assert r.json()["total"] == 15

    # What is held is not promised again.
    r = await api.post(
        "/v1/reservations", json={"lines": [{"sku": "SOFA", "quantity": 2, "location": "ber"}]}
    )
    assert r.status_code == 201, r.text
    r = await api.get("/v1/atp/SOFA", params={"location": "ber"})
    assert [s["quantity"] for s in r.json()["steps"]] == [1, 4]


def recompute(
    atp: dict[str, Any],
    quantity: int,
    to: dict[str, Any],
    settings: Any,
    places: dict[str, dict[str, Any]] = PLACES,
) -> date:
    """The promise's date from the ATP steps and the documented terms alone."""

    def deliver_by(step: dict[str, Any]) -> date:
        origin = places[step["location"]]
        table = settings.promise_transit_days.get(origin["region"], {})
        if to.get("region") in table:
            transit = table[to["region"]]
        else:
            km = Point(origin["lat"], origin["lon"]).km_to(Point(to["lat"], to["lon"]))
            transit = max(
                settings.promise_transit_min_days, -(-km // settings.promise_transit_km_per_day)
            )
        buffer = (
            settings.promise_on_hand_buffer_days
            if step["source"] == "on_hand"
            else settings.promise_supplier_buffer_days
        )
        days = (
            settings.promise_handling_days
            + int(transit)
            + settings.promise_delivery_window_days
            + buffer
        )
        return date.fromisoformat(step["ready_on"]) + timedelta(days=days)

    dates = sorted(deliver_by(s) for s in atp["steps"])
    for d in dates:
        if sum(s["quantity"] for s in atp["steps"] if deliver_by(s) <= d) >= quantity:
            return d
    raise AssertionError("the ATP does not cover the quantity")


async def test_a_promise_is_reproducible_from_the_atp(api: Api, db: Container) -> None:
    await network(api)
    for quantity in (1, 3, 13, 15, 17, 19):
        lines = [{"sku": "SOFA", "quantity": quantity}]
        r = await api.post("/v1/promise", json={"lines": lines, "ship_to": HAMBURG})
        assert r.status_code == 200, r.text
        [line] = r.json()["lines"]
        atp = (await api.get("/v1/atp/SOFA", params={"until": r.json()["until"]})).json()
        assert date.fromisoformat(line["deliver_by"]) == recompute(
            atp, quantity, HAMBURG, db.settings
        ), (quantity, line)
        assert sum(x["quantity"] for x in line["shipments"]) == quantity
        for leg in line["shipments"]:
            terms = (
                leg["handling_days"]
                + leg["transit_days"]
                + leg["delivery_window_days"]
                + leg["safety_buffer_days"]
            )
            ready = date.fromisoformat(leg["ready_on"])
            assert date.fromisoformat(leg["deliver_by"]) == ready + timedelta(days=terms)
            assert leg["safety_buffer_days"] == (0 if leg["source"] == "on_hand" else 7)
            assert leg["transit_basis"] == "distance"
            assert leg["deliver_by"] <= line["deliver_by"]


async def test_a_read_key_may_ask_for_promises(api: Api, db: Container) -> None:
    await network(api)
    _, token = await create_key(db.bus, "storefront", {Scope.READ})
    headers = {"Authorization": f"Bearer {token}"}
    r = await api.get("/v1/atp/SOFA", headers=headers)
    assert r.status_code == 200, r.text
    body = {"lines": [{"sku": "SOFA", "quantity": 1}], "ship_to": HAMBURG}
    r = await api.post("/v1/promise", json=body, headers=headers)
    assert r.status_code == 200, r.text


async def test_bad_input_is_a_problem_that_names_it_and_no_supply_names_the_line(
    api: Api,
) -> None:
    await network(api)

    async def problem(r: Any, status: int, code: str) -> dict[str, Any]:
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert r.headers["content-type"] == "application/problem+json"
        found: dict[str, Any] = r.json()
        return found

    r = await api.get("/v1/atp/NOPE")
    assert "'NOPE'" in (await problem(r, 404, "not_found"))["detail"]
    r = await api.get("/v1/atp/SOFA", params={"location": "nowhere"})
    assert (await problem(r, 422, "unknown_reference"))["errors"][0]["field"] == "location"
    for until in (T0, T0 - timedelta(days=3), T0 + timedelta(days=400)):
        r = await api.get("/v1/atp/SOFA", params={"until": until.isoformat()})
        assert (await problem(r, 422, "invalid_request"))["errors"][0]["field"] == "until"
    r = await api.get("/v1/atp/SOFA", params={"until": "2026-02-01T00:00:00"})  # no offset
    await problem(r, 422, "validation_failed")

    def body(**changes: Any) -> dict[str, Any]:
        return {"lines": [{"sku": "SOFA", "quantity": 1}], "ship_to": HAMBURG, **changes}

    for bad in (
        body(lines=[{"sku": "SOFA", "quantity": 0}]),
        body(lines=[{"sku": "SOFA", "quantity": -2}]),
        body(lines=[]),
        body(ship_to={"lat": 91, "lon": 0}),
        {"lines": [{"sku": "SOFA", "quantity": 1}]},
    ):
        await problem(await api.post("/v1/promise", json=bad), 422, "validation_failed")
    r = await api.post("/v1/promise", json=body(lines=[{"sku": "NOPE", "quantity": 1}]))
    assert (await problem(r, 422, "unknown_reference"))["errors"][0]["field"] == "lines[0].sku"
    twice = [{"sku": "SOFA", "quantity": 1}, {"sku": "SOFA", "quantity": 2}]
    await problem(await api.post("/v1/promise", json=body(lines=twice)), 422, "duplicate_lines")

    r = await api.post(
        "/v1/promise",
        json=body(lines=[{"sku": "SOFA", "quantity": 2}, {"sku": "LAMP", "quantity": 1}]),
    )
    found = await problem(r, 409, "insufficient_stock")
    assert found["lines"] == [
        {"sku": "LAMP", "location": None, "requested": 1, "available": 0, "short": 1}
    ]
    assert "line 1 (LAMP, 1 unit): no supply at all" in found["detail"]
    r = await api.post("/v1/promise", json=body(lines=[{"sku": "SOFA", "quantity": 20}]))
    found = await problem(r, 409, "insufficient_stock")
    assert found["lines"][0]["available"] == 19


async def workshop(api: Api) -> None:
    """Workshop `works` (Dresden, Berlin time); pool `frames` there, lead time
    one week; CHAIR made to order in it. T0 is in 2026-W01: capacity W01 9
    (before the lead time), W02 4 (3 of them held by a slot), W03 0, W04 6,
    W05 5."""
    r = await api.post("/v1/locations", json={"id": "works", "name": "Works", **WORKS})
    assert r.status_code == 201, r.text
    pool = {"id": "frames", "location": "works", "name": "Frames", "lead_time_weeks": 1}
    r = await api.post("/v1/capacity-pools", json=pool)
    assert r.status_code == 201, r.text
    chair = {
        "sku": "CHAIR",
        "product_id": "CHAIR",
        "name": "Chair",
        "inventory_type": "made_to_order",
        "capacity_pool": "frames",
    }
    r = await api.post("/v1/skus", json=chair)
    assert r.status_code == 201, r.text
    units = {"2026-W01": 9, "2026-W02": 4, "2026-W03": 0, "2026-W04": 6, "2026-W05": 5}
    weeks = [{"week": w, "units": n} for w, n in units.items()]
    r = await api.put("/v1/capacity-pools/frames/weeks", json={"weeks": weeks})
    assert r.status_code == 200, r.text
    r = await api.post("/v1/production/slots", json={"lines": [{"sku": "CHAIR", "quantity": 3}]})
    assert r.status_code == 201, r.text
    assert r.json()["lines"][0]["week"] == "2026-W02"


async def test_a_made_to_order_promise_is_reproducible_from_the_atp(
    api: Api, db: Container
) -> None:
    await workshop(api)
    berlin = ZoneInfo("Europe/Berlin")
    atp = (await api.get("/v1/atp/CHAIR")).json()
    assert [
        (s["source"], s["reference"], s["quantity"], s["cumulative"]) for s in atp["steps"]
    ] == [
        ("production", "pool:frames/2026-W02", 1, 1),
        ("production", "pool:frames/2026-W04", 6, 7),
        ("production", "pool:frames/2026-W05", 5, 12),
    ]
    for step in atp["steps"]:
        # Ready when the week ends in the workshop's zone: the next Monday, 00:00 there.
        ends = IsoWeek.parse(step["reference"].split("/")[1]).ends_at(berlin)
        assert datetime.fromisoformat(step["ready_at"]) == ends
        assert step["ready_on"] == ends.date().isoformat()
        assert ends.date().weekday() == 0

    places = {**PLACES, "works": WORKS}
    for quantity in (1, 2, 7, 8, 12):
        lines = [{"sku": "CHAIR", "quantity": quantity}]
        r = await api.post("/v1/promise", json={"lines": lines, "ship_to": HAMBURG})
        assert r.status_code == 200, r.text
        [line] = r.json()["lines"]
        atp = (await api.get("/v1/atp/CHAIR", params={"until": r.json()["until"]})).json()
        assert date.fromisoformat(line["deliver_by"]) == recompute(
            atp, quantity, HAMBURG, db.settings, places
        ), (quantity, line)
        assert sum(x["quantity"] for x in line["shipments"]) == quantity
        for leg in line["shipments"]:
            assert (leg["source"], leg["location"]) == ("production", "works")
            assert leg["safety_buffer_days"] == db.settings.promise_supplier_buffer_days
            terms = (
                leg["handling_days"]
                + leg["transit_days"]
                + leg["delivery_window_days"]
                + leg["safety_buffer_days"]
            )
            ready = date.fromisoformat(leg["ready_on"])
            assert date.fromisoformat(leg["deliver_by"]) == ready + timedelta(days=terms)
    r = await api.post(
        "/v1/promise", json={"lines": [{"sku": "CHAIR", "quantity": 13}], "ship_to": HAMBURG}
    )
    assert (r.status_code, r.json()["lines"][0]["available"]) == (409, 12), r.text


async def test_a_backordered_orders_units_show_once_in_atp(api: Api) -> None:
    """LAMP (backorder up to 20) has 1 on hand at ber and 10 coming on PO-7:
    an order for 4 takes the 1 and ties 3 to PO-7, and ATP offers PO-7's
    other 7, not 7 less the 3 again."""
    r = await api.post("/v1/locations", json={"id": "ber", "name": "ber", **PLACES["ber"]})
    assert r.status_code == 201, r.text
    lamp = {"sku": "LAMP", "product_id": "P", "name": "Lamp", "policy": "backorder"}
    r = await api.post("/v1/skus", json=lamp | {"backorder_cap": 20})
    assert r.status_code == 201, r.text
    change = {"sku": "LAMP", "location": "ber", "state": "on_hand", "delta": 1, "reason": "r"}
    r = await api.post("/v1/adjustments", json={"changes": [change]})
    assert r.status_code == 200, r.text
    eta = (T0 + timedelta(days=14)).isoformat().replace("+00:00", "Z")
    po = {
        "id": "PO-7",
        "supplier": "ACME",
        "location": "ber",
        "lines": [{"sku": "LAMP", "quantity": 10}],
        "expected_at": eta,
    }
    r = await api.post("/v1/purchase-orders", json=po)
    assert r.status_code == 201, r.text

    async def steps() -> list[tuple[str, str | None, int, int]]:
        atp = (await api.get("/v1/atp/LAMP")).json()
        assert atp["unbacked"] == 0
        return [(s["source"], s["reference"], s["quantity"], s["cumulative"]) for s in atp["steps"]]

    assert await steps() == [("on_hand", None, 1, 1), ("inbound", "po:PO-7", 10, 11)]

    order = {"order_id": "O-1", "lines": [{"sku": "LAMP", "quantity": 4, "location": "ber"}]}
    r = await api.post("/v1/orders", json=order)
    assert r.status_code == 201, r.text
    line = (await api.get("/v1/orders/O-1")).json()["shipments"][0]["lines"][0]
    assert [(x["reference"], x["quantity"]) for x in line["supply"]] == [("po:PO-7", 3)]
    level = (await api.get("/v1/levels", params={"sku": "LAMP"})).json()["items"][0]
    assert level["available"] == -3
    # 11 - 4: the 3 tied units leave PO-7 once (its `promised`), and
    # ber's -3 takes nothing more from it.
    assert await steps() == [("inbound", "po:PO-7", 7, 7)]

    body = {"lines": [{"sku": "LAMP", "quantity": 8}], "ship_to": HAMBURG}
    r = await api.post("/v1/promise", json=body)
    assert (r.status_code, r.json()["lines"][0]["available"]) == (409, 7), r.text
    body["lines"][0]["quantity"] = 7  # type: ignore[index]
    r = await api.post("/v1/promise", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["lines"][0]["shipments"][0]["reference"] == "po:PO-7"

    # Backorders sell what ATP shows, and no more: 7 more, then none.
    order = {"order_id": "O-2", "lines": [{"sku": "LAMP", "quantity": 8, "location": "ber"}]}
    r = await api.post("/v1/orders", json=order)
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock"), r.text
    order = {"order_id": "O-3", "lines": [{"sku": "LAMP", "quantity": 7, "location": "ber"}]}
    r = await api.post("/v1/orders", json=order)
    assert r.status_code == 201, r.text
    assert await steps() == []
