# ruff: noqa: E501  (the table of cases reads best one case a line)
"""One code, one shape: every problem a request can meet carries exactly the
members its code declares (docs/api.md, "Errors"), wherever it is raised.

Each case is one place an error is raised, reached over HTTP against a small
world; the test checks the code, the members, the shape of each listed item
and, for problems about the request itself, which field is at fault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stockd.adapters.clock import ManualClock
from stockd.bootstrap import Container
from tests.e2e.conftest import Api

STANDARD = {"type", "title", "status", "detail", "code", "instance", "request_id"}
ISSUE = {"index", "field", "detail"}
ITEM = {"index", "code", "detail"}
SHORT = {"sku", "location", "requested", "available", "short"}

SHAPES: dict[str, dict[str, set[str] | None]] = {
    # code -> member -> keys of each item of a list member (None: not a list)
    "invalid_request": {"errors": ISSUE},
    "unknown_reference": {"errors": ISSUE},
    "duplicate_lines": {"errors": ISSUE},
    "validation_failed": {"errors": {"field", "message", "type"}},
    "insufficient_stock": {"lines": SHORT},
    "beyond_recorded": {"errors": ITEM},
    "bulk_rejected": {"errors": ITEM},
    "already_exists": {"resource": None, "id": None},
    "version_conflict": {"current_version": None},
    "reservation_not_active": {"reservation_status": None},
    "reservation_expired": {"reservation_status": None, "expires_at": None},
    "order_closed": {"order_status": None},
    "nothing_in_transit": {"transfer_status": None},
    "invariant_violation": {},
    "idempotency_key_reused": {},
    "not_found": {},
    "invalid_cursor": {},
    "forbidden": {"scopes": None, "needed": None},
    "unauthorized": {},
}


@dataclass(frozen=True)
class World:
    """Ids made by `world`, for the cases to refer to."""

    hold: str
    released: str
    expiring: str
    transfer: str
    received: str


def one(sku: str = "A", quantity: int = 1, **more: Any) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, **more}


async def ok(api: Api, method: str, path: str, body: Any = None) -> Any:
    r = await api.request(method, path, json=body)
    assert r.status_code in (200, 201), (path, r.text)
    return r.json()


async def world(api: Api, db: Container) -> World:
    """Warehouses x (priority 1) and y (2), store `shop`, inactive `off`;
    SKU A (deny) with 10 at x and 5 at y, B (backorder up to 5) with 2 at x
    and a purchase order PO-B of 5 B due at x; order O (A 2 at x, B 4 at x: 2 of them backordered), cancelled order C,
    shipped order S,
    holds, a transfer in transit and one received."""
    for body in (
        {"id": "x", "name": "x", "priority": 1},
        {"id": "y", "name": "y", "priority": 2},
        {"id": "shop", "name": "shop", "type": "store"},
        {"id": "off", "name": "off", "active": False},
    ):
        await ok(api, "POST", "/v1/locations", body)
    await ok(api, "POST", "/v1/skus", {"sku": "A", "product_id": "P", "name": "A"})
    await ok(
        api,
        "POST",
        "/v1/skus",
        {"sku": "B", "product_id": "P", "name": "B", "policy": "backorder", "backorder_cap": 5},
    )
    changes = [
        {"sku": s, "location": loc, "state": "on_hand", "delta": q, "reason": "seed"}
        for s, loc, q in (("A", "x", 10), ("A", "y", 5), ("B", "x", 2), ("A", "off", 1))
    ]
    await ok(api, "POST", "/v1/adjustments", {"changes": changes})
    inbound = {"id": "PO-B", "supplier": "S", "location": "x", "lines": [one("B", 5)]}
    await ok(api, "POST", "/v1/purchase-orders", inbound | {"expected_at": "2026-02-01T00:00:00Z"})
    await ok(
        api,
        "POST",
        "/v1/orders",
        {"order_id": "O", "lines": [one(quantity=2, location="x"), one("B", 4, location="x")]},
    )
    await ok(api, "POST", "/v1/orders", {"order_id": "C", "lines": [one(location="y")]})
    await ok(api, "POST", "/v1/orders/C/cancel")
    await ok(api, "POST", "/v1/orders", {"order_id": "S", "lines": [one(location="y")]})
    await ok(api, "POST", "/v1/orders/S/shipments", {"location": "y", "lines": [one()]})
    hold = await ok(api, "POST", "/v1/reservations", {"lines": [one()]})
    released = await ok(api, "POST", "/v1/reservations", {"lines": [one()]})
    await ok(api, "POST", f"/v1/reservations/{released['id']}/release")
    expiring = await ok(api, "POST", "/v1/reservations", {"lines": [one()], "ttl_seconds": 1})
    transfer = await ok(api, "POST", "/v1/transfers", {"from": "y", "to": "x", "lines": [one()]})
    received = await ok(api, "POST", "/v1/transfers", {"from": "y", "to": "x", "lines": [one()]})
    await ok(api, "POST", f"/v1/transfers/{received['id']}/receive")
    await ok(api, "POST", "/v1/sales", {"location": "x", "external_id": "R1", "lines": [one()]})
    assert isinstance(db.clock, ManualClock)
    db.clock.advance(5)
    return World(hold["id"], released["id"], expiring["id"], transfer["id"], received["id"])


SHIP = "/v1/orders/O/shipments"
RES = "/v1/reservations"
RET = "/v1/returns"
TRF = "/v1/transfers"
QUOTE = "/v1/allocations/quote"
PO = "/v1/purchase-orders"
PO_BODY = {"id": "PO-N", "supplier": "S", "location": "x", "expected_at": "2026-02-01T00:00:00Z"}
NEAR = {"lat": 52.5, "lon": 13.4}

CASES: list[tuple[str, str, str, Any, int, str, str | None]] = [
    # (name, method, path, body, status, code, field of the first issue)
    # -- unknown_reference: every place a body names something that does not exist
    ("hold: unknown SKU", "POST", RES, {"lines": [one("NOPE")]}, 422, "unknown_reference", "lines[0].sku"),
    ("hold: unknown location", "POST", RES, {"lines": [one(location="mars")]}, 422, "unknown_reference", "lines[0].location"),
    ("hold: unknown pickup store", "POST", RES, {"lines": [one()], "pickup_location": "mars"}, 422, "unknown_reference", "pickup_location"),
    ("order: unknown SKU", "POST", "/v1/orders", {"order_id": "N", "lines": [one(), one("NOPE")]}, 422, "unknown_reference", "lines[1].sku"),
    ("order: unknown location", "POST", "/v1/orders", {"order_id": "N", "lines": [one(location="mars")]}, 422, "unknown_reference", "lines[0].location"),
    ("order: unknown hold", "POST", "/v1/orders", {"order_id": "N", "reservation_id": "res_nope"}, 422, "unknown_reference", "reservation_id"),
    ("order: unknown pickup store", "POST", "/v1/orders", {"order_id": "N", "lines": [one()], "pickup_location": "mars"}, 422, "unknown_reference", "pickup_location"),
    ("quote: unknown SKU", "POST", QUOTE, {"lines": [one(), one("NOPE")]}, 422, "unknown_reference", "lines[1].sku"),
    ("quote: unknown pickup store", "POST", QUOTE, {"lines": [one()], "pickup_location": "mars"}, 422, "unknown_reference", "pickup_location"),
    ("ship: unknown location", "POST", SHIP, {"location": "mars", "lines": [one()]}, 422, "unknown_reference", "location"),
    ("ship: unknown SKU", "POST", SHIP, {"location": "x", "lines": [one("NOPE")]}, 422, "unknown_reference", "lines[0].sku"),
    ("return: unknown order", "POST", RET, {"order_id": "NOPE", "location": "x", "condition": "resellable", "lines": [one()]}, 422, "unknown_reference", "order_id"),
    ("return: unknown location", "POST", RET, {"order_id": "O", "location": "mars", "condition": "resellable", "lines": [one()]}, 422, "unknown_reference", "location"),
    ("return: unknown SKU", "POST", RET, {"order_id": "O", "location": "x", "condition": "resellable", "lines": [one("NOPE")]}, 422, "unknown_reference", "lines[0].sku"),
    ("transfer: unknown source", "POST", TRF, {"from": "mars", "to": "x", "lines": [one()]}, 422, "unknown_reference", "from"),
    ("transfer: unknown destination", "POST", TRF, {"from": "x", "to": "mars", "lines": [one()]}, 422, "unknown_reference", "to"),
    ("transfer: unknown SKU", "POST", TRF, {"from": "x", "to": "y", "lines": [one("NOPE")]}, 422, "unknown_reference", "lines[0].sku"),
    ("receive: unknown SKU", "POST", "{transfer}/receive", {"lines": [one("NOPE")]}, 422, "unknown_reference", "lines[0].sku"),
    ("sale: unknown location", "POST", "/v1/sales", {"location": "mars", "external_id": "R9", "lines": [one()]}, 422, "unknown_reference", "location"),
    ("sale: unknown SKU", "POST", "/v1/sales", {"location": "x", "external_id": "R9", "lines": [one("NOPE")]}, 422, "unknown_reference", "lines[0].sku"),
    ("PO: unknown location", "POST", PO, PO_BODY | {"location": "mars", "lines": [one()]}, 422, "unknown_reference", "location"),
    ("PO: unknown SKU", "POST", PO, PO_BODY | {"lines": [one("NOPE")]}, 422, "unknown_reference", "lines[0].sku"),
    ("PO: ETA before today", "POST", PO, PO_BODY | {"lines": [one()], "expected_at": "2025-12-31T00:00:00Z"}, 422, "invalid_request", "expected_at"),
    ("PO: same SKU twice", "POST", PO, PO_BODY | {"lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("PO: receive more than open", "POST", PO + "/PO-B/receive", {"lines": [one("B", 9)]}, 409, "beyond_recorded", None),
    ("PO: receive a SKU not in it", "POST", PO + "/PO-B/receive", {"lines": [one()]}, 409, "beyond_recorded", None),
    ("PO exists", "POST", PO, PO_BODY | {"id": "PO-B", "lines": [one()]}, 409, "already_exists", None),
    ("unknown PO", "GET", PO + "/NOPE", None, 404, "not_found", None),
    # -- invalid_request
    ("hold: TTL over the maximum", "POST", RES, {"lines": [one()], "ttl_seconds": 10**6}, 422, "invalid_request", "ttl_seconds"),
    ("hold: inactive location", "POST", RES, {"lines": [one(location="off")]}, 422, "invalid_request", "lines[0].location"),
    ("hold: pickup where there is none", "POST", RES, {"lines": [one()], "pickup_location": "x"}, 422, "invalid_request", "pickup_location"),
    ("hold: pickup and a line elsewhere", "POST", RES, {"lines": [one(location="x")], "pickup_location": "shop"}, 422, "invalid_request", "lines[0].location"),
    ("hold: nearest without ship_to", "POST", RES, {"lines": [one()], "strategy": "nearest"}, 422, "invalid_request", "ship_to"),
    ("extend: TTL over the maximum", "POST", "{hold}/extend", {"ttl_seconds": 10**6}, 422, "invalid_request", "ttl_seconds"),
    ("order: inactive location", "POST", "/v1/orders", {"order_id": "N", "lines": [one(location="off")]}, 422, "invalid_request", "lines[0].location"),
    ("order: hold switched to pickup", "POST", "/v1/orders", {"order_id": "N", "reservation_id": "{hold_id}", "pickup_location": "shop"}, 422, "invalid_request", "pickup_location"),
    ("quote: nearest without ship_to", "POST", QUOTE, {"lines": [one()], "strategy": "nearest"}, 422, "invalid_request", "ship_to"),
    ("quote: inactive pickup store", "POST", QUOTE, {"lines": [one()], "pickup_location": "off"}, 422, "invalid_request", "pickup_location"),
    ("transfer: one location twice", "POST", TRF, {"from": "x", "to": "x", "lines": [one()]}, 422, "invalid_request", "to"),
    ("transfer: inactive source", "POST", TRF, {"from": "off", "to": "x", "lines": [one()]}, 422, "invalid_request", "from"),
    ("return: inactive location", "POST", RET, {"order_id": "O", "location": "off", "condition": "resellable", "lines": [one()]}, 422, "invalid_request", "location"),
    ("sale: inactive location", "POST", "/v1/sales", {"location": "off", "external_id": "R9", "lines": [one()]}, 422, "invalid_request", "location"),
    ("location: lat without lon", "PATCH", "/v1/locations/x", {"lat": 1.0}, 422, "invalid_request", "lat"),
    ("SKU: cap without backorder", "PATCH", "/v1/skus/A", {"backorder_cap": 3}, 422, "invalid_request", "backorder_cap"),
    ("events: unknown type", "GET", "/v1/events?type=nope", None, 422, "invalid_request", "type"),
    # -- duplicate_lines
    ("hold: same SKU twice", "POST", RES, {"lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("order: same SKU twice", "POST", "/v1/orders", {"order_id": "N", "lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("quote: same SKU twice", "POST", QUOTE, {"lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("ship: same SKU twice", "POST", SHIP, {"location": "x", "lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("return: same SKU twice", "POST", RET, {"order_id": "O", "location": "x", "condition": "resellable", "lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("transfer: same SKU twice", "POST", TRF, {"from": "x", "to": "y", "lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("receive: same SKU twice", "POST", "{transfer}/receive", {"lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    ("sale: same SKU twice", "POST", "/v1/sales", {"location": "x", "external_id": "R9", "lines": [one(), one()]}, 422, "duplicate_lines", "lines[1].sku"),
    # -- insufficient_stock
    ("hold: short at a named location", "POST", RES, {"lines": [one(quantity=99, location="x")]}, 409, "insufficient_stock", None),
    ("hold: short everywhere", "POST", RES, {"lines": [one(quantity=99)]}, 409, "insufficient_stock", None),
    ("order: short", "POST", "/v1/orders", {"order_id": "N", "lines": [one(quantity=99)]}, 409, "insufficient_stock", None),
    ("order: short at a named location", "POST", "/v1/orders", {"order_id": "N", "lines": [one(quantity=99, location="x")]}, 409, "insufficient_stock", None),
    ("transfer: short", "POST", TRF, {"from": "x", "to": "y", "lines": [one(quantity=99)]}, 409, "insufficient_stock", None),
    ("sale: short", "POST", "/v1/sales", {"location": "x", "external_id": "R9", "lines": [one(quantity=99)]}, 409, "insufficient_stock", None),
    ("ship: backordered", "POST", SHIP, {"location": "x", "lines": [one("B", 4)]}, 409, "insufficient_stock", None),
    # -- beyond_recorded
    ("ship: more than committed", "POST", SHIP, {"location": "x", "lines": [one(quantity=3)]}, 409, "beyond_recorded", None),
    ("ship: not in the order there", "POST", SHIP, {"location": "y", "lines": [one()]}, 409, "beyond_recorded", None),
    ("return: more than shipped", "POST", RET, {"order_id": "O", "location": "x", "condition": "resellable", "lines": [one()]}, 409, "beyond_recorded", None),
    ("receive: more than in transit", "POST", "{transfer}/receive", {"lines": [one(quantity=2)]}, 409, "beyond_recorded", None),
    ("receive: SKU not in the transfer", "POST", "{transfer}/receive", {"lines": [one("B")]}, 409, "beyond_recorded", None),
    # -- bulk_rejected
    ("adjust: unknown SKU", "POST", "/v1/adjustments", {"changes": [{"sku": "NOPE", "location": "x", "state": "on_hand", "delta": 1, "reason": "r"}]}, 422, "bulk_rejected", None),
    ("adjust: below what is held", "POST", "/v1/adjustments", {"changes": [{"sku": "A", "location": "x", "state": "on_hand", "delta": -10, "reason": "r"}]}, 409, "bulk_rejected", None),
    ("adjust: incoming a transfer is owed", "POST", "/v1/adjustments", {"changes": [{"sku": "A", "location": "x", "state": "incoming", "set": 0, "reason": "r"}]}, 409, "bulk_rejected", None),
    # -- the other conflicts
    ("SKU exists", "POST", "/v1/skus", {"sku": "A", "product_id": "P", "name": "A"}, 409, "already_exists", None),
    ("location exists", "POST", "/v1/locations", {"id": "x", "name": "x"}, 409, "already_exists", None),
    ("order exists", "POST", "/v1/orders", {"order_id": "O", "lines": [one()]}, 409, "already_exists", None),
    ("hold committed to a taken order id", "POST", "{hold}/commit", {"order_id": "O"}, 409, "already_exists", None),
    ("receipt exists", "POST", "/v1/sales", {"location": "x", "external_id": "R1", "lines": [one(quantity=2)]}, 409, "already_exists", None),
    ("stale If-Match", "PATCH", "/v1/skus/A", {"name": "A2"}, 409, "version_conflict", None),
    ("release a released hold", "POST", "{released}/release", None, 409, "reservation_not_active", None),
    ("extend an overdue hold", "POST", "{expiring}/extend", {"ttl_seconds": 60}, 409, "reservation_expired", None),
    ("ship a cancelled order", "POST", "/v1/orders/C/shipments", {"location": "y", "lines": [one()]}, 409, "order_closed", None),
    ("cancel a cancelled order", "POST", "/v1/orders/C/cancel", None, 409, "order_closed", None),
    ("cancel a shipped order", "POST", "/v1/orders/S/cancel", None, 409, "order_closed", None),
    ("receive a received transfer", "POST", "{received}/receive", None, 409, "nothing_in_transit", None),
    ("strand backorders", "PATCH", "/v1/skus/B", {"policy": "deny"}, 409, "invariant_violation", None),
    # -- no members
    ("unknown order", "GET", "/v1/orders/NOPE", None, 404, "not_found", None),
    ("bad cursor", "GET", "/v1/levels?cursor=nope", None, 400, "invalid_cursor", None),
    ("wrong type", "POST", RES, {"lines": [one(quantity="3")]}, 422, "validation_failed", None),
]  # fmt: skip

HEADERS = {"stale If-Match": {"If-Match": '"0"'}}


def resolve(text: str, w: World) -> str:
    return text.format(
        hold=f"/v1/reservations/{w.hold}",
        hold_id=w.hold,
        released=f"/v1/reservations/{w.released}",
        expiring=f"/v1/reservations/{w.expiring}",
        transfer=f"/v1/transfers/{w.transfer}",
        received=f"/v1/transfers/{w.received}",
    )


def check_shape(problem: dict[str, Any], field: str | None) -> None:
    code = problem["code"]
    assert code in SHAPES, f"no shape is documented for {code}"
    members = SHAPES[code]
    assert set(problem) == STANDARD | set(members), problem
    for name, keys in members.items():
        if keys is None:
            assert problem[name] is not None, problem
            continue
        items = problem[name]
        assert items, problem
        for item in items:
            assert set(item) == keys, problem
    if field is not None:
        assert problem["errors"][0]["field"] == field, problem


async def test_each_code_has_one_shape_wherever_it_is_raised(api: Api, db: Container) -> None:
    """Every case against one world: each is refused and writes nothing, so
    none disturbs the next."""
    w = await world(api, db)
    wrong = []
    for name, method, path, body, status, code, field in CASES:
        if isinstance(body, dict):
            body = {k: resolve(v, w) if isinstance(v, str) else v for k, v in body.items()}
        r = await api.request(method, resolve(path, w), json=body, headers=HEADERS.get(name))
        problem = r.json()
        try:
            assert (r.status_code, problem["code"]) == (status, code)
            check_shape(problem, field)
        except AssertionError:
            wrong.append(f"{name}: {r.status_code} {r.text}")
    assert not wrong, "\n".join(wrong)


async def test_the_problems_of_who_is_asking_have_their_shapes(api: Api, db: Container) -> None:
    from stockd.service.auth import Scope
    from stockd.service.keys import create_key

    r = await api.get("/v1/skus", headers={"Authorization": "Bearer sk_nope"})
    assert r.status_code == 401
    check_shape(r.json(), None)
    _, token = await create_key(db.bus, "reader", {Scope.READ})
    r = await api.post(RES, json={"lines": [one()]}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    check_shape(r.json(), None)
    await api.setup_basics()
    key = {"Idempotency-Key": "k-1"}
    assert (await api.post(RES, json={"lines": [one()]}, headers=key)).status_code == 201
    r = await api.post(RES, json={"lines": [one(quantity=2)]}, headers=key)
    assert (r.status_code, r.json()["code"]) == (422, "idempotency_key_reused")
    check_shape(r.json(), None)
