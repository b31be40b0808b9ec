"""Purchase orders, backorders tied to them, and promises at risk, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api

JAN = "2026-01-15T00:00:00Z"
FEB = "2026-02-10T00:00:00Z"
MAR = "2026-03-20T00:00:00Z"


async def lamp(api: Api) -> None:
    """Location x; lamp L, backorder up to 50, 1 on hand at x."""
    r = await api.post("/v1/locations", json={"id": "x", "name": "x"})
    assert r.status_code == 201, r.text
    body = {"sku": "L", "product_id": "P", "name": "Lamp", "policy": "backorder"}
    r = await api.post("/v1/skus", json=body | {"backorder_cap": 50})
    assert r.status_code == 201, r.text
    change = {"sku": "L", "location": "x", "state": "on_hand", "delta": 1, "reason": "r"}
    r = await api.post("/v1/adjustments", json={"changes": [change]})
    assert r.status_code == 200, r.text


def purchase(po_id: str, units: int, eta: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": po_id,
        "supplier": "ACME Lighting",
        "location": "x",
        "lines": [{"sku": "L", "quantity": units}],
        "expected_at": eta,
    } | extra


async def test_a_backordered_lamp_whose_purchase_order_slips(api: Api) -> None:
    await lamp(api)
    r = await api.post("/v1/purchase-orders", json=purchase("PO-1", 4, JAN))
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["lines"][0]["open"], r.headers["etag"]) == (
        "open",
        4,
        '"1"',
    )
    level = (await api.get("/v1/levels", params={"sku": "L"})).json()["items"][0]
    assert (level["on_hand"], level["incoming"]) == (1, 4)

    r = await api.post(
        "/v1/orders", json={"order_id": "O-1", "lines": [{"sku": "L", "quantity": 3}]}
    )
    assert r.status_code == 201, r.text
    line = (await api.get("/v1/orders/O-1")).json()["shipments"][0]["lines"][0]
    assert line["promised_ready_at"] == JAN
    assert line["supply"] == [
        {
            "source": "inbound",
            "quantity": 2,
            "ready_at": JAN,
            "reference": "po:PO-1",
            "location": "x",
        }
    ]
    held = await api.post("/v1/reservations", json={"lines": [{"sku": "L", "quantity": 2}]})
    assert held.status_code == 201, held.text
    hold = (await api.get(f"/v1/reservations/{held.json()['id']}")).json()
    assert hold["lines"][0]["supply"][0]["quantity"] == 2
    r = await api.post("/v1/reservations", json={"lines": [{"sku": "L", "quantity": 1}]})
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")

    r = await api.patch("/v1/purchase-orders/PO-1", json={"expected_at": MAR})
    assert r.status_code == 200, r.text
    assert (r.json()["expected_at"], r.json()["version"]) == (MAR, 2)
    events = (await api.get("/v1/events", params={"type": "promise.changed"})).json()["items"]
    assert [(e["order_id"], e["reservation_id"]) for e in events] == [
        ("O-1", None),
        (None, held.json()["id"]),
    ]
    for e in events:
        assert e["data"]["previous"][:19] == JAN[:19], e
        assert e["data"]["ready_at"][:19] == MAR[:19], e
    r = await api.get("/v1/promises/at-risk")
    assert r.json() == {
        "items": [
            {
                "order_id": "O-1",
                "created_at": r.json()["items"][0]["created_at"],
                "deliver_by": None,
                "lines": [
                    {
                        "sku": "L",
                        "location": "x",
                        "promised_ready_at": JAN,
                        "ready_at": MAR,
                        "supply": "inbound",
                    }
                ],
            }
        ],
        "next_cursor": None,
    }

    r = await api.post(
        "/v1/purchase-orders/PO-1/receive", json={"lines": [{"sku": "L", "quantity": 4}]}
    )
    assert (r.status_code, r.json()["status"]) == (200, "received")
    line = (await api.get("/v1/orders/O-1")).json()["shipments"][0]["lines"][0]
    assert "supply" not in line
    assert (await api.get("/v1/promises/at-risk")).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (purchase("PO-9", 1, "2025-12-30T00:00:00Z"), "expected_at"),
        (purchase("PO-9", 1, JAN, location="nowhere"), "location"),
        (purchase("PO-9", 0, JAN), "lines"),
    ],
    ids=["eta before today", "unknown location", "no units"],
)
async def test_bad_purchase_orders_are_422_and_write_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    await lamp(api)
    r = await api.post("/v1/purchase-orders", json=body)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert (await api.get("/v1/purchase-orders/PO-9")).status_code == 404
    assert (await api.get("/v1/purchase-orders")).json()["items"] == []


async def test_receiving_more_than_open_is_409_naming_the_line(api: Api) -> None:
    await lamp(api)
    assert (await api.post("/v1/purchase-orders", json=purchase("PO-1", 4, JAN))).status_code == 201
    r = await api.post(
        "/v1/purchase-orders/PO-1/receive", json={"lines": [{"sku": "L", "quantity": 5}]}
    )
    assert (r.status_code, r.json()["code"]) == (409, "beyond_recorded")
    assert r.json()["errors"] == [
        {"index": 0, "code": "exceeds_open", "detail": "L: 5 received, 4 open"}
    ]
    r = await api.post(
        "/v1/purchase-orders/NOPE/receive", json={"lines": [{"sku": "L", "quantity": 1}]}
    )
    assert r.status_code == 404
    r = await api.post("/v1/purchase-orders/PO-1/cut", json={})
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")
    level = (await api.get("/v1/levels", params={"sku": "L"})).json()["items"][0]
    assert (level["on_hand"], level["incoming"]) == (1, 0)


async def transfer_in_flight(api: Api) -> str:
    """Lamp L at x; 3 more at y sent to x, expected in January."""
    await lamp(api)
    assert (await api.post("/v1/locations", json={"id": "y", "name": "y"})).status_code == 201
    change = {"sku": "L", "location": "y", "state": "on_hand", "delta": 3, "reason": "r"}
    assert (await api.post("/v1/adjustments", json={"changes": [change]})).status_code == 200
    body = {"from": "y", "to": "x", "lines": [{"sku": "L", "quantity": 3}], "expected_at": JAN}
    r = await api.post("/v1/transfers", json=body)
    assert (r.status_code, r.headers["etag"]) == (201, '"1"'), r.text
    transfer_id: str = r.json()["id"]
    return transfer_id


async def test_a_backorder_tied_to_a_transfer_whose_eta_slips(api: Api) -> None:
    transfer_id = await transfer_in_flight(api)
    r = await api.post(
        "/v1/orders", json={"order_id": "O-1", "lines": [{"sku": "L", "quantity": 3}]}
    )
    assert r.status_code == 201, r.text
    line = (await api.get("/v1/orders/O-1")).json()["shipments"][0]["lines"][0]
    assert (line["promised_ready_at"], line["supply"][0]["reference"]) == (
        JAN,
        f"transfer:{transfer_id}",
    )

    r = await api.patch(
        f"/v1/transfers/{transfer_id}", json={"expected_at": MAR}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["expected_at"], r.json()["version"], r.headers["etag"]) == (MAR, 2, '"2"')
    assert (await api.get(f"/v1/transfers/{transfer_id}")).headers["etag"] == '"2"'
    [eta] = (await api.get("/v1/events", params={"type": "inbound.eta_changed"})).json()["items"]
    assert (eta["transfer_id"], eta["location"]) == (transfer_id, "x")
    assert (eta["data"]["purchase_order_id"], eta["data"]["version"]) == (None, 2)
    [moved] = (await api.get("/v1/events", params={"type": "promise.changed"})).json()["items"]
    assert moved["order_id"] == "O-1"
    assert (moved["data"]["previous"][:19], moved["data"]["ready_at"][:19]) == (JAN[:19], MAR[:19])
    line = (await api.get("/v1/orders/O-1")).json()["shipments"][0]["lines"][0]
    assert line["supply"][0]["ready_at"] == MAR


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expected_at": "2025-12-30T00:00:00Z"}, "expected_at"),
        ({"expected_at": "soon"}, "expected_at"),
        ({}, "expected_at"),
        ({"expected_at": JAN, "to": "y"}, "to"),
    ],
    ids=["eta before today", "not a time", "no eta", "unknown member"],
)
async def test_bad_transfer_eta_changes_are_422_naming_the_field_and_write_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    transfer_id = await transfer_in_flight(api)
    before = (await api.get("/v1/events")).json()["items"]
    r = await api.patch(f"/v1/transfers/{transfer_id}", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text
    assert (await api.get("/v1/events")).json()["items"] == before
    assert (await api.get(f"/v1/transfers/{transfer_id}")).json()["expected_at"] == JAN


async def test_a_received_transfer_keeps_its_eta_409_and_an_unknown_one_is_404(api: Api) -> None:
    transfer_id = await transfer_in_flight(api)
    r = await api.patch(
        f"/v1/transfers/{transfer_id}", json={"expected_at": FEB}, headers={"If-Match": '"7"'}
    )
    assert (r.status_code, r.json()["code"]) == (409, "version_conflict")
    assert (await api.post(f"/v1/transfers/{transfer_id}/receive")).status_code == 200
    r = await api.patch(f"/v1/transfers/{transfer_id}", json={"expected_at": FEB})
    assert (r.status_code, r.json()["code"]) == (409, "nothing_in_transit")
    assert r.json()["transfer_status"] == "received"
    assert (await api.get(f"/v1/transfers/{transfer_id}")).json()["expected_at"] == JAN
    r = await api.patch("/v1/transfers/NOPE", json={"expected_at": FEB})
    assert r.status_code == 404
