"""Orders over HTTP: reserve -> order -> partial ship -> cancel rest -> return,
with quantities and the ledger checked at each step; transfers, store sales,
pickup, quotes, and bad input."""

from __future__ import annotations

from typing import Any

from stockd.bootstrap import Container
from tests.e2e.conftest import Api

BERLIN = {"lat": 52.52, "lon": 13.405}
HAMBURG = {"lat": 53.551, "lon": 9.993}
MUNICH = {"lat": 48.137, "lon": 11.575}


async def network(api: Api) -> None:
    """Three warehouses and a store; SKUs A and B in stock at several of them."""
    for loc, prio, point, extra in (
        ("ber", 2, BERLIN, {}),
        ("ham", 1, HAMBURG, {}),
        ("muc", 3, MUNICH, {}),
        ("store", 5, BERLIN, {"type": "store"}),
    ):
        body = {"id": loc, "name": loc, "priority": prio, **point, **extra}
        r = await api.post("/v1/locations", json=body)
        assert r.status_code == 201, r.text
    for sku in ("A", "B"):
        r = await api.post("/v1/skus", json={"sku": sku, "product_id": "P", "name": sku})
        assert r.status_code == 201
    stock = {("A", "ber"): 5, ("A", "ham"): 5, ("A", "muc"): 20, ("B", "ham"): 3, ("A", "store"): 2}
    changes = [
        {"sku": s, "location": loc, "state": "on_hand", "delta": q, "reason": "seed"}
        for (s, loc), q in stock.items()
    ]
    assert (await api.post("/v1/adjustments", json={"changes": changes})).status_code == 200


async def level(api: Api, sku: str, location: str) -> dict[str, Any]:
    items = (await api.get("/v1/levels", params={"sku": sku, "location": location})).json()["items"]
    return items[0] if items else {}


async def clean(db: Container) -> None:
    report = await db.reads.verify()
    assert report.discrepancies == ()


async def test_reserve_order_ship_cancel_return(api: Api, db: Container) -> None:
    await network(api)
    hold = (
        await api.post(
            "/v1/reservations",
            json={"lines": [{"sku": "A", "quantity": 4}], "ship_to": BERLIN, "strategy": "nearest"},
        )
    ).json()
    assert hold["lines"] == [{"sku": "A", "quantity": 4, "location": "ber"}]

    r = await api.post(
        "/v1/orders",
        json={
            "order_id": "ORD-1",
            "reservation_id": hold["id"],
            "ship_to": BERLIN,
            "strategy": "nearest",
        },
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["replanned"]) == ("open", False)
    assert order["shipments"] == [
        {
            "location": "ber",
            "lines": [
                {
                    "sku": "A",
                    "ordered": 4,
                    "committed": 4,
                    "shipped": 0,
                    "cancelled": 0,
                    "returned": 0,
                }
            ],
        }
    ]
    assert (await api.get(f"/v1/reservations/{hold['id']}")).json()["status"] == "committed"
    ber = await level(api, "A", "ber")
    assert (ber["on_hand"], ber["reserved"], ber["committed"], ber["available"]) == (5, 0, 4, 1)

    r = await api.post(
        "/v1/orders/ORD-1/shipments",
        json={"location": "ber", "lines": [{"sku": "A", "quantity": 3}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "partially_shipped"
    ber = await level(api, "A", "ber")
    assert (ber["on_hand"], ber["committed"], ber["available"]) == (2, 1, 1)

    r = await api.post("/v1/orders/ORD-1/cancel", json={"reason": "customer changed mind"})
    assert r.status_code == 200
    line = r.json()["shipments"][0]["lines"][0]
    assert (r.json()["status"], line["shipped"], line["cancelled"], line["committed"]) == (
        "cancelled",
        3,
        1,
        0,
    )
    ber = await level(api, "A", "ber")
    assert (ber["on_hand"], ber["committed"], ber["available"]) == (2, 0, 2)

    r = await api.post(
        "/v1/returns",
        json={
            "order_id": "ORD-1",
            "location": "store",
            "condition": "damaged",
            "lines": [{"sku": "A", "quantity": 2}],
        },
    )
    assert r.status_code == 201, r.text
    store = await level(api, "A", "store")
    assert (store["on_hand"], store["damaged"], store["available"]) == (4, 2, 2)
    r = await api.post(
        "/v1/returns",
        json={
            "order_id": "ORD-1",
            "location": "ber",
            "condition": "resellable",
            "lines": [{"sku": "A", "quantity": 2}],
        },
    )
    assert (r.status_code, r.json()["code"]) == (409, "beyond_recorded")
    assert "1 shipped and not returned" in r.json()["detail"]

    history = (await api.get("/v1/orders/ORD-1")).json()
    assert [e["type"] for e in history["events"]] == [
        "order.placed",
        "reservation.committed",
        "order.shipped",
        "order.status_changed",
        "order.cancelled",
        "order.status_changed",
        "order.returned",
    ]
    assert history["shipments"][0]["lines"][0]["returned"] == 2
    await clean(db)


async def test_placing_from_a_hold_moves_only_what_stockd_placed_when_the_strategy_finds_better(
    api: Api, db: Container
) -> None:
    await network(api)
    hold = (
        await api.post("/v1/reservations", json={"lines": [{"sku": "A", "quantity": 3}]})
    ).json()
    assert hold["lines"] == [{"sku": "A", "quantity": 3, "location": "ham"}]
    named = (
        await api.post(
            "/v1/reservations", json={"lines": [{"sku": "A", "quantity": 3, "location": "muc"}]}
        )
    ).json()
    for order_id, held in (("ORD-2", hold), ("ORD-3", named)):
        r = await api.post(
            "/v1/orders",
            json={
                "order_id": order_id,
                "reservation_id": held["id"],
                "ship_to": BERLIN,
                "strategy": "nearest",
            },
        )
        assert r.status_code == 201, r.text
    ham, ber = await level(api, "A", "ham"), await level(api, "A", "ber")
    assert (ham["reserved"], ham["committed"], ber["committed"]) == (0, 0, 3)
    assert [s["location"] for s in r.json()["shipments"]] == ["muc"]
    assert r.json()["replanned"] is False
    await clean(db)


async def test_an_order_from_a_hold_at_a_store_the_strategy_cannot_use_is_placed(
    api: Api, db: Container
) -> None:
    await network(api)
    more = {"sku": "A", "location": "store", "state": "on_hand", "delta": 3, "reason": "r"}
    assert (await api.post("/v1/adjustments", json={"changes": [more]})).status_code == 200
    for strategy in ("priority", "nearest", "fewest_shipments", "lowest_cost", "most_stock"):
        hold = (
            await api.post(
                "/v1/reservations",
                json={"lines": [{"sku": "A", "quantity": 1, "location": "store"}]},
            )
        ).json()
        r = await api.post(
            "/v1/orders",
            json={
                "order_id": f"S-{strategy}",
                "reservation_id": hold["id"],
                "ship_to": BERLIN,
                "strategy": strategy,
            },
        )
        assert r.status_code == 201, r.text
        assert [s["location"] for s in r.json()["shipments"]] == ["store"]
    await clean(db)


async def test_direct_lines_split_across_locations_and_orders_are_idempotent(
    api: Api, db: Container
) -> None:
    await network(api)
    body = {
        "order_id": "ORD-3",
        "lines": [{"sku": "A", "quantity": 12}, {"sku": "B", "quantity": 1}],
    }
    r = await api.post("/v1/orders", json=body)
    assert r.status_code == 201, r.text
    order = r.json()
    placed = {
        s["location"]: {x["sku"]: x["ordered"] for x in s["lines"]} for s in order["shipments"]
    }
    assert placed == {"ham": {"A": 5, "B": 1}, "ber": {"A": 5}, "muc": {"A": 2}}
    assert order["plan"]["strategy"] == "priority"
    assert order["plan"]["lines"][0]["allocations"][0]["reason"] == "priority 1, 5 available"

    again = await api.post("/v1/orders", json=body)
    assert again.status_code == 200
    assert again.json()["shipments"] == order["shipments"]
    other = await api.post("/v1/orders", json={**body, "lines": [{"sku": "A", "quantity": 1}]})
    assert (other.status_code, other.json()["code"]) == (409, "already_exists")
    await clean(db)


async def test_order_shortfall_commits_nothing(api: Api, db: Container) -> None:
    await network(api)
    r = await api.post(
        "/v1/orders",
        json={
            "order_id": "BIG",
            "lines": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 4}],
        },
    )
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    assert r.json()["lines"] == [
        {"sku": "B", "location": None, "requested": 4, "available": 3, "short": 1}
    ]
    assert (await api.get("/v1/orders/BIG")).status_code == 404
    assert (await level(api, "A", "ham"))["committed"] == 0


async def test_shipping_more_than_committed_is_refused_and_writes_nothing(
    api: Api, db: Container
) -> None:
    await network(api)
    await api.post("/v1/orders", json={"order_id": "O", "lines": [{"sku": "B", "quantity": 2}]})
    before = await level(api, "B", "ham")
    for body, code in (
        ({"location": "ham", "lines": [{"sku": "B", "quantity": 3}]}, "exceeds_committed"),
        ({"location": "ber", "lines": [{"sku": "B", "quantity": 1}]}, "not_in_order"),
    ):
        r = await api.post("/v1/orders/O/shipments", json=body)
        assert (r.status_code, r.json()["errors"][0]["code"]) == (409, code)
    assert await level(api, "B", "ham") == before
    r = await api.post(
        "/v1/orders/NOPE/shipments",
        json={"location": "ham", "lines": [{"sku": "B", "quantity": 1}]},
    )
    assert r.status_code == 404


async def test_cancelling_twice_or_after_full_shipment_is_a_409(api: Api) -> None:
    await network(api)
    await api.post("/v1/orders", json={"order_id": "O", "lines": [{"sku": "B", "quantity": 1}]})
    await api.post(
        "/v1/orders/O/shipments", json={"location": "ham", "lines": [{"sku": "B", "quantity": 1}]}
    )
    assert (await api.get("/v1/orders/O")).json()["status"] == "shipped"
    r = await api.post("/v1/orders/O/cancel")
    assert (r.status_code, r.json()["code"]) == (409, "order_closed")


async def test_transfers_move_units_through_incoming(api: Api, db: Container) -> None:
    await network(api)
    r = await api.post(
        "/v1/transfers", json={"from": "muc", "to": "ber", "lines": [{"sku": "A", "quantity": 8}]}
    )
    assert r.status_code == 201, r.text
    transfer = r.json()
    assert (transfer["from"], transfer["to"], transfer["status"]) == ("muc", "ber", "in_transit")
    muc, ber = await level(api, "A", "muc"), await level(api, "A", "ber")
    assert (muc["on_hand"], ber["on_hand"], ber["incoming"]) == (12, 5, 8)

    r = await api.post(
        f"/v1/transfers/{transfer['id']}/receive", json={"lines": [{"sku": "A", "quantity": 5}]}
    )
    assert r.json()["status"] == "partially_received"
    r = await api.post(
        f"/v1/transfers/{transfer['id']}/receive", json={"lines": [{"sku": "A", "quantity": 4}]}
    )
    assert (r.status_code, r.json()["errors"][0]["code"]) == (409, "exceeds_in_transit")
    r = await api.post(f"/v1/transfers/{transfer['id']}/receive")
    assert r.json()["status"] == "received"
    ber = await level(api, "A", "ber")
    assert (ber["on_hand"], ber["incoming"]) == (13, 0)
    assert (await api.get(f"/v1/transfers/{transfer['id']}")).json()["lines"][0]["in_transit"] == 0
    await clean(db)


async def test_transfer_bad_input(api: Api, db: Container) -> None:
    await network(api)
    await api.patch("/v1/locations/muc", json={"active": False})
    cases = [
        (
            {"from": "ber", "to": "ber", "lines": [{"sku": "A", "quantity": 1}]},
            422,
            "invalid_request",
        ),
        (
            {"from": "muc", "to": "ber", "lines": [{"sku": "A", "quantity": 1}]},
            422,
            "invalid_request",
        ),
        (
            {"from": "ber", "to": "mars", "lines": [{"sku": "A", "quantity": 1}]},
            422,
            "unknown_reference",
        ),
        (
            {"from": "ber", "to": "ham", "lines": [{"sku": "A", "quantity": 6}]},
            409,
            "insufficient_stock",
        ),
    ]
    for body, status, code in cases:
        r = await api.post("/v1/transfers", json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
    assert (await level(api, "A", "ber"))["on_hand"] == 5
    await clean(db)


async def test_store_sales_decrement_once_per_receipt(api: Api, db: Container) -> None:
    await network(api)
    sale = {
        "location": "store",
        "external_id": "POS-1-0001",
        "lines": [{"sku": "A", "quantity": 1}],
    }
    first = await api.post("/v1/sales", json=sale)
    assert (first.status_code, first.json()["replayed"]) == (201, False)
    again = await api.post("/v1/sales", json=sale)
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    assert (await level(api, "A", "store"))["on_hand"] == 1
    changed = {**sale, "lines": [{"sku": "A", "quantity": 2}]}
    assert (await api.post("/v1/sales", json=changed)).status_code == 409
    held = await api.post(
        "/v1/reservations",
        json={"lines": [{"sku": "A", "quantity": 1}], "pickup_location": "store"},
    )
    assert held.status_code == 201, held.text
    r = await api.post("/v1/sales", json={**sale, "external_id": "POS-1-0002"})
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    await clean(db)


async def test_pickup_holds_only_at_the_chosen_store(api: Api) -> None:
    await network(api)
    r = await api.post(
        "/v1/reservations",
        json={"lines": [{"sku": "A", "quantity": 2}], "pickup_location": "store"},
    )
    assert r.json()["lines"] == [{"sku": "A", "quantity": 2, "location": "store"}]
    r = await api.post(
        "/v1/reservations",
        json={"lines": [{"sku": "A", "quantity": 1}], "pickup_location": "store"},
    )
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    r = await api.post(
        "/v1/reservations", json={"lines": [{"sku": "A", "quantity": 1}], "pickup_location": "ber"}
    )
    assert (r.status_code, r.json()["detail"]) == (422, "location 'ber' does not offer pickup")


async def test_a_quote_explains_itself_and_holds_nothing(api: Api) -> None:
    await network(api)
    r = await api.post(
        "/v1/allocations/quote",
        json={"lines": [{"sku": "A", "quantity": 7}], "ship_to": BERLIN, "strategy": "nearest"},
    )
    assert r.status_code == 200, r.text
    plan = r.json()
    line = plan["lines"][0]
    assert [(a["location"], a["quantity"]) for a in line["allocations"]] == [("ber", 5), ("ham", 2)]
    assert line["allocations"][0]["reason"] == "0.0 km away, 5 available"
    assert [x["location"] for x in line["rejected"]] == ["muc"]
    assert plan["distance_km"] > 0
    assert (await level(api, "A", "ber"))["reserved"] == 0
    r = await api.post(
        "/v1/allocations/quote",
        json={"lines": [{"sku": "A", "quantity": 1}], "strategy": "nearest"},
    )
    assert (r.status_code, r.json()["detail"]) == (422, "strategy 'nearest' needs ship_to")
    r = await api.post("/v1/allocations/quote", json={"lines": [{"sku": "Z", "quantity": 1}]})
    assert (r.status_code, r.json()["code"]) == (422, "unknown_reference")


async def test_returning_for_an_unknown_order_or_to_an_inactive_location_is_a_422(
    api: Api,
) -> None:
    await network(api)
    body = {
        "order_id": "NOPE",
        "location": "ber",
        "condition": "resellable",
        "lines": [{"sku": "A", "quantity": 1}],
    }
    r = await api.post("/v1/returns", json=body)
    assert (r.status_code, r.json()["code"]) == (422, "unknown_reference")
    await api.post("/v1/orders", json={"order_id": "O", "lines": [{"sku": "B", "quantity": 1}]})
    await api.post(
        "/v1/orders/O/shipments", json={"location": "ham", "lines": [{"sku": "B", "quantity": 1}]}
    )
    await api.patch("/v1/locations/ber", json={"active": False})
    r = await api.post(
        "/v1/returns", json={**body, "order_id": "O", "lines": [{"sku": "B", "quantity": 1}]}
    )
    assert (r.status_code, r.json()["detail"]) == (422, "location 'ber' is inactive")


async def test_an_order_from_a_hold_cannot_switch_to_another_pickup_store(api: Api) -> None:
    await network(api)
    hold = (
        await api.post("/v1/reservations", json={"lines": [{"sku": "A", "quantity": 1}]})
    ).json()
    for pickup in ("00", "store"):
        r = await api.post(
            "/v1/orders",
            json={"order_id": "P", "reservation_id": hold["id"], "pickup_location": pickup},
        )
        assert (r.status_code, r.json()["code"]) == (422, "invalid_request"), r.text


async def test_an_orders_plan_shows_the_distance_and_cost_its_quote_shows(api: Api) -> None:
    await network(api)
    for loc in ("ber", "ham", "muc"):
        cost = {"fixed": 4.5, "per_km_unit": 0.002}
        r = await api.patch(f"/v1/locations/{loc}", json={"shipping_cost": cost})
        assert r.status_code == 200, r.text
    body = {"lines": [{"sku": "A", "quantity": 7}], "ship_to": BERLIN, "strategy": "lowest_cost"}
    quoted = (await api.post("/v1/allocations/quote", json=body)).json()
    assert quoted["distance_km"] > 0
    assert quoted["shipping_cost"] > 0
    r = await api.post("/v1/orders", json={"order_id": "Q-1", **body})
    assert r.status_code == 201, r.text
    plan = r.json()["plan"]
    assert plan == quoted

    hold = (
        await api.post("/v1/reservations", json={"lines": [{"sku": "B", "quantity": 2}]})
    ).json()
    r = await api.post(
        "/v1/orders",
        json={
            "order_id": "Q-2",
            "reservation_id": hold["id"],
            "ship_to": BERLIN,
            "strategy": "nearest",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["plan"]["distance_km"] > 0
